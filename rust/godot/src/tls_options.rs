//! `tls_client_options: TLSOptions = null` as a defaultable argument.
//! gdext can't default an `Option<Gd<T>>` argument (it requires `GodotImmutable`,
//! which the orphan rule keeps us from implementing), so a local newtype carries it.

use godot::classes::{Engine, FileAccess, ProjectSettings, TlsOptions, X509Certificate};
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

use crate::tls_config::TlsPolicy;

impl OptTls {
    /// What these options ask of a `wss://` client.
    pub fn policy(&self) -> Result<TlsPolicy, String> {
        let Some(options) = &self.0 else {
            return Ok(TlsPolicy::Default { bundle_pem: bundle_override()?, name_override: None });
        };
        let chain = options.get_trusted_ca_chain().map(pem);
        if options.is_unsafe_client() {
            return Ok(TlsPolicy::Unsafe { chain_pem: chain });
        }
        let name = options.get_common_name_override().to_string();
        let name_override = (!name.is_empty()).then_some(name);
        Ok(match chain {
            Some(pem) => TlsPolicy::TrustedChain { pem, name_override },
            None => TlsPolicy::Default { bundle_pem: bundle_override()?, name_override },
        })
    }
}

/// The whole chain as PEM. On 4.6.3 `save_to_string()` ends in U+FFFD (an
/// engine quirk), which is cut off; the engine also logs "Unicode parsing
/// error" for it on every call, so its error printing is paused around the call.
fn pem(mut certificate: Gd<X509Certificate>) -> Vec<u8> {
    let mut engine = Engine::singleton();
    let printing = engine.is_printing_error_messages();
    engine.set_print_error_messages(false);
    let text = certificate.save_to_string().to_string();
    engine.set_print_error_messages(printing);
    text.trim_end_matches(['\u{FFFD}', '\0']).as_bytes().to_vec()
}

/// The PEM bundle of `network/tls/certificate_bundle_override`, as the engine uses it.
fn bundle_override() -> Result<Option<Vec<u8>>, String> {
    let path = ProjectSettings::singleton().get_setting("network/tls/certificate_bundle_override");
    let path = path.try_to::<GString>().unwrap_or_default();
    if path.is_empty() {
        return Ok(None);
    }
    let bytes = FileAccess::get_file_as_bytes(&path);
    if bytes.is_empty() {
        return Err(format!("TLS: cannot read the certificate bundle override \"{path}\""));
    }
    Ok(Some(bytes.to_vec()))
}
