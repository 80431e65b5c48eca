//! [`FlowTable`]: flows by 5-tuple over caller-provided storage, with idle eviction driven by
//! the caller's timestamps and TCP sequence tracking.
//!
//! ## Lookup
//! A flow lives in one of [`PROBE`] consecutive slots starting at its seeded hash (both
//! directions of a 5-tuple hash alike). A lookup compares at most [`PROBE`] keys, so the cost per
//! packet is bounded whatever the table holds.
//!
//! ## Eviction policy
//! A new flow takes a free slot in its window. When there is none it replaces, in this order of
//! preference, the window's
//! 1. flow idle for longer than its timeout ([`TableConfig`]), oldest first;
//! 2. flow that is finished and not BitTorrent, least recently seen first;
//! 3. undecided flow, least recently seen first;
//! 4. BitTorrent flow, least recently seen first.
//!
//! so a flood of new tuples (a SYN flood, a UDP spray) replaces its own kind before any
//! established BitTorrent flow, and among BitTorrent flows the idle ones go first. Evicted
//! flows are handed to the caller's callback before their slot is reused.
//!
//! ## TCP
//! Each direction's next expected sequence number is tracked: retransmitted and duplicated
//! bytes are not fed twice, overlapping segments are fed from the first new byte, and a segment
//! that leaves a gap (lost or reordered data, or a snaplen cut) tells the classifier about the
//! hole ([`FlowClassifier::gap`]) instead of feeding misaligned bytes: reordering can delay or
//! prevent a decision but never produce a wrong one. A flow first seen without its SYN is
//! picked up mid-stream; the side that sent the first packet seen is the initiator, and a side
//! whose bytes fit nothing is read again from the next segment start, up to
//! [`MIDSTREAM_RESYNCS`] times (senders start segments at their writes, so at messages).

use core::net::{IpAddr, SocketAddr};

use crate::endpoints::{CacheEntry, EndpointCache};
use crate::flow::FlowClassifier;
use crate::observer::{EndpointSource, Field, Metadata, Number, Observer};
use crate::packet::{FlowKey, Packet, TcpFlags};
use crate::verdict::{Confidence, Protocol};
use crate::verdict::{Direction, Transport, Verdict};

/// Slots a flow may occupy from its hash position.
pub const PROBE: usize = 8;

/// Times a flow picked up mid-stream may restart a side's reading at a segment start
/// ([`FlowClassifier::resync`]).
pub const MIDSTREAM_RESYNCS: u8 = 8;

/// Timeouts of a [`FlowTable`], in nanoseconds of the caller's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableConfig {
    /// Idle time after which an open TCP flow may be replaced.
    pub tcp_idle_ns: u64,
    /// Idle time after which a closed (FIN both ways, or RST) TCP flow may be replaced.
    pub tcp_closed_ns: u64,
    /// Idle time after which a UDP flow may be replaced.
    pub udp_idle_ns: u64,
    /// Seed of the flow hash; pick it at random so that senders cannot aim at one window.
    pub seed: u64,
}

impl Default for TableConfig {
    fn default() -> Self {
        const S: u64 = 1_000_000_000;
        Self {
            tcp_idle_ns: 600 * S,
            tcp_closed_ns: 10 * S,
            udp_idle_ns: 120 * S,
            seed: 0x5eed_70c1_a55e_5eed,
        }
    }
}

// Slot flags.
const IN_USE: u8 = 1;
const SEQ_KNOWN: [u8; 2] = [2, 4];
const FIN: [u8; 2] = [8, 16];
const RST: u8 = 32;
const MIDSTREAM: u8 = 64;

/// One flow: its key, classifier, extracted metadata `M` and counters.
#[derive(Clone, Copy, Debug)]
pub struct Slot<M = Metadata> {
    key: FlowKey,
    classifier: FlowClassifier,
    meta: M,
    first_ns: u64,
    last_ns: u64,
    bytes: u64,
    number: u64,
    packets: u32,
    decided_at: u32,
    next_seq: [u32; 2],
    tag: u32,
    flags: u8,
    resyncs: u8,
}

impl<M: Default> Default for Slot<M> {
    fn default() -> Self {
        Self {
            key: FlowKey {
                transport: Transport::Tcp,
                src: crate::packet::Endpoint {
                    addr: core::net::IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED),
                    port: 0,
                },
                dst: crate::packet::Endpoint {
                    addr: core::net::IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED),
                    port: 0,
                },
            },
            classifier: FlowClassifier::new(Transport::Tcp),
            meta: M::default(),
            first_ns: 0,
            last_ns: 0,
            bytes: 0,
            number: 0,
            packets: 0,
            decided_at: 0,
            next_seq: [0; 2],
            tag: 0,
            flags: 0,
            resyncs: 0,
        }
    }
}

impl<M> Slot<M> {
    /// The flow's key: `src` is the initiator (the side that sent the first packet seen).
    pub fn key(&self) -> &FlowKey {
        &self.key
    }

    /// The flow's classifier.
    pub fn classifier(&self) -> &FlowClassifier {
        &self.classifier
    }

    /// The verdict so far.
    pub fn verdict(&self) -> Verdict {
        self.classifier.verdict()
    }

    /// What the classifier extracted.
    pub fn metadata(&self) -> &M {
        &self.meta
    }

    /// Timestamp of the first packet, in the caller's nanoseconds.
    pub fn first_ns(&self) -> u64 {
        self.first_ns
    }

    /// Timestamp of the last packet, in the caller's nanoseconds.
    pub fn last_ns(&self) -> u64 {
        self.last_ns
    }

    /// Packets seen, both directions.
    pub fn packets(&self) -> u32 {
        self.packets
    }

    /// Transport payload bytes seen, both directions (as on the wire, even if the capture cut
    /// them).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The 1-based packet at which the verdict stopped being undecided, if it has.
    pub fn decided_at_packet(&self) -> Option<u32> {
        (self.decided_at != 0).then_some(self.decided_at)
    }

    /// Order of creation: 0 for the table's first flow, and so on.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// True if the flow was first seen without its TCP SYN.
    pub fn midstream(&self) -> bool {
        self.flags & MIDSTREAM != 0
    }

    fn in_use(&self) -> bool {
        self.flags & IN_USE != 0
    }

    fn closed(&self) -> bool {
        closed(self.flags)
    }
}

/// What [`FlowTable::process`] did with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The flow's verdict after this packet.
    pub verdict: Verdict,
    /// Which side sent the packet.
    pub direction: Direction,
    /// The slot holding the flow.
    pub slot: usize,
    /// The packet created the flow.
    pub new_flow: bool,
    /// The verdict changed (or appeared) with this packet.
    pub changed: bool,
}

/// Why a packet was not tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TableError {
    /// The table has no slots.
    NoCapacity,
}

impl core::fmt::Display for TableError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoCapacity => f.write_str("flow table has no slots"),
        }
    }
}

/// Counters of a [`FlowTable`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Flows created.
    pub flows: u64,
    /// Flows replaced before their idle timeout (table pressure).
    pub evicted_active: u64,
    /// Flows replaced after their idle timeout.
    pub evicted_idle: u64,
    /// TCP payload bytes not fed because they had been fed already (counted while the
    /// flow's classifier still reads).
    pub duplicate_bytes: u64,
    /// TCP segments that left a gap (counted while the flow's classifier still reads).
    pub gaps: u64,
    /// Slots examined to find or place flows: at most 2 × [`PROBE`] per packet whatever the
    /// table holds, so a flood of new tuples cannot make a packet cost more.
    pub probes: u64,
}

/// Flows over caller-provided storage `S` (a `&mut [Slot<M>]`, or any owner of slots such as a
/// boxed slice); see the module docs for the policies.
pub struct FlowTable<S, M = Metadata> {
    slots: S,
    config: TableConfig,
    stats: TableStats,
    _metadata: core::marker::PhantomData<M>,
}

fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// One endpoint folded to 64 bits: an IPv4 address and port exactly, an IPv6 address's two
/// halves mixed first.
fn endpoint_word(e: &crate::packet::Endpoint, seed: u64) -> u64 {
    let addr = match e.addr {
        core::net::IpAddr::V4(v4) => u64::from(u32::from(v4)),
        core::net::IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            mix((bits >> 64) as u64 ^ seed) ^ bits as u64
        }
    };
    mix((addr << 16 | u64::from(e.port)) ^ seed)
}

/// The same hash for both directions of a 5-tuple: each endpoint is mixed with the seed
/// alone, and the two are added, which does not depend on their order.
fn flow_hash(key: &FlowKey, seed: u64) -> u64 {
    let a = endpoint_word(&key.src, seed);
    let b = endpoint_word(&key.dst, seed);
    mix(a.wrapping_add(b) ^ (key.transport as u64) ^ seed.rotate_left(31))
}

impl<S, M> FlowTable<S, M>
where
    S: AsRef<[Slot<M>]> + AsMut<[Slot<M>]>,
    M: Observer + Default,
{
    /// A table over `slots` (their content is discarded).
    pub fn new(mut slots: S, config: TableConfig) -> Self {
        for slot in slots.as_mut().iter_mut() {
            slot.flags = 0;
        }
        Self {
            slots,
            config,
            stats: TableStats::default(),
            _metadata: core::marker::PhantomData,
        }
    }

    /// The table's configuration.
    pub fn config(&self) -> &TableConfig {
        &self.config
    }

    /// The table's counters.
    pub fn stats(&self) -> TableStats {
        self.stats
    }

    /// Number of slots.
    pub fn capacity(&self) -> usize {
        self.slots.as_ref().len()
    }

    /// The flow in slot `index`, if one is there.
    pub fn get(&self, index: usize) -> Option<&Slot<M>> {
        self.slots.as_ref().get(index).filter(|s| s.in_use())
    }

    /// Every flow in the table, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &Slot<M>> {
        self.slots.as_ref().iter().filter(|s| s.in_use())
    }

    /// Hand every flow to `f` and empty the table. A UDP flow has no connection that could
    /// still be open, so the end of the input is its end: it is finished first (a guess held
    /// back and never contradicted is called `Likely`, see [`crate::udp`]); a TCP flow is
    /// handed over as it is.
    pub fn drain(&mut self, mut f: impl FnMut(&Slot<M>)) {
        for slot in self.slots.as_mut().iter_mut().filter(|s| s.in_use()) {
            if slot.key.transport == Transport::Udp {
                slot.classifier.finish();
            }
            f(slot);
            slot.flags = 0;
        }
    }

    /// Hand every flow idle at `now_ns` to `f` and free its slot.
    pub fn expire(&mut self, now_ns: u64, mut f: impl FnMut(&Slot<M>)) {
        let config = self.config;
        for slot in self.slots.as_mut().iter_mut() {
            if slot.in_use() && idle(slot, now_ns, &config) {
                slot.classifier.finish();
                f(slot);
                slot.flags = 0;
                self.stats.evicted_idle = self.stats.evicted_idle.saturating_add(1);
            }
        }
    }

    /// Track one decoded packet seen at `now_ns`, classify its payload, and return what
    /// happened. A flow evicted to make room is handed to `evicted` first.
    pub fn process(
        &mut self,
        packet: &Packet<'_>,
        now_ns: u64,
        evicted: impl FnMut(&Slot<M>),
    ) -> Result<Outcome, TableError> {
        self.process_inner(
            packet,
            now_ns,
            evicted,
            None::<&mut EndpointCache<[CacheEntry; 0]>>,
        )
    }

    /// [`FlowTable::process`] with an endpoint cache: peer endpoints the traffic names
    /// (tracker replies, PEX, the DHT, announced listen ports, and both ends of flows confirmed
    /// as peer wire, uTP or DHT) are learned, and a new flow to or from a learned endpoint gets
    /// [`crate::Evidence::KNOWN_ENDPOINT`] (which confirms an MSE key exchange).
    pub fn process_learning<C>(
        &mut self,
        packet: &Packet<'_>,
        now_ns: u64,
        cache: &mut EndpointCache<C>,
        evicted: impl FnMut(&Slot<M>),
    ) -> Result<Outcome, TableError>
    where
        C: AsRef<[CacheEntry]> + AsMut<[CacheEntry]>,
    {
        self.process_inner(packet, now_ns, evicted, Some(cache))
    }

    fn process_inner<C>(
        &mut self,
        packet: &Packet<'_>,
        now_ns: u64,
        evicted: impl FnMut(&Slot<M>),
        mut cache: Option<&mut EndpointCache<C>>,
    ) -> Result<Outcome, TableError>
    where
        C: AsRef<[CacheEntry]> + AsMut<[CacheEntry]>,
    {
        let len = self.slots.as_ref().len();
        if len == 0 {
            return Err(TableError::NoCapacity);
        }
        let hash = flow_hash(&packet.key, self.config.seed);
        let tag = (hash >> 32) as u32;
        let start = (hash as usize).checked_rem(len).unwrap_or(0);
        let mut probed = 0u64;
        let found = (0..PROBE.min(len)).find_map(|i| {
            probed = probed.wrapping_add(1);
            let index = start.wrapping_add(i).checked_rem(len).unwrap_or(0);
            let slot = self.slots.as_ref().get(index)?;
            if !slot.in_use() || slot.tag != tag || slot.key.transport != packet.key.transport {
                return None;
            }
            if slot.key == packet.key {
                Some((index, Direction::Initiator))
            } else if slot.key == packet.key.reversed() {
                Some((index, Direction::Responder))
            } else {
                None
            }
        });
        self.stats.probes = self.stats.probes.saturating_add(probed);
        let (index, direction, new_flow) = match found {
            Some((index, direction)) => (index, direction, false),
            None => {
                let index = self.victim(start, now_ns, evicted);
                self.create(index, packet, tag, now_ns);
                (index, Direction::Initiator, true)
            }
        };
        let Some(slot) = self.slots.as_mut().get_mut(index) else {
            return Err(TableError::NoCapacity);
        };
        if !new_flow && slot.classifier.is_done() {
            // Nothing more to read: count the packet, note how TCP ends, and go.
            slot.last_ns = now_ns.max(slot.last_ns);
            slot.packets = slot.packets.saturating_add(1);
            slot.bytes = slot
                .bytes
                .saturating_add(u64::from(packet.payload_len_on_wire));
            if let Some(tcp) = packet.tcp {
                if tcp.flags.contains(TcpFlags::RST) {
                    slot.flags |= RST;
                }
                if tcp.flags.contains(TcpFlags::FIN) {
                    slot.flags |= FIN.get(direction.index()).copied().unwrap_or(0);
                }
            }
            return Ok(Outcome {
                verdict: slot.classifier.verdict(),
                direction,
                slot: index,
                new_flow,
                changed: false,
            });
        }
        if new_flow {
            if let Some(cache) = cache.as_deref() {
                let src = SocketAddr::from(packet.key.src);
                let dst = SocketAddr::from(packet.key.dst);
                if cache.lookup(dst, now_ns).is_some() || cache.lookup(src, now_ns).is_some() {
                    slot.classifier.known_endpoint();
                }
            }
        }
        let before = slot.classifier.verdict();
        slot.last_ns = now_ns.max(slot.last_ns);
        slot.packets = slot.packets.saturating_add(1);
        slot.bytes = slot
            .bytes
            .saturating_add(u64::from(packet.payload_len_on_wire));
        let Slot {
            classifier,
            meta,
            next_seq,
            flags,
            resyncs,
            ..
        } = slot;
        let track = Track {
            next_seq,
            flags,
            resyncs,
        };
        match cache.as_deref_mut() {
            Some(cache) => {
                let mut learning = Learning {
                    meta,
                    cache,
                    sender: packet.key.src.addr,
                    now_ns,
                };
                feed(
                    track,
                    classifier,
                    &mut learning,
                    &mut self.stats,
                    direction,
                    packet,
                );
            }
            None => feed(track, classifier, meta, &mut self.stats, direction, packet),
        }
        let verdict = slot.classifier.verdict();
        if let (Some(cache), Some(d)) = (cache, verdict.detection()) {
            if d.confidence == Confidence::Confirmed
                && before.detection().map(|b| b.confidence) != Some(Confidence::Confirmed)
            {
                learn_flow(cache, &slot.key, d.protocol, now_ns);
            }
        }
        if before == Verdict::Undecided && verdict != Verdict::Undecided {
            slot.decided_at = slot.packets;
        }
        Ok(Outcome {
            verdict,
            direction,
            slot: index,
            new_flow,
            changed: verdict != before,
        })
    }

    /// Pick the slot for a new flow in the window at `start`, evicting if needed.
    fn victim(&mut self, start: usize, now_ns: u64, mut evicted: impl FnMut(&Slot<M>)) -> usize {
        let len = self.slots.as_ref().len();
        let config = self.config;
        let mut best: Option<(usize, (u8, u64))> = None;
        for i in 0..PROBE.min(len) {
            self.stats.probes = self.stats.probes.saturating_add(1);
            let index = start.wrapping_add(i).checked_rem(len).unwrap_or(0);
            let Some(slot) = self.slots.as_ref().get(index) else {
                continue;
            };
            if !slot.in_use() {
                return index;
            }
            let class = if idle(slot, now_ns, &config) {
                0
            } else {
                match slot.classifier.verdict() {
                    Verdict::NotBitTorrent if slot.classifier.is_done() => 1,
                    Verdict::NotBitTorrent | Verdict::Undecided => 2,
                    Verdict::BitTorrent(_) => 3,
                }
            };
            // Prefer the lowest class, then the longest idle.
            let rank = (class, slot.last_ns);
            if best.is_none_or(|(_, b)| rank < b) {
                best = Some((index, rank));
            }
        }
        let (index, (class, _)) = best.unwrap_or((start, (0, 0)));
        if let Some(slot) = self.slots.as_mut().get_mut(index) {
            if class == 0 {
                slot.classifier.finish();
                self.stats.evicted_idle = self.stats.evicted_idle.saturating_add(1);
            } else {
                self.stats.evicted_active = self.stats.evicted_active.saturating_add(1);
            }
            evicted(slot);
            slot.flags = 0;
        }
        index
    }

    fn create(&mut self, index: usize, packet: &Packet<'_>, tag: u32, now_ns: u64) {
        let number = self.stats.flows;
        self.stats.flows = self.stats.flows.saturating_add(1);
        if let Some(slot) = self.slots.as_mut().get_mut(index) {
            let syn_only = packet.tcp.is_some_and(|t| {
                t.flags.contains(TcpFlags::SYN) && !t.flags.contains(TcpFlags::ACK)
            });
            *slot = Slot {
                key: packet.key,
                classifier: FlowClassifier::with_family(
                    packet.key.transport,
                    packet.key.src.addr.is_ipv6(),
                ),
                meta: M::default(),
                first_ns: now_ns,
                last_ns: now_ns,
                bytes: 0,
                number,
                packets: 0,
                decided_at: 0,
                next_seq: [0; 2],
                tag,
                flags: IN_USE
                    | if packet.tcp.is_some() && !syn_only {
                        MIDSTREAM
                    } else {
                        0
                    },
                resyncs: 0,
            };
        }
    }
}

/// A reset, or FIN from both sides.
fn closed(flags: u8) -> bool {
    flags & RST != 0 || flags & (FIN[0] | FIN[1]) == FIN[0] | FIN[1]
}

fn idle<M>(slot: &Slot<M>, now_ns: u64, config: &TableConfig) -> bool {
    let timeout = match slot.key.transport {
        Transport::Udp => config.udp_idle_ns,
        Transport::Tcp if slot.closed() => config.tcp_closed_ns,
        Transport::Tcp => config.tcp_idle_ns,
    };
    now_ns.saturating_sub(slot.last_ns) > timeout
}

/// Feed one packet's payload: TCP through sequence tracking, UDP as a datagram.
fn feed<O: Observer>(
    track: Track<'_>,
    classifier: &mut FlowClassifier,
    observer: &mut O,
    stats: &mut TableStats,
    direction: Direction,
    packet: &Packet<'_>,
) {
    match packet.tcp {
        Some(tcp) => feed_tcp(track, classifier, observer, stats, direction, tcp, packet),
        None => {
            if !packet.payload.is_empty() {
                classifier.feed_with(direction, packet.payload, observer);
            }
        }
    }
}

/// Both ends of a flow confirmed as a peer protocol are peers (for TCP, the responder: the
/// initiator's port is ephemeral). Trackers are not peers.
fn learn_flow<C>(cache: &mut EndpointCache<C>, key: &FlowKey, protocol: Protocol, now_ns: u64)
where
    C: AsRef<[CacheEntry]> + AsMut<[CacheEntry]>,
{
    match protocol {
        Protocol::PeerWire | Protocol::PeerWireEncrypted => {
            cache.learn(key.dst.into(), EndpointSource::Flow, now_ns);
        }
        Protocol::Utp | Protocol::Dht => {
            cache.learn(key.src.into(), EndpointSource::Flow, now_ns);
            cache.learn(key.dst.into(), EndpointSource::Flow, now_ns);
        }
        _ => {}
    }
}

/// The observer of a table with an endpoint cache: fields go to the slot's metadata,
/// endpoints also to the cache.
struct Learning<'a, M, C> {
    meta: &'a mut M,
    cache: &'a mut EndpointCache<C>,
    /// The address that sent the packet being read (a listen port is announced for it).
    sender: IpAddr,
    now_ns: u64,
}

impl<M, C> Observer for Learning<'_, M, C>
where
    M: Observer,
    C: AsRef<[CacheEntry]> + AsMut<[CacheEntry]>,
{
    fn field(&mut self, direction: Direction, field: Field, offset: u32, bytes: &[u8]) {
        self.meta.field(direction, field, offset, bytes);
    }

    fn number(&mut self, direction: Direction, number: Number, value: u64) {
        self.meta.number(direction, number, value);
        let Number::ListenPort = number;
        if let Ok(port) = u16::try_from(value) {
            let endpoint = SocketAddr::new(self.sender, port);
            self.cache
                .learn(endpoint, EndpointSource::ListenPort, self.now_ns);
        }
    }

    fn endpoint(&mut self, source: EndpointSource, endpoint: SocketAddr) {
        self.meta.endpoint(source, endpoint);
        self.cache.learn(endpoint, source, self.now_ns);
    }
}

/// The per-slot state of TCP tracking.
struct Track<'a> {
    next_seq: &'a mut [u32; 2],
    flags: &'a mut u8,
    resyncs: &'a mut u8,
}

fn feed_tcp<O: Observer>(
    track: Track<'_>,
    classifier: &mut FlowClassifier,
    observer: &mut O,
    stats: &mut TableStats,
    direction: Direction,
    tcp: crate::packet::TcpInfo,
    packet: &Packet<'_>,
) {
    let Track {
        next_seq,
        flags,
        resyncs,
    } = track;
    let d = direction.index();
    let known = SEQ_KNOWN.get(d).copied().unwrap_or(0);
    let mut seq = tcp.seq;
    if tcp.flags.contains(TcpFlags::SYN) {
        // The SYN takes one sequence number; data (rare) starts after it.
        seq = seq.wrapping_add(1);
        if let Some(next) = next_seq.get_mut(d) {
            *next = seq;
        }
        *flags |= known;
    }
    if tcp.flags.contains(TcpFlags::RST) {
        *flags |= RST;
    }
    let payload = packet.payload;
    if !payload.is_empty() {
        if *flags & known == 0 {
            if let Some(next) = next_seq.get_mut(d) {
                *next = seq;
            }
            *flags |= known;
        }
        let next = next_seq.get(d).copied().unwrap_or(seq);
        // Signed distance from the next expected byte (RFC 793 sequence arithmetic).
        let ahead = seq.wrapping_sub(next) as i32;
        let wire_len = packet.payload_len_on_wire.max(payload.len() as u32);
        let end = seq.wrapping_add(wire_len);
        let new_bytes: &[u8] = if ahead == 0 {
            payload
        } else if ahead < 0 {
            let skip = ahead.unsigned_abs() as usize;
            stats.duplicate_bytes = stats
                .duplicate_bytes
                .saturating_add(skip.min(payload.len()) as u64);
            payload.get(skip..).unwrap_or_default()
        } else {
            stats.gaps = stats.gaps.saturating_add(1);
            classifier.gap(direction);
            payload
        };
        if !new_bytes.is_empty() {
            if *flags & MIDSTREAM != 0
                && *resyncs < MIDSTREAM_RESYNCS
                && classifier.resync(direction)
            {
                *resyncs = resyncs.saturating_add(1);
            }
            classifier.feed_with(direction, new_bytes, observer);
        }
        if (payload.len() as u32) < wire_len && end.wrapping_sub(next) as i32 > 0 {
            // The capture cut this segment: the rest of its bytes are a hole.
            classifier.gap(direction);
        }
        if end.wrapping_sub(next) as i32 > 0 {
            if let Some(n) = next_seq.get_mut(d) {
                *n = end;
            }
        }
    }
    if tcp.flags.contains(TcpFlags::FIN) {
        *flags |= FIN.get(d).copied().unwrap_or(0);
    }
    if closed(*flags) {
        classifier.finish();
    }
}

#[cfg(test)]
mod tests;
