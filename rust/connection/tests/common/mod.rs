//! What the connection tests share: in-memory streams, a loopback server of our
//! own, TLS identities, and loops that poll connections until something holds.
#![allow(dead_code)] // each test binary uses its own part

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::rc::Rc;
use std::time::{Duration, Instant};

use ws_connection::net::listener::Listener;
use ws_connection::tls::{client_setup, TlsPolicy, TlsSetup, TlsStream};
use ws_connection::{
    Config, ExternalStream, FailureKind, ReadOutcome, ReadyState, StreamReadiness, Transport, WebSocket, Write,
};
use ws_testkit::tls_identity::{identity_for, Identity};

pub const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The time tests start their injected clocks at.
pub const T0: Duration = Duration::from_secs(1000);

// --- in-memory streams -----------------------------------------------------------------------

/// One direction of an in-memory connection.
#[derive(Default)]
struct Pipe {
    bytes: VecDeque<u8>,
    /// The writer closed it: once drained, reads see the end.
    closed: bool,
    /// The writer vanished (a reset): reads see the end at once.
    reset: bool,
    /// Bytes ever written into it, and in how many writes.
    total: usize,
    writes: usize,
}

/// One end of an in-memory connection, as an `ExternalStream`. Writes take at most
/// `room` bytes waiting unread in the other direction, so a reader that stops makes
/// the writer see backpressure.
pub struct MemoryStream {
    inbound: Rc<RefCell<Pipe>>,
    outbound: Rc<RefCell<Pipe>>,
    room: usize,
    /// Reads hand out at most this many bytes at a time.
    pub cut: usize,
    peer: (String, u16),
}

/// Both ends of an in-memory connection; each direction holds at most `room` bytes.
pub fn memory_pair(room: usize) -> (MemoryStream, MemoryStream) {
    let a_to_b = Rc::new(RefCell::new(Pipe::default()));
    let b_to_a = Rc::new(RefCell::new(Pipe::default()));
    let a = MemoryStream {
        inbound: b_to_a.clone(),
        outbound: a_to_b.clone(),
        room,
        cut: usize::MAX,
        peer: ("192.0.2.2".into(), 40002),
    };
    let b =
        MemoryStream { inbound: a_to_b, outbound: b_to_a, room, cut: usize::MAX, peer: ("192.0.2.1".into(), 40001) };
    (a, b)
}

/// A handle on a `MemoryStream` that was handed to a connection, to act on it later.
#[derive(Clone)]
pub struct MemoryHandle {
    inbound: Rc<RefCell<Pipe>>,
    outbound: Rc<RefCell<Pipe>>,
}

impl MemoryStream {
    pub fn handle(&self) -> MemoryHandle {
        MemoryHandle { inbound: self.inbound.clone(), outbound: self.outbound.clone() }
    }

    /// Reads what waits for this end, as a raw peer would.
    pub fn take_all(&mut self) -> Vec<u8> {
        self.inbound.borrow_mut().bytes.drain(..).collect()
    }

    /// Writes raw bytes, as a raw peer would (ignoring `room`).
    pub fn put(&mut self, bytes: &[u8]) {
        self.outbound.borrow_mut().bytes.extend(bytes);
    }

    pub fn ended(&self) -> bool {
        let pipe = self.inbound.borrow();
        pipe.reset || (pipe.closed && pipe.bytes.is_empty())
    }
}

impl MemoryHandle {
    /// This end's process ends without a Close frame: what it wrote still arrives,
    /// then the end of the stream (the kernel's FIN).
    pub fn end(&self) {
        self.outbound.borrow_mut().closed = true;
    }

    /// This end disappears without a word and its stream is reset: nothing more arrives.
    pub fn vanish(&self) {
        self.outbound.borrow_mut().reset = true;
        self.inbound.borrow_mut().reset = true;
    }

    /// Bytes this end wrote that the other has not read.
    pub fn unread_outbound(&self) -> usize {
        self.outbound.borrow().bytes.len()
    }

    /// Bytes this end ever wrote.
    pub fn bytes_sent(&self) -> usize {
        self.outbound.borrow().total
    }

    /// Writes this end ever made that took bytes.
    pub fn writes(&self) -> usize {
        self.outbound.borrow().writes
    }

    /// Raw bytes arrive at this end, as if the other end had sent them.
    pub fn inject(&self, bytes: &[u8]) {
        self.inbound.borrow_mut().bytes.extend(bytes);
    }

    /// Takes what this end wrote, before the other end reads it.
    pub fn intercept(&self) -> Vec<u8> {
        self.outbound.borrow_mut().bytes.drain(..).collect()
    }
}

impl ExternalStream for MemoryStream {
    fn readiness(&mut self) -> StreamReadiness {
        StreamReadiness::Ready
    }

    fn read_into(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome {
        let mut pipe = self.inbound.borrow_mut();
        if pipe.reset {
            return ReadOutcome::Closed;
        }
        let n = max.min(self.cut).min(pipe.bytes.len());
        if n == 0 {
            return if pipe.closed { ReadOutcome::Closed } else { ReadOutcome::WouldBlock };
        }
        let chunk: Vec<u8> = pipe.bytes.drain(..n).collect();
        sink(&chunk);
        ReadOutcome::Data(n)
    }

    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut pipe = self.outbound.borrow_mut();
        if pipe.reset || pipe.closed {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "the other end is gone"));
        }
        let n = data.len().min(self.room.saturating_sub(pipe.bytes.len()));
        pipe.bytes.extend(&data[..n]);
        pipe.total += n;
        pipe.writes += usize::from(n > 0);
        Ok(n)
    }

    fn set_no_delay(&mut self, _enabled: bool) {}

    fn peer_addr(&self) -> (String, u16) {
        self.peer.clone()
    }

    fn is_tls(&self) -> bool {
        false
    }

    fn close(&mut self) {
        self.outbound.borrow_mut().closed = true;
    }
}

// --- connections ----------------------------------------------------------------------------

/// A client and a server joined in memory, both polled with an injected clock.
pub struct MemoryPair {
    pub client: WebSocket,
    pub server: WebSocket,
    pub client_config: Config,
    pub server_config: Config,
    pub now: Duration,
    pub client_end: MemoryHandle,
    pub server_end: MemoryHandle,
}

impl MemoryPair {
    /// Starts both handshakes over a memory connection holding `room` bytes each way.
    pub fn start(client_config: Config, server_config: Config, room: usize) -> MemoryPair {
        let (client_stream, server_stream) = memory_pair(room);
        let (client_end, server_end) = (client_stream.handle(), server_stream.handle());
        let mut client = WebSocket::new();
        let mut server = WebSocket::new();
        client.connect_over("ws://game.example/play", Transport::external(client_stream), &client_config, T0).unwrap();
        server.accept(Transport::external(server_stream), &server_config, T0);
        MemoryPair { client, server, client_config, server_config, now: T0, client_end, server_end }
    }

    /// Started and polled until both are OPEN.
    pub fn open(client_config: Config, server_config: Config, room: usize) -> MemoryPair {
        let mut pair = MemoryPair::start(client_config, server_config, room);
        assert!(pair.poll_until(|p| p.both(ReadyState::Open)), "the pair did not open");
        pair
    }

    pub fn poll(&mut self) {
        self.client.poll(&self.client_config, self.now);
        self.server.poll(&self.server_config, self.now);
    }

    /// Polls both (the clock standing still) until `done` holds, at most 1,000 rounds.
    pub fn poll_until(&mut self, mut done: impl FnMut(&mut MemoryPair) -> bool) -> bool {
        for _ in 0..1000 {
            self.poll();
            if done(self) {
                return true;
            }
        }
        false
    }

    pub fn both(&self, state: ReadyState) -> bool {
        self.client.ready_state() == state && self.server.ready_state() == state
    }

    /// Moves the injected clock on.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }
}

/// A config with a larger inbound limit, for the tests' bigger messages.
pub fn roomy() -> Config {
    Config { inbound_buffer_size: 4 << 20, outbound_buffer_size: 4 << 20, ..Config::default() }
}

/// Every message `ws` holds now, as (text?, bytes).
pub fn drain(ws: &mut WebSocket) -> Vec<(bool, Vec<u8>)> {
    std::iter::from_fn(|| ws.pop_message()).map(|m| (m.is_text, m.data)).collect()
}

pub fn send(ws: &mut WebSocket, is_text: bool, data: &[u8]) {
    ws.send(is_text, data, Write::Now).unwrap_or_else(|e| panic!("send refused: {e:?}"));
}

pub fn failure_kind(ws: &WebSocket) -> Option<FailureKind> {
    ws.failure().map(|f| f.kind)
}

// --- real sockets ---------------------------------------------------------------------------

/// Polls `connections` with the real clock until `done` holds or 10 s pass.
pub fn poll_real_until(
    connections: &mut [(&mut WebSocket, &Config)],
    mut done: impl FnMut(&mut [(&mut WebSocket, &Config)]) -> bool,
) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        let now = ws_connection::clock::now();
        for (ws, config) in connections.iter_mut() {
            ws.poll(config, now);
        }
        if done(connections) {
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    false
}

/// Our own listener on a free loopback port.
pub fn listener() -> (Listener, SocketAddr) {
    let listener = Listener::bind(Some(LOCALHOST), 0).unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Waits (10 s at most) for the listener's next connection.
pub fn accept(listener: &Listener) -> TcpStream {
    let start = Instant::now();
    loop {
        if let Some(stream) = listener.accept() {
            return stream;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no connection arrived");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A port on loopback where nothing listens.
pub fn closed_port() -> SocketAddr {
    TcpListener::bind((LOCALHOST, 0)).unwrap().local_addr().unwrap()
}

/// A certificate for `localhost`, a TLS server transport over `stream` with it, and a
/// client set-up that trusts exactly it.
pub struct Tls {
    pub identity: Identity,
    pub client: TlsSetup,
}

impl Tls {
    pub fn new() -> Tls {
        let identity = identity_for("localhost", None);
        let policy = TlsPolicy::TrustedChain { pem: identity.cert_pem.clone().into_bytes(), name_override: None };
        let client = client_setup(&policy, "localhost").unwrap();
        Tls { identity, client }
    }

    pub fn server_transport(&self, stream: TcpStream) -> Transport {
        Transport::Tls(Box::new(TlsStream::new_server(self.identity.server.clone(), stream).unwrap()))
    }

    /// The client set-up, for `WebSocket::connect`'s TLS step.
    pub fn client_setup(&self) -> TlsSetup {
        TlsSetup { config: self.client.config.clone(), server_name: self.client.server_name.clone() }
    }
}
