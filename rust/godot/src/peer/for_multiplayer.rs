//! What `RustWebSocketMultiplayerPeer` asks of a peer beyond the class's own
//! methods (which it calls straight from Rust, not through Godot's dispatch).

use godot::global::Error;
use godot::prelude::*;

use super::{Phase, WebSocketPeer, Write};
use crate::transport::Transport;

/// The settings a multiplayer peer copies to every peer it creates (not the
/// heartbeat, as the engine's class).
pub struct PeerConfig {
    pub supported_protocols: PackedStringArray,
    pub handshake_headers: PackedStringArray,
    pub inbound_buffer_size: i32,
    pub outbound_buffer_size: i32,
    pub max_queued_packets: i32,
}

impl WebSocketPeer {
    pub(crate) fn configured(config: &PeerConfig) -> Gd<WebSocketPeer> {
        let mut peer = WebSocketPeer::new_gd();
        {
            let mut this = peer.bind_mut();
            this.supported_protocols = config.supported_protocols.clone();
            this.handshake_headers = config.handshake_headers.clone();
            this.inbound_buffer_size = config.inbound_buffer_size;
            this.outbound_buffer_size = config.outbound_buffer_size;
            this.max_queued_packets = config.max_queued_packets;
        }
        peer
    }

    /// Starts the server side of a connection the multiplayer server accepted on its
    /// own socket (plain, or rustls' server TLS over it).
    pub(crate) fn accept_owned(&mut self, transport: Transport) {
        self.reset_failure();
        self.clear();
        self.start_accepting(transport);
    }

    /// The next received message, text or binary alike.
    pub(crate) fn next_message(&mut self) -> Option<Vec<u8>> {
        self.pop_message().map(|message| message.data)
    }

    pub(crate) fn send_binary(&mut self, data: &[u8]) -> Error {
        self.send_message("put_packet", data, false)
    }

    /// Queues a packet to leave with the next `flush_queued` or `poll`, in one write
    /// with the others queued meanwhile.
    pub(crate) fn queue_binary(&mut self, data: &[u8]) -> Error {
        self.send_message_at("put_packet", data, false, Write::Later)
    }

    /// Writes what `queue_binary` queued, as far as the transport takes it now.
    pub(crate) fn flush_queued(&mut self) {
        if let Phase::Live(live) = &mut self.phase {
            live.flush();
        }
        self.report_live_failure("put_packet");
    }

    pub(crate) fn close_normally(&mut self) {
        self.close(1000, GString::new())
    }
}
