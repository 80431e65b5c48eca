use super::*;
use crate::packet::{Endpoint, Fragment, TcpInfo};
use crate::verdict::{Confidence, Evidence, Protocol};
use core::net::{IpAddr, Ipv4Addr};
use proptest::prelude::*;
use std::vec::Vec;

fn ep(host: u8, port: u16) -> Endpoint {
    Endpoint {
        addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, host)),
        port,
    }
}

fn key(a: Endpoint, b: Endpoint, transport: Transport) -> FlowKey {
    FlowKey {
        transport,
        src: a,
        dst: b,
    }
}

fn tcp<'a>(k: FlowKey, seq: u32, flags: TcpFlags, payload: &'a [u8]) -> Packet<'a> {
    Packet {
        key: k,
        tcp: Some(TcpInfo {
            seq,
            ack: 0,
            flags,
            urgent: 0,
        }),
        fragment: Fragment::None,
        payload,
        payload_len_on_wire: payload.len() as u32,
        tunnel: None,
    }
}

fn handshake(id: &[u8; 20]) -> Vec<u8> {
    let mut h = b"\x13BitTorrent protocol".to_vec();
    h.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x05]);
    h.extend_from_slice(&[7; 20]);
    h.extend_from_slice(id);
    h
}

/// A handshake and an `interested` message: a handshake followed by a valid message is
/// confirmed at once.
fn handshake_and_message(id: &[u8; 20]) -> Vec<u8> {
    let mut h = handshake(id);
    h.extend_from_slice(&[0, 0, 0, 1, 2]);
    h
}

fn table(slots: &mut [Slot]) -> FlowTable<&mut [Slot]> {
    FlowTable::new(slots, TableConfig::default())
}

#[test]
fn a_tcp_session_in_both_directions() {
    let mut slots = std::vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let c = ep(1, 40000);
    let s = ep(2, 6881);
    let up = key(c, s, Transport::Tcp);
    let down = up.reversed();
    let none = |_: &Slot| {};
    let o = t
        .process(&tcp(up, 100, TcpFlags::SYN, &[]), 1, none)
        .unwrap();
    assert!(o.new_flow);
    let o = t
        .process(&tcp(down, 500, TcpFlags::SYN | TcpFlags::ACK, &[]), 2, none)
        .unwrap();
    assert_eq!(o.direction, Direction::Responder);
    assert!(!o.new_flow);
    let hs = handshake(b"-TR3000-abcdefghijkl");
    t.process(&tcp(up, 101, TcpFlags::ACK, &hs[..30]), 3, none)
        .unwrap();
    // A retransmission of the first part and an overlapping segment: fed once.
    t.process(&tcp(up, 101, TcpFlags::ACK, &hs[..30]), 4, none)
        .unwrap();
    t.process(&tcp(up, 121, TcpFlags::ACK, &hs[20..50]), 5, none)
        .unwrap();
    t.process(&tcp(up, 151, TcpFlags::ACK, &hs[50..]), 6, none)
        .unwrap();
    let o = t
        .process(
            &tcp(
                down,
                501,
                TcpFlags::ACK,
                &handshake(b"-qB4520-abcdefghijkl"),
            ),
            7,
            none,
        )
        .unwrap();
    let d = o.verdict.detection().unwrap();
    assert_eq!(d.protocol, Protocol::PeerWire);
    assert_eq!(d.confidence, crate::Confidence::Confirmed);
    let slot = t.get(o.slot).unwrap();
    assert_eq!(slot.key().src, c);
    assert_eq!(slot.packets(), 7);
    assert_eq!(
        slot.decided_at_packet(),
        Some(7),
        "the responder's first byte clears the initiator's handshake"
    );
    assert_eq!(
        slot.metadata().peer_id(Direction::Initiator),
        Some(b"-TR3000-abcdefghijkl")
    );
    assert_eq!(
        slot.metadata().peer_id(Direction::Responder),
        Some(b"-qB4520-abcdefghijkl")
    );
    assert!(t.stats().duplicate_bytes >= 40);
    assert!(!slot.midstream());
}

#[test]
fn a_gap_never_yields_a_wrong_verdict() {
    let mut slots = std::vec![Slot::default(); 8];
    let mut t = table(&mut slots);
    let up = key(ep(1, 1), ep(2, 2), Transport::Tcp);
    let hs = handshake(b"-TR3000-abcdefghijkl");
    let none = |_: &Slot| {};
    // The second half arrives first (reordered): the classifier is told of the hole.
    t.process(&tcp(up, 1034, TcpFlags::ACK, &hs[34..]), 1, none)
        .unwrap();
    let o = t
        .process(&tcp(up, 1000, TcpFlags::ACK, &hs[..34]), 2, none)
        .unwrap();
    assert!(
        !o.verdict.is_bittorrent() || o.verdict.detection().unwrap().protocol == Protocol::PeerWire
    );
    assert_eq!(
        t.stats().gaps,
        0,
        "the first segment seen defines the stream start"
    );
}

#[test]
fn fin_both_ways_finishes_an_undecided_flow() {
    let mut slots = std::vec![Slot::default(); 8];
    let mut t = table(&mut slots);
    let up = key(ep(1, 1), ep(2, 80), Transport::Tcp);
    let none = |_: &Slot| {};
    t.process(&tcp(up, 1, TcpFlags::SYN, &[]), 1, none).unwrap();
    t.process(
        &tcp(up.reversed(), 8, TcpFlags::SYN | TcpFlags::ACK, &[]),
        1,
        none,
    )
    .unwrap();
    t.process(
        &tcp(up, 2, TcpFlags::ACK, b"GET / HTTP/1.1\r\n\r\n"),
        2,
        none,
    )
    .unwrap();
    let o = t
        .process(&tcp(up, 20, TcpFlags::FIN | TcpFlags::ACK, &[]), 3, none)
        .unwrap();
    assert_eq!(o.verdict, Verdict::Undecided);
    let o = t
        .process(
            &tcp(up.reversed(), 9, TcpFlags::FIN | TcpFlags::ACK, &[]),
            4,
            none,
        )
        .unwrap();
    assert_eq!(o.verdict, Verdict::NotBitTorrent);
}

/// One direction of a connection (a mirror port): the side seen closes while not one packet
/// of the other was seen, so the flow ends at its FIN. A lone handshake is then judged (its
/// turn ended with nothing after it), a file that begins with one is not BitTorrent; with a
/// packet of the other side seen, a FIN from one side ends nothing.
#[test]
fn a_fin_ends_a_flow_seen_in_one_direction() {
    let hs = handshake(b"-TR3000-abcdefghijkl");
    let file = [hs.clone(), crate::test_util::random_bytes(3000, 5)].concat();
    let run = |payload: &[u8], answered: bool| {
        let mut slots = std::vec![Slot::default(); 8];
        let mut t = table(&mut slots);
        let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
        let none = |_: &Slot| {};
        t.process(&tcp(up, 1, TcpFlags::SYN, &[]), 1, none).unwrap();
        if answered {
            t.process(
                &tcp(up.reversed(), 8, TcpFlags::SYN | TcpFlags::ACK, &[]),
                1,
                none,
            )
            .unwrap();
        }
        t.process(&tcp(up, 2, TcpFlags::ACK, payload), 2, none)
            .unwrap();
        let seq = 2 + payload.len() as u32;
        let o = t
            .process(&tcp(up, seq, TcpFlags::FIN | TcpFlags::ACK, &[]), 3, none)
            .unwrap();
        o.verdict
    };
    let v = run(&hs, false);
    assert_eq!(
        v.detection().map(|d| (d.protocol, d.confidence)),
        Some((Protocol::PeerWire, Confidence::Confirmed))
    );
    assert_eq!(run(&file, false), Verdict::NotBitTorrent);
    assert_eq!(run(&hs, true), Verdict::Undecided);
}

/// The `i`th tuple of a SYN flood towards `dst`: every one a new flow.
fn flood_key(i: u32, dst: Endpoint) -> FlowKey {
    key(
        Endpoint {
            addr: IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + i)),
            port: (i % 60000) as u16,
        },
        dst,
        Transport::Tcp,
    )
}

#[test]
fn a_flood_evicts_new_flows_before_bittorrent_ones() {
    let mut slots = std::vec![Slot::default(); PROBE];
    let mut t = table(&mut slots);
    let bt = key(ep(1, 1000), ep(2, 6881), Transport::Tcp);
    let none = |_: &Slot| {};
    t.process(&tcp(bt, 1, TcpFlags::SYN, &[]), 0, none).unwrap();
    t.process(
        &tcp(
            bt,
            2,
            TcpFlags::ACK,
            &handshake_and_message(b"-TR3000-abcdefghijkl"),
        ),
        1,
        none,
    )
    .unwrap();
    let mut evicted_bt = 0;
    for i in 0..10_000u32 {
        let flood = flood_key(i, ep(2, 80));
        t.process(&tcp(flood, i, TcpFlags::SYN, &[]), 2 + u64::from(i), |s| {
            if s.verdict().is_bittorrent() {
                evicted_bt += 1;
            }
        })
        .unwrap();
        assert!(t.iter().count() <= PROBE);
    }
    assert_eq!(evicted_bt, 0);
    let o = t
        .process(&tcp(bt.reversed(), 9, TcpFlags::ACK, &[]), 20_000, none)
        .unwrap();
    assert!(!o.new_flow, "the BitTorrent flow kept its slot");
}

/// Invariant 4 under a flood (issue #8): the work per packet is the slots examined, and a
/// table full of flood tuples costs no more per packet than an empty one, while the active
/// BitTorrent flows keep their slots.
#[test]
fn a_flood_does_not_make_a_packet_cost_more() {
    let mut slots = std::vec![Slot::default(); 1024];
    let mut t = table(&mut slots);
    let none = |_: &Slot| {};
    let peers: std::vec::Vec<FlowKey> = (0..8u8)
        .map(|i| key(ep(1, 1000 + u16::from(i)), ep(2, 6881), Transport::Tcp))
        .collect();
    for (i, &k) in peers.iter().enumerate() {
        t.process(&tcp(k, 1, TcpFlags::SYN, &[]), i as u64, none)
            .unwrap();
        let hello = handshake_and_message(b"-TR3000-abcdefghijkl");
        let o = t
            .process(&tcp(k, 2, TcpFlags::ACK, &hello), 10 + i as u64, none)
            .unwrap();
        assert!(o.verdict.is_bittorrent());
    }
    let mut worst = 0u64;
    let mut flood = 0u32;
    for round in 0..40u64 {
        let before = t.stats();
        let packets = 2_000u64;
        for i in 0..packets {
            flood = flood.wrapping_add(1);
            let k = flood_key(flood, ep(3, 443));
            t.process(
                &tcp(k, flood, TcpFlags::SYN, &[]),
                100 + round * packets + i,
                none,
            )
            .unwrap();
        }
        let probes = t.stats().probes - before.probes;
        assert!(
            probes <= packets * 2 * PROBE as u64,
            "round {round}: {probes}"
        );
        if round > 0 {
            // Once the table is full, every round costs the same bounded amount.
            worst = worst.max(probes);
            assert!(
                probes * 10 <= worst * 11,
                "round {round}: {probes} > {worst}"
            );
        }
        // The peers keep talking: one segment each per round.
        for (p, &k) in peers.iter().enumerate() {
            let at = 100 + round * packets + packets;
            let o = t
                .process(
                    &tcp(k.reversed(), 1 + round as u32, TcpFlags::ACK, &[]),
                    at,
                    none,
                )
                .unwrap();
            assert!(!o.new_flow, "round {round}: peer {p} lost its slot");
        }
    }
    assert!(t.stats().evicted_active > 70_000);
}

#[test]
fn idle_flows_expire_and_are_handed_back() {
    let mut slots = std::vec![Slot::default(); 16];
    let mut t = table(&mut slots);
    let u = key(ep(1, 5000), ep(2, 6881), Transport::Udp);
    let p = Packet {
        key: u,
        tcp: None,
        fragment: Fragment::None,
        payload: b"x",
        payload_len_on_wire: 1,
        tunnel: None,
    };
    t.process(&p, 0, |_| {}).unwrap();
    let mut handed = 0;
    t.expire(TableConfig::default().udp_idle_ns + 1, usize::MAX, |_| {
        handed += 1
    });
    assert_eq!(handed, 1);
    assert_eq!(t.iter().count(), 0);
}

#[test]
fn empty_storage_is_an_error() {
    let mut slots: [Slot; 0] = [];
    let mut t = table(&mut slots);
    let u = key(ep(1, 1), ep(2, 2), Transport::Udp);
    let p = Packet {
        key: u,
        tcp: None,
        fragment: Fragment::None,
        payload: b"",
        payload_len_on_wire: 0,
        tunnel: None,
    };
    assert_eq!(t.process(&p, 0, |_| {}), Err(TableError::NoCapacity));
}

proptest! {
    #[test]
    fn never_exceeds_capacity_and_keeps_flows_until_evicted(
        tuples in proptest::collection::vec((0u8..40, 0u16..4, any::<bool>()), 1..400),
        capacity in 1usize..40,
    ) {
        let mut slots = std::vec![Slot::default(); capacity];
        let mut t = table(&mut slots);
        let mut live: std::collections::HashMap<FlowKey, u32> = std::collections::HashMap::new();
        for (i, (host, port, rev)) in tuples.iter().enumerate() {
            let k = key(ep(*host, 1000 + port), ep(200, 80), Transport::Udp);
            let k = if *rev { k.reversed() } else { k };
            let p = Packet { key: k, tcp: None, fragment: Fragment::None, payload: b"\x01", payload_len_on_wire: 1, tunnel: None };
            let mut gone = Vec::new();
            let o = t.process(&p, i as u64, |s| gone.push((*s.key(), s.packets()))).unwrap();
            for (gk, packets) in gone {
                let canon = live.remove(&gk).or_else(|| live.remove(&gk.reversed()));
                prop_assert_eq!(canon, Some(packets), "an evicted flow carries its own counters");
            }
            let slot = t.get(o.slot).unwrap();
            let entry = live.entry(*slot.key()).or_insert(0);
            *entry += 1;
            prop_assert_eq!(*entry, slot.packets(), "state kept until eviction");
            prop_assert!(t.iter().count() <= capacity);
        }
    }
}

#[test]
fn a_tracker_reply_teaches_the_peers_a_later_flow_meets() {
    use crate::endpoints::{CacheConfig, CacheEntry, EndpointCache};
    let mut slots = std::vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let mut entries = [CacheEntry::default(); 64];
    let mut cache = EndpointCache::new(&mut entries[..], CacheConfig::default());
    let none = |_: &Slot| {};
    let to_tracker = key(ep(1, 40000), ep(9, 6969), Transport::Tcp);
    let request = b"GET /announce?info_hash=%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14&port=6881&left=0 HTTP/1.1\r\n\r\n";
    let reply = b"HTTP/1.1 200 OK\r\n\r\nd8:intervali1800e5:peers6:\x0a\x00\x00\x07\x1a\xe1e";
    t.process_learning(
        &tcp(to_tracker, 1, TcpFlags::ACK, request),
        1,
        &mut cache,
        none,
    )
    .unwrap();
    t.process_learning(
        &tcp(to_tracker.reversed(), 1, TcpFlags::ACK, reply),
        2,
        &mut cache,
        none,
    )
    .unwrap();
    let peer = Endpoint {
        addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)),
        port: 6881,
    };
    assert!(
        cache.lookup(peer.into(), 3).is_some(),
        "learned from the compact peer list"
    );
    assert!(
        cache.lookup(ep(1, 6881).into(), 3).is_some(),
        "learned from the announce's port"
    );
    let o = t
        .process_learning(
            &tcp(
                key(ep(1, 40001), peer, Transport::Tcp),
                7,
                TcpFlags::SYN,
                &[],
            ),
            4,
            &mut cache,
            none,
        )
        .unwrap();
    let flow = t.get(o.slot).unwrap().classifier();
    assert_eq!(
        flow.verdict(),
        Verdict::Undecided,
        "a known endpoint alone decides nothing"
    );
    assert!(flow.evidence().contains(crate::Evidence::KNOWN_ENDPOINT));
}

/// A peer wire conversation as (direction, bytes) messages.
fn conversation() -> Vec<(bool, Vec<u8>)> {
    let msg = |id: u8, payload: &[u8]| {
        let mut m = ((payload.len() + 1) as u32).to_be_bytes().to_vec();
        m.push(id);
        m.extend_from_slice(payload);
        m
    };
    let mut ext = std::vec![0u8];
    ext.extend_from_slice(b"d1:md6:ut_pexi1ee1:v4:Testee");
    std::vec![
        (true, handshake(b"-TR3000-abcdefghijkl")),
        (false, handshake(b"-qB4520-abcdefghijkl")),
        (true, msg(20, &ext)),
        (false, msg(20, &ext)),
        (true, msg(2, &[])),
        (false, msg(7, &[5u8; 8 + 3000])),
    ]
}

/// Feed `conv` as TCP segments of at most `mss` bytes; `replay` picks segments to send again
/// (whole, or overlapping the next one) right after they are sent.
fn run_tcp(conv: &[(bool, Vec<u8>)], mss: usize, replay: &[u8]) -> (Verdict, Option<[u8; 20]>) {
    let mut slots = std::vec![Slot::default(); 8];
    let mut t = table(&mut slots);
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    let none = |_: &Slot| {};
    t.process(&tcp(up, 999, TcpFlags::SYN, &[]), 0, none)
        .unwrap();
    t.process(
        &tcp(up.reversed(), 4999, TcpFlags::SYN | TcpFlags::ACK, &[]),
        0,
        none,
    )
    .unwrap();
    let mut seq = [1000u32, 5000u32];
    let mut n = 0usize;
    let mut last = None;
    for (initiator, bytes) in conv {
        let (k, d) = if *initiator {
            (up, 0)
        } else {
            (up.reversed(), 1)
        };
        let mut off = 0;
        while off < bytes.len() {
            let end = (off + mss).min(bytes.len());
            let s = seq[d].wrapping_add(off as u32);
            let o = t
                .process(&tcp(k, s, TcpFlags::ACK, &bytes[off..end]), 1, none)
                .unwrap();
            last = Some(o.slot);
            match replay.get(n % replay.len().max(1)).copied().unwrap_or(0) % 4 {
                1 => {
                    t.process(&tcp(k, s, TcpFlags::ACK, &bytes[off..end]), 2, none)
                        .unwrap();
                }
                2 if off > 0 => {
                    let back = (off - 1).max(off.saturating_sub(7));
                    let s = seq[d].wrapping_add(back as u32);
                    t.process(&tcp(k, s, TcpFlags::ACK, &bytes[back..end]), 2, none)
                        .unwrap();
                }
                _ => {}
            }
            n += 1;
            off = end;
        }
        seq[d] = seq[d].wrapping_add(bytes.len() as u32);
    }
    let slot = t.get(last.unwrap()).unwrap();
    (
        slot.verdict(),
        slot.metadata().peer_id(Direction::Responder).copied(),
    )
}

proptest! {
    #[test]
    fn retransmitted_and_duplicated_segments_change_nothing(
        mss in 1usize..1500,
        replay in proptest::collection::vec(any::<u8>(), 1..32),
    ) {
        let conv = conversation();
        let clean = run_tcp(&conv, 1460, &[]);
        prop_assert!(clean.0.is_bittorrent());
        prop_assert_eq!(run_tcp(&conv, mss, &replay), clean);
    }
}

/// The sizes the docs state (README, docs/limits.md), on a 64-bit target.
#[test]
#[cfg(target_pointer_width = "64")]
fn slot_and_store_entry_sizes() {
    assert_eq!(SLOT_SIZE, 488);
    assert_eq!(Held::SIZE, 1484);
}

mod corroboration;
mod grow;
mod late;
mod lifecycle;
mod poisoning;
mod snapshot;
mod tcp_evasion;
mod tcp_stream;

/// A UDP flow refuted by junk and BitTorrent later (the DHT on a tuple the junk used): its
/// decided packet is the one that made it BitTorrent, not the refutation's.
#[test]
fn decided_at_is_where_a_refuted_flow_became_bittorrent() {
    let mut slots = std::vec![Slot::default(); 16];
    let mut t = table(&mut slots);
    let u = key(ep(1, 5000), ep(2, 6881), Transport::Udp);
    let junk: Vec<Vec<u8>> = (0..12u64)
        .map(|i| crate::test_util::random_bytes(80, i))
        .collect();
    let query = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
    let mut refuted_at = None;
    for (i, payload) in junk
        .iter()
        .map(Vec::as_slice)
        .chain([&query[..]])
        .enumerate()
    {
        let p = Packet {
            key: u,
            tcp: None,
            fragment: Fragment::None,
            payload,
            payload_len_on_wire: u32::try_from(payload.len()).unwrap_or(0),
            tunnel: None,
        };
        let out = t.process(&p, i as u64, |_| {}).unwrap();
        if out.verdict == Verdict::NotBitTorrent && refuted_at.is_none() {
            refuted_at = t.iter().next().and_then(Slot::decided_at_packet);
        }
    }
    let slot = t.iter().next().unwrap();
    assert!(slot.classifier.verdict().is_bittorrent());
    assert!(refuted_at.is_some_and(|at| at < 13), "{refuted_at:?}");
    assert_eq!(slot.decided_at_packet(), Some(13));
}

/// A DHT datagram cut by the snapshot length (96-byte traces): its start, up to the node id
/// (or into it: 64-byte traces), is a query; the same bytes as a whole datagram are not, and a cut datagram of other bytes
/// is nothing.
#[test]
fn a_krpc_query_cut_by_the_snapshot_length() {
    let query = b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe";
    let run = |payload: &[u8], on_wire: usize| {
        let mut slots = std::vec![Slot::default(); 16];
        let mut t = table(&mut slots);
        let p = Packet {
            key: key(ep(1, 5000), ep(2, 6881), Transport::Udp),
            tcp: None,
            fragment: Fragment::None,
            payload,
            payload_len_on_wire: u32::try_from(on_wire).unwrap_or(0),
            tunnel: None,
        };
        let out = t.process(&p, 0, |_| {}).unwrap();
        let id = t
            .iter()
            .next()
            .and_then(|s| s.meta.dht_node_id(Direction::Initiator).map(|i| i.to_vec()));
        (out.verdict, id)
    };
    let (v, id) = run(&query[..54], query.len());
    assert_eq!(
        v.detection().map(|d| (d.protocol, d.confidence)),
        Some((Protocol::Dht, Confidence::Confirmed))
    );
    assert_eq!(id.as_deref(), Some(&b"abcdefghij0123456789"[..]));
    assert!(!run(&query[..54], 54).0.is_bittorrent());
    // A 64-byte snapshot keeps 22 bytes: 10 of the id.
    let (v, id) = run(&query[..22], query.len());
    assert_eq!(
        v.detection().map(|d| (d.protocol, d.confidence)),
        Some((Protocol::Dht, Confidence::Confirmed))
    );
    assert_eq!(id, None, "only a whole node id is kept");
    assert!(!run(&query[..22], 22).0.is_bittorrent());
    assert!(!run(&query[..12], query.len()).0.is_bittorrent());
    let other = crate::test_util::random_bytes(54, 9);
    assert!(!run(&other, 200).0.is_bittorrent());
}
