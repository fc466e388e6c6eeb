//! Whether a socket may have input, answered without a syscall: the one platform seam
//! of the live connection. An idle `poll()` would otherwise cost a `recv` that only
//! says "nothing here", the largest part of polling an idle connection.
//!
//! - Linux (`epoll.rs`): idle sockets are handed to one watcher thread blocked in
//!   `epoll_wait`, and the socket under an engine stream is found by its remote
//!   address (`socket_lookup.rs`) so it can be watched too.
//! - Elsewhere (`portable.rs`): every answer is "maybe", so every poll reads, as
//!   the engine's class does.
//!
//! Callers use `SocketWatch` (a socket of our own) and `RemoteSocketWatch` (a socket
//! someone else owns) the same way everywhere, with no `cfg` of their own.

#[cfg(target_os = "linux")]
mod epoll;
#[cfg(not(target_os = "linux"))]
mod portable;
#[cfg(target_os = "linux")]
mod socket_lookup;

#[cfg(target_os = "linux")]
pub use epoll::{RemoteSocketWatch, SocketWatch};
#[cfg(not(target_os = "linux"))]
pub use portable::{RemoteSocketWatch, SocketWatch};

/// Which implementation this build has, for logs and tests.
pub const PLATFORM: &str = if cfg!(target_os = "linux") { "epoll" } else { "portable" };
