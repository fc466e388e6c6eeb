//! Host name resolution on a short-lived thread, so neither `connect_to_url`
//! nor `poll()` blocks the game on DNS.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long after the lookup started a `poll()` may wait for it: a name the
/// machine answers itself (`/etc/hosts`) is ready well within this, so a client
/// polled right after `connect_to_url` connects in that same poll, as the engine's
/// does. A poll that comes later (the next frame) never waits.
const GRACE: Duration = Duration::from_millis(1);

pub struct Resolution {
    result: Receiver<io::Result<Vec<SocketAddr>>>,
    started: Instant,
}

impl Resolution {
    /// Starts resolving `host:port`. Every lookup has its own thread: one slow
    /// name never delays another (the engine serialises them on one thread).
    pub fn start(host: &str, port: u16) -> io::Result<Resolution> {
        let (tx, rx) = mpsc::channel();
        let host = host.to_string();
        std::thread::Builder::new().name("ws-dns".into()).spawn(move || {
            let addrs = (host.as_str(), port).to_socket_addrs().map(|a| a.collect());
            // The receiver may be gone (peer freed); nothing to do then.
            let _ = tx.send(addrs);
        })?;
        Ok(Resolution { result: rx, started: Instant::now() })
    }

    /// `None` while the lookup is still running (after at most the rest of `GRACE`).
    pub fn poll(&self) -> Option<io::Result<Vec<SocketAddr>>> {
        let wait = GRACE.saturating_sub(self.started.elapsed());
        match self.result.recv_timeout(wait) {
            Ok(result) => Some(result),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Err(io::Error::other("resolver thread ended"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_localhost_off_thread() {
        let r = Resolution::start("localhost", 80).unwrap();
        let start = std::time::Instant::now();
        let addrs = loop {
            if let Some(result) = r.poll() {
                break result.unwrap();
            }
            assert!(start.elapsed().as_secs() < 10, "resolution hangs");
            std::thread::sleep(std::time::Duration::from_millis(1));
        };
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 80), "{addrs:?}");
    }
}
