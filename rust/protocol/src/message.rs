//! Message assembly: fragments joined, text checked as it arrives, size bounded.

use crate::deflate::{InflateError, MessageInflater};
use crate::error::ProtocolError;
use crate::utf8::Utf8Validator;

/// Compressed payload is unmasked through a buffer of this size on the stack.
const UNMASK_CHUNK: usize = 4096;

/// A complete received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub is_text: bool,
    /// The payload; valid UTF-8 when `is_text`.
    pub data: Vec<u8>,
}

/// Builds one message from its data frames. Control frames never pass through
/// here, so their payloads can't end up inside a message (engine bug §13.3).
#[derive(Debug)]
pub struct MessageAssembler {
    max_size: usize,
    current: Option<Partial>,
    /// Present once permessage-deflate is negotiated.
    inflater: Option<MessageInflater>,
}

impl std::fmt::Debug for MessageInflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageInflater")
    }
}

#[derive(Debug)]
struct Partial {
    is_text: bool,
    /// RSV1 was set: `data` is inflated from the payload as it arrives.
    compressed: bool,
    data: Vec<u8>,
    utf8: Utf8Validator,
}

impl MessageAssembler {
    pub fn new(max_size: usize) -> Self {
        MessageAssembler { max_size, current: None, inflater: None }
    }

    /// permessage-deflate was negotiated: messages with RSV1 are inflated.
    pub fn set_inflater(&mut self, inflater: MessageInflater) {
        self.inflater = Some(inflater);
    }

    /// Whether inflate state is held now (for memory tests).
    pub fn holds_inflate_state(&self) -> bool {
        self.inflater.as_ref().is_some_and(MessageInflater::holds_state)
    }

    pub fn in_progress(&self) -> bool {
        self.current.is_some()
    }

    /// A text or binary frame header starts a message; `compressed` is its RSV1.
    pub fn start(&mut self, is_text: bool, frame_len: u64, compressed: bool) -> Result<(), ProtocolError> {
        if self.current.is_some() {
            return Err(ProtocolError::MessageInterrupted);
        }
        let data = if compressed {
            if self.inflater.is_none() {
                return Err(ProtocolError::Frame(crate::frame::FrameError::ReservedBits(4)));
            }
            // The inflated size counts against the limit, checked as it grows.
            Vec::new()
        } else {
            self.check_size(0, frame_len)?;
            // Exact for the common single-frame message; bounded by the check above.
            Vec::with_capacity(frame_len as usize)
        };
        self.current = Some(Partial { is_text, compressed, data, utf8: Utf8Validator::new() });
        Ok(())
    }

    /// A continuation frame header extends the message: the limit applies to the
    /// total, so a fragmented message can't slip past it (engine bug §13.2).
    pub fn continue_with(&mut self, frame_len: u64) -> Result<(), ProtocolError> {
        let have = match &self.current {
            Some(p) if p.compressed => return Ok(()),
            Some(p) => p.data.len(),
            None => return Err(ProtocolError::UnexpectedContinuation),
        };
        self.check_size(have, frame_len)?;
        let partial = self.current.as_mut().expect("checked above");
        partial.data.reserve(frame_len as usize);
        Ok(())
    }

    fn check_size(&self, have: usize, frame_len: u64) -> Result<(), ProtocolError> {
        let size = have as u64 + frame_len;
        if size > self.max_size as u64 {
            return Err(ProtocolError::MessageTooBig { size, limit: self.max_size });
        }
        Ok(())
    }

    /// Appends unmasked payload bytes, checking text as it arrives.
    pub fn extend(&mut self, payload: &[u8]) -> Result<(), ProtocolError> {
        let partial = self.current.as_mut().expect("payload belongs to a started message");
        if partial.compressed {
            return self.inflate(payload);
        }
        partial.data.extend_from_slice(payload);
        if partial.is_text {
            partial.utf8.feed(payload).map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        Ok(())
    }

    /// Appends payload bytes still masked with `key` at phase `offset`: copied
    /// and unmasked in place, so the bytes are touched once more at most.
    pub fn extend_masked(&mut self, payload: &[u8], key: [u8; 4], offset: u64) -> Result<(), ProtocolError> {
        let partial = self.current.as_mut().expect("payload belongs to a started message");
        if partial.compressed {
            let mut chunk = [0u8; UNMASK_CHUNK];
            for (i, piece) in payload.chunks(UNMASK_CHUNK).enumerate() {
                let chunk = &mut chunk[..piece.len()];
                chunk.copy_from_slice(piece);
                crate::mask::apply_mask(chunk, key, offset as usize + i * UNMASK_CHUNK);
                self.inflate(chunk)?;
            }
            return Ok(());
        }
        let start = partial.data.len();
        partial.data.extend_from_slice(payload);
        crate::mask::apply_mask(&mut partial.data[start..], key, offset as usize);
        if partial.is_text {
            partial.utf8.feed(&partial.data[start..]).map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        Ok(())
    }

    /// Inflates compressed payload onto the message, never past `max_size`.
    fn inflate(&mut self, compressed: &[u8]) -> Result<(), ProtocolError> {
        let partial = self.current.as_mut().expect("payload belongs to a started message");
        let inflater = self.inflater.as_mut().expect("compressed messages start only with an inflater");
        let start = partial.data.len();
        inflater.inflate(compressed, &mut partial.data, self.max_size).map_err(|e| inflate_error(e, self.max_size))?;
        if partial.is_text {
            partial.utf8.feed(&partial.data[start..]).map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        Ok(())
    }

    /// The final frame ended: returns the message.
    pub fn finish(&mut self) -> Result<Message, ProtocolError> {
        if self.current.as_ref().is_some_and(|p| p.compressed) {
            let partial = self.current.as_mut().expect("checked above");
            let inflater = self.inflater.as_mut().expect("compressed messages start only with an inflater");
            let start = partial.data.len();
            inflater.finish(&mut partial.data, self.max_size).map_err(|e| inflate_error(e, self.max_size))?;
            if partial.is_text {
                partial.utf8.feed(&partial.data[start..]).map_err(|_| ProtocolError::InvalidUtf8)?;
            }
        }
        let mut partial = self.current.take().expect("a message is in progress");
        if partial.is_text {
            partial.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        Ok(Message { is_text: partial.is_text, data: partial.data })
    }
}

fn inflate_error(error: InflateError, limit: usize) -> ProtocolError {
    match error {
        InflateError::TooBig => ProtocolError::InflatedTooBig { limit },
        InflateError::Corrupt => ProtocolError::CorruptDeflate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_are_joined() {
        let mut a = MessageAssembler::new(100);
        a.start(true, 3, false).unwrap();
        a.extend(b"Hel").unwrap();
        a.continue_with(8).unwrap();
        a.extend(b"lo world").unwrap();
        assert_eq!(a.finish().unwrap(), Message { is_text: true, data: b"Hello world".to_vec() });
        assert!(!a.in_progress());
    }

    #[test]
    fn limit_applies_to_the_assembled_message() {
        // Engine bug §13.2: limits checked per frame let fragmented messages stall or corrupt.
        let mut a = MessageAssembler::new(10);
        a.start(false, 6, false).unwrap();
        a.extend(&[0; 6]).unwrap();
        assert_eq!(a.continue_with(5), Err(ProtocolError::MessageTooBig { size: 11, limit: 10 }));
        let mut a = MessageAssembler::new(10);
        assert_eq!(a.start(false, 11, false), Err(ProtocolError::MessageTooBig { size: 11, limit: 10 }));
        a.start(false, 10, false).unwrap();
    }

    #[test]
    fn fragment_order_is_enforced() {
        let mut a = MessageAssembler::new(10);
        assert_eq!(a.continue_with(1), Err(ProtocolError::UnexpectedContinuation));
        a.start(false, 1, false).unwrap();
        assert_eq!(a.start(true, 1, false), Err(ProtocolError::MessageInterrupted));
    }

    #[test]
    fn invalid_utf8_fails_across_fragments_before_the_message_ends() {
        let mut a = MessageAssembler::new(100);
        a.start(true, 2, false).unwrap();
        a.extend(&[b'a', 0xf4]).unwrap();
        a.continue_with(2).unwrap();
        assert_eq!(a.extend(&[0x90, 0x80]), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn text_ending_mid_character_is_invalid() {
        let mut a = MessageAssembler::new(100);
        a.start(true, 2, false).unwrap();
        a.extend(&[0xe2, 0x82]).unwrap();
        assert_eq!(a.finish(), Err(ProtocolError::InvalidUtf8));
    }
}
