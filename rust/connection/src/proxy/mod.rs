//! HTTP(S) proxies: a client reaches its server through a `CONNECT` tunnel when the
//! game sets `proxy_url`, or opts in to the environment's `https_proxy` and friends.
//! What to use (`choose`), the proxy's URL (`proxy_url`), the environment's rules
//! (`environment`) and the `CONNECT` exchange itself, sans-IO (`tunnel`). The
//! client (client.rs) moves the bytes; TLS to the target runs inside the tunnel, end
//! to end, exactly as without a proxy.

mod environment;
mod proxy_url;
mod tunnel;

pub use environment::{from_environment, no_proxy_matches};
pub use proxy_url::{Proxy, ProxyScheme};
pub use tunnel::{Tunnel, TunnelOutcome};

use ws_protocol::WsUrl;

use crate::config::Config;

/// Why no proxy could be chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChoiceError {
    /// The game's `proxy_url` is not a proxy URL: a programmer error.
    Setting(String),
    /// The environment names a proxy that cannot be used: a network set-up problem.
    Environment(String),
}

/// The proxy for a connection to `target`, if any: the configured `proxy_url` first;
/// else, when the game opted in, what the environment (`var`) says.
pub fn choose(
    config: &Config,
    target: &WsUrl,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Proxy>, ChoiceError> {
    if !config.proxy_url.is_empty() {
        return Proxy::parse(&config.proxy_url)
            .map(Some)
            .map_err(|e| ChoiceError::Setting(format!("invalid proxy_url: {e}")));
    }
    if config.proxy_from_environment {
        return from_environment(target, var).map_err(ChoiceError::Environment);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> WsUrl {
        WsUrl::parse(url).unwrap()
    }

    #[test]
    fn the_setting_wins_over_the_environment_which_needs_the_opt_in() {
        let env = |name: &str| (name == "http_proxy").then(|| "http://env-proxy:3128".to_string());
        let mut config = Config::default();
        assert_eq!(choose(&config, &target("ws://game.test/"), &env), Ok(None), "direct by default");
        config.proxy_from_environment = true;
        let chosen = choose(&config, &target("ws://game.test/"), &env).unwrap().unwrap();
        assert_eq!((chosen.host.as_str(), chosen.port), ("env-proxy", 3128));
        config.proxy_url = "http://set:8080".into();
        let chosen = choose(&config, &target("ws://game.test/"), &env).unwrap().unwrap();
        assert_eq!((chosen.host.as_str(), chosen.port), ("set", 8080));
        config.proxy_url = "socks5://set:1080".into();
        assert!(matches!(choose(&config, &target("ws://game.test/"), &env), Err(ChoiceError::Setting(_))));
    }
}
