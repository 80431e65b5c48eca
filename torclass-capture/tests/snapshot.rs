//! `Analyzer::save` / `Analyzer::restore`: an analyzer saved at any point of a capture and
//! restored into a new one gives the JSON lines of a run without the pause, on every real
//! capture; other bytes are an error and leave the analyzer empty.

mod common;

use torclass_capture::{write_jsonl, Analyzer, AnalyzerConfig, CaptureReader, FlowRecord};
use torclass_core::snapshot::SnapshotError;

use common::captures;

fn jsonl(records: &[FlowRecord]) -> String {
    let mut out = Vec::new();
    for r in records {
        write_jsonl(&mut out, r).expect("write");
    }
    String::from_utf8(out).expect("utf-8")
}

/// A small table, so that flows are evicted and their records wait in the snapshot; it
/// starts smaller still, so that snapshots are taken of tables that grew to different sizes.
fn config() -> AnalyzerConfig {
    AnalyzerConfig {
        slots: 512,
        first_slots: 16,
        ..AnalyzerConfig::default()
    }
}

/// Every frame of `path`: link type, time, bytes.
fn frames(path: &std::path::Path) -> Vec<(u32, i128, Vec<u8>)> {
    let mut reader = CaptureReader::open(path).expect("open");
    let mut out = Vec::new();
    while let Some(p) = reader.next_packet().expect("read") {
        out.push((p.link_type, p.ts_nanos, p.data.to_vec()));
    }
    out
}

#[test]
fn a_restored_analyzer_gives_the_records_of_an_uninterrupted_run() {
    for path in captures() {
        let frames = frames(&path);
        let mut one = Analyzer::new(config());
        for (link, ts, f) in &frames {
            one.frame(*link, *ts, f);
        }
        let expected = jsonl(&one.finish());
        let every = (frames.len() / 5).max(1);
        let mut a = Analyzer::new(config());
        for (i, (link, ts, f)) in frames.iter().enumerate() {
            if i % every == 0 && a.pending_fragments() == 0 {
                let bytes = a.save();
                a = Analyzer::new(config());
                a.restore(&bytes).expect("restore");
                assert_eq!(a.save(), bytes, "{}: not canonical", path.display());
            }
            a.frame(*link, *ts, f);
        }
        assert_eq!(jsonl(&a.finish()), expected, "{}", path.display());
    }
}

#[test]
fn other_bytes_are_refused_and_leave_the_analyzer_empty() {
    let path = &captures()[0];
    let mut a = Analyzer::new(config());
    for (link, ts, f) in frames(path) {
        a.frame(link, ts, &f);
    }
    let bytes = a.save();
    let mut b = Analyzer::new(config());
    assert_eq!(
        b.restore(b"TCAZ\x01"),
        Err(SnapshotError::Version { part: "analyzer" })
    );
    assert!(b.restore(&bytes[..bytes.len() / 2]).is_err());
    assert!(b.finish().is_empty());
    assert_eq!(b.packet_stats().frames, 0);
    let mut other = Analyzer::new(AnalyzerConfig {
        endpoints: 0,
        ..config()
    });
    assert!(matches!(
        other.restore(&bytes),
        Err(SnapshotError::Mismatch { .. })
    ));
    for cut in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
        let mut c = Analyzer::new(config());
        let mut flipped = bytes.clone();
        flipped[cut] ^= 0x5a;
        if c.restore(&flipped).is_ok() {
            c.finish();
        }
    }
}
