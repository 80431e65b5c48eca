//! `Analyzer::expire`: flows whose timeout ran out leave the table on a timer (live captures).

use std::path::PathBuf;

use torclass_capture::{Analyzer, AnalyzerConfig, CaptureReader};

#[test]
fn expire_ends_idle_flows_in_bounded_steps() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/captures/tcp-plain.pcap");
    let mut reader = CaptureReader::open(&path).unwrap();
    let mut analyzer = Analyzer::new(AnalyzerConfig {
        slots: 4096,
        ..AnalyzerConfig::default()
    });
    let mut last = 0;
    while let Some(p) = reader.next_packet().unwrap() {
        analyzer.frame(p.link_type, p.ts_nanos, p.data);
        last = p.ts_nanos as u64;
    }
    let open = analyzer.table_stats().flows as usize - analyzer.take_finished().len();
    assert!(open > 0);
    // At the last packet only flows closed long before have timed out.
    let closed = analyzer.expire(last, analyzer.capacity());
    assert!(closed < open);
    // An hour later every flow has; a quarter of the table per call.
    let later = last + 3_600_000_000_000;
    let ended: usize = (0..4)
        .map(|_| analyzer.expire(later, analyzer.capacity() / 4))
        .sum();
    assert_eq!(closed + ended, open);
    let records = analyzer.take_finished();
    assert_eq!(records.len(), open);
    assert!(records.iter().all(|r| r.end_reason.is_some()));
    assert!(analyzer.finish().is_empty());
}
