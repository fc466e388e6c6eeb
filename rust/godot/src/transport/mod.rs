//! Byte transports under a WebSocket: a socket of our own (a client's, or one the
//! multiplayer server accepted), or the engine `StreamPeer` (TCP or TLS) a server
//! was handed by `accept_stream`.

pub mod dns;
pub mod dns_cache;
pub mod listener;
#[cfg(target_os = "linux")]
pub mod readiness;
#[cfg(target_os = "linux")]
pub mod socket_lookup;
pub mod stream_peer;
pub mod tcp_connect;
pub mod tls;
#[cfg(test)]
mod tls_test_identity;

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};

pub use stream_peer::StreamPeerTransport;
pub use tls::TlsStream;

thread_local! {
    /// One read buffer per thread instead of one per peer: idle peers hold none.
    static READ_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub enum Transport {
    Tcp(TcpTransport),
    Stream(StreamPeerTransport),
    /// `wss://`: rustls over the client's own socket.
    Tls(Box<TlsStream>),
    /// Released: the connection is over.
    Closed,
}

/// The client's own socket, with its place in the idle-socket watcher (readiness.rs).
pub struct TcpTransport {
    /// Declared (so dropped) before the socket: it leaves the epoll set while its fd is open.
    #[cfg(target_os = "linux")]
    readiness: Option<readiness::Registration>,
    stream: TcpStream,
    /// Why reading failed (a reset), for `get_failure_reason()`.
    error: Option<String>,
}

impl Transport {
    pub fn tcp(stream: TcpStream) -> Transport {
        Transport::Tcp(TcpTransport {
            error: None,
            #[cfg(target_os = "linux")]
            readiness: readiness::Registration::new(&stream),
            stream,
        })
    }
}

impl TcpTransport {
    fn may_be_readable(&mut self) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(readiness) = &mut self.readiness {
            return readiness.may_be_readable();
        }
        true
    }

    /// `found`: the read returned data or an end (not "would block").
    fn after_read(&mut self, _found: bool) {
        #[cfg(target_os = "linux")]
        if let Some(readiness) = &mut self.readiness {
            readiness.after_read(_found);
        }
    }
}

/// What a read returned.
pub enum ReadOutcome {
    /// `n` bytes were handed to the sink.
    Data(usize),
    /// Nothing available now.
    WouldBlock,
    /// The peer closed the connection, or it failed.
    Closed,
}

impl Transport {
    /// Reads up to `max` bytes and hands them to `sink` (without a copy for
    /// engine streams, whose reads already return a fresh array).
    pub fn read_into(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome {
        if let Transport::Tcp(tcp) = self {
            if !tcp.may_be_readable() {
                return ReadOutcome::WouldBlock;
            }
        }
        match self {
            Transport::Tcp(tcp) => READ_BUF.with_borrow_mut(|buf| {
                if buf.len() < max {
                    buf.resize(max, 0);
                }
                let result = tcp.stream.read(&mut buf[..max]);
                tcp.after_read(!matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock));
                match result {
                    Ok(0) => ReadOutcome::Closed,
                    Ok(n) => {
                        sink(&buf[..n]);
                        ReadOutcome::Data(n)
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => {
                        ReadOutcome::WouldBlock
                    }
                    Err(e) => {
                        tcp.error.get_or_insert_with(|| format!("connection lost: {}", e.kind()));
                        ReadOutcome::Closed
                    }
                }
            }),
            Transport::Stream(stream) => stream.read_into(max, sink),
            Transport::Tls(tls) => tls.read_into(max, sink),
            Transport::Closed => ReadOutcome::Closed,
        }
    }

    /// Writes what the transport takes now; `Ok(0)` when it would block.
    pub fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Tcp(tcp) => match tcp.stream.write(data) {
                Ok(n) => Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => Ok(0),
                Err(e) => Err(e),
            },
            Transport::Stream(stream) => stream.write(data),
            Transport::Tls(tls) => tls.write(data),
            Transport::Closed => Err(io::Error::new(io::ErrorKind::NotConnected, "connection closed")),
        }
    }

    pub fn set_no_delay(&mut self, enabled: bool) {
        match self {
            Transport::Tcp(tcp) => {
                let _ = tcp.stream.set_nodelay(enabled);
            }
            Transport::Stream(stream) => stream.set_no_delay(enabled),
            Transport::Tls(tls) => {
                let _ = tls.socket().set_nodelay(enabled);
            }
            Transport::Closed => {}
        }
    }

    /// The remote address as (IP text, port).
    pub fn peer_addr(&self) -> (String, u16) {
        match self {
            Transport::Tcp(tcp) => {
                tcp.stream.peer_addr().map(|a| (a.ip().to_canonical().to_string(), a.port())).unwrap_or_default()
            }
            Transport::Stream(stream) => stream.peer_addr(),
            Transport::Tls(tls) => {
                tls.socket().peer_addr().map(|a| (a.ip().to_canonical().to_string(), a.port())).unwrap_or_default()
            }
            Transport::Closed => (String::new(), 0),
        }
    }

    pub fn close(&mut self) {
        match self {
            Transport::Tcp(tcp) => {
                let _ = tcp.stream.shutdown(Shutdown::Both);
            }
            Transport::Stream(stream) => stream.close(),
            Transport::Tls(tls) => {
                tls.close();
                let _ = tls.socket().shutdown(Shutdown::Both);
            }
            Transport::Closed => {}
        }
    }

    /// Why the transport failed, when it knows (TLS errors, a reset).
    pub fn error(&self) -> Option<&str> {
        match self {
            Transport::Tls(tls) => tls.error(),
            Transport::Tcp(tcp) => tcp.error.as_deref(),
            _ => None,
        }
    }

    /// Whether the failure is the TLS layer's (`FAILURE_TLS`), not the socket's.
    pub fn is_tls_failure(&self) -> bool {
        match self {
            Transport::Tls(tls) => tls.is_tls_failure(),
            _ => false,
        }
    }
}
