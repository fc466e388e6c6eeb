//! The JSON state stream of `godot-project/bench/json_stream_bench.gd` on a limited
//! link, at several zlib levels: what `scripts/bench --link` runs beside the Godot
//! rows, inside the same network namespace, to show whether a compression level
//! setting would pay off. The Godot classes compress at the default level (6); this
//! drives the same connections (ws-connection) at levels 1, 6 and 9 and uncompressed.
//!
//!   link_levels --updates=FILE --link=LABEL --json=OUT [--seconds=S] [--rounds=N]
//!
//! FILE holds the updates, one per line (bench.gd --updates-out). As in the Godot rows:
//! server -> client over 127.0.0.1, at most WINDOW updates in flight, both ends polled
//! in one loop; msg/s, bytes per update on the loopback (its tx bytes), latency from
//! send to the client's pop, median and 99th percentile. A measuring aid: not shipped.
//! Linux only (it reads the loopback's counters).

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use ws_connection::net::listener::Listener;
use ws_connection::{clock, Config, ReadyState, Transport, WebSocket, Write};

const WINDOW: usize = 32;
/// (label, compression level; None for no compression)
const VARIANTS: [(&str, Option<u32>); 4] =
    [("plain", None), ("deflate level 1", Some(1)), ("deflate level 6", Some(6)), ("deflate level 9", Some(9))];

fn main() {
    let mut updates_path = String::new();
    let (mut link, mut json, mut seconds, mut rounds) = (String::new(), String::new(), 3.0_f64, 3_usize);
    for arg in std::env::args().skip(1) {
        match arg.split_once('=') {
            Some(("--updates", v)) => updates_path = v.to_string(),
            Some(("--link", v)) => link = v.to_string(),
            Some(("--json", v)) => json = v.to_string(),
            Some(("--seconds", v)) => seconds = v.parse().expect("--seconds=S"),
            Some(("--rounds", v)) => rounds = v.parse().expect("--rounds=N"),
            _ => fail(&format!(
                "unknown argument {arg} (use --updates=FILE --link=LABEL --json=OUT [--seconds=S] [--rounds=N])"
            )),
        }
    }
    if updates_path.is_empty() || json.is_empty() {
        fail("--updates and --json are required");
    }
    let text = std::fs::read_to_string(&updates_path).unwrap_or_else(|e| fail(&format!("{updates_path}: {e}")));
    let updates: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let mut rows = Vec::new();
    for (label, level) in VARIANTS {
        let runs: Vec<Run> = (0..rounds).map(|_| measure(&updates, level, seconds)).collect();
        let median = |f: fn(&Run) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (rate, bytes, p50, p99) =
            (median(|r| r.msgs_per_s), median(|r| r.bytes_per_msg), median(|r| r.p50_ms), median(|r| r.p99_ms));
        println!("[link_levels] {link} {label}: {rate:.0} msg/s, {bytes:.0} B/update, latency {p50:.1} ms median, {p99:.1} ms p99");
        rows.push(format!(
            "{{\"variant\": \"{label}\", \"level\": {}, \"msgs_per_s\": {rate:.1}, \"bytes_per_msg\": {bytes:.1}, \"latency_p50_ms\": {p50:.2}, \"latency_p99_ms\": {p99:.2}, \"rounds\": {rounds}}}",
            level.map_or("null".to_string(), |l| l.to_string())
        ));
    }
    let doc = format!(
        "{{\"link\": \"{link}\", \"window\": {WINDOW}, \"seconds\": {seconds}, \"updates\": {}, \"rows\": [\n  {}\n]}}\n",
        updates.len(),
        rows.join(",\n  ")
    );
    std::fs::write(&json, doc).unwrap_or_else(|e| fail(&format!("{json}: {e}")));
}

struct Run {
    msgs_per_s: f64,
    bytes_per_msg: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn measure(updates: &[&str], level: Option<u32>, seconds: f64) -> Run {
    let config = Config {
        compression_enabled: level.is_some(),
        compression_level: level.unwrap_or(6),
        inbound_buffer_size: 4 << 20,
        outbound_buffer_size: 0,
        ..Config::default()
    };
    let (mut client, mut server) = open_pair(&config);
    let mut sent_at = [Instant::now(); WINDOW];
    let mut latencies = Vec::new();
    let (mut sent, mut got) = (0, 0);
    let tx_before = loopback_tx_bytes();
    let start = Instant::now();
    let stop = start + Duration::from_secs_f64(seconds);
    loop {
        let now = clock::now();
        server.poll(&config, now);
        client.poll(&config, now);
        while let Some(message) = client.pop_message() {
            latencies.push(sent_at[got % WINDOW].elapsed());
            assert_eq!(message.data, updates[got % updates.len()].as_bytes(), "update {got} changed");
            got += 1;
        }
        if Instant::now() < stop {
            while sent - got < WINDOW {
                server.send(true, updates[sent % updates.len()].as_bytes(), Write::Now).expect("send");
                sent_at[sent % WINDOW] = Instant::now();
                sent += 1;
            }
        } else if got == sent {
            break;
        }
        assert_eq!((client.ready_state(), server.ready_state()), (ReadyState::Open, ReadyState::Open), "left OPEN");
        assert!(start.elapsed() < Duration::from_secs_f64(seconds + 30.0), "stalled: {got} of {sent}");
    }
    let elapsed = start.elapsed().as_secs_f64();
    let bytes = loopback_tx_bytes() - tx_before;
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Run {
        msgs_per_s: got as f64 / elapsed,
        bytes_per_msg: bytes as f64 / got as f64,
        p50_ms: ms(latencies[latencies.len() / 2]),
        p99_ms: ms(latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)]),
    }
}

/// A client and a server of ours over 127.0.0.1, both OPEN.
fn open_pair(config: &Config) -> (WebSocket, WebSocket) {
    let listener = Listener::bind(Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), 0).expect("listen");
    let url = format!("ws://127.0.0.1:{}/json-link", listener.local_addr().unwrap().port());
    let mut client = WebSocket::new();
    client.connect(&url, |_| Err("no TLS".into()), config, clock::now()).expect("connect");
    let mut server = WebSocket::new();
    let mut accepted = false;
    let start = Instant::now();
    while client.ready_state() != ReadyState::Open || server.ready_state() != ReadyState::Open {
        let now = clock::now();
        client.poll(config, now);
        if let Some(stream) = (!accepted).then(|| listener.accept()).flatten() {
            server.accept(Transport::tcp(stream), config, now);
            accepted = true;
        }
        server.poll(config, now);
        assert!(start.elapsed() < Duration::from_secs(10), "the pair did not open: {:?}", client.failure());
    }
    (client, server)
}

/// Bytes the loopback has sent, from /proc/net/dev: it shows this process's network
/// namespace (/sys/class/net shows the one /sys was mounted in).
fn loopback_tx_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/net/dev").unwrap_or_else(|e| fail(&format!("/proc/net/dev: {e}")));
    let line = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("lo:"))
        .unwrap_or_else(|| fail("no lo in /proc/net/dev"));
    // rx bytes, packets, errs, drop, fifo, frame, compressed, multicast, then tx bytes.
    line.split_whitespace().nth(8).and_then(|v| v.parse().ok()).unwrap_or_else(|| fail("unreadable lo line"))
}

fn fail(why: &str) -> ! {
    eprintln!("link_levels: {why}");
    std::process::exit(2)
}
