//! [`Tunnel`]: the encapsulation a packet arrived in, kept on the [`Packet`](super::Packet) for
//! the record while its flow key is the innermost 5-tuple.

use core::fmt;
use core::net::IpAddr;

/// How many encapsulations [`decode`](super::decode) unwraps, nested: GRE, ERSPAN, IP-in-IP,
/// VXLAN, PPPoE, GTP-U and an MPLS label stack each count one (VLAN tags count none). A packet
/// with more is [`DecodeError::Unsupported`](super::DecodeError::Unsupported) with the field
/// `"encapsulation depth"`: a frame cannot make the decoder walk more than this many headers
/// besides its own.
pub const MAX_ENCAPSULATIONS: u8 = 4;

/// An encapsulation [`decode`](super::decode) reads. The numbers are stable (records, C).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum TunnelKind {
    /// GRE (RFC 2784, key and sequence number RFC 2890) carrying IPv4, IPv6, Ethernet
    /// (transparent Ethernet bridging, ethertype 0x6558, as NVGRE) or MPLS.
    Gre = 1,
    /// IPv4 in IPv4 (IP protocol 4, RFC 2003).
    IpIp = 2,
    /// IPv6 in IPv4 (IP protocol 41, RFC 4213 §3).
    SixInFour = 3,
    /// IPv4 in IPv6 (next header 4, RFC 2473).
    FourInSix = 4,
    /// IPv6 in IPv6 (next header 41, RFC 2473).
    SixInSix = 5,
    /// VXLAN on UDP port 4789 (RFC 7348).
    Vxlan = 6,
    /// PPPoE session stage (ethertype 0x8864, RFC 2516) carrying IPv4 (PPP 0x0021) or IPv6
    /// (PPP 0x0057).
    Pppoe = 7,
    /// GTP-U G-PDU on UDP port 2152 (3GPP TS 29.281).
    GtpU = 8,
    /// An MPLS label stack (ethertypes 0x8847, 0x8848; RFC 3032) over IPv4, IPv6 or an
    /// Ethernet pseudowire with a control word (RFC 4385, RFC 4448).
    Mpls = 9,
    /// ERSPAN type I, II or III mirrored Ethernet frames in GRE (protocol types 0x88BE and
    /// 0x22EB; draft-foschiano-erspan).
    Erspan = 10,
}

impl TunnelKind {
    /// The record's `tunnel` name: `gre`, `ipip`, `6in4`, `4in6`, `6in6`, `vxlan`, `pppoe`,
    /// `gtp_u`, `mpls` or `erspan`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Gre => "gre",
            Self::IpIp => "ipip",
            Self::SixInFour => "6in4",
            Self::FourInSix => "4in6",
            Self::SixInSix => "6in6",
            Self::Vxlan => "vxlan",
            Self::Pppoe => "pppoe",
            Self::GtpU => "gtp_u",
            Self::Mpls => "mpls",
            Self::Erspan => "erspan",
        }
    }

    /// What [`Tunnel::id`] is for this kind, as [`Tunnel`]'s `Display` names it: `key` (GRE),
    /// `vni` (VXLAN), `session` (PPPoE, ERSPAN), `teid` (GTP-U), `label` (MPLS).
    #[must_use]
    pub const fn id_name(self) -> &'static str {
        match self {
            Self::Gre => "key",
            Self::Vxlan => "vni",
            Self::Pppoe | Self::Erspan => "session",
            Self::GtpU => "teid",
            Self::Mpls => "label",
            Self::IpIp | Self::SixInFour | Self::FourInSix | Self::SixInSix => "id",
        }
    }
}

impl fmt::Display for TunnelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The IP header (and, for tunnels over UDP, the UDP ports) around an encapsulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Outer {
    /// The outer sender.
    pub src: IpAddr,
    /// The outer receiver.
    pub dst: IpAddr,
    /// UDP source and destination ports, for VXLAN and GTP-U.
    pub ports: Option<(u16, u16)>,
}

/// The innermost encapsulation of a packet: the one right around its flow.
///
/// Its `Display` is the record's `tunnel_dst`: the outer IP endpoints as `SRC -> DST` (with
/// `:PORT` for tunnels over UDP, IPv6 in brackets), then the tunnel's identifier as
/// `NAME VALUE` (see [`TunnelKind::id_name`]), separated by a space; for example
/// `192.0.2.1 -> 192.0.2.2 key 7`, `[2001:db8::1]:40000 -> [2001:db8::2]:4789 vni 42`,
/// `session 17` (PPPoE straight on Ethernet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tunnel {
    /// What the encapsulation is.
    pub kind: TunnelKind,
    /// Encapsulations unwrapped in all (1 for a single tunnel; at most
    /// [`MAX_ENCAPSULATIONS`]).
    pub depth: u8,
    /// The nearest IP header outside this encapsulation, if any: the delivery header of GRE,
    /// IP-in-IP, VXLAN and GTP-U, or the IP packet around a PPPoE or MPLS frame that itself
    /// came through a tunnel; `None` for PPPoE and MPLS straight on the link.
    pub outer: Option<Outer>,
    /// The GRE key (when present), VXLAN network identifier, PPPoE session id, GTP-U tunnel
    /// endpoint identifier, ERSPAN session id (types II and III), or the MPLS label at the
    /// bottom of the stack.
    pub id: Option<u32>,
}

impl fmt::Display for Tunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut space = "";
        if let Some(outer) = self.outer {
            match outer.ports {
                Some((sport, dport)) => write!(
                    f,
                    "{} -> {}",
                    core::net::SocketAddr::new(outer.src, sport),
                    core::net::SocketAddr::new(outer.dst, dport)
                )?,
                None => write!(f, "{} -> {}", outer.src, outer.dst)?,
            }
            space = " ";
        }
        if let Some(id) = self.id {
            write!(f, "{space}{} {id}", self.kind.id_name())?;
        }
        Ok(())
    }
}

/// What the decoder carries from the outside in: the innermost tunnel so far and whether an
/// enclosing IP datagram was a first fragment (so the inner packet is cut short).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Encap {
    /// The innermost tunnel entered so far.
    pub(super) tunnel: Option<Tunnel>,
    /// An enclosing datagram was the first fragment of a larger one.
    pub(super) first_fragment: bool,
}

impl Encap {
    /// No encapsulation.
    pub(super) const NONE: Self = Self {
        tunnel: None,
        first_fragment: false,
    };

    /// Encapsulations unwrapped so far.
    pub(super) fn depth(&self) -> u8 {
        self.tunnel.map_or(0, |t| t.depth)
    }

    /// Enter a tunnel of `kind` with identifier `id`; `outer` is its delivery IP header, or
    /// `None` to keep the one around the current tunnel (PPPoE, MPLS).
    ///
    /// # Errors
    /// [`DecodeError::Unsupported`](super::DecodeError::Unsupported) past
    /// [`MAX_ENCAPSULATIONS`].
    pub(super) fn enter(
        self,
        kind: TunnelKind,
        layer: super::Layer,
        outer: Option<Outer>,
        id: Option<u32>,
    ) -> Result<Self, super::DecodeError> {
        let depth = self.depth().saturating_add(1);
        if depth > MAX_ENCAPSULATIONS {
            return Err(super::DecodeError::Unsupported {
                layer,
                field: "encapsulation depth",
                value: depth.into(),
            });
        }
        Ok(Self {
            tunnel: Some(Tunnel {
                kind,
                depth,
                outer: outer.or_else(|| self.tunnel.and_then(|t| t.outer)),
                id,
            }),
            first_fragment: self.first_fragment,
        })
    }
}
