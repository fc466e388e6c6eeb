//! The opening handshake (RFC 6455 §4): an HTTP/1.1 Upgrade exchange.

mod accept_key;
mod client;
mod error;
pub(crate) mod header_block;
mod server;

pub use accept_key::accept_key;
pub use client::{ClientHandshake, ClientOutcome};
pub use error::HandshakeError;
pub use server::{Request, ServerHandshake, ServerOutcome};

/// Parsed header lines of a request or response, names as sent.
pub type Headers = Vec<(String, String)>;
