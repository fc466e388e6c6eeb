//! Backpressure both ways: a peer that does not read makes sends fail at the
//! outbound limit (never grow without bound), and a game that does not read makes
//! the connection stop reading at the inbound limit. Nothing is lost or reordered.

mod common;

use common::*;
use ws_connection::{Config, ReadyState, SendFailure, Write};
use ws_protocol::SendError;

#[test]
fn a_peer_that_does_not_read_fills_the_outbound_buffer_and_sends_are_refused() {
    let client_config = Config { outbound_buffer_size: 10_000, ..Config::default() };
    // The wire holds 2,000 bytes; the server is not polled, so they stay there.
    let mut pair = MemoryPair::open(client_config, Config::default(), 2000);
    let message = [3u8; 1000];
    let mut accepted = 0;
    let refused = loop {
        match pair.client.send(false, &message, Write::Now) {
            Ok(()) => accepted += 1,
            Err(e) => break e,
        }
        assert!(accepted < 100, "the outbound buffer never filled");
    };
    assert!(matches!(refused, SendFailure::Refused(SendError::BufferFull { .. })), "{refused:?}");
    assert!(pair.client.buffered_amount() <= 10_000, "bounded: {}", pair.client.buffered_amount());
    assert!(pair.client.buffered_amount() > 0);
    assert_eq!(pair.client.ready_state(), ReadyState::Open, "a refused send does not end the connection");
    // The server reads: everything queued arrives, in order, and sending works again.
    let mut got = 0;
    assert!(pair.poll_until(|p| {
        got += drain(&mut p.server).len();
        got == accepted && p.client.buffered_amount() == 0
    }));
    assert!(pair.client.send(false, &message, Write::Now).is_ok());
}

#[test]
fn an_outbound_limit_lowered_on_an_open_connection_applies_at_once() {
    let mut config = Config::default();
    let mut pair = MemoryPair::open(config.clone(), Config::default(), 100);
    config.outbound_buffer_size = 500;
    pair.client.update_limits(&config);
    assert!(pair.client.send(false, &[0; 400], Write::Now).is_ok());
    assert!(matches!(
        pair.client.send(false, &[0; 400], Write::Now),
        Err(SendFailure::Refused(SendError::BufferFull { .. }))
    ));
}

#[test]
fn a_game_that_does_not_read_makes_the_connection_stop_reading_and_loses_nothing() {
    let server_config = Config { inbound_buffer_size: 10_000, ..Config::default() };
    let mut pair = MemoryPair::open(roomy(), server_config, 4000);
    let messages: Vec<Vec<u8>> = (0..200u32).map(|i| i.to_le_bytes().repeat(100)).collect();
    for message in &messages {
        send(&mut pair.client, false, message);
    }
    // Polled but never read: the server holds at most its inbound limit of messages...
    for _ in 0..200 {
        pair.poll();
    }
    let held = pair.server.available();
    assert!(held > 0 && held * 400 <= 10_000 + 400, "{held} messages held");
    // ...the rest waits on the wire and in the client's queue.
    assert!(pair.client.buffered_amount() > 0);
    assert!(pair.client_end.unread_outbound() > 0);
    // Reading resumes it: every message, in order.
    let mut got = Vec::new();
    assert!(pair.poll_until(|p| {
        got.extend(drain(&mut p.server).into_iter().map(|(_, data)| data));
        got.len() == messages.len()
    }));
    assert_eq!(got, messages);
    assert_eq!(pair.client.buffered_amount(), 0);
}

#[test]
fn queued_sends_leave_together_with_the_next_flush() {
    let mut pair = MemoryPair::open(Config::default(), Config::default(), 1 << 20);
    let (bytes_before, writes_before) = (pair.client_end.bytes_sent(), pair.client_end.writes());
    for i in 0..10u8 {
        pair.client.send(false, &[i; 10], Write::Later).unwrap();
    }
    assert_eq!(pair.client_end.bytes_sent(), bytes_before, "nothing written before the flush");
    pair.client.flush();
    assert!(pair.client_end.bytes_sent() > bytes_before + 100);
    assert_eq!(pair.client_end.writes(), writes_before + 1, "ten messages, one write");
    let mut got = Vec::new();
    assert!(pair.poll_until(|p| {
        got.extend(drain(&mut p.server));
        got.len() == 10
    }));
    assert_eq!(got, (0..10u8).map(|i| (false, vec![i; 10])).collect::<Vec<_>>());
}
