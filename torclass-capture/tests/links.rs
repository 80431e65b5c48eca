//! Whole captures of the link types and UDP tunnels added for the adversarial review's M1 and
//! M2 (PPP, PPP-HDLC, Cisco HDLC, 802.11, radiotap; VXLAN on 8472, GENEVE, Teredo): a
//! BitTorrent handshake exchange written as a pcap file comes out `confirmed`, with its
//! tunnel named; a link type torclass does not read is counted and named.

mod common;

use std::io::Cursor;

use common::{pcap_header, pcap_record};
use torclass_capture::{Analyzer, AnalyzerConfig, CaptureReader, FlowRecord};
use torclass_core::{Confidence, Protocol, Verdict};

const INFO_HASH: [u8; 20] = [0x09; 20];

/// A BitTorrent handshake (BEP 3) with `peer_id`.
fn handshake(peer_id: &[u8; 20]) -> Vec<u8> {
    let mut h = b"\x13BitTorrent protocol".to_vec();
    h.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 5]);
    h.extend_from_slice(&INFO_HASH);
    h.extend_from_slice(peer_id);
    h
}

/// A TCP header from `sport` to `dport` with `flags`, then `payload`.
fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

/// A UDP header from `sport` to `dport`, then `payload`.
fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

/// An IPv4 header from 10.9.0.`a` to 10.9.0.`b` around `l4` of `protocol`.
fn ipv4(a: u8, b: u8, protocol: u8, l4: &[u8]) -> Vec<u8> {
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
    ip.extend_from_slice(&[0, 0, 0x40, 0, 64, protocol, 0, 0, 10, 9, 0, a, 10, 9, 0, b]);
    ip.extend_from_slice(l4);
    ip
}

/// An IPv6 header from 2001:db8::`a` to 2001:db8::`b` around `l4` of `next`.
fn ipv6(a: u8, b: u8, next: u8, l4: &[u8]) -> Vec<u8> {
    let mut ip = vec![0x60, 0, 0, 0];
    ip.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    ip.extend_from_slice(&[next, 64]);
    for host in [a, b] {
        ip.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        ip.extend_from_slice(&[0; 11]);
        ip.push(host);
    }
    ip.extend_from_slice(l4);
    ip
}

/// An Ethernet II header with `ethertype` in front of `payload`.
fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// The IP packets of a peer-wire connection (SYN, SYN-ACK, ACK, both handshakes), as `ip`
/// builds them from a host number pair, a protocol and the segment.
fn connection(ip: impl Fn(u8, u8, u8, &[u8]) -> Vec<u8>) -> Vec<Vec<u8>> {
    let (c, s) = ((1, 40000), (2, 6881));
    let hc = handshake(b"-LT2080-abcdefghijkl");
    let hs = handshake(b"-qB4500-abcdefghijkl");
    vec![
        ip(c.0, s.0, 6, &tcp(c.1, s.1, 100, 0, 0x02, &[])),
        ip(s.0, c.0, 6, &tcp(s.1, c.1, 500, 101, 0x12, &[])),
        ip(c.0, s.0, 6, &tcp(c.1, s.1, 101, 501, 0x10, &[])),
        ip(c.0, s.0, 6, &tcp(c.1, s.1, 101, 501, 0x18, &hc)),
        ip(
            s.0,
            c.0,
            6,
            &tcp(s.1, c.1, 501, 101 + hc.len() as u32, 0x18, &hs),
        ),
    ]
}

/// A pcap file of link type `link` holding `frames`.
fn pcap(link: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut file = pcap_header(false, false, link, 65535);
    for (i, f) in frames.iter().enumerate() {
        pcap_record(&mut file, false, 1_700_000_000, i as u32, f, f.len() as u32);
    }
    file
}

/// Every record of the pcap file `file`, and the analyzer's unknown link type.
fn classify(file: Vec<u8>) -> (Vec<FlowRecord>, Option<u32>) {
    let mut reader = CaptureReader::new(Cursor::new(file), "test.pcap".into()).unwrap();
    let mut analyzer = Analyzer::new(AnalyzerConfig {
        slots: 64,
        ..AnalyzerConfig::default()
    });
    while let Some(p) = reader.next_packet().unwrap() {
        analyzer.frame(p.link_type, p.ts_nanos, p.data);
    }
    let unknown = analyzer.packet_stats().unknown_link_type;
    (analyzer.finish(), unknown)
}

/// The one record of `file` is a confirmed peer-wire flow in `tunnel`.
fn assert_confirmed(name: &str, file: Vec<u8>, tunnel: Option<&str>) {
    let (records, unknown) = classify(file);
    assert_eq!(unknown, None, "{name}");
    assert_eq!(records.len(), 1, "{name}: {records:?}");
    let r = &records[0];
    match r.verdict {
        Verdict::BitTorrent(d) => {
            assert_eq!(d.protocol, Protocol::PeerWire, "{name}");
            assert_eq!(d.confidence, Confidence::Confirmed, "{name}");
        }
        other => panic!("{name}: {other:?}"),
    }
    assert_eq!(r.tunnel, tunnel, "{name}");
}

/// An unprotected 802.11 QoS data frame to the AP (RFC 1042 SNAP) around an IPv4 packet.
fn wlan(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![0x88, 0x01, 0, 0];
    f.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 3]);
    f.extend_from_slice(&[0x10, 0, 0, 0]); // sequence control, QoS control
    f.extend_from_slice(&[0xAA, 0xAA, 3, 0, 0, 0, 0x08, 0x00]);
    f.extend_from_slice(ip);
    f
}

/// Puts a link header around an IP packet.
type Wrap = fn(&[u8]) -> Vec<u8>;

#[test]
fn new_link_types_give_confirmed_flows() {
    let cases: [(&str, u32, Wrap); 6] = [
        ("PPP", 9, |ip| [&[0, 0x21][..], ip].concat()),
        ("PPP in HDLC framing", 9, |ip| {
            [&[0xFF, 3, 0, 0x21][..], ip].concat()
        }),
        ("PPP_HDLC", 50, |ip| [&[0xFF, 3, 0, 0x21][..], ip].concat()),
        ("C_HDLC", 104, |ip| [&[0x0F, 0, 8, 0][..], ip].concat()),
        ("IEEE802_11", 105, wlan),
        ("IEEE802_11_RADIOTAP", 127, |ip| {
            // Flags present (after a TSFT): FCS at the end.
            let mut f = vec![0, 0, 17, 0, 3, 0, 0, 0];
            f.extend_from_slice(&[0; 8]);
            f.push(0x10);
            f.extend_from_slice(&wlan(ip));
            f.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]);
            f
        }),
    ];
    for (name, link, wrap) in cases {
        let frames: Vec<Vec<u8>> = connection(ipv4).iter().map(|ip| wrap(ip)).collect();
        assert_confirmed(name, pcap(link, &frames), None);
    }
}

#[test]
fn new_udp_tunnels_give_confirmed_flows() {
    let outer = |dport: u16, sport: u16, payload: &[u8]| {
        let mut ip = ipv4(101, 102, 17, &udp(sport, dport, payload));
        ip[12..16].copy_from_slice(&[192, 0, 2, 1]);
        ip[16..20].copy_from_slice(&[192, 0, 2, 2]);
        ethernet(0x0800, &ip)
    };
    let vxlan = connection(ipv4)
        .iter()
        .map(|ip| {
            let inner = ethernet(0x0800, ip);
            outer(
                8472,
                45000,
                &[&[8, 0, 0, 0, 0, 0, 7, 0][..], &inner].concat(),
            )
        })
        .collect::<Vec<_>>();
    assert_confirmed("VXLAN 8472", pcap(1, &vxlan), Some("vxlan"));
    let geneve = connection(ipv4)
        .iter()
        .map(|ip| {
            let inner = ethernet(0x0800, ip);
            outer(
                6081,
                45001,
                &[&[0, 0, 0x65, 0x58, 0, 0, 9, 0][..], &inner].concat(),
            )
        })
        .collect::<Vec<_>>();
    assert_confirmed("GENEVE", pcap(1, &geneve), Some("geneve"));
    let teredo = connection(ipv6)
        .iter()
        .map(|ip| {
            // An origin indication in front of the IPv6 packet.
            let origin = [0, 0, 0x3F, 0xFF, 0xAB, 0xCD, 0xEF, 0x01];
            outer(51000, 3544, &[&origin[..], ip].concat())
        })
        .collect::<Vec<_>>();
    assert_confirmed("Teredo", pcap(1, &teredo), Some("teredo"));
}

#[test]
fn unknown_link_types_are_counted_and_named() {
    let frames: Vec<Vec<u8>> = connection(ipv4);
    let (records, unknown) = classify(pcap(147, &frames));
    assert!(records.is_empty());
    assert_eq!(unknown, Some(147));
}
