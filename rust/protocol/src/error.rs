//! Typed errors. Each protocol error maps to exactly one close code; each API
//! error to exactly one Godot `Error` value (named in its doc).

use crate::close_code;
use crate::frame::FrameError;

/// The peer broke the protocol: the connection is failed with `close_code()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    Frame(FrameError),
    /// A continuation frame with no message in progress.
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is in progress.
    MessageInterrupted,
    /// Text that is not UTF-8 (checked as it arrives, across fragments).
    InvalidUtf8,
    /// The assembled message would exceed the limit.
    MessageTooBig {
        size: u64,
        limit: usize,
    },
    /// A compressed message inflates past the limit (checked as it inflates).
    InflatedTooBig {
        limit: usize,
    },
    /// A compressed message is not a valid DEFLATE stream.
    CorruptDeflate,
    /// A Close frame with a 1-byte payload.
    TruncatedClose,
    /// A Close frame with a code that may not be sent.
    InvalidCloseCode(u16),
    /// A Close reason that is not UTF-8.
    InvalidCloseReason,
}

impl ProtocolError {
    pub fn close_code(&self) -> u16 {
        match self {
            ProtocolError::InvalidUtf8 | ProtocolError::InvalidCloseReason | ProtocolError::CorruptDeflate => {
                close_code::INVALID_PAYLOAD
            }
            ProtocolError::MessageTooBig { .. } | ProtocolError::InflatedTooBig { .. } => close_code::MESSAGE_TOO_BIG,
            _ => close_code::PROTOCOL_ERROR,
        }
    }

    /// The local close reason, worded as the engine words it.
    pub fn reason(&self) -> &'static str {
        match self.close_code() {
            close_code::INVALID_PAYLOAD => "Invalid frame payload data",
            close_code::MESSAGE_TOO_BIG => "Message too big",
            _ => "Protocol error",
        }
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtocolError::Frame(e) => e.fmt(f),
            ProtocolError::UnexpectedContinuation => f.write_str("continuation frame without a message in progress"),
            ProtocolError::MessageInterrupted => f.write_str("new data frame inside a fragmented message"),
            ProtocolError::InvalidUtf8 => f.write_str("text message is not valid UTF-8"),
            ProtocolError::MessageTooBig { size, limit } => {
                write!(f, "message of {size} bytes exceeds inbound_buffer_size ({limit})")
            }
            ProtocolError::InflatedTooBig { limit } => {
                write!(f, "compressed message inflates past inbound_buffer_size ({limit})")
            }
            ProtocolError::CorruptDeflate => f.write_str("compressed message is not valid DEFLATE data"),
            ProtocolError::TruncatedClose => f.write_str("close frame with a 1-byte payload"),
            ProtocolError::InvalidCloseCode(code) => write!(f, "close frame with invalid code {code}"),
            ProtocolError::InvalidCloseReason => f.write_str("close reason is not valid UTF-8"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Why a message could not be queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Not open (connecting, closing or closed). Godot: `FAILED`.
    NotOpen,
    /// `max_queued_messages` messages are already waiting. Godot: `ERR_OUT_OF_MEMORY`.
    TooManyQueued { limit: usize },
    /// The message does not fit in `max_outbound_buffered`. Godot: `ERR_OUT_OF_MEMORY`.
    BufferFull { queued: usize, size: usize, limit: usize },
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::NotOpen => f.write_str("connection is not open"),
            SendError::TooManyQueued { limit } => write!(f, "{limit} messages already queued (max_queued_packets)"),
            SendError::BufferFull { queued, size, limit } => write!(
                f,
                "message of {size} bytes does not fit: {queued} of {limit} bytes already queued (outbound_buffer_size)"
            ),
        }
    }
}

impl std::error::Error for SendError {}

/// Why `close()` refused its arguments. Godot: `ERR_INVALID_PARAMETER` (logged;
/// the engine's `close` returns nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseError {
    /// A code that may not be sent (see [`crate::close_code::is_sendable`]).
    InvalidCode(i64),
    /// The reason is longer than 123 bytes of UTF-8.
    ReasonTooLong(usize),
}

impl std::fmt::Display for CloseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseError::InvalidCode(code) => {
                write!(f, "close code {code} may not be sent (use 1000-1003, 1007-1014 or 3000-4999)")
            }
            CloseError::ReasonTooLong(len) => write!(f, "close reason is {len} bytes of UTF-8 (max 123)"),
        }
    }
}

impl std::error::Error for CloseError {}
