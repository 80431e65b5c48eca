//! [`Tunnel`]: the encapsulation a packet arrived in, kept on the [`Packet`](super::Packet) for
//! the record while its flow key is the innermost 5-tuple.

use core::fmt;
use core::net::IpAddr;

mod state;

/// How many encapsulations [`decode`](super::decode) unwraps, nested: GRE, ERSPAN, IP-in-IP,
/// VXLAN, GENEVE, Teredo, PPPoE, GTP-U and an MPLS label stack each count one (VLAN tags count
/// none). A packet with more is [`DecodeError::Unsupported`](super::DecodeError::Unsupported)
/// with the field `"encapsulation depth"`: a frame cannot make the decoder walk more than this
/// many headers besides its own.
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
    /// VXLAN on UDP port 4789 (RFC 7348), or 8472 (the Linux kernel's default port) with
    /// every reserved bit clear.
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
    /// A TCP connection to a SOCKS 4 or 4A proxy, read past its negotiation (not an
    /// encapsulation [`decode`](super::decode) reads: the flow classifier finds it).
    Socks4 = 11,
    /// A TCP connection to a SOCKS 5 proxy read past its negotiation (RFC 1928), or UDP
    /// datagrams to its relay unwrapped from their SOCKS 5 UDP headers (§7).
    Socks5 = 12,
    /// A TCP connection to an HTTP proxy read past its `CONNECT` request and 2xx reply (RFC
    /// 9110 §9.3.6).
    HttpConnect = 13,
    /// GENEVE on UDP port 6081 (RFC 8926) carrying Ethernet, IPv4 or IPv6.
    Geneve = 14,
    /// Teredo: IPv6 in UDP over IPv4, to or from port 3544 (RFC 4380).
    Teredo = 15,
}

impl TunnelKind {
    /// Every kind, in discriminant order.
    pub const ALL: [Self; 15] = [
        Self::Gre,
        Self::IpIp,
        Self::SixInFour,
        Self::FourInSix,
        Self::SixInSix,
        Self::Vxlan,
        Self::Pppoe,
        Self::GtpU,
        Self::Mpls,
        Self::Erspan,
        Self::Socks4,
        Self::Socks5,
        Self::HttpConnect,
        Self::Geneve,
        Self::Teredo,
    ];

    /// True for the proxies the flow classifier follows (SOCKS, HTTP `CONNECT`), false for the
    /// encapsulations [`decode`](super::decode) reads.
    #[must_use]
    pub const fn is_proxy(self) -> bool {
        matches!(self, Self::Socks4 | Self::Socks5 | Self::HttpConnect)
    }

    /// The kind whose [`TunnelKind::name`] is `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The record's `tunnel` name: `gre`, `ipip`, `6in4`, `4in6`, `6in6`, `vxlan`, `pppoe`,
    /// `gtp_u`, `mpls`, `erspan`, `socks4`, `socks5`, `http_connect`, `geneve` or `teredo`.
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
            Self::Socks4 => "socks4",
            Self::Socks5 => "socks5",
            Self::HttpConnect => "http_connect",
            Self::Geneve => "geneve",
            Self::Teredo => "teredo",
        }
    }

    /// What [`Tunnel::id`] is for this kind, as [`Tunnel`]'s `Display` names it: `key` (GRE),
    /// `vni` (VXLAN, GENEVE), `session` (PPPoE, ERSPAN), `teid` (GTP-U), `label` (MPLS); `id`
    /// for the others (proxies have no [`Tunnel`]).
    #[must_use]
    pub const fn id_name(self) -> &'static str {
        match self {
            Self::Gre => "key",
            Self::Vxlan | Self::Geneve => "vni",
            Self::Pppoe | Self::Erspan => "session",
            Self::GtpU => "teid",
            Self::Mpls => "label",
            Self::IpIp
            | Self::SixInFour
            | Self::FourInSix
            | Self::SixInSix
            | Self::Teredo
            | Self::Socks4
            | Self::Socks5
            | Self::HttpConnect => "id",
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
    /// UDP source and destination ports, for VXLAN, GENEVE, Teredo and GTP-U.
    pub ports: Option<(u16, u16)>,
}

/// The innermost encapsulation of a packet: the one right around its flow.
///
/// Its `Display` is the record's `tunnel_dst`: the outer IP endpoints as `SRC -> DST` (with
/// `:PORT` for tunnels over UDP, IPv6 in brackets), then the tunnel's identifier as
/// `NAME VALUE` (see [`TunnelKind::id_name`]), separated by a space; for example
/// `192.0.2.1 -> 192.0.2.2 key 7`, `[2001:db8::1]:40000 -> [2001:db8::2]:4789 vni 42`,
/// `session 17` (PPPoE straight on Ethernet).
///
/// A [`Packet`](super::Packet) carries only the [`TunnelKind`]; [`tunnel`](super::tunnel)
/// reads the whole of it, and a [`Reassembler`](crate::reassembly::Reassembler) keeps it for
/// the datagrams it completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tunnel {
    kind: TunnelKind,
    depth: u8,
    /// Which of `id`, the outer addresses and the ports are set ([`flag`]).
    flags: u8,
    id: u32,
    ports: (u16, u16),
    src: IpAddr,
    dst: IpAddr,
}

/// Bits of [`Tunnel`]'s `flags`.
mod flag {
    /// `id` is set.
    pub const ID: u8 = 1;
    /// `src` and `dst` are set.
    pub const OUTER: u8 = 2;
    /// `ports` are set.
    pub const PORTS: u8 = 4;
}

impl Tunnel {
    /// A tunnel of `kind`, `depth` encapsulations deep, around `outer`, identified by `id`.
    pub(super) fn new(kind: TunnelKind, depth: u8, outer: Option<Outer>, id: Option<u32>) -> Self {
        let unspecified = IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED);
        let mut flags = 0;
        if id.is_some() {
            flags |= flag::ID;
        }
        if outer.is_some() {
            flags |= flag::OUTER;
        }
        if outer.is_some_and(|o| o.ports.is_some()) {
            flags |= flag::PORTS;
        }
        Self {
            kind,
            depth,
            flags,
            id: id.unwrap_or(0),
            ports: outer.and_then(|o| o.ports).unwrap_or((0, 0)),
            src: outer.map_or(unspecified, |o| o.src),
            dst: outer.map_or(unspecified, |o| o.dst),
        }
    }

    /// What the encapsulation is.
    #[must_use]
    pub const fn kind(&self) -> TunnelKind {
        self.kind
    }

    /// Encapsulations unwrapped in all (1 for a single tunnel; at most
    /// [`MAX_ENCAPSULATIONS`]).
    #[must_use]
    pub const fn depth(&self) -> u8 {
        self.depth
    }

    /// The nearest IP header outside this encapsulation, if any: the delivery header of GRE,
    /// IP-in-IP, VXLAN, GENEVE, Teredo and GTP-U, or the IP packet around a PPPoE or MPLS frame
    /// that itself came through a tunnel; `None` for PPPoE and MPLS straight on the link.
    #[must_use]
    pub fn outer(&self) -> Option<Outer> {
        (self.flags & flag::OUTER != 0).then_some(Outer {
            src: self.src,
            dst: self.dst,
            ports: (self.flags & flag::PORTS != 0).then_some(self.ports),
        })
    }

    /// The GRE key (when present), VXLAN or GENEVE network identifier, PPPoE session id, GTP-U
    /// tunnel endpoint identifier, ERSPAN session id (types II and III), or the MPLS label at
    /// the bottom of the stack.
    #[must_use]
    pub fn id(&self) -> Option<u32> {
        (self.flags & flag::ID != 0).then_some(self.id)
    }
}

impl fmt::Display for Tunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut space = "";
        if let Some(outer) = self.outer() {
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
        if let Some(id) = self.id() {
            write!(f, "{space}{} {id}", self.kind.id_name())?;
        }
        Ok(())
    }
}

impl Tunnel {
    /// Put `outer` around the innermost tunnel found so far in `slot`: it becomes the tunnel
    /// if there is none yet; otherwise it lends its IP endpoints to an inner tunnel that has
    /// none (PPPoE or MPLS inside an IP tunnel).
    pub(super) fn wrap(slot: &mut Option<Self>, outer: Self) {
        match slot {
            None => *slot = Some(outer),
            Some(inner) => {
                if inner.flags & flag::OUTER == 0 && outer.flags & flag::OUTER != 0 {
                    inner.flags |= outer.flags & (flag::OUTER | flag::PORTS);
                    inner.src = outer.src;
                    inner.dst = outer.dst;
                    inner.ports = outer.ports;
                }
            }
        }
    }
}

/// What the decoder carries from the outside in, in one word on purpose: every frame passes it
/// through its IP layer, and a tunnel's endpoints are put on the packet on the way out.
/// Bits 0–2: encapsulations unwrapped so far; bit 3: an enclosing datagram was a first
/// fragment (so the inner packet is cut short); bits 4–7: the [`TunnelKind`] of a PPPoE or
/// MPLS header read since the last IP header (0: none); bits 8–31: its session id or bottom
/// label (16 and 20 bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Encap(u32);

/// Fields of [`Encap`].
mod bits {
    /// The depth.
    pub const DEPTH: u32 = 0x7;
    /// The first-fragment flag.
    pub const FIRST_FRAGMENT: u32 = 0x8;
    /// Where the link tunnel's kind starts.
    pub const LINK_SHIFT: u32 = 4;
    /// The link tunnel's kind, shifted.
    pub const LINK: u32 = 0xF0;
    /// Where its identifier starts.
    pub const ID_SHIFT: u32 = 8;
}

const _: () = assert!(MAX_ENCAPSULATIONS as u32 <= bits::DEPTH);

impl Encap {
    /// No encapsulation.
    pub(super) const NONE: Self = Self(0);

    /// Encapsulations unwrapped so far.
    pub(super) const fn depth(self) -> u8 {
        (self.0 & bits::DEPTH) as u8
    }

    /// An enclosing datagram was a first fragment.
    pub(super) const fn first_fragment(self) -> bool {
        self.0 & bits::FIRST_FRAGMENT != 0
    }

    /// This encapsulation, marked as inside a first fragment if `first` is set.
    pub(super) const fn cut(self, first: bool) -> Self {
        if first {
            Self(self.0 | bits::FIRST_FRAGMENT)
        } else {
            self
        }
    }

    /// Enter one more encapsulation.
    ///
    /// # Errors
    /// [`DecodeError::Unsupported`](super::DecodeError::Unsupported) past
    /// [`MAX_ENCAPSULATIONS`].
    pub(super) fn enter(self, layer: super::Layer) -> Result<Self, super::DecodeError> {
        let depth = self.depth().saturating_add(1);
        if depth > MAX_ENCAPSULATIONS {
            return Err(super::DecodeError::Unsupported {
                layer,
                field: "encapsulation depth",
                value: depth.into(),
            });
        }
        Ok(Self(u32::from(depth) | (self.0 & bits::FIRST_FRAGMENT)))
    }

    /// Enter a PPPoE session or MPLS stack with identifier `id` (at most 24 bits).
    ///
    /// # Errors
    /// As [`Encap::enter`].
    pub(super) fn enter_link(
        self,
        kind: TunnelKind,
        layer: super::Layer,
        id: u32,
    ) -> Result<Self, super::DecodeError> {
        let inner = self.enter(layer)?;
        Ok(Self(
            inner.0 | (u32::from(kind as u8) << bits::LINK_SHIFT) | (id << bits::ID_SHIFT),
        ))
    }

    /// The PPPoE or MPLS tunnel read since the last IP header, if any.
    pub(super) fn link_tunnel(self) -> Option<Tunnel> {
        let kind = match (self.0 & bits::LINK) >> bits::LINK_SHIFT {
            k if k == TunnelKind::Pppoe as u32 => TunnelKind::Pppoe,
            k if k == TunnelKind::Mpls as u32 => TunnelKind::Mpls,
            _ => return None,
        };
        Some(Tunnel::new(
            kind,
            self.depth(),
            None,
            Some(self.0 >> bits::ID_SHIFT),
        ))
    }
}
