//! The TCP FlowClassifier over a stream of (direction, payload) records: cutting each record
//! into smaller segments (same interleaving of the two directions) gives the same verdict
//! (invariant 3), and a BitTorrent verdict never goes back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::{Direction, FlowClassifier, Metadata, Transport, Verdict};
use torclass_fuzz::{records, segments};

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

fn run(data: &[u8], seed: u8) -> Verdict {
    let mut flow = FlowClassifier::new(Transport::Tcp);
    let mut meta = Metadata::new();
    for record in records(data) {
        let dir = if record.responder {
            Direction::Responder
        } else {
            Direction::Initiator
        };
        for chunk in segments(record.bytes, seed) {
            let before = flow.verdict();
            let after = flow.feed_with(dir, chunk, &mut meta);
            check_monotone(before, after);
        }
    }
    flow.verdict()
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    let whole = run(data, 255);
    assert_eq!(whole, run(data, seed), "segmentation changed the verdict");
});
