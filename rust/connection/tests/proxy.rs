//! Clients through an HTTP(S) `CONNECT` proxy, over real loopback sockets: `ws://`
//! and `wss://` (TLS end to end with the server, inside the tunnel), an `https://`
//! proxy (TLS inside TLS), Basic credentials, and each way a proxy fails. The proxy
//! here is a small one in a thread; tests/proxy runs the classes against tinyproxy.

mod common;

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::*;
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use ws_connection::tls::TlsPolicy;
use ws_connection::{Config, Failure, FailureKind, ReadyState, Transport, WebSocket, Write};

/// What the test proxy does with a request.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Opens every tunnel asked for.
    Open,
    /// Opens tunnels only for this `Proxy-Authorization` value, else 407.
    Credentials(&'static str),
    /// Answers these bytes and hangs up.
    Answer(&'static [u8]),
}

struct TestProxy {
    addr: SocketAddr,
    /// Every request's head, as received.
    requests: Arc<Mutex<Vec<String>>>,
}

/// A proxy on a free loopback port, over TLS when `tls` is given. It serves until
/// the test process ends.
fn start_proxy(behaviour: Behaviour, tls: Option<Arc<ServerConfig>>) -> TestProxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (tls, seen) = (tls.clone(), seen.clone());
            thread::spawn(move || {
                client.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
                match tls {
                    Some(config) => {
                        serve(StreamOwned::new(ServerConnection::new(config).unwrap(), client), behaviour, &seen)
                    }
                    None => serve(client, behaviour, &seen),
                }
            });
        }
    });
    TestProxy { addr, requests }
}

fn serve(mut client: impl Read + std::io::Write, behaviour: Behaviour, seen: &Mutex<Vec<String>>) {
    let mut head = Vec::new();
    let mut buf = [0; 4096];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut buf[..1]) {
            Ok(0) => return,
            Ok(_) => head.push(buf[0]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
    let head = String::from_utf8(head).unwrap();
    seen.lock().unwrap().push(head.clone());
    let answer: &[u8] = match behaviour {
        Behaviour::Answer(bytes) => bytes,
        Behaviour::Credentials(expected) if !head.contains(&format!("\r\nProxy-Authorization: {expected}\r\n")) => {
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n"
        }
        _ => b"HTTP/1.1 200 Connection established\r\n\r\n",
    };
    let _ = client.write_all(answer);
    let _ = client.flush();
    if !answer.starts_with(b"HTTP/1.1 200") {
        return;
    }
    let target = head.split_whitespace().nth(1).unwrap().to_string();
    let Ok(mut server) = TcpStream::connect(target) else { return };
    server.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
    // Relays both ways until either side ends.
    loop {
        let moved_up = relay(&mut client, &mut server);
        let moved_down = relay(&mut server, &mut client);
        if moved_up.is_none() || moved_down.is_none() {
            return;
        }
    }
}

/// Moves what `from` has to `to`; `None` once `from` ended or either failed.
fn relay(from: &mut impl Read, to: &mut impl std::io::Write) -> Option<usize> {
    let mut buf = [0; 16 * 1024];
    match from.read(&mut buf) {
        Ok(0) => None,
        Ok(n) => to.write_all(&buf[..n]).and_then(|()| to.flush()).ok().map(|()| n),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Some(0),
        Err(_) => None,
    }
}

/// A client through `proxy_url` to a server of ours (over TLS with `tls`): both
/// sides open, or the client's failure.
fn connect_through(proxy_url: &str, config: Config, tls: Option<&Tls>) -> Result<(WebSocket, WebSocket), Failure> {
    let (listener, addr) = listener();
    let url = match tls {
        Some(_) => format!("wss://localhost:{}/play", addr.port()),
        None => format!("ws://127.0.0.1:{}/play", addr.port()),
    };
    let config = Config { proxy_url: proxy_url.to_string(), ..config };
    let mut client = WebSocket::new();
    let setup = tls.map(Tls::client_setup);
    if client.connect(&url, |_| setup.ok_or_else(|| "no TLS".into()), &config, ws_connection::clock::now()).is_err() {
        return Err(client.failure().cloned().expect("a failure when connect fails"));
    }
    let mut server = WebSocket::new();
    let mut accepted = false;
    let server_config = Config::default();
    poll_real_until(&mut [(&mut client, &config)], |c| {
        if let Some(stream) = listener.accept() {
            server.accept(
                match tls {
                    Some(t) => t.server_transport(stream),
                    None => Transport::tcp(stream),
                },
                &server_config,
                ws_connection::clock::now(),
            );
            accepted = true;
        }
        if accepted {
            server.poll(&server_config, ws_connection::clock::now());
        }
        c[0].0.failure().is_some()
            || (c[0].0.ready_state() == ReadyState::Open && server.ready_state() == ReadyState::Open)
    });
    match client.failure() {
        Some(failure) => Err(failure.clone()),
        None => {
            assert_eq!(client.ready_state(), ReadyState::Open, "neither open nor failed");
            Ok((client, server))
        }
    }
}

/// A message each way over an open pair.
fn exchange(client: &mut WebSocket, server: &mut WebSocket) {
    client.send(true, b"through the tunnel", Write::Now).unwrap();
    server.send(false, &[1, 2, 3], Write::Now).unwrap();
    let config = Config::default();
    let arrived = poll_real_until(&mut [(client, &config), (server, &config)], |c| {
        c[0].0.available() == 1 && c[1].0.available() == 1
    });
    assert!(arrived, "the messages did not cross");
    assert_eq!(client.pop_message().unwrap().data, [1, 2, 3]);
    assert_eq!(server.pop_message().unwrap().data, b"through the tunnel");
}

#[test]
fn ws_through_an_http_proxy() {
    let proxy = start_proxy(Behaviour::Open, None);
    let (mut client, mut server) =
        connect_through(&format!("http://127.0.0.1:{}", proxy.addr.port()), Config::default(), None).unwrap();
    exchange(&mut client, &mut server);
    assert_eq!(client.remote(), Some(("127.0.0.1", proxy.addr.port())), "the TCP peer is the proxy");
    let requests = proxy.requests.lock().unwrap();
    assert!(requests[0].starts_with("CONNECT 127.0.0.1:"), "{requests:?}");
    assert!(!requests[0].contains("Proxy-Authorization"), "no credentials, no header");
}

#[test]
fn wss_through_an_http_proxy_is_tls_end_to_end_with_the_server() {
    let proxy = start_proxy(Behaviour::Open, None);
    let tls = Tls::new();
    let (mut client, mut server) =
        connect_through(&format!("http://127.0.0.1:{}", proxy.addr.port()), Config::default(), Some(&tls)).unwrap();
    exchange(&mut client, &mut server);
    assert!(proxy.requests.lock().unwrap()[0].starts_with("CONNECT localhost:"));
    // The server's certificate is checked, not the proxy's: one the client does not trust fails as TLS.
    let other = Tls::new();
    let untrusted = Tls { identity: other.identity, client: tls.client_setup() };
    let failure =
        connect_through(&format!("http://127.0.0.1:{}", proxy.addr.port()), Config::default(), Some(&untrusted))
            .err()
            .expect("the connection should have failed");
    assert_eq!(failure.kind, FailureKind::Tls, "{failure:?}");
}

#[test]
fn wss_through_an_https_proxy_nests_tls_in_tls() {
    let proxy_tls = Tls::new();
    let proxy = start_proxy(Behaviour::Open, Some(proxy_tls.identity.server.clone()));
    let trust = TlsPolicy::TrustedChain { pem: proxy_tls.identity.cert_pem.clone().into_bytes(), name_override: None };
    let config = Config { proxy_trust: trust, ..Config::default() };
    let url = format!("https://localhost:{}", proxy.addr.port());
    let server_tls = Tls::new();
    let (mut client, mut server) = connect_through(&url, config.clone(), Some(&server_tls)).unwrap();
    exchange(&mut client, &mut server);
    let (mut client, mut server) = connect_through(&url, config, None).unwrap();
    exchange(&mut client, &mut server);
    // The proxy's certificate is checked: with the default trust (Mozilla roots) it is not trusted.
    let failure = connect_through(&url, Config::default(), None).err().expect("the connection should have failed");
    assert_eq!(failure.kind, FailureKind::Proxy);
    assert!(
        failure.reason.starts_with(&format!("cannot reach the proxy {url} over TLS: TLS: certificate not trusted")),
        "{}",
        failure.reason
    );
}

#[test]
fn credentials_go_as_basic_authorization_and_a_407_names_no_password() {
    // base64("player:s3cret")
    let proxy = start_proxy(Behaviour::Credentials("Basic cGxheWVyOnMzY3JldA=="), None);
    let port = proxy.addr.port();
    let (mut client, mut server) =
        connect_through(&format!("http://player:s3cret@127.0.0.1:{port}"), Config::default(), None).unwrap();
    exchange(&mut client, &mut server);
    let failure = connect_through(&format!("http://player:wr0ng@127.0.0.1:{port}"), Config::default(), None)
        .err()
        .expect("the connection should have failed");
    assert_eq!((failure.kind, failure.http_status), (FailureKind::Proxy, 407));
    assert_eq!(
        failure.reason,
        format!("the proxy http://(credentials)@127.0.0.1:{port} refused the tunnel: HTTP 407 Proxy Authentication Required")
    );
}

#[test]
fn a_proxy_that_refuses_keeps_its_status() {
    let proxy = start_proxy(Behaviour::Answer(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"), None);
    let failure = connect_through(&format!("http://127.0.0.1:{}", proxy.addr.port()), Config::default(), None)
        .err()
        .expect("the connection should have failed");
    assert_eq!((failure.kind, failure.http_status), (FailureKind::Proxy, 403), "{failure:?}");
}

#[test]
fn a_proxy_that_does_not_speak_http() {
    let proxy = start_proxy(Behaviour::Answer(b"SSH-2.0-OpenSSH_9.2\r\n"), None);
    let failure = connect_through(&format!("http://127.0.0.1:{}", proxy.addr.port()), Config::default(), None)
        .err()
        .expect("the connection should have failed");
    assert_eq!((failure.kind, failure.http_status), (FailureKind::Proxy, 0));
    assert!(
        failure.reason.contains("does not speak HTTP: it answered \"SSH-2.0-OpenSSH_9.2\\r\\n\""),
        "{}",
        failure.reason
    );
}

#[test]
fn a_proxy_that_is_down() {
    let down = closed_port();
    let failure = connect_through(&format!("http://user:pw@127.0.0.1:{}", down.port()), Config::default(), None)
        .err()
        .expect("the connection should have failed");
    assert_eq!(failure.kind, FailureKind::Proxy);
    assert_eq!(
        failure.reason,
        format!(
            "cannot reach the proxy http://(credentials)@127.0.0.1:{0}: connection refused by 127.0.0.1:{0}",
            down.port()
        )
    );
}

#[test]
fn an_invalid_proxy_setting_is_refused_at_connect() {
    let mut client = WebSocket::new();
    let config = Config { proxy_url: "socks5://user:hunter2@127.0.0.1:1080".into(), ..Config::default() };
    match client.connect("ws://127.0.0.1:1/", |_| Err("no TLS".into()), &config, ws_connection::clock::now()) {
        Err(ws_connection::ConnectError::Proxy(why)) => {
            assert_eq!(why, "invalid proxy_url: unsupported proxy scheme \"socks5\" (use http:// or https://)");
        }
        other => panic!("expected a proxy setting error, got {other:?}"),
    }
    assert_eq!(client.ready_state(), ReadyState::Closed);
}
