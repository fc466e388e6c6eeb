//! The frame header: FIN, RSV1–3, opcode, MASK, payload length, masking key.

use crate::OpCode;

/// Control frames carry at most 125 payload bytes (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;
/// 2 fixed bytes + 8 extended length bytes + 4 masking key bytes.
pub const MAX_HEADER_LEN: usize = 14;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    pub fin: bool,
    /// RSV1: with permessage-deflate, the first frame of a compressed message.
    pub rsv1: bool,
    pub opcode: OpCode,
    pub mask: Option<[u8; 4]>,
    pub payload_len: u64,
}

/// A frame that breaks the framing rules. Every one of these fails the
/// connection with close code 1002 (protocol error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// RSV1–3 set while no extension was negotiated.
    ReservedBits(u8),
    /// RSV1 on a control frame, which is never compressed (RFC 7692 §6.1).
    CompressedControlFrame,
    /// RSV1 on a continuation frame: only a message's first frame carries it (RFC 7692 §6.1).
    CompressedContinuation,
    ReservedOpcode(u8),
    FragmentedControlFrame,
    ControlFrameTooLong,
    /// The length used more bytes than needed (§5.2: "the minimal number of bytes MUST be used").
    NonMinimalLength,
    /// The most significant bit of a 64-bit length must be 0.
    LengthOverflow,
    /// A server received an unmasked frame.
    UnmaskedFrame,
    /// A client received a masked frame.
    MaskedFrame,
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::ReservedBits(bits) => write!(f, "reserved bits {bits:#x} set without a negotiated extension"),
            FrameError::CompressedControlFrame => f.write_str("RSV1 set on a control frame"),
            FrameError::CompressedContinuation => f.write_str("RSV1 set on a continuation frame"),
            FrameError::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            FrameError::FragmentedControlFrame => f.write_str("fragmented control frame"),
            FrameError::ControlFrameTooLong => f.write_str("control frame payload over 125 bytes"),
            FrameError::NonMinimalLength => f.write_str("payload length not minimally encoded"),
            FrameError::LengthOverflow => f.write_str("64-bit payload length with the high bit set"),
            FrameError::UnmaskedFrame => f.write_str("unmasked frame from a client"),
            FrameError::MaskedFrame => f.write_str("masked frame from a server"),
        }
    }
}

impl FrameHeader {
    /// Total header length announced by the first two bytes.
    pub fn len_from_prefix(b1: u8) -> usize {
        let ext = match b1 & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        2 + ext + if b1 & 0x80 != 0 { 4 } else { 0 }
    }

    /// Checks what the first two bytes already decide: reserved bits and
    /// opcodes, mask direction, and the control-frame rules. Returns the opcode.
    /// `allow_rsv1`: permessage-deflate was negotiated.
    pub fn parse_prefix(b0: u8, b1: u8, expect_masked: bool, allow_rsv1: bool) -> Result<OpCode, FrameError> {
        let rsv = b0 & if allow_rsv1 { 0x30 } else { 0x70 };
        if rsv != 0 {
            return Err(FrameError::ReservedBits(rsv >> 4));
        }
        let opcode = OpCode::from_u8(b0 & 0x0f).ok_or(FrameError::ReservedOpcode(b0 & 0x0f))?;
        if b0 & 0x40 != 0 {
            if opcode.is_control() {
                return Err(FrameError::CompressedControlFrame);
            }
            if opcode == OpCode::Continuation {
                return Err(FrameError::CompressedContinuation);
            }
        }
        if (b1 & 0x80 != 0) != expect_masked {
            return Err(if expect_masked { FrameError::UnmaskedFrame } else { FrameError::MaskedFrame });
        }
        if opcode.is_control() {
            if b0 & 0x80 == 0 {
                return Err(FrameError::FragmentedControlFrame);
            }
            if (b1 & 0x7f) as usize > MAX_CONTROL_PAYLOAD {
                // 126 and 127 announce an extended length, necessarily > 125.
                return Err(FrameError::ControlFrameTooLong);
            }
        }
        Ok(opcode)
    }

    /// Parses a complete header (`bytes.len() == len_from_prefix(..)`).
    /// `expect_masked` is true on the server side.
    pub fn parse(bytes: &[u8], expect_masked: bool, allow_rsv1: bool) -> Result<FrameHeader, FrameError> {
        let (b0, b1) = (bytes[0], bytes[1]);
        let opcode = Self::parse_prefix(b0, b1, expect_masked, allow_rsv1)?;
        let fin = b0 & 0x80 != 0;
        let masked = b1 & 0x80 != 0;
        let (payload_len, mut at) = match b1 & 0x7f {
            126 => {
                let len = u16::from_be_bytes([bytes[2], bytes[3]]) as u64;
                if len < 126 {
                    return Err(FrameError::NonMinimalLength);
                }
                (len, 4)
            }
            127 => {
                let len = u64::from_be_bytes(bytes[2..10].try_into().expect("8 length bytes"));
                if len >> 63 != 0 {
                    return Err(FrameError::LengthOverflow);
                }
                if len <= 0xffff {
                    return Err(FrameError::NonMinimalLength);
                }
                (len, 10)
            }
            short => (short as u64, 2),
        };
        let mask = if masked {
            let key = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
            at += 4;
            Some(key)
        } else {
            None
        };
        debug_assert_eq!(at, bytes.len());
        Ok(FrameHeader { fin, rsv1: b0 & 0x40 != 0, opcode, mask, payload_len })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8], server: bool) -> Result<FrameHeader, FrameError> {
        assert_eq!(FrameHeader::len_from_prefix(bytes[1]), bytes.len());
        FrameHeader::parse(bytes, server, false)
    }

    #[test]
    fn parses_the_three_length_encodings() {
        assert_eq!(parse(&[0x81, 0x05], false).unwrap().payload_len, 5);
        assert_eq!(parse(&[0x82, 0x7e, 0x01, 0x00], false).unwrap().payload_len, 256);
        assert_eq!(parse(&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0], false).unwrap().payload_len, 65536);
    }

    #[test]
    fn reads_fin_opcode_and_mask() {
        let h = parse(&[0x01, 0x83, 1, 2, 3, 4], true).unwrap();
        assert_eq!(
            h,
            FrameHeader { fin: false, rsv1: false, opcode: OpCode::Text, mask: Some([1, 2, 3, 4]), payload_len: 3 }
        );
    }

    #[test]
    fn rejects_rule_breaking_headers() {
        assert_eq!(parse(&[0xc1, 0x00], false), Err(FrameError::ReservedBits(4)));
        assert_eq!(parse(&[0x83, 0x00], false), Err(FrameError::ReservedOpcode(3)));
        assert_eq!(parse(&[0x8b, 0x00], false), Err(FrameError::ReservedOpcode(0xb)));
        assert_eq!(parse(&[0x09, 0x00], false), Err(FrameError::FragmentedControlFrame));
        assert_eq!(parse(&[0x89, 0x7e, 0x00, 0x7e], false), Err(FrameError::ControlFrameTooLong));
        assert_eq!(parse(&[0x82, 0x7e, 0x00, 0x7d], false), Err(FrameError::NonMinimalLength));
        assert_eq!(parse(&[0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff], false), Err(FrameError::NonMinimalLength));
        assert_eq!(parse(&[0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0], false), Err(FrameError::LengthOverflow));
        assert_eq!(parse(&[0x82, 0x00], true), Err(FrameError::UnmaskedFrame));
        assert_eq!(parse(&[0x82, 0x80, 0, 0, 0, 0], false), Err(FrameError::MaskedFrame));
    }

    #[test]
    fn rsv1_only_where_permessage_deflate_allows_it() {
        let deflate = |bytes: &[u8]| FrameHeader::parse(bytes, false, true);
        assert!(deflate(&[0xc1, 0x00]).unwrap().rsv1, "first frame of a compressed text message");
        assert!(deflate(&[0x42, 0x00]).unwrap().rsv1, "first frame of a fragmented binary message");
        assert_eq!(parse(&[0xc1, 0x00], false), Err(FrameError::ReservedBits(4)), "not negotiated");
        assert_eq!(deflate(&[0xc9, 0x00]), Err(FrameError::CompressedControlFrame));
        assert_eq!(deflate(&[0xc8, 0x00]), Err(FrameError::CompressedControlFrame));
        assert_eq!(deflate(&[0xc0, 0x00]), Err(FrameError::CompressedContinuation));
        assert_eq!(deflate(&[0xa1, 0x00]), Err(FrameError::ReservedBits(2)), "RSV2 stays reserved");
        assert_eq!(deflate(&[0x91, 0x00]), Err(FrameError::ReservedBits(1)), "RSV3 stays reserved");
    }
}
