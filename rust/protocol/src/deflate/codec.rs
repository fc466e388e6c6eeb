//! The per-message codec (RFC 7692 §7.2): raw DEFLATE with a sync flush per
//! message, the `00 00 ff ff` tail removed on send and restored on receive.
//! State exists only while needed: with no context takeover a connection holds
//! none between messages (its compressor is the thread's shared one, reset per
//! message), and inflating never allocates past the caller's cap.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// What a sync flush ends with; the sender strips it, the receiver adds it back.
pub const SYNC_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
/// zlib (and zlib-rs) cannot compress raw DEFLATE with an 8-bit window. A 9-bit
/// compressor is safe in its place: zlib never emits a distance past
/// 2^bits − 262 = 250 there, within the peer's 256-byte window.
const MIN_ZLIB_WINDOW_BITS: u8 = 9;
/// Window sizes a compressor can have (9 to 15 bits).
const ZLIB_WINDOW_SIZES: usize = (super::MAX_WINDOW_BITS - MIN_ZLIB_WINDOW_BITS + 1) as usize;
/// First output allocation when inflating; it then doubles up to the cap.
const FIRST_INFLATE_CHUNK: usize = 4096;
/// zlib's default: what every connection compresses with unless told otherwise.
pub const DEFAULT_LEVEL: u32 = 6;

fn zlib_bits(bits: u8) -> u8 {
    bits.clamp(MIN_ZLIB_WINDOW_BITS, super::MAX_WINDOW_BITS)
}

/// Compresses outgoing messages.
pub struct MessageCompressor {
    level: Compression,
    window_bits: u8,
    no_context_takeover: bool,
    state: Option<Box<Compress>>,
}

impl MessageCompressor {
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        MessageCompressor { level: Compression::new(DEFAULT_LEVEL), window_bits, no_context_takeover, state: None }
    }

    /// zlib's level (0-9, clamped) for messages from now on; a context kept from
    /// earlier messages goes on at the level it was made with.
    pub fn set_level(&mut self, level: u32) {
        self.level = Compression::new(level.min(9));
    }

    /// Appends the compressed payload of one message, tail removed.
    pub fn compress(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        let bits = zlib_bits(self.window_bits);
        let level = self.level;
        // The shared compressors are made at the default level.
        if self.no_context_takeover && level.level() == DEFAULT_LEVEL {
            SHARED_COMPRESSORS.with_borrow_mut(|shared| {
                let state =
                    shared[(bits - MIN_ZLIB_WINDOW_BITS) as usize].get_or_insert_with(|| compressor(level, bits));
                // Nothing of the previous message (maybe another connection's) may remain.
                state.reset();
                deflate_message(state, payload, out);
            });
            return;
        }
        let state = self.state.get_or_insert_with(|| compressor(level, bits));
        deflate_message(state, payload, out);
        if self.no_context_takeover {
            self.state = None;
        }
    }

    /// Bytes of compressor state held now (0 between messages without context takeover).
    pub fn holds_state(&self) -> bool {
        self.state.is_some()
    }
}

thread_local! {
    /// Without context takeover a compressor keeps nothing between messages, so one
    /// per window size serves every connection on the thread, reset before each
    /// message: an idle peer holds no compressor, and a message does not pay for
    /// allocating (and the kernel for faulting in) a fresh one of about 300 KiB,
    /// which measured 5-6x the cost of compressing a 1.3 KB message.
    static SHARED_COMPRESSORS: RefCell<[Option<Box<Compress>>; ZLIB_WINDOW_SIZES]> =
        const { RefCell::new([const { None }; ZLIB_WINDOW_SIZES]) };
}

/// A raw DEFLATE compressor (no zlib header) with a `bits`-bit window.
fn compressor(level: Compression, bits: u8) -> Box<Compress> {
    Box::new(Compress::new_with_window_bits(level, false, bits))
}

/// Compresses one message with a sync flush and removes the tail.
fn deflate_message(state: &mut Compress, payload: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let mut input = payload;
    // Deflate's worst case is a few bytes per 16 KiB stored block, plus the flush.
    out.reserve(payload.len() + payload.len() / 1000 + 64);
    loop {
        let before = state.total_in();
        state.compress_vec(input, out, FlushCompress::Sync).expect("raw deflate with a valid stream state");
        input = &input[(state.total_in() - before) as usize..];
        // Done once every byte went in and the flush fit in the space left.
        if input.is_empty() && out.len() < out.capacity() {
            break;
        }
        out.reserve(out.capacity().max(1024));
    }
    if out.len() == start {
        // zlib flushes nothing twice (an empty message right after another
        // flush): an empty stored block, tail removed, says the same.
        out.push(0x00);
    } else {
        debug_assert!(out[start..].ends_with(&SYNC_TAIL));
        out.truncate(out.len() - SYNC_TAIL.len());
    }
}

/// Why a compressed message could not be inflated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateError {
    /// The output would exceed the cap.
    TooBig,
    /// Not a valid DEFLATE stream.
    Corrupt,
}

/// Inflates incoming messages, incrementally, into the message buffer.
pub struct MessageInflater {
    window_bits: u8,
    no_context_takeover: bool,
    state: Option<Box<Decompress>>,
}

impl MessageInflater {
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        MessageInflater { window_bits, no_context_takeover, state: None }
    }

    /// Inflates `input` (a piece of the compressed payload) onto `out`, which
    /// never grows past `cap` bytes of content (capacity at most `cap + 1`); when
    /// refusing with `TooBig` it may hold `cap + 1`, the byte that showed it.
    pub fn inflate(&mut self, input: &[u8], out: &mut Vec<u8>, cap: usize) -> Result<(), InflateError> {
        let bits = zlib_bits(self.window_bits);
        let state = self.state.get_or_insert_with(|| Box::new(Decompress::new_with_window_bits(false, bits)));
        let mut input = input;
        loop {
            if out.len() == out.capacity() {
                // One byte past the cap tells "exactly cap" from "more than cap".
                let room = (cap + 1).saturating_sub(out.len());
                if room == 0 {
                    return Err(InflateError::TooBig);
                }
                out.reserve_exact(out.len().max(FIRST_INFLATE_CHUNK).min(room));
            }
            let before = state.total_in();
            let status = state.decompress_vec(input, out, FlushDecompress::Sync).map_err(|_| InflateError::Corrupt)?;
            if out.len() > cap {
                return Err(InflateError::TooBig);
            }
            input = &input[(state.total_in() - before) as usize..];
            if status == Status::StreamEnd {
                // A final block ends the stream; what follows starts a new one.
                state.reset(false);
            }
            if input.is_empty() && out.len() < out.capacity() {
                return Ok(());
            }
        }
    }

    /// The message's last frame ended: restores the tail and, without context
    /// takeover, frees the state.
    pub fn finish(&mut self, out: &mut Vec<u8>, cap: usize) -> Result<(), InflateError> {
        let result = self.inflate(&SYNC_TAIL, out, cap);
        if self.no_context_takeover || result.is_err() {
            self.state = None;
        }
        result
    }

    pub fn holds_state(&self) -> bool {
        self.state.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(bits: u8, no_context_takeover: bool, messages: &[Vec<u8>]) -> Vec<usize> {
        let mut c = MessageCompressor::new(bits, no_context_takeover);
        let mut d = MessageInflater::new(bits, no_context_takeover);
        let mut sizes = Vec::new();
        for m in messages {
            let mut wire = Vec::new();
            c.compress(m, &mut wire);
            sizes.push(wire.len());
            let mut got = Vec::new();
            // Fed in odd pieces, as frames and reads split it.
            for piece in wire.chunks(7) {
                d.inflate(piece, &mut got, usize::MAX - 1).unwrap();
            }
            d.finish(&mut got, usize::MAX - 1).unwrap();
            assert_eq!(&got, m);
            assert_eq!(c.holds_state(), !no_context_takeover);
            assert_eq!(d.holds_state(), !no_context_takeover);
        }
        sizes
    }

    #[test]
    fn messages_survive_every_window_size_with_and_without_takeover() {
        let text: Vec<u8> = (0..5000).flat_map(|i| format!("{{\"id\":{i},\"x\":{}}}", i % 7).into_bytes()).collect();
        let messages = vec![text.clone(), Vec::new(), text.clone(), vec![0u8; 100_000], b"x".to_vec()];
        for bits in 8..=15 {
            roundtrip(bits, false, &messages);
            roundtrip(bits, true, &messages);
        }
    }

    #[test]
    fn context_takeover_shrinks_a_repeated_message() {
        let m = b"{\"player\":\"alpha\",\"pos\":[1.5,2.5],\"hp\":100}".to_vec();
        let with = roundtrip(15, false, &[m.clone(), m.clone()]);
        let without = roundtrip(15, true, &[m.clone(), m.clone()]);
        assert!(with[1] < without[1] / 2, "{with:?} vs {without:?}");
        assert_eq!(without[0], without[1]);
    }

    #[test]
    fn connections_without_takeover_share_a_compressor_but_nothing_of_each_other() {
        // Two connections on one thread, interleaved: each message stands alone
        // (a fresh inflater reads it) and compresses exactly as on a new compressor.
        let a = b"{\"player\":\"alpha\",\"pos\":[1.5,2.5],\"hp\":100}".to_vec();
        let b = b"{\"player\":\"alpha\",\"pos\":[1.5,2.5],\"hp\":99}".to_vec();
        let mut compressors = [MessageCompressor::new(15, true), MessageCompressor::new(15, true)];
        for (which, message) in [(0, &a), (1, &b), (0, &b), (1, &a)] {
            let compressor = &mut compressors[which];
            let mut wire = Vec::new();
            compressor.compress(message, &mut wire);
            let mut alone = Vec::new();
            MessageCompressor::new(15, false).compress(message, &mut alone);
            assert_eq!(wire, alone, "no history of another message");
            let mut got = Vec::new();
            let mut d = MessageInflater::new(15, true);
            d.inflate(&wire, &mut got, 1000).unwrap();
            d.finish(&mut got, 1000).unwrap();
            assert_eq!(&got, message);
            assert!(!compressor.holds_state());
        }
    }

    #[test]
    fn the_level_trades_size_for_time_and_both_inflate() {
        let text: Vec<u8> = (0..400)
            .flat_map(|i| {
                format!("{{\"id\":{i},\"pos\":[{}.5,{}.25],\"hp\":{}}}", i * 37 % 101, i % 13, 100 - i % 50)
                    .into_bytes()
            })
            .collect();
        for no_context_takeover in [false, true] {
            let mut sizes = Vec::new();
            for level in [0, 1, 6, 9] {
                let mut c = MessageCompressor::new(15, no_context_takeover);
                c.set_level(level);
                let mut wire = Vec::new();
                c.compress(&text, &mut wire);
                let mut d = MessageInflater::new(15, no_context_takeover);
                let mut got = Vec::new();
                d.inflate(&wire, &mut got, usize::MAX - 1).unwrap();
                d.finish(&mut got, usize::MAX - 1).unwrap();
                assert_eq!(got, text, "level {level}");
                assert_eq!(c.holds_state(), !no_context_takeover, "level {level}");
                sizes.push(wire.len());
            }
            assert!(sizes[0] > text.len(), "level 0 stores: {sizes:?}");
            assert!(sizes[1] > sizes[2] && sizes[2] >= sizes[3], "{sizes:?}");
        }
    }

    #[test]
    fn empty_message_is_one_zero_byte() {
        let mut wire = Vec::new();
        MessageCompressor::new(15, false).compress(b"", &mut wire);
        assert_eq!(wire, [0x00]);
    }

    #[test]
    fn rfc_7692_example_inflates() {
        // §7.2.3.1: "Hello" compressed, and the same with a shared context.
        let mut d = MessageInflater::new(15, false);
        let mut out = Vec::new();
        d.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &mut out, 100).unwrap();
        d.finish(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
        out.clear();
        d.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], &mut out, 100).unwrap();
        d.finish(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
        // §7.2.3.3: a stored (uncompressed) block; §7.2.3.4: a final block.
        let mut d = MessageInflater::new(15, true);
        out.clear();
        d.inflate(&[0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00], &mut out, 100).unwrap();
        d.finish(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
        out.clear();
        d.inflate(&[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &mut out, 100).unwrap();
        d.finish(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
    }

    #[test]
    fn output_stops_at_the_cap_without_allocating_past_it() {
        let mut wire = Vec::new();
        MessageCompressor::new(15, false).compress(&vec![0u8; 1 << 20], &mut wire);
        assert!(wire.len() < 2048, "a 1 MiB bomb in {} bytes", wire.len());
        let mut d = MessageInflater::new(15, false);
        let mut out = Vec::new();
        assert_eq!(d.inflate(&wire, &mut out, 65535), Err(InflateError::TooBig));
        assert!(out.capacity() <= 65536, "capacity {}", out.capacity());
        // Exactly the cap fits.
        let mut d = MessageInflater::new(15, false);
        let mut out = Vec::new();
        let mut wire = Vec::new();
        MessageCompressor::new(15, false).compress(&[7u8; 1000], &mut wire);
        d.inflate(&wire, &mut out, 1000).unwrap();
        d.finish(&mut out, 1000).unwrap();
        assert_eq!(out.len(), 1000);
        assert!(out.capacity() <= 1001);
    }

    #[test]
    fn corrupt_data_is_an_error() {
        let mut d = MessageInflater::new(15, false);
        let mut out = Vec::new();
        // Block type 3 is reserved.
        assert_eq!(d.inflate(&[0xff, 0xff, 0xff], &mut out, 100), Err(InflateError::Corrupt));
    }
}
