//! [`DecodeError`] and the [`Layer`] it happened at.

use core::fmt;
use core::net::IpAddr;

/// The protocol layer a [`DecodeError`] refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// The link-layer header: Ethernet II, Linux cooked capture (SLL/SLL2), the BSD loopback
    /// address family word, PPP framing or Cisco HDLC.
    Link,
    /// An IEEE 802.1Q VLAN tag or an IEEE 802.1ad service tag.
    Vlan,
    /// An IP packet whose version is not known yet (raw IP link types and [`decode_ip`]).
    ///
    /// [`decode_ip`]: super::decode_ip
    Ip,
    /// The IPv4 header, its options, or an IPsec authentication header behind it (RFC 791,
    /// RFC 4302).
    Ipv4,
    /// The IPv6 header or its extension headers (RFC 8200).
    Ipv6,
    /// The TCP header and its options (RFC 9293).
    Tcp,
    /// The UDP header (RFC 768).
    Udp,
    /// A GRE header (RFC 2784, RFC 2890), or the ERSPAN header behind one.
    Gre,
    /// A VXLAN header (RFC 7348).
    Vxlan,
    /// A PPPoE session header and the PPP protocol field behind it (RFC 2516).
    Pppoe,
    /// A GTP-U header with its optional fields and extension headers (3GPP TS 29.281 §5).
    GtpU,
    /// An MPLS label stack entry (RFC 3032), or a pseudowire control word (RFC 4385).
    Mpls,
    /// An IEEE 802.11 MAC header and the LLC/SNAP header behind it.
    Ieee80211,
    /// A radiotap header.
    Radiotap,
    /// A GENEVE header with its options (RFC 8926).
    Geneve,
    /// Teredo's authentication and origin indicators, or the IPv6 header they lead to
    /// (RFC 4380 §5.1.1).
    Teredo,
}

impl Layer {
    /// A short human-readable name: `"link layer"`, `"VLAN tag"`, `"IP"`, `"IPv4"`, `"IPv6"`,
    /// `"TCP"`, `"UDP"`, `"GRE"`, `"VXLAN"`, `"PPPoE"`, `"GTP-U"`, `"MPLS"`, `"802.11"`,
    /// `"radiotap"`, `"GENEVE"` or `"Teredo"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Link => "link layer",
            Self::Vlan => "VLAN tag",
            Self::Ip => "IP",
            Self::Ipv4 => "IPv4",
            Self::Ipv6 => "IPv6",
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
            Self::Gre => "GRE",
            Self::Vxlan => "VXLAN",
            Self::Pppoe => "PPPoE",
            Self::GtpU => "GTP-U",
            Self::Mpls => "MPLS",
            Self::Ieee80211 => "802.11",
            Self::Radiotap => "radiotap",
            Self::Geneve => "GENEVE",
            Self::Teredo => "Teredo",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a frame yields no classifiable [`Packet`](super::Packet).
///
/// Every malformed or truncated input maps to one of these; decoding never panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The frame ends inside a header.
    ///
    /// A capture cut short by its snapshot length inside the *payload* is not an error: the
    /// [`Packet`](super::Packet) then carries the captured part and the on-wire length.
    Truncated {
        /// The header that does not fit.
        layer: Layer,
        /// Bytes the header needs, counted from its first byte.
        required: u32,
        /// Bytes available from the header's first byte on.
        available: u32,
        /// Where the header starts, in bytes from the start of the frame.
        offset: u32,
    },
    /// A header field holds a value the protocol forbids.
    Malformed {
        /// The header holding the value.
        layer: Layer,
        /// What is wrong, e.g. `"TCP data offset below 5 words"`.
        reason: &'static str,
    },
    /// A well-formed header announces something this decoder does not read: an ARP ethertype,
    /// an ICMP protocol number, an unknown BSD loopback address family, …
    Unsupported {
        /// The header holding the value.
        layer: Layer,
        /// The field's name, e.g. `"ethertype"`, `"protocol"`, `"address family"`.
        field: &'static str,
        /// The field's value.
        value: u32,
    },
    /// A non-first IPv4 or IPv6 fragment (fragment offset > 0).
    ///
    /// It carries no transport header, so its ports (and so its flow) are unknown: callers count
    /// it and move on. First fragments are not reported here; they decode to a
    /// [`Packet`](super::Packet) with [`Fragment::First`](super::Fragment::First).
    LaterFragment {
        /// The IP protocol number of the fragmented datagram: the IPv4 protocol field, or the
        /// next-header field of the IPv6 fragment header (which may name an extension header
        /// inside the fragmentable part rather than the transport).
        protocol: u8,
        /// The sender's address.
        src: IpAddr,
        /// The receiver's address.
        dst: IpAddr,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated {
                layer,
                required,
                available,
                offset,
            } => write!(
                f,
                "{layer} header at byte {offset} truncated: needs {required} bytes, \
                 {available} available"
            ),
            Self::Malformed { layer, reason } => write!(f, "malformed {layer} header: {reason}"),
            Self::Unsupported {
                layer,
                field,
                value,
            } => write!(f, "unsupported {layer} {field} {value} ({value:#x})"),
            Self::LaterFragment { protocol, src, dst } => write!(
                f,
                "non-first IP fragment (protocol {protocol}) from {src} to {dst}"
            ),
        }
    }
}

impl core::error::Error for DecodeError {}

impl DecodeError {
    /// A [`DecodeError::Truncated`] from etherparse's length error for a header starting
    /// `base` bytes into the frame.
    pub(super) fn from_len(layer: Layer, base: usize, err: etherparse::err::LenError) -> Self {
        Self::Truncated {
            layer,
            required: saturate(err.required_len),
            available: saturate(err.len),
            offset: saturate(base.saturating_add(err.layer_start_offset)),
        }
    }

    /// A [`DecodeError::Truncated`] for a header of `required` bytes at `offset` with only
    /// `available` bytes left.
    pub(super) fn truncated(
        layer: Layer,
        offset: usize,
        required: usize,
        available: usize,
    ) -> Self {
        Self::Truncated {
            layer,
            required: saturate(required),
            available: saturate(available),
            offset: saturate(offset),
        }
    }
}

/// A length as `u32`, saturating (frames never come near 4 GiB).
pub(super) fn saturate(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
