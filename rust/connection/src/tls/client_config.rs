//! A TLS client's trust policy (what Godot's `TLSOptions` mean) as a rustls config:
//! which certificates are trusted, which name is checked and sent as SNI.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

use super::chain_verifier::ChainVerifier;

/// A client's `TLSOptions`, in plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsPolicy {
    /// `null` or `TLSOptions.client()`: the Mozilla roots, or the PEM bundle of
    /// `network/tls/certificate_bundle_override` when set; full WebPKI rules.
    Default { bundle_pem: Option<Vec<u8>>, name_override: Option<String> },
    /// `TLSOptions.client(chain[, name])`: only these certificates are trusted.
    TrustedChain { pem: Vec<u8>, name_override: Option<String> },
    /// `TLSOptions.client_unsafe([chain])`: no name check; no check at all without a chain.
    Unsafe { chain_pem: Option<Vec<u8>> },
}

pub struct TlsSetup {
    pub config: Arc<ClientConfig>,
    /// Sent as SNI when it is a DNS name, and verified against.
    pub server_name: ServerName<'static>,
}

pub fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())).clone()
}

/// Certificates of a PEM text; an error if it holds none.
pub fn parse_pem_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("TLS: unreadable certificate PEM: {e}"))?;
    if certs.is_empty() {
        return Err("TLS: no certificate in the trusted chain".into());
    }
    Ok(certs)
}

fn server_name(name: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(name.to_string()).map_err(|_| format!("TLS: \"{name}\" is not a valid server name"))
}

fn config_with(verifier: Arc<dyn ServerCertVerifier>) -> Result<Arc<ClientConfig>, String> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn webpki_config(roots: RootCertStore) -> Result<Arc<ClientConfig>, String> {
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| format!("TLS: {e}"))?;
    config_with(verifier)
}

fn mozilla_config() -> Result<Arc<ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            webpki_config(roots)
        })
        .clone()
}

pub fn client_setup(policy: &TlsPolicy, url_host: &str) -> Result<TlsSetup, String> {
    match policy {
        TlsPolicy::Default { bundle_pem, name_override } => {
            let config = match bundle_pem {
                None => mozilla_config()?,
                Some(pem) => {
                    let mut roots = RootCertStore::empty();
                    let (added, _ignored) = roots.add_parsable_certificates(parse_pem_certs(pem)?);
                    if added == 0 {
                        return Err("TLS: the certificate bundle override holds no usable certificate".into());
                    }
                    webpki_config(roots)?
                }
            };
            let name = name_override.as_deref().unwrap_or(url_host);
            Ok(TlsSetup { config, server_name: server_name(name)? })
        }
        TlsPolicy::TrustedChain { pem, name_override } => {
            let name = name_override.as_deref().unwrap_or(url_host);
            let verifier = ChainVerifier::new(parse_pem_certs(pem)?, Some(name.to_string()), provider())?;
            Ok(TlsSetup { config: config_with(Arc::new(verifier))?, server_name: server_name(name)? })
        }
        TlsPolicy::Unsafe { chain_pem } => {
            let verifier: Arc<dyn ServerCertVerifier> = match chain_pem {
                Some(pem) => Arc::new(ChainVerifier::new(parse_pem_certs(pem)?, None, provider())?),
                None => Arc::new(ChainVerifier::accept_any(provider())),
            };
            // SNI still goes out for DNS names (the engine sends none, breaking SNI-routed hosts).
            Ok(TlsSetup { config: config_with(verifier)?, server_name: server_name(url_host)? })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    use rustls::pki_types::PrivateKeyDer;
    use rustls::{ClientConnection, ServerConfig, ServerConnection};

    /// A certificate as `Crypto.generate_self_signed_certificate` makes it:
    /// CN only, no subjectAltName, marked CA.
    fn godot_style(cn: &str) -> (String, KeyPair, CertificateDer<'static>) {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key, cert.der().clone())
    }

    /// A CA and a leaf it signed, with SANs.
    fn ca_and_leaf(san: &str) -> (String, KeyPair, CertificateDer<'static>) {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.distinguished_name.push(DnType::CommonName, "test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf = CertificateParams::new(vec![san.to_string()]).unwrap().signed_by(&leaf_key, &issuer).unwrap();
        (ca.pem(), leaf_key, leaf.der().clone())
    }

    /// Runs a full in-memory handshake; the client's verdict.
    fn handshake(setup: TlsSetup, cert: CertificateDer<'static>, key: &KeyPair) -> Result<(), String> {
        let server_config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], PrivateKeyDer::try_from(key.serialize_der()).unwrap())
            .unwrap();
        let mut server = ServerConnection::new(Arc::new(server_config)).unwrap();
        let mut client = ClientConnection::new(setup.config, setup.server_name).unwrap();
        for _ in 0..10 {
            let mut wire = Vec::new();
            client.write_tls(&mut wire).unwrap();
            server.read_tls(&mut &wire[..]).unwrap();
            server.process_new_packets().map_err(|e| format!("server: {e}"))?;
            let mut wire = Vec::new();
            server.write_tls(&mut wire).unwrap();
            client.read_tls(&mut &wire[..]).unwrap();
            client.process_new_packets().map_err(|e| e.to_string())?;
            if !client.is_handshaking() && !server.is_handshaking() {
                return Ok(());
            }
        }
        Err("handshake did not finish".into())
    }

    fn chain(pem: &str, name: Option<&str>) -> TlsPolicy {
        TlsPolicy::TrustedChain { pem: pem.as_bytes().to_vec(), name_override: name.map(str::to_string) }
    }

    #[test]
    fn godot_self_signed_certificate_works_with_client_cert() {
        let (pem, key, der) = godot_style("localhost");
        handshake(client_setup(&chain(&pem, None), "localhost").unwrap(), der, &key).unwrap();
    }

    #[test]
    fn wrong_name_is_rejected_and_the_override_fixes_it() {
        let (pem, key, der) = godot_style("localhost");
        let err = handshake(client_setup(&chain(&pem, None), "127.0.0.1").unwrap(), der.clone(), &key).unwrap_err();
        assert!(err.contains("not valid for name"), "{err}");
        handshake(client_setup(&chain(&pem, Some("localhost")), "127.0.0.1").unwrap(), der, &key).unwrap();
    }

    #[test]
    fn untrusted_self_signed_is_rejected_by_default() {
        let (_, key, der) = godot_style("localhost");
        let default = TlsPolicy::Default { bundle_pem: None, name_override: None };
        let err = handshake(client_setup(&default, "localhost").unwrap(), der, &key).unwrap_err();
        assert!(
            err.contains("UnknownIssuer") || err.contains("unknown issuer") || err.contains("CaUsedAsEndEntity"),
            "{err}"
        );
    }

    #[test]
    fn unsafe_accepts_anything_but_still_sends_sni() {
        let (_, key, der) = godot_style("somewhere.else");
        let setup = client_setup(&TlsPolicy::Unsafe { chain_pem: None }, "example.org").unwrap();
        assert!(matches!(setup.server_name, ServerName::DnsName(_)), "SNI for a DNS host");
        handshake(setup, der, &key).unwrap();
    }

    #[test]
    fn ca_issued_leaf_is_checked_against_its_sans() {
        let (ca_pem, key, leaf) = ca_and_leaf("game.example");
        handshake(client_setup(&chain(&ca_pem, None), "game.example").unwrap(), leaf.clone(), &key).unwrap();
        let err =
            handshake(client_setup(&chain(&ca_pem, None), "other.example").unwrap(), leaf.clone(), &key).unwrap_err();
        assert!(err.contains("not valid for name"), "{err}");
        // A different CA does not vouch for it.
        let (other_ca, _, _) = ca_and_leaf("x");
        assert!(handshake(client_setup(&chain(&other_ca, None), "game.example").unwrap(), leaf, &key).is_err());
    }

    #[test]
    fn bundle_override_replaces_the_mozilla_roots() {
        let (ca_pem, key, leaf) = ca_and_leaf("game.example");
        let policy = TlsPolicy::Default { bundle_pem: Some(ca_pem.into_bytes()), name_override: None };
        handshake(client_setup(&policy, "game.example").unwrap(), leaf, &key).unwrap();
    }

    #[test]
    fn trailing_engine_garbage_and_empty_pem_are_handled() {
        assert!(parse_pem_certs(b"").is_err());
        let (pem, _, _) = godot_style("x");
        assert_eq!(parse_pem_certs(pem.as_bytes()).unwrap().len(), 1);
    }
}
