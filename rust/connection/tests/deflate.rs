//! permessage-deflate negotiation between our client and server: agreed only when
//! both enable it, visible as the agreed extension on both sides, and messages
//! travel compressed and arrive whole either way.

mod common;

use common::*;
use ws_connection::{Config, ReadyState};

fn with_compression(enabled: bool) -> Config {
    Config { compression_enabled: enabled, ..roomy() }
}

/// Opens a pair, sends the same compressible text each way, and returns the pair
/// with how many bytes the client wrote for it.
fn exchange(client: bool, server: bool) -> (MemoryPair, usize) {
    let mut pair = MemoryPair::open(with_compression(client), with_compression(server), 1 << 20);
    let text = "{\"entity\": 17, \"x\": 1.5, \"y\": -3.25, \"alive\": true}".repeat(200);
    let before = pair.client_end.bytes_sent();
    send(&mut pair.client, true, text.as_bytes());
    send(&mut pair.server, true, text.as_bytes());
    let (mut at_server, mut at_client) = (Vec::new(), Vec::new());
    assert!(pair.poll_until(|p| {
        at_server.extend(drain(&mut p.server));
        at_client.extend(drain(&mut p.client));
        !at_server.is_empty() && !at_client.is_empty()
    }));
    assert_eq!(at_server, vec![(true, text.clone().into_bytes())]);
    assert_eq!(at_client, vec![(true, text.clone().into_bytes())]);
    let wire = pair.client_end.bytes_sent() - before;
    (pair, wire)
}

#[test]
fn both_enabled_agree_on_deflate_and_compress_what_they_send() {
    let (pair, wire) = exchange(true, true);
    assert_eq!(pair.client.extensions(), "permessage-deflate");
    assert_eq!(pair.server.extensions(), "permessage-deflate");
    assert!(wire < 1000, "a 10 KB repetitive text took {wire} bytes on the wire");
}

#[test]
fn a_server_without_compression_declines_the_offer_and_plain_messages_flow() {
    let (pair, wire) = exchange(true, false);
    assert_eq!(pair.client.extensions(), "");
    assert_eq!(pair.server.extensions(), "");
    assert!(wire > 10_000, "sent uncompressed: {wire} bytes");
}

#[test]
fn a_client_without_compression_offers_nothing() {
    let (pair, _) = exchange(false, true);
    assert_eq!(pair.client.extensions(), "");
    assert_eq!(pair.server.extensions(), "");
}

#[test]
fn a_deflate_bomb_is_stopped_at_the_inbound_limit() {
    let server_config = Config { compression_enabled: true, inbound_buffer_size: 100_000, ..Config::default() };
    let mut pair = MemoryPair::open(with_compression(true), server_config, 1 << 20);
    // 4 MB of zeros compress to a few KB; inflated they exceed the server's limit.
    send(&mut pair.client, false, &vec![0; 4 << 20]);
    assert!(pair.poll_until(|p| p.both(ReadyState::Closed)));
    assert!(drain(&mut pair.server).is_empty());
    assert_eq!(failure_kind(&pair.server), Some(ws_connection::FailureKind::Limit));
    assert_eq!(pair.client.close_code(), 1009, "the server closed with 1009");
}

#[test]
fn the_compression_level_applies_to_what_this_end_sends() {
    let text: String = (0..300)
        .map(|i| format!("{{\"id\":{i},\"hp\":{},\"pos\":[{}.5,{}]}}", 100 - i % 41, i * 7 % 97, i % 11))
        .collect();
    let mut sizes = Vec::new();
    for level in [0, 1, 9] {
        let client = Config { compression_level: level, ..with_compression(true) };
        let mut pair = MemoryPair::open(client, with_compression(true), 1 << 20);
        let before = pair.client_end.bytes_sent();
        send(&mut pair.client, true, text.as_bytes());
        let mut got = Vec::new();
        assert!(pair.poll_until(|p| {
            got.extend(drain(&mut p.server));
            !got.is_empty()
        }));
        assert_eq!(got, vec![(true, text.clone().into_bytes())], "level {level}");
        sizes.push(pair.client_end.bytes_sent() - before);
    }
    assert!(sizes[0] > text.len(), "level 0 stores: {sizes:?}");
    assert!(sizes[1] > sizes[2], "level 1 is larger than level 9: {sizes:?}");
}
