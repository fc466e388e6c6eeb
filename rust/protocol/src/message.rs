//! Message assembly: fragments joined, text checked as it arrives, size bounded.

use crate::error::ProtocolError;
use crate::utf8::Utf8Validator;

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
}

#[derive(Debug)]
struct Partial {
    is_text: bool,
    data: Vec<u8>,
    utf8: Utf8Validator,
}

impl MessageAssembler {
    pub fn new(max_size: usize) -> Self {
        MessageAssembler { max_size, current: None }
    }

    pub fn in_progress(&self) -> bool {
        self.current.is_some()
    }

    /// A text or binary frame header starts a message.
    pub fn start(&mut self, is_text: bool, frame_len: u64) -> Result<(), ProtocolError> {
        if self.current.is_some() {
            return Err(ProtocolError::MessageInterrupted);
        }
        self.check_size(0, frame_len)?;
        // Exact for the common single-frame message; bounded by the check above.
        let data = Vec::with_capacity(frame_len as usize);
        self.current = Some(Partial { is_text, data, utf8: Utf8Validator::new() });
        Ok(())
    }

    /// A continuation frame header extends the message: the limit applies to the
    /// total, so a fragmented message can't slip past it (engine bug §13.2).
    pub fn continue_with(&mut self, frame_len: u64) -> Result<(), ProtocolError> {
        let have = match &self.current {
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
        let start = partial.data.len();
        partial.data.extend_from_slice(payload);
        crate::mask::apply_mask(&mut partial.data[start..], key, offset as usize);
        if partial.is_text {
            partial.utf8.feed(&partial.data[start..]).map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        Ok(())
    }

    /// The final frame ended: returns the message.
    pub fn finish(&mut self) -> Result<Message, ProtocolError> {
        let mut partial = self.current.take().expect("a message is in progress");
        if partial.is_text {
            partial.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        Ok(Message { is_text: partial.is_text, data: partial.data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_are_joined() {
        let mut a = MessageAssembler::new(100);
        a.start(true, 3).unwrap();
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
        a.start(false, 6).unwrap();
        a.extend(&[0; 6]).unwrap();
        assert_eq!(a.continue_with(5), Err(ProtocolError::MessageTooBig { size: 11, limit: 10 }));
        let mut a = MessageAssembler::new(10);
        assert_eq!(a.start(false, 11), Err(ProtocolError::MessageTooBig { size: 11, limit: 10 }));
        a.start(false, 10).unwrap();
    }

    #[test]
    fn fragment_order_is_enforced() {
        let mut a = MessageAssembler::new(10);
        assert_eq!(a.continue_with(1), Err(ProtocolError::UnexpectedContinuation));
        a.start(false, 1).unwrap();
        assert_eq!(a.start(true, 1), Err(ProtocolError::MessageInterrupted));
    }

    #[test]
    fn invalid_utf8_fails_across_fragments_before_the_message_ends() {
        let mut a = MessageAssembler::new(100);
        a.start(true, 2).unwrap();
        a.extend(&[b'a', 0xf4]).unwrap();
        a.continue_with(2).unwrap();
        assert_eq!(a.extend(&[0x90, 0x80]), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn text_ending_mid_character_is_invalid() {
        let mut a = MessageAssembler::new(100);
        a.start(true, 2).unwrap();
        a.extend(&[0xe2, 0x82]).unwrap();
        assert_eq!(a.finish(), Err(ProtocolError::InvalidUtf8));
    }
}
