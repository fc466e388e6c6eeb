//! Successful name lookups, kept for a short while: a game that reconnects, or opens
//! several connections to one server, connects at once instead of waiting a frame
//! for a lookup thread. Bounded in age and size (the engine keeps every name for the
//! process's lifetime, so a server that moves is never found again, E25).

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

/// How long a lookup's addresses are reused. getaddrinfo hides the record's own TTL;
/// 30 s is below the TTL of most records, so a moved server is found as soon as a
/// caching resolver would find it.
pub const TTL: Duration = Duration::from_secs(30);
/// Most names kept; the oldest goes first.
pub const CAPACITY: usize = 32;

struct Entry {
    host: String,
    addrs: Vec<IpAddr>,
    expires: Duration,
}

/// The cache itself; times are the library clock's (`clock::now()`).
#[derive(Default)]
pub struct DnsCache {
    /// Oldest first.
    entries: Vec<Entry>,
}

impl DnsCache {
    pub const fn new() -> DnsCache {
        DnsCache { entries: Vec::new() }
    }

    /// The addresses of `host` (lowercase, as `WsUrl` gives it) with `port`, if a
    /// lookup found them less than `TTL` ago.
    pub fn get(&mut self, host: &str, port: u16, now: Duration) -> Option<Vec<SocketAddr>> {
        self.entries.retain(|e| e.expires > now);
        let entry = self.entries.iter().find(|e| e.host == host)?;
        Some(entry.addrs.iter().map(|ip| SocketAddr::new(*ip, port)).collect())
    }

    /// Keeps what a lookup of `host` returned (nothing when it returned nothing).
    pub fn insert(&mut self, host: &str, addrs: &[SocketAddr], now: Duration) {
        self.forget(host);
        if addrs.is_empty() {
            return;
        }
        if self.entries.len() >= CAPACITY {
            self.entries.remove(0);
        }
        let addrs = addrs.iter().map(SocketAddr::ip).collect();
        self.entries.push(Entry { host: host.to_string(), addrs, expires: now + TTL });
    }

    /// Drops `host`, e.g. when none of its cached addresses accepted a connection.
    pub fn forget(&mut self, host: &str) {
        self.entries.retain(|e| e.host != host);
    }
}

/// The process's cache, shared by every peer (lookups finish on the thread that polls).
static SHARED: Mutex<DnsCache> = Mutex::new(DnsCache::new());

fn shared<R>(f: impl FnOnce(&mut DnsCache) -> R) -> R {
    // A panic while holding the lock cannot leave the cache inconsistent: keep using it.
    let mut cache = SHARED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&mut cache)
}

pub fn cached(host: &str, port: u16, now: Duration) -> Option<Vec<SocketAddr>> {
    shared(|cache| cache.get(host, port, now))
}

pub fn remember(host: &str, addrs: &[SocketAddr], now: Duration) {
    shared(|cache| cache.insert(host, addrs, now))
}

pub fn forget(host: &str) {
    shared(|cache| cache.forget(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_lookup_is_reused_with_any_port_until_its_ttl_ends() {
        let mut cache = DnsCache::new();
        let t0 = Duration::from_secs(100);
        cache.insert("example.test", &[addr("192.0.2.1:80"), addr("[2001:db8::1]:80")], t0);
        assert_eq!(
            cache.get("example.test", 9080, t0 + TTL - Duration::from_millis(1)),
            Some(vec![addr("192.0.2.1:9080"), addr("[2001:db8::1]:9080")])
        );
        assert_eq!(cache.get("example.test", 9080, t0 + TTL), None);
        assert!(cache.entries.is_empty(), "expired entries are dropped");
        assert_eq!(cache.get("other.test", 80, t0), None);
    }

    #[test]
    fn holds_at_most_capacity_names_dropping_the_oldest() {
        let mut cache = DnsCache::new();
        let now = Duration::from_secs(1);
        for i in 0..CAPACITY + 5 {
            cache.insert(&format!("host{i}.test"), &[addr("192.0.2.1:80")], now);
        }
        assert_eq!(cache.entries.len(), CAPACITY);
        assert_eq!(cache.get("host0.test", 80, now), None);
        assert_eq!(cache.get("host4.test", 80, now), None);
        assert!(cache.get("host5.test", 80, now).is_some());
        assert!(cache.get(&format!("host{}.test", CAPACITY + 4), 80, now).is_some());
    }

    #[test]
    fn a_new_lookup_replaces_the_old_one_and_forget_drops_it() {
        let mut cache = DnsCache::new();
        let now = Duration::from_secs(1);
        cache.insert("a.test", &[addr("192.0.2.1:80")], now);
        cache.insert("a.test", &[addr("192.0.2.2:80")], now + Duration::from_secs(20));
        // The second lookup's TTL counts from its own time.
        assert_eq!(cache.get("a.test", 80, now + TTL + Duration::from_secs(1)), Some(vec![addr("192.0.2.2:80")]));
        cache.forget("a.test");
        assert_eq!(cache.get("a.test", 80, now), None);
        cache.insert("a.test", &[], now);
        assert_eq!(cache.get("a.test", 80, now), None, "an empty answer is not kept");
    }
}
