//! Late corroboration: a host or peer learned after a flow started confirms its MSE shape at
//! the flow's next packet, and nothing else; the end of a flow asks nothing (its record does
//! not depend on when the end is noticed).

use super::corroboration::{mse, ordinary, udp, DHT_QUERY, DHT_REPLY};
use super::*;
use crate::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use crate::hosts::HostCache;
use crate::observer::EndpointSource;
use crate::test_util::random_bytes;
use std::vec;

const S: u64 = 1_000_000_000;

/// One TCP connection driven packet by packet.
struct Conn {
    up: FlowKey,
    seq: [u32; 2],
}

impl Conn {
    fn open<L: Learn>(t: &mut FlowTable<&mut [Slot]>, learn: &mut L, up: FlowKey, at: u64) -> Self {
        t.process_learning(&tcp(up, 999, TcpFlags::SYN, &[]), at, learn, |_| {})
            .unwrap();
        Self {
            up,
            seq: [1000, 5000],
        }
    }

    fn send<L: Learn>(
        &mut self,
        t: &mut FlowTable<&mut [Slot]>,
        learn: &mut L,
        initiator: bool,
        bytes: &[u8],
        at: u64,
    ) -> Outcome {
        let (k, d) = if initiator {
            (self.up, 0)
        } else {
            (self.up.reversed(), 1)
        };
        let o = t
            .process_learning(
                &tcp(k, self.seq[d], TcpFlags::ACK, bytes),
                at,
                learn,
                |_| {},
            )
            .unwrap();
        self.seq[d] = self.seq[d].wrapping_add(bytes.len() as u32);
        o
    }
}

/// Host `a`'s DHT query to `node`, answered, at `at`: both become BitTorrent hosts.
fn dht<L: Learn>(
    t: &mut FlowTable<&mut [Slot]>,
    learn: &mut L,
    a: Endpoint,
    node: Endpoint,
    at: u64,
) {
    let k = key(a, node, Transport::Udp);
    t.process_learning(&udp(k, DHT_QUERY), at, learn, |_| {})
        .unwrap();
    t.process_learning(&udp(k.reversed(), DHT_REPLY), at, learn, |_| {})
        .unwrap();
}

fn with(e: Endpoint, port: u16) -> Endpoint {
    Endpoint { port, ..e }
}

fn confirmed_encrypted(v: Verdict) -> bool {
    v.detection().is_some_and(|d| {
        (d.protocol, d.confidence) == (Protocol::PeerWireEncrypted, Confidence::Confirmed)
    })
}

/// The MSE conversation of [`mse`], its responder's second flight long enough that the
/// flow ends its reading (`NotBitTorrent` without corroboration, handed to the kernel by a
/// blocker).
fn mse_long() -> Vec<(bool, Vec<u8>)> {
    let mut conv = mse();
    conv[3].1 = random_bytes(8 + 4 + 2 + 1200, 4);
    conv
}

#[test]
fn a_host_learned_during_the_exchange_confirms_it_by_the_shape_s_completion() {
    for dht_seen in [true, false] {
        let mut slots = vec![Slot::default(); 64];
        let mut t = table(&mut slots);
        let mut entries = [CacheEntry::default(); 16];
        let mut hosts = HostCache::new(&mut entries[..], CacheConfig::hosts());
        let (a, b, node) = (ep(1, 0), ep(2, 0), ep(3, 6881));
        let conv = mse_long();
        let mut c = Conn::open(
            &mut t,
            &mut hosts,
            key(with(a, 40000), with(b, 51413), Transport::Tcp),
            S,
        );
        // A web flow from the same host, open before its DHT traffic.
        let web = key(with(a, 40001), with(ep(4, 0), 80), Transport::Tcp);
        let mut w = Conn::open(&mut t, &mut hosts, web, S);
        w.send(
            &mut t,
            &mut hosts,
            true,
            b"GET / HTTP/1.1\r\nHost: b\r\n\r\n",
            S,
        );
        let first = c.send(&mut t, &mut hosts, true, &conv[0].1, S);
        assert!(!first.evidence.contains(Evidence::BITTORRENT_HOST));
        if dht_seen {
            // The client's DHT bootstrap races its first peer connections.
            dht(&mut t, &mut hosts, with(a, 6881), node, 2 * S);
        }
        let mut last = first;
        for (initiator, bytes) in &conv[1..4] {
            last = c.send(&mut t, &mut hosts, *initiator, bytes, 3 * S);
        }
        let slot = t.flow(last.handle).unwrap();
        assert!(slot.classifier().is_done(), "the flow's reading ended");
        if dht_seen {
            // What a blocker sees at the packet that ends the reading.
            assert!(confirmed_encrypted(last.verdict), "{:?}", last.verdict);
            assert!(last
                .evidence
                .contains(Evidence::BITTORRENT_HOST | Evidence::MSE_SHAPE));
        } else {
            assert_eq!(last.verdict, Verdict::NotBitTorrent);
            assert!(last.evidence.contains(Evidence::MSE_SHAPE));
        }
        // The web flow stays what it is, before and after the host was learned.
        let o = w.send(
            &mut t,
            &mut hosts,
            false,
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
            3 * S,
        );
        assert!(!o.verdict.is_bittorrent());
        let mut web_end = *t.flow(o.handle).unwrap().classifier();
        assert!(!web_end.finish().is_bittorrent());
        assert!(!web_end.evidence().contains(Evidence::BITTORRENT_HOST));
    }
}

#[test]
fn a_host_learned_after_the_shape_confirms_the_flow_at_its_next_packet() {
    for dht_seen in [true, false] {
        let mut slots = vec![Slot::default(); 64];
        let mut t = table(&mut slots);
        let mut entries = [CacheEntry::default(); 16];
        let mut hosts = HostCache::new(&mut entries[..], CacheConfig::hosts());
        let (a, b, node) = (ep(1, 0), ep(2, 0), ep(3, 6881));
        let mut c = Conn::open(
            &mut t,
            &mut hosts,
            key(with(a, 40000), with(b, 51413), Transport::Tcp),
            S,
        );
        let mut last = None;
        for (initiator, bytes) in mse_long() {
            last = Some(c.send(&mut t, &mut hosts, initiator, &bytes, S));
        }
        assert_eq!(last.unwrap().verdict, Verdict::NotBitTorrent);
        // Ordinary flows between the two hosts, open before the DHT traffic.
        let mut others = vec![];
        for (i, (transport, port, conv)) in ordinary().into_iter().enumerate() {
            if transport != Transport::Tcp {
                continue;
            }
            let k = key(with(a, 50000 + i as u16), with(b, port), transport);
            let mut o = Conn::open(&mut t, &mut hosts, k, S);
            for (initiator, bytes) in &conv {
                o.send(&mut t, &mut hosts, *initiator, bytes, S);
            }
            others.push((port, o));
        }
        if dht_seen {
            dht(&mut t, &mut hosts, with(a, 6881), node, 2 * S);
        }
        let o = c.send(&mut t, &mut hosts, true, &random_bytes(1400, 9), 3 * S);
        if dht_seen {
            assert!(
                o.changed && confirmed_encrypted(o.verdict),
                "{:?}",
                o.verdict
            );
            assert!(o.evidence.contains(Evidence::BITTORRENT_HOST));
            // Encrypted flows teach no host.
            assert!(hosts.lookup(b.addr, 3 * S).is_none());
        } else {
            assert!(!o.changed);
            assert_eq!(o.verdict, Verdict::NotBitTorrent);
        }
        for (port, mut other) in others {
            let o = other.send(&mut t, &mut hosts, true, &random_bytes(500, 10), 3 * S);
            let mut end = *t.flow(o.handle).unwrap().classifier();
            assert!(!end.finish().is_bittorrent(), "port {port}");
            assert!(
                !end.evidence().contains(Evidence::BITTORRENT_HOST),
                "port {port}"
            );
        }
    }
}

#[test]
fn a_flow_the_caller_finished_keeps_its_verdict() {
    // A blocker finishes a flow whose reading ended not BitTorrent as it hands it to the
    // kernel: a host learned afterwards does not turn it.
    let mut slots = vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let mut entries = [CacheEntry::default(); 16];
    let mut hosts = HostCache::new(&mut entries[..], CacheConfig::hosts());
    let (a, b) = (ep(1, 0), ep(2, 0));
    let mut c = Conn::open(
        &mut t,
        &mut hosts,
        key(with(a, 40000), with(b, 51413), Transport::Tcp),
        S,
    );
    let mut last = None;
    for (initiator, bytes) in mse_long() {
        last = Some(c.send(&mut t, &mut hosts, initiator, &bytes, S));
    }
    assert_eq!(t.finish(last.unwrap().handle), Some(Verdict::NotBitTorrent));
    dht(&mut t, &mut hosts, with(a, 6881), ep(3, 6881), 2 * S);
    let o = c.send(&mut t, &mut hosts, true, &random_bytes(100, 9), 3 * S);
    assert_eq!(o.verdict, Verdict::NotBitTorrent);
}

/// How a flow ends in [`every_end_asks_nothing_new`].
#[derive(Clone, Copy, Debug)]
enum End {
    Drain,
    Remove,
    Expire,
    Reuse,
    Evict,
}

/// An unanswered MSE first flight to `b`: learned as a peer at 2 s; `again` sends the flight's
/// retransmission at 3 s, after it. Then the flow ends by `end` at 700 s. Its final verdict.
fn unanswered(end: End, again: bool) -> Verdict {
    let evict = matches!(end, End::Evict);
    let mut slots = vec![Slot::default(); if evict { PROBE } else { 64 }];
    let mut t = table(&mut slots);
    let mut entries = [CacheEntry::default(); 64];
    let mut endpoints = EndpointCache::new(&mut entries[..], CacheConfig::default());
    if evict {
        // The rest of the table: confirmed DHT flows, which a new flow evicts last.
        for i in 0..PROBE as u8 - 1 {
            dht(
                &mut t,
                &mut endpoints,
                ep(20 + i, 6881),
                ep(40 + i, 6881),
                S,
            );
        }
    }
    let (a, b) = (ep(1, 40000), ep(2, 51413));
    let up = key(a, b, Transport::Tcp);
    let mut flight = random_bytes(96 + 211, 1);
    flight[0] = 0x9c;
    let mut c = Conn::open(&mut t, &mut endpoints, up, S);
    let o = c.send(&mut t, &mut endpoints, true, &flight, S);
    if let End::Reuse = end {
        // Closed by a reset (a retransmission still counts to it while it lingers).
        t.process_learning(
            &tcp(up, 2000, TcpFlags::RST, &[]),
            S,
            &mut endpoints,
            |_| {},
        )
        .unwrap();
    }
    endpoints.learn(b.into(), EndpointSource::Dht, 2 * S);
    if again {
        c.seq[0] = 1000;
        c.send(&mut t, &mut endpoints, true, &flight, 3 * S);
    }
    // More learning before the end is noticed changes nothing.
    endpoints.learn(ep(9, 6881).into(), EndpointSource::Dht, 600 * S);
    let mut verdict = None;
    let mut keep = |s: &Slot| verdict = Some(s.verdict());
    let handle = o.handle;
    match end {
        End::Drain => t.drain(&mut keep),
        End::Remove => assert!(t.remove(handle, &mut keep)),
        End::Expire => assert_eq!(t.expire(700 * S, usize::MAX, &mut keep), 1),
        End::Evict => {
            let k = key(ep(60, 5000), ep(61, 53), Transport::Udp);
            t.process_learning(&udp(k, b"x"), 5 * S, &mut endpoints, &mut keep)
                .unwrap();
        }
        End::Reuse => {
            t.process_learning(
                &tcp(up, 9000, TcpFlags::SYN, &[]),
                5 * S,
                &mut endpoints,
                &mut keep,
            )
            .unwrap();
        }
    }
    verdict.unwrap()
}

#[test]
fn every_end_asks_nothing_new() {
    for end in [End::Drain, End::Remove, End::Expire, End::Reuse, End::Evict] {
        // A peer learned before the flow's last packet confirms the unanswered attempt
        // however the flow ends ...
        let v = unanswered(end, true);
        assert!(confirmed_encrypted(v), "{end:?}: {v:?}");
        assert!(v
            .detection()
            .unwrap()
            .evidence
            .contains(Evidence::KNOWN_ENDPOINT | Evidence::MSE_UNANSWERED));
        // ... and one learned after it never does, however late the end is noticed.
        assert_eq!(unanswered(end, false), Verdict::NotBitTorrent, "{end:?}");
    }
}

#[test]
fn a_restored_table_still_corroborates_late() {
    let mut slots = vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let mut entries = [CacheEntry::default(); 16];
    let mut hosts = HostCache::new(&mut entries[..], CacheConfig::hosts());
    let (a, b) = (ep(1, 0), ep(2, 0));
    let mut c = Conn::open(
        &mut t,
        &mut hosts,
        key(with(a, 40000), with(b, 51413), Transport::Tcp),
        S,
    );
    for (initiator, bytes) in mse_long() {
        c.send(&mut t, &mut hosts, initiator, &bytes, S);
    }
    let mut bytes = vec![0u8; t.snapshot_len()];
    assert_eq!(t.save(&mut bytes), Ok(bytes.len()));
    let mut other = vec![Slot::default(); 64];
    let mut r = table(&mut other);
    assert_eq!(r.restore(&bytes), Ok(bytes.len()));
    dht(&mut r, &mut hosts, with(a, 6881), ep(3, 6881), 2 * S);
    let o = c.send(&mut r, &mut hosts, true, &random_bytes(100, 9), 3 * S);
    assert!(
        o.changed && confirmed_encrypted(o.verdict),
        "{:?}",
        o.verdict
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

    /// A table marks a flow that awaits corroboration once, at its start, and only clears the
    /// mark: awaiting never comes back once gone, SOCKS negotiation or not.
    #[test]
    fn awaiting_corroboration_never_comes_back(
        socks in proptest::prelude::any::<bool>(),
        mse_sized in proptest::prelude::any::<bool>(),
        steps in proptest::collection::vec(
            (proptest::prelude::any::<bool>(), 0usize..700, proptest::prelude::any::<u64>()),
            1..10,
        ),
    ) {
        let mut flow = crate::flow::FlowClassifier::new(Transport::Tcp);
        let mut conv: Vec<(bool, Vec<u8>)> = vec![];
        if socks {
            conv.push((true, vec![5, 1, 0]));
            conv.push((false, vec![5, 0]));
            conv.push((true, vec![5, 1, 0, 1, 192, 0, 2, 9, 0x1a, 0xe1]));
            conv.push((false, vec![5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
        }
        if mse_sized {
            conv.extend(mse());
        }
        for (initiator, len, seed) in steps {
            conv.push((initiator, random_bytes(len, seed)));
        }
        let mut awaited = flow.awaits_corroboration();
        for (initiator, bytes) in &conv {
            let d = if *initiator { Direction::Initiator } else { Direction::Responder };
            flow.feed(d, bytes);
            let now = flow.awaits_corroboration();
            proptest::prop_assert!(awaited || !now, "awaiting came back");
            awaited = now;
        }
        flow.finish();
        proptest::prop_assert!(awaited || !flow.awaits_corroboration(), "awaiting came back");
    }
}
