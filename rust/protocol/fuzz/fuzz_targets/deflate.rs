//! permessage-deflate (RFC 7692) with arbitrary bytes: the codec on its own and a
//! `Connection` that negotiated it.
//!
//! Input: `[cfg, size0, size1, size2, body...]` (see `common.rs`).
//! cfg: bits 0-2 window bits (8 + value), bit 3 no context takeover, bits 4-5 the
//!      cap (the connection's max_message_size), bit 6 the connection is the server
//!      (its input is masked frames).
//!
//! Checked: no panic; inflating never goes past the cap (one byte past it when
//! refusing), whatever the input;
//! compressing then inflating gives back every message (the body cut into messages
//! at the fuzzer's sizes), with the context carried over or not as configured; a
//! cap one byte short of a message is refused; and a connection fed arbitrary
//! frames hands out only messages within max_message_size, text only as UTF-8.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use ws_protocol::deflate::{DeflateParams, InflateError, MessageCompressor, MessageInflater};
use ws_protocol::{Connection, Limits, Role};

mod common;

const CAPS: [usize; 4] = [0, 64, 4096, 1 << 20];
const MAX_MESSAGES: usize = 16;

fuzz_target!(|data: &[u8]| {
    let (cfg, sizes, body) = common::split::<1>(data);
    let bits = 8 + (cfg[0] & 7);
    let no_context_takeover = cfg[0] & 8 != 0;
    let cap = CAPS[((cfg[0] >> 4) & 3) as usize];
    let role = if cfg[0] & 0x40 != 0 { Role::Server } else { Role::Client };

    inflate_arbitrary(bits, no_context_takeover, cap, sizes, body);
    round_trip(bits, no_context_takeover, sizes, body);
    connection(role, bits, no_context_takeover, cap, sizes, body);
});

/// Arbitrary bytes as one compressed message: corrupt, or too big, or within the cap.
fn inflate_arbitrary(bits: u8, no_context_takeover: bool, cap: usize, sizes: [u8; 3], body: &[u8]) {
    let mut inflater = MessageInflater::new(bits, no_context_takeover);
    let mut out = Vec::new();
    for piece in common::pieces(body, sizes) {
        let result = inflater.inflate(piece, &mut out, cap);
        check_cap(&result, &out, cap);
        if result.is_err() {
            return;
        }
    }
    let result = inflater.finish(&mut out, cap);
    check_cap(&result, &out, cap);
}

/// Within the cap; one byte more only when refusing (the byte that tells "more
/// than cap" from "exactly cap").
fn check_cap(result: &Result<(), InflateError>, out: &[u8], cap: usize) {
    let bound = if result.is_ok() { cap } else { cap + 1 };
    assert!(out.len() <= bound, "inflated {} bytes, cap {cap}, result {result:?}", out.len());
}

fn round_trip(bits: u8, no_context_takeover: bool, sizes: [u8; 3], body: &[u8]) {
    let mut compressor = MessageCompressor::new(bits, no_context_takeover);
    let mut inflater = MessageInflater::new(bits, no_context_takeover);
    for (i, message) in common::pieces(body, sizes).take(MAX_MESSAGES).enumerate() {
        let mut wire = Vec::new();
        compressor.compress(message, &mut wire);
        if i == 0 || no_context_takeover {
            // Without earlier context the message stands alone: a fresh inflater
            // reads it, and refuses it under a cap one byte short.
            let mut fresh = MessageInflater::new(bits, no_context_takeover);
            let mut out = Vec::new();
            fresh.inflate(&wire, &mut out, message.len()).expect("inflates within its own size");
            fresh.finish(&mut out, message.len()).expect("finishes within its own size");
            assert_eq!(out, message, "a fresh inflater read the message back");
            if let Some(short) = message.len().checked_sub(1) {
                let mut fresh = MessageInflater::new(bits, no_context_takeover);
                let mut out = Vec::new();
                let result = fresh.inflate(&wire, &mut out, short).and_then(|()| fresh.finish(&mut out, short));
                assert_eq!(result, Err(InflateError::TooBig), "a cap one byte short is refused");
            }
        }
        // The paired inflater, fed the compressed bytes in the fuzzer's pieces.
        let mut out = Vec::new();
        for piece in common::pieces(&wire, sizes) {
            inflater.inflate(piece, &mut out, message.len()).expect("our own output inflates");
        }
        inflater.finish(&mut out, message.len()).expect("our own output finishes");
        assert_eq!(out, message, "message {i} came back changed");
        assert_eq!(compressor.holds_state(), !no_context_takeover, "compressor state as negotiated");
        assert_eq!(inflater.holds_state(), !no_context_takeover, "inflater state as negotiated");
    }
}

fn connection(role: Role, bits: u8, no_context_takeover: bool, cap: usize, sizes: [u8; 3], body: &[u8]) {
    let limits = Limits {
        max_message_size: cap,
        max_inbound_buffered: 1 << 21,
        max_queued_messages: 64,
        max_outbound_buffered: None,
        max_handshake_bytes: 1024,
        handshake_timeout: Duration::from_secs(1),
        close_timeout: Duration::from_secs(3600),
    };
    let mut conn = Connection::new(role, limits, Duration::ZERO, [0; 32]);
    conn.enable_deflate(DeflateParams {
        server_no_context_takeover: no_context_takeover,
        client_no_context_takeover: no_context_takeover,
        server_max_window_bits: bits,
        client_max_window_bits: bits,
    });
    for piece in common::pieces(body, sizes) {
        conn.receive(piece, Duration::ZERO);
        while let Some(message) = conn.pop_message() {
            assert!(message.data.len() <= cap, "message of {} bytes over max_message_size {cap}", message.data.len());
            if message.is_text {
                assert!(std::str::from_utf8(&message.data).is_ok(), "text message is not UTF-8");
            }
        }
        let n = conn.pending_output().len();
        conn.consume_output(n);
    }
}
