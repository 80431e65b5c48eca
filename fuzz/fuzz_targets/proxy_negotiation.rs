//! The proxy negotiation readers (SOCKS 4/4A/5 client and proxy sides, HTTP `CONNECT` request
//! and reply): no panic on any bytes, `consumed`/`at` within the payload, and any cut of a
//! side gives the same end at the same stream offset and the same requested endpoint.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::proxy::Step;
use torclass_core::wire::{http_connect, socks};
use torclass_core::{Direction, Metadata};
use torclass_fuzz::segments;

/// The step that ended the side (stream offsets) and the target the observer collected.
fn walk(kind: u8, data: &[u8], seed: u8) -> (Option<(u8, usize)>, Option<String>) {
    let mut meta = Metadata::new();
    let first = data.first().copied().unwrap_or(0);
    let mut socks_client = socks::ClientReader::for_first_byte(first);
    let mut socks_server = socks::ServerReader::new(first & 1 == 0);
    let mut request = http_connect::RequestReader::new();
    let mut reply = http_connect::ReplyReader::new();
    let mut offset = 0;
    for chunk in segments(data, seed) {
        let step = match kind % 4 {
            0 => match socks_client.as_mut() {
                Some(r) => r.read(chunk, Direction::Initiator, &mut meta),
                None => return (None, None),
            },
            1 => socks_server.read(chunk),
            2 => request.read(chunk, Direction::Initiator, &mut meta),
            _ => reply.read(chunk),
        };
        let end = match step {
            Step::NeedMore => None,
            Step::Tunnel { consumed } => {
                assert!(consumed >= 1 && consumed <= chunk.len());
                Some((0, offset + consumed))
            }
            Step::Invalid { at } => {
                assert!(at < chunk.len());
                Some((1, offset + at))
            }
            Step::Opaque => Some((2, 0)),
        };
        if end.is_some() {
            return (end, meta.proxy_target().map(|t| t.to_string()));
        }
        offset += chunk.len();
    }
    (None, meta.proxy_target().map(|t| t.to_string()))
}

fuzz_target!(|input: (u8, u8, &[u8])| {
    let (kind, seed, data) = input;
    let whole = walk(kind, data, 0);
    let cut = walk(kind, data, seed);
    // Opaque is reported at the byte that decides it: compare the kind of end and the target.
    assert_eq!(whole.0.map(|e| e.0), cut.0.map(|e| e.0));
    if whole.0.is_some_and(|e| e.0 != 2) {
        assert_eq!(whole.0, cut.0);
    }
    assert_eq!(whole.1, cut.1);
});
