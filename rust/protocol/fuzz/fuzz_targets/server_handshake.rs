//! Arbitrary client requests, split at fuzzer-chosen points, into
//! `ServerHandshake::receive`.
//!
//! Input: `[cfg, size0, size1, size2, request...]` (see `common.rs`).
//! cfg: bits 0-1 subprotocols the server supports, bit 2 a 256-byte header
//!      limit instead of 8192.
//!
//! Checked: no panic; input is buffered only up to the limit; every refusal has
//! a 4xx HTTP answer with a correct Content-Length; an accepted request ends at
//! the first blank line and its leftover is the rest of the input; its 101
//! response is built and accepted by our own client with the same key and offer.

#![no_main]

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use ws_protocol::{ClientHandshake, HandshakeError, ServerHandshake, WsUrl};

mod common;

fn supported(cfg: u8) -> Vec<String> {
    let list: &[&str] = match cfg & 3 {
        0 => &[],
        1 => &["chat"],
        2 => &["chat", "superchat"],
        _ => &["superchat", " "],
    };
    list.iter().map(|s| s.to_string()).collect()
}

/// A refusal must be answered with a complete 4xx response.
fn check_refusal(e: &HandshakeError) {
    let _ = e.to_string();
    let answer = e.http_response().unwrap_or_else(|| panic!("no HTTP answer for {e:?}"));
    assert!(answer.starts_with(b"HTTP/1.1 4"), "answer is not 4xx: {:?}", String::from_utf8_lossy(&answer));
    let end = common::header_end(&answer).expect("answer has a complete header block");
    let head = std::str::from_utf8(&answer[..end]).expect("answer head is UTF-8");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .expect("answer has Content-Length")
        .parse()
        .expect("Content-Length is a number");
    assert_eq!(length, answer.len() - end, "Content-Length does not match the body");
    assert_eq!(head.matches("\r\n").count(), head.lines().count(), "bare line break in the answer head");
}

fuzz_target!(|data: &[u8]| {
    let ([cfg], sizes, body) = common::split::<1>(data);
    let limit = if cfg & 4 != 0 { 256 } else { 8192 };
    let supported = supported(cfg);
    let mut handshake = ServerHandshake::new(limit, Duration::MAX);

    let mut fed: Vec<u8> = Vec::new();
    for piece in common::pieces(body, sizes) {
        fed.extend_from_slice(piece);
        match handshake.receive(piece) {
            Ok(None) => common::check_waiting_handshake(&fed, limit),
            Err(e) => {
                check_refusal(&e);
                return;
            }
            Ok(Some(request)) => {
                common::check_finished_handshake(&fed, &request.leftover, limit);
                let answer = match request.accept(&supported, None, &[]) {
                    Ok(answer) => answer,
                    Err(e) => {
                        check_refusal(&e);
                        return;
                    }
                };
                let (protocol, response) = (answer.protocol, answer.response);
                if let Some(p) = &protocol {
                    assert!(request.protocols.contains(p) && supported.iter().any(|s| s.trim() == p));
                }
                assert!(response.starts_with(b"HTTP/1.1 101 ") && response.ends_with(b"\r\n\r\n"));

                // Our own client, with the same key and offer, accepts the answer.
                let key: [u8; 16] = STANDARD
                    .decode(&request.key)
                    .expect("an accepted key is base64")
                    .try_into()
                    .expect("an accepted key is 16 bytes");
                let url = WsUrl::parse("ws://example.com/").expect("a valid URL");
                let (mut client, _) = ClientHandshake::new(&url, &request.protocols, &[], key, 8192, Duration::MAX)
                    .expect("a valid client request");
                let outcome = client
                    .receive(&response)
                    .unwrap_or_else(|e| panic!("our client refuses our server's answer: {e}"))
                    .expect("the answer is complete");
                assert_eq!(outcome.protocol, protocol.unwrap_or_default());
                assert!(outcome.leftover.is_empty());
                return;
            }
        }
    }
});
