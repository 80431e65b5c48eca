//! [`Analyzer`]: frames in, flow records out. The one place where captured frames meet the
//! core's decoder and [`FlowTable`], shared by the CLI, the Python module, the benches and the
//! tests.

use std::collections::HashMap;

use torclass_core::endpoints::{CacheConfig, CacheEntry, CacheStats, EndpointCache};
use torclass_core::hosts::HostCache;
use torclass_core::packet::{self, DecodeError, FlowKey, LinkType, Tunnel, TunnelKind};
use torclass_core::reassembly::{FragmentSlot, Reassembler, ReassemblyConfig, ReassemblyStats};
use torclass_core::table::{FlowTable, Held, Slot, TableConfig, TableError, TableStats};
use torclass_core::{Client, Direction, Metadata};

use crate::{CaptureError, CaptureReader, FlowRecord, Id};

mod snapshot;

/// How an [`Analyzer`] is set up.
#[derive(Clone, Copy, Debug)]
pub struct AnalyzerConfig {
    /// Flow table slots (each [`SLOT_SIZE`] bytes): the most flows tracked at once.
    pub slots: usize,
    /// Slots the table starts with: it grows fourfold (moving its flows) whenever a new flow would
    /// otherwise evict an active one, up to `slots`, so that memory is touched as flows arrive.
    /// Until it reaches `slots` no active flow is evicted; from there the table's eviction
    /// policy applies. At least `slots` makes the table its full size from the start.
    pub first_slots: usize,
    /// Timeouts and hash seed of the table.
    pub table: TableConfig,
    /// Entries of the out-of-order store ([`Held::SIZE`] bytes each), shared by the flows:
    /// reordered early segments of undecided TCP flows are read in order; 0 turns it off.
    pub reorder: usize,
    /// Entries of the endpoint cache (32 bytes each); 0 turns endpoint learning off.
    pub endpoints: usize,
    /// Time to live and seed of the endpoint cache.
    pub cache: CacheConfig,
    /// Entries of the BitTorrent host cache (32 bytes each, see [`torclass_core::hosts`]);
    /// 0 turns host corroboration off.
    pub hosts: usize,
    /// Time to live and seed of the host cache.
    pub host_cache: CacheConfig,
    /// IP datagrams reassembled at once ([`FragmentSlot`]s, about 1.1 KiB each); 0 turns
    /// reassembly off (first fragments are then classified with the part they carry, later
    /// ones only counted).
    pub fragment_slots: usize,
    /// Bytes kept of each datagram being reassembled (at most 65,535): longer datagrams are
    /// classified from their first bytes.
    pub fragment_bytes: usize,
    /// Timeout, per-source limit, overlap policy and seed of the reassembler.
    pub reassembly: ReassemblyConfig,
    /// How often, in capture time, the analyzer ends the flows whose timeout ran out
    /// ([`TableConfig`]: closed, or idle), visiting at most a sixteenth of the table and one
    /// slot per 8 frames seen since the last time (at least 64), so that the table holds the
    /// flows still going rather than every flow of the capture; 0 leaves them to the end of
    /// the capture. Records do not depend on it (see [`Analyzer::finish`]).
    pub sweep_ns: u64,
}

/// Bytes of one flow table slot with its metadata.
pub const SLOT_SIZE: usize = torclass_core::table::SLOT_SIZE;

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            slots: 1 << 16,
            first_slots: FIRST_SLOTS,
            table: TableConfig::default(),
            reorder: 1 << 11,
            endpoints: 1 << 16,
            cache: CacheConfig::default(),
            hosts: 1 << 12,
            host_cache: CacheConfig::hosts(),
            // 64 datagrams of up to 64 KiB: 4 MiB, Linux's default ipfrag_high_thresh.
            fragment_slots: 64,
            fragment_bytes: 65_535,
            reassembly: ReassemblyConfig::default(),
            sweep_ns: 1_000_000_000,
        }
    }
}

/// Counts of packets that were not classified, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketStats {
    /// Frames read.
    pub frames: u64,
    /// Frames classified (TCP or UDP, decoded).
    pub classified: u64,
    /// IP fragments that gave no packet to classify: held for reassembly, refused by the
    /// reassembler (later fragments), or any non-first fragment when reassembly is off. The
    /// fragment that completes a datagram counts as classified.
    pub later_fragments: u64,
    /// Frames of other protocols (ARP, ICMP, …) or link types torclass does not read.
    pub unsupported: u64,
    /// Truncated or malformed frames.
    pub malformed: u64,
    /// The first link type (pcap `LINKTYPE_*`) met that torclass does not read, if any: its
    /// frames are counted in `unsupported`. Front ends name it ("unsupported link type N").
    pub unknown_link_type: Option<u32>,
}

/// What [`Analyzer::frame`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameOutcome {
    /// The frame belongs to a flow; its verdict after this frame.
    Flow(torclass_core::table::Outcome),
    /// An IP fragment held for reassembly, or a later fragment not reassembled: counted.
    LaterFragment,
    /// Not TCP/UDP over IP, or an unknown link type.
    Unsupported,
    /// Truncated or malformed.
    Malformed(DecodeError),
}

/// The analyzer's flow table: boxed slots and out-of-order store.
type Table = FlowTable<Box<[Slot<Metadata>]>, Metadata, Box<[Held]>>;

/// The endpoint and host caches a packet may teach (either may be off).
type Caches<'a> = (
    Option<&'a mut EndpointCache<Box<[CacheEntry]>>>,
    Option<&'a mut HostCache<Box<[CacheEntry]>>>,
);

/// The reassembler an analyzer owns.
type Defragmenter = Reassembler<Box<[FragmentSlot]>, Box<[u8]>>;

/// Classifies frames into flows and keeps every flow's record.
pub struct Analyzer {
    table: Table,
    /// The slots the table starts with and the most it grows to
    /// ([`AnalyzerConfig::first_slots`], [`AnalyzerConfig::slots`]).
    first_slots: usize,
    max_slots: usize,
    cache: Option<EndpointCache<Box<[CacheEntry]>>>,
    hosts: Option<HostCache<Box<[CacheEntry]>>>,
    reassembler: Option<Defragmenter>,
    /// The tunnel each tunnelled flow's first packet came in, by flow number.
    tunnels: HashMap<u64, Tunnel>,
    finished: Vec<(u64, FlowRecord)>,
    stats: PacketStats,
    clock: Clock,
}

/// The capture's time as an analyzer saw it, and when it next ends timed-out flows.
#[derive(Clone, Copy, Debug, Default)]
struct Clock {
    /// The latest timestamp of any frame seen (ns): captures are not always in time order.
    now: u64,
    /// When the next sweep is due ([`AnalyzerConfig::sweep_ns`]).
    sweep_at: u64,
    /// [`AnalyzerConfig::sweep_ns`].
    every: u64,
    /// [`PacketStats::frames`] at the last sweep: the frames since pay for the next one.
    frames: u64,
}

/// The part of the table one sweep visits at most: the whole table once every 16 sweeps.
const SWEEP_PARTS: usize = 16;

/// Frames that pay for one slot visited by a sweep, so that a sweep costs each frame a few
/// instructions however sparse the capture's time (a capture of an hour in a million frames
/// would otherwise visit the whole table every 16 seconds for a few hundred frames).
const FRAMES_PER_SWEPT_SLOT: u64 = 8;

/// Slots a sweep may visit whatever the frames since the last one: a sparse capture (a few
/// frames a second) still has its table swept in a few minutes of capture time.
const SWEEP_MIN_SLOTS: usize = 64;

/// How far a sweep stays behind the clock: a flow is swept when its timeout ran out this long
/// before the latest frame, so that frames up to this much out of time order (captures merged
/// from several interfaces) meet their flow as they would with no sweep. The growing table
/// keeps the same margin ([`torclass_core::table::LATE_NS`]).
pub const SWEEP_LAG_NS: u64 = torclass_core::table::LATE_NS;

impl Analyzer {
    /// An analyzer with its own flow table.
    pub fn new(config: AnalyzerConfig) -> Self {
        let first = config.first_slots.clamp(1, config.slots.max(1));
        let slots = vec![Slot::default(); first].into_boxed_slice();
        // The caches and the out-of-order store take zeroed pages from the allocator (all-zero
        // entries are free ones), which the OS maps only when an entry is first written.
        let cache = (config.endpoints > 0).then(|| {
            EndpointCache::from_free(bytemuck::zeroed_slice_box(config.endpoints), config.cache)
        });
        let hosts = (config.hosts > 0).then(|| {
            HostCache::from_free(bytemuck::zeroed_slice_box(config.hosts), config.host_cache)
        });
        let store: Box<[Held]> = bytemuck::zeroed_slice_box(config.reorder);
        let reassembler = (config.fragment_slots > 0 && config.fragment_bytes > 0).then(|| {
            let bytes = config
                .fragment_bytes
                .min(torclass_core::reassembly::MAX_DATAGRAM);
            Reassembler::new(
                vec![FragmentSlot::default(); config.fragment_slots].into_boxed_slice(),
                vec![0u8; config.fragment_slots * bytes].into_boxed_slice(),
                config.reassembly,
            )
        });
        let mut table = FlowTable::with_reorder(slots, store, config.table);
        table.set_growable(first < config.slots);
        Self {
            table,
            first_slots: first,
            max_slots: config.slots.max(1),
            cache,
            hosts,
            reassembler,
            tunnels: HashMap::new(),
            finished: Vec::new(),
            stats: PacketStats::default(),
            clock: Clock {
                every: config.sweep_ns,
                ..Clock::default()
            },
        }
    }

    /// The capture's clock reached `ts_nanos` (a frame seen by this analyzer, or by another
    /// that shares the capture with it, [`crate::ShardedAnalyzer`]); when a sweep is due, end
    /// the flows of the next part of the table whose timeout ran out [`SWEEP_LAG_NS`] before.
    pub fn saw(&mut self, ts_nanos: i128) {
        self.tick(nanos(ts_nanos));
    }

    /// [`Analyzer::saw`] in the clock's unit; a comparison per frame when no sweep is due.
    #[inline]
    fn tick(&mut self, now: u64) {
        self.clock.now = self.clock.now.max(now);
        if self.clock.now >= self.clock.sweep_at {
            self.sweep();
        }
    }

    #[cold]
    fn sweep(&mut self) {
        let clock = &mut self.clock;
        clock.sweep_at = match clock.every {
            0 => u64::MAX,
            every => clock.now.saturating_add(every),
        };
        let then = clock.now.saturating_sub(SWEEP_LAG_NS);
        let frames = self.stats.frames.saturating_sub(clock.frames);
        clock.frames = self.stats.frames;
        let slots = usize::try_from(frames / FRAMES_PER_SWEPT_SLOT)
            .unwrap_or(usize::MAX)
            .max(SWEEP_MIN_SLOTS)
            .min(self.table.capacity().div_ceil(SWEEP_PARTS));
        self.expire(then, slots);
    }

    /// Classify one frame of `link_type` (a pcap LINKTYPE) captured at `ts_nanos`.
    pub fn frame(&mut self, link_type: u32, ts_nanos: i128, frame: &[u8]) -> FrameOutcome {
        self.frame_where(link_type, ts_nanos, frame, |_| true, true)
            .unwrap_or(FrameOutcome::Unsupported)
    }

    /// [`Analyzer::frame`] for the flows `mine` accepts only: a packet of another flow is
    /// neither classified nor counted (`None`), and frames that are no packet (fragments held
    /// for reassembly, errors) are counted only if `count_others`. Fragments are reassembled
    /// whatever flow they belong to, so that analyzers sharing a capture by flow
    /// ([`crate::ShardedAnalyzer`]) each get their flows' datagrams.
    pub fn frame_where(
        &mut self,
        link_type: u32,
        ts_nanos: i128,
        frame: &[u8],
        mine: impl Fn(&FlowKey) -> bool,
        count_others: bool,
    ) -> Option<FrameOutcome> {
        let now = nanos(ts_nanos);
        self.tick(now);
        let Some(link) = LinkType::from_pcap(link_type) else {
            if !count_others {
                return None;
            }
            self.stats.frames += 1;
            self.stats.unsupported += 1;
            self.stats.unknown_link_type.get_or_insert(link_type);
            return Some(FrameOutcome::Unsupported);
        };
        let decoded = match &mut self.reassembler {
            Some(r) => r.decode(link, frame, now),
            None => packet::decode(link, frame).map(Some),
        };
        match decoded {
            Ok(Some(p)) if mine(&p.key) => {
                self.stats.frames += 1;
                let outcome = Self::classify(
                    (&mut self.table, self.max_slots),
                    (self.cache.as_mut(), self.hosts.as_mut()),
                    &mut self.finished,
                    &mut self.tunnels,
                    &mut self.stats,
                    &p,
                    now,
                );
                if let (FrameOutcome::Flow(o), Some(_)) = (outcome, p.tunnel) {
                    if o.new_flow {
                        let reassembled = self
                            .reassembler
                            .as_ref()
                            .and_then(Reassembler::reassembled_tunnel);
                        let tunnel = reassembled.or_else(|| packet::tunnel(link, frame));
                        self.remember_tunnel(o.slot, tunnel);
                    }
                }
                Some(outcome)
            }
            Ok(Some(_)) => None,
            _ if !count_others => None,
            Ok(None) => {
                self.stats.frames += 1;
                self.stats.later_fragments += 1;
                Some(FrameOutcome::LaterFragment)
            }
            Err(e) => {
                self.stats.frames += 1;
                Some(self.decode_error(e))
            }
        }
    }

    /// Classify one L3 packet (IPv4 or IPv6), as NFQUEUE delivers them.
    pub fn ip_packet(&mut self, ts_nanos: i128, packet: &[u8]) -> FrameOutcome {
        let now = nanos(ts_nanos);
        self.tick(now);
        self.stats.frames += 1;
        let decoded = match &mut self.reassembler {
            Some(r) => r.decode_ip(packet, now),
            None => packet::decode_ip(packet).map(Some),
        };
        match decoded {
            Ok(Some(p)) => {
                let outcome = Self::classify(
                    (&mut self.table, self.max_slots),
                    (self.cache.as_mut(), self.hosts.as_mut()),
                    &mut self.finished,
                    &mut self.tunnels,
                    &mut self.stats,
                    &p,
                    now,
                );
                if let (FrameOutcome::Flow(o), Some(_)) = (outcome, p.tunnel) {
                    if o.new_flow {
                        let reassembled = self
                            .reassembler
                            .as_ref()
                            .and_then(Reassembler::reassembled_tunnel);
                        let tunnel = reassembled.or_else(|| packet::tunnel_ip(packet));
                        self.remember_tunnel(o.slot, tunnel);
                    }
                }
                outcome
            }
            Ok(None) => {
                self.stats.later_fragments += 1;
                FrameOutcome::LaterFragment
            }
            Err(e) => self.decode_error(e),
        }
    }

    /// Classify one packet the caller decoded already (captured at `ts_nanos`).
    pub fn decoded(&mut self, ts_nanos: i128, packet: &packet::Packet<'_>) -> FrameOutcome {
        self.packet(packet, ts_nanos)
    }

    /// [`Analyzer::frame`] for a frame of `link` the caller decoded already, with
    /// [`packet::decode`], to `packet`, a whole datagram ([`packet::Fragment::None`]; or any
    /// packet if reassembly is off): what [`Analyzer::frame`] does with such a frame, without
    /// decoding it again. The reassembler is not consulted (a whole datagram does not change
    /// it); `frame` is read again only for a new tunnelled flow's tunnel ([`packet::tunnel`]).
    pub fn decoded_frame(
        &mut self,
        link: LinkType,
        ts_nanos: i128,
        frame: &[u8],
        packet: &packet::Packet<'_>,
    ) -> FrameOutcome {
        let outcome = self.packet(packet, ts_nanos);
        if let (FrameOutcome::Flow(o), Some(_)) = (outcome, packet.tunnel) {
            if o.new_flow {
                self.remember_tunnel(o.slot, packet::tunnel(link, frame));
            }
        }
        outcome
    }

    fn decode_error(&mut self, e: DecodeError) -> FrameOutcome {
        match e {
            DecodeError::LaterFragment { .. } => {
                self.stats.later_fragments += 1;
                FrameOutcome::LaterFragment
            }
            DecodeError::Unsupported { .. } => {
                self.stats.unsupported += 1;
                FrameOutcome::Unsupported
            }
            other => {
                self.stats.malformed += 1;
                FrameOutcome::Malformed(other)
            }
        }
    }

    /// Count and classify a packet seen at `ts_nanos`, the clock moved first.
    fn packet(&mut self, p: &packet::Packet<'_>, ts_nanos: i128) -> FrameOutcome {
        let now = nanos(ts_nanos);
        self.tick(now);
        self.stats.frames += 1;
        Self::classify(
            (&mut self.table, self.max_slots),
            (self.cache.as_mut(), self.hosts.as_mut()),
            &mut self.finished,
            &mut self.tunnels,
            &mut self.stats,
            p,
            now,
        )
    }

    /// Feed one decoded packet to the table (fields apart, so that the packet may borrow the
    /// reassembler's buffer meanwhile), growing the table up to `max_slots` rather than
    /// evicting an active flow. `tunnels` only loses the tunnels of flows that end here; a new
    /// flow's tunnel is read after, from the frame, by [`packet::tunnel`].
    fn classify(
        (table, max_slots): (&mut Table, usize),
        mut learn: Caches<'_>,
        finished: &mut Vec<(u64, FlowRecord)>,
        tunnels: &mut HashMap<u64, Tunnel>,
        stats: &mut PacketStats,
        p: &packet::Packet<'_>,
        now: u64,
    ) -> FrameOutcome {
        loop {
            let ended = |slot: &Slot<Metadata>| {
                finished.push((slot.number(), tunnel_record(tunnels, slot)));
            };
            match table.process_learning(p, now, &mut learn, ended) {
                Ok(o) => {
                    stats.classified += 1;
                    return FrameOutcome::Flow(o);
                }
                // The table grows each time, and stops growing at `max_slots`: bounded.
                Err(TableError::Full) => grow(table, max_slots),
                Err(_) => {
                    stats.unsupported += 1;
                    return FrameOutcome::Unsupported;
                }
            }
        }
    }

    /// Keep the tunnel of the new flow in table slot `slot` for its record.
    fn remember_tunnel(&mut self, slot: usize, tunnel: Option<Tunnel>) {
        if let (Some(tunnel), Some(slot)) = (tunnel, self.table.get(slot)) {
            self.tunnels.insert(slot.number(), tunnel);
        }
    }

    /// Read every packet of `reader`, calling `progress` with the byte offset now and then.
    /// On a corrupt or truncated file the flows read so far stay in the analyzer.
    pub fn read(
        &mut self,
        reader: &mut CaptureReader,
        mut progress: impl FnMut(u64),
    ) -> Result<(), CaptureError> {
        reader.for_each_packet(|p| {
            self.frame(p.link_type, p.ts_nanos, p.data);
            if p.index % 4096 == 0 {
                progress(p.offset);
            }
        })?;
        Ok(())
    }

    /// Records of the flows that left the table so far (evicted to make room, timed out,
    /// closed, or replaced by a new connection on their tuple; [`FlowRecord::end_reason`]
    /// says which), in the order they were first seen; they are no longer kept by the
    /// analyzer.
    pub fn take_finished(&mut self) -> Vec<FlowRecord> {
        sort_by_number(&mut self.finished);
        self.finished.drain(..).map(|(_, r)| r).collect()
    }

    /// End the flows whose timeout ran out at `now_ns`, visiting at most `max_slots` slots
    /// from where the last call stopped ([`FlowTable::expire`]); their records join
    /// [`Analyzer::take_finished`]. For live captures, called on a timer. Returns how many
    /// ended.
    pub fn expire(&mut self, now_ns: u64, max_slots: usize) -> usize {
        let (finished, tunnels) = (&mut self.finished, &mut self.tunnels);
        self.table.expire(now_ns, max_slots, |slot| {
            finished.push((slot.number(), tunnel_record(tunnels, slot)));
        })
    }

    /// Slots of the flow table now (it grows up to [`AnalyzerConfig::slots`]).
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// The record of the flow in table slot `index`.
    pub fn record(&self, index: usize) -> Option<FlowRecord> {
        self.table.get(index).map(|slot| {
            let mut r = record(slot);
            r.set_tunnel(self.tunnels.get(&slot.number()));
            r
        })
    }

    /// Packet counters.
    pub fn packet_stats(&self) -> PacketStats {
        self.stats
    }

    /// Flow table counters.
    pub fn table_stats(&self) -> TableStats {
        self.table.stats()
    }

    /// Endpoint cache counters, if the cache is on.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.cache.as_ref().map(EndpointCache::stats)
    }

    /// Host cache counters, if the cache is on.
    pub fn host_stats(&self) -> Option<CacheStats> {
        self.hosts.as_ref().map(HostCache::stats)
    }

    /// Reassembler counters, if reassembly is on.
    pub fn reassembly_stats(&self) -> Option<ReassemblyStats> {
        self.reassembler.as_ref().map(Reassembler::stats)
    }

    /// Every flow's record, in the order flows were first seen; the analyzer is emptied.
    /// A flow whose timeout ran out by the capture's clock (the latest frame seen,
    /// [`Analyzer::saw`]) ended then, whether a sweep ([`AnalyzerConfig::sweep_ns`]) ended it
    /// already or not: it is finished, as a flow that closes is (an unanswered MSE key
    /// exchange is judged, an undecided flow is not BitTorrent). The flows still going are
    /// recorded as they stand, not finished: a flow still open when the capture ended, with
    /// nothing conclusive yet, is `undecided`.
    pub fn finish(&mut self) -> Vec<FlowRecord> {
        let mut records = Vec::with_capacity(self.finished.len() + self.table.iter().count());
        self.finish_each(|r| records.push(r));
        records
    }

    /// [`Analyzer::finish`] one record at a time, in the same order: each flow still in the
    /// table is recorded only when `each` is about to get it, so a caller that converts
    /// records as they come (to Arrow columns, say) never holds them all at once.
    pub fn finish_each(&mut self, mut each: impl FnMut(FlowRecord)) {
        self.expire(self.clock.now, self.table.capacity());
        sort_by_number(&mut self.finished);
        let mut done = self.finished.drain(..).peekable();
        let mut open: Vec<(u64, &Slot<Metadata>)> = self
            .table
            .iter()
            .map(|slot| (slot.number(), slot))
            .collect();
        open.sort_unstable_by_key(|(n, _)| *n);
        for (number, slot) in open {
            while let Some((_, r)) = done.next_if(|(n, _)| *n < number) {
                each(r);
            }
            each(tunnel_record(&mut self.tunnels, slot));
        }
        done.for_each(|(_, r)| each(r));
        self.table.drain(|_| {});
    }

    /// Free what only classifying frames needs (the endpoint and host caches, the reassembler
    /// and its buffer, the spare room of the list of ended flows), for a caller that has read
    /// its capture and only has records left to make ([`Analyzer::finish_each`]): the records
    /// are the same, and the memory is not held beside them. Take the caches' counters first;
    /// frames given afterwards are classified without caches or reassembly.
    pub fn free_classifying_state(&mut self) {
        self.cache = None;
        self.hosts = None;
        self.reassembler = None;
        self.finished.shrink_to_fit();
    }
}

/// Slots an analyzer's table starts with by default ([`AnalyzerConfig::first_slots`]), about
/// 0.5 MB: a small capture starts at once.
pub const FIRST_SLOTS: usize = 1 << 10;

/// How many times larger the analyzer's table gets each time it grows: a quarter of the final
/// slots is held beside them while the last growth moves the flows (doubling: half).
const GROWTH: usize = 4;

/// Grow `table` fourfold until its flows fit (at most to `max_slots`), and let it evict once it
/// can grow no more.
fn grow(table: &mut Table, max_slots: usize) {
    let mut slots = table.capacity();
    while slots < max_slots {
        slots = slots.saturating_mul(GROWTH).min(max_slots);
        if table
            .grow(vec![Slot::default(); slots].into_boxed_slice())
            .is_ok()
        {
            break;
        }
    }
    table.set_growable(table.capacity() < max_slots);
}

/// Sort records by flow number (unique). The numbers are sorted with their positions (16
/// bytes each), then each record is put in place by one swap, following the permutation's
/// cycles, rather than moving records (hundreds of bytes) around in the sort.
fn sort_by_number(records: &mut [(u64, FlowRecord)]) {
    let mut order: Vec<(u64, usize)> = records
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (*n, i))
        .collect();
    order.sort_unstable();
    for start in 0..order.len() {
        let mut at = start;
        while let Some(from) = order
            .get_mut(at)
            .map(|o| std::mem::replace(&mut o.1, usize::MAX))
        {
            if from == usize::MAX || from == start {
                break;
            }
            records.swap(at, from);
            at = from;
        }
    }
}

/// Whether a table that starts with `first` slots and grows fourfold up to `max` can have
/// `slots`.
fn reachable(slots: usize, first: usize, max: usize) -> bool {
    let mut size = first;
    while size < slots && size < max {
        size = size.saturating_mul(GROWTH).min(max);
    }
    size == slots
}

/// A timestamp as the table's clock: nanoseconds, negative ones as 0.
fn nanos(ts_nanos: i128) -> u64 {
    u64::try_from(ts_nanos.max(0)).unwrap_or(u64::MAX)
}

/// The record of a flow leaving the table, with its tunnel (forgotten here).
fn tunnel_record(tunnels: &mut HashMap<u64, Tunnel>, slot: &Slot<Metadata>) -> FlowRecord {
    let mut r = record(slot);
    r.set_tunnel(tunnels.remove(&slot.number()).as_ref());
    r
}

/// The client a flow's initiator (else responder) names, from its peer id, else from its
/// BEP 10 `v` string, else that string as sent (non-printable bytes escaped, as KRPC's binary
/// `v` has them).
#[must_use]
pub fn client(meta: &Metadata) -> Option<String> {
    let sides = [Direction::Initiator, Direction::Responder];
    Client::identify_flow(
        sides.map(|d| meta.peer_id(d).map(|id| &id[..])),
        sides.map(|d| meta.client_name(d)),
    )
    .map(|c| c.to_string())
    .or_else(|| {
        sides
            .iter()
            .find_map(|d| meta.client_name(*d).map(crate::peer_id_text))
    })
}

impl FlowRecord {
    /// Fill `tunnel` and `tunnel_dst` from the encapsulation the flow came in, if any. A
    /// proxy the flow was read through ([`FlowRecord::set_proxy`]) is nearer the flow's
    /// content and stays.
    pub fn set_tunnel(&mut self, tunnel: Option<&Tunnel>) {
        let proxied = self
            .tunnel
            .and_then(TunnelKind::from_name)
            .is_some_and(TunnelKind::is_proxy);
        if !proxied {
            self.tunnel = tunnel.map(|t| t.kind().name());
            self.tunnel_dst = tunnel.map(Tunnel::to_string);
        }
    }

    /// Fill `tunnel` (`socks4`, `socks5`, `http_connect`) and `tunnel_dst` (the endpoint the
    /// client asked for, `HOST:PORT`) from the proxy negotiation the flow classifier read.
    pub fn set_proxy(&mut self, proxy: Option<TunnelKind>, meta: &Metadata) {
        if let Some(kind) = proxy {
            self.tunnel = Some(kind.name());
            self.tunnel_dst = meta.proxy_target().map(|t| t.to_string());
        }
    }

    /// Fill the record's metadata fields (`info_hash`, `peer_id`, `client`, `dht_node_id`)
    /// from what the classifier extracted; the initiator's values win over the responder's.
    pub fn set_metadata(&mut self, meta: &Metadata) {
        self.info_hash = meta.info_hash().map(|h| Id::from_slice(h.as_bytes()));
        self.peer_id = meta
            .peer_id(Direction::Initiator)
            .or_else(|| meta.peer_id(Direction::Responder))
            .map(|id| Id::from_slice(id));
        self.client = client(meta);
        self.dht_node_id = meta
            .dht_node_id(Direction::Initiator)
            .or_else(|| meta.dht_node_id(Direction::Responder))
            .map(|id| Id::from_slice(id));
    }
}

/// The record of one flow.
pub fn record(slot: &Slot<Metadata>) -> FlowRecord {
    let key = slot.key();
    let mut r = FlowRecord::new(
        key.transport,
        key.src.addr,
        key.src.port,
        key.dst.addr,
        key.dst.port,
    );
    r.set_times(slot.first_ns(), slot.last_ns());
    r.packets = u64::from(slot.packets());
    r.bytes = slot.bytes();
    r.packets_out = u64::from(slot.packets_from(Direction::Initiator));
    r.bytes_out = slot.bytes_from(Direction::Initiator);
    r.packets_in = u64::from(slot.packets_from(Direction::Responder));
    r.bytes_in = slot.bytes_from(Direction::Responder);
    r.end_reason = slot.end_reason();
    r.verdict = slot.verdict();
    r.evidence = slot.classifier().evidence();
    r.set_metadata(slot.metadata());
    r.set_proxy(slot.classifier().proxy(), slot.metadata());
    r.decided_at_packet = slot.decided_at_packet().map(u64::from);
    r
}
