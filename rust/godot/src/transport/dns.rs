//! Host name resolution on a short-lived thread, so neither `connect_to_url`
//! nor `poll()` ever blocks the game on DNS.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc::{self, Receiver, TryRecvError};

pub struct Resolution {
    result: Receiver<io::Result<Vec<SocketAddr>>>,
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
        Ok(Resolution { result: rx })
    }

    /// `None` while the lookup is still running.
    pub fn poll(&self) -> Option<io::Result<Vec<SocketAddr>>> {
        match self.result.try_recv() {
            Ok(result) => Some(result),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(io::Error::other("resolver thread ended"))),
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
