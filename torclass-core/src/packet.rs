//! Frame decoding: link layer, IP and TCP/UDP headers to a [`FlowKey`] and the payload.
//!
//! [`decode`] reads one captured frame of a given [`LinkType`]; [`decode_ip`] reads a bare IP
//! packet, as NFQUEUE delivers them. Both borrow the payload from the caller's buffer, never
//! allocate and never panic: every input that does not lead to a TCP or UDP payload is a
//! [`DecodeError`].
//!
//! What is read:
//! - link: Ethernet II with any number of IEEE 802.1Q / 802.1ad tags, Linux cooked capture v1
//!   and v2, BSD loopback (`DLT_NULL`, `DLT_LOOP`), raw IPv4/IPv6, PPP with or without HDLC-like
//!   framing (RFC 1661/1662), Cisco HDLC, unprotected IEEE 802.11 data frames through LLC/SNAP,
//!   with or without a radiotap header (see [`LinkType`]);
//! - IPv4 (RFC 791) with options and an IPsec authentication header (RFC 4302);
//! - IPv6 (RFC 8200) through hop-by-hop, routing, fragment, destination options, mobility,
//!   HIP, shim6 and authentication headers;
//! - TCP (RFC 9293) with options, UDP (RFC 768);
//! - encapsulations, nested up to [`MAX_ENCAPSULATIONS`] deep: GRE (RFC 2784, with the key and
//!   sequence number of RFC 2890) carrying IPv4, IPv6, Ethernet (NVGRE) or MPLS, ERSPAN types
//!   I–III in GRE, IP-in-IP (IPv4/IPv6 in IPv4/IPv6, IP protocols 4 and 41), VXLAN on UDP port
//!   4789 (RFC 7348) and 8472 (strict header), GENEVE on UDP port 6081 (RFC 8926), Teredo to or
//!   from UDP port 3544 (RFC 4380), PPPoE sessions (RFC 2516, ethertype 0x8864, PPP
//!   0x0021/0x0057), GTP-U G-PDUs on UDP port 2152 (3GPP TS 29.281, with sequence, N-PDU and
//!   extension headers) and MPLS label stacks (RFC 3032, ethertypes 0x8847/0x8848) over IP or an Ethernet pseudowire
//!   with a control word (RFC 4385). The packet's key is the innermost 5-tuple and
//!   [`Packet::tunnel`] the innermost encapsulation, with the IP endpoints around it. A UDP
//!   datagram on a tunnel port whose payload is not that tunnel's header (for Teredo: an IPv6
//!   header whose payload length ends the datagram) is an ordinary UDP datagram; once such a
//!   header is read, what it carries decides.
//!
//! Lengths: the IP total length (IPv4) or payload length (IPv6) bounds the payload, which drops
//! Ethernet minimum-size padding and trailing FCS bytes. A frame cut short by the capture's
//! snapshot length inside the payload still decodes: [`Packet::payload`] is what was captured
//! and [`Packet::payload_len_on_wire`] what the IP header announced. A length of zero (IPv4
//! under TCP segmentation offload, IPv6 jumbograms per RFC 2675) leaves the captured length in
//! charge. Checksums are not verified: offloading NICs leave them blank in captures.
//!
//! Fragments (RFC 791 §2.3, RFC 8200 §4.5): a first fragment decodes to a [`Packet`] with
//! [`Fragment::First`] and whatever payload it carries; a later fragment, which has no
//! transport header and so no ports, is [`DecodeError::LaterFragment`]. [`fragment`] gives a
//! fragment's data and identification to a reassembler ([`crate::reassembly`]), and
//! [`decode_reassembled`] reads the datagram it puts back together.
//!
//! Two readings give the same answer. The fast path (`fast.rs`) reads the common packets with
//! plain big-endian loads: after the link layer, an IPv4 header with or without options (whole
//! or a first fragment) or an IPv6 header whose next header is the transport, then TCP or UDP.
//! Tunnels go to the reference reading (`encap.rs` and one file per header family), which
//! reads the IP, TCP and UDP headers inside them with etherparse as it does outside.
//! Whatever it does not take (an IPv4 authentication header, IPv6 extension headers, later
//! fragments, other protocols, and every truncated or malformed header, so every
//! [`DecodeError`]) goes to the reference reading below, which [`decode`] and [`decode_ip`]
//! then run from the start. The fast path gives the same `Result` as the reference, payload
//! subslice included, for every input: differential proptests over arbitrary bytes and mutated
//! frames (`tests.rs`), every frame of the real captures (`tests/tests/decode_paths.rs`) and
//! the `packet_decode` fuzz target check it against the hidden `decode_reference` and
//! `decode_ip_reference`.
//!
//! In the reference reading, etherparse (with no `std`/`alloc`) reads Ethernet, VLAN tags, the
//! IPv4 header and its authentication header, the individual IPv6 headers and TCP/UDP. The
//! IPv6 extension-header chain is walked here: etherparse 0.21 keeps parsing "headers" inside a
//! non-first fragment, whose bytes are payload, and its `Ipv6ExtensionSliceIter` reads out of
//! bounds when iterated over a chain that stopped on an error. See `link.rs` for the link types
//! read by hand; both readings share it, except that the fast path reads the Ethernet header
//! itself.

mod encap;
mod error;
mod fast;
mod fragment;
mod geneve;
mod gre;
mod gtp;
mod ieee80211;
mod link;
mod mpls;
mod ppp;
mod pppoe;
mod radiotap;
mod teredo;
#[cfg(test)]
mod tests;
mod tunnel;
mod vxlan;

pub use error::{DecodeError, Layer};
pub use fragment::{FragmentKey, IpFragment};
pub use link::LinkType;
pub use tunnel::{Outer, Tunnel, TunnelKind, MAX_ENCAPSULATIONS};

use core::fmt;
use core::net::{IpAddr, SocketAddr};

use etherparse::{
    IpAuthHeaderSlice, Ipv6FragmentHeaderSlice, Ipv6HeaderSlice, Ipv6RawExtHeaderSlice,
    LaxIpv4Slice, TcpSlice, UdpSlice,
};

use crate::verdict::Transport;
use error::saturate;
use link::{IpPacket, IpVersion};
use tunnel::Encap;

/// One end of a flow: an IPv4 or IPv6 address and a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Endpoint {
    /// The IP address.
    pub addr: IpAddr,
    /// The TCP or UDP port.
    pub port: u16,
}

impl From<Endpoint> for SocketAddr {
    fn from(e: Endpoint) -> Self {
        SocketAddr::new(e.addr, e.port)
    }
}

impl From<SocketAddr> for Endpoint {
    fn from(s: SocketAddr) -> Self {
        Self {
            addr: s.ip(),
            port: s.port(),
        }
    }
}

impl fmt::Display for Endpoint {
    /// `192.0.2.1:6881` or `[2001:db8::1]:6881`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        SocketAddr::from(*self).fmt(f)
    }
}

/// The 5-tuple as seen in one packet: `src` is this packet's sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FlowKey {
    /// TCP or UDP.
    pub transport: Transport,
    /// The sender of the packet.
    pub src: Endpoint,
    /// The receiver of the packet.
    pub dst: Endpoint,
}

impl FlowKey {
    /// The key of a packet going the other way.
    #[must_use]
    pub fn reversed(&self) -> Self {
        Self {
            transport: self.transport,
            src: self.dst,
            dst: self.src,
        }
    }
}

/// TCP control bits (RFC 9293 §3.1; ECE and CWR from RFC 3168 §23.2), as the bit set of header
/// byte 13.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from the sender.
    pub const FIN: Self = Self(0x01);
    /// Synchronize sequence numbers: the first segment from each side.
    pub const SYN: Self = Self(0x02);
    /// Reset the connection.
    pub const RST: Self = Self(0x04);
    /// Push.
    pub const PSH: Self = Self(0x08);
    /// The acknowledgment number is significant.
    pub const ACK: Self = Self(0x10);
    /// The urgent pointer is significant.
    pub const URG: Self = Self(0x20);
    /// ECN echo (RFC 3168).
    pub const ECE: Self = Self(0x40);
    /// Congestion window reduced (RFC 3168).
    pub const CWR: Self = Self(0x80);

    /// True if every bit of `other` is set in `self`.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flags of a parsed TCP header.
    fn of(seg: &TcpSlice<'_>) -> Self {
        [
            (seg.fin(), Self::FIN),
            (seg.syn(), Self::SYN),
            (seg.rst(), Self::RST),
            (seg.psh(), Self::PSH),
            (seg.ack(), Self::ACK),
            (seg.urg(), Self::URG),
            (seg.ece(), Self::ECE),
            (seg.cwr(), Self::CWR),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .fold(Self::default(), |all, (_, flag)| all | flag)
    }
}

impl core::ops::BitOr for TcpFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// What the flow table needs from a TCP header (RFC 9293 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpInfo {
    /// Sequence number of the first payload byte (of the SYN itself when SYN is set).
    pub seq: u32,
    /// Acknowledgment number, meaningful when [`TcpFlags::ACK`] is set.
    pub ack: u32,
    /// The control bits.
    pub flags: TcpFlags,
    /// The urgent pointer when [`TcpFlags::URG`] is set (0 otherwise): the offset from `seq` of
    /// the byte after the urgent byte (RFC 6093 §3, as Linux and BSD read it).
    pub urgent: u16,
}

/// Whether the packet's IP datagram was fragmented. Non-first fragments never reach a
/// [`Packet`]: they are [`DecodeError::LaterFragment`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fragment {
    /// A whole datagram (including RFC 6946 atomic fragments: offset 0, no more fragments).
    None,
    /// The first fragment (offset 0, more fragments follow): the transport header is here, the
    /// payload is only the part this fragment carries.
    First,
}

/// A decoded TCP segment or UDP datagram, borrowing its payload from the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The 5-tuple, with `src` the sender of this packet.
    pub key: FlowKey,
    /// The TCP header fields, for TCP.
    pub tcp: Option<TcpInfo>,
    /// Whether this is a whole datagram or its first fragment.
    pub fragment: Fragment,
    /// The transport payload as captured. Link padding (Ethernet minimum-size padding, FCS) is
    /// removed using the IP total/payload length (and the UDP length).
    pub payload: &'a [u8],
    /// How many payload bytes the IP (and UDP) headers say there are. Larger than
    /// `payload.len()` when the capture truncated the frame (snapshot length).
    pub payload_len_on_wire: u32,
    /// The innermost encapsulation the packet arrived in (`key` is the 5-tuple inside it), or
    /// `None` for a packet straight on the link. Its endpoints and identifier: [`tunnel`] (a
    /// second, cold reading of the frame: the packet stays as small as it was, so untunnelled
    /// packets cost what they did).
    pub tunnel: Option<TunnelKind>,
}

// A packet above 128 bytes is moved with `memcpy` calls instead of a few vector moves, which
// every packet would pay for.
const _: () = assert!(core::mem::size_of::<Packet<'_>>() <= 96);

/// Decode one captured frame of link type `link`.
///
/// ```
/// use torclass_core::packet::{decode, DecodeError, LinkType};
/// use torclass_core::Transport;
///
/// // An IPv4/TCP packet 10.0.0.1:40000 -> 10.0.0.2:6881 carrying a BitTorrent handshake.
/// let mut frame = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
/// frame.extend_from_slice(&[0x9c, 0x40, 0x1a, 0xe1, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
/// frame.extend_from_slice(b"\x13BitTorrent protocol");
/// frame.extend_from_slice(&[0; 8]);
/// frame.extend_from_slice(&[0xab; 20]);
/// frame.extend_from_slice(b"-TR3000-abcdefghijkl");
/// let total = frame.len() as u16;
/// frame[2..4].copy_from_slice(&total.to_be_bytes());
/// let packet = decode(LinkType::Raw, &frame).unwrap();
/// assert_eq!(packet.key.transport, Transport::Tcp);
/// assert_eq!(packet.key.dst.port, 6881);
/// assert_eq!(packet.payload.len(), 68);
/// assert!(matches!(decode(LinkType::Raw, &frame[..10]), Err(DecodeError::Truncated { .. })));
/// ```
///
/// # Errors
/// A [`DecodeError`] for anything that is not an unfragmented or first-fragment TCP/UDP packet
/// over IPv4/IPv6 (inside at most [`MAX_ENCAPSULATIONS`] tunnels), or whose headers are
/// truncated or malformed.
#[inline]
pub fn decode(link: LinkType, frame: &[u8]) -> Result<Packet<'_>, DecodeError> {
    fast::decode(link, frame).map_or_else(|| decode_reference(link, frame), Ok)
}

/// Decode a bare IP packet (IPv4 or IPv6 by its version nibble), as NFQUEUE delivers them.
///
/// # Errors
/// As for [`decode`].
pub fn decode_ip(packet: &[u8]) -> Result<Packet<'_>, DecodeError> {
    fast::network(bare_ip(packet)).map_or_else(|| decode_ip_reference(packet), Ok)
}

/// The innermost encapsulation of a frame of link type `link` that [`decode`] reads to a
/// packet, in full (outer endpoints, key, VNI, session, TEID or label); `None` for a frame
/// straight on the link or one that does not decode. Cold: a second reading of the frame, for
/// when [`Packet::tunnel`] is set and its details are wanted (a new flow's record).
#[must_use]
#[cold]
#[inline(never)]
pub fn tunnel(link: LinkType, frame: &[u8]) -> Option<Tunnel> {
    match walk(link::ip_packet(link, frame).ok()?, false).ok()? {
        Walk::Packet(_, tunnel) => tunnel,
        Walk::Fragment(_) => None,
    }
}

/// [`tunnel`] for a bare IP packet, as [`decode_ip`] reads it.
#[must_use]
#[cold]
#[inline(never)]
pub fn tunnel_ip(packet: &[u8]) -> Option<Tunnel> {
    match walk(bare_ip(packet), false).ok()? {
        Walk::Packet(_, tunnel) => tunnel,
        Walk::Fragment(_) => None,
    }
}

/// The IP fragment a frame of link type `link` is, if it is one: the outermost IP datagram
/// of the frame (through any tunnels) that is a first or later fragment (RFC 791 §2.3,
/// RFC 8200 §4.5; not an atomic fragment). `None` for whole datagrams and for frames that do
/// not decode as far as a fragment. For a reassembler such as
/// [`Reassembler`](crate::reassembly::Reassembler); cold: call it for frames that [`decode`]
/// gives as [`Fragment::First`] or [`DecodeError::LaterFragment`].
#[must_use]
#[cold]
#[inline(never)]
pub fn fragment(link: LinkType, frame: &[u8]) -> Option<IpFragment<'_>> {
    match walk(link::ip_packet(link, frame).ok()?, true).ok()? {
        Walk::Fragment(f) => Some(f),
        Walk::Packet(_, _) => None,
    }
}

/// [`fragment`] for a bare IP packet, as [`decode_ip`] reads it.
#[must_use]
#[cold]
#[inline(never)]
pub fn fragment_ip(packet: &[u8]) -> Option<IpFragment<'_>> {
    match walk(bare_ip(packet), true).ok()? {
        Walk::Fragment(f) => Some(f),
        Walk::Packet(_, _) => None,
    }
}

/// Decode a reassembled datagram: `data` is the fragmentable part of the datagram `key` names
/// (what follows the IPv4 header, or the IPv6 fragment header), `len_on_wire` its length when
/// `data` holds only its start, `tunnel` the encapsulation its fragments came in. The result
/// is what [`decode`] gives for the whole datagram, with [`Fragment::None`], and its innermost
/// tunnel in full (see [`tunnel`]); inner tunnels are followed as in [`decode`].
///
/// # Errors
/// As for [`decode`]; a fragment found inside the datagram (fragments of a datagram that was
/// itself inside fragments) is [`DecodeError::LaterFragment`], whatever its offset.
pub fn decode_reassembled<'a>(
    key: &FragmentKey,
    data: &'a [u8],
    len_on_wire: usize,
    tunnel: Option<Tunnel>,
) -> Result<(Packet<'a>, Option<Tunnel>), DecodeError> {
    let mut encap = Encap::NONE;
    for _ in 0..tunnel.map_or(0, |t| t.depth()) {
        encap = encap.enter(Layer::Ip)?;
    }
    let missing = len_on_wire.saturating_sub(data.len());
    let datagram = match key.src {
        IpAddr::V6(_) => {
            let chain = Chain {
                next: key.protocol,
                rest: data,
                missing,
                at: 0,
                first: false,
            };
            match ipv6_chain(chain, key.src, key.dst, true)? {
                (d, None) => d,
                (d, Some(_)) => return Err(later(&d)),
            }
        }
        IpAddr::V4(_) => {
            let d = Datagram {
                layer: Layer::Ipv4,
                protocol: key.protocol,
                src: key.src,
                dst: key.dst,
                bytes: data,
                offset: 0,
                len_on_wire: data.len().saturating_add(missing),
                fragment: Fragment::None,
            };
            if d.protocol == ext::AUTH {
                let h = IpAuthHeaderSlice::from_slice(data)
                    .map_err(|e| auth_error(Layer::Ipv4, 0, e))?;
                let len = h.slice().len();
                Datagram {
                    protocol: h.next_header().0,
                    bytes: skip(data, len),
                    offset: len,
                    len_on_wire: d.len_on_wire.saturating_sub(len),
                    ..d
                }
            } else {
                d
            }
        }
    };
    let mut found = after_ip(datagram, encap, true)?;
    if let Some(t) = tunnel {
        found.wrap(t);
    }
    match found {
        Walk::Packet(p, inner) => Ok((p, inner)),
        Walk::Fragment(f) => Err(DecodeError::LaterFragment {
            protocol: f.key.protocol,
            src: f.key.src,
            dst: f.key.dst,
        }),
    }
}

unstable! {
    /// [`decode`] without the fast path: every IP, TCP and UDP header read by etherparse. It gives
    /// the same result for every input; it is public only so that the differential tests and the
    /// fuzz target can hold the fast path to that. Cold and out of line: in [`decode`] only what
    /// the fast path leaves (errors, extension headers, fragments) reaches it, and inlined it
    /// slows the loop around `decode`.
    #[doc(hidden)]
    #[cold]
    #[inline(never)]
    pub fn decode_reference(link: LinkType, frame: &[u8]) -> Result<Packet<'_>, DecodeError> {
        packet(walk(link::ip_packet(link, frame)?, false)?)
    }
}

unstable! {
    /// [`decode_ip`] without the fast path; see [`decode_reference`].
    #[doc(hidden)]
    #[cold]
    #[inline(never)]
    pub fn decode_ip_reference(packet: &[u8]) -> Result<Packet<'_>, DecodeError> {
        self::packet(walk(bare_ip(packet), false)?)
    }
}

/// A bare IP packet, its version told by its first nibble.
fn bare_ip(packet: &[u8]) -> IpPacket<'_> {
    IpPacket::new(IpVersion::FromNibble, packet, 0, Encap::NONE)
}

/// IP protocol numbers of IPv6 extension headers (IANA "IPv6 Extension Header Types", RFC 7045).
mod ext {
    /// Hop-by-hop options (RFC 8200 §4.3); must come first.
    pub const HOP_BY_HOP: u8 = 0;
    /// Routing header (RFC 8200 §4.4).
    pub const ROUTING: u8 = 43;
    /// Fragment header (RFC 8200 §4.5).
    pub const FRAGMENT: u8 = 44;
    /// IPsec authentication header (RFC 4302).
    pub const AUTH: u8 = 51;
    /// Destination options (RFC 8200 §4.6).
    pub const DEST_OPTS: u8 = 60;
    /// Mobility header (RFC 6275).
    pub const MOBILITY: u8 = 135;
    /// Host Identity Protocol (RFC 7401).
    pub const HIP: u8 = 139;
    /// Shim6 (RFC 5533).
    pub const SHIM6: u8 = 140;
}

/// The UDP header length (RFC 768).
const UDP_HEADER_LEN: usize = 8;

/// What the IP layer hands to the transport layer.
struct Datagram<'a> {
    /// The IP header (for errors about the protocol number).
    layer: Layer,
    /// The transport's IP protocol number.
    protocol: u8,
    /// Sender address.
    src: IpAddr,
    /// Receiver address.
    dst: IpAddr,
    /// The transport header onwards as captured, without link padding.
    bytes: &'a [u8],
    /// Where `bytes` starts in the frame.
    offset: usize,
    /// The length of `bytes` according to the IP header.
    len_on_wire: usize,
    /// Whether this is a first fragment.
    fragment: Fragment,
}

/// Where the reference reading ends: a packet, or (when asked for fragments) the outermost
/// fragment.
enum Walk<'a> {
    /// A TCP segment or UDP datagram, and its innermost tunnel in full.
    Packet(Packet<'a>, Option<Tunnel>),
    /// A first or later IP fragment.
    Fragment(IpFragment<'a>),
}

impl Walk<'_> {
    /// Put `tunnel` around what the walk found.
    fn wrap(&mut self, tunnel: Tunnel) {
        match self {
            Self::Packet(p, slot) => {
                Tunnel::wrap(slot, tunnel);
                p.tunnel = slot.map(|t| t.kind());
            }
            Self::Fragment(f) => Tunnel::wrap(&mut f.tunnel, tunnel),
        }
    }
}

/// The packet a walk for packets ended on.
fn packet(walk: Walk<'_>) -> Result<Packet<'_>, DecodeError> {
    match walk {
        Walk::Packet(p, _) => Ok(p),
        // Not reached: a walk for packets reports later fragments as errors and reads on
        // through first ones.
        Walk::Fragment(f) => Err(DecodeError::LaterFragment {
            protocol: f.key.protocol,
            src: f.key.src,
            dst: f.key.dst,
        }),
    }
}

/// The error for the later fragment `d`.
fn later(d: &Datagram<'_>) -> DecodeError {
    DecodeError::LaterFragment {
        protocol: d.protocol,
        src: d.src,
        dst: d.dst,
    }
}

/// How an IP datagram was fragmented.
struct FragmentInfo {
    /// The identification.
    id: u32,
    /// The fragment offset, in bytes.
    offset: u32,
    /// More fragments follow.
    more: bool,
    /// The capture holds the fragment's data in full.
    whole: bool,
}

/// Decode the IP packet a link layer, a tunnel (or NFQUEUE) handed over; with `fragments`,
/// stop at the first fragmented datagram.
fn walk(ip: IpPacket<'_>, fragments: bool) -> Result<Walk<'_>, DecodeError> {
    let mut found = walk_ip(ip, fragments)?;
    if let Some(link) = ip.encap.link_tunnel() {
        found.wrap(link);
    }
    Ok(found)
}

/// [`walk`] before the link-layer tunnel is put around the result.
fn walk_ip(ip: IpPacket<'_>, fragments: bool) -> Result<Walk<'_>, DecodeError> {
    let v6 = match ip.version {
        IpVersion::V4 => false,
        IpVersion::V6 => true,
        IpVersion::FromNibble => match ip.bytes.first().map(|b| b >> 4) {
            Some(4) => false,
            Some(6) => true,
            Some(version) => {
                return Err(DecodeError::Unsupported {
                    layer: Layer::Ip,
                    field: "version",
                    value: version.into(),
                })
            }
            None => return Err(DecodeError::truncated(Layer::Ip, ip.offset, 1, 0)),
        },
    };
    let (datagram, fragmented) = if v6 {
        ipv6(ip.bytes, ip.offset, fragments)?
    } else {
        ipv4(ip.bytes, ip.offset, fragments)?
    };
    if let Some(f) = fragmented {
        if fragments {
            return Ok(Walk::Fragment(IpFragment {
                key: FragmentKey {
                    src: datagram.src,
                    dst: datagram.dst,
                    id: f.id,
                    protocol: datagram.protocol,
                },
                offset: f.offset,
                more: f.more,
                data: datagram.bytes,
                whole: f.whole,
                tunnel: None,
            }));
        }
        if f.offset != 0 {
            return Err(later(&datagram));
        }
    }
    after_ip(datagram, ip.encap, fragments)
}

/// Read what an IP datagram (inside `encap`) carries: TCP, UDP, or a tunnel.
fn after_ip(
    datagram: Datagram<'_>,
    encap: Encap,
    fragments: bool,
) -> Result<Walk<'_>, DecodeError> {
    match datagram.protocol {
        p if Transport::from_ip_protocol(p) == Some(Transport::Tcp) => {
            tcp(datagram, encap).map(|p| Walk::Packet(p, None))
        }
        p if Transport::from_ip_protocol(p) == Some(Transport::Udp) => {
            udp(datagram, encap, fragments)
        }
        p if encap::is_tunnel(p) => {
            let (ip, tunnel) = encap::ip_tunnel(&datagram, encap)?;
            let mut found = walk(ip, fragments)?;
            found.wrap(tunnel);
            Ok(found)
        }
        other => Err(DecodeError::Unsupported {
            layer: datagram.layer,
            field: if datagram.layer == Layer::Ipv6 {
                "next header"
            } else {
                "protocol"
            },
            value: other.into(),
        }),
    }
}

/// Read an IPv4 header (RFC 791 §3.1) and any authentication header behind it; for a
/// fragment, also how it was fragmented. The datagram of a later fragment, and of any fragment
/// when `fragments` is set, is the fragment's data with the header's protocol.
fn ipv4(
    bytes: &[u8],
    offset: usize,
    fragments: bool,
) -> Result<(Datagram<'_>, Option<FragmentInfo>), DecodeError> {
    use etherparse::err::ipv4::{HeaderError, HeaderSliceError};
    let (ip, auth_err) = LaxIpv4Slice::from_slice(bytes).map_err(|e| match e {
        HeaderSliceError::Len(e) => DecodeError::from_len(Layer::Ipv4, offset, e),
        HeaderSliceError::Content(HeaderError::UnexpectedVersion { .. }) => {
            DecodeError::Malformed {
                layer: Layer::Ipv4,
                reason: "version is not 4",
            }
        }
        HeaderSliceError::Content(HeaderError::HeaderLengthSmallerThanHeader { .. }) => {
            DecodeError::Malformed {
                layer: Layer::Ipv4,
                reason: "header length (IHL) below 5 words",
            }
        }
    })?;
    let header = ip.header();
    let src = IpAddr::V4(header.source_addr());
    let dst = IpAddr::V4(header.destination_addr());
    let header_len = header.slice().len();
    let total_len = usize::from(header.total_len());
    let fragmented = (header.is_fragmenting_payload()).then(|| FragmentInfo {
        id: header.identification().into(),
        offset: u32::from(header.fragments_offset().value()).saturating_mul(8),
        more: header.more_fragments(),
        whole: total_len >= header_len && total_len <= bytes.len(),
    });
    // Checked before the authentication header: in a later fragment it is payload bytes.
    if fragmented.is_some() && (fragments || header.fragments_offset().value() != 0) {
        let end = if total_len < header_len || total_len > bytes.len() {
            bytes.len()
        } else {
            total_len
        };
        let data = bytes.get(header_len..end).unwrap_or_default();
        return Ok((
            Datagram {
                layer: Layer::Ipv4,
                protocol: header.protocol().0,
                src,
                dst,
                bytes: data,
                offset: offset.saturating_add(header_len),
                len_on_wire: total_len.saturating_sub(header_len),
                fragment: Fragment::First,
            },
            fragmented,
        ));
    }
    if let Some(e) = auth_err {
        return Err(auth_error(Layer::Ipv4, offset, e));
    }
    let auth_len = ip.extensions().auth.map_or(0, |auth| auth.slice().len());
    let payload = ip.payload();
    // etherparse bounds the payload by the total length when the frame holds it all, and by
    // the frame otherwise; what the frame lacks is the snapshot-length cut.
    let missing = total_len.saturating_sub(bytes.len());
    Ok((
        Datagram {
            layer: Layer::Ipv4,
            protocol: payload.ip_number.0,
            src,
            dst,
            bytes: payload.payload,
            offset: offset.saturating_add(header_len).saturating_add(auth_len),
            len_on_wire: payload.payload.len().saturating_add(missing),
            fragment: if header.more_fragments() {
                Fragment::First
            } else {
                Fragment::None
            },
        },
        fragmented,
    ))
}

/// Read an IPv6 header (RFC 8200 §3) and walk its extension headers (RFC 8200 §4).
fn ipv6(
    bytes: &[u8],
    offset: usize,
    fragments: bool,
) -> Result<(Datagram<'_>, Option<FragmentInfo>), DecodeError> {
    use etherparse::err::ipv6::{HeaderError, HeaderSliceError};
    let header = Ipv6HeaderSlice::from_slice(bytes).map_err(|e| match e {
        HeaderSliceError::Len(e) => DecodeError::from_len(Layer::Ipv6, offset, e),
        HeaderSliceError::Content(HeaderError::UnexpectedVersion { .. }) => {
            DecodeError::Malformed {
                layer: Layer::Ipv6,
                reason: "version is not 6",
            }
        }
    })?;
    let src = IpAddr::V6(header.source_addr());
    let dst = IpAddr::V6(header.destination_addr());
    let header_len = header.slice().len();
    let after = skip(bytes, header_len);
    // A payload length of zero is a jumbogram (RFC 2675) or a segmentation-offload capture:
    // the frame's length rules.
    let declared = usize::from(header.payload_length());
    let (rest, missing) = if declared == 0 {
        (after, 0)
    } else {
        (
            after.get(..declared).unwrap_or(after),
            declared.saturating_sub(after.len()),
        )
    };
    let chain = Chain {
        next: header.next_header().0,
        rest,
        missing,
        at: offset.saturating_add(header_len),
        first: true,
    };
    ipv6_chain(chain, src, dst, fragments)
}

/// Where an IPv6 extension-header walk starts.
struct Chain<'a> {
    /// The next header.
    next: u8,
    /// The bytes from that header on, bounded by the payload length.
    rest: &'a [u8],
    /// Bytes the payload length announces beyond `rest` (the snapshot-length cut).
    missing: usize,
    /// Where `rest` starts in the frame.
    at: usize,
    /// Right after the IPv6 header (where a hop-by-hop header may be).
    first: bool,
}

/// Walk IPv6 extension headers (RFC 8200 §4) from `chain` to the upper layer. A fragment
/// header that is not atomic ends the walk with its data when `fragments` is set or when it is
/// a later fragment; a first fragment's walk goes on otherwise.
fn ipv6_chain(
    chain: Chain<'_>,
    src: IpAddr,
    dst: IpAddr,
    fragments: bool,
) -> Result<(Datagram<'_>, Option<FragmentInfo>), DecodeError> {
    let Chain {
        mut next,
        mut rest,
        missing,
        mut at,
        mut first,
    } = chain;
    let mut fragment = Fragment::None;
    let mut fragmented = None;
    // Every extension header is at least 8 bytes long, so the walk ends within
    // `rest.len() / 8` turns.
    loop {
        let len_error = |e| DecodeError::from_len(Layer::Ipv6, at, e);
        let (following, len) = match next {
            ext::HOP_BY_HOP if !first => {
                return Err(DecodeError::Malformed {
                    layer: Layer::Ipv6,
                    reason: "hop-by-hop options header not right after the IPv6 header",
                })
            }
            ext::HOP_BY_HOP
            | ext::ROUTING
            | ext::DEST_OPTS
            | ext::MOBILITY
            | ext::HIP
            | ext::SHIM6 => {
                let h = Ipv6RawExtHeaderSlice::from_slice(rest).map_err(len_error)?;
                (h.next_header().0, h.slice().len())
            }
            ext::FRAGMENT => {
                let h = Ipv6FragmentHeaderSlice::from_slice(rest).map_err(len_error)?;
                let len = h.slice().len();
                let offset = h.fragment_offset().value();
                if offset != 0 || h.more_fragments() {
                    let info = FragmentInfo {
                        id: h.identification(),
                        offset: u32::from(offset).saturating_mul(8),
                        more: h.more_fragments(),
                        whole: missing == 0,
                    };
                    // What follows a later fragment's header is payload, not more headers.
                    if fragments || offset != 0 {
                        let data = skip(rest, len);
                        return Ok((
                            Datagram {
                                layer: Layer::Ipv6,
                                protocol: h.next_header().0,
                                src,
                                dst,
                                bytes: data,
                                offset: at.saturating_add(len),
                                len_on_wire: data.len().saturating_add(missing),
                                fragment: Fragment::First,
                            },
                            Some(info),
                        ));
                    }
                    fragment = Fragment::First;
                    fragmented = Some(info);
                }
                (h.next_header().0, len)
            }
            ext::AUTH => {
                let h = IpAuthHeaderSlice::from_slice(rest)
                    .map_err(|e| auth_error(Layer::Ipv6, at, e))?;
                (h.next_header().0, h.slice().len())
            }
            _ => break,
        };
        next = following;
        rest = skip(rest, len);
        at = at.saturating_add(len);
        first = false;
    }

    Ok((
        Datagram {
            layer: Layer::Ipv6,
            protocol: next,
            src,
            dst,
            bytes: rest,
            offset: at,
            len_on_wire: rest.len().saturating_add(missing),
            fragment,
        },
        fragmented,
    ))
}

/// Whether a packet inside `datagram` (inside `encap`) is whole or cut short by a first
/// fragment, its own or an enclosing one's.
fn fragment_of(datagram: &Datagram<'_>, encap: Encap) -> Fragment {
    if encap.first_fragment() {
        Fragment::First
    } else {
        datagram.fragment
    }
}

/// Read a TCP header with its options (RFC 9293 §3.1).
fn tcp(datagram: Datagram<'_>, encap: Encap) -> Result<Packet<'_>, DecodeError> {
    use etherparse::err::tcp::{HeaderError, HeaderSliceError};
    let seg = TcpSlice::from_slice(datagram.bytes).map_err(|e| match e {
        HeaderSliceError::Len(e) => DecodeError::from_len(Layer::Tcp, datagram.offset, e),
        HeaderSliceError::Content(HeaderError::DataOffsetTooSmall { .. }) => {
            DecodeError::Malformed {
                layer: Layer::Tcp,
                reason: "data offset below 5 words",
            }
        }
    })?;
    Ok(Packet {
        key: FlowKey {
            transport: Transport::Tcp,
            src: Endpoint {
                addr: datagram.src,
                port: seg.source_port(),
            },
            dst: Endpoint {
                addr: datagram.dst,
                port: seg.destination_port(),
            },
        },
        tcp: Some(TcpInfo {
            seq: seg.sequence_number(),
            ack: seg.acknowledgment_number(),
            flags: TcpFlags::of(&seg),
            urgent: if seg.urg() { seg.urgent_pointer() } else { 0 },
        }),
        fragment: fragment_of(&datagram, encap),
        payload: seg.payload(),
        payload_len_on_wire: saturate(datagram.len_on_wire.saturating_sub(seg.header_len())),
        tunnel: None,
    })
}

/// Read a UDP header (RFC 768), and the tunnel in it on the VXLAN, GENEVE, Teredo and GTP-U
/// ports.
fn udp(datagram: Datagram<'_>, encap: Encap, fragments: bool) -> Result<Walk<'_>, DecodeError> {
    // The lax reader bounds the payload by the UDP length when the captured bytes hold it,
    // and by the captured bytes otherwise.
    let dgram = UdpSlice::from_slice_lax(datagram.bytes)
        .map_err(|e| DecodeError::from_len(Layer::Udp, datagram.offset, e))?;
    let len_on_wire = match usize::from(dgram.length()) {
        // An IPv6 jumbogram (RFC 2675 §4) or a segmentation-offload capture: the IP length rules.
        0 => datagram.len_on_wire,
        n if n < UDP_HEADER_LEN => {
            return Err(DecodeError::Malformed {
                layer: Layer::Udp,
                reason: "length below the 8-byte header",
            })
        }
        // Longer than the IP payload in a first fragment (the UDP length covers the whole
        // datagram), or a lie: the IP length rules.
        n => n.min(datagram.len_on_wire),
    };
    let (sport, dport) = (dgram.source_port(), dgram.destination_port());
    if encap::is_tunnel_port(sport, dport) {
        let at = datagram.offset.saturating_add(UDP_HEADER_LEN);
        let on_wire = len_on_wire.saturating_sub(UDP_HEADER_LEN);
        if let Some(inner) = encap::udp_tunnel(
            &datagram,
            encap,
            (sport, dport),
            dgram.payload(),
            on_wire,
            at,
        ) {
            let (ip, tunnel) = inner?;
            let mut found = walk(ip, fragments)?;
            found.wrap(tunnel);
            return Ok(found);
        }
    }
    Ok(Walk::Packet(
        Packet {
            key: FlowKey {
                transport: Transport::Udp,
                src: Endpoint {
                    addr: datagram.src,
                    port: sport,
                },
                dst: Endpoint {
                    addr: datagram.dst,
                    port: dport,
                },
            },
            tcp: None,
            fragment: fragment_of(&datagram, encap),
            payload: dgram.payload(),
            payload_len_on_wire: saturate(len_on_wire.saturating_sub(UDP_HEADER_LEN)),
            tunnel: None,
        },
        None,
    ))
}

/// The error for an IPsec authentication header (RFC 4302 §2) that does not parse.
fn auth_error(
    layer: Layer,
    offset: usize,
    err: etherparse::err::ip_auth::HeaderSliceError,
) -> DecodeError {
    use etherparse::err::ip_auth::{HeaderError, HeaderSliceError};
    match err {
        HeaderSliceError::Len(e) => DecodeError::from_len(layer, offset, e),
        HeaderSliceError::Content(HeaderError::ZeroPayloadLen) => DecodeError::Malformed {
            layer,
            reason: "authentication header payload length is zero",
        },
    }
}

/// `bytes` without its first `n` bytes. Callers pass an `n` that a header parser has already
/// checked against `bytes.len()`.
fn skip(bytes: &[u8], n: usize) -> &[u8] {
    bytes.get(n..).unwrap_or_default()
}
