//! rustls' `ClientConnection` over a client's own non-blocking socket (`wss://`),
//! or its `ServerConnection` over a socket our listener accepted. rustls does all
//! of TLS (handshake, record protection, key updates, alerts, limits,
//! close_notify); this moves its records between it and the socket, hands out what
//! it decrypted and bounds what it holds for the other side. Nothing blocks: the
//! handshake advances only when the stream is read or written, i.e. inside `poll()`.

use std::io::{self, BufRead, IoSlice, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};

use crate::transport::{would_block, ReadOutcome};

/// Records rustls may hold for a server that does not take them before
/// writes report backpressure (rustls stops taking plaintext at this bound).
/// What rustls adds by itself while reading is bounded by rustls (one pending
/// key update answer, one refused renegotiation, a final alert), so reading
/// goes on whatever the server does with what we send.
const SEND_BUFFER_LIMIT: usize = 256 * 1024;
/// Bytes one read call may take from the socket beyond the plaintext asked for
/// (record overhead, handshake messages, tickets, empty records).
const READ_BUDGET_SLACK: usize = 64 * 1024;

pub struct TlsStream<S: RecordSocket = TcpStream> {
    tls: Connection,
    socket: S,
    /// Why the connection failed, for the one line the peer logs.
    error: Option<String>,
    /// The failure is TLS's own (rustls rejected something), not the socket's.
    tls_failed: bool,
    /// The server sent close_notify, or ended the TCP stream: once what was
    /// decrypted is handed out, nothing more arrives.
    server_done: bool,
}

/// Dropped while still open (the object freed, a multiplayer server closed): end
/// with close_notify first, as the engine's `StreamPeerTLS` does, so the other side
/// sees an orderly end rather than the socket vanishing mid-stream.
impl<S: RecordSocket> Drop for TlsStream<S> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<S: RecordSocket> TlsStream<S> {
    pub fn new(config: Arc<ClientConfig>, name: ServerName<'static>, socket: S) -> Result<TlsStream<S>, String> {
        let tls = ClientConnection::new(config, name).map_err(|e| format!("TLS: {e}"))?;
        Ok(TlsStream::over(tls.into(), socket))
    }

    /// The server side, for a connection the multiplayer server accepted.
    pub fn new_server(config: Arc<ServerConfig>, socket: S) -> Result<TlsStream<S>, String> {
        let tls = ServerConnection::new(config).map_err(|e| format!("TLS: {e}"))?;
        Ok(TlsStream::over(tls.into(), socket))
    }

    fn over(mut tls: Connection, socket: S) -> TlsStream<S> {
        tls.set_buffer_limit(Some(SEND_BUFFER_LIMIT));
        TlsStream { tls, socket, error: None, tls_failed: false, server_done: false }
    }

    pub fn socket(&self) -> &S {
        &self.socket
    }

    pub fn socket_mut(&mut self) -> &mut S {
        &mut self.socket
    }

    /// Whether the TLS handshake is still under way.
    pub fn is_handshaking(&self) -> bool {
        self.tls.is_handshaking()
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether a failure is TLS's own (a handshake that did not complete, a bad
    /// record or alert) rather than the socket's.
    pub fn is_tls_failure(&self) -> bool {
        self.tls_failed || self.tls.is_handshaking()
    }

    /// Reads up to `max` bytes of plaintext and hands them to `sink`; sends
    /// what rustls has to say on the way (handshake flights, alerts).
    pub fn read_into(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome {
        let mut delivered = 0;
        // Records that carry no data must not keep one call busy.
        let mut read_budget = max.saturating_add(READ_BUDGET_SLACK);
        loop {
            delivered += self.hand_out(max - delivered, sink);
            self.send_records();
            let stop = delivered == max
                || self.error.is_some()
                || self.server_done
                || read_budget == 0
                // Plaintext not handed out yet, close_notify, or a handshake flight still unsent.
                || !self.tls.wants_read();
            if stop {
                break;
            }
            match self.tls.read_tls(&mut self.socket) {
                Ok(0) => self.received_eof(),
                Ok(n) => {
                    read_budget = read_budget.saturating_sub(n);
                    if let Err(e) = self.tls.process_new_packets() {
                        self.fail_tls(e);
                    }
                }
                Err(e) if would_block(&e) => break,
                Err(e) => self.fail(format!("TLS: receiving failed: {e}")),
            }
        }
        if delivered > 0 {
            ReadOutcome::Data(delivered)
        } else if self.error.is_some() || self.server_done {
            ReadOutcome::Closed
        } else {
            ReadOutcome::WouldBlock
        }
    }

    /// Hands at most `max` bytes of decrypted plaintext to `sink`, straight
    /// from rustls' buffer; returns how many.
    fn hand_out(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> usize {
        let mut delivered = 0;
        let mut reader = self.tls.reader();
        while delivered < max {
            match reader.fill_buf() {
                // close_notify, after everything before it.
                Ok([]) => {
                    self.server_done = true;
                    break;
                }
                Ok(chunk) => {
                    let n = chunk.len().min(max - delivered);
                    sink(&chunk[..n]);
                    reader.consume(n);
                    delivered += n;
                }
                // Nothing decrypted waits (WouldBlock), or the TCP stream ended
                // without close_notify (UnexpectedEof, already noted).
                Err(_) => break,
            }
        }
        delivered
    }

    fn received_eof(&mut self) {
        if self.tls.is_handshaking() {
            self.fail("TLS: connection closed during the TLS handshake".into());
        }
        // What rustls already decrypted stays readable.
        self.server_done = true;
    }

    /// Takes plaintext to send; `Ok(0)` when rustls holds as much as it may.
    pub fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // Room first: the socket may take records rustls still holds.
        self.send_records();
        let taken = match &self.error {
            Some(_) => 0,
            None => self.tls.writer().write(data).unwrap_or_else(|e| {
                self.fail(format!("TLS: {e}"));
                0
            }),
        };
        self.send_records();
        match &self.error {
            Some(why) => Err(io::Error::new(io::ErrorKind::ConnectionAborted, why.clone())),
            None => Ok(taken),
        }
    }

    /// Queues close_notify and sends what the socket takes now (the caller
    /// then shuts the socket down).
    pub fn close(&mut self) {
        if self.error.is_none() {
            self.tls.send_close_notify();
        }
        self.send_records();
    }

    /// Writes the records rustls holds until the socket would block.
    fn send_records(&mut self) {
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut RecordWriter(&mut self.socket)) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if would_block(&e) => break,
                Err(e) => {
                    self.fail(format!("TLS: sending failed: {e}"));
                    break;
                }
            }
        }
    }

    fn fail_tls(&mut self, e: rustls::Error) {
        self.tls_failed = true;
        self.fail(describe(&e, self.tls.is_handshaking()));
        // The alert rustls queued tells the server why.
        self.send_records();
    }

    /// Keeps the first cause: later failures are its consequences.
    fn fail(&mut self, why: String) {
        self.error.get_or_insert(why);
    }
}

/// A socket rustls' records can be written to without raising SIGPIPE when the
/// server has closed it (Godot does not ignore the signal, so it kills the game).
pub trait RecordSocket: Read + Write {
    /// Writes from `bufs` in order. By default one buffer per call, through the
    /// socket's own `write` (std's passes `MSG_NOSIGNAL`; Apple sockets have
    /// `SO_NOSIGPIPE`, see `tcp_connect`), where a plain `writev` would signal.
    fn write_records(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match bufs.iter().find(|buf| !buf.is_empty()) {
            Some(buf) => self.write(buf),
            None => Ok(0),
        }
    }
}

impl RecordSocket for TcpStream {
    /// All of rustls' records in one `sendmsg`, with `MSG_NOSIGNAL`.
    #[cfg(target_os = "linux")]
    fn write_records(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        socket2::SockRef::from(&*self).send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL)
    }
}

/// The socket as rustls writes to it.
struct RecordWriter<'a, S>(&'a mut S);

impl<S: RecordSocket> Write for RecordWriter<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_records(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.write_records(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// One line that names the cause of a TLS failure.
fn describe(e: &rustls::Error, handshaking: bool) -> String {
    use rustls::{CertificateError, Error};
    match e {
        Error::InvalidCertificate(CertificateError::NotValidForName) => {
            "TLS: certificate not valid for this host name".into()
        }
        Error::InvalidCertificate(CertificateError::NotValidForNameContext { expected, presented }) => {
            format!("TLS: certificate not valid for name \"{}\" (it names {})", expected.to_str(), presented.join(", "))
        }
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "TLS: certificate not trusted (unknown issuer)".into()
        }
        Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => {
            "TLS: certificate expired".into()
        }
        Error::InvalidCertificate(CertificateError::Other(other)) => {
            format!("TLS: certificate not trusted ({other})")
        }
        Error::InvalidCertificate(other) => format!("TLS: invalid certificate: {other:?}"),
        Error::AlertReceived(alert) => format!("TLS: the server sent alert {alert:?}"),
        Error::InvalidMessage(_) if handshaking => "TLS: the server does not speak TLS (invalid message)".into(),
        Error::DecryptError => "TLS: a record failed authentication".into(),
        other => format!("TLS: {other}"),
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
