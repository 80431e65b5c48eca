//! The TCP FlowClassifier over a stream of (direction, payload) records: cutting each record
//! into smaller segments (same interleaving of the two directions) gives the same verdict
//! (invariant 3), before and after the flow's end, and a BitTorrent verdict never goes back.
//!
//! Each record's first byte: bit 0 the direction, bit 1 a gap before it (the table lost
//! bytes); bits 2 and 3 of the first record's byte make the flow corroborated (a BitTorrent
//! host) and picked up mid-stream.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::{Direction, FlowClassifier, Metadata, Transport, Verdict};
use torclass_fuzz::{segments, tagged};

/// A BitTorrent verdict keeps its protocol, and its confidence and evidence only grow.
fn check_monotone(before: Verdict, after: Verdict) {
    if let Verdict::BitTorrent(b) = before {
        let Verdict::BitTorrent(a) = after else {
            panic!("{before:?} went back to {after:?}");
        };
        assert_eq!(a.protocol, b.protocol);
        assert!(a.confidence >= b.confidence);
        assert_eq!(a.evidence.0 & b.evidence.0, b.evidence.0);
    }
}

fn run(data: &[u8], seed: u8) -> (Verdict, Verdict) {
    let mut flow = FlowClassifier::new(Transport::Tcp);
    let mut meta = Metadata::new();
    if let Some((&head, _)) = data.split_first() {
        if head & 4 != 0 {
            flow.bittorrent_host();
        }
        if head & 8 != 0 {
            flow.midstream();
        }
    }
    for (head, bytes) in tagged(data) {
        let dir = if head & 1 == 1 {
            Direction::Responder
        } else {
            Direction::Initiator
        };
        if head & 2 != 0 {
            flow.gap(dir);
        }
        for chunk in segments(bytes, seed) {
            let before = flow.verdict();
            let after = flow.feed_with(dir, chunk, &mut meta);
            check_monotone(before, after);
        }
    }
    let open = flow.verdict();
    let end = flow.finish();
    check_monotone(open, end);
    (open, end)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    let whole = run(data, 255);
    assert_eq!(whole, run(data, seed), "segmentation changed the verdict");
});
