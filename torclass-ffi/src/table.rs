//! [`torclass_table`]: a flow table in caller memory, classifying whole packets (the zstd
//! static-context pattern: size query, `_init` on the caller's buffer, no `_free`).
//!
//! Memory layout: a [`Header`] (magic, ABI version, capacity, the buffer's own address and
//! length, the core [`FlowTable`], [`EndpointCache`] and [`Reassembler`]) followed, at the next
//! multiple of the slot alignment, by `capacity` core [`Slot`]s, `capacity` endpoint cache
//! entries, [`FRAGMENT_SLOTS`] reassembly slots and their buffer, all written by
//! [`torclass_table_init`]. Every call checks the header before touching a slot,
//! so zeroed, garbage, copied or moved memory is refused.

use core::ffi::c_void;
use core::net::IpAddr;
use core::ptr::NonNull;

use torclass_core::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use torclass_core::observer::EndpointSource;
use torclass_core::packet::{DecodeError, FlowKey, LinkType};
use torclass_core::reassembly::{FragmentSlot, Reassembler, ReassemblyConfig};
use torclass_core::table::{EndReason, FlowHandle, FlowTable, Slot, TableConfig};
use torclass_core::{Direction, Metadata, Verdict};

use crate::boundary::{bytes, get_mut, out, prefix_len, write_prefix, MAX_LEN};
use crate::meta::torclass_meta;
use crate::result::{torclass_result, TORCLASS_RESULT_COUNT};
use crate::stamp::Stamp;
use crate::verdict::torclass_verdict;

/// Alignment `torclass_table_init` requires of table memory. `malloc`, `aligned_alloc(8, …)`
/// and `mmap` all satisfy it.
pub const TORCLASS_TABLE_ALIGN: usize = 8;

/// `link_type` of [`torclass_table_process`] for a bare IPv4 or IPv6 packet (as NFQUEUE
/// delivers them): pcap's `LINKTYPE_RAW`. Any other pcap `LINKTYPE_*` number torclass reads
/// (1 Ethernet, 113 Linux cooked v1, 276 v2, 0/108 BSD loopback, 228/229) is accepted too.
pub const TORCLASS_LINK_IP: u32 = 101;
/// `link_type` for Ethernet II frames (pcap `LINKTYPE_ETHERNET`).
pub const TORCLASS_LINK_ETHERNET: u32 = 1;

/// Longest packet [`torclass_table_process`] accepts (pcap's largest snapshot length); a
/// longer `len` is `TORCLASS_RESULT_INVALID_ARGUMENT`.
pub const TORCLASS_MAX_PACKET_LEN: usize = 262_144;

const MAGIC: u64 = u64::from_le_bytes(*b"tcTABLE\x01");

/// `torclass_flow_info.end_reason`: replaced before its timeout to make room for a new flow
/// (the table is too small for the traffic).
pub const TORCLASS_END_EVICTED: u8 = 1;
/// Idle longer than its timeout.
pub const TORCLASS_END_IDLE: u8 = 2;
/// Closed (TCP FIN both ways, RST, or `torclass_table_finish`) and its linger over.
pub const TORCLASS_END_CLOSED: u8 = 3;
/// A new connection on its tuple (a SYN after it closed) replaced it.
pub const TORCLASS_END_REUSED: u8 = 4;
/// Removed by `torclass_table_remove`.
pub const TORCLASS_END_REMOVED: u8 = 5;
/// Ended by `torclass_table_drain`.
pub const TORCLASS_END_DRAINED: u8 = 6;

const _: () = {
    assert!(TORCLASS_END_EVICTED == EndReason::Evicted as u8);
    assert!(TORCLASS_END_IDLE == EndReason::Idle as u8);
    assert!(TORCLASS_END_CLOSED == EndReason::Closed as u8);
    assert!(TORCLASS_END_REUSED == EndReason::Reused as u8);
    assert!(TORCLASS_END_REMOVED == EndReason::Removed as u8);
    assert!(TORCLASS_END_DRAINED == EndReason::Drained as u8);
};

/// `torclass_endpoint.source`: a BEP 11 PEX entry.
pub const TORCLASS_SOURCE_PEX: u8 = 1;
/// A tracker reply's peer list.
pub const TORCLASS_SOURCE_TRACKER: u8 = 2;
/// A DHT `values` entry or `announce_peer`.
pub const TORCLASS_SOURCE_DHT: u8 = 3;
/// An LSD announcement.
pub const TORCLASS_SOURCE_LSD: u8 = 4;
/// A port a peer announced for itself.
pub const TORCLASS_SOURCE_LISTEN_PORT: u8 = 5;
/// An endpoint of a flow confirmed as BitTorrent (also what a caller's own insert may use).
pub const TORCLASS_SOURCE_FLOW: u8 = 6;
/// The target of a proxied flow confirmed as BitTorrent.
pub const TORCLASS_SOURCE_PROXY: u8 = 7;

const _: () = {
    assert!(TORCLASS_SOURCE_PEX == EndpointSource::Pex as u8);
    assert!(TORCLASS_SOURCE_TRACKER == EndpointSource::Tracker as u8);
    assert!(TORCLASS_SOURCE_DHT == EndpointSource::Dht as u8);
    assert!(TORCLASS_SOURCE_LSD == EndpointSource::Lsd as u8);
    assert!(TORCLASS_SOURCE_LISTEN_PORT == EndpointSource::ListenPort as u8);
    assert!(TORCLASS_SOURCE_FLOW == EndpointSource::Flow as u8);
    assert!(TORCLASS_SOURCE_PROXY == EndpointSource::Proxy as u8);
};

/// Counters `torclass_table_stats.bittorrent` keeps: one per `TORCLASS_PROTOCOL_*` number.
pub const TORCLASS_PROTOCOL_COUNT: usize = 16;

/// IP datagrams a table reassembles at once.
const FRAGMENT_SLOTS: usize = 16;
/// Bytes kept of each (a longer datagram is classified from its first bytes).
const FRAGMENT_BYTES: usize = 16 * 1024;

/// A run of `T`s in the caller's buffer, set up by [`torclass_table_init`].
struct Raw<T> {
    ptr: NonNull<T>,
    len: usize,
}

impl<T> AsRef<[T]> for Raw<T> {
    fn as_ref(&self) -> &[T] {
        // SAFETY: `ptr` and `len` were set by `torclass_table_init` to `len` initialised values
        // inside the caller's buffer, disjoint from the header and from every other run; the
        // header check in `header_mut`/`table_ref` confirms the buffer is still the one
        // initialised, and the caller guarantees exclusive access for the call.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> AsMut<[T]> for Raw<T> {
    fn as_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `as_ref`; `&mut self` comes from the exclusive header reference.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

/// The slots in the caller's buffer, as the core table's storage.
struct RawSlots {
    ptr: NonNull<Slot<Metadata>>,
    len: usize,
}

impl AsRef<[Slot<Metadata>]> for RawSlots {
    fn as_ref(&self) -> &[Slot<Metadata>] {
        // SAFETY: `ptr` and `len` were set by `torclass_table_init` to `len` initialised slots
        // inside the caller's buffer, after the header and disjoint from it; the header check
        // in `table_mut`/`table_ref` confirms the buffer is still the one initialised, and the
        // caller guarantees exclusive access for the call.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl AsMut<[Slot<Metadata>]> for RawSlots {
    fn as_mut(&mut self) -> &mut [Slot<Metadata>] {
        // SAFETY: as in `as_ref`; `&mut self` comes from the exclusive header reference.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

/// Endpoint cache entries in the caller's buffer: after a table's slots, or after a
/// standalone cache's header ([`crate::endpoints`]).
pub(crate) struct RawEntries {
    pub(crate) ptr: NonNull<CacheEntry>,
    pub(crate) len: usize,
}

impl AsRef<[CacheEntry]> for RawEntries {
    fn as_ref(&self) -> &[CacheEntry] {
        // SAFETY: set by `torclass_table_init` (or `torclass_endpoints_init`) to `len`
        // initialised entries in the caller's buffer after the slots (or the cache's header),
        // disjoint from them and from the header; the header check confirms the buffer, and
        // the caller guarantees exclusive access for the call.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl AsMut<[CacheEntry]> for RawEntries {
    fn as_mut(&mut self) -> &mut [CacheEntry] {
        // SAFETY: as in `as_ref`; `&mut self` comes from the exclusive header reference.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

/// Called with every flow that leaves a table (see [`torclass_table_set_flow_end`]).
pub type torclass_flow_end_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, info: *const torclass_flow_info)>;

/// Counters kept by the C layer, beside the core table's.
#[derive(Clone, Copy, Default)]
struct Counters {
    packets: u64,
    results: [u64; TORCLASS_RESULT_COUNT],
    bittorrent: [u64; TORCLASS_PROTOCOL_COUNT],
    not_bittorrent: u64,
    clock_backwards: u64,
    last_ns: u64,
    /// `TORCLASS_CLOCK_*` of the first timestamp the table was given.
    clock_unit: u8,
    clock_checked: bool,
}

#[repr(C)]
struct Header {
    stamp: Stamp,
    /// Nonzero while a flow-end callback runs: calls on the table are refused with
    /// [`torclass_result::Busy`]. Written and read through the raw pointer only.
    busy: u32,
    /// The flow-end callback and its argument.
    on_end: torclass_flow_end_fn,
    user: *mut c_void,
    counters: Counters,
    table: FlowTable<RawSlots, Metadata>,
    cache: EndpointCache<RawEntries>,
    /// Learn endpoints and match new flows against them (config `learn_endpoints`).
    learn: bool,
    /// IP fragments put back together before classification.
    reassembler: Reassembler<Raw<FragmentSlot>, Raw<u8>>,
}

/// An initialised flow table: a pointer to the memory given to `torclass_table_init`.
/// Not thread-safe: one thread at a time per table (one table per NFQUEUE queue thread).
/// Different tables are independent. Opaque in C.
pub struct torclass_table {
    _private: [u8; 0],
}

/// Idle timeouts in nanoseconds of the caller's clock; a flow idle longer may be replaced.
/// Fill it with [`torclass_table_default_config`] (which sets `struct_size`), then change
/// what you need.
///
/// Timestamps are NANOSECONDS: a clock in milliseconds (as some DPI libraries take) makes
/// every timeout a million times longer and the table fills with stale flows. The table checks
/// the first timestamp it gets: see `torclass_table_stats.clock_unit` and
/// `torclass_clock_unit`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct torclass_table_config {
    /// `sizeof(torclass_table_config)`: lets later versions append fields. The library reads
    /// the fields both it and the program know (a field the program's version lacks keeps its
    /// default); a value below the first ABI 1 struct (up to `learn_endpoints`) is
    /// `TORCLASS_RESULT_INVALID_ARGUMENT`.
    pub struct_size: u32,
    /// Open TCP flows (default 600 s).
    pub tcp_idle_ns: u64,
    /// TCP flows closed by FIN both ways or RST (default 10 s).
    pub tcp_closed_ns: u64,
    /// UDP flows (default 120 s).
    pub udp_idle_ns: u64,
    /// How long a learned peer endpoint is remembered (default 30 min).
    pub endpoint_ttl_ns: u64,
    /// Nonzero (the default): learn peer endpoints from tracker replies, PEX, the DHT, LSD,
    /// announced ports and confirmed flows, so that later flows to those peers (such as
    /// MSE-encrypted ones) are recognised and confirmed. The table keeps one endpoint entry
    /// (32 bytes) per flow slot either way.
    pub learn_endpoints: u32,
}

/// One endpoint of the table's cache of learned BitTorrent peers (32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct torclass_endpoint {
    /// When the entry stops being reported, in the caller's nanoseconds (ignored by queries
    /// and `forget`).
    pub expires_ns: u64,
    /// Address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    pub addr: [u8; 16],
    /// Port, host byte order.
    pub port: u16,
    /// 4 or 6.
    pub ip_version: u8,
    /// `TORCLASS_SOURCE_*`: where it was learned.
    pub source: u8,
    /// Zero.
    pub reserved: u32,
}

/// Everything the table knows of one flow: given to the flow-end callback (with
/// `end_reason` set and the verdict final) and by [`torclass_table_flow_info`].
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct torclass_flow_info {
    /// Bytes of this struct the library wrote (`sizeof(torclass_flow_info)` of its version).
    pub struct_size: u32,
    /// The slot the flow occupied.
    pub slot: u32,
    /// The flow's handle (`torclass_packet_result.handle`).
    pub handle: u64,
    /// Timestamp of the first packet (caller's nanoseconds).
    pub first_ns: u64,
    /// Timestamp of the last packet.
    pub last_ns: u64,
    /// Order of creation in the table: 0 for its first flow.
    pub number: u64,
    /// Transport payload bytes sent by each side (`TORCLASS_DIRECTION_*`), as on the wire.
    pub bytes: [u64; 2],
    /// Packets sent by each side.
    pub packets: [u32; 2],
    /// The 1-based packet at which the verdict stopped being undecided; 0 if it has not. For a
    /// flow called not BitTorrent and BitTorrent later, the packet at which it became
    /// BitTorrent.
    pub decided_at_packet: u32,
    /// `TORCLASS_END_*` when the flow has left the table (the callback), 0 while it is in it.
    pub end_reason: u8,
    /// 1 if the flow was first seen without its TCP SYN.
    pub midstream: u8,
    /// 1 if the flow closed (FIN both ways, RST, or finished by the caller).
    pub closed: u8,
    /// Zero.
    pub reserved: u8,
    /// The verdict: final (after everything the flow sent was judged) in the callback.
    pub verdict: torclass_verdict,
    /// The 5-tuple, oriented from the initiator.
    pub key: torclass_flow_key,
    /// What was extracted: info-hash, peer ids, clients, listen ports.
    pub meta: torclass_meta,
}

/// What [`torclass_table_process`] did with a packet.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct torclass_packet_result {
    /// The flow's verdict after this packet.
    pub verdict: torclass_verdict,
    /// The flow's slot, for [`torclass_table_meta`] and [`torclass_table_flow_key`]; valid
    /// until the flow is evicted.
    pub slot: u32,
    /// `TORCLASS_DIRECTION_*` of this packet within its flow.
    pub direction: u8,
    /// 1 if the packet created the flow.
    pub new_flow: u8,
    /// 1 if the verdict changed (or appeared) with this packet: the moment to log.
    pub changed: u8,
    /// `TORCLASS_TRANSPORT_*`.
    pub transport: u8,
    /// The flow's handle: slot and generation. Unlike `slot`, it stops naming the flow when
    /// the flow leaves the table (`TORCLASS_RESULT_NOT_FOUND`), even if another flow has
    /// taken the slot. Never 0.
    pub handle: u64,
}

/// A flow's 5-tuple, oriented from its initiator (the side that sent the first packet seen).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct torclass_flow_key {
    /// 4 or 6.
    pub ip_version: u8,
    /// `TORCLASS_TRANSPORT_*`.
    pub transport: u8,
    /// Initiator's port, host byte order.
    pub src_port: u16,
    /// Responder's port, host byte order.
    pub dst_port: u16,
    /// Zero.
    pub reserved: u16,
    /// Initiator's address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    pub src_addr: [u8; 16],
    /// Responder's address in network byte order.
    pub dst_addr: [u8; 16],
}

/// Counters of a table ([`torclass_table_get_stats`]); they saturate.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct torclass_table_stats {
    /// Bytes of this struct the library wrote (`sizeof(torclass_table_stats)` of its
    /// version).
    pub struct_size: u32,
    /// Zero.
    pub reserved: u32,
    /// Flows created.
    pub flows: u64,
    /// Flows in the table now.
    pub live_flows: u64,
    /// Slots of the table.
    pub capacity: u64,
    /// Flows replaced before their idle timeout (the table is too small for the traffic):
    /// `TORCLASS_END_EVICTED`.
    pub evicted_active: u64,
    /// Flows ended by their timeout, idle or closed: `TORCLASS_END_IDLE`,
    /// `TORCLASS_END_CLOSED`.
    pub evicted_idle: u64,
    /// Flows replaced by a new connection on their tuple: `TORCLASS_END_REUSED`.
    pub reused: u64,
    /// Flows removed or drained by the caller.
    pub removed: u64,
    /// TCP SYNs without ACK inside live connections, ignored.
    pub bogus_syns: u64,
    /// TCP payload bytes not fed again (retransmissions).
    pub duplicate_bytes: u64,
    /// TCP segments that left a gap.
    pub gaps: u64,
    /// TCP urgent bytes cut out of the streams.
    pub urgent_bytes: u64,
    /// Packets classified (`torclass_table_process` calls that returned OK).
    pub packets: u64,
    /// `torclass_table_process` calls by result code: `results[TORCLASS_RESULT_FRAGMENT_HELD]`
    /// counts held fragments, and so on.
    pub results: [u64; TORCLASS_RESULT_COUNT],
    /// Flows that left the table as BitTorrent, by `TORCLASS_PROTOCOL_*` of their final
    /// verdict.
    pub bittorrent: [u64; TORCLASS_PROTOCOL_COUNT],
    /// Flows that left the table not BitTorrent.
    pub not_bittorrent: u64,
    /// Packets whose timestamp was earlier than the one before (the clock must not go
    /// backwards; timeouts then count from the later time).
    pub clock_backwards: u64,
    /// Endpoints in the cache (live or expired, until reused or swept).
    pub endpoints: u64,
    /// Entries the endpoint cache can hold.
    pub endpoint_capacity: u64,
    /// Endpoints learned (new to the cache).
    pub endpoints_learned: u64,
    /// Learns of an endpoint already in the cache.
    pub endpoints_refreshed: u64,
    /// Live endpoints replaced to make room (cache pressure).
    pub endpoints_evicted: u64,
    /// Expired endpoints freed.
    pub endpoints_expired: u64,
    /// Lookups that found a live endpoint (each new flow looks up both ends).
    pub endpoint_hits: u64,
    /// Lookups that did not.
    pub endpoint_misses: u64,
    /// `TORCLASS_CLOCK_*`: the unit the first timestamp given to `torclass_table_process` or
    /// `torclass_table_expire` looks like (`torclass_clock_unit`). Anything but
    /// `TORCLASS_CLOCK_NANOSECONDS` (0) means the caller's clock is in the wrong unit and every
    /// timeout is stretched: fix the caller. Checked in every build; debug builds of the
    /// library also print one warning to stderr. Added in 0.1 after ABI 1's first fields: a
    /// program that passes a `stats_size` without it still gets the fields before it.
    pub clock_unit: u32,
    /// Zero.
    pub reserved_end: u32,
}

/// The size of `torclass_table_config` when ABI 1 was declared (to its last field): the
/// smallest `struct_size` [`torclass_table_init`] accepts. Fields added later go after it.
const CONFIG_SIZE_ABI1: usize =
    core::mem::offset_of!(torclass_table_config, learn_endpoints) + core::mem::size_of::<u32>();

/// The size of `torclass_flow_info` when ABI 1 was declared (to its last field): the smallest
/// `info_size` [`torclass_table_flow_info`] accepts.
const FLOW_INFO_SIZE_ABI1: usize =
    core::mem::offset_of!(torclass_flow_info, meta) + core::mem::size_of::<torclass_meta>();

/// The size of `torclass_table_stats` when ABI 1 was declared: the smallest `stats_size`
/// [`torclass_table_get_stats`] accepts (a program built against that header passes it).
const STATS_SIZE_ABI1: usize = core::mem::offset_of!(torclass_table_stats, clock_unit);

const SLOT_SIZE: usize = core::mem::size_of::<Slot<Metadata>>();
pub(crate) const ENTRY_SIZE: usize = core::mem::size_of::<CacheEntry>();
pub(crate) const ENTRY_ALIGN: usize = core::mem::align_of::<CacheEntry>();

/// Where the slots start: the header rounded up to the slot alignment.
const SLOTS_OFFSET: usize = {
    let align = core::mem::align_of::<Slot<Metadata>>();
    core::mem::size_of::<Header>().div_ceil(align) * align
};

const _: () = {
    assert!(core::mem::align_of::<Header>() <= TORCLASS_TABLE_ALIGN);
    assert!(core::mem::align_of::<Slot<Metadata>>() <= TORCLASS_TABLE_ALIGN);
    assert!(ENTRY_ALIGN <= TORCLASS_TABLE_ALIGN);
    assert!(core::mem::align_of::<FragmentSlot>() <= TORCLASS_TABLE_ALIGN);
};

/// Where the endpoint entries start: after the slots, rounded up to their alignment.
fn entries_offset(capacity: u32) -> Option<usize> {
    let end = usize::try_from(capacity)
        .ok()?
        .checked_mul(SLOT_SIZE)?
        .checked_add(SLOTS_OFFSET)?;
    end.checked_next_multiple_of(ENTRY_ALIGN)
}

/// Where the reassembly slots start: after the endpoint entries, rounded up to their
/// alignment.
fn fragments_offset(capacity: u32) -> Option<usize> {
    usize::try_from(capacity)
        .ok()?
        .checked_mul(ENTRY_SIZE)?
        .checked_add(entries_offset(capacity)?)?
        .checked_next_multiple_of(core::mem::align_of::<FragmentSlot>())
}

/// Where the reassembly buffer starts: after the reassembly slots.
fn fragment_buffer_offset(capacity: u32) -> Option<usize> {
    fragments_offset(capacity)?
        .checked_add(FRAGMENT_SLOTS.checked_mul(core::mem::size_of::<FragmentSlot>())?)
}

fn mem_size(capacity: u32) -> Option<usize> {
    if capacity == 0 {
        return None;
    }
    let total = fragment_buffer_offset(capacity)?
        .checked_add(FRAGMENT_SLOTS.checked_mul(FRAGMENT_BYTES)?)?;
    (total <= MAX_LEN).then_some(total)
}

/// Bytes of memory a table of `capacity` flows needs, or 0 if `capacity` is 0 or too large
/// for this machine. Currently a few hundred bytes per flow, plus about 280 KiB for IP
/// fragment reassembly (16 datagrams of up to 16 KiB at once).
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_size(capacity: u32) -> usize {
    ffi_boundary!(0, { mem_size(capacity).unwrap_or(0) })
}

/// Set up a table of `capacity` flows in `mem` (`mem_len` bytes, aligned to
/// `TORCLASS_TABLE_ALIGN`, at least `torclass_table_size(capacity)` bytes) and write the
/// table pointer (which is `mem`) to `*out_table`. `seed` keys the flow hash: pick it at
/// random so that senders cannot aim many flows at one bucket. `config` may be NULL for the
/// default timeouts. Any previous content of `mem` is discarded; initialising the same memory
/// again empties the table. There is no free function: the memory is the caller's.
///
/// The table must not be copied or moved (it holds its own address; a moved table gives
/// `TORCLASS_RESULT_UNINITIALIZED`), and its memory must not be written except through
/// torclass functions until it is no longer used.
///
/// # Safety
/// `mem` must be NULL or point to `mem_len` writable bytes that nothing else uses while the
/// table is in use. `config` must be NULL or point to a valid `torclass_table_config`.
/// `out_table` must be NULL or point to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_init(
    mem: *mut core::ffi::c_void,
    mem_len: usize,
    capacity: u32,
    seed: u64,
    config: *const torclass_table_config,
    out_table: *mut *mut torclass_table,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_table));
        let Some(mem) = NonNull::new(mem.cast::<u8>()) else {
            return torclass_result::NullParameter;
        };
        let Some(size) = mem_size(capacity) else {
            return torclass_result::InvalidArgument;
        };
        if mem.as_ptr() as usize % TORCLASS_TABLE_ALIGN != 0 {
            return torclass_result::Misaligned;
        }
        if mem_len < size {
            return torclass_result::BufferTooSmall;
        }
        let mut table_config = TableConfig::new().with_seed(seed);
        let mut cache_config =
            CacheConfig::new().with_seed(seed.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15);
        let mut learn = true;
        if !config.is_null() {
            // SAFETY: not NULL; the caller guarantees a config of its version, which starts
            // with `struct_size` (a plain integer: any bytes are a valid value).
            let size = unsafe { config.cast::<u32>().read() } as usize;
            if size < CONFIG_SIZE_ABI1 {
                return torclass_result::InvalidArgument;
            }
            // The fields both versions know: a later config is longer (this version reads its
            // own fields), an earlier one shorter (the fields it lacks keep their defaults).
            let mut c = default_config();
            // SAFETY: the caller's config has `size` readable bytes; at most
            // `size_of::<torclass_table_config>()` of them are copied into a local, and every
            // field is a plain integer, so any bytes are a valid value.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    config.cast::<u8>(),
                    (&raw mut c).cast::<u8>(),
                    prefix_len::<torclass_table_config>(size),
                );
            }
            table_config.tcp_idle_ns = c.tcp_idle_ns;
            table_config.tcp_closed_ns = c.tcp_closed_ns;
            table_config.udp_idle_ns = c.udp_idle_ns;
            cache_config.ttl_ns = c.endpoint_ttl_ns;
            learn = c.learn_endpoints != 0;
        }
        let Some(entries_at) = entries_offset(capacity) else {
            return torclass_result::InvalidArgument;
        };
        let capacity_len = capacity as usize;
        // SAFETY: `SLOTS_OFFSET + capacity * SLOT_SIZE <= mem_len` (checked above), so the slot
        // area is inside the caller's buffer; `mem` is aligned to TORCLASS_TABLE_ALIGN and
        // SLOTS_OFFSET is a multiple of the slot alignment, so the slots are aligned.
        let slots = unsafe { mem.add(SLOTS_OFFSET) }.cast::<Slot<Metadata>>();
        for i in 0..capacity_len {
            // SAFETY: slot `i < capacity` is in bounds and aligned (above); `write` does not
            // read or drop the old (uninitialised) bytes.
            unsafe { slots.add(i).write(Slot::default()) };
        }
        let storage = RawSlots {
            ptr: slots,
            len: capacity_len,
        };
        // SAFETY: `entries_at + capacity * ENTRY_SIZE == size <= mem_len`, so the entry area is
        // inside the buffer, after the slots; `entries_at` is a multiple of ENTRY_ALIGN and
        // `mem` is aligned to TORCLASS_TABLE_ALIGN >= ENTRY_ALIGN.
        let entries = unsafe { mem.add(entries_at) }.cast::<CacheEntry>();
        for i in 0..capacity_len {
            // SAFETY: entry `i < capacity` is in bounds and aligned (above).
            unsafe { entries.add(i).write(CacheEntry::default()) };
        }
        let entry_storage = RawEntries {
            ptr: entries,
            len: capacity_len,
        };
        let (Some(fragments_at), Some(buffer_at)) =
            (fragments_offset(capacity), fragment_buffer_offset(capacity))
        else {
            return torclass_result::InvalidArgument;
        };
        // SAFETY: `fragments_at + FRAGMENT_SLOTS * size_of::<FragmentSlot>() == buffer_at` and
        // `buffer_at + FRAGMENT_SLOTS * FRAGMENT_BYTES == size <= mem_len`: both runs are inside
        // the buffer, after the entries; `fragments_at` is a multiple of the slot alignment
        // and `mem` is aligned to TORCLASS_TABLE_ALIGN, which is at least that.
        let fragment_slots = unsafe { mem.add(fragments_at) }.cast::<FragmentSlot>();
        for i in 0..FRAGMENT_SLOTS {
            // SAFETY: slot `i < FRAGMENT_SLOTS` is in bounds and aligned (above).
            unsafe { fragment_slots.add(i).write(FragmentSlot::default()) };
        }
        // SAFETY: in bounds (above); bytes need no alignment. Zeroed so that every byte the
        // reassembler may read is initialised.
        let fragment_buffer = unsafe { mem.add(buffer_at) };
        // SAFETY: `FRAGMENT_SLOTS * FRAGMENT_BYTES` bytes from `buffer_at` are in the buffer.
        unsafe { fragment_buffer.write_bytes(0, FRAGMENT_SLOTS * FRAGMENT_BYTES) };
        let reassembler = Reassembler::new(
            Raw {
                ptr: fragment_slots,
                len: FRAGMENT_SLOTS,
            },
            Raw {
                ptr: fragment_buffer,
                len: FRAGMENT_SLOTS * FRAGMENT_BYTES,
            },
            ReassemblyConfig::new().with_seed(seed.rotate_left(41) ^ 0x2545_f491_4f6c_dd1d),
        );
        let header = Header {
            stamp: Stamp::new(MAGIC, capacity, mem, mem_len),
            busy: 0,
            on_end: None,
            user: core::ptr::null_mut(),
            counters: Counters::default(),
            table: FlowTable::new(storage, table_config),
            cache: EndpointCache::new(entry_storage, cache_config),
            learn,
            reassembler,
        };
        // SAFETY: the header fits (SLOTS_OFFSET >= its size, within mem_len), `mem` is aligned
        // for it (asserted at compile time), and it does not overlap the slots.
        unsafe { mem.cast::<Header>().write(header) };
        // SAFETY: `out_table` is not NULL (checked first) and points to writable storage.
        unsafe { out_table.write(mem.as_ptr().cast()) };
        torclass_result::Ok
    })
}

/// Check the header at `table` before any slot is touched.
fn check(table: *const torclass_table) -> Result<NonNull<Header>, torclass_result> {
    // SAFETY: the caller guarantees `table` is NULL or points to memory given to
    // torclass_table_init, at least SLOTS_OFFSET bytes.
    let ptr = unsafe { Stamp::check(table.cast::<Header>(), MAGIC, mem_size) }?;
    // SAFETY: the stamp passed, so this is a header torclass_table_init wrote; `busy` is a
    // plain integer of the repr(C) header, read through the raw pointer only.
    let busy = unsafe {
        ptr.as_ptr()
            .cast::<u8>()
            .add(core::mem::offset_of!(Header, busy))
            .cast::<u32>()
            .read()
    };
    if busy != 0 {
        return Err(torclass_result::Busy);
    }
    Ok(ptr)
}

/// Run `f` on the checked header with the busy flag set, so that a flow-end callback calling
/// back into the table is refused by [`check`] (which reads the flag through the raw pointer,
/// outside every reference `f` holds) instead of aliasing the table.
///
/// # Safety
/// As for [`header_mut`].
unsafe fn with_header<R>(
    table: *mut torclass_table,
    f: impl FnOnce(&mut Header) -> R,
) -> Result<R, torclass_result> {
    let ptr = check(table)?;
    let busy = ptr.as_ptr().cast::<u8>();
    // SAFETY: the header passed its checks; `busy` is a u32 at its offset, aligned.
    let busy = unsafe { busy.add(core::mem::offset_of!(Header, busy)) }.cast::<u32>();
    // SAFETY: as above; no reference to the header exists yet.
    unsafe { busy.write(1) };
    // SAFETY: checked header, exclusive access guaranteed by the caller; the callback's
    // re-entrant calls stop at `check`, which touches only the integer prefix.
    let result = f(unsafe { &mut *ptr.as_ptr() });
    // SAFETY: as above; the reference given to `f` is dead.
    unsafe { busy.write(0) };
    Ok(result)
}

/// The flow-end callback as a closure for the core table, counting final verdicts.
fn notifier<'a>(
    on_end: torclass_flow_end_fn,
    user: *mut c_void,
    counters: &'a mut Counters,
) -> impl FnMut(&Slot<Metadata>) + 'a {
    move |slot| {
        let counter = match slot.verdict() {
            Verdict::BitTorrent(d) => counters.bittorrent.get_mut(d.protocol as usize),
            _ => Some(&mut counters.not_bittorrent),
        };
        if let Some(n) = counter {
            *n = n.saturating_add(1);
        }
        if let Some(callback) = on_end {
            let info = flow_info(slot);
            // SAFETY: the caller registered `callback` with `user` through
            // torclass_table_set_flow_end; `info` lives for the call.
            unsafe { callback(user, &info) };
        }
    }
}

/// Everything known of a flow, for C.
fn flow_info(slot: &Slot<Metadata>) -> torclass_flow_info {
    let [from_initiator, from_responder] = [Direction::Initiator, Direction::Responder];
    torclass_flow_info {
        struct_size: core::mem::size_of::<torclass_flow_info>() as u32,
        slot: slot.handle().index() as u32,
        handle: slot.handle().to_bits(),
        first_ns: slot.first_ns(),
        last_ns: slot.last_ns(),
        number: slot.number(),
        bytes: [
            slot.bytes_from(from_initiator),
            slot.bytes_from(from_responder),
        ],
        packets: [
            slot.packets_from(from_initiator),
            slot.packets_from(from_responder),
        ],
        decided_at_packet: slot.decided_at_packet().unwrap_or(0),
        end_reason: slot.end_reason().map_or(0, |r| r as u8),
        midstream: u8::from(slot.midstream()),
        closed: u8::from(slot.closed()),
        reserved: 0,
        verdict: torclass_verdict::of(slot.classifier()),
        key: flow_key(slot.key()),
        meta: torclass_meta::from_metadata(slot.metadata()),
    }
}

/// A core flow key for C.
pub(crate) fn flow_key(key: &FlowKey) -> torclass_flow_key {
    let mut result = torclass_flow_key {
        transport: key.transport as u8,
        src_port: key.src.port,
        dst_port: key.dst.port,
        ..torclass_flow_key::default()
    };
    for (addr, dst) in [
        (key.src.addr, &mut result.src_addr),
        (key.dst.addr, &mut result.dst_addr),
    ] {
        match addr {
            IpAddr::V4(a) => {
                result.ip_version = 4;
                dst[..4].copy_from_slice(&a.octets());
            }
            IpAddr::V6(a) => {
                result.ip_version = 6;
                dst.copy_from_slice(&a.octets());
            }
        }
    }
    result
}

/// The whole header (table and endpoint cache) behind a pointer, for writing, when no
/// callback can run.
///
/// # Safety
/// As for the exports: `table` from `torclass_table_init`, used by one thread at a time.
unsafe fn header_mut<'a>(table: *mut torclass_table) -> Result<&'a mut Header, torclass_result> {
    let header = check(table)?;
    // SAFETY: the header passed its checks, so torclass_table_init wrote a valid Header here
    // and the caller guarantees exclusive access.
    Ok(unsafe { &mut *header.as_ptr() })
}

/// The header behind a pointer, for reading.
///
/// # Safety
/// As for [`header_mut`], with no concurrent writer.
unsafe fn header_ref<'a>(table: *const torclass_table) -> Result<&'a Header, torclass_result> {
    let header = check(table)?;
    // SAFETY: as in `header_mut`; nothing writes the table during this call.
    Ok(unsafe { &*header.as_ptr() })
}

/// The table behind a pointer, for reading.
///
/// # Safety
/// As for [`header_ref`].
unsafe fn table_ref<'a>(
    table: *const torclass_table,
) -> Result<&'a FlowTable<RawSlots, Metadata>, torclass_result> {
    // SAFETY: as for the caller.
    Ok(&unsafe { header_ref(table) }?.table)
}

pub(crate) fn decode_error(e: DecodeError) -> torclass_result {
    match e {
        DecodeError::Truncated { .. } | DecodeError::Malformed { .. } => {
            torclass_result::MalformedPacket
        }
        _ => torclass_result::UnsupportedPacket,
    }
}

/// Check the first timestamp a table is given ([`crate::clock`]); debug builds print one
/// warning when it is in the wrong unit.
fn check_clock(counters: &mut Counters, now_ns: u64, function: &str) {
    if counters.clock_checked {
        return;
    }
    counters.clock_checked = true;
    counters.clock_unit = crate::clock::unit(now_ns);
    if cfg!(debug_assertions) && counters.clock_unit != crate::clock::TORCLASS_CLOCK_NANOSECONDS {
        eprintln!(
            "torclass: the timestamp {now_ns} given to {function} looks like {} since 1970; \
             torclass takes NANOSECONDS, so every timeout is stretched \
             (torclass_table_stats.clock_unit = {}; this warning is printed once per table, \
             in debug builds only)",
            crate::clock::unit_name(counters.clock_unit),
            counters.clock_unit,
        );
    }
}

/// Count a `torclass_table_process` result.
fn count_result(counters: &mut Counters, result: torclass_result) -> torclass_result {
    if let Some(n) = counters.results.get_mut(result as usize) {
        *n = n.saturating_add(1);
    }
    result
}

/// Classify one packet: decode it (`link_type` is `TORCLASS_LINK_IP` for a bare IP packet,
/// or a pcap `LINKTYPE_*`, see `torclass_link_type_from_dlt` for libpcap's `DLT_*`; flows
/// inside GRE, IP-in-IP, VXLAN, GENEVE, Teredo, PPPoE, GTP-U and MPLS are the inner
/// flow), find or create its flow, feed its payload, and write the outcome to `*out_result`. `timestamp_ns` is the
/// caller's clock in NANOSECONDS (any epoch, not going backwards; milliseconds would stretch
/// every timeout a million-fold) and drives idle eviction. The first timestamp a table gets
/// is checked: if it is the current time in seconds, milliseconds or microseconds since 1970,
/// `torclass_table_stats.clock_unit` says which (and a debug build of the library prints one
/// warning to stderr); the call itself still succeeds. Bounded work: one hash, at most 8
/// slot probes, and a bounded parse of the payload. No allocation.
///
/// A flow that ends because of this packet (evicted to make room, timed out, or replaced by a
/// new connection on its tuple) is handed to the flow-end callback first.
///
/// A new flow to or from a learned peer endpoint has `TORCLASS_EVIDENCE_KNOWN_ENDPOINT` in
/// `out_result->verdict.evidence` from its first packet (its SYN), while still undecided:
/// a firewall may drop it there.
///
/// IP fragments are reassembled (16 datagrams of up to 16 KiB at once, 30 s each): a fragment
/// kept for its datagram gives `TORCLASS_RESULT_FRAGMENT_HELD` (nothing to classify yet; a
/// firewall accepts it), the fragment that completes the datagram classifies it whole. An
/// NFQUEUE program with connection tracking loaded gets whole packets from the kernel.
///
/// Packets that are not TCP/UDP over IP give `TORCLASS_RESULT_UNSUPPORTED_PACKET`, broken
/// headers `TORCLASS_RESULT_MALFORMED_PACKET`; no flow is changed by either (only
/// `torclass_table_stats.results` counts them; an IP fragment changes the reassembly slots
/// and their counters in the table memory).
///
/// # Safety
/// `table` must be NULL or come from `torclass_table_init` (its memory still valid and not
/// used by another thread during the call). `data` must be NULL or point to `len` readable
/// bytes. `out_result` must be NULL or point to a writable `torclass_packet_result`.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_process(
    table: *mut torclass_table,
    link_type: u32,
    data: *const u8,
    len: usize,
    timestamp_ns: u64,
    out_result: *mut torclass_packet_result,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_result));
        if len > TORCLASS_MAX_PACKET_LEN {
            return torclass_result::InvalidArgument;
        }
        let Some(link) = LinkType::from_pcap(link_type) else {
            return torclass_result::UnknownLinkType;
        };
        // SAFETY: the caller guarantees `len` readable bytes at a non-NULL `data`.
        let frame = tri!(unsafe { bytes(data, len) });
        // SAFETY: the caller passes a table from torclass_table_init, one thread at a time.
        let done = unsafe {
            with_header(table, |header| {
                let result = process(header, link, frame, timestamp_ns);
                let code = match result {
                    Ok(_) => torclass_result::Ok,
                    Err(e) => e,
                };
                count_result(&mut header.counters, code);
                result
            })
        };
        let result = tri!(tri!(done));
        // SAFETY: `out_result` is not NULL (checked first) and points to writable storage.
        unsafe { out_result.write(result) };
        torclass_result::Ok
    })
}

fn process(
    header: &mut Header,
    link: LinkType,
    frame: &[u8],
    now_ns: u64,
) -> Result<torclass_packet_result, torclass_result> {
    let Header {
        table,
        cache,
        learn,
        reassembler,
        counters,
        on_end,
        user,
        ..
    } = header;
    check_clock(counters, now_ns, "torclass_table_process");
    let packet = match reassembler.decode(link, frame, now_ns) {
        Ok(Some(p)) => p,
        Ok(None) => return Err(torclass_result::FragmentHeld),
        Err(e) => return Err(decode_error(e)),
    };
    if now_ns < counters.last_ns {
        counters.clock_backwards = counters.clock_backwards.saturating_add(1);
    }
    counters.last_ns = counters.last_ns.max(now_ns);
    let ended = notifier(*on_end, *user, counters);
    let processed = if *learn {
        table.process_learning(&packet, now_ns, cache, ended)
    } else {
        table.process(&packet, now_ns, ended)
    };
    let outcome = processed.map_err(|_| torclass_result::InvalidArgument)?;
    let finished = table
        .get(outcome.slot)
        .is_some_and(|s| s.classifier().is_done());
    counters.packets = counters.packets.saturating_add(1);
    Ok(torclass_packet_result {
        verdict: torclass_verdict::new(outcome.verdict, outcome.evidence, finished),
        slot: u32::try_from(outcome.slot).unwrap_or(u32::MAX),
        direction: outcome.direction as u8,
        new_flow: u8::from(outcome.new_flow),
        changed: u8::from(outcome.changed),
        transport: packet.key.transport as u8,
        handle: outcome.handle.to_bits(),
    })
}

/// The slot's flow, or NOT_FOUND.
fn slot(
    table: &FlowTable<RawSlots, Metadata>,
    index: u32,
) -> Result<&Slot<Metadata>, torclass_result> {
    table.get(index as usize).ok_or(torclass_result::NotFound)
}

/// Write what was extracted from the flow in `slot` (from `torclass_packet_result.slot`) to
/// `*out_meta`: info-hash, peer ids, client names, listen ports.
/// `TORCLASS_RESULT_NOT_FOUND` if no flow is in that slot.
///
/// # Safety
/// `table` must be NULL or come from `torclass_table_init`, with no concurrent call on it.
/// `out_meta` must be NULL or point to a writable `torclass_meta`.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_meta(
    table: *const torclass_table,
    slot_index: u32,
    out_meta: *mut torclass_meta,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_meta));
        // SAFETY: as documented for the caller.
        let table = tri!(unsafe { table_ref(table) });
        let meta = torclass_meta::from_metadata(tri!(slot(table, slot_index)).metadata());
        // SAFETY: `out_meta` is not NULL (checked first) and points to writable storage.
        unsafe { out_meta.write(meta) };
        torclass_result::Ok
    })
}

/// Write the verdict of the flow in `slot` to `*out_verdict`.
/// `TORCLASS_RESULT_NOT_FOUND` if no flow is in that slot.
///
/// # Safety
/// As for [`torclass_table_meta`], with `out_verdict` a writable `torclass_verdict`.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_flow_verdict(
    table: *const torclass_table,
    slot_index: u32,
    out_verdict: *mut torclass_verdict,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_verdict));
        // SAFETY: as documented for the caller.
        let table = tri!(unsafe { table_ref(table) });
        let v = torclass_verdict::of(tri!(slot(table, slot_index)).classifier());
        // SAFETY: `out_verdict` is not NULL (checked first) and points to writable storage.
        unsafe { out_verdict.write(v) };
        torclass_result::Ok
    })
}

/// Write the 5-tuple of the flow in `slot` to `*out_key`, oriented from its initiator.
/// `TORCLASS_RESULT_NOT_FOUND` if no flow is in that slot.
///
/// # Safety
/// As for [`torclass_table_meta`], with `out_key` a writable `torclass_flow_key`.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_flow_key(
    table: *const torclass_table,
    slot_index: u32,
    out_key: *mut torclass_flow_key,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_key));
        // SAFETY: as documented for the caller.
        let table = tri!(unsafe { table_ref(table) });
        let key = flow_key(tri!(slot(table, slot_index)).key());
        // SAFETY: `out_key` is not NULL (checked first) and points to writable storage.
        unsafe { out_key.write(key) };
        torclass_result::Ok
    })
}

/// Write the table's counters to `*out_stats`; `stats_size` is `sizeof(torclass_table_stats)`.
/// The library writes `min(stats_size, its own sizeof)` bytes and sets `struct_size` to that:
/// a later library fills only the fields a program compiled against this header knows, and a
/// program compiled against an earlier ABI 1 header (a smaller `sizeof`) gets the fields it
/// knows. A size below the first ABI 1 struct (up to `endpoint_misses`) is
/// `TORCLASS_RESULT_BUFFER_TOO_SMALL`.
///
/// # Safety
/// As for [`torclass_table_meta`], with `out_stats` pointing to `stats_size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_get_stats(
    table: *const torclass_table,
    out_stats: *mut torclass_table_stats,
    stats_size: usize,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_stats));
        if stats_size < STATS_SIZE_ABI1 {
            return torclass_result::BufferTooSmall;
        }
        let written = prefix_len::<torclass_table_stats>(stats_size);
        // SAFETY: as documented for the caller.
        let header = tri!(unsafe { header_ref(table) });
        let s = header.table.stats();
        let c = header.cache.stats();
        let counters = &header.counters;
        let ended = s
            .evicted_active
            .saturating_add(s.evicted_idle)
            .saturating_add(s.reused)
            .saturating_add(s.removed);
        let stats = torclass_table_stats {
            struct_size: written as u32,
            reserved: 0,
            flows: s.flows,
            live_flows: s.flows.saturating_sub(ended),
            capacity: header.table.capacity() as u64,
            evicted_active: s.evicted_active,
            evicted_idle: s.evicted_idle,
            reused: s.reused,
            removed: s.removed,
            bogus_syns: s.bogus_syns,
            duplicate_bytes: s.duplicate_bytes,
            gaps: s.gaps,
            urgent_bytes: s.urgent_bytes,
            packets: counters.packets,
            results: counters.results,
            bittorrent: counters.bittorrent,
            not_bittorrent: counters.not_bittorrent,
            clock_backwards: counters.clock_backwards,
            endpoints: header.cache.len() as u64,
            endpoint_capacity: header.cache.capacity() as u64,
            endpoints_learned: c.learned,
            endpoints_refreshed: c.refreshed,
            endpoints_evicted: c.evicted_live,
            endpoints_expired: c.expired,
            endpoint_hits: c.hits,
            endpoint_misses: c.misses,
            clock_unit: u32::from(counters.clock_unit),
            reserved_end: 0,
        };
        // SAFETY: `out_stats` is not NULL (checked first) and the caller guarantees
        // `stats_size` writable bytes there; `stats` is a local.
        unsafe { write_prefix(out_stats, &stats, stats_size) };
        torclass_result::Ok
    })
}

/// Register `callback`, called with `user` and every flow that leaves the table, exactly
/// once, from inside the torclass call that ends it: evicted or timed out in
/// `torclass_table_process`, timed out in `torclass_table_expire`, removed by
/// `torclass_table_remove`, ended by `torclass_table_drain`. The flow is finished first, so
/// `info->verdict` is final (an MSE key exchange nothing answered is judged) and
/// `info->end_reason` says why it ended. `info` is valid for the call only; copy what you
/// keep. The callback must not call torclass on the same table (such calls return
/// `TORCLASS_RESULT_BUSY` and do nothing); other tables are fine. NULL `callback` turns it
/// off. `torclass_table_init` starts with none.
///
/// # Safety
/// `table` as for [`torclass_table_process`]. `callback` must be NULL or a function safe to
/// call with `user` and a valid `torclass_flow_info` pointer from the thread using the table.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_set_flow_end(
    table: *mut torclass_table,
    callback: torclass_flow_end_fn,
    user: *mut c_void,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let header = tri!(unsafe { header_mut(table) });
        header.on_end = callback;
        header.user = user;
        torclass_result::Ok
    })
}

/// Write everything known of the flow `handle` names (from `torclass_packet_result.handle`
/// or a flow-end callback) to `*out_info`: counters, timestamps, verdict, key and metadata.
/// `info_size` is `sizeof(torclass_flow_info)`: the library writes `min(info_size, its own
/// sizeof)` bytes and sets `struct_size` to that (a size below the first ABI 1 struct is
/// `TORCLASS_RESULT_BUFFER_TOO_SMALL`). `TORCLASS_RESULT_NOT_FOUND` if the flow has left the
/// table, even if another flow now uses its slot.
///
/// # Safety
/// As for [`torclass_table_meta`], with `out_info` pointing to `info_size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_flow_info(
    table: *const torclass_table,
    handle: u64,
    out_info: *mut torclass_flow_info,
    info_size: usize,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_info));
        if info_size < FLOW_INFO_SIZE_ABI1 {
            return torclass_result::BufferTooSmall;
        }
        // SAFETY: as documented for the caller.
        let table = tri!(unsafe { table_ref(table) });
        let Some(slot) = table.flow(FlowHandle::from_bits(handle)) else {
            return torclass_result::NotFound;
        };
        let mut info = flow_info(slot);
        info.struct_size = prefix_len::<torclass_flow_info>(info_size) as u32;
        // SAFETY: `out_info` is not NULL (checked first) and points to `info_size` writable
        // bytes; `info` is a local.
        unsafe { write_prefix(out_info, &info, info_size) };
        torclass_result::Ok
    })
}

/// The flow `handle` names has ended for the caller (its connection-tracking entry went, or
/// the daemon stopped queueing it): finish its classifier, so an undecided flow gets its final
/// verdict, written to `*out_verdict` (which may be NULL). The flow stays in the table as a
/// closed flow for `tcp_closed_ns` so that late packets count to it, then ends
/// (`TORCLASS_END_CLOSED`, through the callback). `TORCLASS_RESULT_NOT_FOUND` for a stale
/// handle.
///
/// # Safety
/// `table` as for [`torclass_table_process`]; `out_verdict` NULL or a writable
/// `torclass_verdict`.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_finish(
    table: *mut torclass_table,
    handle: u64,
    out_verdict: *mut torclass_verdict,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let table = &mut tri!(unsafe { header_mut(table) }).table;
        let handle = FlowHandle::from_bits(handle);
        if table.finish(handle).is_none() {
            return torclass_result::NotFound;
        }
        let Some(slot) = table.flow(handle) else {
            return torclass_result::NotFound;
        };
        // SAFETY: NULL or writable (caller contract).
        if let Some(o) = unsafe { out_verdict.as_mut() } {
            *o = torclass_verdict::of(slot.classifier());
        }
        torclass_result::Ok
    })
}

/// End the flow `handle` names now: it is finished and handed to the flow-end callback with
/// `TORCLASS_END_REMOVED`, and its slot is free. `TORCLASS_RESULT_NOT_FOUND` for a stale
/// handle.
///
/// # Safety
/// As for [`torclass_table_process`].
#[no_mangle]
pub unsafe extern "C" fn torclass_table_remove(
    table: *mut torclass_table,
    handle: u64,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let removed = tri!(unsafe {
            with_header(table, |h| {
                let mut ended = notifier(h.on_end, h.user, &mut h.counters);
                h.table.remove(FlowHandle::from_bits(handle), |s| ended(s))
            })
        });
        if removed {
            torclass_result::Ok
        } else {
            torclass_result::NotFound
        }
    })
}

/// End every flow (at shutdown, to log the final verdicts): each is finished and handed to
/// the flow-end callback with `TORCLASS_END_DRAINED`; the table is empty afterwards. Visits
/// every slot.
///
/// # Safety
/// As for [`torclass_table_process`].
#[no_mangle]
pub unsafe extern "C" fn torclass_table_drain(table: *mut torclass_table) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        tri!(unsafe {
            with_header(table, |h| {
                h.table.drain(notifier(h.on_end, h.user, &mut h.counters));
            })
        });
        torclass_result::Ok
    })
}

/// End every flow whose timeout ran out at `now_ns` (idle, or closed and past its linger),
/// handing each to the flow-end callback, and write how many ended to `*out_expired` (which
/// may be NULL). Costs one pass over all slots: call it from a timer, not per packet
/// (`torclass_table_process` already reuses timed-out slots, and a packet on a timed-out
/// flow's tuple starts a new flow).
///
/// # Safety
/// As for [`torclass_table_process`]; `out_expired` must be NULL or point to a writable
/// `size_t`.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_expire(
    table: *mut torclass_table,
    now_ns: u64,
    out_expired: *mut usize,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let n = tri!(unsafe {
            with_header(table, |h| {
                check_clock(&mut h.counters, now_ns, "torclass_table_expire");
                let all = h.table.capacity();
                h.table
                    .expire(now_ns, all, notifier(h.on_end, h.user, &mut h.counters))
            })
        });
        // SAFETY: `out_expired` is NULL or points to writable storage (caller contract).
        if let Some(o) = unsafe { out_expired.as_mut() } {
            *o = n;
        }
        torclass_result::Ok
    })
}

/// Look up `*endpoint` (`ip_version`, `addr`, `port`) in the table's cache of learned
/// BitTorrent peers at `now_ns`; if it is there and live, write its entry (with `source` and
/// `expires_ns`) to `*out_endpoint` (which may be NULL) and return OK, else
/// `TORCLASS_RESULT_NOT_FOUND`. A daemon can call it on a SYN before processing it.
///
/// # Safety
/// `table` as for [`torclass_table_meta`]; `endpoint` NULL or a valid `torclass_endpoint`;
/// `out_endpoint` NULL or a writable one.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_endpoint_query(
    table: *const torclass_table,
    endpoint_in: *const torclass_endpoint,
    now_ns: u64,
    out_endpoint: *mut torclass_endpoint,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let header = tri!(unsafe { header_ref(table) });
        // SAFETY: as documented for the caller.
        unsafe { crate::endpoints::query(&header.cache, endpoint_in, now_ns, out_endpoint) }
    })
}

/// Store `*endpoint` in the cache until `endpoint->expires_ns` (say, one restored from a file
/// written with `torclass_table_endpoint_next`, or a peer a blocklist names), as learned from
/// `endpoint->source` (`TORCLASS_SOURCE_*`). An entry already live keeps the later expiry.
/// OK if it is live in the cache afterwards; `TORCLASS_RESULT_INVALID_ARGUMENT` for a bad
/// `ip_version` or `source`, an expiry not after `now_ns`, or an endpoint that is not a peer
/// (port 0, an unspecified, multicast or broadcast address).
///
/// # Safety
/// `table` as for [`torclass_table_process`]; `endpoint` NULL or a valid `torclass_endpoint`.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_endpoint_insert(
    table: *mut torclass_table,
    endpoint_in: *const torclass_endpoint,
    now_ns: u64,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let header = tri!(unsafe { header_mut(table) });
        // SAFETY: as documented for the caller.
        unsafe { crate::endpoints::insert(&mut header.cache, endpoint_in, now_ns) }
    })
}

/// Remove `*endpoint` from the cache: OK if it was there, else `TORCLASS_RESULT_NOT_FOUND`.
///
/// # Safety
/// As for [`torclass_table_endpoint_insert`].
#[no_mangle]
pub unsafe extern "C" fn torclass_table_endpoint_forget(
    table: *mut torclass_table,
    endpoint_in: *const torclass_endpoint,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let header = tri!(unsafe { header_mut(table) });
        // SAFETY: as documented for the caller.
        unsafe { crate::endpoints::forget(&mut header.cache, endpoint_in) }
    })
}

/// Iterate over the cache's live endpoints (to export them: an nftables set with timeouts, a
/// file to restore with `torclass_table_endpoint_insert`). Set `*cursor` to 0, then call
/// until it returns `TORCLASS_RESULT_NOT_FOUND`; each OK writes one endpoint to
/// `*out_endpoint` and advances `*cursor`. Learning between calls may skip or repeat an
/// entry. Each call costs at most one pass over the entries.
///
/// # Safety
/// `table` as for [`torclass_table_meta`]; `cursor` NULL or a writable `size_t`;
/// `out_endpoint` NULL or a writable `torclass_endpoint`.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_endpoint_next(
    table: *const torclass_table,
    cursor: *mut usize,
    now_ns: u64,
    out_endpoint: *mut torclass_endpoint,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let header = tri!(unsafe { header_ref(table) });
        // SAFETY: as documented for the caller.
        unsafe { crate::endpoints::next(&header.cache, cursor, now_ns, out_endpoint) }
    })
}

/// The defaults, with `struct_size` of this version.
fn default_config() -> torclass_table_config {
    let d = TableConfig::default();
    torclass_table_config {
        struct_size: core::mem::size_of::<torclass_table_config>() as u32,
        tcp_idle_ns: d.tcp_idle_ns,
        tcp_closed_ns: d.tcp_closed_ns,
        udp_idle_ns: d.udp_idle_ns,
        endpoint_ttl_ns: CacheConfig::default().ttl_ns,
        learn_endpoints: 1,
    }
}

// ABI 1: this writes the whole struct, which a program of the same version has. Should
// `torclass_table_config` grow, this must keep writing the ABI 1 fields only (a program built
// before has no room for more) and a variant taking the caller's size must be added.
/// The config that [`torclass_table_init`] uses when given NULL, with `struct_size` set.
///
/// # Safety
/// `out_config` must be NULL or point to a writable `torclass_table_config`.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_default_config(
    out_config: *mut torclass_table_config,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: NULL is refused; else the caller guarantees a writable config.
        let o = tri!(unsafe { get_mut(out_config) });
        *o = default_config();
        torclass_result::Ok
    })
}
