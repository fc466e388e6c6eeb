//! A proxy's URL: `http://[user:password@]host[:port]` or `https://…` (TLS to the
//! proxy). The credentials are kept out of every text this type produces.

use std::fmt;

use base64::Engine as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyScheme {
    Http,
    /// TLS to the proxy; the tunnel (and any TLS to the target) runs inside it.
    Https,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    pub scheme: ProxyScheme,
    /// Lowercased; IPv6 literals without brackets.
    pub host: String,
    pub port: u16,
    /// `user:password`, percent-decoded, for `Proxy-Authorization: Basic`.
    credentials: Option<String>,
}

/// Without the credentials: this is what logs, reasons and `{:?}` show.
impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            ProxyScheme::Http => "http",
            ProxyScheme::Https => "https",
        };
        let auth = if self.credentials.is_some() { "(credentials)@" } else { "" };
        if self.host.contains(':') {
            write!(f, "{scheme}://{auth}[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{auth}{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({self})")
    }
}

impl Proxy {
    /// Parses a proxy URL. A missing port is the scheme's (80, 443). Errors never
    /// quote the credentials.
    pub fn parse(text: &str) -> Result<Proxy, String> {
        let text = text.trim();
        let parsed = url::Url::parse(text).map_err(|e| format!("\"{}\" is not a URL ({e})", redacted(text)))?;
        let scheme = match parsed.scheme() {
            "http" => ProxyScheme::Http,
            "https" => ProxyScheme::Https,
            other => return Err(format!("unsupported proxy scheme \"{other}\" (use http:// or https://)")),
        };
        let host = match parsed.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string().to_ascii_lowercase(),
            None => return Err(format!("\"{}\" names no proxy host", redacted(text))),
        };
        if !matches!(parsed.path(), "" | "/") || parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(format!("\"{}\": a proxy URL has no path or query", redacted(text)));
        }
        let port = parsed.port_or_known_default().unwrap_or(80);
        let credentials = (!parsed.username().is_empty() || parsed.password().is_some()).then(|| {
            let user = percent_decode(parsed.username());
            let password = percent_decode(parsed.password().unwrap_or(""));
            format!("{user}:{password}")
        });
        Ok(Proxy { scheme, host, port, credentials })
    }

    /// The `Proxy-Authorization` value, when the URL carries credentials.
    pub fn authorization(&self) -> Option<String> {
        let credentials = self.credentials.as_ref()?;
        Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials)))
    }
}

/// `text` with any `user:password@` replaced, for error messages.
fn redacted(text: &str) -> String {
    let Some(scheme_end) = text.find("://").map(|at| at + 3) else { return text.to_string() };
    let authority_end = text[scheme_end..].find(['/', '?', '#']).map_or(text.len(), |at| scheme_end + at);
    match text[scheme_end..authority_end].rfind('@') {
        Some(at) => format!("{}(credentials)@{}", &text[..scheme_end], &text[scheme_end + at + 1..]),
        None => text.to_string(),
    }
}

/// `%40` → `@` and so on; invalid escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scheme_host_port_and_default_ports() {
        let p = Proxy::parse("http://Proxy.Example:3128").unwrap();
        assert_eq!((p.scheme, p.host.as_str(), p.port), (ProxyScheme::Http, "proxy.example", 3128));
        assert_eq!(Proxy::parse("http://proxy.example").unwrap().port, 80);
        assert_eq!(Proxy::parse("https://proxy.example/").unwrap().port, 443);
        let v6 = Proxy::parse("http://[::1]:8080").unwrap();
        assert_eq!((v6.host.as_str(), v6.to_string()), ("::1", "http://[::1]:8080".to_string()));
        assert_eq!(p.authorization(), None);
    }

    #[test]
    fn credentials_become_basic_authorization_and_never_show() {
        let p = Proxy::parse("http://us%40er:p%3Ass@proxy:3128").unwrap();
        // base64("us@er:p:ss")
        assert_eq!(p.authorization().as_deref(), Some("Basic dXNAZXI6cDpzcw=="));
        assert_eq!(p.to_string(), "http://(credentials)@proxy:3128");
        assert!(!format!("{p:?}").contains("p:ss") && !format!("{p:?}").contains("p%3Ass"));
        assert_eq!(Proxy::parse("http://user@proxy:1").unwrap().authorization().as_deref(), Some("Basic dXNlcjo="));
    }

    #[test]
    fn refuses_what_is_not_a_proxy_url_without_quoting_the_password() {
        for bad in [
            "socks5://u:hunter2@proxy:1080",
            "proxy:3128",
            "http://u:hunter2@proxy:3128/path",
            "http://u:hunter2@:99999",
        ] {
            let e = Proxy::parse(bad).unwrap_err();
            assert!(!e.contains("hunter2"), "{bad}: {e}");
        }
        assert!(Proxy::parse("ftp://proxy:21").unwrap_err().contains("unsupported proxy scheme \"ftp\""));
    }

    #[test]
    fn percent_decoding_keeps_invalid_escapes() {
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
    }
}
