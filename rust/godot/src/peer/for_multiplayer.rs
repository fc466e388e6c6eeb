//! What `RustWebSocketMultiplayerPeer` asks of a peer, called straight from Rust
//! rather than through Godot's method dispatch: the same methods a game calls.

use godot::classes::StreamPeer;
use godot::global::Error;
use godot::prelude::*;

use super::{Phase, WebSocketPeer};
use crate::class_enums::State;
use crate::tls_options::OptTls;

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

    pub(crate) fn start_client(&mut self, url: GString, tls: OptTls) -> Error {
        self.connect_to_url(url, tls)
    }

    pub(crate) fn start_server(&mut self, stream: Gd<StreamPeer>) -> Error {
        self.accept_stream(Some(stream))
    }

    pub(crate) fn update(&mut self) {
        self.poll()
    }

    pub(crate) fn ready_state(&self) -> State {
        self.get_ready_state()
    }

    /// The next received message, text or binary alike.
    pub(crate) fn next_message(&mut self) -> Option<Vec<u8>> {
        match &mut self.phase {
            Phase::Live(live) => live.conn.pop_message().map(|message| message.data),
            _ => None,
        }
    }

    pub(crate) fn send_binary(&mut self, data: &[u8]) -> Error {
        self.send_message("put_packet", data, false)
    }

    pub(crate) fn close_normally(&mut self) {
        self.close(1000, GString::new())
    }

    pub(crate) fn remote_host(&self) -> GString {
        self.get_connected_host()
    }

    pub(crate) fn remote_port(&self) -> i32 {
        self.get_connected_port()
    }
}
