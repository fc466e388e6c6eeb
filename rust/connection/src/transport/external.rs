//! A byte stream someone else owns and drives: how an engine's stream (Godot's
//! `StreamPeerTCP`, or a `StreamPeerTLS` over one, handed to `accept_stream`) plugs
//! into a connection. The Godot binding implements it; tests implement it in memory.

use std::io;

use super::ReadOutcome;

/// Whether the stream can carry bytes yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamReadiness {
    Ready,
    /// Still setting up (a TLS handshake under way).
    Pending,
    /// It failed or ended before it could carry bytes; why.
    Failed(String),
}

pub trait ExternalStream {
    /// Drives the stream's own set-up (TCP status, TLS handshake) and says whether it
    /// can carry bytes.
    fn readiness(&mut self) -> StreamReadiness;

    /// Reads up to `max` bytes and hands them to `sink`.
    fn read_into(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome;

    /// Writes what the stream takes now; `Ok(0)` when it would block.
    fn write(&mut self, data: &[u8]) -> io::Result<usize>;

    /// Nagle's algorithm off (`true`) or on, where the stream has TCP under it.
    fn set_no_delay(&mut self, enabled: bool);

    /// The remote address as (IP text, port); empty and 0 when unknown.
    fn peer_addr(&self) -> (String, u16);

    /// Whether the stream is TLS (the URL a server reports is `wss://`).
    fn is_tls(&self) -> bool;

    /// Ends the stream (the connection is over).
    fn close(&mut self);

    /// Why the stream failed, when it knows.
    fn error(&self) -> Option<&str> {
        None
    }

    /// Whether a failure is TLS's own rather than the socket's.
    fn is_tls_failure(&self) -> bool {
        false
    }
}
