//! Godot binding: registers `RustWebSocketPeer`, a drop-in replacement for the
//! engine's `WebSocketPeer`, mapping its API onto the `ws-protocol` core.

use godot::init::{gdextension, ExtensionLibrary, InitStage};

#[cfg(test)]
mod alloc_count;
#[cfg(feature = "call-floor-probe")]
mod call_floor_probe;
mod cert_verifier;
mod class_enums;
mod client;
mod clock;
mod docs;
mod failure;
mod first_import;
mod live;
mod log;
mod multiplayer_peer;
mod peer;
mod raw_packet;
mod server;
mod settings;
mod tls_config;
mod tls_options;
mod tls_server_config;
mod transport;

pub use peer::WebSocketPeer;

#[cfg(test)]
#[global_allocator]
static ALLOCATOR: alloc_count::CountingAllocator = alloc_count::CountingAllocator;

struct WebSocketRs;

#[gdextension]
unsafe impl ExtensionLibrary for WebSocketRs {
    fn on_stage_init(stage: InitStage) {
        // Our class is registered at Scene level just before this hook runs.
        if stage == InitStage::Scene {
            class_enums::register::<WebSocketPeer>();
            #[cfg(feature = "call-floor-probe")]
            call_floor_probe::register();
        }
        if stage == InitStage::Editor && first_import::on_editor_init() {
            docs::PAGES.iter().for_each(|page| docs::register(page));
        }
    }

    fn on_stage_deinit(stage: InitStage) {
        if stage == InitStage::MainLoop {
            first_import::on_main_loop_shutdown();
        }
    }
}
