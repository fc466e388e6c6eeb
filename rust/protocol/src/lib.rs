//! Sans-IO RFC 6455 WebSocket protocol core.
//!
//! Everything of WebSocket that is not I/O: the opening handshake (client and
//! server), frame encoding and incremental decoding, masking, message assembly
//! with incremental UTF-8 checks, the close handshake, heartbeat and limits; and the
//! PROXY protocol header a load balancer may send before the handshake.
//! Callers feed bytes and the current time in and take bytes and messages out;
//! nothing here touches sockets, clocks, threads or Godot.
#![forbid(unsafe_code)]

pub mod close;
pub mod close_code;
pub mod connection;
pub mod deflate;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod heartbeat;
pub mod limits;
pub mod mask;
pub mod message;
pub mod opcode;
pub mod outbox;
pub mod proxy_header;
pub mod utf8;
pub mod ws_url;

pub use close::CloseStatus;
pub use connection::{Connection, Role, State, Timeout};
pub use error::{CloseError, ProtocolError, SendError};
pub use handshake::{ClientHandshake, ClientOutcome, HandshakeError, Request, ServerHandshake, ServerOutcome};
pub use limits::Limits;
pub use message::Message;
pub use opcode::OpCode;
pub use ws_url::{UrlError, WsUrl};
