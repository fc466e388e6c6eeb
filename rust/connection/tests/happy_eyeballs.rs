//! Happy Eyeballs over real loopback sockets: `TcpConnect` races a host's addresses,
//! moves on at once from a refusal, after 250 ms from silence, gives up when the
//! whole race's timeout ends, and closes the attempts that lost.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use ws_connection::net::tcp_connect::{ConnectProgress, TcpConnect};

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// Polls every millisecond with the time `clock` gives until the race ends; the
/// result and the real time it took. Panics after 10 s of real time.
fn finish(connect: &mut TcpConnect, clock: impl Fn() -> Duration) -> (io::Result<TcpStream>, Duration) {
    let start = Instant::now();
    loop {
        match connect.poll(clock()) {
            ConnectProgress::Pending => std::thread::sleep(Duration::from_millis(1)),
            ConnectProgress::Connected(stream) => return (Ok(stream), start.elapsed()),
            ConnectProgress::Failed(e) => return (Err(e), start.elapsed()),
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the race never ended");
    }
}

/// A port on `ip` where nothing listens: a connect to it is refused.
fn refusing(ip: IpAddr) -> SocketAddr {
    TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap()
}

/// The listener has no connection waiting (nothing was left for it to accept).
fn nothing_more(listener: &TcpListener) -> bool {
    listener.set_nonblocking(true).unwrap();
    matches!(listener.accept(), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

#[test]
fn a_refused_address_hands_over_to_the_next_at_once() {
    let listener = TcpListener::bind((V4, 0)).unwrap();
    let serving = listener.local_addr().unwrap();
    let refused = refusing(V4);
    let start = Instant::now();
    // The injected clock never moves: only the refusal, never the 250 ms delay, can
    // start the second attempt.
    let mut connect = TcpConnect::start(vec![refused, serving], Duration::from_secs(30), Duration::ZERO);
    let (result, _) = finish(&mut connect, || Duration::ZERO);
    let stream = result.expect("connected to the second address");
    assert_eq!(stream.peer_addr().unwrap(), serving);
    // Windows itself retries a refused SYN for about 2 s, so the real time is bounded
    // where a refusal arrives at once (Linux, macOS, and Wine, which uses Linux's sockets).
    if !cfg!(windows) {
        assert!(start.elapsed() < Duration::from_millis(100), "took {:?}", start.elapsed());
    }
}

#[test]
fn the_first_address_wins_when_it_answers_and_the_next_is_never_tried() {
    let first = TcpListener::bind((V6, 0)).unwrap();
    let second = TcpListener::bind((V4, 0)).unwrap();
    let addrs = vec![first.local_addr().unwrap(), second.local_addr().unwrap()];
    let start = Instant::now();
    let mut connect = TcpConnect::start(addrs.clone(), Duration::from_secs(30), Duration::ZERO);
    let (result, _) = finish(&mut connect, || start.elapsed());
    assert_eq!(result.unwrap().peer_addr().unwrap(), addrs[0]);
    assert_eq!(connect.current_addr(), Some(addrs[0]), "the winner");
    std::thread::sleep(Duration::from_millis(50));
    assert!(nothing_more(&second), "the second address was tried");
}

#[test]
fn every_address_refusing_reports_the_last_refusal() {
    let addrs = vec![refusing(V6), refusing(V4)];
    let mut connect = TcpConnect::start(addrs.clone(), Duration::from_secs(30), Duration::ZERO);
    let (result, _) = finish(&mut connect, || Duration::ZERO);
    let e = result.expect_err("nothing listens");
    assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
    assert_eq!(e.to_string(), format!("connection refused by {}", addrs[1]));
    assert!(!connect.in_progress());
}

/// Addresses that never answer. Linux only: they are made from a full accept queue,
/// where Linux drops further SYNs; Windows refuses a connection when the queue is
/// full (WSAECONNREFUSED, as its `listen()` documentation says), so there is no such
/// port to make on it (a non-routable address depends on the machine's network).
#[cfg(target_os = "linux")]
mod unanswered {
    use super::*;

    use socket2::{Domain, SockAddr, Socket, Type};
    use ws_connection::net::happy_eyeballs::CONNECTION_ATTEMPT_DELAY;

    /// A loopback port whose accept queue is full, so that the kernel drops every new
    /// SYN and a connect to it neither completes nor fails while this lives.
    struct BlackHole {
        listener: Socket,
        fillers: Vec<TcpStream>,
        addr: SocketAddr,
    }

    fn black_hole(ip: IpAddr) -> BlackHole {
        let listener = Socket::new(Domain::for_address((ip, 0).into()), Type::STREAM, None).unwrap();
        listener.bind(&SocketAddr::new(ip, 0).into()).unwrap();
        listener.listen(0).unwrap();
        let addr = listener.local_addr().unwrap().as_socket().unwrap();
        let mut fillers = Vec::new();
        // A connect that is not answered within 300 ms: the queue is full and SYNs are dropped.
        while let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            fillers.push(stream);
            assert!(fillers.len() < 16, "the accept queue never filled: SYNs are not dropped here");
        }
        BlackHole { listener, fillers, addr }
    }

    fn hangs_then_serves(hanging: IpAddr, serving: IpAddr) {
        let hole = black_hole(hanging);
        let listener = TcpListener::bind((serving, 0)).unwrap();
        let serving = listener.local_addr().unwrap();
        let start = Instant::now();
        let mut connect = TcpConnect::start(vec![hole.addr, serving], Duration::from_secs(30), Duration::ZERO);
        assert_eq!(connect.current_addr(), Some(hole.addr));
        let (result, took) = finish(&mut connect, || start.elapsed());
        let stream = result.expect("connected to the serving address");
        assert_eq!(stream.peer_addr().unwrap(), serving);
        assert!(took >= CONNECTION_ATTEMPT_DELAY, "connected after {took:?}: the second attempt did not wait");
        assert!(took < Duration::from_secs(1), "connected after {took:?}");
        assert_eq!(connect.current_addr(), Some(serving), "the winner");
        // The serving side got exactly the winner.
        let (_, from) = listener.accept().unwrap();
        assert_eq!(from, stream.local_addr().unwrap());
        assert!(nothing_more(&listener));
    }

    #[test]
    fn an_ipv6_address_that_never_answers_hands_over_to_ipv4_after_the_delay() {
        hangs_then_serves(V6, V4);
    }

    #[test]
    fn an_ipv4_address_that_never_answers_hands_over_to_ipv6_after_the_delay() {
        hangs_then_serves(V4, V6);
    }

    #[test]
    fn a_websocket_to_localhost_whose_ipv4_hangs_opens_over_ipv6() {
        use ws_connection::{clock, Config, ReadyState, Transport, WebSocket};
        // `localhost` is 127.0.0.1 then ::1, on one port: hang the first, serve the second.
        let (hole, listener) = (0..20)
            .find_map(|_| {
                let hole = black_hole(V4);
                TcpListener::bind((V6, hole.addr.port())).ok().map(|l| (hole, l))
            })
            .expect("no port free on both loopbacks");
        listener.set_nonblocking(true).unwrap();
        let config = Config::default();
        let mut client = WebSocket::new();
        let url = format!("ws://localhost:{}/", hole.addr.port());
        let start = Instant::now();
        client.connect(&url, |_| Err("no TLS".into()), &config, clock::now()).unwrap();
        let mut server: Option<WebSocket> = None;
        while client.ready_state() == ReadyState::Connecting && start.elapsed() < Duration::from_secs(10) {
            client.poll(&config, clock::now());
            if let Ok((stream, _)) = listener.accept() {
                stream.set_nonblocking(true).unwrap();
                let mut ws = WebSocket::new();
                ws.accept(Transport::tcp(stream), &config, clock::now());
                server = Some(ws);
            }
            if let Some(server) = &mut server {
                server.poll(&config, clock::now());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let took = start.elapsed();
        assert_eq!(client.ready_state(), ReadyState::Open, "{:?}", client.failure());
        assert_eq!(client.remote(), Some(("::1", hole.addr.port())));
        assert!(took >= CONNECTION_ATTEMPT_DELAY && took < Duration::from_secs(1), "opened after {took:?}");
    }

    #[test]
    fn the_other_family_is_tried_second_whatever_the_resolver_listed() {
        let holes = [black_hole(V6), black_hole(V6)];
        let listener = TcpListener::bind((V4, 0)).unwrap();
        let serving = listener.local_addr().unwrap();
        // The resolver's order v6, v6, v4 is raced as v6, v4, v6. The clock stops at
        // 300 ms: time for a second attempt, not for a third.
        let addrs = vec![holes[0].addr, holes[1].addr, serving];
        let mut connect = TcpConnect::start(addrs, Duration::from_secs(30), Duration::ZERO);
        let (result, _) = finish(&mut connect, || Duration::from_millis(300));
        assert_eq!(result.expect("connected").peer_addr().unwrap(), serving);
    }

    #[test]
    fn a_refusal_beside_a_silent_attempt_starts_the_next_at_once() {
        let hole = black_hole(V6);
        let listener = TcpListener::bind((V6, 0)).unwrap();
        let serving = listener.local_addr().unwrap();
        // Raced as hole, refused, serving. The clock stops at 300 ms: the refusal,
        // not a second delay (500 ms), must start the third while the first still hangs.
        let addrs = vec![hole.addr, serving, refusing(V4)];
        let mut connect = TcpConnect::start(addrs, Duration::from_secs(30), Duration::ZERO);
        let (result, _) = finish(&mut connect, || Duration::from_millis(300));
        assert_eq!(result.expect("connected").peer_addr().unwrap(), serving);
    }

    #[test]
    fn when_nothing_answers_the_timeout_ends_the_whole_race() {
        let holes = [black_hole(V6), black_hole(V4)];
        let timeout = Duration::from_secs(1);
        let start = Instant::now();
        let mut connect = TcpConnect::start(vec![holes[0].addr, holes[1].addr], timeout, Duration::ZERO);
        let (result, took) = finish(&mut connect, || start.elapsed());
        let e = result.expect_err("nothing answers");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert_eq!(e.to_string(), format!("no answer from {} or {} within 1 s", holes[0].addr, holes[1].addr));
        // One timeout for the race, not one per address (2 s).
        assert!(took >= timeout && took < Duration::from_millis(1500), "gave up after {took:?}");
        assert!(!connect.in_progress());
    }

    #[test]
    fn the_attempts_that_lost_are_closed() {
        let hole = black_hole(V6);
        let listener = TcpListener::bind((V4, 0)).unwrap();
        let serving = listener.local_addr().unwrap();
        let start = Instant::now();
        let mut connect = TcpConnect::start(vec![hole.addr, serving], Duration::from_secs(30), Duration::ZERO);
        let (result, _) = finish(&mut connect, || start.elapsed());
        result.expect("connected to the serving address");

        // A connect of our own to the hole, left open on purpose: what a loser that was
        // not closed looks like. It starts after the race's, so its SYN is retried later.
        let witness = Socket::new(Domain::IPV6, Type::STREAM, None).unwrap();
        witness.set_nonblocking(true).unwrap();
        let _ = witness.connect(&SockAddr::from(hole.addr));
        let witness_addr = witness.local_addr().unwrap().as_socket().unwrap();

        // Open the hole: an attempt still alive gets in when its SYN is retried (after
        // 1 s, then 3 s); a closed one never comes.
        let BlackHole { listener: hole_listener, fillers, .. } = hole;
        hole_listener.set_nonblocking(true).unwrap();
        let mut arrived = Vec::new();
        let opened = Instant::now();
        let mut witness_seen = None;
        while witness_seen.is_none_or(|at: Instant| at.elapsed() < Duration::from_millis(300)) {
            assert!(opened.elapsed() < Duration::from_secs(8), "the witness never got in: {arrived:?}");
            match hole_listener.accept() {
                Ok((_, from)) => {
                    let from = from.as_socket().unwrap();
                    if from == witness_addr {
                        witness_seen = Some(Instant::now());
                    } else if !fillers.iter().any(|f| f.local_addr().unwrap() == from) {
                        arrived.push(from);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(1)),
                Err(e) => panic!("accept: {e}"),
            }
        }
        assert_eq!(arrived, [], "connections other than the witness's reached the hole: a loser was left open");
    }
}
