//! libtorclass's C ABI, called the way a C program can call it: enums as raw integers, results
//! as `uint32_t`, C pointers (NULL included), memory the caller owns. Everything else is the
//! fuzzer's: flow state bytes (arbitrary, forged around a valid checksum, bit-flipped), payloads
//! and lengths, table memory (size, misaligned offsets, moved and garbage tables), configs,
//! packets, timestamps and slot numbers, in any order.
//!
//! Checked besides "no panic, no sanitizer report":
//! - every call returns a documented code, never `PANIC`: one of the argument errors that apply,
//!   else what the memory and the packet call for (a flow's code follows from its bytes, a
//!   packet's from `packet::decode`, a slot's from the table model);
//! - a rejected call writes nothing: out-parameters, the flow, the meta record, the table
//!   memory (also for a failed re-init of a live table) are unchanged;
//! - an accepted call leaves a flow torclass accepts again, in canonical form;
//! - verdicts hold valid numbers and only known evidence bits, BitTorrent never goes back, a
//!   finished verdict never changes; a slot reads back the verdict and 5-tuple of its packet;
//! - the table model: every flow created is in its slot, or was evicted or expired exactly once
//!   (`flows` and the eviction counters of `torclass_table_get_stats` agree);
//! - strings are static and NUL-terminated.
//!
//! Input: `[u16 LE n][n bytes: the ops, decoded with arbitrary][records]`. Records are
//! `[head][u16 LE length][bytes]` (`torclass_fuzz::tagged`); head bit 7 clear: a frame of link
//! type `LINKS[head & 7]` for the table; set: a payload for flow `(head >> 1) & 3` from direction
//! `head & 1`, over UDP if bit 6 is set. `Op::Records` consumes records; the ones left are
//! consumed at the end, so a seed of real frames and payloads needs no ops.
#![no_main]
use core::ffi::{c_char, c_void};

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use torclass::{
    torclass_flow, torclass_flow_key, torclass_meta, torclass_packet_result, torclass_result,
    torclass_table_config, torclass_table_stats, torclass_verdict,
};
use torclass_core::packet::{fragment, DecodeError, FlowKey, LinkType};
use torclass_core::reassembly::{FragmentSlot, Reassembler, ReassemblyConfig};
use torclass_core::FlowClassifier;
use torclass_fuzz::tagged;

/// The exports as `include/torclass.h` declares them to C.
#[path = "ffi_common.rs"]
mod common;
use common::*;

mod c {
    pub use super::common::exports::*;
    use super::*;

    extern "C" {
        pub fn torclass_flow_feed(
            flow: *mut torclass_flow,
            direction: u8,
            payload: *const u8,
            len: usize,
            out_verdict: *mut torclass_verdict,
        ) -> u32;
        pub fn torclass_flow_feed_meta(
            flow: *mut torclass_flow,
            direction: u8,
            payload: *const u8,
            len: usize,
            meta: *mut torclass_meta,
            out_verdict: *mut torclass_verdict,
        ) -> u32;
        pub fn torclass_flow_finish(
            flow: *mut torclass_flow,
            out_verdict: *mut torclass_verdict,
        ) -> u32;
        pub fn torclass_flow_gap(flow: *mut torclass_flow, direction: u8) -> u32;
        pub fn torclass_result_message(result: u32) -> *const c_char;
        pub fn torclass_table_meta(
            table: *const c_void,
            slot_index: u32,
            out_meta: *mut torclass_meta,
        ) -> u32;
        pub fn torclass_table_flow_verdict(
            table: *const c_void,
            slot_index: u32,
            out_verdict: *mut torclass_verdict,
        ) -> u32;
        pub fn torclass_table_expire(
            table: *mut c_void,
            now_ns: u64,
            out_expired: *mut usize,
        ) -> u32;
        pub fn torclass_table_default_config(out_config: *mut torclass_table_config) -> u32;
        pub fn torclass_version() -> *const c_char;
        pub fn torclass_abi_version() -> u32;
    }
}

const CORRUPT: u32 = torclass_result::CorruptState as u32;
const ABI_MISMATCH: u32 = torclass_result::AbiMismatch as u32;
const FRAGMENT_HELD: u32 = torclass_result::FragmentHeld as u32;

/// Largest table the fuzzer gets memory for, in slots.
const MAX_SLOTS: u32 = 40;
const TABLE_MAGIC: [u8; 8] = *b"tcTABLE\x01";
const MS: i64 = 1_000_000;
const ABI: u8 = torclass::TORCLASS_ABI_VERSION as u8;

/// A length and pointer for a buffer the fuzzer filled (mostly the whole buffer).
#[derive(Debug, Clone, Copy)]
enum Len {
    Whole,
    /// A prefix: the pointer is to an exact-size copy, so reading past `len` is an overflow.
    Shorter(u16),
    Empty,
    NullEmpty,
    /// NULL with a non-zero length: `TORCLASS_RESULT_NULL_PARAMETER`.
    NullSized(u16),
    /// A negative `ssize_t` cast to `size_t`, above `PTRDIFF_MAX`: `_INVALID_ARGUMENT`.
    Huge(u8),
    /// A real buffer longer than `TORCLASS_MAX_PACKET_LEN` (packets only).
    OverMax(u8),
}

impl<'a> Arbitrary<'a> for Len {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u16::arbitrary(u)?;
        Ok(match u8::arbitrary(u)? {
            0..=159 => Self::Whole,
            160..=189 => Self::Shorter(n),
            190..=199 => Self::Empty,
            200..=214 => Self::NullEmpty,
            215..=229 => Self::NullSized(n),
            230..=244 => Self::Huge(n as u8),
            _ => Self::OverMax(n as u8),
        })
    }
}

/// The memory a call gets as the table (mostly the real one).
#[derive(Debug)]
enum TableRef {
    Real,
    Null,
    /// The table's address plus 1..=7.
    Misaligned(u8),
    /// A copy of the table's memory elsewhere: refused as moved.
    Moved,
    /// Aligned memory holding these bytes (never the table magic).
    Garbage(Vec<u8>),
}

impl<'a> Arbitrary<'a> for TableRef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u8::arbitrary(u)? {
            0..=207 => Self::Real,
            208..=215 => Self::Null,
            216..=231 => Self::Misaligned(u8::arbitrary(u)?),
            232..=239 => Self::Moved,
            _ => Self::Garbage(Vec::arbitrary(u)?),
        })
    }
}

/// A raw `uint8_t` for a C enum of two values `A` and `B`: mostly one of them, else a number
/// that is neither.
#[derive(Debug, Clone, Copy)]
struct Raw<const A: u8, const B: u8>(u8);

impl<'a, const A: u8, const B: u8> Arbitrary<'a> for Raw<A, B> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self(match u8::arbitrary(u)? {
            b @ 0xe0.. => 2 + (b - 0xe0) * 8,
            b if b & 1 == 0 => A,
            _ => B,
        }))
    }
}

type Direction = Raw<0, 1>;

#[derive(Arbitrary, Debug)]
enum MetaArg {
    /// `torclass_flow_feed`.
    None,
    /// `torclass_flow_feed_meta` with a NULL record.
    Null,
    /// The flow's own record, zeroed at its init and written only by torclass.
    Own,
    /// A record holding these bytes (every byte pattern is a valid record).
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Proto {
    Tcp,
    Udp,
    Other(u8),
}

/// A packet built from fields, so that flows meet again.
#[derive(Arbitrary, Debug)]
struct Built {
    ethernet: bool,
    v6: bool,
    proto: Proto,
    src: (u8, u8),
    dst: (u8, u8),
    seq: u32,
    flags: u8,
    payload: Vec<u8>,
    /// Flip bits of one byte of the frame (headers included).
    poke: Option<(u16, u8)>,
}

#[derive(Arbitrary, Debug)]
enum Frame {
    Built(Built),
    Raw {
        link: u32,
        bytes: Vec<u8>,
    },
    /// The next record's bytes, under any link type.
    Record {
        link: u32,
    },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum SlotIndex {
    /// Modulo the capacity plus one (so also one past the end).
    Near(u8),
    Raw(u32),
}

/// `torclass_flow_feed` or `_feed_meta`.
#[derive(Arbitrary, Debug)]
struct Feed {
    flow: u8,
    direction: Direction,
    payload: Vec<u8>,
    len: Len,
    meta: MetaArg,
    null_flow: Null,
    null_out: Null,
}

/// `torclass_table_init`.
#[derive(Arbitrary, Debug)]
struct Init {
    capacity: u32,
    /// Bytes more (or fewer) than `torclass_table_size(capacity)`.
    delta: i8,
    offset: u8,
    seed: u64,
    config: Option<[u64; 4]>,
    learn: u32,
    /// Initialise the live table's memory again.
    reuse: bool,
    null_mem: Null,
    null_out: Null,
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// Consume the next 1..=8 records.
    Records(u8),
    FlowInit {
        flow: u8,
        transport: Raw<TCP, UDP>,
        ip_version: Raw<4, 6>,
        null: Null,
    },
    /// Arbitrary bytes as the flow.
    FlowBytes {
        flow: u8,
        bytes: [u8; torclass::TORCLASS_FLOW_SIZE],
    },
    /// A header with the magic, `abi` and a valid checksum around arbitrary state bytes.
    FlowForge {
        flow: u8,
        abi: Raw<ABI, ABI>,
        state: [u8; FlowClassifier::STATE_LEN],
    },
    /// Flip bits of the flow's bytes (`(offset, xor)` pairs), then maybe make the checksum
    /// valid again: states next to ones torclass writes.
    FlowTamper {
        flow: u8,
        edits: Vec<(u8, u8)>,
        rechecksum: bool,
    },
    /// `memcpy` one flow onto another.
    FlowCopy {
        from: u8,
        to: u8,
    },
    FlowFeed(Feed),
    FlowVerdict {
        flow: u8,
        null_flow: Null,
        null_out: Null,
    },
    FlowFinish {
        flow: u8,
        null_flow: Null,
        null_out: Null,
    },
    FlowGap {
        flow: u8,
        direction: Direction,
        null_flow: Null,
    },
    TableInit(Init),
    Process {
        frame: Frame,
        len: Len,
        dt: i64,
        table: TableRef,
        null_out: Null,
    },
    Expire {
        dt: i64,
        table: TableRef,
        null_out: Null,
    },
    /// `torclass_table_meta`, `_flow_verdict` and `_flow_key`, with NULL out-pointers.
    Slot {
        slot: SlotIndex,
        table: TableRef,
        null_out: [Null; 3],
    },
    /// Every slot and the counters against the model.
    Scan,
    Stats {
        table: TableRef,
        null_out: Null,
    },
    DefaultConfig {
        null: Null,
    },
    Message(u32),
    Size(u32),
}

/// BitTorrent keeps its protocol, confidence and evidence only grow; a finished verdict stays.
fn check_after(before: Option<torclass_verdict>, after: &torclass_verdict) {
    check_verdict(after);
    let Some(b) = before else { return };
    if b.finished == 1 {
        assert_eq!(b, *after, "a finished verdict changed");
    }
    assert_eq!(
        after.evidence & b.evidence,
        b.evidence,
        "evidence only grows: {b:?} -> {after:?}"
    );
    if b.verdict == torclass::TORCLASS_VERDICT_BITTORRENT {
        assert_eq!(after.verdict, b.verdict, "{b:?} went back to {after:?}");
        assert_eq!(after.protocol, b.protocol, "{b:?} -> {after:?}");
        assert!(after.confidence >= b.confidence, "{b:?} -> {after:?}");
    }
}

fn check_meta(m: &torclass_meta) {
    assert!(m.info_hash_len <= 32, "{m:?}");
    for d in 0..2 {
        assert!(m.peer_id_len[d] <= 20, "{m:?}");
        assert!(m.dht_node_id_len[d] <= 20, "{m:?}");
        assert!(
            usize::from(m.client_version_len[d]) <= torclass::TORCLASS_CLIENT_VERSION_LEN,
            "{m:?}"
        );
        assert!(m.client[d].contains(&0), "client name without NUL: {m:?}");
    }
}

/// A static NUL-terminated ASCII string.
fn c_text(p: *const c_char) -> String {
    assert!(!p.is_null());
    let mut out = String::new();
    for i in 0..256 {
        // SAFETY: the library returns NUL-terminated strings; the loop stops at the NUL.
        let b = unsafe { p.add(i).cast::<u8>().read() };
        if b == 0 {
            return out;
        }
        assert!(
            b.is_ascii_graphic() || b == b' ',
            "byte {b:#x} in a message"
        );
        out.push(char::from(b));
    }
    panic!("no NUL in 256 bytes: {out:?}");
}

fn check_strings() {
    let mut seen = Vec::new();
    for code in (0..=LAST + 1).chain([u32::MAX, 0x8000_0000]) {
        // SAFETY: always safe to call.
        let p = unsafe { c::torclass_result_message(code) };
        let text = c_text(p);
        // SAFETY: as above; the same static string every time.
        assert_eq!(p, unsafe { c::torclass_result_message(code) });
        if code <= LAST {
            assert!(!seen.contains(&text), "{code}: {text} twice");
            assert_ne!(text, "unknown torclass result code");
            seen.push(text);
        } else {
            assert_eq!(text, "unknown torclass result code");
        }
    }
    // SAFETY: always safe to call.
    let version = c_text(unsafe { c::torclass_version() });
    assert!(version.starts_with("torclass/"), "{version}");
    // SAFETY: always safe to call.
    assert_eq!(
        unsafe { c::torclass_abi_version() },
        torclass::TORCLASS_ABI_VERSION
    );
}

/// What loading `flow` gives, from its documented layout: magic `"tc"`, ABI byte, mode byte
/// (bit 7 mid-stream, bits 0-3 the resyncs done, at most 8; `torclass_flow_midstream`),
/// FNV-1a checksum, `FlowClassifier` state.
fn load_result(flow: &torclass_flow) -> u32 {
    let o = &flow.opaque;
    if o[..2] != *b"tc" || o[3] & !0x8f != 0 {
        return UNINITIALIZED;
    }
    if u32::from(o[2]) != torclass::TORCLASS_ABI_VERSION {
        return ABI_MISMATCH;
    }
    if o[4..8] != checksum(&o[..4], &o[8..]) || o[3] & 0x0f > 8 {
        return CORRUPT;
    }
    let state: [u8; FlowClassifier::STATE_LEN] = o[8..].try_into().expect("the state's bytes");
    match FlowClassifier::from_state(&state) {
        Some(c) => {
            assert_eq!(c.to_state(), state, "accepted state is not canonical");
            OK
        }
        None => CORRUPT,
    }
}

fn transport_of(flow: &torclass_flow) -> u8 {
    if flow.opaque[8] == 1 {
        UDP
    } else {
        TCP
    }
}

fn zero_meta() -> torclass_meta {
    torclass_meta::default()
}

const SENTINEL_VERDICT: torclass_verdict = torclass_verdict {
    verdict: 0xee,
    protocol: 0xee,
    confidence: 0xee,
    finished: 0xee,
    evidence: 0xeeee_eeee,
};

/// A buffer handed over as `(pointer, length)`, owning an exact-size copy.
struct Buffer {
    bytes: Box<[u8]>,
    ptr: *const u8,
    len: usize,
    error: Option<u32>,
}

fn buffer(data: &[u8], len: Len, packet: bool) -> Buffer {
    let exact = |b: &[u8]| -> Buffer {
        let bytes: Box<[u8]> = b.into();
        Buffer {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
            bytes,
            error: None,
        }
    };
    match len {
        Len::Whole => exact(data),
        Len::Shorter(n) => exact(&data[..usize::from(n) % (data.len() + 1)]),
        Len::Empty => exact(&[]),
        Len::NullEmpty => Buffer {
            bytes: Box::new([]),
            ptr: core::ptr::null(),
            len: 0,
            error: None,
        },
        Len::NullSized(n) => Buffer {
            bytes: Box::new([]),
            ptr: core::ptr::null(),
            len: usize::from(n).max(1),
            error: Some(NULL),
        },
        Len::Huge(k) => {
            let mut b = exact(data);
            b.len = usize::MAX - usize::from(k);
            b.error = Some(INVALID);
            b
        }
        Len::OverMax(k) if packet => {
            let mut v = data.to_vec();
            v.resize(torclass::TORCLASS_MAX_PACKET_LEN + 1 + usize::from(k), 0);
            let mut b = exact(&v);
            b.error = Some(INVALID);
            b
        }
        Len::OverMax(_) => exact(data),
    }
}

/// One of the caller's flows, at an odd address (a flow's alignment is 1).
#[repr(C)]
struct Flow {
    _odd: u8,
    state: torclass_flow,
    /// The verdict last read, while the state is one torclass wrote.
    last: Option<torclass_verdict>,
    meta: torclass_meta,
}

/// Aligned memory the harness owns.
struct Memory {
    words: Vec<u64>,
}

impl Memory {
    fn new(bytes: usize) -> Self {
        Self {
            words: vec![0; bytes.div_ceil(8).max(1)],
        }
    }

    fn base(&mut self) -> *mut u8 {
        self.words.as_mut_ptr().cast()
    }

    fn snapshot(&self) -> Vec<u64> {
        self.words.clone()
    }
}

struct Table {
    memory: Memory,
    ptr: *mut c_void,
    /// Bytes given to `torclass_table_init`.
    len: usize,
    capacity: u32,
    /// The verdict of the flow in each slot, as the model knows it.
    slots: Vec<Option<torclass_verdict>>,
    created: u64,
    /// Flows evicted or expired.
    gone: u64,
    /// The table's IP fragment reassembler, as the model knows it: a core `Reassembler` of the
    /// same size and hash seed (`torclass_table_init`'s), fed the same frames.
    fragments: Reassembler<Vec<FragmentSlot>, Vec<u8>>,
    /// The table has checked the unit of its first timestamp (`torclass_table_stats.clock_unit`),
    /// which the first process or expire that passes the argument checks does, refused or not.
    clock_checked: bool,
}

/// Reassembly slots and bytes per slot of a C table (torclass-ffi's `FRAGMENT_SLOTS`,
/// `FRAGMENT_BYTES`).
const FRAGMENT_SLOTS: usize = 16;
const FRAGMENT_BYTES: usize = 16 * 1024;

/// The model of a fresh table's reassembler (torclass-ffi derives its seed from the table's).
fn fragment_model(seed: u64) -> Reassembler<Vec<FragmentSlot>, Vec<u8>> {
    Reassembler::new(
        vec![FragmentSlot::default(); FRAGMENT_SLOTS],
        vec![0; FRAGMENT_SLOTS * FRAGMENT_BYTES],
        ReassemblyConfig::new().with_seed(seed.rotate_left(41) ^ 0x2545_f491_4f6c_dd1d),
    )
}

struct Harness<'a> {
    flows: [Flow; FLOWS],
    table: Option<Table>,
    now: u64,
    records: Box<dyn Iterator<Item = (u8, &'a [u8])> + 'a>,
}

/// A call's view of the table memory, and what it must answer for it.
struct Resolved {
    ptr: *mut c_void,
    error: Option<u32>,
    _keep: Option<Memory>,
}

fn table_size(capacity: u32) -> usize {
    // SAFETY: always safe to call.
    let size = unsafe { c::torclass_table_size(capacity) };
    assert_eq!(size == 0, capacity == 0, "size of {capacity} slots: {size}");
    size
}

fn build(b: &Built) -> (u32, Vec<u8>) {
    let proto = match b.proto {
        Proto::Tcp => 6,
        Proto::Udp => 17,
        Proto::Other(p) => p,
    };
    let payload = &b.payload[..b.payload.len().min(60_000)];
    let port = |p: u8| (6880 + u16::from(p % 4)).to_be_bytes();
    let mut l4 = Vec::new();
    match proto {
        6 => {
            l4.extend_from_slice(&port(b.src.1));
            l4.extend_from_slice(&port(b.dst.1));
            l4.extend_from_slice(&b.seq.to_be_bytes());
            l4.extend_from_slice(&[0, 0, 0, 0, 0x50, b.flags, 0xff, 0xff, 0, 0, 0, 0]);
        }
        17 => {
            l4.extend_from_slice(&port(b.src.1));
            l4.extend_from_slice(&port(b.dst.1));
            l4.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
            l4.extend_from_slice(&[0, 0]);
        }
        _ => {}
    }
    l4.extend_from_slice(payload);
    let mut ip = Vec::new();
    if b.v6 {
        ip.extend_from_slice(&[0x60, 0, 0, 0]);
        ip.extend_from_slice(&(l4.len() as u16).to_be_bytes());
        ip.extend_from_slice(&[proto, 64]);
        for host in [b.src.0, b.dst.0] {
            ip.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            ip.push(host % 8);
        }
    } else {
        ip.extend_from_slice(&[0x45, 0]);
        ip.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0]);
        ip.extend_from_slice(&[10, 0, 0, b.src.0 % 8, 10, 0, 0, b.dst.0 % 8]);
    }
    ip.extend_from_slice(&l4);
    let (link, mut frame) = if b.ethernet {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        f.extend_from_slice(if b.v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] });
        f.extend_from_slice(&ip);
        (1, f)
    } else {
        (101, ip)
    };
    if let Some((at, xor)) = b.poke {
        let n = frame.len();
        frame[usize::from(at) % n] ^= xor;
    }
    (link, frame)
}

fn decode_result(
    link: u32,
    frame: &[u8],
    now: u64,
    fragments: &mut Reassembler<Vec<FragmentSlot>, Vec<u8>>,
) -> (u32, Option<FlowKey>) {
    let Some(link) = LinkType::from_pcap(link) else {
        return (UNKNOWN_LINK, None);
    };
    match fragments.decode(link, frame, now) {
        Ok(Some(p)) => (OK, Some(p.key)),
        // A fragment kept for its datagram: nothing to classify yet.
        Ok(None) => (FRAGMENT_HELD, None),
        Err(DecodeError::Truncated { .. } | DecodeError::Malformed { .. }) => (MALFORMED, None),
        Err(_) => (UNSUPPORTED, None),
    }
}

impl<'a> Harness<'a> {
    fn flow(&mut self, i: u8) -> &mut Flow {
        &mut self.flows[usize::from(i) % FLOWS]
    }

    fn flow_init(&mut self, i: u8, transport: u8, ip_version: u8, null: bool) {
        let f = self.flow(i);
        let before = f.state;
        let p = if null {
            core::ptr::null_mut()
        } else {
            &mut f.state as *mut torclass_flow
        };
        // SAFETY: NULL or a local flow.
        let r = unsafe { c::torclass_flow_init(p, transport, ip_version) };
        let bad_transport = transport != TCP && transport != UDP;
        let bad_family = ip_version != 4 && ip_version != 6;
        expect(
            "flow_init",
            r,
            &[
                (null, NULL),
                (bad_transport, INVALID),
                (bad_family, INVALID),
            ],
            OK,
        );
        if r == OK {
            assert_eq!(load_result(&f.state), OK);
            assert_eq!(transport_of(&f.state), transport);
            f.last = None;
            f.meta = zero_meta();
            self.flow_verdict(i, false, false);
        } else {
            assert_eq!(f.state, before, "a refused init wrote the flow");
        }
    }

    /// Forget what the model knows of a flow whose bytes the harness wrote.
    fn overwritten(&mut self, i: u8) {
        let f = self.flow(i);
        f.last = None;
        f.meta = zero_meta();
    }

    fn flow_feed(&mut self, feed: &Feed) {
        let (i, direction, payload, len, meta) = (
            feed.flow,
            feed.direction.0,
            &feed.payload[..],
            feed.len,
            &feed.meta,
        );
        let (null_flow, null_out) = (feed.null_flow.0, feed.null_out.0);
        let buf = buffer(payload, len, false);
        let f = self.flow(i);
        let before = f.state;
        let loads = load_result(&f.state);
        let flow = if null_flow {
            core::ptr::null_mut()
        } else {
            &mut f.state as *mut torclass_flow
        };
        let mut out = SENTINEL_VERDICT;
        let out_ptr = if null_out {
            core::ptr::null_mut()
        } else {
            &mut out as *mut torclass_verdict
        };
        let mut other = zero_meta();
        if let MetaArg::Bytes(bytes) = meta {
            // SAFETY: every byte pattern is a valid torclass_meta; the slice is its bytes.
            let raw = unsafe {
                core::slice::from_raw_parts_mut(
                    (&mut other as *mut torclass_meta).cast::<u8>(),
                    core::mem::size_of::<torclass_meta>(),
                )
            };
            for (dst, src) in raw.iter_mut().zip(bytes.iter().cycle()) {
                *dst = *src;
            }
        }
        let meta_before = match meta {
            MetaArg::Own => f.meta,
            _ => other,
        };
        let meta_ptr: *mut torclass_meta = match meta {
            MetaArg::Own => &mut f.meta,
            MetaArg::Bytes(_) => &mut other,
            _ => core::ptr::null_mut(),
        };
        // SAFETY: the flow, meta and out pointers are NULL or locals; `buf` is NULL, or
        // `buf.len` readable bytes, or a length above PTRDIFF_MAX the library refuses unread.
        let r = unsafe {
            match meta {
                MetaArg::None => c::torclass_flow_feed(flow, direction, buf.ptr, buf.len, out_ptr),
                _ => {
                    c::torclass_flow_feed_meta(flow, direction, buf.ptr, buf.len, meta_ptr, out_ptr)
                }
            }
        };
        let errors = [
            (matches!(meta, MetaArg::Null), NULL),
            (null_out, NULL),
            (direction > 1, INVALID),
            (buf.error.is_some(), buf.error.unwrap_or(OK)),
            (null_flow, NULL),
        ];
        expect("flow_feed", r, &errors, loads);
        drop(buf.bytes);
        let after_meta = match meta {
            MetaArg::Own => f.meta,
            _ => other,
        };
        if r != OK {
            assert_eq!(f.state, before, "a refused feed wrote the flow");
            assert_eq!(out, SENTINEL_VERDICT, "a refused feed wrote the verdict");
            assert_eq!(
                after_meta, meta_before,
                "a refused feed wrote the meta record"
            );
            return;
        }
        assert_eq!(
            load_result(&f.state),
            OK,
            "torclass wrote a flow it refuses"
        );
        check_after(f.last, &out);
        f.last = Some(out);
        if let MetaArg::Own = meta {
            check_meta(&f.meta);
            assert!(f.meta.info_hash_len >= meta_before.info_hash_len);
            for d in 0..2 {
                assert!(f.meta.peer_id_len[d] >= meta_before.peer_id_len[d]);
                assert!(f.meta.client_version_len[d] >= meta_before.client_version_len[d]);
            }
        }
        self.flow_verdict(i, false, false);
    }

    fn flow_verdict(&mut self, i: u8, null_flow: bool, null_out: bool) {
        let f = self.flow(i);
        let before = f.state;
        let flow = if null_flow {
            core::ptr::null()
        } else {
            &f.state as *const torclass_flow
        };
        let mut out = SENTINEL_VERDICT;
        let out_ptr = if null_out {
            core::ptr::null_mut()
        } else {
            &mut out as *mut torclass_verdict
        };
        // SAFETY: NULL or locals.
        let r = unsafe { c::torclass_flow_verdict(flow, out_ptr) };
        expect(
            "flow_verdict",
            r,
            &[(null_out, NULL), (null_flow, NULL)],
            load_result(&f.state),
        );
        assert_eq!(f.state, before, "reading a verdict wrote the flow");
        if r != OK {
            assert_eq!(out, SENTINEL_VERDICT);
            return;
        }
        check_verdict(&out);
        if let Some(last) = f.last {
            assert_eq!(
                out, last,
                "the stored verdict differs from the one returned"
            );
        }
        f.last = Some(out);
    }

    fn flow_finish(&mut self, i: u8, null_flow: bool, null_out: bool) {
        let f = self.flow(i);
        let before = f.state;
        let loads = load_result(&f.state);
        let flow = if null_flow {
            core::ptr::null_mut()
        } else {
            &mut f.state as *mut torclass_flow
        };
        let mut out = SENTINEL_VERDICT;
        let out_ptr = if null_out {
            core::ptr::null_mut()
        } else {
            &mut out as *mut torclass_verdict
        };
        // SAFETY: NULL or locals.
        let r = unsafe { c::torclass_flow_finish(flow, out_ptr) };
        expect(
            "flow_finish",
            r,
            &[(null_out, NULL), (null_flow, NULL)],
            loads,
        );
        if r != OK {
            assert_eq!(f.state, before, "a refused finish wrote the flow");
            assert_eq!(out, SENTINEL_VERDICT);
            return;
        }
        assert_eq!(load_result(&f.state), OK);
        assert_ne!(
            out.verdict,
            torclass::TORCLASS_VERDICT_UNDECIDED,
            "undecided after finish"
        );
        check_after(f.last, &out);
        f.last = Some(out);
        self.flow_verdict(i, false, false);
    }

    fn flow_gap(&mut self, i: u8, direction: u8, null_flow: bool) {
        let f = self.flow(i);
        let before = f.state;
        let loads = load_result(&f.state);
        let flow = if null_flow {
            core::ptr::null_mut()
        } else {
            &mut f.state as *mut torclass_flow
        };
        // SAFETY: NULL or a local flow.
        let r = unsafe { c::torclass_flow_gap(flow, direction) };
        expect(
            "flow_gap",
            r,
            &[(direction > 1, INVALID), (null_flow, NULL)],
            loads,
        );
        if r != OK {
            assert_eq!(f.state, before, "a refused gap wrote the flow");
            return;
        }
        assert_eq!(load_result(&f.state), OK);
        // A gap may end readers; the verdict read next must still follow the rules.
        let last = f.last;
        self.flow(i).last = None;
        self.flow_verdict(i, false, false);
        if let Some(now) = self.flow(i).last {
            check_after(last, &now);
        }
    }

    fn ensure_table(&mut self) {
        if self.table.is_none() {
            self.table_init(&Init {
                capacity: 16,
                delta: 0,
                offset: 0,
                seed: 0,
                config: None,
                learn: 1,
                reuse: false,
                null_mem: Null(false),
                null_out: Null(false),
            });
        }
    }

    fn table_init(&mut self, init: &Init) {
        let Init {
            capacity,
            delta,
            offset,
            seed,
            config,
            learn,
            reuse,
            null_mem: Null(null_mem),
            null_out: Null(null_out),
        } = *init;
        let need = table_size(capacity);
        let config = config.map(|[a, b, c, d]| torclass_table_config {
            struct_size: core::mem::size_of::<torclass_table_config>() as u32,
            tcp_idle_ns: a,
            tcp_closed_ns: b,
            udp_idle_ns: c,
            endpoint_ttl_ns: d,
            learn_endpoints: learn,
        });
        let config_ptr = config
            .as_ref()
            .map_or(core::ptr::null(), |c| c as *const torclass_table_config);
        let live = self.table.as_ref().map(|t| t.memory.snapshot());
        let (mut memory, at, len) = match self.table.take() {
            Some(t) if reuse => {
                let (ptr, len) = (t.ptr, t.len);
                self.table = Some(t);
                (None, ptr.cast::<u8>(), len)
            }
            t => {
                self.table = t;
                let at = usize::from(offset % 16);
                let len = if need == 0 || need > table_size(MAX_SLOTS) {
                    4096
                } else {
                    need.saturating_add_signed(isize::from(delta))
                };
                let mut m = Memory::new(at + len);
                // SAFETY: `at + len` bytes were allocated.
                let p = unsafe { m.base().add(at) };
                (Some(m), p, len)
            }
        };
        let fresh = memory.as_ref().map(Memory::snapshot);
        let mem = if null_mem {
            core::ptr::null_mut()
        } else {
            at.cast::<c_void>()
        };
        let mut out: *mut c_void = 0x5eed as *mut c_void;
        let out_ptr = if null_out {
            core::ptr::null_mut()
        } else {
            &mut out as *mut *mut c_void
        };
        // SAFETY: `mem` is NULL or `len` writable bytes the harness owns; config and out are
        // NULL or locals.
        let r = unsafe { c::torclass_table_init(mem, len, capacity, seed, config_ptr, out_ptr) };
        let errors = [
            (null_out, NULL),
            (null_mem, NULL),
            (need == 0, INVALID),
            (!(at as usize).is_multiple_of(8), MISALIGNED),
            (len < need, TOO_SMALL),
        ];
        expect("table_init", r, &errors, OK);
        if r != OK {
            assert_eq!(
                out, 0x5eed as *mut c_void,
                "a refused init wrote the table pointer"
            );
            if let (Some(m), Some(before)) = (&memory, &fresh) {
                assert_eq!(m.words, *before, "a refused init wrote the memory");
            }
            if let (Some(t), Some(before)) = (&self.table, &live) {
                assert_eq!(
                    t.memory.words, *before,
                    "a refused init changed the live table"
                );
            }
            return;
        }
        assert_eq!(
            out,
            at.cast::<c_void>(),
            "the table pointer is not the memory"
        );
        let memory = match memory.take() {
            Some(m) => m,
            None => self.table.take().expect("reused").memory,
        };
        self.table = Some(Table {
            memory,
            ptr: out,
            len,
            capacity,
            slots: vec![None; capacity as usize],
            created: 0,
            gone: 0,
            fragments: fragment_model(seed),
            clock_checked: false,
        });
        self.scan();
    }

    fn resolve(&mut self, which: &TableRef) -> Resolved {
        let t = self.table.as_mut().expect("a table");
        match which {
            TableRef::Real => Resolved {
                ptr: t.ptr,
                error: None,
                _keep: None,
            },
            TableRef::Null => Resolved {
                ptr: core::ptr::null_mut(),
                error: Some(NULL),
                _keep: None,
            },
            TableRef::Misaligned(k) => Resolved {
                // SAFETY: within the table's memory (it is far longer than 8 bytes).
                ptr: unsafe { t.ptr.cast::<u8>().add(1 + usize::from(k % 7)) }.cast(),
                error: Some(MISALIGNED),
                _keep: None,
            },
            TableRef::Moved => {
                let mut m = Memory::new(t.len);
                // SAFETY: both regions are `t.len` bytes the harness owns, and distinct.
                unsafe { core::ptr::copy_nonoverlapping(t.ptr.cast::<u8>(), m.base(), t.len) };
                Resolved {
                    ptr: m.base().cast(),
                    error: Some(UNINITIALIZED),
                    _keep: Some(m),
                }
            }
            TableRef::Garbage(bytes) => {
                let mut m = Memory::new(table_size(1));
                // SAFETY: the words are the memory's own bytes.
                let raw = unsafe { core::slice::from_raw_parts_mut(m.base(), m.words.len() * 8) };
                for (dst, src) in raw.iter_mut().zip(bytes.iter().cycle()) {
                    *dst = *src;
                }
                if raw[..8] == TABLE_MAGIC {
                    raw[0] ^= 1;
                }
                Resolved {
                    ptr: m.base().cast(),
                    error: Some(UNINITIALIZED),
                    _keep: Some(m),
                }
            }
        }
    }

    fn process(&mut self, link: u32, frame: &[u8], len: Len, which: &TableRef, null_out: bool) {
        self.ensure_table();
        let buf = buffer(frame, len, true);
        let target = self.resolve(which);
        let t = self.table.as_mut().expect("a table");
        let before = t.memory.snapshot();
        let mut out = torclass_packet_result {
            slot: 0xeeee_eeee,
            direction: 0xee,
            ..Default::default()
        };
        let sentinel = out;
        let out_ptr = if null_out {
            core::ptr::null_mut()
        } else {
            &mut out as *mut torclass_packet_result
        };
        // SAFETY: the table is NULL, the harness's table, or memory the harness owns; `buf` is
        // NULL, or `buf.len` readable bytes, or a length the library refuses unread.
        let r = unsafe {
            c::torclass_table_process(target.ptr, link, buf.ptr, buf.len, self.now, out_ptr)
        };
        let errors = [
            (null_out, NULL),
            (
                buf.error == Some(INVALID) && buf.len > torclass::TORCLASS_MAX_PACKET_LEN,
                INVALID,
            ),
            (LinkType::from_pcap(link).is_none(), UNKNOWN_LINK),
            (buf.error == Some(NULL), NULL),
            (target.error.is_some(), target.error.unwrap_or(OK)),
        ];
        // The library reaches its reassembler only when no argument error applies; so does
        // the model's.
        let refused = errors.iter().any(|(on, _)| *on);
        let frame: &[u8] = match (buf.error, buf.len) {
            (Some(_), _) | (None, 0) => &[],
            // SAFETY: `buf.len` bytes at `buf.ptr`, still owned by `buf.bytes`.
            _ => unsafe { core::slice::from_raw_parts(buf.ptr, buf.len) },
        };
        // The first timestamp past the argument checks sets the stats' clock unit.
        let first_clock = !refused && !t.clock_checked;
        t.clock_checked |= !refused;
        let (decoded, key) = if refused {
            (OK, None)
        } else {
            decode_result(link, frame, self.now, &mut t.fragments)
        };
        // A fragment (held, or refused by the reassembler) changes the reassembly slots and
        // counters in the table memory, never a flow.
        let is_fragment = LinkType::from_pcap(link).is_some_and(|l| fragment(l, frame).is_some());
        expect("table_process", r, &errors, decoded);
        drop(buf.bytes);
        if r != OK {
            assert_eq!(out, sentinel, "a refused packet wrote the result");
            // A packet refused by its arguments or table changes nothing; one that reached
            // the decoder is counted in the stats' `results`, and a fragment changes the
            // reassembly slots, never a flow.
            if refused {
                assert_eq!(t.memory.words, before, "a refused packet changed the table");
            } else if !is_fragment {
                let changed = t
                    .memory
                    .words
                    .iter()
                    .zip(&before)
                    .filter(|(a, b)| a != b)
                    .count();
                assert!(
                    changed <= 1 + usize::from(first_clock),
                    "a refused packet changed the table"
                );
            }
            return;
        }
        let key = key.expect("decoded");
        check_verdict(&out.verdict);
        assert!(out.slot < t.capacity, "{out:?}");
        assert!(
            out.direction <= 1 && out.new_flow <= 1 && out.changed <= 1,
            "{out:?}"
        );
        assert_eq!(out.transport, key.transport as u8);
        let slot = out.slot as usize;
        if out.new_flow == 1 {
            assert_eq!(out.direction, 0, "a new flow starts from its initiator");
            if t.slots[slot].is_some() {
                t.gone += 1;
            }
            t.created += 1;
        } else {
            let last = t.slots[slot];
            assert!(
                last.is_some(),
                "a packet of a flow not in the table: {out:?}"
            );
            check_after(last, &out.verdict);
            // `changed` is about the verdict: an undecided flow's evidence may grow without it.
            let strip = |v: torclass_verdict| torclass_verdict {
                finished: 0,
                evidence: if v.verdict == torclass::TORCLASS_VERDICT_BITTORRENT {
                    v.evidence
                } else {
                    0
                },
                ..v
            };
            let differs = last.map(strip) != Some(strip(out.verdict));
            assert_eq!(out.changed == 1, differs, "changed: {last:?} -> {out:?}");
        }
        t.slots[slot] = Some(out.verdict);
        let oriented = if out.direction == 0 {
            key
        } else {
            key.reversed()
        };
        let mut got = torclass_flow_key::default();
        // SAFETY: the live table, a local out.
        let rk = unsafe { c::torclass_table_flow_key(t.ptr, out.slot, &mut got) };
        assert_eq!(rk, OK);
        assert_eq!(got, c_key(&oriented), "the slot holds another 5-tuple");
        let mut v = SENTINEL_VERDICT;
        // SAFETY: the live table, a local out.
        let rv = unsafe { c::torclass_table_flow_verdict(t.ptr, out.slot, &mut v) };
        assert_eq!((rv, v), (OK, out.verdict));
        self.check_stats();
    }

    fn expire(&mut self, which: &TableRef, null_out: bool) {
        self.ensure_table();
        let target = self.resolve(which);
        let t = self.table.as_mut().expect("a table");
        let before = t.memory.snapshot();
        let mut n: usize = 0xeeee;
        let out = if null_out {
            core::ptr::null_mut()
        } else {
            &mut n as *mut usize
        };
        // SAFETY: as in `process`.
        let r = unsafe { c::torclass_table_expire(target.ptr, self.now, out) };
        expect(
            "table_expire",
            r,
            &[(target.error.is_some(), target.error.unwrap_or(OK))],
            OK,
        );
        if r != OK {
            assert_eq!(n, 0xeeee);
            assert_eq!(t.memory.words, before, "a refused expire changed the table");
            return;
        }
        t.clock_checked = true;
        let mut freed = 0;
        for (i, slot) in t.slots.iter_mut().enumerate() {
            let mut v = SENTINEL_VERDICT;
            // SAFETY: the live table, a local out.
            let rv = unsafe { c::torclass_table_flow_verdict(t.ptr, i as u32, &mut v) };
            match (slot.is_some(), rv) {
                (true, OK) | (false, NOT_FOUND) => {}
                (true, NOT_FOUND) => {
                    freed += 1;
                    *slot = None;
                }
                other => panic!("slot {i} after expire: {other:?}"),
            }
        }
        t.gone += freed as u64;
        if !null_out {
            assert_eq!(n, freed, "expire counted {n}, freed {freed}");
        }
        self.check_stats();
    }

    fn slot(&mut self, index: SlotIndex, which: &TableRef, null_out: [bool; 3]) {
        self.ensure_table();
        let target = self.resolve(which);
        let t = self.table.as_ref().expect("a table");
        let index = match index {
            SlotIndex::Near(n) => u32::from(n) % (t.capacity + 1),
            SlotIndex::Raw(n) => n,
        };
        let held = t.slots.get(index as usize).copied().flatten();
        let then = if held.is_some() { OK } else { NOT_FOUND };
        let table_error = (target.error.is_some(), target.error.unwrap_or(OK));

        let mut meta = zero_meta();
        meta.reserved = 0xee;
        let sentinel_meta = meta;
        let p = if null_out[0] {
            core::ptr::null_mut()
        } else {
            &mut meta as *mut torclass_meta
        };
        // SAFETY: as in `process`.
        let r = unsafe { c::torclass_table_meta(target.ptr, index, p) };
        expect("table_meta", r, &[(p.is_null(), NULL), table_error], then);
        if r == OK {
            check_meta(&meta);
            assert_eq!(meta.reserved, 0);
        } else {
            assert_eq!(meta, sentinel_meta);
        }

        let mut v = SENTINEL_VERDICT;
        let p = if null_out[1] {
            core::ptr::null_mut()
        } else {
            &mut v as *mut torclass_verdict
        };
        // SAFETY: as in `process`.
        let r = unsafe { c::torclass_table_flow_verdict(target.ptr, index, p) };
        expect(
            "table_flow_verdict",
            r,
            &[(p.is_null(), NULL), table_error],
            then,
        );
        if r == OK {
            assert_eq!(Some(v), held, "slot {index}");
        } else {
            assert_eq!(v, SENTINEL_VERDICT);
        }

        let sentinel_key = torclass_flow_key {
            reserved: 0xeeee,
            ..Default::default()
        };
        let mut k = sentinel_key;
        let p = if null_out[2] {
            core::ptr::null_mut()
        } else {
            &mut k as *mut torclass_flow_key
        };
        // SAFETY: as in `process`.
        let r = unsafe { c::torclass_table_flow_key(target.ptr, index, p) };
        expect(
            "table_flow_key",
            r,
            &[(p.is_null(), NULL), table_error],
            then,
        );
        if r == OK {
            assert!(
                matches!(k.ip_version, 4 | 6) && matches!(k.transport, TCP | UDP),
                "{k:?}"
            );
            assert_eq!(k.reserved, 0);
            if k.ip_version == 4 {
                assert_eq!(k.src_addr[4..], [0; 12]);
                assert_eq!(k.dst_addr[4..], [0; 12]);
            }
        } else {
            assert_eq!(k, sentinel_key);
        }
    }

    /// Every slot and the counters against the model.
    fn scan(&mut self) {
        let Some(t) = self.table.as_ref() else { return };
        for i in 0..=t.capacity {
            let mut v = SENTINEL_VERDICT;
            // SAFETY: the live table, a local out.
            let r = unsafe { c::torclass_table_flow_verdict(t.ptr, i, &mut v) };
            match t.slots.get(i as usize).copied().flatten() {
                Some(held) => assert_eq!((r, v), (OK, held), "slot {i}"),
                None => assert_eq!(r, NOT_FOUND, "slot {i}"),
            }
        }
        self.check_stats();
    }

    fn check_stats(&self) {
        let t = self.table.as_ref().expect("a table");
        let mut s = torclass_table_stats::default();
        // SAFETY: the live table, a local out.
        let r = unsafe { c::torclass_table_get_stats(t.ptr, &mut s, size_of_val(&s)) };
        assert_eq!(r, OK);
        assert_eq!(s.flows, t.created, "flows created");
        assert_eq!(s.live_flows + t.gone, t.created, "live flows");
        assert_eq!(
            s.evicted_active + s.evicted_idle + s.reused,
            t.gone,
            "flows evicted or expired: {s:?}"
        );
        let live = t.slots.iter().filter(|s| s.is_some()).count() as u64;
        assert_eq!(live + t.gone, t.created, "a flow was lost");
    }

    fn stats(&mut self, which: &TableRef, null_out: bool) {
        self.ensure_table();
        let target = self.resolve(which);
        let sentinel = torclass_table_stats {
            flows: 0xeeee,
            ..Default::default()
        };
        let mut s = sentinel;
        let p = if null_out {
            core::ptr::null_mut()
        } else {
            &mut s as *mut torclass_table_stats
        };
        // SAFETY: as in `process`.
        let r = unsafe { c::torclass_table_get_stats(target.ptr, p, size_of_val(&s)) };
        let table_error = (target.error.is_some(), target.error.unwrap_or(OK));
        expect("table_get_stats", r, &[(null_out, NULL), table_error], OK);
        if r != OK {
            assert_eq!(s, sentinel);
        }
    }

    fn record(&mut self) -> bool {
        let Some((head, bytes)) = self.records.next() else {
            return false;
        };
        self.now = self.now.wrapping_add_signed(MS);
        if head & 0x80 == 0 {
            self.process(
                LINKS[usize::from(head & 7)],
                bytes,
                Len::Whole,
                &TableRef::Real,
                false,
            );
        } else {
            let i = (head >> 1) & 3;
            let transport = if head & 0x40 != 0 { UDP } else { TCP };
            let f = self.flow(i);
            if load_result(&f.state) != OK || transport_of(&f.state) != transport {
                self.flow_init(i, transport, 4, false);
            }
            self.flow_feed(&Feed {
                flow: i,
                direction: Raw(head & 1),
                payload: bytes.to_vec(),
                len: Len::Whole,
                meta: MetaArg::Own,
                null_flow: Null(false),
                null_out: Null(false),
            });
        }
        true
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::Records(n) => {
                for _ in 0..=n % 8 {
                    self.record();
                }
            }
            Op::FlowInit {
                flow,
                transport,
                ip_version,
                null,
            } => self.flow_init(*flow, transport.0, ip_version.0, null.0),
            Op::FlowBytes { flow, bytes } => {
                self.flow(*flow).state.opaque = *bytes;
                self.overwritten(*flow);
            }
            Op::FlowForge { flow, abi, state } => {
                let o = &mut self.flow(*flow).state.opaque;
                o[..4].copy_from_slice(&[b't', b'c', abi.0, 0]);
                o[8..].copy_from_slice(state);
                let sum = checksum(&o[..4], &o[8..]);
                o[4..8].copy_from_slice(&sum);
                self.overwritten(*flow);
            }
            Op::FlowTamper {
                flow,
                edits,
                rechecksum,
            } => {
                let o = &mut self.flow(*flow).state.opaque;
                for (at, xor) in edits.iter().take(8) {
                    o[usize::from(at % 64)] ^= xor;
                }
                if *rechecksum {
                    let sum = checksum(&o[..4], &o[8..]);
                    o[4..8].copy_from_slice(&sum);
                }
                self.overwritten(*flow);
            }
            Op::FlowCopy { from, to } => {
                let (state, last) = {
                    let f = self.flow(*from);
                    (f.state, f.last)
                };
                let t = self.flow(*to);
                t.state = state;
                t.last = last;
                t.meta = zero_meta();
            }
            Op::FlowFeed(feed) => self.flow_feed(feed),
            Op::FlowVerdict {
                flow,
                null_flow,
                null_out,
            } => self.flow_verdict(*flow, null_flow.0, null_out.0),
            Op::FlowFinish {
                flow,
                null_flow,
                null_out,
            } => self.flow_finish(*flow, null_flow.0, null_out.0),
            Op::FlowGap {
                flow,
                direction,
                null_flow,
            } => self.flow_gap(*flow, direction.0, null_flow.0),
            Op::TableInit(init) => self.table_init(init),
            Op::Process {
                frame,
                len,
                dt,
                table,
                null_out,
            } => {
                self.now = self.now.wrapping_add_signed(*dt);
                let (link, bytes) = match frame {
                    Frame::Built(b) => build(b),
                    Frame::Raw { link, bytes } => (*link, bytes.clone()),
                    Frame::Record { link } => {
                        let bytes = self.records.next().map_or(&[][..], |r| r.1);
                        (*link, bytes.to_vec())
                    }
                };
                self.process(link, &bytes, *len, table, null_out.0);
            }
            Op::Expire {
                dt,
                table,
                null_out,
            } => {
                self.now = self.now.wrapping_add_signed(*dt);
                self.expire(table, null_out.0);
            }
            Op::Slot {
                slot,
                table,
                null_out,
            } => self.slot(*slot, table, null_out.map(|n| n.0)),
            Op::Scan => self.scan(),
            Op::Stats { table, null_out } => self.stats(table, null_out.0),
            Op::DefaultConfig { null } => {
                let mut c = torclass_table_config {
                    struct_size: 0,
                    tcp_idle_ns: 0xeeee,
                    tcp_closed_ns: 0,
                    udp_idle_ns: 0,
                    endpoint_ttl_ns: 0,
                    learn_endpoints: 0,
                };
                let p = if null.0 {
                    core::ptr::null_mut()
                } else {
                    &mut c as *mut torclass_table_config
                };
                // SAFETY: NULL or a local.
                let r = unsafe { c::torclass_table_default_config(p) };
                expect("table_default_config", r, &[(null.0, NULL)], OK);
                if r == OK {
                    assert_eq!(
                        (c.tcp_idle_ns, c.tcp_closed_ns, c.udp_idle_ns),
                        (600_000_000_000, 10_000_000_000, 120_000_000_000)
                    );
                    assert_eq!(
                        (c.endpoint_ttl_ns, c.learn_endpoints),
                        (1_800_000_000_000, 1)
                    );
                }
            }
            Op::Message(code) => {
                // SAFETY: always safe to call.
                let text = c_text(unsafe { c::torclass_result_message(*code) });
                assert_eq!(text == "unknown torclass result code", *code > LAST);
            }
            Op::Size(capacity) => {
                let size = table_size(*capacity);
                if *capacity > 0 && *capacity < u32::MAX {
                    let next = table_size(capacity + 1);
                    assert!(next == 0 || next > size, "{capacity}: {size}, then {next}");
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (n, rest) = match data {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => (0, data),
    };
    let (script, records) = rest.split_at(n.min(rest.len()));
    let Ok(ops) = Vec::<Op>::arbitrary_take_rest(Unstructured::new(script)) else {
        return;
    };
    for (i, link) in LINKS.iter().enumerate() {
        assert_eq!(LinkType::from_pcap(*link), Some(LinkType::ALL[i]));
    }
    check_strings();
    let mut h = Harness {
        flows: core::array::from_fn(|_| Flow {
            _odd: 0,
            state: torclass_flow {
                opaque: [0; torclass::TORCLASS_FLOW_SIZE],
            },
            last: None,
            meta: zero_meta(),
        }),
        table: None,
        now: 1 << 40,
        records: Box::new(tagged(records)),
    };
    assert!(h.flows.iter().all(|f| (&raw const f.state).addr() % 2 == 1));
    for op in ops.iter().take(512) {
        h.op(op);
    }
    while h.record() {}
    h.scan();
    for i in 0..FLOWS as u8 {
        h.flow_verdict(i, false, false);
    }
});
