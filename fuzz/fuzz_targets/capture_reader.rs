//! The pcap/pcapng reader over arbitrary bytes, each packet decoded and classified: it ends
//! with packets, a clean end or an error, never a panic or unbounded memory.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use torclass_capture::{Analyzer, AnalyzerConfig, CaptureReader};

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::new(Cursor::new(data.to_vec()), "fuzz".into()) else {
        return;
    };
    let mut analyzer = Analyzer::new(AnalyzerConfig {
        slots: 64,
        ..AnalyzerConfig::default()
    });
    let mut count = 0usize;
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => {
                assert!(p.data.len() <= data.len());
                analyzer.frame(p.link_type, p.ts_nanos, p.data);
                count += 1;
                assert!(count <= data.len(), "more packets than bytes");
            }
            Ok(None) => break,
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        }
    }
    let _ = analyzer.finish();
});
