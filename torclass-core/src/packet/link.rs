//! The link layer: from a captured frame to the IP packet it carries.
//!
//! Ethernet II and VLAN tags are read with etherparse; PPP and Cisco HDLC by `ppp.rs`, 802.11
//! data frames by `ieee80211.rs` behind the radiotap header of `radiotap.rs`. Linux cooked
//! capture (v1 and v2) and the BSD loopback headers are read here: etherparse 0.21 has no SLL2
//! or DLT_NULL/DLT_LOOP reader, and its SLL v1 reader rejects every ARPHRD type outside a list
//! of five, among them `ARPHRD_LOOPBACK` (772) and `ARPHRD_NONE` (0xFFFE, tun and WireGuard
//! devices), which `tcpdump -i any` captures routinely contain.

use etherparse::{Ethernet2Slice, SingleVlanSlice};

use super::error::DecodeError;
use super::ieee80211;
use super::mpls::{self, Mpls};
use super::ppp;
use super::pppoe::Pppoe;
use super::radiotap::Radiotap;
use super::tunnel::{Encap, TunnelKind};
use super::Layer;

/// pcap `LINKTYPE_*` values this decoder reads (<https://www.tcpdump.org/linktypes.html>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkType {
    /// `LINKTYPE_NULL` (0): BSD loopback, a 4-byte address family in the capturing host's byte
    /// order, then the IP packet.
    Null,
    /// `LINKTYPE_ETHERNET` (1): Ethernet II (IEEE 802.3), with optional 802.1Q/802.1ad tags.
    Ethernet,
    /// `LINKTYPE_RAW` (101): a bare IPv4 or IPv6 packet, told apart by its version nibble.
    Raw,
    /// `LINKTYPE_LOOP` (108): OpenBSD loopback, like [`LinkType::Null`] but the address family
    /// is in network byte order.
    Loop,
    /// `LINKTYPE_LINUX_SLL` (113): Linux cooked capture v1, 16-byte header.
    LinuxSll,
    /// `LINKTYPE_IPV4` (228): a bare IPv4 packet.
    Ipv4,
    /// `LINKTYPE_IPV6` (229): a bare IPv6 packet.
    Ipv6,
    /// `LINKTYPE_LINUX_SLL2` (276): Linux cooked capture v2, 20-byte header.
    LinuxSll2,
    /// `LINKTYPE_PPP` (9): a PPP frame (RFC 1661), with or without the `0xFF 0x03` of its
    /// HDLC-like framing (RFC 1662), IPv4 (0x0021) or IPv6 (0x0057).
    Ppp,
    /// `LINKTYPE_PPP_HDLC` (50): PPP in HDLC-like framing (RFC 1662 §3.1), or Cisco HDLC
    /// (RFC 1547 §4.3.1), told apart by the first byte.
    PppHdlc,
    /// `LINKTYPE_C_HDLC` (104): Cisco HDLC, an address and a control byte, then an ethertype.
    CiscoHdlc,
    /// `LINKTYPE_IEEE802_11` (105): IEEE 802.11 frames; unprotected data frames are read
    /// through their LLC/SNAP header (IEEE Std 802.11-2020 §9.3.2, RFC 1042).
    Ieee80211,
    /// `LINKTYPE_IEEE802_11_RADIOTAP` (127): a radiotap header (<https://www.radiotap.org/>),
    /// then an 802.11 frame as [`LinkType::Ieee80211`].
    Radiotap,
}

impl LinkType {
    /// Every link type: the first eight in `LINKTYPE_*` order, then those added later. A type
    /// keeps its index (fuzz inputs pick a link type by it).
    pub const ALL: [Self; 13] = [
        Self::Null,
        Self::Ethernet,
        Self::Raw,
        Self::Loop,
        Self::LinuxSll,
        Self::Ipv4,
        Self::Ipv6,
        Self::LinuxSll2,
        Self::Ppp,
        Self::PppHdlc,
        Self::CiscoHdlc,
        Self::Ieee80211,
        Self::Radiotap,
    ];

    /// The link type for a pcap/pcapng `LINKTYPE_*` number, if this decoder reads it.
    #[must_use]
    pub const fn from_pcap(linktype: u32) -> Option<Self> {
        match linktype {
            0 => Some(Self::Null),
            1 => Some(Self::Ethernet),
            9 => Some(Self::Ppp),
            50 => Some(Self::PppHdlc),
            101 => Some(Self::Raw),
            104 => Some(Self::CiscoHdlc),
            105 => Some(Self::Ieee80211),
            108 => Some(Self::Loop),
            113 => Some(Self::LinuxSll),
            127 => Some(Self::Radiotap),
            228 => Some(Self::Ipv4),
            229 => Some(Self::Ipv6),
            276 => Some(Self::LinuxSll2),
            _ => None,
        }
    }

    /// The link type for libpcap's `DLT_*` number (what `pcap_datalink()` returns for a live
    /// capture), if this decoder reads it. The `DLT_*` numbers are the `LINKTYPE_*` ones but
    /// for raw IP: `DLT_RAW` is 12 on most systems and 14 on OpenBSD (`LINKTYPE_RAW` 101 in a
    /// file), what a tun device (a VPN server's OpenVPN or WireGuard interface) captures as
    /// (pcap-linktype(7)).
    #[must_use]
    pub const fn from_dlt(dlt: u32) -> Option<Self> {
        match dlt {
            12 | 14 => Some(Self::Raw),
            other => Self::from_pcap(other),
        }
    }

    /// The pcap/pcapng `LINKTYPE_*` number.
    #[must_use]
    pub const fn to_pcap(self) -> u32 {
        match self {
            Self::Null => 0,
            Self::Ethernet => 1,
            Self::Raw => 101,
            Self::Loop => 108,
            Self::LinuxSll => 113,
            Self::Ipv4 => 228,
            Self::Ipv6 => 229,
            Self::LinuxSll2 => 276,
            Self::Ppp => 9,
            Self::PppHdlc => 50,
            Self::CiscoHdlc => 104,
            Self::Ieee80211 => 105,
            Self::Radiotap => 127,
        }
    }
}

/// The IP version the link layer announced for its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IpVersion {
    /// IPv4 (ethertype 0x0800, address family 2, `LINKTYPE_IPV4`).
    V4,
    /// IPv6 (ethertype 0x86DD, address families 24/28/30, `LINKTYPE_IPV6`).
    V6,
    /// Not said: read the version nibble (`LINKTYPE_RAW`, NFQUEUE).
    FromNibble,
}

/// The IP packet a frame carries.
#[derive(Clone, Copy, Debug)]
pub(super) struct IpPacket<'a> {
    /// Which IP version to expect.
    pub(super) version: IpVersion,
    /// The IP header onwards, up to the end of the frame.
    pub(super) bytes: &'a [u8],
    /// Where [`IpPacket::bytes`] starts in the frame.
    pub(super) offset: usize,
    /// The encapsulations around it.
    pub(super) encap: Encap,
}

/// Ethertypes from the IEEE registry that lead to IP.
mod ethertype {
    /// Internet Protocol version 4 (RFC 894).
    pub const IPV4: u16 = 0x0800;
    /// Internet Protocol version 6 (RFC 2464).
    pub const IPV6: u16 = 0x86DD;
    /// IEEE 802.1Q customer VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// IEEE 802.1ad service VLAN tag (QinQ outer tag).
    pub const SERVICE_VLAN: u16 = 0x88A8;
    /// The pre-standard QinQ outer tag some switches still emit.
    pub const LEGACY_QINQ: u16 = 0x9100;
    /// MPLS unicast (RFC 5332).
    pub const MPLS: u16 = 0x8847;
    /// MPLS multicast (RFC 5332).
    pub const MPLS_MULTICAST: u16 = 0x8848;
    /// PPPoE session stage (RFC 2516).
    pub const PPPOE_SESSION: u16 = 0x8864;
}

/// The Ethernet II header length: destination, source, ethertype.
pub(super) const ETHERNET_LEN: usize = 14;

/// Linux `ARPHRD_*` device types whose cooked-capture protocol field is not an ethertype
/// (<https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html>).
mod arphrd {
    /// Frame relay: the protocol field is ignored and the payload is a Q.933 frame.
    pub const FRAD: u16 = 770;
    /// 802.11 with a radiotap header: the protocol field is ignored, the payload is read as
    /// `LINKTYPE_IEEE802_11_RADIOTAP`.
    pub const IEEE80211_RADIOTAP: u16 = 803;
    /// Netlink: the protocol field is a netlink protocol.
    pub const NETLINK: u16 = 824;
}

/// Field offsets of the Linux cooked capture v1 header
/// (<https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html>).
mod sll {
    use core::ops::Range;
    /// `ARPHRD_*` device type, big-endian u16.
    pub const ARPHRD: Range<usize> = 2..4;
    /// Protocol: an ethertype for most device types, big-endian u16.
    pub const PROTOCOL: Range<usize> = 14..16;
    /// Header length.
    pub const LEN: usize = 16;
}

/// Field offsets of the Linux cooked capture v2 header
/// (<https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html>).
mod sll2 {
    use core::ops::Range;
    /// Protocol: an ethertype for most device types, big-endian u16.
    pub const PROTOCOL: Range<usize> = 0..2;
    /// `ARPHRD_*` device type, big-endian u16.
    pub const ARPHRD: Range<usize> = 8..10;
    /// Header length.
    pub const LEN: usize = 20;
}

/// The BSD loopback header (`LINKTYPE_NULL`, `LINKTYPE_LOOP`): one 32-bit address family
/// (<https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html>).
mod null {
    /// Header length.
    pub const LEN: usize = 4;
    /// `AF_INET` on every BSD.
    pub const AF_INET: u32 = 2;
    /// `AF_INET6` on NetBSD, OpenBSD and BSD/OS.
    pub const AF_INET6_BSD: u32 = 24;
    /// `AF_INET6` on FreeBSD.
    pub const AF_INET6_FREEBSD: u32 = 28;
    /// `AF_INET6` on Darwin (macOS, iOS).
    pub const AF_INET6_DARWIN: u32 = 30;
}

/// Strip the link layer of `frame`, returning the IP packet inside.
pub(super) fn ip_packet(link: LinkType, frame: &[u8]) -> Result<IpPacket<'_>, DecodeError> {
    match link {
        LinkType::Ethernet => {
            let eth = Ethernet2Slice::from_slice_without_fcs(frame)
                .map_err(|e| DecodeError::from_len(Layer::Link, 0, e))?;
            ether_payload(
                eth.ether_type().0,
                eth.payload_slice(),
                eth.header_len(),
                Layer::Link,
                Encap::NONE,
            )
        }
        LinkType::LinuxSll => cooked(frame, sll::LEN, sll::ARPHRD, sll::PROTOCOL),
        LinkType::LinuxSll2 => cooked(frame, sll2::LEN, sll2::ARPHRD, sll2::PROTOCOL),
        LinkType::Null => {
            let (word, ip) = address_family(frame)?;
            let host = u32::from_le_bytes(word);
            // The family is in the capturing host's byte order, which the file does not record.
            // Families are small numbers, so a value with bits in its upper half was written
            // big-endian (the rule tcpdump's print-null.c applies).
            let family = if host & 0xFFFF_0000 == 0 {
                host
            } else {
                host.swap_bytes()
            };
            bsd_loopback(family, ip)
        }
        LinkType::Loop => {
            let (word, ip) = address_family(frame)?;
            bsd_loopback(u32::from_be_bytes(word), ip)
        }
        LinkType::Raw => Ok(IpPacket::new(IpVersion::FromNibble, frame, 0, Encap::NONE)),
        LinkType::Ipv4 => Ok(IpPacket::new(IpVersion::V4, frame, 0, Encap::NONE)),
        LinkType::Ipv6 => Ok(IpPacket::new(IpVersion::V6, frame, 0, Encap::NONE)),
        LinkType::Ppp | LinkType::PppHdlc => ppp_frame(frame, link == LinkType::PppHdlc),
        LinkType::CiscoHdlc => cisco_hdlc(frame),
        LinkType::Ieee80211 => wlan(frame, 0, false),
        LinkType::Radiotap => radiotap(frame, 0),
    }
}

/// The IP packet in a PPP frame, or (with `cisco`) a Cisco HDLC frame. Out of line, as the
/// other uncommon link types: the common frames do not pay for their code.
#[inline(never)]
fn ppp_frame(frame: &[u8], cisco: bool) -> Result<IpPacket<'_>, DecodeError> {
    match ppp::frame(frame, cisco)? {
        ppp::Frame::Ip(version, ip, at) => Ok(IpPacket::new(version, ip, at, Encap::NONE)),
        ppp::Frame::Cisco => cisco_hdlc(frame),
    }
}

/// The IP packet in a Cisco HDLC frame.
#[inline(never)]
fn cisco_hdlc(frame: &[u8]) -> Result<IpPacket<'_>, DecodeError> {
    let (ethertype, rest, at) = ppp::cisco_hdlc(frame)?;
    ether_payload(ethertype, rest, at, Layer::Link, Encap::NONE)
}

/// The IP packet in the 802.11 data frame `frame`, `at` bytes into the captured frame, its
/// MAC header `padded` to 4 bytes or not.
#[inline(never)]
fn wlan(frame: &[u8], at: usize, padded: bool) -> Result<IpPacket<'_>, DecodeError> {
    let data = ieee80211::Data::new_checked(frame, at, padded)?;
    ether_payload(
        data.ethertype,
        data.payload,
        data.offset,
        Layer::Ieee80211,
        Encap::NONE,
    )
}

/// The IP packet in the 802.11 frame behind the radiotap header at the start of `bytes`, `at`
/// bytes into the captured frame.
#[inline(never)]
fn radiotap(bytes: &[u8], at: usize) -> Result<IpPacket<'_>, DecodeError> {
    let radiotap = Radiotap::new_checked(bytes, at)?;
    wlan(radiotap.frame, radiotap.offset, radiotap.padded)
}

/// Follow `ethertype` through any number of VLAN tags, an MPLS label stack or a PPPoE session
/// header to IP. `offset` is where `bytes` starts in the frame, `layer` the header that carried
/// `ethertype` and `encap` the encapsulations around the frame.
pub(super) fn ether_payload(
    mut ethertype: u16,
    mut bytes: &[u8],
    mut offset: usize,
    mut layer: Layer,
    encap: Encap,
) -> Result<IpPacket<'_>, DecodeError> {
    // Each tag consumes four bytes, so the loop ends within `bytes.len() / 4` turns.
    loop {
        match ethertype {
            ethertype::IPV4 => return Ok(IpPacket::new(IpVersion::V4, bytes, offset, encap)),
            ethertype::IPV6 => return Ok(IpPacket::new(IpVersion::V6, bytes, offset, encap)),
            ethertype::VLAN | ethertype::SERVICE_VLAN | ethertype::LEGACY_QINQ => {
                let tag = SingleVlanSlice::from_slice(bytes)
                    .map_err(|e| DecodeError::from_len(Layer::Vlan, offset, e))?;
                ethertype = tag.ether_type().0;
                bytes = tag.payload_slice();
                offset = offset.saturating_add(tag.header_len());
                layer = Layer::Vlan;
            }
            ethertype::MPLS | ethertype::MPLS_MULTICAST => return mpls(bytes, offset, encap),
            ethertype::PPPOE_SESSION => return pppoe(bytes, offset, encap),
            other => {
                return Err(DecodeError::Unsupported {
                    layer,
                    field: "ethertype",
                    value: other.into(),
                })
            }
        }
    }
}

/// The IP packet behind the PPPoE session header at the start of `bytes` (`offset` into the
/// frame). Out of line, as [`mpls`]: the common frames do not pay for its code.
#[inline(never)]
fn pppoe(bytes: &[u8], offset: usize, encap: Encap) -> Result<IpPacket<'_>, DecodeError> {
    let pppoe = Pppoe::new_checked(bytes, offset)?;
    let encap = encap.enter_link(TunnelKind::Pppoe, Layer::Pppoe, pppoe.session.into())?;
    Ok(IpPacket::new(
        pppoe.version,
        pppoe.payload,
        offset.saturating_add(pppoe.header_len),
        encap,
    ))
}

/// The IP packet under the MPLS label stack at the start of `bytes` (`offset` into the
/// frame), directly or in an Ethernet pseudowire.
#[inline(never)]
pub(super) fn mpls(bytes: &[u8], offset: usize, encap: Encap) -> Result<IpPacket<'_>, DecodeError> {
    let stack = Mpls::new_checked(bytes, offset)?;
    let encap = encap.enter_link(TunnelKind::Mpls, Layer::Mpls, stack.bottom_label)?;
    let at = offset.saturating_add(stack.header_len);
    match stack.kind {
        mpls::Payload::Ip(version) => Ok(IpPacket::new(version, stack.payload, at, encap)),
        mpls::Payload::Ethernet => ethernet(stack.payload, at, encap),
    }
}

/// The IP packet in the Ethernet II frame `frame` that a tunnel carries (`offset` into the
/// captured frame; no FCS), behind any VLAN tags.
pub(super) fn ethernet(
    frame: &[u8],
    offset: usize,
    encap: Encap,
) -> Result<IpPacket<'_>, DecodeError> {
    let (header, bytes) = frame
        .split_first_chunk::<ETHERNET_LEN>()
        .ok_or_else(|| DecodeError::truncated(Layer::Link, offset, ETHERNET_LEN, frame.len()))?;
    let ethertype = be16(header, 12..14).unwrap_or(0);
    ether_payload(
        ethertype,
        bytes,
        offset.saturating_add(ETHERNET_LEN),
        Layer::Link,
        encap,
    )
}

/// A Linux cooked capture header of `len` bytes with its device type and protocol at the given
/// ranges.
fn cooked(
    frame: &[u8],
    len: usize,
    arphrd: core::ops::Range<usize>,
    protocol: core::ops::Range<usize>,
) -> Result<IpPacket<'_>, DecodeError> {
    let truncated = || DecodeError::truncated(Layer::Link, 0, len, frame.len());
    let payload = frame.get(len..).ok_or_else(truncated)?;
    let device = be16(frame, arphrd).ok_or_else(truncated)?;
    let protocol = be16(frame, protocol).ok_or_else(truncated)?;
    match device {
        arphrd::IEEE80211_RADIOTAP => radiotap(payload, len),
        arphrd::FRAD | arphrd::NETLINK => Err(DecodeError::Unsupported {
            layer: Layer::Link,
            field: "ARPHRD device type",
            value: device.into(),
        }),
        // For every other device type the protocol field is an ethertype; the Linux-specific
        // values below 0x0600 (802.2 LLC, 802.3 without LLC, CAN, …) end up unsupported.
        _ => ether_payload(protocol, payload, len, Layer::Link, Encap::NONE),
    }
}

/// The 4-byte address family word of a BSD loopback header, as it appears in the frame, and
/// the bytes after it.
fn address_family(frame: &[u8]) -> Result<([u8; null::LEN], &[u8]), DecodeError> {
    frame
        .split_first_chunk::<{ null::LEN }>()
        .map(|(word, ip)| (*word, ip))
        .ok_or_else(|| DecodeError::truncated(Layer::Link, 0, null::LEN, frame.len()))
}

/// The IP packet `ip` behind a BSD loopback header carrying `family`.
fn bsd_loopback(family: u32, ip: &[u8]) -> Result<IpPacket<'_>, DecodeError> {
    let version = match family {
        null::AF_INET => IpVersion::V4,
        null::AF_INET6_BSD | null::AF_INET6_FREEBSD | null::AF_INET6_DARWIN => IpVersion::V6,
        other => {
            return Err(DecodeError::Unsupported {
                layer: Layer::Link,
                field: "address family",
                value: other,
            })
        }
    };
    Ok(IpPacket::new(version, ip, null::LEN, Encap::NONE))
}

impl<'a> IpPacket<'a> {
    /// An IP packet of `version` at `offset` in the frame, inside `encap`.
    pub(super) const fn new(
        version: IpVersion,
        bytes: &'a [u8],
        offset: usize,
        encap: Encap,
    ) -> Self {
        Self {
            version,
            bytes,
            offset,
            encap,
        }
    }
}

/// The big-endian u16 at `range`, if `bytes` holds it.
pub(super) fn be16(bytes: &[u8], range: core::ops::Range<usize>) -> Option<u16> {
    bytes
        .get(range)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_be_bytes)
}
