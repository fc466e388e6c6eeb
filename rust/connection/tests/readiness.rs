//! The readiness seam, through its public API, on whichever implementation this
//! platform has (epoll on Linux, the portable one elsewhere): an idle socket may skip
//! reads, but input and the end of input are always seen.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use ws_connection::readiness::SocketWatch;

/// One read as a connection makes it: only when the watch allows.
fn poll_read(socket: &mut TcpStream, watch: &mut SocketWatch) -> Option<usize> {
    if !watch.may_be_readable() {
        return None;
    }
    let mut buf = [0u8; 64];
    let n = match socket.read(&mut buf) {
        Ok(n) => Some(n),
        Err(e) if e.kind() == ErrorKind::WouldBlock => None,
        Err(e) => panic!("{e}"),
    };
    watch.after_read(n.is_some());
    n
}

fn read_within_5s(socket: &mut TcpStream, watch: &mut SocketWatch, expected: usize) {
    let start = Instant::now();
    while poll_read(socket, watch) != Some(expected) {
        assert!(start.elapsed() < Duration::from_secs(5), "{expected} bytes never seen");
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn input_after_a_long_idle_spell_and_the_end_of_input_are_seen() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    client.set_nonblocking(true).unwrap();
    let mut watch = SocketWatch::new(&client);
    for round in 0..3 {
        for _ in 0..100 {
            assert_eq!(poll_read(&mut client, &mut watch), None, "round {round}: nothing sent yet");
        }
        server.write_all(b"hello").unwrap();
        read_within_5s(&mut client, &mut watch, 5);
    }
    drop(server);
    read_within_5s(&mut client, &mut watch, 0);
}
