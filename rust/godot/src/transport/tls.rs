//! `wss://` client TLS over the client's own non-blocking socket: moves bytes
//! between the socket and the `TlsSession`. The handshake advances only when
//! the connection is read or written, i.e. inside `poll()`; nothing blocks.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::ClientConfig;

use super::tls_session::TlsSession;
use super::ReadOutcome;

/// Bytes one read call may take from the socket beyond the plaintext asked for
/// (record overhead, handshake messages).
const READ_BUDGET_SLACK: usize = 64 * 1024;

pub struct TlsStream {
    session: TlsSession,
    tcp: TcpStream,
    /// A socket error, for the one error line the peer logs.
    io_error: Option<String>,
}

impl TlsStream {
    pub fn new(config: Arc<ClientConfig>, name: ServerName<'static>, tcp: TcpStream) -> Result<TlsStream, String> {
        Ok(TlsStream { session: TlsSession::new(config, name)?, tcp, io_error: None })
    }

    pub fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    pub fn error(&self) -> Option<&str> {
        self.session.error().or(self.io_error.as_deref())
    }

    /// Whether a failure is TLS's own (a handshake that did not complete, a bad
    /// record or alert) rather than the socket's.
    pub fn is_tls_failure(&self) -> bool {
        self.session.error().is_some() || self.session.is_handshaking()
    }

    /// Writes the records the session has ready until the socket would block.
    /// False once the socket failed.
    fn send_records(&mut self) -> bool {
        while !self.session.pending_output().is_empty() {
            match self.tcp.write(self.session.pending_output()) {
                Ok(n) => self.session.consume_output(n),
                Err(e) if would_block(&e) => break,
                Err(e) => {
                    self.io_error.get_or_insert_with(|| format!("TLS: sending failed: {e}"));
                    return false;
                }
            }
        }
        true
    }

    pub fn read_into(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome {
        let mut delivered = 0;
        // Records that carry no data (tickets, empty records) must not keep one call busy.
        let mut read_budget = max.saturating_add(READ_BUDGET_SLACK);
        loop {
            delivered += self.session.read_plaintext(max - delivered, sink);
            // Handshake records, key-update answers, alerts.
            if !self.send_records() || delivered == max || !self.session.wants_input() || read_budget == 0 {
                break;
            }
            let room = self.session.receive_buffer();
            let room_len = room.len().min(read_budget);
            match self.tcp.read(&mut room[..room_len]) {
                Ok(0) => self.session.received_eof(),
                Ok(n) => {
                    read_budget -= n;
                    self.session.received(n);
                    if n < room_len {
                        // The socket is drained: take what it gave, skip the read that would say so.
                        delivered += self.session.read_plaintext(max - delivered, sink);
                        self.send_records();
                        break;
                    }
                }
                Err(e) if would_block(&e) => break,
                Err(e) => {
                    self.io_error.get_or_insert_with(|| format!("TLS: receiving failed: {e}"));
                    break;
                }
            }
        }
        if delivered > 0 {
            ReadOutcome::Data(delivered)
        } else if self.session.is_finished() || self.io_error.is_some() {
            ReadOutcome::Closed
        } else {
            ReadOutcome::WouldBlock
        }
    }

    pub fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some(why) = self.error() {
            return Err(io::Error::new(io::ErrorKind::ConnectionAborted, why.to_string()));
        }
        let n = self.session.write_plaintext(data);
        if !self.send_records() || self.session.error().is_some() {
            let why = self.error().unwrap_or_default().to_string();
            return Err(io::Error::new(io::ErrorKind::ConnectionAborted, why));
        }
        Ok(n)
    }

    pub fn close(&mut self) {
        self.session.close();
        self.send_records();
        let _ = self.tcp.shutdown(std::net::Shutdown::Both);
    }
}

fn would_block(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted)
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::time::{Duration, Instant};

    use rustls::crypto::ring::cipher_suite as suites;
    use rustls::{ServerConnection, StreamOwned};

    use super::*;
    use crate::alloc_count::allocations_in;
    use crate::transport::tls_test_identity::identity;

    /// A rustls echo server on a loopback socket, on its own thread.
    fn echo_server(config: Arc<rustls::ServerConfig>) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let thread = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = tls.read(&mut buf) {
                tls.write_all(&buf[..n]).unwrap();
            }
        });
        (addr, thread)
    }

    #[test]
    fn echo_over_a_socket_allocates_nothing_per_message_once_warm() {
        let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
        let (addr, server) = echo_server(identity.server.clone());
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_nonblocking(true).unwrap();
        let mut stream =
            TlsStream::new(identity.client.config.clone(), identity.client.server_name.clone(), tcp).unwrap();
        let message = [7u8; 300];
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut steady_allocations = 0;
        for round in 0..400 {
            let (written, mut allocations) = allocations_in(|| stream.write(&message).unwrap());
            assert_eq!(written, message.len());
            let mut echoed = 0;
            while echoed < message.len() {
                assert!(Instant::now() < deadline, "echo {round} did not come back");
                let (outcome, n) = allocations_in(|| stream.read_into(64 * 1024, &mut |bytes| echoed += bytes.len()));
                allocations += n;
                if matches!(outcome, ReadOutcome::Closed) {
                    panic!("closed: {:?}", stream.error());
                }
                if matches!(outcome, ReadOutcome::WouldBlock) {
                    std::thread::sleep(Duration::from_micros(50));
                }
            }
            assert_eq!(echoed, message.len());
            if round >= 100 {
                steady_allocations += allocations;
            }
        }
        assert_eq!(steady_allocations, 0, "allocations in 300 steady encrypted round trips");
        stream.close();
        server.join().unwrap();
    }
}
