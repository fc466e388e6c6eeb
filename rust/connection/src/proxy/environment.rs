//! The environment's proxy, for a game that opts in, with the rules curl follows:
//!
//! - `wss://` targets: `https_proxy`, then `HTTPS_PROXY`;
//! - `ws://` targets: `http_proxy` only in lower case (a CGI program gets
//!   `HTTP_PROXY` from a request's `Proxy:` header, so curl ignores it);
//! - either: then `all_proxy`, then `ALL_PROXY`.
//!
//! An empty variable counts as unset. `no_proxy` (else `NO_PROXY`) lists hosts that
//! are reached directly, comma-separated: `*` matches every host; a name matches
//! itself and every name under it (`example.com` and `.example.com` both match
//! `example.com` and `play.example.com`); an IP address matches itself, and
//! `10.0.0.0/8` or `fd00::/8` the addresses inside. Names compare without case; an
//! entry's `:port` restricts it to that port.

use std::net::IpAddr;

use ws_protocol::WsUrl;

use super::Proxy;
use crate::net::ip_network::IpNetwork;

/// The proxy the environment (`var`) names for `target`, `None` for a direct
/// connection; an error when the variable holds something unusable.
pub fn from_environment(target: &WsUrl, var: &dyn Fn(&str) -> Option<String>) -> Result<Option<Proxy>, String> {
    let set = |name: &str| var(name).filter(|value| !value.trim().is_empty()).map(|value| (name.to_string(), value));
    let names: &[&str] = if target.secure { &["https_proxy", "HTTPS_PROXY"] } else { &["http_proxy"] };
    let Some((name, value)) = names.iter().chain(&["all_proxy", "ALL_PROXY"]).find_map(|name| set(name)) else {
        return Ok(None);
    };
    let no_proxy = set("no_proxy").or_else(|| set("NO_PROXY")).map(|(_, list)| list).unwrap_or_default();
    if no_proxy_matches(&no_proxy, &target.host, target.port) {
        return Ok(None);
    }
    // curl takes a proxy without a scheme as http://.
    let value = value.trim();
    let url = if value.contains("://") { value.to_string() } else { format!("http://{value}") };
    Proxy::parse(&url).map(Some).map_err(|e| format!("{name}: {e}"))
}

/// Whether `host` (lowercase, IPv6 without brackets) on `port` is listed in `list`.
pub fn no_proxy_matches(list: &str, host: &str, port: u16) -> bool {
    list.split(',').map(str::trim).filter(|entry| !entry.is_empty()).any(|entry| entry_matches(entry, host, port))
}

fn entry_matches(entry: &str, host: &str, port: u16) -> bool {
    if entry == "*" {
        return true;
    }
    let (pattern, entry_port) = split_port(entry);
    if entry_port.is_some_and(|p| p != port) {
        return false;
    }
    let host_ip = host.parse::<IpAddr>().ok();
    if pattern.contains('/') || pattern.parse::<IpAddr>().is_ok() {
        return match (IpNetwork::parse(pattern), host_ip) {
            (Ok(network), Some(ip)) => network.contains(ip),
            _ => false,
        };
    }
    let name = pattern.trim_start_matches("*.").trim_start_matches('.').to_ascii_lowercase();
    !name.is_empty() && (host == name || host.ends_with(&format!(".{name}")))
}

/// `host:port`, `[v6]:port`, or no port (a bare IPv6 address has colons but no port).
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        if let Some((ip, after)) = rest.split_once(']') {
            return (ip, after.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
    }
    match entry.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => match port.parse() {
            Ok(port) => (name, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    fn proxy_for(url: &str, vars: &[(&str, &str)]) -> Option<String> {
        let target = WsUrl::parse(url).unwrap();
        from_environment(&target, &env(vars)).unwrap().map(|p| p.to_string())
    }

    #[test]
    fn picks_the_variable_for_the_scheme_then_all_proxy() {
        let vars =
            [("https_proxy", "http://tls-proxy:1"), ("http_proxy", "plain-proxy:2"), ("ALL_PROXY", "http://all:3")];
        assert_eq!(proxy_for("wss://game.test/", &vars).as_deref(), Some("http://tls-proxy:1"));
        assert_eq!(proxy_for("ws://game.test/", &vars).as_deref(), Some("http://plain-proxy:2"), "no scheme: http");
        assert_eq!(proxy_for("ws://game.test/", &vars[2..]).as_deref(), Some("http://all:3"));
        assert_eq!(proxy_for("ws://game.test/", &[]), None);
    }

    #[test]
    fn lower_case_first_uppercase_http_proxy_ignored_and_empty_counts_as_unset() {
        let vars = [("HTTPS_PROXY", "http://upper:1"), ("https_proxy", "http://lower:2")];
        assert_eq!(proxy_for("wss://game.test/", &vars).as_deref(), Some("http://lower:2"));
        assert_eq!(proxy_for("wss://game.test/", &vars[..1]).as_deref(), Some("http://upper:1"));
        assert_eq!(proxy_for("ws://game.test/", &[("HTTP_PROXY", "http://cgi:1")]), None);
        assert_eq!(
            proxy_for("wss://game.test/", &[("https_proxy", " "), ("all_proxy", "http://all:3")]).as_deref(),
            Some("http://all:3")
        );
    }

    #[test]
    fn no_proxy_sends_listed_hosts_direct() {
        let vars =
            [("http_proxy", "http://p:1"), ("no_proxy", "localhost, .example.com,10.0.0.0/8,::1, other.test:9000")];
        assert_eq!(proxy_for("ws://example.com/", &vars), None);
        assert_eq!(proxy_for("ws://play.example.com/", &vars), None);
        assert!(proxy_for("ws://notexample.com/", &vars).is_some());
        assert_eq!(proxy_for("ws://10.1.2.3/", &vars), None);
        assert!(proxy_for("ws://11.1.2.3/", &vars).is_some());
        assert_eq!(proxy_for("ws://[::1]:8000/", &vars), None);
        assert_eq!(proxy_for("ws://other.test:9000/", &vars), None);
        assert!(proxy_for("ws://other.test:9001/", &vars).is_some(), "the entry's port restricts it");
        assert_eq!(proxy_for("ws://LOCALHOST/", &vars), None);
        let upper = [("http_proxy", "http://p:1"), ("NO_PROXY", "*")];
        assert_eq!(proxy_for("ws://anything.test/", &upper), None);
    }

    #[test]
    fn an_unusable_variable_is_an_error_naming_it() {
        let target = WsUrl::parse("wss://game.test/").unwrap();
        let e = from_environment(&target, &env(&[("https_proxy", "socks5://u:pw@p:1080")])).unwrap_err();
        assert!(e.starts_with("https_proxy: unsupported proxy scheme"), "{e}");
    }

    #[test]
    fn cidr_and_ports_parse_strictly() {
        assert!(no_proxy_matches("192.168.0.0/16", "192.168.4.4", 80));
        assert!(!no_proxy_matches("192.168.0.0/16", "192.169.4.4", 80));
        assert!(no_proxy_matches("0.0.0.0/0", "8.8.8.8", 80));
        assert!(no_proxy_matches("fd00::/8", "fd12::1", 80));
        assert!(!no_proxy_matches("192.168.0.0/33", "192.168.4.4", 80));
        assert!(no_proxy_matches("[::1]:80", "::1", 80));
        assert!(!no_proxy_matches("[::1]:80", "::1", 81));
        assert!(!no_proxy_matches("", "game.test", 80));
    }
}
