//! Arbitrary server responses, split at fuzzer-chosen points, into
//! `ClientHandshake::receive`.
//!
//! Input: `[cfg, size0, size1, size2, response...]` (see `common.rs`).
//! cfg: bits 0-1 subprotocols offered, bits 2-3 max_header_bytes.
//!
//! Checked: no panic; input is buffered only up to the limit; an accepted
//! response ends at the first blank line, within the limit, and the leftover
//! is exactly the rest of the input; the selected subprotocol was offered.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use ws_protocol::{ClientHandshake, WsUrl};

mod common;

/// With this key the valid answer is `Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`.
const KEY: [u8; 16] = *b"the sample nonce";
const LIMITS: [usize; 4] = [8192, 16, 64, 256];

fn offered(cfg: u8) -> Vec<String> {
    let list: &[&str] = match cfg & 3 {
        0 => &[],
        1 => &["chat"],
        2 => &["chat", "superchat"],
        _ => &["", " x "],
    };
    list.iter().map(|s| s.to_string()).collect()
}

fuzz_target!(|data: &[u8]| {
    let ([cfg], sizes, body) = common::split::<1>(data);
    let limit = LIMITS[((cfg >> 2) & 3) as usize];
    let protocols = offered(cfg);
    let url = WsUrl::parse("ws://example.com/chat").expect("a valid URL");
    let (mut handshake, request) =
        ClientHandshake::new(&url, &protocols, &[], KEY, limit, Duration::MAX).expect("a valid request");
    assert!(request.starts_with(b"GET /chat HTTP/1.1\r\n") && request.ends_with(b"\r\n\r\n"));

    let mut fed: Vec<u8> = Vec::new();
    for piece in common::pieces(body, sizes) {
        fed.extend_from_slice(piece);
        match handshake.receive(piece) {
            Ok(None) => common::check_waiting_handshake(&fed, limit),
            Ok(Some(outcome)) => {
                common::check_finished_handshake(&fed, &outcome.leftover, limit);
                let trimmed: Vec<&str> = protocols.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
                assert!(
                    outcome.protocol.is_empty() || trimmed.contains(&outcome.protocol.as_str()),
                    "selected {:?}, offered {trimmed:?}",
                    outcome.protocol
                );
                return;
            }
            Err(e) => {
                let _ = e.to_string();
                let _ = e.http_response();
                return;
            }
        }
    }
});
