//! Incremental UTF-8 validation for text messages that arrive in pieces.

/// Validates a byte stream piece by piece, failing on the first byte that can
/// no longer begin or continue a valid sequence, even when the sequence is
/// split across frames or reads.
#[derive(Clone, Debug, Default)]
pub struct Utf8Validator {
    /// An incomplete but so-far valid sequence at the end of the last piece.
    partial: [u8; 4],
    partial_len: u8,
}

/// The bytes seen so far are not UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidUtf8;

impl Utf8Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next piece of the stream.
    pub fn feed(&mut self, mut piece: &[u8]) -> Result<(), InvalidUtf8> {
        if self.partial_len > 0 {
            piece = self.complete_partial(piece)?;
        }
        match std::str::from_utf8(piece) {
            Ok(_) => Ok(()),
            Err(e) => {
                if e.error_len().is_some() {
                    return Err(InvalidUtf8);
                }
                // A valid prefix of a sequence ends the piece: keep it for the next one.
                let tail = &piece[e.valid_up_to()..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.partial_len = tail.len() as u8;
                Ok(())
            }
        }
    }

    /// The stream ends here: a pending incomplete sequence is an error.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.partial_len == 0;
        self.partial_len = 0;
        if complete {
            Ok(())
        } else {
            Err(InvalidUtf8)
        }
    }

    /// Moves bytes from `piece` into the pending sequence until it is complete,
    /// and returns the rest of `piece`.
    fn complete_partial<'a>(&mut self, piece: &'a [u8]) -> Result<&'a [u8], InvalidUtf8> {
        let have = self.partial_len as usize;
        let need = sequence_len(self.partial[0]);
        let take = (need - have).min(piece.len());
        self.partial[have..have + take].copy_from_slice(&piece[..take]);
        let now = have + take;
        match std::str::from_utf8(&self.partial[..now]) {
            Ok(_) => {
                self.partial_len = 0;
                Ok(&piece[take..])
            }
            Err(e) if e.error_len().is_none() && now < need => {
                self.partial_len = now as u8;
                Ok(&piece[take..])
            }
            Err(_) => Err(InvalidUtf8),
        }
    }
}

/// Length of the sequence a valid lead byte starts (only called on kept leads).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_every_split(bytes: &[u8]) {
        let expected = std::str::from_utf8(bytes).is_ok();
        for split in 0..=bytes.len() {
            let mut v = Utf8Validator::new();
            let ok = v.feed(&bytes[..split]).is_ok() && v.feed(&bytes[split..]).is_ok() && v.finish().is_ok();
            assert_eq!(ok, expected, "{bytes:x?} split at {split}");
        }
        let mut v = Utf8Validator::new();
        let ok = bytes.iter().all(|b| v.feed(std::slice::from_ref(b)).is_ok()) && v.finish().is_ok();
        assert_eq!(ok, expected, "{bytes:x?} byte by byte");
    }

    #[test]
    fn agrees_with_std_on_every_split() {
        let samples: &[&[u8]] = &[
            "Hello-µ@ßöäüàá-UTF-8!!".as_bytes(),
            "κόσμε".as_bytes(),
            "\u{10FFFF}\u{FFFF}\u{80}".as_bytes(),
            &[0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xf4, 0x90, 0x80, 0x80],
            &[0xed, 0xa0, 0x80],
            &[0xc0, 0xaf],
            &[0xf0, 0x9f, 0x98],
            &[0xe0, 0x80, 0xaf],
            &[0xff],
            b"",
        ];
        for s in samples {
            check_every_split(s);
        }
    }

    #[test]
    fn fails_fast_on_a_byte_that_cannot_continue() {
        // 0xF4 0x90 is beyond U+10FFFF: invalid as soon as the second byte arrives.
        let mut v = Utf8Validator::new();
        assert!(v.feed(&[b'a', 0xf4]).is_ok());
        assert_eq!(v.feed(&[0x90]), Err(InvalidUtf8));
        // A lone continuation byte fails at once.
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&[0x80]), Err(InvalidUtf8));
    }

    #[test]
    fn incomplete_sequence_at_end_is_an_error() {
        let mut v = Utf8Validator::new();
        assert!(v.feed(&[0xe2, 0x82]).is_ok());
        assert_eq!(v.finish(), Err(InvalidUtf8));
    }
}
