//! An engine `StreamPeerTCP`, or a `StreamPeerTLS` over one (what `accept_stream`
//! is given), as the connection crate's `ExternalStream`.

use std::cell::RefCell;
use std::io;
use std::mem::ManuallyDrop;

use godot::classes::stream_peer_socket::Status as TcpStatus;
use godot::classes::stream_peer_tls::Status as TlsStatus;
use godot::classes::{StreamPeer, StreamPeerTcp, StreamPeerTls};
use godot::global::Error;
use godot::prelude::*;
use ws_connection::readiness::RemoteSocketWatch;
use ws_connection::{ExternalStream, ReadOutcome, StreamReadiness};

thread_local! {
    /// Reused for writes: the engine copies out of it, so one per thread serves all
    /// peers. Never dropped: thread-local destructors run after the engine has shut
    /// down, when releasing an engine array would abort the process.
    static WRITE_BUF: RefCell<ManuallyDrop<PackedByteArray>> = RefCell::new(ManuallyDrop::new(PackedByteArray::new()));
}

/// First read of a plain TCP stream in each call: enough for most messages.
const PROBE: usize = 4096;
/// Largest single write handed to the engine.
const MAX_WRITE: usize = 256 * 1024;

pub struct StreamPeerTransport {
    stream: Gd<StreamPeer>,
    tcp: Gd<StreamPeerTcp>,
    tls: Option<Gd<StreamPeerTls>>,
    /// The stream's socket, watched for input while idle (plain TCP only: TLS may
    /// hold decrypted input the socket no longer shows).
    watch: RemoteSocketWatch,
}

impl StreamPeerTransport {
    /// Accepts a `StreamPeerTCP`, or a `StreamPeerTLS` whose inner stream is one.
    pub fn new(stream: Gd<StreamPeer>) -> Option<StreamPeerTransport> {
        if let Ok(tcp) = stream.clone().try_cast::<StreamPeerTcp>() {
            return Some(StreamPeerTransport { watch: watch(&tcp), stream, tcp, tls: None });
        }
        let tls = stream.clone().try_cast::<StreamPeerTls>().ok()?;
        let tcp = tls.get_stream()?.try_cast::<StreamPeerTcp>().ok()?;
        Some(StreamPeerTransport { stream, tcp, tls: Some(tls), watch: RemoteSocketWatch::none() })
    }

    /// Plain TCP: a small read first (the engine zero-fills the array it returns, so
    /// asking for 64 KiB costs 64 KiB of memset even when nothing waits). One recv
    /// says what waits, nothing, or the end; on an end or a reset the engine
    /// disconnects the stream, so no status poll (two more syscalls) is needed to
    /// notice a dropped connection.
    fn read_plain(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome {
        let first = match self.partial_read(max.min(PROBE), sink) {
            ReadOutcome::Data(n) if n == PROBE && max > PROBE => n,
            outcome => return outcome,
        };
        // The probe was filled: read the rest that waits, up to `max`.
        let available = self.stream.get_available_bytes();
        if available <= 0 {
            return ReadOutcome::Data(first);
        }
        match self.partial_read((available as usize).min(max - first), sink) {
            ReadOutcome::Data(n) => ReadOutcome::Data(first + n),
            _ => ReadOutcome::Data(first),
        }
    }

    /// One `get_partial_data` of up to `want` bytes, handed to `sink`.
    fn partial_read(&mut self, want: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome {
        let result = self.stream.get_partial_data(want.min(i32::MAX as usize) as i32);
        if result_error(&result) != Error::OK.ord() as i64 {
            return ReadOutcome::Closed;
        }
        let Some(bytes) = result.get(1).and_then(|v| v.try_to::<PackedByteArray>().ok()) else {
            return ReadOutcome::Closed;
        };
        if bytes.is_empty() {
            return ReadOutcome::WouldBlock;
        }
        sink(bytes.as_slice());
        ReadOutcome::Data(bytes.len())
    }
}

/// Starts looking for a connected stream's socket (not one still connecting).
fn watch(tcp: &Gd<StreamPeerTcp>) -> RemoteSocketWatch {
    let remote = || {
        if tcp.get_status() != TcpStatus::CONNECTED {
            return None;
        }
        let ip: std::net::IpAddr = tcp.get_connected_host().to_string().parse().ok()?;
        let port = u16::try_from(tcp.get_connected_port()).ok()?;
        Some(std::net::SocketAddr::new(ip, port))
    };
    remote().map_or_else(RemoteSocketWatch::none, RemoteSocketWatch::search)
}

impl ExternalStream for StreamPeerTransport {
    /// Drives the engine stream (TCP status, TLS handshake) and says whether it is usable.
    fn readiness(&mut self) -> StreamReadiness {
        match &mut self.tls {
            Some(tls) => {
                tls.poll();
                match tls.get_status() {
                    TlsStatus::CONNECTED => StreamReadiness::Ready,
                    TlsStatus::HANDSHAKING => StreamReadiness::Pending,
                    TlsStatus::ERROR_HOSTNAME_MISMATCH => StreamReadiness::Failed("TLS: hostname mismatch".into()),
                    TlsStatus::ERROR => StreamReadiness::Failed("TLS handshake failed".into()),
                    _ => StreamReadiness::Failed("TLS stream disconnected".into()),
                }
            }
            None => {
                self.tcp.poll();
                match self.tcp.get_status() {
                    TcpStatus::CONNECTED => StreamReadiness::Ready,
                    TcpStatus::CONNECTING => StreamReadiness::Pending,
                    _ => StreamReadiness::Failed("TCP stream is not connected".into()),
                }
            }
        }
    }

    fn read_into(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome {
        // The app may have disconnected the stream itself: asking a closed socket
        // for its byte count prints an engine error. Reading the status is no syscall.
        if matches!(self.tcp.get_status(), TcpStatus::NONE | TcpStatus::ERROR) {
            return ReadOutcome::Closed;
        }
        if self.tls.is_none() {
            // Idle and nothing arrived since: no engine call at all.
            if !self.watch.may_be_readable() {
                return ReadOutcome::WouldBlock;
            }
            let outcome = self.read_plain(max, sink);
            self.watch.after_read(!matches!(outcome, ReadOutcome::WouldBlock));
            return outcome;
        }
        // TLS decrypts inside poll().
        match self.readiness() {
            StreamReadiness::Ready => {}
            StreamReadiness::Pending => return ReadOutcome::WouldBlock,
            StreamReadiness::Failed(_) => return ReadOutcome::Closed,
        }
        let available = self.stream.get_available_bytes();
        if available <= 0 {
            return ReadOutcome::WouldBlock;
        }
        self.partial_read((available as usize).min(max), sink)
    }

    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // A TLS stream must be driven to finish its handshake; a TCP write reports failure itself.
        if self.tls.is_some() {
            match self.readiness() {
                StreamReadiness::Ready => {}
                StreamReadiness::Pending => return Ok(0),
                StreamReadiness::Failed(why) => return Err(io::Error::new(io::ErrorKind::ConnectionAborted, why)),
            }
        }
        let data = &data[..data.len().min(MAX_WRITE)];
        let result = WRITE_BUF.with_borrow_mut(|buf| {
            buf.resize(data.len());
            buf.as_mut_slice().copy_from_slice(data);
            self.stream.put_partial_data(buf)
        });
        let err = result_error(&result);
        if err == Error::ERR_BUSY.ord() as i64 {
            return Ok(0);
        }
        if err != Error::OK.ord() as i64 {
            return Err(io::Error::new(io::ErrorKind::ConnectionAborted, format!("stream write failed (error {err})")));
        }
        Ok(result.get(1).and_then(|v| v.try_to::<i64>().ok()).unwrap_or(0).max(0) as usize)
    }

    fn set_no_delay(&mut self, enabled: bool) {
        self.tcp.set_no_delay(enabled);
    }

    fn peer_addr(&self) -> (String, u16) {
        (self.tcp.get_connected_host().to_string(), self.tcp.get_connected_port() as u16)
    }

    fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    fn close(&mut self) {
        match &mut self.tls {
            Some(tls) => tls.disconnect_from_stream(),
            None => self.tcp.disconnect_from_host(),
        }
        // Our copy of the descriptor would keep the connection open.
        self.watch.release();
    }
}

/// The `Error` of an engine `[Error, value]` result array (FAILED if malformed).
fn result_error(result: &VarArray) -> i64 {
    result.get(0).and_then(|v| v.try_to::<i64>().ok()).unwrap_or(Error::FAILED.ord() as i64)
}

impl Drop for StreamPeerTransport {
    /// The WebSocket owns the stream it was given: when it lets go, the connection ends.
    fn drop(&mut self) {
        self.close();
    }
}
