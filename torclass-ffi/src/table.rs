//! [`torclass_table`]: a flow table in caller memory, classifying whole packets (the zstd
//! static-context pattern: size query, `_init` on the caller's buffer, no `_free`).
//!
//! Memory layout: a [`Header`] (magic, ABI version, capacity, the buffer's own address and
//! length, the core [`FlowTable`], [`EndpointCache`] and [`Reassembler`]) followed, at the next
//! multiple of the slot alignment, by `capacity` core [`Slot`]s, `capacity` endpoint cache
//! entries, [`FRAGMENT_SLOTS`] reassembly slots and their buffer, all written by
//! [`torclass_table_init`]. Every call checks the header before touching a slot,
//! so zeroed, garbage, copied or moved memory is refused.

use core::ptr::NonNull;

use torclass_core::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use torclass_core::packet::{DecodeError, LinkType};
use torclass_core::reassembly::{FragmentSlot, Reassembler, ReassemblyConfig};
use torclass_core::table::{FlowTable, Slot, TableConfig};
use torclass_core::Metadata;

use crate::boundary::{bytes, get_mut, out, MAX_LEN};
use crate::meta::torclass_meta;
use crate::result::torclass_result;
use crate::verdict::torclass_verdict;
use crate::version::TORCLASS_ABI_VERSION;

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

/// The endpoint cache entries in the caller's buffer, after the slots.
struct RawEntries {
    ptr: NonNull<CacheEntry>,
    len: usize,
}

impl AsRef<[CacheEntry]> for RawEntries {
    fn as_ref(&self) -> &[CacheEntry] {
        // SAFETY: set by `torclass_table_init` to `len` initialised entries in the caller's
        // buffer after the slots, disjoint from them and from the header; the header check
        // confirms the buffer, and the caller guarantees exclusive access for the call.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl AsMut<[CacheEntry]> for RawEntries {
    fn as_mut(&mut self) -> &mut [CacheEntry] {
        // SAFETY: as in `as_ref`; `&mut self` comes from the exclusive header reference.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

#[repr(C)]
struct Header {
    magic: u64,
    abi: u32,
    capacity: u32,
    /// The buffer's own address: a copied or moved table no longer matches.
    self_addr: usize,
    mem_len: usize,
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
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct torclass_table_config {
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

/// Counters of a table.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct torclass_table_stats {
    /// Flows created.
    pub flows: u64,
    /// Flows replaced before their idle timeout (the table is too small for the traffic).
    pub evicted_active: u64,
    /// Flows that ended on their own: replaced or expired after their idle timeout, closed
    /// (FIN both ways or RST) and past their linger, or replaced by a new connection on their
    /// tuple.
    pub evicted_idle: u64,
    /// TCP payload bytes not fed again (retransmissions).
    pub duplicate_bytes: u64,
    /// TCP segments that left a gap.
    pub gaps: u64,
}

const SLOT_SIZE: usize = core::mem::size_of::<Slot<Metadata>>();
const ENTRY_SIZE: usize = core::mem::size_of::<CacheEntry>();
const ENTRY_ALIGN: usize = core::mem::align_of::<CacheEntry>();

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
        let mut table_config = TableConfig {
            seed,
            ..TableConfig::default()
        };
        let mut cache_config = CacheConfig {
            seed: seed.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15,
            ..CacheConfig::default()
        };
        let mut learn = true;
        if !config.is_null() {
            // SAFETY: not NULL; the caller guarantees it points to a valid config (all fields
            // are plain integers, so any bytes are a valid value).
            let c = unsafe { *config };
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
            ReassemblyConfig {
                seed: seed.rotate_left(41) ^ 0x2545_f491_4f6c_dd1d,
                ..ReassemblyConfig::default()
            },
        );
        let header = Header {
            magic: MAGIC,
            abi: TORCLASS_ABI_VERSION,
            capacity,
            self_addr: mem.as_ptr() as usize,
            mem_len,
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
    let Some(ptr) = NonNull::new(table.cast_mut().cast::<Header>()) else {
        return Err(torclass_result::NullParameter);
    };
    if ptr.as_ptr() as usize % TORCLASS_TABLE_ALIGN != 0 {
        return Err(torclass_result::Misaligned);
    }
    // Read the plain-integer prefix field by field: any bit pattern is a valid integer, so
    // garbage memory is read safely and refused here.
    let base = ptr.as_ptr().cast::<u8>();
    // SAFETY: the caller guarantees `table` points to memory given to torclass_table_init, at
    // least SLOTS_OFFSET bytes; the offsets are those of the repr(C) header's integer fields,
    // aligned since `ptr` is.
    let (magic, abi, capacity, self_addr, mem_len) = unsafe {
        (
            base.add(core::mem::offset_of!(Header, magic))
                .cast::<u64>()
                .read(),
            base.add(core::mem::offset_of!(Header, abi))
                .cast::<u32>()
                .read(),
            base.add(core::mem::offset_of!(Header, capacity))
                .cast::<u32>()
                .read(),
            base.add(core::mem::offset_of!(Header, self_addr))
                .cast::<usize>()
                .read(),
            base.add(core::mem::offset_of!(Header, mem_len))
                .cast::<usize>()
                .read(),
        )
    };
    if magic != MAGIC {
        return Err(torclass_result::Uninitialized);
    }
    if abi != TORCLASS_ABI_VERSION {
        return Err(torclass_result::AbiMismatch);
    }
    if self_addr != ptr.as_ptr() as usize || mem_size(capacity).is_none_or(|s| s > mem_len) {
        return Err(torclass_result::Uninitialized);
    }
    Ok(ptr)
}

/// The table behind a pointer, for writing.
///
/// # Safety
/// As for the exports: `table` from `torclass_table_init`, used by one thread at a time.
unsafe fn table_mut<'a>(
    table: *mut torclass_table,
) -> Result<&'a mut FlowTable<RawSlots, Metadata>, torclass_result> {
    // SAFETY: as for the caller.
    Ok(&mut unsafe { header_mut(table) }?.table)
}

/// The whole header (table and endpoint cache) behind a pointer, for writing.
///
/// # Safety
/// As for [`table_mut`].
unsafe fn header_mut<'a>(table: *mut torclass_table) -> Result<&'a mut Header, torclass_result> {
    let header = check(table)?;
    // SAFETY: the header passed its checks, so torclass_table_init wrote a valid Header here
    // and the caller guarantees exclusive access.
    Ok(unsafe { &mut *header.as_ptr() })
}

/// The table behind a pointer, for reading.
///
/// # Safety
/// As for [`table_mut`], with no concurrent writer.
unsafe fn table_ref<'a>(
    table: *const torclass_table,
) -> Result<&'a FlowTable<RawSlots, Metadata>, torclass_result> {
    let header = check(table)?;
    // SAFETY: as in `table_mut`; nothing writes the table during this call.
    Ok(unsafe { &(*header.as_ptr()).table })
}

fn decode_error(e: DecodeError) -> torclass_result {
    match e {
        DecodeError::Truncated { .. } | DecodeError::Malformed { .. } => {
            torclass_result::MalformedPacket
        }
        _ => torclass_result::UnsupportedPacket,
    }
}

/// Classify one packet: decode it (`link_type` is `TORCLASS_LINK_IP` for a bare IP packet,
/// or a pcap `LINKTYPE_*`; flows inside GRE, IP-in-IP, VXLAN, PPPoE, GTP-U and MPLS are the
/// inner flow), find or create its flow, feed its payload, and write the outcome to
/// `*out_result`. `timestamp_ns` is the caller's clock (any epoch, nanoseconds, not going
/// backwards) and drives idle eviction. Bounded work: one hash, at most 8 slot probes, and
/// a bounded parse of the payload. No allocation.
///
/// IP fragments are reassembled (16 datagrams of up to 16 KiB at once, 30 s each): a fragment
/// kept for its datagram gives `TORCLASS_RESULT_UNSUPPORTED_PACKET` (nothing to classify yet;
/// a firewall accepts it), the fragment that completes the datagram classifies it whole. An
/// NFQUEUE program with connection tracking loaded gets whole packets from the kernel.
///
/// Packets that are not TCP/UDP over IP give `TORCLASS_RESULT_UNSUPPORTED_PACKET`, broken
/// headers `TORCLASS_RESULT_MALFORMED_PACKET`; no flow is changed by either (an IP fragment
/// changes only the reassembly slots and their counters in the table memory).
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
        let header = tri!(unsafe { header_mut(table) });
        let Header {
            table,
            cache,
            learn,
            reassembler,
            ..
        } = header;
        let packet = match reassembler.decode(link, frame, timestamp_ns) {
            Ok(Some(p)) => p,
            Ok(None) => return torclass_result::UnsupportedPacket,
            Err(e) => return decode_error(e),
        };
        let processed = if *learn {
            table.process_learning(&packet, timestamp_ns, cache, |_| {})
        } else {
            table.process(&packet, timestamp_ns, |_| {})
        };
        let Ok(outcome) = processed else {
            return torclass_result::InvalidArgument;
        };
        let finished = table
            .get(outcome.slot)
            .is_some_and(|s| s.classifier().is_done());
        let result = torclass_packet_result {
            verdict: torclass_verdict::new(outcome.verdict, outcome.evidence, finished),
            slot: u32::try_from(outcome.slot).unwrap_or(u32::MAX),
            direction: outcome.direction as u8,
            new_flow: u8::from(outcome.new_flow),
            changed: u8::from(outcome.changed),
            transport: packet.key.transport as u8,
        };
        // SAFETY: `out_result` is not NULL (checked first) and points to writable storage.
        unsafe { out_result.write(result) };
        torclass_result::Ok
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
        let key = *tri!(slot(table, slot_index)).key();
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
                core::net::IpAddr::V4(a) => {
                    result.ip_version = 4;
                    dst[..4].copy_from_slice(&a.octets());
                }
                core::net::IpAddr::V6(a) => {
                    result.ip_version = 6;
                    dst.copy_from_slice(&a.octets());
                }
            }
        }
        // SAFETY: `out_key` is not NULL (checked first) and points to writable storage.
        unsafe { out_key.write(result) };
        torclass_result::Ok
    })
}

/// Write the table's counters to `*out_stats`.
///
/// # Safety
/// As for [`torclass_table_meta`], with `out_stats` a writable `torclass_table_stats`.
#[no_mangle]
pub unsafe extern "C" fn torclass_table_get_stats(
    table: *const torclass_table,
    out_stats: *mut torclass_table_stats,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_stats));
        // SAFETY: as documented for the caller.
        let s = tri!(unsafe { table_ref(table) }).stats();
        let stats = torclass_table_stats {
            flows: s.flows,
            evicted_active: s.evicted_active,
            evicted_idle: s.evicted_idle.saturating_add(s.reused),
            duplicate_bytes: s.duplicate_bytes,
            gaps: s.gaps,
        };
        // SAFETY: `out_stats` is not NULL (checked first) and points to writable storage.
        unsafe { out_stats.write(stats) };
        torclass_result::Ok
    })
}

/// Free the slots of every flow whose timeout ran out at `now_ns` (idle, or closed and past
/// its linger) and write how many were freed to `*out_expired` (which may be NULL). Costs one
/// pass over all slots: call it from a timer, not per packet (`torclass_table_process` already
/// reuses timed-out slots, and a packet on a timed-out flow's tuple starts a new flow).
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
        let table = tri!(unsafe { table_mut(table) });
        let all = table.capacity();
        let n = table.expire(now_ns, all, |_| {});
        // SAFETY: `out_expired` is NULL or points to writable storage (caller contract).
        if let Some(o) = unsafe { out_expired.as_mut() } {
            *o = n;
        }
        torclass_result::Ok
    })
}

/// The config that [`torclass_table_init`] uses when given NULL.
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
        let d = TableConfig::default();
        *o = torclass_table_config {
            tcp_idle_ns: d.tcp_idle_ns,
            tcp_closed_ns: d.tcp_closed_ns,
            udp_idle_ns: d.udp_idle_ns,
            endpoint_ttl_ns: CacheConfig::default().ttl_ns,
            learn_endpoints: 1,
        };
        torclass_result::Ok
    })
}
