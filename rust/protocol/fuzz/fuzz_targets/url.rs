//! Arbitrary UTF-8 into `WsUrl::parse`.
//!
//! Checked: no panic; an accepted URL has a host, a port other than 0 and a
//! resource starting with `/` without a fragment; its `Host` header is built;
//! writing it out and parsing it again gives the same URL; and the client
//! request made from it is one our own server reads back with the same target.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use ws_protocol::{ClientHandshake, ServerHandshake, WsUrl};

/// Known bug, reported and not yet fixed: `WsUrl::parse` keeps the resource as
/// given (rust/protocol/src/ws_url.rs) and `ClientHandshake::new` writes it into
/// the request line as is (handshake/client.rs), so a path holding a space, a
/// tab, CR/LF or another control character makes a malformed request, and with
/// CR/LF one with injected headers (`ws://h/x HTTP/1.1\r\nX-Injected: 1\r\nY:`).
/// While true, the request round trip is only checked for resources without
/// such bytes. Set to false once the URL is percent-encoded or refused.
const SKIP_KNOWN_REQUEST_LINE_BUG: bool = false;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let url = match WsUrl::parse(input) {
        Ok(url) => url,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert_ne!(url.port, 0, "{input:?}");
    assert!(!url.host.is_empty(), "{input:?}");
    assert!(url.resource.starts_with('/') && !url.resource.contains('#'), "{input:?} -> {url:?}");
    let host_header = url.host_header();
    assert!(!host_header.is_empty());

    let again = format!("{}://{}{}", if url.secure { "wss" } else { "ws" }, host_header, url.resource);
    assert_eq!(WsUrl::parse(&again).as_ref(), Ok(&url), "{input:?} -> {again:?} parses differently");

    if SKIP_KNOWN_REQUEST_LINE_BUG && url.resource.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return;
    }
    let (_, request) = ClientHandshake::new(&url, &[], &[], [7; 16], 8192, Duration::MAX).expect("a request is built");
    let mut server = ServerHandshake::new(1 << 20, Duration::MAX);
    let seen = server
        .receive(&request)
        .unwrap_or_else(|e| panic!("{input:?}: our server refuses the request made from it: {e}"))
        .expect("the request is complete");
    assert_eq!(seen.target, url.resource, "{input:?}: request target");
    assert_eq!(seen.host, host_header, "{input:?}: Host header");
    assert!(seen.leftover.is_empty(), "{input:?}: the URL adds bytes after the request");
});
