use super::*;
use core::net::{Ipv4Addr, SocketAddrV6};
use proptest::prelude::*;
use std::collections::HashMap;
use std::vec;
use std::vec::Vec;

const TTL: u64 = 1_000;

fn config() -> CacheConfig {
    CacheConfig {
        ttl_ns: TTL,
        seed: 7,
    }
}

fn v4(a: u8, b: u8, c: u8, d: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), port)
}

fn v6(addr: u128, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V6(Ipv6Addr::from(addr)), port)
}

fn mapped(a: u8, b: u8, c: u8, d: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V6(Ipv4Addr::new(a, b, c, d).to_ipv6_mapped()), port)
}

/// `n` distinct peer endpoints.
fn peers(n: u16) -> impl Iterator<Item = SocketAddr> {
    (0..n).map(|i| v4(10, 1, (i >> 8) as u8, i as u8, 6881))
}

/// At most 32 bytes everywhere (a compile-time assertion in the module); 32 where `u64` is
/// 8-aligned.
#[test]
#[cfg(target_pointer_width = "64")]
fn entry_is_32_bytes() {
    assert_eq!(CacheEntry::SIZE, 32);
}

#[test]
fn learns_and_finds_ipv4() {
    let mut cache = EndpointCache::new([CacheEntry::default(); 16], config());
    assert!(cache.is_empty());
    let peer = v4(192, 0, 2, 7, 51413);
    cache.learn(peer, EndpointSource::Tracker, 0);
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.lookup(peer, 1), Some(EndpointSource::Tracker));
    assert_eq!(cache.lookup(v4(192, 0, 2, 7, 51414), 1), None);
    assert_eq!(cache.lookup(v4(192, 0, 2, 8, 51413), 1), None);
    let stats = cache.stats();
    assert_eq!((stats.learned, stats.hits, stats.misses), (1, 1, 2));
    let entry = cache.iter().next().unwrap();
    assert_eq!(entry.endpoint(), Some(peer));
    assert_eq!(entry.source(), Some(EndpointSource::Tracker));
    assert_eq!(entry.expires_ns(), TTL);
}

#[test]
fn learns_and_finds_ipv6() {
    let mut cache = EndpointCache::new([CacheEntry::default(); 16], config());
    let peer = v6(0x2001_0db8_0000_0000_0000_0000_0000_0042, 6881);
    cache.learn(peer, EndpointSource::Pex, 5);
    assert_eq!(cache.lookup(peer, 6), Some(EndpointSource::Pex));
    assert_eq!(cache.lookup(v6(0x2001_0db8 << 96 | 0x43, 6881), 6), None);
    assert_eq!(cache.iter().next().unwrap().endpoint(), Some(peer));
    // The flow label and scope id are not part of the endpoint.
    let scoped = SocketAddr::V6(SocketAddrV6::new(
        Ipv6Addr::from(0x2001_0db8_0000_0000_0000_0000_0000_0042),
        6881,
        9,
        3,
    ));
    assert_eq!(cache.lookup(scoped, 6), Some(EndpointSource::Pex));
}

#[test]
fn mapped_ipv6_is_the_same_endpoint_as_ipv4() {
    let mut cache = EndpointCache::new([CacheEntry::default(); 16], config());
    cache.learn(mapped(198, 51, 100, 1, 7000), EndpointSource::Dht, 0);
    assert_eq!(
        cache.lookup(v4(198, 51, 100, 1, 7000), 1),
        Some(EndpointSource::Dht)
    );
    assert_eq!(
        cache.iter().next().unwrap().endpoint(),
        Some(v4(198, 51, 100, 1, 7000))
    );
    // Learning the plain IPv4 form refreshes the same entry.
    cache.learn(v4(198, 51, 100, 1, 7000), EndpointSource::Lsd, 1);
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.stats().refreshed, 1);
    assert_eq!(
        cache.lookup(mapped(198, 51, 100, 1, 7000), 2),
        Some(EndpointSource::Lsd)
    );
    // The deprecated IPv4-compatible form (::a.b.c.d) is a different address.
    assert_eq!(cache.lookup(v6(0xc633_6401, 7000), 2), None);
    cache.forget(mapped(198, 51, 100, 1, 7000));
    assert!(cache.is_empty());
    assert_eq!(cache.lookup(v4(198, 51, 100, 1, 7000), 3), None);
}

#[test]
fn never_learns_what_is_not_a_peer() {
    let mut cache = EndpointCache::new([CacheEntry::default(); 16], config());
    let not_peers = [
        v4(192, 0, 2, 1, 0),
        v4(0, 0, 0, 0, 6881),
        v4(255, 255, 255, 255, 6881),
        v4(224, 0, 0, 1, 6881),
        v4(239, 192, 152, 143, 6771), // the LSD group
        mapped(0, 0, 0, 0, 6881),
        mapped(255, 255, 255, 255, 6881),
        mapped(239, 192, 152, 143, 6771),
        v6(0, 6881),
        v6(0xff02 << 112 | 1, 6881),
        v6(0xff15 << 112 | 0xefc0_988f, 6771), // the LSD IPv6 group
        v6(0x2001_0db8 << 96 | 1, 0),
    ];
    for (i, endpoint) in not_peers.into_iter().enumerate() {
        cache.learn(endpoint, EndpointSource::Tracker, i as u64);
        assert_eq!(cache.lookup(endpoint, i as u64), None, "{endpoint}");
        cache.forget(endpoint);
    }
    assert!(cache.is_empty());
    assert_eq!(cache.stats().rejected, not_peers.len() as u64);
    assert_eq!(cache.stats().learned, 0);
    // Loopback and private addresses are peers (labs, LANs).
    cache.learn(v4(127, 0, 0, 1, 6881), EndpointSource::Lsd, 0);
    cache.learn(v6(1, 6881), EndpointSource::Lsd, 0);
    cache.learn(v4(10, 0, 0, 1, 6881), EndpointSource::Lsd, 0);
    assert_eq!(cache.len(), 3);
}

#[test]
fn expires_after_its_ttl() {
    let mut cache = EndpointCache::new([CacheEntry::default(); 16], config());
    let peer = v4(192, 0, 2, 1, 6881);
    cache.learn(peer, EndpointSource::Tracker, 100);
    assert_eq!(
        cache.lookup(peer, 100 + TTL - 1),
        Some(EndpointSource::Tracker)
    );
    assert_eq!(cache.lookup(peer, 100 + TTL), None);
    assert_eq!(cache.lookup(peer, u64::MAX), None);
    // Expired but not swept: still occupies its entry.
    assert_eq!(cache.len(), 1);
    // Learning it again after expiry is a new learn that reuses the entry.
    cache.learn(peer, EndpointSource::Dht, 5_000);
    assert_eq!(cache.len(), 1);
    let stats = cache.stats();
    assert_eq!((stats.learned, stats.refreshed, stats.expired), (2, 0, 1));
    assert_eq!(
        cache.lookup(peer, 5_000 + TTL - 1),
        Some(EndpointSource::Dht)
    );
}

#[test]
fn learning_again_refreshes_the_ttl_and_source() {
    let mut cache = EndpointCache::new([CacheEntry::default(); 16], config());
    let peer = v4(192, 0, 2, 1, 6881);
    cache.learn(peer, EndpointSource::Tracker, 0);
    cache.learn(peer, EndpointSource::Pex, TTL / 2);
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.stats().refreshed, 1);
    assert_eq!(cache.lookup(peer, TTL), Some(EndpointSource::Pex));
    assert_eq!(
        cache.lookup(peer, TTL / 2 + TTL - 1),
        Some(EndpointSource::Pex)
    );
    assert_eq!(cache.lookup(peer, TTL / 2 + TTL), None);
}

#[test]
fn sweep_frees_only_expired_entries() {
    let mut cache = EndpointCache::new([CacheEntry::default(); 32], config());
    for (i, peer) in peers(10).enumerate() {
        cache.learn(peer, EndpointSource::Tracker, i as u64 * 100);
    }
    assert_eq!(cache.len(), 10);
    // Entries learned at 0, 100, 200 have expired at 1200 (the one at 200 exactly then).
    assert_eq!(cache.sweep(1_200), 3);
    assert_eq!(cache.len(), 7);
    assert_eq!(cache.iter().count(), 7);
    assert_eq!(cache.stats().expired, 3);
    assert_eq!(cache.sweep(1_200), 0);
    for (i, peer) in peers(10).enumerate() {
        assert_eq!(cache.lookup(peer, 1_200).is_some(), i >= 3, "{peer}");
    }
    assert_eq!(cache.sweep(u64::MAX), 7);
    assert!(cache.is_empty());
}

/// A cache of one bucket, filled with endpoints learned at 0, 10, .., 70.
fn full_bucket() -> (EndpointCache<[CacheEntry; WAYS]>, Vec<SocketAddr>) {
    let mut cache = EndpointCache::new([CacheEntry::default(); WAYS], config());
    let endpoints: Vec<_> = peers(WAYS as u16).collect();
    for (i, &peer) in endpoints.iter().enumerate() {
        cache.learn(peer, EndpointSource::Tracker, i as u64 * 10);
    }
    assert_eq!(cache.len(), WAYS);
    (cache, endpoints)
}

#[test]
fn full_bucket_evicts_an_expired_entry_first() {
    let (mut cache, old) = full_bucket();
    // At 1015 the first two have expired (at 1000 and 1010); the one that expired first goes.
    let now = TTL + 15;
    let new = v4(203, 0, 113, 1, 6881);
    cache.learn(new, EndpointSource::Dht, now);
    assert_eq!(cache.stats().expired, 1);
    assert_eq!(cache.stats().evicted_live, 0);
    assert!(cache.iter().all(|e| e.endpoint() != Some(old[0])));
    assert!(cache.iter().any(|e| e.endpoint() == Some(old[1])));
    let new2 = v4(203, 0, 113, 2, 6881);
    cache.learn(new2, EndpointSource::Dht, now);
    assert_eq!(cache.stats().expired, 2);
    assert_eq!(cache.stats().evicted_live, 0);
    for &peer in &old[2..] {
        assert_eq!(cache.lookup(peer, now), Some(EndpointSource::Tracker));
    }
    assert_eq!(cache.lookup(new, now), Some(EndpointSource::Dht));
    assert_eq!(cache.lookup(new2, now), Some(EndpointSource::Dht));
    assert_eq!(cache.len(), WAYS);
}

#[test]
fn full_bucket_then_evicts_the_live_entry_closest_to_expiry() {
    let (mut cache, old) = full_bucket();
    // Refreshing the oldest makes the second oldest the closest to expiry.
    cache.learn(old[0], EndpointSource::Pex, 100);
    let new = v4(203, 0, 113, 1, 6881);
    cache.learn(new, EndpointSource::Dht, 100);
    assert_eq!(cache.stats().evicted_live, 1);
    assert_eq!(cache.stats().expired, 0);
    assert_eq!(cache.lookup(old[1], 100), None);
    assert_eq!(cache.lookup(old[0], 100), Some(EndpointSource::Pex));
    for &peer in &old[2..] {
        assert_eq!(cache.lookup(peer, 100), Some(EndpointSource::Tracker));
    }
    assert_eq!(cache.lookup(new, 100), Some(EndpointSource::Dht));
    assert_eq!(cache.len(), WAYS);
}

#[test]
fn full_bucket_prefers_a_free_entry() {
    let (mut cache, old) = full_bucket();
    cache.forget(old[5]);
    assert_eq!(cache.len(), WAYS - 1);
    // Entries 0 and 1 have expired, but the freed entry is taken.
    cache.learn(v4(203, 0, 113, 1, 6881), EndpointSource::Dht, TTL + 15);
    let stats = cache.stats();
    assert_eq!((stats.expired, stats.evicted_live), (0, 0));
    assert_eq!(cache.len(), WAYS);
    assert!(cache.iter().any(|e| e.endpoint() == Some(old[0])));
}

#[test]
fn capacity_is_never_exceeded() {
    // 20 entries: buckets of 8, 8 and 4.
    let mut cache = EndpointCache::new(vec![CacheEntry::default(); 20], config());
    assert_eq!(cache.capacity(), 20);
    for (i, peer) in peers(1_000).enumerate() {
        cache.learn(peer, EndpointSource::Tracker, i as u64);
        assert!(cache.len() <= cache.capacity());
        assert_eq!(cache.lookup(peer, i as u64), Some(EndpointSource::Tracker));
    }
    assert_eq!(cache.len(), 20);
    assert_eq!(cache.iter().count(), 20);
    assert_eq!(cache.stats().learned, 1_000);
    assert_eq!(cache.stats().evicted_live, 980);
}

#[test]
fn every_bucket_gets_used() {
    let mut cache = EndpointCache::new(vec![CacheEntry::default(); 8 * WAYS], config());
    for peer in peers(2_000) {
        cache.learn(peer, EndpointSource::Tracker, 0);
    }
    assert_eq!(cache.len(), 8 * WAYS);
}

#[test]
fn works_over_a_mutable_slice() {
    let mut storage = [CacheEntry::default(); 4];
    let mut cache = EndpointCache::new(&mut storage[..], CacheConfig::default());
    cache.learn(v4(192, 0, 2, 1, 1), EndpointSource::Lsd, 0);
    assert_eq!(
        cache.lookup(v4(192, 0, 2, 1, 1), 29 * 60 * 1_000_000_000),
        Some(EndpointSource::Lsd)
    );
    assert_eq!(
        cache.lookup(v4(192, 0, 2, 1, 1), 30 * 60 * 1_000_000_000),
        None
    );
}

#[test]
fn new_clears_the_storage() {
    let (cache, _) = full_bucket();
    let storage = cache.storage;
    let cache = EndpointCache::new(storage, config());
    assert!(cache.is_empty());
    assert_eq!(cache.iter().count(), 0);
}

#[test]
fn zero_capacity_learns_nothing() {
    let mut cache = EndpointCache::new(<[CacheEntry; 0]>::default(), config());
    let peer = v4(192, 0, 2, 1, 6881);
    cache.learn(peer, EndpointSource::Tracker, 0);
    assert_eq!(cache.lookup(peer, 0), None);
    cache.forget(peer);
    assert_eq!(cache.sweep(u64::MAX), 0);
    assert_eq!((cache.len(), cache.capacity()), (0, 0));
    assert_eq!(cache.stats().learned, 0);
    assert_eq!(cache.stats().misses, 1);
}

#[test]
fn a_clock_going_backwards_only_keeps_entries_longer() {
    let mut cache = EndpointCache::new([CacheEntry::default(); 16], config());
    let peer = v4(192, 0, 2, 1, 6881);
    cache.learn(peer, EndpointSource::Tracker, 5_000);
    assert_eq!(cache.lookup(peer, 0), Some(EndpointSource::Tracker));
    // A refresh at an earlier time does not shorten the expiry.
    cache.learn(peer, EndpointSource::Pex, 10);
    assert_eq!(cache.iter().next().unwrap().expires_ns(), 5_000 + TTL);
    assert_eq!(
        cache.lookup(peer, 5_000 + TTL - 1),
        Some(EndpointSource::Pex)
    );
    assert_eq!(cache.sweep(0), 0);
    // Saturation at the end of time.
    cache.learn(peer, EndpointSource::Dht, u64::MAX - 1);
    assert_eq!(cache.iter().next().unwrap().expires_ns(), u64::MAX);
    assert_eq!(cache.lookup(peer, u64::MAX - 1), Some(EndpointSource::Dht));
    assert_eq!(cache.lookup(peer, u64::MAX), None);
    assert_eq!(cache.len(), 1);
}

#[test]
fn extreme_ttls() {
    let peer = v4(192, 0, 2, 1, 6881);
    let mut never = EndpointCache::new(
        [CacheEntry::default(); 8],
        CacheConfig { ttl_ns: 0, seed: 1 },
    );
    never.learn(peer, EndpointSource::Tracker, 10);
    assert_eq!(never.lookup(peer, 10), None);
    assert_eq!(never.sweep(10), 1);
    let mut forever = EndpointCache::new(
        [CacheEntry::default(); 8],
        CacheConfig {
            ttl_ns: u64::MAX,
            seed: 1,
        },
    );
    forever.learn(peer, EndpointSource::Tracker, 10);
    assert_eq!(
        forever.lookup(peer, u64::MAX - 1),
        Some(EndpointSource::Tracker)
    );
    assert_eq!(forever.sweep(u64::MAX - 1), 0);
}

// ---- properties ----

#[derive(Clone, Debug)]
enum Op {
    Learn(SocketAddr, EndpointSource, u64),
    Lookup(SocketAddr, u64),
    Forget(SocketAddr),
    Sweep(u64),
    /// Move the clock back by this much.
    Back(u64),
    /// Set the clock to any value.
    Jump(u64),
}

fn source() -> impl Strategy<Value = EndpointSource> {
    prop_oneof![
        Just(EndpointSource::Pex),
        Just(EndpointSource::Tracker),
        Just(EndpointSource::Dht),
        Just(EndpointSource::Lsd),
    ]
}

/// A few endpoints that collide often (both forms of mapped addresses, non-peers included),
/// and arbitrary ones.
fn endpoint() -> impl Strategy<Value = SocketAddr> {
    let pool = (0u8..12, 0u16..3).prop_map(|(host, port)| {
        let port = [6881, 0, 51413][usize::from(port)];
        match host {
            0..=3 => v4(10, 0, 0, host, port),
            4..=6 => mapped(10, 0, 0, host - 4, port),
            7..=8 => v6(0x2001_0db8 << 96 | u128::from(host), port),
            9 => v4(0, 0, 0, 0, port),
            10 => v4(239, 192, 152, 143, port),
            _ => v6(0xff02 << 112 | 1, port),
        }
    });
    prop_oneof![
        3 => pool,
        1 => (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(a, p)| v4(a[0], a[1], a[2], a[3], p)),
        1 => (any::<u128>(), any::<u16>()).prop_map(|(a, p)| v6(a, p)),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let step = prop_oneof![4 => 0u64..200, 1 => any::<u64>()];
    prop_oneof![
        6 => (endpoint(), source(), step.clone()).prop_map(|(e, s, d)| Op::Learn(e, s, d)),
        4 => (endpoint(), step.clone()).prop_map(|(e, d)| Op::Lookup(e, d)),
        1 => endpoint().prop_map(Op::Forget),
        1 => step.prop_map(Op::Sweep),
        1 => (0u64..2_000).prop_map(Op::Back),
        1 => any::<u64>().prop_map(Op::Jump),
    ]
}

/// The bucket after learning `key` at `now`, as the module docs specify it.
fn expected_learn(bucket: &mut [CacheEntry], key: Key, source: EndpointSource, now: u64, ttl: u64) {
    let expires = now.saturating_add(ttl);
    if let Some(e) = bucket.iter_mut().find(|e| e.holds(&key)) {
        e.expires_ns = if e.is_live(now) {
            e.expires_ns.max(expires)
        } else {
            expires
        };
        e.source = source as u8;
        return;
    }
    let pick = |candidates: &mut dyn Iterator<Item = (usize, &CacheEntry)>| {
        let mut best: Option<(usize, u64)> = None;
        for (i, e) in candidates {
            if best.is_none_or(|(_, exp)| e.expires_ns < exp) {
                best = Some((i, e.expires_ns));
            }
        }
        best.map(|(i, _)| i)
    };
    let index = bucket
        .iter()
        .position(|e| !e.in_use())
        .or_else(|| pick(&mut bucket.iter().enumerate().filter(|(_, e)| !e.is_live(now))))
        .or_else(|| pick(&mut bucket.iter().enumerate()));
    if let Some(e) = index.and_then(|i| bucket.get_mut(i)) {
        *e = CacheEntry {
            expires_ns: expires,
            addr: key.addr,
            port: key.port,
            source: source as u8,
        };
    }
}

fn check_invariants(cache: &EndpointCache<Vec<CacheEntry>>) {
    let entries = cache.storage.as_slice();
    assert!(cache.len() <= cache.capacity());
    assert_eq!(cache.len(), cache.iter().count());
    let mut seen = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(endpoint) = e.endpoint() {
            let key = peer_key(endpoint).expect("only peers are stored");
            assert!(bucket(&key, cache.config.seed, entries.len()).contains(&i));
            assert!(seen.insert(key, i).is_none(), "{endpoint} stored twice");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_sequence_keeps_the_cache_consistent(
        capacity in prop_oneof![Just(0usize), 1usize..20, Just(24usize)],
        ttl in prop_oneof![Just(0u64), 1u64..1_000, Just(u64::MAX)],
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 0..200),
    ) {
        let config = CacheConfig { ttl_ns: ttl, seed };
        let mut cache = EndpointCache::new(vec![CacheEntry::default(); capacity], config);
        // What must be found while live: key -> (expiry, source).
        let mut model: HashMap<Key, (u64, EndpointSource)> = HashMap::new();
        let mut now = 0u64;
        for op in ops {
            match op {
                Op::Learn(endpoint, source, step) => {
                    now = now.saturating_add(step);
                    let before = cache.stats();
                    let Some(key) = peer_key(endpoint) else {
                        cache.learn(endpoint, source, now);
                        prop_assert_eq!(cache.stats().rejected, before.rejected + 1);
                        continue;
                    };
                    let range = bucket(&key, seed, capacity);
                    let mut expected = cache.storage[range.clone()].to_vec();
                    expected_learn(&mut expected, key, source, now, ttl);
                    cache.learn(endpoint, source, now);
                    prop_assert_eq!(&cache.storage[range.clone()], &expected[..]);
                    // Model: an entry of the bucket may have been replaced if it had expired,
                    // or if a live one had to go.
                    let evicted = cache.stats().evicted_live > before.evicted_live;
                    model.retain(|k, (exp, _)| {
                        *k == key || bucket(k, seed, capacity) != range
                            || (*exp > now && !evicted)
                    });
                    if capacity > 0 {
                        let expires = now.saturating_add(ttl);
                        let entry = model.entry(key).or_insert((expires, source));
                        if entry.0 <= now {
                            entry.0 = expires;
                        }
                        entry.0 = entry.0.max(expires);
                        entry.1 = source;
                    }
                }
                Op::Lookup(endpoint, step) => {
                    now = now.saturating_add(step);
                    let found = cache.lookup(endpoint, now);
                    if let Some(key) = peer_key(endpoint) {
                        let want = model.get(&key).filter(|(exp, _)| now < *exp).map(|m| m.1);
                        if want.is_some() {
                            prop_assert_eq!(found, want);
                        }
                    } else {
                        prop_assert_eq!(found, None);
                    }
                }
                Op::Forget(endpoint) => {
                    cache.forget(endpoint);
                    prop_assert_eq!(cache.lookup(endpoint, now), None);
                    if let Some(key) = peer_key(endpoint) {
                        model.remove(&key);
                    }
                }
                Op::Sweep(step) => {
                    now = now.saturating_add(step);
                    let len = cache.len();
                    let freed = cache.sweep(now);
                    prop_assert_eq!(cache.len() + freed, len);
                    prop_assert!(cache.iter().all(|e| e.is_live(now)));
                    model.retain(|_, (exp, _)| *exp > now);
                }
                Op::Back(step) => now = now.saturating_sub(step),
                Op::Jump(to) => now = to,
            }
            check_invariants(&cache);
            // Everything the model knows to be live is found, with its latest source.
            for (k, (exp, source)) in &model {
                if now < *exp {
                    let endpoint = SocketAddr::new(IpAddr::V6(Ipv6Addr::from(k.addr)), k.port);
                    prop_assert_eq!(cache.lookup(endpoint, now), Some(*source));
                }
            }
        }
    }

    /// A cache over zeroed storage taken as it is ([`EndpointCache::from_free`]) behaves as
    /// one whose entries [`EndpointCache::new`] cleared: an all-zero entry is a free one.
    #[test]
    fn a_zeroed_cache_is_a_cleared_one(
        capacity in prop_oneof![Just(0usize), 1usize..20, Just(24usize)],
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 0..200),
    ) {
        let config = CacheConfig { ttl_ns: 500, seed };
        let dirty = CacheEntry {
            expires_ns: u64::MAX,
            addr: [0xff; 16],
            port: 1,
            source: EndpointSource::Dht as u8,
        };
        let mut cleared = EndpointCache::new(vec![dirty; capacity], config);
        let zeroed: Vec<CacheEntry> = vec![bytemuck::Zeroable::zeroed(); capacity];
        let mut taken = EndpointCache::from_free(zeroed, config);
        let mut now = 0u64;
        for op in ops {
            let (a, b) = match op {
                Op::Learn(endpoint, source, step) => {
                    now = now.saturating_add(step);
                    cleared.learn(endpoint, source, now);
                    taken.learn(endpoint, source, now);
                    (None, None)
                }
                Op::Lookup(endpoint, step) => {
                    now = now.saturating_add(step);
                    (cleared.lookup(endpoint, now), taken.lookup(endpoint, now))
                }
                Op::Forget(endpoint) => {
                    prop_assert_eq!(cleared.forget(endpoint), taken.forget(endpoint));
                    (None, None)
                }
                Op::Sweep(step) => {
                    now = now.saturating_add(step);
                    prop_assert_eq!(cleared.sweep(now), taken.sweep(now));
                    (None, None)
                }
                Op::Back(step) => {
                    now = now.saturating_sub(step);
                    (None, None)
                }
                Op::Jump(to) => {
                    now = to;
                    (None, None)
                }
            };
            prop_assert_eq!(a, b);
            prop_assert_eq!(&cleared.storage, &taken.storage);
            prop_assert_eq!(cleared.len(), taken.len());
            prop_assert_eq!(cleared.stats(), taken.stats());
        }
    }

    #[test]
    fn buckets_stay_inside_the_storage(
        addr in any::<[u8; 16]>(),
        port in any::<u16>(),
        seed in any::<u64>(),
        len in prop_oneof![0usize..100, any::<usize>()],
    ) {
        let range = bucket(&Key { addr, port }, seed, len);
        prop_assert!(range.start <= range.end && range.end <= len);
        prop_assert!(range.len() <= WAYS);
        prop_assert_eq!(range.is_empty(), len == 0);
        prop_assert_eq!(range.start % WAYS, 0);
    }
}

#[test]
fn all_zero_bytes_are_a_free_entry() {
    let zero: CacheEntry = bytemuck::Zeroable::zeroed();
    assert_eq!(zero, CacheEntry::default());
    assert!(!zero.in_use());
    assert!(!zero.is_live(0));
    assert_eq!(
        (zero.endpoint(), zero.addr(), zero.source()),
        (None, None, None)
    );
    let cache = EndpointCache::from_free([zero; 16], config());
    assert!(cache.is_empty());
    assert_eq!(cache.iter().count(), 0);
    assert_eq!(cache.lookup(v4(192, 0, 2, 7, 51413), 0), None);
}

/// The embedder's API: query without counting, insert with an expiry, export, forget.
#[test]
fn query_insert_export_forget() {
    let mut cache = EndpointCache::new([CacheEntry::default(); 16], config());
    let peer = v4(192, 0, 2, 7, 51413);
    assert!(cache.insert(peer, EndpointSource::Pex, 500, 10));
    assert!(
        !cache.insert(v4(192, 0, 2, 8, 1), EndpointSource::Pex, 10, 10),
        "already expired"
    );
    assert!(
        !cache.insert(v4(192, 0, 2, 9, 0), EndpointSource::Pex, 500, 10),
        "not a peer"
    );
    let e = cache.entry(peer, 10).unwrap();
    assert_eq!(
        (e.endpoint(), e.source(), e.expires_ns()),
        (Some(peer), Some(EndpointSource::Pex), 500)
    );
    assert_eq!(cache.entry(peer, 500), None, "expired at its expiry");
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses), (0, 0), "entry() counts nothing");
    // An import never shortens a live entry.
    cache.learn(peer, EndpointSource::Tracker, 10);
    assert!(cache.insert(peer, EndpointSource::Dht, 20, 15));
    assert_eq!(cache.entry(peer, 15).unwrap().expires_ns(), 10 + TTL);
    // Export to another cache and back.
    let mut other = EndpointCache::new([CacheEntry::default(); 8], config());
    for e in cache.live(15) {
        other.insert(
            e.endpoint().unwrap(),
            e.source().unwrap(),
            e.expires_ns(),
            15,
        );
    }
    assert_eq!(other.entry(peer, 15), cache.entry(peer, 15));
    assert!(cache.forget(peer));
    assert!(!cache.forget(peer));
    assert_eq!(cache.live(15).count(), 0);
}

#[test]
fn every_endpoint_source_is_listed_once_by_number() {
    use crate::observer::EndpointSource;
    for (i, source) in EndpointSource::ALL.iter().enumerate() {
        assert_eq!(*source as usize, i + 1);
        assert_eq!(EndpointSource::from_number(*source as u8), Some(*source));
    }
    assert_eq!(EndpointSource::from_number(0), None);
    assert_eq!(EndpointSource::from_number(8), None);
    assert_eq!(EndpointSource::from_number(u8::MAX), None);
}
