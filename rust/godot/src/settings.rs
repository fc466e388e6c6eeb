//! The peer's configuration properties and the core limits they become.

use godot::builtin::{GString, PackedStringArray};
use ws_protocol::deflate::{DeflateConfig, DeflateParams};
use ws_protocol::handshake::Request;
use ws_protocol::Limits;

#[derive(Clone, Debug)]
pub struct Settings {
    pub supported_protocols: Vec<String>,
    pub handshake_headers: Vec<String>,
    pub inbound_buffer_size: i32,
    pub outbound_buffer_size: i32,
    pub max_queued_packets: i32,
    /// permessage-deflate: a client offers it, a server accepts offers.
    pub compression_enabled: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            supported_protocols: Vec::new(),
            handshake_headers: Vec::new(),
            inbound_buffer_size: 65535,
            outbound_buffer_size: 65535,
            max_queued_packets: 4096,
            compression_enabled: false,
        }
    }
}

impl Settings {
    /// Limits for a connection opening now. The inbound size bounds one message
    /// and the bytes of unread messages; `outbound_buffer_size <= 0` is unlimited.
    pub fn limits(&self) -> Limits {
        let inbound = self.inbound_buffer_size.max(1) as usize;
        Limits {
            max_message_size: inbound,
            max_inbound_buffered: inbound,
            max_queued_messages: self.max_queued_packets.max(1) as usize,
            max_outbound_buffered: outbound_limit(self.outbound_buffer_size),
            ..Limits::default()
        }
    }
}

impl Settings {
    /// What a client offers: permessage-deflate with the defaults, when enabled.
    pub fn deflate_offer(&self) -> Option<DeflateConfig> {
        self.compression_enabled.then(DeflateConfig::default)
    }

    /// A server's answer to the client's permessage-deflate offers, when enabled:
    /// the agreed parameters and the `Sec-WebSocket-Extensions` value.
    pub fn accept_deflate(&self, request: &Request) -> Option<(DeflateParams, String)> {
        self.compression_enabled.then(|| request.accept_deflate(&DeflateConfig::default())).flatten()
    }
}

/// `outbound_buffer_size` as a limit: 0 or less means none.
pub fn outbound_limit(outbound_buffer_size: i32) -> Option<usize> {
    (outbound_buffer_size > 0).then_some(outbound_buffer_size as usize)
}

/// Subprotocol names as the engine keeps them: surrounding blanks removed.
pub fn trimmed_protocols(protocols: &PackedStringArray) -> PackedStringArray {
    protocols.as_slice().iter().map(|p| GString::from(p.to_string().trim())).collect()
}
