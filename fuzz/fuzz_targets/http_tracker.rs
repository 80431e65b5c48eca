//! HTTP tracker request and reply readers: any cut of the stream gives the same conclusion.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::http_tracker::{ReplyReader, RequestReader, Step};
use torclass_core::{Direction, Metadata};
use torclass_fuzz::segments;

/// The first conclusion other than NeedMore, with its position in the whole stream.
fn run(data: &[u8], seed: u8, reply: bool) -> Option<(bool, usize)> {
    let mut request = RequestReader::new();
    let mut response = ReplyReader::new();
    let mut meta = Metadata::new();
    let mut offset = 0;
    for chunk in segments(data, seed) {
        let step = if reply {
            response.read(chunk, &mut meta)
        } else {
            request.read(chunk, Direction::Initiator, &mut meta)
        };
        match step {
            Step::NeedMore => {}
            Step::Tracker { .. } => return Some((true, 0)),
            Step::Invalid { consumed } => {
                assert!(consumed <= chunk.len());
                return Some((false, offset + consumed));
            }
        }
        offset += chunk.len();
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    for reply in [false, true] {
        assert_eq!(
            run(data, 255, reply),
            run(data, seed, reply),
            "reply: {reply}"
        );
    }
});
