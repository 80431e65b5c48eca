//! [`Pattern`]: a fixed byte string found anywhere in a stream cut into any pieces, with one
//! byte of state (how much of it the bytes so far end with), as Knuth–Morris–Pratt finds it.
//! The handshake's prefix in a text side ([`super::handshake::Finder`]) and a 16 KiB block's
//! piece header in a side picked up mid-stream (`message::BlockFinder`) are found this way.

/// The progress of a search for a pattern of at most 255 bytes, given at each call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pattern {
    matched: u8,
}

impl Pattern {
    /// A search that has seen nothing.
    pub(crate) const fn new() -> Self {
        Self { matched: 0 }
    }

    /// Bytes of the pattern the stream so far ends with (fewer than the pattern's length).
    pub(crate) const fn matched(self) -> u8 {
        self.matched
    }

    /// A search that had matched `matched` bytes of `pattern`, if fewer than all of them.
    pub(crate) fn resume(pattern: &[u8], matched: u8) -> Option<Self> {
        (usize::from(matched) < pattern.len()).then_some(Self { matched })
    }

    /// Scan `chunk` for `pattern` (the same at every call). When the pattern completes,
    /// returns the bytes of `chunk` up to and including its last byte and starts over. The
    /// state after any byte is the longest prefix of the pattern that ends there, so the
    /// result does not depend on how the stream is cut.
    pub(crate) fn find(&mut self, pattern: &[u8], chunk: &[u8]) -> Option<usize> {
        let &first = pattern.first()?;
        let mut at = 0usize;
        loop {
            let rest = chunk.get(at..)?;
            if self.matched == 0 {
                let start = memchr::memchr(first, rest)?;
                at = at.saturating_add(start).saturating_add(1);
                self.matched = 1;
            } else {
                let matched = usize::from(self.matched);
                let want = pattern.get(matched..).unwrap_or_default();
                let same = rest.iter().zip(want).take_while(|(a, b)| a == b).count();
                at = at.saturating_add(same);
                let matched = matched.saturating_add(same);
                self.matched = u8::try_from(matched).unwrap_or(u8::MAX);
                if matched < pattern.len() {
                    // The byte after the run differs (or the chunk ended).
                    let &byte = rest.get(same)?;
                    at = at.saturating_add(1);
                    self.matched = fallback(pattern, matched, byte);
                }
            }
            if usize::from(self.matched) >= pattern.len() {
                self.matched = 0;
                return Some(at);
            }
        }
    }
}

/// After `pattern[..matched]` and a `byte` that does not continue it: the longest prefix of
/// the pattern that the two end with (at most `matched` bytes; a few comparisons, as patterns
/// are short and a partial match is rare).
fn fallback(pattern: &[u8], matched: usize, byte: u8) -> u8 {
    // `k` bytes of the pattern before `byte`: the new match is `k + 1` bytes long.
    (0..matched)
        .rev()
        .find(|&k| {
            pattern.get(k) == Some(&byte)
                && pattern.get(..k) == pattern.get(matched.saturating_sub(k)..matched)
        })
        .map_or(0, |k| u8::try_from(k.saturating_add(1)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Every occurrence, overlapping ones included, whatever the cuts; nothing else.
    #[test]
    fn every_occurrence_at_every_cut() {
        let cases: [(&[u8], &[u8]); 4] = [
            (b"aab", b"aaab aab aaaab ab aa"),
            (b"abab", b"abababab abaabab"),
            (
                &[0, 0, 0x40, 9, 7],
                &[0, 0, 0, 0x40, 9, 7, 0, 0, 0x40, 0, 0, 0x40, 9, 7],
            ),
            (b"x", b"axbxx"),
        ];
        for (pattern, stream) in cases {
            let expected: Vec<usize> = (pattern.len()..=stream.len())
                .filter(|&end| stream[..end].ends_with(pattern))
                .collect();
            for size in 1..=stream.len() {
                let mut search = Pattern::new();
                let mut found = Vec::new();
                for (i, chunk) in stream.chunks(size).enumerate() {
                    let mut at = 0;
                    while let Some(n) = search.find(pattern, &chunk[at..]) {
                        at += n;
                        found.push(i * size + at);
                    }
                }
                // A completed match starts over: overlapping occurrences after it are missed
                // by design only when they share bytes with it.
                let mut kept = Vec::new();
                for &end in &expected {
                    if kept.last().is_none_or(|&last| end >= last + pattern.len()) {
                        kept.push(end);
                    }
                }
                assert_eq!(found, kept, "{pattern:?} in chunks of {size}");
            }
        }
    }

    #[test]
    fn an_empty_pattern_is_never_found() {
        assert_eq!(Pattern::new().find(b"", b"abc"), None);
        assert_eq!(Pattern::resume(b"ab", 2), None);
        assert_eq!(Pattern::resume(b"ab", 1).map(Pattern::matched), Some(1));
    }
}
