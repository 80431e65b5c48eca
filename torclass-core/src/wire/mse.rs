//! The shape of an MSE/PE key exchange ("Message Stream Encryption", the obfuscation Azureus
//! introduced and every major client implements; libtorrent `pe_crypto`, Transmission
//! `handshake.c`).
//!
//! ## The exchange
//! ```text
//! 1 A->B: Ya, PadA                   Ya = 96-byte Diffie-Hellman public key (768-bit prime),
//!                                    PadA = 0..512 random bytes
//! 2 B->A: Yb, PadB                   the same, from B
//! 3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
//!         ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
//! 4 B->A: ENCRYPT(VC, crypto_select, len(padD), padD), ENCRYPT2(payload stream)
//! ```
//! Nothing is in the clear: public keys, padding and RC4 output are all uniformly random bytes,
//! and the verification constant `VC` is sent encrypted. What remains visible is the *shape*:
//!
//! - A speaks first, and its first flight (the bytes it sends before B's first byte) is
//!   96 to 608 bytes, because B must read the 96-byte `Ya` before it can answer, and A cannot
//!   continue before it has `Yb`;
//! - B's first flight (before A's next byte) is likewise 96 to 608 bytes;
//! - A's second flight is at least 56 bytes: two 20-byte hashes, then 8 + 4 + 2 + 2 encrypted
//!   bytes before the optional `PadC` and initial payload;
//! - the first 96 bytes of each first flight are statistically random: among 96 random bytes
//!   about 35.6 (σ ≈ 4.7) are printable ASCII and about 384 (σ ≈ 13.9) bits are set. Text
//!   protocols fail the first test, binary protocols with headers, lengths and zero padding
//!   the second; the bounds below are ±3.5σ to ±4.6σ, so a real key exchange fails them about
//!   once in several thousand flows;
//! - no plaintext structure: TLS records (`16 03 0x`), the BitTorrent handshake, HTTP and the
//!   other formats torclass reads are taken by their own readers first, and a TLS record header
//!   is refused explicitly.
//!
//! Flights are counted in bytes between the other side's bytes, so the shape does not depend
//! on how either stream is cut into segments. Other fully random protocols (obfs4, Shadowsocks)
//! can have the same shape: the shape alone is therefore only `Likely`; a known BitTorrent
//! endpoint confirms it.

/// Smallest first flight: the 96-byte public key.
pub const MIN_FLIGHT: u16 = 96;
/// Largest first flight: public key and 512 bytes of padding.
pub const MAX_FLIGHT: u16 = 96 + 512;
/// Smallest second flight of the initiator: two hashes, VC, crypto_provide, two lengths.
pub const MIN_SECOND_FLIGHT: u16 = 20 + 20 + 8 + 4 + 2 + 2;
/// Bytes of each first flight whose statistics are measured.
pub const SAMPLE: u8 = 96;
/// Bytes of a TLS record header that [`Shape`] looks for: type and version.
const TLS_HEADER: usize = 3;
/// Printable ASCII bytes allowed among the [`SAMPLE`] (random: 35.6 ± 4.7).
pub const PRINTABLE: core::ops::RangeInclusive<u8> = 18..=54;
/// Set bits allowed among the [`SAMPLE`] (random: 384 ± 13.9).
pub const ONES: core::ops::RangeInclusive<u16> = 320..=448;

// Bits of `Shape::flags`.
const NOT_RANDOM: u8 = 1;
const TLS_LIKE: u8 = 2;

/// What is known of one side's flights (8 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Bytes of the current flight (saturating).
    flight: u16,
    /// Length of the first flight, once the other side spoke (0 before).
    first: u16,
    /// Set bits among the first [`SAMPLE`] bytes.
    ones: u16,
    /// Printable bytes among the first [`SAMPLE`] bytes.
    printable: u8,
    /// `NOT_RANDOM`, `TLS_LIKE`, and in the high nibble the first byte's TLS content type.
    flags: u8,
}

/// What a side's shape says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not known yet.
    Open,
    /// The side's bytes fit the key exchange so far (first flight closed and in range).
    Fits,
    /// They do not.
    Refuted,
}

impl Shape {
    /// A side that has sent nothing.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            flight: 0,
            first: 0,
            ones: 0,
            printable: 0,
            flags: 0,
        }
    }

    /// Bytes sent so far in the side's first flight (all bytes, if it is not closed).
    #[must_use]
    pub const fn first_flight(&self) -> u16 {
        self.first
    }

    /// Bytes of the side's current flight.
    #[must_use]
    pub const fn current_flight(&self) -> u16 {
        self.flight
    }

    /// Account for `chunk`, the next bytes this side sent.
    pub fn read(&mut self, chunk: &[u8]) {
        let before = usize::from(self.total_sampled());
        let room = usize::from(SAMPLE).saturating_sub(before);
        let sampled = chunk.get(..room).unwrap_or(chunk);
        // The first three bytes may start a TLS record header; the rest is counted in bulk.
        let head = sampled
            .get(..TLS_HEADER.saturating_sub(before))
            .unwrap_or(sampled);
        for (at, &b) in (before..).zip(head) {
            self.tls_header(at, b);
        }
        let (mut printable, mut ones) = (0u32, 0u32);
        for &b in sampled {
            printable = printable.wrapping_add(u32::from(b.wrapping_sub(0x20) < 0x5f));
            ones = ones.wrapping_add(b.count_ones());
        }
        self.printable = self
            .printable
            .saturating_add(u8::try_from(printable).unwrap_or(u8::MAX));
        self.ones = self
            .ones
            .saturating_add(u16::try_from(ones).unwrap_or(u16::MAX));
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        self.flight = self.flight.saturating_add(len);
        if self.first == 0 && self.flight > MAX_FLIGHT {
            self.flags |= NOT_RANDOM;
        }
    }

    /// Bytes already sampled: the first flight's bytes, up to [`SAMPLE`].
    fn total_sampled(&self) -> u8 {
        let sent = if self.first == 0 {
            self.flight
        } else {
            self.first
        };
        u8::try_from(sent.min(u16::from(SAMPLE))).unwrap_or(SAMPLE)
    }

    /// Byte `at` (0, 1 or 2) of the first flight: a TLS record header is content type
    /// 0x14..=0x17, then major version 3 and a minor version up to 4.
    fn tls_header(&mut self, at: usize, b: u8) {
        match at {
            0 if (0x14..=0x17).contains(&b) => self.flags |= TLS_LIKE,
            1 if self.flags & TLS_LIKE != 0 && b != 0x03 => self.flags &= !TLS_LIKE,
            2 if self.flags & TLS_LIKE != 0 && b <= 0x04 => self.flags |= NOT_RANDOM,
            _ => {}
        }
    }

    /// The other side spoke: this side's current flight is over.
    pub fn close_flight(&mut self) {
        if self.flight == 0 {
            return;
        }
        if self.first == 0 {
            self.first = self.flight;
            let random = PRINTABLE.contains(&self.printable) && ONES.contains(&self.ones);
            if !random || !(MIN_FLIGHT..=MAX_FLIGHT).contains(&self.first) {
                self.flags |= NOT_RANDOM;
            }
        }
        self.flight = 0;
    }

    /// What the side's shape says so far.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        if self.flags & NOT_RANDOM != 0 {
            Verdict::Refuted
        } else if self.first == 0 {
            Verdict::Open
        } else {
            Verdict::Fits
        }
    }
}

// The shape's part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl Shape {
    pub(crate) const ENCODED_LEN: usize = 8;

    pub(crate) fn encode(&self, w: &mut crate::flow::state::StateWriter<'_>) {
        w.u16(self.flight);
        w.u16(self.first);
        w.u16(self.ones);
        w.u8(self.printable);
        w.u8(self.flags);
    }

    /// `None` for an unknown flag bit (the counters are saturating, any value may occur).
    pub(crate) fn decode(r: &mut crate::flow::state::StateReader<'_>) -> Option<Self> {
        Some(Self {
            flight: r.u16()?,
            first: r.u16()?,
            ones: r.u16()?,
            printable: r.u8()?,
            flags: r.u8_if(|f| f & 0x0f & !(NOT_RANDOM | TLS_LIKE) == 0)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::random_bytes as random;

    fn first_flight(bytes: &[u8], cut: usize) -> Shape {
        let mut s = Shape::new();
        for chunk in bytes.chunks(cut.max(1)) {
            s.read(chunk);
        }
        s.close_flight();
        s
    }

    #[test]
    fn random_flights_in_range_fit_whatever_the_cuts() {
        for len in [96, 200, 608] {
            for cut in [1, 7, 96, 1000] {
                let s = first_flight(&random(len, len as u64), cut);
                assert_eq!(s.verdict(), Verdict::Fits, "len {len} cut {cut}");
                assert_eq!(s.first_flight() as usize, len);
            }
        }
    }

    #[test]
    fn wrong_lengths_text_and_tls_are_refuted() {
        assert_eq!(first_flight(&random(95, 1), 10).verdict(), Verdict::Refuted);
        assert_eq!(
            first_flight(&random(609, 2), 10).verdict(),
            Verdict::Refuted
        );
        assert_eq!(first_flight(&[b'a'; 200], 10).verdict(), Verdict::Refuted);
        assert_eq!(first_flight(&[0u8; 200], 10).verdict(), Verdict::Refuted);
        let mut tls = std::vec![0x16, 0x03, 0x01, 0x00, 0xc8];
        tls.extend(random(195, 3));
        assert_eq!(first_flight(&tls, 10).verdict(), Verdict::Refuted);
        let mut open = Shape::new();
        open.read(&random(700, 4));
        assert_eq!(
            open.verdict(),
            Verdict::Refuted,
            "too long before the other side spoke"
        );
    }

    #[test]
    fn random_flights_rarely_fail_the_statistics() {
        let failures = (0..2000u64)
            .filter(|seed| first_flight(&random(96, *seed), 96).verdict() != Verdict::Fits)
            .count();
        assert!(
            failures <= 4,
            "{failures} of 2000 random key exchanges refuted"
        );
    }
}
