//! Test certificates: a rustls server configured for one cipher suite, and the
//! certificate as PEM for a client that trusts exactly it.

use std::sync::Arc;

use rcgen::{CertificateParams, KeyPair};
use rustls::crypto::ring::cipher_suite as suites;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::PrivateKeyDer;
use rustls::{ServerConfig, SupportedCipherSuite};

/// The name the certificates are issued for.
pub const HOST: &str = "game.example";

pub fn tls13_suites() -> [SupportedCipherSuite; 3] {
    [suites::TLS13_AES_128_GCM_SHA256, suites::TLS13_AES_256_GCM_SHA384, suites::TLS13_CHACHA20_POLY1305_SHA256]
}

pub fn tls12_suites() -> [SupportedCipherSuite; 3] {
    [
        suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        suites::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        suites::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ]
}

/// A self-signed server certificate for `HOST`.
pub struct Identity {
    /// A rustls server that presents it.
    pub server: Arc<ServerConfig>,
    /// The certificate, for a client's trusted chain.
    pub cert_pem: String,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
}

/// A certificate for `HOST` and a server offering only `suite` (and its TLS version).
pub fn identity(suite: SupportedCipherSuite) -> Identity {
    identity_for(HOST, Some(suite))
}

/// A certificate for `name` and a server with rustls' default suites, or only `suite`.
pub fn identity_for(name: &str, suite: Option<SupportedCipherSuite>) -> Identity {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![name.to_string()]).unwrap().self_signed(&key).unwrap();
    let ring = rustls::crypto::ring::default_provider();
    let (provider, versions): (CryptoProvider, &[&rustls::SupportedProtocolVersion]) = match suite {
        Some(suite) if suite.tls13().is_some() => {
            (CryptoProvider { cipher_suites: vec![suite], ..ring }, &[&rustls::version::TLS13])
        }
        Some(suite) => (CryptoProvider { cipher_suites: vec![suite], ..ring }, &[&rustls::version::TLS12]),
        None => (ring, rustls::DEFAULT_VERSIONS),
    };
    let server = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], PrivateKeyDer::try_from(key.serialize_der()).unwrap())
        .unwrap();
    Identity { server: Arc::new(server), cert_pem: cert.pem(), key_pem: key.serialize_pem() }
}
