//! Test certificates: a rustls server for one cipher suite and a client setup
//! that trusts exactly its certificate.

use std::sync::Arc;

use rcgen::{CertificateParams, KeyPair};
use rustls::crypto::ring::cipher_suite as suites;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::PrivateKeyDer;
use rustls::{ServerConfig, SupportedCipherSuite};

use crate::tls_config::{client_setup, provider, TlsPolicy, TlsSetup};

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

/// A server certificate for HOST and a client setup that trusts only it.
pub struct Identity {
    pub server: Arc<ServerConfig>,
    pub client: TlsSetup,
}

pub fn identity(suite: SupportedCipherSuite) -> Identity {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![HOST.to_string()]).unwrap().self_signed(&key).unwrap();
    let versions: &[&rustls::SupportedProtocolVersion] =
        if suite.tls13().is_some() { &[&rustls::version::TLS13] } else { &[&rustls::version::TLS12] };
    let provider = CryptoProvider { cipher_suites: vec![suite], ..(*provider()).clone() };
    let server = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], PrivateKeyDer::try_from(key.serialize_der()).unwrap())
        .unwrap();
    let policy = TlsPolicy::TrustedChain { pem: cert.pem().into_bytes(), name_override: None };
    Identity { server: Arc::new(server), client: client_setup(&policy, HOST).unwrap() }
}
