//! The settings both classes share, in one implementation: `supported_protocols`,
//! `handshake_headers`, `inbound_buffer_size`, `outbound_buffer_size` and
//! `max_queued_packets`, `proxy_url`, `proxy_from_environment`, `trusted_proxies` and
//! `health_check_path` (and the peer's
//! `heartbeat_interval` and `compression_enabled`), with their checks and error lines. Each class holds one
//! block and forwards its property accessors here. The values live in the
//! connection crate's `Config`, which every connection starts and polls with.

use godot::prelude::*;
use ws_connection::net::ip_network::IpNetwork;
use ws_connection::tls::TlsPolicy;
use ws_connection::Config;

use crate::engine::log::Log;
use crate::engine::project_settings;

pub struct Settings {
    config: Config,
    /// `trusted_proxies` as the game wrote it (the config holds them parsed).
    trusted_proxies: PackedStringArray,
    log: Log,
}

impl Settings {
    /// The engine's defaults; errors are logged as `log`'s class.
    pub fn new(log: Log) -> Settings {
        Settings::with(Config::default(), log)
    }

    /// `config`'s values; errors are logged as `log`'s class.
    pub fn with(config: Config, log: Log) -> Settings {
        let trusted_proxies = config.trusted_proxies.iter().map(|n| GString::from(&n.to_string())).collect();
        Settings { config, trusted_proxies, log }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The config for a client connection starting now, with the engine's TCP
    /// connect timeout as the project sets it, and the certificates an `https://`
    /// proxy may present (the project's bundle override, as for `wss://`), read
    /// only when a proxy may be used.
    pub fn config_for_connect(&mut self) -> Result<&Config, String> {
        self.config.connect_timeout = project_settings::connect_timeout();
        if !self.config.proxy_url.is_empty() || self.config.proxy_from_environment {
            let bundle_pem = project_settings::certificate_bundle_override()?;
            self.config.proxy_trust = TlsPolicy::Default { bundle_pem, name_override: None };
        }
        Ok(&self.config)
    }

    pub fn supported_protocols(&self) -> PackedStringArray {
        self.config.supported_protocols.iter().map(GString::from).collect()
    }

    /// Kept as the engine keeps them: surrounding blanks removed.
    pub fn set_supported_protocols(&mut self, protocols: &PackedStringArray) {
        self.config.supported_protocols =
            protocols.as_slice().iter().map(|p| p.to_string().trim().to_string()).collect();
    }

    pub fn handshake_headers(&self) -> PackedStringArray {
        self.config.handshake_headers.iter().map(GString::from).collect()
    }

    pub fn set_handshake_headers(&mut self, headers: &PackedStringArray) {
        self.config.handshake_headers = headers.as_slice().iter().map(GString::to_string).collect();
    }

    pub fn inbound_buffer_size(&self) -> i32 {
        self.config.inbound_buffer_size
    }

    /// Read when a connection opens.
    #[track_caller]
    pub fn set_inbound_buffer_size(&mut self, size: i32) {
        if let Some(size) =
            self.positive("set_inbound_buffer_size", "inbound_buffer_size", size, self.config.inbound_buffer_size)
        {
            self.config.inbound_buffer_size = size;
        }
    }

    pub fn outbound_buffer_size(&self) -> i32 {
        self.config.outbound_buffer_size
    }

    /// 0 or less means no limit. Applies to open connections too (`Config::update_live_limits`).
    pub fn set_outbound_buffer_size(&mut self, size: i32) {
        self.config.outbound_buffer_size = size;
    }

    pub fn max_queued_packets(&self) -> i32 {
        self.config.max_queued_packets
    }

    /// Applies to open connections too (`Config::update_live_limits`).
    #[track_caller]
    pub fn set_max_queued_packets(&mut self, count: i32) {
        if let Some(count) =
            self.positive("set_max_queued_packets", "max_queued_packets", count, self.config.max_queued_packets)
        {
            self.config.max_queued_packets = count;
        }
    }

    pub fn heartbeat_interval(&self) -> f64 {
        self.config.heartbeat_interval.as_millis() as f64 / 1000.0
    }

    /// Whole milliseconds, as the engine stores it.
    #[track_caller]
    pub fn set_heartbeat_interval(&mut self, interval: f64) {
        if interval.is_nan() || interval < 0.0 {
            self.log.error("set_heartbeat_interval", &format!("heartbeat_interval must be >= 0 (got {interval})"));
            return;
        }
        self.config.heartbeat_interval = std::time::Duration::from_millis((interval * 1000.0) as u64);
    }

    pub fn compression_enabled(&self) -> bool {
        self.config.compression_enabled
    }

    /// Read when a connection starts.
    pub fn set_compression_enabled(&mut self, enabled: bool) {
        self.config.compression_enabled = enabled;
    }

    pub fn proxy_url(&self) -> GString {
        GString::from(self.config.proxy_url.as_str())
    }

    /// Checked when a connection starts (an invalid one fails `connect_to_url`).
    pub fn set_proxy_url(&mut self, url: &GString) {
        self.config.proxy_url = url.to_string();
    }

    pub fn proxy_from_environment(&self) -> bool {
        self.config.proxy_from_environment
    }

    pub fn set_proxy_from_environment(&mut self, enabled: bool) {
        self.config.proxy_from_environment = enabled;
    }

    pub fn trusted_proxies(&self) -> PackedStringArray {
        self.trusted_proxies.clone()
    }

    /// Every entry must be an IP address or network; otherwise an error line names
    /// the first bad one and the setting keeps its value. Read when a connection is accepted.
    #[track_caller]
    pub fn set_trusted_proxies(&mut self, entries: &PackedStringArray) {
        let parsed: Result<Vec<IpNetwork>, String> =
            entries.as_slice().iter().map(|entry| IpNetwork::parse(&entry.to_string())).collect();
        match parsed {
            Ok(networks) => {
                self.config.trusted_proxies = networks;
                self.trusted_proxies = entries.clone();
            }
            Err(why) => self.log.error("set_trusted_proxies", &format!("{why}; keeping the previous list")),
        }
    }

    pub fn health_check_path(&self) -> GString {
        GString::from(self.config.health_check_path.as_str())
    }

    /// Empty, or a path starting with `/`; otherwise an error line, and the setting keeps its value.
    #[track_caller]
    pub fn set_health_check_path(&mut self, path: &GString) {
        let path = path.to_string();
        if !path.is_empty() && !path.starts_with('/') {
            self.log.error("set_health_check_path", &format!("\"{path}\" is not a path (it must start with /)"));
            return;
        }
        self.config.health_check_path = path;
    }

    /// `value` if it is positive; else an error line, and the setting keeps `current`.
    #[track_caller]
    fn positive(&self, method: &str, name: &str, value: i32, current: i32) -> Option<i32> {
        if value <= 0 {
            self.log.error(method, &format!("{name} must be positive (got {value}); keeping {current}"));
            return None;
        }
        Some(value)
    }
}
