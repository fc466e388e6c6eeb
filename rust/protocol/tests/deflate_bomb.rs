//! A decompression bomb: 1 MiB of compressed frames that would inflate to
//! 1 GiB. The connection closes with 1009 once the inflated message passes
//! the limit, and never allocates much more than the limit. Alone in its test
//! binary, so the counting allocator sees no other test.

use std::sync::atomic::Ordering;
use std::time::Duration;

use ws_protocol::deflate::{DeflateParams, MessageCompressor};
use ws_protocol::frame::encode_header_rsv1;
use ws_protocol::{Connection, Limits, OpCode, Role, State};

use ws_testkit::counting_alloc::{Counting, CURRENT, PEAK};

#[global_allocator]
static ALLOC: Counting = Counting;

#[test]
fn a_one_gib_bomb_closes_with_1009_within_the_limit() {
    // One 1 MiB block of zeros compresses to ~1 KiB; the same bytes repeated
    // 1024 times are a valid stream of 1 GiB of zeros.
    let mut block = Vec::new();
    MessageCompressor::new(15, false).compress(&vec![0; 1 << 20], &mut block);
    block.extend_from_slice(&[0, 0, 0xff, 0xff]);
    let body: Vec<u8> = block.iter().copied().cycle().take(block.len() * 1024).collect();
    let mut frame = Vec::new();
    encode_header_rsv1(&mut frame, true, true, OpCode::Binary, None, body.len());
    frame.extend_from_slice(&body);
    drop(body);

    let limit = 64 * 1024;
    let limits = Limits { max_message_size: limit, max_inbound_buffered: limit, ..Limits::default() };
    let mut conn = Connection::new(Role::Client, limits, Duration::ZERO, [0; 32]);
    conn.enable_deflate(DeflateParams::default());
    let baseline = CURRENT.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    for piece in frame.chunks(64 * 1024) {
        conn.receive(piece, Duration::ZERO);
    }
    conn.poll(Duration::ZERO);
    let n = conn.pending_output().len();
    conn.consume_output(n);
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(conn.close_status().unwrap().code, 1009);
    let grew = PEAK.load(Ordering::Relaxed) - baseline;
    // The message buffer (limit + 1, momentarily beside its half-size
    // predecessor while it grows) plus inflate state (window and tables, ~80 KiB
    // measured with zlib-rs).
    assert!(grew <= limit + limit / 2 + 96 * 1024, "peak allocation grew by {grew} bytes for a {limit}-byte limit");
    println!("bomb: peak allocation +{grew} bytes with a {limit}-byte limit");
}
