//! Why an opening handshake failed.

use std::fmt;

use crate::ws_url::UrlError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakeError {
    InvalidUrl(UrlError),
    /// A `handshake_headers` entry that is not a `Name: value` line.
    InvalidExtraHeader(String),
    /// A `supported_protocols` entry that is not an HTTP token.
    InvalidProtocol(String),
    /// No end of the header block within the limit.
    HeadersTooLarge {
        limit: usize,
    },
    /// Not parseable as HTTP/1.1.
    Malformed(String),
    /// Client: the server answered with another status than 101.
    UnexpectedStatus(u16),
    /// Server: a plain HTTP request, not a WebSocket upgrade (no `Upgrade: websocket`):
    /// a load balancer's health check, a browser, a scanner. Answered 400, unless the
    /// server answers it itself (a health check path).
    NotWebSocket {
        method: String,
        target: String,
    },
    /// Server: a method other than GET.
    BadMethod(String),
    WrongHttpVersion,
    /// A required header is missing or has the wrong value.
    MissingHeader(&'static str),
    /// Server: `Sec-WebSocket-Version` is not 13 (answered with 426).
    UnsupportedVersion(String),
    /// Server: `Sec-WebSocket-Key` is not 16 bytes of base64.
    BadKey(String),
    /// Client: `Sec-WebSocket-Accept` does not match our key.
    BadAccept,
    /// Client: the server picked a subprotocol we did not offer.
    UnexpectedProtocol(String),
    /// Client: the server answered with extensions we did not offer.
    UnexpectedExtensions(String),
    /// Client: the server's permessage-deflate answer is invalid or was not asked for.
    InvalidExtensionResponse(String),
    /// Server: the client offered none of the configured subprotocols.
    NoCommonProtocol(String),
    Timeout,
}

impl HandshakeError {
    /// The HTTP status a server answers an error in the request with, if any.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            HandshakeError::UnsupportedVersion(_) => Some(426),
            HandshakeError::HeadersTooLarge { .. }
            | HandshakeError::Malformed(_)
            | HandshakeError::BadMethod(_)
            | HandshakeError::NotWebSocket { .. }
            | HandshakeError::WrongHttpVersion
            | HandshakeError::MissingHeader(_)
            | HandshakeError::BadKey(_)
            | HandshakeError::NoCommonProtocol(_) => Some(400),
            _ => None,
        }
    }

    /// The HTTP response a server sends before closing, for errors in the request.
    pub fn http_response(&self) -> Option<Vec<u8>> {
        let (status, extra) = match self.http_status()? {
            426 => ("426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n"),
            _ => ("400 Bad Request", ""),
        };
        let body = format!("{self}\n");
        Some(
            format!(
                "HTTP/1.1 {status}\r\n{extra}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::InvalidUrl(e) => write!(f, "invalid URL: {e}"),
            HandshakeError::InvalidExtraHeader(h) => write!(f, "handshake header {h:?} is not a \"Name: value\" line"),
            HandshakeError::InvalidProtocol(p) => write!(f, "subprotocol {p:?} is not a valid token"),
            HandshakeError::HeadersTooLarge { limit } => write!(f, "handshake headers exceed {limit} bytes"),
            HandshakeError::Malformed(why) => write!(f, "malformed HTTP handshake: {why}"),
            HandshakeError::UnexpectedStatus(code) => write!(f, "server answered HTTP {code} instead of 101"),
            HandshakeError::BadMethod(m) => write!(f, "request method {m} is not GET"),
            HandshakeError::NotWebSocket { method, target } => {
                write!(f, "{method} {target} is a plain HTTP request, not a WebSocket upgrade")
            }
            HandshakeError::WrongHttpVersion => f.write_str("HTTP version is not 1.1"),
            HandshakeError::MissingHeader(h) => write!(f, "missing or invalid {h} header"),
            HandshakeError::UnsupportedVersion(v) => write!(f, "Sec-WebSocket-Version {v:?} is not 13"),
            HandshakeError::BadKey(k) => write!(f, "Sec-WebSocket-Key {k:?} is not 16 bytes of base64"),
            HandshakeError::BadAccept => f.write_str("Sec-WebSocket-Accept does not match the key"),
            HandshakeError::UnexpectedProtocol(p) => {
                write!(f, "server selected subprotocol {p:?} that was not offered")
            }
            HandshakeError::UnexpectedExtensions(e) => {
                write!(f, "server enabled extensions {e:?} that were not offered")
            }
            HandshakeError::InvalidExtensionResponse(why) => f.write_str(why),
            HandshakeError::NoCommonProtocol(p) => {
                write!(f, "client offered subprotocols {p:?}, none of them in supported_protocols")
            }
            HandshakeError::Timeout => f.write_str("opening handshake timed out"),
        }
    }
}

impl std::error::Error for HandshakeError {}
