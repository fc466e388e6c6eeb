//! Verification against a caller-supplied chain (`TLSOptions.client(chain)`),
//! accepting what the engine's mbedTLS accepts: certificates made by
//! `Crypto.generate_self_signed_certificate` have no subjectAltName and are
//! marked CA, so strict WebPKI rejects them twice. This verifier still checks
//! the signature chain, the validity dates and the handshake signatures, and
//! matches the name against the SANs, falling back to the subject CN only when
//! there are none.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

#[derive(Debug)]
pub struct ChainVerifier {
    /// Empty only for `accept_any`.
    trusted: Vec<CertificateDer<'static>>,
    anchors: Vec<TrustAnchor<'static>>,
    /// The name to verify; `None` skips the name check (`client_unsafe(chain)`).
    name: Option<String>,
    provider: Arc<CryptoProvider>,
}

impl ChainVerifier {
    pub fn new(
        trusted: Vec<CertificateDer<'static>>,
        name: Option<String>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, String> {
        let anchors =
            trusted.iter().filter_map(|der| webpki::anchor_from_trusted_cert(der).ok().map(|a| a.to_owned())).collect();
        Ok(ChainVerifier { trusted, anchors, name, provider })
    }

    /// `TLSOptions.client_unsafe()`: any certificate is accepted. The handshake
    /// signatures are still checked, which proves only that the server holds the
    /// key of the certificate it showed.
    pub fn accept_any(provider: Arc<CryptoProvider>) -> Self {
        ChainVerifier { trusted: Vec::new(), anchors: Vec::new(), name: None, provider }
    }

    fn check_chain(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), Error> {
        if self.trusted.iter().any(|t| t.as_ref() == end_entity.as_ref()) {
            // The very certificate was given as trusted (self-signed, possibly
            // marked CA): its identity is the trust; its dates must still hold.
            return check_dates(end_entity, now);
        }
        let cert = webpki::EndEntityCert::try_from(end_entity).map_err(pki_error)?;
        cert.verify_for_usage(
            self.provider.signature_verification_algorithms.all,
            &self.anchors,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map(|_| ())
        .map_err(pki_error)
    }
}

fn pki_error(e: webpki::Error) -> Error {
    Error::InvalidCertificate(match e {
        webpki::Error::UnknownIssuer => CertificateError::UnknownIssuer,
        webpki::Error::CertExpired { .. } => CertificateError::Expired,
        webpki::Error::CertNotValidYet { .. } => CertificateError::NotValidYet,
        webpki::Error::InvalidSignatureForPublicKey => CertificateError::BadSignature,
        other => CertificateError::Other(rustls::OtherError(Arc::new(other))),
    })
}

fn parse<'a>(der: &'a CertificateDer<'_>) -> Result<X509Certificate<'a>, Error> {
    X509Certificate::from_der(der.as_ref())
        .map(|(_, c)| c)
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))
}

fn check_dates(der: &CertificateDer<'_>, now: UnixTime) -> Result<(), Error> {
    let cert = parse(der)?;
    let now = now.as_secs() as i64;
    let validity = cert.validity();
    if now < validity.not_before.timestamp() {
        return Err(Error::InvalidCertificate(CertificateError::NotValidYet));
    }
    if now > validity.not_after.timestamp() {
        return Err(Error::InvalidCertificate(CertificateError::Expired));
    }
    Ok(())
}

/// The DNS names and IP addresses a certificate names: its SANs, or, only when
/// it has none, its subject common name(s).
pub fn certificate_names(der: &CertificateDer<'_>) -> Result<Vec<String>, Error> {
    let cert = parse(der)?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => names.push(dns.to_string()),
                GeneralName::IPAddress(bytes) => {
                    if let Ok(v4) = <[u8; 4]>::try_from(&bytes[..]) {
                        names.push(std::net::Ipv4Addr::from(v4).to_string());
                    } else if let Ok(v6) = <[u8; 16]>::try_from(&bytes[..]) {
                        names.push(std::net::Ipv6Addr::from(v6).to_string());
                    }
                }
                _ => {}
            }
        }
    }
    if names.is_empty() {
        names.extend(cert.subject().iter_common_name().filter_map(|cn| cn.as_str().ok()).map(str::to_string));
    }
    Ok(names)
}

/// Case-insensitive match; `*.example.com` matches exactly one leftmost label.
pub fn name_matches(pattern: &str, name: &str) -> bool {
    let (pattern, name) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
    let name = name.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(suffix) => name.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => pattern.trim_end_matches('.') == name,
    }
}

impl ServerCertVerifier for ChainVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if !self.trusted.is_empty() {
            self.check_chain(end_entity, intermediates, now)?;
        }
        if let Some(expected) = &self.name {
            let names = certificate_names(end_entity)?;
            if !names.iter().any(|n| name_matches(n, expected)) {
                let expected = ServerName::try_from(expected.clone()).map_err(|_| Error::General(expected.clone()))?;
                return Err(Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                    expected,
                    presented: names,
                }));
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_label() {
        assert!(name_matches("*.example.com", "a.example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(!name_matches("*.example.com", "example.com"));
        assert!(name_matches("LocalHost", "localhost"));
        assert!(!name_matches("localhost", "localhost.evil"));
    }
}
