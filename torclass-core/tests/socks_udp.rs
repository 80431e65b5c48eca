//! SOCKS 5 UDP relay flows (RFC 1928 §7): BitTorrent datagrams wrapped in the SOCKS UDP
//! header are read by their payload, fragments are not, and the header check is strict enough
//! that random and non-BitTorrent datagrams do not unwrap into BitTorrent. The measured rates
//! are printed (run with `--nocapture`) and quoted in `docs/accuracy.md`.

#[path = "fixtures/lookalikes.rs"]
mod lookalikes;

use std::net::SocketAddr;

use lookalikes::Rng;
use torclass_core::observer::{EndpointSource, Field, Metadata, Observer};
use torclass_core::wire::socks_udp::UdpHeader;
use torclass_core::{Confidence, Direction, FlowClassifier, Protocol, Transport, Verdict};

const N: usize = 25_000;

/// The SOCKS 5 UDP header for an IPv4 endpoint.
fn wrap(addr: [u8; 4], port: u16, frag: u8, payload: &[u8]) -> Vec<u8> {
    let mut d = vec![0, 0, frag, 1];
    d.extend_from_slice(&addr);
    d.extend_from_slice(&port.to_be_bytes());
    d.extend_from_slice(payload);
    d
}

const PING: &[u8] = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
const PONG: &[u8] = b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";

/// Metadata plus the endpoints the flow names.
#[derive(Default)]
struct Seen {
    meta: Metadata,
    endpoints: Vec<(EndpointSource, SocketAddr)>,
}

impl Observer for Seen {
    fn field(&mut self, direction: Direction, field: Field, offset: u32, bytes: &[u8]) {
        self.meta.field(direction, field, offset, bytes);
    }

    fn endpoint(&mut self, source: EndpointSource, endpoint: SocketAddr) {
        self.endpoints.push((source, endpoint));
    }
}

#[test]
fn dht_through_a_relay_is_read_and_names_its_peer() {
    let mut flow = FlowClassifier::new(Transport::Udp);
    let mut seen = Seen::default();
    let v = flow.feed_with(
        Direction::Initiator,
        &wrap([10, 77, 0, 2], 6881, 0, PING),
        &mut seen,
    );
    let d = v.detection().expect("a DHT ping through SOCKS");
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::Dht, Confidence::Confirmed)
    );
    assert_eq!(
        flow.proxy(),
        Some(torclass_core::packet::TunnelKind::Socks5)
    );
    assert_eq!(
        seen.meta.proxy_target().map(|t| t.to_string()),
        Some("10.77.0.2:6881".into())
    );
    let peer: SocketAddr = "10.77.0.2:6881".parse().unwrap();
    assert_eq!(seen.endpoints, vec![(EndpointSource::Proxy, peer)]);
    // The relay's reply names its sender; the record keeps the first target.
    flow.feed_with(
        Direction::Responder,
        &wrap([10, 77, 0, 9], 6881, 0, PONG),
        &mut seen,
    );
    assert_eq!(
        seen.meta.proxy_target().map(|t| t.to_string()),
        Some("10.77.0.2:6881".into())
    );
}

#[test]
fn fragments_are_left_undecided_and_dns_is_not_unwrapped_into_bittorrent() {
    let mut flow = FlowClassifier::new(Transport::Udp);
    for frag in 1..=3u8 {
        let v = flow.feed(
            Direction::Initiator,
            &wrap([10, 77, 0, 2], 6881, frag, PING),
        );
        assert!(!v.is_bittorrent());
    }
    assert_eq!(flow.proxy(), None, "a fragment alone marks nothing");
    // Once the flow is a relay flow, fragments are skipped without a guess.
    let mut flow = FlowClassifier::new(Transport::Udp);
    flow.feed(Direction::Initiator, &wrap([10, 77, 0, 2], 6881, 0, PING));
    let before = flow.verdict();
    flow.feed(
        Direction::Initiator,
        &wrap([10, 77, 0, 2], 6881, 0x81, b"junk"),
    );
    assert_eq!(flow.verdict(), before);
    // DNS through the relay (a negative of the lab): never BitTorrent.
    let query =
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03lab\x00\x00\x01\x00\x01";
    let mut flow = FlowClassifier::new(Transport::Udp);
    for _ in 0..4 {
        flow.feed(Direction::Initiator, &wrap([10, 77, 0, 1], 53, 0, query));
        flow.feed(Direction::Responder, &wrap([10, 77, 0, 1], 53, 0, query));
    }
    assert!(!flow.finish().is_bittorrent());
    assert_eq!(flow.proxy(), None);
}

/// How often the strict header accepts random datagrams, and how often what it unwraps is
/// BitTorrent: uniform random datagrams; random datagrams under a valid IPv4 header (the
/// payload's own chance); and every non-BitTorrent protocol sample of the look-alike fixtures,
/// as they are and wrapped.
#[test]
fn chance_of_unwrapping_random_and_other_protocols() {
    let mut rng = Rng::new(0x50c4_5a17);
    // Expected: RSV 2^-16, ATYP 3/256 (and the lengths): 1.8·10^-7; with FRAG 0, which
    // unwrapping needs, 7·10^-10.
    let (mut accepted, mut whole) = (0, 0);
    for _ in 0..N * 40 {
        let len = rng.range(1, 600);
        if let Ok(h) = UdpHeader::new_checked(rng.bytes(len)) {
            accepted += 1;
            if h.frag() == 0 {
                whole += 1;
            }
        }
    }
    eprintln!(
        "uniform random datagrams accepted by the strict header: {accepted} of {} ({whole} with FRAG 0)",
        N * 40
    );
    assert!(accepted <= 3, "{accepted}");
    assert_eq!(whole, 0);
    // Random bytes with RSV and FRAG zero: ATYP and the lengths still have to fit.
    let mut accepted = 0;
    for _ in 0..N {
        let len = rng.range(4, 600);
        let mut d = rng.bytes(len);
        d[..3].fill(0);
        if UdpHeader::new_checked(&d[..]).is_ok() {
            accepted += 1;
        }
    }
    eprintln!("random with RSV, FRAG zero: {accepted} of {N} accepted (ATYP 1, 3 or 4 of 256)");
    assert!(accepted < N * 4 / 256, "{accepted}");
    // Under a valid header, the payload decides: random payloads must never be conclusive.
    let mut flows = [0usize; 3];
    for _ in 0..N {
        let len = rng.range(1, 600);
        let d = wrap([10, 0, 0, 1], 6881, 0, &rng.bytes(len));
        let mut flow = FlowClassifier::new(Transport::Udp);
        match flow.feed(Direction::Initiator, &d) {
            Verdict::BitTorrent(det) if det.confidence == Confidence::Confirmed => flows[2] += 1,
            Verdict::BitTorrent(_) => flows[1] += 1,
            _ => flows[0] += 1,
        }
    }
    eprintln!(
        "random payloads under a SOCKS header: confirmed {} likely {} of {N}",
        flows[2], flows[1]
    );
    assert_eq!(flows[2], 0);
    // Other protocols' datagrams: none unwraps as it is, none is BitTorrent wrapped.
    let samples = lookalikes::protocols();
    let mut unwrapped = 0;
    let mut wrapped_bt = 0;
    for (name, d) in &samples {
        if UdpHeader::new_checked(&d[..]).is_ok() {
            unwrapped += 1;
            eprintln!("  {name} passes the header");
        }
        let mut flow = FlowClassifier::new(Transport::Udp);
        flow.feed(Direction::Initiator, &wrap([10, 0, 0, 1], 53, 0, d));
        if flow.finish().is_bittorrent() {
            wrapped_bt += 1;
            eprintln!("  {name} wrapped is called BitTorrent");
        }
    }
    eprintln!(
        "{} other-protocol datagrams: {unwrapped} pass the header, {wrapped_bt} wrapped are BitTorrent",
        samples.len()
    );
    assert_eq!(wrapped_bt, 0);
    assert_eq!(unwrapped, 0);
}
