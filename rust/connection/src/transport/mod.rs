//! Byte transports under a WebSocket: a socket of our own (a client's, or one our
//! listener accepted), rustls over such a socket, or a stream someone else owns
//! (`ExternalStream`: the engine's `StreamPeer` handed to `accept_stream`).

mod external;

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};

pub use external::{ExternalStream, StreamReadiness};

use crate::readiness::SocketWatch;
use crate::tls::TlsStream;

thread_local! {
    /// One read buffer per thread instead of one per connection: idle ones hold none.
    static READ_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub enum Transport {
    Tcp(TcpTransport),
    /// rustls over a socket of our own (`wss://` client, TLS multiplayer server).
    Tls(Box<TlsStream>),
    /// rustls to the server inside a proxy's tunnel (`wss://` through a proxy): TLS
    /// end to end with the server, over whatever reaches the proxy.
    TlsInTunnel(Box<TlsStream<Transport>>),
    External(Box<dyn ExternalStream>),
    /// Released: the connection is over.
    Closed,
}

/// A socket of our own, watched for input while idle (readiness.rs).
pub struct TcpTransport {
    /// Declared (so dropped) before the socket: it leaves the watcher while the socket is open.
    watch: SocketWatch,
    stream: TcpStream,
    /// Why reading failed (a reset), for the failure's reason.
    error: Option<String>,
    /// The remote address, known from the start (getpeername fails once the peer reset).
    peer: Option<SocketAddr>,
}

/// What a read returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// `n` bytes were handed to the sink.
    Data(usize),
    /// Nothing available now.
    WouldBlock,
    /// The peer closed the connection, or it failed.
    Closed,
}

impl Transport {
    /// A connected non-blocking socket of our own.
    pub fn tcp(stream: TcpStream) -> Transport {
        Transport::tcp_from(stream, None)
    }

    /// A socket accepted from `peer` (as accept() reported it; `None`: ask the socket).
    pub fn tcp_from(stream: TcpStream, peer: Option<SocketAddr>) -> Transport {
        let peer = peer.or_else(|| stream.peer_addr().ok());
        Transport::Tcp(TcpTransport { watch: SocketWatch::new(&stream), stream, error: None, peer })
    }

    pub fn external(stream: impl ExternalStream + 'static) -> Transport {
        Transport::External(Box::new(stream))
    }

    /// Reads up to `max` bytes and hands them to `sink` (straight from the engine's
    /// array for external streams, whose reads already return a fresh one).
    pub fn read_into(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome {
        match self {
            Transport::Tcp(tcp) => tcp.read_into(max, sink),
            Transport::External(stream) => stream.read_into(max, sink),
            Transport::Tls(tls) => tls.read_into(max, sink),
            Transport::TlsInTunnel(tls) => tls.read_into(max, sink),
            Transport::Closed => ReadOutcome::Closed,
        }
    }

    /// Writes what the transport takes now; `Ok(0)` when it would block.
    pub fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Tcp(tcp) => match tcp.stream.write(data) {
                Ok(n) => Ok(n),
                Err(e) if would_block(&e) => Ok(0),
                Err(e) => Err(e),
            },
            Transport::External(stream) => stream.write(data),
            Transport::Tls(tls) => tls.write(data),
            Transport::TlsInTunnel(tls) => tls.write(data),
            Transport::Closed => Err(io::Error::new(io::ErrorKind::NotConnected, "connection closed")),
        }
    }

    /// Whether the transport can carry bytes yet (an external stream may still be
    /// setting up its TLS; our own TLS sets itself up as it reads and writes).
    pub fn readiness(&mut self) -> StreamReadiness {
        match self {
            Transport::External(stream) => stream.readiness(),
            _ => StreamReadiness::Ready,
        }
    }

    pub fn set_no_delay(&mut self, enabled: bool) {
        match self {
            Transport::Tcp(tcp) => {
                let _ = tcp.stream.set_nodelay(enabled);
            }
            Transport::External(stream) => stream.set_no_delay(enabled),
            Transport::Tls(tls) => {
                let _ = tls.socket().set_nodelay(enabled);
            }
            Transport::TlsInTunnel(tls) => tls.socket_mut().set_no_delay(enabled),
            Transport::Closed => {}
        }
    }

    /// The remote address as (IP text, port).
    pub fn peer_addr(&self) -> (String, u16) {
        let of = |socket: &TcpStream| {
            socket.peer_addr().map(|a| (a.ip().to_canonical().to_string(), a.port())).unwrap_or_default()
        };
        match self {
            Transport::Tcp(tcp) => tcp.peer.map(|a| (a.ip().to_canonical().to_string(), a.port())).unwrap_or_default(),
            Transport::External(stream) => stream.peer_addr(),
            Transport::Tls(tls) => of(tls.socket()),
            // The proxy's: the other end of our socket.
            Transport::TlsInTunnel(tls) => tls.socket().peer_addr(),
            Transport::Closed => (String::new(), 0),
        }
    }

    /// Whether the bytes travel over TLS (a server's URL is then `wss://`).
    pub fn is_tls(&self) -> bool {
        match self {
            Transport::Tls(_) | Transport::TlsInTunnel(_) => true,
            Transport::External(stream) => stream.is_tls(),
            _ => false,
        }
    }

    pub fn close(&mut self) {
        match self {
            Transport::Tcp(tcp) => {
                let _ = tcp.stream.shutdown(Shutdown::Both);
            }
            Transport::External(stream) => stream.close(),
            Transport::Tls(tls) => {
                tls.close();
                let _ = tls.socket().shutdown(Shutdown::Both);
            }
            Transport::TlsInTunnel(tls) => {
                tls.close();
                tls.socket_mut().close();
            }
            Transport::Closed => {}
        }
    }

    /// Why the transport failed, when it knows (TLS errors, a reset).
    pub fn error(&self) -> Option<&str> {
        match self {
            Transport::Tls(tls) => tls.error(),
            Transport::TlsInTunnel(tls) => tls.error().or_else(|| tls.socket().error()),
            Transport::Tcp(tcp) => tcp.error.as_deref(),
            Transport::External(stream) => stream.error(),
            Transport::Closed => None,
        }
    }

    /// Whether the failure is the TLS layer's, not the socket's.
    pub fn is_tls_failure(&self) -> bool {
        match self {
            Transport::Tls(tls) => tls.is_tls_failure(),
            Transport::TlsInTunnel(tls) => tls.is_tls_failure(),
            Transport::External(stream) => stream.is_tls_failure(),
            _ => false,
        }
    }
}

/// A transport as a socket for the TLS that runs inside it (`TlsInTunnel`): the
/// usual `Read`/`Write` contract, `WouldBlock` when nothing moves.
impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut taken = 0;
        match self.read_into(buf.len(), &mut |bytes| {
            buf[taken..taken + bytes.len()].copy_from_slice(bytes);
            taken += bytes.len();
        }) {
            ReadOutcome::Data(_) => Ok(taken),
            ReadOutcome::WouldBlock => Err(io::ErrorKind::WouldBlock.into()),
            ReadOutcome::Closed => match self.error() {
                Some(why) => Err(io::Error::new(io::ErrorKind::ConnectionReset, why.to_string())),
                None => Ok(0),
            },
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Transport::write(self, buf)? {
            0 if !buf.is_empty() => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl crate::tls::RecordSocket for Transport {}

impl TcpTransport {
    fn read_into(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome {
        // Idle and nothing arrived since: no syscall at all.
        if !self.watch.may_be_readable() {
            return ReadOutcome::WouldBlock;
        }
        READ_BUF.with_borrow_mut(|buf| {
            if buf.len() < max {
                buf.resize(max, 0);
            }
            let result = self.stream.read(&mut buf[..max]);
            self.watch.after_read(!matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock));
            match result {
                Ok(0) => ReadOutcome::Closed,
                Ok(n) => {
                    sink(&buf[..n]);
                    ReadOutcome::Data(n)
                }
                Err(e) if would_block(&e) => ReadOutcome::WouldBlock,
                Err(e) => {
                    self.error.get_or_insert_with(|| format!("connection lost: {}", e.kind()));
                    ReadOutcome::Closed
                }
            }
        })
    }
}

pub(crate) fn would_block(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted)
}
