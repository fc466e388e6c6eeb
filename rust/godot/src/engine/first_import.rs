//! Keeps the first headless import of a project alive (godotengine/godot#111048).
//!
//! A headless editor run (`--import`, `--editor --quit`, `--export-*`) on a project
//! whose `.godot/extension_list.cfg` does not list us yet loads the library in the
//! middle of the session. Godot 4.6 then regenerates the extension class docs in a
//! deferred call that only runs in `Main::cleanup`, after the editor has freed its doc
//! store, and the process dies with SIGABRT (exit code 134). That call is harmless
//! when no extension class is registered and no extension page was loaded. So, in
//! exactly that case (loaded late, headless), we load no help page (nobody reads it
//! in a headless run) and unregister our classes in the main-loop shutdown callback,
//! which runs before the deferred call. Godot 4.6.3's `Main::cleanup` shows the order.

use std::sync::atomic::{AtomicBool, Ordering};

use godot::classes::{DisplayServer, Engine};
use godot::init::InitLevel;
use godot::obj::Singleton;

/// Set at Editor-level init when the library was loaded late into a headless editor.
static LOADED_LATE_HEADLESS: AtomicBool = AtomicBool::new(false);

/// Called at Editor-level init. Returns whether the editor help page may be loaded.
pub fn on_editor_init() -> bool {
    // At start-up no main loop exists yet; a library found by the first scan sees one.
    let late = Engine::singleton().get_main_loop().is_some();
    let headless = late && DisplayServer::singleton().get_name() == "headless";
    LOADED_LATE_HEADLESS.store(headless, Ordering::Relaxed);
    !headless
}

/// Called when the main loop shuts down, before Godot's deferred doc generation.
pub fn on_main_loop_shutdown() {
    if LOADED_LATE_HEADLESS.load(Ordering::Relaxed) {
        // gdext's own unregistration, so that its Scene-level pass later finds nothing
        // left to do (calling Godot directly would make that pass fail with an error).
        // No instance is alive: a headless editor run is shutting down.
        godot_core::registry::class::unregister_classes(InitLevel::Scene);
    }
}
