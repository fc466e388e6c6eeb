//! WebSocket connections over the `ws-protocol` core, with no Godot in them: what
//! both Godot classes are façades over, tested with plain `cargo test` on every
//! platform the addon ships for.
//!
//! - `websocket`: one connection through its whole life, the type the classes drive;
//! - `client` / `server`: the ways to OPEN (lookup, TCP, TLS, handshake; or the
//!   server's handshake over an accepted transport);
//! - `live`: an open connection, the core driven over a transport;
//! - `transport`: our own sockets, rustls over them, or a stream someone else owns
//!   (`ExternalStream`, how the engine's `StreamPeer` plugs in);
//! - `net`: name lookups, TCP connects, the listener;
//! - `proxy`: HTTP(S) proxies, from the settings or the environment, and `CONNECT`;
//! - `forwarded`: a player's address from a trusted load balancer (PROXY protocol, `X-Forwarded-For`);
//! - `tls`: rustls client and server set-up and the record stream;
//! - `readiness`: whether a socket may have input without a syscall, the platform seam;
//! - `config`, `failure`, `clock`: the settings, why a connection failed, the real clock;
//! - `report`: which failures belong in a game's log.
//!
//! Nothing blocks and nothing runs by itself: every step happens in a call that is
//! given the current time, so tests drive every timeout with the time they choose.

mod client;
pub mod clock;
pub mod config;
pub mod failure;
pub mod forwarded;
mod live;
pub mod net;
pub mod proxy;
pub mod readiness;
mod report;
mod server;
pub mod tls;
pub mod transport;
pub mod websocket;

pub use config::Config;
pub use failure::{Failure, FailureKind};
pub use transport::{ExternalStream, ReadOutcome, StreamReadiness, Transport};
pub use websocket::{ConnectError, FailureReport, ReadyState, SendFailure, WebSocket, Write};
