//! Allocations per flow record: building the records of the committed captures
//! (`Analyzer::finish`) allocates for the client name, the tunnel's endpoints and the list
//! of records, not for the info-hash, peer id and DHT node id (`Id`, inline). With those
//! three in `Vec`s it was 2.79 per record (BENCHMARKS.md, "Dependencies trials").

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use torclass_capture::{Analyzer, AnalyzerConfig, CaptureReader};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.set(ALLOCATIONS.get().wrapping_add(1));
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn identifiers_do_not_allocate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/captures");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/captures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    names.sort();
    let (mut allocations, mut records, mut with_ids) = (0u64, 0u64, 0u64);
    for path in &names {
        let mut reader = CaptureReader::open(path).expect("a committed capture");
        let mut analyzer = Analyzer::new(AnalyzerConfig {
            slots: 1 << 12,
            ..AnalyzerConfig::default()
        });
        analyzer.read(&mut reader, |_| {}).expect("reads whole");
        let before = ALLOCATIONS.get();
        let flows = analyzer.finish();
        allocations += ALLOCATIONS.get() - before;
        records += flows.len() as u64;
        with_ids += flows
            .iter()
            .filter(|r| r.info_hash.is_some() || r.peer_id.is_some() || r.dht_node_id.is_some())
            .count() as u64;
    }
    let per_record = allocations as f64 / records as f64;
    println!(
        "{records} records ({with_ids} with an id), {allocations} allocations: {per_record:.2} per record, record {} bytes",
        std::mem::size_of::<torclass_capture::FlowRecord>()
    );
    assert!(records > 100, "{records} records");
    assert!(per_record < 2.0, "{per_record:.2} allocations per record");
}
