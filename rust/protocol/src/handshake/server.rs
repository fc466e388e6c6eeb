//! Server side: read and check the Upgrade request, pick a subprotocol, answer.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::header_block::{self, HeaderBlock};
use super::{accept_key, HandshakeError, Headers};
use crate::deflate::{self, DeflateConfig, DeflateParams};

/// A valid WebSocket Upgrade request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The request target as sent (path and query).
    pub target: String,
    pub host: String,
    pub key: String,
    /// Subprotocols offered, in the client's order.
    pub protocols: Vec<String>,
    pub headers: Headers,
    /// Bytes that followed the header block: the first frames.
    pub leftover: Vec<u8>,
}

#[derive(Debug)]
pub struct ServerHandshake {
    block: HeaderBlock,
    deadline: Duration,
}

impl ServerHandshake {
    pub fn new(max_header_bytes: usize, deadline: Duration) -> Self {
        ServerHandshake { block: HeaderBlock::new(max_header_bytes), deadline }
    }

    /// Feeds request bytes; `Some` once the request is complete and valid. On
    /// error, send `HandshakeError::http_response()` and close.
    pub fn receive(&mut self, data: &[u8]) -> Result<Option<Request>, HandshakeError> {
        let Some((head, leftover)) = self.block.push(data)? else {
            // Fail at the first byte that can't be HTTP (a TLS hello, say), not at the deadline.
            let mut slots = [httparse::EMPTY_HEADER; 64];
            if let Err(e) = httparse::Request::new(&mut slots).parse(self.block.pending()) {
                return Err(HandshakeError::Malformed(e.to_string()));
            }
            return Ok(None);
        };
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut slots);
        // A two-token request line (`GET /`) is a parse error here, never a crash (engine bug §13.1).
        match request.parse(&head) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) => return Err(HandshakeError::Malformed("incomplete request line".into())),
            Err(e) => return Err(HandshakeError::Malformed(e.to_string())),
        }
        let method = request.method.unwrap_or_default();
        let target = request.path.unwrap_or_default().to_string();
        let headers = header_block::collect(request.headers)?;
        // Told apart first, whatever its method and version (health checks often say HTTP/1.0).
        if !header_block::has_token(&headers, "upgrade", "websocket") {
            return Err(HandshakeError::NotWebSocket { method: method.to_string(), target });
        }
        if method != "GET" {
            return Err(HandshakeError::BadMethod(method.to_string()));
        }
        if request.version != Some(1) {
            return Err(HandshakeError::WrongHttpVersion);
        }
        let host = header_block::values(&headers, "host").next().ok_or(HandshakeError::MissingHeader("Host"))?;
        if !header_block::has_token(&headers, "connection", "upgrade") {
            return Err(HandshakeError::MissingHeader("Connection: Upgrade"));
        }
        let version = header_block::values(&headers, "sec-websocket-version").next().unwrap_or("");
        if version != "13" {
            return Err(HandshakeError::UnsupportedVersion(version.to_string()));
        }
        let key = header_block::values(&headers, "sec-websocket-key").next().unwrap_or("");
        if STANDARD.decode(key).map(|k| k.len()) != Ok(16) {
            return Err(HandshakeError::BadKey(key.to_string()));
        }
        let protocols: Vec<String> =
            header_block::tokens(&headers, "sec-websocket-protocol").map(str::to_string).collect();
        if let Some(bad) = protocols.iter().find(|p| !header_block::is_token(p)) {
            return Err(HandshakeError::Malformed(format!("subprotocol {bad:?} is not a token")));
        }
        Ok(Some(Request { target, host: host.to_string(), key: key.to_string(), protocols, leftover, headers }))
    }

    pub fn check_deadline(&self, now: Duration) -> Result<(), HandshakeError> {
        if now >= self.deadline {
            Err(HandshakeError::Timeout)
        } else {
            Ok(())
        }
    }
}

/// What a server answers a valid request with: the one outcome both the 101
/// response and the connection are built from, as `ClientOutcome` is for a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerOutcome {
    /// The subprotocol selected, if any.
    pub protocol: Option<String>,
    /// The `Sec-WebSocket-Extensions` value answered, if any.
    pub extensions: Option<String>,
    /// permessage-deflate as agreed; `None` when not offered, declined or not enabled.
    pub deflate: Option<DeflateParams>,
    /// The 101 response to send.
    pub response: Vec<u8>,
}

impl Request {
    /// Answers the request: the first offered subprotocol that `supported` lists,
    /// permessage-deflate when `deflate` is given and the client offered something
    /// acceptable, and the 101 response with `extra_headers` lines appended as given.
    ///
    /// Offers made to a server with no subprotocols configured are ignored, as RFC
    /// 6455 allows (engine bug §13.14 drops such clients); a server with some
    /// configured refuses a client that offers none of them. Deflate offers are
    /// accepted or declined, never refused.
    pub fn accept(
        &self,
        supported: &[String],
        deflate: Option<&DeflateConfig>,
        extra_headers: &[String],
    ) -> Result<ServerOutcome, HandshakeError> {
        let protocol = self.select_protocol(supported)?;
        let (deflate, extensions) = match deflate.and_then(|config| self.accept_deflate(config)) {
            Some((params, value)) => (Some(params), Some(value)),
            None => (None, None),
        };
        let response = self.response(protocol.as_deref(), extensions.as_deref(), extra_headers)?;
        Ok(ServerOutcome { protocol, extensions, deflate, response })
    }

    fn select_protocol(&self, supported: &[String]) -> Result<Option<String>, HandshakeError> {
        let supported: Vec<&str> = supported.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        if supported.is_empty() {
            return Ok(None);
        }
        self.protocols
            .iter()
            .find(|p| supported.contains(&p.as_str()))
            .map(|p| Some(p.clone()))
            .ok_or_else(|| HandshakeError::NoCommonProtocol(self.protocols.join(", ")))
    }

    fn accept_deflate(&self, config: &DeflateConfig) -> Option<(DeflateParams, String)> {
        let offers: Vec<&str> = header_block::values(&self.headers, "sec-websocket-extensions").collect();
        if offers.is_empty() {
            return None;
        }
        deflate::server_accept(&offers.join(","), config)
    }

    fn response(
        &self,
        protocol: Option<&str>,
        extensions: Option<&str>,
        extra_headers: &[String],
    ) -> Result<Vec<u8>, HandshakeError> {
        let mut response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
            accept_key(&self.key)
        );
        if let Some(protocol) = protocol {
            response.push_str(&format!("Sec-WebSocket-Protocol: {protocol}\r\n"));
        }
        if let Some(extensions) = extensions {
            response.push_str(&format!("Sec-WebSocket-Extensions: {extensions}\r\n"));
        }
        for line in extra_headers {
            response.push_str(header_block::check_extra_header(line)?);
            response.push_str("\r\n");
        }
        response.push_str("\r\n");
        Ok(response.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = "GET /chat?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    fn parse(text: &str) -> Result<Option<Request>, HandshakeError> {
        ServerHandshake::new(8192, Duration::from_secs(10)).receive(text.as_bytes())
    }

    fn with(extra: &str) -> String {
        format!("{REQUEST}{extra}\r\n")
    }

    #[test]
    fn parses_a_valid_request_and_answers_101() {
        let mut input = with("Sec-WebSocket-Protocol: b, a\r\n").into_bytes();
        input.push(0x81);
        let req = ServerHandshake::new(8192, Duration::from_secs(10)).receive(&input).unwrap().unwrap();
        assert_eq!(req.target, "/chat?x=1");
        assert_eq!(req.host, "example.com:8080");
        assert_eq!(req.protocols, ["b", "a"]);
        assert_eq!(req.leftover, [0x81]);
        let supported = vec!["a".to_string(), "b".to_string()];
        let outcome = req.accept(&supported, None, &["X-Server: 1".into()]).unwrap();
        assert_eq!(outcome.protocol.as_deref(), Some("b"), "the client's order wins");
        assert_eq!((outcome.extensions, outcome.deflate), (None, None));
        assert_eq!(
            String::from_utf8(outcome.response).unwrap(),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: b\r\nX-Server: 1\r\n\r\n"
        );
    }

    #[test]
    fn offered_protocols_are_ignored_when_none_are_configured() {
        // Engine bug §13.14: the engine drops such clients.
        let req = parse(&with("Sec-WebSocket-Protocol: json\r\n")).unwrap().unwrap();
        let outcome = req.accept(&[], None, &[]).unwrap();
        assert_eq!(outcome.protocol, None);
        assert!(!String::from_utf8(outcome.response).unwrap().contains("Sec-WebSocket-Protocol"));
        assert_eq!(req.accept(&["xml".into()], None, &[]), Err(HandshakeError::NoCommonProtocol("json".into())));
    }

    #[test]
    fn a_bad_extra_header_line_refuses_the_answer() {
        let req = parse(&with("")).unwrap().unwrap();
        assert!(req.accept(&[], None, &["X-Bad\r\nInjected: 1".into()]).is_err());
    }

    #[test]
    fn two_token_request_line_is_a_400_not_a_crash() {
        // Engine bug §13.1: `GET /` aborts the engine.
        let err = parse("GET /\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n").unwrap_err();
        assert!(matches!(err, HandshakeError::Malformed(_)));
        assert!(err.http_response().unwrap().starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
    }

    #[test]
    fn bad_requests_get_http_errors() {
        let version = parse(&with("").replace("Version: 13", "Version: 12")).unwrap_err();
        assert_eq!(version, HandshakeError::UnsupportedVersion("12".into()));
        let answer = String::from_utf8(version.http_response().unwrap()).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 426 Upgrade Required\r\n") && answer.contains("Sec-WebSocket-Version: 13\r\n")
        );
        let cases = [
            (with("").replace("GET ", "POST "), HandshakeError::BadMethod("POST".into())),
            (with("").replace("HTTP/1.1", "HTTP/1.0"), HandshakeError::WrongHttpVersion),
            (with("").replace("Host: example.com:8080\r\n", ""), HandshakeError::MissingHeader("Host")),
            (
                with("").replace("Upgrade: websocket", "Upgrade: h2c"),
                HandshakeError::NotWebSocket { method: "GET".into(), target: "/chat?x=1".into() },
            ),
            (
                with("").replace("keep-alive, Upgrade", "keep-alive"),
                HandshakeError::MissingHeader("Connection: Upgrade"),
            ),
            (with("").replace("dGhlIHNhbXBsZSBub25jZQ==", "x"), HandshakeError::BadKey("x".into())),
            (
                with("Sec-WebSocket-Protocol: chat, supe]rchat\r\n"),
                HandshakeError::Malformed("subprotocol \"supe]rchat\" is not a token".into()),
            ),
        ];
        for (text, expected) in cases {
            let err = parse(&text).unwrap_err();
            assert_eq!(err, expected);
            assert!(err.http_response().unwrap().starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
        }
    }

    #[test]
    fn non_http_input_fails_before_the_header_block_ends() {
        let mut h = ServerHandshake::new(8192, Duration::from_secs(10));
        assert_eq!(h.receive(b"GET /chat HT"), Ok(None), "a valid prefix waits");
        let mut h = ServerHandshake::new(8192, Duration::from_secs(10));
        let tls_hello = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01];
        assert!(matches!(h.receive(&tls_hello), Err(HandshakeError::Malformed(_))));
    }

    #[test]
    fn deflate_offers_are_accepted_or_declined_never_refused() {
        let config = DeflateConfig::default();
        let req = parse(&with("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=20\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")).unwrap().unwrap();
        let outcome = req.accept(&[], Some(&config), &[]).unwrap();
        assert_eq!(outcome.extensions.as_deref(), Some("permessage-deflate"));
        assert_eq!(outcome.deflate, Some(DeflateParams::default()));
        let response = String::from_utf8(outcome.response).unwrap();
        assert!(response.ends_with("Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"));
        // Compression not enabled on this server: the offer is declined.
        let declined = req.accept(&[], None, &[]).unwrap();
        assert_eq!((declined.extensions, declined.deflate), (None, None));
        assert!(!String::from_utf8(declined.response).unwrap().contains("Extensions"));
        for bad in [
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; a; a",
            "foo; =",
            "permessage-deflate; client_max_window_bits=16",
        ] {
            let req = parse(&with(&format!("Sec-WebSocket-Extensions: {bad}\r\n"))).unwrap().unwrap();
            let outcome = req.accept(&[], Some(&config), &[]).unwrap();
            assert_eq!((outcome.extensions, outcome.deflate), (None, None), "{bad}");
        }
        let outcome = parse(&with("")).unwrap().unwrap().accept(&[], Some(&config), &[]).unwrap();
        assert_eq!((outcome.extensions, outcome.deflate), (None, None));
    }

    #[test]
    fn plain_http_requests_are_told_apart_whatever_their_method_and_version() {
        for (request, method, target) in [
            ("GET /health HTTP/1.0\r\n\r\n", "GET", "/health"),
            ("HEAD /health HTTP/1.1\r\nHost: b\r\n\r\n", "HEAD", "/health"),
            ("OPTIONS / HTTP/1.0\r\n\r\n", "OPTIONS", "/"),
            (
                "GET /index.html HTTP/1.1\r\nHost: b\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
                "GET",
                "/index.html",
            ),
        ] {
            let err = parse(request).unwrap_err();
            assert_eq!(
                err,
                HandshakeError::NotWebSocket { method: method.into(), target: target.into() },
                "{request:?}"
            );
            assert_eq!(err.http_status(), Some(400));
        }
    }

    #[test]
    fn oversized_request_is_refused() {
        let huge = with(&format!("X-Big: {}\r\n", "a".repeat(9000)));
        assert_eq!(parse(&huge).unwrap_err(), HandshakeError::HeadersTooLarge { limit: 8192 });
    }
}
