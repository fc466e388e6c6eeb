//! Non-blocking TCP connect that races a host's addresses (Happy Eyeballs, RFC 8305):
//! `happy_eyeballs` decides what starts when; this file owns the sockets.

use std::fmt::Write as _;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::happy_eyeballs::{Race, Step};

pub enum ConnectProgress {
    Pending,
    Connected(TcpStream),
    /// Every attempt failed: the error of the last one; or the whole race ran out of
    /// time with attempts in flight: `TimedOut`, naming the addresses that never answered.
    Failed(io::Error),
}

/// Connects to the first address that accepts. Attempts overlap: one starts at once,
/// another each `CONNECTION_ATTEMPT_DELAY` or as soon as one fails, and the first to
/// connect wins. `timeout` (the engine's `network/limits/tcp/connect_timeout_seconds`)
/// bounds the whole race.
pub struct TcpConnect {
    race: Race,
    /// Attempts in flight, oldest first; room for every address is kept from the start.
    attempts: Vec<Attempt>,
    winner: Option<SocketAddr>,
    timeout: Duration,
    last_error: Option<io::Error>,
}

struct Attempt {
    socket: Socket,
    addr: SocketAddr,
}

enum Check {
    Pending,
    Connected,
    Failed(io::Error),
}

impl TcpConnect {
    /// Starts connecting. Synchronous failures move on to the next address at
    /// once; `Failed` from the first `poll` means none could even start.
    pub fn start(addrs: Vec<SocketAddr>, timeout: Duration, now: Duration) -> TcpConnect {
        let attempts = Vec::with_capacity(addrs.len());
        let race = Race::new(addrs, timeout, now);
        let mut connect = TcpConnect { race, attempts, winner: None, timeout, last_error: None };
        connect.start_due(now);
        connect
    }

    /// The oldest attempt still in flight, or the one that connected.
    pub fn current_addr(&self) -> Option<SocketAddr> {
        self.winner.or_else(|| self.attempts.first().map(|a| a.addr))
    }

    /// Whether an attempt is under way (false: every address failed synchronously).
    pub fn in_progress(&self) -> bool {
        !self.attempts.is_empty()
    }

    /// Starts the attempts that are due; what the race says once none is.
    fn start_due(&mut self, now: Duration) -> Step {
        loop {
            match self.race.step(self.attempts.len(), now) {
                Step::Start(addr) => match begin(addr) {
                    Ok(socket) => self.attempts.push(Attempt { socket, addr }),
                    Err(e) => {
                        self.last_error = Some(e);
                        self.race.failed(now);
                    }
                },
                step => return step,
            }
        }
    }

    pub fn poll(&mut self, now: Duration) -> ConnectProgress {
        // Oldest first, so when several have connected the preferred address wins.
        let mut i = 0;
        while i < self.attempts.len() {
            match check(&self.attempts[i].socket) {
                Check::Pending => i += 1,
                Check::Connected => {
                    let won = self.attempts.swap_remove(i);
                    // The losers' sockets close now: no half-open connections left behind.
                    self.attempts.clear();
                    self.winner = Some(won.addr);
                    return ConnectProgress::Connected(won.socket.into());
                }
                Check::Failed(e) => {
                    let lost = self.attempts.remove(i);
                    self.last_error = Some(describe(lost.addr, e));
                    self.race.failed(now);
                }
            }
        }
        match self.start_due(now) {
            Step::Start(_) | Step::Wait(_) => ConnectProgress::Pending,
            Step::TimedOut => {
                let why = no_answer(self.attempts.iter().map(|a| a.addr), self.timeout);
                let e = io::Error::new(io::ErrorKind::TimedOut, why);
                self.attempts.clear();
                ConnectProgress::Failed(e)
            }
            Step::Lost => ConnectProgress::Failed(
                self.last_error.take().unwrap_or_else(|| io::Error::other("no address to connect to")),
            ),
        }
    }
}

/// `no answer from [::1]:9000 or 127.0.0.1:9000 within 2 s`: at most three named.
fn no_answer(addrs: impl ExactSizeIterator<Item = SocketAddr>, timeout: Duration) -> String {
    const NAMED: usize = 3;
    let count = addrs.len();
    let mut text = String::from("no answer from ");
    for (n, addr) in addrs.take(NAMED).enumerate() {
        let separator = match n {
            0 => "",
            _ if n + 1 == count => " or ",
            _ => ", ",
        };
        let _ = write!(text, "{separator}{addr}");
    }
    if count > NAMED {
        let _ = write!(text, " or {} more", count - NAMED);
    }
    let _ = write!(text, " within {} s", timeout.as_secs_f64());
    text
}

/// One look at an attempt: SO_ERROR reports a failure; a peer address means it connected.
fn check(socket: &Socket) -> Check {
    match socket.take_error() {
        Ok(Some(e)) | Err(e) => Check::Failed(e),
        Ok(None) if socket.peer_addr().is_ok() => Check::Connected,
        Ok(None) => Check::Pending,
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

    #[test]
    fn no_answer_names_at_most_three_addresses() {
        let addrs: Vec<SocketAddr> = ["[::1]:9000", "127.0.0.1:9000", "[::2]:9000", "10.0.0.1:9000", "10.0.0.2:9000"]
            .map(|a| a.parse().unwrap())
            .into();
        let text = |n: usize, timeout: Duration| no_answer(addrs[..n].iter().copied(), timeout);
        assert_eq!(text(1, Duration::from_secs(30)), "no answer from [::1]:9000 within 30 s");
        assert_eq!(text(2, Duration::from_secs(2)), "no answer from [::1]:9000 or 127.0.0.1:9000 within 2 s");
        assert_eq!(
            text(3, Duration::from_millis(1500)),
            "no answer from [::1]:9000, 127.0.0.1:9000 or [::2]:9000 within 1.5 s"
        );
        assert_eq!(
            text(5, Duration::from_secs(2)),
            "no answer from [::1]:9000, 127.0.0.1:9000, [::2]:9000 or 2 more within 2 s"
        );
    }
}
