//! The server's way to OPEN over an accepted connection (an engine stream, or a
//! socket our listener accepted): read the Upgrade request, answer 101 (or an HTTP
//! error), all inside `poll()`.

use std::time::Duration;

use ws_protocol::{HandshakeError, Request, ServerHandshake, ServerOutcome};

use crate::config::Config;
use crate::failure::{Failure, FailureKind};
use crate::transport::{ReadOutcome, StreamReadiness, Transport};

/// Most request bytes discarded after refusing a handshake.
const MAX_DRAIN_ON_REFUSAL: usize = 64 * 1024;

pub struct ServerAccept {
    transport: Transport,
    handshake: ServerHandshake,
    accepted: Option<Accepted>,
}

struct Accepted {
    request: Request,
    answer: ServerOutcome,
    written: usize,
}

pub enum Progress {
    Pending,
    /// The 101 is written: the transport, the request and the answer it carried.
    Open(Transport, Box<Request>, Box<ServerOutcome>),
    Failed(Failure),
}

impl ServerAccept {
    pub fn new(transport: Transport, config: &Config, now: Duration) -> ServerAccept {
        let limits = config.limits();
        ServerAccept {
            transport,
            handshake: ServerHandshake::new(limits.max_handshake_bytes, now + limits.handshake_timeout),
            accepted: None,
        }
    }

    pub fn is_tls(&self) -> bool {
        self.transport.is_tls()
    }

    pub fn transport_mut(&mut self) -> &mut Transport {
        &mut self.transport
    }

    /// `config` is read when the request arrives (subprotocols, compression, extra headers).
    pub fn poll(&mut self, config: &Config, now: Duration) -> Progress {
        if let Err(timeout) = self.handshake.check_deadline(now) {
            self.transport.close();
            return Progress::Failed(Failure::new(FailureKind::Timeout, timeout.to_string()));
        }
        match self.transport.readiness() {
            StreamReadiness::Ready => {}
            StreamReadiness::Pending => return Progress::Pending,
            StreamReadiness::Failed(why) => {
                // A stream that fails before any request: TLS's handshake, or TCP gone.
                let kind = if self.transport.is_tls() { FailureKind::Tls } else { FailureKind::ConnectionLost };
                return Progress::Failed(Failure::new(kind, why));
            }
        }
        if self.accepted.is_none() {
            match self.read_request() {
                Ok(None) => return Progress::Pending,
                Ok(Some(request)) => {
                    match request.accept(
                        &config.supported_protocols,
                        config.deflate().as_ref(),
                        &config.handshake_headers,
                    ) {
                        Ok(answer) => self.accepted = Some(Accepted { request, answer, written: 0 }),
                        Err(e) => return self.refuse(e),
                    }
                }
                Err(Some(e)) => return self.refuse(e),
                Err(None) if self.transport.is_tls_failure() => {
                    let why = self.transport.error().unwrap_or("the TLS handshake failed").to_string();
                    return Progress::Failed(Failure::new(FailureKind::Tls, why));
                }
                Err(None) => {
                    let why = "the client closed the connection during the handshake";
                    return Progress::Failed(Failure::new(FailureKind::ConnectionLost, why));
                }
            }
        }
        let accepted = self.accepted.as_mut().expect("set above");
        while accepted.written < accepted.answer.response.len() {
            match self.transport.write(&accepted.answer.response[accepted.written..]) {
                Ok(0) => return Progress::Pending,
                Ok(n) => accepted.written += n,
                Err(e) => {
                    let why = format!("sending the handshake response failed: {e}");
                    return Progress::Failed(Failure::new(FailureKind::ConnectionLost, why));
                }
            }
        }
        let accepted = self.accepted.take().expect("set above");
        let transport = std::mem::replace(&mut self.transport, Transport::Closed);
        Progress::Open(transport, Box::new(accepted.request), Box::new(accepted.answer))
    }

    /// `Err(None)`: the stream ended.
    fn read_request(&mut self) -> Result<Option<Request>, Option<HandshakeError>> {
        let handshake = &mut self.handshake;
        let mut result = Ok(None);
        loop {
            let outcome = self.transport.read_into(4096, &mut |bytes| match &mut result {
                Ok(None) => result = handshake.receive(bytes),
                // A read may hand over bytes in pieces: those after the request are
                // the client's first frames.
                Ok(Some(done)) => done.leftover.extend_from_slice(bytes),
                Err(_) => {}
            });
            match (&result, outcome) {
                (Err(_), _) | (Ok(Some(_)), _) => break,
                (Ok(None), ReadOutcome::Data(_)) => continue,
                (Ok(None), ReadOutcome::WouldBlock) => return Ok(None),
                (Ok(None), ReadOutcome::Closed) => return Err(None),
            }
        }
        result.map_err(Some)
    }

    /// Answers a bad request with its HTTP error (best effort) and gives up.
    fn refuse(&mut self, error: HandshakeError) -> Progress {
        if let Some(response) = error.http_response() {
            let _ = self.transport.write(&response);
        }
        // Closing with unread input makes TCP send a reset, which can destroy the
        // answer before the client reads it: discard what already arrived first.
        let mut drained = 0;
        while drained < MAX_DRAIN_ON_REFUSAL {
            match self.transport.read_into(MAX_DRAIN_ON_REFUSAL - drained, &mut |_| {}) {
                ReadOutcome::Data(n) => drained += n,
                _ => break,
            }
        }
        self.transport.close();
        let failure = match error {
            HandshakeError::Timeout => Failure::new(FailureKind::Timeout, error.to_string()),
            _ => Failure::with_status(
                FailureKind::Handshake,
                format!("invalid handshake request: {error}"),
                error.http_status().unwrap_or(0),
            ),
        };
        Progress::Failed(failure)
    }
}
