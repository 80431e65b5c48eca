//! Helpers shared by the unit tests.

use std::vec::Vec;

/// `n` pseudo-random bytes from a fixed-seed LCG: random-looking payloads (key exchange flights,
/// encrypted streams) that are the same on every run.
pub(crate) fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as u8
        })
        .collect()
}

/// An Azureus Messaging Protocol frame (Vuze, BiglyBT): length, id length, id, version 1,
/// payload.
pub(crate) fn az_frame(id: &str, payload: &[u8]) -> Vec<u8> {
    let id_len = u32::try_from(id.len()).unwrap_or(u32::MAX);
    let mut body = id_len.to_be_bytes().to_vec();
    body.extend_from_slice(id.as_bytes());
    body.push(1);
    body.extend_from_slice(payload);
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let mut m = len.to_be_bytes().to_vec();
    m.extend(body);
    m
}
