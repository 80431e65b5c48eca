//! The peer wire handshake (BEP 3 "peer protocol"; BEP 52 "upgrade path").
//!
//! ```text
//! offset  0  pstrlen = 19
//!         1  pstr    = "BitTorrent protocol"
//!        20  reserved (8 bytes; BEP 4 assigns the bits)
//!        28  info_hash (20 bytes; a v2 torrent sends its SHA-256 truncated to 20, BEP 52)
//!        48  peer_id (20 bytes; BEP 20 conventions)
//! ```
//!
//! [`Handshake`] is the typed view over a complete handshake; `Reader` recognises one that
//! arrives in any number of pieces, keeping one byte of state.

use super::pattern::Pattern;
use crate::verdict::Evidence;

mod field {
    use core::ops::Range;
    pub const PSTR: &[u8; 20] = b"\x13BitTorrent protocol";
    pub const RESERVED: Range<usize> = 20..28;
    pub const INFO_HASH: Range<usize> = 28..48;
    pub const PEER_ID: Range<usize> = 48..68;
}

/// The first 20 bytes of every handshake: `pstrlen` and `pstr`.
pub const PREFIX: &[u8; 20] = field::PSTR;

/// Why a buffer is not a handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Fewer than [`Handshake::LEN`] bytes.
    Truncated {
        /// Bytes a handshake needs.
        required: u32,
        /// Bytes the buffer has.
        available: u32,
    },
    /// The byte at `offset` differs from `\x13BitTorrent protocol`.
    BadPrefix {
        /// Offset of the first differing byte.
        offset: u32,
    },
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Truncated {
                required,
                available,
            } => write!(
                f,
                "handshake truncated: need {required} bytes, have {available}"
            ),
            Self::BadPrefix { offset } => {
                write!(f, "not a BitTorrent handshake: byte {offset} differs")
            }
        }
    }
}

impl core::error::Error for Error {}

/// A typed view over a complete BEP 3 handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handshake<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Handshake<T> {
    /// Length of a handshake in bytes.
    pub const LEN: usize = 68;

    /// Check the prefix and length; after this no accessor can fail.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let bytes = buffer.as_ref();
        if let Some(offset) = bytes
            .iter()
            .zip(field::PSTR.iter())
            .position(|(a, b)| a != b)
        {
            return Err(Error::BadPrefix {
                offset: offset as u32,
            });
        }
        if bytes.len() < Self::LEN {
            return Err(Error::Truncated {
                required: Self::LEN as u32,
                available: bytes.len() as u32,
            });
        }
        Ok(Self { buffer })
    }

    fn get(&self, range: core::ops::Range<usize>) -> &[u8] {
        self.buffer.as_ref().get(range).unwrap_or_default()
    }

    /// The eight reserved bytes.
    #[must_use]
    pub fn reserved(&self) -> [u8; 8] {
        let mut out = [0; 8];
        out.copy_from_slice(self.get(field::RESERVED));
        out
    }

    /// The info-hash (20 bytes).
    #[must_use]
    pub fn info_hash(&self) -> &[u8] {
        self.get(field::INFO_HASH)
    }

    /// The peer id (20 bytes).
    #[must_use]
    pub fn peer_id(&self) -> &[u8] {
        self.get(field::PEER_ID)
    }

    /// Evidence from the reserved bits.
    #[must_use]
    pub fn reserved_evidence(&self) -> Evidence {
        self.reserved()
            .iter()
            .enumerate()
            .fold(Evidence::NONE, |e, (i, b)| {
                e | reserved_byte_evidence(i, *b)
            })
    }
}

unstable! {
    /// Evidence carried by reserved byte `index` (0..8) of a handshake (BEP 4 assignments):
    /// bit 20 (byte 5, 0x10) is the extension protocol (BEP 10), bit 62 (byte 7, 0x04) the fast
    /// extension (BEP 6), bit 64 (byte 7, 0x01) the DHT (BEP 5), byte 7 0x10 the v2 upgrade
    /// (BEP 52).
    #[must_use]
    pub const fn reserved_byte_evidence(index: usize, byte: u8) -> Evidence {
        let mut e = Evidence::NONE.0;
        if index == 5 && byte & 0x10 != 0 {
            e |= Evidence::EXTENSION_BIT.0;
        }
        if index == 7 {
            if byte & 0x04 != 0 {
                e |= Evidence::FAST_BIT.0;
            }
            if byte & 0x01 != 0 {
                e |= Evidence::DHT_BIT.0;
            }
            if byte & 0x10 != 0 {
                e |= Evidence::V2_BIT.0;
            }
        }
        Evidence(e)
    }
}

unstable! {
    /// What [`Reader::read`] found in one chunk.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Step {
        /// All of the chunk belonged to the handshake, which is not complete yet.
        NeedMore,
        /// The handshake is complete after `consumed` bytes of this chunk.
        Complete {
            /// Bytes of the chunk that belonged to the handshake.
            consumed: usize,
        },
        /// The bytes are not a handshake.
        Invalid,
    }
}

unstable! {
    /// A piece of a handshake field, reported as the handshake streams in.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Part<'a> {
        /// The 20-byte prefix matched: this is a handshake.
        Prefix,
        /// Bytes of the info-hash starting at `offset` within it.
        InfoHash {
            /// Offset within the 20-byte field.
            offset: u32,
            /// The bytes, borrowed from the chunk.
            bytes: &'a [u8],
        },
        /// Bytes of the peer id starting at `offset` within it.
        PeerId {
            /// Offset within the 20-byte field.
            offset: u32,
            /// The bytes, borrowed from the chunk.
            bytes: &'a [u8],
        },
        /// Evidence from the reserved bytes.
        Reserved(Evidence),
    }
}

/// Bytes of the prefix (`0x13` and `BitTo`) a side's handshake must show before a capture cut
/// it for the side to count as sending one ([`Reader::has_cut_prefix`]). A snapshot length of
/// 64 bytes leaves 10 bytes of an Ethernet/IPv4 segment without TCP options, 8 with Linux
/// cooked headers and 6 behind an 802.1Q tag (public traces of the tcpdump era were cut at
/// 64 or 68 bytes). The bytes are fixed: random bytes match them with probability 2^-48 per
/// side, and the flow rule needs both sides' (`flow.rs`: a handshake each way, one of them
/// cut), 2^-96; no protocol but BitTorrent starts a stream with a length byte of 19 and
/// `BitTo`.
pub const CUT_PREFIX_MIN: usize = 6;

unstable! {
    /// Recognises a handshake cut into any pieces; one byte of state (the offset reached).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Reader {
        pos: u8,
    }
}

impl Reader {
    /// A reader at offset `pos` of a handshake (1 when the caller already matched `0x13`).
    #[must_use]
    pub const fn at(pos: u8) -> Self {
        Self { pos }
    }

    /// True once at least [`CUT_PREFIX_MIN`] bytes of the prefix are read: where a capture
    /// cut the stream (`FlowClassifier::gap`), the start of a handshake.
    #[must_use]
    pub const fn has_cut_prefix(&self) -> bool {
        self.pos as usize >= CUT_PREFIX_MIN
    }

    /// Read the next chunk, reporting recognised parts in order.
    pub fn read<'a>(&mut self, chunk: &'a [u8], mut on: impl FnMut(Part<'a>)) -> Step {
        let start = usize::from(self.pos);
        let want = Handshake::<&[u8]>::LEN.saturating_sub(start);
        let take = chunk.len().min(want);
        let end = start.saturating_add(take);
        let piece = chunk.get(..take).unwrap_or_default();
        // The prefix part.
        if start < field::PSTR.len() {
            let prefix_end = end.min(field::PSTR.len());
            let expect = field::PSTR.get(start..prefix_end).unwrap_or_default();
            let got = piece
                .get(..prefix_end.saturating_sub(start))
                .unwrap_or_default();
            if expect != got {
                return Step::Invalid;
            }
            if prefix_end == field::PSTR.len() {
                on(Part::Prefix);
            }
        }
        // The fields after the prefix, each reported for the part of it this chunk carries.
        for (range, kind) in [
            (field::RESERVED, 0u8),
            (field::INFO_HASH, 1),
            (field::PEER_ID, 2),
        ] {
            let lo = range.start.max(start);
            let hi = range.end.min(end);
            if lo >= hi {
                continue;
            }
            let bytes = piece
                .get(lo.saturating_sub(start)..hi.saturating_sub(start))
                .unwrap_or_default();
            let offset = lo.saturating_sub(range.start) as u32;
            match kind {
                0 => {
                    let e = bytes.iter().enumerate().fold(Evidence::NONE, |e, (i, b)| {
                        e | reserved_byte_evidence(i.saturating_add(offset as usize), *b)
                    });
                    on(Part::Reserved(e));
                }
                1 => on(Part::InfoHash { offset, bytes }),
                _ => on(Part::PeerId { offset, bytes }),
            }
        }
        self.pos = u8::try_from(end).unwrap_or(u8::MAX);
        if end >= Handshake::<&[u8]>::LEN {
            Step::Complete { consumed: take }
        } else {
            Step::NeedMore
        }
    }
}

unstable! {
    /// Finds the handshake's 20-byte prefix `\x13BitTorrent protocol` anywhere in a stream cut
    /// into any pieces; one byte of state (the prefix bytes matched so far).
    ///
    /// `0x13` occurs only at the prefix's start, so after a mismatch a match can only begin again
    /// at a `0x13` (the search in `wire::pattern`): however the stream is cut, the state after
    /// any byte is the longest prefix of the prefix that ends there. Random bytes complete it with
    /// probability 2^-160 per offset.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Finder {
        search: Pattern,
    }
}

impl Finder {
    /// A finder that has seen nothing.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            search: Pattern::new(),
        }
    }

    /// Scan `chunk`. When the prefix completes, returns the bytes of `chunk` up to and
    /// including its last byte (the handshake's reserved bytes follow) and starts over.
    pub fn find(&mut self, chunk: &[u8]) -> Option<usize> {
        self.search.find(field::PSTR, chunk)
    }
}

// The reader's part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl Reader {
    pub(crate) const ENCODED_LEN: usize = 1;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u8(self.pos);
    }

    /// `None` unless `pos` is within the handshake.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let pos = r.u8_if(|p| usize::from(p) <= Handshake::<&[u8]>::LEN)?;
        Some(Self { pos })
    }
}

impl Finder {
    pub(crate) const ENCODED_LEN: usize = 1;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u8(self.search.matched());
    }

    /// `None` unless fewer than 20 prefix bytes are matched (a complete match starts over).
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let search = Pattern::resume(field::PSTR, r.u8()?)?;
        Some(Self { search })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// A real handshake (Transmission 3.00, extension + fast + DHT bits).
    pub(crate) fn sample() -> Vec<u8> {
        let mut h = Vec::from(&b"\x13BitTorrent protocol"[..]);
        h.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x05]);
        h.extend((0u8..20).map(|i| i.wrapping_mul(13)));
        h.extend_from_slice(b"-TR3000-abcdefghijkl");
        h
    }

    #[test]
    fn view_reads_fields() {
        let bytes = sample();
        let h = Handshake::new_checked(&bytes[..]).expect("valid");
        assert_eq!(h.peer_id(), b"-TR3000-abcdefghijkl");
        assert_eq!(h.info_hash().len(), 20);
        let e = h.reserved_evidence();
        assert!(e.contains(Evidence::EXTENSION_BIT | Evidence::FAST_BIT | Evidence::DHT_BIT));
        assert!(!e.contains(Evidence::V2_BIT));
    }

    #[test]
    fn view_truncation_at_every_length() {
        let bytes = sample();
        for len in 0..Handshake::<&[u8]>::LEN {
            assert_eq!(
                Handshake::new_checked(&bytes[..len]),
                Err(Error::Truncated {
                    required: 68,
                    available: len as u32
                })
            );
        }
        let mut bad = bytes.clone();
        bad[7] = b'x';
        assert_eq!(
            Handshake::new_checked(&bad[..]),
            Err(Error::BadPrefix { offset: 7 })
        );
    }

    fn read_in_pieces(bytes: &[u8], size: usize) -> (Step, Vec<u8>, Vec<u8>, Evidence, bool) {
        let mut r = Reader::default();
        let (mut ih, mut pid, mut ev, mut prefix) = (Vec::new(), Vec::new(), Evidence::NONE, false);
        let mut last = Step::NeedMore;
        for chunk in bytes.chunks(size) {
            last = r.read(chunk, |p| match p {
                Part::Prefix => prefix = true,
                Part::InfoHash { offset, bytes } => {
                    assert_eq!(offset as usize, ih.len());
                    ih.extend_from_slice(bytes);
                }
                Part::PeerId { offset, bytes } => {
                    assert_eq!(offset as usize, pid.len());
                    pid.extend_from_slice(bytes);
                }
                Part::Reserved(e) => ev |= e,
            });
            if last != Step::NeedMore {
                break;
            }
        }
        (last, ih, pid, ev, prefix)
    }

    #[test]
    fn reader_is_independent_of_chunking() {
        let mut bytes = sample();
        bytes.extend_from_slice(b"\x00\x00\x00\x01\x02");
        for size in 1..=bytes.len() {
            let (step, ih, pid, ev, prefix) = read_in_pieces(&bytes, size);
            assert!(matches!(step, Step::Complete { .. }), "size {size}");
            assert!(prefix);
            assert_eq!(ih, &sample()[28..48]);
            assert_eq!(pid, b"-TR3000-abcdefghijkl");
            assert!(ev.contains(Evidence::EXTENSION_BIT));
        }
        let (step, ..) = read_in_pieces(&bytes, 70);
        assert_eq!(step, Step::Complete { consumed: 68 });
    }

    #[test]
    fn reader_refutes_at_first_wrong_byte() {
        let mut bad = sample();
        bad[19] = b'X';
        for size in 1..=bad.len() {
            assert_eq!(read_in_pieces(&bad, size).0, Step::Invalid);
        }
    }

    /// Every end of the prefix in `stream`, fed in pieces of `size`.
    fn found_in_pieces(stream: &[u8], size: usize) -> Vec<usize> {
        let mut f = Finder::new();
        let mut ends = Vec::new();
        let mut offset = 0;
        for chunk in stream.chunks(size) {
            let mut rest = chunk;
            let mut at = offset;
            while let Some(n) = f.find(rest) {
                ends.push(at + n);
                at += n;
                rest = &rest[n..];
            }
            offset += chunk.len();
        }
        ends
    }

    #[test]
    fn finder_finds_every_prefix_however_cut() {
        let prefix = &sample()[..20];
        let mut stream = b"xx\x13\x13Bit".to_vec();
        stream.extend_from_slice(prefix);
        stream.extend_from_slice(b"\x13BitTorrent protoco\x13");
        stream.extend_from_slice(prefix);
        stream.extend_from_slice(&prefix[..10]);
        let expected = std::vec![7 + 20, 7 + 20 + 20 + 20];
        for size in 1..=stream.len() {
            assert_eq!(found_in_pieces(&stream, size), expected, "size {size}");
        }
    }

    /// Measured chance of finding the prefix in random bytes: none in 16 MiB (2^-160 per
    /// offset in theory).
    #[test]
    fn finder_on_random_bytes() {
        let mut state = 0x853c_49e6_748f_ea9bu64;
        let block: Vec<u8> = (0..1 << 16)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let mut f = Finder::new();
        let mut found = 0;
        for round in 0..256usize {
            let rotated = [
                &block[round * 97 % block.len()..],
                &block[..round * 97 % block.len()],
            ]
            .concat();
            found += usize::from(f.find(&rotated).is_some());
        }
        std::println!("chance: handshake prefix found {found} times in 16 MiB of random bytes");
        assert_eq!(found, 0);
    }
}
