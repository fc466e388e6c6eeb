//! Every bound on memory and time, in one place.

use std::time::Duration;

/// Limits of one connection. Each bounds memory or time: with them, no buffer
/// grows without bound and no state lasts forever.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest assembled message accepted (all fragments together). A larger one
    /// fails the connection with 1009 as soon as its header announces the size,
    /// before any of it is buffered. Godot: `inbound_buffer_size`.
    pub max_message_size: usize,
    /// Complete received messages waiting to be read, in bytes. Once reached, the
    /// connection stops taking input (the caller stops reading the socket, so TCP
    /// flow control pushes back); nothing is dropped. Worst-case inbound memory is
    /// this plus `max_message_size` plus one read. Godot: `inbound_buffer_size`.
    pub max_inbound_buffered: usize,
    /// Messages waiting, counted separately each way: inbound it stops reading like
    /// `max_inbound_buffered`; outbound a further send is refused. Godot: `max_queued_packets`.
    pub max_queued_messages: usize,
    /// Payload bytes queued for sending; a send that would exceed it is refused.
    /// While answers to the peer (pongs, Close) wait behind more than this, the
    /// connection stops taking input, as it does at 2 KiB of unsent answers
    /// whatever this is (`outbox::CONTROL_QUEUE_LIMIT`): a peer that sends
    /// without reading is pushed back by TCP, and pongs it asks for replace
    /// each other instead of queueing. `None` = unlimited.
    /// Godot: `outbound_buffer_size` (≤ 0 means unlimited).
    pub max_outbound_buffered: Option<usize>,
    /// Largest HTTP header block accepted during the opening handshake.
    pub max_handshake_bytes: usize,
    /// How long the opening handshake may take once the transport is connected.
    pub handshake_timeout: Duration,
    /// How long to wait for the peer's Close after ours, or for ours to be written.
    pub close_timeout: Duration,
}

impl Default for Limits {
    /// The engine's defaults (65535 / 65535 / 4096), plus bounds the engine lacks.
    fn default() -> Self {
        Limits {
            max_message_size: 65535,
            max_inbound_buffered: 65535,
            max_queued_messages: 4096,
            max_outbound_buffered: Some(65535),
            max_handshake_bytes: 8192,
            handshake_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(5),
        }
    }
}
