//! Log lines located where a game developer looks: the class method
//! (`RustWebSocketPeer.get_packet`) and our source line, instead of the Rust
//! trait path gdext's `godot_error!` derives from the enclosing function.
//!
//! Errors are for programmer errors only (bad arguments, calls the state does
//! not allow); outcomes of the network are warnings, at most one per
//! connection (see `failure.rs`).

use godot::global::{print_custom, PrintLevel, PrintRecord, PrintSource};

/// `ws_error!("method", "format", args…)`: an error located at `RustWebSocketPeer.method`.
macro_rules! ws_error {
    ($method:expr, $($fmt:tt)+) => {
        $crate::log::emit(godot::global::PrintLevel::Error, $method, &format!($($fmt)+))
    };
}

pub(crate) use ws_error;

/// Prints `RustWebSocketPeer.<method>: <message>` (errors through `ws_error!`;
/// warnings for network outcomes directly), located at that method and
/// the caller's file and line.
#[track_caller]
pub fn emit(level: PrintLevel, method: &str, message: &str) {
    emit_in("RustWebSocketPeer", level, method, message)
}

/// As [`emit`], for a method of `class`.
#[track_caller]
pub fn emit_in(class: &str, level: PrintLevel, method: &str, message: &str) {
    let function = format!("{class}.{method}");
    let text = format!("{function}: {message}");
    print_custom(PrintRecord {
        level,
        message: &text,
        rationale: None,
        source: Some(PrintSource::from_location(std::panic::Location::caller(), &function)),
        editor_notify: false,
    });
}
