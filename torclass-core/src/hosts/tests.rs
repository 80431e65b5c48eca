use super::*;
use crate::packet::{Endpoint, FlowKey};
use crate::table::Learn;
use crate::verdict::{Evidence, Protocol, Transport};
use core::net::{Ipv4Addr, Ipv6Addr};

const TTL: u64 = 1_000;

fn cache() -> HostCache<[CacheEntry; 16]> {
    HostCache::new(
        [CacheEntry::default(); 16],
        CacheConfig {
            ttl_ns: TTL,
            seed: 3,
        },
    )
}

fn v4(d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, d))
}

fn flow(transport: Transport, a: IpAddr, b: IpAddr) -> FlowKey {
    FlowKey {
        transport,
        src: Endpoint {
            addr: a,
            port: 40000,
        },
        dst: Endpoint {
            addr: b,
            port: 6881,
        },
    }
}

#[test]
fn a_host_is_an_address_whatever_the_port() {
    let mut c = cache();
    c.learn(v4(7), EndpointSource::Flow, 0);
    assert_eq!(c.lookup(v4(7), 1), Some(EndpointSource::Flow));
    let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
    assert_eq!(c.lookup(mapped, 1), Some(EndpointSource::Flow));
    assert_eq!(c.lookup(v4(8), 1), None);
    let e = c.entry(v4(7), 1).unwrap();
    assert_eq!((e.addr(), e.expires_ns()), (Some(v4(7)), TTL));
    assert_eq!(c.stats().hits, 2, "entry() counts nothing");
    assert_eq!(c.len(), 1);
}

#[test]
fn hosts_expire_and_are_forgotten() {
    let mut c = cache();
    c.learn(v4(1), EndpointSource::Lsd, 0);
    assert!(c.lookup(v4(1), TTL - 1).is_some());
    assert!(c.lookup(v4(1), TTL).is_none());
    assert_eq!(c.live(TTL).count(), 0);
    assert_eq!(c.sweep(TTL), 1);
    c.learn(v4(2), EndpointSource::Flow, 0);
    assert!(c.forget(v4(2)));
    assert!(!c.forget(v4(2)));
    assert!(c.is_empty());
}

#[test]
fn groups_and_nowhere_are_not_hosts() {
    let mut c = cache();
    for ip in [
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V4(Ipv4Addr::new(239, 192, 152, 143)),
        IpAddr::V4(Ipv4Addr::BROADCAST),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        IpAddr::V6("ff15::efc0:988f".parse().unwrap()),
    ] {
        c.learn(ip, EndpointSource::Lsd, 0);
        assert!(c.lookup(ip, 1).is_none());
    }
    assert!(c.is_empty());
    assert_eq!(c.stats().rejected, 5);
}

#[test]
fn insert_imports_with_its_expiry() {
    let mut c = cache();
    assert!(c.insert(v4(9), EndpointSource::Flow, 500, 10));
    assert!(
        !c.insert(v4(10), EndpointSource::Flow, 10, 10),
        "already expired"
    );
    assert_eq!(c.entry(v4(9), 10).unwrap().expires_ns(), 500);
    let exported: std::vec::Vec<_> = c.live(10).map(|e| (e.addr(), e.expires_ns())).collect();
    assert_eq!(exported, [(Some(v4(9)), 500)]);
}

#[test]
fn what_confirmed_flows_teach() {
    let (a, b) = (v4(1), v4(2));
    for (protocol, transport, src, dst) in [
        (Protocol::PeerWire, Transport::Tcp, true, true),
        (Protocol::Utp, Transport::Udp, true, true),
        (Protocol::Dht, Transport::Udp, true, true),
        (Protocol::HttpTracker, Transport::Tcp, true, false),
        (Protocol::UdpTracker, Transport::Udp, true, false),
        (Protocol::Lsd, Transport::Udp, true, false),
        // Confirmed by corroboration itself: teaches nothing, so nothing spreads.
        (Protocol::PeerWireEncrypted, Transport::Tcp, false, false),
        (Protocol::Magnet, Transport::Tcp, false, false),
    ] {
        let mut c = cache();
        let key = flow(transport, a, b);
        c.confirmed(&key, protocol, 0);
        assert_eq!(c.lookup(a, 1).is_some(), src, "{protocol:?} initiator");
        assert_eq!(c.lookup(b, 1).is_some(), dst, "{protocol:?} responder");
        let expected = if src || dst {
            Evidence::BITTORRENT_HOST
        } else {
            Evidence::NONE
        };
        assert_eq!(c.corroborate(&flow(Transport::Tcp, b, a), 1), expected);
    }
}
