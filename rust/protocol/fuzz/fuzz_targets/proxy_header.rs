//! Arbitrary bytes into `proxy_header::read`, as a server reads the first bytes of a
//! connection from a trusted load balancer.
//!
//! Checked: no panic; a header found is no longer than the bytes; every shorter,
//! non-empty beginning of it reads as incomplete (a header split over reads is
//! waited for, never misread); the bytes after it are the same whatever follows.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ws_protocol::proxy_header::{read, ProxyHeader};

fuzz_target!(|data: &[u8]| {
    let Ok(ProxyHeader::Present { source, length }) = read(data) else { return };
    assert!(length <= data.len(), "{length} > {}", data.len());
    for cut in 1..length {
        assert_eq!(read(&data[..cut]), Ok(ProxyHeader::Incomplete), "cut at {cut} of {length}");
    }
    let mut longer = data[..length].to_vec();
    longer.extend_from_slice(b"GET / HTTP/1.1\r\n");
    assert_eq!(read(&longer), Ok(ProxyHeader::Present { source, length }), "what follows changes the header");
});
