//! The flow lifecycle: a new connection on an old tuple is a new flow, bogus SYNs, flow-end
//! events with their reasons, handles, lookup and removal by key, bounded expiry, counters.

use super::*;
use std::vec;

const S: u64 = 1_000_000_000;

fn udp<'a>(k: FlowKey, payload: &'a [u8]) -> Packet<'a> {
    Packet {
        key: k,
        tcp: None,
        fragment: Fragment::None,
        payload,
        payload_len_on_wire: payload.len() as u32,
        tunnel: None,
    }
}

/// Ended flows, with their number, reason and final verdict.
type Ended = Vec<(u64, EndReason, Verdict)>;

fn record(ended: &mut Ended) -> impl FnMut(&Slot) + '_ {
    |s: &Slot| ended.push((s.number(), s.end_reason().unwrap(), s.verdict()))
}

/// A confirmed plaintext peer wire connection from `c` to `s` on one tuple, closed by FIN from
/// both sides at `t` (seconds); returns the next initiator sequence number.
fn bittorrent_session(t: &mut FlowTable<&mut [Slot]>, up: FlowKey, at: u64) -> u32 {
    let mut ended = Ended::new();
    t.process(
        &tcp(up, 100, TcpFlags::SYN, &[]),
        at * S,
        record(&mut ended),
    )
    .unwrap();
    t.process(
        &tcp(up.reversed(), 900, TcpFlags::SYN | TcpFlags::ACK, &[]),
        at * S,
        record(&mut ended),
    )
    .unwrap();
    let hs = handshake(b"-TR3000-abcdefghijkl");
    t.process(
        &tcp(up, 101, TcpFlags::ACK, &hs),
        at * S,
        record(&mut ended),
    )
    .unwrap();
    let o = t
        .process(
            &tcp(up.reversed(), 901, TcpFlags::ACK, &hs),
            at * S,
            record(&mut ended),
        )
        .unwrap();
    assert_eq!(
        o.verdict.detection().unwrap().confidence,
        Confidence::Confirmed
    );
    t.process(
        &tcp(up, 169, TcpFlags::FIN | TcpFlags::ACK, &[]),
        at * S,
        record(&mut ended),
    )
    .unwrap();
    t.process(
        &tcp(up.reversed(), 969, TcpFlags::FIN | TcpFlags::ACK, &[]),
        at * S,
        record(&mut ended),
    )
    .unwrap();
    assert!(t.get(o.slot).unwrap().closed());
    assert!(ended.is_empty());
    170
}

#[test]
fn a_new_connection_58_s_after_fin_fin_is_a_new_flow() {
    let mut slots = vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    bittorrent_session(&mut t, up, 0);
    let mut ended = Ended::new();
    // A late ACK within the linger still counts to the old flow.
    let o = t
        .process(&tcp(up, 170, TcpFlags::ACK, &[]), 2 * S, record(&mut ended))
        .unwrap();
    assert!(!o.new_flow && o.verdict.is_bittorrent());
    let o = t
        .process(
            &tcp(up, 5000, TcpFlags::SYN, &[]),
            60 * S,
            record(&mut ended),
        )
        .unwrap();
    assert!(o.new_flow);
    assert_eq!(o.verdict, Verdict::Undecided);
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].1, EndReason::Closed, "its linger had run out");
    assert!(ended[0].2.is_bittorrent());
    let get = b"GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n";
    let o = t
        .process(
            &tcp(up, 5001, TcpFlags::ACK, get),
            60 * S,
            record(&mut ended),
        )
        .unwrap();
    assert!(
        !o.verdict.is_bittorrent(),
        "the new connection is read anew"
    );
    assert_eq!(t.iter().count(), 1);
}

#[test]
fn a_syn_during_the_linger_reuses_the_tuple() {
    let mut slots = vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    bittorrent_session(&mut t, up, 0);
    let mut ended = Ended::new();
    // From the other side this time: the new flow's initiator is the SYN's sender.
    let o = t
        .process(
            &tcp(up.reversed(), 7000, TcpFlags::SYN, &[]),
            3 * S,
            record(&mut ended),
        )
        .unwrap();
    assert!(o.new_flow);
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].1, EndReason::Reused);
    assert_eq!(t.get(o.slot).unwrap().key().src, up.dst);
    assert_eq!(t.stats().reused, 1);
}

#[test]
fn a_syn_after_a_reset_is_a_new_flow_and_syn_retransmissions_are_not() {
    let mut slots = vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let up = key(ep(1, 40000), ep(2, 80), Transport::Tcp);
    let mut ended = Ended::new();
    let first = t
        .process(&tcp(up, 10, TcpFlags::SYN, &[]), S, record(&mut ended))
        .unwrap();
    let again = t
        .process(&tcp(up, 10, TcpFlags::SYN, &[]), 2 * S, record(&mut ended))
        .unwrap();
    assert!(!again.new_flow, "a SYN retransmission is the same flow");
    assert_eq!(again.handle, first.handle);
    t.process(
        &tcp(up.reversed(), 0, TcpFlags::RST | TcpFlags::ACK, &[]),
        2 * S,
        record(&mut ended),
    )
    .unwrap();
    let retry = t
        .process(&tcp(up, 10, TcpFlags::SYN, &[]), 3 * S, record(&mut ended))
        .unwrap();
    assert!(retry.new_flow, "a new attempt after the RST");
    assert_ne!(retry.handle, first.handle);
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].1, EndReason::Reused);
    assert!(t.flow(first.handle).is_none(), "the old handle is stale");
    assert!(t.flow(retry.handle).is_some());
}

#[test]
fn dns_an_hour_after_the_dht_is_dns() {
    let mut slots = vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let up = key(ep(1, 6881), ep(2, 53), Transport::Udp);
    let q = b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe";
    let r = b"d1:rd2:id20:0123456789abcdefghij5:nodes0:e1:t2:aa1:y1:re";
    let mut ended = Ended::new();
    t.process(&udp(up, q), S, record(&mut ended)).unwrap();
    let o = t
        .process(&udp(up.reversed(), r), S, record(&mut ended))
        .unwrap();
    assert!(o.verdict.is_bittorrent());
    // A DNS query for example.com an hour later on the same tuple.
    let dns =
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01";
    let o = t
        .process(&udp(up, dns), 3600 * S, record(&mut ended))
        .unwrap();
    assert!(o.new_flow);
    assert!(!o.verdict.is_bittorrent());
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].1, EndReason::Idle);
    assert!(ended[0].2.is_bittorrent(), "the DHT flow keeps its verdict");
}

#[test]
fn a_tcp_packet_after_the_idle_timeout_starts_a_new_flow() {
    let mut slots = vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    let mut ended = Ended::new();
    let hs = handshake(b"-TR3000-abcdefghijkl");
    t.process(&tcp(up, 1, TcpFlags::ACK, &hs), S, record(&mut ended))
        .unwrap();
    let idle = TableConfig::default().tcp_idle_ns;
    let o = t
        .process(
            &tcp(up, 69, TcpFlags::ACK, b"GET / HTTP/1.1\r\n\r\n"),
            S + idle + 1,
            record(&mut ended),
        )
        .unwrap();
    assert!(o.new_flow);
    assert!(t.get(o.slot).unwrap().midstream());
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].1, EndReason::Idle);
}

#[test]
fn a_bogus_syn_inside_a_live_flow_is_ignored() {
    let mut slots = vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    let mut ended = Ended::new();
    t.process(&tcp(up, 100, TcpFlags::SYN, &[]), S, record(&mut ended))
        .unwrap();
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    t.process(
        &tcp(up, 101, TcpFlags::ACK, &hs[..30]),
        S,
        record(&mut ended),
    )
    .unwrap();
    // A SYN with another sequence number (and even a payload): not read, tracking kept.
    let o = t
        .process(
            &tcp(up, 5_000_000, TcpFlags::SYN, b"\x13BitTorrent"),
            S,
            record(&mut ended),
        )
        .unwrap();
    assert!(o.ignored && !o.new_flow);
    let o = t
        .process(
            &tcp(up, 131, TcpFlags::ACK, &hs[30..]),
            S,
            record(&mut ended),
        )
        .unwrap();
    assert!(o.verdict.is_bittorrent(), "sequence tracking survived");
    assert_eq!(t.stats().bogus_syns, 1);
    assert_eq!(t.stats().gaps, 0);
    assert_eq!(t.get(o.slot).unwrap().packets(), 4);
    assert!(ended.is_empty());
}

#[test]
fn every_flow_that_leaves_is_handed_back_once_finished_with_its_reason() {
    let mut slots = vec![Slot::default(); PROBE];
    let mut t = table(&mut slots);
    let mut ended = Ended::new();
    // Undecided flows: their end turns them NotBitTorrent.
    let http = |i: u16| key(ep(1, 1000 + i), ep(2, 80), Transport::Tcp);
    for i in 0..PROBE as u16 {
        t.process(
            &tcp(http(i), 1, TcpFlags::ACK, b"GET / HTTP/1.1\r\n"),
            S,
            record(&mut ended),
        )
        .unwrap();
    }
    // A new flow in a full table evicts one.
    t.process(
        &tcp(http(99), 1, TcpFlags::ACK, b"GET / HTTP/1.1\r\n"),
        2 * S,
        record(&mut ended),
    )
    .unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].1, EndReason::Evicted);
    assert_eq!(ended[0].2, Verdict::NotBitTorrent, "finished before handed");
    // Three of the seven flows still in the table (which one left depends on the hash).
    let kept: Vec<u16> = (0..PROBE as u16)
        .filter(|&i| t.lookup(&http(i)).is_some())
        .collect();
    assert_eq!(kept.len(), PROBE - 1);
    let (one, two, three) = (kept[0], kept[1], kept[2]);
    // Removal by key, either direction.
    assert!(t.remove_key(&http(one).reversed(), record(&mut ended)));
    assert!(!t.remove_key(&http(one), record(&mut ended)));
    assert_eq!(ended.last().unwrap().1, EndReason::Removed);
    // Finishing by key: the flow stays, closed, until its linger runs out.
    let v = t.finish_key(&http(two)).unwrap();
    assert_eq!(v, Verdict::NotBitTorrent);
    let (h, d) = t.lookup(&http(two).reversed()).unwrap();
    assert_eq!(d, Direction::Responder);
    assert!(t.flow(h).unwrap().closed());
    assert_eq!(t.expire(3 * S, PROBE, record(&mut ended)), 0);
    let linger = TableConfig::default().tcp_closed_ns;
    assert_eq!(t.expire(2 * S + linger + 1, PROBE, record(&mut ended)), 1);
    assert_eq!(ended.last().unwrap().1, EndReason::Closed);
    assert!(t.flow(h).is_none());
    // Idle ones on the timer, the rest drained.
    let idle = TableConfig::default().tcp_idle_ns;
    t.process(
        &tcp(http(three), 17, TcpFlags::ACK, b"x"),
        idle,
        record(&mut ended),
    )
    .unwrap();
    let stale = t.iter().filter(|s| s.last_ns() == S).count();
    assert!(stale >= 4);
    let n = t.expire(S + idle + 1, PROBE, record(&mut ended));
    assert_eq!(n, stale, "the flows idle since 1 s");
    assert!(ended.iter().rev().take(n).all(|e| e.1 == EndReason::Idle));
    assert_eq!(t.iter().count(), 2);
    t.drain(record(&mut ended));
    assert_eq!(ended.last().unwrap().1, EndReason::Drained);
    assert_eq!(t.iter().count(), 0);
    let mut numbers: Vec<u64> = ended.iter().map(|e| e.0).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), ended.len(), "each flow handed back once");
    assert_eq!(ended.len() as u64, t.stats().flows);
    let s = t.stats();
    assert_eq!(
        s.evicted_active + s.evicted_idle + s.reused + s.removed,
        s.flows
    );
}

#[test]
fn expire_visits_a_bounded_number_of_slots_per_call() {
    let mut slots = vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    for i in 0..40u16 {
        let k = key(ep(1, 1000 + i), ep(2, 53), Transport::Udp);
        t.process(&udp(k, b"x"), 0, |_| {}).unwrap();
    }
    let later = TableConfig::default().udp_idle_ns + 1;
    let mut total = 0;
    for _ in 0..8 {
        let n = t.expire(later, 8, |_| {});
        assert!(n <= 8);
        total += n;
    }
    assert_eq!(total, 40, "64 slots visited in 8 calls of 8");
    assert_eq!(t.iter().count(), 0);
}

#[test]
fn handles_detect_reuse_of_a_slot() {
    let mut slots = vec![Slot::default(); 1];
    let mut t = table(&mut slots);
    let a = key(ep(1, 1), ep(2, 2), Transport::Udp);
    let b = key(ep(3, 3), ep(4, 4), Transport::Udp);
    let first = t.process(&udp(a, b"x"), 0, |_| {}).unwrap().handle;
    let second = t.process(&udp(b, b"x"), 1, |_| {}).unwrap().handle;
    assert_eq!(first.index(), second.index());
    assert_ne!(first.generation(), second.generation());
    assert!(t.flow(first).is_none());
    assert_eq!(t.flow(second).unwrap().key(), &b);
    assert_eq!(FlowHandle::from_bits(second.to_bits()), second);
    assert!(!t.remove(first, |_| panic!("stale")));
    assert_eq!(t.finish(first), None);
    assert_eq!(t.lookup(&a), None);
}

#[test]
fn counters_per_direction() {
    let mut slots = vec![Slot::default(); 8];
    let mut t = table(&mut slots);
    let up = key(ep(1, 40000), ep(2, 80), Transport::Tcp);
    t.process(&tcp(up, 0, TcpFlags::SYN, &[]), 0, |_| {})
        .unwrap();
    t.process(
        &tcp(up, 1, TcpFlags::ACK, b"GET / HTTP/1.1\r\n\r\n"),
        1,
        |_| {},
    )
    .unwrap();
    let o = t
        .process(
            &tcp(up.reversed(), 1, TcpFlags::ACK, &[b'x'; 500]),
            2,
            |_| {},
        )
        .unwrap();
    let s = t.get(o.slot).unwrap();
    assert_eq!(
        (
            s.packets_from(Direction::Initiator),
            s.bytes_from(Direction::Initiator)
        ),
        (2, 18)
    );
    assert_eq!(
        (
            s.packets_from(Direction::Responder),
            s.bytes_from(Direction::Responder)
        ),
        (1, 500)
    );
    assert_eq!((s.packets(), s.bytes()), (3, 518));
}

#[test]
fn known_endpoint_evidence_shows_at_the_first_packet() {
    use crate::endpoints::{CacheConfig, CacheEntry, EndpointCache};
    let mut slots = vec![Slot::default(); 8];
    let mut t = table(&mut slots);
    let mut entries = [CacheEntry::default(); 16];
    let mut cache = EndpointCache::new(&mut entries[..], CacheConfig::default());
    cache.learn(ep(2, 6881).into(), crate::observer::EndpointSource::Pex, 0);
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    let o = t
        .process_learning(&tcp(up, 0, TcpFlags::SYN, &[]), 1, &mut cache, |_| {})
        .unwrap();
    assert_eq!(o.verdict, Verdict::Undecided);
    assert!(o.evidence.contains(Evidence::KNOWN_ENDPOINT));
    assert!(t
        .get(o.slot)
        .unwrap()
        .evidence()
        .contains(Evidence::KNOWN_ENDPOINT));
}

#[test]
fn every_end_reason_is_listed_once_by_number() {
    for (i, reason) in EndReason::ALL.iter().enumerate() {
        assert_eq!(*reason as usize, i + 1);
        let same_name = EndReason::ALL.iter().filter(|r| r.name() == reason.name());
        assert_eq!(same_name.count(), 1);
    }
}
