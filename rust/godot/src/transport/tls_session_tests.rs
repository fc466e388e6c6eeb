//! The session against rustls' own server, in memory: every version and
//! cipher, records cut anywhere, key updates both ways, tickets, alerts, and
//! no allocation in steady traffic.

use rustls::crypto::ring::cipher_suite as suites;
use std::sync::Arc;

use rustls::{HandshakeKind, ServerConnection, SupportedCipherSuite};

use super::*;
use crate::alloc_count::allocations_in;
use crate::transport::tls_test_identity::{identity, tls12_suites, tls13_suites, Identity};

/// Our client session and a rustls server, joined by in-memory "sockets".
struct Pair {
    client: TlsSession,
    server: ServerConnection,
    /// Plaintext the server received.
    server_received: Vec<u8>,
    /// Largest chunk handed to the client at once (cuts records anywhere).
    cut: usize,
}

impl Pair {
    fn new(identity: &Identity) -> Pair {
        let client = TlsSession::new(identity.client.config.clone(), identity.client.server_name.clone()).unwrap();
        let server = ServerConnection::new(identity.server.clone()).unwrap();
        Pair { client, server, server_received: Vec::new(), cut: usize::MAX }
    }

    fn connected(identity: &Identity) -> Pair {
        let mut pair = Pair::new(identity);
        pair.shuttle();
        assert!(!pair.client.is_handshaking(), "handshake finished: {:?}", pair.client.error());
        pair
    }

    /// Client → server; true if anything moved.
    fn deliver_to_server(&mut self) -> bool {
        let out = self.client.pending_output().to_vec();
        if out.is_empty() {
            return false;
        }
        self.client.consume_output(out.len());
        self.server_takes(&out);
        true
    }

    fn server_takes(&mut self, mut wire: &[u8]) {
        while !wire.is_empty() {
            self.server.read_tls(&mut wire).unwrap();
            self.server.process_new_packets().unwrap();
            let _ = std::io::Read::read_to_end(&mut self.server.reader(), &mut self.server_received);
        }
    }

    /// Server → client; true if anything moved.
    fn deliver_to_client(&mut self) -> bool {
        let mut wire = Vec::new();
        while self.server.wants_write() {
            self.server.write_tls(&mut wire).unwrap();
        }
        self.client_takes(&wire);
        !wire.is_empty()
    }

    fn client_takes(&mut self, wire: &[u8]) {
        let mut rest = wire;
        while !rest.is_empty() {
            let room = self.client.receive_buffer();
            let n = rest.len().min(room.len()).min(self.cut);
            room[..n].copy_from_slice(&rest[..n]);
            self.client.received(n);
            rest = &rest[n..];
        }
    }

    fn shuttle(&mut self) {
        for _ in 0..20 {
            let moved = self.deliver_to_server() | self.deliver_to_client();
            if !moved {
                return;
            }
        }
        panic!("no quiet state after 20 exchanges");
    }

    fn client_reads(&mut self) -> Vec<u8> {
        let mut got = Vec::new();
        self.client.read_plaintext(usize::MAX, &mut |bytes| got.extend_from_slice(bytes));
        got
    }

    /// Queues `data` at the server, moving records to the client when its buffer fills.
    fn server_sends(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let n = std::io::Write::write(&mut self.server.writer(), data).unwrap();
            data = &data[n..];
            if n == 0 {
                self.deliver_to_client();
            }
        }
    }

    fn client_sends(&mut self, data: &[u8]) {
        assert_eq!(self.client.write_plaintext(data), data.len());
    }

    /// Hands the client's pending output to the server: the alert it holds.
    fn alert_at_the_server(&mut self) -> AlertDescription {
        let wire = self.client.pending_output().to_vec();
        self.server.read_tls(&mut &wire[..]).unwrap();
        match self.server.process_new_packets() {
            Err(rustls::Error::AlertReceived(alert)) => alert,
            other => panic!("the server received no alert: {other:?}"),
        }
    }

    fn traffic(&mut self) -> &mut Traffic {
        let error = self.client.error.clone();
        match &mut self.client.stage {
            Stage::Traffic(traffic) => traffic,
            _ => panic!("not in traffic: {error:?}"),
        }
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[test]
fn every_version_and_cipher_carries_data_both_ways_cut_anywhere() {
    for suite in tls13_suites().into_iter().chain(tls12_suites()) {
        for cut in [1, 7, 1000, usize::MAX] {
            let identity = identity(suite);
            let mut pair = Pair::new(&identity);
            pair.cut = cut;
            // Written before the handshake ends: goes out right after it.
            pair.client_sends(b"GET / HTTP/1.1");
            pair.shuttle();
            assert_eq!(pair.server.negotiated_cipher_suite(), Some(suite));
            assert_eq!(pair.server_received, b"GET / HTTP/1.1", "{suite:?}");
            for (i, len) in [1, 100, MAX_PLAINTEXT, MAX_PLAINTEXT + 1, 100_000].into_iter().enumerate() {
                let data = pattern(len, i as u8);
                pair.server_sends(&data);
                pair.shuttle();
                assert_eq!(pair.client_reads(), data, "{suite:?} cut {cut} len {len}");
                pair.server_received.clear();
                pair.client_sends(&data);
                pair.shuttle();
                assert_eq!(pair.server_received, data, "{suite:?} cut {cut} len {len}");
            }
            assert!(pair.client.error().is_none());
        }
    }
}

#[test]
fn plaintext_is_handed_out_within_the_budget_and_in_order() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut pair = Pair::connected(&identity);
    let data = pattern(50_000, 3);
    pair.server_sends(&data);
    pair.shuttle();
    let mut got = Vec::new();
    loop {
        let n = pair.client.read_plaintext(777, &mut |bytes| got.extend_from_slice(bytes));
        assert!(n <= 777);
        if n == 0 {
            break;
        }
    }
    assert_eq!(got, data);
}

#[test]
fn steady_traffic_allocates_nothing() {
    // The counter sees allocations at all.
    assert_eq!(allocations_in(|| Vec::<u8>::with_capacity(10)).1, 1);
    for suite in [suites::TLS13_AES_128_GCM_SHA256, suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] {
        let identity = identity(suite);
        let mut pair = Pair::connected(&identity);
        let message = pattern(200, 9);
        let mut client_allocations = 0;
        for round in 0..300 {
            // The client's side of one echo: seal, hand over, receive, open.
            let ((), count) = allocations_in(|| assert_eq!(pair.client.write_plaintext(&message), message.len()));
            let wire = pair.client.pending_output().to_vec();
            let (_, consume) = allocations_in(|| pair.client.consume_output(wire.len()));
            pair.server_takes(&wire);
            let echo = std::mem::take(&mut pair.server_received);
            pair.server_sends(&echo);
            let mut reply = Vec::new();
            while pair.server.wants_write() {
                pair.server.write_tls(&mut reply).unwrap();
            }
            let mut got = 0;
            let ((), receive) = allocations_in(|| {
                let room = pair.client.receive_buffer();
                room[..reply.len()].copy_from_slice(&reply);
                pair.client.received(reply.len());
                got = pair.client.read_plaintext(usize::MAX, &mut |bytes| assert_eq!(bytes, &message[..]));
            });
            assert_eq!(got, message.len());
            // The first rounds size the buffers (and take the server's tickets).
            if round >= 100 {
                client_allocations += count + consume + receive;
            }
        }
        assert_eq!(client_allocations, 0, "{suite:?}: allocations in 200 steady round trips");
    }
}

#[test]
fn a_key_update_from_the_server_is_followed_and_answered() {
    let identity = identity(suites::TLS13_AES_256_GCM_SHA384);
    let mut pair = Pair::connected(&identity);
    for _ in 0..5 {
        pair.client_sends(b"before");
    }
    pair.shuttle();
    assert_eq!(pair.traffic().tx.seq(), 5);
    pair.server.refresh_traffic_keys().unwrap(); // asks us to update too
    pair.server_sends(b"under the new key");
    pair.shuttle();
    assert_eq!(pair.client_reads(), b"under the new key");
    // We answered with our own KeyUpdate and switched keys.
    assert_eq!(pair.traffic().tx.seq(), 0);
    pair.server_received.clear();
    pair.client_sends(b"ours too");
    pair.shuttle();
    assert_eq!(pair.server_received, b"ours too");
}

#[test]
fn the_client_changes_keys_when_one_is_used_up() {
    let identity = identity(suites::TLS13_CHACHA20_POLY1305_SHA256);
    let mut pair = Pair::connected(&identity);
    pair.traffic().tx_limit = 3;
    let mut sent = Vec::new();
    let mut key_changes = 0;
    let mut last_seq = pair.traffic().tx.seq();
    for i in 0..10u8 {
        pair.client_sends(&[i; 10]);
        sent.extend_from_slice(&[i; 10]);
        let seq = pair.traffic().tx.seq();
        // Each key protects at most 3 records: two of data, then the KeyUpdate.
        assert!(seq <= 2, "record {i} left the sequence at {seq}");
        if seq < last_seq {
            key_changes += 1;
        }
        last_seq = seq;
    }
    assert_eq!(key_changes, 4);
    pair.shuttle();
    assert_eq!(pair.server_received, sent, "the server followed every key update");
}

#[test]
fn tls12_ends_instead_of_reusing_a_used_up_key() {
    let identity = identity(suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    let mut pair = Pair::connected(&identity);
    let limit = pair.traffic().tx.seq() + 2;
    pair.traffic().tx_limit = limit;
    assert_eq!(pair.client.write_plaintext(&[1; 20_000]), 20_000); // two records
    assert_eq!(pair.client.write_plaintext(b"x"), 0);
    assert!(pair.client.error().unwrap().contains("used up its key"));
}

#[test]
fn session_tickets_are_kept_so_the_next_connection_resumes() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut first = Pair::connected(&identity);
    first.client_sends(b"hi"); // the server sends its tickets after our Finished
    first.shuttle();
    first.client_reads();
    assert_eq!(first.server.handshake_kind(), Some(HandshakeKind::Full));
    let second = Pair::connected(&identity);
    assert_eq!(second.server.handshake_kind(), Some(HandshakeKind::Resumed));
}

#[test]
fn close_notify_ends_the_stream_after_what_came_before() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut pair = Pair::connected(&identity);
    pair.server_sends(b"bye");
    pair.server.send_close_notify();
    pair.shuttle();
    assert_eq!(pair.client_reads(), b"bye");
    assert!(pair.client.is_finished());
    assert!(pair.client.error().is_none());
    // Our close_notify reaches the server.
    pair.client.close();
    pair.deliver_to_server();
    assert!(pair.server.process_new_packets().unwrap().peer_has_closed());
}

#[test]
fn records_before_the_end_of_stream_are_still_read() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut pair = Pair::connected(&identity);
    pair.server_sends(b"last words");
    pair.deliver_to_client();
    pair.client.received_eof();
    assert_eq!(pair.client_reads(), b"last words");
    assert!(pair.client.is_finished());
}

#[test]
fn a_tampered_record_fails_and_the_server_is_told() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut pair = Pair::connected(&identity);
    pair.client_reads(); // tickets
    pair.server_sends(b"secret");
    let mut wire = Vec::new();
    pair.server.write_tls(&mut wire).unwrap();
    let last = wire.len() - 1;
    wire[last] ^= 1;
    pair.client_takes(&wire);
    assert!(pair.client_reads().is_empty());
    assert_eq!(pair.client.error(), Some("TLS: a record failed authentication"));
    assert_eq!(pair.alert_at_the_server(), AlertDescription::BadRecordMac);
}

#[test]
fn a_fatal_alert_from_the_server_is_named() {
    let identity = identity(suites::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
    let mut pair = Pair::connected(&identity);
    pair.client_sends(b"will be damaged");
    let mut wire = pair.client.pending_output().to_vec();
    pair.client.consume_output(wire.len());
    let last = wire.len() - 1;
    wire[last] ^= 1;
    pair.server.read_tls(&mut &wire[..]).unwrap();
    assert!(pair.server.process_new_packets().is_err());
    pair.deliver_to_client();
    assert!(pair.client_reads().is_empty());
    assert_eq!(pair.client.error(), Some("TLS: the server sent alert BadRecordMac"));
}

#[test]
fn an_oversized_record_is_refused() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut pair = Pair::connected(&identity);
    pair.client_reads();
    // The largest record TLS 1.3 allows is awaited, one byte more is refused.
    let [high, low] = (MAX_BODY_TLS13 as u16).to_be_bytes();
    let mut probe = Pair::connected(&identity);
    probe.client_takes(&[CONTENT_APPLICATION_DATA, 3, 3, high, low]);
    assert!(probe.client_reads().is_empty());
    assert_eq!(probe.client.error(), None);
    let [high, low] = (MAX_BODY_TLS13 as u16 + 1).to_be_bytes();
    pair.client_takes(&[CONTENT_APPLICATION_DATA, 3, 3, high, low]);
    assert!(pair.client_reads().is_empty());
    assert_eq!(pair.client.error(), Some("TLS: the server sent an oversized record"));
    assert_eq!(pair.alert_at_the_server(), AlertDescription::RecordOverflow);
}

#[test]
fn a_server_that_does_not_speak_tls_fails_the_handshake() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut pair = Pair::new(&identity);
    pair.client_takes(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    let why = pair.client.error().unwrap();
    assert!(why.contains("does not speak TLS"), "{why}");
    assert!(pair.client.is_finished());
}

#[test]
fn end_of_stream_during_the_handshake_is_a_failure() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut pair = Pair::new(&identity);
    pair.client.received_eof();
    assert_eq!(pair.client.error(), Some("TLS: connection closed during the TLS handshake"));
}

/// Our client connected to a rustls server whose send key we took, so the test
/// can forge any record the server could send.
fn forging_server(suite: SupportedCipherSuite) -> (Pair, RecordKey) {
    let mut identity = identity(suite);
    let mut server = (*identity.server).clone();
    server.enable_secret_extraction = true;
    identity.server = Arc::new(server);
    let mut pair = Pair::connected(&identity);
    pair.client_reads(); // tickets
    let version = if suite.tls13().is_some() { Version::Tls13 } else { Version::Tls12 };
    let replacement = ServerConnection::new(identity.server.clone()).unwrap();
    let server = std::mem::replace(&mut pair.server, replacement);
    #[allow(deprecated)] // fine for a test: no key updates or tickets follow on the server side
    let (seq, secrets) = server.dangerous_extract_secrets().unwrap().tx;
    (pair, RecordKey::new(version, secrets, seq).unwrap())
}

impl Pair {
    fn forged(&mut self, key: &mut RecordKey, content_type: u8, payload: &[u8]) {
        let mut wire = Vec::new();
        key.seal(content_type, payload, &mut wire);
        self.client_takes(&wire);
    }
}

#[test]
fn padded_tls13_records_are_read() {
    let (mut pair, mut server) = forging_server(suites::TLS13_AES_128_GCM_SHA256);
    // Inner plaintext "hello", type application_data, three bytes of padding.
    pair.forged(&mut server, 0, b"hello\x17\0\0");
    assert_eq!(pair.client_reads(), b"hello");
    assert_eq!(pair.client.error(), None);
}

#[test]
fn a_key_update_that_does_not_end_its_record_is_refused() {
    let (mut pair, mut server) = forging_server(suites::TLS13_AES_128_GCM_SHA256);
    pair.forged(&mut server, CONTENT_HANDSHAKE, &[HANDSHAKE_KEY_UPDATE, 0, 0, 1, 0, 4, 0, 0, 0]);
    pair.client_reads();
    assert_eq!(pair.client.error(), Some("TLS: the server sent an unexpected record"));
}

#[test]
fn no_record_may_interrupt_a_split_handshake_message() {
    let (mut pair, mut server) = forging_server(suites::TLS13_AES_128_GCM_SHA256);
    pair.forged(&mut server, CONTENT_HANDSHAKE, &[HANDSHAKE_NEW_SESSION_TICKET, 0, 0, 100, 1, 2, 3]);
    pair.forged(&mut server, CONTENT_ALERT, &[ALERT_WARNING, ALERT_USER_CANCELED]);
    pair.client_reads();
    assert_eq!(pair.client.error(), Some("TLS: the server sent an unexpected record"));
}

#[test]
fn empty_handshake_records_and_floods_of_empty_records_are_refused() {
    let (mut pair, mut server) = forging_server(suites::TLS13_AES_256_GCM_SHA384);
    pair.forged(&mut server, CONTENT_HANDSHAKE, b"");
    pair.client_reads();
    assert_eq!(pair.client.error(), Some("TLS: the server sent an unexpected record"));

    let (mut pair, mut server) = forging_server(suites::TLS13_AES_256_GCM_SHA384);
    for _ in 0..ALLOWED_EMPTY_RECORDS {
        pair.forged(&mut server, CONTENT_APPLICATION_DATA, b"");
    }
    pair.forged(&mut server, CONTENT_APPLICATION_DATA, b"data resets the count");
    for _ in 0..ALLOWED_EMPTY_RECORDS {
        pair.forged(&mut server, CONTENT_APPLICATION_DATA, b"");
    }
    assert_eq!(pair.client_reads(), b"data resets the count");
    assert_eq!(pair.client.error(), None);
    pair.forged(&mut server, CONTENT_APPLICATION_DATA, b"");
    pair.client_reads();
    assert_eq!(pair.client.error(), Some("TLS: the server sent too many empty records"));
}

#[test]
fn nothing_after_close_notify_is_read() {
    let (mut pair, mut server) = forging_server(suites::TLS13_CHACHA20_POLY1305_SHA256);
    pair.forged(&mut server, CONTENT_APPLICATION_DATA, b"before");
    pair.forged(&mut server, CONTENT_ALERT, &[ALERT_WARNING, ALERT_CLOSE_NOTIFY]);
    pair.forged(&mut server, CONTENT_APPLICATION_DATA, b"after");
    assert_eq!(pair.client_reads(), b"before");
    assert!(pair.client.is_finished());
    assert_eq!(pair.client.error(), None);
    pair.forged(&mut server, CONTENT_APPLICATION_DATA, b"later still");
    assert!(pair.client_reads().is_empty());
}

#[test]
fn tls12_renegotiation_is_refused_once_then_fatal() {
    let (mut pair, mut server) = forging_server(suites::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    pair.forged(&mut server, CONTENT_HANDSHAKE, &[HANDSHAKE_HELLO_REQUEST, 0, 0, 0]);
    pair.forged(&mut server, CONTENT_APPLICATION_DATA, b"still here");
    assert_eq!(pair.client_reads(), b"still here");
    assert_eq!(pair.client.error(), None);
    assert!(!pair.client.pending_output().is_empty(), "no_renegotiation warning queued");
    pair.forged(&mut server, CONTENT_HANDSHAKE, &[HANDSHAKE_HELLO_REQUEST, 0, 0, 0]);
    pair.client_reads();
    assert_eq!(pair.client.error(), Some("TLS: the server insists on renegotiating"));
}

#[test]
fn tls12_warning_alerts_are_ignored_up_to_a_bound() {
    let (mut pair, mut server) = forging_server(suites::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
    for _ in 0..ALLOWED_WARNING_ALERTS {
        pair.forged(&mut server, CONTENT_ALERT, &[ALERT_WARNING, ALERT_USER_CANCELED]);
    }
    pair.forged(&mut server, CONTENT_APPLICATION_DATA, b"ok");
    assert_eq!(pair.client_reads(), b"ok");
    assert_eq!(pair.client.error(), None);
    pair.forged(&mut server, CONTENT_ALERT, &[ALERT_WARNING, ALERT_USER_CANCELED]);
    pair.client_reads();
    assert_eq!(pair.client.error(), Some("TLS: the server sent too many warning alerts"));
}

#[test]
fn records_wait_while_our_own_output_piles_up() {
    let (mut pair, mut server) = forging_server(suites::TLS13_AES_128_GCM_SHA256);
    let big = vec![0u8; SEND_BUFFER_LIMIT];
    assert_eq!(pair.client.write_plaintext(&big), big.len()); // the server is not reading
    pair.forged(&mut server, CONTENT_APPLICATION_DATA, b"waits");
    assert!(!pair.client.wants_input());
    assert!(pair.client_reads().is_empty());
    let pending = pair.client.pending_output().len();
    pair.client.consume_output(pending);
    assert!(!pair.client.wants_input(), "a whole record is waiting");
    assert_eq!(pair.client_reads(), b"waits");
    assert!(pair.client.wants_input());
}

#[test]
fn half_rtt_data_from_the_server_is_delivered_first() {
    let mut identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut server = (*identity.server).clone();
    server.send_half_rtt_data = true;
    identity.server = Arc::new(server);
    let mut pair = Pair::new(&identity);
    pair.server_sends(b"half-rtt ");
    pair.shuttle();
    pair.server_sends(b"and after");
    pair.shuttle();
    assert_eq!(pair.client_reads(), b"half-rtt and after");
    pair.client_sends(b"reply");
    pair.shuttle();
    assert_eq!(pair.server_received, b"reply");
}

#[test]
fn tiny_server_records_split_every_message_and_ticket() {
    let mut identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut server = (*identity.server).clone();
    server.max_fragment_size = Some(64);
    identity.server = Arc::new(server);
    let mut first = Pair::connected(&identity);
    let data = pattern(5_000, 1);
    first.server_sends(&data);
    first.shuttle();
    assert_eq!(first.client_reads(), data);
    let second = Pair::connected(&identity);
    assert_eq!(second.server.handshake_kind(), Some(HandshakeKind::Resumed), "split tickets were kept");
}

/// A small deterministic generator, so a failure can be replayed.
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn damaged_records_never_yield_wrong_plaintext() {
    let mut rng = Xorshift(0x5eed_1234_abcd);
    for suite in [
        suites::TLS13_AES_128_GCM_SHA256,
        suites::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        suites::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ] {
        let identity = identity(suite);
        for case in 0..40 {
            let mut pair = Pair::connected(&identity);
            pair.client_reads(); // tickets
            let data = pattern(1 + rng.below(40_000), case as u8);
            pair.server_sends(&data);
            let mut wire = Vec::new();
            while pair.server.wants_write() {
                pair.server.write_tls(&mut wire).unwrap();
            }
            let at = rng.below(wire.len());
            let damage = rng.below(4);
            match damage {
                0 => wire[at] ^= 1 << rng.below(8),
                1 => wire.truncate(at),
                2 => wire.insert(at, rng.below(256) as u8),
                _ => wire[at] = rng.below(256) as u8,
            }
            pair.cut = 1 + rng.below(20_000);
            pair.client_takes(&wire);
            if damage == 1 {
                pair.client.received_eof();
            }
            let mut got = Vec::new();
            while pair.client.read_plaintext(1 + rng.below(30_000), &mut |b| got.extend_from_slice(b)) > 0 {}
            assert!(data.starts_with(&got), "{suite:?} case {case}: delivered bytes that were not sent");
            if damage != 1 && got.len() < data.len() {
                // Noticed, or still waiting for the rest of a record whose length was damaged.
                let waiting = pair.client.end > pair.client.cipher_start;
                assert!(pair.client.error().is_some() || waiting, "{suite:?} case {case}: damage went unnoticed");
            }
        }
    }
}
