//! `wss://` client TLS with rustls over the client's own non-blocking socket.
//! The handshake advances only when the connection is read or written, i.e.
//! inside `poll()`; nothing blocks.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use super::{ReadOutcome, READ_BUF};

/// Plaintext rustls may hold for sending before writes report backpressure.
const SEND_BUFFER_LIMIT: usize = 256 * 1024;

pub struct TlsStream {
    tls: ClientConnection,
    tcp: TcpStream,
    /// Why the stream failed, for the one error line the peer logs.
    error: Option<String>,
}

impl TlsStream {
    pub fn new(config: Arc<ClientConfig>, name: ServerName<'static>, tcp: TcpStream) -> Result<TlsStream, String> {
        let mut tls = ClientConnection::new(config, name).map_err(|e| format!("TLS: {e}"))?;
        tls.set_buffer_limit(Some(SEND_BUFFER_LIMIT));
        Ok(TlsStream { tls, tcp, error: None })
    }

    pub fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Moves TLS records between rustls and the socket until the socket would
    /// block. Returns false once the connection is dead.
    fn pump(&mut self) -> bool {
        if self.error.is_some() {
            return false;
        }
        if !self.send_records() {
            return false;
        }
        while self.tls.wants_read() {
            match self.tls.read_tls(&mut self.tcp) {
                Ok(0) => {
                    // The peer closed TCP: what rustls already decrypted stays readable.
                    if self.tls.is_handshaking() {
                        return self.fail("TLS: connection closed during the TLS handshake".into());
                    }
                    return self.tls.process_new_packets().is_ok();
                }
                Ok(_) => {
                    if let Err(e) = self.tls.process_new_packets() {
                        // Tell the peer why (the alert rustls queued), then give up.
                        let _ = self.tls.write_tls(&mut self.tcp);
                        return self.fail(describe(&e));
                    }
                }
                Err(e) if would_block(&e) => break,
                Err(e) => return self.fail(format!("TLS: receiving failed: {e}")),
            }
        }
        // Processing may have produced records to send (handshake, key updates).
        self.send_records()
    }

    /// Writes the TLS records rustls has ready until the socket would block.
    fn send_records(&mut self) -> bool {
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut self.tcp) {
                Ok(_) => {}
                Err(e) if would_block(&e) => break,
                Err(e) => return self.fail(format!("TLS: sending failed: {e}")),
            }
        }
        true
    }

    fn fail(&mut self, why: String) -> bool {
        self.error = Some(why);
        false
    }

    pub fn read_into(&mut self, max: usize, sink: &mut dyn FnMut(&[u8])) -> ReadOutcome {
        let alive = self.pump();
        READ_BUF.with_borrow_mut(|buf| {
            if buf.len() < max {
                buf.resize(max, 0);
            }
            match self.tls.reader().read(&mut buf[..max]) {
                Ok(0) => ReadOutcome::Closed, // close_notify received
                Ok(n) => {
                    sink(&buf[..n]);
                    ReadOutcome::Data(n)
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && alive => ReadOutcome::WouldBlock,
                Err(_) => ReadOutcome::Closed,
            }
        })
    }

    pub fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some(why) = &self.error {
            return Err(io::Error::new(io::ErrorKind::ConnectionAborted, why.clone()));
        }
        let n = self.tls.writer().write(data)?;
        if !self.pump() {
            let why = self.error.clone().unwrap_or_default();
            return Err(io::Error::new(io::ErrorKind::ConnectionAborted, why));
        }
        Ok(n)
    }

    pub fn close(&mut self) {
        self.tls.send_close_notify();
        let _ = self.tls.write_tls(&mut self.tcp);
        let _ = self.tcp.shutdown(std::net::Shutdown::Both);
    }
}

fn would_block(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted)
}

/// One line that names the cause of a TLS failure.
fn describe(e: &rustls::Error) -> String {
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
        Error::InvalidMessage(_) => "TLS: the server does not speak TLS (invalid message)".into(),
        other => format!("TLS: {other}"),
    }
}
