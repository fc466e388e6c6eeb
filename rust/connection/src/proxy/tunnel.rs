//! The `CONNECT` exchange with an HTTP proxy, sans-IO: the request to send, and
//! the proxy's answer read from whatever bytes arrive (RFC 9110 §9.3.6).

use std::fmt;

use super::Proxy;

/// Most bytes of the proxy's answer read before giving up on it.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;

pub struct Tunnel {
    request: Vec<u8>,
    answer: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TunnelOutcome {
    /// 2xx: the connection is now a tunnel to the target. `leftover` is what the
    /// proxy sent after its answer (nothing, unless the target spoke first).
    Established { leftover: Vec<u8> },
    /// Any other status, e.g. 407 (authentication), 403 (rules), 502 (target unreachable).
    Refused { status: u16, phrase: String },
    /// The answer is not HTTP (or is over `MAX_ANSWER_BYTES`).
    NotHttp(String),
}

impl Tunnel {
    /// `host` as `WsUrl` keeps it: lowercase, IPv6 without brackets.
    pub fn new(host: &str, port: u16, proxy: &Proxy) -> Tunnel {
        let authority = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(authorization) = proxy.authorization() {
            request.push_str(&format!("Proxy-Authorization: {authorization}\r\n"));
        }
        request.push_str("\r\n");
        Tunnel { request: request.into_bytes(), answer: Vec::new() }
    }

    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Takes bytes of the proxy's answer; `None` until it is complete.
    pub fn receive(&mut self, bytes: &[u8]) -> Option<TunnelOutcome> {
        self.answer.extend_from_slice(bytes);
        // Recognised from the first bytes, so a proxy that says something else
        // (another protocol's banner) is not waited on.
        let start = &self.answer[..self.answer.len().min(5)];
        if !b"HTTP/".starts_with(start) {
            return Some(TunnelOutcome::NotHttp(format!("it answered \"{}\"", printable(&self.answer, 40))));
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&self.answer) {
            Ok(httparse::Status::Complete(end)) => {
                let status = response.code.unwrap_or(0);
                Some(if (200..300).contains(&status) {
                    TunnelOutcome::Established { leftover: self.answer[end..].to_vec() }
                } else {
                    TunnelOutcome::Refused { status, phrase: printable(response.reason.unwrap_or("").as_bytes(), 80) }
                })
            }
            Ok(httparse::Status::Partial) if self.answer.len() > MAX_ANSWER_BYTES => {
                Some(TunnelOutcome::NotHttp(format!("its answer is over {MAX_ANSWER_BYTES} bytes")))
            }
            Ok(httparse::Status::Partial) => None,
            Err(e) => Some(TunnelOutcome::NotHttp(format!("its answer is not valid HTTP ({e})"))),
        }
    }
}

impl fmt::Display for TunnelOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TunnelOutcome::Established { .. } => f.write_str("tunnel established"),
            TunnelOutcome::Refused { status, phrase } if phrase.is_empty() => {
                write!(f, "refused the tunnel: HTTP {status}")
            }
            TunnelOutcome::Refused { status, phrase } => write!(f, "refused the tunnel: HTTP {status} {phrase}"),
            TunnelOutcome::NotHttp(why) => write!(f, "does not speak HTTP: {why}"),
        }
    }
}

/// At most `max` bytes as text for a log line, control bytes escaped.
fn printable(bytes: &[u8], max: usize) -> String {
    let text: String = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).escape_debug().collect();
    if bytes.len() > max {
        format!("{text}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(url: &str) -> Proxy {
        Proxy::parse(url).unwrap()
    }

    #[test]
    fn the_request_names_the_target_and_carries_credentials() {
        let plain = Tunnel::new("game.test", 443, &proxy("http://p:3128"));
        assert_eq!(plain.request(), b"CONNECT game.test:443 HTTP/1.1\r\nHost: game.test:443\r\n\r\n");
        let v6 = Tunnel::new("::1", 9000, &proxy("http://user:secret@p:3128"));
        assert_eq!(
            std::str::from_utf8(v6.request()).unwrap(),
            "CONNECT [::1]:9000 HTTP/1.1\r\nHost: [::1]:9000\r\nProxy-Authorization: Basic dXNlcjpzZWNyZXQ=\r\n\r\n"
        );
    }

    #[test]
    fn a_2xx_answer_in_pieces_opens_the_tunnel_with_its_leftover() {
        let mut tunnel = Tunnel::new("game.test", 80, &proxy("http://p:3128"));
        assert_eq!(tunnel.receive(b"HT"), None);
        assert_eq!(tunnel.receive(b"TP/1.1 200 Connection established\r\nVia: x\r\n"), None);
        assert_eq!(tunnel.receive(b"\r\nearly"), Some(TunnelOutcome::Established { leftover: b"early".to_vec() }));
    }

    #[test]
    fn other_statuses_are_refusals_with_the_status() {
        let mut tunnel = Tunnel::new("game.test", 80, &proxy("http://p:3128"));
        let outcome =
            tunnel.receive(b"HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n<html>");
        assert_eq!(
            outcome,
            Some(TunnelOutcome::Refused { status: 407, phrase: "Proxy Authentication Required".into() })
        );
        assert_eq!(outcome.unwrap().to_string(), "refused the tunnel: HTTP 407 Proxy Authentication Required");
    }

    #[test]
    fn another_protocol_is_recognised_from_its_first_bytes() {
        let mut tunnel = Tunnel::new("game.test", 80, &proxy("http://p:3128"));
        let outcome = tunnel.receive(b"SSH-2.0-OpenSSH_9.2\r\n").unwrap();
        assert!(matches!(&outcome, TunnelOutcome::NotHttp(why) if why.contains("SSH-2.0")), "{outcome}");
        let mut tunnel = Tunnel::new("game.test", 80, &proxy("http://p:3128"));
        assert!(matches!(tunnel.receive(b"HTTP/1.1 abc\r\n\r\n"), Some(TunnelOutcome::NotHttp(_))));
        let mut tunnel = Tunnel::new("game.test", 80, &proxy("http://p:3128"));
        let endless = [b'a'; 1024];
        assert_eq!(tunnel.receive(b"HTTP/1.1 200 OK\r\nX: "), None);
        let outcome = (0..20).find_map(|_| tunnel.receive(&endless));
        assert!(matches!(outcome, Some(TunnelOutcome::NotHttp(why)) if why.contains("over")));
    }
}
