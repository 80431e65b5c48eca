//! [`Learn`]: what a [`FlowTable`](super::FlowTable) learns from traffic and tells new flows,
//! across flows.
//!
//! [`FlowTable::process_learning`](super::FlowTable::process_learning) takes any `Learn`:
//! an [`EndpointCache`] (peer endpoints), a [`HostCache`] (BitTorrent hosts), both as a pair
//! `(&mut endpoints, &mut hosts)`, or the caller's own type (to mirror what is learned into a
//! firewall's set of known peers, say). A caller driving a [`FlowClassifier`] alone applies
//! the same rules with [`Learning`].

use core::net::{IpAddr, SocketAddr};

use crate::endpoints::{CacheEntry, EndpointCache};
use crate::flow::FlowClassifier;
use crate::hosts::HostCache;
use crate::observer::{EndpointSource, Field, NoObserver, Number, Observer};
use crate::packet::FlowKey;
use crate::verdict::{Direction, Evidence, Protocol};

/// Knowledge kept across flows.
pub trait Learn {
    /// The evidence earlier traffic gives a new flow with `key` at `now_ns`:
    /// [`Evidence::KNOWN_ENDPOINT`], [`Evidence::BITTORRENT_HOST`] or none.
    fn corroborate(&self, key: &FlowKey, now_ns: u64) -> Evidence;

    /// The traffic named a peer endpoint (a tracker reply, PEX, the DHT, LSD, or a port a peer
    /// announced for its own address).
    fn endpoint(&mut self, source: EndpointSource, endpoint: SocketAddr, now_ns: u64);

    /// The flow with `key` (`src` its initiator) just became `Confirmed` as `protocol`.
    fn confirmed(&mut self, key: &FlowKey, protocol: Protocol, now_ns: u64);

    /// A number that changes whenever [`Learn::corroborate`] may give evidence to a key it gave
    /// none before (something not live was learned), or `None` if the learner cannot tell
    /// (the default). A flow table asks again for a flow that awaits corroboration
    /// ([`FlowClassifier::awaits_corroboration`]) at a packet only when this changed since it
    /// last asked, or at each of its packets when it is `None` (late corroboration, see
    /// [`crate::table`]).
    fn generation(&self) -> Option<u64> {
        None
    }
}

/// Learns peer endpoints: every endpoint the traffic names, and the peers of confirmed flows:
/// both ends of uTP and DHT flows, the responder of peer wire flows (the initiator's port is
/// ephemeral), unless only corroboration confirmed the flow (see [`Learning::confirmed`]).
/// Trackers are not peers. A new flow to or from a learned endpoint gets
/// [`Evidence::KNOWN_ENDPOINT`].
impl<C: AsRef<[CacheEntry]> + AsMut<[CacheEntry]>> Learn for EndpointCache<C> {
    fn corroborate(&self, key: &FlowKey, now_ns: u64) -> Evidence {
        let known = self.lookup(key.dst.into(), now_ns).is_some()
            || self.lookup(key.src.into(), now_ns).is_some();
        if known {
            Evidence::KNOWN_ENDPOINT
        } else {
            Evidence::NONE
        }
    }

    fn endpoint(&mut self, source: EndpointSource, endpoint: SocketAddr, now_ns: u64) {
        self.learn(endpoint, source, now_ns);
    }

    fn confirmed(&mut self, key: &FlowKey, protocol: Protocol, now_ns: u64) {
        match protocol {
            Protocol::PeerWire | Protocol::PeerWireEncrypted => {
                self.learn(key.dst.into(), EndpointSource::Flow, now_ns);
            }
            Protocol::Utp | Protocol::Dht => {
                self.learn(key.src.into(), EndpointSource::Flow, now_ns);
                self.learn(key.dst.into(), EndpointSource::Flow, now_ns);
            }
            _ => {}
        }
    }

    /// Endpoints learned ([`CacheStats::learned`](crate::endpoints::CacheStats::learned)):
    /// refreshing a live one changes no answer.
    fn generation(&self) -> Option<u64> {
        Some(self.stats().learned)
    }
}

/// Learns BitTorrent hosts from confirmed flows, as [`crate::hosts`] says; a new flow with an
/// end in the cache gets [`Evidence::BITTORRENT_HOST`].
impl<H: AsRef<[CacheEntry]> + AsMut<[CacheEntry]>> Learn for HostCache<H> {
    fn corroborate(&self, key: &FlowKey, now_ns: u64) -> Evidence {
        let known = self.lookup(key.src.addr, now_ns).is_some()
            || self.lookup(key.dst.addr, now_ns).is_some();
        if known {
            Evidence::BITTORRENT_HOST
        } else {
            Evidence::NONE
        }
    }

    fn endpoint(&mut self, _: EndpointSource, _: SocketAddr, _: u64) {}

    fn confirmed(&mut self, key: &FlowKey, protocol: Protocol, now_ns: u64) {
        let (src, dst): (Option<IpAddr>, Option<IpAddr>) = match protocol {
            Protocol::PeerWire | Protocol::Utp | Protocol::Dht => {
                (Some(key.src.addr), Some(key.dst.addr))
            }
            Protocol::HttpTracker | Protocol::UdpTracker | Protocol::Lsd => {
                (Some(key.src.addr), None)
            }
            _ => (None, None),
        };
        let source = if protocol == Protocol::Lsd {
            EndpointSource::Lsd
        } else {
            EndpointSource::Flow
        };
        for host in [src, dst].into_iter().flatten() {
            self.learn(host, source, now_ns);
        }
    }

    /// Hosts learned ([`CacheStats::learned`](crate::endpoints::CacheStats::learned)).
    fn generation(&self) -> Option<u64> {
        Some(self.stats().learned)
    }
}

/// Both: the evidence of each, and each learns.
impl<A: Learn, B: Learn> Learn for (A, B) {
    fn corroborate(&self, key: &FlowKey, now_ns: u64) -> Evidence {
        self.0.corroborate(key, now_ns) | self.1.corroborate(key, now_ns)
    }

    fn endpoint(&mut self, source: EndpointSource, endpoint: SocketAddr, now_ns: u64) {
        self.0.endpoint(source, endpoint, now_ns);
        self.1.endpoint(source, endpoint, now_ns);
    }

    fn confirmed(&mut self, key: &FlowKey, protocol: Protocol, now_ns: u64) {
        self.0.confirmed(key, protocol, now_ns);
        self.1.confirmed(key, protocol, now_ns);
    }

    /// The sum of both (each only grows, so the sum changes when either does).
    fn generation(&self) -> Option<u64> {
        Some(self.0.generation()?.wrapping_add(self.1.generation()?))
    }
}

/// Learns when present: an optional cache.
impl<T: Learn> Learn for Option<T> {
    fn corroborate(&self, key: &FlowKey, now_ns: u64) -> Evidence {
        self.as_ref()
            .map_or(Evidence::NONE, |l| l.corroborate(key, now_ns))
    }

    fn endpoint(&mut self, source: EndpointSource, endpoint: SocketAddr, now_ns: u64) {
        if let Some(l) = self {
            l.endpoint(source, endpoint, now_ns);
        }
    }

    fn confirmed(&mut self, key: &FlowKey, protocol: Protocol, now_ns: u64) {
        if let Some(l) = self {
            l.confirmed(key, protocol, now_ns);
        }
    }

    fn generation(&self) -> Option<u64> {
        self.as_ref().map_or(Some(0), Learn::generation)
    }
}

impl<T: Learn + ?Sized> Learn for &mut T {
    fn corroborate(&self, key: &FlowKey, now_ns: u64) -> Evidence {
        (**self).corroborate(key, now_ns)
    }

    fn endpoint(&mut self, source: EndpointSource, endpoint: SocketAddr, now_ns: u64) {
        (**self).endpoint(source, endpoint, now_ns);
    }

    fn confirmed(&mut self, key: &FlowKey, protocol: Protocol, now_ns: u64) {
        (**self).confirmed(key, protocol, now_ns);
    }

    fn generation(&self) -> Option<u64> {
        (**self).generation()
    }
}

/// Learns nothing (a table without caches).
pub(super) struct Nothing;

impl Learn for Nothing {
    fn corroborate(&self, _: &FlowKey, _: u64) -> Evidence {
        Evidence::NONE
    }
    fn endpoint(&mut self, _: EndpointSource, _: SocketAddr, _: u64) {}
    fn confirmed(&mut self, _: &FlowKey, _: Protocol, _: u64) {}
    fn generation(&self) -> Option<u64> {
        Some(0)
    }
}

/// The rules a [`FlowTable`](super::FlowTable) applies around each payload of a flow, for a
/// caller that drives a [`FlowClassifier`] alone: an [`Observer`] that hands the fields to
/// `meta` and every peer endpoint the traffic names to a [`Learn`]er, plus the two steps around
/// the feeding: [`Learning::corroborate`] when a flow starts (what earlier flows taught
/// confirms it), and again after a payload while [`FlowClassifier::awaits_corroboration`] if
/// the learner learned something since ([`Learn::generation`]; what a flow table does, late
/// corroboration), and [`Learning::confirmed`] after each payload (a flow that just became
/// [confirmed alone](FlowClassifier::confirmed_alone) teaches its peers: both ends of uTP and
/// DHT flows, the responder of peer wire, the endpoint asked of a proxy for a proxied stream).
///
/// Skipping them loses what makes encrypted flows conclusive: an MSE/PE key exchange is
/// confirmed by a known endpoint.
///
/// ```
/// use core::net::{IpAddr, Ipv4Addr, SocketAddr};
/// use torclass_core::{
///     CacheConfig, CacheEntry, Direction, Endpoint, EndpointCache, Evidence, FlowClassifier,
///     FlowKey, Learning, Metadata, Transport,
/// };
///
/// let mut cache = EndpointCache::new(vec![CacheEntry::default(); 64], CacheConfig::new());
/// let at = |last, port| Endpoint { addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)), port };
/// let key = FlowKey { transport: Transport::Udp, src: at(1, 6881), dst: at(2, 51413) };
/// let now = 1_000_000_000;
///
/// // A new flow: what earlier flows taught is evidence (nothing yet).
/// let mut flow = FlowClassifier::new(Transport::Udp);
/// let mut meta = Metadata::new();
/// Learning::corroborate(&cache, &mut flow, &key, now);
///
/// // Each payload: fed through the learning observer, then the flow's confirmation learned.
/// let ping = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
/// let before = flow.confirmed_alone();
/// let mut learning = Learning::new(&mut meta, &mut cache, key.src.addr, now);
/// flow.feed_with(Direction::Initiator, ping, &mut learning);
/// learning.confirmed(&key, &flow, before);
///
/// // A confirmed DHT flow taught both its ends ...
/// assert!(cache.lookup(SocketAddr::from(key.src), now).is_some());
/// assert!(cache.lookup(SocketAddr::from(key.dst), now).is_some());
///
/// // ... and a later flow to either of them starts with that evidence.
/// let tcp = FlowKey { transport: Transport::Tcp, src: at(3, 40000), dst: at(2, 51413) };
/// let mut next = FlowClassifier::new(Transport::Tcp);
/// Learning::corroborate(&cache, &mut next, &tcp, now);
/// assert!(next.evidence().contains(Evidence::KNOWN_ENDPOINT));
/// ```
pub struct Learning<'a, M: ?Sized, L: ?Sized> {
    meta: &'a mut M,
    learn: &'a mut L,
    /// The address that sent the payload being read (a listen port is announced for it).
    sender: IpAddr,
    now_ns: u64,
}

impl<'a, M: Observer + ?Sized, L: Learn + ?Sized> Learning<'a, M, L> {
    /// An observer for one payload sent by `sender` (the address whose listen port a BEP 10
    /// handshake announces) at `now_ns`: fields go to `meta`, endpoints also to `learn`.
    pub fn new(meta: &'a mut M, learn: &'a mut L, sender: IpAddr, now_ns: u64) -> Self {
        Self {
            meta,
            learn,
            sender,
            now_ns,
        }
    }

    /// After a payload of the flow `key` was fed to `flow` through this observer, `before` what
    /// [`FlowClassifier::confirmed_alone`] said before it: if the flow just became confirmed
    /// alone, `learn` learns its peers ([`Learn::confirmed`]); a proxied stream teaches only the
    /// endpoint its client asked the proxy for ([`Observer::proxy_peer`] of `meta`), never the
    /// proxy. A flow that only corroboration confirmed teaches nothing: otherwise one
    /// corroboration of a random protocol from a BitTorrent host (eMule's obfuscation, I2P's
    /// NTCP2: `negative-p2plike`; a game's first datagram shaped like a uTP SYN to a learned
    /// endpoint) would make its peer a known endpoint or host, and every later flow to it, from
    /// any host, conclusive (an unanswered first flight included), and so on from flow to flow.
    #[inline]
    pub fn confirmed(&mut self, key: &FlowKey, flow: &FlowClassifier, before: bool) {
        if !before && flow.confirmed_alone() {
            self.teach(key, flow);
        }
    }

    /// What the flow `key`, just confirmed alone, teaches (once per flow: apart from the packet
    /// path).
    #[cold]
    #[inline(never)]
    fn teach(&mut self, key: &FlowKey, flow: &FlowClassifier) {
        let Some(d) = flow.verdict().detection() else {
            return;
        };
        if flow.proxy().is_some() {
            if let Some(peer) = self.meta.proxy_peer() {
                self.learn
                    .endpoint(EndpointSource::Proxy, peer, self.now_ns);
            }
        } else {
            self.learn.confirmed(key, d.protocol, self.now_ns);
        }
    }
}

impl<L: Learn + ?Sized> Learning<'_, NoObserver, L> {
    /// When the flow `key` (its `src` the initiator) starts, before its first payload, and
    /// again later at `now_ns` while the flow awaits corroboration: the evidence `learn`
    /// gives it ([`Evidence::KNOWN_ENDPOINT`], [`Evidence::BITTORRENT_HOST`]) handed to `flow`.
    pub fn corroborate(learn: &L, flow: &mut FlowClassifier, key: &FlowKey, now_ns: u64) {
        let evidence = learn.corroborate(key, now_ns);
        if evidence.contains(Evidence::KNOWN_ENDPOINT) {
            flow.known_endpoint();
        }
        if evidence.contains(Evidence::BITTORRENT_HOST) {
            flow.bittorrent_host();
        }
    }
}

impl<M: Observer + ?Sized, L: Learn + ?Sized> Observer for Learning<'_, M, L> {
    fn field(&mut self, direction: Direction, field: Field, offset: u32, bytes: &[u8]) {
        self.meta.field(direction, field, offset, bytes);
    }

    fn number(&mut self, direction: Direction, number: Number, value: u64) {
        self.meta.number(direction, number, value);
        let Number::ListenPort = number;
        if let Ok(port) = u16::try_from(value) {
            let endpoint = SocketAddr::new(self.sender, port);
            self.learn
                .endpoint(EndpointSource::ListenPort, endpoint, self.now_ns);
        }
    }

    fn endpoint(&mut self, source: EndpointSource, endpoint: SocketAddr) {
        self.meta.endpoint(source, endpoint);
        self.learn.endpoint(source, endpoint, self.now_ns);
    }

    fn proxy_peer(&self) -> Option<SocketAddr> {
        self.meta.proxy_peer()
    }
}
