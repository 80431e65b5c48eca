//! [`Learn`]: what a [`FlowTable`](super::FlowTable) learns from traffic and tells new flows,
//! across flows.
//!
//! [`FlowTable::process_learning`](super::FlowTable::process_learning) takes any `Learn`:
//! an [`EndpointCache`] (peer endpoints), a [`HostCache`] (BitTorrent hosts), both as a pair
//! `(&mut endpoints, &mut hosts)`, or the caller's own type (to mirror what is learned into a
//! firewall's set of known peers, say).

use core::net::{IpAddr, SocketAddr};

use crate::endpoints::{CacheEntry, EndpointCache};
use crate::hosts::HostCache;
use crate::observer::{EndpointSource, Field, Number, Observer};
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
}

/// Learns peer endpoints: every endpoint the traffic names, and the peers of confirmed flows:
/// both ends of uTP and DHT flows, the responder of peer wire flows (the initiator's port is
/// ephemeral). Trackers are not peers. A new flow to or from a learned endpoint gets
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
}

/// Learns nothing (a table without caches).
pub(super) struct Nothing;

impl Learn for Nothing {
    fn corroborate(&self, _: &FlowKey, _: u64) -> Evidence {
        Evidence::NONE
    }
    fn endpoint(&mut self, _: EndpointSource, _: SocketAddr, _: u64) {}
    fn confirmed(&mut self, _: &FlowKey, _: Protocol, _: u64) {}
}

/// The observer of a table that learns: fields go to the slot's metadata, endpoints also to
/// the learner.
pub(super) struct Learning<'a, M, L: ?Sized> {
    pub meta: &'a mut M,
    pub learn: &'a mut L,
    /// The address that sent the packet being read (a listen port is announced for it).
    pub sender: IpAddr,
    pub now_ns: u64,
}

impl<M: Observer, L: Learn + ?Sized> Observer for Learning<'_, M, L> {
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
}
