//! Godot binding: registers `RustWebSocketPeer`, a drop-in replacement for the
//! engine's `WebSocketPeer`, mapping its API onto the `ws-protocol` core.

use godot::init::{gdextension, ExtensionLibrary, InitStage};

#[cfg(test)]
mod alloc_count;
mod cert_verifier;
mod class_enums;
mod client;
mod clock;
mod docs;
mod failure;
mod live;
mod log;
mod peer;
mod server;
mod settings;
mod tls_config;
mod tls_options;
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
        }
        // gdext loaded the doc comments at this stage already; complete the page.
        if stage == InitStage::Editor {
            docs::register("RustWebSocketPeer");
        }
    }
}
