//! Invariant 1: classifying whole real captures allocates nothing in the core. The frames are
//! loaded first; then decoding, flow lookup, classification and metadata extraction run under a
//! counting global allocator that must count zero.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use torclass_capture::CaptureReader;
use torclass_core::packet::{self, LinkType};
use torclass_core::table::{FlowTable, Slot, TableConfig};
use torclass_core::Metadata;

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to the system allocator unchanged; counting has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn classifying_real_captures_allocates_nothing() {
    let mut frames = Vec::new();
    for pcap in torclass_tests::labelled_captures() {
        let mut reader = CaptureReader::open(&pcap).expect("open");
        while let Some(p) = reader.next_packet().expect("read") {
            frames.push((p.link_type, p.ts_nanos, p.data.to_vec()));
        }
    }
    assert!(frames.len() > 10_000, "captures are loaded");
    let slots = vec![Slot::<Metadata>::default(); 4096].into_boxed_slice();
    let mut table = FlowTable::new(slots, TableConfig::default());
    let mut bittorrent = 0usize;

    COUNTING.store(true, Ordering::SeqCst);
    for (link, ts, data) in &frames {
        let Some(link) = LinkType::from_pcap(*link) else {
            continue;
        };
        if let Ok(p) = packet::decode(link, data) {
            let now = u64::try_from(*ts).unwrap_or(0);
            if let Ok(o) = table.process(&p, now, |_| {}) {
                bittorrent += usize::from(o.verdict.is_bittorrent());
            }
        }
    }
    COUNTING.store(false, Ordering::SeqCst);

    assert!(
        bittorrent > 1000,
        "the captures' BitTorrent traffic was classified"
    );
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0, "the core allocated");
}
