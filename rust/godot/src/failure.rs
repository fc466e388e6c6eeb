//! Why a connection failed, as a game reads it: `get_failure_kind()`,
//! `get_failure_reason()` and `get_handshake_status()`. Every way a connection
//! can fail produces exactly one `Failure`; the first one of a connection wins.
//!
//! Network outcomes are not programmer errors: a failure is logged as one
//! warning (per connection), never as an error.

use godot::global::PrintLevel;

use crate::class_enums::FailureKind;
use crate::log;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// One line, e.g. `connection refused by 127.0.0.1:8000`.
    pub reason: String,
    /// The HTTP status of a refused handshake (answered by the server), else 0.
    pub http_status: u16,
}

impl Failure {
    pub fn new(kind: FailureKind, reason: impl Into<String>) -> Failure {
        Failure { kind, reason: reason.into(), http_status: 0 }
    }

    pub fn with_status(kind: FailureKind, reason: impl Into<String>, http_status: u16) -> Failure {
        Failure { kind, reason: reason.into(), http_status }
    }

    /// The connection's one log line: `RustWebSocketPeer.<method>: <connection> failed: <reason>`.
    #[track_caller]
    pub fn warn(&self, method: &str, connection: &str) {
        log::emit(PrintLevel::Warn, method, &format!("{connection} failed: {}", self.reason));
    }
}
