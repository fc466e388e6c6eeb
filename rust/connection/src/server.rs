//! The server's way to OPEN over an accepted connection (an engine stream, or a
//! socket our listener accepted): a trusted balancer's PROXY header, the Upgrade
//! request, the 101 (or an HTTP answer), all inside `poll()`.

use std::net::SocketAddr;
use std::time::Duration;

use ws_protocol::proxy_header::{self, ProxyHeader};
use ws_protocol::{HandshakeError, Request, ServerHandshake, ServerOutcome};

use crate::config::Config;
use crate::failure::{Failure, FailureKind};
use crate::forwarded::{self, forwarded_for};
use crate::transport::{ReadOutcome, StreamReadiness, Transport};

/// Most request bytes discarded after refusing a handshake.
const MAX_DRAIN_ON_REFUSAL: usize = 64 * 1024;

pub struct ServerAccept {
    transport: Transport,
    handshake: ServerHandshake,
    accepted: Option<Accepted>,
    /// The first bytes, until they are known to hold a PROXY header or not.
    head: Option<Vec<u8>>,
    /// A byte of the request arrived (after any PROXY header): a connection that ends
    /// before one is a probe (a balancer's TCP health check), not a client that failed.
    received: bool,
    /// The TCP peer, read at once: after a reset the socket no longer knows it.
    peer: String,
    /// The player's address, from a trusted balancer's PROXY header.
    client: Option<SocketAddr>,
}

struct Accepted {
    request: Request,
    answer: ServerOutcome,
    written: usize,
}

pub enum Progress {
    Pending,
    /// The 101 is written: the transport, the request and the answer it carried, and
    /// the player's address when a trusted balancer named it.
    Open(Transport, Box<Request>, Box<ServerOutcome>, Option<SocketAddr>),
    Failed(Failure),
    /// Not a WebSocket client: a connection closed before sending anything, or a plain
    /// HTTP request (answered 400, or 200 on the health check path). Nothing for a log.
    Ignored(Failure),
}

impl ServerAccept {
    pub fn new(transport: Transport, config: &Config, now: Duration) -> ServerAccept {
        let limits = config.limits();
        let peer = transport.peer_addr().0;
        ServerAccept {
            peer,
            transport,
            handshake: ServerHandshake::new(limits.max_handshake_bytes, now + limits.handshake_timeout),
            accepted: None,
            head: Some(Vec::new()),
            received: false,
            client: None,
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
                // A stream that fails before any request: TLS's handshake, or TCP gone
                // (a balancer's connect-and-close: nothing for a log).
                if self.transport.is_tls() {
                    return Progress::Failed(Failure::new(FailureKind::Tls, why));
                }
                return Progress::Ignored(Failure::new(FailureKind::ConnectionLost, why));
            }
        }
        if self.accepted.is_none() {
            match self.read_request(config) {
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
                Err(Some(HandshakeError::NotWebSocket { method, target })) => {
                    return self.answer_plain_request(config, &method, &target);
                }
                Err(Some(e)) => return self.refuse(e),
                Err(None) if !self.received && !self.transport.is_tls() => {
                    self.transport.close();
                    return Progress::Ignored(Failure::new(
                        FailureKind::ConnectionLost,
                        "closed before sending anything",
                    ));
                }
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
        // A trusted balancer's PROXY header, else the HTTP proxy's forwarded headers.
        let client = self.client.or_else(|| {
            let trusted = forwarded::is_trusted(&self.peer, &config.trusted_proxies);
            trusted.then(|| forwarded_for::client_address(&accepted.request.headers)).flatten()
        });
        Progress::Open(transport, Box::new(accepted.request), Box::new(accepted.answer), client)
    }

    /// `Err(None)`: the stream ended.
    fn read_request(&mut self, config: &Config) -> Result<Option<Request>, Option<HandshakeError>> {
        let peer = &self.peer;
        let handshake = &mut self.handshake;
        let (head, client, received) = (&mut self.head, &mut self.client, &mut self.received);
        let mut result = Ok(None);
        loop {
            let outcome = self.transport.read_into(4096, &mut |bytes| {
                match &mut result {
                    Ok(None) => match head.as_mut() {
                        // Still telling whether the connection starts with a PROXY header.
                        Some(start) => {
                            start.extend_from_slice(bytes);
                            result = match proxy_header(start, peer, config) {
                                Ok(None) => Ok(None),
                                Ok(Some((source, length))) => {
                                    *client = source;
                                    let start = head.take().expect("matched above");
                                    *received |= start.len() > length;
                                    handshake.receive(&start[length..])
                                }
                                Err(e) => {
                                    *received = true;
                                    Err(e)
                                }
                            };
                        }
                        None => {
                            *received = true;
                            result = handshake.receive(bytes);
                        }
                    },
                    // A read may hand over bytes in pieces: those after the request are
                    // the client's first frames.
                    Ok(Some(done)) => done.leftover.extend_from_slice(bytes),
                    Err(_) => {}
                }
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

    /// A plain HTTP request: `200 OK` on the health check path (GET or HEAD), else 400.
    /// Either way not a client that failed: nothing for a log.
    fn answer_plain_request(&mut self, config: &Config, method: &str, target: &str) -> Progress {
        let path = target.split('?').next().unwrap_or("");
        let health = !config.health_check_path.is_empty()
            && path == config.health_check_path
            && matches!(method, "GET" | "HEAD");
        if !health {
            let error = HandshakeError::NotWebSocket { method: method.to_string(), target: target.to_string() };
            return match self.refuse(error) {
                Progress::Failed(failure) => Progress::Ignored(failure),
                other => other,
            };
        }
        let body = if method == "HEAD" { "" } else { "OK\n" };
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{body}"
        );
        let _ = self.transport.write(response.as_bytes());
        self.transport.close();
        Progress::Ignored(Failure::with_status(
            FailureKind::Handshake,
            format!("health check {method} {path} answered"),
            200,
        ))
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

/// What the first bytes say, for a connection from `peer`: `Ok(None)` until they are
/// known, then the PROXY header's client address (if any) and length (0 without one).
/// A header from a peer that is not a trusted balancer is refused: anyone could send one.
fn proxy_header(
    start: &[u8],
    peer: &str,
    config: &Config,
) -> Result<Option<(Option<SocketAddr>, usize)>, HandshakeError> {
    let refused = |why: String| HandshakeError::Malformed(why);
    match proxy_header::read(start) {
        Ok(ProxyHeader::Absent) => Ok(Some((None, 0))),
        Ok(ProxyHeader::Incomplete) => Ok(None),
        Ok(ProxyHeader::Present { .. }) | Err(_) if !forwarded::is_trusted(peer, &config.trusted_proxies) => {
            Err(refused(format!("a PROXY protocol header from {peer}, which is not in trusted_proxies")))
        }
        Ok(ProxyHeader::Present { source, length }) => Ok(Some((source, length))),
        Err(why) => Err(refused(why)),
    }
}
