//! Bytes waiting to be written: data frames in order, control frames ahead of
//! them at the next frame boundary.

use std::collections::VecDeque;

use crate::frame::encode_frame;
use crate::OpCode;

/// Compact the data buffer once this much of its front has been written.
const COMPACT_AFTER: usize = 64 * 1024;
/// An idle data buffer keeps at most this much capacity.
const KEEP_CAPACITY: usize = 256 * 1024;

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
}

impl Outbox {
    /// Queues a data frame (or our own Close, which must follow the data).
    pub fn push_data(&mut self, opcode: OpCode, payload: &[u8], mask: Option<[u8; 4]>) {
        let before = self.data.len();
        encode_frame(&mut self.data, opcode, payload, mask);
        self.frames.push_back(FrameMark { wire_len: self.data.len() - before, payload_len: payload.len() });
        self.buffered_payload += payload.len();
    }

    /// Queues a control frame to go out at the next frame boundary.
    pub fn push_control(&mut self, opcode: OpCode, payload: &[u8], mask: Option<[u8; 4]>) {
        encode_frame(&mut self.control, opcode, payload, mask);
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
            if self.control_pos == self.control.len() {
                self.control.clear();
                self.control_pos = 0;
            }
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

    fn compact(&mut self) {
        if self.data_pos == self.data.len() {
            self.data.clear();
            self.data_pos = 0;
            if self.data.capacity() > KEEP_CAPACITY {
                self.data = Vec::new();
            }
        } else if self.data_pos >= COMPACT_AFTER && self.data_pos * 2 >= self.data.len() {
            self.data.drain(..self.data_pos);
            self.data_pos = 0;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.data_pos == self.data.len() && self.control_pos == self.control.len()
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
}
