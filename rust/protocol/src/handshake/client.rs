//! Client side: build the Upgrade request, validate the 101 response.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::header_block::{self, is_token, HeaderBlock};
use super::{accept_key, HandshakeError, Headers};
use crate::deflate::{self, DeflateConfig, DeflateParams};
use crate::WsUrl;

/// The accepted response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOutcome {
    /// The subprotocol the server selected; empty when none.
    pub protocol: String,
    pub headers: Headers,
    /// Bytes that followed the header block: the first frames.
    pub leftover: Vec<u8>,
    /// permessage-deflate as the server accepted it; `None` when declined or not offered.
    pub deflate: Option<DeflateParams>,
}

#[derive(Debug)]
pub struct ClientHandshake {
    expected_accept: String,
    offered: Vec<String>,
    deflate: Option<DeflateConfig>,
    block: HeaderBlock,
    deadline: Duration,
}

impl ClientHandshake {
    /// Builds the request. `key` is 16 random bytes; `protocols` are offered in
    /// order; `extra_headers` are `Name: value` lines sent as given.
    pub fn new(
        url: &WsUrl,
        protocols: &[String],
        extra_headers: &[String],
        key: [u8; 16],
        max_header_bytes: usize,
        deadline: Duration,
    ) -> Result<(ClientHandshake, Vec<u8>), HandshakeError> {
        Self::with_deflate(url, protocols, extra_headers, key, max_header_bytes, deadline, None)
    }

    /// As `new`, also offering permessage-deflate when `deflate` is given.
    pub fn with_deflate(
        url: &WsUrl,
        protocols: &[String],
        extra_headers: &[String],
        key: [u8; 16],
        max_header_bytes: usize,
        deadline: Duration,
        deflate: Option<DeflateConfig>,
    ) -> Result<(ClientHandshake, Vec<u8>), HandshakeError> {
        let key = STANDARD.encode(key);
        let mut request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n",
            url.resource,
            url.host_header()
        );
        let offered: Vec<String> = protocols.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
        if let Some(bad) = offered.iter().find(|p| !is_token(p)) {
            return Err(HandshakeError::InvalidProtocol(bad.clone()));
        }
        if !offered.is_empty() {
            request.push_str(&format!("Sec-WebSocket-Protocol: {}\r\n", offered.join(",")));
        }
        if let Some(config) = &deflate {
            request.push_str(&format!("Sec-WebSocket-Extensions: {}\r\n", deflate::client_offer(config)));
        }
        for line in extra_headers {
            request.push_str(header_block::check_extra_header(line)?);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        let handshake = ClientHandshake {
            expected_accept: accept_key(&key),
            offered,
            deflate,
            block: HeaderBlock::new(max_header_bytes),
            deadline,
        };
        Ok((handshake, request.into_bytes()))
    }

    /// Feeds response bytes; `Some` once the response is complete and valid.
    pub fn receive(&mut self, data: &[u8]) -> Result<Option<ClientOutcome>, HandshakeError> {
        let Some((head, leftover)) = self.block.push(data)? else {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            if let Err(e) = httparse::Response::new(&mut slots).parse(self.block.pending()) {
                return Err(HandshakeError::Malformed(e.to_string()));
            }
            return Ok(None);
        };
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut slots);
        match response.parse(&head) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) => return Err(HandshakeError::Malformed("incomplete status line".into())),
            Err(e) => return Err(HandshakeError::Malformed(e.to_string())),
        }
        if response.version != Some(1) {
            return Err(HandshakeError::WrongHttpVersion);
        }
        let code = response.code.unwrap_or(0);
        if code != 101 {
            return Err(HandshakeError::UnexpectedStatus(code));
        }
        let headers = header_block::collect(response.headers)?;
        let deflate = self.validate(&headers)?;
        let protocol = header_block::values(&headers, "sec-websocket-protocol").next().unwrap_or("").to_string();
        Ok(Some(ClientOutcome { protocol, headers, leftover, deflate }))
    }

    fn validate(&self, headers: &Headers) -> Result<Option<DeflateParams>, HandshakeError> {
        if !header_block::has_token(headers, "upgrade", "websocket") {
            return Err(HandshakeError::MissingHeader("Upgrade: websocket"));
        }
        if !header_block::has_token(headers, "connection", "upgrade") {
            return Err(HandshakeError::MissingHeader("Connection: Upgrade"));
        }
        let mut accepts = header_block::values(headers, "sec-websocket-accept");
        if accepts.next() != Some(self.expected_accept.as_str()) || accepts.next().is_some() {
            return Err(HandshakeError::BadAccept);
        }
        let mut selected = header_block::values(headers, "sec-websocket-protocol");
        if let Some(protocol) = selected.next() {
            if selected.next().is_some() || !self.offered.iter().any(|p| p == protocol) {
                return Err(HandshakeError::UnexpectedProtocol(protocol.to_string()));
            }
        }
        let extensions: Vec<&str> = header_block::values(headers, "sec-websocket-extensions").collect();
        let Some(config) = &self.deflate else {
            let names: Vec<&str> = header_block::tokens(headers, "sec-websocket-extensions").collect();
            if !names.is_empty() {
                return Err(HandshakeError::UnexpectedExtensions(names.join(", ")));
            }
            return Ok(None);
        };
        let extensions = deflate::parse_extensions(&extensions.join(","))
            .map_err(|why| HandshakeError::InvalidExtensionResponse(format!("Sec-WebSocket-Extensions: {why}")))?;
        deflate::client_accept(&extensions, config).map_err(HandshakeError::InvalidExtensionResponse)
    }

    /// Fails once the deadline passed.
    pub fn check_deadline(&self, now: Duration) -> Result<(), HandshakeError> {
        if now >= self.deadline {
            Err(HandshakeError::Timeout)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 16] = *b"the sample nonce";

    fn start(protocols: &[&str], extra: &[&str]) -> (ClientHandshake, String) {
        let url = WsUrl::parse("ws://[::1]:9000/chat?room=1").unwrap();
        let protocols: Vec<String> = protocols.iter().map(|s| s.to_string()).collect();
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let (h, req) = ClientHandshake::new(&url, &protocols, &extra, KEY, 8192, Duration::from_secs(10)).unwrap();
        (h, String::from_utf8(req).unwrap())
    }

    fn response(extra: &str) -> String {
        format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n{extra}\r\n")
    }

    #[test]
    fn request_has_the_exact_engine_shape_with_a_bracketed_ipv6_host() {
        let (_, req) = start(&[" p1 ", "p2"], &["X-Token: abc"]);
        assert_eq!(
            req,
            "GET /chat?room=1 HTTP/1.1\r\nHost: [::1]:9000\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: p1,p2\r\nX-Token: abc\r\n\r\n"
        );
    }

    #[test]
    fn accepts_a_valid_response_and_keeps_the_bytes_after_it() {
        let (mut h, _) = start(&["p1", "p2"], &[]);
        let resp = response("Sec-WebSocket-Protocol: p2\r\n") + "\u{81}\u{0}";
        let bytes = resp.as_bytes();
        assert_eq!(h.receive(&bytes[..10]), Ok(None));
        let outcome = h.receive(&bytes[10..]).unwrap().unwrap();
        assert_eq!(outcome.protocol, "p2");
        assert_eq!(outcome.leftover, "\u{81}\u{0}".as_bytes());
    }

    #[test]
    fn connection_header_is_a_token_list() {
        // Engine bug §13.12: `Connection: Upgrade, keep-alive` is rejected.
        let (mut h, _) = start(&[], &[]);
        let resp = response("").replace("Connection: Upgrade", "Connection: keep-alive, Upgrade");
        assert!(h.receive(resp.as_bytes()).unwrap().is_some());
    }

    #[test]
    fn rejects_invalid_responses() {
        let cases: Vec<(String, HandshakeError)> = vec![
            (response("").replace("101 Switching Protocols", "403 Forbidden"), HandshakeError::UnexpectedStatus(403)),
            (response("").replace("HTTP/1.1", "HTTP/1.0"), HandshakeError::WrongHttpVersion),
            (response("").replace("Upgrade: websocket\r\n", ""), HandshakeError::MissingHeader("Upgrade: websocket")),
            (
                response("").replace("Connection: Upgrade", "Connection: close"),
                HandshakeError::MissingHeader("Connection: Upgrade"),
            ),
            (response("").replace("xOo=", "xoo="), HandshakeError::BadAccept),
            (response("Sec-WebSocket-Protocol: p3\r\n"), HandshakeError::UnexpectedProtocol("p3".into())),
            (
                response("Sec-WebSocket-Extensions: permessage-deflate\r\n"),
                HandshakeError::UnexpectedExtensions("permessage-deflate".into()),
            ),
        ];
        for (resp, expected) in cases {
            let (mut h, _) = start(&["p1"], &[]);
            assert_eq!(h.receive(resp.as_bytes()), Err(expected), "{resp}");
        }
        // No protocol offered: none may be selected.
        let (mut h, _) = start(&[], &[]);
        assert_eq!(
            h.receive(response("Sec-WebSocket-Protocol: p1\r\n").as_bytes()),
            Err(HandshakeError::UnexpectedProtocol("p1".into()))
        );
    }

    fn start_deflate(config: DeflateConfig) -> (ClientHandshake, String) {
        let url = WsUrl::parse("ws://h/").unwrap();
        let (h, req) =
            ClientHandshake::with_deflate(&url, &[], &[], KEY, 8192, Duration::from_secs(10), Some(config)).unwrap();
        (h, String::from_utf8(req).unwrap())
    }

    #[test]
    fn offers_permessage_deflate_and_reads_the_answer() {
        let (mut h, req) = start_deflate(DeflateConfig::default());
        assert!(req.contains("\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, "));
        let resp = response("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n");
        let outcome = h.receive(resp.as_bytes()).unwrap().unwrap();
        let params = outcome.deflate.unwrap();
        assert_eq!((params.client_max_window_bits, params.server_max_window_bits), (10, 15));
        // Declined: no extension header, no compression.
        let (mut h, _) = start_deflate(DeflateConfig::default());
        assert_eq!(h.receive(response("").as_bytes()).unwrap().unwrap().deflate, None);
        // Without an offer the request has no extension header at all.
        assert!(!start(&[], &[]).1.contains("Extensions"));
    }

    #[test]
    fn invalid_deflate_answers_fail_the_handshake_in_one_line() {
        for (answer, names) in [
            ("permessage-deflate; server_max_window_bits=7", "server_max_window_bits=7"),
            ("permessage-deflate; server_max_window_bits=16", "server_max_window_bits=16"),
            (
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                "server_no_context_takeover",
            ),
            ("permessage-deflate; x=1", "unknown parameter x"),
            ("permessage-deflate; client_max_window_bits", "client_max_window_bits needs a value"),
            ("permessage-deflate, permessage-deflate", "twice"),
            ("x-other", "x-other"),
            ("permessage-deflate; =", "Sec-WebSocket-Extensions"),
        ] {
            let (mut h, _) = start_deflate(DeflateConfig::default());
            let err = h.receive(response(&format!("Sec-WebSocket-Extensions: {answer}\r\n")).as_bytes()).unwrap_err();
            let line = err.to_string();
            assert!(matches!(err, HandshakeError::InvalidExtensionResponse(_)), "{answer}: {line}");
            assert!(line.contains(names) && !line.contains('\n'), "{answer}: {line}");
        }
    }

    #[test]
    fn header_block_is_bounded_and_deadline_enforced() {
        let (mut h, _) = start(&[], &[]);
        let huge = format!("HTTP/1.1 101 OK\r\nX: {}\r\n", "a".repeat(9000));
        assert_eq!(h.receive(huge.as_bytes()), Err(HandshakeError::HeadersTooLarge { limit: 8192 }));
        assert_eq!(h.check_deadline(Duration::from_secs(9)), Ok(()));
        assert_eq!(h.check_deadline(Duration::from_secs(10)), Err(HandshakeError::Timeout));
    }

    #[test]
    fn subprotocols_must_be_tokens() {
        let url = WsUrl::parse("ws://h").unwrap();
        for bad in ["a b", "x\r\nHost: evil", "a,b", "\u{e9}"] {
            assert_eq!(
                ClientHandshake::new(&url, &[bad.to_string()], &[], KEY, 8192, Duration::ZERO).map(|_| ()),
                Err(HandshakeError::InvalidProtocol(bad.to_string()))
            );
        }
    }

    #[test]
    fn extra_headers_cannot_inject_lines() {
        let url = WsUrl::parse("ws://h").unwrap();
        let extra = vec!["X: a\r\nHost: evil".to_string()];
        assert!(matches!(
            ClientHandshake::new(&url, &[], &extra, KEY, 8192, Duration::ZERO),
            Err(HandshakeError::InvalidExtraHeader(_))
        ));
    }
}
