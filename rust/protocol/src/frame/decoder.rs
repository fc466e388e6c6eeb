//! Incremental frame decoder: any split of the input gives the same events.

use super::header::{FrameError, FrameHeader, MAX_HEADER_LEN};

/// What the decoder found in the input.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameEvent<'a> {
    /// A complete, rule-checked header.
    Header(FrameHeader),
    /// Payload bytes of the current frame, still masked. `offset` is how many
    /// payload bytes of this frame came before (the masking phase).
    Payload { data: &'a [u8], offset: u64 },
    /// The current frame's payload is complete.
    End,
}

#[derive(Debug)]
enum Stage {
    Header,
    Payload { remaining: u64, offset: u64 },
    End,
}

/// Splits a byte stream into frames without buffering payloads: payload bytes
/// are handed out as slices of the caller's input, so the caller decides where
/// they go (and the decoder never allocates).
#[derive(Debug)]
pub struct FrameDecoder {
    expect_masked: bool,
    allow_rsv1: bool,
    header: [u8; MAX_HEADER_LEN],
    header_len: usize,
    stage: Stage,
}

impl FrameDecoder {
    /// `expect_masked`: true for a server (client frames must be masked).
    pub fn new(expect_masked: bool) -> Self {
        FrameDecoder {
            expect_masked,
            allow_rsv1: false,
            header: [0; MAX_HEADER_LEN],
            header_len: 0,
            stage: Stage::Header,
        }
    }

    /// Accepts RSV1 on the first frame of a data message (permessage-deflate negotiated).
    pub fn allow_rsv1(&mut self) {
        self.allow_rsv1 = true;
    }

    /// Decodes from `input`. Returns the number of bytes consumed and the next
    /// event, or `None` once all input was consumed without completing one.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Option<FrameEvent<'a>>), FrameError> {
        match self.stage {
            Stage::End => {
                self.stage = Stage::Header;
                Ok((0, Some(FrameEvent::End)))
            }
            Stage::Payload { remaining, offset } => {
                if input.is_empty() {
                    return Ok((0, None));
                }
                let n = remaining.min(input.len() as u64) as usize;
                self.stage = if n as u64 == remaining {
                    Stage::End
                } else {
                    Stage::Payload { remaining: remaining - n as u64, offset: offset + n as u64 }
                };
                Ok((n, Some(FrameEvent::Payload { data: &input[..n], offset })))
            }
            Stage::Header => self.decode_header(input),
        }
    }

    fn decode_header<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Option<FrameEvent<'a>>), FrameError> {
        let mut consumed = 0;
        let need_prefix = 2usize.saturating_sub(self.header_len);
        if need_prefix > 0 {
            let n = need_prefix.min(input.len());
            self.header[self.header_len..self.header_len + n].copy_from_slice(&input[..n]);
            self.header_len += n;
            consumed += n;
            if self.header_len < 2 {
                return Ok((consumed, None));
            }
        }
        let total = FrameHeader::len_from_prefix(self.header[1]);
        let n = (total - self.header_len).min(input.len() - consumed);
        self.header[self.header_len..self.header_len + n].copy_from_slice(&input[consumed..consumed + n]);
        self.header_len += n;
        consumed += n;
        if self.header_len < total {
            // Fail early on what the first two bytes already rule out.
            FrameHeader::parse_prefix(self.header[0], self.header[1], self.expect_masked, self.allow_rsv1)?;
            return Ok((consumed, None));
        }
        let header = FrameHeader::parse(&self.header[..total], self.expect_masked, self.allow_rsv1)?;
        self.header_len = 0;
        self.stage = if header.payload_len == 0 {
            Stage::End
        } else {
            Stage::Payload { remaining: header.payload_len, offset: 0 }
        };
        Ok((consumed, Some(FrameEvent::Header(header))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::encode_frame;
    use crate::OpCode;

    /// Collects (header, unmasked payload) pairs from input fed in pieces of `step`.
    fn frames(input: &[u8], step: usize, server: bool) -> Result<Vec<(FrameHeader, Vec<u8>)>, FrameError> {
        let mut dec = FrameDecoder::new(server);
        let mut out: Vec<(FrameHeader, Vec<u8>)> = Vec::new();
        for piece in input.chunks(step.max(1)) {
            let mut rest = piece;
            loop {
                let (n, ev) = dec.decode(rest)?;
                rest = &rest[n..];
                match ev {
                    None => break,
                    Some(FrameEvent::Header(h)) => out.push((h, Vec::new())),
                    Some(FrameEvent::Payload { data, offset }) => {
                        let (h, buf) = out.last_mut().unwrap();
                        assert_eq!(offset as usize, buf.len());
                        let start = buf.len();
                        buf.extend_from_slice(data);
                        if let Some(key) = h.mask {
                            crate::mask::apply_mask(&mut buf[start..], key, offset as usize);
                        }
                    }
                    Some(FrameEvent::End) => {}
                }
            }
        }
        Ok(out)
    }

    #[test]
    fn every_split_gives_the_same_frames() {
        let mut wire = Vec::new();
        encode_frame(&mut wire, OpCode::Text, b"hello", Some([9, 8, 7, 6]));
        encode_frame(&mut wire, OpCode::Ping, b"", Some([1, 1, 1, 1]));
        encode_frame(&mut wire, OpCode::Binary, &vec![7u8; 300], Some([4, 3, 2, 1]));
        encode_frame(&mut wire, OpCode::Binary, &vec![5u8; 70000], Some([0xff, 0, 0xff, 0]));
        let whole = frames(&wire, wire.len(), true).unwrap();
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[0].1, b"hello");
        assert_eq!(whole[1].1, b"");
        assert_eq!(whole[2].1, vec![7u8; 300]);
        assert_eq!(whole[3].1, vec![5u8; 70000]);
        for step in [1, 2, 3, 5, 13, 14, 15, 127, 1000] {
            assert_eq!(frames(&wire, step, true).unwrap(), whole, "step {step}");
        }
    }

    #[test]
    fn zero_length_frame_emits_header_then_end() {
        let mut dec = FrameDecoder::new(false);
        let (n, ev) = dec.decode(&[0x8a, 0x00, 0x81]).unwrap();
        assert_eq!(n, 2);
        assert!(matches!(ev, Some(FrameEvent::Header(h)) if h.opcode == OpCode::Pong));
        assert_eq!(dec.decode(&[0x81]).unwrap(), (0, Some(FrameEvent::End)));
        assert_eq!(dec.decode(&[0x81]).unwrap(), (1, None));
    }

    #[test]
    fn rejects_mask_direction_early() {
        // A server sees an unmasked 64-bit-length frame: rejected on the first two bytes.
        let mut dec = FrameDecoder::new(true);
        assert_eq!(dec.decode(&[0x82, 0x7f]), Err(FrameError::UnmaskedFrame));
    }
}
