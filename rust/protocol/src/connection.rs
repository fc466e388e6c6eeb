//! The WebSocket connection after the opening handshake, as a sans-IO state
//! machine: bytes in (`receive`), messages out (`pop_message`), bytes to write
//! out (`pending_output` / `consume_output`), time in (`poll`). No sockets, no
//! clock, no threads: every transport drives the same object.

use std::collections::VecDeque;
use std::time::Duration;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::close::{parse_close_payload, validate_close, write_close_payload, CloseStatus};
use crate::deflate::{DeflateParams, MessageCompressor, MessageInflater};
use crate::error::{CloseError, ProtocolError, SendError};
use crate::frame::{FrameDecoder, FrameEvent, FrameHeader, MAX_CONTROL_PAYLOAD};
use crate::heartbeat::{Heartbeat, HeartbeatAction};
use crate::message::{Message, MessageAssembler};
use crate::outbox::{Outbox, CONTROL_QUEUE_LIMIT};
use crate::{Limits, OpCode};

/// The reused compression buffer is freed after a message larger than this.
const COMPRESSED_KEEP_CAPACITY: usize = 16 * 1024;

/// How much a caller should read at once when input is wanted.
pub const READ_CHUNK: usize = 64 * 1024;

/// Which end of the connection this is: clients mask what they send, servers
/// require masked input (RFC 6455 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Client,
    Server,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Open,
    /// A Close frame was sent or received; the handshake is not complete yet.
    Closing,
    Closed,
}

/// A deadline that ended the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// No pong (nor any other input) within the heartbeat interval after a ping.
    Heartbeat,
    /// The closing handshake did not complete within `close_timeout`.
    Close,
}

/// What the payload bytes being decoded belong to.
#[derive(Clone, Copy, Debug)]
enum CurrentFrame {
    None,
    Data { fin: bool, mask: Option<[u8; 4]> },
    Control { opcode: OpCode, mask: Option<[u8; 4]> },
}

pub struct Connection {
    role: Role,
    limits: Limits,
    state: State,
    now: Duration,
    decoder: FrameDecoder,
    frame: CurrentFrame,
    assembler: MessageAssembler,
    control: [u8; MAX_CONTROL_PAYLOAD],
    control_len: usize,
    inbound: VecDeque<Message>,
    inbound_bytes: usize,
    /// Input received while the inbound queue was full, kept until it drains.
    stash: Vec<u8>,
    outbox: Outbox,
    heartbeat: Heartbeat,
    masks: Option<ChaCha8Rng>,
    /// Present once permessage-deflate is negotiated.
    compressor: Option<MessageCompressor>,
    /// Reused buffer for the compressed payload of a message being sent.
    compressed: Vec<u8>,
    close_sent: bool,
    received_close: Option<CloseStatus>,
    failure: Option<ProtocolError>,
    /// A violation found behind messages the application has not read yet: the
    /// connection fails once they are read, so replies to them still go out first.
    deferred_failure: Option<ProtocolError>,
    /// The error not yet taken by the caller for logging.
    unreported_error: Option<ProtocolError>,
    status: Option<CloseStatus>,
    close_deadline: Option<Duration>,
    timed_out: Option<Timeout>,
}

impl Connection {
    /// `mask_seed` seeds the client's masking keys (ChaCha8): pass 32 random bytes.
    /// The server ignores it.
    pub fn new(role: Role, limits: Limits, now: Duration, mask_seed: [u8; 32]) -> Self {
        Connection {
            role,
            state: State::Open,
            now,
            decoder: FrameDecoder::new(role == Role::Server),
            frame: CurrentFrame::None,
            assembler: MessageAssembler::new(limits.max_message_size),
            control: [0; MAX_CONTROL_PAYLOAD],
            control_len: 0,
            inbound: VecDeque::new(),
            inbound_bytes: 0,
            stash: Vec::new(),
            outbox: Outbox::default(),
            heartbeat: Heartbeat::default(),
            masks: (role == Role::Client).then(|| ChaCha8Rng::from_seed(mask_seed)),
            compressor: None,
            compressed: Vec::new(),
            close_sent: false,
            received_close: None,
            failure: None,
            deferred_failure: None,
            unreported_error: None,
            status: None,
            close_deadline: None,
            timed_out: None,
            limits,
        }
    }

    /// Turns on permessage-deflate as negotiated in the handshake: call before
    /// any input. Each side compresses with its own parameters and inflates
    /// with the other side's (RFC 7692 §7.1).
    pub fn enable_deflate(&mut self, params: DeflateParams) {
        let (ours, theirs) = match self.role {
            Role::Client => (
                (params.client_max_window_bits, params.client_no_context_takeover),
                (params.server_max_window_bits, params.server_no_context_takeover),
            ),
            Role::Server => (
                (params.server_max_window_bits, params.server_no_context_takeover),
                (params.client_max_window_bits, params.client_no_context_takeover),
            ),
        };
        self.compressor = Some(MessageCompressor::new(ours.0, ours.1));
        self.assembler.set_inflater(MessageInflater::new(theirs.0, theirs.1));
        self.decoder.allow_rsv1();
    }

    /// The zlib level (0-9) this end compresses with, after `enable_deflate`
    /// (default 6). Local: nothing is negotiated.
    pub fn set_compression_level(&mut self, level: u32) {
        if let Some(compressor) = &mut self.compressor {
            compressor.set_level(level);
        }
    }

    /// Whether compressor or decompressor state is held now (none between
    /// messages without context takeover).
    pub fn holds_deflate_state(&self) -> bool {
        self.compressor.as_ref().is_some_and(MessageCompressor::holds_state) || self.assembler.holds_inflate_state()
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Limits apply live, except `max_message_size`, fixed when the connection opened.
    pub fn limits_mut(&mut self) -> &mut Limits {
        &mut self.limits
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Once closed: the peer's code and reason, 1005 for a Close without status,
    /// 1006 for an end without a completed close handshake, or the code we
    /// failed the connection with.
    pub fn close_status(&self) -> Option<&CloseStatus> {
        self.status.as_ref()
    }

    /// The Close frame the peer sent, as soon as it arrived.
    pub fn received_close(&self) -> Option<&CloseStatus> {
        self.received_close.as_ref()
    }

    /// The deadline that ended the connection, if one did.
    pub fn timed_out(&self) -> Option<Timeout> {
        self.timed_out
    }

    /// The protocol error that failed the connection, once, for logging.
    pub fn take_error(&mut self) -> Option<ProtocolError> {
        self.unreported_error.take()
    }

    pub fn set_heartbeat_interval(&mut self, interval: Duration, now: Duration) {
        self.heartbeat.set_interval(interval, now);
    }

    // ---- receiving ------------------------------------------------------------

    /// How many bytes the caller should read now; 0 while the inbound queue is
    /// full or our answers are not going out (TCP flow control then pushes back
    /// on the peer), or input is over.
    pub fn read_capacity(&self) -> usize {
        if !self.accepts_input() || !self.stash.is_empty() || self.inbound_full() || self.outbound_backed_up() {
            0
        } else {
            READ_CHUNK
        }
    }

    /// Our answers to the peer are piling up (it sends control frames faster than
    /// it reads), or they sit behind a full outbound queue. Data the application
    /// queued alone never counts (sends beyond the limit are refused), so two
    /// peers streaming at each other can't both stop reading for it.
    fn outbound_backed_up(&self) -> bool {
        let control = self.outbox.unsent_control();
        control >= CONTROL_QUEUE_LIMIT
            || (control > 0
                && self
                    .limits
                    .max_outbound_buffered
                    .is_some_and(|limit| self.outbox.buffered_payload() + control > limit))
    }

    fn accepts_input(&self) -> bool {
        self.state != State::Closed
            && self.received_close.is_none()
            && self.failure.is_none()
            && self.deferred_failure.is_none()
    }

    fn inbound_full(&self) -> bool {
        self.inbound.len() >= self.limits.max_queued_messages.max(1)
            || self.inbound_bytes >= self.limits.max_inbound_buffered.max(1)
    }

    /// Feeds bytes read from the transport.
    pub fn receive(&mut self, data: &[u8], now: Duration) {
        self.now = now;
        if data.is_empty() || !self.accepts_input() {
            return;
        }
        self.heartbeat.on_inbound(now);
        if !self.stash.is_empty() {
            self.stash.extend_from_slice(data);
            return;
        }
        let used = self.process(data);
        if used < data.len() && self.accepts_input() {
            self.stash.extend_from_slice(&data[used..]);
        }
        self.update_closing();
    }

    /// The transport reached end of input (or failed).
    pub fn receive_eof(&mut self) {
        if self.state == State::Closed {
            return;
        }
        let status = self.closing_outcome();
        self.finish(status);
    }

    /// The transport failed on write: nothing more can be sent.
    pub fn abort(&mut self) {
        self.receive_eof();
    }

    /// Complete messages waiting to be read.
    pub fn available(&self) -> usize {
        self.inbound.len()
    }

    /// The oldest complete message. Messages that arrived before the peer's
    /// Close (or before the transport ended) stay readable until taken.
    pub fn pop_message(&mut self) -> Option<Message> {
        let message = self.inbound.pop_front()?;
        self.inbound_bytes -= message.data.len();
        if !self.stash.is_empty() && !self.inbound_full() {
            let stash = std::mem::take(&mut self.stash);
            let used = self.process(&stash);
            self.stash = stash;
            self.stash.drain(..used);
            if !self.accepts_input() {
                self.stash = Vec::new();
            }
            self.update_closing();
        }
        Some(message)
    }

    /// Runs the frame decoder over `input` until it is used up, the inbound
    /// queue is full or input ends. Returns the bytes used.
    fn process(&mut self, input: &[u8]) -> usize {
        let mut rest = input;
        while self.accepts_input() && !self.inbound_full() {
            let (n, event) = match self.decoder.decode(rest) {
                Ok(step) => step,
                Err(e) => {
                    self.fail(ProtocolError::Frame(e));
                    break;
                }
            };
            rest = &rest[n..];
            let Some(event) = event else { break };
            let handled = match event {
                FrameEvent::Header(header) => self.on_header(header),
                FrameEvent::Payload { data, offset } => self.on_payload(data, offset),
                FrameEvent::End => self.on_frame_end(),
            };
            if let Err(e) = handled {
                self.fail(e);
                break;
            }
        }
        input.len() - rest.len()
    }

    fn on_header(&mut self, h: FrameHeader) -> Result<(), ProtocolError> {
        self.frame = match h.opcode {
            OpCode::Text | OpCode::Binary => {
                self.assembler.start(h.opcode == OpCode::Text, h.payload_len, h.rsv1)?;
                CurrentFrame::Data { fin: h.fin, mask: h.mask }
            }
            OpCode::Continuation => {
                self.assembler.continue_with(h.payload_len)?;
                CurrentFrame::Data { fin: h.fin, mask: h.mask }
            }
            opcode => {
                self.control_len = 0;
                CurrentFrame::Control { opcode, mask: h.mask }
            }
        };
        Ok(())
    }

    fn on_payload(&mut self, data: &[u8], offset: u64) -> Result<(), ProtocolError> {
        match self.frame {
            CurrentFrame::Data { mask: Some(key), .. } => self.assembler.extend_masked(data, key, offset),
            CurrentFrame::Data { mask: None, .. } => self.assembler.extend(data),
            CurrentFrame::Control { mask, .. } => {
                let at = self.control_len;
                self.control[at..at + data.len()].copy_from_slice(data);
                if let Some(key) = mask {
                    crate::mask::apply_mask(&mut self.control[at..at + data.len()], key, offset as usize);
                }
                self.control_len += data.len();
                Ok(())
            }
            CurrentFrame::None => unreachable!("payload without a header"),
        }
    }

    fn on_frame_end(&mut self) -> Result<(), ProtocolError> {
        match std::mem::replace(&mut self.frame, CurrentFrame::None) {
            CurrentFrame::Data { fin: true, .. } => {
                let message = self.assembler.finish()?;
                self.inbound_bytes += message.data.len();
                self.inbound.push_back(message);
            }
            CurrentFrame::Data { fin: false, .. } => {}
            CurrentFrame::Control { opcode, .. } => self.on_control(opcode)?,
            CurrentFrame::None => unreachable!("frame end without a header"),
        }
        Ok(())
    }

    fn on_control(&mut self, opcode: OpCode) -> Result<(), ProtocolError> {
        let payload = &self.control[..self.control_len];
        match opcode {
            OpCode::Ping => {
                // Nothing may follow our own Close.
                if !self.close_sent {
                    let mut pong = [0; MAX_CONTROL_PAYLOAD];
                    let pong = &mut pong[..payload.len()];
                    pong.copy_from_slice(payload);
                    let mask = self.next_mask();
                    self.outbox.push_pong(pong, mask);
                }
            }
            OpCode::Pong => self.heartbeat.on_pong(payload),
            OpCode::Close => {
                let status = parse_close_payload(payload)?;
                self.received_close = Some(status.clone());
                self.stash = Vec::new();
                if !self.close_sent {
                    // Echo it at once; queued data the peer would discard is dropped.
                    self.outbox.discard_unstarted_data();
                    self.push_close(&status, true);
                    self.state = State::Closing;
                    self.close_deadline = Some(self.now + self.limits.close_timeout);
                }
            }
            _ => unreachable!("only control opcodes reach here"),
        }
        Ok(())
    }

    /// Fails the connection (RFC 6455 §7.1.7); when messages received before the
    /// violation are still unread, at the first `poll()` after they have been
    /// read, so replies to them go out first (Autobahn's strict behaviour).
    fn fail(&mut self, error: ProtocolError) {
        self.unreported_error = Some(error);
        self.stash = Vec::new();
        if self.inbound.is_empty() || self.close_sent {
            self.fail_now(error);
        } else {
            self.deferred_failure = Some(error);
        }
    }

    /// Sends Close with the error's code after what is already queued, and ends
    /// the connection once it is written.
    fn fail_now(&mut self, error: ProtocolError) {
        self.failure = Some(error);
        if !self.close_sent {
            self.push_close(&CloseStatus::new(error.close_code(), ""), false);
            self.close_deadline = Some(self.now + self.limits.close_timeout);
        }
        if self.state == State::Open {
            self.state = State::Closing;
        }
    }

    // ---- sending -------------------------------------------------------------

    /// Queues one unfragmented message. The caller then writes `pending_output()`.
    pub fn send(&mut self, is_text: bool, payload: &[u8]) -> Result<(), SendError> {
        if self.state != State::Open {
            return Err(SendError::NotOpen);
        }
        let limit = self.limits.max_queued_messages;
        if self.outbox.queued_frames() >= limit {
            return Err(SendError::TooManyQueued { limit });
        }
        if let Some(limit) = self.limits.max_outbound_buffered {
            let queued = self.outbox.buffered_payload();
            if queued + payload.len() > limit {
                return Err(SendError::BufferFull { queued, size: payload.len(), limit });
            }
        }
        let mask = self.next_mask();
        let opcode = if is_text { OpCode::Text } else { OpCode::Binary };
        match self.compressor.as_mut() {
            Some(compressor) => {
                self.compressed.clear();
                compressor.compress(payload, &mut self.compressed);
                self.outbox.push_data_rsv1(true, opcode, &self.compressed, mask);
                if self.compressed.capacity() > COMPRESSED_KEEP_CAPACITY {
                    self.compressed = Vec::new();
                }
            }
            None => self.outbox.push_data(opcode, payload, mask),
        }
        Ok(())
    }

    /// Starts the closing handshake. Data already queued goes out first. No
    /// effect unless open (as the engine); refused arguments leave it open.
    pub fn close(&mut self, code: i64, reason: &str, now: Duration) -> Result<(), CloseError> {
        let code = validate_close(code, reason)?;
        self.now = now;
        if self.state != State::Open {
            return Ok(());
        }
        self.push_close(&CloseStatus::new(code, reason), false);
        self.state = State::Closing;
        self.close_deadline = Some(now + self.limits.close_timeout);
        Ok(())
    }

    fn push_close(&mut self, status: &CloseStatus, urgent: bool) {
        let mut payload = Vec::with_capacity(2 + status.reason.len());
        write_close_payload(&mut payload, status);
        let mask = self.next_mask();
        if urgent {
            self.outbox.push_control(OpCode::Close, &payload, mask);
        } else {
            self.outbox.push_data(OpCode::Close, &payload, mask);
        }
        self.close_sent = true;
    }

    fn next_mask(&mut self) -> Option<[u8; 4]> {
        self.masks.as_mut().map(|rng| rng.next_u32().to_ne_bytes())
    }

    /// Bytes to write to the transport next (empty when there are none).
    pub fn pending_output(&self) -> &[u8] {
        if self.state == State::Closed {
            return &[];
        }
        self.outbox.pending()
    }

    /// The transport wrote the first `n` bytes of `pending_output()`.
    pub fn consume_output(&mut self, n: usize) {
        self.outbox.consume(n);
        self.update_closing();
    }

    /// Payload bytes of messages queued and not yet completely written.
    pub fn buffered_amount(&self) -> usize {
        self.outbox.buffered_payload()
    }

    /// Bytes held for output not yet written: data and control frames, encoded.
    pub fn queued_output_bytes(&self) -> usize {
        self.outbox.queued_wire_bytes()
    }

    /// Messages queued and not yet completely written.
    pub fn queued_messages(&self) -> usize {
        self.outbox.queued_frames()
    }

    // ---- time and closing ----------------------------------------------------

    /// Runs the timers: heartbeat pings and timeout, the close deadline.
    pub fn poll(&mut self, now: Duration) {
        self.now = now;
        // Every message before the violation has been read (and answered).
        if self.inbound.is_empty() {
            if let Some(error) = self.deferred_failure.take() {
                self.fail_now(error);
            }
        }
        if self.state == State::Open {
            match self.heartbeat.poll(now) {
                HeartbeatAction::None => {}
                HeartbeatAction::Ping(payload) => {
                    let mask = self.next_mask();
                    self.outbox.push_control(OpCode::Ping, &payload, mask);
                }
                // A dead peer: end without a Close frame, as the engine does.
                HeartbeatAction::TimedOut => {
                    self.timed_out = Some(Timeout::Heartbeat);
                    self.finish(CloseStatus::abnormal());
                }
            }
        }
        if self.state == State::Closing && self.close_deadline.is_some_and(|d| now >= d) {
            self.timed_out = Some(Timeout::Close);
            let status = self.closing_outcome();
            self.finish(status);
        }
        self.update_closing();
    }

    /// The close handshake is over once our Close is written and either the
    /// peer's Close arrived or we failed the connection.
    fn update_closing(&mut self) {
        if self.state != State::Closing || !self.outbox.is_empty() || !self.close_sent {
            return;
        }
        if self.received_close.is_some() || self.failure.is_some() {
            let status = self.closing_outcome();
            self.finish(status);
        }
    }

    /// What to report when the connection ends now.
    fn closing_outcome(&self) -> CloseStatus {
        if let Some(status) = &self.received_close {
            status.clone()
        } else if let Some(error) = &self.failure {
            CloseStatus::new(error.close_code(), error.reason())
        } else {
            CloseStatus::abnormal()
        }
    }

    fn finish(&mut self, status: CloseStatus) {
        self.state = State::Closed;
        self.status = Some(status);
        self.stash = Vec::new();
        self.outbox = Outbox::default();
        self.close_deadline = None;
    }
}
