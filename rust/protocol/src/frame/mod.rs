//! Frames (RFC 6455 §5): the header format, an incremental decoder and the encoder.

mod decoder;
mod encoder;
mod header;

pub use decoder::{FrameDecoder, FrameEvent};
pub use encoder::{encode_frame, encode_frame_rsv1, encode_header, encode_header_rsv1};
pub use header::{FrameError, FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN};
