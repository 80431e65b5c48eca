//! Magnet URIs (BEP 9 "magnet URI format") inside cleartext streams.
//!
//! `magnet:?xt=urn:btih:<info-hash>` carries a v1 info-hash as 40 hex digits or 32 base32
//! characters; `magnet:?xt=urn:btmh:1220<64 hex digits>` a v2 SHA-256 multihash (BEP 52). The
//! [`Scanner`] finds the first such URI in a stream cut into any pieces, matching the prefix
//! case-insensitively, and reports the info-hash bytes as it decodes them.

use super::bytes::hex_digit;
use crate::observer::{Field, Observer};
use crate::verdict::Direction;

const PREFIX: &[u8] = b"magnet:?xt=urn:bt";
const IH: &[u8] = b"ih:";
const MH: &[u8] = b"mh:1220";

/// What [`Scanner::scan`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing yet: feed more.
    NeedMore,
    /// A complete magnet URI with a well-formed info-hash.
    Found,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// Looking for the prefix; `pos` bytes of it are matched.
    Prefix,
    /// After the prefix: matching `ih:` or `mh:1220`; `pos` bytes matched.
    Kind,
    /// Reading a `btih` hash; `pos` characters read.
    Btih,
    /// Reading a `btmh` SHA-256 digest; `pos` characters read.
    Btmh,
}

/// Finds a magnet URI in a stream (6 bytes of state).
///
/// Hex hashes are reported as they stream in; a base32 hash (rare in practice) is reported
/// only when its 32 characters arrive in one chunk, since decoding it needs them together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scanner {
    phase: Phase,
    pos: u8,
    /// Which of `ih:`/`mh:1220` is being matched (0 = not chosen yet, 1 = ih, 2 = mh).
    kind: u8,
    /// 1 while every `btih` character so far is hex, 2 while every one is base32, 3 both.
    alphabet: u8,
    /// Hex nibble waiting for its partner (0x10 | nibble).
    pending: u8,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

fn base32(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b.wrapping_sub(b'A')),
        b'a'..=b'z' => Some(b.wrapping_sub(b'a')),
        b'2'..=b'7' => Some(b.wrapping_sub(b'2').wrapping_add(26)),
        _ => None,
    }
}

impl Scanner {
    /// A scanner that has seen nothing.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            phase: Phase::Prefix,
            pos: 0,
            kind: 0,
            alphabet: 3,
            pending: 0,
        }
    }

    /// Scan the next chunk. Stops at the first complete URI.
    pub fn scan<O: Observer>(&mut self, chunk: &[u8], dir: Direction, obs: &mut O) -> Step {
        let mut i = 0usize;
        while let Some(rest) = chunk.get(i..) {
            if self.phase == Phase::Prefix && self.pos == 0 {
                // Jump to the next candidate `m`; most streams hold none.
                match memchr::memchr2(b'm', b'M', rest) {
                    Some(at) => i = i.saturating_add(at),
                    None => return Step::NeedMore,
                }
            }
            let Some(&b) = chunk.get(i) else {
                break;
            };
            if self.step(b, dir, obs) {
                if self.phase == Phase::Btih && self.pos == 32 {
                    // A base32 hash: decode it if it lies whole in this chunk.
                    let token = i.checked_sub(32).and_then(|start| chunk.get(start..i));
                    report_base32(token.unwrap_or_default(), dir, obs);
                }
                return Step::Found;
            }
            i = i.saturating_add(1);
        }
        Step::NeedMore
    }

    fn restart(&mut self, b: u8) {
        *self = Self::new();
        if b.eq_ignore_ascii_case(&b'm') {
            self.pos = 1;
        }
    }

    /// One byte; true when a URI is complete.
    fn step<O: Observer>(&mut self, b: u8, dir: Direction, obs: &mut O) -> bool {
        match self.phase {
            Phase::Prefix => {
                let want = PREFIX.get(usize::from(self.pos)).copied().unwrap_or(0);
                if b.eq_ignore_ascii_case(&want) {
                    self.pos = self.pos.saturating_add(1);
                    if usize::from(self.pos) == PREFIX.len() {
                        self.phase = Phase::Kind;
                        self.pos = 0;
                    }
                } else {
                    self.restart(b);
                }
                false
            }
            Phase::Kind => {
                let i = usize::from(self.pos);
                let kind = match self.kind {
                    0 if b.eq_ignore_ascii_case(&b'i') => 1,
                    0 if b.eq_ignore_ascii_case(&b'm') => 2,
                    k => k,
                };
                let want = if kind == 1 { IH } else { MH };
                if kind == 0 || !want.get(i).is_some_and(|w| b.eq_ignore_ascii_case(w)) {
                    self.restart(b);
                    return false;
                }
                self.kind = kind;
                self.pos = self.pos.saturating_add(1);
                if usize::from(self.pos) == want.len() {
                    self.phase = if kind == 1 { Phase::Btih } else { Phase::Btmh };
                    self.pos = 0;
                }
                false
            }
            Phase::Btih => self.btih(b, dir, obs),
            Phase::Btmh => self.btmh(b, dir, obs),
        }
    }

    fn btih<O: Observer>(&mut self, b: u8, dir: Direction, obs: &mut O) -> bool {
        let (h, b32) = (hex_digit(b), base32(b));
        if h.is_none() && b32.is_none() {
            // The end of the hash: 40 hex digits, or 32 base32 characters that are not all hex
            // digits (those would be 16 bytes of hex, too short for a hash).
            let found = (self.pos == 40 && self.alphabet & 1 != 0)
                || (self.pos == 32 && self.alphabet == 2);
            if !found {
                self.restart(b);
            }
            return found;
        }
        if h.is_none() {
            self.alphabet &= !1;
        }
        if b32.is_none() {
            self.alphabet &= !2;
        }
        let at = self.pos;
        self.pos = self.pos.saturating_add(1);
        if self.pos > 40 {
            self.restart(b);
            return false;
        }
        if let (Some(nibble), 1 | 3) = (h, self.alphabet) {
            self.hex_nibble(nibble, at, dir, obs);
        }
        false
    }

    fn hex_nibble<O: Observer>(&mut self, nibble: u8, at: u8, dir: Direction, obs: &mut O) {
        if at % 2 == 0 {
            self.pending = 0x10 | nibble;
        } else {
            let byte = ((self.pending & 0x0f) << 4) | nibble;
            obs.field(dir, Field::InfoHash, u32::from(at / 2), &[byte]);
        }
    }

    fn btmh<O: Observer>(&mut self, b: u8, dir: Direction, obs: &mut O) -> bool {
        match hex_digit(b) {
            Some(nibble) if self.pos < 64 => {
                let at = self.pos;
                self.pos = self.pos.saturating_add(1);
                self.hex_nibble(nibble, at, dir, obs);
                false
            }
            Some(_) => {
                self.restart(b);
                false
            }
            None if self.pos == 64 => true,
            None => {
                self.restart(b);
                false
            }
        }
    }
}

/// Decode 32 base32 characters (RFC 4648) to the 20-byte info-hash.
fn report_base32<O: Observer>(token: &[u8], dir: Direction, obs: &mut O) {
    let mut out = [0u8; 20];
    let (mut acc, mut bits, mut n) = (0u32, 0u32, 0usize);
    for value in token.iter().filter_map(|b| base32(*b)) {
        acc = (acc << 5) | u32::from(value);
        bits = bits.saturating_add(5);
        if bits >= 8 {
            bits = bits.saturating_sub(8);
            if let Some(slot) = out.get_mut(n) {
                *slot = (acc >> bits) as u8;
            }
            n = n.saturating_add(1);
            acc &= (1u32 << bits).wrapping_sub(1);
        }
    }
    if n == out.len() && token.len() == 32 {
        obs.field(dir, Field::InfoHash, 0, &out);
    }
}

// The scanner's part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl Scanner {
    pub(crate) const ENCODED_LEN: usize = 5;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u8(self.phase as u8);
        w.u8(self.pos);
        w.u8(self.kind);
        w.u8(self.alphabet);
        w.u8(self.pending);
    }

    /// `None` for an unknown phase, kind, alphabet or pending nibble.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let phase = match r.u8()? {
            0 => Phase::Prefix,
            1 => Phase::Kind,
            2 => Phase::Btih,
            3 => Phase::Btmh,
            _ => return None,
        };
        Some(Self {
            phase,
            pos: r.u8()?,
            kind: r.u8_if(|k| k <= 2)?,
            alphabet: r.u8_if(|a| a <= 3)?,
            pending: r.u8_if(|p| p == 0 || (0x10..=0x1f).contains(&p))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::{Metadata, NoObserver};
    use std::string::String;

    fn scan(text: &[u8], size: usize) -> (Step, Metadata) {
        let mut s = Scanner::new();
        let mut m = Metadata::new();
        let mut step = Step::NeedMore;
        for chunk in text.chunks(size.max(1)) {
            step = s.scan(chunk, Direction::Responder, &mut m);
            if step == Step::Found {
                break;
            }
        }
        (step, m)
    }

    const HEX: &[u8] =
        b"<a href=\"magnet:?xt=urn:btih:C12FE1C06BBA254A9DC9F519B335AA7C1367A88A&dn=debian\">x</a>";

    #[test]
    fn hex_in_any_pieces() {
        for size in 1..HEX.len() {
            let (step, m) = scan(HEX, size);
            assert_eq!(step, Step::Found, "size {size}");
            assert_eq!(
                m.info_hash().as_ref().map(crate::InfoHash::as_bytes),
                Some(&b"\xc1\x2f\xe1\xc0\x6b\xba\x25\x4a\x9d\xc9\xf5\x19\xb3\x35\xaa\x7c\x13\x67\xa8\x8a"[..])
            );
        }
    }

    #[test]
    fn base32_and_btmh() {
        let b32 = b"MAGNET:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK&tr=x";
        let (step, m) = scan(b32, 1000);
        assert_eq!(step, Step::Found);
        assert_eq!(m.info_hash().map(|h| h.as_bytes()[0]), Some(0xc1));
        assert_eq!(scan(b32, 3).0, Step::Found);
        let mh = b"magnet:?xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e&dn=x";
        for size in [1, 5, 200] {
            let (step, m) = scan(mh, size);
            assert_eq!(step, Step::Found);
            assert_eq!(m.info_hash().map(|h| h.as_bytes().len()), Some(32));
        }
    }

    #[test]
    fn near_misses() {
        for text in [
            &b"magnet:?xt=urn:btih:C12FE1C06BBA254A9DC9F519B335AA7C1367A88&"[..],
            b"magnet:?xt=urn:btih:C12FE1C06BBA254A9DC9F519B335AA7C1367A88AB&",
            b"magnet:?xt=urn:sha1:C12FE1C06BBA254A9DC9F519B335AA7C1367A88A&",
            b"magnet:?xt=urn:btih:12345678901234567890123456789012&",
            b"magnet:?xt=urn:btmh:1114caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e",
            b"mmmmagnet:?xt=urn:bt",
        ] {
            assert_eq!(scan(text, 1000).0, Step::NeedMore, "{}", String::from_utf8_lossy(text));
        }
        assert_eq!(
            scan(
                b"mmagnet:?xt=urn:btih:C12FE1C06BBA254A9DC9F519B335AA7C1367A88A ",
                1
            )
            .0,
            Step::Found
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = Scanner::new().scan(&data, Direction::Initiator, &mut NoObserver);
        }
    }
}
