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

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = mask, utf8, decode, encode
}
criterion_main!(benches);
