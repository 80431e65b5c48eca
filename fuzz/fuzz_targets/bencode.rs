//! The streaming bencode tokenizer: any cut of the input gives the same events and result.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::bencode::{Progress, Tokenizer};
use torclass_fuzz::segments;

/// Feed `data` in segments; return the events' debug forms, the bytes consumed, and the error.
fn run(data: &[u8], seed: u8) -> (Vec<String>, Option<usize>, bool) {
    let mut tok = Tokenizer::new();
    let mut events = Vec::new();
    let mut offset = 0usize;
    for chunk in segments(data, seed) {
        match tok.feed(chunk, |e| events.push(format!("{e:?}"))) {
            Ok(Progress::NeedMore) => {}
            Ok(Progress::Done { consumed }) => return (events, Some(offset + consumed), false),
            Err(_) => return (events, None, true),
        }
        assert!(tok.depth() <= torclass_core::wire::bencode::MAX_DEPTH);
        offset += chunk.len();
    }
    (events, None, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    let (_, whole_end, whole_err) = run(data, 255);
    let (_, cut_end, cut_err) = run(data, seed);
    // Strings cut across chunks are reported in pieces, so only the outcome must agree.
    assert_eq!((whole_end, whole_err), (cut_end, cut_err));
});
