//! The Godot binding: `RustWebSocketPeer` and `RustWebSocketMultiplayerPeer`, thin
//! façades over the connection crate (`ws-connection`), which does the networking.
//!
//! - `peer`, `multiplayer_peer`: one file per class;
//! - `settings`: the properties both classes share, one implementation;
//! - `calls`: what both classes do the same way on a connection (start a client, send);
//! - `engine`: adapters to the engine's types and every workaround, with the list of
//!   what to re-check on a gdext or Godot upgrade.

use godot::init::{gdextension, ExtensionLibrary, InitStage};

mod calls;
mod engine;
mod multiplayer_peer;
mod peer;
mod settings;

pub use peer::WebSocketPeer;

use engine::{class_enums, docs, first_import};

struct WebSocketRs;

#[gdextension]
unsafe impl ExtensionLibrary for WebSocketRs {
    fn on_stage_init(stage: InitStage) {
        // Our class is registered at Scene level just before this hook runs.
        if stage == InitStage::Scene {
            class_enums::register::<WebSocketPeer>();
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
