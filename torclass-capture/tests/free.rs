//! `Analyzer::free_classifying_state` before the last records (what `flows_table` does to keep
//! its peak memory down) changes no record, on every real capture.

mod common;

use torclass_capture::{write_jsonl, Analyzer, AnalyzerConfig, CaptureReader};

use common::captures;

fn records(path: &std::path::Path, free: bool) -> String {
    let mut analyzer = Analyzer::new(AnalyzerConfig::default());
    let mut reader = CaptureReader::open(path).expect("open");
    analyzer.read(&mut reader, |_| {}).expect("read");
    if free {
        analyzer.free_classifying_state();
        assert_eq!(analyzer.cache_stats(), None);
        assert_eq!(analyzer.reassembly_stats(), None);
    }
    let mut out = Vec::new();
    analyzer.finish_each(|r| write_jsonl(&mut out, &r).expect("write"));
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn freeing_the_caches_before_the_last_records_changes_none() {
    for path in captures() {
        assert_eq!(
            records(&path, true),
            records(&path, false),
            "{}",
            path.display()
        );
    }
}
