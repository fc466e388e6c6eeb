//! An IP address or network (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`): what
//! `no_proxy` lists and what `trusted_proxies` trusts.

use std::fmt;
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNetwork {
    network: IpAddr,
    bits: u8,
}

impl IpNetwork {
    /// `address` or `address/bits`; an IPv6 address may be in brackets.
    pub fn parse(text: &str) -> Result<IpNetwork, String> {
        let text = text.trim();
        let (address, bits) = match text.split_once('/') {
            Some((address, bits)) => (address, Some(bits)),
            None => (text, None),
        };
        let address = address.trim_start_matches('[').trim_end_matches(']');
        let network: IpAddr = address.parse().map_err(|_| format!("\"{text}\" is not an IP address or network"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            None => max,
            Some(bits) => match bits.parse::<u8>() {
                Ok(bits) if bits <= max => bits,
                _ => return Err(format!("\"{text}\": the prefix length must be 0 to {max}")),
            },
        };
        Ok(IpNetwork { network, bits })
    }

    /// Whether `ip` is in the network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (ip.to_canonical(), self.network.to_canonical()) {
            (IpAddr::V4(ip), IpAddr::V4(net)) => {
                let bits = if self.network.is_ipv4() { self.bits } else { self.bits.saturating_sub(96) };
                let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
                u32::from(ip) & mask == u32::from(net) & mask
            }
            (IpAddr::V6(ip), IpAddr::V6(net)) => {
                let mask = if self.bits == 0 { 0 } else { u128::MAX << (128 - self.bits) };
                u128::from(ip) & mask == u128::from(net) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_and_networks_of_both_families() {
        let one = IpNetwork::parse("127.0.0.1").unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        assert!(one.contains(ip("::ffff:127.0.0.1")), "IPv4-mapped");
        let ten = IpNetwork::parse("10.0.0.0/8").unwrap();
        assert!(ten.contains(ip("10.200.1.1")) && !ten.contains(ip("11.0.0.1")) && !ten.contains(ip("::1")));
        let all = IpNetwork::parse("0.0.0.0/0").unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        let v6 = IpNetwork::parse("[fd00::]/8").unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")) && !v6.contains(ip("10.0.0.1")));
        assert!(IpNetwork::parse("::1").unwrap().contains(ip("::1")));
        assert_eq!(ten.to_string(), "10.0.0.0/8");
    }

    #[test]
    fn refuses_what_is_not_one() {
        for bad in ["", "localhost", "10.0.0.0/33", "::/129", "1.2.3.4/x", "1.2.3"] {
            assert!(IpNetwork::parse(bad).is_err(), "{bad}");
        }
    }
}
