//! An engine `StreamPeerTCP`, or a `StreamPeerTLS` over one, as a transport.

use std::cell::RefCell;
use std::io;
use std::mem::ManuallyDrop;

use godot::classes::stream_peer_socket::Status as TcpStatus;
use godot::classes::stream_peer_tls::Status as TlsStatus;
use godot::classes::{StreamPeer, StreamPeerTcp, StreamPeerTls};
use godot::global::Error;
use godot::prelude::*;

use super::ReadOutcome;

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
    /// Plain TCP only (TLS may hold decrypted input the socket no longer shows).
    #[cfg(target_os = "linux")]
    watch: Watch,
}

/// Whether the stream's socket is watched for input, or every poll reads.
#[cfg(target_os = "linux")]
enum Watch {
    /// Looking for the socket (socket_lookup.rs): every poll reads meanwhile.
    Searching(super::socket_lookup::Lookup),
    Watching(SocketWatch),
    /// Not found, ambiguous, TLS, not connected when accepted, no searching
    /// thread, or closed: every poll reads.
    None,
}

/// The stream's socket, found by its addresses, in the idle-socket watcher.
#[cfg(target_os = "linux")]
struct SocketWatch {
    /// Declared (so dropped) before the descriptor, as in `TcpTransport`.
    registration: super::readiness::Registration,
    _fd: std::os::fd::OwnedFd,
}

#[cfg(target_os = "linux")]
impl Watch {
    /// Starts looking for a connected stream's socket.
    fn start(tcp: &Gd<StreamPeerTcp>) -> Watch {
        let search = || {
            if tcp.get_status() != TcpStatus::CONNECTED {
                return None;
            }
            let ip: std::net::IpAddr = tcp.get_connected_host().to_string().parse().ok()?;
            let port = u16::try_from(tcp.get_connected_port()).ok()?;
            super::socket_lookup::look_up(std::net::SocketAddr::new(ip, port))
        };
        search().map_or(Watch::None, Watch::Searching)
    }

    /// The registration to consult before a read, once the search has answered.
    fn registration(&mut self) -> Option<&mut super::readiness::Registration> {
        if let Watch::Searching(lookup) = self {
            if let super::socket_lookup::Answer::Done(found) = lookup.answer() {
                *self = found
                    .and_then(|fd| {
                        Some(SocketWatch { registration: super::readiness::Registration::new(&fd)?, _fd: fd })
                    })
                    .map_or(Watch::None, Watch::Watching);
            }
        }
        match self {
            Watch::Watching(watch) => Some(&mut watch.registration),
            _ => None,
        }
    }
}

/// Whether the stream can carry bytes yet.
pub enum Readiness {
    Ready,
    /// TLS still handshaking.
    Pending,
    Failed(String),
}

impl StreamPeerTransport {
    /// Accepts a `StreamPeerTCP`, or a `StreamPeerTLS` whose inner stream is one.
    pub fn new(stream: Gd<StreamPeer>) -> Option<StreamPeerTransport> {
        if let Ok(tcp) = stream.clone().try_cast::<StreamPeerTcp>() {
            return Some(StreamPeerTransport {
                #[cfg(target_os = "linux")]
                watch: Watch::start(&tcp),
                stream,
                tcp,
                tls: None,
            });
        }
        let tls = stream.clone().try_cast::<StreamPeerTls>().ok()?;
        let tcp = tls.get_stream()?.try_cast::<StreamPeerTcp>().ok()?;
        Some(StreamPeerTransport {
            stream,
            tcp,
            tls: Some(tls),
            #[cfg(target_os = "linux")]
            watch: Watch::None,
        })
    }

    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Drives the engine stream (TCP status, TLS handshake) and says whether it is usable.
    pub fn readiness(&mut self) -> Readiness {
        match &mut self.tls {
            Some(tls) => {
                tls.poll();
                match tls.get_status() {
                    TlsStatus::CONNECTED => Readiness::Ready,
                    TlsStatus::HANDSHAKING => Readiness::Pending,
                    TlsStatus::ERROR_HOSTNAME_MISMATCH => Readiness::Failed("TLS: hostname mismatch".into()),
                    TlsStatus::ERROR => Readiness::Failed("TLS handshake failed".into()),
                    _ => Readiness::Failed("TLS stream disconnected".into()),
                }
            }
            None => {
                self.tcp.poll();
                match self.tcp.get_status() {
                    TcpStatus::CONNECTED => Readiness::Ready,
                    TcpStatus::CONNECTING => Readiness::Pending,
                    _ => Readiness::Failed("TCP stream is not connected".into()),
                }
            }
        }
    }

    pub fn read_into(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome {
        // The app may have disconnected the stream itself: asking a closed socket
        // for its byte count prints an engine error. Reading the status is no syscall.
        if matches!(self.tcp.get_status(), TcpStatus::NONE | TcpStatus::ERROR) {
            return ReadOutcome::Closed;
        }
        if self.tls.is_none() {
            #[cfg(target_os = "linux")]
            if let Some(registration) = self.watch.registration() {
                // Idle and nothing arrived since: no engine call at all.
                if !registration.may_be_readable() {
                    return ReadOutcome::WouldBlock;
                }
            }
            let outcome = self.read_plain(max, sink);
            #[cfg(target_os = "linux")]
            if let Some(registration) = self.watch.registration() {
                registration.after_read(!matches!(outcome, ReadOutcome::WouldBlock));
            }
            return outcome;
        }
        // TLS decrypts inside poll().
        match self.readiness() {
            Readiness::Ready => {}
            Readiness::Pending => return ReadOutcome::WouldBlock,
            Readiness::Failed(_) => return ReadOutcome::Closed,
        }
        let available = self.stream.get_available_bytes();
        if available <= 0 {
            return ReadOutcome::WouldBlock;
        }
        self.partial_read((available as usize).min(max), sink)
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

    pub fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // A TLS stream must be driven to finish its handshake; a TCP write reports failure itself.
        if self.tls.is_some() {
            match self.readiness() {
                Readiness::Ready => {}
                Readiness::Pending => return Ok(0),
                Readiness::Failed(why) => return Err(io::Error::new(io::ErrorKind::ConnectionAborted, why)),
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

    pub fn set_no_delay(&mut self, enabled: bool) {
        self.tcp.set_no_delay(enabled);
    }

    pub fn peer_addr(&self) -> (String, u16) {
        (self.tcp.get_connected_host().to_string(), self.tcp.get_connected_port() as u16)
    }

    pub fn close(&mut self) {
        match &mut self.tls {
            Some(tls) => tls.disconnect_from_stream(),
            None => self.tcp.disconnect_from_host(),
        }
        // Our copy of the descriptor would keep the connection open.
        #[cfg(target_os = "linux")]
        {
            self.watch = Watch::None;
        }
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
