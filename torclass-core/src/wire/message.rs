//! Peer wire message framing (BEP 3 "peer messages", BEP 6, BEP 10, BEP 52).
//!
//! After the handshake every message is `<length: u32 big-endian><id: u8><payload>`, where the
//! length counts the id and the payload; a length of zero is a keep-alive. Each id allows only
//! certain lengths ([`length_is_valid`]), which is what makes a run of messages recognisable
//! even when the handshake was not seen (a capture or filter that started late).
//!
//! [`Reader`] walks the framing across any segmentation, skipping payloads by their length (a
//! piece message costs one header parse, whatever its size) and handing the payload of
//! extended messages (id 20) to [`super::extension`]. On a stream read without its handshake
//! ([`Context::blocks`]) it also checks the index and `begin` of piece messages carrying a
//! 16 KiB block (7 bytes each) and the header after them: [`Evidence::BLOCK_TRANSFER`].
//!
//! Two peers that both set the Azureus messaging bit (reserved byte 0, `0x80`) in their
//! handshakes switch to the Azureus Messaging Protocol (Vuze, BiglyBT: `AZMessageFactory`):
//! `<length: u32><id length: u32><id string><version and flags: u8><payload>`, with ids
//! `AZ_HANDSHAKE`, `BT_PIECE`, `AZ_PEER_EXCHANGE`, …. Its header is read as one more message
//! form: a 5th header byte of 0 (the id length's high byte) where a choke (length 1) cannot
//! be, an id length of 4–64 and an id starting `AZ_` or `BT_`. An id is also matched whole
//! against the ids BiglyBT and Vuze register ([`AZ_IDS`]), a byte at a time, and the version
//! byte after a known id is checked: on a stream read without its handshake
//! ([`Context::runs_need_payloads`]) two such frames in a row (no other message between them)
//! are [`Evidence::MESSAGE_FRAMING`], which the reader sets for nothing else (the flow makes it
//! conclusive, see `flow`).

use super::bencode::Tokenizer;
use super::extension::{self, ExtIds, Kind};
use super::pattern::Pattern;
use crate::observer::Observer;
use crate::verdict::{Direction, Evidence};

/// Largest message length accepted, in bytes: a bitfield for 2^21 pieces, or a 128 KiB block
/// plus its header. Longer length prefixes are framing errors.
pub const MAX_LEN: u32 = 1 << 18;

/// Largest block a piece message may carry (BEP 3 says 16 KiB is used; some clients allow
/// requests of up to 128 KiB).
pub const MAX_BLOCK: u32 = 1 << 17;

/// A peer wire message id (BEP 3, BEP 6, BEP 10, BEP 52). Unknown ids are values too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageId {
    /// 0 (BEP 3).
    Choke,
    /// 1 (BEP 3).
    Unchoke,
    /// 2 (BEP 3).
    Interested,
    /// 3 (BEP 3).
    NotInterested,
    /// 4 (BEP 3).
    Have,
    /// 5 (BEP 3).
    Bitfield,
    /// 6 (BEP 3).
    Request,
    /// 7 (BEP 3).
    Piece,
    /// 8 (BEP 3).
    Cancel,
    /// 9 (BEP 5, DHT port).
    Port,
    /// 13 (BEP 6).
    Suggest,
    /// 14 (BEP 6).
    HaveAll,
    /// 15 (BEP 6).
    HaveNone,
    /// 16 (BEP 6).
    Reject,
    /// 17 (BEP 6).
    AllowedFast,
    /// 20 (BEP 10).
    Extended,
    /// 21 (BEP 52).
    HashRequest,
    /// 22 (BEP 52).
    Hashes,
    /// 23 (BEP 52).
    HashReject,
    /// Any other id.
    Unknown(u8),
}

impl From<u8> for MessageId {
    fn from(id: u8) -> Self {
        match id {
            0 => Self::Choke,
            1 => Self::Unchoke,
            2 => Self::Interested,
            3 => Self::NotInterested,
            4 => Self::Have,
            5 => Self::Bitfield,
            6 => Self::Request,
            7 => Self::Piece,
            8 => Self::Cancel,
            9 => Self::Port,
            13 => Self::Suggest,
            14 => Self::HaveAll,
            15 => Self::HaveNone,
            16 => Self::Reject,
            17 => Self::AllowedFast,
            20 => Self::Extended,
            21 => Self::HashRequest,
            22 => Self::Hashes,
            23 => Self::HashReject,
            other => Self::Unknown(other),
        }
    }
}

/// True if a message with this id may have this length (id byte included).
#[must_use]
pub fn length_is_valid(id: MessageId, len: u32) -> bool {
    use MessageId as M;
    match id {
        M::Choke | M::Unchoke | M::Interested | M::NotInterested | M::HaveAll | M::HaveNone => {
            len == 1
        }
        M::Have | M::Suggest | M::AllowedFast => len == 5,
        M::Request | M::Cancel | M::Reject => len == 13,
        M::Port => len == 3,
        M::Bitfield | M::Extended => (2..=MAX_LEN).contains(&len),
        M::Piece => len > 9 && len <= MAX_BLOCK.saturating_add(9),
        // pieces root (32), base layer, index, length, proof layers (4 each), plus the id.
        M::HashRequest | M::HashReject => len == 49,
        M::Hashes => (49..=MAX_LEN).contains(&len) && len.wrapping_sub(49) % 32 == 0,
        M::Unknown(_) => false,
    }
}

/// What [`Reader::read`] reports about the framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Every byte fitted the framing: feed more.
    NeedMore,
    /// A message header was invalid: the bytes are not (or are no longer) peer wire messages.
    Invalid,
    /// On a stream read without its handshake ([`Context::runs_need_payloads`]), a second
    /// bitfield: valid framing in an order BEP 3 forbids (a bitfield "is only ever sent as the
    /// first message"; no client sends two on a connection). Not misaligned bytes, which fail
    /// their headers (`Invalid`), but a protocol whose type-5 messages recur: the flow is not
    /// peer wire.
    Refuted,
    /// The message that brought the count to [`Context::stop_after`] ended; the bytes after it
    /// were not read. The stop is at the same stream byte however the stream is cut.
    Limit,
}

/// Keep-alives in a row after which a stream is not read as peer wire messages: real clients
/// send one every two minutes between other messages; only a run of zero bytes has more.
pub const MAX_KEEPALIVES: u8 = 16;

/// `Reader::id` between messages: the high bit set, the low bits count keep-alives in a row.
const KEEPALIVES: u8 = 0x80;

/// `Reader::count` bit: a bitfield was read on a stream read without its handshake (a second
/// one is [`Step::Refuted`]). The count is the bits below it and saturates at [`MAX_COUNT`].
const BITFIELD_READ: u8 = 0x80;

/// Largest message count kept (the bits of `Reader::count` below [`BITFIELD_READ`]).
const MAX_COUNT: u8 = 0x7f;

/// `Reader::id` bit of the block transfer rule ([`Evidence::BLOCK_TRANSFER`]), set only when
/// [`Context::blocks`] is: in the body of a 16 KiB block's piece message ([`BLOCK_HEADER`])
/// whose index and `begin` fit so far; between messages after such a block (no keep-alive
/// since); at a piece index after such a block (the index's first byte decides). Message ids
/// are at most 23 and the keep-alive count at most 17, so the bit is free in those states; an
/// Azureus header (where `id` holds the id length) starts without it.
const BLOCK_MARK: u8 = 0x40;

/// `Reader::id` bit in the body of a message that counts toward a run only once its body
/// passes a check, on a stream read without its handshake ([`Context::runs_need_payloads`]):
/// an extended message (id 20) until the byte after its ext id (a bencoded dictionary's `d`),
/// a request, cancel or reject (ids 6, 8, 16) until the first two bytes of its block length
/// (below [`MAX_BLOCK`]). Ids are at most 23 and [`BLOCK_MARK`] is only ever set on a piece, so
/// the bit is free in those bodies.
const PENDING: u8 = 0x80;

/// Bytes at the end of a request, cancel or reject: its block length.
const LENGTH_FIELD: u32 = 4;

/// Bytes of the block a [`BLOCK_HEADER`] message carries (2^14).
const BLOCK_LEN: u32 = 1 << 14;

/// Bound on the `begin` offset of a 16 KiB block for [`Evidence::BLOCK_TRANSFER`]: 64 MiB.
/// A block is aligned to 16 KiB inside its piece, so `begin` is a multiple of 2^14 below the
/// piece length, a power of two (BEP 3: "almost always a power of two, most commonly 2^18";
/// BEP 52: a power of two of at least 16 KiB). Creators' automatic sizes stay at or below
/// 16 MiB (mktorrent's table); the largest a creator accepts is 256 MiB (mktorrent's
/// `-l 28`), and larger pieces have little client support. Every block of a piece of up to
/// 64 MiB is below the bound, half of a 128 MiB piece's and a quarter of a 256 MiB piece's
/// (a transfer sends many blocks; one below the bound is enough). A block past the bound is
/// still a valid message, only not this evidence. A length-prefixed file transfer framed like
/// a piece message is refuted once its offsets pass 64 MiB (see docs/limits.md).
pub const MAX_BLOCK_BEGIN: u32 = 1 << 26;

// The per-byte check of `begin` (`begin_byte_fits`) needs the bound to be a power of two of at
// least 2^24: then only the first byte limits it.
const _: () = assert!(MAX_BLOCK_BEGIN.is_power_of_two() && MAX_BLOCK_BEGIN >= 1 << 24);

// Header states in `Reader::hdr`: 0..=3 length bytes read, 4 = reading the id, 5 = in a body,
// 6 = at the first byte of a piece index; 7..=9: an Azureus frame's id length bytes 2–4;
// `AZ_ID + n`: `n` bytes of its id read (the frame's length still in `rem`). An id that is not
// in [`AZ_IDS`] is read up to its prefix (`AZ_ID + 2` at most; `id` is `AZ_B` once it started
// `B`); a known id up to its end, `AZ_ID + len` being its version byte (`id` is `AZ_NAMED` and
// the index of the first id of [`AZ_IDS`] that matches the bytes read so far).
const IN_BODY: u8 = 5;
const INDEX: u8 = 6;
const AZ_IDLEN: u8 = 7;
const AZ_ID: u8 = 10;
/// Bytes of an Azureus id's prefix (`AZ_`, `BT_`): the frame counts as a message once it is
/// read.
const AZ_PREFIX: usize = 3;
/// `Reader::id` bit while an Azureus id that is not a known one is read: it started with `B`
/// (`BT_`), not `A`.
const AZ_B: u8 = 0x80;
/// `Reader::id` bit while an Azureus id is matched against [`AZ_IDS`]; the bits of
/// [`AZ_INDEX`] hold the index of the first id that matches.
const AZ_NAMED: u8 = 0x40;
/// `Reader::id` bits of an index into [`AZ_IDS`] while an id is matched.
const AZ_INDEX: u8 = 0x1f;
/// `Reader::id` bit of the Azureus rule: the last message was an Azureus frame with a known id
/// and version. Set in that frame's body, kept between messages and through the next
/// Azureus frame's header (any other message or a keep-alive clears it). Message ids are at
/// most 23, the keep-alive count at most 17 and an index into [`AZ_IDS`] below 32, so the bit
/// is free in those states.
const AZ_MARK: u8 = 0x20;
/// Shortest and longest Azureus message id accepted (`AZ_HAVE`, `BT_PIECE`: the prefix and a
/// name; BiglyBT's decoder refuses more than 1024, its ids are under 32).
const AZ_ID_LEN: core::ops::RangeInclusive<u8> = 4..=64;

unstable! {
    /// The Azureus message ids that BiglyBT and Vuze register with their message manager
    /// (`BTMessageFactory.init`, `AZMessageFactory.init`; the strings of `BTMessage` and
    /// `AZMessage`), sorted by length, then bytes. `AZ_GENERIC_MAP` is not among them: a generic
    /// map message goes out under its plugin's own id.
    pub const AZ_IDS: [&[u8]; 29] = [
        b"AZ_HAVE",
        b"BT_HAVE",
        b"BT_CHOKE",
        b"BT_PIECE",
        b"BT_CANCEL",
        b"BT_HASHES",
        b"BT_REQUEST",
        b"BT_UNCHOKE",
        b"AZ_METADATA",
        b"AZ_STAT_REP",
        b"AZ_STAT_REQ",
        b"BT_BITFIELD",
        b"BT_DHT_PORT",
        b"BT_HAVE_ALL",
        b"AZ_BAD_PIECE",
        b"AZ_HANDSHAKE",
        b"BT_HANDSHAKE",
        b"BT_HAVE_NONE",
        b"BT_INTERESTED",
        b"BT_KEEP_ALIVE",
        b"BT_HASH_REJECT",
        b"AZ_REQUEST_HINT",
        b"BT_ALLOWED_FAST",
        b"BT_HASH_REQUEST",
        b"BT_UNINTERESTED",
        b"AZ_PEER_EXCHANGE",
        b"BT_SUGGEST_PIECE",
        b"BT_LT_EXT_MESSAGE",
        b"BT_REJECT_REQUEST",
    ];
}

/// The longest id of [`AZ_IDS`].
const AZ_LONGEST: u8 = 17;

// Every index fits `AZ_INDEX`, every id the header states and the prefix rule.
const _: () = {
    assert!(AZ_IDS.len() <= AZ_INDEX as usize + 1);
    let mut rest: &[&[u8]] = &AZ_IDS;
    while let Some((&id, tail)) = rest.split_first() {
        assert!(id.len() <= AZ_LONGEST as usize && id.len() >= *AZ_ID_LEN.start() as usize);
        assert!(matches!(id, [b'A', b'Z', b'_', ..] | [b'B', b'T', b'_', ..]));
        rest = tail;
    }
};

/// True for the version byte of an Azureus frame as BiglyBT and Vuze write it
/// (`AZMessageFactory.createAZRawMessage`): the version in the low nibble (1, or 2 with
/// padding support), flags in the high one, where only `0x1` is defined (padding, version 2
/// only: a `u16` padding length and the padding follow, so the frame has room for the length).
fn az_version_fits(byte: u8, room: u32) -> bool {
    match byte {
        1 | 2 => true,
        0x12 => room >= 2,
        _ => false,
    }
}

/// The index of the first id of [`AZ_IDS`] that is `len` bytes long.
fn az_first(len: u8) -> Option<u8> {
    let at = AZ_IDS.iter().position(|id| id.len() == usize::from(len))?;
    u8::try_from(at).ok()
}

/// The index of the first id of [`AZ_IDS`] that matches the bytes of the one at `index` before
/// position `at`, and `byte` at `at`; `index` must be the first that matches before `at` (the
/// ids that share a length and a prefix follow one another).
fn az_next(index: u8, at: usize, byte: u8) -> Option<u8> {
    let ids = AZ_IDS.get(usize::from(index)..)?;
    let (&first, _) = ids.split_first()?;
    let prefix = first.get(..at)?;
    let found = ids
        .iter()
        .take_while(|id| id.len() == first.len() && id.get(..at) == Some(prefix))
        .position(|id| id.get(at) == Some(&byte))?;
    u8::try_from(found).ok()?.checked_add(index)
}

/// True for the messages whose payload starts with a piece index (BEP 3 have, request, piece,
/// cancel; BEP 6 suggest, reject, allowed fast). The index's first byte must be zero: a
/// bitfield of at most [`MAX_LEN`] bytes covers 2^21 pieces, so no index reaches 2^24. The
/// check refutes other `<u32 length><type>` framings whose bodies start with a little-endian
/// counter or random bytes.
const fn starts_with_index(id: u8) -> bool {
    matches!(id, 4 | 6 | 7 | 8 | 13 | 16 | 17)
}

/// True if `byte`, the byte of a block's `begin` with `after` bytes after it, keeps `begin` a
/// multiple of 2^14 below [`MAX_BLOCK_BEGIN`] (a power of two of at least 2^24: only the first
/// byte counts against it).
fn begin_byte_fits(byte: u8, after: u32) -> bool {
    let value = u32::from(byte)
        .checked_shl(after.saturating_mul(8))
        .unwrap_or(u32::MAX);
    value & BLOCK_LEN.wrapping_sub(1) == 0 && value < MAX_BLOCK_BEGIN
}

/// Walks peer wire messages across segments; [`Reader`] is 20 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reader {
    /// Length being read (header) or payload bytes left (body).
    rem: u32,
    /// Bencode state of an extended message's payload.
    tok: Tokenizer,
    hdr: u8,
    /// The message's id (in a body or at a piece index), the keep-alives in a row
    /// ([`KEEPALIVES`], between messages) or an Azureus id's length; and [`BLOCK_MARK`].
    id: u8,
    /// Valid messages seen (keep-alives excluded), saturating at [`MAX_COUNT`]; and
    /// [`BITFIELD_READ`].
    count: u8,
    /// Extended-message state (see [`extension::Path`]).
    path: extension::Path,
}

impl Default for Reader {
    fn default() -> Self {
        Self::new()
    }
}

/// Everything [`Reader::read`] needs from and gives to the flow.
pub struct Context<'o, O: Observer> {
    /// Who sends the bytes being read.
    pub direction: Direction,
    /// Extension ids the receiving side advertised (decides what an extended message is).
    pub receiver_ids: ExtIds,
    /// Extension ids the sending side advertises in its extension handshake (output).
    pub sender_ids: ExtIds,
    /// Evidence found (output, accumulated).
    pub evidence: Evidence,
    /// Stop reading at the end of the message that brings the count of valid messages to this
    /// many, and read nothing more after it (`u8::MAX`: no limit).
    pub stop_after: u8,
    /// Whether a message without a payload (choke, unchoke, interested, not interested, have
    /// all, have none) or a bitfield counts only as the first valid message. Set for a stream
    /// read without its handshake: there such 5-byte messages are what any `<u32 length><type>`
    /// protocol's empty messages are (Riak's pings), a bitfield (type 5, any length) what its
    /// type-5 messages are, and BEP 3 sends a bitfield only as the first message; so a run
    /// needs other messages with a payload, and a second bitfield is [`Step::Refuted`]. A message with a payload counts only if it is
    /// what a BitTorrent client sends: a piece only as a 16 KiB block whose `begin` fits
    /// (checked where [`Context::blocks`] is set, at the end of `begin`; every client requests
    /// 16 KiB blocks, so chunked transfers of other sizes never make a run), a request, cancel
    /// or reject only with a block length below [`MAX_BLOCK`] (BEP 3: clients close
    /// connections that request more than 16 KiB), an extended message only with a bencoded
    /// dictionary after its ext id (its `d`). Messages that do not count are still valid.
    pub runs_need_payloads: bool,
    /// Whether 16 KiB blocks are checked for [`Evidence::BLOCK_TRANSFER`]: a piece message of
    /// length 16393 (id 7) whose index starts with a zero byte and whose `begin` is a multiple
    /// of 2^14 below [`MAX_BLOCK_BEGIN`], followed at once by a valid message header (not a
    /// keep-alive; a piece index's first byte included). Set for a stream read without its
    /// handshake.
    pub blocks: bool,
    /// Where extracted fields go.
    pub observer: &'o mut O,
}

impl Reader {
    /// A reader at a message boundary.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            rem: 0,
            tok: Tokenizer::new(),
            hdr: 0,
            id: 0,
            count: 0,
            path: extension::Path::IDLE,
        }
    }

    /// Valid messages read so far (keep-alives excluded), saturating at 127.
    #[must_use]
    pub const fn count(&self) -> u8 {
        self.count & MAX_COUNT
    }

    /// Count one more valid message.
    fn bump(&mut self) {
        if self.count() < MAX_COUNT {
            self.count = self.count.wrapping_add(1);
        }
    }

    /// True between messages: no part of a message header or body is pending.
    #[must_use]
    pub const fn at_boundary(&self) -> bool {
        self.hdr == 0
    }

    /// Skip `n` bytes inside the body of a message that is not an extended message, if the
    /// body goes on past them: exactly what [`Reader::read`] does with those bytes (nothing but
    /// counting them down), without its loop. False (and nothing skipped) otherwise.
    pub fn skip_in_body(&mut self, n: usize) -> bool {
        match u32::try_from(n) {
            Ok(n)
                if self.hdr == IN_BODY
                    && self.id != 20
                    && self.id & PENDING == 0
                    && self.rem > n
                    && !self.checks_begin() =>
            {
                self.rem = self.rem.saturating_sub(n);
                true
            }
            _ => false,
        }
    }

    /// True while a 16 KiB block's index and `begin` are read byte by byte.
    const fn checks_begin(&self) -> bool {
        self.id & BLOCK_MARK != 0 && self.rem > BLOCK_LEN
    }

    /// True in the body of an extended message (its ext id and payload are read).
    const fn extended(&self) -> bool {
        self.id & !PENDING == 20
    }

    /// True while a request's, cancel's or reject's block length is read byte by byte before
    /// it counts toward a run.
    const fn checks_length(&self) -> bool {
        self.id & PENDING != 0 && !self.extended() && self.rem <= LENGTH_FIELD
    }

    /// True once the count reached `stop_after` (never for `u8::MAX`).
    fn at_limit(&self, stop_after: u8) -> bool {
        stop_after != u8::MAX && self.count() >= stop_after
    }

    /// Read the next chunk of the stream.
    pub fn read<O: Observer>(&mut self, chunk: &[u8], cx: &mut Context<'_, O>) -> Step {
        // The limit is final once the message that reached it has ended (the count grows at
        // a message's header; its body may still be coming).
        if self.at_limit(cx.stop_after) && self.hdr == 0 {
            return Step::Limit;
        }
        let mut rest = chunk;
        while !rest.is_empty() {
            if self.hdr == INDEX {
                let Some((&byte, tail)) = rest.split_first() else {
                    break;
                };
                if byte != 0 {
                    return Step::Invalid;
                }
                if self.id & BLOCK_MARK != 0 {
                    // The header after a 16 KiB block is valid.
                    cx.evidence |= Evidence::BLOCK_TRANSFER;
                }
                // This message a 16 KiB block (16392 bytes after its id) to check?
                let id = self.id & !BLOCK_MARK;
                let block = cx.blocks && id == 7 && self.rem == BLOCK_LEN.saturating_add(8);
                self.id = if block { id | BLOCK_MARK } else { id };
                rest = tail;
                self.rem = self.rem.saturating_sub(1);
                if !cx.runs_need_payloads {
                    self.bump();
                } else if matches!(id, 6 | 8 | 16) {
                    // Counted once its block length is read.
                    self.id |= PENDING;
                }
                // Without a handshake a piece counts only as a 16 KiB block whose `begin`
                // fits, once `begin` is read; other messages with an index count now.
                else if id != 7 {
                    self.bump();
                }
                self.hdr = IN_BODY;
                continue;
            }
            if self.hdr == IN_BODY && self.checks_begin() {
                // A 16 KiB block's index (its last 3 bytes) and `begin`, byte by byte.
                let Some((&byte, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                // Bytes of `begin` after this one: 0..=3 for its bytes, more for the index's.
                let after = self.rem.saturating_sub(BLOCK_LEN.saturating_add(1));
                if after < 4 && !begin_byte_fits(byte, after) {
                    self.id &= !BLOCK_MARK;
                } else if after == 0 && cx.runs_need_payloads {
                    // A 16 KiB block whose `begin` fits: it counts toward a run.
                    self.bump();
                }
                self.rem = self.rem.saturating_sub(1);
                continue;
            }
            if self.hdr == IN_BODY && self.checks_length() {
                // A request's block length: it counts below 2^17 (its first two bytes).
                let Some((&byte, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                let fits = match self.rem {
                    LENGTH_FIELD => byte == 0,
                    3 => byte < 2,
                    _ => true,
                };
                if !fits {
                    self.id &= !PENDING;
                } else if self.rem == 3 {
                    self.id &= !PENDING;
                    self.bump();
                }
                self.rem = self.rem.saturating_sub(1);
                if self.rem == 0 {
                    self.end_message(cx);
                    if self.at_limit(cx.stop_after) {
                        return Step::Limit;
                    }
                }
                continue;
            }
            if self.hdr == IN_BODY {
                // A pending request's block length is read byte by byte.
                let held = if self.id & PENDING != 0 && !self.extended() {
                    LENGTH_FIELD
                } else {
                    0
                };
                let take = rest.len().min(self.rem.saturating_sub(held) as usize);
                let (body, tail) = rest.split_at(take);
                rest = tail;
                self.rem = self.rem.saturating_sub(take as u32);
                if self.extended() {
                    self.extended_body(body, cx);
                }
                if self.rem == 0 {
                    self.end_message(cx);
                    if self.at_limit(cx.stop_after) {
                        return Step::Limit;
                    }
                }
                continue;
            }
            let Some((&byte, tail)) = rest.split_first() else {
                break;
            };
            rest = tail;
            if self.hdr >= AZ_IDLEN {
                if !self.azureus_header(byte, cx) {
                    return Step::Invalid;
                }
                if self.hdr == IN_BODY && self.rem == 0 {
                    // A known id and its version, without a payload.
                    self.end_message(cx);
                    if self.at_limit(cx.stop_after) {
                        return Step::Limit;
                    }
                }
                continue;
            }
            if self.hdr < 4 {
                self.rem = (self.rem << 8) | u32::from(byte);
                self.hdr = self.hdr.saturating_add(1);
                if self.hdr == 4 {
                    if self.rem == 0 {
                        self.hdr = 0;
                        self.id = match self.id {
                            n if n >= KEEPALIVES => n.saturating_add(1),
                            _ => KEEPALIVES | 1,
                        };
                        if self.id > KEEPALIVES | MAX_KEEPALIVES {
                            return Step::Invalid;
                        }
                    } else if self.rem > MAX_LEN {
                        return Step::Invalid;
                    }
                }
                continue;
            }
            // hdr == 4: the id byte.
            if byte == 0 && self.rem != 1 {
                // Not a choke: the id length of an Azureus frame, maybe.
                self.hdr = AZ_IDLEN;
                self.id &= AZ_MARK;
                continue;
            }
            if !length_is_valid(MessageId::from(byte), self.rem) {
                return Step::Invalid;
            }
            // A 16 KiB block came just before (not even a keep-alive since).
            let after_block = self.id & BLOCK_MARK != 0;
            self.id = byte;
            self.rem = self.rem.saturating_sub(1);
            // Every message that starts with an index has one (its length was checked).
            if starts_with_index(byte) {
                // Its first byte completes the header (and decides the evidence).
                if after_block {
                    self.id |= BLOCK_MARK;
                }
                self.hdr = INDEX;
                continue;
            }
            if after_block {
                cx.evidence |= Evidence::BLOCK_TRANSFER;
            }
            let weak = self.rem == 0 || byte == 5;
            if byte == 5 && cx.runs_need_payloads {
                if self.count & BITFIELD_READ != 0 {
                    return Step::Refuted;
                }
                self.count |= BITFIELD_READ;
            }
            if byte == 20 && cx.runs_need_payloads {
                // Counted once the byte after its ext id is read.
                self.id |= PENDING;
            } else if !weak || !cx.runs_need_payloads || self.count() == 0 {
                self.bump();
            }
            self.hdr = IN_BODY;
            if byte == 20 {
                self.path = extension::Path::EXT_ID;
                self.tok = Tokenizer::new();
            }
            if self.rem == 0 {
                self.end_message(cx);
                if self.at_limit(cx.stop_after) {
                    return Step::Limit;
                }
            }
        }
        Step::NeedMore
    }

    /// One byte of an Azureus frame's header after its first (`hdr` ≥ [`AZ_IDLEN`]); false if
    /// it is not one. The frame counts as a message once its id's prefix is read; its body is
    /// skipped from the end of the prefix (an id not in [`AZ_IDS`]) or of the version byte.
    fn azureus_header<O: Observer>(&mut self, byte: u8, cx: &mut Context<'_, O>) -> bool {
        match self.hdr {
            AZ_IDLEN | 8 => {
                self.hdr = self.hdr.saturating_add(1);
                byte == 0
            }
            9 => {
                // Id length, id and the version byte fit in the frame.
                if !AZ_ID_LEN.contains(&byte) || self.rem < u32::from(byte).saturating_add(5) {
                    return false;
                }
                self.id = match az_first(byte) {
                    Some(index) => AZ_NAMED | (self.id & AZ_MARK) | index,
                    None => 0,
                };
                self.hdr = AZ_ID;
                true
            }
            _ => self.azureus_id(byte, cx),
        }
    }

    /// One byte of an Azureus frame's id, or the version byte after a known id.
    fn azureus_id<O: Observer>(&mut self, byte: u8, cx: &mut Context<'_, O>) -> bool {
        let at = usize::from(self.hdr.saturating_sub(AZ_ID));
        let named = if self.id & AZ_NAMED != 0 {
            AZ_IDS.get(usize::from(self.id & AZ_INDEX)).copied()
        } else {
            None
        };
        if let Some(name) = named {
            if at == name.len() {
                // The payload's room: the frame less the id length, the id and this byte.
                let header = u32::try_from(at.saturating_add(5)).unwrap_or(u32::MAX);
                let known = az_version_fits(byte, self.rem.saturating_sub(header));
                // Two known frames in a row, on a stream read without its handshake.
                if known && self.id & AZ_MARK != 0 && cx.runs_need_payloads {
                    cx.evidence |= Evidence::MESSAGE_FRAMING;
                }
                self.enter_body(at.saturating_add(1), if known { AZ_MARK } else { 0 });
                return true;
            }
            if let Some(index) = az_next(self.id & AZ_INDEX, at, byte) {
                self.id = (self.id & !AZ_INDEX) | index;
                self.id_byte_read(at);
                return true;
            }
            if at >= AZ_PREFIX {
                // Past the prefix, any name: the rest is skipped with the body.
                self.enter_body(at.saturating_add(1), 0);
                return true;
            }
        }
        // The prefix of an id that is not (or no longer) a known one.
        let b = match named {
            Some(name) => name.first() == Some(&b'B'),
            None => self.id & AZ_B != 0,
        };
        let fits = match at {
            0 => matches!(byte, b'A' | b'B'),
            1 => byte == if b { b'T' } else { b'Z' },
            _ => byte == b'_',
        };
        if !fits {
            return false;
        }
        self.id = if (at == 0 && byte == b'B') || (at > 0 && b) {
            AZ_B
        } else {
            0
        };
        self.id_byte_read(at);
        if at.saturating_add(1) == AZ_PREFIX {
            self.enter_body(AZ_PREFIX, 0);
        }
        true
    }

    /// The id byte at `at` fitted: the next one, and the frame counts once its prefix is read.
    fn id_byte_read(&mut self, at: usize) {
        self.hdr = self.hdr.saturating_add(1);
        if at.saturating_add(1) == AZ_PREFIX {
            self.bump();
        }
    }

    /// The body of an Azureus frame after `id_bytes` bytes of its header past the id length
    /// (`rem` held the frame's length), with `mark` ([`AZ_MARK`] or nothing) in `id`.
    fn enter_body(&mut self, id_bytes: usize, mark: u8) {
        let read = u32::try_from(id_bytes.saturating_add(4)).unwrap_or(u32::MAX);
        self.rem = self.rem.saturating_sub(read);
        self.hdr = IN_BODY;
        self.id = mark;
    }

    fn end_message<O: Observer>(&mut self, cx: &mut Context<'_, O>) {
        if self.extended() {
            extension::finish(self.path, &self.tok, cx);
        }
        self.hdr = 0;
        self.rem = 0;
        // A 16 KiB block whose `begin` fitted, or an Azureus frame with a known id, leaves its
        // mark for the next header.
        self.id &= BLOCK_MARK | AZ_MARK;
        self.path = extension::Path::IDLE;
    }

    fn extended_body<O: Observer>(&mut self, body: &[u8], cx: &mut Context<'_, O>) {
        let mut body = body;
        if self.path == extension::Path::EXT_ID {
            let Some((&ext_id, tail)) = body.split_first() else {
                return;
            };
            body = tail;
            self.path = extension::Path::start(Kind::of(ext_id, cx.receiver_ids));
        }
        if self.id & PENDING != 0 {
            if let Some(&first) = body.first() {
                // Every extended message's payload is a bencoded dictionary (BEP 10's
                // handshake, BEP 9, BEP 11).
                self.id &= !PENDING;
                if first == b'd' {
                    self.bump();
                }
            }
        }
        if !body.is_empty() {
            self.path = extension::feed(self.path, &mut self.tok, body, cx);
        }
    }
}

/// The header of a piece message carrying a 16 KiB block (BEP 3 "piece": length 16393 =
/// id, index, begin and 2^14 bytes of block; id 7), the block size every current client
/// requests (libtorrent, Transmission, µTorrent, qBittorrent: `block_size` 16 KiB).
pub const BLOCK_HEADER: [u8; 5] = [0, 0, 0x40, 0x09, 7];

unstable! {
    /// Finds [`BLOCK_HEADER`] anywhere in a stream cut into any pieces; one byte of state (the
    /// header bytes matched so far). This is how a side picked up inside a piece transfer finds
    /// a message boundary: the next block's header is at most one block away.
    ///
    /// The header starts with two zero bytes, so after a mismatch a match may go on from the
    /// zeros just read (the search in `wire::pattern`): however the stream is cut, the state
    /// after any byte is the longest part of the header that ends there. Random bytes complete the
    /// header with probability 2^-40 per offset.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct BlockFinder {
        search: Pattern,
    }
}

impl BlockFinder {
    /// A finder that has seen nothing.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            search: Pattern::new(),
        }
    }

    /// Scan `chunk`. When the header completes, returns the bytes of `chunk` up to and
    /// including its last byte (the piece's index follows) and starts over.
    pub fn find(&mut self, chunk: &[u8]) -> Option<usize> {
        self.search.find(&BLOCK_HEADER, chunk)
    }
}

impl BlockFinder {
    pub(crate) const ENCODED_LEN: usize = 1;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u8(self.search.matched());
    }

    /// `None` unless fewer than 5 header bytes are matched (a complete match starts over).
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let search = Pattern::resume(&BLOCK_HEADER, r.u8()?)?;
        Some(Self { search })
    }
}

/// True for an Azureus id state `read` can leave with `at` bytes of the id read: a known id's
/// index (and maybe [`AZ_MARK`]) where those bytes first match, up to its version byte, or an
/// unknown id's prefix (and [`AZ_B`] once its first byte was `B`); the frame's length in `rem`
/// leaves room for the id length, the id and a version byte.
fn az_id_state_fits(at: u8, id: u8, rem: u32) -> bool {
    let at = usize::from(at);
    let len = if id & AZ_NAMED != 0 {
        let index = id & AZ_INDEX;
        let Some(name) = AZ_IDS.get(usize::from(index)) else {
            return false;
        };
        if id & AZ_B != 0 || at > name.len() || az_walk(name, at) != Some(index) {
            return false;
        }
        name.len()
    } else {
        if id & !AZ_B != 0 || at >= AZ_PREFIX || (at == 0 && id != 0) {
            return false;
        }
        usize::from(*AZ_ID_LEN.start())
    };
    let least = u32::try_from(len.saturating_add(5)).unwrap_or(u32::MAX);
    (least..=MAX_LEN).contains(&rem)
}

/// The index `read` holds once the first `at` bytes of `name`, a known id, are matched.
fn az_walk(name: &[u8], at: usize) -> Option<u8> {
    let start = az_first(u8::try_from(name.len()).ok()?)?;
    name.get(..at)?
        .iter()
        .enumerate()
        .try_fold(start, |index, (i, &byte)| az_next(index, i, byte))
}

// The reader's part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl Reader {
    pub(crate) const ENCODED_LEN: usize = 7 + Tokenizer::ENCODED_LEN + 1;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u32(self.rem);
        self.tok.encode(w);
        w.u8(self.hdr);
        w.u8(self.id);
        w.u8(self.count);
        self.path.encode(w);
    }

    /// `None` unless the header state and the length it holds are ones `read` can leave:
    /// `hdr` 0..=3 with only `hdr` length bytes read, 4 with a valid non-zero length, 5
    /// with at most [`MAX_LEN`] bytes left, 6 with at least the index's 4 bytes left, or
    /// inside an Azureus frame's header with its length and the id length read so far (a
    /// known id's index where its bytes read so far first match); and [`BLOCK_MARK`] and
    /// [`AZ_MARK`] only where `read` sets them.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let rem = r.u32()?;
        let tok = Tokenizer::decode(r)?;
        let hdr = r.u8_if(|h| h <= AZ_ID.saturating_add(AZ_LONGEST))?;
        let id = r.u8()?;
        let count = r.u8()?;
        let path = extension::Path::decode(r)?;
        let rem_ok = match hdr {
            0..=3 => {
                rem.checked_shr(u32::from(hdr).saturating_mul(8))
                    .unwrap_or(0)
                    == 0
            }
            4 => (1..=MAX_LEN).contains(&rem),
            IN_BODY => rem <= MAX_LEN,
            INDEX => (4..=MAX_LEN).contains(&rem),
            AZ_IDLEN..AZ_ID => id & !AZ_MARK == 0 && (2..=MAX_LEN).contains(&rem),
            _ => az_id_state_fits(hdr.saturating_sub(AZ_ID), id, rem),
        };
        // The block mark only where `read` sets it: alone between messages, on a message with
        // an index at its index, on a 16 KiB block before its block ends.
        let mark_ok = id & BLOCK_MARK == 0
            || match hdr {
                0..=4 => id == BLOCK_MARK,
                INDEX => starts_with_index(id & !BLOCK_MARK),
                IN_BODY => id == 7 | BLOCK_MARK && rem <= BLOCK_LEN.saturating_add(7),
                _ => true,
            };
        // The pending bit only in the bodies `read` sets it in.
        let pending_ok = hdr != IN_BODY
            || id & PENDING == 0
            || matches!(id & !PENDING, 6 | 8 | 16 | 20);
        // The Azureus mark alone between messages and in a known frame's body, with the
        // index of a known id in its header (`az_id_state_fits`).
        let az_ok = id & AZ_MARK == 0
            || match hdr {
                0..=IN_BODY | AZ_IDLEN..AZ_ID => id == AZ_MARK,
                INDEX => false,
                _ => true,
            };
        (rem_ok && mark_ok && pending_ok && az_ok).then_some(Self {
            rem,
            tok,
            hdr,
            id,
            count,
            path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::az_frame;
    use crate::observer::Metadata;
    use std::vec::Vec;

    /// A context for the initiator's side after a handshake, no extension ids known, every
    /// message read, fields to `observer`; tests change what they need with `..`.
    fn context<O: Observer>(observer: &mut O) -> Context<'_, O> {
        Context {
            direction: Direction::Initiator,
            receiver_ids: ExtIds::default(),
            sender_ids: ExtIds::default(),
            evidence: Evidence::NONE,
            stop_after: u8::MAX,
            runs_need_payloads: false,
            blocks: false,
            observer,
        }
    }

    fn msg(id: u8, payload: &[u8]) -> Vec<u8> {
        let mut m = ((payload.len() + 1) as u32).to_be_bytes().to_vec();
        m.push(id);
        m.extend_from_slice(payload);
        m
    }

    fn run(stream: &[u8], size: usize) -> (Step, u8, Evidence, ExtIds, Metadata) {
        let mut r = Reader::new();
        let mut meta = Metadata::new();
        let mut cx = Context {
            receiver_ids: ExtIds {
                pex: 1,
                metadata: 2,
            },
            ..context(&mut meta)
        };
        let mut step = Step::NeedMore;
        for chunk in stream.chunks(size.max(1)) {
            step = r.read(chunk, &mut cx);
            if step == Step::Invalid {
                break;
            }
        }
        let (e, ids) = (cx.evidence, cx.sender_ids);
        (step, r.count(), e, ids, meta)
    }

    #[test]
    fn a_piece_index_starts_with_a_zero_byte() {
        for id in [4u8, 13, 17] {
            let (step, count, ..) = run(&msg(id, &[0, 0x1f, 0xff, 0xff]), 1);
            assert_eq!((step, count), (Step::NeedMore, 1), "id {id}");
            // A little-endian counter (protobuf's fixed32) read as an index.
            let (step, count, ..) = run(&msg(id, &[1, 0, 0, 0]), 1);
            assert_eq!((step, count), (Step::Invalid, 0), "id {id}");
        }
        let request = msg(6, &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0]);
        assert_eq!(run(&request, 3).0, Step::Invalid);
        let piece = msg(7, &[&[0x80, 0, 0, 1][..], &[0u8; 100]].concat());
        assert_eq!(run(&piece, 7).0, Step::Invalid);
    }

    #[test]
    fn without_a_handshake_a_run_needs_payloads() {
        let pings = [msg(1, &[]), msg(1, &[]), msg(2, &[]), msg(0, &[])].concat();
        let count = |stream: &[u8], runs_need_payloads: bool| {
            let mut r = Reader::new();
            let mut none = crate::observer::NoObserver;
            let mut cx = Context {
                runs_need_payloads,
                ..context(&mut none)
            };
            assert_eq!(r.read(stream, &mut cx), Step::NeedMore);
            r.count()
        };
        assert_eq!(count(&pings, false), 4);
        assert_eq!(count(&pings, true), 1, "only the first empty message counts");
        let late_bitfield = [msg(2, &[]), msg(5, &[0xfe]), msg(1, &[])].concat();
        assert_eq!(count(&late_bitfield, true), 1, "a bitfield counts only first");
        let mixed = [msg(2, &[]), msg(4, &[0, 0, 0, 9]), msg(1, &[]), msg(4, &[0, 0, 0, 3])].concat();
        assert_eq!(count(&mixed, true), 3);
    }

    /// Without a handshake a second bitfield refutes the stream at its id byte, at every cut;
    /// after a handshake two bitfields are only messages, and a bitfield after other messages
    /// (what a client that fetched the metadata first sends) is valid.
    #[test]
    fn without_a_handshake_a_second_bitfield_refutes() {
        let feed = |stream: &[u8], size: usize, runs_need_payloads: bool| {
            let mut r = Reader::new();
            let mut none = crate::observer::NoObserver;
            let mut cx = Context {
                runs_need_payloads,
                ..context(&mut none)
            };
            let mut fed = 0;
            for chunk in stream.chunks(size) {
                let step = r.read(chunk, &mut cx);
                fed += chunk.len();
                if step != Step::NeedMore {
                    return (step, fed);
                }
            }
            (Step::NeedMore, fed)
        };
        let first = [msg(5, &[0xff; 12]), msg(4, &[0, 0, 0, 9])].concat();
        let stream = [&first[..], &msg(5, &[0xfe; 12]), &msg(4, &[0, 0, 0, 3])].concat();
        // The offset of the second bitfield's id byte.
        let id_at = first.len() + 4;
        for size in 1..stream.len() {
            let (step, fed) = feed(&stream, size, true);
            assert_eq!(step, Step::Refuted, "chunks of {size}");
            // In the chunk that holds the id byte.
            assert!(fed > id_at && fed <= id_at + size, "chunks of {size}: {fed}");
            assert_eq!(feed(&stream, size, false).0, Step::NeedMore, "chunks of {size}");
        }
        let metadata_first = [
            msg(20, b"\x00d1:md11:ut_metadatai2eee"),
            msg(20, b"\x02d8:msg_typei1e5:piecei0ee"),
            msg(5, &[0xff; 12]),
            msg(4, &[0, 0, 0, 7]),
        ]
        .concat();
        for size in 1..metadata_first.len() {
            let all = (Step::NeedMore, metadata_first.len());
            assert_eq!(feed(&metadata_first, size, true), all, "chunks of {size}");
        }
    }

    /// Without a handshake, pieces, requests and extended messages count toward a run only
    /// as a client sends them, at every cut; the others are still valid messages.
    #[test]
    fn without_a_handshake_only_clients_messages_count() {
        let count = |stream: &[u8], size: usize| {
            let mut r = Reader::new();
            let mut none = crate::observer::NoObserver;
            let mut cx = Context {
                runs_need_payloads: true,
                blocks: true,
                ..context(&mut none)
            };
            for chunk in stream.chunks(size) {
                assert_eq!(r.read(chunk, &mut cx), Step::NeedMore, "chunks of {size}");
            }
            (r.count(), r.at_boundary())
        };
        let request = |id: u8, length: u32| {
            let mut p = std::vec![0, 0, 0, 3, 0, 0, 0x40, 0];
            p.extend(length.to_be_bytes());
            msg(id, &p)
        };
        let cases: [(Vec<u8>, u8); 13] = [
            (request(6, 16384), 1),
            (request(8, MAX_BLOCK - 1), 1),
            (request(16, 16384), 1),
            (request(6, MAX_BLOCK), 0),
            (request(6, 0x0100_4000), 0),
            (msg(20, b"\x01d5:added0:e"), 1),
            (msg(20, b"\x00d1:md6:ut_pexi1eee"), 1),
            (msg(20, b"\x01"), 0),
            (msg(20, &[0, 0, 0, 0, 0, 0x40, 0, 0]), 0),
            (block(5, 16384), 1),
            (block(5, 8192), 0),
            (block(5, MAX_BLOCK_BEGIN), 0),
            (msg(7, &[0, 0, 0, 5, 0, 0, 0, 0, 1, 2, 3]), 0),
        ];
        for (i, (stream, counted)) in cases.iter().enumerate() {
            for size in [1, 2, 3, 5, 7, stream.len()] {
                assert_eq!(count(stream, size), (*counted, true), "case {i}, chunks of {size}");
            }
        }
        let have = msg(4, &[0, 0, 0, 9]);
        let run = [have.clone(), request(6, 16384), msg(20, b"\x02d8:msg_typei0ee"), have].concat();
        for size in 1..run.len() {
            assert_eq!(count(&run, size), (4, true), "chunks of {size}");
        }
    }

    #[test]
    fn lengths_per_id() {
        assert!(length_is_valid(MessageId::Choke, 1));
        assert!(!length_is_valid(MessageId::Choke, 2));
        assert!(length_is_valid(MessageId::Request, 13));
        assert!(length_is_valid(MessageId::Piece, 9 + 16384));
        assert!(!length_is_valid(MessageId::Piece, 9));
        assert!(length_is_valid(MessageId::Hashes, 49 + 64));
        assert!(!length_is_valid(MessageId::Hashes, 50));
        assert!(!length_is_valid(MessageId::from(10), 1));
    }

    #[test]
    fn walks_a_session_in_any_pieces() {
        let mut s = Vec::new();
        s.extend(msg(
            20,
            b"\x00d1:md6:ut_pexi1e11:ut_metadatai2ee1:pi6881e1:v9:Test 1.23e",
        ));
        s.extend(msg(5, &[0xff, 0x80]));
        s.extend([0, 0, 0, 0]);
        s.extend(msg(2, &[]));
        s.extend(msg(6, &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 0]));
        s.extend(msg(7, &[&[0, 0, 0, 7][..], &[7u8; 4 + 16384]].concat()));
        s.extend(msg(
            20,
            b"\x01d5:added12:\x0a\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x1a\xe17:added.f2:\x00\x00e",
        ));
        s.extend(msg(20, b"\x02d8:msg_typei0e5:piecei0ee"));
        for size in [1, 2, 3, 7, 64, 1000, s.len()] {
            let (step, count, e, ids, meta) = run(&s, size);
            assert_eq!(step, Step::NeedMore, "size {size}");
            assert_eq!(count, 7, "size {size}");
            assert!(e.contains(
                Evidence::EXTENSION_HANDSHAKE
                    | Evidence::UT_PEX
                    | Evidence::UT_METADATA
                    | Evidence::PEX_MESSAGE
                    | Evidence::METADATA_MESSAGE
            ));
            assert_eq!(
                ids,
                ExtIds {
                    pex: 1,
                    metadata: 2
                }
            );
            assert_eq!(meta.listen_port(Direction::Initiator), Some(6881));
            assert_eq!(
                meta.client_name(Direction::Initiator),
                Some(&b"Test 1.23"[..])
            );
        }
    }

    #[test]
    fn invalid_headers() {
        assert_eq!(run(&msg(0, &[1]), 100).0, Step::Invalid);
        assert_eq!(run(&msg(11, &[]), 100).0, Step::Invalid);
        assert_eq!(run(&[0, 0x10, 0, 0, 7], 100).0, Step::Invalid);
        assert_eq!(run(b"\x16\x03\x01\x02\x00", 100).0, Step::Invalid);
        let zeros = [0u8; 4 * (MAX_KEEPALIVES as usize + 1)];
        assert_eq!(
            run(&zeros, 7).0,
            Step::Invalid,
            "a run of zero bytes is not peer wire"
        );
        let mut spaced = Vec::new();
        for _ in 0..40 {
            spaced.extend_from_slice(&[0; 4]);
            spaced.extend(msg(2, &[]));
        }
        assert_eq!(
            run(&spaced, 5).0,
            Step::NeedMore,
            "keep-alives between messages are fine"
        );
    }

    #[test]
    fn stops_at_the_same_byte_however_cut() {
        let mut s = Vec::new();
        for i in 0..5u8 {
            s.extend(msg(4, &[0, 0, 0, i]));
        }
        // The sixth message reaches the limit and is read to its end; the seventh is not.
        s.extend(msg(20, b"\x00d1:md6:ut_pexi1eee"));
        s.extend(msg(20, b"\x00d1:md11:ut_metadatai2eee"));
        for size in 1..=s.len() {
            let mut r = Reader::new();
            let mut meta = Metadata::new();
            let mut cx = Context {
                stop_after: 6,
                ..context(&mut meta)
            };
            let mut last = Step::NeedMore;
            for chunk in s.chunks(size) {
                last = r.read(chunk, &mut cx);
            }
            assert_eq!(last, Step::Limit, "size {size}");
            assert_eq!(r.count(), 6);
            assert_eq!(
                cx.evidence,
                Evidence::EXTENSION_HANDSHAKE | Evidence::UT_PEX,
                "size {size}: the limit message is read whole, nothing after it"
            );
            assert_eq!(
                r.read(&msg(2, &[]), &mut cx),
                Step::Limit,
                "the limit is final"
            );
        }
    }

    /// A piece message carrying a 16 KiB block of piece `index` at `begin`.
    fn block(index: u32, begin: u32) -> Vec<u8> {
        let mut p = index.to_be_bytes().to_vec();
        p.extend_from_slice(&begin.to_be_bytes());
        p.extend((0..16384u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        msg(7, &p)
    }

    /// The evidence and the step after reading `stream` with block checks on, cut at `cuts`.
    fn blocks_read(stream: &[u8], cuts: &[usize], blocks: bool) -> (Evidence, Step) {
        let mut r = Reader::new();
        let mut none = crate::observer::NoObserver;
        let mut cx = Context {
            direction: Direction::Responder,
            runs_need_payloads: true,
            blocks,
            ..context(&mut none)
        };
        let mut step = Step::NeedMore;
        let mut start = 0;
        for end in cuts.iter().copied().chain([stream.len()]) {
            let mut part = &stream[start..end.max(start)];
            start = end.max(start);
            // The flow's fast path, where it would take it.
            if r.skip_in_body(part.len()) {
                part = &[];
            }
            step = r.read(part, &mut cx);
            if step != Step::NeedMore {
                break;
            }
        }
        (cx.evidence, step)
    }

    /// A 16 KiB block whose `begin` is a multiple of 2^14 below 64 MiB, followed at once by a
    /// valid message header, is a block transfer, at every cut; near misses are not.
    #[test]
    fn block_transfer() {
        let have = msg(4, &[0, 0, 0, 9]);
        let yes: [Vec<u8>; 5] = [
            [block(5, 0), block(5, 16384)].concat(),
            [block(0, MAX_BLOCK_BEGIN - 16384), have.clone()].concat(),
            [block(0x00ff_ffff, 0x0123_c000), msg(1, &[])].concat(),
            [block(5, 1 << 20), msg(20, b"\x01d5:added0:e")].concat(),
            [block(5, 0), msg(5, &[0xff])].concat(),
        ];
        for stream in &yes {
            for size in [1, 2, 3, 5, 7, 1448, 16393, 16397, stream.len()] {
                let cuts: Vec<usize> = (1..).map(|i| i * size).take_while(|&c| c < stream.len()).collect();
                let (e, step) = blocks_read(stream, &cuts, true);
                assert!(e.contains(Evidence::BLOCK_TRANSFER), "chunks of {size}");
                assert_eq!(step, Step::NeedMore);
            }
            for cut in 0..=stream.len() {
                assert!(blocks_read(stream, &[cut], true).0.contains(Evidence::BLOCK_TRANSFER), "cut at {cut}");
            }
            assert_eq!(blocks_read(stream, &[], false).0, Evidence::NONE, "only where asked");
        }
        let mut long = block(5, 0);
        let len = long.len();
        long[3] = 0x0a; // a 16385-byte block
        long.insert(len, 0);
        let no: [Vec<u8>; 10] = [
            // `begin` not a multiple of 16 KiB, or not below 64 MiB.
            [block(5, 8192), have.clone()].concat(),
            [block(5, 1), have.clone()].concat(),
            [block(5, 0x0100), have.clone()].concat(),
            [block(5, MAX_BLOCK_BEGIN), have.clone()].concat(),
            [block(5, 0x8000_0000), have.clone()].concat(),
            // Not followed by a valid header: a keep-alive first, an invalid header, a piece
            // whose index starts with a non-zero byte, the stream's end.
            [block(5, 0), std::vec![0, 0, 0, 0], have.clone()].concat(),
            [block(5, 0), std::vec![0, 0, 0, 2, 1, 0]].concat(),
            [block(5, 0), msg(4, &[1, 0, 0, 9])].concat(),
            block(5, 0),
            // Not a 16 KiB block.
            [long, have.clone()].concat(),
        ];
        for (i, stream) in no.iter().enumerate() {
            for size in [1, 7, 1448, stream.len()] {
                let cuts: Vec<usize> = (1..).map(|i| i * size).take_while(|&c| c < stream.len()).collect();
                let (e, _) = blocks_read(stream, &cuts, true);
                assert!(!e.contains(Evidence::BLOCK_TRANSFER), "case {i}, chunks of {size}");
            }
        }
    }

    /// The block header is found at every position and every cut, after partial matches
    /// (`00 00 00 40 09 07`, `00 00 40 00 00 40 09 07`), and nowhere else.
    #[test]
    fn block_finder_across_cuts() {
        let mut stream = std::vec![0xaa, 0, 0, 0, 0x40, 9, 7, 1, 0, 0, 0x40, 0, 0, 0x40, 9, 7];
        stream.extend_from_slice(&[0, 0, 0x40, 9, 6, 0, 0x40, 9, 7, 0, 0]);
        let whole: Vec<usize> = {
            let mut f = BlockFinder::new();
            let mut found = Vec::new();
            let mut at = 0;
            while let Some(n) = f.find(&stream[at..]) {
                at += n;
                found.push(at);
            }
            found
        };
        assert_eq!(whole, [7, 16]);
        for size in 1..stream.len() {
            let mut f = BlockFinder::new();
            let mut found = Vec::new();
            for (i, chunk) in stream.chunks(size).enumerate() {
                let mut at = 0;
                while let Some(n) = f.find(&chunk[at..]) {
                    at += n;
                    found.push(i * size + at);
                }
            }
            assert_eq!(found, whole, "chunks of {size}");
        }
    }

    fn count_of(stream: &[u8], size: usize) -> (u8, Step) {
        let mut meta = Metadata::new();
        let mut cx = context(&mut meta);
        let mut r = Reader::new();
        let mut step = Step::NeedMore;
        for chunk in stream.chunks(size) {
            step = r.read(chunk, &mut cx);
            if step != Step::NeedMore {
                break;
            }
        }
        (r.count(), step)
    }

    /// Azureus Messaging Protocol frames (Vuze, BiglyBT) count as messages, their bodies
    /// skipped, mixed with BEP 3 messages and cut anywhere; near misses are invalid.
    #[test]
    fn azureus_frames() {
        let stream = [
            az_frame("AZ_HANDSHAKE", b"d11:identity20:01234567890123456789e"),
            az_frame("BT_BITFIELD", &[0xff; 40]),
            msg(1, &[]),
            az_frame("BT_PIECE", &[7; 3000]),
            az_frame("AZ_HAVE", b"d6:piecesli1ei2eee"),
        ]
        .concat();
        for size in [1, 2, 3, 7, 13, stream.len()] {
            assert_eq!(count_of(&stream, size), (5, Step::NeedMore), "chunks of {size}");
        }
        let cases: [Vec<u8>; 6] = [
            az_frame("XZ_HANDSHAKE", b""),
            az_frame("AT_PIECE", b""),
            az_frame("AZ-HAVE", b""),
            az_frame("BT_", b""),
            az_frame(&"AZ_".repeat(22), b""),
            // A length too short for its id.
            [&[0, 0, 0, 8, 0, 0, 0, 7][..], b"AZ_HAVE"].concat(),
        ];
        for bad in cases {
            assert_eq!(count_of(&bad, 1).1, Step::Invalid, "{bad:?}");
        }
        // A choke is still a choke.
        assert_eq!(count_of(&msg(0, &[]), 1), (1, Step::NeedMore));
    }

    /// The evidence, the count and whether the reader ended between messages (false once a
    /// header was invalid) after reading `stream` without a handshake (`runs_need_payloads`),
    /// cut at `cuts`, each state on the way also encoded and decoded back as the flow's
    /// snapshot does.
    fn az_read(stream: &[u8], cuts: &[usize], runs_need_payloads: bool) -> (Evidence, u8, bool) {
        let mut r = Reader::new();
        let mut none = crate::observer::NoObserver;
        let mut cx = Context {
            runs_need_payloads,
            blocks: runs_need_payloads,
            ..context(&mut none)
        };
        let mut start = 0;
        for end in cuts.iter().copied().chain([stream.len()]) {
            let end = end.clamp(start, stream.len());
            if r.read(&stream[start..end], &mut cx) != Step::NeedMore {
                return (cx.evidence, r.count(), false);
            }
            start = end;
            let mut buf = [0u8; Reader::ENCODED_LEN];
            r.encode(&mut crate::codec::StateWriter::new(&mut buf));
            let back = Reader::decode(&mut crate::codec::StateReader::new(&buf));
            assert_eq!(back, Some(r), "snapshot at {end}");
        }
        (cx.evidence, r.count(), r.at_boundary())
    }

    /// `id`'s frame with version `version` and `payload`.
    fn az_versioned(id: &[u8], version: u8, payload: &[u8]) -> Vec<u8> {
        let mut body = (id.len() as u32).to_be_bytes().to_vec();
        body.extend_from_slice(id);
        body.push(version);
        body.extend_from_slice(payload);
        let mut m = (body.len() as u32).to_be_bytes().to_vec();
        m.extend(body);
        m
    }

    #[test]
    fn az_ids_sorted_by_length_then_bytes() {
        for pair in AZ_IDS.windows(2) {
            assert!((pair[0].len(), pair[0]) < (pair[1].len(), pair[1]), "{pair:?}");
        }
        assert_eq!(AZ_IDS.iter().map(|id| id.len()).max(), Some(usize::from(AZ_LONGEST)));
    }

    /// Two Azureus frames with known ids and versions in a row, without a handshake, are
    /// `message_framing`: at every single cut and in chunks of any size, every pair of known
    /// ids, with and without payloads and padding; the frames count as before.
    #[test]
    fn azureus_known_frames_at_every_cut() {
        let stream = [
            az_versioned(b"BT_REQUEST", 2, &[0, 0, 0, 9, 0, 0, 0x40, 0, 0, 0, 0x40, 0]),
            az_versioned(b"BT_CHOKE", 2, &[]),
            az_versioned(b"AZ_HAVE", 0x12, b"\x00\x03abcd1:pli1eee"),
            az_versioned(b"BT_PIECE", 1, &[7; 300]),
        ]
        .concat();
        let (e, count, boundary) = az_read(&stream, &[], true);
        assert_eq!((e, count, boundary), (Evidence::MESSAGE_FRAMING, 4, true));
        for cut in 0..=stream.len() {
            assert_eq!(az_read(&stream, &[cut], true), (e, count, boundary), "cut at {cut}");
        }
        for size in 1..40 {
            let cuts: Vec<usize> = (1..).map(|i| i * size).take_while(|&c| c < stream.len()).collect();
            assert_eq!(az_read(&stream, &cuts, true), (e, count, boundary), "chunks of {size}");
        }
        assert_eq!(az_read(&stream, &[], false).0, Evidence::NONE, "after a handshake: nothing to prove");
        for a in AZ_IDS {
            for b in AZ_IDS {
                let pair = [az_versioned(a, 2, &[1, 2]), az_versioned(b, 1, &[])].concat();
                let (e, count, boundary) = az_read(&pair, &[5, 9, 13], true);
                assert_eq!((e, count, boundary), (Evidence::MESSAGE_FRAMING, 2, true), "{a:?} {b:?}");
            }
        }
    }

    /// Near misses are valid frames (when their prefix is), but never the evidence: one known
    /// frame alone, or followed by an id one byte off, one byte longer or shorter, a version
    /// byte other than 1, 2 or 0x12 (0x12 without room for the padding length), or a message
    /// or keep-alive in between.
    #[test]
    fn azureus_near_misses() {
        let first = az_versioned(b"BT_HAVE", 2, &[0, 0, 0, 5]);
        let mut near: Vec<Vec<u8>> = Vec::new();
        for id in AZ_IDS {
            for at in 0..id.len() {
                for byte in [b'A', b'B', b'T', b'Z', b'_', b'X', b'a', 0] {
                    let mut other = id.to_vec();
                    other[at] = byte;
                    if !AZ_IDS.contains(&other.as_slice()) {
                        near.push(az_versioned(&other, 2, &[1]));
                    }
                }
            }
            near.push(az_versioned(&[id, &b"S"[..]].concat(), 2, &[1]));
            near.push(az_versioned(&id[..id.len() - 1], 2, &[1]));
            for version in [0u8, 3, 0x11, 0x21, 0x22, 0x81, 0xff] {
                near.push(az_versioned(id, version, &[1, 2, 3]));
            }
            near.push(az_versioned(id, 0x12, &[1]));
        }
        for second in &near {
            let stream = [first.clone(), second.clone()].concat();
            for cuts in [&[][..], &[3, 12, 17, 21]] {
                let (e, _, _) = az_read(&stream, cuts, true);
                assert_eq!(e, Evidence::NONE, "{second:?}");
            }
        }
        let have = msg(4, &[0, 0, 0, 9]);
        let between: [Vec<u8>; 3] = [have, std::vec![0, 0, 0, 0], az_frame("AZ_HAVE_NOT", b"x")];
        for mid in between {
            let stream = [first.clone(), mid, first.clone()].concat();
            assert_eq!(az_read(&stream, &[], true).0, Evidence::NONE);
        }
        assert_eq!(az_read(&first, &[], true), (Evidence::NONE, 1, true));
    }

    proptest::proptest! {
        /// Streams of Azureus frames (known ids, ids one byte off, any version byte, payloads
        /// of 0–5 bytes) with BEP 3 haves and keep-alives between some, read whole and cut at
        /// random points: the same evidence, count and end, every state on the way a valid
        /// snapshot.
        #[test]
        fn azureus_streams_at_any_cut(
            frames in proptest::collection::vec(
                (0usize..2 * AZ_IDS.len(), 0u8..8, 0usize..6, 0u8..4),
                1..8,
            ),
            cuts in proptest::collection::vec(0usize..400, 0..8),
        ) {
            let mut stream = Vec::new();
            for (pick, version, payload, between) in frames {
                let mut id = AZ_IDS[pick % AZ_IDS.len()].to_vec();
                if pick >= AZ_IDS.len() {
                    let last = id.len() - 1;
                    id[last] = b'Q';
                }
                let version = [1, 2, 0x12, 0x12, 0, 3, 0x11, 0x22][usize::from(version)];
                stream.extend(az_versioned(&id, version, &[5u8; 5][..payload]));
                match between {
                    0 => stream.extend(msg(4, &[0, 0, 0, 1])),
                    1 => stream.extend([0, 0, 0, 0]),
                    _ => {}
                }
            }
            let mut cuts = cuts;
            cuts.sort_unstable();
            proptest::prop_assert_eq!(az_read(&stream, &[], true), az_read(&stream, &cuts, true));
        }
    }
}
