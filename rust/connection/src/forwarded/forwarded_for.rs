//! The client's address as an HTTP proxy (nginx, HAProxy in HTTP mode) passes it: the
//! last entry of `X-Forwarded-For`, or, when there is none, the last element's `for=`
//! in `Forwarded` (RFC 7239). The last one is what the proxy next to us saw; earlier
//! entries came from the client or proxies before it, which anyone can forge.
//! `X-Forwarded-For` first because it is what balancers add (HAProxy's `forwardfor`,
//! nginx's `$proxy_add_x_forwarded_for`); they pass a client's own `Forwarded` header
//! on untouched, so preferring it would let a client name any address.

use std::net::{IpAddr, SocketAddr};

use ws_protocol::handshake::Headers;

/// The client's address (port 0 when the header has none), when a header names one.
/// An unusable last entry (`unknown`, an obfuscated `_name`, garbage) gives `None`,
/// not an earlier entry.
pub fn client_address(headers: &Headers) -> Option<SocketAddr> {
    if let Some(entry) = last_value(headers, "x-forwarded-for") {
        return node_address(entry);
    }
    if let Some(element) = last_value(headers, "forwarded") {
        let node = element
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
            .map(|(_, value)| value.trim().trim_matches('"'))?;
        return node_address(node);
    }
    None
}

/// The last comma-separated entry of the last `name` header.
fn last_value<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    let value = headers.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(name))?.1.as_str();
    value.rsplit(',').map(str::trim).find(|entry| !entry.is_empty())
}

/// `192.0.2.7`, `192.0.2.7:4711`, `2001:db8::7`, `[2001:db8::7]:4711`.
fn node_address(node: &str) -> Option<SocketAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, 0));
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(addr);
    }
    // `[2001:db8::7]` without a port.
    let inner = node.strip_prefix('[')?.strip_suffix(']')?;
    inner.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    fn address(pairs: &[(&str, &str)]) -> Option<String> {
        client_address(&headers(pairs)).map(|a| a.to_string())
    }

    #[test]
    fn the_last_hop_of_x_forwarded_for() {
        assert_eq!(address(&[("X-Forwarded-For", "127.0.0.2")]).as_deref(), Some("127.0.0.2:0"));
        assert_eq!(
            address(&[("x-forwarded-for", "6.6.6.6, 127.0.0.3")]).as_deref(),
            Some("127.0.0.3:0"),
            "the forged first entry is ignored"
        );
        assert_eq!(
            address(&[("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "2001:db8::7")]).as_deref(),
            Some("[2001:db8::7]:0")
        );
        assert_eq!(address(&[("X-Forwarded-For", "1.2.3.4, unknown")]), None, "no falling back to an earlier entry");
        assert_eq!(address(&[("Host", "x")]), None);
    }

    #[test]
    fn forwarded_for_with_ports_quotes_and_brackets() {
        assert_eq!(
            address(&[("Forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43")]).as_deref(),
            Some("192.0.2.60:0")
        );
        assert_eq!(
            address(&[("Forwarded", "for=1.1.1.1, for=\"[2001:db8:cafe::17]:4711\"")]).as_deref(),
            Some("[2001:db8:cafe::17]:4711")
        );
        assert_eq!(address(&[("Forwarded", "For=\"192.0.2.7:8080\"")]).as_deref(), Some("192.0.2.7:8080"));
        assert_eq!(address(&[("Forwarded", "for=_hidden")]), None);
        // A balancer that adds X-Forwarded-For passes a client's own Forwarded on: it must not win.
        assert_eq!(
            address(&[("Forwarded", "for=6.6.6.6"), ("X-Forwarded-For", "1.2.3.4")]).as_deref(),
            Some("1.2.3.4:0")
        );
        assert_eq!(address(&[("Forwarded", "proto=http")]), None);
    }
}
