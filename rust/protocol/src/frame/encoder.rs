//! Frame encoding. Every frame we send is final (FIN=1) unless a caller fragments.

use super::header::MAX_HEADER_LEN;
use crate::mask::extend_masked;
use crate::OpCode;

/// Appends a header with the minimal length encoding.
pub fn encode_header(out: &mut Vec<u8>, fin: bool, opcode: OpCode, mask: Option<[u8; 4]>, payload_len: usize) {
    encode_header_rsv1(out, fin, false, opcode, mask, payload_len);
}

/// As `encode_header`, with RSV1 (a compressed message's first frame) when `rsv1`.
pub fn encode_header_rsv1(
    out: &mut Vec<u8>,
    fin: bool,
    rsv1: bool,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    payload_len: usize,
) {
    let mut header = [0u8; MAX_HEADER_LEN];
    header[0] = (if fin { 0x80 } else { 0 }) | (if rsv1 { 0x40 } else { 0 }) | opcode as u8;
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let mut at = 2;
    if payload_len < 126 {
        header[1] = mask_bit | payload_len as u8;
    } else if payload_len <= 0xffff {
        header[1] = mask_bit | 126;
        header[2..4].copy_from_slice(&(payload_len as u16).to_be_bytes());
        at = 4;
    } else {
        header[1] = mask_bit | 127;
        header[2..10].copy_from_slice(&(payload_len as u64).to_be_bytes());
        at = 10;
    }
    if let Some(key) = mask {
        header[at..at + 4].copy_from_slice(&key);
        at += 4;
    }
    out.extend_from_slice(&header[..at]);
}

/// Appends a whole final frame, masking the payload when a key is given.
pub fn encode_frame(out: &mut Vec<u8>, opcode: OpCode, payload: &[u8], mask: Option<[u8; 4]>) {
    encode_frame_rsv1(out, false, opcode, payload, mask);
}

/// As `encode_frame`, with RSV1 when `rsv1` (a compressed message).
pub fn encode_frame_rsv1(out: &mut Vec<u8>, rsv1: bool, opcode: OpCode, payload: &[u8], mask: Option<[u8; 4]>) {
    out.reserve(MAX_HEADER_LEN + payload.len());
    encode_header_rsv1(out, true, rsv1, opcode, mask, payload.len());
    match mask {
        Some(key) => extend_masked(out, payload, key),
        None => out.extend_from_slice(payload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples() {
        // RFC 6455 §5.7.
        let mut out = Vec::new();
        encode_frame(&mut out, OpCode::Text, b"Hello", None);
        assert_eq!(out, [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        out.clear();
        encode_frame(&mut out, OpCode::Text, b"Hello", Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(out, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
        out.clear();
        encode_header(&mut out, true, OpCode::Binary, None, 256);
        assert_eq!(out, [0x82, 0x7e, 0x01, 0x00]);
        out.clear();
        encode_header(&mut out, true, OpCode::Binary, None, 65536);
        assert_eq!(out, [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
    }

    #[test]
    fn length_boundaries_use_minimal_encoding() {
        for (len, header_len) in [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)] {
            let mut out = Vec::new();
            encode_header(&mut out, true, OpCode::Binary, None, len);
            assert_eq!(out.len(), header_len, "length {len}");
        }
    }
}
