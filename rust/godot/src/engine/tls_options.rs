//! The engine's `TLSOptions` for rustls: a client's trust policy, a server's key and
//! certificate chain. Also `tls_client_options: TLSOptions = null` as a defaultable
//! argument: gdext can't default an `Option<Gd<T>>` argument (it requires
//! `GodotImmutable`, which the orphan rule keeps us from implementing), so a local
//! newtype carries it.

use std::sync::Arc;

use godot::classes::{Engine, TlsOptions, X509Certificate};
use godot::meta::conv::ByValue;
use godot::meta::error::ConvertError;
use godot::meta::shape::GodotShape;
use godot::meta::{FromGodot, GodotConvert, ToGodot};
use godot::prelude::*;
use rustls::ServerConfig;
use ws_connection::tls::{self, TlsPolicy, TlsSetup};

use super::project_settings::certificate_bundle_override;

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

impl OptTls {
    /// Server options where client ones belong (`TLSOptions.server()` given to a client).
    pub fn is_server(&self) -> bool {
        self.0.as_ref().is_some_and(|options| options.is_server())
    }

    /// Client ones where server ones belong.
    pub fn is_client(&self) -> bool {
        self.0.as_ref().is_some_and(|options| !options.is_server())
    }

    /// The rustls client for a `wss://` connection to `host`, as these options ask.
    pub fn client_setup(&self, host: &str) -> Result<TlsSetup, String> {
        tls::client_setup(&self.policy()?, host)
    }

    /// What these options ask of a `wss://` client.
    fn policy(&self) -> Result<TlsPolicy, String> {
        let Some(options) = &self.0 else {
            return Ok(TlsPolicy::Default { bundle_pem: certificate_bundle_override()?, name_override: None });
        };
        let chain = options.get_trusted_ca_chain().map(|certificate| pem(&certificate).into_bytes());
        if options.is_unsafe_client() {
            return Ok(TlsPolicy::Unsafe { chain_pem: chain });
        }
        let name = options.get_common_name_override().to_string();
        let name_override = (!name.is_empty()).then_some(name);
        Ok(match chain {
            Some(pem) => TlsPolicy::TrustedChain { pem, name_override },
            None => TlsPolicy::Default { bundle_pem: certificate_bundle_override()?, name_override },
        })
    }

    /// A server's rustls config from `TLSOptions.server(key, certificate)`, or why
    /// there cannot be one (no options, client options, no key or certificate, or a
    /// pair rustls refuses).
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, String> {
        let Some(options) = &self.0 else { return Err("no TLSOptions".into()) };
        if !options.is_server() {
            return Err("the TLSOptions are not server options (use TLSOptions.server(key, certificate))".into());
        }
        let mut key = options.get_private_key().ok_or("the TLSOptions have no private key")?;
        let certificate = options.get_own_certificate().ok_or("the TLSOptions have no certificate")?;
        let key_pem = key.save_to_string_ex().public_only(false).done().to_string();
        tls::server_config(pem(&certificate).as_bytes(), key_pem.as_bytes())
    }
}

/// A certificate (its whole chain) as PEM. Godot 4.6's `save_to_string()` copies each
/// certificate's PEM with the PEM writer's terminating NUL, which becomes U+FFFD in
/// the string (after every certificate of a chain), and says "Unicode parsing error
/// ... Unexpected NUL character" on stderr every time. Neither character can be part
/// of PEM text, so both are removed, and the engine's error printing is paused for
/// this one call. (Upgrade checklist, engine/mod.rs.)
fn pem(certificate: &Gd<X509Certificate>) -> String {
    let mut engine = Engine::singleton();
    let printing = engine.is_printing_error_messages();
    engine.set_print_error_messages(false);
    let text = certificate.clone().save_to_string().to_string();
    engine.set_print_error_messages(printing);
    text.replace(['\u{FFFD}', '\0'], "")
}
