//! The fast path of [`decode`](super::decode) and [`decode_ip`](super::decode_ip): the common
//! packets read with plain big-endian loads, without etherparse's slice views and error
//! mapping.
//!
//! After the link layer (the Ethernet II header here; its VLAN tags and the other link types
//! by `link.rs`, as in the reference), it reads IPv4 (RFC 791 §3.1) with or without options,
//! whole or a first fragment, or IPv6 (RFC 8200 §3) whose next header is the transport, then a
//! TCP (RFC 9293 §3.1) or UDP (RFC 768) header. Everything else answers `None`, and the caller
//! runs the reference reading (`decode_reference`, etherparse) from the start: an IPv4
//! authentication header, IPv6 extension headers, a later fragment, another protocol, every
//! tunnel (IP-in-IP, GRE, and UDP to the VXLAN, GENEVE and GTP-U ports or from and to
//! Teredo's; PPPoE and MPLS are left by the
//! shared link layer with a tunnel mark), and every truncated or malformed header, so every
//! [`DecodeError`](super::DecodeError) comes from the reference.
//!
//! Tunnels stay out of this path on purpose: reading them here (a recursion through the
//! tunnel headers) cost the untunnelled packets 15–20 % more instructions (callgrind, the
//! committed captures), against 0–4 % for the two checks that hand them over. Where the fast path answers, its [`Packet`] is the reference's, down to the
//! payload subslice: the differential tests in `tests.rs` and `tests/tests/decode_paths.rs` and
//! the fuzz target `packet_decode` hold it to that.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::encap;
use super::link::{self, be16, IpPacket, IpVersion};
use super::tunnel::Encap;
use super::{
    saturate, Datagram, Endpoint, FlowKey, Fragment, Layer, LinkType, Packet, TcpFlags, TcpInfo,
    UDP_HEADER_LEN,
};
use crate::verdict::Transport;

/// Field offsets of the Ethernet II header.
mod ethernet {
    use core::ops::Range;
    /// The header length: destination, source, ethertype.
    pub const LEN: usize = 14;
    /// The ethertype (or a VLAN tag's TPID).
    pub const ETHERTYPE: Range<usize> = 12..14;
}

/// Field offsets of the IPv4 header (RFC 791 §3.1).
mod ipv4 {
    use core::ops::Range;
    /// The fixed part of the header; options follow up to IHL words.
    pub const MIN_LEN: usize = 20;
    /// Version (high nibble) and IHL (low nibble, in 32-bit words).
    pub const VERSION_IHL: usize = 0;
    /// Total length of the datagram, header included.
    pub const TOTAL_LEN: Range<usize> = 2..4;
    /// Flags (3 bits) and fragment offset (13 bits, in 8-byte units).
    pub const FLAGS_FRAGMENT: Range<usize> = 6..8;
    /// The "more fragments" flag in [`FLAGS_FRAGMENT`].
    pub const MORE_FRAGMENTS: u16 = 0x2000;
    /// The fragment offset in [`FLAGS_FRAGMENT`].
    pub const FRAGMENT_OFFSET: u16 = 0x1FFF;
    /// The transport's IP protocol number.
    pub const PROTOCOL: usize = 9;
    /// Source address.
    pub const SRC: Range<usize> = 12..16;
    /// Destination address.
    pub const DST: Range<usize> = 16..20;
}

/// Field offsets of the IPv6 header (RFC 8200 §3).
mod ipv6 {
    use core::ops::Range;
    /// The header length.
    pub const LEN: usize = 40;
    /// Payload length: the bytes after this header.
    pub const PAYLOAD_LEN: Range<usize> = 4..6;
    /// Next header: here, the transport's IP protocol number.
    pub const NEXT_HEADER: usize = 6;
    /// Source address.
    pub const SRC: Range<usize> = 8..24;
    /// Destination address.
    pub const DST: Range<usize> = 24..40;
}

/// Field offsets of the TCP header (RFC 9293 §3.1).
mod tcp {
    use core::ops::Range;
    /// The header without options.
    pub const MIN_LEN: usize = 20;
    /// Source port.
    pub const SRC_PORT: Range<usize> = 0..2;
    /// Destination port.
    pub const DST_PORT: Range<usize> = 2..4;
    /// Sequence number.
    pub const SEQ: Range<usize> = 4..8;
    /// Acknowledgment number.
    pub const ACK: Range<usize> = 8..12;
    /// Data offset (high nibble, in 32-bit words).
    pub const DATA_OFFSET: usize = 12;
    /// The control bits.
    pub const FLAGS: usize = 13;
    /// Urgent pointer.
    pub const URGENT: Range<usize> = 18..20;
}

/// Field offsets of the UDP header (RFC 768).
mod udp {
    use core::ops::Range;
    /// Source port.
    pub const SRC_PORT: Range<usize> = 0..2;
    /// Destination port.
    pub const DST_PORT: Range<usize> = 2..4;
    /// Length of the datagram, header included.
    pub const LEN: Range<usize> = 4..6;
}

/// A frame of link type `link`, if it is a common case (see the module docs).
#[inline(always)]
pub(super) fn decode(link: LinkType, frame: &[u8]) -> Option<Packet<'_>> {
    let ip = match link {
        LinkType::Ethernet => ethernet(frame)?,
        _ => link::ip_packet(link, frame).ok()?,
    };
    if ip.encap != Encap::NONE {
        return None;
    }
    network(ip)
}

/// The IP packet in an Ethernet II frame, behind any number of VLAN tags.
fn ethernet(frame: &[u8]) -> Option<IpPacket<'_>> {
    let (header, bytes) = frame.split_first_chunk::<{ ethernet::LEN }>()?;
    let ethertype = be16(header, ethernet::ETHERTYPE)?;
    link::ether_payload(ethertype, bytes, ethernet::LEN, Layer::Link, Encap::NONE).ok()
}

/// The IP packet a link layer (or NFQUEUE) handed over, if it is a common case.
#[inline(always)]
pub(super) fn network(ip: IpPacket<'_>) -> Option<Packet<'_>> {
    let version = ip.bytes.first()? >> 4;
    // The IP readers take their `protocol` for the transport's: anything else, an IPv4
    // authentication header or an IPv6 extension header among them, is left to the reference.
    let datagram = match (ip.version, version) {
        (IpVersion::V4 | IpVersion::FromNibble, 4) => ipv4(ip.bytes, ip.offset)?,
        (IpVersion::V6 | IpVersion::FromNibble, 6) => ipv6(ip.bytes, ip.offset)?,
        _ => return None,
    };
    match Transport::from_ip_protocol(datagram.protocol)? {
        Transport::Tcp => tcp(datagram),
        Transport::Udp => udp(datagram),
    }
}

/// An IPv4 header (version already checked) with any options, not a later fragment.
fn ipv4(bytes: &[u8], offset: usize) -> Option<Datagram<'_>> {
    let header = bytes.first_chunk::<{ ipv4::MIN_LEN }>()?;
    let header_len = words(header.get(ipv4::VERSION_IHL)? & 0x0F);
    if header_len < ipv4::MIN_LEN {
        return None;
    }
    let flags = be16(header, ipv4::FLAGS_FRAGMENT)?;
    if flags & ipv4::FRAGMENT_OFFSET != 0 {
        return None;
    }
    let protocol = *header.get(ipv4::PROTOCOL)?;
    // The total length bounds the payload when it covers the header and the frame holds it
    // all; otherwise the frame does (and what it lacks is the snapshot-length cut).
    let total_len = usize::from(be16(header, ipv4::TOTAL_LEN)?);
    let end = if total_len < header_len || total_len > bytes.len() {
        bytes.len()
    } else {
        total_len
    };
    let payload = bytes.get(header_len..end)?;
    Some(Datagram {
        layer: Layer::Ipv4,
        protocol,
        src: IpAddr::V4(Ipv4Addr::from(array(header, ipv4::SRC)?)),
        dst: IpAddr::V4(Ipv4Addr::from(array(header, ipv4::DST)?)),
        bytes: payload,
        offset: offset.saturating_add(header_len),
        len_on_wire: payload
            .len()
            .saturating_add(total_len.saturating_sub(bytes.len())),
        fragment: if flags & ipv4::MORE_FRAGMENTS == 0 {
            Fragment::None
        } else {
            Fragment::First
        },
    })
}

/// An IPv6 header (version already checked); its next header is taken for the transport.
fn ipv6(bytes: &[u8], offset: usize) -> Option<Datagram<'_>> {
    let (header, after) = bytes.split_first_chunk::<{ ipv6::LEN }>()?;
    let protocol = *header.get(ipv6::NEXT_HEADER)?;
    // Zero is a jumbogram (RFC 2675) or a segmentation-offload capture: the frame rules.
    let declared = usize::from(be16(header, ipv6::PAYLOAD_LEN)?);
    let (payload, missing) = if declared == 0 {
        (after, 0)
    } else {
        (
            after.get(..declared).unwrap_or(after),
            declared.saturating_sub(after.len()),
        )
    };
    Some(Datagram {
        layer: Layer::Ipv6,
        protocol,
        src: IpAddr::V6(Ipv6Addr::from(array(header, ipv6::SRC)?)),
        dst: IpAddr::V6(Ipv6Addr::from(array(header, ipv6::DST)?)),
        bytes: payload,
        offset: offset.saturating_add(ipv6::LEN),
        len_on_wire: payload.len().saturating_add(missing),
        fragment: Fragment::None,
    })
}

/// A TCP header with any options.
fn tcp(datagram: Datagram<'_>) -> Option<Packet<'_>> {
    let header = datagram.bytes.first_chunk::<{ tcp::MIN_LEN }>()?;
    let header_len = words(header.get(tcp::DATA_OFFSET)? >> 4);
    if header_len < tcp::MIN_LEN {
        return None;
    }
    let payload = datagram.bytes.get(header_len..)?;
    Some(Packet {
        key: key(
            Transport::Tcp,
            &datagram,
            be16(header, tcp::SRC_PORT)?,
            be16(header, tcp::DST_PORT)?,
        ),
        tcp: Some(TcpInfo {
            seq: u32::from_be_bytes(array(header, tcp::SEQ)?),
            ack: u32::from_be_bytes(array(header, tcp::ACK)?),
            flags: TcpFlags(*header.get(tcp::FLAGS)?),
            urgent: if header
                .get(tcp::FLAGS)
                .is_some_and(|f| f & TcpFlags::URG.0 != 0)
            {
                be16(header, tcp::URGENT)?
            } else {
                0
            },
        }),
        fragment: datagram.fragment,
        payload,
        payload_len_on_wire: saturate(datagram.len_on_wire.saturating_sub(header_len)),
        tunnel: None,
    })
}

/// A UDP header whose length is zero or covers the header.
fn udp(datagram: Datagram<'_>) -> Option<Packet<'_>> {
    let header = datagram.bytes.first_chunk::<UDP_HEADER_LEN>()?;
    let length = usize::from(be16(header, udp::LEN)?);
    // Zero: an IPv6 jumbogram (RFC 2675 §4) or a segmentation-offload capture, and the IP
    // length rules; so it does when the UDP length is longer than the IP payload (a first
    // fragment, or a lie). The captured bytes bound the payload when they end first.
    let (len_on_wire, end) = match length {
        0 => (datagram.len_on_wire, datagram.bytes.len()),
        n if n < UDP_HEADER_LEN => return None,
        n => (n.min(datagram.len_on_wire), n.min(datagram.bytes.len())),
    };
    let payload = datagram.bytes.get(UDP_HEADER_LEN..end)?;
    let (sport, dport) = (be16(header, udp::SRC_PORT)?, be16(header, udp::DST_PORT)?);
    // A UDP tunnel maybe: the reference reads the tunnel, or the plain datagram.
    if encap::is_tunnel_port(sport, dport) {
        return None;
    }
    Some(Packet {
        key: key(Transport::Udp, &datagram, sport, dport),
        tcp: None,
        fragment: datagram.fragment,
        payload,
        payload_len_on_wire: saturate(len_on_wire.saturating_sub(UDP_HEADER_LEN)),
        tunnel: None,
    })
}

/// The flow key of a segment or datagram from `src_port` to `dst_port`.
fn key(transport: Transport, datagram: &Datagram<'_>, src_port: u16, dst_port: u16) -> FlowKey {
    FlowKey {
        transport,
        src: Endpoint {
            addr: datagram.src,
            port: src_port,
        },
        dst: Endpoint {
            addr: datagram.dst,
            port: dst_port,
        },
    }
}

/// A header length given in 32-bit words (IPv4 IHL, TCP data offset), in bytes.
fn words(count: u8) -> usize {
    usize::from(count).saturating_mul(4)
}

/// The bytes at `range` as an array, if `bytes` holds them.
fn array<const N: usize>(bytes: &[u8], range: core::ops::Range<usize>) -> Option<[u8; N]> {
    bytes.get(range)?.try_into().ok()
}
