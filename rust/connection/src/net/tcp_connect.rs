//! Non-blocking TCP connect that tries every resolved address in turn.

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

pub enum ConnectProgress {
    Pending,
    Connected(TcpStream),
    /// Every address failed; the error of the last one.
    Failed(io::Error),
}

/// Connects to the first address that accepts, one at a time, each within
/// `per_address_timeout` (the engine's `network/limits/tcp/connect_timeout_seconds`).
pub struct TcpConnect {
    remaining: VecDeque<SocketAddr>,
    current: Option<(Socket, SocketAddr, Duration)>,
    per_address_timeout: Duration,
    last_error: Option<io::Error>,
}

impl TcpConnect {
    /// Starts connecting. Synchronous failures move on to the next address at
    /// once; `Failed` from the first `poll` means none could even start.
    pub fn start(addrs: Vec<SocketAddr>, per_address_timeout: Duration, now: Duration) -> TcpConnect {
        let mut connect = TcpConnect { remaining: addrs.into(), current: None, per_address_timeout, last_error: None };
        connect.start_next(now);
        connect
    }

    /// The address being tried now.
    pub fn current_addr(&self) -> Option<SocketAddr> {
        self.current.as_ref().map(|(_, addr, _)| *addr)
    }

    /// Whether an attempt is under way (false: every address failed synchronously).
    pub fn in_progress(&self) -> bool {
        self.current.is_some()
    }

    fn start_next(&mut self, now: Duration) {
        self.current = None;
        while let Some(addr) = self.remaining.pop_front() {
            match begin(addr) {
                Ok(socket) => {
                    self.current = Some((socket, addr, now + self.per_address_timeout));
                    return;
                }
                Err(e) => self.last_error = Some(e),
            }
        }
    }

    pub fn poll(&mut self, now: Duration) -> ConnectProgress {
        loop {
            let Some((socket, addr, deadline)) = &self.current else {
                let error = self.last_error.take().unwrap_or_else(|| io::Error::other("no address to connect to"));
                return ConnectProgress::Failed(error);
            };
            let addr = *addr;
            // SO_ERROR reports a failed attempt; a peer address means it completed.
            let failed = match socket.take_error() {
                Ok(Some(e)) | Err(e) => Some(e),
                Ok(None) if socket.peer_addr().is_ok() => {
                    let (socket, _, _) = self.current.take().expect("checked above");
                    return ConnectProgress::Connected(socket.into());
                }
                Ok(None) if now >= *deadline => Some(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("timed out after {} s", self.per_address_timeout.as_secs()),
                )),
                Ok(None) => None,
            };
            match failed {
                Some(e) => {
                    self.last_error = Some(describe(addr, e));
                    self.start_next(now);
                }
                None => return ConnectProgress::Pending,
            }
        }
    }
}

fn begin(addr: SocketAddr) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    // A write to a socket the server closed must fail, not raise SIGPIPE (Linux:
    // std's writes pass MSG_NOSIGNAL).
    #[cfg(target_vendor = "apple")]
    socket.set_nosigpipe(true)?;
    match socket.connect(&SockAddr::from(addr)) {
        Ok(()) => Ok(socket),
        Err(e) if in_progress(&e) => Ok(socket),
        Err(e) => Err(describe(addr, e)),
    }
}

/// The error worded for a log line and `get_failure_reason()`:
/// `connection refused by 127.0.0.1:8000`.
fn describe(addr: SocketAddr, e: io::Error) -> io::Error {
    let text = match e.kind() {
        io::ErrorKind::ConnectionRefused => format!("connection refused by {addr}"),
        io::ErrorKind::TimedOut => format!("no answer from {addr}: {e}"),
        _ => format!("cannot connect to {addr}: {}", without_os_code(&e)),
    };
    io::Error::new(e.kind(), text)
}

/// `Network is unreachable (os error 101)` without the code in brackets.
fn without_os_code(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn in_progress(e: &io::Error) -> bool {
    #[cfg(unix)]
    const EINPROGRESS: i32 = if cfg!(any(target_os = "macos", target_os = "ios")) { 36 } else { 115 };
    #[cfg(not(unix))]
    const EINPROGRESS: i32 = -1;
    e.kind() == io::ErrorKind::WouldBlock || e.raw_os_error() == Some(EINPROGRESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::Instant;

    fn wait(connect: &mut TcpConnect) -> ConnectProgress {
        let start = Instant::now();
        loop {
            match connect.poll(start.elapsed()) {
                ConnectProgress::Pending => std::thread::sleep(Duration::from_millis(1)),
                done => return done,
            }
            assert!(start.elapsed() < Duration::from_secs(10));
        }
    }

    #[test]
    fn falls_through_refused_addresses_to_a_listening_one() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let good = listener.local_addr().unwrap();
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // dropped: refused
        let mut connect = TcpConnect::start(vec![closed, good], Duration::from_secs(5), Duration::ZERO);
        match wait(&mut connect) {
            ConnectProgress::Connected(stream) => assert_eq!(stream.peer_addr().unwrap(), good),
            _ => panic!("did not connect"),
        }
    }

    #[test]
    fn reports_failure_when_every_address_refuses() {
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let mut connect = TcpConnect::start(vec![closed], Duration::from_secs(5), Duration::ZERO);
        match wait(&mut connect) {
            ConnectProgress::Failed(e) => assert_eq!(e.to_string(), format!("connection refused by {closed}")),
            _ => panic!("connected to a closed port"),
        }
    }
}
