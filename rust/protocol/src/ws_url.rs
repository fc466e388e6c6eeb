//! `ws://` and `wss://` URLs, read with the engine's rules: no scheme means
//! `ws://`, the fragment and user info are dropped, the path keeps its query.

use std::fmt;

/// A parsed WebSocket URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsUrl {
    pub secure: bool,
    /// Lowercased; IPv6 literals without brackets.
    pub host: String,
    pub port: u16,
    /// Path and query as given; `/` when empty.
    pub resource: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlError {
    Empty,
    /// A scheme other than `ws` or `wss`.
    UnsupportedScheme(String),
    MissingHost,
    InvalidHost(String),
    InvalidPort(String),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Empty => f.write_str("empty URL"),
            UrlError::UnsupportedScheme(s) => write!(f, "invalid protocol \"{s}\" (use ws:// or wss://)"),
            UrlError::MissingHost => f.write_str("URL has no host"),
            UrlError::InvalidHost(h) => write!(f, "invalid host \"{h}\""),
            UrlError::InvalidPort(p) => write!(f, "invalid port \"{p}\" (1-65535)"),
        }
    }
}

impl std::error::Error for UrlError {}

impl WsUrl {
    pub fn parse(input: &str) -> Result<WsUrl, UrlError> {
        if input.is_empty() {
            return Err(UrlError::Empty);
        }
        let (scheme, rest) = match input.find("://") {
            Some(i) if is_scheme(&input[..i]) => (input[..i].to_ascii_lowercase(), &input[i + 3..]),
            _ => ("ws".to_string(), input),
        };
        let secure = match scheme.as_str() {
            "ws" => false,
            "wss" => true,
            _ => return Err(UrlError::UnsupportedScheme(scheme)),
        };
        let rest = rest.split('#').next().unwrap_or("");
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, resource) = rest.split_at(authority_end);
        let resource = match resource {
            "" => "/".to_string(),
            r if r.starts_with('?') => format!("/{}", percent_encode_unsafe(r)),
            r => percent_encode_unsafe(r),
        };
        // User info is dropped, as by the engine (no Authorization header is made from it).
        let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return Err(UrlError::MissingHost);
        }
        let parsed = if host.contains(':') { url::Host::parse(&format!("[{host}]")) } else { url::Host::parse(host) };
        let host = match parsed.map_err(|_| UrlError::InvalidHost(host.to_string()))? {
            url::Host::Domain(d) => d.to_ascii_lowercase(),
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => ip.to_string(),
        };
        let port = match port {
            None => {
                if secure {
                    443
                } else {
                    80
                }
            }
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| UrlError::InvalidPort(p.to_string()))?,
        };
        Ok(WsUrl { secure, host, port, resource })
    }

    pub fn is_ipv6(&self) -> bool {
        self.host.contains(':')
    }

    /// The `Host` header value: IPv6 bracketed (engine bug §13.9 leaves it bare),
    /// the port omitted when it is the scheme's default.
    pub fn host_header(&self) -> String {
        let host = if self.is_ipv6() { format!("[{}]", self.host) } else { self.host.clone() };
        let default_port = if self.secure { 443 } else { 80 };
        if self.port == default_port {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// Percent-encodes every byte that may not appear raw in a request line:
/// controls, space, DEL and non-ASCII. Without this a URL such as
/// `ws://h/x HTTP/1.1\r\nX-Injected: 1` would add headers to the request.
fn percent_encode_unsafe(resource: &str) -> String {
    let mut out = String::with_capacity(resource.len());
    for &b in resource.as_bytes() {
        if (0x21..=0x7e).contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn is_scheme(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
}

/// Splits `host[:port]` or `[v6][:port]`. A bare host with several colons is an error.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), UrlError> {
    if let Some(inner) = authority.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or_else(|| UrlError::InvalidHost(authority.to_string()))?;
        return match after {
            "" => Ok((host, None)),
            a => match a.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(UrlError::InvalidHost(authority.to_string())),
            },
        };
    }
    match authority.matches(':').count() {
        0 => Ok((authority, None)),
        1 => {
            let (host, port) = authority.split_once(':').expect("one colon");
            Ok((host, Some(port)))
        }
        _ => Err(UrlError::InvalidHost(authority.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(secure: bool, host: &str, port: u16, resource: &str) -> WsUrl {
        WsUrl { secure, host: host.into(), port, resource: resource.into() }
    }

    #[test]
    fn accepts_what_the_engine_accepts() {
        assert_eq!(WsUrl::parse("ws://example.com").unwrap(), url(false, "example.com", 80, "/"));
        assert_eq!(WsUrl::parse("wss://Example.COM").unwrap(), url(true, "example.com", 443, "/"));
        assert_eq!(
            WsUrl::parse("WS://h:8080/chat/room?x=1&y=%20z#frag").unwrap(),
            url(false, "h", 8080, "/chat/room?x=1&y=%20z")
        );
        assert_eq!(WsUrl::parse("abc").unwrap(), url(false, "abc", 80, "/"));
        assert_eq!(WsUrl::parse("127.0.0.1:1").unwrap(), url(false, "127.0.0.1", 1, "/"));
        assert_eq!(WsUrl::parse("ws://user:pass@h:9/p").unwrap(), url(false, "h", 9, "/p"));
        assert_eq!(WsUrl::parse("ws://[::1]:8080/").unwrap(), url(false, "::1", 8080, "/"));
        assert_eq!(WsUrl::parse("ws://h?q=1").unwrap(), url(false, "h", 80, "/?q=1"));
    }

    #[test]
    fn rejects_what_the_engine_rejects() {
        for bad in [
            "",
            "http://h",
            "ftp://h",
            "ws://",
            "ws://:8080",
            "ws://a:b:c",
            "ws://h:0",
            "ws://h:65536",
            "ws://h:",
            "ws://[::1",
            "ws:/127.0.0.1",
        ] {
            assert!(WsUrl::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(WsUrl::parse("http://h"), Err(UrlError::UnsupportedScheme("http".into())));
    }

    #[test]
    fn the_resource_cannot_inject_into_the_request_line() {
        let url = WsUrl::parse("ws://h/x HTTP/1.1\r\nX-Injected: 1\r\nY:").unwrap();
        assert_eq!(url.resource, "/x%20HTTP/1.1%0D%0AX-Injected:%201%0D%0AY:");
        assert_eq!(WsUrl::parse("ws://h/caf\u{e9}?q=a b").unwrap().resource, "/caf%C3%A9?q=a%20b");
        assert_eq!(WsUrl::parse("ws://h/ok%20already?x=1&y=2").unwrap().resource, "/ok%20already?x=1&y=2");
    }

    #[test]
    fn host_header_brackets_ipv6_and_omits_default_ports() {
        assert_eq!(WsUrl::parse("ws://[::1]:8080").unwrap().host_header(), "[::1]:8080");
        assert_eq!(WsUrl::parse("ws://127.0.0.1:80/a").unwrap().host_header(), "127.0.0.1");
        assert_eq!(WsUrl::parse("wss://h:443").unwrap().host_header(), "h");
        assert_eq!(WsUrl::parse("wss://h:80").unwrap().host_header(), "h:80");
    }
}
