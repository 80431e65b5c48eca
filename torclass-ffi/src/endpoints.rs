//! [`torclass_endpoints`]: a cache of learned BitTorrent peer endpoints in caller memory, for
//! the payload entry point (a table has its own, `torclass_table_endpoint_*`). The same calls
//! over either: query, insert, forget, iterate.
//!
//! Memory layout: a [`Header`] (magic, ABI version, capacity, the buffer's own address and
//! length, the core [`EndpointCache`]) followed, at the entries' alignment, by `capacity`
//! entries of 32 bytes, written by [`torclass_endpoints_init`] and checked on every call.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use core::ptr::NonNull;

use torclass_core::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use torclass_core::observer::EndpointSource;

use crate::boundary::{get, get_mut, out, MAX_LEN};
use crate::result::torclass_result;
use crate::stamp::Stamp;
use crate::table::{torclass_endpoint, RawEntries, ENTRY_ALIGN, ENTRY_SIZE};

const MAGIC: u64 = u64::from_le_bytes(*b"tcPEERS\x01");

/// An initialised endpoint cache: a pointer to the memory given to `torclass_endpoints_init`.
/// Not thread-safe: one thread at a time. Opaque in C.
pub struct torclass_endpoints {
    _private: [u8; 0],
}

#[repr(C)]
struct Header {
    stamp: Stamp,
    cache: EndpointCache<RawEntries>,
}

/// Where the entries start: the header rounded up to their alignment.
const ENTRIES_OFFSET: usize = core::mem::size_of::<Header>().div_ceil(ENTRY_ALIGN) * ENTRY_ALIGN;

const _: () = assert!(core::mem::align_of::<Header>() <= crate::table::TORCLASS_TABLE_ALIGN);

fn mem_size(capacity: u32) -> Option<usize> {
    if capacity == 0 {
        return None;
    }
    let total = usize::try_from(capacity)
        .ok()?
        .checked_mul(ENTRY_SIZE)?
        .checked_add(ENTRIES_OFFSET)?;
    (total <= MAX_LEN).then_some(total)
}

/// Bytes of memory an endpoint cache of `capacity` entries needs (a header and 32 bytes per
/// entry), or 0 if `capacity` is 0 or too large for this machine.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_endpoints_size(capacity: u32) -> usize {
    ffi_boundary!(0, { mem_size(capacity).unwrap_or(0) })
}

/// Set up a cache of `capacity` learned peer endpoints in `mem` (`mem_len` bytes, aligned to
/// `TORCLASS_TABLE_ALIGN`, at least `torclass_endpoints_size(capacity)` bytes) and write its
/// pointer (which is `mem`) to `*out_endpoints`. `seed` keys its hash (pick it at random);
/// `ttl_ns` is how long a learned endpoint is remembered, in nanoseconds (0: the default,
/// 30 minutes). For the payload entry point: `torclass_flow_feed_learn` learns into it,
/// `torclass_flow_corroborate` asks it. No free function; like a table it must not be copied
/// or moved (`TORCLASS_RESULT_UNINITIALIZED`), and initialising the same memory again empties
/// it.
///
/// # Safety
/// `mem` must be NULL or point to `mem_len` writable bytes that nothing else uses while the
/// cache is in use. `out_endpoints` must be NULL or point to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn torclass_endpoints_init(
    mem: *mut core::ffi::c_void,
    mem_len: usize,
    capacity: u32,
    seed: u64,
    ttl_ns: u64,
    out_endpoints: *mut *mut torclass_endpoints,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_endpoints));
        let Some(mem) = NonNull::new(mem.cast::<u8>()) else {
            return torclass_result::NullParameter;
        };
        let Some(size) = mem_size(capacity) else {
            return torclass_result::InvalidArgument;
        };
        if mem.as_ptr() as usize % crate::table::TORCLASS_TABLE_ALIGN != 0 {
            return torclass_result::Misaligned;
        }
        if mem_len < size {
            return torclass_result::BufferTooSmall;
        }
        let defaults = CacheConfig::default();
        let config = CacheConfig::new()
            .with_seed(seed)
            .with_ttl_ns(if ttl_ns == 0 { defaults.ttl_ns } else { ttl_ns });
        let len = capacity as usize;
        // SAFETY: `ENTRIES_OFFSET + capacity * ENTRY_SIZE == size <= mem_len`, so the entries
        // are inside the caller's buffer; `mem` is aligned to TORCLASS_TABLE_ALIGN, at least
        // ENTRY_ALIGN, and ENTRIES_OFFSET is a multiple of ENTRY_ALIGN.
        let entries = unsafe { mem.add(ENTRIES_OFFSET) }.cast::<CacheEntry>();
        for i in 0..len {
            // SAFETY: entry `i < capacity` is in bounds and aligned (above).
            unsafe { entries.add(i).write(CacheEntry::default()) };
        }
        let header = Header {
            stamp: Stamp::new(MAGIC, capacity, mem, mem_len),
            cache: EndpointCache::new(RawEntries { ptr: entries, len }, config),
        };
        // SAFETY: the header fits before the entries (ENTRIES_OFFSET >= its size), `mem` is
        // aligned for it (asserted at compile time).
        unsafe { mem.cast::<Header>().write(header) };
        // SAFETY: `out_endpoints` is not NULL (checked first) and points to writable storage.
        unsafe { out_endpoints.write(mem.as_ptr().cast()) };
        torclass_result::Ok
    })
}

/// Check the header at `cache` before any entry is touched.
fn check(cache: *const torclass_endpoints) -> Result<NonNull<Header>, torclass_result> {
    // SAFETY: the caller guarantees `cache` is NULL or points to memory given to
    // torclass_endpoints_init, at least the header's bytes.
    unsafe { Stamp::check(cache.cast::<Header>(), MAGIC, mem_size) }
}

/// The cache behind a pointer, for writing.
///
/// # Safety
/// `cache` from `torclass_endpoints_init`, used by one thread at a time.
pub(crate) unsafe fn cache_mut<'a>(
    cache: *mut torclass_endpoints,
) -> Result<&'a mut EndpointCache<RawEntries>, torclass_result> {
    let header = check(cache)?;
    // SAFETY: the header passed its checks, so torclass_endpoints_init wrote a valid Header
    // here, and the caller guarantees exclusive access.
    Ok(&mut unsafe { &mut *header.as_ptr() }.cache)
}

/// The cache behind a pointer, for reading.
///
/// # Safety
/// As for [`cache_mut`], with no concurrent writer.
pub(crate) unsafe fn cache_ref<'a>(
    cache: *const torclass_endpoints,
) -> Result<&'a EndpointCache<RawEntries>, torclass_result> {
    let header = check(cache)?;
    // SAFETY: as in `cache_mut`; nothing writes the cache during this call.
    Ok(&unsafe { &*header.as_ptr() }.cache)
}

/// The core endpoint of a C endpoint, or INVALID_ARGUMENT.
pub(crate) fn endpoint(e: &torclass_endpoint) -> Result<SocketAddr, torclass_result> {
    let addr = match e.ip_version {
        4 => IpAddr::V4(Ipv4Addr::new(e.addr[0], e.addr[1], e.addr[2], e.addr[3])),
        6 => IpAddr::V6(Ipv6Addr::from(e.addr)),
        _ => return Err(torclass_result::InvalidArgument),
    };
    Ok(SocketAddr::new(addr, e.port))
}

/// A cache entry for C.
fn c_endpoint(entry: &CacheEntry) -> Option<torclass_endpoint> {
    let at = entry.endpoint()?;
    let mut out = torclass_endpoint {
        expires_ns: entry.expires_ns(),
        port: at.port(),
        source: entry.source().map_or(0, |s| s as u8),
        ..torclass_endpoint::default()
    };
    match at.ip() {
        IpAddr::V4(a) => {
            out.ip_version = 4;
            out.addr[..4].copy_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            out.ip_version = 6;
            out.addr = a.octets();
        }
    }
    Some(out)
}

/// The query both caches answer (see `torclass_table_endpoint_query`).
///
/// # Safety
/// `endpoint_in` NULL or a valid `torclass_endpoint`; `out_endpoint` NULL or a writable one.
pub(crate) unsafe fn query(
    cache: &EndpointCache<RawEntries>,
    endpoint_in: *const torclass_endpoint,
    now_ns: u64,
    out_endpoint: *mut torclass_endpoint,
) -> torclass_result {
    // SAFETY: NULL is refused; else valid (caller contract).
    let at = tri!(endpoint(tri!(unsafe { get(endpoint_in) })));
    let Some(entry) = cache.entry(at, now_ns).and_then(|e| c_endpoint(&e)) else {
        return torclass_result::NotFound;
    };
    // SAFETY: NULL or writable (caller contract).
    if let Some(o) = unsafe { out_endpoint.as_mut() } {
        *o = entry;
    }
    torclass_result::Ok
}

/// The insert both caches take (see `torclass_table_endpoint_insert`).
///
/// # Safety
/// `endpoint_in` NULL or a valid `torclass_endpoint`.
pub(crate) unsafe fn insert(
    cache: &mut EndpointCache<RawEntries>,
    endpoint_in: *const torclass_endpoint,
    now_ns: u64,
) -> torclass_result {
    // SAFETY: NULL is refused; else valid (caller contract).
    let e = tri!(unsafe { get(endpoint_in) });
    let at = tri!(endpoint(e));
    let Some(source) = EndpointSource::from_number(e.source) else {
        return torclass_result::InvalidArgument;
    };
    // A refused insert leaves the caller's cache as it was, but the core counts an endpoint
    // that is no peer as rejected: ask a one-entry scratch cache first.
    let mut scratch = [CacheEntry::default()];
    if !EndpointCache::new(&mut scratch[..], CacheConfig::default()).insert(
        at,
        source,
        e.expires_ns,
        now_ns,
    ) {
        return torclass_result::InvalidArgument;
    }
    if cache.insert(at, source, e.expires_ns, now_ns) {
        torclass_result::Ok
    } else {
        torclass_result::InvalidArgument
    }
}

/// The forget both caches take (see `torclass_table_endpoint_forget`).
///
/// # Safety
/// `endpoint_in` NULL or a valid `torclass_endpoint`.
pub(crate) unsafe fn forget(
    cache: &mut EndpointCache<RawEntries>,
    endpoint_in: *const torclass_endpoint,
) -> torclass_result {
    // SAFETY: NULL is refused; else valid (caller contract).
    let at = tri!(endpoint(tri!(unsafe { get(endpoint_in) })));
    if cache.forget(at) {
        torclass_result::Ok
    } else {
        torclass_result::NotFound
    }
}

/// The iteration both caches offer (see `torclass_table_endpoint_next`).
///
/// # Safety
/// `cursor` NULL or a writable `size_t`; `out_endpoint` NULL or a writable `torclass_endpoint`.
pub(crate) unsafe fn next(
    cache: &EndpointCache<RawEntries>,
    cursor: *mut usize,
    now_ns: u64,
    out_endpoint: *mut torclass_endpoint,
) -> torclass_result {
    tri!(out(out_endpoint));
    // SAFETY: NULL is refused; else writable (caller contract).
    let cursor = tri!(unsafe { get_mut(cursor) });
    let found = cache
        .iter()
        .enumerate()
        .skip(*cursor)
        .find(|(_, e)| e.is_live(now_ns))
        .and_then(|(i, e)| Some((i, c_endpoint(e)?)));
    let Some((index, entry)) = found else {
        return torclass_result::NotFound;
    };
    *cursor = index.saturating_add(1);
    // SAFETY: `out_endpoint` is not NULL (checked first) and writable.
    unsafe { out_endpoint.write(entry) };
    torclass_result::Ok
}

/// `torclass_table_endpoint_query` on a standalone cache: OK and the live entry (with
/// `source` and `expires_ns`) in `*out_endpoint` (which may be NULL), or
/// `TORCLASS_RESULT_NOT_FOUND`.
///
/// # Safety
/// `cache` NULL or from `torclass_endpoints_init` with no concurrent writer; `endpoint` NULL
/// or a valid `torclass_endpoint`; `out_endpoint` NULL or a writable one.
#[no_mangle]
pub unsafe extern "C" fn torclass_endpoints_query(
    cache: *const torclass_endpoints,
    endpoint_in: *const torclass_endpoint,
    now_ns: u64,
    out_endpoint: *mut torclass_endpoint,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let cache = tri!(unsafe { cache_ref(cache) });
        // SAFETY: as documented for the caller.
        unsafe { query(cache, endpoint_in, now_ns, out_endpoint) }
    })
}

/// `torclass_table_endpoint_insert` on a standalone cache (a peer from a blocklist, or one
/// restored at start): OK if it is live afterwards, `TORCLASS_RESULT_INVALID_ARGUMENT` for a
/// bad `ip_version` or `source`, an expiry not after `now_ns`, or an endpoint that is no peer.
///
/// # Safety
/// `cache` NULL or from `torclass_endpoints_init`, used by one thread at a time; `endpoint`
/// NULL or a valid `torclass_endpoint`.
#[no_mangle]
pub unsafe extern "C" fn torclass_endpoints_insert(
    cache: *mut torclass_endpoints,
    endpoint_in: *const torclass_endpoint,
    now_ns: u64,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let cache = tri!(unsafe { cache_mut(cache) });
        // SAFETY: as documented for the caller.
        unsafe { insert(cache, endpoint_in, now_ns) }
    })
}

/// `torclass_table_endpoint_forget` on a standalone cache: OK if the endpoint was there, else
/// `TORCLASS_RESULT_NOT_FOUND`.
///
/// # Safety
/// As for [`torclass_endpoints_insert`].
#[no_mangle]
pub unsafe extern "C" fn torclass_endpoints_forget(
    cache: *mut torclass_endpoints,
    endpoint_in: *const torclass_endpoint,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let cache = tri!(unsafe { cache_mut(cache) });
        // SAFETY: as documented for the caller.
        unsafe { forget(cache, endpoint_in) }
    })
}

/// `torclass_table_endpoint_next` on a standalone cache: set `*cursor` to 0, then call until
/// `TORCLASS_RESULT_NOT_FOUND`; each OK writes one live endpoint and advances `*cursor`.
///
/// # Safety
/// `cache` as for [`torclass_endpoints_query`]; `cursor` NULL or a writable `size_t`;
/// `out_endpoint` NULL or a writable `torclass_endpoint`.
#[no_mangle]
pub unsafe extern "C" fn torclass_endpoints_next(
    cache: *const torclass_endpoints,
    cursor: *mut usize,
    now_ns: u64,
    out_endpoint: *mut torclass_endpoint,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let cache = tri!(unsafe { cache_ref(cache) });
        // SAFETY: as documented for the caller.
        unsafe { next(cache, cursor, now_ns, out_endpoint) }
    })
}
