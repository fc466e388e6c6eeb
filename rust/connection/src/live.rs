//! An open (or closing, or closed but not yet drained) connection: the core
//! driven over a transport.

use std::time::Duration;

use ws_protocol::{Connection, ProtocolError, SendError, State, Timeout};

use crate::failure::{Failure, FailureKind};
use crate::transport::{ReadOutcome, Transport};

/// Most bytes read in one `poll()`, so one busy peer can't stall a frame.
const READ_BUDGET_PER_POLL: usize = 4 << 20;
/// `send_later` writes what is queued once this much waits (a frame's packets are
/// usually far less).
const COALESCE_BYTES: usize = 64 << 10;

pub(crate) struct Live {
    pub(crate) conn: Connection,
    transport: Transport,
    /// `close()` was called by the application (so the state shows CLOSING at once).
    pub(crate) closed_by_app: bool,
    /// The application dropped the connection (`close()` with a negative code).
    pub(crate) aborted_by_app: bool,
    /// Why the connection failed; the first cause found wins.
    pub(crate) failure: Option<Failure>,
    /// The failure was handed to `take_new_failure` (for its one log line).
    failure_reported: bool,
}

impl Live {
    pub fn new(conn: Connection, transport: Transport) -> Live {
        Live { conn, transport, closed_by_app: false, aborted_by_app: false, failure: None, failure_reported: false }
    }

    pub fn transport_mut(&mut self) -> &mut Transport {
        &mut self.transport
    }

    /// Reads, runs timers, writes. Everything a connection does happens here.
    pub fn poll(&mut self, now: Duration) {
        if self.conn.state() != State::Closed {
            self.read(now);
            self.conn.poll(now);
            self.note_timeout();
            self.flush();
        }
        self.release_transport_if_closed();
    }

    fn read(&mut self, now: Duration) {
        let mut budget = READ_BUDGET_PER_POLL;
        while budget > 0 {
            let capacity = self.conn.read_capacity().min(budget);
            if capacity == 0 {
                break;
            }
            let conn = &mut self.conn;
            match self.transport.read_into(capacity, &mut |bytes| conn.receive(bytes, now)) {
                // A short read drained the socket: skip the call that would only say so.
                ReadOutcome::Data(n) if n < capacity => break,
                ReadOutcome::Data(n) => budget = budget.saturating_sub(n),
                ReadOutcome::WouldBlock => break,
                ReadOutcome::Closed => {
                    self.conn.receive_eof();
                    self.note_end_of_input();
                    break;
                }
            }
        }
        if let Some(error) = self.conn.take_error() {
            self.fail(protocol_failure(error));
        }
    }

    /// The first cause wins: later ones are consequences.
    fn fail(&mut self, failure: Failure) {
        self.failure.get_or_insert(failure);
    }

    /// Input ended: a failure unless the peer's Close frame came first.
    fn note_end_of_input(&mut self) {
        if self.conn.received_close().is_some() {
            return;
        }
        let kind = if self.transport.is_tls_failure() { FailureKind::Tls } else { FailureKind::ConnectionLost };
        let why = self.transport.error().unwrap_or("the peer closed the connection without a Close frame");
        let failure = Failure::new(kind, why);
        self.fail(failure);
    }

    fn note_timeout(&mut self) {
        let why = match self.conn.timed_out() {
            None => return,
            Some(Timeout::Heartbeat) => "no answer to a ping within heartbeat_interval".to_string(),
            Some(Timeout::Close) => format!(
                "the closing handshake did not complete within {} s",
                self.conn.limits().close_timeout.as_secs_f64()
            ),
        };
        self.fail(Failure::new(FailureKind::Timeout, why));
    }

    /// Whether `take_new_failure` has a failure to hand out.
    pub fn has_new_failure(&self) -> bool {
        !self.failure_reported && self.failure.is_some()
    }

    /// The failure, the first time it is asked for after it happened.
    pub fn take_new_failure(&mut self) -> Option<&Failure> {
        if self.failure_reported {
            return None;
        }
        self.failure_reported = self.failure.is_some();
        self.failure.as_ref()
    }

    /// Writes what the transport takes now.
    pub fn flush(&mut self) {
        loop {
            let pending = self.conn.pending_output();
            if pending.is_empty() {
                break;
            }
            match self.transport.write(pending) {
                Ok(0) => break,
                Ok(n) => self.conn.consume_output(n),
                Err(e) => {
                    let kind =
                        if self.transport.is_tls_failure() { FailureKind::Tls } else { FailureKind::ConnectionLost };
                    self.fail(Failure::new(kind, format!("connection lost while sending: {e}")));
                    self.conn.abort();
                    break;
                }
            }
        }
        self.release_transport_if_closed();
    }

    /// Queues a message and tries one non-blocking write.
    pub fn send(&mut self, is_text: bool, data: &[u8]) -> Result<(), SendError> {
        self.conn.send(is_text, data)?;
        self.flush();
        Ok(())
    }

    /// Queues a message without writing it: it leaves with the next `flush` (or `poll`),
    /// in one write with every message queued meanwhile. Writes first when much is
    /// waiting already, or when the message would not fit otherwise.
    pub fn send_later(&mut self, is_text: bool, data: &[u8]) -> Result<(), SendError> {
        if self.conn.queued_output_bytes() >= COALESCE_BYTES {
            self.flush();
        }
        match self.conn.send(is_text, data) {
            Err(SendError::BufferFull { .. } | SendError::TooManyQueued { .. }) => {
                self.flush();
                self.conn.send(is_text, data)
            }
            other => other,
        }
    }

    fn release_transport_if_closed(&mut self) {
        if self.conn.state() == State::Closed && !matches!(self.transport, Transport::Closed) {
            self.transport.close();
            self.transport = Transport::Closed;
        }
    }

    /// Ends at once: no Close frame (`close()` with a negative code).
    pub fn abort(&mut self) {
        self.aborted_by_app |= self.conn.state() != State::Closed;
        self.conn.abort();
        self.release_transport_if_closed();
    }
}

/// The peer broke RFC 6455 and we closed with `error.close_code()`; a message
/// over `inbound_buffer_size` (1009), as sent or once inflated, is a limit rather
/// than a violation.
fn protocol_failure(error: ProtocolError) -> Failure {
    let kind = match error {
        ProtocolError::MessageTooBig { .. } | ProtocolError::InflatedTooBig { .. } => FailureKind::Limit,
        _ => FailureKind::Protocol,
    };
    Failure::new(kind, format!("closed with {}: {error}", error.close_code()))
}
