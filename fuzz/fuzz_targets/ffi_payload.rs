//! The C functions of libtorclass added after `ffi_api` was written, called as C calls them (the
//! header's declarations: raw integers, `uint32_t` results, NULL pointers, caller memory):
//! the standalone endpoint cache (`torclass_endpoints_*`), the payload API's learning,
//! corroboration and mid-stream pickup (`torclass_flow_feed_learn`, `_corroborate`,
//! `_midstream`), `torclass_packet_decode`, `torclass_clock_unit`, the struct_size prefix rule
//! of `torclass_table_get_stats`, `torclass_table_flow_info` and the config of
//! `torclass_table_init`, and the name functions (`torclass_source_name` and the others) over
//! every number.
//!
//! Checked besides "no panic, no sanitizer report":
//! - every call returns a documented code, never `PANIC`: one of the argument errors that apply
//!   (NULL, misaligned, moved or garbage cache memory, bad enums, short sizes), else what the
//!   flow's bytes (`torclass_flow_verdict` on them), the packet (`packet::decode`) or the cache
//!   model call for;
//! - a refused call writes nothing: out-parameters, the flow, the meta record, the cache memory
//!   (and, whatever the result, a call that only reads the cache, `_query`, `_next` and
//!   `torclass_flow_corroborate`, leaves its memory as it was);
//! - a struct_size call writes exactly `min(size, sizeof)` bytes, the prefix of the full one,
//!   with `struct_size` set to that; a config is read only up to its `struct_size` (it lies in
//!   an allocation of exactly that many bytes);
//! - the cache model: an endpoint inserted is found by `_query` with its source and expiry
//!   until forgotten or expired; `_next` lists each live entry once; while nothing else can
//!   have replaced an entry (no learning flow fed it, at most 8 keys in 8-way buckets), the
//!   cache holds exactly the model's entries;
//! - a flow stays loadable after an accepted call, its verdict only moves forward; corroboration
//!   adds `KNOWN_ENDPOINT` only when an end is a live entry (model exact), mid-stream pickup
//!   leaves a UDP flow's bytes as they were and is refused once a TCP flow has a verdict or
//!   evidence;
//! - `torclass_packet_decode` gives the 5-tuple, flags, payload length and fragment bit of
//!   `packet::decode`, and the 5-tuple the table files the same frame under;
//! - `torclass_clock_unit` follows the documented rule (within a day of now in s, ms or µs);
//!   `torclass_table_stats.clock_unit` is the unit of one of the timestamps the table was given
//!   and never changes once set;
//! - names are static, NUL-terminated, and `torclass_source_name` names exactly 1..=7.
//!
//! Input: as `ffi_api`'s (so its seeds serve): `[u16 LE n][n bytes of ops, decoded with
//! arbitrary][records]`; a record with head bit 7 clear is a frame of link type
//! `LINKS[head & 7]` (decoded, and processed by the table), set a payload for flow
//! `(head >> 1) & 3` from direction `head & 1` (fed with learning into the cache). The records
//! left after the ops are consumed at the end.
#![no_main]
use core::ffi::{c_char, c_void};
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::time::{SystemTime, UNIX_EPOCH};

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use torclass::{
    torclass_endpoint, torclass_flow, torclass_flow_info, torclass_flow_key, torclass_meta,
    torclass_packet_info, torclass_packet_result, torclass_table_config, torclass_table_stats,
    torclass_verdict,
};
use torclass_core::packet::{decode, Fragment, LinkType};
use torclass_core::{Evidence, FlowClassifier, Protocol, Transport};
use torclass_fuzz::tagged;

/// The exports as `include/torclass.h` declares them to C.
#[path = "ffi_common.rs"]
mod common;
use common::*;

mod c {
    pub use super::common::exports::*;
    use super::*;

    extern "C" {
        pub fn torclass_flow_midstream(flow: *mut torclass_flow) -> u32;
        pub fn torclass_flow_feed_learn(
            flow: *mut torclass_flow,
            direction: u8,
            payload: *const u8,
            len: usize,
            meta: *mut torclass_meta,
            cache: *mut c_void,
            key: *const torclass_flow_key,
            now_ns: u64,
            out_verdict: *mut torclass_verdict,
        ) -> u32;
        pub fn torclass_flow_corroborate(
            flow: *mut torclass_flow,
            cache: *const c_void,
            key: *const torclass_flow_key,
            now_ns: u64,
            out_verdict: *mut torclass_verdict,
        ) -> u32;
        pub fn torclass_endpoints_size(capacity: u32) -> usize;
        pub fn torclass_endpoints_init(
            mem: *mut c_void,
            mem_len: usize,
            capacity: u32,
            seed: u64,
            ttl_ns: u64,
            out_endpoints: *mut *mut c_void,
        ) -> u32;
        pub fn torclass_endpoints_query(
            cache: *const c_void,
            endpoint_in: *const torclass_endpoint,
            now_ns: u64,
            out_endpoint: *mut torclass_endpoint,
        ) -> u32;
        pub fn torclass_endpoints_insert(
            cache: *mut c_void,
            endpoint_in: *const torclass_endpoint,
            now_ns: u64,
        ) -> u32;
        pub fn torclass_endpoints_forget(
            cache: *mut c_void,
            endpoint_in: *const torclass_endpoint,
        ) -> u32;
        pub fn torclass_endpoints_next(
            cache: *const c_void,
            cursor: *mut usize,
            now_ns: u64,
            out_endpoint: *mut torclass_endpoint,
        ) -> u32;
        pub fn torclass_clock_unit(timestamp: u64) -> u8;
        pub fn torclass_packet_decode(
            link_type: u32,
            data: *const u8,
            len: usize,
            out_info: *mut torclass_packet_info,
            info_size: usize,
        ) -> u32;
        pub fn torclass_source_name(source: u8) -> *const c_char;
        pub fn torclass_protocol_name(protocol: u8) -> *const c_char;
        pub fn torclass_verdict_name(verdict: u8) -> *const c_char;
        pub fn torclass_confidence_name(confidence: u8) -> *const c_char;
        pub fn torclass_end_reason_name(reason: u8) -> *const c_char;
        pub fn torclass_evidence_name(bit: u32) -> *const c_char;
        pub fn torclass_table_flow_info(
            table: *const c_void,
            handle: u64,
            out_info: *mut torclass_flow_info,
            info_size: usize,
        ) -> u32;
    }
}

const ALIGN: usize = torclass::TORCLASS_TABLE_ALIGN;
const TABLE_SLOTS: u32 = 16;
const SEC: u64 = 1_000_000_000;
/// The flow header before the core state: magic, ABI, mode byte, checksum.
const HEADER_LEN: usize = torclass::TORCLASS_FLOW_SIZE - FlowClassifier::STATE_LEN;
/// The documented first ABI 1 sizes: up to `learn_endpoints`, up to `meta`, up to
/// `endpoint_misses`.
const CONFIG_ABI1: usize = core::mem::offset_of!(torclass_table_config, learn_endpoints) + 4;
const FLOW_INFO_ABI1: usize =
    core::mem::offset_of!(torclass_flow_info, meta) + core::mem::size_of::<torclass_meta>();
const STATS_ABI1: usize = core::mem::offset_of!(torclass_table_stats, clock_unit);
const PACKET_INFO_ABI1: usize = core::mem::size_of::<torclass_packet_info>();
const SOURCE_NAMES: [&str; 7] = [
    "pex",
    "tracker",
    "dht",
    "lsd",
    "listen_port",
    "flow",
    "proxy",
];

/// Zeroed heap memory aligned to `ALIGN`, exactly `len` bytes (reads past it are reported).
struct Mem {
    ptr: *mut u8,
    len: usize,
}

impl Mem {
    fn new(len: usize) -> Self {
        let layout = Layout::from_size_align(len.max(1), ALIGN).expect("layout");
        // SAFETY: the layout's size is not zero.
        let ptr = unsafe { alloc_zeroed(layout) };
        assert!(!ptr.is_null(), "out of memory");
        Self { ptr, len }
    }

    fn from(bytes: &[u8]) -> Self {
        let m = Self::new(bytes.len());
        m.bytes_mut().copy_from_slice(bytes);
        m
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `len` initialised bytes owned by `self`.
        unsafe { core::slice::from_raw_parts(self.ptr, self.len) }
    }

    #[allow(clippy::mut_from_ref)]
    fn bytes_mut(&self) -> &mut [u8] {
        // SAFETY: as above; the harness holds no other reference across this one's use.
        unsafe { core::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Mem {
    fn drop(&mut self) {
        let layout = Layout::from_size_align(self.len.max(1), ALIGN).expect("layout");
        // SAFETY: allocated in `new` with this layout.
        unsafe { dealloc(self.ptr, layout) };
    }
}

/// A raw `uint8_t` for a C enum of two values `A` and `B`: mostly one of them, else a number
/// that is neither.
#[derive(Debug, Clone, Copy)]
struct Raw<const A: u8, const B: u8>(u8);

impl<'a, const A: u8, const B: u8> Arbitrary<'a> for Raw<A, B> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self(match u8::arbitrary(u)? {
            b @ 0xe0.. => b.wrapping_sub(0xe0).wrapping_mul(9).wrapping_add(2),
            b if b & 1 == 0 => A,
            _ => B,
        }))
    }
}

/// A struct size: mostly `sizeof`, else any from 0 to 16 past it.
#[derive(Debug, Clone, Copy)]
struct Size(Option<u8>);

impl<'a> Arbitrary<'a> for Size {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(Self((b >= 0x80).then(|| u8::arbitrary(u)).transpose()?))
    }
}

impl Size {
    fn of<T>(self) -> usize {
        let full = core::mem::size_of::<T>();
        self.0.map_or(full, |n| usize::from(n) % (full + 17))
    }
}

/// A payload's length argument.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Len {
    Whole,
    /// A prefix, in an exact-size copy.
    Shorter(u16),
    NullEmpty,
    NullSized(u16),
    /// A negative `ssize_t` cast to `size_t`.
    Huge(u8),
}

/// The memory a call gets as the endpoint cache.
#[derive(Arbitrary, Debug)]
enum CacheRef {
    Real,
    Null,
    /// The cache's address plus 1..=7.
    Misaligned(u8),
    /// A copy of the cache's memory elsewhere: refused as moved.
    Moved,
    /// Aligned memory holding these bytes (never the cache's magic).
    Garbage(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Addr {
    /// 10.0.0.n or fd00::n: a few addresses that meet again.
    Small(u8),
    /// One of the model's keys.
    Known(u8),
    Raw([u8; 16]),
}

/// A `torclass_endpoint` argument.
#[derive(Arbitrary, Debug)]
struct Ep {
    ip_version: Raw<4, 6>,
    addr: Addr,
    port: Option<u16>,
    /// `TORCLASS_SOURCE_*` when under 8 (7 of 8 times 1..=7), else raw.
    source: u8,
    /// Expiry from now, in seconds (also in the past).
    expires: i16,
    reserved: u32,
    null: Null,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum KeyArg {
    /// The flow's own 5-tuple.
    Own,
    Reversed,
    Null,
    Raw {
        ip_version: Raw<4, 6>,
        transport: Raw<TCP, UDP>,
        src: Addr,
        dst: Addr,
        sport: u16,
        dport: u16,
    },
}

#[derive(Arbitrary, Debug)]
enum MetaArg {
    Null,
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Clock {
    Raw(u64),
    /// Nanoseconds since 1970 or since boot: the right unit.
    Nanos(u32),
    /// The current time in seconds (0), milliseconds (1) or microseconds (2), plus `delta` of
    /// that unit modulo 3 days (both sides of the one-day rule).
    Unit(u8, i64),
}

#[derive(Arbitrary, Debug)]
struct LearnArgs {
    flow: u8,
    direction: Raw<0, 1>,
    len: Len,
    meta: MetaArg,
    cache: CacheRef,
    key: KeyArg,
    null_flow: Null,
    null_out: Null,
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// Consume the next 1..=8 records.
    Records(u8),
    Clock(Clock),
    /// Move the clock on (or back) by this many milliseconds.
    Tick(i32),
    EndpointsInit {
        capacity: u32,
        delta: i8,
        offset: u8,
        seed: u64,
        ttl_s: u16,
        null_mem: Null,
        null_out: Null,
    },
    /// `torclass_endpoints_init` on the live cache's memory: empties it, or is refused and
    /// leaves it as it was.
    EndpointsReinit {
        capacity: u8,
        seed: u64,
        null_out: Null,
    },
    Insert {
        ep: Ep,
        cache: CacheRef,
    },
    Query {
        ep: Ep,
        cache: CacheRef,
        null_out: Null,
    },
    Forget {
        ep: Ep,
        cache: CacheRef,
    },
    /// List the cache with `_next`, from cursor 0 (or `start`).
    Next {
        cache: CacheRef,
        start: Option<usize>,
        null_cursor: Null,
        null_out: Null,
    },
    FlowInit {
        flow: u8,
        transport: Raw<TCP, UDP>,
        ip_version: Raw<4, 6>,
    },
    FlowBytes {
        flow: u8,
        bytes: [u8; torclass::TORCLASS_FLOW_SIZE],
    },
    /// A valid header (magic, ABI, checksum) around a mode byte and state bytes.
    FlowForge {
        flow: u8,
        mode: u8,
        state: [u8; FlowClassifier::STATE_LEN],
    },
    /// Flip bits of the flow, then maybe make the checksum valid again.
    FlowTamper {
        flow: u8,
        edits: Vec<(u8, u8)>,
        rechecksum: bool,
    },
    FlowCopy {
        from: u8,
        to: u8,
    },
    Learn {
        args: LearnArgs,
        payload: Vec<u8>,
    },
    Corroborate {
        flow: u8,
        cache: CacheRef,
        key: KeyArg,
        null_flow: Null,
        null_out: Null,
    },
    Midstream {
        flow: u8,
        null: Null,
    },
    Decode {
        link: u32,
        bytes: Vec<u8>,
        size: Size,
        len: Len,
        null_out: Null,
    },
    ClockUnit(Clock),
    Names(u32),
    Stats {
        size: Size,
        null_out: Null,
    },
    FlowInfo {
        /// One of the handles seen, or raw.
        handle: Result<u8, u64>,
        size: Size,
        null_out: Null,
    },
    /// A new table from a config of any `struct_size`.
    TableInit {
        size: Size,
        timeouts: [u64; 4],
        learn: u32,
        seed: u64,
        null_out: Null,
    },
}

/// BitTorrent keeps its protocol, confidence and evidence only grow; a finished verdict stays.
fn check_after(b: &torclass_verdict, after: &torclass_verdict) {
    check_verdict(after);
    if b.finished == 1 {
        assert_eq!(b, after, "a finished verdict changed");
    }
    assert_eq!(
        after.evidence & b.evidence,
        b.evidence,
        "{b:?} -> {after:?}"
    );
    if b.verdict == torclass::TORCLASS_VERDICT_BITTORRENT {
        assert_eq!((after.verdict, after.protocol), (b.verdict, b.protocol));
        assert!(after.confidence >= b.confidence, "{b:?} -> {after:?}");
    }
}

/// A static NUL-terminated ASCII string, or None for NULL.
fn c_text(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let mut out = String::new();
    for i in 0..256 {
        // SAFETY: the library returns NUL-terminated strings; the loop stops at the NUL.
        let b = unsafe { p.add(i).cast::<u8>().read() };
        if b == 0 {
            return Some(out);
        }
        assert!(b.is_ascii_graphic(), "byte {b:#x} in a name");
        out.push(char::from(b));
    }
    panic!("no NUL in 256 bytes: {out:?}");
}

/// `after` is `before`; else the first byte that differs.
fn same(after: &[u8], before: &[u8], what: &str) {
    if let Some(at) = after.iter().zip(before).position(|(a, b)| a != b) {
        panic!("{what}: byte {at} {:#x} -> {:#x}", before[at], after[at]);
    }
    assert_eq!(after.len(), before.len(), "{what}");
}

/// The cache's memory, if there is a cache.
fn cache_bytes(c: Option<&Cache>) -> Vec<u8> {
    c.map(|c| c.mem.bytes().to_vec()).unwrap_or_default()
}

fn bytes_of<T>(v: &T) -> &[u8] {
    // SAFETY: the harness only views padding-free `repr(C)` plain-data structs as bytes.
    unsafe { core::slice::from_raw_parts(core::ptr::from_ref(v).cast(), core::mem::size_of::<T>()) }
}

fn wall_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The documented rule of `torclass_clock_unit` at `now_s`.
fn clock_rule(ts: u64, now_s: u64) -> u8 {
    for (unit, per) in [(1, 1), (2, 1_000), (3, 1_000_000)] {
        let now = u128::from(now_s) * per;
        if u128::from(ts).abs_diff(now) <= 86_400 * per {
            return unit;
        }
    }
    0
}

fn clock_value(c: Clock) -> u64 {
    match c {
        Clock::Raw(v) => v,
        Clock::Nanos(n) => u64::from(n) * 1_000_003,
        Clock::Unit(u, delta) => {
            let per: i128 = [1, 1_000, 1_000_000][usize::from(u % 3)];
            let span = 3 * 86_400 * per;
            let v = i128::from(wall_s()) * per + i128::from(delta) % span;
            v.clamp(0, i128::from(u64::MAX)) as u64
        }
    }
}

/// An endpoint as the cache keys it: IPv4 as IPv4-mapped IPv6, and the port.
type Key = ([u8; 16], u16);

fn key_of(ip_version: u8, addr: &[u8; 16], port: u16) -> Option<Key> {
    match ip_version {
        4 => {
            let mut a = [0u8; 16];
            a[10] = 0xff;
            a[11] = 0xff;
            a[12..].copy_from_slice(&addr[..4]);
            Some((a, port))
        }
        6 => Some((*addr, port)),
        _ => None,
    }
}

/// A peer one can connect to (`torclass_core::endpoints`' rule): a port, and no unspecified,
/// multicast or broadcast address.
fn is_peer(k: &Key) -> bool {
    let a = &k.0;
    let mapped = a[..10].iter().all(|b| *b == 0) && a[10] == 0xff && a[11] == 0xff;
    let host = if mapped {
        let v4 = &a[12..];
        !(v4 == [0; 4] || (224..240).contains(&v4[0]) || v4 == [255; 4])
    } else {
        !(*a == [0; 16] || a[0] == 0xff)
    };
    host && k.1 != 0
}

/// The cache's key of a C endpoint written by the library, checked for form.
fn out_key(e: &torclass_endpoint, now: u64) -> Key {
    assert!(matches!(e.ip_version, 4 | 6), "{e:?}");
    assert!((1..=7).contains(&e.source), "{e:?}");
    assert_eq!(e.reserved, 0, "{e:?}");
    assert!(e.expires_ns > now, "a listed entry is live: {e:?} at {now}");
    if e.ip_version == 4 {
        assert_eq!(e.addr[4..], [0; 12], "{e:?}");
    }
    let k = key_of(e.ip_version, &e.addr, e.port).expect("version");
    assert!(is_peer(&k), "{e:?}");
    k
}

/// The standalone cache and its model.
struct Cache {
    mem: Mem,
    capacity: u32,
    /// Every key stored and not forgotten (live or expired): source, expiry.
    model: Vec<(Key, u8, u64)>,
    /// No learning flow fed the cache and no entry can have been replaced: the cache holds
    /// exactly `model`.
    exact: bool,
}

impl Cache {
    fn ptr(&self) -> *mut c_void {
        self.mem.ptr.cast()
    }

    fn find(&self, k: &Key) -> Option<(u8, u64)> {
        self.model
            .iter()
            .find(|(m, _, _)| m == k)
            .map(|(_, s, e)| (*s, *e))
    }

    fn live(&self, k: &Key, now: u64) -> Option<(u8, u64)> {
        self.find(k).filter(|(_, e)| *e > now)
    }
}

/// Memory standing in for the cache in one call, kept until the call is checked.
struct Arg {
    ptr: *mut c_void,
    /// The memory behind `ptr` when it is not the real cache, with its bytes before the call.
    other: Option<(Mem, Vec<u8>)>,
    errors: Vec<(bool, u32)>,
}

impl Arg {
    /// The pointer and the errors it calls for.
    fn new(r: &CacheRef, cache: Option<&Cache>) -> Self {
        let real = cache.map_or(core::ptr::null_mut(), Cache::ptr);
        let copy = |bytes: &[u8]| {
            let m = Mem::from(bytes);
            let before = bytes.to_vec();
            (m.ptr.cast::<c_void>(), Some((m, before)))
        };
        let (ptr, other, error) = match (r, cache) {
            (CacheRef::Null, _) | (_, None) => (core::ptr::null_mut(), None, NULL),
            (CacheRef::Real, Some(_)) => (real, None, OK),
            (CacheRef::Misaligned(k), Some(c)) => {
                // Within the cache's memory: 1..=7 bytes in, still readable for a header.
                let k = 1 + usize::from(*k % 7).min(c.mem.len - 2);
                // SAFETY: `k` bytes into the cache's allocation (refused before any read).
                (unsafe { real.cast::<u8>().add(k) }.cast(), None, MISALIGNED)
            }
            (CacheRef::Moved, Some(c)) => {
                let (p, o) = copy(c.mem.bytes());
                (p, o, UNINITIALIZED)
            }
            (CacheRef::Garbage(bytes), Some(c)) => {
                let mut g = bytes.clone();
                g.resize(c.mem.len, 0x5a);
                if g[0] == b't' {
                    g[0] = 0;
                }
                let (p, o) = copy(&g);
                (p, o, UNINITIALIZED)
            }
        };
        Self {
            ptr,
            other,
            errors: vec![(error != OK, error)],
        }
    }

    fn refused(&self) -> bool {
        self.errors.iter().any(|(on, _)| *on)
    }

    /// Memory that was not the cache is as it was.
    fn check(&self) {
        if let Some((m, before)) = &self.other {
            same(m.bytes(), before, "memory that is not a cache changed");
        }
    }
}

struct Flow {
    bytes: torclass_flow,
    /// The 5-tuple the flow's payloads are fed with (its transport follows the flow's).
    key: torclass_flow_key,
}

/// A flow's state as the library would load it: `Ok(transport, mode)` or the code.
fn flow_state(f: &torclass_flow) -> Result<(Transport, u8), u32> {
    let mut v = torclass_verdict::default();
    // SAFETY: a valid flow and out-pointer.
    let r = unsafe { c::torclass_flow_verdict(f, &mut v) };
    if r != OK {
        assert_ne!(r, PANIC);
        return Err(r);
    }
    let state: &[u8; FlowClassifier::STATE_LEN] =
        f.opaque[HEADER_LEN..].try_into().expect("state length");
    let c = FlowClassifier::from_state(state).expect("a flow the library loads");
    Ok((c.transport(), f.opaque[3]))
}

fn flow_verdict(f: &torclass_flow) -> torclass_verdict {
    let mut v = torclass_verdict::default();
    // SAFETY: a valid flow and out-pointer.
    assert_eq!(unsafe { c::torclass_flow_verdict(f, &mut v) }, OK);
    v
}

struct Table {
    mem: Mem,
    handles: Vec<u64>,
    /// The unit of each timestamp given to the table, when given.
    units: Vec<u8>,
}

struct State<'a> {
    records: Box<dyn Iterator<Item = (u8, &'a [u8])> + 'a>,
    now: u64,
    cache: Option<Cache>,
    flows: Vec<Flow>,
    table: Option<Table>,
}

fn small_addr(ip_version: u8, a: Addr, cache: Option<&Cache>) -> [u8; 16] {
    match a {
        Addr::Small(n) if ip_version == 6 => {
            let mut x = [0u8; 16];
            x[0] = 0xfd;
            x[15] = n % 16;
            x
        }
        Addr::Small(n) => {
            let mut x = [0u8; 16];
            x[..4].copy_from_slice(&[10, 0, 0, n % 16]);
            x
        }
        Addr::Known(i) => cache
            .and_then(|c| c.model.get(usize::from(i) % c.model.len().max(1)))
            .map_or([0; 16], |((a, _), _, _)| {
                if ip_version == 4 {
                    let mut x = [0u8; 16];
                    x[..4].copy_from_slice(&a[12..]);
                    x
                } else {
                    *a
                }
            }),
        Addr::Raw(x) => x,
    }
}

impl State<'_> {
    fn endpoint(&self, ep: &Ep) -> torclass_endpoint {
        let ip_version = ep.ip_version.0;
        let addr = small_addr(ip_version, ep.addr, self.cache.as_ref());
        let port = match (ep.port, ep.addr, self.cache.as_ref()) {
            (None, Addr::Known(i), Some(c)) if !c.model.is_empty() => {
                c.model[usize::from(i) % c.model.len()].0 .1
            }
            (None, _, _) => 6881,
            (Some(p), _, _) => p,
        };
        // Mostly a valid source; else 0 or a number past the last.
        let source = match ep.source {
            s @ 0xe0.. => (s - 0xe0).wrapping_mul(9),
            s => 1 + s % 7,
        };
        let expires = i128::from(self.now) + i128::from(ep.expires) * i128::from(SEC);
        torclass_endpoint {
            expires_ns: expires.clamp(0, i128::from(u64::MAX)) as u64,
            addr,
            port,
            ip_version,
            source,
            reserved: ep.reserved,
        }
    }

    fn key(&self, flow: usize, k: KeyArg) -> Option<torclass_flow_key> {
        let own = self.flows[flow].key;
        Some(match k {
            KeyArg::Null => return None,
            KeyArg::Own => own,
            KeyArg::Reversed => torclass_flow_key {
                src_port: own.dst_port,
                dst_port: own.src_port,
                src_addr: own.dst_addr,
                dst_addr: own.src_addr,
                ..own
            },
            KeyArg::Raw {
                ip_version,
                transport,
                src,
                dst,
                sport,
                dport,
            } => torclass_flow_key {
                ip_version: ip_version.0,
                transport: transport.0,
                src_port: sport,
                dst_port: dport,
                reserved: 0,
                src_addr: small_addr(ip_version.0, src, self.cache.as_ref()),
                dst_addr: small_addr(ip_version.0, dst, self.cache.as_ref()),
            },
        })
    }

    fn run(&mut self, op: Op) {
        match op {
            Op::Records(n) => {
                for _ in 0..=n % 8 {
                    if !self.record() {
                        break;
                    }
                }
            }
            Op::Clock(c) => self.now = clock_value(c),
            Op::Tick(ms) => {
                self.now = self
                    .now
                    .saturating_add_signed(i64::from(ms).saturating_mul(1_000_000))
            }
            Op::EndpointsInit {
                capacity,
                delta,
                offset,
                seed,
                ttl_s,
                null_mem,
                null_out,
            } => self.endpoints_init(capacity, delta, offset, seed, ttl_s, null_mem, null_out),
            Op::EndpointsReinit {
                capacity,
                seed,
                null_out,
            } => self.endpoints_reinit(u32::from(capacity), seed, null_out),
            Op::Insert { ep, cache } => self.insert(&ep, &cache),
            Op::Query {
                ep,
                cache,
                null_out,
            } => {
                let e = self.endpoint(&ep);
                self.query(&e, ep.null, &cache, null_out);
            }
            Op::Forget { ep, cache } => self.forget(&ep, &cache),
            Op::Next {
                cache,
                start,
                null_cursor,
                null_out,
            } => self.next(&cache, start, null_cursor, null_out),
            Op::FlowInit {
                flow,
                transport,
                ip_version,
            } => {
                let f = &mut self.flows[usize::from(flow) % FLOWS];
                // SAFETY: a valid flow.
                let r = unsafe { c::torclass_flow_init(&mut f.bytes, transport.0, ip_version.0) };
                let bad = !matches!(transport.0, TCP | UDP) || !matches!(ip_version.0, 4 | 6);
                expect("flow_init", r, &[(bad, INVALID)], OK);
                if r == OK {
                    f.key.transport = transport.0;
                }
            }
            Op::FlowBytes { flow, bytes } => {
                self.flows[usize::from(flow) % FLOWS].bytes.opaque = bytes;
            }
            Op::FlowForge { flow, mode, state } => {
                let f = &mut self.flows[usize::from(flow) % FLOWS].bytes.opaque;
                let head = [b't', b'c', torclass::TORCLASS_ABI_VERSION as u8, mode];
                f[..4].copy_from_slice(&head);
                f[4..HEADER_LEN].copy_from_slice(&checksum(&head, &state));
                f[HEADER_LEN..].copy_from_slice(&state);
            }
            Op::FlowTamper {
                flow,
                edits,
                rechecksum,
            } => {
                let f = &mut self.flows[usize::from(flow) % FLOWS].bytes.opaque;
                for (at, xor) in edits {
                    f[usize::from(at) % f.len()] ^= xor;
                }
                if rechecksum {
                    let sum = checksum(&f[..4], &f[HEADER_LEN..]);
                    f[4..HEADER_LEN].copy_from_slice(&sum);
                }
            }
            Op::FlowCopy { from, to } => {
                let b = self.flows[usize::from(from) % FLOWS].bytes.opaque;
                self.flows[usize::from(to) % FLOWS].bytes.opaque = b;
            }
            Op::Learn { args, payload } => self.learn(&args, &payload),
            Op::Corroborate {
                flow,
                cache,
                key,
                null_flow,
                null_out,
            } => self.corroborate(usize::from(flow) % FLOWS, &cache, key, null_flow, null_out),
            Op::Midstream { flow, null } => self.midstream(usize::from(flow) % FLOWS, null),
            Op::Decode {
                link,
                bytes,
                size,
                len,
                null_out,
            } => {
                let link = if link < 0x1000 {
                    LINKS[link as usize % 8]
                } else {
                    link
                };
                self.decode(link, &bytes, size, len, null_out);
            }
            Op::ClockUnit(c) => check_clock_unit(clock_value(c)),
            Op::Names(n) => check_names(n),
            Op::Stats { size, null_out } => self.stats(size, null_out),
            Op::FlowInfo {
                handle,
                size,
                null_out,
            } => self.flow_info(handle, size, null_out),
            Op::TableInit {
                size,
                timeouts,
                learn,
                seed,
                null_out,
            } => self.table_init(size, timeouts, learn, seed, null_out),
        }
    }

    /// Consume one record; false when there are none.
    fn record(&mut self) -> bool {
        let Some((head, bytes)) = self.records.next() else {
            return false;
        };
        if head & 0x80 == 0 {
            let link = LINKS[usize::from(head & 7)];
            self.decode(link, bytes, Size(None), Len::Whole, Null(false));
            self.process(link, bytes);
        } else {
            let args = LearnArgs {
                flow: (head >> 1) & 3,
                direction: Raw(head & 1),
                len: Len::Whole,
                meta: MetaArg::Null,
                cache: CacheRef::Real,
                key: KeyArg::Own,
                null_flow: Null(false),
                null_out: Null(false),
            };
            self.learn(&args, bytes);
        }
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn endpoints_init(
        &mut self,
        capacity: u32,
        delta: i8,
        offset: u8,
        seed: u64,
        ttl_s: u16,
        null_mem: Null,
        null_out: Null,
    ) {
        // Mostly small caches; else any capacity, over a small buffer.
        let capacity = if capacity >> 28 == 0 {
            capacity % 65
        } else {
            capacity
        };
        // SAFETY: always safe to call.
        let size = unsafe { c::torclass_endpoints_size(capacity) };
        // SAFETY: as above.
        let one = unsafe { c::torclass_endpoints_size(1) };
        if capacity == 0 {
            assert_eq!(size, 0);
        } else if let Some(want) = (one - 32).checked_add(32 * capacity as usize) {
            assert!(
                size == want || (size == 0 && want > isize::MAX as usize),
                "{size}"
            );
        }
        let misaligned = usize::from(offset % 8);
        let len = if size == 0 || size > 1 << 16 {
            256
        } else {
            size.saturating_add_signed(isize::from(delta))
        };
        let mem = Mem::new(len + misaligned);
        for (i, b) in mem.bytes_mut().iter_mut().enumerate() {
            *b = i as u8;
        }
        let before = mem.bytes().to_vec();
        let sentinel = 0x5eed_usize as *mut c_void;
        let mut out = sentinel;
        let out_ptr: *mut *mut c_void = if null_out.0 {
            core::ptr::null_mut()
        } else {
            &mut out
        };
        // SAFETY: `len` bytes at the pointer (misaligned inside the allocation).
        let ptr: *mut c_void = if null_mem.0 {
            core::ptr::null_mut()
        } else {
            unsafe { mem.ptr.add(misaligned) }.cast()
        };
        let ttl = u64::from(ttl_s) * SEC;
        // SAFETY: `len` writable bytes at `ptr` (or NULL), `out_ptr` NULL or writable.
        let r = unsafe { c::torclass_endpoints_init(ptr, len, capacity, seed, ttl, out_ptr) };
        expect(
            "endpoints_init",
            r,
            &[
                (null_out.0 || null_mem.0, NULL),
                (size == 0, INVALID),
                (misaligned != 0, MISALIGNED),
                (len < size, TOO_SMALL),
            ],
            OK,
        );
        if r != OK {
            assert_eq!(out, sentinel, "a refused init wrote its out-parameter");
            same(mem.bytes(), &before, "a refused init wrote the memory");
            return;
        }
        assert_eq!(out, ptr, "the cache is the memory");
        // The harness keeps a cache in memory that starts at the allocation (misaligned is 0).
        self.cache = Some(Cache {
            mem,
            capacity,
            model: Vec::new(),
            exact: capacity % 8 == 0,
        });
    }

    fn endpoints_reinit(&mut self, capacity: u32, seed: u64, null_out: Null) {
        let Some(cache) = self.cache.as_mut() else {
            return;
        };
        // SAFETY: always safe to call.
        let size = unsafe { c::torclass_endpoints_size(capacity) };
        let before = cache.mem.bytes().to_vec();
        let sentinel = 0x5eed_usize as *mut c_void;
        let mut out = sentinel;
        let o: *mut *mut c_void = if null_out.0 {
            core::ptr::null_mut()
        } else {
            &mut out
        };
        // SAFETY: the cache's own memory, `len` writable aligned bytes.
        let r =
            unsafe { c::torclass_endpoints_init(cache.ptr(), cache.mem.len, capacity, seed, 0, o) };
        expect(
            "endpoints_init again",
            r,
            &[
                (null_out.0, NULL),
                (size == 0, INVALID),
                (cache.mem.len < size, TOO_SMALL),
            ],
            OK,
        );
        if r != OK {
            assert_eq!(out, sentinel, "a refused init wrote its out-parameter");
            same(
                cache.mem.bytes(),
                &before,
                "a refused init changed the live cache",
            );
            return;
        }
        assert_eq!(out, cache.ptr());
        cache.capacity = capacity;
        cache.model.clear();
        cache.exact = capacity % 8 == 0;
        let mut cursor = 0usize;
        let mut e = torclass_endpoint::default();
        // SAFETY: a live cache, valid pointers.
        let n = unsafe { c::torclass_endpoints_next(cache.ptr(), &mut cursor, self.now, &mut e) };
        assert_eq!(n, NOT_FOUND, "a cache initialised again is empty");
    }

    fn insert(&mut self, ep: &Ep, r: &CacheRef) {
        let e = self.endpoint(ep);
        let now = self.now;
        let arg = Arg::new(r, self.cache.as_ref());
        let before = cache_bytes(self.cache.as_ref());
        let p: *const torclass_endpoint = if ep.null.0 { core::ptr::null() } else { &e };
        // SAFETY: the cache argument is NULL, a cache, or readable memory of a cache's size;
        // the endpoint NULL or valid.
        let got = unsafe { c::torclass_endpoints_insert(arg.ptr, p, now) };
        arg.check();
        let key = key_of(e.ip_version, &e.addr, e.port);
        let mut errors = arg.errors.clone();
        errors.push((ep.null.0, NULL));
        let bad = key.is_none_or(|k| !is_peer(&k)) || !(1..=7).contains(&e.source);
        errors.push((bad || e.expires_ns <= now, INVALID));
        expect("endpoints_insert", got, &errors, OK);
        let Some(cache) = self.cache.as_mut() else {
            return;
        };
        if got != OK {
            same(
                cache.mem.bytes(),
                &before,
                "a refused insert changed the cache",
            );
            return;
        }
        let k = key.expect("accepted");
        let old = cache.live(&k, now);
        let expires = old.map_or(e.expires_ns, |(_, x)| x.max(e.expires_ns));
        cache.model.retain(|(m, _, _)| *m != k);
        cache.model.push((k, e.source, expires));
        if cache.model.len() > 8 {
            cache.exact = false;
        }
        // Found at once, with its source and expiry.
        let mut out = torclass_endpoint::default();
        // SAFETY: a live cache, valid pointers.
        let q = unsafe { c::torclass_endpoints_query(cache.ptr(), &e, now, &mut out) };
        assert_eq!(q, OK, "an inserted endpoint is found");
        assert_eq!(out_key(&out, now), k);
        assert_eq!(out.source, e.source);
        if cache.exact {
            assert_eq!(out.expires_ns, expires, "{out:?}");
        } else {
            assert!(out.expires_ns >= e.expires_ns, "{out:?}");
        }
        if let Some(m) = cache.model.last_mut() {
            m.2 = out.expires_ns;
        }
    }

    fn query(&mut self, e: &torclass_endpoint, null_in: Null, r: &CacheRef, null_out: Null) {
        let now = self.now;
        let arg = Arg::new(r, self.cache.as_ref());
        let before = cache_bytes(self.cache.as_ref());
        let sentinel = torclass_endpoint {
            expires_ns: 0xa5a5,
            addr: [0xa5; 16],
            port: 0xa5a5,
            ip_version: 0xa5,
            source: 0xa5,
            reserved: 0xa5a5,
        };
        let mut out = sentinel;
        let p: *const torclass_endpoint = if null_in.0 { core::ptr::null() } else { e };
        let o: *mut torclass_endpoint = if null_out.0 {
            core::ptr::null_mut()
        } else {
            &mut out
        };
        // SAFETY: as for insert; `o` NULL or writable.
        let got = unsafe { c::torclass_endpoints_query(arg.ptr, p, now, o) };
        arg.check();
        same(
            &cache_bytes(self.cache.as_ref()),
            &before,
            "a query changed the cache",
        );
        let key = key_of(e.ip_version, &e.addr, e.port);
        let mut errors = arg.errors.clone();
        errors.push((null_in.0, NULL));
        errors.push((key.is_none(), INVALID));
        let Some(cache) = self.cache.as_ref().filter(|_| !arg.refused()) else {
            expect("endpoints_query", got, &errors, OK);
            assert_eq!(out, sentinel);
            return;
        };
        let found = key.filter(is_peer).and_then(|k| cache.live(&k, now));
        let peer = key.is_some_and(|k| is_peer(&k));
        let then = lookup_code(found.is_some(), cache.exact, peer, got);
        expect("endpoints_query", got, &errors, then);
        if got != OK || null_out.0 {
            assert_eq!(out, sentinel, "a query that found nothing wrote");
            return;
        }
        let k = key.expect("found");
        assert_eq!(out_key(&out, now), k);
        if let Some((source, expires)) = found.filter(|_| cache.exact) {
            assert_eq!((out.source, out.expires_ns), (source, expires));
        }
    }

    fn forget(&mut self, ep: &Ep, r: &CacheRef) {
        let e = self.endpoint(ep);
        let arg = Arg::new(r, self.cache.as_ref());
        let before = cache_bytes(self.cache.as_ref());
        let p: *const torclass_endpoint = if ep.null.0 { core::ptr::null() } else { &e };
        // SAFETY: as for insert.
        let got = unsafe { c::torclass_endpoints_forget(arg.ptr, p) };
        arg.check();
        let key = key_of(e.ip_version, &e.addr, e.port);
        let mut errors = arg.errors.clone();
        errors.push((ep.null.0, NULL));
        errors.push((key.is_none(), INVALID));
        let Some(cache) = self.cache.as_mut().filter(|_| !arg.refused()) else {
            expect("endpoints_forget", got, &errors, OK);
            return;
        };
        let held = key.filter(is_peer).and_then(|k| cache.find(&k));
        let peer = key.is_some_and(|k| is_peer(&k));
        let then = lookup_code(held.is_some(), cache.exact, peer, got);
        expect("endpoints_forget", got, &errors, then);
        if got != OK {
            same(
                cache.mem.bytes(),
                &before,
                "a refused forget changed the cache",
            );
            return;
        }
        let k = key.expect("forgotten");
        cache.model.retain(|(m, _, _)| *m != k);
        // SAFETY: a live cache, a valid endpoint.
        let q = unsafe {
            c::torclass_endpoints_query(cache.ptr(), &e, self.now, core::ptr::null_mut())
        };
        assert_eq!(q, NOT_FOUND, "a forgotten endpoint is found");
    }

    fn next(&mut self, r: &CacheRef, start: Option<usize>, null_cursor: Null, null_out: Null) {
        let now = self.now;
        let arg = Arg::new(r, self.cache.as_ref());
        let before = cache_bytes(self.cache.as_ref());
        let sentinel = torclass_endpoint {
            expires_ns: 7,
            ..Default::default()
        };
        let mut cursor = start.unwrap_or(0);
        let mut listed: Vec<torclass_endpoint> = Vec::new();
        let limit = self.cache.as_ref().map_or(1, |c| c.capacity as usize + 2);
        loop {
            let mut out = sentinel;
            let at = cursor;
            let cp: *mut usize = if null_cursor.0 {
                core::ptr::null_mut()
            } else {
                &mut cursor
            };
            let o: *mut torclass_endpoint = if null_out.0 {
                core::ptr::null_mut()
            } else {
                &mut out
            };
            // SAFETY: as for query; `cp` NULL or writable.
            let got = unsafe { c::torclass_endpoints_next(arg.ptr, cp, now, o) };
            arg.check();
            let mut errors = arg.errors.clone();
            errors.push((null_cursor.0 || null_out.0, NULL));
            if got != OK {
                expect("endpoints_next", got, &errors, NOT_FOUND);
                assert_eq!(out, sentinel, "a refused next wrote");
                assert_eq!(cursor, at, "a refused next moved the cursor");
                break;
            }
            expect("endpoints_next", got, &errors, OK);
            assert!(cursor > at, "the cursor advances");
            assert!(listed.len() < limit, "next listed more than the capacity");
            listed.push(out);
        }
        same(
            &cache_bytes(self.cache.as_ref()),
            &before,
            "next changed the cache",
        );
        let Some(cache) = self.cache.as_ref() else {
            return;
        };
        let mut keys: Vec<Key> = listed.iter().map(|e| out_key(e, now)).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "next listed an entry twice");
        if cache.exact && start.is_none() && !arg.refused() && !null_cursor.0 && !null_out.0 {
            let mut want: Vec<(Key, u8, u64)> = cache
                .model
                .iter()
                .filter(|(_, _, e)| *e > now)
                .copied()
                .collect();
            want.sort_unstable();
            let mut got: Vec<(Key, u8, u64)> = listed
                .iter()
                .map(|e| (out_key(e, now), e.source, e.expires_ns))
                .collect();
            got.sort_unstable();
            assert_eq!(got, want, "next lists the live entries");
        }
        for e in &listed {
            // Every listed entry is found by a query, the same.
            let mut out = torclass_endpoint::default();
            // SAFETY: a live cache, valid pointers.
            let q = unsafe { c::torclass_endpoints_query(cache.ptr(), e, now, &mut out) };
            assert_eq!((q, out), (OK, *e));
        }
    }

    fn learn(&mut self, a: &LearnArgs, payload: &[u8]) {
        let i = usize::from(a.flow) % FLOWS;
        let now = self.now;
        let key = self.key(i, a.key);
        let arg = Arg::new(&a.cache, self.cache.as_ref());
        let cache_before = cache_bytes(self.cache.as_ref());
        let flow_before = self.flows[i].bytes.opaque;
        let state = flow_state(&self.flows[i].bytes);
        let verdict_before = state.is_ok().then(|| flow_verdict(&self.flows[i].bytes));
        let (copy, ptr, len, null_sized, huge) = payload_arg(payload, a.len);
        let _keep = copy;
        let mut meta = match &a.meta {
            MetaArg::Null => None,
            MetaArg::Bytes(b) => {
                let mut m = torclass_meta::default();
                // SAFETY: every byte pattern is a valid record; at most its size is copied.
                let dst = unsafe {
                    core::slice::from_raw_parts_mut(
                        core::ptr::from_mut(&mut m).cast::<u8>(),
                        core::mem::size_of::<torclass_meta>(),
                    )
                };
                for (d, s) in dst.iter_mut().zip(b.iter().cycle()) {
                    *d = *s;
                }
                Some(m)
            }
        };
        let meta_before = meta.map(|m| bytes_of(&m).to_vec());
        let sentinel = torclass_verdict {
            verdict: 0xa5,
            ..Default::default()
        };
        let mut out = sentinel;
        let flow_ptr: *mut torclass_flow = if a.null_flow.0 {
            core::ptr::null_mut()
        } else {
            &mut self.flows[i].bytes
        };
        let meta_ptr: *mut torclass_meta = meta
            .as_mut()
            .map_or(core::ptr::null_mut(), core::ptr::from_mut);
        let key_ptr: *const torclass_flow_key =
            key.as_ref().map_or(core::ptr::null(), core::ptr::from_ref);
        let out_ptr: *mut torclass_verdict = if a.null_out.0 {
            core::ptr::null_mut()
        } else {
            &mut out
        };
        // SAFETY: every pointer is NULL or valid for its documented use; `len` readable bytes
        // at `ptr` unless `len` is refused before any read.
        let got = unsafe {
            c::torclass_flow_feed_learn(
                flow_ptr,
                a.direction.0,
                ptr,
                len,
                meta_ptr,
                arg.ptr,
                key_ptr,
                now,
                out_ptr,
            )
        };
        arg.check();
        let bad_key = key
            .is_some_and(|k| !matches!(k.transport, TCP | UDP) || !matches!(k.ip_version, 4 | 6));
        let mut errors = arg.errors.clone();
        errors.extend([
            (
                a.null_out.0 || a.null_flow.0 || key.is_none() || null_sized,
                NULL,
            ),
            (a.direction.0 > 1 || bad_key || huge, INVALID),
        ]);
        if !a.null_flow.0 {
            errors.push(flow_error(&state, key.as_ref()));
        }
        expect("flow_feed_learn", got, &errors, OK);
        if got != OK {
            assert_eq!(out, sentinel, "a refused feed wrote its verdict");
            assert_eq!(
                self.flows[i].bytes.opaque, flow_before,
                "a refused feed changed the flow"
            );
            assert_eq!(
                meta.map(|m| bytes_of(&m).to_vec()),
                meta_before,
                "a refused feed changed the meta"
            );
            same(
                &cache_bytes(self.cache.as_ref()),
                &cache_before,
                "a refused feed changed the cache",
            );
            return;
        }
        check_after(&verdict_before.expect("loaded"), &out);
        assert_eq!(flow_verdict(&self.flows[i].bytes), out);
        if let Some(c) = self.cache.as_mut() {
            c.exact = false;
        }
    }

    fn corroborate(&mut self, i: usize, r: &CacheRef, k: KeyArg, null_flow: Null, null_out: Null) {
        let now = self.now;
        let key = self.key(i, k);
        let arg = Arg::new(r, self.cache.as_ref());
        let cache_before = cache_bytes(self.cache.as_ref());
        let flow_before = self.flows[i].bytes.opaque;
        let state = flow_state(&self.flows[i].bytes);
        let sentinel = torclass_verdict {
            verdict: 0xa5,
            ..Default::default()
        };
        let mut out = sentinel;
        let flow_ptr: *mut torclass_flow = if null_flow.0 {
            core::ptr::null_mut()
        } else {
            &mut self.flows[i].bytes
        };
        let key_ptr: *const torclass_flow_key =
            key.as_ref().map_or(core::ptr::null(), core::ptr::from_ref);
        let out_ptr: *mut torclass_verdict = if null_out.0 {
            core::ptr::null_mut()
        } else {
            &mut out
        };
        // SAFETY: every pointer is NULL or valid for its documented use.
        let got = unsafe { c::torclass_flow_corroborate(flow_ptr, arg.ptr, key_ptr, now, out_ptr) };
        arg.check();
        // It only reads the cache (threads sharing one may corroborate at once).
        same(
            &cache_bytes(self.cache.as_ref()),
            &cache_before,
            "corroborate wrote the cache",
        );
        let bad_key = key
            .is_some_and(|k| !matches!(k.transport, TCP | UDP) || !matches!(k.ip_version, 4 | 6));
        let mut errors = arg.errors.clone();
        errors.extend([
            (null_out.0 || null_flow.0 || key.is_none(), NULL),
            (bad_key, INVALID),
        ]);
        if !null_flow.0 {
            errors.push(flow_error(&state, key.as_ref()));
        }
        expect("flow_corroborate", got, &errors, OK);
        if got != OK {
            assert_eq!(out, sentinel, "a refused corroborate wrote its verdict");
            assert_eq!(
                self.flows[i].bytes.opaque, flow_before,
                "a refused corroborate changed the flow"
            );
            return;
        }
        let before = flow_verdict(&torclass_flow {
            opaque: flow_before,
        });
        check_after(&before, &out);
        assert_eq!(flow_verdict(&self.flows[i].bytes), out);
        let (Some(cache), Some(k)) = (self.cache.as_ref(), key) else {
            return;
        };
        if cache.exact {
            let known = [(k.src_addr, k.src_port), (k.dst_addr, k.dst_port)]
                .iter()
                .filter_map(|(a, p)| key_of(k.ip_version, a, *p))
                .any(|e| is_peer(&e) && cache.live(&e, now).is_some());
            if !known {
                assert_eq!(
                    self.flows[i].bytes.opaque, flow_before,
                    "corroborated without a known end"
                );
            }
        }
    }

    fn midstream(&mut self, i: usize, null: Null) {
        let before = self.flows[i].bytes.opaque;
        let state = flow_state(&self.flows[i].bytes);
        // Refused once the flow has a verdict or evidence (it would drop them).
        let decided = state.is_ok() && {
            let v = flow_verdict(&self.flows[i].bytes);
            v.verdict != torclass::TORCLASS_VERDICT_UNDECIDED || v.evidence != 0
        };
        let p: *mut torclass_flow = if null.0 {
            core::ptr::null_mut()
        } else {
            &mut self.flows[i].bytes
        };
        // SAFETY: NULL or a valid flow.
        let got = unsafe { c::torclass_flow_midstream(p) };
        let mut errors = vec![(null.0, NULL)];
        match (state, null.0) {
            (Err(code), false) => errors.push((true, code)),
            (Ok((Transport::Tcp, _)), false) => errors.push((decided, INVALID)),
            _ => {}
        }
        expect("flow_midstream", got, &errors, OK);
        let after = self.flows[i].bytes.opaque;
        match state {
            Ok((Transport::Udp, _)) if got == OK => {
                assert_eq!(after, before, "mid-stream pickup changed a UDP flow")
            }
            Ok((_, mode)) if got == OK => {
                let (t, m) = flow_state(&self.flows[i].bytes).expect("still loads");
                assert_eq!(t, Transport::Tcp);
                assert_eq!(m, mode | 0x80, "the mode byte: mid-stream, resyncs kept");
                let b = torclass_flow { opaque: before };
                check_after(&flow_verdict(&b), &flow_verdict(&self.flows[i].bytes));
            }
            _ => assert_eq!(after, before, "a refused midstream changed the flow"),
        }
    }

    fn decode(&mut self, link: u32, frame: &[u8], size: Size, len: Len, null_out: Null) {
        let info_size = size.of::<torclass_packet_info>();
        let mut buf = vec![0xa5u8; info_size + 16];
        let (copy, ptr, n, null_sized, huge) = payload_arg(frame, len);
        let _keep = copy;
        let over = n > torclass::TORCLASS_MAX_PACKET_LEN;
        let out: *mut torclass_packet_info = if null_out.0 {
            core::ptr::null_mut()
        } else {
            buf.as_mut_ptr().cast()
        };
        // SAFETY: `n` readable bytes at `ptr` unless refused first; `info_size` writable bytes
        // at `out` (byte-aligned: the library writes bytes).
        let got = unsafe { c::torclass_packet_decode(link, ptr, n, out, info_size) };
        let link_type = LinkType::from_pcap(link);
        let errors = [
            (null_out.0 || null_sized, NULL),
            (info_size < PACKET_INFO_ABI1, TOO_SMALL),
            (huge || over, INVALID),
            (link_type.is_none(), UNKNOWN_LINK),
        ];
        let data = if ptr.is_null() || huge || over {
            &[][..]
        } else {
            // SAFETY: `n` readable bytes at `ptr`.
            unsafe { core::slice::from_raw_parts(ptr, n) }
        };
        let decoded = link_type.map(|l| decode(l, data));
        let then = match &decoded {
            Some(Ok(_)) => OK,
            Some(Err(torclass_core::packet::DecodeError::Truncated { .. }))
            | Some(Err(torclass_core::packet::DecodeError::Malformed { .. })) => MALFORMED,
            _ => UNSUPPORTED,
        };
        expect("packet_decode", got, &errors, then);
        let written = if got == OK {
            info_size.min(core::mem::size_of::<torclass_packet_info>())
        } else {
            0
        };
        assert!(
            buf[written..].iter().all(|b| *b == 0xa5),
            "packet_decode wrote past {written} bytes"
        );
        let Some(Ok(p)) = decoded.filter(|_| got == OK) else {
            return;
        };
        let mut want = torclass_packet_info {
            struct_size: written as u32,
            tcp_flags: p.tcp.map_or(0, |t| t.flags.0),
            first_fragment: u8::from(p.fragment == Fragment::First),
            reserved: 0,
            payload_len: p.payload_len_on_wire,
            key: c_key(&p.key),
        };
        want.struct_size = written as u32;
        assert_eq!(&buf[..written], &bytes_of(&want)[..written], "{want:?}");
    }

    fn process(&mut self, link: u32, frame: &[u8]) {
        let now = self.now;
        let Some(t) = self.table.as_mut() else {
            return;
        };
        let mut res = torclass_packet_result::default();
        // SAFETY: a live table, a readable frame, a writable result.
        let got = unsafe {
            c::torclass_table_process(
                t.mem.ptr.cast(),
                link,
                frame.as_ptr(),
                frame.len(),
                now,
                &mut res,
            )
        };
        assert!(got <= LAST && got != PANIC, "{got}");
        t.units.push(clock_rule(now, wall_s()));
        if got != OK {
            return;
        }
        t.handles.push(res.handle);
        let Some(l) = LinkType::from_pcap(link) else {
            panic!("a table took an unknown link type {link}");
        };
        let Ok(p) = decode(l, frame) else { return };
        let mut key = torclass_flow_key::default();
        // SAFETY: as above.
        let r = unsafe { c::torclass_table_flow_key(t.mem.ptr.cast(), res.slot, &mut key) };
        assert_eq!(r, OK);
        let k = c_key(&p.key);
        let reversed = torclass_flow_key {
            src_port: k.dst_port,
            dst_port: k.src_port,
            src_addr: k.dst_addr,
            dst_addr: k.src_addr,
            ..k
        };
        assert!(
            key == k || key == reversed,
            "the table files {key:?}, packet_decode reads {k:?}"
        );
    }

    fn stats(&mut self, size: Size, null_out: Null) {
        let Some(t) = self.table.as_mut() else {
            return;
        };
        let mut full = torclass_table_stats::default();
        let sz = core::mem::size_of::<torclass_table_stats>();
        // SAFETY: a live table, a whole struct.
        let r = unsafe { c::torclass_table_get_stats(t.mem.ptr.cast(), &mut full, sz) };
        assert_eq!(r, OK);
        assert_eq!(full.struct_size as usize, sz);
        assert!(full.clock_unit <= 3, "{full:?}");
        // Every frame the harness gives passes the argument checks: the first one's timestamp
        // sets the unit.
        let want = t.units.first().copied().unwrap_or(0);
        assert_eq!(
            full.clock_unit,
            u32::from(want),
            "clock_unit of {:?}",
            t.units
        );
        let n = size.of::<torclass_table_stats>();
        let mut buf = vec![0xa5u8; n + 16];
        let out: *mut torclass_table_stats = if null_out.0 {
            core::ptr::null_mut()
        } else {
            buf.as_mut_ptr().cast()
        };
        // SAFETY: `n` writable bytes at `out`, written as bytes.
        let got = unsafe { c::torclass_table_get_stats(t.mem.ptr.cast(), out, n) };
        expect(
            "get_stats",
            got,
            &[(null_out.0, NULL), (n < STATS_ABI1, TOO_SMALL)],
            OK,
        );
        let written = if got == OK { n.min(sz) } else { 0 };
        assert!(
            buf[written..].iter().all(|b| *b == 0xa5),
            "stats past {written}"
        );
        if got == OK {
            full.struct_size = written as u32;
            assert_eq!(&buf[..written], &bytes_of(&full)[..written]);
        }
    }

    fn flow_info(&mut self, handle: Result<u8, u64>, size: Size, null_out: Null) {
        let Some(t) = self.table.as_ref() else {
            return;
        };
        let handle = match handle {
            Ok(i) => t
                .handles
                .get(usize::from(i) % t.handles.len().max(1))
                .copied()
                .unwrap_or(0),
            Err(h) => h,
        };
        let sz = core::mem::size_of::<torclass_flow_info>();
        let mut full = vec![0u8; sz];
        // SAFETY: a live table, a whole struct (written as bytes).
        let r = unsafe {
            c::torclass_table_flow_info(t.mem.ptr.cast(), handle, full.as_mut_ptr().cast(), sz)
        };
        assert!(r == OK || r == NOT_FOUND, "{r}");
        let n = size.of::<torclass_flow_info>();
        let mut buf = vec![0xa5u8; n + 16];
        let out: *mut torclass_flow_info = if null_out.0 {
            core::ptr::null_mut()
        } else {
            buf.as_mut_ptr().cast()
        };
        // SAFETY: `n` writable bytes at `out`.
        let got = unsafe { c::torclass_table_flow_info(t.mem.ptr.cast(), handle, out, n) };
        expect(
            "flow_info",
            got,
            &[(null_out.0, NULL), (n < FLOW_INFO_ABI1, TOO_SMALL)],
            r,
        );
        let written = if got == OK { n.min(sz) } else { 0 };
        assert!(
            buf[written..].iter().all(|b| *b == 0xa5),
            "flow_info past {written}"
        );
        if got == OK {
            full[..4].copy_from_slice(&(written as u32).to_le_bytes());
            assert_eq!(&buf[..written], &full[..written]);
        }
    }

    fn table_init(
        &mut self,
        size: Size,
        timeouts: [u64; 4],
        learn: u32,
        seed: u64,
        null_out: Null,
    ) {
        use core::mem::offset_of;
        let n = size.of::<torclass_table_config>();
        // The config in exactly `n` bytes (a program built against an earlier, shorter header;
        // at least its `struct_size` field), and the bytes past `sizeof` garbage.
        let mut whole = vec![0u8; core::mem::size_of::<torclass_table_config>()];
        let mut put = |at: usize, v: &[u8]| whole[at..at + v.len()].copy_from_slice(v);
        put(
            offset_of!(torclass_table_config, struct_size),
            &(n as u32).to_ne_bytes(),
        );
        put(
            offset_of!(torclass_table_config, tcp_idle_ns),
            &timeouts[0].to_ne_bytes(),
        );
        put(
            offset_of!(torclass_table_config, tcp_closed_ns),
            &timeouts[1].to_ne_bytes(),
        );
        put(
            offset_of!(torclass_table_config, udp_idle_ns),
            &timeouts[2].to_ne_bytes(),
        );
        put(
            offset_of!(torclass_table_config, endpoint_ttl_ns),
            &timeouts[3].to_ne_bytes(),
        );
        put(
            offset_of!(torclass_table_config, learn_endpoints),
            &learn.to_ne_bytes(),
        );
        let mut bytes = vec![0x77u8; n.max(4)];
        let k = n.max(4).min(whole.len());
        bytes[..k].copy_from_slice(&whole[..k]);
        let cfg = Mem::from(&bytes);
        // SAFETY: always safe to call.
        let len = unsafe { c::torclass_table_size(TABLE_SLOTS) };
        let mem = Mem::new(len);
        let sentinel = 0x5eed_usize as *mut c_void;
        let mut out = sentinel;
        let o: *mut *mut c_void = if null_out.0 {
            core::ptr::null_mut()
        } else {
            &mut out
        };
        // SAFETY: `len` writable aligned bytes; `max(n, 4)` readable config bytes.
        let got = unsafe {
            c::torclass_table_init(mem.ptr.cast(), len, TABLE_SLOTS, seed, cfg.ptr.cast(), o)
        };
        expect(
            "table_init",
            got,
            &[(null_out.0, NULL), (n < CONFIG_ABI1, INVALID)],
            OK,
        );
        if got != OK {
            assert_eq!(out, sentinel, "a refused init wrote its out-parameter");
            assert!(
                mem.bytes().iter().all(|b| *b == 0),
                "a refused init wrote the table"
            );
            return;
        }
        assert_eq!(out, mem.ptr.cast::<c_void>());
        self.table = Some(Table {
            mem,
            handles: Vec::new(),
            units: Vec::new(),
        });
    }
}

/// The code a cache lookup (`_query`, `_forget`) must return: where the model is exact,
/// whether it holds the endpoint; a non-peer is never held; otherwise (a learning flow fed the
/// cache) either code, so the one returned.
fn lookup_code(held: bool, exact: bool, peer: bool, got: u32) -> u32 {
    match (held, exact) {
        (true, true) => OK,
        (false, true) => NOT_FOUND,
        _ if !peer => NOT_FOUND,
        _ if got == OK => OK,
        _ => NOT_FOUND,
    }
}

/// The argument error a flow's bytes (`state`: their load code, or transport) give a call with
/// 5-tuple `key`: the load error, else a transport other than the flow's.
fn flow_error(
    state: &Result<(Transport, u8), u32>,
    key: Option<&torclass_flow_key>,
) -> (bool, u32) {
    match state {
        Err(code) => (true, *code),
        Ok((t, _)) => {
            let want = if *t == Transport::Tcp { TCP } else { UDP };
            (key.is_some_and(|k| k.transport != want), INVALID)
        }
    }
}

/// An exact-size copy of `bytes` to keep alive, its pointer (dangling, not NULL, when empty)
/// and length, neither NULL nor oversized.
fn exact_copy(bytes: &[u8]) -> (Vec<u8>, *const u8, usize, bool, bool) {
    let v = bytes.to_vec();
    let p = if v.is_empty() {
        core::ptr::NonNull::dangling().as_ptr()
    } else {
        v.as_ptr()
    };
    let n = v.len();
    (v, p, n, false, false)
}

/// The pointer and length a call gets for `bytes` under `len`: (an exact-size copy to keep
/// alive, pointer, length, NULL with a length, a length above `PTRDIFF_MAX`).
fn payload_arg(bytes: &[u8], len: Len) -> (Vec<u8>, *const u8, usize, bool, bool) {
    match len {
        Len::Whole => exact_copy(bytes),
        Len::Shorter(n) => exact_copy(&bytes[..usize::from(n).min(bytes.len())]),
        Len::NullEmpty => (Vec::new(), core::ptr::null(), 0, false, false),
        Len::NullSized(n) => (
            Vec::new(),
            core::ptr::null(),
            usize::from(n) + 1,
            true,
            false,
        ),
        Len::Huge(k) => {
            let v = bytes.to_vec();
            let p = v.as_ptr();
            (v, p, usize::MAX - usize::from(k), false, true)
        }
    }
}

fn check_clock_unit(ts: u64) {
    let before = wall_s();
    // SAFETY: always safe to call.
    let got = unsafe { c::torclass_clock_unit(ts) };
    let after = wall_s();
    assert!(
        got == clock_rule(ts, before) || got == clock_rule(ts, after),
        "torclass_clock_unit({ts}) = {got}"
    );
}

fn check_names(n: u32) {
    let b = n as u8;
    // SAFETY: always safe to call.
    let source = c_text(unsafe { c::torclass_source_name(b) });
    let want = (1..=7)
        .contains(&b)
        .then(|| SOURCE_NAMES[usize::from(b - 1)].to_string());
    assert_eq!(source, want, "source {b}");
    // SAFETY: always safe to call (each twice: the same static string).
    let pairs = unsafe {
        [
            (c::torclass_protocol_name(b), c::torclass_protocol_name(b)),
            (c::torclass_verdict_name(b), c::torclass_verdict_name(b)),
            (
                c::torclass_confidence_name(b),
                c::torclass_confidence_name(b),
            ),
            (
                c::torclass_end_reason_name(b),
                c::torclass_end_reason_name(b),
            ),
            (c::torclass_evidence_name(n), c::torclass_evidence_name(n)),
        ]
    };
    for (p, q) in pairs {
        assert_eq!(p, q);
        c_text(p);
    }
    let protocol = Protocol::ALL.iter().find(|p| **p as u8 == b);
    assert_eq!(pairs[0].0.is_null(), protocol.is_none(), "protocol {b}");
    assert_eq!(pairs[1].0.is_null(), b > 2, "verdict {b}");
    assert_eq!(
        pairs[2].0.is_null(),
        !(1..=2).contains(&b),
        "confidence {b}"
    );
    let evidence = Evidence::NAMED.iter().find(|(bit, _)| bit.0 == n);
    assert_eq!(
        c_text(pairs[4].0).as_deref(),
        evidence.map(|(_, name)| *name),
        "evidence {n:#x}"
    );
}

fuzz_target!(|data: &[u8]| {
    let (n, rest) = match data {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => (0, &[][..]),
    };
    let (ops, records) = rest.split_at(n.min(rest.len()));
    let flow = |i: usize| {
        let mut f = Flow {
            bytes: torclass_flow {
                opaque: [0; torclass::TORCLASS_FLOW_SIZE],
            },
            key: torclass_flow_key {
                ip_version: 4,
                transport: if i % 2 == 0 { TCP } else { UDP },
                src_port: 40_000 + i as u16,
                dst_port: 6881,
                reserved: 0,
                src_addr: [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                dst_addr: [10, 0, 0, 2 + i as u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            },
        };
        // SAFETY: a valid flow.
        let r = unsafe { c::torclass_flow_init(&mut f.bytes, f.key.transport, 4) };
        assert_eq!(r, OK);
        f
    };
    let mut s = State {
        records: Box::new(tagged(records)),
        now: 1_000 * SEC,
        cache: None,
        flows: (0..FLOWS).map(flow).collect(),
        table: None,
    };
    // A cache of 64 entries and a table with the default config to start with.
    s.endpoints_init(64, 0, 0, 7, 0, Null(false), Null(false));
    s.table_init(
        Size(None),
        [600 * SEC, 10 * SEC, 120 * SEC, 1800 * SEC],
        1,
        7,
        Null(false),
    );
    let mut u = Unstructured::new(ops);
    while !u.is_empty() {
        let Ok(op) = Op::arbitrary(&mut u) else { break };
        s.run(op);
    }
    while s.record() {}
    s.next(&CacheRef::Real, None, Null(false), Null(false));
    s.stats(Size(None), Null(false));
});
