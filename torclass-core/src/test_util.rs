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
