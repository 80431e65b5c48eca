//! [`Engine`]: one queue's classifier — a flow table and an endpoint cache of its own — and the
//! policy that turns verdicts into [`Decision`]s. It knows nothing of NFQUEUE: it takes IP
//! packets and a clock, so the tests replay captures through it.
//!
//! A packet gets, in this order:
//! - accepted if it is not TCP or UDP over IP, or a later fragment (nothing to read);
//! - the accept mark if either end is allow-listed (the kernel lets the connection through);
//! - the drop mark if its flow is BitTorrent at a level the policy blocks (the kernel drops the
//!   rest of the connection), or, with `--dry-run`, the accept mark — either way the flow is
//!   logged once;
//! - the accept mark if it ends the reading of a TCP flow that is not BitTorrent;
//! - accepted otherwise (the flow goes on being read while the kernel queues it).

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use torclass_core::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use torclass_core::hosts::HostCache;
use torclass_core::observer::EndpointSource;
use torclass_core::packet::{self, DecodeError};
use torclass_core::table::{FlowTable, Held, Slot, TableConfig};
use torclass_core::{Direction, Metadata, Protocol, Transport, Verdict};

use super::event::BlockEvent;
use super::metrics::Metrics;
use super::nfq::{Decision, Handler};
use super::policy::{KnownPeers, Policy};

/// Where blocked flows go.
pub type Sink = Box<dyn FnMut(&BlockEvent) + Send>;

/// A peer endpoint for the kernel's known-peer set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownPeer {
    /// The endpoint.
    pub endpoint: SocketAddr,
    /// Seconds it stays in the set.
    pub timeout_s: u64,
}

/// What one queue learned that the other queues should know: peer endpoints and BitTorrent
/// hosts, with where they were learned and when they expire. The kernel spreads connections
/// over the queues by their addresses, so a tracker reply and the encrypted connection to a
/// peer it names usually go to different queues.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Learned {
    /// Peer endpoints.
    pub endpoints: Vec<(SocketAddr, EndpointSource, u64)>,
    /// Hosts with conclusive BitTorrent activity.
    pub hosts: Vec<(IpAddr, EndpointSource, u64)>,
}

impl Learned {
    /// True when there is nothing to share.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty() && self.hosts.is_empty()
    }
}

/// Share an entry again when its expiry moved this much past the one shared.
const RESHARE_NS: u64 = 60 * 1_000_000_000;

/// Sizes and marks of an engine.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    /// The queue number (for logs and counters).
    pub queue: u16,
    /// Flow table slots.
    pub flows: usize,
    /// Endpoint cache entries.
    pub endpoints: usize,
    /// Idle timeout of open TCP flows, ns.
    pub tcp_idle_ns: u64,
    /// Idle timeout of UDP flows, ns.
    pub udp_idle_ns: u64,
    /// Longest a known peer stays in the kernel set, s.
    pub known_peer_timeout_s: u64,
    /// Connection mark of decided connections.
    pub mark_accept: u32,
    /// Connection mark of blocked connections.
    pub mark_drop: u32,
    /// Seeds of the table and cache hashes.
    pub seed: u64,
}

/// Entries of each queue's out-of-order store (early segments of undecided TCP flows, read
/// in order once the gap fills).
const REORDER: usize = 1 << 11;
/// Entries of each queue's cache of hosts with conclusive BitTorrent activity.
const HOSTS: usize = 1 << 12;
/// Fraction of the table the timer visits per tick (a full sweep every this many ticks).
const EXPIRE_TICKS: usize = 4;

/// A queue's flow table: boxed slots and out-of-order store.
type Table = FlowTable<Box<[Slot<Metadata>]>, Metadata, Box<[Held]>>;

/// One queue's classifier and policy.
pub struct Engine {
    config: EngineConfig,
    table: Table,
    cache: EndpointCache<Box<[CacheEntry]>>,
    hosts: HostCache<Box<[CacheEntry]>>,
    policy: Arc<Policy>,
    metrics: Arc<Metrics>,
    sink: Sink,
    /// Numbers of the flows in the table already logged as blocked.
    logged: HashSet<u64>,
    /// Known peers handed to the kernel set, with the instant their entry there ends.
    exported: HashMap<SocketAddr, u64>,
    /// Peer endpoints of flows blocked since the last tick.
    blocked_peers: Vec<SocketAddr>,
    /// Endpoints and hosts shared with (or imported from) the other queues, with their expiry.
    shared_endpoints: HashMap<SocketAddr, u64>,
    shared_hosts: HashMap<IpAddr, u64>,
}

impl Engine {
    /// An engine with empty table and cache.
    pub fn new(
        config: EngineConfig,
        policy: Arc<Policy>,
        metrics: Arc<Metrics>,
        sink: Sink,
    ) -> Self {
        let slots = vec![Slot::default(); config.flows.max(1)].into_boxed_slice();
        let entries = vec![CacheEntry::default(); config.endpoints].into_boxed_slice();
        let hosts = vec![CacheEntry::default(); HOSTS].into_boxed_slice();
        let store = vec![Held::default(); REORDER].into_boxed_slice();
        let table = TableConfig::new()
            .with_tcp_idle_ns(config.tcp_idle_ns)
            .with_udp_idle_ns(config.udp_idle_ns)
            .with_seed(config.seed);
        let cache =
            CacheConfig::new().with_seed(config.seed.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15);
        let host_cache =
            CacheConfig::hosts().with_seed(config.seed.rotate_left(41) ^ 0x2545_f491_4f6c_dd1d);
        if let Some(c) = metrics.queue(config.queue) {
            c.slots.store(config.flows.max(1) as u64, Relaxed);
        }
        Self {
            config,
            table: FlowTable::with_reorder(slots, store, table),
            cache: EndpointCache::new(entries, cache),
            hosts: HostCache::new(hosts, host_cache),
            policy,
            metrics,
            sink,
            logged: HashSet::new(),
            exported: HashMap::new(),
            shared_endpoints: HashMap::new(),
            shared_hosts: HashMap::new(),
            blocked_peers: Vec::new(),
        }
    }

    /// Use `policy` from now on (SIGHUP). Known peers are exported again under it (the
    /// reload may have emptied the kernel sets).
    pub fn set_policy(&mut self, policy: Arc<Policy>) {
        self.policy = policy;
        self.exported.clear();
    }

    /// Decide one IP packet seen at `now_ns` (ns since the epoch).
    pub fn packet_at(&mut self, ip: &[u8], now_ns: u64) -> Decision {
        let decision = self.decide(ip, now_ns);
        let Some(c) = self.metrics.queue(self.config.queue) else {
            return decision;
        };
        c.packets.fetch_add(1, Relaxed);
        c.bytes.fetch_add(ip.len() as u64, Relaxed);
        let counter = match decision {
            Decision::Accept => &c.accepted,
            Decision::Mark(m) if m == self.config.mark_drop => &c.marked_drop,
            Decision::Mark(_) => &c.marked_accept,
        };
        counter.fetch_add(1, Relaxed);
        decision
    }

    fn decide(&mut self, ip: &[u8], now_ns: u64) -> Decision {
        let c = self.metrics.queue(self.config.queue);
        let count = |f: fn(&super::metrics::QueueCounters) -> &std::sync::atomic::AtomicU64| {
            if let Some(c) = c {
                f(c).fetch_add(1, Relaxed);
            }
        };
        let p = match packet::decode_ip(ip) {
            Ok(p) => p,
            Err(DecodeError::LaterFragment { .. } | DecodeError::Unsupported { .. }) => {
                count(|c| &c.unsupported);
                return Decision::Accept;
            }
            Err(_) => {
                count(|c| &c.malformed);
                return Decision::Accept;
            }
        };
        let accept = Decision::Mark(self.config.mark_accept);
        if self.policy.allowed(p.key.src.addr, p.key.dst.addr) {
            count(|c| &c.allowed);
            return accept;
        }
        let logged = &mut self.logged;
        let mut learn = (&mut self.cache, &mut self.hosts);
        let outcome = self.table.process_learning(&p, now_ns, &mut learn, |slot| {
            logged.remove(&slot.number());
        });
        let Ok(outcome) = outcome else {
            count(|c| &c.errors);
            return Decision::Accept;
        };
        let Some(slot) = self.table.get(outcome.slot) else {
            return Decision::Accept;
        };
        match outcome.verdict {
            Verdict::BitTorrent(d) => {
                if outcome.changed {
                    if let Some(c) = c {
                        c.detection(d.protocol, d.confidence);
                    }
                }
                if !self.policy.rules.blocks(&d) {
                    return Decision::Accept;
                }
                // A tracker request decides its flow at once, but it still goes out: the
                // tracker's reply is read (the peers it names go to the endpoint cache, which
                // confirms encrypted flows to them) and dropped, so the client learns no peers
                // either way.
                if d.protocol == Protocol::HttpTracker && slot.bytes_from(Direction::Responder) == 0
                {
                    return Decision::Accept;
                }
                if self.logged.insert(slot.number()) {
                    if let Some(c) = c {
                        c.blocked(d.protocol);
                    }
                    let record = torclass_capture::record(slot);
                    let event = BlockEvent {
                        time_ns: now_ns,
                        queue: self.config.queue,
                        dry_run: self.policy.dry_run,
                        user: self.policy.user(record.src, record.dst),
                        record,
                    };
                    (self.sink)(&event);
                    let key = slot.key();
                    match d.protocol {
                        Protocol::PeerWire | Protocol::PeerWireEncrypted => {
                            self.blocked_peers.push(key.dst.into());
                        }
                        Protocol::Utp | Protocol::Dht => {
                            self.blocked_peers
                                .extend([SocketAddr::from(key.src), key.dst.into()]);
                        }
                        _ => {}
                    }
                }
                if self.policy.dry_run {
                    accept
                } else {
                    Decision::Mark(self.config.mark_drop)
                }
            }
            Verdict::NotBitTorrent => {
                if outcome.changed {
                    count(|c| &c.not_bittorrent);
                }
                if slot.key().transport == Transport::Tcp && slot.classifier().is_done() {
                    // The kernel lets the rest through by its mark: the flow lingers as
                    // closed (packets already queued still find it), then frees its slot.
                    self.table.finish(outcome.handle);
                    accept
                } else {
                    Decision::Accept
                }
            }
            Verdict::Undecided => Decision::Accept,
        }
    }

    /// The live endpoints and hosts this queue learned since it last shared (or that it now
    /// holds for a minute longer than it shared), for the other queues.
    pub fn learned(&mut self, now_ns: u64) -> Learned {
        let mut out = Learned::default();
        let cap = 4 * (self.cache.capacity() + HOSTS);
        if self.shared_endpoints.len() + self.shared_hosts.len() > cap {
            // Bounded: forgetting costs only sharing some entries again.
            self.shared_endpoints.clear();
            self.shared_hosts.clear();
        }
        self.shared_endpoints.retain(|_, until| *until > now_ns);
        self.shared_hosts.retain(|_, until| *until > now_ns);
        for e in self.cache.live(now_ns) {
            let (Some(endpoint), Some(source)) = (e.endpoint(), e.source()) else {
                continue;
            };
            let shared = self.shared_endpoints.entry(endpoint).or_insert(0);
            if e.expires_ns() > shared.saturating_add(RESHARE_NS) {
                *shared = e.expires_ns();
                out.endpoints.push((endpoint, source, e.expires_ns()));
            }
        }
        for e in self.hosts.live(now_ns) {
            let (Some(host), Some(source)) = (e.addr(), e.source()) else {
                continue;
            };
            let shared = self.shared_hosts.entry(host).or_insert(0);
            if e.expires_ns() > shared.saturating_add(RESHARE_NS) {
                *shared = e.expires_ns();
                out.hosts.push((host, source, e.expires_ns()));
            }
        }
        out
    }

    /// Take what another queue learned.
    pub fn import(&mut self, learned: &Learned, now_ns: u64) {
        for &(endpoint, source, expires) in &learned.endpoints {
            self.cache.insert(endpoint, source, expires, now_ns);
            let shared = self.shared_endpoints.entry(endpoint).or_insert(0);
            *shared = (*shared).max(expires);
        }
        for &(host, source, expires) in &learned.hosts {
            self.hosts.insert(host, source, expires, now_ns);
            let shared = self.shared_hosts.entry(host).or_insert(0);
            *shared = (*shared).max(expires);
        }
    }

    /// Work done once a second or so: end idle flows, drop expired endpoints, publish the
    /// table's and cache's counters, and return the known peers to add to the kernel set.
    pub fn tick(&mut self, now_ns: u64) -> Vec<KnownPeer> {
        let logged = &mut self.logged;
        let visit = self.table.capacity().div_ceil(EXPIRE_TICKS);
        self.table.expire(now_ns, visit, |slot| {
            logged.remove(&slot.number());
        });
        self.cache.sweep(now_ns);
        self.hosts.sweep(now_ns);
        if let Some(c) = self.metrics.queue(self.config.queue) {
            let t = self.table.stats();
            c.flows_created.store(t.flows, Relaxed);
            c.flows_evicted.store(t.evicted_active, Relaxed);
            c.flows_expired.store(t.evicted_idle, Relaxed);
            c.flows_reused.store(t.reused, Relaxed);
            let ended = [t.evicted_active, t.evicted_idle, t.reused, t.removed];
            c.flows.store(
                ended.iter().fold(t.flows, |n, e| n.saturating_sub(*e)),
                Relaxed,
            );
            c.bittorrent_hosts.store(self.hosts.len() as u64, Relaxed);
            c.endpoints.store(self.cache.len() as u64, Relaxed);
            c.endpoints_learned
                .store(self.cache.stats().learned, Relaxed);
        }
        self.known_peers(now_ns)
    }

    /// The known peers the policy exports that are not in the kernel set: the peers of the
    /// flows blocked since the last tick, and with `known-peers = all` the live cache entries
    /// (an entry in the set is not refreshed: once it times out, the endpoint is exported
    /// again if it is seen again). None with `--dry-run`.
    fn known_peers(&mut self, now_ns: u64) -> Vec<KnownPeer> {
        self.exported.retain(|_, until| *until > now_ns);
        let blocked = std::mem::take(&mut self.blocked_peers);
        let policy = &self.policy;
        if policy.dry_run || policy.known_peers == KnownPeers::Off {
            return Vec::new();
        }
        let ttl_ns = self
            .config
            .known_peer_timeout_s
            .saturating_mul(1_000_000_000);
        let cached = self
            .cache
            .iter()
            .filter(|e| policy.known_peers == KnownPeers::All && e.is_live(now_ns))
            .filter_map(|e| {
                Some((
                    e.endpoint()?,
                    e.expires_ns().min(now_ns.saturating_add(ttl_ns)),
                ))
            });
        let candidates: Vec<(SocketAddr, u64)> = blocked
            .into_iter()
            .map(|e| (e, now_ns.saturating_add(ttl_ns)))
            .chain(cached)
            .collect();
        let mut out = Vec::new();
        for (endpoint, until) in candidates {
            if endpoint.port() < policy.known_peer_min_port
                || policy.allow.contains(endpoint.ip())
                || self.exported.contains_key(&endpoint)
            {
                continue;
            }
            self.exported.insert(endpoint, until);
            out.push(KnownPeer {
                endpoint,
                timeout_s: until.saturating_sub(now_ns).div_ceil(1_000_000_000).max(1),
            });
        }
        out
    }

    /// Flows in the table.
    #[cfg(test)]
    pub fn flows(&self) -> usize {
        self.table.iter().count()
    }
}

impl Handler for Engine {
    fn packet(&mut self, ip: &[u8]) -> Decision {
        self.packet_at(ip, now_ns())
    }
}

/// The wall clock, ns since the epoch (the flow records' timestamps).
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests;
