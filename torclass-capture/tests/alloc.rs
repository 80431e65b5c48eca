//! Arbitrary bytes never make the reader panic, hang or allocate more than a bounded amount,
//! streamed or memory-mapped. The counting allocator keeps per-thread counts, so parallel
//! tests don't mix.

mod common;

use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Cursor, Write};
use torclass_capture::{CaptureError, CaptureReader};

struct Counting;

thread_local! {
    static CURRENT: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.get().wrapping_add(layout.size());
        CURRENT.set(now);
        PEAK.set(PEAK.get().max(now));
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.set(CURRENT.get().wrapping_sub(layout.size()));
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated at the peak while opening a reader with `open` and reading all of it,
/// above what was live before.
fn peak_while_reading(open: impl FnOnce() -> Result<CaptureReader, CaptureError>) -> usize {
    let before = CURRENT.get();
    PEAK.set(before);
    if let Ok(mut reader) = open() {
        let mut packets = 0u64;
        while let Ok(Some(p)) = reader.next_packet() {
            packets += 1;
            assert!(p.index < packets);
        }
    }
    PEAK.get().wrapping_sub(before)
}

/// The peaks reading `bytes` as a stream and from a memory-mapped file.
fn peaks(bytes: Vec<u8>) -> [usize; 2] {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(&bytes).expect("write temp file");
    let path = file.path().to_owned();
    let mapped = peak_while_reading(|| CaptureReader::open(&path));
    let streamed = peak_while_reading(|| CaptureReader::new(Cursor::new(bytes), "fuzz".into()));
    [streamed, mapped]
}

/// The reader's buffer, pcap-parser's per-block option lists and the interface table,
/// for inputs of a few KiB: far below any length a header can claim.
const BOUND: usize = 512 * 1024;

fn prefixes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        Just(common::pcap_header(false, false, 1, u32::MAX)),
        Just(common::pcap_header(true, true, 101, 0)),
        Just([common::shb(false), common::idb(false, 1, 0, Some(9), None)].concat()),
        Just(
            [
                common::shb(true),
                common::idb(true, 1, 0xffff_ffff, None, Some(-5))
            ]
            .concat()
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_are_safe(prefix in prefixes(), tail in proptest::collection::vec(any::<u8>(), 0..4096)) {
        for peak in peaks([prefix, tail].concat()) {
            prop_assert!(peak < BOUND, "peak {peak}");
        }
    }
}

#[test]
fn huge_claims_allocate_nothing_extra() {
    let mut pcap = common::pcap_header(false, false, 1, 0);
    pcap.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0xff, 0xff, 0x00, 0, 0, 0, 0]);
    let mut ng = common::shb(false);
    ng.extend_from_slice(&[6, 0, 0, 0, 0xf0, 0xff, 0xff, 0x00, 0, 0, 0, 0]);
    for file in [pcap, ng] {
        for peak in peaks(file) {
            assert!(peak < BOUND, "peak {peak}");
        }
    }
}
