//! Arbitrary bytes from the peer, split at fuzzer-chosen points, into
//! `Connection` (as client and as server) and into the raw `FrameDecoder`.
//!
//! Input: `[cfg0, cfg1, size0, size1, size2, body...]` (see `common.rs`).
//! cfg0: bits 0-1 max_message_size, bits 2-3 inbound queue limits, bit 4 read
//!       messages after every piece, bit 5 a well-behaved caller (feeds only
//!       while `read_capacity() > 0`), bit 6 the application sends a message
//!       before every piece, bit 7 the application closes after the first piece.
//! cfg1: bit 0 heartbeat on, bit 1 close_timeout 5 ms (else an hour), bit 2
//!       write output only at the end, bit 3 flush all output before
//!       `receive_eof`, bit 4 no outbound buffer limit, bit 5 close_timeout zero.
//!
//! Checked: no panic (overflow and debug assertions are on); text messages are
//! UTF-8; messages fit max_message_size; the inbound queue stays within its
//! limits; output is bounded by the input, is well-formed frames for the peer
//! and nothing follows our Close; a connection that reads nothing is never
//! stuck while open; the states only move forward; and the messages and output
//! do not depend on how the input was split or when it was read.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use ws_protocol::close::parse_close_payload;
use ws_protocol::frame::{FrameDecoder, FrameError, FrameEvent, FrameHeader};
use ws_protocol::{CloseStatus, Connection, Limits, Message, OpCode, Role, State};

mod common;

const MESSAGE_SIZES: [usize; 4] = [0, 7, 125, 70_000];
/// (max_queued_messages, max_inbound_buffered)
const QUEUES: [(usize, usize); 4] = [(1, 1), (2, 8), (3, 64), (64, 65_535)];
const OUTBOUND_LIMIT: usize = 64;
const MS: Duration = Duration::from_millis(1);

fuzz_target!(|data: &[u8]| {
    let (cfg, sizes, body) = common::split::<2>(data);
    for role in [Role::Client, Role::Server] {
        let run = drive(role, cfg, sizes, body);
        // Without application actions or timers, what the application reads and
        // what goes on the wire may depend neither on the split nor on the timing
        // of reads and writes: compare with all input fed at once.
        let app_acts = cfg[0] & 0xc0 != 0 || cfg[1] & 1 != 0;
        if !app_acts {
            let whole = drive(role, [cfg[0] & 0x0f, (cfg[1] & 0x18) | 0x04 | 0x08], [0, 0, 0], body);
            if !run.all_fed {
                // A caller that writes only at the end stalled on our read gating
                // (answers backed up): it saw less of the input.
                continue;
            }
            assert_eq!(run.messages, whole.messages, "messages depend on the split ({role:?})");
            assert_eq!(run.received_close, whole.received_close, "peer's Close depends on the split ({role:?})");
            if cfg[1] & 0x2a == 0x08 {
                // Everything written before the end, no close deadline cutting it short.
                // Pongs may: while answers wait unsent, a newer ping replaces an older
                // pong, and how many wait depends on when output was written.
                let (split_frames, whole_frames) = (frames_but_pongs(role, &run.wire), frames_but_pongs(role, &whole.wire));
                assert_eq!(split_frames, whole_frames, "output depends on the split ({role:?})");
                assert_eq!(run.status, whole.status, "close status depends on the split ({role:?})");
            }
        }
    }
    for expect_masked in [false, true] {
        decoder_differential(expect_masked, sizes, body);
    }
});

struct Outcome {
    /// Every input byte was fed (a caller that never writes may stall on read gating).
    all_fed: bool,
    messages: Vec<Message>,
    received_close: Option<CloseStatus>,
    status: Option<CloseStatus>,
    wire: Vec<u8>,
}

struct Harness {
    conn: Connection,
    limits: Limits,
    role: Role,
    now: Duration,
    sizes: [u8; 3],
    messages: Vec<Message>,
    wire: Vec<u8>,
    fed: usize,
    polls: usize,
    sent_wire: usize,
    state_rank: u8,
}

fn rank(state: State) -> u8 {
    match state {
        State::Open => 0,
        State::Closing => 1,
        State::Closed => 2,
    }
}

impl Harness {
    fn receive(&mut self, piece: &[u8]) {
        self.fed += piece.len();
        self.conn.receive(piece, self.now);
    }

    fn pop_one(&mut self) -> bool {
        let Some(message) = self.conn.pop_message() else { return false };
        assert!(
            message.data.len() <= self.limits.max_message_size,
            "message of {} bytes over max_message_size {}",
            message.data.len(),
            self.limits.max_message_size
        );
        if message.is_text {
            assert!(std::str::from_utf8(&message.data).is_ok(), "text message is not UTF-8");
        }
        self.messages.push(message);
        // Reading may process stashed input: the queue bound still holds.
        self.check_queue();
        true
    }

    fn pop_all(&mut self) {
        // Each pop removes a message; stashed input is finite, so this ends.
        while self.pop_one() {}
    }

    fn poll(&mut self) {
        self.polls += 1;
        self.conn.poll(self.now);
    }

    /// Writes the next piece of output (size chosen by the fuzzer, 0 = all pending).
    fn write(&mut self, step: usize) {
        let pending = self.conn.pending_output();
        let size = self.sizes[step % 3] as usize;
        let n = if size == 0 { pending.len() } else { size.min(pending.len()) };
        self.wire.extend_from_slice(&pending[..n]);
        self.conn.consume_output(n);
        self.check_output_bound();
    }

    fn flush(&mut self) {
        loop {
            let pending = self.conn.pending_output();
            if pending.is_empty() {
                break;
            }
            let n = pending.len();
            self.wire.extend_from_slice(pending);
            self.conn.consume_output(n);
            self.check_output_bound();
        }
    }

    fn check_output_bound(&self) {
        // Worst case: an empty unmasked ping (2 bytes) answered by a masked pong
        // (6 bytes); plus one Close, one heartbeat ping per poll, and what the
        // application sent.
        let bound = 3 * self.fed + 256 + 14 * self.polls + self.sent_wire;
        assert!(self.wire.len() <= bound, "output {} bytes over bound {bound} (input {})", self.wire.len(), self.fed);
    }

    fn check_queue(&self) {
        let limit = self.limits.max_queued_messages.max(1);
        assert!(self.conn.available() <= limit, "{} messages queued, limit {limit}", self.conn.available());
    }

    /// Invariants that hold between calls.
    fn check(&mut self) {
        self.check_queue();
        let state = self.conn.state();
        let r = rank(state);
        assert!(r >= self.state_rank, "state went back to {state:?}");
        self.state_rank = r;
        if state == State::Closed {
            assert!(self.conn.pending_output().is_empty(), "output pending after Closed");
            assert!(self.conn.close_status().is_some(), "Closed without a close status");
            assert_eq!(self.conn.read_capacity(), 0, "input wanted after Closed");
        }
        // Liveness: after poll(), an open connection that wants no input has
        // something for the application to read, or output that must drain first
        // (answers backed up behind a peer that does not read); else it would
        // stall forever.
        if state == State::Open && self.conn.read_capacity() == 0 {
            assert!(
                self.conn.available() > 0 || self.conn.queued_output_bytes() > 0,
                "open, reading nothing, nothing to read and nothing to send: stalled"
            );
        }
        if let Some(limit) = self.limits.max_outbound_buffered {
            // Sends are refused past the limit; only our Close may be added on top.
            assert!(self.conn.buffered_amount() <= limit + 125, "outbound buffer {}", self.conn.buffered_amount());
        }
        assert!(self.conn.queued_messages() <= self.limits.max_queued_messages + 1);
        if let Some(e) = self.conn.take_error() {
            assert!(matches!(e.close_code(), 1002 | 1007 | 1009), "error {e:?} with code {}", e.close_code());
            let _ = e.to_string();
        }
    }
}

fn drive(role: Role, cfg: [u8; 2], sizes: [u8; 3], body: &[u8]) -> Outcome {
    let (max_queued_messages, max_inbound_buffered) = QUEUES[((cfg[0] >> 2) & 3) as usize];
    let limits = Limits {
        max_message_size: MESSAGE_SIZES[(cfg[0] & 3) as usize],
        max_inbound_buffered,
        max_queued_messages,
        max_outbound_buffered: if cfg[1] & 0x10 != 0 { None } else { Some(OUTBOUND_LIMIT) },
        max_handshake_bytes: 1024,
        handshake_timeout: Duration::from_secs(1),
        close_timeout: match cfg[1] & 0x22 {
            0 => Duration::from_secs(3600),
            0x02 => 5 * MS,
            _ => Duration::ZERO,
        },
    };
    let eager_read = cfg[0] & 0x10 != 0;
    let well_behaved = cfg[0] & 0x20 != 0;
    let app_sends = cfg[0] & 0x40 != 0;
    let app_closes = cfg[0] & 0x80 != 0;
    let write_at_end = cfg[1] & 0x04 != 0;
    let flush_before_eof = cfg[1] & 0x08 != 0;

    let mut h = Harness {
        conn: Connection::new(role, limits.clone(), Duration::ZERO, [0; 32]),
        limits,
        role,
        now: Duration::ZERO,
        sizes,
        messages: Vec::new(),
        wire: Vec::new(),
        fed: 0,
        polls: 0,
        sent_wire: 0,
        state_rank: 0,
    };
    if cfg[1] & 0x01 != 0 {
        h.conn.set_heartbeat_interval(3 * MS, h.now);
    }

    let mut input = common::pieces(body, sizes);
    let mut piece: &[u8] = &[];
    let mut step = 0usize;
    loop {
        step += 1;
        h.now += MS;
        if app_sends {
            let payload = [b'a' + (step % 26) as u8; 3];
            if h.conn.send(step.is_multiple_of(2), &payload).is_ok() {
                h.sent_wire += payload.len() + 14;
            }
        }
        if app_closes && step == 2 {
            h.conn.close(1000, "bye", h.now).expect("a valid close is accepted");
        }
        if piece.is_empty() {
            match input.next() {
                Some(p) => piece = p,
                None => break,
            }
        }
        if well_behaved {
            let capacity = h.conn.read_capacity();
            if capacity == 0 {
                // The caller stops reading the socket until a message is read, or
                // until what we have to send drained (answers backed up).
                if !write_at_end && !h.conn.pending_output().is_empty() {
                    h.flush();
                    if h.conn.read_capacity() > 0 {
                        continue;
                    }
                }
                if !h.pop_one() {
                    h.poll();
                    h.check();
                    if h.conn.read_capacity() == 0 {
                        break; // input is over for good (closing, closed or failed)
                    }
                }
                continue;
            }
            let n = capacity.min(piece.len());
            let (now, later) = piece.split_at(n);
            h.receive(now);
            piece = later;
        } else {
            h.receive(piece);
            piece = &[];
        }
        h.check_queue();
        if eager_read {
            h.pop_all();
        }
        if !write_at_end {
            h.write(step);
        }
        h.poll();
        h.check();
    }

    h.pop_all();
    h.poll();
    h.check();
    if flush_before_eof {
        h.flush();
        h.check();
    }
    let received_close = h.conn.received_close().cloned();
    h.conn.receive_eof();
    assert_eq!(h.conn.state(), State::Closed);
    h.check();
    // Messages that arrived before the end stay readable.
    h.pop_all();
    check_wire(h.role, &h.wire);
    let status = h.conn.close_status().cloned();
    Outcome { all_fed: h.fed == body.len(), messages: h.messages, received_close, status, wire: h.wire }
}

/// What we wrote must decode cleanly at the peer, and nothing may follow our Close.
fn check_wire(role: Role, wire: &[u8]) {
    let mut decoder = FrameDecoder::new(role == Role::Client);
    let mut rest = wire;
    let mut frame: Option<(FrameHeader, Vec<u8>)> = None;
    let mut closed = false;
    loop {
        let (n, event) = decoder.decode(rest).unwrap_or_else(|e| panic!("our output is not valid framing: {e}"));
        rest = &rest[n..];
        match event {
            None => break,
            Some(FrameEvent::Header(header)) => {
                assert!(!closed, "a frame after our Close: {header:?}");
                assert!(header.fin, "we never fragment: {header:?}");
                assert_ne!(header.opcode, OpCode::Continuation);
                frame = Some((header, Vec::new()));
            }
            Some(FrameEvent::Payload { data, offset }) => {
                let (header, payload) = frame.as_mut().expect("payload after a header");
                assert_eq!(offset as usize, payload.len());
                let start = payload.len();
                payload.extend_from_slice(data);
                if let Some(key) = header.mask {
                    ws_protocol::mask::apply_mask(&mut payload[start..], key, offset as usize);
                }
            }
            Some(FrameEvent::End) => {
                let (header, payload) = frame.take().expect("end after a header");
                match header.opcode {
                    OpCode::Close => {
                        parse_close_payload(&payload).expect("our Close payload is valid");
                        closed = true;
                    }
                    OpCode::Text => assert!(std::str::from_utf8(&payload).is_ok()),
                    _ => {}
                }
            }
        }
    }
    assert!(rest.is_empty());
}

/// The frames we wrote, unmasked, but for pongs.
fn frames_but_pongs(role: Role, wire: &[u8]) -> Vec<(OpCode, bool, Vec<u8>)> {
    let (frames, error) = decode_all(role == Role::Client, std::iter::once(wire));
    assert!(error.is_none(), "our output is well-formed");
    let unmask = |frame: Frame| match frame.header.mask {
        Some(key) => frame.payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect(),
        None => frame.payload,
    };
    frames
        .into_iter()
        .filter(|frame| frame.header.opcode != OpCode::Pong)
        .map(|frame| (frame.header.opcode, frame.header.fin, unmask(frame)))
        .collect()
}

/// One frame as the decoder reported it: header, payload (masked, joined) and
/// whether its end was reported.
#[derive(Debug, PartialEq)]
struct Frame {
    header: FrameHeader,
    payload: Vec<u8>,
    ended: bool,
}

fn decode_all<'a>(expect_masked: bool, pieces: impl Iterator<Item = &'a [u8]>) -> (Vec<Frame>, Option<FrameError>) {
    let mut decoder = FrameDecoder::new(expect_masked);
    let mut frames: Vec<Frame> = Vec::new();
    for piece in pieces {
        let mut rest = piece;
        loop {
            let (n, event) = match decoder.decode(rest) {
                Ok(step) => step,
                Err(e) => return (frames, Some(e)),
            };
            assert!(n <= rest.len());
            rest = &rest[n..];
            match event {
                None => {
                    assert!(rest.is_empty(), "decoder stopped with {} bytes unused", rest.len());
                    break;
                }
                Some(FrameEvent::Header(header)) => {
                    if let Some(last) = frames.last() {
                        assert!(last.ended, "header before the previous frame ended");
                    }
                    assert_eq!(header.mask.is_some(), expect_masked);
                    if header.opcode.is_control() {
                        assert!(header.fin && header.payload_len <= 125);
                    }
                    frames.push(Frame { header, payload: Vec::new(), ended: false });
                }
                Some(FrameEvent::Payload { data, offset }) => {
                    let frame = frames.last_mut().expect("payload without a header");
                    assert!(!frame.ended && !data.is_empty());
                    assert_eq!(offset, frame.payload.len() as u64, "payload offset");
                    frame.payload.extend_from_slice(data);
                    assert!(frame.payload.len() as u64 <= frame.header.payload_len, "more payload than announced");
                }
                Some(FrameEvent::End) => {
                    let frame = frames.last_mut().expect("end without a header");
                    assert!(!frame.ended);
                    assert_eq!(frame.payload.len() as u64, frame.header.payload_len, "frame ended early");
                    frame.ended = true;
                }
            }
        }
    }
    (frames, None)
}

fn decoder_differential(expect_masked: bool, sizes: [u8; 3], body: &[u8]) {
    let whole = decode_all(expect_masked, std::iter::once(body));
    let split = decode_all(expect_masked, common::pieces(body, sizes));
    let bytewise = decode_all(expect_masked, body.chunks(1));
    assert_eq!(whole, split, "decoding depends on the split");
    assert_eq!(whole, bytewise, "decoding byte by byte differs");
}
