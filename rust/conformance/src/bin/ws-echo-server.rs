//! Echo server for `wstest -m fuzzingclient`: `ws-echo-server <port>`, bound to 127.0.0.1.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use ws_conformance::{conformance_limits, now, run_connection};
use ws_protocol::deflate::DeflateConfig;
use ws_protocol::{Connection, Role, ServerHandshake};

fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    let start = Instant::now();
    let limits = conformance_limits();
    let mut handshake = ServerHandshake::new(limits.max_handshake_bytes, now(start) + limits.handshake_timeout);
    let mut buf = [0u8; 4096];
    let request = loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        match handshake.receive(&buf[..n]) {
            Ok(Some(request)) => break request,
            Ok(None) => {}
            Err(e) => {
                eprintln!("handshake refused: {e}");
                if let Some(response) = e.http_response() {
                    stream.write_all(&response)?;
                }
                return Ok(());
            }
        }
    };
    // permessage-deflate is accepted whenever offered acceptably (RFC 7692).
    let answer =
        request.accept(&[], Some(&DeflateConfig::default()), &[]).expect("no protocols or extra headers configured");
    stream.write_all(&answer.response)?;
    let mut conn = Connection::new(Role::Server, limits, now(start), [0; 32]);
    if let Some(params) = answer.deflate {
        conn.enable_deflate(params);
    }
    conn.receive(&request.leftover, now(start));
    run_connection(&mut stream, &mut conn, start, |conn, message| {
        let _ = conn.send(message.is_text, &message.data);
    })?;
    Ok(())
}

fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).expect("usage: ws-echo-server <port>");
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind 127.0.0.1");
    eprintln!("ws-echo-server listening on 127.0.0.1:{port}");
    for stream in listener.incoming().flatten() {
        let _ = stream.set_nodelay(true);
        std::thread::spawn(move || {
            if let Err(e) = serve(stream) {
                eprintln!("connection error: {e}");
            }
        });
    }
}
