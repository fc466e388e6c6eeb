//! Why a connection failed. Every way a connection can fail produces exactly one
//! `Failure`; the first one of a connection wins, later ones are its consequences.
//! These are outcomes of the network, not programmer errors: the caller decides how
//! to report them (report.rs: which ones belong in a log).

/// The cause of a failure, as a game can act on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The host name could not be resolved.
    Dns,
    /// No TCP connection to any address: refused or unreachable.
    Connect,
    /// The TLS handshake failed (certificate, name, alert), or TLS failed later.
    Tls,
    /// The HTTP handshake was refused or invalid (status, headers).
    Handshake,
    /// The peer broke RFC 6455; we sent a Close with the matching code.
    Protocol,
    /// The TCP connect (all addresses together), the opening handshake, the
    /// closing handshake or the heartbeat timed out.
    Timeout,
    /// Reset, or end of stream, without a Close frame.
    ConnectionLost,
    /// A message over the inbound limit; we sent Close 1009.
    Limit,
    /// The proxy could not be reached (name, TCP, TLS), refused the tunnel (its
    /// HTTP status in `http_status`), or does not speak HTTP.
    Proxy,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// One line for people, e.g. `connection refused by 127.0.0.1:8000`.
    pub reason: String,
    /// The HTTP status of a refused handshake (the server's), or of a refused
    /// tunnel (the proxy's, with `Proxy`), else 0.
    pub http_status: u16,
}

impl Failure {
    pub fn new(kind: FailureKind, reason: impl Into<String>) -> Failure {
        Failure { kind, reason: reason.into(), http_status: 0 }
    }

    pub fn with_status(kind: FailureKind, reason: impl Into<String>, http_status: u16) -> Failure {
        Failure { kind, reason: reason.into(), http_status }
    }
}
