//! The UDP FlowClassifier over a stream of (direction, datagram) records (those of odd length
//! as datagrams the capture cut): no panic, a BitTorrent verdict never goes back, and a
//! finished flow is decided.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::{Direction, FlowClassifier, Metadata, Transport, Verdict};
use torclass_fuzz::records;

fuzz_target!(|data: &[u8]| {
    let mut flow = FlowClassifier::new(Transport::Udp);
    let mut meta = Metadata::new();
    for record in records(data) {
        let dir = if record.responder {
            Direction::Responder
        } else {
            Direction::Initiator
        };
        let before = flow.verdict();
        let after = if record.bytes.len() % 2 == 1 {
            flow.feed_cut_with(dir, record.bytes, &mut meta)
        } else {
            flow.feed_with(dir, record.bytes, &mut meta)
        };
        if let Verdict::BitTorrent(b) = before {
            let Verdict::BitTorrent(a) = after else {
                panic!("{before:?} went back to {after:?}");
            };
            assert_eq!(a.protocol, b.protocol);
            assert!(a.confidence >= b.confidence);
        }
    }
    assert_ne!(flow.finish(), Verdict::Undecided);
});
