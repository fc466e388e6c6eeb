//! A TLS server's rustls `ServerConfig`, from a certificate chain and its private key
//! as PEM (what Godot's `TLSOptions.server(key, certificate)` holds). rustls parses
//! and uses them; nothing here looks inside.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use rustls::ServerConfig;

use super::{parse_pem_certs, provider};

/// The config, or why there cannot be one (no certificate, an unreadable key, or a
/// pair rustls refuses).
pub fn server_config(chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, String> {
    let chain = parse_pem_certs(chain_pem)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("the private key: {e}"))?;
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
