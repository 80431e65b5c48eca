//! The HTTP/1 framer over a stream of messages: any cut of the stream gives the same message
//! ends and the same stop (not HTTP, or a bencoded body), at the same stream offsets.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::http::{Framer, Step};
use torclass_core::{Direction, Metadata};
use torclass_fuzz::segments;

/// Every step other than `NeedMore` with its stream offset; a new framer after each end.
fn walk(data: &[u8], seed: u8) -> Vec<(usize, bool)> {
    let mut framer = Framer::new();
    let mut meta = Metadata::new();
    let mut steps = Vec::new();
    let mut offset = 0;
    for chunk in segments(data, seed) {
        let mut rest = chunk;
        let mut at = offset;
        while !rest.is_empty() {
            let (consumed, end) =
                match framer.read(rest, usize::MAX, Direction::Initiator, &mut meta) {
                    Step::NeedMore => break,
                    Step::End { consumed } => (consumed, true),
                    Step::Invalid { consumed, .. } | Step::Bencoded { consumed } => {
                        (consumed, false)
                    }
                };
            assert!(consumed <= rest.len());
            steps.push((at + consumed, end));
            if !end {
                return steps;
            }
            framer = Framer::new();
            at += consumed;
            rest = &rest[consumed..];
        }
        offset += chunk.len();
    }
    steps
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    assert_eq!(
        walk(data, 255),
        walk(data, seed),
        "segmentation changed the framing"
    );
});
