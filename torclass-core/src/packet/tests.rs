//! Tests for the frame decoder, on frames built byte by byte.
// Test code builds frames with plain arithmetic and indexing; the no-panic rules are for the
// decoder, which the tests below drive with every prefix and arbitrary bytes.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic
)]

use super::*;
use core::net::{Ipv4Addr, Ipv6Addr};
use proptest::prelude::*;
use std::format;
use std::vec;
use std::vec::Vec;

const PAYLOAD: &[u8] = b"\x13BitTorrent protocol";
const V4_SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const V4_DST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
const V6_SRC: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const V6_DST: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
const SPORT: u16 = 51413;
const DPORT: u16 = 6881;
const SEQ: u32 = 0x0102_0304;
const ACK: u32 = 0xA0B0_C0D0;
const PSH_ACK: u8 = 0x18;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;
const TPID_8021Q: u16 = 0x8100;
const TPID_8021AD: u16 = 0x88A8;
const TPID_QINQ: u16 = 0x9100;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
/// IPv4 "more fragments" flag in the flags/fragment-offset word.
const MF: u16 = 0x2000;

// ---- frame builders -------------------------------------------------------------------------

fn tcp(options: &[u8], payload: &[u8]) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let mut v = Vec::new();
    v.extend(SPORT.to_be_bytes());
    v.extend(DPORT.to_be_bytes());
    v.extend(SEQ.to_be_bytes());
    v.extend(ACK.to_be_bytes());
    v.push((((20 + options.len()) / 4) as u8) << 4);
    v.push(PSH_ACK);
    v.extend(0xFFFFu16.to_be_bytes()); // window
    v.extend([0, 0, 0, 0]); // checksum, urgent pointer
    v.extend(options);
    v.extend(payload);
    v
}

fn udp(payload: &[u8]) -> Vec<u8> {
    udp_with_len(payload, (8 + payload.len()) as u16)
}

fn udp_with_len(payload: &[u8], len: u16) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(SPORT.to_be_bytes());
    v.extend(DPORT.to_be_bytes());
    v.extend(len.to_be_bytes());
    v.extend([0, 0]);
    v.extend(payload);
    v
}

fn ipv4(protocol: u8, options: &[u8], frag: u16, l4: &[u8]) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let header_len = 20 + options.len();
    let mut v = vec![0x40 | (header_len / 4) as u8, 0];
    v.extend(((header_len + l4.len()) as u16).to_be_bytes());
    v.extend([0x12, 0x34]); // identification
    v.extend(frag.to_be_bytes());
    v.extend([64, protocol, 0, 0]); // ttl, protocol, checksum (not verified)
    v.extend(V4_SRC.octets());
    v.extend(V4_DST.octets());
    v.extend(options);
    v.extend(l4);
    v
}

fn ipv6(next: u8, exts: &[u8], l4: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend(((exts.len() + l4.len()) as u16).to_be_bytes());
    v.extend([next, 64]);
    v.extend(V6_SRC.octets());
    v.extend(V6_DST.octets());
    v.extend(exts);
    v.extend(l4);
    v
}

/// An 8-byte options-style extension header (hop-by-hop, destination options, routing).
fn ext8(next: u8, body: [u8; 6]) -> Vec<u8> {
    let mut v = vec![next, 0];
    v.extend(body);
    v
}

/// Hop-by-hop or destination options holding one PadN option (RFC 8200 §4.2).
fn options_header(next: u8) -> Vec<u8> {
    ext8(next, [1, 4, 0, 0, 0, 0])
}

/// A routing header of type 4 (segment routing) with no segments left (RFC 8754).
fn routing_header(next: u8) -> Vec<u8> {
    ext8(next, [4, 0, 0, 0, 0, 0])
}

/// An IPv6 fragment header (RFC 8200 §4.5); `offset` in 8-byte units.
fn fragment_header(next: u8, offset: u16, more: bool) -> Vec<u8> {
    let mut v = vec![next, 0];
    v.extend(((offset << 3) | u16::from(more)).to_be_bytes());
    v.extend([0xDE, 0xAD, 0xBE, 0xEF]);
    v
}

/// An IPsec authentication header (RFC 4302) with a 12-byte ICV.
fn auth_header(next: u8) -> Vec<u8> {
    let mut v = vec![next, 4, 0, 0];
    v.extend([0, 0, 1, 0]); // SPI
    v.extend([0, 0, 0, 1]); // sequence number
    v.extend([0xAA; 12]);
    v
}

/// An Ethernet II frame with VLAN tags `(TPID, TCI)`, padded to the 60-byte minimum.
fn ethernet(tags: &[(u16, u16)], ethertype: u16, ip: &[u8]) -> Vec<u8> {
    let mut v = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    for (tpid, tci) in tags {
        v.extend(tpid.to_be_bytes());
        v.extend(tci.to_be_bytes());
    }
    v.extend(ethertype.to_be_bytes());
    v.extend(ip);
    v.resize(v.len().max(60), 0);
    v
}

fn sll(arphrd: u16, protocol: u16, ip: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0]; // packet type: to us
    v.extend(arphrd.to_be_bytes());
    v.extend(6u16.to_be_bytes());
    v.extend([2, 0, 0, 0, 0, 1, 0, 0]);
    v.extend(protocol.to_be_bytes());
    v.extend(ip);
    v
}

fn sll2(arphrd: u16, protocol: u16, ip: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(protocol.to_be_bytes());
    v.extend([0, 0]); // reserved
    v.extend(3u32.to_be_bytes()); // interface index
    v.extend(arphrd.to_be_bytes());
    v.extend([0, 6]); // packet type, address length
    v.extend([2, 0, 0, 0, 0, 1, 0, 0]);
    v.extend(ip);
    v
}

fn with_prefix(prefix: [u8; 4], ip: &[u8]) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.extend(ip);
    v
}

/// An 802.11 data frame: frame-control `subtype` bits (byte 0: 0x80 QoS) and `flags` (byte 1:
/// 0x01 to DS, 0x02 from DS, 0x80 +HTC), `pad` bytes after the MAC header, an RFC 1042 SNAP
/// header with `ethertype`, then `ip`.
fn wlan(subtype: u8, flags: u8, pad: usize, ethertype: u16, ip: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08 | subtype, flags, 0, 0];
    v.extend([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 3]);
    v.extend([0x10, 0]); // sequence 1, fragment 0
    if flags & 3 == 3 {
        v.extend([2, 0, 0, 0, 0, 4]);
    }
    if subtype & 0x80 != 0 {
        v.extend([5, 0]); // QoS control: TID 5
        if flags & 0x80 != 0 {
            v.extend([0; 4]); // HT control
        }
    }
    v.extend(vec![0; pad]);
    v.extend([0xAA, 0xAA, 3, 0, 0, 0]);
    v.extend(ethertype.to_be_bytes());
    v.extend(ip);
    v
}

/// A radiotap header with the presence bitmaps `present` and, when `flags` is given, a TSFT
/// (zero) and the Flags field, then `frame`.
fn radiotap(present: &[u32], flags: Option<u8>, frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0];
    for p in present {
        v.extend(p.to_le_bytes());
    }
    if let Some(flags) = flags {
        v.resize(v.len().next_multiple_of(8), 0);
        v.extend([0; 8]);
        v.push(flags);
    }
    let len = v.len() as u16;
    v[2..4].copy_from_slice(&len.to_le_bytes());
    v.extend(frame);
    v
}

fn tcp_v4() -> Vec<u8> {
    ipv4(PROTO_TCP, &[], 0, &tcp(&[], PAYLOAD))
}

fn tcp_v6() -> Vec<u8> {
    ipv6(PROTO_TCP, &[], &tcp(&[], PAYLOAD))
}

/// Valid frames of every link type, each carrying [`PAYLOAD`] from SPORT to DPORT.
fn samples() -> Vec<(LinkType, Vec<u8>)> {
    let (v4, v6) = (tcp_v4(), tcp_v6());
    let udp_v6 = ipv6(PROTO_UDP, &[], &udp(PAYLOAD));
    let ext_v6 = ipv6(
        ext::HOP_BY_HOP,
        &[
            options_header(ext::ROUTING),
            routing_header(ext::FRAGMENT),
            fragment_header(ext::DEST_OPTS, 0, false),
            options_header(PROTO_TCP),
        ]
        .concat(),
        &tcp(&[2, 4, 5, 0xB4, 1, 3, 3, 7], PAYLOAD),
    );
    let opts_v4 = ipv4(
        PROTO_UDP,
        &[1, 1, 1, 0], // NOP NOP NOP EOL
        0,
        &udp(PAYLOAD),
    );
    vec![
        (LinkType::Ethernet, ethernet(&[], ETHERTYPE_IPV4, &v4)),
        (LinkType::Ethernet, ethernet(&[], ETHERTYPE_IPV6, &v6)),
        (LinkType::Ethernet, ethernet(&[], ETHERTYPE_IPV4, &opts_v4)),
        (LinkType::Ethernet, ethernet(&[], ETHERTYPE_IPV6, &ext_v6)),
        (
            LinkType::Ethernet,
            ethernet(&[(TPID_8021Q, 100)], ETHERTYPE_IPV4, &v4),
        ),
        (
            LinkType::Ethernet,
            ethernet(
                &[(TPID_8021AD, 200), (TPID_8021Q, 100)],
                ETHERTYPE_IPV6,
                &udp_v6,
            ),
        ),
        (LinkType::LinuxSll, sll(1, ETHERTYPE_IPV4, &v4)),
        (LinkType::LinuxSll, sll(772, ETHERTYPE_IPV6, &v6)),
        (LinkType::LinuxSll2, sll2(1, ETHERTYPE_IPV4, &v4)),
        (LinkType::LinuxSll2, sll2(0xFFFE, ETHERTYPE_IPV6, &udp_v6)),
        (LinkType::Null, with_prefix(2u32.to_le_bytes(), &v4)),
        (LinkType::Null, with_prefix(30u32.to_be_bytes(), &v6)),
        (LinkType::Loop, with_prefix(2u32.to_be_bytes(), &v4)),
        (LinkType::Loop, with_prefix(24u32.to_be_bytes(), &v6)),
        (LinkType::Raw, v4.clone()),
        (LinkType::Raw, ext_v6),
        (LinkType::Ipv4, opts_v4),
        (LinkType::Ipv6, v6.clone()),
        (LinkType::Ppp, [&[0, 0x21][..], &v4].concat()),
        (LinkType::Ppp, [&[0xFF, 3, 0, 0x57][..], &v6].concat()),
        (LinkType::Ppp, [&[0x21][..], &v4].concat()),
        (LinkType::PppHdlc, [&[0xFF, 3, 0, 0x21][..], &v4].concat()),
        (
            LinkType::PppHdlc,
            [&[0x0F, 0, 0x86, 0xDD][..], &v6].concat(),
        ),
        (LinkType::CiscoHdlc, [&[0x8F, 0, 8, 0][..], &v4].concat()),
        (LinkType::Ieee80211, wlan(0, 0x01, 0, ETHERTYPE_IPV4, &v4)),
        (
            LinkType::Ieee80211,
            wlan(0x80, 0x83, 0, ETHERTYPE_IPV6, &udp_v6),
        ),
        (
            LinkType::Radiotap,
            radiotap(&[0], None, &wlan(0, 0x02, 0, ETHERTYPE_IPV4, &v4)),
        ),
        (
            LinkType::Radiotap,
            radiotap(&[3], Some(0x20), &wlan(0x80, 0x01, 2, ETHERTYPE_IPV6, &v6)),
        ),
        (
            LinkType::Radiotap,
            radiotap(
                &[0x8000_0003, 0],
                Some(0),
                &wlan(0x80, 0x81, 0, ETHERTYPE_IPV4, &v4),
            ),
        ),
        (
            LinkType::LinuxSll,
            sll(
                803,
                0,
                &radiotap(&[0], None, &wlan(0, 1, 0, ETHERTYPE_IPV4, &v4)),
            ),
        ),
    ]
}

fn v4_key(transport: Transport) -> FlowKey {
    FlowKey {
        transport,
        src: Endpoint {
            addr: V4_SRC.into(),
            port: SPORT,
        },
        dst: Endpoint {
            addr: V4_DST.into(),
            port: DPORT,
        },
    }
}

fn v6_key(transport: Transport) -> FlowKey {
    FlowKey {
        transport,
        src: Endpoint {
            addr: V6_SRC.into(),
            port: SPORT,
        },
        dst: Endpoint {
            addr: V6_DST.into(),
            port: DPORT,
        },
    }
}

/// Where `inner` starts within `outer`.
fn offset_in(outer: &[u8], inner: &[u8]) -> usize {
    inner.as_ptr() as usize - outer.as_ptr() as usize
}

// ---- link types -----------------------------------------------------------------------------

#[test]
fn link_type_numbers_round_trip() {
    for link in LinkType::ALL {
        assert_eq!(LinkType::from_pcap(link.to_pcap()), Some(link));
    }
    assert_eq!(LinkType::from_pcap(276), Some(LinkType::LinuxSll2));
    assert_eq!(LinkType::from_pcap(105), Some(LinkType::Ieee80211));
    assert_eq!(LinkType::from_pcap(147), None); // LINKTYPE_USER0
}

/// A live capture's `DLT_*` numbers: those of a file, but raw IP (a tun device) is `DLT_RAW`,
/// 12 (14 on OpenBSD), which in a file is another link type.
#[test]
fn live_capture_link_numbers() {
    for link in LinkType::ALL {
        if link != LinkType::Raw {
            assert_eq!(LinkType::from_dlt(link.to_pcap()), Some(link));
        }
    }
    for dlt in [12, 14, 101] {
        assert_eq!(LinkType::from_dlt(dlt), Some(LinkType::Raw), "DLT {dlt}");
    }
    assert_eq!(LinkType::from_pcap(12), None);
    assert_eq!(LinkType::from_dlt(147), None); // DLT_USER0
}

#[test]
fn ppp_and_hdlc_frames_that_are_not_read() {
    let v4 = tcp_v4();
    let lcp = [&[0xFF, 3, 0xC0, 0x21][..], &[1, 1, 0, 4]].concat();
    assert_eq!(
        decode(LinkType::Ppp, &lcp),
        Err(DecodeError::Unsupported {
            layer: Layer::Link,
            field: "PPP protocol",
            value: 0xC021,
        })
    );
    let control = [&[0xFF, 5, 0, 0x21][..], &v4].concat();
    assert!(matches!(
        decode(LinkType::PppHdlc, &control),
        Err(DecodeError::Malformed {
            layer: Layer::Link,
            ..
        })
    ));
    let cisco_control = [&[0x0F, 1, 8, 0][..], &v4].concat();
    assert!(matches!(
        decode(LinkType::CiscoHdlc, &cisco_control),
        Err(DecodeError::Malformed {
            layer: Layer::Link,
            ..
        })
    ));
    // Cisco HDLC only where the link type allows it: in LINKTYPE_PPP 0x0F is a protocol.
    let cisco = [&[0x0F, 0, 8, 0][..], &v4].concat();
    assert!(decode(LinkType::PppHdlc, &cisco).is_ok());
    assert!(matches!(
        decode(LinkType::Ppp, &cisco),
        Err(DecodeError::Unsupported { value: 0x0F, .. })
    ));
    // LINKTYPE_C_HDLC is Cisco HDLC only.
    let ppp_in_c_hdlc = [&[0xFF, 3, 0, 0x21][..], &v4].concat();
    assert!(matches!(
        decode(LinkType::CiscoHdlc, &ppp_in_c_hdlc),
        Err(DecodeError::Malformed {
            layer: Layer::Link,
            ..
        })
    ));
    let arp = [&[0x0F, 0, 8, 6][..], &[0; 28]].concat();
    assert!(matches!(
        decode(LinkType::CiscoHdlc, &arp),
        Err(DecodeError::Unsupported {
            field: "ethertype",
            value: 0x0806,
            ..
        })
    ));
}

#[test]
fn wlan_frames_that_are_not_read() {
    let v4 = tcp_v4();
    let data = wlan(0x80, 0x01, 0, ETHERTYPE_IPV4, &v4);
    let unsupported = |frame: &[u8]| match decode(LinkType::Ieee80211, frame) {
        Err(DecodeError::Unsupported { layer, field, .. }) => (layer, field),
        other => panic!("{other:?}"),
    };
    let mut beacon = data.clone();
    beacon[0] = 0x80; // management, beacon
    assert_eq!(
        unsupported(&beacon),
        (Layer::Ieee80211, "frame type and version")
    );
    let mut version1 = data.clone();
    version1[0] |= 1;
    assert_eq!(
        unsupported(&version1),
        (Layer::Ieee80211, "frame type and version")
    );
    let mut null = data.clone();
    null[0] = 0xC8; // QoS null
    assert_eq!(
        unsupported(&null),
        (Layer::Ieee80211, "data subtype (no data)")
    );
    let mut protected = data.clone();
    protected[1] |= 0x40;
    assert_eq!(
        unsupported(&protected),
        (Layer::Ieee80211, "protected frame flag")
    );
    let mut fragment = data.clone();
    fragment[22] |= 1;
    assert_eq!(
        unsupported(&fragment),
        (Layer::Ieee80211, "fragment number")
    );
    let mut amsdu = data.clone();
    amsdu[24] |= 0x80;
    assert_eq!(
        unsupported(&amsdu),
        (Layer::Ieee80211, "A-MSDU present flag")
    );
    let mut stp = data.clone();
    stp[26..29].copy_from_slice(&[0x42, 0x42, 3]);
    assert_eq!(
        unsupported(&stp),
        (Layer::Ieee80211, "LLC header (not SNAP)")
    );
    let mut arp = data;
    arp[32..34].copy_from_slice(&0x0806u16.to_be_bytes());
    assert_eq!(unsupported(&arp), (Layer::Ieee80211, "ethertype"));
    // An IEEE 802.1H bridge-tunnel SNAP header carries its ethertype as RFC 1042's does.
    let mut tunnel = wlan(0, 0, 0, ETHERTYPE_IPV4, &v4);
    tunnel[29] = 0xF8;
    assert_eq!(
        decode(LinkType::Ieee80211, &tunnel).unwrap().payload,
        PAYLOAD
    );
}

#[test]
fn radiotap_headers() {
    let frame = wlan(0, 0x01, 0, ETHERTYPE_IPV4, &tcp_v4());
    let mut v1 = radiotap(&[0], None, &frame);
    v1[0] = 1;
    assert!(matches!(
        decode(LinkType::Radiotap, &v1),
        Err(DecodeError::Unsupported {
            layer: Layer::Radiotap,
            field: "version",
            value: 1
        })
    ));
    let mut short = radiotap(&[0], None, &frame);
    short[2] = 4;
    assert!(matches!(
        decode(LinkType::Radiotap, &short),
        Err(DecodeError::Malformed {
            layer: Layer::Radiotap,
            ..
        })
    ));
    // A bitmap chain that runs past the header's length.
    let mut overrun = radiotap(&[0x8000_0000], None, &frame);
    overrun.splice(8..8, [0xFF; 4]);
    assert!(matches!(
        decode(LinkType::Radiotap, &overrun),
        Err(DecodeError::Malformed {
            layer: Layer::Radiotap,
            ..
        })
    ));
    let bad_fcs = radiotap(&[3], Some(0x50), &[&frame[..], &[0; 4]].concat());
    assert!(matches!(
        decode(LinkType::Radiotap, &bad_fcs),
        Err(DecodeError::Malformed {
            layer: Layer::Radiotap,
            reason: "frame failed its FCS check"
        })
    ));
    // The FCS is dropped: with no IP or UDP length to bound it, the payload would take it.
    let mut unbounded = ipv6(PROTO_UDP, &[], &udp_with_len(PAYLOAD, 0));
    unbounded[4..6].copy_from_slice(&[0, 0]);
    let with_fcs = [
        &wlan(0, 0x01, 0, ETHERTYPE_IPV6, &unbounded)[..],
        &[0xDE, 0xAD, 0xBE, 0xEF],
    ]
    .concat();
    let fcs = radiotap(&[3], Some(0x10), &with_fcs);
    assert_eq!(decode(LinkType::Radiotap, &fcs).unwrap().payload, PAYLOAD);
    let no_fcs = radiotap(&[3], Some(0), &with_fcs);
    let p = decode(LinkType::Radiotap, &no_fcs).unwrap();
    assert_eq!(p.payload.len(), PAYLOAD.len() + 4);
}

#[test]
fn every_sample_decodes_to_the_payload() {
    for (link, frame) in samples() {
        let p = decode(link, &frame).unwrap_or_else(|e| panic!("{link:?} {frame:02x?}: {e}"));
        assert_eq!(p.payload, PAYLOAD, "{link:?}");
        assert_eq!(p.payload_len_on_wire, PAYLOAD.len() as u32, "{link:?}");
        assert_eq!(p.fragment, Fragment::None, "{link:?}");
        let transport = p.key.transport;
        assert_eq!(p.tcp.is_some(), transport == Transport::Tcp);
        let expected = if p.key.src.addr.is_ipv4() {
            v4_key(transport)
        } else {
            v6_key(transport)
        };
        assert_eq!(p.key, expected, "{link:?}");
    }
}

#[test]
fn tcp_fields_are_read() {
    let frame = ethernet(&[], ETHERTYPE_IPV4, &tcp_v4());
    let p = decode(LinkType::Ethernet, &frame).unwrap();
    let info = p.tcp.unwrap();
    assert_eq!((info.seq, info.ack), (SEQ, ACK));
    assert_eq!(info.flags, TcpFlags::PSH | TcpFlags::ACK);
    assert!(info.flags.contains(TcpFlags::ACK));
    assert!(!info.flags.contains(TcpFlags::SYN));
}

#[test]
fn tcp_options_are_skipped() {
    // MSS 1460, SACK permitted, window scale 7, NOP.
    let options = [2, 4, 5, 0xB4, 4, 2, 3, 3, 7, 1, 1, 1];
    let frame = ipv4(PROTO_TCP, &[], 0, &tcp(&options, PAYLOAD));
    let p = decode(LinkType::Raw, &frame).unwrap();
    assert_eq!(p.payload, PAYLOAD);
    assert_eq!(offset_in(&frame, p.payload), 20 + 20 + options.len());
}

#[test]
fn ipv4_options_are_skipped() {
    // Record route with room for one address, then EOL padding.
    let options = [7, 7, 4, 0, 0, 0, 0, 0];
    let frame = ipv4(PROTO_TCP, &options, 0, &tcp(&[], PAYLOAD));
    let p = decode(LinkType::Ipv4, &frame).unwrap();
    assert_eq!(p.key, v4_key(Transport::Tcp));
    assert_eq!(p.payload, PAYLOAD);
}

#[test]
fn vlan_tags_stack_in_any_mix() {
    let ip = tcp_v4();
    for tags in [
        &[(TPID_8021Q, 1)][..],
        &[(TPID_8021AD, 2), (TPID_8021Q, 1)],
        &[(TPID_QINQ, 3), (TPID_8021Q, 1)],
        &[(TPID_8021AD, 3), (TPID_8021AD, 2), (TPID_8021Q, 1)],
    ] {
        let frame = ethernet(tags, ETHERTYPE_IPV4, &ip);
        let p = decode(LinkType::Ethernet, &frame).unwrap();
        assert_eq!(p.payload, PAYLOAD, "{tags:?}");
        assert_eq!(offset_in(&frame, p.payload), 14 + 4 * tags.len() + 40);
    }
}

#[test]
fn cooked_captures_accept_any_device_type_with_an_ethertype() {
    // ARPHRD_ETHER, ARPHRD_PPP, ARPHRD_LOOPBACK, ARPHRD_IPGRE, ARPHRD_NONE: etherparse's own
    // SLL reader rejects all but the first.
    let ip = tcp_v4();
    for arphrd in [1, 512, 772, 778, 0xFFFE] {
        for (link, frame) in [
            (LinkType::LinuxSll, sll(arphrd, ETHERTYPE_IPV4, &ip)),
            (LinkType::LinuxSll2, sll2(arphrd, ETHERTYPE_IPV4, &ip)),
        ] {
            let p = decode(link, &frame).unwrap();
            assert_eq!(p.payload, PAYLOAD, "{link:?} {arphrd}");
        }
    }
}

#[test]
fn cooked_capture_with_a_vlan_tag() {
    let mut ip = vec![0, 42];
    ip.extend(ETHERTYPE_IPV4.to_be_bytes());
    ip.extend(tcp_v4());
    let frame = sll(1, TPID_8021Q, &ip);
    let p = decode(LinkType::LinuxSll, &frame).unwrap();
    assert_eq!(p.payload, PAYLOAD);
}

#[test]
fn bsd_loopback_families_in_both_byte_orders() {
    let (v4, v6) = (tcp_v4(), tcp_v6());
    for family in [2u32, 24, 28, 30] {
        let ip = if family == 2 { &v4 } else { &v6 };
        for prefix in [family.to_le_bytes(), family.to_be_bytes()] {
            let frame = with_prefix(prefix, ip);
            let p = decode(LinkType::Null, &frame).unwrap();
            assert_eq!(p.payload, PAYLOAD, "{prefix:?}");
        }
        let frame = with_prefix(family.to_be_bytes(), ip);
        let p = decode(LinkType::Loop, &frame).unwrap();
        assert_eq!(p.payload, PAYLOAD);
    }
    // DLT_LOOP is network order only: little-endian 2 reads as 0x0200_0000.
    assert_eq!(
        decode(LinkType::Loop, &with_prefix(2u32.to_le_bytes(), &v4)),
        Err(DecodeError::Unsupported {
            layer: Layer::Link,
            field: "address family",
            value: 0x0200_0000,
        })
    );
}

#[test]
fn raw_and_nfqueue_packets_dispatch_on_the_version_nibble() {
    for ip in [tcp_v4(), tcp_v6()] {
        assert_eq!(decode_ip(&ip).unwrap().payload, PAYLOAD);
        assert_eq!(decode(LinkType::Raw, &ip), decode_ip(&ip));
    }
    assert_eq!(
        decode(LinkType::Ipv6, &tcp_v4()),
        Err(DecodeError::Malformed {
            layer: Layer::Ipv6,
            reason: "version is not 6",
        })
    );
}

// ---- lengths --------------------------------------------------------------------------------

#[test]
fn ethernet_padding_is_trimmed() {
    let ip = ipv4(PROTO_UDP, &[], 0, &udp(b"d1:ad"));
    let frame = ethernet(&[], ETHERTYPE_IPV4, &ip);
    assert_eq!(frame.len(), 60);
    let p = decode(LinkType::Ethernet, &frame).unwrap();
    assert_eq!(p.payload, b"d1:ad");
    assert_eq!(p.payload_len_on_wire, 5);

    let ip = ipv6(PROTO_TCP, &[], &tcp(&[], b""));
    let mut frame = ethernet(&[], ETHERTYPE_IPV6, &ip);
    frame.extend([0xFC, 0xFC, 0xFC, 0xFC]); // an FCS
    let p = decode(LinkType::Ethernet, &frame).unwrap();
    assert_eq!(p.payload, b"");
    assert_eq!(p.payload_len_on_wire, 0);
}

#[test]
fn udp_length_bounds_the_payload() {
    let mut l4 = udp_with_len(b"abcd", 8 + 2);
    l4.extend(b"zz");
    let frame = ipv4(PROTO_UDP, &[], 0, &l4);
    let p = decode_ip(&frame).unwrap();
    assert_eq!(p.payload, b"ab");
    assert_eq!(p.payload_len_on_wire, 2);
    // Zero (IPv6 jumbogram, offload): the IP length rules.
    let frame = ipv6(PROTO_UDP, &[], &udp_with_len(b"abcd", 0));
    let p = decode_ip(&frame).unwrap();
    assert_eq!(p.payload, b"abcd");
}

#[test]
fn zero_ip_lengths_fall_back_to_the_capture() {
    // TCP segmentation offload records a total length of 0.
    let mut ip = tcp_v4();
    ip[2..4].copy_from_slice(&[0, 0]);
    let p = decode_ip(&ip).unwrap();
    assert_eq!(p.payload, PAYLOAD);
    assert_eq!(p.payload_len_on_wire, PAYLOAD.len() as u32);
}

#[test]
fn snaplen_truncation_keeps_the_on_wire_length() {
    let big = [0x55; 1400];
    let frame = ethernet(
        &[],
        ETHERTYPE_IPV4,
        &ipv4(PROTO_TCP, &[], 0, &tcp(&[], &big)),
    );
    let cut = &frame[..96];
    let p = decode(LinkType::Ethernet, cut).unwrap();
    assert_eq!(p.payload, &big[..96 - 54]);
    assert_eq!(p.payload_len_on_wire, 1400);

    let frame = ipv6(ext::HOP_BY_HOP, &options_header(PROTO_UDP), &udp(&big));
    let p = decode(LinkType::Ipv6, &frame[..200]).unwrap();
    assert_eq!(p.payload.len(), 200 - 56);
    assert_eq!(p.payload_len_on_wire, 1400);
}

#[test]
fn every_truncation_is_an_error_or_a_shorter_payload() {
    let padded = ethernet(
        &[],
        ETHERTYPE_IPV4,
        &ipv4(PROTO_UDP, &[], 0, &udp(b"d1:ad")),
    );
    let first_fragment = ipv6(
        ext::FRAGMENT,
        &fragment_header(PROTO_UDP, 0, true),
        &udp_with_len(PAYLOAD, 1000),
    );
    let extra = [
        (LinkType::Ethernet, padded),
        (LinkType::Ipv6, first_fragment),
    ];
    for (link, frame) in samples().into_iter().chain(extra) {
        let full = decode(link, &frame).unwrap();
        let start = offset_in(&frame, full.payload);
        let end = start + full.payload.len();
        for len in 0..frame.len() {
            let got = decode(link, &frame[..len]);
            if len < start {
                assert!(
                    matches!(got, Err(DecodeError::Truncated { .. })),
                    "{link:?} cut at {len}: {got:?}"
                );
            } else {
                let p = got.unwrap_or_else(|e| panic!("{link:?} cut at {len}: {e}"));
                assert_eq!(p.key, full.key);
                assert_eq!(p.payload, &frame[start..len.min(end)]);
                assert_eq!(p.payload_len_on_wire, full.payload_len_on_wire);
            }
        }
    }
}

#[test]
fn truncation_errors_say_where() {
    let frame = ethernet(&[(TPID_8021Q, 1)], ETHERTYPE_IPV4, &tcp_v4());
    assert_eq!(
        decode(LinkType::Ethernet, &frame[..16]),
        Err(DecodeError::Truncated {
            layer: Layer::Vlan,
            required: 4,
            available: 2,
            offset: 14,
        })
    );
    assert_eq!(
        decode(LinkType::Ethernet, &frame[..18 + 30]),
        Err(DecodeError::Truncated {
            layer: Layer::Tcp,
            required: 20,
            available: 10,
            offset: 38,
        })
    );
    assert_eq!(
        decode_ip(&[]),
        Err(DecodeError::Truncated {
            layer: Layer::Ip,
            required: 1,
            available: 0,
            offset: 0,
        })
    );
    assert_eq!(
        decode(LinkType::LinuxSll2, &[0; 19]),
        Err(DecodeError::Truncated {
            layer: Layer::Link,
            required: 20,
            available: 19,
            offset: 0,
        })
    );
}

// ---- IPv6 extension headers and fragments ---------------------------------------------------

#[test]
fn ipv6_extension_chain_with_a_first_fragment() {
    let exts = [
        options_header(ext::ROUTING),
        routing_header(ext::FRAGMENT),
        fragment_header(ext::DEST_OPTS, 0, true),
        options_header(PROTO_UDP),
    ]
    .concat();
    // The UDP length covers the whole datagram, longer than this fragment.
    let frame = ipv6(ext::HOP_BY_HOP, &exts, &udp_with_len(PAYLOAD, 1000));
    let p = decode(LinkType::Ipv6, &frame).unwrap();
    assert_eq!(p.key, v6_key(Transport::Udp));
    assert_eq!(p.fragment, Fragment::First);
    assert_eq!(p.payload, PAYLOAD);
    assert_eq!(p.payload_len_on_wire, PAYLOAD.len() as u32);
}

#[test]
fn ipv6_authentication_header() {
    let exts = [options_header(ext::AUTH), auth_header(PROTO_TCP)].concat();
    let frame = ipv6(ext::HOP_BY_HOP, &exts, &tcp(&[], PAYLOAD));
    let p = decode_ip(&frame).unwrap();
    assert_eq!(p.payload, PAYLOAD);
    let mut bad = auth_header(PROTO_TCP);
    bad[1] = 0;
    assert_eq!(
        decode_ip(&ipv6(ext::AUTH, &bad, &tcp(&[], PAYLOAD))),
        Err(DecodeError::Malformed {
            layer: Layer::Ipv6,
            reason: "authentication header payload length is zero",
        })
    );
}

#[test]
fn ipv4_authentication_header() {
    let l4 = [auth_header(PROTO_UDP), udp(PAYLOAD)].concat();
    let frame = ipv4(ext::AUTH, &[], 0, &l4);
    let p = decode_ip(&frame).unwrap();
    assert_eq!(p.key, v4_key(Transport::Udp));
    assert_eq!(p.payload, PAYLOAD);
}

#[test]
fn ipv6_atomic_fragment_is_whole() {
    let frame = ipv6(
        ext::FRAGMENT,
        &fragment_header(PROTO_TCP, 0, false),
        &tcp(&[], PAYLOAD),
    );
    let p = decode_ip(&frame).unwrap();
    assert_eq!(p.fragment, Fragment::None);
    assert_eq!(p.payload, PAYLOAD);
}

#[test]
fn ipv6_later_fragments_are_reported_with_their_addresses() {
    let later = DecodeError::LaterFragment {
        protocol: PROTO_UDP,
        src: V6_SRC.into(),
        dst: V6_DST.into(),
    };
    let exts = [
        options_header(ext::FRAGMENT),
        fragment_header(PROTO_UDP, 185, false),
    ]
    .concat();
    let frame = ipv6(ext::HOP_BY_HOP, &exts, &[0x99; 40]);
    assert_eq!(decode_ip(&frame), Err(later));
    // A later fragment of a datagram with destination options in its fragmentable part: the
    // bytes after the fragment header are payload, not a (here impossibly long) header.
    let frame = ipv6(
        ext::FRAGMENT,
        &fragment_header(ext::DEST_OPTS, 1, true),
        &[0, 0xFF, 0, 0],
    );
    assert_eq!(
        decode_ip(&frame),
        Err(DecodeError::LaterFragment {
            protocol: ext::DEST_OPTS,
            src: V6_SRC.into(),
            dst: V6_DST.into(),
        })
    );
}

#[test]
fn ipv4_first_and_later_fragments() {
    // First fragment: 8 bytes of UDP header and 16 of the payload; UDP length says 1008.
    let first = ipv4(PROTO_UDP, &[], MF, &udp_with_len(&[7; 16], 1008));
    let frame = ethernet(&[], ETHERTYPE_IPV4, &first);
    let p = decode(LinkType::Ethernet, &frame).unwrap();
    assert_eq!(p.fragment, Fragment::First);
    assert_eq!(p.key, v4_key(Transport::Udp));
    assert_eq!(p.payload, [7; 16]);
    assert_eq!(p.payload_len_on_wire, 16);

    let tcp_first = ipv4(PROTO_TCP, &[], MF, &tcp(&[], PAYLOAD));
    assert_eq!(decode_ip(&tcp_first).unwrap().fragment, Fragment::First);

    for (protocol, frag) in [(PROTO_UDP, 3), (PROTO_TCP, MF | 3), (1, 100)] {
        let later = ipv4(protocol, &[], frag, &[0x99; 24]);
        assert_eq!(
            decode_ip(&later),
            Err(DecodeError::LaterFragment {
                protocol,
                src: V4_SRC.into(),
                dst: V4_DST.into(),
            })
        );
    }
}

// ---- errors ---------------------------------------------------------------------------------

#[test]
fn unsupported_and_malformed_inputs() {
    let arp = ethernet(&[], 0x0806, &[0; 28]);
    assert_eq!(
        decode(LinkType::Ethernet, &arp),
        Err(DecodeError::Unsupported {
            layer: Layer::Link,
            field: "ethertype",
            value: 0x0806,
        })
    );
    let tagged_arp = ethernet(&[(TPID_8021Q, 5)], 0x0806, &[0; 28]);
    assert!(matches!(
        decode(LinkType::Ethernet, &tagged_arp),
        Err(DecodeError::Unsupported {
            layer: Layer::Vlan,
            ..
        })
    ));
    let icmp = ipv4(1, &[], 0, &[8, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        decode_ip(&icmp),
        Err(DecodeError::Unsupported {
            layer: Layer::Ipv4,
            field: "protocol",
            value: 1,
        })
    );
    let icmp6 = ipv6(58, &[], &[128, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        decode_ip(&icmp6),
        Err(DecodeError::Unsupported {
            layer: Layer::Ipv6,
            field: "next header",
            value: 58,
        })
    );
    assert_eq!(
        decode_ip(&[0x50; 40]),
        Err(DecodeError::Unsupported {
            layer: Layer::Ip,
            field: "version",
            value: 5,
        })
    );
    assert!(matches!(
        decode(LinkType::Null, &with_prefix(7u32.to_le_bytes(), &tcp_v4())),
        Err(DecodeError::Unsupported { value: 7, .. })
    ));
    assert!(matches!(
        decode(LinkType::LinuxSll, &sll(824, 0, &[0; 16])),
        Err(DecodeError::Unsupported { value: 824, .. })
    ));

    let mut ihl4 = tcp_v4();
    ihl4[0] = 0x44;
    assert!(matches!(
        decode_ip(&ihl4),
        Err(DecodeError::Malformed {
            layer: Layer::Ipv4,
            ..
        })
    ));
    let mut offset4 = tcp_v4();
    offset4[20 + 12] = 0x40;
    assert!(matches!(
        decode_ip(&offset4),
        Err(DecodeError::Malformed {
            layer: Layer::Tcp,
            ..
        })
    ));
    let short_udp = ipv4(PROTO_UDP, &[], 0, &udp_with_len(b"x", 5));
    assert!(matches!(
        decode_ip(&short_udp),
        Err(DecodeError::Malformed {
            layer: Layer::Udp,
            ..
        })
    ));
    let late_hop = ipv6(
        ext::DEST_OPTS,
        &[options_header(ext::HOP_BY_HOP), options_header(PROTO_TCP)].concat(),
        &tcp(&[], b""),
    );
    assert!(matches!(
        decode_ip(&late_hop),
        Err(DecodeError::Malformed {
            layer: Layer::Ipv6,
            ..
        })
    ));
}

#[test]
fn errors_display_where_and_what() {
    let cases = [
        (
            DecodeError::Truncated {
                layer: Layer::Tcp,
                required: 20,
                available: 10,
                offset: 38,
            },
            "TCP header at byte 38 truncated: needs 20 bytes, 10 available",
        ),
        (
            DecodeError::Unsupported {
                layer: Layer::Link,
                field: "ethertype",
                value: 0x0806,
            },
            "unsupported link layer ethertype 2054 (0x806)",
        ),
        (
            DecodeError::Malformed {
                layer: Layer::Udp,
                reason: "length below the 8-byte header",
            },
            "malformed UDP header: length below the 8-byte header",
        ),
        (
            DecodeError::LaterFragment {
                protocol: 17,
                src: V4_SRC.into(),
                dst: V4_DST.into(),
            },
            "non-first IP fragment (protocol 17) from 192.0.2.1 to 198.51.100.2",
        ),
    ];
    for (err, text) in cases {
        assert_eq!(format!("{err}"), text);
    }
}

#[test]
fn flow_key_reverses_and_endpoints_print() {
    let key = v6_key(Transport::Tcp);
    let back = key.reversed();
    assert_eq!((back.src, back.dst), (key.dst, key.src));
    assert_eq!(back.reversed(), key);
    assert_eq!(format!("{}", key.src), "[2001:db8::1]:51413");
    assert_eq!(
        format!("{}", v4_key(Transport::Udp).dst),
        "198.51.100.2:6881"
    );
}

// ---- the fast path against the reference ----------------------------------------------------

/// `decode` and `decode_reference` give the same result for `frame` read as every link type,
/// and so do `decode_ip` and `decode_ip_reference`; an `Ok` borrows the same payload subslice.
fn paths_agree(frame: &[u8]) -> Result<(), TestCaseError> {
    let pairs = LinkType::ALL
        .iter()
        .map(|&link| (decode(link, frame), decode_reference(link, frame)))
        .chain([(decode_ip(frame), decode_ip_reference(frame))]);
    for (fast, reference) in pairs {
        prop_assert_eq!(fast, reference, "frame {:02x?}", frame);
        if let (Ok(a), Ok(b)) = (fast, reference) {
            prop_assert_eq!(
                a.payload.as_ptr(),
                b.payload.as_ptr(),
                "frame {:02x?}",
                frame
            );
        }
    }
    Ok(())
}

/// [`paths_agree`] for `frame` cut at every length.
fn paths_agree_at_every_cut(frame: &[u8]) -> Result<(), TestCaseError> {
    (0..=frame.len()).try_for_each(|len| paths_agree(&frame[..len]))
}

/// An IPv6 packet carrying TCP behind a fragment header (`offset` in 8-byte units).
fn fragmented_v6(offset: u16, more: bool) -> Vec<u8> {
    ipv6(
        ext::FRAGMENT,
        &fragment_header(PROTO_TCP, offset, more),
        &tcp(&[], PAYLOAD),
    )
}

#[test]
fn the_fast_path_reads_the_common_packets() {
    let (v4, v6) = (tcp_v4(), tcp_v6());
    let udp_v4 = ipv4(PROTO_UDP, &[], 0, &udp(PAYLOAD));
    let udp_v6 = ipv6(PROTO_UDP, &[], &udp(PAYLOAD));
    let mut offload = tcp_v4();
    offload[2..4].copy_from_slice(&[0, 0]);
    let snaplen_cut = ipv4(PROTO_TCP, &[], 0, &tcp(&[], &[0x55; 1400]));
    let common = [
        (LinkType::Ethernet, ethernet(&[], ETHERTYPE_IPV4, &v4)),
        (LinkType::Ethernet, ethernet(&[], ETHERTYPE_IPV6, &v6)),
        (LinkType::Ethernet, ethernet(&[], ETHERTYPE_IPV4, &udp_v4)),
        (
            LinkType::Ethernet,
            ethernet(
                &[(TPID_8021AD, 2), (TPID_8021Q, 1)],
                ETHERTYPE_IPV6,
                &udp_v6,
            ),
        ),
        (LinkType::LinuxSll, sll(1, ETHERTYPE_IPV4, &v4)),
        (LinkType::LinuxSll2, sll2(0xFFFE, ETHERTYPE_IPV6, &udp_v6)),
        (LinkType::Null, with_prefix(2u32.to_le_bytes(), &v4)),
        (LinkType::Loop, with_prefix(24u32.to_be_bytes(), &v6)),
        (LinkType::Raw, v6.clone()),
        (
            LinkType::Ipv4,
            ipv4(PROTO_TCP, &[1; 40], 0, &tcp(&[], PAYLOAD)),
        ),
        (
            LinkType::Ipv6,
            ipv6(PROTO_TCP, &[], &tcp(&[1; 40], PAYLOAD)),
        ),
        (
            LinkType::Ipv4,
            ipv4(PROTO_UDP, &[], MF, &udp_with_len(&[7; 16], 1008)),
        ),
        (LinkType::Ipv4, offload),
        (LinkType::Ipv4, snaplen_cut[..100].to_vec()),
    ];
    for (link, frame) in common {
        let reference = decode_reference(link, &frame).unwrap();
        assert_eq!(fast::decode(link, &frame), Some(reference), "{link:?}");
    }
    // The rest goes to the reference: authentication and extension headers, later fragments,
    // other protocols, errors.
    let auth_v4 = ipv4(
        ext::AUTH,
        &[],
        0,
        &[auth_header(PROTO_UDP), udp(PAYLOAD)].concat(),
    );
    let hop_by_hop = ipv6(
        ext::HOP_BY_HOP,
        &options_header(PROTO_TCP),
        &tcp(&[], PAYLOAD),
    );
    let icmp = ipv4(1, &[], 0, &[8, 0, 0, 0, 0, 1, 0, 1]);
    let later = ipv4(PROTO_UDP, &[], 3, &[0x99; 24]);
    let mut short_data_offset = tcp(&[], PAYLOAD);
    short_data_offset[12] = 4 << 4;
    for ip in [
        auth_v4,
        hop_by_hop,
        fragmented_v6(0, true),
        icmp,
        later,
        tcp_v4()[..30].to_vec(),
        ipv4(PROTO_UDP, &[], 0, &udp_with_len(PAYLOAD, 7)),
        ipv4(PROTO_TCP, &[], 0, &short_data_offset),
    ] {
        assert_eq!(fast::network(bare_ip(&ip)), None, "{ip:02x?}");
    }
}

#[test]
fn the_paths_agree_on_every_cut_of_the_samples() {
    let extra = [
        ipv4(PROTO_UDP, &[], MF, &udp_with_len(&[7; 16], 1008)),
        ipv4(
            ext::AUTH,
            &[],
            0,
            &[auth_header(PROTO_TCP), tcp(&[], PAYLOAD)].concat(),
        ),
        fragmented_v6(0, true),
        fragmented_v6(3, false),
    ];
    for frame in samples().into_iter().map(|(_, f)| f).chain(extra) {
        paths_agree_at_every_cut(&frame).unwrap();
    }
}

/// A length field: zero, exact, a little short, a little long, or anything.
fn length_field() -> impl Strategy<Value = (u8, u16)> {
    (0u8..5, any::<u16>())
}

/// The length field that `(kind, value)` makes of the exact length `exact`.
fn pick_len((kind, value): (u8, u16), exact: usize) -> u16 {
    let exact = exact as u16;
    match kind {
        0 => 0,
        1 => exact,
        2 => exact.saturating_sub(value % 48),
        3 => exact.saturating_add(value % 48),
        _ => value,
    }
}

/// IP protocol numbers worth trying: TCP and UDP, the IPv4/IPv6 extension headers, the
/// tunnels (IP-in-IP, GRE), ICMP, any.
fn protocol_number() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => Just(PROTO_TCP),
        4 => Just(PROTO_UDP),
        1 => Just(4u8),
        1 => Just(41u8),
        1 => Just(47u8),
        1 => Just(ext::AUTH),
        1 => Just(ext::HOP_BY_HOP),
        1 => Just(ext::FRAGMENT),
        1 => Just(ext::DEST_OPTS),
        1 => any::<u8>(),
    ]
}

/// IPv4 flags and fragment offset: none, more fragments, don't fragment, an offset of one bit
/// or any, anything.
fn fragment_field() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(0u16),
        Just(MF),
        Just(0x4000u16),
        (0u16..13).prop_map(|bit| 1 << bit),
        1u16..0x2000,
        any::<u16>(),
    ]
}

/// The shape of a generated frame: every header field the fast path reads, free to lie.
#[derive(Clone, Debug)]
struct Shape {
    /// Which link header (see [`wrap`]), the VLAN TPIDs, which ethertype or address family
    /// (0 and 1: the IP version's, 2: the other version's, else a random one), and a random
    /// number for the ethertype, tag, family and cooked-capture device type.
    link: (u8, Vec<u16>, u8, u16),
    v6: bool,
    /// IPv4: IHL and the option words actually present.
    ihl: (u8, u8),
    /// IPv4 total length or IPv6 payload length.
    ip_len: (u8, u16),
    /// IPv4 flags and fragment offset.
    fragment: u16,
    protocol: u8,
    /// A TCP header (else UDP) with data offset and the option words actually present.
    tcp: (bool, u8, u8),
    udp_len: (u8, u16),
    payload: Vec<u8>,
    /// Bytes after the IP datagram (Ethernet padding, FCS).
    trailer: Vec<u8>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        (
            0u8..8,
            proptest::collection::vec(
                prop_oneof![Just(TPID_8021Q), Just(TPID_8021AD), Just(TPID_QINQ)],
                0..3,
            ),
            0u8..4,
            any::<u16>(),
        ),
        any::<bool>(),
        (0u8..16, 0u8..11),
        length_field(),
        fragment_field(),
        protocol_number(),
        (any::<bool>(), 0u8..16, 0u8..11),
        length_field(),
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(any::<u8>(), 0..8),
    )
        .prop_map(
            |(link, v6, ihl, ip_len, fragment, protocol, tcp, udp_len, payload, trailer)| Shape {
                link,
                v6,
                ihl,
                ip_len,
                fragment,
                protocol,
                tcp,
                udp_len,
                payload,
                trailer,
            },
        )
}

/// The frame of `shape`.
fn build(shape: &Shape) -> Vec<u8> {
    let (is_tcp, data_offset, tcp_words) = shape.tcp;
    let l4 = if is_tcp {
        let mut seg = tcp(&vec![1; 4 * usize::from(tcp_words)], &shape.payload);
        seg[12] = data_offset << 4;
        seg
    } else {
        let exact = UDP_HEADER_LEN + shape.payload.len();
        udp_with_len(&shape.payload, pick_len(shape.udp_len, exact))
    };
    let ip = if shape.v6 {
        let mut ip = ipv6(shape.protocol, &[], &l4);
        ip[4..6].copy_from_slice(&pick_len(shape.ip_len, l4.len()).to_be_bytes());
        ip
    } else {
        let (ihl, words) = shape.ihl;
        let mut ip = ipv4(
            shape.protocol,
            &vec![1; 4 * usize::from(words)],
            shape.fragment,
            &l4,
        );
        ip[0] = 0x40 | ihl;
        let total_len = pick_len(shape.ip_len, ip.len());
        ip[2..4].copy_from_slice(&total_len.to_be_bytes());
        ip
    };
    let mut frame = wrap(shape, &ip);
    frame.extend(&shape.trailer);
    frame
}

/// `ip` behind the link header of `shape`.
fn wrap(shape: &Shape, ip: &[u8]) -> Vec<u8> {
    let (which, ref tpids, announce, random) = shape.link;
    let (own, other) = if shape.v6 {
        (ETHERTYPE_IPV6, ETHERTYPE_IPV4)
    } else {
        (ETHERTYPE_IPV4, ETHERTYPE_IPV6)
    };
    let ethertype = match announce {
        0 | 1 => own,
        2 => other,
        _ => random,
    };
    let family: u32 = match (announce, shape.v6) {
        (0 | 1, false) | (2, true) => 2,
        (0 | 1, true) | (2, false) => 28,
        _ => u32::from(random),
    };
    match which {
        0 => ethernet(&[], ethertype, ip),
        1 => {
            let tags: Vec<(u16, u16)> = tpids.iter().map(|&t| (t, random)).collect();
            ethernet(&tags, ethertype, ip)
        }
        2 => sll(random, ethertype, ip),
        3 => sll2(random, ethertype, ip),
        4 => with_prefix(family.to_le_bytes(), ip),
        5 => with_prefix(family.to_be_bytes(), ip),
        _ => ip.to_vec(),
    }
}

#[test]
fn generated_frames_often_take_the_fast_path() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut fast_path, total) = (0, 1000);
    for _ in 0..total {
        let shape = shape().new_tree(&mut runner).unwrap().current();
        let frame = build(&shape);
        fast_path += LinkType::ALL
            .iter()
            .filter(|&&link| fast::decode(link, &frame).is_some())
            .count();
    }
    assert!(fast_path > total / 8, "{fast_path} of {total} frames");
}

proptest! {
    #[test]
    fn the_paths_agree_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        paths_agree(&bytes)?;
    }

    #[test]
    fn the_paths_agree_on_generated_frames_cut_anywhere(shape in shape()) {
        paths_agree_at_every_cut(&build(&shape))?;
    }

    #[test]
    fn the_paths_agree_on_corrupted_samples_cut_anywhere(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let all = samples();
        let (_, mut frame) = all[pick.index(all.len())].clone();
        for (at, value) in edits {
            let i = at.index(frame.len());
            frame[i] = value;
        }
        paths_agree_at_every_cut(&frame)?;
    }
}

// ---- never panics ---------------------------------------------------------------------------

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        for link in LinkType::ALL {
            if let Ok(p) = decode(link, &bytes) {
                prop_assert!(p.payload.len() <= bytes.len());
            }
        }
        let _ = decode_ip(&bytes);
    }

    #[test]
    fn corrupted_frames_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let all = samples();
        let (link, mut frame) = all[pick.index(all.len())].clone();
        for (at, value) in edits {
            let i = at.index(frame.len());
            frame[i] = value;
        }
        frame.truncate(cut.index(frame.len() + 1));
        if let Ok(p) = decode(link, &frame) {
            let start = offset_in(&frame, p.payload);
            prop_assert!(start + p.payload.len() <= frame.len());
            prop_assert!(p.payload_len_on_wire as usize >= p.payload.len());
        }
    }
}

// ---- encapsulations -------------------------------------------------------------------------

const OUTER_SRC: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const OUTER_DST: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_PPPOE: u16 = 0x8864;

/// An outer IPv4 header from OUTER_SRC to OUTER_DST around `payload`.
fn outer_v4(protocol: u8, payload: &[u8]) -> Vec<u8> {
    let mut ip = ipv4(protocol, &[], 0, payload);
    ip[12..16].copy_from_slice(&OUTER_SRC.octets());
    ip[16..20].copy_from_slice(&OUTER_DST.octets());
    ip
}

/// A GRE header (RFC 2784/2890) with the given flags, protocol type and optional words.
fn gre(flags: u8, protocol: u16, words: &[u32], inner: &[u8]) -> Vec<u8> {
    let mut v = vec![flags, 0];
    v.extend(protocol.to_be_bytes());
    for w in words {
        v.extend(w.to_be_bytes());
    }
    v.extend(inner);
    v
}

/// A UDP datagram from `sport` to `dport` around `payload`.
fn udp_ports(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = udp(payload);
    v[0..2].copy_from_slice(&sport.to_be_bytes());
    v[2..4].copy_from_slice(&dport.to_be_bytes());
    v
}

fn vxlan(vni: u32, frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0];
    v.extend(&(vni << 8).to_be_bytes());
    v.extend(frame);
    v
}

/// A GTP-U G-PDU with a sequence number and one (PDU session container) extension header.
fn gtp_u(teid: u32, ip: &[u8]) -> Vec<u8> {
    let ext = [1, 0x00, 0x09, 0]; // length 1 word, content, next type 0
    let mut body = vec![0x12, 0x34, 0, 0x85]; // sequence, N-PDU, next extension type
    body.extend(ext);
    body.extend(ip);
    let mut v = vec![0x30 | 0x04 | 0x02, 255];
    v.extend((body.len() as u16).to_be_bytes());
    v.extend(teid.to_be_bytes());
    v.extend(body);
    v
}

fn pppoe(session: u16, protocol: &[u8], ip: &[u8]) -> Vec<u8> {
    let mut v = vec![0x11, 0];
    v.extend(session.to_be_bytes());
    v.extend(((protocol.len() + ip.len()) as u16).to_be_bytes());
    v.extend(protocol);
    v.extend(ip);
    v
}

/// An MPLS label stack of `labels` (the last one at the bottom).
fn mpls(labels: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let bottom = u32::from(i + 1 == labels.len());
        v.extend((label << 12 | bottom << 8 | 64).to_be_bytes());
    }
    v.extend(payload);
    v
}

/// An inner Ethernet frame (not padded).
fn inner_ethernet(ethertype: u16, ip: &[u8]) -> Vec<u8> {
    let mut v = vec![2, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 3];
    v.extend(ethertype.to_be_bytes());
    v.extend(ip);
    v
}

/// Tunnelled frames, each carrying [`PAYLOAD`] from SPORT to DPORT, with what their tunnel
/// should read as (`Tunnel`'s `Display`).
fn tunnel_samples() -> Vec<(LinkType, Vec<u8>, TunnelKind, &'static str)> {
    let (v4, v6) = (tcp_v4(), tcp_v6());
    let udp_v4 = ipv4(PROTO_UDP, &[], 0, &udp(PAYLOAD));
    let udp_v6 = ipv6(PROTO_UDP, &[], &udp(PAYLOAD));
    let eth = |ip: &[u8]| ethernet(&[], ETHERTYPE_IPV4, ip);
    let outer6 = |next: u8, payload: &[u8]| {
        let mut ip = ipv6(next, &[], payload);
        ip[8..24].copy_from_slice(&Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1).octets());
        ip[24..40].copy_from_slice(&Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2).octets());
        ip
    };
    let vxlan_v4 = outer_v4(
        PROTO_UDP,
        &udp_ports(
            40000,
            4789,
            &vxlan(42, &inner_ethernet(ETHERTYPE_IPV4, &v4)),
        ),
    );
    vec![
        (
            LinkType::Ethernet,
            eth(&outer_v4(47, &gre(0x20, 0x0800, &[7], &v4))),
            TunnelKind::Gre,
            "10.0.0.1 -> 10.0.0.2 key 7",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(47, &gre(0xB0, 0x86DD, &[0, 9, 1], &udp_v6))),
            TunnelKind::Gre,
            "10.0.0.1 -> 10.0.0.2 key 9",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(
                47,
                &gre(0, 0x6558, &[], &inner_ethernet(ETHERTYPE_IPV4, &v4)),
            )),
            TunnelKind::Gre,
            "10.0.0.1 -> 10.0.0.2",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(
                47,
                &gre(
                    0x10,
                    0x88BE,
                    &[5],
                    &[
                        vec![0x10, 0x64, 0x00, 0x2A, 0, 0, 0, 0],
                        inner_ethernet(ETHERTYPE_IPV4, &v4),
                    ]
                    .concat(),
                ),
            )),
            TunnelKind::Erspan,
            "10.0.0.1 -> 10.0.0.2 session 42",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(4, &v4)),
            TunnelKind::IpIp,
            "10.0.0.1 -> 10.0.0.2",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(41, &v6)),
            TunnelKind::SixInFour,
            "10.0.0.1 -> 10.0.0.2",
        ),
        (
            LinkType::Ethernet,
            ethernet(&[], ETHERTYPE_IPV6, &outer6(4, &udp_v4)),
            TunnelKind::FourInSix,
            "fd00::1 -> fd00::2",
        ),
        (
            LinkType::Raw,
            outer6(41, &v6),
            TunnelKind::SixInSix,
            "fd00::1 -> fd00::2",
        ),
        (
            LinkType::Ethernet,
            eth(&vxlan_v4),
            TunnelKind::Vxlan,
            "10.0.0.1:40000 -> 10.0.0.2:4789 vni 42",
        ),
        (
            LinkType::Ethernet,
            ethernet(
                &[],
                ETHERTYPE_IPV6,
                &outer6(
                    PROTO_UDP,
                    &udp_ports(
                        40001,
                        4789,
                        &vxlan(
                            7,
                            &inner_ethernet(
                                TPID_8021Q,
                                &[&[0, 5][..], &[0x86, 0xDD], &v6].concat(),
                            ),
                        ),
                    ),
                ),
            ),
            TunnelKind::Vxlan,
            "[fd00::1]:40001 -> [fd00::2]:4789 vni 7",
        ),
        (
            LinkType::Ethernet,
            ethernet(&[], ETHERTYPE_PPPOE, &pppoe(17, &[0, 0x21], &v4)),
            TunnelKind::Pppoe,
            "session 17",
        ),
        (
            LinkType::Ethernet,
            ethernet(
                &[(TPID_8021Q, 3)],
                ETHERTYPE_PPPOE,
                &pppoe(18, &[0x57], &udp_v6),
            ),
            TunnelKind::Pppoe,
            "session 18",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(
                PROTO_UDP,
                &udp_ports(2152, 2152, &gtp_u(0xABCD, &v4)),
            )),
            TunnelKind::GtpU,
            "10.0.0.1:2152 -> 10.0.0.2:2152 teid 43981",
        ),
        (
            LinkType::Ethernet,
            ethernet(&[], ETHERTYPE_MPLS, &mpls(&[100, 200], &v4)),
            TunnelKind::Mpls,
            "label 200",
        ),
        (
            LinkType::Ethernet,
            ethernet(
                &[],
                ETHERTYPE_MPLS,
                &mpls(
                    &[300],
                    &[&[0, 0, 0, 1][..], &inner_ethernet(ETHERTYPE_IPV6, &udp_v6)].concat(),
                ),
            ),
            TunnelKind::Mpls,
            "label 300",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(47, &gre(0, 0x8847, &[], &mpls(&[16], &v6)))),
            TunnelKind::Mpls,
            "10.0.0.1 -> 10.0.0.2 label 16",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(47, &gre(0, 0x0800, &[], &vxlan_v4))),
            TunnelKind::Vxlan,
            "10.0.0.1:40000 -> 10.0.0.2:4789 vni 42",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(
                PROTO_UDP,
                &udp_ports(40000, 8472, &vxlan(5, &inner_ethernet(ETHERTYPE_IPV4, &v4))),
            )),
            TunnelKind::Vxlan,
            "10.0.0.1:40000 -> 10.0.0.2:8472 vni 5",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(
                PROTO_UDP,
                &udp_ports(
                    40002,
                    6081,
                    &geneve(0x6558, 9, &[0x01, 0x02, 0x80, 1, 0, 0, 0, 7], &{
                        inner_ethernet(ETHERTYPE_IPV6, &udp_v6)
                    }),
                ),
            )),
            TunnelKind::Geneve,
            "10.0.0.1:40002 -> 10.0.0.2:6081 vni 9",
        ),
        (
            LinkType::Raw,
            outer6(
                PROTO_UDP,
                &udp_ports(40003, 6081, &geneve(0x0800, 10, &[], &v4)),
            ),
            TunnelKind::Geneve,
            "[fd00::1]:40003 -> [fd00::2]:6081 vni 10",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(PROTO_UDP, &udp_ports(3544, 51000, &v6))),
            TunnelKind::Teredo,
            "10.0.0.1:3544 -> 10.0.0.2:51000",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(
                PROTO_UDP,
                &udp_ports(
                    51000,
                    3544,
                    &[
                        &teredo_auth(&[1, 2, 3], &[4; 5])[..],
                        &TEREDO_ORIGIN,
                        &udp_v6,
                    ]
                    .concat(),
                ),
            )),
            TunnelKind::Teredo,
            "10.0.0.1:51000 -> 10.0.0.2:3544",
        ),
        (
            LinkType::Ethernet,
            eth(&outer_v4(
                PROTO_UDP,
                &udp_ports(3544, 3544, &[&TEREDO_ORIGIN[..], &v6].concat()),
            )),
            TunnelKind::Teredo,
            "10.0.0.1:3544 -> 10.0.0.2:3544",
        ),
    ]
}

/// A GENEVE header (RFC 8926 §3.4) with `options` (whole words) around `payload`.
fn geneve(protocol: u16, vni: u32, options: &[u8], payload: &[u8]) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let mut v = vec![(options.len() / 4) as u8, 0];
    v.extend(protocol.to_be_bytes());
    v.extend((vni << 8).to_be_bytes());
    v.extend(options);
    v.extend(payload);
    v
}

/// A Teredo origin indication (RFC 4380 §5.1.1): port and address, obfuscated.
const TEREDO_ORIGIN: [u8; 8] = [0, 0, 0x3F, 0xFF, 0xAB, 0xCD, 0xEF, 0x01];

/// A Teredo authentication indicator (RFC 4380 §5.1.1) with a client id and a value.
fn teredo_auth(id: &[u8], value: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 1, id.len() as u8, value.len() as u8];
    v.extend(id);
    v.extend(value);
    v.extend([0x11; 8]); // nonce
    v.push(0); // confirmation
    v
}

#[test]
fn tunnelled_packets_decode_to_the_inner_flow() {
    for (link, frame, kind, text) in tunnel_samples() {
        let p = decode(link, &frame).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(p.payload, PAYLOAD, "{text}");
        assert_eq!(p.fragment, Fragment::None, "{text}");
        let expected = if p.key.src.addr.is_ipv4() {
            v4_key(p.key.transport)
        } else {
            v6_key(p.key.transport)
        };
        assert_eq!(p.key, expected, "{text}");
        assert_eq!(p.tunnel, Some(kind), "{text}");
        let tunnel = super::tunnel(link, &frame).unwrap();
        assert_eq!(tunnel.kind(), kind, "{text}");
        assert_eq!(format!("{tunnel}"), text);
        // The fast path hands them to the reference.
        assert_eq!(fast::decode(link, &frame), None, "{text}");
    }
    let nested = &tunnel_samples()[16];
    assert_eq!(super::tunnel(nested.0, &nested.1).unwrap().depth(), 2);
    assert_eq!(
        decode(
            LinkType::Ethernet,
            &ethernet(&[], ETHERTYPE_IPV4, &tcp_v4())
        )
        .unwrap()
        .tunnel,
        None
    );
}

#[test]
fn the_paths_agree_on_every_cut_of_the_tunnel_samples() {
    for (_, frame, _, _) in tunnel_samples() {
        paths_agree_at_every_cut(&frame).unwrap();
    }
}

#[test]
fn nesting_is_bounded() {
    let mut ip = tcp_v4();
    for _ in 0..MAX_ENCAPSULATIONS {
        ip = outer_v4(4, &ip);
    }
    assert_eq!(decode_ip(&ip).unwrap().tunnel, Some(TunnelKind::IpIp));
    assert_eq!(tunnel_ip(&ip).unwrap().depth(), MAX_ENCAPSULATIONS);
    let deeper = outer_v4(4, &ip);
    assert_eq!(
        decode_ip(&deeper),
        Err(DecodeError::Unsupported {
            layer: Layer::Ipv4,
            field: "encapsulation depth",
            value: u32::from(MAX_ENCAPSULATIONS) + 1,
        })
    );
    paths_agree(&deeper).unwrap();
    let labels: Vec<u32> = (0..17).collect();
    assert!(matches!(
        decode(
            LinkType::Ethernet,
            &ethernet(&[], ETHERTYPE_MPLS, &mpls(&labels, &tcp_v4()))
        ),
        Err(DecodeError::Unsupported {
            layer: Layer::Mpls,
            field: "label stack depth",
            ..
        })
    ));
}

#[test]
fn what_is_not_a_tunnel_header_stays_what_it_is() {
    let dht = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
    let mut reserved = vxlan(5, &inner_ethernet(ETHERTYPE_IPV4, &tcp_v4()));
    reserved[3] = 1;
    let mut gbp = reserved.clone();
    gbp[0] = 0x88;
    // Other flags beside I with a third reserved byte of 0xFF (no "next protocol" stands in).
    let mut flags_ff = vxlan(5, &inner_ethernet(ETHERTYPE_IPV4, &tcp_v4()));
    flags_ff[0] = 0x88;
    flags_ff[3] = 0xFF;
    let mut gpe = vxlan(5, &inner_ethernet(ETHERTYPE_IPV4, &tcp_v4()));
    gpe[0] = 0x0C;
    gpe[3] = 3; // VXLAN-GPE, next protocol Ethernet
    let mut gpe_ipv4 = gpe.clone();
    gpe_ipv4[3] = 1;
    let control = geneve(0x6558, 1, &[], &inner_ethernet(ETHERTYPE_IPV4, &tcp_v4()));
    let mut control_bit = control.clone();
    control_bit[1] = 0x80;
    let mut version1 = control.clone();
    version1[0] = 0x40;
    let mut short_v6 = tcp_v6();
    short_v6[5] -= 1;
    let bubble = ipv6(59, &[], &[]);
    let echo = ipv6(58, &[], &[128, 0, 0, 0, 0, 1, 0, 1]);
    // UDP to the tunnel ports without their headers: plain UDP flows. On 8472, VXLAN's
    // reserved bits must be clear (4789 ignores them: VXLAN-GBP); Teredo needs an IPv6
    // header whose length ends the datagram (a DHT message starts with the nibble 6).
    for (dport, payload) in [
        (4789, PAYLOAD),
        (2152, PAYLOAD),
        (2152, &[0x32, 1, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0][..]),
        (8472, PAYLOAD),
        (8472, &reserved),
        (8472, &gbp),
        (8472, &flags_ff),
        (8472, &gpe_ipv4),
        (6081, PAYLOAD),
        (6081, &control_bit),
        (6081, &version1),
        (6081, &geneve(0x0806, 1, &[], &[0; 28])),
        (3544, dht),
        (3544, &short_v6),
        (3544, &bubble),
        (3544, &[&TEREDO_ORIGIN[..], &echo].concat()),
        (3544, &[0, 1, 200, 0]),
    ] {
        let ip = ipv4(PROTO_UDP, &[], 0, &udp_ports(SPORT, dport, payload));
        let p = decode_ip(&ip).unwrap();
        assert_eq!(
            (p.key.dst.port, p.payload, p.tunnel),
            (dport, payload, None)
        );
    }
    let gbp_4789 = ipv4(PROTO_UDP, &[], 0, &udp_ports(SPORT, 4789, &gbp));
    assert_eq!(
        decode_ip(&gbp_4789).unwrap().tunnel,
        Some(TunnelKind::Vxlan)
    );
    let from_3544 = ipv4(PROTO_UDP, &[], 0, &udp_ports(3544, DPORT, dht));
    assert_eq!(decode_ip(&from_3544).unwrap().payload, dht);
    // Teredo is IPv6 over IPv4 only.
    let over_v6 = ipv6(PROTO_UDP, &[], &udp_ports(SPORT, 3544, &tcp_v6()));
    assert_eq!(decode_ip(&over_v6).unwrap().tunnel, None);
    let unsupported = |ip: &[u8]| match decode_ip(ip) {
        Err(DecodeError::Unsupported { layer, field, .. }) => (layer, field),
        other => panic!("{other:?}"),
    };
    // GRE version 1 (PPTP), RFC 1701 routing, an unknown protocol type.
    assert_eq!(
        unsupported(&outer_v4(
            47,
            &[0x30, 1, 0x88, 0x0B, 0, 0, 0, 0, 0, 0, 0, 0]
        )),
        (Layer::Gre, "version")
    );
    assert_eq!(
        unsupported(&outer_v4(47, &gre(0x40, 0x0800, &[0], &tcp_v4()))),
        (Layer::Gre, "routing (RFC 1701)")
    );
    assert_eq!(
        unsupported(&outer_v4(47, &gre(0, 0x0806, &[], &[0; 28]))),
        (Layer::Gre, "protocol type")
    );
    // A tunnel whose inner packet is not TCP/UDP: the inner error.
    assert_eq!(
        unsupported(&outer_v4(4, &ipv4(1, &[], 0, &[8, 0, 0, 0]))),
        (Layer::Ipv4, "protocol")
    );
    let lcp = ethernet(
        &[],
        ETHERTYPE_PPPOE,
        &pppoe(1, &[0xC0, 0x21], &[1, 1, 0, 4]),
    );
    assert!(matches!(
        decode(LinkType::Ethernet, &lcp),
        Err(DecodeError::Unsupported {
            layer: Layer::Pppoe,
            field: "PPP protocol",
            value: 0xC021
        })
    ));
    let truncated = outer_v4(47, &[0x20, 0, 8, 0, 0, 0]);
    assert!(matches!(
        decode_ip(&truncated),
        Err(DecodeError::Truncated {
            layer: Layer::Gre,
            required: 8,
            ..
        })
    ));
    paths_agree_at_every_cut(&lcp).unwrap();
}

#[test]
fn fragments_are_found_for_the_reassembler() {
    // A later IPv4 fragment, the first one, and a later IPv6 one; whole packets are none.
    let first = ipv4(PROTO_UDP, &[], MF, &udp_with_len(&[7; 16], 1008));
    let f = fragment_ip(&first).unwrap();
    assert_eq!(
        (f.offset, f.more, f.key.id, f.key.protocol, f.data.len()),
        (0, true, 0x1234, PROTO_UDP, 24)
    );
    let later = ipv4(PROTO_UDP, &[], 3, &[0x99; 24]);
    let f = fragment_ip(&later).unwrap();
    assert_eq!((f.offset, f.more, f.data), (24, false, &[0x99; 24][..]));
    let v6 = fragmented_v6(2, true);
    let f = fragment(LinkType::Raw, &v6).unwrap();
    assert_eq!(
        (f.offset, f.more, f.key.id, f.key.protocol),
        (16, true, 0xDEAD_BEEF, PROTO_TCP)
    );
    assert_eq!(fragment_ip(&tcp_v4()), None);
    assert_eq!(
        fragment_ip(&ipv6(
            ext::FRAGMENT,
            &fragment_header(PROTO_TCP, 0, false),
            &tcp(&[], PAYLOAD)
        )),
        None
    );
    // Inside a tunnel: the inner fragment, with its tunnel.
    let wrapped = outer_v4(47, &gre(0, 0x0800, &[], &later));
    let f = fragment_ip(&wrapped).unwrap();
    assert_eq!(f.tunnel.unwrap().kind(), TunnelKind::Gre);
    assert_eq!(f.key.src, IpAddr::V4(V4_SRC));
    // A snapshot-length cut fragment is not whole.
    assert!(!fragment_ip(&later[..30]).unwrap().whole);
}

proptest! {
    #[test]
    fn the_paths_agree_on_corrupted_tunnel_samples_cut_anywhere(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let all = tunnel_samples();
        let (_, mut frame, _, _) = all[pick.index(all.len())].clone();
        for (at, value) in edits {
            let i = at.index(frame.len());
            frame[i] = value;
        }
        paths_agree_at_every_cut(&frame)?;
        for link in LinkType::ALL {
            let _ = fragment(link, &frame);
        }
    }
}
