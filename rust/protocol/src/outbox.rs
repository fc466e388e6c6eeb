//! Bytes waiting to be written: data frames in order, control frames ahead of
//! them at the next frame boundary. Pongs a peer asks for faster than it reads
//! replace each other, so a ping flood can't grow this.

use std::collections::VecDeque;

use crate::frame::{encode_frame, encode_frame_rsv1};
use crate::OpCode;

/// Compact the data buffer once this much of its front has been written.
const COMPACT_AFTER: usize = 64 * 1024;
/// An idle data buffer keeps at most this much capacity.
const KEEP_CAPACITY: usize = 256 * 1024;
/// An idle frame list keeps room for at most this many frames: a burst of small
/// messages (a relaying server's peer notifications to thousands) leaves none behind.
const KEEP_FRAMES: usize = 256;
/// Unsent control bytes from which a new pong replaces the newest unsent one
/// instead of queueing behind it (RFC 6455 §5.5.3 allows answering only the
/// most recent ping). A burst of a few pings below it is still answered in full.
pub const CONTROL_QUEUE_LIMIT: usize = 2048;
/// Compact the control buffer once this much of its front has been written.
const COMPACT_CONTROL_AFTER: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct FrameMark {
    wire_len: usize,
    payload_len: usize,
}

/// Encoded frames waiting for the transport. Data frames sit in one contiguous
/// buffer (so many small messages go out in one write) with a side list of
/// frame lengths; control frames wait in their own buffer and are served
/// first, but never inside a data frame that has started going out.
#[derive(Debug, Default)]
pub struct Outbox {
    data: Vec<u8>,
    /// Start of the unwritten part of `data`.
    data_pos: usize,
    frames: VecDeque<FrameMark>,
    /// Bytes of the first frame in `frames` already written.
    front_sent: usize,
    buffered_payload: usize,
    control: Vec<u8>,
    control_pos: usize,
    /// Start and length in `control` of the newest pong, while none of it is written.
    last_pong: Option<(usize, usize)>,
}

impl Outbox {
    /// Queues a data frame (or our own Close, which must follow the data).
    pub fn push_data(&mut self, opcode: OpCode, payload: &[u8], mask: Option<[u8; 4]>) {
        self.push_data_rsv1(false, opcode, payload, mask);
    }

    /// As `push_data`, with RSV1 set when `compressed`.
    pub fn push_data_rsv1(&mut self, compressed: bool, opcode: OpCode, payload: &[u8], mask: Option<[u8; 4]>) {
        let before = self.data.len();
        encode_frame_rsv1(&mut self.data, compressed, opcode, payload, mask);
        self.frames.push_back(FrameMark { wire_len: self.data.len() - before, payload_len: payload.len() });
        self.buffered_payload += payload.len();
    }

    /// Queues a control frame to go out at the next frame boundary.
    pub fn push_control(&mut self, opcode: OpCode, payload: &[u8], mask: Option<[u8; 4]>) {
        encode_frame(&mut self.control, opcode, payload, mask);
    }

    /// Queues a pong; once `CONTROL_QUEUE_LIMIT` unsent control bytes wait, it
    /// takes the place of the newest pong not yet started.
    pub fn push_pong(&mut self, payload: &[u8], mask: Option<[u8; 4]>) {
        let replaceable = self.last_pong.filter(|&(at, _)| at >= self.control_pos);
        if let (Some((at, len)), true) = (replaceable, self.unsent_control() >= CONTROL_QUEUE_LIMIT) {
            self.control.drain(at..at + len);
        }
        let at = self.control.len();
        encode_frame(&mut self.control, OpCode::Pong, payload, mask);
        self.last_pong = Some((at, self.control.len() - at));
    }

    /// Drops every queued data frame that has not started going out.
    pub fn discard_unstarted_data(&mut self) {
        let keep = usize::from(self.front_sent > 0);
        let keep_bytes = self.frames.front().filter(|_| keep == 1).map_or(0, |f| f.wire_len - self.front_sent);
        for mark in self.frames.drain(keep..) {
            self.buffered_payload -= mark.payload_len;
        }
        self.data.truncate(self.data_pos + keep_bytes);
        self.compact();
    }

    fn serving_control(&self) -> bool {
        self.control_pos < self.control.len() && self.front_sent == 0
    }

    /// The next bytes to write. Empty when nothing is queued.
    pub fn pending(&self) -> &[u8] {
        if self.serving_control() {
            &self.control[self.control_pos..]
        } else if self.control_pos < self.control.len() {
            // Finish the data frame in progress, then the control frames go.
            let front = self.frames.front().expect("a frame is in progress");
            &self.data[self.data_pos..self.data_pos + front.wire_len - self.front_sent]
        } else {
            &self.data[self.data_pos..]
        }
    }

    /// Records that the first `n` bytes of `pending()` were written.
    pub fn consume(&mut self, n: usize) {
        if self.serving_control() {
            self.control_pos += n;
            debug_assert!(self.control_pos <= self.control.len());
            self.compact_control();
            return;
        }
        self.data_pos += n;
        let mut left = n;
        while left > 0 {
            let front = self.frames.front().expect("consumed bytes belong to a frame");
            let remaining = front.wire_len - self.front_sent;
            if left >= remaining {
                left -= remaining;
                self.buffered_payload -= front.payload_len;
                self.frames.pop_front();
                self.front_sent = 0;
            } else {
                self.front_sent += left;
                left = 0;
            }
        }
        self.compact();
    }

    /// Frees written control bytes, so a peer reading slowly can't grow the buffer.
    fn compact_control(&mut self) {
        if self.control_pos == self.control.len() {
            self.control.clear();
            self.control_pos = 0;
            self.last_pong = None;
        } else if self.control_pos >= COMPACT_CONTROL_AFTER {
            let written = self.control_pos;
            self.control.drain(..written);
            self.control_pos = 0;
            // A pong partly written can no longer be replaced.
            self.last_pong = self.last_pong.and_then(|(at, len)| at.checked_sub(written).map(|at| (at, len)));
        }
    }

    fn compact(&mut self) {
        if self.data_pos == self.data.len() {
            self.data.clear();
            self.data_pos = 0;
            if self.data.capacity() > KEEP_CAPACITY {
                self.data = Vec::new();
            }
            if self.frames.capacity() > KEEP_FRAMES {
                self.frames = VecDeque::new();
            }
        } else if self.data_pos >= COMPACT_AFTER && self.data_pos * 2 >= self.data.len() {
            self.data.drain(..self.data_pos);
            self.data_pos = 0;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.data_pos == self.data.len() && self.control_pos == self.control.len()
    }

    /// Control frame bytes not yet written.
    pub fn unsent_control(&self) -> usize {
        self.control.len() - self.control_pos
    }

    /// Payload bytes of data frames not completely written.
    pub fn buffered_payload(&self) -> usize {
        self.buffered_payload
    }

    /// Data frames not completely written.
    pub fn queued_frames(&self) -> usize {
        self.frames.len()
    }

    /// Bytes of memory held for queued output (for tests of boundedness).
    pub fn queued_wire_bytes(&self) -> usize {
        self.data.len() - self.data_pos + self.control.len() - self.control_pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(outbox: &mut Outbox, step: usize) -> Vec<u8> {
        let mut wire = Vec::new();
        loop {
            let p = outbox.pending();
            if p.is_empty() {
                return wire;
            }
            let n = p.len().min(step);
            wire.extend_from_slice(&p[..n]);
            outbox.consume(n);
        }
    }

    #[test]
    fn a_drained_burst_of_small_frames_leaves_no_frame_list_behind() {
        let mut o = Outbox::default();
        for _ in 0..10_000 {
            o.push_data(OpCode::Binary, &[1, 2, 3, 4], None);
        }
        assert!(o.frames.capacity() >= 10_000);
        let wire = drain(&mut o, usize::MAX);
        assert_eq!(wire.len(), 10_000 * 6);
        assert!(o.frames.capacity() <= KEEP_FRAMES, "{} frames of room kept", o.frames.capacity());
        // A small steady stream keeps its room.
        o.push_data(OpCode::Binary, &[1], None);
        drain(&mut o, usize::MAX);
        assert!(o.frames.capacity() > 0);
    }

    #[test]
    fn data_frames_batch_into_one_write() {
        let mut o = Outbox::default();
        o.push_data(OpCode::Text, b"a", None);
        o.push_data(OpCode::Text, b"b", None);
        assert_eq!(o.pending(), [0x81, 1, b'a', 0x81, 1, b'b']);
        assert_eq!((o.queued_frames(), o.buffered_payload()), (2, 2));
        o.consume(4);
        assert_eq!((o.queued_frames(), o.buffered_payload()), (1, 1));
        o.consume(2);
        assert!(o.is_empty());
        assert_eq!((o.queued_frames(), o.buffered_payload()), (0, 0));
    }

    #[test]
    fn control_goes_ahead_of_queued_data_but_not_inside_a_frame() {
        let mut o = Outbox::default();
        o.push_data(OpCode::Binary, &[1; 10], None);
        o.push_data(OpCode::Binary, &[2; 10], None);
        o.consume(5); // first frame partly written
        o.push_control(OpCode::Pong, b"p", None);
        // The rest of the first frame comes first, alone.
        assert_eq!(o.pending().len(), 12 - 5);
        o.consume(7);
        assert_eq!(o.pending(), [0x8a, 1, b'p']);
        o.consume(3);
        assert_eq!(o.pending()[..2], [0x82, 10]);
        o.consume(12);
        assert!(o.is_empty());
    }

    #[test]
    fn discard_keeps_the_frame_in_progress() {
        let mut o = Outbox::default();
        o.push_data(OpCode::Binary, &[1; 10], None);
        o.push_data(OpCode::Binary, &[2; 10], None);
        o.consume(3);
        o.discard_unstarted_data();
        assert_eq!((o.queued_frames(), o.buffered_payload()), (1, 10));
        assert_eq!(drain(&mut o, 4).len(), 9);
        assert!(o.is_empty());
    }

    #[test]
    fn byte_at_a_time_writes_produce_the_same_stream() {
        let mut a = Outbox::default();
        let mut b = Outbox::default();
        for o in [&mut a, &mut b] {
            for i in 0..50u8 {
                o.push_data(OpCode::Binary, &vec![i; i as usize * 40], None);
            }
        }
        assert_eq!(drain(&mut a, 1), drain(&mut b, 100_000));
        assert_eq!(a.queued_wire_bytes(), 0);
    }

    fn pong_payloads(wire: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut rest = wire;
        while !rest.is_empty() {
            assert_eq!(rest[0], 0x8a, "only pongs");
            let len = rest[1] as usize;
            out.push(rest[2..2 + len].to_vec());
            rest = &rest[2 + len..];
        }
        out
    }

    #[test]
    fn a_burst_of_pings_below_the_limit_is_answered_in_full() {
        let mut o = Outbox::default();
        for i in 0..10u8 {
            o.push_pong(&[i; 9], None);
        }
        let got = pong_payloads(&drain(&mut o, 1000));
        assert_eq!(got, (0..10u8).map(|i| vec![i; 9]).collect::<Vec<_>>());
    }

    #[test]
    fn pongs_beyond_the_limit_replace_the_newest_unsent_one() {
        let mut o = Outbox::default();
        let frame = 2 + 125;
        for i in 0..100_000u32 {
            let mut payload = [0u8; 125];
            payload[..4].copy_from_slice(&i.to_be_bytes());
            o.push_pong(&payload, None);
            assert!(o.unsent_control() <= CONTROL_QUEUE_LIMIT + frame, "{} unsent", o.unsent_control());
        }
        assert!(o.control.capacity() <= 2 * (CONTROL_QUEUE_LIMIT + COMPACT_CONTROL_AFTER + frame));
        let got = pong_payloads(&drain(&mut o, 1000));
        let first: Vec<u32> = got.iter().map(|p| u32::from_be_bytes(p[..4].try_into().unwrap())).collect();
        // The oldest ones in order, then the most recent ping's answer last.
        assert_eq!(first.len(), CONTROL_QUEUE_LIMIT.div_ceil(frame));
        assert!(first.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(*first.last().unwrap(), 99_999);
    }

    #[test]
    fn a_pong_being_written_is_not_replaced_and_slow_writes_stay_bounded() {
        let mut o = Outbox::default();
        let mut wire = Vec::new();
        for i in 0..50_000u32 {
            o.push_pong(&i.to_be_bytes(), None);
            // The peer reads 3 bytes per ping it sends: never enough to catch up.
            let p = o.pending();
            let n = p.len().min(3);
            wire.extend_from_slice(&p[..n]);
            o.consume(n);
            assert!(o.control.len() <= CONTROL_QUEUE_LIMIT + COMPACT_CONTROL_AFTER + 3 * 6);
        }
        wire.extend(drain(&mut o, 7));
        let got: Vec<u32> =
            pong_payloads(&wire).iter().map(|p| u32::from_be_bytes(p[..].try_into().unwrap())).collect();
        assert!(got.windows(2).all(|w| w[0] < w[1]), "whole pongs, in order");
        assert_eq!(*got.last().unwrap(), 49_999);
    }

    #[test]
    fn replacing_a_pong_keeps_other_control_frames_and_data_intact() {
        let mut o = Outbox::default();
        o.push_data(OpCode::Binary, &[9; 300], None);
        while o.unsent_control() < CONTROL_QUEUE_LIMIT {
            o.push_pong(&[1; 100], None);
        }
        o.push_control(OpCode::Ping, b"ours", None);
        o.push_pong(&[2; 100], None);
        let wire = drain(&mut o, 50);
        let ping = [0x89, 4, b'o', b'u', b'r', b's'];
        assert!(wire.windows(ping.len()).any(|w| w == ping), "our ping is still there");
        assert_eq!(wire[wire.len() - 304..wire.len() - 300], [0x82, 126, 1, 44], "data last, whole");
        assert!(wire[..wire.len() - 304].ends_with(&[2; 100]), "the newest pong went out");
    }
}
