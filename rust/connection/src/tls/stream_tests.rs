//! The stream against rustls' own server, in memory: every version and cipher,
//! records cut anywhere, key updates, tickets, alerts, a server that stops reading.
//! (Allocations per round trip over a loopback socket: tests/tls_allocations.rs.)

use std::collections::VecDeque;

use rustls::crypto::ring::cipher_suite as suites;
use rustls::{AlertDescription, HandshakeKind, ServerConnection};
use ws_testkit::tls_identity::{tls12_suites, tls13_suites, HOST};

use super::*;
use crate::tls::{client_setup, TlsPolicy, TlsSetup};

/// A server for one cipher suite and one client set-up that trusts it (one, so that
/// its session cache carries over from one connection to the next).
struct Identity {
    server: Arc<ServerConfig>,
    client: TlsSetup,
}

fn identity(suite: rustls::SupportedCipherSuite) -> Identity {
    let fixture = ws_testkit::tls_identity::identity(suite);
    let policy = TlsPolicy::TrustedChain { pem: fixture.cert_pem.into_bytes(), name_override: None };
    Identity { server: fixture.server, client: client_setup(&policy, HOST).unwrap() }
}

/// The client's end of an in-memory connection: reads take from `incoming`,
/// at most `cut` bytes at a time; writes go to `outgoing` while `room` lasts.
struct MemorySocket {
    incoming: VecDeque<u8>,
    outgoing: Vec<u8>,
    cut: usize,
    room: usize,
    eof: bool,
}

impl Read for MemorySocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.incoming.is_empty() {
            return if self.eof { Ok(0) } else { Err(io::ErrorKind::WouldBlock.into()) };
        }
        let n = buf.len().min(self.cut).min(self.incoming.len());
        for (to, from) in buf.iter_mut().zip(self.incoming.drain(..n)) {
            *to = from;
        }
        Ok(n)
    }
}

impl RecordSocket for MemorySocket {}

impl Write for MemorySocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        self.outgoing.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Our client stream and a rustls server, joined by a `MemorySocket`.
struct Pair {
    client: TlsStream<MemorySocket>,
    server: ServerConnection,
    /// Plaintext each side received.
    client_received: Vec<u8>,
    server_received: Vec<u8>,
}

impl Pair {
    fn new(identity: &Identity) -> Pair {
        let socket = MemorySocket {
            incoming: VecDeque::new(),
            outgoing: Vec::new(),
            cut: usize::MAX,
            room: usize::MAX,
            eof: false,
        };
        let client =
            TlsStream::new(identity.client.config.clone(), identity.client.server_name.clone(), socket).unwrap();
        let server = ServerConnection::new(identity.server.clone()).unwrap();
        Pair { client, server, client_received: Vec::new(), server_received: Vec::new() }
    }

    fn connected(identity: &Identity) -> Pair {
        let mut pair = Pair::new(identity);
        pair.shuttle();
        assert!(!pair.client.tls.is_handshaking(), "handshake finished: {:?}", pair.client.error());
        pair
    }

    /// Client → server; true if anything moved.
    fn deliver_to_server(&mut self) -> bool {
        let wire = std::mem::take(&mut self.client.socket.outgoing);
        self.server_takes(&wire);
        !wire.is_empty()
    }

    fn server_takes(&mut self, mut wire: &[u8]) {
        while !wire.is_empty() {
            self.server.read_tls(&mut wire).unwrap();
            self.server.process_new_packets().unwrap();
            let _ = self.server.reader().read_to_end(&mut self.server_received);
        }
    }

    /// Server → client's socket; true if anything moved.
    fn deliver_to_client(&mut self) -> bool {
        let wire = self.server_output();
        self.client.socket.incoming.extend(&wire);
        !wire.is_empty()
    }

    fn server_output(&mut self) -> Vec<u8> {
        let mut wire = Vec::new();
        while self.server.wants_write() {
            self.server.write_tls(&mut wire).unwrap();
        }
        wire
    }

    /// One `read_into` of the client, as `poll()` makes it.
    fn client_reads(&mut self, max: usize) -> ReadOutcome {
        let received = &mut self.client_received;
        self.client.read_into(max, &mut |bytes| received.extend_from_slice(bytes))
    }

    /// Moves bytes both ways until nothing moves.
    fn shuttle(&mut self) {
        for _ in 0..1000 {
            let read = matches!(self.client_reads(1 << 20), ReadOutcome::Data(_));
            let moved = self.deliver_to_server() | self.deliver_to_client();
            if !moved && !read {
                return;
            }
        }
        panic!("no quiet state after 1000 exchanges");
    }

    /// Queues `data` at the server, moving records to the client when its buffer fills.
    fn server_sends(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let n = self.server.writer().write(data).unwrap();
            data = &data[n..];
            if n == 0 {
                self.deliver_to_client();
            }
        }
    }

    fn client_sends(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let n = self.client.write(data).unwrap();
            data = &data[n..];
            if n == 0 {
                self.shuttle();
            }
        }
    }

    /// Hands what the client wrote to the server: the alert it holds.
    fn alert_at_the_server(&mut self) -> AlertDescription {
        let wire = std::mem::take(&mut self.client.socket.outgoing);
        self.server.read_tls(&mut &wire[..]).unwrap();
        match self.server.process_new_packets() {
            Err(rustls::Error::AlertReceived(alert)) => alert,
            other => panic!("the server received no alert: {other:?}"),
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
            pair.client.socket.cut = cut;
            // Written before the handshake ends: goes out right after it.
            pair.client_sends(b"GET / HTTP/1.1");
            pair.shuttle();
            assert_eq!(pair.server.negotiated_cipher_suite(), Some(suite));
            assert_eq!(pair.server_received, b"GET / HTTP/1.1", "{suite:?}");
            for (i, len) in [1, 100, 16384, 16385, 100_000].into_iter().enumerate() {
                let data = pattern(len, i as u8);
                pair.server_sends(&data);
                pair.shuttle();
                assert_eq!(pair.client_received, data, "{suite:?} cut {cut} len {len}");
                pair.client_received.clear();
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
    pair.deliver_to_client();
    pair.client_received.clear();
    loop {
        match pair.client_reads(777) {
            ReadOutcome::Data(n) => assert!(n <= 777),
            ReadOutcome::WouldBlock => break,
            ReadOutcome::Closed => panic!("closed: {:?}", pair.client.error()),
        }
    }
    assert_eq!(pair.client_received, data);
}

#[test]
fn a_key_update_from_the_server_is_followed_and_answered() {
    let identity = identity(suites::TLS13_AES_256_GCM_SHA384);
    let mut pair = Pair::connected(&identity);
    pair.server.refresh_traffic_keys().unwrap(); // asks us to update too
    pair.server_sends(b"under the new key");
    pair.deliver_to_client();
    pair.client_received.clear();
    pair.client_reads(1024);
    assert_eq!(pair.client_received, b"under the new key");
    // rustls answers with the next record we send: our KeyUpdate, then the data.
    pair.client_sends(b"ours too");
    assert_eq!(record_count(&pair.client.socket.outgoing), 2, "the request was answered");
    pair.shuttle();
    assert_eq!(pair.server_received, b"ours too");
}

/// How many whole TLS records `wire` holds (header: type, version, length).
fn record_count(mut wire: &[u8]) -> usize {
    let mut count = 0;
    while let [_, _, _, high, low, ..] = *wire {
        wire = &wire[5 + u16::from_be_bytes([high, low]) as usize..];
        count += 1;
    }
    count
}

#[test]
fn session_tickets_are_kept_so_the_next_connection_resumes() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut first = Pair::connected(&identity);
    first.client_sends(b"hi"); // the server sends its tickets after our Finished
    first.shuttle();
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
    pair.deliver_to_client();
    pair.client_received.clear();
    assert!(matches!(pair.client_reads(1024), ReadOutcome::Data(3)));
    assert_eq!(pair.client_received, b"bye");
    assert!(matches!(pair.client_reads(1024), ReadOutcome::Closed));
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
    pair.client.socket.eof = true;
    pair.client_received.clear();
    assert!(matches!(pair.client_reads(1024), ReadOutcome::Data(10)));
    assert_eq!(pair.client_received, b"last words");
    assert!(matches!(pair.client_reads(1024), ReadOutcome::Closed));
    assert!(pair.client.error().is_none());
}

#[test]
fn a_tampered_record_closes_with_one_line_and_the_server_is_told() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut pair = Pair::connected(&identity);
    pair.server_sends(b"secret");
    let mut wire = pair.server_output();
    let last = wire.len() - 1;
    wire[last] ^= 1;
    pair.client.socket.incoming.extend(&wire);
    pair.client_received.clear();
    assert!(matches!(pair.client_reads(1024), ReadOutcome::Closed));
    assert!(pair.client_received.is_empty());
    assert_eq!(pair.client.error(), Some("TLS: a record failed authentication"));
    assert_eq!(pair.alert_at_the_server(), AlertDescription::BadRecordMac);
    // Nothing more is read or sent.
    assert!(matches!(pair.client_reads(1024), ReadOutcome::Closed));
    assert!(pair.client.write(b"more").is_err());
}

#[test]
fn a_fatal_alert_from_the_server_is_named() {
    let identity = identity(suites::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
    let mut pair = Pair::connected(&identity);
    pair.client_sends(b"will be damaged");
    let mut wire = std::mem::take(&mut pair.client.socket.outgoing);
    let last = wire.len() - 1;
    wire[last] ^= 1;
    pair.server.read_tls(&mut &wire[..]).unwrap();
    assert!(pair.server.process_new_packets().is_err());
    pair.deliver_to_client();
    assert!(matches!(pair.client_reads(1024), ReadOutcome::Closed));
    assert_eq!(pair.client.error(), Some("TLS: the server sent alert BadRecordMac"));
}

#[test]
fn a_server_that_does_not_speak_tls_fails_the_handshake() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut pair = Pair::new(&identity);
    pair.client.socket.incoming.extend(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    assert!(matches!(pair.client_reads(1024), ReadOutcome::Closed));
    let why = pair.client.error().unwrap();
    assert!(why.contains("does not speak TLS"), "{why}");
}

#[test]
fn end_of_stream_during_the_handshake_is_a_failure() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut pair = Pair::new(&identity);
    pair.client.socket.eof = true;
    assert!(matches!(pair.client_reads(1024), ReadOutcome::Closed));
    assert_eq!(pair.client.error(), Some("TLS: connection closed during the TLS handshake"));
}

#[test]
fn a_server_that_stops_reading_does_not_grow_what_we_hold() {
    let identity = identity(suites::TLS13_AES_128_GCM_SHA256);
    let mut pair = Pair::connected(&identity);
    pair.client.socket.room = 0;
    let chunk = vec![5u8; 1 << 20];
    let mut taken = 0;
    for _ in 0..10 {
        taken += pair.client.write(&chunk).unwrap();
    }
    assert!((SEND_BUFFER_LIMIT - 16384..=SEND_BUFFER_LIMIT).contains(&taken), "took {taken} bytes");
    // What waits for the server is the bound plus record overhead.
    let held = pair.client.tls.process_new_packets().unwrap().tls_bytes_to_write();
    assert!(held <= SEND_BUFFER_LIMIT + 1024, "holds {held} bytes");
    // Our own pending output does not stop us reading.
    pair.server_sends(b"still reading");
    pair.deliver_to_client();
    pair.client_received.clear();
    assert!(matches!(pair.client_reads(1024), ReadOutcome::Data(13)));
    // Once the server reads, everything moves again.
    pair.client.socket.room = usize::MAX;
    pair.shuttle();
    assert_eq!(pair.server_received.len(), taken);
    assert!(pair.client.error().is_none());
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
    assert_eq!(pair.client_received, b"half-rtt and after");
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
    assert_eq!(first.client_received, data);
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
            let data = pattern(1 + rng.below(40_000), case as u8);
            pair.server_sends(&data);
            let mut wire = pair.server_output();
            let at = rng.below(wire.len());
            let damage = rng.below(4);
            match damage {
                0 => wire[at] ^= 1 << rng.below(8),
                1 => wire.truncate(at),
                2 => wire.insert(at, rng.below(256) as u8),
                _ => wire[at] = rng.below(256) as u8,
            }
            pair.client.socket.incoming.extend(&wire);
            pair.client.socket.cut = 1 + rng.below(20_000);
            pair.client.socket.eof = damage == 1;
            pair.client_received.clear();
            while let ReadOutcome::Data(_) = pair.client_reads(1 + rng.below(30_000)) {}
            let got = &pair.client_received;
            assert!(data.starts_with(got), "{suite:?} case {case}: delivered bytes that were not sent");
        }
    }
}
