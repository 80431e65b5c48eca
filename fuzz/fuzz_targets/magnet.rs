//! The streaming magnet URI scanner over any cut of the stream. A base32 hash is only found
//! when it arrives in one chunk (documented), so only "found when cut" implies "found whole".
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::magnet::{Scanner, Step};
use torclass_core::{Direction, Metadata};
use torclass_fuzz::segments;

fn found(data: &[u8], seed: u8) -> bool {
    let mut scanner = Scanner::new();
    let mut meta = Metadata::new();
    segments(data, seed)
        .any(|chunk| scanner.scan(chunk, Direction::Initiator, &mut meta) == Step::Found)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    if found(data, seed) {
        assert!(found(data, 255));
    }
});
