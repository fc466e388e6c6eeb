//! `tls_client_options: TLSOptions = null` as a defaultable argument.
//! gdext can't default an `Option<Gd<T>>` argument (it requires `GodotImmutable`,
//! which the orphan rule keeps us from implementing), so a local newtype carries it.

use godot::classes::TlsOptions;
use godot::meta::conv::ByValue;
use godot::meta::error::ConvertError;
use godot::meta::shape::GodotShape;
use godot::meta::{FromGodot, GodotConvert, ToGodot};
use godot::prelude::*;

#[derive(Clone, Debug, Default)]
pub struct OptTls(pub Option<Gd<TlsOptions>>);

// SAFETY: only ever used with the `None` default, which holds no object.
unsafe impl godot::meta::GodotImmutable for OptTls {}

impl GodotConvert for OptTls {
    type Via = Option<Gd<TlsOptions>>;

    fn godot_shape() -> GodotShape {
        <Option<Gd<TlsOptions>> as GodotConvert>::godot_shape()
    }
}

impl ToGodot for OptTls {
    type Pass = ByValue;

    fn to_godot(&self) -> Self::Via {
        self.0.clone()
    }
}

impl FromGodot for OptTls {
    fn try_from_godot(via: Self::Via) -> Result<Self, ConvertError> {
        Ok(OptTls(via))
    }
}
