//! Which failures belong in a game's log: a failed attempt to connect once per URL and
//! cause until that URL opens again, a server's failed accept every time, the end of an
//! open connection never. The failures themselves are always there to read.

mod common;

use common::*;
use ws_connection::net::listener::Listener;
use ws_connection::{clock, Config, ConnectError, FailureKind, ReadyState, Transport, WebSocket};

/// One attempt at `url` (a refused port): whether its failure asks to be logged.
fn refused_attempt_is_logged(url: &str) -> bool {
    let config = Config::default();
    let mut client = WebSocket::new();
    match client.connect(url, |_| Err("no TLS".into()), &config, clock::now()) {
        Ok(()) => {
            assert!(poll_real_until(&mut [(&mut client, &config)], |c| c[0].0.ready_state() == ReadyState::Closed))
        }
        Err(ConnectError::Failed) => {}
        Err(other) => panic!("{other:?}"),
    }
    assert_eq!(failure_kind(&client), Some(FailureKind::Connect));
    let log = client.take_new_failure().expect("a new failure").log;
    assert!(client.take_new_failure().is_none(), "handed out once");
    log
}

#[test]
fn a_reconnect_loop_logs_its_failure_once_until_the_url_opens_again() {
    let addr = closed_port();
    let url = format!("ws://127.0.0.1:{}/loop", addr.port());
    assert!(refused_attempt_is_logged(&url), "the first failure is news");
    for attempt in 2..=5 {
        assert!(!refused_attempt_is_logged(&url), "attempt {attempt}: the same failure again is not");
    }
    // The server comes back on that port: a connection opens.
    let listener = Listener::bind(Some(LOCALHOST), addr.port()).expect("the port is free again");
    let config = Config::default();
    let mut client = WebSocket::new();
    client.connect(&url, |_| Err("no TLS".into()), &config, clock::now()).unwrap();
    let mut server = WebSocket::new();
    assert!(poll_real_until(&mut [(&mut client, &config)], |c| {
        if let Some(stream) = listener.accept() {
            server.accept(Transport::tcp(stream), &config, clock::now());
        }
        server.poll(&config, clock::now());
        c[0].0.ready_state() == ReadyState::Open
    }));
    drop((client, server, listener));
    assert!(refused_attempt_is_logged(&url), "after it opened, a failure is news again");
}

#[test]
fn the_end_of_an_open_connection_is_not_logged_but_stays_readable() {
    let mut pair = MemoryPair::open(Config::default(), Config::default(), 1 << 20);
    pair.client_end.vanish();
    assert!(pair.poll_until(|p| p.server.ready_state() == ReadyState::Closed));
    let report = pair.server.take_new_failure().expect("the failure is handed out");
    assert!(!report.log, "not logged");
    assert_eq!(report.failure.kind, FailureKind::ConnectionLost);
    assert_eq!(failure_kind(&pair.server), Some(FailureKind::ConnectionLost), "still readable");
}

#[test]
fn a_servers_failed_upgrades_are_logged_each_time_and_plain_requests_never() {
    let accept = |request: &[u8]| {
        let (server_stream, mut client_side) = memory_pair(1 << 20);
        let mut server = WebSocket::new();
        server.accept(Transport::external(server_stream), &Config::default(), T0);
        client_side.put(request);
        server.poll(&Config::default(), T0);
        let report = server.take_new_failure().expect("a failure");
        (report.failure.kind, report.log)
    };
    for _ in 0..3 {
        let broken = b"GET / HTTP/1.1\r\nHost: game.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        assert_eq!(accept(broken), (FailureKind::Handshake, true), "an upgrade without its key");
        // Not a WebSocket client (a browser, a balancer's check): nothing for the log.
        assert_eq!(accept(b"GET / HTTP/1.1\r\nHost: game.example\r\n\r\n"), (FailureKind::Handshake, false));
    }
}
