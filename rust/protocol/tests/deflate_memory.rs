//! Memory held by an idle connection (after one message each way), without
//! compression and with permessage-deflate with and without context takeover.
//! Alone in its test binary, so the counting allocator sees no other test.

use std::sync::atomic::Ordering;
use std::time::Duration;

use ws_protocol::deflate::DeflateParams;
use ws_protocol::{Connection, Limits, Role};

use ws_testkit::counting_alloc::{Counting, CURRENT};

#[path = "common/pump.rs"]
mod pump;
use pump::pump;

#[global_allocator]
static ALLOC: Counting = Counting;

const PAIRS: usize = 100;

/// Bytes held per idle peer once every pair exchanged one 4 KiB JSON message each way.
fn bytes_per_idle_peer(deflate: Option<DeflateParams>) -> usize {
    let message: Vec<u8> =
        (0..200).flat_map(|i| format!("{{\"id\":{i},\"hp\":{}}},", i % 100).into_bytes()).take(4096).collect();
    let before = CURRENT.load(Ordering::Relaxed);
    let mut pairs = Vec::with_capacity(PAIRS);
    for _ in 0..PAIRS {
        let mut c = Connection::new(Role::Client, Limits::default(), Duration::ZERO, [7; 32]);
        let mut s = Connection::new(Role::Server, Limits::default(), Duration::ZERO, [0; 32]);
        if let Some(params) = deflate {
            c.enable_deflate(params);
            s.enable_deflate(params);
        }
        c.send(true, &message).unwrap();
        pump(&mut c, &mut s);
        assert_eq!(s.pop_message().unwrap().data, message);
        s.send(true, &message).unwrap();
        pump(&mut s, &mut c);
        assert_eq!(c.pop_message().unwrap().data, message);
        pairs.push((c, s));
    }
    let held = CURRENT.load(Ordering::Relaxed) - before;
    drop(pairs);
    held / (2 * PAIRS)
}

#[test]
fn idle_memory_per_peer_with_and_without_context_takeover() {
    let plain = bytes_per_idle_peer(None);
    let takeover = bytes_per_idle_peer(Some(DeflateParams::default()));
    let no_takeover = bytes_per_idle_peer(Some(DeflateParams {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        ..DeflateParams::default()
    }));
    println!("idle peer: {plain} B uncompressed, {takeover} B deflate with context takeover, {no_takeover} B without");
    assert!(no_takeover <= 2 * plain, "no context takeover {no_takeover} B vs uncompressed {plain} B");
    assert!(takeover > 10 * plain, "context takeover keeps windows: {takeover} B");
}
