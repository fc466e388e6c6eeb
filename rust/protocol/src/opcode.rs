//! Frame opcodes (RFC 6455 §5.2, §11.8).

/// The 4-bit opcode of a frame. Reserved values are rejected while decoding,
/// so every `OpCode` that exists is one the protocol defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpCode {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

impl OpCode {
    /// `None` for the reserved opcodes 0x3–0x7 and 0xB–0xF.
    pub fn from_u8(value: u8) -> Option<OpCode> {
        Some(match value {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            _ => return None,
        })
    }

    /// Control frames (close, ping, pong) have the high opcode bit set.
    pub fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_opcodes_are_unknown() {
        for v in (0x3..=0x7).chain(0xB..=0xF) {
            assert_eq!(OpCode::from_u8(v), None, "opcode {v:#x}");
        }
    }

    #[test]
    fn defined_opcodes_round_trip() {
        for op in [OpCode::Continuation, OpCode::Text, OpCode::Binary, OpCode::Close, OpCode::Ping, OpCode::Pong] {
            assert_eq!(OpCode::from_u8(op as u8), Some(op));
        }
        assert!(OpCode::Ping.is_control() && OpCode::Close.is_control() && OpCode::Pong.is_control());
        assert!(!OpCode::Text.is_control() && !OpCode::Continuation.is_control());
    }
}
