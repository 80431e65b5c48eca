//! A bounded, streaming, non-allocating bencode tokenizer (BEP 3, "bencoding").
//!
//! Bencode has four kinds of value: byte strings (`4:spam`), integers (`i42e`), lists
//! (`l…e`) and dictionaries (`d…e`, keys are byte strings). The [`Tokenizer`] reads any number
//! of chunks of one value and calls back with [`Event`]s as it goes; it keeps only
//! [`Tokenizer::SIZE`] bytes of state and never a copy of the input, so a value cut into
//! segments anywhere gives the same events (only string bytes may arrive in several pieces).
//!
//! When a whole value is fed as one chunk, every string arrives as one [`Event::Str`] whose
//! `piece` is the complete string, borrowed from the input: datagram parsers (KRPC) read keys
//! and values zero-copy. Streaming consumers (the BEP 10 extension handshake inside TCP) match
//! keys by [`Event::Key`]'s `hash` and `len`, compared against [`key_hash`] of the names they
//! look for.
//!
//! Limits (documented because they bound the work an attacker can cause):
//! - nesting depth at most [`MAX_DEPTH`] (libtorrent's DHT decodes packets with a depth limit
//!   of 10, `dht_tracker.cpp`); deeper input is [`Error::TooDeep`]. The first [`TYPED_DEPTH`]
//!   levels are typed; deeper ones are read without telling dictionaries from lists (their
//!   keys are not checked to be strings), which keeps the state in one byte per kind;
//! - string lengths at most [`MAX_STRING_LEN`] (a length prefix has at most 8 digits);
//! - integers keep their value only up to `u32::MAX` in magnitude (larger values are reported
//!   saturated, the syntax is still checked) and may have at most 20 digits.
//!
//! Syntax is checked strictly where real encoders agree: no leading zeros in lengths or
//! integers (except `0` itself), no `-0`, no empty integer, dictionary keys must be strings.
//! Key order is not checked: clients disagree with the spec's "sorted keys" rule.

/// Deepest nesting of lists and dictionaries the tokenizer follows: libtorrent's DHT limit, so
/// a BEP 44 value or an ignored key nested as deep as a client accepts hides nothing.
pub const MAX_DEPTH: u8 = 10;

/// Levels whose kind (dictionary or list) and key/value alternation are tracked; deeper
/// containers only count toward the depth.
pub const TYPED_DEPTH: u8 = 8;

/// The bit of level `depth` (1-based) in the `dicts`/`keys` masks; 0 past [`TYPED_DEPTH`].
const fn level_bit(depth: u8) -> u8 {
    match depth.checked_sub(1) {
        Some(shift) if depth <= TYPED_DEPTH => 1 << shift,
        _ => 0,
    }
}

/// Longest string the tokenizer accepts, in bytes.
pub const MAX_STRING_LEN: u32 = 1 << 24;

const MAX_INT_DIGITS: u8 = 20;
const FNV_OFFSET: u16 = 0x9dc5;
const FNV_PRIME: u16 = 0x0193;

/// A 16-bit FNV-1a hash of a dictionary key, as [`Event::Key`] reports it.
///
/// Streaming consumers compare `(hash, len)` against the keys they look for; a collision with
/// an unknown key of the same length is possible (one in 65536) and only ever adds evidence,
/// never removes it.
#[must_use]
pub const fn key_hash(key: &[u8]) -> u16 {
    let mut hash = FNV_OFFSET;
    let mut rest = key;
    while let [byte, tail @ ..] = rest {
        hash = fnv_step(hash, *byte);
        rest = tail;
    }
    hash
}

const fn fnv_step(hash: u16, byte: u8) -> u16 {
    (hash ^ byte as u16).wrapping_mul(FNV_PRIME)
}

/// What the tokenizer saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// `d`: a dictionary starts. `depth` is the depth of the new container (1 for the outermost).
    DictStart {
        /// Nesting depth of the new dictionary.
        depth: u8,
    },
    /// `l`: a list starts.
    ListStart {
        /// Nesting depth of the new list.
        depth: u8,
    },
    /// `e`: the innermost container ends.
    End {
        /// Depth of the container that ended.
        depth: u8,
    },
    /// Bytes of a string. `first` and `last` tell whether this piece starts and ends the string
    /// (both are true when the string arrived whole, including an empty string).
    Str {
        /// The bytes, borrowed from the caller's chunk.
        piece: &'a [u8],
        /// True for a dictionary key.
        key: bool,
        /// This piece starts the string.
        first: bool,
        /// This piece ends the string.
        last: bool,
        /// Offset of the piece within a value string (saturating at 65535); 0 for keys.
        offset: u32,
        /// Depth of the container holding the string (0 at top level).
        depth: u8,
    },
    /// A dictionary key is complete: its [`key_hash`] and length.
    Key {
        /// [`key_hash`] of the key bytes.
        hash: u16,
        /// Length of the key in bytes, saturated at 255.
        len: u8,
        /// Depth of the dictionary holding the key.
        depth: u8,
    },
    /// An integer value, saturated to `±u32::MAX`.
    Int {
        /// The value.
        value: i64,
        /// Depth of the container holding the integer.
        depth: u8,
    },
    /// The outermost value is complete; bytes after it are not read.
    Done,
}

/// Why the input is not bencode (or exceeds a documented limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A byte that cannot start or continue a token here.
    Syntax,
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A string longer than [`MAX_STRING_LEN`] or an integer with too many digits.
    TooLong,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Syntax => "bencode: syntax error",
            Self::TooDeep => "bencode: nesting deeper than the limit",
            Self::TooLong => "bencode: string or integer longer than the limit",
        })
    }
}

impl core::error::Error for Error {}

/// How far [`Tokenizer::feed`] got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Every byte was consumed and the value is not complete yet: feed more.
    NeedMore,
    /// The outermost value ended after `consumed` bytes of this chunk.
    Done {
        /// Bytes of the chunk that belonged to the value.
        consumed: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// Expecting the start of a value (or a key, or `e`).
    Value,
    /// Reading the digits of a string length; `acc` holds the length so far.
    StrLen,
    /// Reading string bytes; `acc` holds how many remain.
    StrBody,
    /// Just read `i`: expecting `-` or the first digit.
    IntStart,
    /// Read `i-`: expecting the first (non-zero) digit.
    IntNegStart,
    /// Reading integer digits; `acc` holds the magnitude so far.
    IntDigits,
    /// Read `i0` or `i-…` was forbidden; expecting `e` only.
    IntZero,
    /// The outermost value is complete.
    Done,
    /// Malformed input was seen; nothing more is read.
    Failed,
}

// Flag bits in `Tokenizer::flags`.
const F_NEG: u8 = 1;
const F_KEY: u8 = 2;
const F_FIRST: u8 = 4;
const F_LEN_STARTED_ZERO: u8 = 8;

/// The streaming bencode tokenizer; [`Tokenizer::SIZE`] bytes of state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tokenizer {
    /// String length / remaining string bytes / integer magnitude, by phase.
    acc: u32,
    /// Running [`key_hash`] of the key being read, or the offset reached in a value string.
    hash: u16,
    /// Current nesting depth (0 = top level).
    depth: u8,
    /// Bit `d-1` set: the container at depth `d` (up to [`TYPED_DEPTH`]) is a dictionary.
    dicts: u8,
    /// Bit `d-1` set: the next item in the dictionary at depth `d` is a key.
    keys: u8,
    phase: Phase,
    /// F_* flags.
    flags: u8,
    /// Digits of the integer being read, or the length of the string being read (saturated).
    small: u8,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Self::new()
    }
}

const _: () = assert!(
    Tokenizer::SIZE <= 12,
    "the tokenizer lives in per-flow state"
);

impl Tokenizer {
    /// Bytes of state a tokenizer keeps.
    pub const SIZE: usize = core::mem::size_of::<Self>();

    /// A tokenizer at the start of a value.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            acc: 0,
            hash: FNV_OFFSET,
            depth: 0,
            dicts: 0,
            keys: 0,
            phase: Phase::Value,
            flags: 0,
            small: 0,
        }
    }

    /// True once the outermost value is complete.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// True once malformed input was seen.
    #[must_use]
    pub fn is_failed(&self) -> bool {
        self.phase == Phase::Failed
    }

    /// Current nesting depth (0 at top level).
    #[must_use]
    pub const fn depth(&self) -> u8 {
        self.depth
    }

    /// Feed the next chunk of the value, calling `on` for each event in order.
    ///
    /// After an error or [`Progress::Done`] the tokenizer reads nothing more (feeding again
    /// returns the same error, or `Done { consumed: 0 }`).
    pub fn feed<'a>(
        &mut self,
        chunk: &'a [u8],
        mut on: impl FnMut(Event<'a>),
    ) -> Result<Progress, Error> {
        let mut i = 0usize;
        while let Some(rest) = chunk.get(i..) {
            if self.phase == Phase::Done {
                return Ok(Progress::Done { consumed: i });
            }
            if self.phase == Phase::Failed {
                return Err(Error::Syntax);
            }
            if rest.is_empty() {
                break;
            }
            if self.phase == Phase::StrBody {
                let take = rest.len().min(self.acc as usize);
                let piece = rest.get(..take).unwrap_or_default();
                i = i.saturating_add(take);
                self.acc = self.acc.saturating_sub(take as u32);
                self.string_piece(piece, &mut on);
                continue;
            }
            let byte = rest.first().copied().unwrap_or_default();
            i = i.saturating_add(1);
            if let Err(e) = self.step(byte, &mut on) {
                self.phase = Phase::Failed;
                return Err(e);
            }
        }
        if self.phase == Phase::Done {
            return Ok(Progress::Done { consumed: i });
        }
        Ok(Progress::NeedMore)
    }

    fn in_key_position(&self) -> bool {
        self.dicts & self.keys & level_bit(self.depth) != 0
    }

    /// A complete scalar (string or integer) or container end was read at the current depth:
    /// flip the key/value alternation, or finish the outermost value.
    fn item_done(&mut self) {
        if self.depth == 0 {
            self.phase = Phase::Done;
        } else if self.dicts & level_bit(self.depth) != 0 {
            self.keys ^= level_bit(self.depth);
        }
    }

    fn string_piece<'a>(&mut self, piece: &'a [u8], on: &mut impl FnMut(Event<'a>)) {
        let key = self.flags & F_KEY != 0;
        let offset = if key {
            self.hash = piece.iter().fold(self.hash, |h, b| fnv_step(h, *b));
            0
        } else {
            let offset = self.hash;
            let len = u16::try_from(piece.len()).unwrap_or(u16::MAX);
            self.hash = offset.saturating_add(len);
            u32::from(offset)
        };
        let first = self.flags & F_FIRST != 0;
        self.flags &= !F_FIRST;
        let last = self.acc == 0;
        on(Event::Str {
            piece,
            key,
            first,
            last,
            offset,
            depth: self.depth,
        });
        if last {
            self.finish_string(on);
        }
    }

    fn finish_string<'a>(&mut self, on: &mut impl FnMut(Event<'a>)) {
        if self.flags & F_KEY != 0 {
            on(Event::Key {
                hash: self.hash,
                len: self.small,
                depth: self.depth,
            });
        }
        self.phase = Phase::Value;
        self.flags = 0;
        self.item_done();
    }

    fn step<'a>(&mut self, byte: u8, on: &mut impl FnMut(Event<'a>)) -> Result<(), Error> {
        match self.phase {
            Phase::Value => self.start_value(byte, on),
            Phase::StrLen => match byte {
                b'0'..=b'9' => {
                    if self.flags & F_LEN_STARTED_ZERO != 0 {
                        return Err(Error::Syntax);
                    }
                    let next = self
                        .acc
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u32::from(byte.wrapping_sub(b'0'))))
                        .filter(|v| *v <= MAX_STRING_LEN)
                        .ok_or(Error::TooLong)?;
                    self.acc = next;
                    Ok(())
                }
                b':' => {
                    self.small = u8::try_from(self.acc).unwrap_or(u8::MAX);
                    self.phase = Phase::StrBody;
                    self.flags |= F_FIRST;
                    if self.acc == 0 {
                        self.string_piece(&[], on);
                    }
                    Ok(())
                }
                _ => Err(Error::Syntax),
            },
            Phase::IntStart => match byte {
                b'-' => {
                    self.flags |= F_NEG;
                    self.phase = Phase::IntNegStart;
                    Ok(())
                }
                b'0' => {
                    self.phase = Phase::IntZero;
                    Ok(())
                }
                b'1'..=b'9' => {
                    self.int_digit(byte);
                    Ok(())
                }
                _ => Err(Error::Syntax),
            },
            Phase::IntNegStart => match byte {
                b'1'..=b'9' => {
                    self.int_digit(byte);
                    Ok(())
                }
                _ => Err(Error::Syntax),
            },
            Phase::IntDigits => match byte {
                b'0'..=b'9' => {
                    if self.small >= MAX_INT_DIGITS {
                        return Err(Error::TooLong);
                    }
                    self.int_digit(byte);
                    Ok(())
                }
                b'e' => {
                    self.finish_int(on);
                    Ok(())
                }
                _ => Err(Error::Syntax),
            },
            Phase::IntZero => match byte {
                b'e' => {
                    self.finish_int(on);
                    Ok(())
                }
                _ => Err(Error::Syntax),
            },
            Phase::StrBody | Phase::Done | Phase::Failed => Err(Error::Syntax),
        }
    }

    fn int_digit(&mut self, byte: u8) {
        self.phase = Phase::IntDigits;
        self.small = self.small.saturating_add(1);
        self.acc = self
            .acc
            .saturating_mul(10)
            .saturating_add(u32::from(byte.wrapping_sub(b'0')));
    }

    fn finish_int<'a>(&mut self, on: &mut impl FnMut(Event<'a>)) {
        let magnitude = i64::from(self.acc);
        let value = if self.flags & F_NEG != 0 {
            magnitude.saturating_neg()
        } else {
            magnitude
        };
        on(Event::Int {
            value,
            depth: self.depth,
        });
        self.phase = Phase::Value;
        self.flags = 0;
        self.acc = 0;
        self.small = 0;
        self.item_done();
    }

    fn start_value<'a>(&mut self, byte: u8, on: &mut impl FnMut(Event<'a>)) -> Result<(), Error> {
        let key = self.in_key_position();
        match byte {
            b'0'..=b'9' => {
                self.phase = Phase::StrLen;
                self.acc = u32::from(byte.wrapping_sub(b'0'));
                self.flags = if key { F_KEY } else { 0 };
                if byte == b'0' {
                    self.flags |= F_LEN_STARTED_ZERO;
                }
                self.hash = if key { FNV_OFFSET } else { 0 };
                Ok(())
            }
            _ if key && byte != b'e' => Err(Error::Syntax),
            b'i' => {
                self.phase = Phase::IntStart;
                self.acc = 0;
                self.small = 0;
                self.flags = 0;
                Ok(())
            }
            b'd' | b'l' => {
                if self.depth >= MAX_DEPTH {
                    return Err(Error::TooDeep);
                }
                self.depth = self.depth.saturating_add(1);
                let bit = level_bit(self.depth);
                if byte == b'd' {
                    self.dicts |= bit;
                    self.keys |= bit;
                    on(Event::DictStart { depth: self.depth });
                } else {
                    self.dicts &= !bit;
                    self.keys &= !bit;
                    on(Event::ListStart { depth: self.depth });
                }
                Ok(())
            }
            b'e' => {
                let Some(outer) = self.depth.checked_sub(1) else {
                    return Err(Error::Syntax);
                };
                // In a dictionary, `e` may only come where a key would.
                let bit = level_bit(self.depth);
                if self.dicts & bit != 0 && self.keys & bit == 0 {
                    return Err(Error::Syntax);
                }
                on(Event::End { depth: self.depth });
                self.depth = outer;
                self.item_done();
                Ok(())
            }
            _ => Err(Error::Syntax),
        }
    }
}

// The tokenizer's part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl Phase {
    const ALL: [Self; 9] = [
        Self::Value,
        Self::StrLen,
        Self::StrBody,
        Self::IntStart,
        Self::IntNegStart,
        Self::IntDigits,
        Self::IntZero,
        Self::Done,
        Self::Failed,
    ];
}

impl Tokenizer {
    pub(crate) const ENCODED_LEN: usize = 12;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u32(self.acc);
        w.u16(self.hash);
        w.u8(self.depth);
        w.u8(self.dicts);
        w.u8(self.keys);
        w.u8(self.phase as u8);
        w.u8(self.flags);
        w.u8(self.small);
    }

    /// `None` for an unknown phase or flag, a depth over [`MAX_DEPTH`], a key bit on a list,
    /// or a string longer than [`MAX_STRING_LEN`].
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let acc = r.u32()?;
        let hash = r.u16()?;
        let depth = r.u8_if(|d| d <= MAX_DEPTH)?;
        let dicts = r.u8()?;
        let keys = r.u8_if(|b| b & !dicts == 0)?;
        let phase = r.u8()?;
        let phase = *Phase::ALL.iter().find(|p| **p as u8 == phase)?;
        let flags = r.u8_if(|f| f & !(F_NEG | F_KEY | F_FIRST | F_LEN_STARTED_ZERO) == 0)?;
        let small = r.u8()?;
        if matches!(phase, Phase::StrLen | Phase::StrBody) && acc > MAX_STRING_LEN {
            return None;
        }
        Some(Self {
            acc,
            hash,
            depth,
            dicts,
            keys,
            phase,
            flags,
            small,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[derive(Debug, PartialEq, Eq)]
    enum Owned {
        D(u8),
        L(u8),
        E(u8),
        S(Vec<u8>, bool, u8),
        K(u16, u8),
        I(i64),
        Done,
    }

    /// Feeds `input` in pieces cut at `cuts`, joining string pieces back together.
    fn events(input: &[u8], cuts: &[usize]) -> (Vec<Owned>, Result<Progress, Error>) {
        let mut t = Tokenizer::new();
        let mut out = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut last = Ok(Progress::NeedMore);
        let mut start = 0;
        let mut bounds: Vec<usize> = cuts.iter().copied().filter(|c| *c < input.len()).collect();
        bounds.sort_unstable();
        bounds.push(input.len());
        for end in bounds {
            if end < start {
                continue;
            }
            let chunk = input.get(start..end).unwrap_or_default();
            last = t.feed(chunk, |e| match e {
                Event::DictStart { depth } => out.push(Owned::D(depth)),
                Event::ListStart { depth } => out.push(Owned::L(depth)),
                Event::End { depth } => out.push(Owned::E(depth)),
                Event::Str {
                    piece,
                    key,
                    first,
                    last,
                    depth,
                    ..
                } => {
                    if first {
                        pending.clear();
                    }
                    pending.extend_from_slice(piece);
                    if last {
                        out.push(Owned::S(pending.clone(), key, depth));
                    }
                }
                Event::Key { hash, len, .. } => out.push(Owned::K(hash, len)),
                Event::Int { value, .. } => out.push(Owned::I(value)),
                Event::Done => out.push(Owned::Done),
            });
            start = end;
            if last.is_err() || matches!(last, Ok(Progress::Done { .. })) {
                break;
            }
        }
        (out, last)
    }

    #[test]
    fn bep3_examples() {
        let (ev, r) = events(b"4:spam", &[]);
        assert_eq!(ev, [Owned::S(b"spam".to_vec(), false, 0)]);
        assert_eq!(r, Ok(Progress::Done { consumed: 6 }));
        let (ev, _) = events(b"i3e", &[]);
        assert_eq!(ev, [Owned::I(3)]);
        let (ev, _) = events(b"i-3e", &[]);
        assert_eq!(ev, [Owned::I(-3)]);
        let (ev, _) = events(b"l4:spam4:eggse", &[]);
        assert_eq!(
            ev,
            [
                Owned::L(1),
                Owned::S(b"spam".to_vec(), false, 1),
                Owned::S(b"eggs".to_vec(), false, 1),
                Owned::E(1)
            ]
        );
        let (ev, r) = events(b"d3:cow3:moo4:spam4:eggse", &[]);
        assert_eq!(
            ev,
            [
                Owned::D(1),
                Owned::S(b"cow".to_vec(), true, 1),
                Owned::K(key_hash(b"cow"), 3),
                Owned::S(b"moo".to_vec(), false, 1),
                Owned::S(b"spam".to_vec(), true, 1),
                Owned::K(key_hash(b"spam"), 4),
                Owned::S(b"eggs".to_vec(), false, 1),
                Owned::E(1)
            ]
        );
        assert_eq!(r, Ok(Progress::Done { consumed: 24 }));
        let (ev, _) = events(b"0:", &[]);
        assert_eq!(ev, [Owned::S(Vec::new(), false, 0)]);
    }

    #[test]
    fn done_reports_consumed_and_stops() {
        let mut t = Tokenizer::new();
        let r = t.feed(b"de trailing", |_| {});
        assert_eq!(r, Ok(Progress::Done { consumed: 2 }));
        assert!(t.is_done());
        assert_eq!(t.feed(b"more", |_| {}), Ok(Progress::Done { consumed: 0 }));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &b"i-0e"[..],
            b"i03e",
            b"ie",
            b"i-e",
            b"01:a",
            b"d1:ai1ei2ee",
            b"di1ei2ee",
            b"e",
            b"x",
            b"d1:ae",
            b"l1:a:e",
        ] {
            let (_, r) = events(bad, &[]);
            assert!(r.is_err(), "{:?} accepted", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn limits() {
        let deep: Vec<u8> = core::iter::repeat_n(b'l', usize::from(MAX_DEPTH) + 1).collect();
        assert_eq!(events(&deep, &[]).1, Err(Error::TooDeep));
        let ok: Vec<u8> = core::iter::repeat_n(b'l', usize::from(MAX_DEPTH))
            .chain(core::iter::repeat_n(b'e', usize::from(MAX_DEPTH)))
            .collect();
        assert!(matches!(events(&ok, &[]).1, Ok(Progress::Done { .. })));
        // Past the typed levels, a dictionary's keys are not checked (documented leniency);
        // the levels above still are.
        let mut nested = std::vec![b'l'; usize::from(TYPED_DEPTH)];
        nested.extend(std::vec![b'd'; usize::from(MAX_DEPTH - TYPED_DEPTH)]);
        nested.extend(b"i1ei2e");
        nested.extend(std::vec![b'e'; usize::from(MAX_DEPTH)]);
        assert!(matches!(events(&nested, &[]).1, Ok(Progress::Done { .. })));
        let typed_bad = b"lllllld1:ai1ei2eeeeeeee";
        assert_eq!(events(typed_bad, &[]).1, Err(Error::Syntax));
        assert_eq!(events(b"99999999:", &[]).1, Err(Error::TooLong));
        assert_eq!(
            events(b"i123456789012345678901e", &[]).1,
            Err(Error::TooLong)
        );
        assert_eq!(
            events(b"i99999999999e", &[]).0,
            [Owned::I(i64::from(u32::MAX))]
        );
    }

    #[test]
    fn krpc_with_zero_bytes_in_id() {
        let msg = b"d1:ad2:id20:\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00e1:q4:ping1:t2:aa1:y1:qe";
        let (ev, r) = events(msg, &[]);
        assert!(matches!(r, Ok(Progress::Done { .. })));
        assert!(ev.contains(&Owned::K(key_hash(b"id"), 2)));
        assert!(ev
            .iter()
            .any(|e| matches!(e, Owned::S(s, false, 2) if s.len() == 20)));
    }

    #[test]
    fn one_chunk_gives_whole_strings_borrowed() {
        let msg = b"d1:v13:Transmission 3e";
        let mut t = Tokenizer::new();
        let mut seen = None;
        t.feed(msg, |e| {
            if let Event::Str {
                piece,
                key: false,
                first: true,
                last: true,
                ..
            } = e
            {
                seen = Some(piece);
            }
        })
        .unwrap_or(Progress::NeedMore);
        assert_eq!(seen, Some(&b"Transmission "[..]));
    }

    proptest::proptest! {
        #[test]
        fn any_cut_gives_same_events(
            doc in proptest::sample::select(std::vec![
                &b"d1:md11:ut_metadatai3e6:ut_pexi1ee1:pi51413e1:v17:Transmission 3.00e"[..],
                b"d8:intervali1800e5:peers12:abcdefghijkle",
                b"l4:spami-42ed0:0:ee",
                b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
            ]),
            cuts in proptest::collection::vec(0usize..80, 0..12),
        ) {
            let (whole, whole_end) = events(doc, &[]);
            let (cut, cut_end) = events(doc, &cuts);
            proptest::prop_assert_eq!(whole, cut);
            let whole_done = matches!(whole_end, Ok(Progress::Done { .. }));
            let cut_done = matches!(cut_end, Ok(Progress::Done { .. }));
            proptest::prop_assert!(whole_done && cut_done);
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
            cuts in proptest::collection::vec(0usize..256, 0..8),
        ) {
            let _ = events(&data, &cuts);
        }
    }
}
