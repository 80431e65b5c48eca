//! Exact recognisers of the UDP protocols that share shapes with BitTorrent's datagrams: the
//! refuters of [`crate::udp`].
//!
//! Each submodule reads one family from its specification (the RFC or spec section is named in
//! its docs) as a typed view with `new_checked`, like the BitTorrent views beside it. They are
//! not dissectors: each checks only what makes a datagram *that* protocol rather than a random
//! one (fixed values, lengths that must add up, a walk of its records that must end exactly
//! at the end of the datagram), and exposes a few fields.
//!
//! [`recognise`] runs the right ones for a datagram's first bytes and names the first family
//! that accepts it. The UDP classifier uses it to demote a guess before it is called (a BEP 15
//! announce shape that is really an EDNS0 query, a uTP SYN shape that is really a TURN
//! ChannelData message) and to refute a flow early; conclusive BitTorrent rules never consult
//! it. How often each recogniser accepts random bytes and real BitTorrent datagrams is
//! measured by the tests: none of 90,000 BitTorrent datagrams of every form with random fields
//! (`tests/udp_lookalikes.rs`; two are bounded by their specification: a TURN ChannelData
//! channel `0x41xx` whose length fits a 20-byte uTP SYN, 4 connection ids in 65,536, and an
//! AFS RX header in a BEP 15 request, about 1 in 2^27) and none of the 4,055 BitTorrent
//! datagrams of the real captures (`tests/tests/udp_rules.rs`); of 50,000 uniform random
//! datagrams (`tests/udp_chance.rs`) the exact recognisers accept 1 (a ChannelData) and the
//! weak RTP check about 10%, which is why RTP never overrules a BitTorrent reading.
//!
//! Every recogniser works on the datagram alone (no flow context, no ports), so it can be run
//! on a payload unwrapped from a tunnel or a SOCKS5 UDP relay as well.

use core::fmt;

pub mod capwap;
pub mod dns;
pub mod dtls;
pub mod ike;
pub mod ntp;
pub mod oncrpc;
pub mod quic;
pub mod rtp;
pub mod rx;
pub mod ssdp;
pub mod stun;
pub mod teredo;
pub mod wireguard;

/// The protocol a datagram was recognised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Lookalike {
    /// DNS or mDNS message, EDNS(0) and padding included ([`dns::Dns`]).
    Dns = 1,
    /// DNSCrypt v2 response ([`dns::is_dnscrypt_response`]).
    DnsCrypt = 2,
    /// QUIC long header packet ([`quic::LongHeader`]).
    Quic = 3,
    /// STUN/TURN message with the magic cookie ([`stun::Stun`]).
    Stun = 4,
    /// TURN ChannelData message ([`stun::ChannelData`]).
    TurnChannel = 5,
    /// RTP packet ([`rtp::Rtp`]); a weak single-datagram check, see [`Lookalike::is_exact`].
    Rtp = 6,
    /// RTCP compound packet ([`rtp::Rtcp`]).
    Rtcp = 7,
    /// DTLS records ([`dtls::Dtls`]).
    Dtls = 8,
    /// ONC RPC call or reply, e.g. NFSv2/v3 over UDP ([`oncrpc::Rpc`]).
    OncRpc = 9,
    /// AFS RX packet ([`rx::Rx`]).
    AfsRx = 10,
    /// WireGuard message ([`wireguard::WireGuard`]).
    WireGuard = 11,
    /// NTP packet ([`ntp::Ntp`]).
    Ntp = 12,
    /// SSDP request or search response ([`ssdp::Ssdp`]).
    Ssdp = 13,
    /// Teredo-encapsulated IPv6 packet ([`teredo::Teredo`]).
    Teredo = 14,
    /// CAPWAP control, data or DTLS-wrapped packet ([`capwap::Capwap`]).
    Capwap = 15,
    /// IKEv1 or IKEv2 message, with or without the NAT-T marker ([`ike::Ike`]).
    Ike = 16,
}

impl Lookalike {
    /// Every variant, in discriminant order.
    pub const ALL: [Self; 16] = [
        Self::Dns,
        Self::DnsCrypt,
        Self::Quic,
        Self::Stun,
        Self::TurnChannel,
        Self::Rtp,
        Self::Rtcp,
        Self::Dtls,
        Self::OncRpc,
        Self::AfsRx,
        Self::WireGuard,
        Self::Ntp,
        Self::Ssdp,
        Self::Teredo,
        Self::Capwap,
        Self::Ike,
    ];

    /// A short lower-case name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::DnsCrypt => "dnscrypt",
            Self::Quic => "quic",
            Self::Stun => "stun",
            Self::TurnChannel => "turn_channel",
            Self::Rtp => "rtp",
            Self::Rtcp => "rtcp",
            Self::Dtls => "dtls",
            Self::OncRpc => "onc_rpc",
            Self::AfsRx => "afs_rx",
            Self::WireGuard => "wireguard",
            Self::Ntp => "ntp",
            Self::Ssdp => "ssdp",
            Self::Teredo => "teredo",
            Self::Capwap => "capwap",
            Self::Ike => "ike",
        }
    }

    /// True if the recogniser checks enough structure to overrule a BitTorrent guess read
    /// from the same datagram. Only RTP is not: its header has two fixed bits, so it only
    /// names datagrams that fit no BitTorrent form anyway.
    #[must_use]
    pub const fn is_exact(self) -> bool {
        !matches!(self, Self::Rtp)
    }
}

impl fmt::Display for Lookalike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The family `datagram` belongs to, if one of the recognisers accepts it.
///
/// The first byte picks the families that fix it (most do); then the ones whose first byte is
/// free (a DNS id, an RPC xid, an RX epoch, an IKE SPI) or spread over many values (NTP) are
/// tried. Each recogniser's work is bounded by the datagram's length.
#[must_use]
pub fn recognise(datagram: &[u8]) -> Option<Lookalike> {
    let first = *datagram.first()?;
    let specific: &[Lookalike] = match first {
        0x00 => &[Lookalike::Stun, Lookalike::Teredo, Lookalike::Capwap],
        0x01 => &[Lookalike::Stun, Lookalike::WireGuard, Lookalike::Capwap],
        0x02..=0x04 => &[Lookalike::WireGuard, Lookalike::Stun],
        0x14..=0x18 => &[Lookalike::Dtls],
        b'H' | b'M' | b'N' => &[Lookalike::TurnChannel, Lookalike::Ssdp],
        0x40..=0x4f => &[Lookalike::TurnChannel],
        0x60..=0x6f => &[Lookalike::Teredo],
        b'r' => &[Lookalike::DnsCrypt],
        0x80..=0xbf => &[Lookalike::Rtcp, Lookalike::Quic],
        0xc0..=0xff => &[Lookalike::Quic],
        _ => &[],
    };
    const ANY_FIRST_BYTE: [Lookalike; 5] = [
        Lookalike::Ntp,
        Lookalike::Dns,
        Lookalike::OncRpc,
        Lookalike::AfsRx,
        Lookalike::Ike,
    ];
    let rtp: &[Lookalike] = if first & 0xc0 == 0x80 {
        &[Lookalike::Rtp]
    } else {
        &[]
    };
    specific
        .iter()
        .chain(ANY_FIRST_BYTE.iter())
        .chain(rtp)
        .copied()
        .find(|c| accepts(*c, datagram))
}

/// True if the recogniser of `family` accepts `datagram`, whatever its first byte.
#[must_use]
pub fn accepts(family: Lookalike, datagram: &[u8]) -> bool {
    match family {
        Lookalike::Dns => dns::Dns::new_checked(datagram).is_ok(),
        Lookalike::DnsCrypt => dns::is_dnscrypt_response(datagram),
        Lookalike::Quic => quic::LongHeader::new_checked(datagram).is_ok(),
        Lookalike::Stun => stun::Stun::new_checked(datagram).is_ok(),
        Lookalike::TurnChannel => stun::ChannelData::new_checked(datagram).is_ok(),
        Lookalike::Rtp => rtp::Rtp::new_checked(datagram).is_ok(),
        Lookalike::Rtcp => rtp::Rtcp::new_checked(datagram).is_ok(),
        Lookalike::Dtls => dtls::Dtls::new_checked(datagram).is_ok(),
        Lookalike::OncRpc => oncrpc::Rpc::new_checked(datagram).is_ok(),
        Lookalike::AfsRx => rx::Rx::new_checked(datagram).is_ok(),
        Lookalike::WireGuard => wireguard::WireGuard::new_checked(datagram).is_ok(),
        Lookalike::Ntp => ntp::Ntp::new_checked(datagram).is_ok(),
        Lookalike::Ssdp => ssdp::Ssdp::new_checked(datagram).is_ok(),
        Lookalike::Teredo => teredo::Teredo::new_checked(datagram).is_ok(),
        Lookalike::Capwap => capwap::Capwap::new_checked(datagram).is_ok(),
        Lookalike::Ike => ike::Ike::new_checked(datagram).is_ok(),
    }
}

/// Why a recogniser rejected a datagram: the first check that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The structure that starts at `offset` needs `required` bytes; `available` are left.
    Truncated {
        /// Bytes the structure needs.
        required: usize,
        /// Bytes the datagram has from `offset` on.
        available: usize,
        /// Where the structure starts.
        offset: usize,
    },
    /// The field `field` at `offset` has a value the specification does not allow.
    Field {
        /// The field's name, as the specification spells it.
        field: &'static str,
        /// Its offset in the datagram.
        offset: usize,
    },
    /// The records end at `consumed`, not at the end of the datagram.
    Length {
        /// Bytes the records took.
        consumed: usize,
        /// Bytes the datagram has.
        len: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated {
                required,
                available,
                offset,
            } => write!(
                f,
                "truncated at offset {offset}: {required} bytes needed, {available} available"
            ),
            Self::Field { field, offset } => {
                write!(f, "field {field} at offset {offset} has an invalid value")
            }
            Self::Length { consumed, len } => {
                write!(f, "records end at {consumed} of {len} bytes")
            }
        }
    }
}

impl core::error::Error for Error {}

/// `Err(Error::Truncated)` unless `data` has `required` bytes from `offset`.
pub(crate) fn need(data: &[u8], offset: usize, required: usize) -> Result<(), Error> {
    let available = data.len().saturating_sub(offset);
    if available < required || offset > data.len() {
        return Err(Error::Truncated {
            required,
            available,
            offset,
        });
    }
    Ok(())
}

/// `Err(Error::Field)` unless `ok`.
pub(crate) fn check(ok: bool, field: &'static str, offset: usize) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::Field { field, offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_display() {
        for (i, a) in Lookalike::ALL.iter().enumerate() {
            assert_eq!(*a as u8 as usize, i + 1);
            for b in &Lookalike::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
            }
            assert_eq!(std::format!("{a}"), a.name());
        }
    }

    #[test]
    fn empty_and_tiny_datagrams_are_nothing() {
        for len in 0..8 {
            for b in [0u8, 1, 0x41, 0x80, 0xc0, b'M', 0x16] {
                let d = std::vec![b; len];
                let _ = recognise(&d);
            }
        }
        assert_eq!(recognise(&[]), None);
    }

    #[test]
    fn error_display() {
        let e = Error::Truncated {
            required: 12,
            available: 3,
            offset: 0,
        };
        assert_eq!(
            std::format!("{e}"),
            "truncated at offset 0: 12 bytes needed, 3 available"
        );
    }
}
