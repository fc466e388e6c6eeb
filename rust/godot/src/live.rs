//! An open (or closing, or closed but not yet drained) connection: the core
//! driven over a transport.

use std::time::Duration;

use godot::global::godot_error;
use ws_protocol::{Connection, SendError, State};

use crate::transport::{ReadOutcome, Transport};

/// Most bytes read in one `poll()`, so one busy peer can't stall a frame.
const READ_BUDGET_PER_POLL: usize = 4 << 20;

pub struct Live {
    pub conn: Connection,
    transport: Transport,
    /// `close()` was called by the application (so the state shows CLOSING at once).
    pub closed_by_app: bool,
}

impl Live {
    pub fn new(conn: Connection, transport: Transport) -> Live {
        Live { conn, transport, closed_by_app: false }
    }

    pub fn transport_mut(&mut self) -> &mut Transport {
        &mut self.transport
    }

    /// Reads, runs timers, writes. Everything a connection does happens here.
    pub fn poll(&mut self, now: Duration) {
        if self.conn.state() != State::Closed {
            self.read(now);
            self.conn.poll(now);
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
                    break;
                }
            }
        }
        if let Some(error) = self.conn.take_error() {
            godot_error!("RustWebSocketPeer: closing with {}: {error}", error.close_code());
        }
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
                    godot_error!("RustWebSocketPeer: connection lost while sending: {e}");
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

    fn release_transport_if_closed(&mut self) {
        if self.conn.state() == State::Closed && !matches!(self.transport, Transport::Closed) {
            self.transport.close();
            self.transport = Transport::Closed;
        }
    }

    /// Ends at once: no Close frame (`close()` with a negative code).
    pub fn abort(&mut self) {
        self.conn.abort();
        self.release_transport_if_closed();
    }
}
