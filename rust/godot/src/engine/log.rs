//! Log lines located where a game developer looks: the class and method the game
//! called (`RustWebSocketPeer.get_packet`, `RustWebSocketMultiplayerPeer.poll`) and
//! our source line, instead of the Rust trait path gdext's `godot_error!` derives
//! from the enclosing function.
//!
//! Errors are for programmer errors only (bad arguments, calls the state does not
//! allow); outcomes of the network are warnings, at most one per connection.

use godot::global::{print_custom, PrintLevel, PrintRecord, PrintSource};
use ws_connection::{Failure, WebSocket};

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

    /// A connection's one warning: `<class>.<method>: <connection> failed: <reason>`.
    #[track_caller]
    pub fn failure(self, method: &str, connection: &str, failure: &Failure) {
        self.warn(method, &format!("{connection} failed: {}", failure.reason));
    }

    /// The warning of `ws`'s failure, once, if it has a new one.
    #[track_caller]
    pub fn new_failure(self, method: &str, ws: &mut WebSocket) {
        // Checked first: naming the connection allocates, and this runs on every poll.
        if !ws.has_new_failure() {
            return;
        }
        let name = ws.name();
        if let Some(failure) = ws.take_new_failure() {
            self.failure(method, &name, failure);
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
