//! The player's real address behind a load balancer, taken only from balancers the
//! game trusts (`Config::trusted_proxies`): a PROXY protocol header before the request
//! (read by the core, `ws_protocol::proxy_header`), or the headers an HTTP proxy adds
//! (`forwarded_for`). From any
//! other peer a PROXY header is refused and forwarded headers are ignored: anyone can
//! send them, so believing them would let a player pick the address a game bans.

pub mod forwarded_for;

use std::net::IpAddr;

use crate::net::ip_network::IpNetwork;

/// Whether `peer` (the TCP connection's remote address) is one of the trusted balancers.
pub fn is_trusted(peer: &str, trusted: &[IpNetwork]) -> bool {
    !trusted.is_empty() && peer.parse::<IpAddr>().is_ok_and(|ip| trusted.iter().any(|network| network.contains(ip)))
}
