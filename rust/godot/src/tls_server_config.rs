//! The multiplayer server's `wss://` side: a rustls `ServerConfig` from the key and
//! certificate chain of `TLSOptions.server(key, certificate)`. rustls parses and
//! uses them; we only carry them over as PEM.

use std::sync::Arc;

use godot::classes::{Engine, TlsOptions, X509Certificate};
use godot::prelude::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use rustls::ServerConfig;

use crate::tls_config::{parse_pem_certs, provider};

/// The config for `options`, or why it cannot be one (not server options, no key or
/// certificate, or ones rustls refuses).
pub fn server_config(options: &Gd<TlsOptions>) -> Result<Arc<ServerConfig>, String> {
    if !options.is_server() {
        return Err("the TLSOptions are not server options (use TLSOptions.server(key, certificate))".into());
    }
    let mut key = options.get_private_key().ok_or("the TLSOptions have no private key")?;
    let mut certificate = options.get_own_certificate().ok_or("the TLSOptions have no certificate")?;
    let chain = parse_pem_certs(certificate_pem(&mut certificate).as_bytes())?;
    let key_pem = key.save_to_string_ex().public_only(false).done().to_string();
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| format!("the private key: {e}"))?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the key and certificate: {e}"))?;
    // No TLS 1.3 session tickets: the engine's mbedTLS client fails on them.
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// The certificate chain as PEM. Godot 4.6's `save_to_string()` builds its string
/// with the PEM writer's terminating NUL inside, and says so on stderr ("Unicode
/// parsing error ... Unexpected NUL character") every time; that line is switched
/// off for this one call (the NUL is only a terminator: nothing is lost).
fn certificate_pem(certificate: &mut Gd<X509Certificate>) -> String {
    let mut engine = Engine::singleton();
    let printing = engine.is_printing_error_messages();
    engine.set_print_error_messages(false);
    let pem = certificate.save_to_string().to_string();
    engine.set_print_error_messages(printing);
    pem.replace('\0', "")
}
