//! Echo client for `wstest -m fuzzingserver`:
//! `ws-echo-client <base-ws-url> <agent>` runs every case, then updates the reports.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use ws_conformance::{conformance_limits, now, random, run_connection};
use ws_protocol::deflate::DeflateConfig;
use ws_protocol::{ClientHandshake, Connection, Message, Role, WsUrl};

/// Opens `url`, runs the connection to its end and returns the messages received
/// (echoing each one back when `echo`).
fn session(url: &str, echo: bool) -> Result<Vec<Message>, String> {
    let start = Instant::now();
    let target = WsUrl::parse(url).map_err(|e| e.to_string())?;
    let mut stream = TcpStream::connect((target.host.as_str(), target.port)).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let limits = conformance_limits();
    let deadline = now(start) + limits.handshake_timeout;
    let (mut handshake, request) = ClientHandshake::with_deflate(
        &target,
        &[],
        &[],
        random(),
        limits.max_handshake_bytes,
        deadline,
        Some(DeflateConfig::default()),
    )
    .map_err(|e| e.to_string())?;
    stream.write_all(&request).map_err(|e| e.to_string())?;
    let mut buf = [0u8; 4096];
    let outcome = loop {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed during the handshake".into());
        }
        if let Some(outcome) = handshake.receive(&buf[..n]).map_err(|e| e.to_string())? {
            break outcome;
        }
    };
    let mut conn = Connection::new(Role::Client, limits, now(start), random());
    if let Some(params) = outcome.deflate {
        conn.enable_deflate(params);
    }
    conn.receive(&outcome.leftover, now(start));
    let mut received = Vec::new();
    run_connection(&mut stream, &mut conn, start, |conn, message| {
        if echo {
            let _ = conn.send(message.is_text, &message.data);
        } else {
            received.push(message);
        }
    })
    .map_err(|e| e.to_string())?;
    Ok(received)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(base), Some(agent)) = (args.next(), args.next()) else {
        eprintln!("usage: ws-echo-client <base-ws-url> <agent>");
        std::process::exit(2);
    };
    let count_messages = session(&format!("{base}/getCaseCount"), false).expect("getCaseCount");
    let count: u32 = count_messages
        .first()
        .and_then(|m| std::str::from_utf8(&m.data).ok())
        .and_then(|t| t.trim().parse().ok())
        .expect("case count message");
    eprintln!("ws-echo-client: {count} cases");
    for case in 1..=count {
        if let Err(e) = session(&format!("{base}/runCase?case={case}&agent={agent}"), true) {
            eprintln!("case {case}: {e}");
        }
    }
    session(&format!("{base}/updateReports?agent={agent}"), false).expect("updateReports");
    eprintln!("ws-echo-client: done");
}
