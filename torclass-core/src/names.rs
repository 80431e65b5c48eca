//! `Display` and `FromStr` for the small public types, by the names the CLI's JSON lines, the C
//! library's name functions and Python use (`"peer_wire"`, `"confirmed"`, `"initiator"`,
//! `"udp"`).

use core::fmt;
use core::str::FromStr;

use crate::packet::{FlowKey, LinkType};
use crate::verdict::{Confidence, Direction, Evidence, Protocol, Transport};

/// A name that [`FromStr`] does not know, for the type [`UnknownName::kind`] names.
///
/// ```
/// use torclass_core::{Protocol, Transport};
///
/// assert_eq!("dht".parse::<Protocol>(), Ok(Protocol::Dht));
/// assert_eq!(Protocol::Dht.to_string(), "dht");
/// let e = "sctp".parse::<Transport>().unwrap_err();
/// assert_eq!(e.to_string(), "unknown transport name");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownName {
    kind: &'static str,
}

impl UnknownName {
    /// The type asked for: `"protocol"`, `"confidence"`, `"direction"`, `"transport"`.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        self.kind
    }
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} name", self.kind)
    }
}

impl core::error::Error for UnknownName {}

macro_rules! named {
    ($ty:ty, $kind:literal, [$($v:expr),* $(,)?]) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, UnknownName> {
                [$($v),*]
                    .into_iter()
                    .find(|v| v.name() == s)
                    .ok_or(UnknownName { kind: $kind })
            }
        }
    };
}

named!(
    Protocol,
    "protocol",
    [
        Protocol::PeerWire,
        Protocol::PeerWireEncrypted,
        Protocol::Utp,
        Protocol::Dht,
        Protocol::UdpTracker,
        Protocol::HttpTracker,
        Protocol::Lsd,
        Protocol::Magnet,
    ]
);
named!(
    Confidence,
    "confidence",
    [Confidence::Likely, Confidence::Confirmed]
);
named!(
    Direction,
    "direction",
    [Direction::Initiator, Direction::Responder]
);
named!(Transport, "transport", [Transport::Tcp, Transport::Udp]);

impl fmt::Display for Evidence {
    /// The names of the bits, joined by `|` (`handshake|fast_bit`); `none` for no bit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (bit, name) in Evidence::NAMED {
            if self.0 & bit.0 != 0 {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

impl fmt::Display for FlowKey {
    /// `tcp 10.0.0.1:51413 -> 10.0.0.2:6881` (IPv6 addresses in brackets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} -> {}", self.transport, self.src, self.dst)
    }
}

impl fmt::Display for LinkType {
    /// The pcap name: `ETHERNET`, `RAW`, `LINUX_SLL2`, ….
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Null => "NULL",
            Self::Ethernet => "ETHERNET",
            Self::Raw => "RAW",
            Self::Loop => "LOOP",
            Self::LinuxSll => "LINUX_SLL",
            Self::Ipv4 => "IPV4",
            Self::Ipv6 => "IPV6",
            Self::LinuxSll2 => "LINUX_SLL2",
            Self::Ppp => "PPP",
            Self::PppHdlc => "PPP_HDLC",
            Self::CiscoHdlc => "C_HDLC",
            Self::Ieee80211 => "IEEE802_11",
            Self::Radiotap => "IEEE802_11_RADIOTAP",
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Protocol::ALL {
            assert_eq!(p.to_string().parse::<Protocol>(), Ok(p));
        }
        assert_eq!("responder".parse::<Direction>(), Ok(Direction::Responder));
        assert_eq!("likely".parse::<Confidence>(), Ok(Confidence::Likely));
        assert_eq!(
            "x".parse::<Confidence>().map_err(|e| e.kind()),
            Err("confidence")
        );
        assert_eq!(Evidence::NONE.to_string(), "none");
        assert_eq!(
            (Evidence::HANDSHAKE | Evidence::FAST_BIT).to_string(),
            "handshake|fast_bit"
        );
        assert_eq!(Evidence(1 << 31).to_string(), "tls_info_hash");
        assert_eq!(LinkType::LinuxSll2.to_string(), "LINUX_SLL2");
    }

    #[test]
    fn observers_compose() {
        use crate::observer::Metadata;
        use crate::FlowClassifier;

        let mut handshake = std::vec::Vec::from(&b"\x13BitTorrent protocol"[..]);
        handshake.extend_from_slice(&[0; 8]);
        handshake.extend_from_slice(&[0xab; 20]);
        handshake.extend_from_slice(b"-TR3000-abcdefghijkl");
        let (mut a, mut b) = (Metadata::new(), Metadata::new());
        let mut both = (&mut a, &mut b);
        FlowClassifier::new(Transport::Tcp).feed_with(Direction::Initiator, &handshake, &mut both);
        assert_eq!(
            a.info_hash().as_ref().map(crate::InfoHash::as_bytes),
            Some(&[0xab; 20][..])
        );
        assert_eq!(
            b.peer_id(Direction::Initiator),
            Some(b"-TR3000-abcdefghijkl")
        );
    }
}
