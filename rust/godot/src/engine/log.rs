//! Log lines located where a game developer looks: the class and method the game
//! called (`RustWebSocketPeer.get_packet`, `RustWebSocketMultiplayerPeer.poll`) and
//! our source line, instead of the Rust trait path gdext's `godot_error!` derives
//! from the enclosing function.
//!
//! Errors are for programmer errors only (bad arguments, calls the state does not
//! allow); a failed attempt to connect is a warning, once per URL and cause; the end of
//! an open connection is logged only with `--verbose`.

use godot::classes::Os;
use godot::global::{godot_print, print_custom, PrintLevel, PrintRecord, PrintSource};
use godot::obj::Singleton;
use ws_connection::WebSocket;

/// Where a class's log lines come from.
#[derive(Clone, Copy)]
pub struct Log {
    class: &'static str,
}

impl Log {
    pub const fn new(class: &'static str) -> Log {
        Log { class }
    }

    /// `<class>.<method>: <message>`, as an error: a programmer error.
    #[track_caller]
    pub fn error(self, method: &str, message: &str) {
        self.emit(PrintLevel::Error, method, message);
    }

    /// `<class>.<method>: <message>`, as a warning: something the machine or the
    /// network did, not the caller.
    #[track_caller]
    pub fn warn(self, method: &str, message: &str) {
        self.emit(PrintLevel::Warn, method, message);
    }

    /// `ws`'s new failure, if it has one: `<class>.<method>: <connection> failed: <reason>`,
    /// as a warning when it belongs in the log (a failed attempt, once per URL and cause;
    /// see `ws_connection`'s report.rs), else only with Godot's `--verbose` (the end of an
    /// open connection).
    #[track_caller]
    pub fn new_failure(self, method: &str, ws: &mut WebSocket) {
        // Checked first: naming the connection allocates, and this runs on every poll.
        if !ws.has_new_failure() {
            return;
        }
        let name = ws.name();
        let Some(report) = ws.take_new_failure() else { return };
        let line = format!("{name} failed: {}", report.failure.reason);
        if report.log {
            self.warn(method, &line);
        } else if Os::singleton().is_stdout_verbose() {
            godot_print!("{}.{method}: {line}", self.class);
        }
    }

    #[track_caller]
    fn emit(self, level: PrintLevel, method: &str, message: &str) {
        let function = format!("{}.{method}", self.class);
        let text = format!("{function}: {message}");
        print_custom(PrintRecord {
            level,
            message: &text,
            rationale: None,
            source: Some(PrintSource::from_location(std::panic::Location::caller(), &function)),
            editor_notify: false,
        });
    }
}
