//! permessage-deflate (RFC 7692): negotiation in the opening handshake and the
//! per-message codec. The connection uses it only once negotiated: without it,
//! RSV1 stays a protocol error and the wire bytes are those of plain RFC 6455.

mod codec;
mod extension_header;
mod negotiation;

pub use codec::{InflateError, MessageCompressor, MessageInflater, DEFAULT_LEVEL, SYNC_TAIL};
pub use extension_header::{parse_extensions, Extension};
pub use negotiation::{
    client_accept, client_offer, server_accept, DeflateConfig, DeflateParams, EXTENSION_NAME, MAX_WINDOW_BITS,
    MIN_WINDOW_BITS,
};
