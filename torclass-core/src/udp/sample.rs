//! What a UDP flow reads once it is past its give-up point: a prefilter on every datagram and
//! a token bucket that bounds how many of those that pass it are parsed.
//!
//! A UDP 5-tuple is never given up for good (the same socket may carry anything first and
//! BitTorrent later): a flow that was refuted, or that stays only Likely, keeps looking at
//! every datagram with [`may_be_bittorrent`], a handful of byte comparisons, and parses one
//! that passes only when the sampler gives it a token. The bucket holds at most
//! [`BURST`] tokens and earns one every [`EVERY`] datagrams, so a flood of datagrams shaped
//! to pass the prefilter costs at most one full parse per [`EVERY`] datagrams after the first
//! [`BURST`] (invariant 4), while a real exchange (a uTP SYN and its STATE, a DHT query)
//! finds its tokens.

use crate::wire::udp_tracker::PROTOCOL_ID;

/// Tokens the bucket holds at most (and starts with).
pub const BURST: u8 = 4;

/// Datagrams per token earned.
pub const EVERY: u8 = 8;

/// True if `datagram` has the first bytes of a BitTorrent UDP form: a bencoded dictionary
/// with a key (KRPC), `BT-SEARCH` (LSD), a BEP 15 request or response, or a uTP header
/// (version 1, type 0–4, a known first extension, 20 bytes at least). Every datagram a
/// BitTorrent reader accepts passes.
#[must_use]
pub fn may_be_bittorrent(datagram: &[u8]) -> bool {
    match datagram {
        [b'd', b'0'..=b'9', ..] | [b'B', b'T', b'-', b'S', ..] => true,
        // A BEP 15 response: a 32-bit action 0..=3 (connect, announce, scrape, error).
        [0, 0, 0, 0..=3, _, _, _, _, ..] => true,
        [first, ext, ..] => {
            let utp = datagram.len() >= crate::wire::utp::HEADER_LEN
                && first & 0x0f == 1
                && first >> 4 <= 4
                && *ext <= 3;
            let action = datagram.get(8..12);
            let request = datagram.len() >= 16
                && matches!(action, Some([0, 0, 0, 0..=2]))
                && (action != Some(&[0; 4])
                    || datagram.get(..8) == Some(&PROTOCOL_ID.to_be_bytes()));
            utp || request
        }
        _ => false,
    }
}

/// The token bucket: tokens in the high 3 bits, datagrams towards the next token in the low 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sampler(u8);

impl Sampler {
    pub(crate) const FULL: Self = Self(BURST << 5);

    /// Count one datagram; true if it may be parsed (a token was taken).
    pub(crate) fn take(&mut self, passes: bool) -> bool {
        let mut tokens = self.0 >> 5;
        let mut count = (self.0 & 0x1f).saturating_add(1);
        if count >= EVERY {
            count = 0;
            tokens = tokens.saturating_add(1).min(BURST);
        }
        let taken = passes && tokens > 0;
        if taken {
            tokens = tokens.saturating_sub(1);
        }
        self.0 = (tokens << 5) | count;
        taken
    }

    pub(crate) fn to_byte(self) -> u8 {
        self.0
    }

    /// `None` for more than [`BURST`] tokens or a count of [`EVERY`] or more.
    pub(crate) fn from_byte(b: u8) -> Option<Self> {
        (b >> 5 <= BURST && b & 0x1f < EVERY).then_some(Self(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter_passes_every_form() {
        assert!(may_be_bittorrent(b"d1:ad2:id20:"));
        assert!(may_be_bittorrent(b"BT-SEARCH * HTTP/1.1\r\n"));
        let mut connect = PROTOCOL_ID.to_be_bytes().to_vec();
        connect.extend_from_slice(&[0, 0, 0, 0, 1, 2, 3, 4]);
        assert!(may_be_bittorrent(&connect));
        let mut announce = std::vec![0x9a; 98];
        announce[8..12].copy_from_slice(&[0, 0, 0, 1]);
        assert!(may_be_bittorrent(&announce));
        assert!(may_be_bittorrent(&[0, 0, 0, 1, 9, 9, 9, 9]));
        let mut syn = std::vec![0x41, 0];
        syn.extend_from_slice(&[7; 18]);
        assert!(may_be_bittorrent(&syn));
        assert!(!may_be_bittorrent(&syn[..19]));
        assert!(!may_be_bittorrent(b"M-SEARCH * HTTP/1.1\r\n"));
        assert!(!may_be_bittorrent(&[0x45; 40]));
        assert!(!may_be_bittorrent(b"dx"));
    }

    #[test]
    fn bucket_bounds_parses() {
        let mut s = Sampler::FULL;
        let taken = (0..800).filter(|_| s.take(true)).count();
        assert_eq!(taken, usize::from(BURST) + 800 / usize::from(EVERY));
        let mut idle = Sampler::FULL;
        for _ in 0..100 {
            assert!(!idle.take(false));
        }
        assert_eq!(idle.to_byte() >> 5, BURST);
        assert_eq!(Sampler::from_byte(idle.to_byte()), Some(idle));
        assert_eq!(Sampler::from_byte(0xff), None);
    }
}
