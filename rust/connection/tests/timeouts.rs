//! Every deadline, driven by an injected clock: the TCP connect, the opening
//! handshake on both sides, the closing handshake and the heartbeat. No test waits
//! for one to pass in real time.

mod common;

use std::time::Duration;

use common::*;
use ws_connection::{Config, FailureKind, ReadyState, Transport, WebSocket};

/// A connect that the other end never answers. Linux only: it needs a port that drops
/// SYNs, made from a full accept queue, and Windows refuses a connection when the queue
/// is full (WSAECONNREFUSED, as its `listen()` documentation says) instead.
#[cfg(target_os = "linux")]
mod unanswered_connect {
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;

    use socket2::{Domain, Socket, Type};
    use ws_connection::{Config, FailureKind, ReadyState, WebSocket};

    use super::common::{LOCALHOST, T0};

    /// A loopback port whose accept queue is full, so that the kernel drops every new SYN
    /// and a connect to it neither completes nor fails. The listener and the connections
    /// that fill its queue must stay alive while it is used.
    fn black_hole() -> (Socket, Vec<TcpStream>, SocketAddr) {
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        listener.bind(&SocketAddr::from((LOCALHOST, 0)).into()).unwrap();
        listener.listen(0).unwrap();
        let addr = listener.local_addr().unwrap().as_socket().unwrap();
        let mut fillers = Vec::new();
        while let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            fillers.push(stream);
            assert!(fillers.len() < 16, "the accept queue never filled: SYNs are not dropped here");
        }
        (listener, fillers, addr)
    }

    #[test]
    fn a_connect_nobody_answers_gives_up_at_the_connect_timeout() {
        let (_listener, _fillers, addr) = black_hole();
        let config = Config { connect_timeout: Duration::from_secs(2), ..Config::default() };
        let mut client = WebSocket::new();
        client.connect(&format!("ws://127.0.0.1:{}/", addr.port()), |_| Err("no TLS".into()), &config, T0).unwrap();
        client.poll(&config, T0 + Duration::from_millis(1999));
        assert_eq!(client.ready_state(), ReadyState::Connecting, "{:?}", client.failure());
        client.poll(&config, T0 + Duration::from_secs(2));
        let failure = client.failure().expect("a failure at the deadline");
        assert_eq!(failure.kind, FailureKind::Timeout);
        assert_eq!(failure.reason, format!("no answer from {addr} within 2 s"));
        assert_eq!(client.ready_state(), ReadyState::Closed);
    }
}

#[test]
fn a_server_that_never_answers_the_request_times_the_client_out() {
    let (client_stream, mut server_side) = memory_pair(1 << 20);
    let config = Config::default();
    let handshake_timeout = config.limits().handshake_timeout;
    let mut client = WebSocket::new();
    client.connect_over("ws://game.example/", Transport::external(client_stream), &config, T0).unwrap();
    client.poll(&config, T0 + handshake_timeout - Duration::from_millis(1));
    assert!(!server_side.take_all().is_empty(), "the request went out");
    assert_eq!(client.ready_state(), ReadyState::Connecting);
    client.poll(&config, T0 + handshake_timeout);
    assert_eq!(failure_kind(&client), Some(FailureKind::Timeout), "{:?}", client.failure());
    assert_eq!(client.ready_state(), ReadyState::Closed);
}

#[test]
fn a_server_that_accepts_but_never_answers_times_the_client_out_after_its_connect() {
    // A TCP server that takes the connection and the request, and says nothing.
    let listener = std::net::TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Config::default();
    let handshake_timeout = config.limits().handshake_timeout;
    let mut client = WebSocket::new();
    client.connect(&format!("ws://127.0.0.1:{port}/"), |_| Err("no TLS".into()), &config, T0).unwrap();
    let (mut server_side, _) = listener.accept().unwrap();
    // The clock stands still while TCP connects and the request goes out.
    let mut request = Vec::new();
    server_side.set_nonblocking(true).unwrap();
    let start = std::time::Instant::now();
    while !request.ends_with(b"\r\n\r\n") {
        client.poll(&config, T0);
        let mut buf = [0u8; 1024];
        if let Ok(n) = std::io::Read::read(&mut server_side, &mut buf) {
            request.extend_from_slice(&buf[..n]);
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the request never came");
    }
    // The deadline counts from the TCP connect (at T0 on the injected clock).
    client.poll(&config, T0 + handshake_timeout - Duration::from_millis(1));
    assert_eq!(client.ready_state(), ReadyState::Connecting);
    client.poll(&config, T0 + handshake_timeout);
    assert_eq!(failure_kind(&client), Some(FailureKind::Timeout), "{:?}", client.failure());
}

#[test]
fn a_client_that_never_sends_its_request_times_the_server_out() {
    let (server_stream, mut client_side) = memory_pair(1 << 20);
    let config = Config::default();
    let handshake_timeout = config.limits().handshake_timeout;
    let mut server = WebSocket::new();
    server.accept(Transport::external(server_stream), &config, T0);
    client_side.put(b"GET / HTTP/1.1\r\nHost: game.example\r\n"); // and nothing more
    server.poll(&config, T0 + handshake_timeout - Duration::from_millis(1));
    assert_eq!(server.ready_state(), ReadyState::Connecting);
    server.poll(&config, T0 + handshake_timeout);
    assert_eq!(failure_kind(&server), Some(FailureKind::Timeout), "{:?}", server.failure());
    assert_eq!(server.ready_state(), ReadyState::Closed);
    assert!(client_side.ended(), "the server let go of the connection");
}

#[test]
fn a_close_the_peer_never_answers_ends_at_the_close_timeout() {
    let mut pair = MemoryPair::open(Config::default(), Config::default(), 1 << 20);
    let close_timeout = Config::default().limits().close_timeout;
    pair.client.close(1000, "done", pair.now).unwrap();
    // The server is never polled again: no Close comes back.
    pair.client.poll(&pair.client_config, pair.now + close_timeout - Duration::from_millis(1));
    assert_eq!(pair.client.ready_state(), ReadyState::Closing);
    pair.client.poll(&pair.client_config, pair.now + close_timeout);
    assert_eq!(pair.client.ready_state(), ReadyState::Closed);
    let failure = pair.client.failure().expect("a failure");
    assert_eq!(failure.kind, FailureKind::Timeout);
    assert_eq!(failure.reason, "the closing handshake did not complete within 5 s");
}

#[test]
fn an_unanswered_heartbeat_ends_the_connection_and_an_answered_one_keeps_it() {
    let config = Config { heartbeat_interval: Duration::from_secs(1), ..Config::default() };
    let mut pair = MemoryPair::open(config.clone(), Config::default(), 1 << 20);
    // Answered: both polled as time passes, for ten intervals.
    for _ in 0..40 {
        pair.advance(Duration::from_millis(250));
        pair.poll();
        pair.poll();
    }
    assert!(pair.both(ReadyState::Open), "{:?}", pair.client.failure());
    // Unanswered: only the client is polled from now on.
    for _ in 0..8 {
        pair.advance(Duration::from_millis(250));
        pair.client.poll(&pair.client_config, pair.now);
    }
    let failure = pair.client.failure().expect("a failure within two intervals");
    assert_eq!(failure.kind, FailureKind::Timeout);
    assert_eq!(failure.reason, "no answer to a ping within heartbeat_interval");
}
