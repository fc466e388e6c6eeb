//! A server behind a load balancer, over real loopback sockets: the player's address
//! from a trusted balancer's PROXY header (v1, v2) or forwarded headers, and nothing
//! believed from anyone else; health checks and probes answered without a log line.

mod common;

use std::io::{Read, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use ws_connection::net::ip_network::IpNetwork;
use ws_connection::{clock, Config, FailureKind, ReadyState, Transport, WebSocket};

const UPGRADE: &str = "GET /play HTTP/1.1\r\nHost: game.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                       Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

fn trusting(networks: &[&str]) -> Config {
    let trusted_proxies = networks.iter().map(|n| IpNetwork::parse(n).unwrap()).collect();
    Config { trusted_proxies, health_check_path: "/health".into(), ..Config::default() }
}

/// A server of ours that accepts one connection on which `bytes` are sent (then the
/// write side is shut when `close` is set); returns it once it left CONNECTING, with
/// what it answered.
fn serve(bytes: &[u8], config: &Config) -> (WebSocket, String) {
    let (listener, addr) = listener();
    let mut raw = TcpStream::connect(addr).unwrap();
    raw.write_all(bytes).unwrap();
    if bytes.is_empty() {
        raw.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let mut server = WebSocket::new();
    server.accept(Transport::tcp(accept(&listener)), config, clock::now());
    let start = Instant::now();
    while server.ready_state() == ReadyState::Connecting {
        server.poll(config, clock::now());
        assert!(start.elapsed() < Duration::from_secs(10), "the server never decided");
        std::thread::sleep(Duration::from_millis(1));
    }
    raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = vec![0; 4096];
    let n = raw.read(&mut answer).unwrap_or(0);
    (server, String::from_utf8_lossy(&answer[..n]).into_owned())
}

/// As `serve`, but the client resets the connection after sending `bytes`.
fn serve_then_reset(bytes: &[u8], config: &Config) -> (WebSocket, String) {
    let (listener, addr) = listener();
    let mut raw = TcpStream::connect(addr).unwrap();
    raw.write_all(bytes).unwrap();
    let mut server = WebSocket::new();
    server.accept(Transport::tcp(accept(&listener)), config, clock::now());
    // SO_LINGER 0: close sends a reset, as HAProxy's checks do.
    socket2::SockRef::from(&raw).set_linger(Some(Duration::ZERO)).unwrap();
    drop(raw);
    let start = Instant::now();
    while server.ready_state() == ReadyState::Connecting {
        server.poll(config, clock::now());
        assert!(start.elapsed() < Duration::from_secs(10), "the server never decided");
        std::thread::sleep(Duration::from_millis(1));
    }
    (server, String::new())
}

fn upgrade_with(extra: &str) -> String {
    format!("{UPGRADE}{extra}\r\n")
}

fn remote(ws: &WebSocket) -> (String, u16) {
    let (host, port) = ws.remote().expect("a remote address");
    (host.to_string(), port)
}

/// The failure, and whether it would be logged.
fn failure(ws: &mut WebSocket) -> (FailureKind, u16, String, bool) {
    let report = ws.take_new_failure().expect("a failure");
    (report.failure.kind, report.failure.http_status, report.failure.reason.clone(), report.log)
}

#[test]
fn a_trusted_balancers_proxy_v1_header_names_the_player() {
    let bytes = format!("PROXY TCP4 203.0.113.7 127.0.0.1 4711 9080\r\n{}", upgrade_with(""));
    let (server, answer) = serve(bytes.as_bytes(), &trusting(&["127.0.0.0/8"]));
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    assert_eq!(server.ready_state(), ReadyState::Open);
    assert_eq!(remote(&server), ("203.0.113.7".into(), 4711));
}

#[test]
fn a_trusted_balancers_proxy_v2_header_names_the_player_and_local_keeps_the_peer() {
    let mut bytes = b"\r\n\r\n\0\r\nQUIT\n\x21\x21\x00\x24".to_vec();
    bytes.extend("2001:db8::7".parse::<std::net::Ipv6Addr>().unwrap().octets());
    bytes.extend([0; 16]);
    bytes.extend(4711u16.to_be_bytes());
    bytes.extend(9080u16.to_be_bytes());
    bytes.extend(upgrade_with("").as_bytes());
    let (server, answer) = serve(&bytes, &trusting(&["127.0.0.1"]));
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    assert_eq!(remote(&server), ("2001:db8::7".into(), 4711));
    // LOCAL (a balancer's own check, here followed by a request): the TCP peer stands.
    let mut local = b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00".to_vec();
    local.extend(upgrade_with("").as_bytes());
    let (server, _) = serve(&local, &trusting(&["127.0.0.1"]));
    assert_eq!(remote(&server).0, "127.0.0.1");
}

#[test]
fn a_proxy_header_from_an_untrusted_peer_is_refused() {
    let bytes = format!("PROXY TCP4 203.0.113.7 127.0.0.1 4711 9080\r\n{}", upgrade_with(""));
    for config in [Config::default(), trusting(&["10.0.0.0/8"])] {
        let (mut server, answer) = serve(bytes.as_bytes(), &config);
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        let (kind, status, reason, log) = failure(&mut server);
        assert_eq!((kind, status), (FailureKind::Handshake, 400));
        assert!(reason.contains("PROXY protocol header from 127.0.0.1, which is not in trusted_proxies"), "{reason}");
        assert!(log, "a forged header is worth a line");
    }
}

#[test]
fn a_malformed_proxy_header_fails_that_connection_with_its_reason() {
    let bytes = format!("PROXY TCP4 203.0.113.7 127.0.0.1 99999 9080\r\n{}", upgrade_with(""));
    let (mut server, answer) = serve(bytes.as_bytes(), &trusting(&["127.0.0.1"]));
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let (kind, _, reason, _) = failure(&mut server);
    assert_eq!(kind, FailureKind::Handshake);
    assert!(reason.contains("\"99999\" is not a port"), "{reason}");
}

#[test]
fn forwarded_headers_count_from_a_trusted_balancer_only() {
    let request = upgrade_with("X-Forwarded-For: 6.6.6.6, 198.51.100.9\r\n");
    let (server, _) = serve(request.as_bytes(), &trusting(&["127.0.0.1"]));
    assert_eq!(remote(&server), ("198.51.100.9".into(), 0), "the last hop, no port");
    let (server, _) = serve(request.as_bytes(), &Config::default());
    assert_eq!(remote(&server).0, "127.0.0.1", "ignored from an untrusted peer");
    let forwarded = upgrade_with("Forwarded: for=\"[2001:db8::9]:5000\"\r\n");
    let (server, _) = serve(forwarded.as_bytes(), &trusting(&["127.0.0.1"]));
    assert_eq!(remote(&server), ("2001:db8::9".into(), 5000));
}

#[test]
fn health_checks_and_probes_are_answered_without_a_log_line() {
    let config = trusting(&[]);
    let (mut server, answer) = serve(b"GET /health HTTP/1.0\r\n\r\n", &config);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.ends_with("\r\n\r\nOK\n"), "{answer:?}");
    assert_eq!(failure(&mut server), (FailureKind::Handshake, 200, "health check GET /health answered".into(), false));
    let (mut server, answer) = serve(b"HEAD /health?probe=1 HTTP/1.1\r\nHost: b\r\n\r\n", &config);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.ends_with("\r\n\r\n"), "{answer:?}");
    assert_eq!(failure(&mut server).1, 200);
    // Another plain request: 400, still quiet.
    let (mut server, answer) = serve(b"GET / HTTP/1.1\r\nHost: b\r\n\r\n", &config);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let (kind, status, _, log) = failure(&mut server);
    assert_eq!((kind, status, log), (FailureKind::Handshake, 400, false));
    // Without a health path, the health request is a plain request too.
    let (_, answer) = serve(b"GET /health HTTP/1.0\r\n\r\n", &Config::default());
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // A TCP check: connect and close.
    let (mut server, answer) = serve(b"", &config);
    assert_eq!(answer, "");
    let (kind, _, _, log) = failure(&mut server);
    assert_eq!((kind, log), (FailureKind::ConnectionLost, false));
    // HAProxy's checks with send-proxy: a PROXY header (v1, or v2 LOCAL), then a reset.
    for header in [&b"PROXY TCP4 127.0.0.1 127.0.0.1 40000 9080\r\n"[..], b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00"] {
        let (mut server, _) = serve_then_reset(header, &trusting(&["127.0.0.1"]));
        let (kind, _, reason, log) = failure(&mut server);
        assert_eq!((kind, log), (FailureKind::ConnectionLost, false), "{reason}");
    }
    // A trusted balancer's PROXY header before its health check.
    let (mut server, answer) = serve(b"PROXY UNKNOWN\r\nGET /health HTTP/1.0\r\n\r\n", &trusting(&["127.0.0.1"]));
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(!failure(&mut server).3);
}

#[test]
fn a_broken_upgrade_request_is_still_logged() {
    let request = upgrade_with("").replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8");
    let (mut server, answer) = serve(request.as_bytes(), &trusting(&[]));
    assert!(answer.starts_with("HTTP/1.1 426"), "{answer}");
    let (kind, status, _, log) = failure(&mut server);
    assert_eq!((kind, status, log), (FailureKind::Handshake, 426, true));
}
