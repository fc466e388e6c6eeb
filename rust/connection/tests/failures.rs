//! Every way a connection fails ends in exactly one `Failure` of the right kind, with
//! its cause in the reason, on whichever side saw it.

mod common;

use std::io::Write as _;
use std::net::Shutdown;

use common::*;
use ws_connection::tls::{client_setup, TlsPolicy};
use ws_connection::{clock, Config, ConnectError, FailureKind, ReadyState, Transport, WebSocket};

/// Polls a lone client with the real clock until it is CLOSED.
fn poll_until_closed(client: &mut WebSocket) {
    let config = Config::default();
    assert!(
        poll_real_until(&mut [(client, &config)], |c| c[0].0.ready_state() == ReadyState::Closed),
        "still {:?}",
        client.ready_state()
    );
}

#[test]
fn an_unknown_host_name_is_a_dns_failure() {
    let mut client = WebSocket::new();
    client.connect("ws://nonexistent.invalid/", |_| Err("no TLS".into()), &Config::default(), clock::now()).unwrap();
    assert_eq!(client.ready_state(), ReadyState::Connecting);
    poll_until_closed(&mut client);
    let failure = client.failure().expect("a failure");
    assert_eq!(failure.kind, FailureKind::Dns);
    assert!(failure.reason.starts_with("cannot resolve \"nonexistent.invalid\""), "{}", failure.reason);
    assert!(client.has_new_failure());
    assert_eq!(client.take_new_failure().map(|r| r.failure.kind), Some(FailureKind::Dns));
    assert!(client.take_new_failure().is_none(), "handed out once");
}

#[test]
fn a_refused_port_is_a_connect_failure() {
    let addr = closed_port();
    let mut client = WebSocket::new();
    let url = format!("ws://127.0.0.1:{}/", addr.port());
    match client.connect(&url, |_| Err("no TLS".into()), &Config::default(), clock::now()) {
        // Refused at once (some systems): handed back, already reported.
        Err(ConnectError::Failed) => assert!(!client.has_new_failure()),
        Ok(()) => poll_until_closed(&mut client),
        Err(other) => panic!("{other:?}"),
    }
    let failure = client.failure().expect("a failure");
    assert_eq!(failure.kind, FailureKind::Connect);
    assert_eq!(failure.reason, format!("connection refused by {addr}"));
}

#[test]
fn an_untrusted_certificate_is_a_tls_failure_on_the_client() {
    let tls = Tls::new();
    let (listener, addr) = listener();
    let mut client = WebSocket::new();
    // The built-in roots: our self-signed certificate is not among them.
    let default = TlsPolicy::Default { bundle_pem: None, name_override: None };
    let url = format!("wss://localhost:{}/", addr.port());
    client.connect(&url, |target| client_setup(&default, &target.host), &Config::default(), clock::now()).unwrap();
    let mut server = WebSocket::new();
    let config = Config::default();
    assert!(poll_real_until(&mut [(&mut client, &config)], |c| {
        if let Some(stream) = listener.accept() {
            server.accept(tls.server_transport(stream), &config, clock::now());
        }
        server.poll(&config, clock::now());
        c[0].0.ready_state() == ReadyState::Closed
    }));
    let failure = client.failure().expect("a failure");
    assert_eq!(failure.kind, FailureKind::Tls);
    assert!(
        failure.reason.contains("not trusted") || failure.reason.contains("invalid certificate"),
        "{}",
        failure.reason
    );
}

#[test]
fn a_plain_client_at_a_tls_server_is_a_tls_failure_on_the_server() {
    let tls = Tls::new();
    let (listener, addr) = listener();
    let mut client = WebSocket::new();
    let config = Config::default();
    client
        .connect(&format!("ws://127.0.0.1:{}/", addr.port()), |_| Err("no TLS".into()), &config, clock::now())
        .unwrap();
    let mut server = WebSocket::new();
    let mut accepted = false;
    assert!(poll_real_until(&mut [(&mut client, &config)], |_| {
        if let Some(stream) = listener.accept() {
            server.accept(tls.server_transport(stream), &config, clock::now());
            accepted = true;
        }
        server.poll(&config, clock::now());
        accepted && server.ready_state() == ReadyState::Closed
    }));
    assert_eq!(failure_kind(&server), Some(FailureKind::Tls), "{:?}", server.failure());
}

#[test]
fn a_refusing_server_is_a_handshake_failure_with_its_status() {
    let (client_stream, mut server_side) = memory_pair(1 << 20);
    let mut client = WebSocket::new();
    client.connect_over("ws://game.example/", Transport::external(client_stream), &Config::default(), T0).unwrap();
    client.poll(&Config::default(), T0);
    assert!(server_side.take_all().starts_with(b"GET / HTTP/1.1\r\n"));
    server_side.put(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    client.poll(&Config::default(), T0);
    let failure = client.failure().expect("a failure");
    assert_eq!((failure.kind, failure.http_status), (FailureKind::Handshake, 403));
    assert_eq!(failure.reason, "server answered HTTP 403");
    assert_eq!(client.ready_state(), ReadyState::Closed);
}

#[test]
fn a_request_that_is_no_upgrade_is_answered_400_and_is_a_handshake_failure() {
    let (server_stream, mut client_side) = memory_pair(1 << 20);
    let mut server = WebSocket::new();
    server.accept(Transport::external(server_stream), &Config::default(), T0);
    client_side.put(b"GET /health HTTP/1.1\r\nHost: game.example\r\n\r\n");
    server.poll(&Config::default(), T0);
    let failure = server.failure().expect("a failure");
    assert_eq!((failure.kind, failure.http_status), (FailureKind::Handshake, 400));
    assert!(client_side.take_all().starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
    assert!(client_side.ended(), "the server closed the connection");
}

#[test]
fn an_unmasked_frame_from_a_client_is_a_protocol_failure_closed_with_1002() {
    let mut pair = MemoryPair::open(Config::default(), Config::default(), 1 << 20);
    // A text frame "hi" without the mask every client frame must carry.
    pair.server_end.inject(&[0x81, 0x02, b'h', b'i']);
    assert!(pair.poll_until(|p| p.both(ReadyState::Closed)));
    let failure = pair.server.failure().expect("a failure");
    assert_eq!(failure.kind, FailureKind::Protocol);
    assert!(failure.reason.starts_with("closed with 1002"), "{}", failure.reason);
    assert_eq!(pair.client.close_code(), 1002);
    assert_eq!(pair.client.failure(), None, "the client was closed cleanly, by the server");
}

#[test]
fn a_message_over_the_inbound_limit_is_a_limit_failure_closed_with_1009() {
    let server_config = Config { inbound_buffer_size: 100, ..Config::default() };
    let mut pair = MemoryPair::open(Config::default(), server_config, 1 << 20);
    send(&mut pair.client, false, &[7; 101]);
    assert!(pair.poll_until(|p| p.both(ReadyState::Closed)));
    let failure = pair.server.failure().expect("a failure");
    assert_eq!(failure.kind, FailureKind::Limit);
    assert!(failure.reason.starts_with("closed with 1009"), "{}", failure.reason);
    assert_eq!(pair.client.close_code(), 1009);
}

#[test]
fn a_peer_whose_process_ends_mid_message_is_a_lost_connection_and_the_half_message_is_dropped() {
    let mut pair = MemoryPair::open(roomy(), roomy(), 1 << 20);
    send(&mut pair.client, false, b"whole");
    let message: Vec<u8> = vec![9; 100_000];
    send(&mut pair.client, false, &message);
    // Half of what the client wrote reaches the server, then the client's process ends
    // (the stream ends without a Close frame).
    let wire = pair.client_end.intercept();
    pair.server_end.inject(&wire[..wire.len() - message.len() / 2]);
    pair.client_end.end();
    let mut got = Vec::new();
    assert!(pair.poll_until(|p| {
        got.extend(drain(&mut p.server));
        p.server.ready_state() == ReadyState::Closed
    }));
    assert_eq!(got, vec![(false, b"whole".to_vec())], "only the whole message");
    let failure = pair.server.failure().expect("a failure");
    assert_eq!(failure.kind, FailureKind::ConnectionLost);
    assert_eq!(failure.reason, "the peer closed the connection without a Close frame");
    assert_eq!(pair.server.close_code(), -1);
}

#[test]
fn a_peer_that_vanishes_mid_message_with_a_reset_is_a_lost_connection() {
    let mut pair = MemoryPair::open(roomy(), roomy(), 1 << 20);
    send(&mut pair.client, false, &vec![9; 100_000]);
    let wire = pair.client_end.intercept();
    pair.server_end.inject(&wire[..wire.len() / 2]);
    pair.server.poll(&pair.server_config, pair.now);
    pair.client_end.vanish();
    assert!(pair.poll_until(|p| p.server.ready_state() == ReadyState::Closed));
    assert!(drain(&mut pair.server).is_empty(), "no part of the message is delivered");
    assert_eq!(failure_kind(&pair.server), Some(FailureKind::ConnectionLost));
    assert_eq!(pair.server.close_code(), -1);
}

#[test]
fn a_server_socket_closed_mid_message_is_a_lost_connection_over_loopback() {
    let (listener, addr) = listener();
    let config = Config::default();
    let mut client = WebSocket::new();
    client
        .connect(&format!("ws://127.0.0.1:{}/", addr.port()), |_| Err("no TLS".into()), &config, clock::now())
        .unwrap();
    let mut server = WebSocket::new();
    let mut raw = None;
    // Our server opens the connection; then its socket is taken over to cut a frame short.
    assert!(poll_real_until(&mut [(&mut client, &config)], |c| {
        if let Some(stream) = listener.accept() {
            raw = Some(stream.try_clone().unwrap());
            server.accept(Transport::tcp(stream), &config, clock::now());
        }
        server.poll(&config, clock::now());
        c[0].0.ready_state() == ReadyState::Open
    }));
    let mut raw = raw.unwrap();
    // A binary frame announcing 1,000 bytes, then 10 of them, then the end.
    raw.set_nonblocking(false).unwrap();
    raw.write_all(&[0x82, 126, 0x03, 0xe8]).unwrap();
    raw.write_all(&[1; 10]).unwrap();
    raw.shutdown(Shutdown::Both).unwrap();
    drop(server);
    poll_until_closed(&mut client);
    assert!(drain(&mut client).is_empty());
    assert_eq!(failure_kind(&client), Some(FailureKind::ConnectionLost));
    assert_eq!(client.close_code(), -1);
}

#[test]
fn a_failure_is_forgotten_when_a_new_connection_starts_and_kept_when_the_start_is_refused() {
    let mut pair = MemoryPair::open(Config::default(), Config::default(), 1 << 20);
    pair.client_end.vanish();
    assert!(pair.poll_until(|p| p.server.ready_state() == ReadyState::Closed));
    assert_eq!(failure_kind(&pair.server), Some(FailureKind::ConnectionLost));
    // A new connection on the same object starts clean.
    let (stream, _client_side) = memory_pair(1 << 20);
    pair.server.reset_failure();
    pair.server.accept(Transport::external(stream), &Config::default(), pair.now);
    assert_eq!(pair.server.failure(), None);
    assert_eq!(pair.server.ready_state(), ReadyState::Connecting);
    // While it is under way, a refused start changes nothing.
    pair.server.reset_failure();
    let refused = pair.server.connect("ws://127.0.0.1:1/", |_| Err("no TLS".into()), &Config::default(), pair.now);
    assert!(matches!(refused, Err(ConnectError::InUse)));
    assert_eq!(pair.server.ready_state(), ReadyState::Connecting);
}
