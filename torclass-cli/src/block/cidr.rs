//! [`Cidr`]: an IP network written as `ADDRESS/PREFIX` (RFC 4632 for IPv4, RFC 4291 §2.3 for
//! IPv6), and [`Networks`], a list of them, for the blocker's allow-list and user networks.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An IPv4 or IPv6 network. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) match the IPv4
/// networks that contain `a.b.c.d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// True when `ip` is inside the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        if ip.is_ipv4() != self.addr.is_ipv4() {
            return false;
        }
        let (net, prefix) = self.bits();
        let (ip, _) = Self {
            addr: ip,
            prefix: 0,
        }
        .bits();
        net & mask(prefix) == ip & mask(prefix)
    }

    /// The address as 128 bits (an IPv4 address in the top 32) and the prefix counted in them.
    fn bits(&self) -> (u128, u8) {
        match self.addr {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, self.prefix),
            IpAddr::V6(v6) => (u128::from(v6), self.prefix),
        }
    }
}

/// The top `prefix` bits set.
fn mask(prefix: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - u32::from(prefix.min(128)))
        .unwrap_or(0)
}

/// Why a network did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CidrError(String);

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected ADDRESS/PREFIX, e.g. 10.8.0.0/16 or fd00::/8",
            self.0
        )
    }
}

impl std::error::Error for CidrError {}

impl FromStr for Cidr {
    type Err = CidrError;

    /// `ADDRESS/PREFIX`, or a bare address (a /32 or /128). Bits set past the prefix are an
    /// error (`10.0.0.1/8` is most likely a typo for a host or for `10.0.0.0/8`).
    fn from_str(s: &str) -> Result<Self, CidrError> {
        let err = || CidrError(s.to_string());
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| err())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(err)?,
            None => max,
        };
        let cidr = Self { addr, prefix };
        let (bits, prefix128) = cidr.bits();
        if bits != bits & mask(prefix128) {
            return Err(err());
        }
        Ok(cidr)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A list of networks; empty matches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Networks(Vec<Cidr>);

impl Networks {
    /// The networks of `list`.
    pub fn new(list: Vec<Cidr>) -> Self {
        Self(list)
    }

    /// True when one of the networks contains `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// True when there is no network.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_matches() {
        let n = c("10.8.0.0/16");
        assert!(n.contains("10.8.3.4".parse().unwrap()));
        assert!(!n.contains("10.9.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.8.1.1".parse().unwrap()));
        assert!(!n.contains("fd00::1".parse().unwrap()));
        assert!(c("0.0.0.0/0").contains("1.2.3.4".parse().unwrap()));
        assert!(c("::/0").contains("2001:db8::1".parse().unwrap()));
        assert!(c("fd00::/8").contains("fd12::1".parse().unwrap()));
        assert!(!c("fd00::/8").contains("fe80::1".parse().unwrap()));
        assert!(c("192.0.2.7").contains("192.0.2.7".parse().unwrap()));
        assert!(!c("192.0.2.7").contains("192.0.2.8".parse().unwrap()));
        assert_eq!(c("192.0.2.7").to_string(), "192.0.2.7/32");
    }

    #[test]
    fn rejects_bad_networks() {
        for bad in [
            "",
            "10.0.0.0/33",
            "fd00::/129",
            "10.0.0.1/8",
            "fd00::1/8",
            "x/8",
            "10.0.0.0/",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }
}
