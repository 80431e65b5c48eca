//! The vocabulary every front end shares: [`Verdict`], [`Protocol`], [`Confidence`],
//! [`Evidence`], [`Direction`] and [`Transport`].
//!
//! The numeric discriminants are part of the C ABI and the Python module: they never change.
//! The snake-case names ([`Protocol::name`], …) are the strings of the JSON-lines record.

use core::fmt;

/// Which side of a flow sent a payload. The initiator sent the flow's first packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Direction {
    /// The side that sent the flow's first packet (for TCP, the SYN).
    Initiator = 0,
    /// The other side.
    Responder = 1,
}

impl Direction {
    /// The other direction.
    #[must_use]
    pub const fn reverse(self) -> Self {
        match self {
            Self::Initiator => Self::Responder,
            Self::Responder => Self::Initiator,
        }
    }

    /// 0 for the initiator, 1 for the responder: an index into per-direction arrays.
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The JSON/Python name: `"initiator"` or `"responder"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Initiator => "initiator",
            Self::Responder => "responder",
        }
    }
}

/// The transport a flow runs over; the discriminants are the IP protocol numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Transport {
    /// TCP: payloads form one byte stream per direction.
    Tcp = 6,
    /// UDP: each payload is a datagram.
    Udp = 17,
}

impl Transport {
    /// The JSON/Python name: `"tcp"` or `"udp"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        }
    }

    /// The transport for an IP protocol number, if it is TCP or UDP.
    #[must_use]
    pub const fn from_ip_protocol(number: u8) -> Option<Self> {
        match number {
            6 => Some(Self::Tcp),
            17 => Some(Self::Udp),
            _ => None,
        }
    }
}

/// Which BitTorrent protocol a flow carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Protocol {
    /// The peer wire protocol in cleartext (BEP 3, BEP 52), over TCP or inside uTP.
    PeerWire = 1,
    /// The peer wire protocol behind MSE/PE obfuscation, or inside TLS (libtorrent's SSL
    /// torrents, [`Evidence::TLS_INFO_HASH`]).
    PeerWireEncrypted = 2,
    /// The Micro Transport Protocol (BEP 29).
    Utp = 3,
    /// The mainline DHT (BEP 5 and its extensions).
    Dht = 4,
    /// UDP tracker protocol (BEP 15).
    UdpTracker = 5,
    /// HTTP tracker announce or scrape (BEP 3, BEP 23, BEP 48).
    HttpTracker = 6,
    /// Local Service Discovery (BEP 14).
    Lsd = 7,
    /// A magnet URI (BEP 9) in a cleartext flow. No longer a verdict: a magnet link in content
    /// is metadata ([`Evidence::MAGNET_URI`] and the info-hash), and the flow's verdict is
    /// what the rest of it says. The number stays reserved for the ABI.
    Magnet = 8,
}

impl Protocol {
    /// Every protocol, in discriminant order.
    pub const ALL: [Self; 8] = [
        Self::PeerWire,
        Self::PeerWireEncrypted,
        Self::Utp,
        Self::Dht,
        Self::UdpTracker,
        Self::HttpTracker,
        Self::Lsd,
        Self::Magnet,
    ];

    /// The JSON/Python name, e.g. `"peer_wire"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::PeerWire => "peer_wire",
            Self::PeerWireEncrypted => "peer_wire_encrypted",
            Self::Utp => "utp",
            Self::Dht => "dht",
            Self::UdpTracker => "udp_tracker",
            Self::HttpTracker => "http_tracker",
            Self::Lsd => "lsd",
            Self::Magnet => "magnet",
        }
    }

    /// The protocol whose [`Protocol::name`] is `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// How sure a BitTorrent verdict is. Firewalls choose the level they act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Confidence {
    /// One side's bytes fit the protocol.
    Likely = 1,
    /// A reply from the other side, or a second independent message, agrees.
    Confirmed = 2,
}

impl Confidence {
    /// The JSON/Python name: `"likely"` or `"confirmed"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Likely => "likely",
            Self::Confirmed => "confirmed",
        }
    }
}

/// The observations behind a verdict, as a bit set. Bits never change meaning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Evidence(pub u32);

macro_rules! evidence_bits {
    ($($(#[$doc:meta])* $name:ident = $bit:expr, $text:expr;)*) => {
        impl Evidence {
            $($(#[$doc])* pub const $name: Self = Self(1 << $bit);)*
            /// Every named bit with its JSON name, in bit order.
            pub const NAMED: &'static [(Self, &'static str)] = &[$((Self::$name, $text)),*];
        }
    };
}

evidence_bits! {
    /// A BEP 3 handshake (`\x13BitTorrent protocol`).
    HANDSHAKE = 0, "handshake";
    /// Both sides sent a handshake with the same info-hash.
    HANDSHAKE_REPLY = 1, "handshake_reply";
    /// Reserved bit 20 (BEP 10 extension protocol) set in a handshake.
    EXTENSION_BIT = 2, "extension_bit";
    /// Reserved bit 62 (BEP 6 fast extension) set in a handshake.
    FAST_BIT = 3, "fast_bit";
    /// Reserved bit 64 (BEP 5 DHT port message) set in a handshake.
    DHT_BIT = 4, "dht_bit";
    /// Reserved bit 4 of the last byte (BEP 52 v2 upgrade) set in a handshake.
    V2_BIT = 5, "v2_bit";
    /// A run of well-formed peer-wire messages without a handshake (mid-stream pickup); at
    /// `confirmed` without other evidence, two Azureus Messaging Protocol frames in a row with
    /// ids Vuze and BiglyBT register.
    MESSAGE_FRAMING = 6, "message_framing";
    /// A BEP 10 extension handshake (extended message 0).
    EXTENSION_HANDSHAKE = 7, "extension_handshake";
    /// `ut_pex` advertised in an extension handshake's `m` dictionary.
    UT_PEX = 8, "ut_pex";
    /// A BEP 11 PEX message.
    PEX_MESSAGE = 9, "pex_message";
    /// `ut_metadata` advertised in an extension handshake's `m` dictionary.
    UT_METADATA = 10, "ut_metadata";
    /// A BEP 9 ut_metadata message.
    METADATA_MESSAGE = 11, "metadata_message";
    /// A KRPC query (BEP 5).
    DHT_QUERY = 12, "dht_query";
    /// A KRPC response or error whose transaction id matches a query.
    DHT_RESPONSE = 13, "dht_response";
    /// A plausible uTP SYN (BEP 29).
    UTP_SYN = 14, "utp_syn";
    /// A uTP STATE or DATA reply consistent with the SYN (connection id, seq/ack).
    UTP_REPLY = 15, "utp_reply";
    /// An HTTP or UDP tracker announce or scrape request.
    TRACKER_ANNOUNCE = 16, "tracker_announce";
    /// A tracker reply (bencoded HTTP body, or BEP 15 reply with a matching transaction id).
    TRACKER_REPLY = 17, "tracker_reply";
    /// A BEP 14 `BT-SEARCH` announcement.
    LSD_ANNOUNCE = 18, "lsd_announce";
    /// A magnet URI (BEP 9).
    MAGNET_URI = 19, "magnet_uri";
    /// The structure of an MSE/PE key exchange.
    MSE_SHAPE = 20, "mse_shape";
    /// An endpoint learned from earlier BitTorrent traffic.
    KNOWN_ENDPOINT = 21, "known_endpoint";
    /// A BEP 15 connect request with the protocol id 0x41727101980.
    UDP_TRACKER_CONNECT = 22, "udp_tracker_connect";
    /// uTP DATA payload that itself carries peer-wire evidence.
    UTP_PAYLOAD = 23, "utp_payload";
    /// An end of the flow is a host with conclusive BitTorrent activity in the last minutes
    /// (a confirmed peer wire, uTP or DHT flow, the client side of a confirmed tracker flow, an
    /// LSD sender), from a [`crate::hosts::HostCache`].
    BITTORRENT_HOST = 24, "bittorrent_host";
    /// A cleartext BEP 3 handshake in the responder's second flight of an MSE/PE key exchange
    /// (crypto_select plaintext).
    MSE_PLAINTEXT = 25, "mse_plaintext";
    /// An initiator's first flight fitting an MSE/PE key exchange that nothing answered before
    /// the flow ended.
    MSE_UNANSWERED = 26, "mse_unanswered";
    /// A BEP 3 handshake that does not start its side's stream: after CR/LF, complete HTTP
    /// messages, or an HTTP-looking text prefix.
    LATE_HANDSHAKE = 27, "late_handshake";
    /// uTP packets of one connection that agree beyond one packet (BEP 29), without its SYN
    /// and its reply: both directions acknowledging each other on connection ids one apart,
    /// a SYN followed by the same side's DATA on its id + 1, a SYN retransmitted, or (a guess)
    /// a run of DATA in sequence on one connection id.
    UTP_STREAM = 28, "utp_stream";
    /// A datagram of the flow was recognised as another protocol (DNS, QUIC, STUN/TURN, …; see
    /// `wire::lookalike`), which refutes a guess; kept if the flow turns out BitTorrent later.
    LOOKALIKE = 29, "lookalike";
    /// A BEP 3 piece message carrying a 16 KiB block (length 16393, index below 2^24, `begin`
    /// a multiple of 16 KiB below 64 MiB) followed at once by a valid message header, on a
    /// TCP side picked up mid-stream: a block transfer, conclusive on its own.
    BLOCK_TRANSFER = 30, "block_transfer";
    /// A TLS ClientHello whose server name is 40 lower-case hex digits: a libtorrent SSL
    /// torrent's info-hash (`wire::tls`), conclusive on its own.
    TLS_INFO_HASH = 31, "tls_info_hash";
}

const _: () = assert!(
    Evidence::NAMED.len() == 32,
    "every bit of the u32 has its name: a new kind of evidence needs a wider type (an ABI change)"
);

impl Evidence {
    /// No evidence.
    pub const NONE: Self = Self(0);

    /// True if every bit of `other` is set in `self`.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// True if no bit is set.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Set every bit of `other`.
    pub fn insert(&mut self, other: Self) {
        self.0 |= other.0;
    }

    /// The JSON names of the set bits, in bit order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMED
            .iter()
            .filter(move |(bit, _)| self.contains(*bit))
            .map(|(_, name)| *name)
    }
}

impl core::ops::BitOr for Evidence {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl core::ops::BitOrAssign for Evidence {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

/// A positive verdict: which protocol, how sure, and why.
///
/// It may gain fields; outside this crate, build one with [`Detection::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Detection {
    /// The BitTorrent protocol recognised.
    pub protocol: Protocol,
    /// How sure the verdict is.
    pub confidence: Confidence,
    /// What was seen.
    pub evidence: Evidence,
}

impl Detection {
    /// A detection of `protocol` with `confidence`, from `evidence`.
    #[must_use]
    pub const fn new(protocol: Protocol, confidence: Confidence, evidence: Evidence) -> Self {
        Self {
            protocol,
            confidence,
            evidence,
        }
    }
}

/// The classification of a flow so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Verdict {
    /// Not enough bytes yet; feed more.
    Undecided,
    /// The flow is BitTorrent. Once given, this verdict never goes back; only its confidence
    /// and evidence can grow.
    #[cfg_attr(feature = "serde", serde(rename = "bittorrent"))]
    BitTorrent(Detection),
    /// The flow is not BitTorrent, or the inspection budget ran out without evidence.
    #[cfg_attr(feature = "serde", serde(rename = "not_bittorrent"))]
    NotBitTorrent,
}

impl Verdict {
    /// The JSON/Python name: `"undecided"`, `"bittorrent"` or `"not_bittorrent"`.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Undecided => "undecided",
            Self::BitTorrent(_) => "bittorrent",
            Self::NotBitTorrent => "not_bittorrent",
        }
    }

    /// The detection, if the verdict is BitTorrent.
    #[must_use]
    pub const fn detection(&self) -> Option<Detection> {
        match self {
            Self::BitTorrent(d) => Some(*d),
            _ => None,
        }
    }

    /// True if the verdict is BitTorrent.
    #[must_use]
    pub const fn is_bittorrent(&self) -> bool {
        matches!(self, Self::BitTorrent(_))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BitTorrent(d) => write!(
                f,
                "bittorrent/{}/{}",
                d.protocol.name(),
                d.confidence.name()
            ),
            other => f.write_str(other.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_names_are_unique_and_in_bit_order() {
        let mut last = 0;
        for (bit, name) in Evidence::NAMED {
            assert!(bit.0 > last, "{name} out of order");
            last = bit.0;
        }
        let e = Evidence::HANDSHAKE | Evidence::UT_PEX;
        let mut names = e.names();
        assert_eq!(names.next(), Some("handshake"));
        assert_eq!(names.next(), Some("ut_pex"));
        assert_eq!(names.next(), None);
    }

    #[test]
    fn protocol_names_round_trip() {
        for p in Protocol::ALL {
            assert_eq!(Protocol::from_name(p.name()), Some(p));
        }
    }
}
