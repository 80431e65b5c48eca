//! The analyzer's table starts small and grows fourfold as flows need room
//! (`AnalyzerConfig::first_slots`): on every real capture the records are those of a table
//! that had all its slots from the start, however small it starts.

mod common;

use torclass_capture::{write_jsonl, Analyzer, AnalyzerConfig, CaptureReader};

use common::captures;

fn records(path: &std::path::Path, first_slots: usize) -> (String, usize) {
    let mut analyzer = Analyzer::new(AnalyzerConfig {
        first_slots,
        ..AnalyzerConfig::default()
    });
    let mut reader = CaptureReader::open(path).expect("open");
    analyzer.read(&mut reader, |_| {}).expect("read");
    let capacity = analyzer.capacity();
    let mut out = Vec::new();
    for r in analyzer.finish() {
        write_jsonl(&mut out, &r).expect("write");
    }
    (String::from_utf8(out).expect("utf-8"), capacity)
}

#[test]
fn a_growing_table_gives_the_records_of_a_full_one() {
    let full = AnalyzerConfig::default().slots;
    let mut grew = 0;
    for path in captures() {
        let (expected, capacity) = records(&path, full);
        assert_eq!(capacity, full);
        for first in [1, 4, 64] {
            let (got, capacity) = records(&path, first);
            assert_eq!(got, expected, "{} from {first} slots", path.display());
            assert!(capacity < full, "{}: grew to {capacity}", path.display());
            grew += usize::from(capacity > first);
        }
    }
    assert!(grew > 10, "the captures made the table grow ({grew} times)");
}

#[test]
fn a_small_capture_touches_a_small_table() {
    let path = &captures()[0];
    let (_, capacity) = records(path, AnalyzerConfig::default().first_slots);
    assert_eq!(capacity, AnalyzerConfig::default().first_slots);
}

/// A snapshot restores into an analyzer whose table could have grown to the snapshot's size,
/// and into no other.
#[test]
fn a_snapshot_restores_where_its_table_size_is_reachable() {
    let path = &captures()[0];
    let config = |first_slots, slots| AnalyzerConfig {
        first_slots,
        slots,
        ..AnalyzerConfig::default()
    };
    let mut a = Analyzer::new(config(64, 64));
    a.read(&mut CaptureReader::open(path).expect("open"), |_| {})
        .expect("read");
    let bytes = a.save();
    for (first, max, ok) in [
        (64, 64, true),
        (16, 4096, true),
        (1, 64, true),
        (65, 65, false),
        (48, 4096, false),
        (128, 4096, false),
    ] {
        let mut b = Analyzer::new(config(first, max));
        assert_eq!(b.restore(&bytes).is_ok(), ok, "{first} up to {max}");
        if ok {
            assert_eq!(b.capacity(), 64);
            assert_eq!(b.save(), bytes);
        }
    }
}
