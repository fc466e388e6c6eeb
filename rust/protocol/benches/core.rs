//! Throughput of the core's hot paths, in bytes per second:
//! `cargo bench -p ws-protocol --bench core`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ws_protocol::mask::apply_mask;
use ws_protocol::utf8::Utf8Validator;
use ws_protocol::{Connection, Limits, Role};

const MIB: usize = 1 << 20;

fn mask(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask");
    for size in [1024, 64 * 1024, MIB] {
        let mut data = vec![0xa5u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            b.iter(|| apply_mask(black_box(&mut data), [1, 2, 3, 4], 1))
        });
    }
    group.finish();
}

fn utf8(c: &mut Criterion) {
    let text = "ascii text and ünïcødé ✓ 😀 ".repeat(MIB / 40);
    let mut group = c.benchmark_group("utf8");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("validate 1 MiB in 4 KiB pieces", |b| {
        b.iter(|| {
            let mut v = Utf8Validator::new();
            for piece in text.as_bytes().chunks(4096) {
                v.feed(black_box(piece)).unwrap();
            }
            v.finish().unwrap();
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    // The whole receive path: decode, unmask, assemble the message.
    let limits = Limits { max_message_size: 2 * MIB, max_inbound_buffered: 4 * MIB, ..Limits::default() };
    for (name, size, count) in
        [("1 MiB messages", MIB, 1), ("64 KiB messages", 64 * 1024, 16), ("32 B messages", 32, 4096)]
    {
        let mut client = Connection::new(
            Role::Client,
            Limits { max_outbound_buffered: None, ..limits.clone() },
            Duration::ZERO,
            [1; 32],
        );
        for _ in 0..count {
            client.send(false, &vec![3u8; size]).unwrap();
        }
        let wire = client.pending_output().to_vec();
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function(format!("server receive, {name} (masked)"), |b| {
            b.iter(|| {
                let mut server = Connection::new(Role::Server, limits.clone(), Duration::ZERO, [0; 32]);
                for piece in wire.chunks(64 * 1024) {
                    server.receive(black_box(piece), Duration::ZERO);
                }
                assert_eq!(std::iter::from_fn(|| server.pop_message()).count(), count);
            })
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for (name, size, role) in [
        ("1 MiB, client (masked)", MIB, Role::Client),
        ("1 MiB, server", MIB, Role::Server),
        ("32 B, client (masked)", 32, Role::Client),
    ] {
        let payload = vec![5u8; size];
        let limits = Limits { max_outbound_buffered: None, ..Limits::default() };
        let mut conn = Connection::new(role, limits, Duration::ZERO, [1; 32]);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(format!("send + write, {name}"), |b| {
            b.iter(|| {
                conn.send(false, black_box(&payload)).unwrap();
                let n = conn.pending_output().len();
                conn.consume_output(n);
            })
        });
    }
    group.finish();
}

/// A game state update of about 1.3 KB of JSON (the size of the Godot bench's median).
fn state_update(n: usize) -> Vec<u8> {
    let entities: Vec<String> = (0..12)
        .map(|i| {
            let id = (n * 7 + i * 13) % 64;
            format!(
                r#"{{"id":{id},"pos":[{:.2},{:.2},{:.2}],"vel":[{:.2},0.0,{:.2}],"hp":{},"state":"{}"}}"#,
                (n * 31 + i * 17) as f32 * 0.37 % 500.0,
                1.5,
                (n * 13 + i * 29) as f32 * 0.71 % 500.0,
                (i as f32 - 6.0) * 0.25,
                (n % 5) as f32 * 0.5,
                100 - (n + i) % 100,
                ["idle", "run", "jump", "attack"][(n + i) % 4]
            )
        })
        .collect();
    format!(r#"{{"tick":{n},"entities":[{}]}}"#, entities.join(",")).into_bytes()
}

fn deflate(c: &mut Criterion) {
    use ws_protocol::deflate::{MessageCompressor, MessageInflater};
    let updates: Vec<Vec<u8>> = (0..64).map(state_update).collect();
    let total: usize = updates.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("deflate");
    group.throughput(Throughput::Bytes(total as u64));
    for (name, no_context_takeover) in [("context takeover", false), ("no context takeover", true)] {
        let mut compressor = MessageCompressor::new(15, no_context_takeover);
        group.bench_function(format!("compress 64 state updates, {name}"), |b| {
            b.iter(|| {
                let mut wire = Vec::with_capacity(2048);
                for update in &updates {
                    wire.clear();
                    compressor.compress(black_box(update), &mut wire);
                }
            })
        });
        let mut sender = MessageCompressor::new(15, no_context_takeover);
        let compressed: Vec<Vec<u8>> = updates
            .iter()
            .map(|u| {
                let mut wire = Vec::new();
                sender.compress(u, &mut wire);
                wire
            })
            .collect();
        group.bench_function(format!("inflate 64 state updates, {name}"), |b| {
            b.iter(|| {
                let mut inflater = MessageInflater::new(15, no_context_takeover);
                for wire in &compressed {
                    let mut out = Vec::new();
                    inflater.inflate(black_box(wire), &mut out, 1 << 20).unwrap();
                    inflater.finish(&mut out, 1 << 20).unwrap();
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = mask, utf8, decode, encode, deflate
}
criterion_main!(benches);
