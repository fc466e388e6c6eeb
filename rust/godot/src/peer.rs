//! `RustWebSocketPeer`: the Godot class.

use godot::classes::{IPacketPeerExtension, PacketPeerExtension};
use godot::global::Error;
use godot::meta::conv::RawPtr;
use godot::prelude::*;

/// A WebSocket connection: a client (`connect_to_url`) or the server side of an
/// accepted TCP/TLS stream (`accept_stream`). Drop-in replacement for `WebSocketPeer`.
#[derive(GodotClass)]
#[class(base = PacketPeerExtension, init, tool, rename = RustWebSocketPeer)]
pub struct WebSocketPeer {
    base: Base<PacketPeerExtension>,
}

#[godot_api]
impl IPacketPeerExtension for WebSocketPeer {
    unsafe fn get_packet_rawptr(
        &mut self,
        _r_buffer: RawPtr<*mut RawPtr<*const u8>>,
        _r_buffer_size: RawPtr<*mut i32>,
    ) -> Error {
        Error::ERR_UNAVAILABLE
    }

    unsafe fn put_packet_rawptr(&mut self, _p_buffer: RawPtr<*const u8>, _p_buffer_size: i32) -> Error {
        Error::FAILED
    }

    fn get_available_packet_count(&self) -> i32 {
        0
    }

    fn get_max_packet_size(&self) -> i32 {
        65535
    }
}
