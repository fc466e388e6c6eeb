//! Blocking std::net drivers for the protocol core, used only by the
//! Autobahn|Testsuite echo peers. Not part of the addon.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ws_protocol::{Connection, Limits, Message, State};

/// Limits large enough for Autobahn's 16 MiB performance cases.
pub fn conformance_limits() -> Limits {
    Limits {
        max_message_size: 64 << 20,
        max_inbound_buffered: 64 << 20,
        max_outbound_buffered: None,
        ..Limits::default()
    }
}

/// Monotonic time since the process started, the core's clock.
pub fn now(start: Instant) -> Duration {
    start.elapsed()
}

pub fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("OS random source");
    bytes
}

/// Drives `conn` over `stream` until it closes. `on_message` gets every
/// received message and may queue replies. Returns the close code.
pub fn run_connection(
    stream: &mut TcpStream,
    conn: &mut Connection,
    start: Instant,
    mut on_message: impl FnMut(&mut Connection, Message),
) -> io::Result<u16> {
    stream.set_read_timeout(Some(Duration::from_millis(50)))?;
    let mut buf = vec![0u8; ws_protocol::connection::READ_CHUNK];
    loop {
        while let Some(message) = conn.pop_message() {
            on_message(conn, message);
        }
        while !conn.pending_output().is_empty() {
            match stream.write(conn.pending_output()) {
                Ok(0) | Err(_) => {
                    conn.abort();
                    break;
                }
                Ok(n) => conn.consume_output(n),
            }
        }
        if conn.state() == State::Closed {
            break;
        }
        let want = conn.read_capacity().min(buf.len());
        if want > 0 {
            match stream.read(&mut buf[..want]) {
                Ok(0) => conn.receive_eof(),
                Ok(n) => conn.receive(&buf[..n], now(start)),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                Err(_) => conn.receive_eof(),
            }
        }
        if let Some(error) = conn.take_error() {
            eprintln!("protocol error: {error} (closing with {})", error.close_code());
        }
        conn.poll(now(start));
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    Ok(conn.close_status().map_or(1006, |s| s.code))
}
