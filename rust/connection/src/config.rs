//! How connections are set up: the settings both Godot classes share, in plain Rust,
//! and the protocol core's limits they become.

use std::time::Duration;

use ws_protocol::deflate::DeflateConfig;
use ws_protocol::Limits;

use crate::net::ip_network::IpNetwork;
use crate::tls::TlsPolicy;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Subprotocols offered (client) or accepted (server), surrounding blanks removed.
    pub supported_protocols: Vec<String>,
    /// Extra `Name: value` lines sent with the handshake request or response.
    pub handshake_headers: Vec<String>,
    /// Largest message accepted, and the most bytes of unread messages kept before
    /// reading pauses. Read when a connection opens.
    pub inbound_buffer_size: i32,
    /// Most payload bytes queued for sending; 0 or less means no limit.
    pub outbound_buffer_size: i32,
    /// Most messages queued in each direction.
    pub max_queued_packets: i32,
    /// permessage-deflate: a client offers it, a server accepts offers.
    pub compression_enabled: bool,
    /// The zlib level this end compresses with (0-9; default 6). Read when a connection opens.
    pub compression_level: u32,
    /// Between automatic pings; zero disables them. Read on every poll.
    pub heartbeat_interval: Duration,
    /// How long a client's TCP connect may take, all addresses together. Read when connecting.
    pub connect_timeout: Duration,
    /// A client's proxy: empty for none, else `http://[user:password@]host:port` or
    /// `https://…` (proxy/). Read when connecting.
    pub proxy_url: String,
    /// With no `proxy_url`, take the proxy from `https_proxy` and friends (proxy/environment.rs).
    pub proxy_from_environment: bool,
    /// Which certificates an `https://` proxy may present.
    pub proxy_trust: TlsPolicy,
    /// A server's load balancers: from these, a PROXY protocol header or forwarded
    /// headers give the player's address (forwarded/). Empty: nobody is trusted.
    pub trusted_proxies: Vec<IpNetwork>,
    /// A server answers a plain HTTP `GET` (or `HEAD`) of this path with `200 OK`, for
    /// a balancer's health checks; empty for none.
    pub health_check_path: String,
}

impl Default for Config {
    /// The engine's defaults.
    fn default() -> Self {
        Config {
            supported_protocols: Vec::new(),
            handshake_headers: Vec::new(),
            inbound_buffer_size: 65535,
            outbound_buffer_size: 65535,
            max_queued_packets: 4096,
            compression_enabled: false,
            compression_level: ws_protocol::deflate::DEFAULT_LEVEL,
            heartbeat_interval: Duration::ZERO,
            connect_timeout: Duration::from_secs(30),
            proxy_url: String::new(),
            proxy_from_environment: false,
            proxy_trust: TlsPolicy::Default { bundle_pem: None, name_override: None },
            trusted_proxies: Vec::new(),
            health_check_path: String::new(),
        }
    }
}

impl Config {
    /// Limits for a connection opening now. The inbound size bounds one message
    /// and the bytes of unread messages.
    pub fn limits(&self) -> Limits {
        let inbound = self.inbound_buffer_size.max(1) as usize;
        Limits {
            max_message_size: inbound,
            max_inbound_buffered: inbound,
            max_queued_messages: self.max_queued_packets.max(1) as usize,
            max_outbound_buffered: self.outbound_limit(),
            ..Limits::default()
        }
    }

    /// Applies what may change on an open connection: the outbound limit and the
    /// message queue (the inbound size is fixed once a connection opens).
    pub fn update_live_limits(&self, limits: &mut Limits) {
        limits.max_outbound_buffered = self.outbound_limit();
        limits.max_queued_messages = self.max_queued_packets.max(1) as usize;
    }

    /// `outbound_buffer_size` as a limit: 0 or less means none.
    pub fn outbound_limit(&self) -> Option<usize> {
        (self.outbound_buffer_size > 0).then_some(self.outbound_buffer_size as usize)
    }

    /// permessage-deflate with the defaults, when enabled: what a client offers and
    /// what a server accepts.
    pub fn deflate(&self) -> Option<DeflateConfig> {
        self.compression_enabled.then(DeflateConfig::default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_settings_and_zero_outbound_is_unlimited() {
        let mut config = Config { inbound_buffer_size: 1000, max_queued_packets: 7, ..Config::default() };
        let limits = config.limits();
        assert_eq!((limits.max_message_size, limits.max_inbound_buffered), (1000, 1000));
        assert_eq!(limits.max_queued_messages, 7);
        assert_eq!(limits.max_outbound_buffered, Some(65535));
        config.outbound_buffer_size = 0;
        config.max_queued_packets = 9;
        let mut live = limits.clone();
        config.update_live_limits(&mut live);
        assert_eq!((live.max_outbound_buffered, live.max_queued_messages), (None, 9));
        assert_eq!(live.max_message_size, 1000, "fixed once open");
        assert_eq!(config.deflate(), None);
        config.compression_enabled = true;
        assert_eq!(config.deflate(), Some(DeflateConfig::default()));
    }
}
