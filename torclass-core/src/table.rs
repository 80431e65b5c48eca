//! [`FlowTable`]: flows by 5-tuple over caller-provided storage, with a flow lifecycle driven
//! by the caller's timestamps, TCP sequence tracking, and flow-end events.
//!
//! ## Lookup
//! A flow lives in one of `PROBE` consecutive slots starting at its seeded hash (both
//! directions of a 5-tuple hash alike). A lookup compares at most `PROBE` keys, so the cost per
//! packet is bounded whatever the table holds. [`FlowTable::lookup`] finds a flow by key;
//! a [`FlowHandle`] (slot index and generation) names one flow and goes stale when it ends.
//!
//! ## Lifecycle: a new connection on an old tuple is a new flow
//! A packet on the tuple of a flow in the table continues that flow, except:
//! - after the flow's timeout ([`TableConfig`]: idle time for open flows, a short linger for
//!   closed ones) any packet, TCP or UDP, starts a new flow: DNS an hour after the DHT used
//!   the tuple is read as DNS;
//! - a TCP SYN without ACK after the connection closed (FIN from both sides, a RST, or
//!   [`FlowTable::finish`]) starts a new flow: the next connection on the tuple;
//! - a TCP SYN without ACK inside a live connection that carried data is bogus (a real stack
//!   answers it with a challenge ACK, RFC 5961 §4): it is ignored (not read, sequence tracking
//!   untouched) and counted in [`TableStats::bogus_syns`]. A SYN before any data (a
//!   retransmission, or a new attempt) stays in the same flow.
//!
//! The flow that ends is handed to the caller first (below), and the new one takes its slot.
//!
//! ## Flow-end events
//! Every flow that leaves the table is handed to the caller's callback, exactly once, after
//! [`FlowClassifier::finish`] (so an undecided flow shows its final verdict, and an MSE key
//! exchange left unanswered is judged), with its counters and metadata and
//! [`Slot::end_reason`] saying why ([`EndReason`]): evicted to make room, idle past its
//! timeout, closed and its linger over, ended by a new connection on its tuple, removed by the
//! caller, or drained. A closed flow lingers [`TableConfig::tcp_closed_ns`] so that late
//! packets (the last ACK, a retransmitted FIN) still count to it.
//!
//! The table ends timed-out flows when their slot is needed, when a packet arrives on their
//! tuple, and on the caller's timer: [`FlowTable::expire`] visits a bounded number of slots
//! per call, resuming where the last call stopped. The end reason is what ended the flow
//! first (its timeout, when the timeout had run out before anything else happened), so it does
//! not depend on how often the caller runs the timer.
//!
//! ## Eviction policy
//! A new flow takes a free slot in its window. When there is none it replaces, in this order of
//! preference, the window's
//! 1. flow past its timeout, oldest first;
//! 2. flow that is finished and not BitTorrent, or closed, least recently seen first;
//! 3. undecided flow, least recently seen first;
//! 4. BitTorrent flow, least recently seen first.
//!
//! so a flood of new tuples (a SYN flood, a UDP spray) replaces its own kind before any
//! established BitTorrent flow, and among BitTorrent flows the idle ones go first.
//!
//! ## TCP
//! Each direction's next expected sequence number is tracked (see `tcp.rs`): retransmitted and
//! duplicated bytes are not fed twice, overlapping segments are fed from the first new byte,
//! the urgent (out-of-band) byte is cut out, and a segment ahead of the stream is held in the
//! out-of-order store ([`FlowTable::with_reorder`], see `reorder`) while the flow is
//! undecided, or else tells the classifier about the hole ([`FlowClassifier::gap`]) instead of
//! feeding misaligned bytes: reordering can delay or prevent a decision but never produce a
//! wrong one. A flow first seen without its SYN is picked up mid-stream; the side that sent the
//! first packet seen is the initiator, and a side whose bytes fit nothing is read again from
//! the next segment start, up to `MIDSTREAM_RESYNCS` times (senders start segments at their
//! writes, so at messages).
//!
//! ## Corroboration across flows
//! [`FlowTable::process_learning`] takes a [`Learn`]er: an [`EndpointCache`] (peer endpoints
//! named by trackers, PEX, the DHT, LSD and confirmed flows), a [`HostCache`] (hosts with
//! conclusive BitTorrent activity), or both. A new flow gets the evidence they give
//! ([`Evidence::KNOWN_ENDPOINT`], [`Evidence::BITTORRENT_HOST`]), visible in
//! [`Outcome::evidence`] at once, which confirms an MSE key exchange.
//!
//! ### Late corroboration
//! A client's DHT bootstrap, tracker announces and encrypted peer connections start together,
//! and a capture that starts while a client runs meets its encrypted flows before any of its
//! cleartext: the host is often learned after the flow's SYN. So a TCP flow that
//! [awaits corroboration](FlowClassifier::awaits_corroboration) (not BitTorrent, no evidence
//! from the learner yet, MSE flights unrefuted) is asked again at each of its packets at
//! which the learner learned something since it was last asked ([`Learn::generation`]: a
//! number compared, no lookup, when nothing new was learned) and an ask could decide it
//! ([`FlowClassifier::corroboration_decides`]: the exchange's shape is there, or a first
//! flight is unanswered so far). A host or peer learned before
//! the packet that completes the key exchange's shape confirms the flow at that packet, so a
//! blocker that hands a flow to the kernel when its reading ends `NotBitTorrent` gets the
//! corroborated verdict; one learned later confirms it at its next packet ([`Outcome::changed`]),
//! and an unanswered first flight whose peer was learned before the flow's last packet is
//! judged with it at the end. A flow the caller [finished](FlowTable::finish) is asked no
//! more: its verdict is the one the caller acted on.
//!
//! The end of a flow (eviction, timeout, [`FlowTable::expire`], [`FlowTable::drain`], a new
//! connection on its tuple) asks nothing: activity after a flow's last packet is not activity
//! during its life, and a record must not depend on when the end is noticed (the timer's
//! cadence, the table's size). The rule is thus "the learner knew the host or peer at one of
//! the flow's packets", decided at packet times, whatever the table size and however often
//! the timer runs. Only flows that await corroboration pay for it: a decided flow's packets
//! test one slot flag, as before. Corroboration only ever confirms the MSE shape (see
//! [`crate::flow`]): ordinary flows between BitTorrent hosts, and flows whose flights were
//! refuted, are never asked again.
//!
//! [`EndpointCache`]: crate::endpoints::EndpointCache
//! [`HostCache`]: crate::hosts::HostCache

mod grow;
mod learn;
mod reorder;
mod snapshot;
mod tcp;

pub use grow::LATE_NS;
pub use learn::{Learn, Learning};
pub use reorder::{Held, HELD_BYTES, HELD_PER_SIDE, HOLD_WINDOW};

use crate::flow::FlowClassifier;
use crate::observer::{Metadata, Observer};
use crate::packet::{Endpoint, FlowKey, Packet, TcpFlags, TcpInfo};
use crate::verdict::{Direction, Evidence, Transport, Verdict};
use learn::Nothing;
use reorder::Store;
use tcp::{Feed, Reader, Stream};

unstable! {
    /// Slots a flow may occupy from its hash position.
    pub const PROBE: usize = 8;
}

unstable! {
    /// Times a flow picked up mid-stream may restart a side's reading at a segment start
    /// ([`FlowClassifier::resync`]).
    pub const MIDSTREAM_RESYNCS: u8 = 8;
}

/// Slots a table uses at most (a [`FlowHandle`]'s index is a `u32`); more are ignored.
pub const MAX_SLOTS: usize = u32::MAX as usize;

/// Timeouts of a [`FlowTable`], in nanoseconds of the caller's clock.
///
/// It may gain fields: build it from [`TableConfig::new`] (or `Default`) and the `with_`
/// setters, or assign the public fields of one.
///
/// ```
/// use torclass_core::TableConfig;
///
/// let config = TableConfig::new().with_udp_idle_ns(30_000_000_000).with_seed(0x1234);
/// assert_eq!(config.udp_idle_ns, 30_000_000_000);
/// assert_eq!(config.tcp_idle_ns, TableConfig::default().tcp_idle_ns);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableConfig {
    /// Idle time after which an open TCP flow ends.
    pub tcp_idle_ns: u64,
    /// Idle time after which a closed flow (TCP FIN both ways or RST, or any flow the caller
    /// finished with [`FlowTable::finish`]) ends: the linger during which late packets still
    /// count to it.
    pub tcp_closed_ns: u64,
    /// Idle time after which a UDP flow ends.
    pub udp_idle_ns: u64,
    /// Seed of the flow hash; pick it at random so that senders cannot aim at one window.
    pub seed: u64,
}

impl TableConfig {
    /// The defaults: 600 s for an open TCP flow, 10 s after a close, 120 s for UDP, and a
    /// fixed seed (pick one at random in a deployment).
    #[must_use]
    pub const fn new() -> Self {
        const S: u64 = 1_000_000_000;
        Self {
            tcp_idle_ns: 600 * S,
            tcp_closed_ns: 10 * S,
            udp_idle_ns: 120 * S,
            seed: 0x5eed_70c1_a55e_5eed,
        }
    }

    /// This configuration with `tcp_idle_ns` set (idle time of an open TCP flow).
    #[must_use]
    pub const fn with_tcp_idle_ns(mut self, tcp_idle_ns: u64) -> Self {
        self.tcp_idle_ns = tcp_idle_ns;
        self
    }

    /// This configuration with `tcp_closed_ns` set (linger of a closed flow).
    #[must_use]
    pub const fn with_tcp_closed_ns(mut self, tcp_closed_ns: u64) -> Self {
        self.tcp_closed_ns = tcp_closed_ns;
        self
    }

    /// This configuration with `udp_idle_ns` set (idle time of a UDP flow).
    #[must_use]
    pub const fn with_udp_idle_ns(mut self, udp_idle_ns: u64) -> Self {
        self.udp_idle_ns = udp_idle_ns;
        self
    }

    /// This configuration with `seed` set (the flow hash seed).
    #[must_use]
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

impl Default for TableConfig {
    fn default() -> Self {
        Self::new()
    }
}

// Slot flags.
const IN_USE: u8 = 1;
const MIDSTREAM: u8 = 2;
/// The caller finished the flow ([`FlowTable::finish`]): it lingers as a closed flow.
const FINISHED: u8 = 4;
/// The flow awaits corroboration ([`FlowClassifier::awaits_corroboration`]) and is still asked
/// for it (late corroboration): the one flag a decided flow's packets test.
const LATE: u8 = 8;

/// Why a flow left the table ([`Slot::end_reason`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum EndReason {
    /// Replaced before its timeout to make room for a new flow (the table is too small for
    /// the traffic; [`TableStats::evicted_active`]).
    Evicted = 1,
    /// Idle longer than its timeout ([`TableConfig`]).
    Idle = 2,
    /// Closed (TCP FIN both ways or RST, or [`FlowTable::finish`]) and its linger
    /// ([`TableConfig::tcp_closed_ns`]) over.
    Closed = 3,
    /// A new connection on its tuple (a SYN after it closed) replaced it before its linger was
    /// over.
    Reused = 4,
    /// Removed by the caller ([`FlowTable::remove`]).
    Removed = 5,
    /// Handed back by [`FlowTable::drain`].
    Drained = 6,
}

impl EndReason {
    /// Every reason, by number.
    pub const ALL: [Self; 6] = [
        Self::Evicted,
        Self::Idle,
        Self::Closed,
        Self::Reused,
        Self::Removed,
        Self::Drained,
    ];

    /// The name front ends write: `"evicted"`, `"idle"`, `"closed"`, `"reused"`, `"removed"`,
    /// `"drained"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Evicted => "evicted",
            Self::Idle => "idle",
            Self::Closed => "closed",
            Self::Reused => "reused",
            Self::Removed => "removed",
            Self::Drained => "drained",
        }
    }
}

impl core::fmt::Display for EndReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// One flow of a table: its slot index and the slot's generation when the flow was created.
/// A handle kept after its flow ended no longer finds anything, even when another flow took
/// the slot (generations wrap after 2^32 flows in one slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowHandle {
    index: u32,
    generation: u32,
}

impl FlowHandle {
    /// The slot index ([`FlowTable::get`]).
    #[must_use]
    pub const fn index(self) -> usize {
        self.index as usize
    }

    /// The slot's generation.
    #[must_use]
    pub const fn generation(self) -> u32 {
        self.generation
    }

    /// The handle as one number: generation in the high 32 bits, index in the low ones.
    #[must_use]
    pub const fn to_bits(self) -> u64 {
        ((self.generation as u64) << 32) | self.index as u64
    }

    /// The handle [`FlowHandle::to_bits`] gave.
    #[must_use]
    pub const fn from_bits(bits: u64) -> Self {
        Self {
            index: bits as u32,
            generation: (bits >> 32) as u32,
        }
    }
}

/// One flow: its key, classifier, extracted metadata `M` and counters.
#[derive(Clone, Copy, Debug)]
pub struct Slot<M = Metadata> {
    key: FlowKey,
    classifier: FlowClassifier,
    meta: M,
    first_ns: u64,
    last_ns: u64,
    number: u64,
    /// Payload bytes sent by the initiator and by the responder.
    bytes: [u64; 2],
    /// Packets sent by the initiator and by the responder.
    packets: [u32; 2],
    decided_at: u32,
    index: u32,
    generation: u32,
    tag: u32,
    /// The learner's [`Learn::generation`] when the flow was last asked for corroboration,
    /// its low 32 bits (asking again is never wrong: this only saves asks that would find
    /// nothing new).
    asked: u32,
    stream: Stream,
    flags: u8,
    end: Option<EndReason>,
}

/// Bytes of one [`Slot`] with [`Metadata`]: the table's memory per flow (the classifier's
/// [`FlowClassifier::SIZE`] is part of it).
pub const SLOT_SIZE: usize = core::mem::size_of::<Slot<Metadata>>();

// 424 bytes with the 64-byte classifier, plus the 32 that issue 13 let the classifier grow by.
const _: () = assert!(SLOT_SIZE <= 488, "a table slot must stay within 488 bytes");

impl<M: Default> Default for Slot<M> {
    fn default() -> Self {
        let nowhere = Endpoint {
            addr: core::net::IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED),
            port: 0,
        };
        Self {
            key: FlowKey {
                transport: Transport::Tcp,
                src: nowhere,
                dst: nowhere,
            },
            classifier: FlowClassifier::new(Transport::Tcp),
            meta: M::default(),
            first_ns: 0,
            last_ns: 0,
            number: 0,
            bytes: [0; 2],
            packets: [0; 2],
            decided_at: 0,
            index: 0,
            generation: 0,
            tag: 0,
            asked: 0,
            stream: Stream::default(),
            flags: 0,
            end: None,
        }
    }
}

impl<M> Slot<M> {
    /// The flow's key: `src` is the initiator (the side that sent the first packet seen).
    pub fn key(&self) -> &FlowKey {
        &self.key
    }

    /// The flow's handle.
    pub fn handle(&self) -> FlowHandle {
        FlowHandle {
            index: self.index,
            generation: self.generation,
        }
    }

    /// The flow's classifier.
    pub fn classifier(&self) -> &FlowClassifier {
        &self.classifier
    }

    /// The verdict so far.
    pub fn verdict(&self) -> Verdict {
        self.classifier.verdict()
    }

    /// The evidence so far, also while the verdict is undecided (a known endpoint, say).
    pub fn evidence(&self) -> Evidence {
        self.classifier.evidence()
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

    /// Packets seen, both directions (saturating).
    pub fn packets(&self) -> u32 {
        let [a, b] = self.packets;
        a.saturating_add(b)
    }

    /// Transport payload bytes seen, both directions (as on the wire, even if the capture cut
    /// them; saturating).
    pub fn bytes(&self) -> u64 {
        let [a, b] = self.bytes;
        a.saturating_add(b)
    }

    /// Packets sent by `direction` (saturating).
    pub fn packets_from(&self, direction: Direction) -> u32 {
        self.packets.get(direction.index()).copied().unwrap_or(0)
    }

    /// Transport payload bytes sent by `direction`, as on the wire (saturating).
    pub fn bytes_from(&self, direction: Direction) -> u64 {
        self.bytes.get(direction.index()).copied().unwrap_or(0)
    }

    /// The 1-based packet at which the verdict stopped being undecided, if it has; for a flow
    /// called not BitTorrent and BitTorrent later, the packet at which it became BitTorrent.
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

    /// True if the flow closed: TCP FIN from both sides or a RST, or finished by the caller.
    pub fn closed(&self) -> bool {
        self.flags & FINISHED != 0 || self.stream.closed()
    }

    /// Why the flow left the table: set on the slot handed to a flow-end callback, `None`
    /// while the flow is in the table.
    pub fn end_reason(&self) -> Option<EndReason> {
        self.end
    }

    fn in_use(&self) -> bool {
        self.flags & IN_USE != 0
    }

    /// The flow's timeout ran out at `now_ns`: why it ends.
    fn timed_out(&self, now_ns: u64, config: &TableConfig) -> Option<EndReason> {
        let (timeout, reason) = match self.key.transport {
            _ if self.closed() => (config.tcp_closed_ns, EndReason::Closed),
            Transport::Udp => (config.udp_idle_ns, EndReason::Idle),
            Transport::Tcp => (config.tcp_idle_ns, EndReason::Idle),
        };
        (now_ns.saturating_sub(self.last_ns) > timeout).then_some(reason)
    }

    /// Count a packet of `len` payload bytes (on the wire) sent by `direction` at `now_ns`.
    fn count(&mut self, direction: Direction, len: u32, now_ns: u64) {
        let d = direction.index();
        self.last_ns = now_ns.max(self.last_ns);
        if let Some(p) = self.packets.get_mut(d) {
            *p = p.saturating_add(1);
        }
        if let Some(b) = self.bytes.get_mut(d) {
            *b = b.saturating_add(u64::from(len));
        }
    }

    /// Ask `learn` at `now_ns`, when the flow starts, for the evidence it gives the flow, and
    /// set [`LATE`] if it awaits corroboration (once it stops it never does again, see
    /// [`FlowClassifier::awaits_corroboration`], so the mark is only ever cleared).
    fn corroborate_first<L: Learn + ?Sized>(&mut self, learn: &L, now_ns: u64) {
        self.asked = learn.generation().map_or(0, |g| g as u32);
        Learning::corroborate(learn, &mut self.classifier, &self.key, now_ns);
        if self.classifier.awaits_corroboration() {
            self.flags |= LATE;
        }
    }

    /// For a flow marked [`LATE`]: ask `learn` again at `now_ns` if the flow still awaits
    /// corroboration, an ask could decide it now
    /// ([`FlowClassifier::corroboration_decides`]) and `learn` learned something since it was
    /// last asked ([`Learn::generation`]); clear the mark once it does not await it any more.
    /// Apart from the packet path, which only tests the mark.
    #[inline(never)]
    fn corroborate_late<L: Learn + ?Sized>(&mut self, learn: &L, now_ns: u64) {
        if self.classifier.awaits_corroboration() {
            let generation = learn.generation().map(|g| g as u32);
            // Nothing new learned, or nothing an ask could confirm yet (asked when there is).
            if generation == Some(self.asked) || !self.classifier.corroboration_decides() {
                return;
            }
            self.asked = generation.unwrap_or(0);
            Learning::corroborate(learn, &mut self.classifier, &self.key, now_ns);
            if self.classifier.awaits_corroboration() {
                return;
            }
        }
        self.flags &= !LATE;
    }
}

/// What [`FlowTable::process`] did with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// The flow's verdict after this packet.
    pub verdict: Verdict,
    /// The flow's evidence after this packet, also while the verdict is undecided (so a
    /// firewall can act on [`Evidence::KNOWN_ENDPOINT`] at a flow's first packet).
    pub evidence: Evidence,
    /// Which side sent the packet.
    pub direction: Direction,
    /// The slot holding the flow.
    pub slot: usize,
    /// The flow's handle.
    pub handle: FlowHandle,
    /// The packet created the flow.
    pub new_flow: bool,
    /// The verdict changed (or appeared) with this packet.
    pub changed: bool,
    /// The packet was counted but not read: a bogus SYN inside a live connection.
    pub ignored: bool,
}

/// Why a packet was not tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TableError {
    /// The table has no slots.
    NoCapacity,
    /// A growable table ([`FlowTable::set_growable`]) has no free slot in the window of this
    /// packet's new flow, nor a flow past its timeout by more than [`LATE_NS`] there: nothing
    /// changed; [`FlowTable::grow`] it and process the packet again.
    Full,
}

impl core::fmt::Display for TableError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoCapacity => f.write_str("flow table has no slots"),
            Self::Full => f.write_str("no free slot in the flow's window (growable table)"),
        }
    }
}

impl core::error::Error for TableError {}

/// Counters of a [`FlowTable`]; they saturate. Each flow that ends is counted once, under
/// its [`EndReason`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct TableStats {
    /// Flows created.
    pub flows: u64,
    /// Flows replaced before their timeout (table pressure): [`EndReason::Evicted`].
    pub evicted_active: u64,
    /// Flows ended by their timeout, idle or closed: [`EndReason::Idle`] and
    /// [`EndReason::Closed`].
    pub evicted_idle: u64,
    /// Flows ended by a new connection on their tuple: [`EndReason::Reused`].
    pub reused: u64,
    /// Flows removed by the caller or drained: [`EndReason::Removed`], [`EndReason::Drained`].
    pub removed: u64,
    /// TCP SYNs without ACK inside live connections, ignored.
    pub bogus_syns: u64,
    /// TCP payload bytes not fed because they had been fed already (counted while the
    /// flow's classifier still reads).
    pub duplicate_bytes: u64,
    /// TCP segments that left a gap (counted while the flow's classifier still reads).
    pub gaps: u64,
    /// TCP segments held in the out-of-order store.
    pub held_segments: u64,
    /// Held segments fed from the store.
    pub reordered: u64,
    /// Segments that could not be held because the store or the flow's share of it was full.
    pub store_full: u64,
    /// TCP urgent bytes cut out of the streams.
    pub urgent_bytes: u64,
    /// Slots examined to find or place flows: at most 2 × `PROBE` per packet whatever the
    /// table holds, so a flood of new tuples cannot make a packet cost more.
    pub probes: u64,
}

impl core::ops::Add for TableStats {
    type Output = Self;

    /// The counters of two tables together (e.g. shards of one capture).
    fn add(self, o: Self) -> Self {
        Self {
            flows: self.flows.saturating_add(o.flows),
            evicted_active: self.evicted_active.saturating_add(o.evicted_active),
            evicted_idle: self.evicted_idle.saturating_add(o.evicted_idle),
            reused: self.reused.saturating_add(o.reused),
            removed: self.removed.saturating_add(o.removed),
            bogus_syns: self.bogus_syns.saturating_add(o.bogus_syns),
            duplicate_bytes: self.duplicate_bytes.saturating_add(o.duplicate_bytes),
            gaps: self.gaps.saturating_add(o.gaps),
            held_segments: self.held_segments.saturating_add(o.held_segments),
            reordered: self.reordered.saturating_add(o.reordered),
            store_full: self.store_full.saturating_add(o.store_full),
            urgent_bytes: self.urgent_bytes.saturating_add(o.urgent_bytes),
            probes: self.probes.saturating_add(o.probes),
        }
    }
}

/// Flows over caller-provided storage `S` (a `&mut [Slot<M>]`, or any owner of slots such as a
/// boxed slice), with an optional out-of-order store over storage `R`; see the module docs for
/// the policies.
///
/// ```
/// use torclass_core::packet::{decode, LinkType};
/// use torclass_core::{EndReason, FlowTable, InfoHash, Metadata, Slot, TableConfig};
///
/// // An IPv4/TCP packet 10.0.0.1:40000 -> 10.0.0.2:6881 carrying a BitTorrent handshake.
/// let mut frame = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
/// frame.extend_from_slice(&[0x9c, 0x40, 0x1a, 0xe1, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
/// frame.extend_from_slice(b"\x13BitTorrent protocol");
/// frame.extend_from_slice(&[0; 8]);
/// frame.extend_from_slice(&[0xab; 20]);
/// frame.extend_from_slice(b"-TR3000-abcdefghijkl");
/// let total = frame.len() as u16;
/// frame[2..4].copy_from_slice(&total.to_be_bytes());
/// let packet = decode(LinkType::Raw, &frame).unwrap();
///
/// let mut slots = [Slot::<Metadata>::default(); 16];
/// let mut table = FlowTable::new(&mut slots[..], TableConfig::default());
/// let outcome = table.process(&packet, 1_000, |_ended| {}).unwrap();
/// assert!(outcome.new_flow);
/// let info_hash = table.flow(outcome.handle).and_then(|s| s.metadata().info_hash());
/// assert_eq!(info_hash, Some(InfoHash::V1([0xab; 20])));
///
/// // Every flow that leaves the table is handed over once, finished: here a lone handshake,
/// // judged when the flow ends.
/// let mut ended = None;
/// table.drain(|slot| ended = Some((slot.end_reason(), slot.verdict().is_bittorrent())));
/// assert_eq!(ended, Some((Some(EndReason::Drained), true)));
/// assert!(table.flow(outcome.handle).is_none(), "the handle is stale now");
/// ```
pub struct FlowTable<S, M = Metadata, R = [Held; 0]> {
    slots: S,
    store: Store<R>,
    config: TableConfig,
    stats: TableStats,
    /// Where the next [`FlowTable::expire`] starts.
    cursor: usize,
    /// The shortest of the configured timeouts.
    shortest_timeout: u64,
    /// A new flow never ends another one ([`FlowTable::set_growable`]).
    growable: bool,
    _metadata: core::marker::PhantomData<M>,
}

fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// One endpoint folded to 64 bits: an IPv4 address and port exactly, an IPv6 address's upper
/// half mixed with the seed first (so that addresses chosen to cancel out in a plain fold do
/// not collide whatever the seed).
fn endpoint_word(e: &Endpoint, seed: u64) -> u64 {
    let addr = match e.addr {
        core::net::IpAddr::V4(v4) => u64::from(u32::from(v4)),
        core::net::IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            mix((bits >> 64) as u64 ^ seed) ^ bits as u64
        }
    };
    addr << 16 | u64::from(e.port)
}

/// The same hash for both directions of a 5-tuple: the two endpoint words in order (smaller
/// first), each offset by the seed, multiplied to 128 bits and folded (the "mum" step of
/// wyhash), then mixed with the transport. One multiply and one finaliser instead of one
/// finaliser per endpoint: about 25 instructions a packet less. The table's bound on the work
/// per packet does not rest on the hash (a lookup reads at most `PROBE` slots whatever
/// collides); its spread only sets how soon a window fills.
fn flow_hash(key: &FlowKey, seed: u64) -> u64 {
    let a = endpoint_word(&key.src, seed);
    let b = endpoint_word(&key.dst, seed);
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    // Two 64-bit factors: the 128-bit product never wraps.
    let product =
        u128::from(low ^ seed).wrapping_mul(u128::from(high ^ seed.rotate_left(31) ^ SPREAD));
    mix((product >> 64) as u64 ^ product as u64 ^ key.transport as u64)
}

/// An odd constant with well-spread bits (the fractional part of the golden ratio) that keeps
/// [`flow_hash`]'s second factor from being zero for a zero seed and an all-zero word. A
/// factor is zero only for an endpoint word equal to one derived from the seed, which a sender
/// cannot aim at without knowing the seed.
const SPREAD: u64 = 0x9e37_79b9_7f4a_7c15;

/// A SYN without ACK: the first segment of a connection.
fn opens_connection(tcp: Option<TcpInfo>) -> bool {
    tcp.is_some_and(|t| t.flags.contains(TcpFlags::SYN) && !t.flags.contains(TcpFlags::ACK))
}

/// What a packet on the tuple of a flow in the table does to it.
enum Next {
    /// Continues it.
    Same,
    /// Is a bogus SYN: counted, not read.
    Ignored,
    /// Ends it, for this reason, and starts a new flow.
    New(EndReason),
}

impl<S, M> FlowTable<S, M>
where
    S: AsRef<[Slot<M>]> + AsMut<[Slot<M>]>,
    M: Observer + Default,
{
    /// A table over `slots` (their content is discarded), without an out-of-order store.
    pub fn new(slots: S, config: TableConfig) -> Self {
        FlowTable::with_reorder(slots, [], config)
    }
}

impl<S, M, R> FlowTable<S, M, R>
where
    S: AsRef<[Slot<M>]> + AsMut<[Slot<M>]>,
    M: Observer + Default,
    R: AsRef<[Held]> + AsMut<[Held]>,
{
    /// A table over `slots` (their content is discarded) with an out-of-order store over
    /// `store` (any number of [`Held`] entries of [`Held::SIZE`] bytes, shared by all flows,
    /// their content discarded and not visited: storage taken zeroed from the allocator is
    /// touched only as segments are held; see `reorder` for the bounds).
    pub fn with_reorder(mut slots: S, store: R, config: TableConfig) -> Self {
        for slot in slots.as_mut().iter_mut() {
            slot.flags = 0;
            slot.generation = 0;
        }
        Self {
            slots,
            store: Store::new(store),
            config,
            stats: TableStats::default(),
            cursor: 0,
            shortest_timeout: config
                .tcp_idle_ns
                .min(config.tcp_closed_ns)
                .min(config.udp_idle_ns),
            growable: false,
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
        self.len()
    }

    /// Entries of the out-of-order store, and how many hold a segment now.
    pub fn store_usage(&self) -> (usize, usize) {
        (self.store.capacity(), self.store.used() as usize)
    }

    fn len(&self) -> usize {
        self.slots.as_ref().len().min(MAX_SLOTS)
    }

    /// The flow in slot `index`, if one is there.
    pub fn get(&self, index: usize) -> Option<&Slot<M>> {
        self.slots
            .as_ref()
            .get(index)
            .filter(|s| s.in_use() && index < MAX_SLOTS)
    }

    /// The flow `handle` names, if it is still in the table.
    pub fn flow(&self, handle: FlowHandle) -> Option<&Slot<M>> {
        self.get(handle.index())
            .filter(|s| s.generation == handle.generation)
    }

    /// The flow of `key`, in either direction, and the direction `key` goes in it. Compares at
    /// most `PROBE` keys. A flow past its timeout is still found until something ends it.
    pub fn lookup(&self, key: &FlowKey) -> Option<(FlowHandle, Direction)> {
        let len = self.len();
        let hash = flow_hash(key, self.config.seed);
        let start = (hash as usize).checked_rem(len)?;
        let (found, _) = self.find(key, (hash >> 32) as u32, start);
        let (index, direction) = found?;
        Some((self.get(index)?.handle(), direction))
    }

    /// Slot and direction of `key`'s flow in the window at `start`, and the slots examined.
    #[inline(always)]
    fn find(&self, key: &FlowKey, tag: u32, start: usize) -> (Option<(usize, Direction)>, u64) {
        let slots = self.slots.as_ref();
        let len = slots.len().min(MAX_SLOTS);
        let mut index = start;
        for probed in 1..=PROBE.min(len) as u64 {
            if let Some(slot) = slots.get(index) {
                if slot.in_use() && slot.tag == tag && slot.key.transport == key.transport {
                    if slot.key == *key {
                        return (Some((index, Direction::Initiator)), probed);
                    }
                    if slot.key.src == key.dst && slot.key.dst == key.src {
                        return (Some((index, Direction::Responder)), probed);
                    }
                }
            }
            index = index.wrapping_add(1);
            if index >= len {
                index = 0;
            }
        }
        (None, PROBE.min(len) as u64)
    }

    /// Every flow in the table, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &Slot<M>> {
        self.slots
            .as_ref()
            .iter()
            .take(MAX_SLOTS)
            .filter(|s| s.in_use())
    }

    /// The flow `handle` names has ended (say, the firewall's connection tracking dropped it):
    /// its classifier is finished, and it lingers as a closed flow
    /// ([`TableConfig::tcp_closed_ns`]) so that late packets still count, then ends as
    /// [`EndReason::Closed`]; a SYN on its tuple starts a new flow. Returns the final verdict,
    /// or `None` for a stale handle.
    pub fn finish(&mut self, handle: FlowHandle) -> Option<Verdict> {
        self.flow(handle)?;
        let index = handle.index();
        let slot = self.slots.as_mut().get_mut(index)?;
        slot.stream
            .clear_held(&mut self.store, slot.index, slot.generation);
        // Its verdict is the one the caller acts on: no later corroboration.
        slot.flags = (slot.flags | FINISHED) & !LATE;
        Some(slot.classifier.finish())
    }

    /// [`FlowTable::finish`] the flow of `key` (either direction).
    pub fn finish_key(&mut self, key: &FlowKey) -> Option<Verdict> {
        let (handle, _) = self.lookup(key)?;
        self.finish(handle)
    }

    /// End the flow `handle` names now: it is finished and handed to `ended` with
    /// [`EndReason::Removed`]. Returns false for a stale handle.
    pub fn remove(&mut self, handle: FlowHandle, ended: impl FnOnce(&Slot<M>)) -> bool {
        if self.flow(handle).is_none() {
            return false;
        }
        let mut ended = Some(ended);
        self.end(handle.index(), EndReason::Removed, &mut |s: &Slot<M>| {
            if let Some(f) = ended.take() {
                f(s);
            }
        });
        true
    }

    /// [`FlowTable::remove`] the flow of `key` (either direction).
    pub fn remove_key(&mut self, key: &FlowKey, ended: impl FnOnce(&Slot<M>)) -> bool {
        match self.lookup(key) {
            Some((handle, _)) => self.remove(handle, ended),
            None => false,
        }
    }

    /// End every flow: each is finished and handed to `ended` with [`EndReason::Drained`],
    /// and the table is empty. Visits every slot.
    pub fn drain(&mut self, mut ended: impl FnMut(&Slot<M>)) {
        for index in 0..self.len() {
            if self.get(index).is_some() {
                self.end(index, EndReason::Drained, &mut ended);
            }
        }
    }

    /// Visit up to `max_slots` slots, from where the last call stopped (wrapping around), and
    /// end every flow whose timeout ran out at `now_ns` ([`EndReason::Idle`] or
    /// [`EndReason::Closed`]), handing it to `ended`. Returns how many ended. Bounded work per
    /// call: run it from a timer with `max_slots` a fraction of [`FlowTable::capacity`] (the
    /// whole table is visited once every `capacity / max_slots` calls), or with the capacity
    /// for a full sweep.
    pub fn expire(
        &mut self,
        now_ns: u64,
        max_slots: usize,
        mut ended: impl FnMut(&Slot<M>),
    ) -> usize {
        let len = self.len();
        let config = self.config;
        let mut count = 0usize;
        let mut index = self.cursor.checked_rem(len).unwrap_or(0);
        for _ in 0..max_slots.min(len) {
            // Most flows are well within the shortest timeout: one comparison.
            let due = self.slots.as_ref().get(index).is_some_and(|s| {
                s.in_use() && now_ns.saturating_sub(s.last_ns) > self.shortest_timeout
            });
            if due {
                let reason = self.get(index).and_then(|s| s.timed_out(now_ns, &config));
                if let Some(reason) = reason {
                    self.end(index, reason, &mut ended);
                    count = count.saturating_add(1);
                }
            }
            index = index.wrapping_add(1);
            if index >= len {
                index = 0;
            }
        }
        self.cursor = index;
        count
    }

    /// Track one decoded packet seen at `now_ns`, classify its payload, and return what
    /// happened. A flow that ends because of this packet (evicted to make room, timed out, or
    /// replaced by a new connection on its tuple) is handed to `ended` first.
    pub fn process(
        &mut self,
        packet: &Packet<'_>,
        now_ns: u64,
        ended: impl FnMut(&Slot<M>),
    ) -> Result<Outcome, TableError> {
        self.process_inner(packet, now_ns, ended, &mut Nothing)
    }

    /// [`FlowTable::process`] with knowledge kept across flows (see [`Learn`]): an
    /// [`EndpointCache`](crate::endpoints::EndpointCache) learns the peer endpoints the traffic
    /// names (tracker replies, PEX, the DHT, announced listen ports, and the peers of flows
    /// confirmed as peer wire, uTP or DHT), a [`HostCache`](crate::hosts::HostCache) the hosts
    /// with conclusive BitTorrent activity; a new flow to or from a learned endpoint gets
    /// [`Evidence::KNOWN_ENDPOINT`], one with an end on a BitTorrent host
    /// [`Evidence::BITTORRENT_HOST`] (each confirms an MSE key exchange), and so does a flow
    /// that awaits corroboration at a later packet (late corroboration, module docs). Pass
    /// both as `&mut (&mut endpoints, &mut hosts)`.
    pub fn process_learning<L: Learn + ?Sized>(
        &mut self,
        packet: &Packet<'_>,
        now_ns: u64,
        learn: &mut L,
        ended: impl FnMut(&Slot<M>),
    ) -> Result<Outcome, TableError> {
        self.process_inner(packet, now_ns, ended, learn)
    }

    fn process_inner<L: Learn + ?Sized>(
        &mut self,
        packet: &Packet<'_>,
        now_ns: u64,
        mut ended: impl FnMut(&Slot<M>),
        learn: &mut L,
    ) -> Result<Outcome, TableError> {
        let len = self.len();
        let hash = flow_hash(&packet.key, self.config.seed);
        let tag = (hash >> 32) as u32;
        let Some(start) = (hash as usize).checked_rem(len) else {
            return Err(TableError::NoCapacity);
        };
        let (found, probed) = self.find(&packet.key, tag, start);
        self.stats.probes = self.stats.probes.saturating_add(probed);
        let (index, direction, new_flow) = match found {
            Some((index, direction)) => match self.next(index, packet, now_ns) {
                Next::Same => (index, direction, false),
                Next::Ignored => return Ok(self.ignore(index, direction, packet, now_ns)),
                Next::New(reason) => {
                    self.end(index, reason, &mut ended);
                    self.create(index, packet, tag, now_ns);
                    (index, Direction::Initiator, true)
                }
            },
            None => {
                let index = self
                    .victim(start, now_ns, &mut ended)
                    .ok_or(TableError::Full)?;
                self.create(index, packet, tag, now_ns);
                (index, Direction::Initiator, true)
            }
        };
        let FlowTable {
            slots,
            store,
            stats,
            ..
        } = self;
        let Some(slot) = slots.as_mut().get_mut(index) else {
            return Err(TableError::NoCapacity);
        };
        if new_flow {
            slot.corroborate_first(learn, now_ns);
        }
        slot.count(direction, packet.payload_len_on_wire, now_ns);
        if !new_flow && slot.classifier.is_done() {
            // Nothing more to read: note how TCP ends, and go.
            if let Some(tcp) = &packet.tcp {
                slot.stream.note_close(direction, tcp);
            }
            // Only a flow that awaits corroboration is asked again (late corroboration).
            let changed = slot.flags & LATE != 0 && late(slot, learn, packet, now_ns);
            return Ok(Outcome {
                verdict: slot.classifier.verdict(),
                evidence: slot.classifier.evidence(),
                direction,
                slot: index,
                handle: slot.handle(),
                new_flow,
                changed,
                ignored: false,
            });
        }
        let before = slot.classifier.verdict();
        let alone = slot.classifier.confirmed_alone();
        {
            let Slot {
                classifier,
                meta,
                stream,
                flags,
                index: owner,
                generation,
                packets,
                ..
            } = slot;
            let mut observer = Learning::new(meta, &mut *learn, packet.key.src.addr, now_ns);
            match &packet.tcp {
                Some(tcp) => {
                    Reader {
                        feed: Feed {
                            classifier,
                            observer: &mut observer,
                            stats,
                            stream,
                            midstream: *flags & MIDSTREAM != 0,
                        },
                        store,
                        index: *owner,
                        generation: *generation,
                    }
                    .segment(
                        direction,
                        tcp,
                        packet.payload,
                        packet.payload_len_on_wire,
                    );
                    // One direction of a connection (a mirror port, asymmetric routing): a
                    // side that closes while not one packet of the other side was ever seen
                    // (no SYN-ACK, no acknowledgement: a connection that carried data had
                    // them) sent all it will, and nothing of the other side will come. Its
                    // classifier is finished there, as a closed flow's is (a lone handshake,
                    // an MSE first flight to a learned peer are judged), not left undecided
                    // by a capture that ends with the flow open; the slot stays open, so the
                    // side's last acknowledgements, however late, count in the same flow.
                    let other = packets.get(direction.reverse().index()).copied();
                    if tcp.flags.contains(TcpFlags::FIN)
                        && other == Some(0)
                        && !stream.holds()
                        && !classifier.is_done()
                    {
                        classifier.finish();
                        *flags &= !LATE;
                    }
                }
                None => {
                    let cut = packet.payload.len() < packet.payload_len_on_wire as usize;
                    if cut {
                        classifier.feed_cut_with(direction, packet.payload, &mut observer);
                    } else if !packet.payload.is_empty() {
                        classifier.feed_with(direction, packet.payload, &mut observer);
                    }
                }
            }
        }
        if slot.flags & LATE != 0 {
            slot.corroborate_late(learn, now_ns);
        }
        // A proxied stream's peer is the endpoint the client asked the proxy for, not the
        // proxy (whose host carries everyone's traffic): only that is learned.
        Learning::new(&mut slot.meta, &mut *learn, packet.key.src.addr, now_ns).confirmed(
            &slot.key,
            &slot.classifier,
            alone,
        );
        let verdict = slot.classifier.verdict();
        // Decided, or BitTorrent after a flow called not BitTorrent (a UDP flow sampled on,
        // an MSE flow corroborated late): the packet where the verdict became what it is.
        if (before == Verdict::Undecided && verdict != Verdict::Undecided)
            || (before == Verdict::NotBitTorrent && verdict.is_bittorrent())
        {
            slot.decided_at = slot.packets();
        }
        Ok(Outcome {
            verdict,
            evidence: slot.classifier.evidence(),
            direction,
            slot: index,
            handle: slot.handle(),
            new_flow,
            changed: verdict != before,
            ignored: false,
        })
    }

    /// What a packet on the tuple of the flow in slot `index` does to it.
    fn next(&self, index: usize, packet: &Packet<'_>, now_ns: u64) -> Next {
        let Some(slot) = self.get(index) else {
            return Next::Same;
        };
        // Most packets come well within the shortest timeout: one comparison.
        if now_ns.saturating_sub(slot.last_ns) > self.shortest_timeout {
            if let Some(reason) = slot.timed_out(now_ns, &self.config) {
                return Next::New(reason);
            }
        }
        if !opens_connection(packet.tcp) {
            Next::Same
        } else if slot.closed() {
            Next::New(EndReason::Reused)
        } else if slot.stream.established() {
            Next::Ignored
        } else {
            Next::Same
        }
    }

    /// Count a bogus SYN in the flow in slot `index` without reading it.
    fn ignore(
        &mut self,
        index: usize,
        direction: Direction,
        packet: &Packet<'_>,
        now_ns: u64,
    ) -> Outcome {
        self.stats.bogus_syns = self.stats.bogus_syns.saturating_add(1);
        let mut outcome = Outcome {
            verdict: Verdict::Undecided,
            evidence: Evidence::NONE,
            direction,
            slot: index,
            handle: FlowHandle {
                index: 0,
                generation: 0,
            },
            new_flow: false,
            changed: false,
            ignored: true,
        };
        if let Some(slot) = self.slots.as_mut().get_mut(index) {
            slot.count(direction, packet.payload_len_on_wire, now_ns);
            outcome.verdict = slot.classifier.verdict();
            outcome.evidence = slot.classifier.evidence();
            outcome.handle = slot.handle();
        }
        outcome
    }

    /// End the flow in slot `index` for `reason`: finish it, hand it to `ended`, free the slot.
    fn end(&mut self, index: usize, reason: EndReason, ended: &mut impl FnMut(&Slot<M>)) {
        if let Some(slot) = self.slots.as_mut().get_mut(index) {
            end_slot(slot, &mut self.store, &mut self.stats, reason, ended);
        }
    }

    /// Whether `best` (a window's choice for eviction, its slot and class) is a flow past its
    /// timeout by more than [`LATE_NS`] at `now_ns`. Apart, and cold: only a growable table's
    /// full window asks, and the lookup path stays as small as without it.
    #[cold]
    #[inline(never)]
    fn long_gone(&self, best: Option<(usize, u8)>, now_ns: u64) -> bool {
        let late = now_ns.saturating_sub(LATE_NS);
        best.filter(|(_, class)| *class == 0)
            .and_then(|(index, _)| self.get(index))
            .is_some_and(|s| s.timed_out(late, &self.config).is_some())
    }

    /// Pick the slot for a new flow in the window at `start`, ending its flow if needed; `None`
    /// when the window is full of flows within their timeout and the table growable.
    fn victim(
        &mut self,
        start: usize,
        now_ns: u64,
        ended: &mut impl FnMut(&Slot<M>),
    ) -> Option<usize> {
        let len = self.len();
        let config = self.config;
        let mut best: Option<(usize, (u8, u64), EndReason)> = None;
        for i in 0..PROBE.min(len) {
            self.stats.probes = self.stats.probes.saturating_add(1);
            let index = start.wrapping_add(i).checked_rem(len).unwrap_or(0);
            let Some(slot) = self.slots.as_ref().get(index) else {
                continue;
            };
            if !slot.in_use() {
                return Some(index);
            }
            let timed_out = slot.timed_out(now_ns, &config);
            let class = if timed_out.is_some() {
                0
            } else {
                match slot.classifier.verdict() {
                    _ if slot.closed() => 1,
                    Verdict::NotBitTorrent if slot.classifier.is_done() => 1,
                    Verdict::NotBitTorrent | Verdict::Undecided => 2,
                    Verdict::BitTorrent(_) => 3,
                }
            };
            // Prefer the lowest class, then the longest idle.
            let rank = (class, slot.last_ns);
            if best.is_none_or(|(_, b, _)| rank < b) {
                best = Some((index, rank, timed_out.unwrap_or(EndReason::Evicted)));
            }
        }
        // A growable table ends only a flow whose timeout ran out [`LATE_NS`] before (it ended
        // already, whoever notices, and a frame that late would not have met it: the record
        // is the same); for any other it grows.
        if self.growable
            && !self.long_gone(best.map(|(index, (class, _), _)| (index, class)), now_ns)
        {
            return None;
        }
        let (index, _, reason) = best.unwrap_or((start, (0, 0), EndReason::Evicted));
        self.end(index, reason, ended);
        Some(index)
    }

    fn create(&mut self, index: usize, packet: &Packet<'_>, tag: u32, now_ns: u64) {
        let number = self.stats.flows;
        self.stats.flows = self.stats.flows.saturating_add(1);
        if let Some(slot) = self.slots.as_mut().get_mut(index) {
            let midstream = packet.tcp.is_some() && !opens_connection(packet.tcp);
            *slot = Slot {
                key: packet.key,
                classifier: FlowClassifier::with_family(
                    packet.key.transport,
                    packet.key.src.addr.is_ipv6(),
                ),
                meta: M::default(),
                first_ns: now_ns,
                last_ns: now_ns,
                number,
                bytes: [0; 2],
                packets: [0; 2],
                decided_at: 0,
                index: index as u32,
                generation: slot.generation.wrapping_add(1),
                tag,
                asked: 0,
                stream: Stream::default(),
                flags: IN_USE | if midstream { MIDSTREAM } else { 0 },
                end: None,
            };
            if slot.flags & MIDSTREAM != 0 {
                slot.classifier.midstream();
            }
        }
    }
}

/// Late corroboration at `packet` of a decided flow in `slot` marked [`LATE`], at `now_ns`:
/// [`Slot::corroborate_late`], and what a confirmation teaches (as after a payload). Returns
/// whether the verdict changed. Apart, so that the packet path of decided flows stays as
/// small as without it.
#[inline(never)]
fn late<M: Observer, L: Learn + ?Sized>(
    slot: &mut Slot<M>,
    learn: &mut L,
    packet: &Packet<'_>,
    now_ns: u64,
) -> bool {
    let before = slot.classifier.verdict();
    let alone = slot.classifier.confirmed_alone();
    slot.corroborate_late(learn, now_ns);
    Learning::new(&mut slot.meta, &mut *learn, packet.key.src.addr, now_ns).confirmed(
        &slot.key,
        &slot.classifier,
        alone,
    );
    slot.classifier.verdict() != before
}

/// End the flow in `slot`: its held segments go back to `store`, its classifier is finished,
/// the counter of `reason` goes up, and `ended` sees it before the slot is freed.
fn end_slot<M, R>(
    slot: &mut Slot<M>,
    store: &mut Store<R>,
    stats: &mut TableStats,
    reason: EndReason,
    ended: &mut impl FnMut(&Slot<M>),
) where
    R: AsRef<[Held]> + AsMut<[Held]>,
{
    slot.stream.clear_held(store, slot.index, slot.generation);
    slot.classifier.finish();
    slot.end = Some(reason);
    let counter = match reason {
        EndReason::Evicted => &mut stats.evicted_active,
        EndReason::Idle | EndReason::Closed => &mut stats.evicted_idle,
        EndReason::Reused => &mut stats.reused,
        EndReason::Removed | EndReason::Drained => &mut stats.removed,
    };
    *counter = counter.saturating_add(1);
    ended(slot);
    slot.flags = 0;
}

#[cfg(test)]
mod tests;
