//! Corroboration across flows: a host with conclusive BitTorrent activity confirms its MSE
//! flows, and nothing else.

use super::*;
use crate::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use crate::hosts::HostCache;
use crate::test_util::random_bytes;
use std::vec;

pub(super) const DHT_QUERY: &[u8] =
    b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe";
pub(super) const DHT_REPLY: &[u8] = b"d1:rd2:id20:0123456789abcdefghij5:nodes0:e1:t2:aa1:y1:re";

pub(super) fn udp<'a>(k: FlowKey, payload: &'a [u8]) -> Packet<'a> {
    Packet {
        key: k,
        tcp: None,
        fragment: Fragment::None,
        payload,
        payload_len_on_wire: payload.len() as u32,
        tunnel: None,
    }
}

/// A 64-slot table's slots and 16 entries each for an endpoint and a host cache.
struct Storage {
    slots: Vec<Slot>,
    endpoints: [CacheEntry; 16],
    hosts: [CacheEntry; 16],
}

type Parts<'a> = (
    FlowTable<&'a mut [Slot]>,
    EndpointCache<&'a mut [CacheEntry]>,
    HostCache<&'a mut [CacheEntry]>,
);

impl Storage {
    fn new() -> Self {
        Self {
            slots: vec![Slot::default(); 64],
            endpoints: [CacheEntry::default(); 16],
            hosts: [CacheEntry::default(); 16],
        }
    }

    /// The table and both caches over the storage.
    fn parts(&mut self) -> Parts<'_> {
        (
            table(&mut self.slots),
            EndpointCache::new(&mut self.endpoints[..], CacheConfig::default()),
            HostCache::new(&mut self.hosts[..], CacheConfig::hosts()),
        )
    }
}

/// A DHT query from `a` answered by `b` at `at`: both ends become learned endpoints, both hosts
/// BitTorrent hosts.
fn dht_exchange<L: Learn>(
    t: &mut FlowTable<&mut [Slot]>,
    learn: &mut L,
    a: Endpoint,
    b: Endpoint,
    at: u64,
) {
    let dht = key(a, b, Transport::Udp);
    t.process_learning(&udp(dht, DHT_QUERY), at, learn, |_| {})
        .unwrap();
    t.process_learning(&udp(dht.reversed(), DHT_REPLY), at, learn, |_| {})
        .unwrap();
}

/// Feed a TCP conversation (initiator?, bytes) on `up` with the table and learner; the flow's
/// last outcome.
fn converse<L: Learn>(
    t: &mut FlowTable<&mut [Slot]>,
    learn: &mut L,
    up: FlowKey,
    conv: &[(bool, Vec<u8>)],
    at: u64,
) -> Outcome {
    t.process_learning(&tcp(up, 999, TcpFlags::SYN, &[]), at, learn, |_| {})
        .unwrap();
    let mut seq = [1000u32, 5000u32];
    let mut last = None;
    for (initiator, bytes) in conv {
        let (k, d) = if *initiator {
            (up, 0)
        } else {
            (up.reversed(), 1)
        };
        last = Some(
            t.process_learning(&tcp(k, seq[d], TcpFlags::ACK, bytes), at, learn, |_| {})
                .unwrap(),
        );
        seq[d] = seq[d].wrapping_add(bytes.len() as u32);
    }
    last.unwrap()
}

pub(super) fn mse() -> Vec<(bool, Vec<u8>)> {
    let mut a1 = random_bytes(96 + 211, 1);
    a1[0] = 0x9c;
    vec![
        (true, a1),
        (false, random_bytes(96 + 37, 2)),
        (true, random_bytes(20 + 20 + 16 + 68, 3)),
        (false, random_bytes(8 + 4 + 2 + 68, 4)),
        (true, random_bytes(4000, 5)),
    ]
}

/// A conversation: (sent by the initiator?, bytes) in order.
pub(super) type Conversation = Vec<(bool, Vec<u8>)>;

/// Ordinary flows between two hosts that run BitTorrent clients: web, TLS, SSH, DNS.
pub(super) fn ordinary() -> Vec<(Transport, u16, Conversation)> {
    let tls_hello = {
        let mut h = vec![
            0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03,
        ];
        h.extend(random_bytes(32, 8));
        h.extend((0u8..164).map(|i| i.wrapping_mul(31)));
        h
    };
    let tls_reply = {
        let mut h = vec![
            0x16, 0x03, 0x03, 0x00, 0x5a, 0x02, 0x00, 0x00, 0x56, 0x03, 0x03,
        ];
        h.extend(random_bytes(32, 9));
        h.extend([0x20; 1]);
        h.extend(random_bytes(32, 10));
        h.extend([0x13, 0x01, 0x00]);
        h.extend([0x17, 0x03, 0x03, 0x01, 0x00]);
        h.extend(random_bytes(256, 11));
        h
    };
    let dns = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x07example\x03com\x00\x00\x01\x00\x01\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00".to_vec();
    vec![
        (
            Transport::Tcp,
            80,
            vec![
                (true, b"GET / HTTP/1.1\r\nHost: b\r\n\r\n".to_vec()),
                (
                    false,
                    [
                        b"HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n".to_vec(),
                        random_bytes(4000, 12),
                    ]
                    .concat(),
                ),
            ],
        ),
        (
            Transport::Tcp,
            443,
            vec![
                (true, tls_hello),
                (false, tls_reply),
                (true, random_bytes(300, 13)),
            ],
        ),
        (
            Transport::Tcp,
            22,
            vec![
                (false, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".to_vec()),
                (true, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".to_vec()),
                (true, random_bytes(1500, 14)),
                (false, random_bytes(1100, 15)),
            ],
        ),
        (Transport::Udp, 53, vec![(true, dns.clone()), (false, dns)]),
    ]
}

#[test]
fn a_host_with_dht_activity_confirms_its_mse_flows_and_nothing_else() {
    let mut slots = vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let mut entries = [CacheEntry::default(); 16];
    let mut hosts = HostCache::new(&mut entries[..], CacheConfig::hosts());
    let (a, b) = (ep(1, 0), ep(2, 0));
    let at = |e: Endpoint, port| Endpoint { port, ..e };
    // Without BitTorrent activity, the MSE shape alone is no verdict.
    let o = converse(
        &mut t,
        &mut hosts,
        key(at(a, 40000), at(b, 51413), Transport::Tcp),
        &mse(),
        1,
    );
    assert!(!o.verdict.is_bittorrent());
    // Host a's DHT query answered: a and b are BitTorrent hosts.
    let dht = key(at(a, 6881), at(b, 6881), Transport::Udp);
    t.process_learning(&udp(dht, DHT_QUERY), 2, &mut hosts, |_| {})
        .unwrap();
    let o = t
        .process_learning(&udp(dht.reversed(), DHT_REPLY), 2, &mut hosts, |_| {})
        .unwrap();
    assert_eq!(
        o.verdict.detection().unwrap().confidence,
        Confidence::Confirmed
    );
    assert!(hosts.lookup(a.addr, 3).is_some() && hosts.lookup(b.addr, 3).is_some());
    // A later MSE flow from a to anywhere (another port, another peer) is Confirmed.
    let o = converse(
        &mut t,
        &mut hosts,
        key(at(a, 40001), at(ep(3, 0), 51413), Transport::Tcp),
        &mse(),
        3,
    );
    let d = o.verdict.detection().unwrap();
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::PeerWireEncrypted, Confidence::Confirmed)
    );
    assert!(d
        .evidence
        .contains(Evidence::BITTORRENT_HOST | Evidence::MSE_SHAPE));
    // The encrypted flow taught nothing: host 3 is not a BitTorrent host.
    assert!(hosts.lookup(ep(3, 0).addr, 4).is_none());
    // Ordinary flows between the two BitTorrent hosts stay ordinary.
    for (i, (transport, port, conv)) in ordinary().into_iter().enumerate() {
        let k = key(at(a, 50000 + i as u16), at(b, port), transport);
        let o = match transport {
            Transport::Tcp => converse(&mut t, &mut hosts, k, &conv, 4),
            Transport::Udp => {
                let mut last = None;
                for (initiator, bytes) in &conv {
                    let kk = if *initiator { k } else { k.reversed() };
                    last = Some(
                        t.process_learning(&udp(kk, bytes), 4, &mut hosts, |_| {})
                            .unwrap(),
                    );
                }
                last.unwrap()
            }
        };
        assert!(
            o.evidence.contains(Evidence::BITTORRENT_HOST),
            "port {port} was corroborated"
        );
        let end = t.flow(o.handle).unwrap();
        let mut finished = *end.classifier();
        assert!(
            !finished.finish().is_bittorrent(),
            "port {port}: {:?}",
            finished.verdict()
        );
    }
}

/// Both caches, off.
type Off<'a> = (
    Option<&'a mut EndpointCache<&'a mut [CacheEntry]>>,
    Option<&'a mut HostCache<&'a mut [CacheEntry]>>,
);

#[test]
fn hosts_and_endpoints_together() {
    let mut storage = Storage::new();
    let (mut t, mut endpoints, mut hosts) = storage.parts();
    let (a, b) = (ep(1, 6881), ep(2, 6881));
    let mut both = (&mut endpoints, &mut hosts);
    dht_exchange(&mut t, &mut both, a, b, 1);
    let o = t
        .process_learning(
            &tcp(key(ep(1, 40000), b, Transport::Tcp), 0, TcpFlags::SYN, &[]),
            2,
            &mut both,
            |_| {},
        )
        .unwrap();
    assert!(o
        .evidence
        .contains(Evidence::KNOWN_ENDPOINT | Evidence::BITTORRENT_HOST));
    assert!(endpoints.lookup(b.into(), 3).is_some());
    assert!(hosts.lookup(a.addr, 3).is_some());
    // An optional cache that is off learns and tells nothing.
    let mut off: Off = (None, None);
    let o = t
        .process_learning(
            &tcp(key(ep(1, 40001), b, Transport::Tcp), 0, TcpFlags::SYN, &[]),
            2,
            &mut off,
            |_| {},
        )
        .unwrap();
    assert_eq!(o.evidence, Evidence::NONE);
}

/// eMule's client-to-client obfuscation (`negative-p2plike`): `<marker><4-byte key part>` and
/// RC4 of `<magic><methods><padding length><padding>` (eMule's EncryptedStreamSocket.cpp), both
/// first messages of 96 bytes or more with paddings of 84 and 90 or more, then RC4 of the
/// eD2k hello, its answer and file requests: random bytes of MSE/PE's shape.
fn emule_obfuscated() -> Conversation {
    vec![
        (true, random_bytes(1 + 4 + 4 + 3 + 120, 21)),
        (false, random_bytes(4 + 2 + 101, 22)),
        (true, random_bytes(150, 23)),
        (false, random_bytes(140, 24)),
        (true, random_bytes(900, 25)),
    ]
}

#[test]
fn a_flow_confirmed_by_corroboration_teaches_no_endpoint() {
    let mut storage = Storage::new();
    let (mut t, mut endpoints, mut hosts) = storage.parts();
    let mut both = (&mut endpoints, &mut hosts);
    // Host 1 runs a BitTorrent client (its DHT query answered by host 2) and eMule.
    dht_exchange(&mut t, &mut both, ep(1, 6881), ep(2, 6881), 1);
    // Its obfuscated eMule connection to peer 3 has MSE/PE's shape: confirmed from a
    // BitTorrent host (the documented limit of random protocols) ...
    let peer = ep(3, 4662);
    let o = converse(
        &mut t,
        &mut both,
        key(ep(1, 40000), peer, Transport::Tcp),
        &emule_obfuscated(),
        2,
    );
    assert_eq!(
        o.verdict.detection().map(|d| d.confidence),
        Some(Confidence::Confirmed)
    );
    assert!(!o.evidence.contains(Evidence::KNOWN_ENDPOINT));
    // ... but it teaches nothing: peer 3's port is no peer endpoint, so host 4 (no BitTorrent)
    // connecting to it the same way, or with a first message nothing answers, is not called
    // BitTorrent.
    assert!(endpoints.lookup(peer.into(), 3).is_none());
    let mut both = (&mut endpoints, &mut hosts);
    let o = converse(
        &mut t,
        &mut both,
        key(ep(4, 40001), peer, Transport::Tcp),
        &emule_obfuscated(),
        3,
    );
    assert!(!o.evidence.contains(Evidence::KNOWN_ENDPOINT));
    let end = t.flow(o.handle).unwrap();
    let mut finished = *end.classifier();
    assert!(!finished.finish().is_bittorrent());
    let o = converse(
        &mut t,
        &mut both,
        key(ep(4, 40002), peer, Transport::Tcp),
        &emule_obfuscated()[..1],
        4,
    );
    let end = t.flow(o.handle).unwrap();
    let mut finished = *end.classifier();
    assert!(!finished.finish().is_bittorrent());
    // A cleartext handshake after the key exchange is conclusive on its own and still teaches
    // its responder.
    let mut conv = mse();
    let mut hs = vec![0x13];
    hs.extend_from_slice(b"BitTorrent protocol");
    hs.extend([0u8; 8]);
    hs.extend(random_bytes(40, 26));
    conv[3].1.extend(hs);
    let plain_peer = ep(5, 51413);
    let o = converse(
        &mut t,
        &mut both,
        key(ep(6, 40003), plain_peer, Transport::Tcp),
        &conv,
        5,
    );
    assert!(
        o.evidence.contains(Evidence::MSE_PLAINTEXT),
        "{:?}",
        o.evidence
    );
    assert!(endpoints.lookup(plain_peer.into(), 6).is_some());
}

/// A uTP header (BEP 29) as libutp sends it: timestamp set, no delay measured yet, 1 MiB window.
fn utp(ty: u8, conn: u16, seq: u16, ack: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![ty, 0];
    p.extend(conn.to_be_bytes());
    p.extend(0x1234_5678u32.to_be_bytes());
    p.extend(0u32.to_be_bytes());
    p.extend(0x0010_0000u32.to_be_bytes());
    p.extend(seq.to_be_bytes());
    p.extend(ack.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// uTP's rules that need corroboration confirm a flow that teaches nothing, so that one
/// corroborated look-alike cannot make its peer conclusive for every later flow (transitivity):
/// a lone plausible SYN to a learned endpoint (a game's first datagram can be one:
/// `games.py --edge`), and a run of MSE-shaped DATA from a BitTorrent host. The twin: a SYN
/// its peer answers is conclusive on its own and teaches both ends, and their hosts.
#[test]
fn a_utp_flow_confirmed_by_corroboration_teaches_nothing() {
    let mut storage = Storage::new();
    let (mut t, mut endpoints, mut hosts) = storage.parts();
    let mut both = (&mut endpoints, &mut hosts);
    // Host 1's DHT query answered by host 2: both ends learned, both hosts BitTorrent hosts.
    dht_exchange(&mut t, &mut both, ep(1, 6881), ep(2, 6881), 1);
    let confirmed = |o: &Outcome| o.verdict.detection().map(|d| d.confidence);
    // A SYN-shaped datagram from host 7's game port to the learned endpoint: confirmed, by
    // corroboration.
    let game = ep(7, 7777);
    let syn = utp(0x41, 0x5000, 9, 0, &[]);
    let o = t
        .process_learning(
            &udp(key(game, ep(2, 6881), Transport::Udp), &syn),
            2,
            &mut both,
            |_| {},
        )
        .unwrap();
    assert_eq!(confirmed(&o), Some(Confidence::Confirmed));
    assert!(!t.flow(o.handle).unwrap().classifier().confirmed_alone());
    // A run of MSE-shaped DATA from BitTorrent host 1 to host 9: confirmed, by corroboration.
    let other = ep(9, 5555);
    let run = key(ep(1, 6881), other, Transport::Udp);
    let mut last = None;
    for i in 0..6u16 {
        let data = utp(
            0x01,
            0x3333,
            100 + i,
            9,
            &random_bytes(150, 40 + u64::from(i)),
        );
        last = Some(
            t.process_learning(&udp(run, &data), 3, &mut both, |_| {})
                .unwrap(),
        );
    }
    let o = last.unwrap();
    assert_eq!(confirmed(&o), Some(Confidence::Confirmed));
    assert!(o.evidence.contains(Evidence::MSE_SHAPE));
    // Neither taught its peer: the game's port and host 9's are no peer endpoints, hosts 7
    // and 9 no BitTorrent hosts ...
    for peer in [game, other] {
        assert!(endpoints.lookup(peer.into(), 4).is_none(), "{peer:?}");
        assert!(hosts.lookup(peer.addr, 4).is_none(), "{peer:?}");
    }
    // ... so host 4's random bytes to the game's port, nothing answering, stay what they are.
    let mut both = (&mut endpoints, &mut hosts);
    let o = converse(
        &mut t,
        &mut both,
        key(ep(4, 40000), game, Transport::Tcp),
        &emule_obfuscated()[..1],
        4,
    );
    assert!(!o.evidence.contains(Evidence::KNOWN_ENDPOINT));
    let mut finished = *t.flow(o.handle).unwrap().classifier();
    assert!(!finished.finish().is_bittorrent());
    // The twin: host 1's SYN to host 10 (confirmed by corroboration: it comes from a learned
    // endpoint), answered by a STATE acknowledging it (conclusive alone), teaches both ends
    // and host 10.
    let peer = ep(10, 6000);
    let k = key(ep(1, 6881), peer, Transport::Udp);
    let o = t
        .process_learning(
            &udp(k, &utp(0x41, 0x6000, 77, 0, &[])),
            5,
            &mut both,
            |_| {},
        )
        .unwrap();
    assert_eq!(confirmed(&o), Some(Confidence::Confirmed));
    assert!(!t.flow(o.handle).unwrap().classifier().confirmed_alone());
    assert!(endpoints.lookup(peer.into(), 5).is_none());
    let mut both = (&mut endpoints, &mut hosts);
    let o = t
        .process_learning(
            &udp(k.reversed(), &utp(0x21, 0x6000, 500, 77, &[])),
            5,
            &mut both,
            |_| {},
        )
        .unwrap();
    assert_eq!(confirmed(&o), Some(Confidence::Confirmed));
    assert!(t.flow(o.handle).unwrap().classifier().confirmed_alone());
    assert!(endpoints.lookup(peer.into(), 6).is_some());
    assert!(hosts.lookup(peer.addr, 6).is_some());
}
