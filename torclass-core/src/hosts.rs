//! [`HostCache`]: hosts with conclusive BitTorrent activity in the last minutes, over
//! caller-provided storage, for corroboration across flows.
//!
//! A host that runs a BitTorrent client shows it in cleartext sooner or later: DHT traffic
//! (BEP 5), a tracker announce (BEP 3, BEP 15), a plaintext handshake (BEP 3), uTP (BEP 29), an
//! LSD announcement (BEP 14). Its encrypted peer connections (MSE/PE) show only the shape of a
//! key exchange, which other random-looking protocols share. A flow with an end in this cache
//! gets [`Evidence::BITTORRENT_HOST`](crate::Evidence::BITTORRENT_HOST), which corroborates an
//! MSE shape exactly as a learned peer endpoint does (see [`crate::flow`]), and nothing else:
//! web, TLS, SSH or DNS between the same hosts is read as it would be without it, so the
//! evidence cannot turn an ordinary flow into BitTorrent.
//!
//! A host learned after an encrypted flow started still counts for it: a flow table asks
//! again, at the flow's next packet, for a flow whose MSE shape awaits corroboration when the
//! cache learned a host since it last asked ([`CacheStats::learned`] changed; late
//! corroboration, see [`crate::table`]). The activity must come before one of the flow's
//! packets: the end of a flow asks nothing.
//!
//! ## What is learned
//! A [`FlowTable`](crate::FlowTable) fed through
//! [`process_learning`](crate::FlowTable::process_learning) with a host cache learns, the moment
//! a flow becomes [confirmed alone](crate::FlowClassifier::confirmed_alone):
//! - both ends of a peer wire (plaintext), uTP or DHT flow;
//! - the client end (the initiator) of an HTTP or UDP tracker flow (the tracker is a server
//!   that talks to everyone);
//! - the sender of an LSD announcement.
//!
//! Encrypted peer wire is *not* learned from, nor any flow that only corroboration confirmed
//! (a uTP flow by a run of MSE-shaped DATA or a lone SYN, see
//! [`FlowClassifier::confirmed_alone`](crate::FlowClassifier::confirmed_alone)): learning from
//! them would let one wrong corroboration spread from host to host. Magnet links are content,
//! not activity.
//!
//! An address is a host here, whatever the port; behind a NAT or on a multi-user machine one
//! BitTorrent user makes the shared address a BitTorrent host for everyone behind it, which is
//! why the evidence only ever confirms the MSE shape and never decides anything alone.
//!
//! ## Storage, lookup, time to live, eviction
//! The same as [`EndpointCache`]'s (it is one in host mode: entries of [`CacheEntry::SIZE`]
//! bytes with port 0, buckets of [`WAYS`](crate::endpoints::WAYS), at most that many entries
//! compared per operation), with [`HOST_TTL_NS`] as the default time to live: "the last
//! minutes". Unspecified, multicast and broadcast addresses are never learned. Nothing here
//! allocates or panics.

use core::net::IpAddr;

use crate::endpoints::{host_key, CacheConfig, CacheEntry, CacheStats, EndpointCache};
use crate::observer::EndpointSource;

/// Default time to live of a BitTorrent host: 10 minutes, longer than a client's DHT
/// maintenance interval (BEP 5 refreshes buckets every 15 minutes, but a running client sends
/// queries every few seconds) and shorter than an address's typical reassignment.
pub const HOST_TTL_NS: u64 = 10 * 60 * 1_000_000_000;

impl CacheConfig {
    /// The default settings of a [`HostCache`]: [`HOST_TTL_NS`] and a fixed seed (pick one at
    /// random in a deployment).
    #[must_use]
    pub const fn hosts() -> Self {
        Self {
            ttl_ns: HOST_TTL_NS,
            seed: 0x4057_5eed_b170_5eed,
        }
    }
}

/// Hosts with conclusive BitTorrent activity over caller-provided storage `S` (a
/// `&mut [CacheEntry]`, an array, or any owner of entries such as a boxed slice); see the
/// module docs.
///
/// Lookups count hits and misses through `&self`, so the cache is `Send` but not `Sync`.
pub struct HostCache<S> {
    cache: EndpointCache<S>,
}

impl<S: AsRef<[CacheEntry]> + AsMut<[CacheEntry]>> HostCache<S> {
    /// A cache over `storage` (its entries are cleared), usually with [`CacheConfig::hosts`].
    pub fn new(storage: S, config: CacheConfig) -> Self {
        Self {
            cache: EndpointCache::new(storage, config),
        }
    }

    /// A cache over `storage` whose entries are all free already (all-zero bytes), not
    /// visited: [`EndpointCache::from_free`].
    pub fn from_free(storage: S, config: CacheConfig) -> Self {
        Self {
            cache: EndpointCache::from_free(storage, config),
        }
    }

    /// The cache's settings.
    pub fn config(&self) -> &CacheConfig {
        self.cache.config()
    }

    /// Learn at `now_ns` that `host` showed conclusive BitTorrent activity (`source` says how:
    /// [`EndpointSource::Flow`] for a confirmed flow, [`EndpointSource::Lsd`] for an LSD
    /// sender), or refresh it.
    pub fn learn(&mut self, host: IpAddr, source: EndpointSource, now_ns: u64) {
        let expires_ns = now_ns.saturating_add(self.cache.config().ttl_ns);
        self.cache.store(host_key(host), source, expires_ns, now_ns);
    }

    /// Store `host` until `expires_ns`, as [`EndpointCache::insert`] does; returns whether
    /// the host is live in the cache at `now_ns` afterwards.
    pub fn insert(
        &mut self,
        host: IpAddr,
        source: EndpointSource,
        expires_ns: u64,
        now_ns: u64,
    ) -> bool {
        if expires_ns <= now_ns {
            return false;
        }
        self.cache.store(host_key(host), source, expires_ns, now_ns);
        self.entry(host, now_ns).is_some()
    }

    /// How `host` was learned last, if it is live in the cache at `now_ns` (counts a hit or
    /// a miss).
    pub fn lookup(&self, host: IpAddr, now_ns: u64) -> Option<EndpointSource> {
        self.cache.lookup_key(host_key(host), now_ns)
    }

    /// The entry of `host` if it is live at `now_ns` (counts nothing).
    pub fn entry(&self, host: IpAddr, now_ns: u64) -> Option<CacheEntry> {
        self.cache.entry_of(&host_key(host)?, now_ns)
    }

    /// Drop `host`, live or expired; returns whether it was there.
    pub fn forget(&mut self, host: IpAddr) -> bool {
        self.cache.forget_key(host_key(host))
    }

    /// Free every entry expired at `now_ns`; returns how many. Visits the whole storage.
    pub fn sweep(&mut self, now_ns: u64) -> usize {
        self.cache.sweep(now_ns)
    }

    /// Entries in use, expired ones not yet swept or reused included.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Whether no entry is in use.
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }

    /// Number of entries of the storage.
    pub fn capacity(&self) -> usize {
        self.cache.capacity()
    }

    /// The entries in use, live or expired, in storage order ([`CacheEntry::addr`] is the
    /// host).
    pub fn iter(&self) -> impl Iterator<Item = &CacheEntry> {
        self.cache.iter()
    }

    /// The entries live at `now_ns`, in storage order. Visits the whole storage.
    pub fn live(&self, now_ns: u64) -> impl Iterator<Item = &CacheEntry> {
        self.cache.live(now_ns)
    }

    /// The cache's counters.
    pub fn stats(&self) -> CacheStats {
        self.cache.stats()
    }
}

mod snapshot;

#[cfg(test)]
mod tests;
