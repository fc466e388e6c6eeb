//! A client and a server of ours, over real loopback sockets (`ws://` and `wss://`)
//! and in memory: the handshake, messages both ways, the closing handshake.

mod common;

use common::*;
use ws_connection::{Config, FailureKind, ReadyState, Transport, WebSocket};

/// Opens a client and a server over loopback: `tls` for `wss://`.
fn open_loopback(tls: Option<&Tls>, client_config: &Config, server_config: &Config) -> (WebSocket, WebSocket) {
    let (listener, addr) = listener();
    let url = match tls {
        Some(_) => format!("wss://localhost:{}/game?room=1", addr.port()),
        None => format!("ws://127.0.0.1:{}/game?room=1", addr.port()),
    };
    let mut client = WebSocket::new();
    let setup = tls.map(Tls::client_setup);
    client
        .connect(&url, |_| setup.ok_or_else(|| "no TLS here".to_string()), client_config, ws_connection::clock::now())
        .unwrap();
    let mut server = WebSocket::new();
    let mut accepted = false;
    let opened = poll_real_until(&mut [(&mut client, client_config)], |c| {
        if let Some(stream) = listener.accept() {
            let transport = match tls {
                Some(tls) => tls.server_transport(stream),
                None => Transport::tcp(stream),
            };
            server.accept(transport, server_config, ws_connection::clock::now());
            accepted = true;
        }
        if accepted {
            server.poll(server_config, ws_connection::clock::now());
        }
        accepted && c[0].0.ready_state() == ReadyState::Open && server.ready_state() == ReadyState::Open
    });
    assert!(opened, "the pair did not open: client {:?}, server {:?}", client.failure(), server.failure());
    assert_eq!(client.ready_state(), ReadyState::Open, "{:?}", client.failure());
    (client, server)
}

fn echo_and_close(client: &mut WebSocket, server: &mut WebSocket, config: &Config) {
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    send(client, true, "héllo".as_bytes());
    send(client, false, &big);
    send(client, false, b"");
    let mut got = Vec::new();
    assert!(poll_real_until(&mut [(&mut *client, config), (&mut *server, config)], |c| {
        got.extend(drain(c[1].0));
        got.len() == 3
    }));
    assert_eq!(got, vec![(true, "héllo".as_bytes().to_vec()), (false, big.clone()), (false, vec![])]);
    for (is_text, data) in &got {
        send(server, *is_text, data);
    }
    let mut echoed = Vec::new();
    assert!(poll_real_until(&mut [(&mut *client, config), (&mut *server, config)], |c| {
        echoed.extend(drain(c[0].0));
        echoed.len() == 3
    }));
    assert_eq!(echoed, got);

    client.close(4000, "bye", ws_connection::clock::now()).unwrap();
    assert_eq!(client.ready_state(), ReadyState::Closing);
    assert!(poll_real_until(&mut [(&mut *client, config), (&mut *server, config)], |c| {
        c.iter().all(|(ws, _)| ws.ready_state() == ReadyState::Closed)
    }));
    assert_eq!((server.close_code(), server.close_reason()), (4000, "bye"));
    assert_eq!(client.close_code(), 4000, "the server echoes the code");
    assert_eq!((client.failure(), server.failure()), (None, None), "a clean close is no failure");
}

#[test]
fn ws_over_loopback_opens_echoes_and_closes_cleanly() {
    let config = roomy();
    let (mut client, mut server) = open_loopback(None, &config, &config);
    assert_eq!(
        server.requested_url().to_string(),
        format!("ws://127.0.0.1:{}/game?room=1", client.remote().unwrap().1)
    );
    assert_eq!(client.remote().unwrap().0, "127.0.0.1");
    assert_eq!(server.remote().unwrap().0, "127.0.0.1");
    assert!(client.requested_url().starts_with("ws://127.0.0.1:"));
    echo_and_close(&mut client, &mut server, &config);
}

#[test]
fn wss_over_loopback_opens_echoes_and_closes_cleanly() {
    let tls = Tls::new();
    let config = roomy();
    let (mut client, mut server) = open_loopback(Some(&tls), &config, &config);
    assert!(server.requested_url().starts_with("wss://localhost:"), "{}", server.requested_url());
    echo_and_close(&mut client, &mut server, &config);
}

#[test]
fn the_subprotocol_is_the_clients_first_the_server_supports() {
    let client_config = Config { supported_protocols: vec!["v2".into(), "v1".into()], ..Config::default() };
    let server_config = Config {
        supported_protocols: vec!["v1".into(), "v2".into()],
        handshake_headers: vec!["X-Server: ours".into()],
        ..Config::default()
    };
    let pair = MemoryPair::open(client_config, server_config, 1 << 20);
    assert_eq!(pair.client.selected_protocol(), "v2");
    assert_eq!(pair.server.selected_protocol(), "v2");
    assert_eq!(pair.server.requested_url(), "ws://game.example/play");
}

#[test]
fn a_server_that_supports_none_of_the_offered_subprotocols_refuses_with_400() {
    let client_config = Config { supported_protocols: vec!["v3".into()], ..Config::default() };
    let server_config = Config { supported_protocols: vec!["v1".into()], ..Config::default() };
    let mut pair = MemoryPair::start(client_config, server_config, 1 << 20);
    assert!(pair.poll_until(|p| p.both(ReadyState::Closed)));
    assert_eq!(failure_kind(&pair.server), Some(FailureKind::Handshake));
    assert_eq!(pair.server.failure().unwrap().http_status, 400);
    assert_eq!(failure_kind(&pair.client), Some(FailureKind::Handshake));
    assert_eq!(pair.client.failure().unwrap().http_status, 400);
    assert_eq!(pair.client.failure().unwrap().reason, "server answered HTTP 400");
}

#[test]
fn messages_cut_into_single_bytes_arrive_whole_and_in_order() {
    let mut pair = MemoryPair::start(roomy(), roomy(), 1 << 20);
    assert!(pair.poll_until(|p| p.both(ReadyState::Open)));
    let messages: Vec<(bool, Vec<u8>)> =
        (0..50).map(|i| (i % 3 == 0, format!("message {i} {}", "x".repeat(i * 37)).into_bytes())).collect();
    for (is_text, data) in &messages {
        send(&mut pair.client, *is_text, data);
    }
    let mut got = Vec::new();
    assert!(pair.poll_until(|p| {
        got.extend(drain(&mut p.server));
        got.len() == messages.len()
    }));
    assert_eq!(got, messages);
}

#[test]
fn messages_that_arrived_before_the_close_stay_readable() {
    let mut pair = MemoryPair::open(Config::default(), Config::default(), 1 << 20);
    send(&mut pair.server, false, b"one");
    send(&mut pair.server, false, b"two");
    pair.server.close(1000, "", pair.now).unwrap();
    assert!(pair.poll_until(|p| p.server.ready_state() == ReadyState::Closed));
    // The client's state reads OPEN until they are read (RFC 6455: nothing is lost).
    assert_eq!(pair.client.ready_state(), ReadyState::Open);
    assert_eq!(drain(&mut pair.client), vec![(false, b"one".to_vec()), (false, b"two".to_vec())]);
    assert_eq!(pair.client.ready_state(), ReadyState::Closed);
    assert_eq!(pair.client.close_code(), 1000);
}

#[test]
fn close_with_a_negative_code_drops_at_once_and_the_peer_sees_no_close_frame() {
    let mut pair = MemoryPair::open(Config::default(), Config::default(), 1 << 20);
    pair.client.close(-1, "", pair.now).unwrap();
    assert_eq!(pair.client.ready_state(), ReadyState::Closed);
    assert_eq!(pair.client.failure(), None, "the app's own abort is no failure");
    assert!(pair.poll_until(|p| p.server.ready_state() == ReadyState::Closed));
    assert_eq!(pair.server.close_code(), -1);
    assert_eq!(failure_kind(&pair.server), Some(FailureKind::ConnectionLost));
}

#[test]
fn an_invalid_close_code_is_refused_and_the_connection_stays_open() {
    let mut pair = MemoryPair::open(Config::default(), Config::default(), 1 << 20);
    assert!(pair.client.close(999, "", pair.now).is_err());
    assert!(pair.client.close(1000, &"x".repeat(124), pair.now).is_err(), "reason over 123 bytes");
    assert_eq!(pair.client.ready_state(), ReadyState::Open);
}

#[test]
fn a_new_connection_may_not_start_while_one_is_under_way() {
    let mut pair = MemoryPair::open(Config::default(), Config::default(), 1 << 20);
    let again = pair.client.connect("ws://127.0.0.1:1/", |_| Err("no TLS".into()), &Config::default(), pair.now);
    assert!(matches!(again, Err(ws_connection::ConnectError::InUse)));
    assert_eq!(pair.client.ready_state(), ReadyState::Open);
}
