//! [`EndpointCache`]: peer endpoints (address and port) that BitTorrent traffic revealed, kept
//! for a while over caller-provided storage so that later flows to or from them, encrypted ones
//! included, can be recognised.
//!
//! BitTorrent hands out peer endpoints in cleartext: tracker replies (BEP 3 `peers`, BEP 23
//! compact `peers`, BEP 7 `peers6`, BEP 15 announce replies), DHT `values` and `announce_peer`
//! (BEP 5), PEX `added`/`added6` (BEP 11), LSD announcements (BEP 14), the extension handshake's
//! `p` (BEP 10), and the endpoints of flows already confirmed as BitTorrent. A peer learned there
//! is likely to be contacted soon, often over MSE/PE, whose bytes look random.
//!
//! ## What is learned
//! An endpoint is an IP address and a port. IPv4 addresses are stored as IPv4-mapped IPv6
//! addresses (`::ffff:a.b.c.d`), so `a.b.c.d:p` and `[::ffff:a.b.c.d]:p` are one endpoint. The
//! IPv6 flow label and scope id are not part of it.
//!
//! Never learned (counted in [`CacheStats::rejected`]), because they are not peers one can
//! connect to and would only make unrelated traffic look known:
//! - port 0, which no peer listens on;
//! - the unspecified address (`0.0.0.0`, `::`), which names no host;
//! - multicast (`224.0.0.0/4`, `ff00::/8`) and the IPv4 broadcast address `255.255.255.255`,
//!   which name groups of hosts (the LSD group among them), not a peer.
//!
//! ## Storage and lookup
//! The storage is a slice of [`CacheEntry`] ([`CacheEntry::SIZE`] bytes each) the caller owns,
//! cut into buckets of [`WAYS`] consecutive entries (the last bucket is shorter when the length
//! is not a multiple of [`WAYS`]). An endpoint lives only in the bucket its seeded hash picks,
//! so learning, looking up and forgetting compare at most [`WAYS`] entries whatever the fill.
//! [`EndpointCache::sweep`] is the one operation that visits every entry.
//!
//! ## Time to live
//! Time is the caller's clock in nanoseconds ([`CacheConfig::ttl_ns`]). Learning an endpoint at
//! `now` makes it live until `now + ttl` (saturating); learning it again while it is live
//! refreshes it to the later of its old expiry and `now + ttl`, and it then reports the source
//! that named it last. A lookup does not extend the time to live. An expired entry is never
//! reported, keeps its place until it is reused or swept, and still counts in
//! [`EndpointCache::len`].
//!
//! Keeping the clock monotonic is the caller's job. A clock that goes backwards breaks nothing:
//! all arithmetic saturates, an entry is live while `now < expiry`, and refreshing never
//! shortens an expiry, so going back in time can only keep entries longer.
//!
//! ## Eviction
//! A new endpoint takes, in its bucket, in this order of preference:
//! 1. a free entry;
//! 2. an expired entry (counted in [`CacheStats::expired`]), the one that expired first;
//! 3. the live entry closest to its expiry (counted in [`CacheStats::evicted_live`]),
//!    the first in the bucket on a tie.
//!
//! The cache thus always takes the newest information and drops the oldest. Someone who
//! controls what the cache learns (a hostile tracker or DHT node handing out many endpoints)
//! can push out entries only in the buckets their endpoints hash to; choose
//! [`CacheConfig::seed`] at random so that they cannot aim at one bucket. With zero-length
//! storage the cache learns nothing and every lookup misses.
//!
//! ## For embedders
//! [`EndpointCache::lookup`] is what classification uses (it counts hits and misses);
//! [`EndpointCache::entry`] queries without counting (a firewall deciding on a SYN to a known
//! peer); [`EndpointCache::learn`] and [`EndpointCache::insert`] (with an explicit expiry)
//! add; [`EndpointCache::live`] exports the live entries with their expiries (to an nftables
//! set with timeouts, say, or to [`EndpointCache::insert`] of another cache);
//! [`EndpointCache::forget`] drops one; [`EndpointCache::stats`], [`EndpointCache::len`] and
//! [`EndpointCache::capacity`] say how full it is. A flow table's flows show a hit as
//! [`crate::Evidence::KNOWN_ENDPOINT`] from their first packet, while undecided.
//!
//! Nothing here allocates or panics, on any input.

use core::cell::Cell;
use core::net::{IpAddr, Ipv6Addr, SocketAddr};
use core::ops::Range;

use crate::observer::EndpointSource;

/// Entries per bucket: the most any learn, lookup or forget compares.
pub const WAYS: usize = 8;

/// One cache entry: an endpoint, where it was learned and when it expires, in
/// [`CacheEntry::SIZE`] (32) bytes.
///
/// An entry of all-zero bytes is a free entry (it is [`CacheEntry::default`]): storage taken
/// zeroed from the allocator (`calloc`, `alloc_zeroed`, with the `bytemuck` feature
/// `bytemuck::zeroed_slice_box`) is an empty cache as it stands, for
/// [`EndpointCache::from_free`], and its pages are touched only as endpoints are learned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "bytemuck", derive(bytemuck::Zeroable))]
pub struct CacheEntry {
    /// Instant (caller's clock, ns) from which the entry is no longer reported.
    expires_ns: u64,
    /// The address; IPv4 as an IPv4-mapped IPv6 address.
    addr: [u8; 16],
    port: u16,
    /// Where the endpoint was learned last, as its [`EndpointSource`] number (they start at
    /// 1); 0 marks a free entry.
    source: u8,
}

const _: () = assert!(CacheEntry::SIZE <= 32, "CacheEntry grew past 32 bytes");

impl CacheEntry {
    /// Size of one entry in bytes, to size storage by memory budget.
    pub const SIZE: usize = core::mem::size_of::<Self>();

    /// Whether the entry holds an endpoint (live or expired).
    pub fn in_use(&self) -> bool {
        self.source != 0
    }

    /// The endpoint held, if any: IPv4-mapped addresses come back as [`SocketAddr::V4`]. The
    /// port is 0 in a [`crate::hosts::HostCache`].
    pub fn endpoint(&self) -> Option<SocketAddr> {
        Some(SocketAddr::new(self.addr()?, self.port))
    }

    /// The address held, if any: IPv4-mapped addresses come back as [`IpAddr::V4`].
    pub fn addr(&self) -> Option<IpAddr> {
        self.source()?;
        let v6 = Ipv6Addr::from(self.addr);
        Some(match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        })
    }

    /// Where the endpoint was learned last, if the entry is in use.
    pub fn source(&self) -> Option<EndpointSource> {
        EndpointSource::from_number(self.source)
    }

    /// Instant (caller's clock, ns) from which the entry is no longer reported.
    pub fn expires_ns(&self) -> u64 {
        self.expires_ns
    }

    /// Whether the entry holds an endpoint that has not expired at `now_ns`.
    pub fn is_live(&self, now_ns: u64) -> bool {
        self.in_use() && now_ns < self.expires_ns
    }

    fn holds(&self, key: &Key) -> bool {
        self.in_use() && self.addr == key.addr && self.port == key.port
    }
}

/// Settings of an [`EndpointCache`] (or a [`HostCache`](crate::HostCache)).
///
/// It may gain fields: build it from [`CacheConfig::new`] (or `Default`, or
/// [`CacheConfig::hosts`]) and the `with_` setters, or assign the public fields of one.
///
/// ```
/// use torclass_core::CacheConfig;
///
/// let config = CacheConfig::new().with_ttl_ns(5 * 60 * 1_000_000_000).with_seed(42);
/// assert_eq!(config.seed, 42);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheConfig {
    /// How long a learned endpoint is reported, in nanoseconds of the caller's clock.
    pub ttl_ns: u64,
    /// Seed of the bucket hash; pick it at random so that senders cannot aim at one bucket.
    pub seed: u64,
}

impl CacheConfig {
    /// A 30-minute time to live (the usual tracker re-announce interval) and a fixed seed
    /// (pick one at random in a deployment).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            ttl_ns: 30 * 60 * 1_000_000_000,
            seed: 0x0e4d_901c_7a5e_5eed,
        }
    }

    /// This configuration with `ttl_ns` set (how long a learned entry is reported).
    #[must_use]
    pub const fn with_ttl_ns(mut self, ttl_ns: u64) -> Self {
        self.ttl_ns = ttl_ns;
        self
    }

    /// This configuration with `seed` set (the bucket hash seed).
    #[must_use]
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

impl Default for CacheConfig {
    /// [`CacheConfig::new`].
    fn default() -> Self {
        Self::new()
    }
}

/// Counters of an [`EndpointCache`]; they saturate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct CacheStats {
    /// Endpoints stored that were not live in the cache.
    pub learned: u64,
    /// Learns of an endpoint that was live in the cache.
    pub refreshed: u64,
    /// Learns refused because the endpoint is not a peer (see the module docs).
    pub rejected: u64,
    /// Live entries replaced to make room (cache pressure).
    pub evicted_live: u64,
    /// Expired entries freed by [`EndpointCache::sweep`] or reused.
    pub expired: u64,
    /// Lookups that found a live entry.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
}

/// Peer endpoints over caller-provided storage `S` (a `&mut [CacheEntry]`, an array, or any
/// owner of entries such as a boxed slice); see the module docs for the policies.
///
/// Lookups count hits and misses through `&self`, so the cache is `Send` but not `Sync`.
///
/// ```
/// use torclass_core::observer::EndpointSource;
/// use torclass_core::{CacheConfig, CacheEntry, EndpointCache};
///
/// let mut entries = [CacheEntry::default(); 64];
/// let mut cache = EndpointCache::new(&mut entries[..], CacheConfig::default());
/// let peer = "192.0.2.7:51413".parse().unwrap();
/// cache.learn(peer, EndpointSource::Tracker, 0);
/// assert_eq!(cache.lookup(peer, 1), Some(EndpointSource::Tracker));
/// // Past the time to live (30 minutes by default) it is no longer reported.
/// assert_eq!(cache.lookup(peer, 31 * 60 * 1_000_000_000), None);
/// assert_eq!(cache.live(1).count(), 1);
/// assert!(cache.forget(peer));
/// ```
pub struct EndpointCache<S> {
    storage: S,
    config: CacheConfig,
    len: usize,
    stats: CacheStats,
    hits: Cell<u64>,
    misses: Cell<u64>,
}

/// A normalised endpoint (port 0 for a host, see [`crate::hosts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    addr: [u8; 16],
    port: u16,
}

/// The address as a host key (port 0), or `None` when it names no single host.
pub(crate) fn host_key(ip: IpAddr) -> Option<Key> {
    let v6 = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    let is_host = match v6.to_ipv4_mapped() {
        Some(v4) => !(v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast()),
        None => !(v6.is_unspecified() || v6.is_multicast()),
    };
    is_host.then_some(Key {
        addr: v6.octets(),
        port: 0,
    })
}

/// The endpoint as a cache key, or `None` when it is not a peer one can connect to.
fn peer_key(endpoint: SocketAddr) -> Option<Key> {
    let key = host_key(endpoint.ip())?;
    (endpoint.port() != 0).then_some(Key {
        port: endpoint.port(),
        ..key
    })
}

/// A 64-bit finaliser (SplitMix64's).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The entries of the bucket `key` belongs to in storage of `len` entries (empty when `len`
/// is zero).
fn bucket(key: &Key, seed: u64, len: usize) -> Range<usize> {
    let addr = u128::from_be_bytes(key.addr);
    let h = mix((addr as u64) ^ seed);
    let h = mix(h ^ ((addr >> 64) as u64) ^ seed.rotate_left(21));
    let h = mix(h ^ u64::from(key.port) ^ seed.rotate_left(42));
    let buckets = len.div_ceil(WAYS) as u64;
    let index = h.checked_rem(buckets).unwrap_or(0) as usize;
    let start = index.saturating_mul(WAYS).min(len);
    start..start.saturating_add(WAYS).min(len)
}

impl<S: AsRef<[CacheEntry]> + AsMut<[CacheEntry]>> EndpointCache<S> {
    /// A cache over `storage`; its entries are cleared.
    pub fn new(mut storage: S, config: CacheConfig) -> Self {
        storage.as_mut().fill(CacheEntry::default());
        Self::from_free(storage, config)
    }

    /// A cache over `storage` whose entries are all free already (all-zero bytes, as storage
    /// taken zeroed from the allocator is, or [`CacheEntry::default`]); unlike
    /// [`EndpointCache::new`] it does not visit them, so the memory is touched only as
    /// endpoints are learned. An entry in use in `storage` stays, as learned, but is not
    /// counted in [`EndpointCache::len`].
    pub fn from_free(storage: S, config: CacheConfig) -> Self {
        Self {
            storage,
            config,
            len: 0,
            stats: CacheStats::default(),
            hits: Cell::new(0),
            misses: Cell::new(0),
        }
    }

    /// The cache's settings.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// Learn that `source` named `endpoint` at `now_ns`: store it, or refresh its time to live
    /// if it is already there. Endpoints that are not peers are ignored; a full bucket makes
    /// room as the module docs say.
    pub fn learn(&mut self, endpoint: SocketAddr, source: EndpointSource, now_ns: u64) {
        let expires_ns = now_ns.saturating_add(self.config.ttl_ns);
        self.store(peer_key(endpoint), source, expires_ns, now_ns);
    }

    /// Store `endpoint` as named by `source` until `expires_ns` (caller's clock): the import
    /// of an [`EndpointCache::live`] export, or a peer the caller knows of itself. Like
    /// [`EndpointCache::learn`], except that the expiry is given: an entry already live keeps
    /// the later of its expiry and `expires_ns`. Returns whether the endpoint is live in the
    /// cache at `now_ns` afterwards (not if it is not a peer, the storage is empty, or
    /// `expires_ns <= now_ns`).
    pub fn insert(
        &mut self,
        endpoint: SocketAddr,
        source: EndpointSource,
        expires_ns: u64,
        now_ns: u64,
    ) -> bool {
        if expires_ns <= now_ns {
            return false;
        }
        let key = peer_key(endpoint);
        self.store(key, source, expires_ns, now_ns);
        key.is_some_and(|k| self.entry_of(&k, now_ns).is_some())
    }

    /// Store `key` (or count a rejection when there is none) until `expires_ns`.
    pub(crate) fn store(
        &mut self,
        key: Option<Key>,
        source: EndpointSource,
        expires_ns: u64,
        now_ns: u64,
    ) {
        let Some(key) = key else {
            self.stats.rejected = self.stats.rejected.saturating_add(1);
            return;
        };
        let entries = self.storage.as_mut();
        let range = bucket(&key, self.config.seed, entries.len());
        let Some(bucket) = entries.get_mut(range) else {
            return;
        };
        if let Some(entry) = bucket.iter_mut().find(|e| e.holds(&key)) {
            if entry.is_live(now_ns) {
                entry.expires_ns = entry.expires_ns.max(expires_ns);
                self.stats.refreshed = self.stats.refreshed.saturating_add(1);
            } else {
                entry.expires_ns = expires_ns;
                self.stats.expired = self.stats.expired.saturating_add(1);
                self.stats.learned = self.stats.learned.saturating_add(1);
            }
            entry.source = source as u8;
            return;
        }
        // Free entries first, then expired ones, then live ones, each soonest expiry first.
        let victim = bucket
            .iter_mut()
            .min_by_key(|e| match (e.in_use(), e.is_live(now_ns)) {
                (false, _) => (0, 0),
                (true, false) => (1, e.expires_ns),
                (true, true) => (2, e.expires_ns),
            });
        let Some(entry) = victim else {
            return;
        };
        if !entry.in_use() {
            self.len = self.len.saturating_add(1);
        } else if entry.is_live(now_ns) {
            self.stats.evicted_live = self.stats.evicted_live.saturating_add(1);
        } else {
            self.stats.expired = self.stats.expired.saturating_add(1);
        }
        *entry = CacheEntry {
            expires_ns,
            addr: key.addr,
            port: key.port,
            source: source as u8,
        };
        self.stats.learned = self.stats.learned.saturating_add(1);
    }

    /// Where `endpoint` was learned last, if it is in the cache and live at `now_ns`.
    pub fn lookup(&self, endpoint: SocketAddr, now_ns: u64) -> Option<EndpointSource> {
        self.lookup_key(peer_key(endpoint), now_ns)
    }

    /// The entry of `endpoint` (where it was learned last and when it expires), if it is in
    /// the cache and live at `now_ns`. Unlike [`EndpointCache::lookup`] it counts no hit or
    /// miss: it is for a caller inspecting the cache, not for classification.
    pub fn entry(&self, endpoint: SocketAddr, now_ns: u64) -> Option<CacheEntry> {
        self.entry_of(&peer_key(endpoint)?, now_ns)
    }

    /// The live entry of `key`, counting nothing.
    pub(crate) fn entry_of(&self, key: &Key, now_ns: u64) -> Option<CacheEntry> {
        self.find(key, now_ns).copied()
    }

    /// The live entry holding `key`.
    fn find(&self, key: &Key, now_ns: u64) -> Option<&CacheEntry> {
        let entries = self.storage.as_ref();
        let range = bucket(key, self.config.seed, entries.len());
        entries
            .get(range)?
            .iter()
            .find(|e| e.holds(key) && e.is_live(now_ns))
    }

    /// Where `key` was learned last, if live; counts a hit or a miss.
    pub(crate) fn lookup_key(&self, key: Option<Key>, now_ns: u64) -> Option<EndpointSource> {
        let found = key.and_then(|key| self.find(&key, now_ns)?.source());
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.set(counter.get().saturating_add(1));
        found
    }

    /// Drop `endpoint` from the cache, live or expired; returns whether it was there.
    pub fn forget(&mut self, endpoint: SocketAddr) -> bool {
        self.forget_key(peer_key(endpoint))
    }

    /// Drop `key`, live or expired; returns whether it was there.
    pub(crate) fn forget_key(&mut self, key: Option<Key>) -> bool {
        let Some(key) = key else {
            return false;
        };
        let entries = self.storage.as_mut();
        let range = bucket(&key, self.config.seed, entries.len());
        let found = entries
            .get_mut(range)
            .and_then(|b| b.iter_mut().find(|e| e.holds(&key)));
        let Some(entry) = found else {
            return false;
        };
        *entry = CacheEntry::default();
        self.len = self.len.saturating_sub(1);
        true
    }

    /// Free every entry expired at `now_ns`; returns how many. Visits the whole storage.
    pub fn sweep(&mut self, now_ns: u64) -> usize {
        let mut freed = 0usize;
        for entry in self.storage.as_mut().iter_mut() {
            if entry.in_use() && !entry.is_live(now_ns) {
                *entry = CacheEntry::default();
                freed = freed.saturating_add(1);
            }
        }
        self.len = self.len.saturating_sub(freed);
        self.stats.expired = self
            .stats
            .expired
            .saturating_add(u64::try_from(freed).unwrap_or(u64::MAX));
        freed
    }

    /// Entries in use, expired ones not yet swept or reused included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no entry is in use.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of entries of the storage.
    pub fn capacity(&self) -> usize {
        self.storage.as_ref().len()
    }

    /// The entries in use, live or expired, in storage order.
    pub fn iter(&self) -> impl Iterator<Item = &CacheEntry> {
        self.storage.as_ref().iter().filter(|e| e.in_use())
    }

    /// The entries live at `now_ns`, in storage order: the export that
    /// [`EndpointCache::insert`] imports (e.g. into another cache, or into a firewall's set of
    /// known peers with each entry's remaining time). Visits the whole storage.
    pub fn live(&self, now_ns: u64) -> impl Iterator<Item = &CacheEntry> {
        self.storage
            .as_ref()
            .iter()
            .filter(move |e| e.is_live(now_ns))
    }

    /// The cache's counters.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.get(),
            misses: self.misses.get(),
            ..self.stats
        }
    }
}

mod snapshot;

#[cfg(test)]
mod tests;
