//! Whole-connection behaviour: two cores wired back to back, or one core fed
//! hand-made frames. Time is passed in, so timers are tested without sleeping.

use std::time::Duration;

use ws_protocol::frame::{encode_frame, encode_header};
use ws_protocol::{Connection, Limits, Message, OpCode, ProtocolError, Role, SendError, State, Timeout};

const T0: Duration = Duration::ZERO;

#[path = "common/pump.rs"]
mod pump;
use pump::pump;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn pair(limits: Limits) -> (Connection, Connection) {
    (Connection::new(Role::Client, limits.clone(), T0, [7; 32]), Connection::new(Role::Server, limits, T0, [0; 32]))
}

fn take_output(conn: &mut Connection) -> Vec<u8> {
    let out = conn.pending_output().to_vec();
    conn.consume_output(out.len());
    out
}

fn drain(conn: &mut Connection) -> Vec<Message> {
    std::iter::from_fn(|| conn.pop_message()).collect()
}

fn text(s: &str) -> Message {
    Message { is_text: true, data: s.as_bytes().to_vec() }
}

/// An unmasked frame as a server sends it (what a client receives).
fn frame(fin: bool, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_header(&mut out, fin, opcode, None, payload.len());
    out.extend_from_slice(payload);
    out
}

fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    [code.to_be_bytes().as_slice(), reason.as_bytes()].concat()
}

#[test]
fn messages_flow_both_ways_in_order() {
    let (mut c, mut s) = pair(Limits::default());
    c.send(true, b"hello").unwrap();
    c.send(false, &[1, 2, 3]).unwrap();
    c.send(true, b"").unwrap();
    pump(&mut c, &mut s);
    assert_eq!(drain(&mut s), [text("hello"), Message { is_text: false, data: vec![1, 2, 3] }, text("")]);
    s.send(false, &[9; 70_000]).unwrap_err(); // over the default 65535 outbound limit
    s.send(false, &[9; 60_000]).unwrap();
    pump(&mut s, &mut c);
    assert_eq!(drain(&mut c)[0].data.len(), 60_000);
}

#[test]
fn client_frames_are_masked_with_fresh_keys() {
    let (mut c, _) = pair(Limits::default());
    c.send(false, b"aaaa").unwrap();
    c.send(false, b"aaaa").unwrap();
    let out = take_output(&mut c);
    assert_eq!(out[1] & 0x80, 0x80, "mask bit");
    assert_ne!(out[2..6], out[12..16], "a new key per frame");
    assert_ne!(&out[6..10], b"aaaa");
}

#[test]
fn control_frames_between_fragments_stay_out_of_the_message() {
    // Engine bug §13.3: TEXT("Hel") + PING("XX") + CONT("lo") arrives as "HelXXlo".
    let (mut c, _) = pair(Limits::default());
    let wire = [
        frame(false, OpCode::Text, b"Hel"),
        frame(true, OpCode::Ping, b"XX"),
        frame(false, OpCode::Continuation, b"lo "),
        frame(true, OpCode::Pong, b"unsolicited"),
        frame(true, OpCode::Continuation, b"world"),
    ]
    .concat();
    c.receive(&wire, T0);
    assert_eq!(drain(&mut c), [text("Hello world")]);
    let out = take_output(&mut c);
    assert_eq!(out[0], 0x8a, "pong");
    let key = [out[2], out[3], out[4], out[5]];
    let payload: Vec<u8> = out[6..8].iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect();
    assert_eq!(payload, b"XX", "pong echoes the ping payload");
}

#[test]
fn pong_goes_ahead_of_queued_data() {
    let (mut c, mut s) = pair(Limits::default());
    s.send(false, &[1; 1000]).unwrap();
    s.send(false, &[2; 1000]).unwrap();
    // The client pings; the server has data queued and answers first.
    let mut ping = Vec::new();
    encode_frame(&mut ping, OpCode::Ping, b"p", Some([1, 2, 3, 4]));
    s.receive(&ping, T0);
    let out = take_output(&mut s);
    assert_eq!(out, [0x8a, 0x01, b'p'], "the pong alone, first");
    c.receive(&out, T0);
    pump(&mut s, &mut c);
    assert_eq!(drain(&mut c).len(), 2);
}

#[test]
fn fragmented_message_over_the_limit_fails_with_1009() {
    // Engine bug §13.2: limits were checked per frame (stall or corruption).
    let limits = Limits { max_message_size: 10, ..Limits::default() };
    let (mut c, _) = pair(limits);
    c.receive(&[frame(false, OpCode::Binary, &[0; 6]), frame(true, OpCode::Continuation, &[0; 6])].concat(), T0);
    assert_eq!(c.take_error(), Some(ProtocolError::MessageTooBig { size: 12, limit: 10 }));
    let out = take_output(&mut c);
    assert_eq!(out[0], 0x88);
    assert_eq!(c.state(), State::Closed);
    let status = c.close_status().unwrap();
    assert_eq!((status.code, status.reason.as_str()), (1009, "Message too big"));
    assert!(drain(&mut c).is_empty());
}

#[test]
fn a_single_frame_over_the_limit_is_refused_before_buffering() {
    let limits = Limits { max_message_size: 1000, ..Limits::default() };
    let (mut c, _) = pair(limits);
    let mut header = Vec::new();
    encode_header(&mut header, true, OpCode::Binary, None, 1 << 40);
    c.receive(&header, T0);
    assert_eq!(c.take_error(), Some(ProtocolError::MessageTooBig { size: 1 << 40, limit: 1000 }));
}

#[test]
fn close_sends_queued_data_first() {
    // Engine bug §13.5: close() discards queued messages and the Close jumps the queue.
    let (mut c, mut s) = pair(Limits::default());
    c.send(true, b"one").unwrap();
    c.send(true, b"two").unwrap();
    c.close(1000, "done", T0).unwrap();
    assert_eq!(c.state(), State::Closing);
    assert_eq!(c.send(true, b"late"), Err(SendError::NotOpen));
    pump(&mut c, &mut s);
    assert_eq!(drain(&mut s), [text("one"), text("two")]);
    assert_eq!(s.received_close().map(|st| st.code), Some(1000));
    pump(&mut s, &mut c);
    assert_eq!(s.close_status().map(|st| st.code), Some(1000));
    assert_eq!(c.state(), State::Closed);
    let status = c.close_status().unwrap();
    assert_eq!((status.code, status.reason.as_str()), (1000, "done"));
}

#[test]
fn close_with_long_reason_is_refused_and_stays_open() {
    // Engine bug §13.6: a >123-byte reason sends nothing but enters CLOSING forever.
    let (mut c, _) = pair(Limits::default());
    assert!(c.close(1000, &"x".repeat(124), T0).is_err());
    assert!(c.close(1005, "", T0).is_err());
    assert_eq!(c.state(), State::Open);
    assert!(c.pending_output().is_empty());
}

#[test]
fn close_without_status_reports_1005() {
    // Engine bug §13.10: reported as 0.
    let (mut c, _) = pair(Limits::default());
    c.receive(&frame(true, OpCode::Close, b""), T0);
    let echo = take_output(&mut c);
    assert_eq!(&echo[..2], &[0x88, 0x80], "empty echo");
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.close_status().unwrap().code, 1005);
}

#[test]
fn one_byte_close_payload_is_a_protocol_error() {
    let (mut c, _) = pair(Limits::default());
    c.receive(&frame(true, OpCode::Close, &[3]), T0);
    assert_eq!(c.take_error(), Some(ProtocolError::TruncatedClose));
    take_output(&mut c);
    assert_eq!(c.close_status().unwrap().code, 1002);
}

#[test]
fn close_codes_1012_to_1014_are_accepted() {
    // Engine bug §13.11: answered with 1002.
    for code in [1012u16, 1013, 1014] {
        let (mut c, mut s) = pair(Limits::default());
        s.close(code.into(), "restart", T0).unwrap();
        pump(&mut s, &mut c);
        assert_eq!(c.take_error(), None);
        pump(&mut c, &mut s);
        assert_eq!(c.close_status().unwrap().code, code);
        assert_eq!(s.close_status().unwrap().code, code);
    }
}

#[test]
fn peer_close_is_echoed_and_earlier_messages_stay_readable() {
    // Engine bug §13.4 (godotengine/godot#107442): data received with the Close is lost.
    let (mut c, _) = pair(Limits::default());
    let wire = [
        frame(true, OpCode::Text, b"a"),
        frame(true, OpCode::Text, b"b"),
        frame(true, OpCode::Close, &close_payload(4000, "bye")),
        frame(true, OpCode::Text, b"after close: ignored"),
    ]
    .concat();
    c.receive(&wire, T0);
    let echo = take_output(&mut c);
    assert_eq!(echo[0], 0x88);
    assert_eq!(c.state(), State::Closed);
    let status = c.close_status().unwrap();
    assert_eq!((status.code, status.reason.as_str()), (4000, "bye"));
    assert_eq!(drain(&mut c), [text("a"), text("b")]);
}

#[test]
fn our_close_answered_with_another_code_reports_the_peers() {
    let (mut c, _) = pair(Limits::default());
    c.close(4000, "mine", T0).unwrap();
    take_output(&mut c);
    c.receive(&frame(true, OpCode::Close, &close_payload(1001, "theirs")), T0);
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.close_status().unwrap().code, 1001);
}

#[test]
fn data_arriving_while_closing_is_still_delivered() {
    let (mut c, _) = pair(Limits::default());
    c.close(1000, "", T0).unwrap();
    take_output(&mut c);
    c.receive(&frame(true, OpCode::Text, b"in flight"), T0);
    assert_eq!(drain(&mut c), [text("in flight")]);
}

#[test]
fn close_deadline_ends_an_unanswered_close() {
    let limits = Limits { close_timeout: ms(500), ..Limits::default() };
    let (mut c, _) = pair(limits);
    c.close(1000, "", T0).unwrap();
    take_output(&mut c);
    c.poll(ms(499));
    assert_eq!(c.state(), State::Closing);
    assert_eq!(c.timed_out(), None);
    c.poll(ms(500));
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.close_status().unwrap().code, 1006);
    assert_eq!(c.timed_out(), Some(Timeout::Close));
}

#[test]
fn eof_without_close_is_abnormal_1006() {
    let (mut c, _) = pair(Limits::default());
    c.receive(&frame(true, OpCode::Binary, b"x"), T0);
    c.receive_eof();
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.close_status().unwrap().code, 1006);
    assert_eq!(c.timed_out(), None, "an end of input is no timeout");
    assert_eq!(drain(&mut c).len(), 1, "what arrived before the end stays readable");
}

#[test]
fn invalid_utf8_fails_with_1007() {
    let (mut c, _) = pair(Limits::default());
    c.receive(&frame(false, OpCode::Text, &[b'a', 0xf4]), T0);
    assert_eq!(c.state(), State::Open);
    c.receive(&frame(true, OpCode::Continuation, &[0x90, 0x80, 0x80]), T0);
    assert_eq!(c.take_error(), Some(ProtocolError::InvalidUtf8));
    let out = take_output(&mut c);
    assert_eq!(unmask(&out[2..6], &out[6..8]), 1007u16.to_be_bytes());
    assert_eq!(c.close_status().unwrap().code, 1007);
}

fn unmask(key: &[u8], data: &[u8]) -> Vec<u8> {
    data.iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect()
}

#[test]
fn frame_rule_violations_fail_with_1002() {
    let cases: Vec<Vec<u8>> = vec![
        vec![0xc1, 0x00],                                                             // RSV1 without extension
        vec![0x83, 0x00],                                                             // reserved opcode
        vec![0x09, 0x00],                                                             // fragmented ping
        [vec![0x89, 0x7e, 0x00, 0x7e], vec![0; 126]].concat(),                        // ping over 125 bytes
        vec![0x82, 0x80, 1, 2, 3, 4],                                                 // masked frame to a client
        frame(true, OpCode::Continuation, b"x"),                                      // continuation without start
        [frame(false, OpCode::Text, b"a"), frame(true, OpCode::Text, b"b")].concat(), // interleaved message
    ];
    for wire in cases {
        let (mut c, _) = pair(Limits::default());
        c.receive(&wire, T0);
        let error = c.take_error().unwrap_or_else(|| panic!("{wire:x?} accepted"));
        assert_eq!(error.close_code(), 1002, "{error}");
        take_output(&mut c);
        assert_eq!(c.close_status().unwrap().code, 1002);
    }
}

#[test]
fn unmasked_frame_to_a_server_fails() {
    let (_, mut s) = pair(Limits::default());
    s.receive(&frame(true, OpCode::Text, b"x"), T0);
    assert_eq!(s.take_error().unwrap().close_code(), 1002);
}

#[test]
fn inbound_queue_pushes_back_and_loses_nothing() {
    let limits = Limits { max_queued_messages: 3, ..Limits::default() };
    let (mut c, _) = pair(limits);
    let wire: Vec<u8> = (0..10u8).flat_map(|i| frame(true, OpCode::Binary, &[i])).collect();
    c.receive(&wire, T0);
    assert_eq!(c.available(), 3);
    assert_eq!(c.read_capacity(), 0, "stop reading while full");
    let got: Vec<u8> = drain(&mut c).iter().map(|m| m.data[0]).collect();
    assert_eq!(got, (0..10).collect::<Vec<u8>>());
    assert!(c.read_capacity() > 0);
}

#[test]
fn inbound_bytes_bound_pushes_back() {
    let limits = Limits { max_inbound_buffered: 100, ..Limits::default() };
    let (mut c, _) = pair(limits);
    let wire: Vec<u8> = (0..10u8).flat_map(|i| frame(true, OpCode::Binary, &[i; 40])).collect();
    c.receive(&wire, T0);
    assert_eq!(c.available(), 3, "stops once 100 bytes are waiting");
    assert_eq!(drain(&mut c).len(), 10);
}

#[test]
fn outbound_limits_refuse_without_closing() {
    let limits = Limits { max_queued_messages: 2, max_outbound_buffered: Some(100), ..Limits::default() };
    let (mut c, _) = pair(limits);
    c.send(false, &[0; 60]).unwrap();
    assert_eq!(c.send(false, &[0; 41]), Err(SendError::BufferFull { queued: 60, size: 41, limit: 100 }));
    c.send(false, &[0; 40]).unwrap();
    assert_eq!(c.buffered_amount(), 100);
    assert_eq!(c.send(false, &[]), Err(SendError::TooManyQueued { limit: 2 }));
    assert_eq!(c.state(), State::Open);
    take_output(&mut c);
    assert_eq!(c.buffered_amount(), 0);
    c.send(false, &[0; 100]).unwrap();
}

#[test]
fn heartbeat_pings_and_times_out_without_pong() {
    let (mut c, mut s) = pair(Limits::default());
    c.set_heartbeat_interval(ms(500), T0);
    c.poll(ms(499));
    assert!(c.pending_output().is_empty());
    c.poll(ms(500));
    assert_eq!(c.pending_output()[0], 0x89, "ping");
    pump(&mut c, &mut s);
    pump(&mut s, &mut c); // the server's pong
    c.poll(ms(1000));
    assert_eq!(c.pending_output()[0], 0x89, "answered: the next ping goes out");
    take_output(&mut c); // this one is never answered
    c.poll(ms(1499));
    assert_eq!(c.state(), State::Open);
    c.poll(ms(1500));
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.close_status().unwrap().code, 1006);
    assert_eq!(c.timed_out(), Some(Timeout::Heartbeat));
}

#[test]
fn every_split_of_the_input_gives_the_same_messages() {
    let (mut c, mut s) = pair(Limits::default());
    for i in 0..20usize {
        c.send(i % 2 == 0, "ünïcødé".repeat(i * 7).as_bytes()).unwrap();
    }
    let wire = take_output(&mut c);
    pump(&mut c, &mut s);
    let mut whole = Connection::new(Role::Server, Limits::default(), T0, [0; 32]);
    whole.receive(&wire, T0);
    let expected = drain(&mut whole);
    assert_eq!(expected.len(), 20);
    for step in [1, 2, 7, 64, 1000] {
        let mut s = Connection::new(Role::Server, Limits::default(), T0, [0; 32]);
        for piece in wire.chunks(step) {
            s.receive(piece, T0);
        }
        assert_eq!(drain(&mut s), expected, "step {step}");
    }
}

#[test]
fn a_violation_behind_unread_messages_waits_until_they_are_read() {
    // Autobahn 3.2 / 4.1.3 / 5.15 strict: replies to the messages before a bad frame go out first.
    let (mut c, _) = pair(Limits::default());
    c.receive(&[frame(true, OpCode::Text, b"first"), vec![0xc1, 0x00], frame(true, OpCode::Ping, b"")].concat(), T0);
    assert_eq!(c.take_error().map(|e| e.close_code()), Some(1002), "reported at once for logging");
    assert_eq!(c.state(), State::Open);
    assert!(c.pending_output().is_empty(), "no pong: nothing after the bad frame is processed");
    assert_eq!(c.pop_message(), Some(text("first")));
    c.send(true, b"reply").unwrap();
    assert_eq!(c.state(), State::Open);
    c.poll(T0);
    assert_eq!(c.state(), State::Closing);
    let out = take_output(&mut c);
    assert_eq!(out[0], 0x81, "the reply");
    assert_eq!(out[out.len() - 8] & 0x0f, 0x8, "then the Close");
    assert_eq!(c.close_status().unwrap().code, 1002);
}

#[test]
fn replies_sent_while_reading_go_out_before_the_failure_close() {
    let (mut c, _) = pair(Limits::default());
    c.receive(&[frame(true, OpCode::Text, b"a"), frame(true, OpCode::Text, b"b"), vec![0x83, 0x00]].concat(), T0);
    let first = c.pop_message().unwrap();
    c.send(true, &first.data).unwrap();
    let second = c.pop_message().unwrap();
    assert_eq!(second, text("b"));
    c.poll(T0);
    let out = take_output(&mut c);
    assert_eq!(out[0], 0x81, "the reply first");
    assert_eq!(out[out.len() - 8] & 0x0f, 0x8, "the Close last");
}

/// A masked ping as a client sends it, numbered in its first 4 of `size` bytes.
fn numbered_ping(i: u32, size: usize) -> Vec<u8> {
    let mut payload = vec![0u8; size];
    payload[..4].copy_from_slice(&i.to_be_bytes());
    let mut out = Vec::new();
    encode_frame(&mut out, OpCode::Ping, &payload, Some([9, 8, 7, 6]));
    out
}

/// Feeds `wire` to `conn` as a socket would: only as much as `read_capacity()` asks.
/// Returns how much was taken.
fn feed(conn: &mut Connection, wire: &[u8]) -> usize {
    let mut at = 0;
    while at < wire.len() {
        let n = conn.read_capacity().min(wire.len() - at);
        if n == 0 {
            break;
        }
        conn.receive(&wire[at..at + n], T0);
        at += n;
    }
    at
}

/// The payloads of the pongs (unmasked, server to client) in `wire`.
fn pongs(wire: &[u8]) -> Vec<u32> {
    let mut got = Vec::new();
    let mut rest = wire;
    while !rest.is_empty() {
        assert_eq!(rest[0], 0x8a, "only pongs");
        let len = rest[1] as usize;
        got.push(u32::from_be_bytes(rest[2..6].try_into().unwrap()));
        rest = &rest[2 + len..];
    }
    got
}

#[test]
fn a_ping_flood_from_a_peer_that_does_not_read_is_pushed_back_and_bounded() {
    let (_, mut s) = pair(Limits::default());
    let count = 200_000u32;
    let wire: Vec<u8> = (0..count).flat_map(|i| numbered_ping(i, 125)).collect();
    // The peer reads nothing: we stop reading long before the end.
    let taken = feed(&mut s, &wire);
    assert!(taken < 64 * 1024 + 4096, "read {taken} bytes without anyone taking our pongs");
    assert_eq!(s.read_capacity(), 0);
    assert!(s.queued_output_bytes() <= 2048 + 2 * 127, "{} bytes of pongs held", s.queued_output_bytes());
    // The peer starts reading: everything is answered, the newest ping last.
    let mut at = taken;
    let mut answers = Vec::new();
    loop {
        answers.extend(pongs(&take_output(&mut s)));
        if at == wire.len() {
            break;
        }
        let n = feed(&mut s, &wire[at..]);
        assert!(n > 0, "reading resumes once our pongs are written");
        at += n;
        assert!(s.queued_output_bytes() <= 2048 + 2 * 127);
    }
    assert!(answers.windows(2).all(|w| w[0] < w[1]), "pongs in ping order");
    assert_eq!(*answers.last().unwrap(), count - 1, "the most recent ping is answered");
    assert_eq!(s.state(), State::Open);
}

#[test]
fn data_and_close_after_a_ping_flood_are_all_delivered_and_answered() {
    let (mut c, mut s) = pair(Limits::default());
    let mut wire = Vec::new();
    for i in 0..5000u32 {
        wire.extend(numbered_ping(i, 60));
        if i % 100 == 0 {
            encode_frame(&mut wire, OpCode::Binary, &i.to_be_bytes(), Some([1, 1, 1, 1]));
        }
    }
    encode_frame(&mut wire, OpCode::Close, &close_payload(1000, "bye"), Some([1, 1, 1, 1]));
    let mut at = feed(&mut s, &wire);
    let mut out = Vec::new();
    let mut got = Vec::new();
    while at < wire.len() {
        out.extend(take_output(&mut s));
        got.extend(drain(&mut s).into_iter().map(|m| u32::from_be_bytes(m.data[..].try_into().unwrap())));
        at += feed(&mut s, &wire[at..]);
    }
    got.extend(drain(&mut s).into_iter().map(|m| u32::from_be_bytes(m.data[..].try_into().unwrap())));
    out.extend(take_output(&mut s));
    assert_eq!(got, (0..5000).step_by(100).collect::<Vec<u32>>(), "every message, in order");
    assert_eq!(s.state(), State::Closed, "the Close was answered");
    c.receive(&out, T0);
    assert_eq!(c.received_close().unwrap().code, 1000, "our echo of the Close reached the client");
}

#[test]
fn a_ping_behind_a_full_outbound_queue_stops_reading_until_it_drains() {
    let limits = Limits { max_outbound_buffered: Some(1000), ..Limits::default() };
    let (_, mut s) = pair(limits);
    s.send(false, &[5; 990]).unwrap();
    assert!(s.read_capacity() > 0, "data the app queued alone does not stop reading");
    s.receive(&numbered_ping(1, 20), T0);
    assert_eq!(s.read_capacity(), 0, "990 + a 22-byte pong is over 1000");
    take_output(&mut s);
    assert!(s.read_capacity() > 0);
}

#[test]
fn two_peers_streaming_at_each_other_never_both_stop_reading() {
    let limits = Limits { max_outbound_buffered: Some(4096), ..Limits::default() };
    let (mut c, mut s) = pair(limits);
    // Both fill their queues to the limit and nothing is written yet.
    for conn in [&mut c, &mut s] {
        while conn.send(false, &[3; 100]).is_ok() {}
        assert!(conn.read_capacity() > 0, "a full queue of our own data keeps reading");
    }
}
