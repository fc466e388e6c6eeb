//! The PROXY protocol (HAProxy's `send-proxy` and `send-proxy-v2`): a header a load
//! balancer sends before the client's bytes, naming the client's address. Sans-IO:
//! `read` takes the first bytes of a connection and says what they hold.
//! Version 1 is a text line (`PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n`, at
//! most 107 bytes); version 2 a 16-byte binary header (a 12-byte signature, version
//! and command, family, length) followed by the addresses and optional TLVs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const V1_PREFIX: &[u8] = b"PROXY ";
const V1_MAX: usize = 107;
const V2_SIGNATURE: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";
/// Most bytes of addresses and TLVs accepted after a version 2 header.
const V2_MAX_BODY: usize = 1024;

/// What the first bytes of a connection hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyHeader {
    /// Not a PROXY header: the bytes are the client's own (an HTTP request).
    Absent,
    /// Too few bytes to tell yet.
    Incomplete,
    /// A complete header, `length` bytes long. `source` is the client's address, or
    /// `None` when the balancer speaks for itself (v2 LOCAL, v1 UNKNOWN: its health checks).
    Present { source: Option<SocketAddr>, length: usize },
}

/// Reads a PROXY header at the start of `bytes`; an error names what is wrong with one
/// that is malformed or truncated beyond its limit.
pub fn read(bytes: &[u8]) -> Result<ProxyHeader, String> {
    if starts_like(bytes, V1_PREFIX) {
        return if bytes.len() < V1_PREFIX.len() { Ok(ProxyHeader::Incomplete) } else { read_v1(bytes) };
    }
    if starts_like(bytes, V2_SIGNATURE) {
        return if bytes.len() < V2_SIGNATURE.len() { Ok(ProxyHeader::Incomplete) } else { read_v2(bytes) };
    }
    Ok(ProxyHeader::Absent)
}

/// Whether `bytes` begin with `prefix`, or are a beginning of it.
fn starts_like(bytes: &[u8], prefix: &[u8]) -> bool {
    let n = bytes.len().min(prefix.len());
    bytes[..n] == prefix[..n] && !bytes.is_empty()
}

fn read_v1(bytes: &[u8]) -> Result<ProxyHeader, String> {
    let Some(end) = bytes.windows(2).take(V1_MAX - 1).position(|w| w == b"\r\n") else {
        return if bytes.len() >= V1_MAX {
            Err(format!("PROXY v1 header without its CRLF within {V1_MAX} bytes"))
        } else {
            Ok(ProxyHeader::Incomplete)
        };
    };
    let length = end + 2;
    let line = std::str::from_utf8(&bytes[..end]).map_err(|_| "PROXY v1 header is not text".to_string())?;
    let fields: Vec<&str> = line.split(' ').collect();
    match fields.as_slice() {
        ["PROXY", "UNKNOWN", ..] => Ok(ProxyHeader::Present { source: None, length }),
        ["PROXY", family @ ("TCP4" | "TCP6"), source, destination, source_port, destination_port] => {
            let v4 = *family == "TCP4";
            let address = |text: &str| -> Result<IpAddr, String> {
                let ip: IpAddr = text.parse().map_err(|_| format!("PROXY v1: \"{text}\" is not an address"))?;
                if ip.is_ipv4() != v4 {
                    return Err(format!("PROXY v1: {text} is not a {family} address"));
                }
                Ok(ip)
            };
            let port = |text: &str| -> Result<u16, String> {
                // Decimal without leading zeros, as the specification asks.
                match text.parse::<u16>() {
                    Ok(port) if !(text.len() > 1 && text.starts_with('0')) => Ok(port),
                    _ => Err(format!("PROXY v1: \"{text}\" is not a port")),
                }
            };
            let source = SocketAddr::new(address(source)?, port(source_port)?);
            address(destination)?;
            port(destination_port)?;
            Ok(ProxyHeader::Present { source: Some(source), length })
        }
        _ => Err(format!("malformed PROXY v1 header \"{}\"", line.escape_debug())),
    }
}

fn read_v2(bytes: &[u8]) -> Result<ProxyHeader, String> {
    if bytes.len() < 16 {
        return Ok(ProxyHeader::Incomplete);
    }
    let version_command = bytes[12];
    if version_command >> 4 != 2 {
        return Err(format!("PROXY v2 header with version {}", version_command >> 4));
    }
    let body = u16::from_be_bytes([bytes[14], bytes[15]]) as usize;
    if body > V2_MAX_BODY {
        return Err(format!("PROXY v2 header of {body} bytes (at most {V2_MAX_BODY})"));
    }
    let length = 16 + body;
    if bytes.len() < length {
        return Ok(ProxyHeader::Incomplete);
    }
    let addresses = &bytes[16..length];
    match version_command & 0x0f {
        // LOCAL: the balancer's own connection (a health check); the addresses are ignored.
        0x0 => return Ok(ProxyHeader::Present { source: None, length }),
        0x1 => {}
        command => return Err(format!("PROXY v2 header with command {command}")),
    }
    let source = match bytes[13] {
        // TCP over IPv4: source and destination addresses, then ports.
        0x11 if addresses.len() >= 12 => {
            let ip = Ipv4Addr::new(addresses[0], addresses[1], addresses[2], addresses[3]);
            Some(SocketAddr::new(ip.into(), u16::from_be_bytes([addresses[8], addresses[9]])))
        }
        0x21 if addresses.len() >= 36 => {
            let octets: [u8; 16] = addresses[..16].try_into().expect("16 bytes");
            Some(SocketAddr::new(Ipv6Addr::from(octets).into(), u16::from_be_bytes([addresses[32], addresses[33]])))
        }
        0x11 | 0x21 => return Err(format!("PROXY v2 header too short for its addresses ({} bytes)", addresses.len())),
        // UNSPEC, UDP, UNIX: no client address to report; the connection's own stands.
        _ => None,
    };
    Ok(ProxyHeader::Present { source, length })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
        let mut header = V2_SIGNATURE.to_vec();
        header.extend([0x20 | command, family]);
        header.extend((body.len() as u16).to_be_bytes());
        header.extend(body);
        header
    }

    #[test]
    fn version_1_for_both_families_and_unknown() {
        let line = b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\nGET / HTTP/1.1\r\n";
        assert_eq!(
            read(line),
            Ok(ProxyHeader::Present { source: Some("192.0.2.7:56324".parse().unwrap()), length: 45 })
        );
        let v6 = b"PROXY TCP6 2001:db8::7 2001:db8::1 4711 80\r\n";
        assert_eq!(
            read(v6),
            Ok(ProxyHeader::Present { source: Some("[2001:db8::7]:4711".parse().unwrap()), length: v6.len() })
        );
        assert_eq!(read(b"PROXY UNKNOWN\r\n"), Ok(ProxyHeader::Present { source: None, length: 15 }));
        assert_eq!(
            read(b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n")
                .map(|h| matches!(h, ProxyHeader::Present { source: None, .. })),
            Ok(true)
        );
    }

    #[test]
    fn version_2_proxy_local_and_tlvs() {
        let mut body = vec![192, 0, 2, 7, 198, 51, 100, 1];
        body.extend(56324u16.to_be_bytes());
        body.extend(443u16.to_be_bytes());
        body.extend([0x04, 0x00, 0x01, 0xAA]); // a TLV, skipped
        let header = v2(1, 0x11, &body);
        let mut bytes = header.clone();
        bytes.extend(b"GET /");
        assert_eq!(
            read(&bytes),
            Ok(ProxyHeader::Present { source: Some("192.0.2.7:56324".parse().unwrap()), length: header.len() })
        );
        let mut body6 = Vec::new();
        body6.extend("2001:db8::7".parse::<Ipv6Addr>().unwrap().octets());
        body6.extend([0; 16]);
        body6.extend(4711u16.to_be_bytes());
        body6.extend(80u16.to_be_bytes());
        assert_eq!(
            read(&v2(1, 0x21, &body6)).unwrap(),
            ProxyHeader::Present { source: Some("[2001:db8::7]:4711".parse().unwrap()), length: 52 }
        );
        assert_eq!(read(&v2(0, 0x00, &[])), Ok(ProxyHeader::Present { source: None, length: 16 }), "LOCAL");
        assert_eq!(read(&v2(1, 0x00, &[])), Ok(ProxyHeader::Present { source: None, length: 16 }), "UNSPEC");
    }

    #[test]
    fn an_http_request_is_not_a_header_and_short_beginnings_wait() {
        assert_eq!(read(b"GET / HTTP/1.1\r\n"), Ok(ProxyHeader::Absent));
        assert_eq!(read(b"\x16\x03\x01"), Ok(ProxyHeader::Absent), "a TLS hello");
        assert_eq!(read(b""), Ok(ProxyHeader::Absent));
        assert_eq!(read(b"PRO"), Ok(ProxyHeader::Incomplete));
        assert_eq!(read(b"PROXY TCP4 192.0.2.7"), Ok(ProxyHeader::Incomplete));
        assert_eq!(read(&V2_SIGNATURE[..5]), Ok(ProxyHeader::Incomplete));
        let full = v2(1, 0x11, &[0; 12]);
        assert_eq!(read(&full[..20]), Ok(ProxyHeader::Incomplete));
    }

    #[test]
    fn malformed_and_truncated_headers_are_errors() {
        for bad in [
            &b"PROXY TCP4 192.0.2.7 198.51.100.1 56324\r\n"[..],
            b"PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n",
            b"PROXY TCP4 192.0.2.7 198.51.100.1 056324 443\r\n",
            b"PROXY TCP4 192.0.2.7 198.51.100.1 65536 443\r\n",
            b"PROXY UDP4 192.0.2.7 198.51.100.1 1 2\r\n",
            b"PROXY TCP4  192.0.2.7 198.51.100.1 1 2\r\n",
        ] {
            assert!(read(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let endless = [b"PROXY ".as_slice(), &[b'a'; 200]].concat();
        assert!(read(&endless).unwrap_err().contains("CRLF"));
        assert!(read(&v2(1, 0x11, &[0; 8])).unwrap_err().contains("too short"));
        assert!(read(&v2(2, 0x11, &[0; 12])).unwrap_err().contains("command 2"));
        let mut wrong_version = v2(1, 0x11, &[0; 12]);
        wrong_version[12] = 0x31;
        assert!(read(&wrong_version).unwrap_err().contains("version 3"));
        let mut huge = v2(1, 0x11, &[]);
        huge[14..16].copy_from_slice(&5000u16.to_be_bytes());
        assert!(read(&huge).unwrap_err().contains("5000 bytes"));
    }
}
