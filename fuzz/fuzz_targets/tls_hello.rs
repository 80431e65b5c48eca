//! The TLS ClientHello reader (`wire::tls`, libtorrent's SSL torrents) over any cut of the
//! stream: the same step at the same stream byte, and the same info-hash, whole and cut.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::tls::{HelloReader, Step};
use torclass_core::{Direction, Metadata};
use torclass_fuzz::segments;

/// The step the reader ends at, the stream offset where it did, and the info-hash it found.
fn read(data: &[u8], seed: u8) -> (Step, usize, Option<[u8; 20]>) {
    let mut reader = HelloReader::new();
    let mut meta = Metadata::new();
    let mut at = 0usize;
    for chunk in segments(data, seed) {
        let step = reader.read(chunk, Direction::Initiator, &mut meta);
        at += chunk.len();
        if step != Step::NeedMore {
            let hash = (step == Step::InfoHash)
                .then(|| meta.info_hash())
                .flatten()
                .and_then(|h| <[u8; 20]>::try_from(h.as_bytes()).ok());
            return (step, at, hash);
        }
    }
    (Step::NeedMore, at, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    let (whole, _, whole_hash) = read(data, 255);
    let (cut, cut_at, cut_hash) = read(data, seed);
    assert_eq!(whole, cut);
    assert_eq!(whole_hash, cut_hash);
    if whole == Step::InfoHash {
        assert!(whole_hash.is_some());
    }
    // One byte at a time gives the exact stream byte the reader decided at; any cut ends in
    // the chunk that holds it.
    let (bytewise, end, _) = read(data, 0);
    assert_eq!(bytewise, whole);
    if cut != Step::NeedMore {
        assert!(cut_at >= end);
    }
});
