//! permessage-deflate on whole connections: both roles after a real
//! negotiation, every parameter combination, and the bad input RFC 7692 names.

use std::time::Duration;

use ws_protocol::deflate::{DeflateConfig, DeflateParams, MessageCompressor};
use ws_protocol::frame::{encode_frame, encode_header, encode_header_rsv1};
use ws_protocol::handshake::ServerHandshake;
use ws_protocol::{ClientHandshake, Connection, Limits, Message, OpCode, Role, State, WsUrl};

const T0: Duration = Duration::ZERO;

#[path = "common/pump.rs"]
mod pump;
use pump::pump;

fn limits() -> Limits {
    Limits {
        max_message_size: 2 << 20,
        max_inbound_buffered: 4 << 20,
        max_outbound_buffered: None,
        ..Limits::default()
    }
}

/// Runs the opening handshake between a client offering `client` and a server
/// configured with `server`; returns the connections with what was agreed.
fn negotiated(client: DeflateConfig, server: DeflateConfig, limits: Limits) -> (Connection, Connection, DeflateParams) {
    let url = WsUrl::parse("ws://localhost/").unwrap();
    let (mut ch, request) =
        ClientHandshake::with_deflate(&url, &[], &[], [1; 16], 8192, Duration::MAX, Some(client)).unwrap();
    let req = ServerHandshake::new(8192, Duration::MAX).receive(&request).unwrap().unwrap();
    let answer = req.accept(&[], Some(&server), &[]).unwrap();
    let server_params = answer.deflate.expect("offer accepted");
    let outcome = ch.receive(&answer.response).unwrap().unwrap();
    let client_params = outcome.deflate.expect("client sees the extension");
    assert_eq!(client_params, server_params, "both ends agree");
    let mut c = Connection::new(Role::Client, limits.clone(), T0, [7; 32]);
    let mut s = Connection::new(Role::Server, limits, T0, [0; 32]);
    c.enable_deflate(client_params);
    s.enable_deflate(server_params);
    (c, s, client_params)
}

fn drain(conn: &mut Connection) -> Vec<Message> {
    std::iter::from_fn(|| conn.pop_message()).collect()
}

fn json_like(n: usize, seed: usize) -> Vec<u8> {
    let mut s = String::new();
    let mut i = seed;
    while s.len() < n {
        s.push_str(&format!("{{\"id\":{i},\"pos\":[{}.5,{}.25],\"hp\":{}}},", i * 7 % 1000, i * 13 % 1000, i % 100));
        i += 1;
    }
    s.truncate(n);
    s.into_bytes()
}

fn sample_messages() -> Vec<Message> {
    let mut pseudo_random = Vec::with_capacity(1 << 20);
    let mut x: u32 = 12345;
    for _ in 0..(1 << 20) {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        pseudo_random.push((x >> 16) as u8);
    }
    vec![
        Message { is_text: true, data: Vec::new() },
        Message { is_text: false, data: Vec::new() },
        Message { is_text: true, data: b"Hello".to_vec() },
        Message { is_text: true, data: json_like(4096, 1) },
        Message { is_text: true, data: json_like(4096, 1) },
        Message { is_text: false, data: pseudo_random },
        Message { is_text: false, data: vec![0; 1 << 20] },
        Message { is_text: true, data: "ünïcødé ✓".repeat(1000).into_bytes() },
    ]
}

fn every_config() -> Vec<DeflateConfig> {
    let mut out = Vec::new();
    for server_nct in [false, true] {
        for client_nct in [false, true] {
            for bits in [None, Some(8), Some(9), Some(12), Some(15)] {
                out.push(DeflateConfig {
                    server_no_context_takeover: server_nct,
                    client_no_context_takeover: client_nct,
                    server_max_window_bits: bits,
                    client_max_window_bits: bits.map(|b: u8| 23 - b),
                });
            }
        }
    }
    out
}

#[test]
fn messages_round_trip_both_ways_for_every_parameter_combination() {
    for config in every_config() {
        // Offered by the client and imposed by the server, in turn.
        for (client, server) in [(config, DeflateConfig::default()), (DeflateConfig::default(), config)] {
            let (mut c, mut s, params) = negotiated(client, server, limits());
            for m in sample_messages() {
                c.send(m.is_text, &m.data).unwrap();
                pump(&mut c, &mut s);
                assert_eq!(drain(&mut s), std::slice::from_ref(&m), "{params:?}");
                s.send(m.is_text, &m.data).unwrap();
                pump(&mut s, &mut c);
                assert_eq!(drain(&mut c), [m], "{params:?}");
            }
            // Without context takeover nothing is held between messages.
            if params.client_no_context_takeover && params.server_no_context_takeover {
                assert!(!c.holds_deflate_state() && !s.holds_deflate_state(), "{params:?}");
            } else {
                assert!(c.holds_deflate_state() && s.holds_deflate_state(), "{params:?}");
            }
        }
    }
}

#[test]
fn compression_shrinks_a_json_stream_and_takeover_helps() {
    let mut wire = Vec::new();
    for config in [DeflateConfig::default(), DeflateConfig { server_no_context_takeover: true, ..Default::default() }] {
        let (mut c, mut s, _) = negotiated(DeflateConfig::default(), config, limits());
        let mut bytes = 0;
        for i in 0..100 {
            s.send(true, &json_like(200 + i * 37, i)).unwrap();
            bytes += pump(&mut s, &mut c);
        }
        assert_eq!(drain(&mut c).len(), 100);
        wire.push(bytes);
    }
    let plain: usize = (0..100).map(|i| 200 + i * 37 + 4).sum();
    println!(
        "JSON stream of 100 messages: {plain} B plain, {} B with context takeover, {} B without",
        wire[0], wire[1]
    );
    assert!(wire[0] * 3 < plain, "with takeover {} of {plain} bytes", wire[0]);
    assert!(wire[0] < wire[1] && wire[1] < plain, "{wire:?} of {plain}");
}

/// Frames a compressed message as a server would send it, split in `pieces` frames.
fn compressed_frames(payload: &[u8], is_text: bool, pieces: usize) -> Vec<u8> {
    let mut body = Vec::new();
    MessageCompressor::new(15, true).compress(payload, &mut body);
    let chunk = body.len().div_ceil(pieces).max(1);
    let mut out = Vec::new();
    let parts: Vec<&[u8]> = body.chunks(chunk).collect();
    for (i, part) in parts.iter().enumerate() {
        let first = i == 0;
        let opcode = if !first {
            OpCode::Continuation
        } else if is_text {
            OpCode::Text
        } else {
            OpCode::Binary
        };
        encode_header_rsv1(&mut out, i + 1 == parts.len(), first, opcode, None, part.len());
        out.extend_from_slice(part);
    }
    out
}

fn client_with_deflate(limits: Limits) -> Connection {
    let mut c = Connection::new(Role::Client, limits, T0, [7; 32]);
    c.enable_deflate(DeflateParams::default());
    c
}

fn failed_with(conn: &mut Connection, input: &[u8]) -> u16 {
    conn.receive(input, T0);
    drain(conn);
    conn.poll(T0);
    let out = conn.pending_output().to_vec();
    conn.consume_output(out.len());
    assert_eq!(conn.state(), State::Closed, "connection failed");
    conn.close_status().unwrap().code
}

#[test]
fn fragmented_compressed_messages_with_interleaved_control_frames() {
    let text = json_like(50_000, 3);
    let mut c = client_with_deflate(limits());
    let mut wire = compressed_frames(&text, true, 5);
    // A ping between the first and second frame must not disturb the message.
    let first_len = 4 + u16::from_be_bytes([wire[2], wire[3]]) as usize;
    let mut ping = Vec::new();
    encode_frame(&mut ping, OpCode::Ping, b"p", None);
    wire.splice(first_len..first_len, ping);
    for piece in wire.chunks(333) {
        c.receive(piece, T0);
    }
    assert_eq!(drain(&mut c), [Message { is_text: true, data: text }]);
    assert_eq!(c.pending_output()[0], 0x8a, "pong, RSV1 clear");
}

#[test]
fn rsv1_where_not_allowed_fails_with_1002() {
    // Not negotiated.
    let mut plain = Connection::new(Role::Client, limits(), T0, [7; 32]);
    assert_eq!(failed_with(&mut plain, &compressed_frames(b"hi", true, 1)), 1002);
    // On a control frame.
    let mut c = client_with_deflate(limits());
    let mut ping = Vec::new();
    encode_header_rsv1(&mut ping, true, true, OpCode::Ping, None, 0);
    assert_eq!(failed_with(&mut c, &ping), 1002);
    // On a continuation frame.
    let mut c = client_with_deflate(limits());
    let mut wire = Vec::new();
    encode_header(&mut wire, false, OpCode::Text, None, 1);
    wire.push(b'a');
    encode_header_rsv1(&mut wire, true, true, OpCode::Continuation, None, 1);
    wire.push(b'b');
    assert_eq!(failed_with(&mut c, &wire), 1002);
}

#[test]
fn corrupt_deflate_data_fails_with_1007() {
    let mut c = client_with_deflate(limits());
    let mut wire = Vec::new();
    encode_header_rsv1(&mut wire, true, true, OpCode::Binary, None, 3);
    wire.extend_from_slice(&[0xff, 0xff, 0xff]);
    assert_eq!(failed_with(&mut c, &wire), 1007);
    // Compressed text that inflates to invalid UTF-8 is 1007 as well.
    let mut c = client_with_deflate(limits());
    assert_eq!(failed_with(&mut c, &compressed_frames(&[b'a', 0xff, b'b'], true, 1)), 1007);
}

#[test]
fn uncompressed_messages_still_flow_when_negotiated() {
    // RSV1 is per message: a peer may send some messages uncompressed.
    let mut c = client_with_deflate(limits());
    let mut wire = Vec::new();
    encode_frame(&mut wire, OpCode::Text, b"plain", None);
    wire.extend(compressed_frames(b"packed", true, 1));
    c.receive(&wire, T0);
    let got: Vec<Vec<u8>> = drain(&mut c).into_iter().map(|m| m.data).collect();
    assert_eq!(got, [b"plain".to_vec(), b"packed".to_vec()]);
}

#[test]
fn a_small_frame_inflating_past_the_limit_closes_with_1009() {
    // 1 MiB of zeros compresses to about 1 KiB (deflate's ratio tops at ~1032:1).
    let bomb = compressed_frames(&vec![0; 1 << 20], false, 1);
    assert!(bomb.len() < 1100, "{} bytes", bomb.len());
    let mut c = client_with_deflate(Limits::default());
    assert_eq!(failed_with(&mut c, &bomb), 1009);
    // Exactly the limit is fine.
    let mut c = client_with_deflate(Limits::default());
    c.receive(&compressed_frames(&vec![0; 65535], false, 1), T0);
    assert_eq!(drain(&mut c)[0].data.len(), 65535);
}

#[test]
fn wire_bytes_are_unchanged_without_deflate() {
    let mut c = Connection::new(Role::Server, limits(), T0, [0; 32]);
    c.send(true, b"Hello").unwrap();
    assert_eq!(c.pending_output(), [0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
    let mut c = Connection::new(Role::Server, limits(), T0, [0; 32]);
    c.enable_deflate(DeflateParams { server_no_context_takeover: true, ..DeflateParams::default() });
    c.send(true, b"Hello").unwrap();
    // RFC 7692 §7.2.3.1.
    assert_eq!(c.pending_output(), [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
}
