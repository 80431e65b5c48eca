//! HTTP tracker requests and replies (BEP 3 "trackers", BEP 23 compact peers, BEP 48 scrape).
//!
//! A request is `GET <path>?<query> HTTP/1.x`, where the query carries `info_hash` (20 bytes,
//! URL-encoded) and, for an announce, `peer_id`, `port`, `uploaded`, `downloaded`, `left`, in
//! any order and among any other parameters (`passkey`, `key`, …). Any path is accepted
//! (`/announce`, `/announce.php?passkey=…`, `/a`): private trackers use many. A scrape sends
//! only `info_hash`, so it is recognised by its path's last segment starting with `scrape`.
//!
//! A reply is an HTTP response whose body is a bencoded dictionary with `interval` and
//! `peers`/`peers6`, or `failure reason`, or (scrape) `files`.
//!
//! Both readers are state machines over at most [`MAX_REQUEST_LINE`] / [`MAX_REPLY_HEAD`]
//! bytes that keep no copy of the input. They step byte by byte only where a byte changes
//! their state, and take the runs in between (path segments, names, literal value bytes,
//! header lines) whole, so any cut of the input gives the same result.

use super::bencode::{key_hash, Event, Tokenizer};
use super::bytes::hex_digit;
use super::compact;
use crate::observer::{EndpointSource, Field, Number, Observer};
use crate::verdict::Direction;

/// Longest request line read, in bytes; a longer one is not a tracker request. Trackers
/// ignore parameters they do not know, so a client can pad its announce before `info_hash`
/// as far as the tracker's HTTP server takes: 8 KiB by default in nginx and Apache, 1 MiB
/// in Go's `net/http` (`DefaultMaxHeaderBytes`, the chihaya tracker). The reader keeps no
/// copy of the line, so reading that far costs only the bytes' scan; a flow's side is read
/// for at most `flow::SIDE_BUDGET` bytes in any case.
pub const MAX_REQUEST_LINE: u32 = 1 << 20;

/// Longest status line plus headers read before the body, in bytes.
pub const MAX_REPLY_HEAD: u32 = 4096;

/// What a reader concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Undecided: feed more.
    NeedMore,
    /// It is a tracker request (or reply). When `done` is false the reply's body goes on and
    /// feeding it reports more peers; when true there is nothing more to read.
    Tracker {
        /// Nothing more to read.
        done: bool,
    },
    /// It is not; `consumed` bytes of the chunk were read (the caller may scan the rest).
    Invalid {
        /// Bytes of the chunk this reader consumed.
        consumed: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Req {
    Method,
    Path,
    Name,
    Value,
}

// Parameters, as `RequestReader::param`.
const P_OTHER: u8 = 0;
const P_INFO_HASH: u8 = 1;
const P_PEER_ID: u8 = 2;
const P_PORT: u8 = 3;
const P_ANNOUNCE_FIELD: u8 = 4;

// Bits of `RequestReader::seen`.
const S_INFO_HASH: u8 = 1;
const S_ANNOUNCE_FIELD: u8 = 2;
const S_SCRAPE: u8 = 4;
const S_INFO_HASH_DONE: u8 = 8;
/// A `peer_id` of 20 bytes.
const S_PEER_ID: u8 = 16;
/// A `port` that is a number up to 65535.
const S_PORT: u8 = 32;
/// The path's last segment so far starts with `announce` (read by the byte-by-byte path only:
/// [`RequestReader::cut`] needs it).
const S_ANNOUNCE_PATH: u8 = 64;

const METHOD: &[u8] = b"GET ";
const SCRAPE: &[u8] = b"scrape";
const ANNOUNCE: &[u8] = b"announce";
/// `RequestReader::pos` in a path segment: `ANNOUNCING + n` once its first n bytes are
/// `announce`'s (`0..=SCRAPE.len()` count `scrape`'s, `u8::MAX` neither).
const ANNOUNCING: u8 = 0x20;

/// Recognises a tracker request line cut into any pieces (16 bytes of state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestReader {
    /// Bytes read.
    count: u32,
    /// The last `port` value read (reset where a `port` value starts): told to the observer
    /// only once the request is a tracker request.
    number: u32,
    /// Hash of the parameter name being read (or of the value's decoded bytes count).
    name_hash: u16,
    phase: Req,
    /// Bytes matched of `GET ` / of `scrape` in the current path segment / of the name.
    pos: u8,
    param: u8,
    seen: u8,
    /// Decoded bytes of the current value.
    out: u8,
    /// Percent-decoding: 0 none, 1 after `%`, 0x10 | nibble after `%X`.
    esc: u8,
}

impl Default for RequestReader {
    fn default() -> Self {
        Self::new()
    }
}

/// The first byte of a BitTorrent handshake: never in a request line, so the reader stops before
/// it and leaves it to whoever scans for a handshake after an HTTP-looking prefix.
const HANDSHAKE_START: u8 = 0x13;

/// The bytes [`RequestReader::step`] does more with than count: separators, escapes, the
/// ends of the request line and [`HANDSHAKE_START`].
const fn acted_on(b: u8) -> bool {
    matches!(
        b,
        b'?' | b'/' | b'&' | b'=' | b'%' | b'+' | b' ' | b'\r' | b'\n' | HANDSHAKE_START
    )
}

/// How many bytes at the start of `bytes` are not [`acted_on`].
fn literal_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| acted_on(b))
        .unwrap_or(bytes.len())
}

/// The parameters read, by name hash and length.
const NAMES: [(u16, u8, u8); 7] = [
    (key_hash(b"info_hash"), 9, P_INFO_HASH),
    (key_hash(b"peer_id"), 7, P_PEER_ID),
    (key_hash(b"port"), 4, P_PORT),
    (key_hash(b"uploaded"), 8, P_ANNOUNCE_FIELD),
    (key_hash(b"downloaded"), 10, P_ANNOUNCE_FIELD),
    (key_hash(b"left"), 4, P_ANNOUNCE_FIELD),
    (key_hash(b"compact"), 7, P_ANNOUNCE_FIELD),
];

/// The parameter a name of `len` bytes (saturated) with hash `hash` is; `P_OTHER` if none.
fn name_param(hash: u16, len: u8) -> u8 {
    NAMES
        .iter()
        .find(|&&(h, l, _)| h == hash && l == len)
        .map_or(P_OTHER, |&(_, _, p)| p)
}

/// [`name_param`] of a whole name, its escapes decoded.
fn param_of(name: &[u8]) -> u8 {
    if memchr::memchr(b'%', name).is_some() {
        let (buffer, len) = decoded_name(name);
        return buffer.get(..len).map_or(P_OTHER, plain_param_of);
    }
    plain_param_of(name)
}

/// [`name_param`] of a decoded name: hashed only if its length is one of a known name.
fn plain_param_of(name: &[u8]) -> u8 {
    let len = u8::try_from(name.len()).unwrap_or(u8::MAX);
    if NAMES.iter().any(|&(_, l, _)| l == len) {
        name_param(key_hash(name), len)
    } else {
        P_OTHER
    }
}

impl RequestReader {
    /// A reader at the start of a request.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            count: 0,
            number: 0,
            name_hash: key_hash(b""),
            phase: Req::Method,
            pos: 0,
            param: P_OTHER,
            seen: 0,
            out: 0,
            esc: 0,
        }
    }

    /// Read the next chunk of the request.
    ///
    /// Bytes the state machine only counts (the rest of a path segment, a parameter name, a
    /// value's literal bytes) are taken a run at a time, up to the next byte it acts on; the
    /// state after a run is the state byte-by-byte reading gives.
    pub fn read<O: Observer>(&mut self, chunk: &[u8], dir: Direction, obs: &mut O) -> Step {
        if self.count == 0 {
            if let Some((step, seen)) = whole_line(chunk, dir, obs) {
                self.seen = seen;
                return step;
            }
        }
        let mut i = 0usize;
        while let Some(rest) = chunk.get(i..) {
            let Some(&b) = rest.first() else {
                break;
            };
            let budget = MAX_REQUEST_LINE.saturating_sub(self.count) as usize;
            let window = rest.get(..budget).unwrap_or(rest);
            let run = match self.phase {
                Req::Method => 0,
                Req::Path if path_word_open(self.pos) => 0,
                Req::Path => literal_len(window),
                Req::Name if self.esc != 0 => 0,
                Req::Name => self.name_run(window),
                Req::Value if self.esc != 0 || self.param == P_PORT => 0,
                Req::Value => self.value_run(window, dir, obs),
            };
            if run > 0 {
                self.count = self
                    .count
                    .saturating_add(u32::try_from(run).unwrap_or(u32::MAX));
                i = i.saturating_add(run);
                continue;
            }
            if b == HANDSHAKE_START {
                return Step::Invalid { consumed: i };
            }
            self.count = self.count.saturating_add(1);
            if self.count > MAX_REQUEST_LINE {
                return Step::Invalid { consumed: i };
            }
            i = i.saturating_add(1);
            match self.step(b, dir, obs) {
                Step::NeedMore => {}
                Step::Tracker { .. } => return Step::Tracker { done: true },
                Step::Invalid { .. } => return Step::Invalid { consumed: i },
            }
        }
        Step::NeedMore
    }

    /// Hash the parameter name's bytes up to the next one [`acted_on`]; how many.
    fn name_run(&mut self, window: &[u8]) -> usize {
        let run = window.get(..literal_len(window)).unwrap_or_default();
        for &b in run {
            self.name_hash = (self.name_hash ^ u16::from(b)).wrapping_mul(0x0193);
        }
        self.pos = self
            .pos
            .saturating_add(u8::try_from(run.len()).unwrap_or(u8::MAX));
        run.len()
    }

    /// Decode the value's literal bytes and complete `%XX` escapes up to the next other
    /// byte [`acted_on`] (or an escape cut by the window's end, left to `step`); how many
    /// bytes were read. A binary field's first 20 decoded bytes go to `obs` in one call:
    /// URL-encoded, they have no contiguous form in the payload, so they are gathered in a
    /// 20-byte buffer on the stack.
    fn value_run<O: Observer>(&mut self, window: &[u8], dir: Direction, obs: &mut O) -> usize {
        let field = match self.param {
            P_INFO_HASH if self.seen & S_INFO_HASH_DONE == 0 => Some(Field::InfoHash),
            P_PEER_ID => Some(Field::PeerId),
            _ => None,
        };
        let first = self.out;
        let mut decoded = [0u8; 20];
        let mut at = 0usize;
        while let Some(&b) = window.get(at) {
            let (byte, len) = if !acted_on(b) {
                (b, 1)
            } else if let (b'%', Some(&hi), Some(&lo)) = (
                b,
                window.get(at.wrapping_add(1)),
                window.get(at.wrapping_add(2)),
            ) {
                match (hex_digit(hi), hex_digit(lo)) {
                    (Some(hi), Some(lo)) => ((hi << 4) | lo, 3),
                    _ => break,
                }
            } else {
                break;
            };
            if let Some(slot) = decoded.get_mut(usize::from(self.out)) {
                *slot = byte;
            }
            self.out = self.out.saturating_add(1);
            at = at.wrapping_add(len);
        }
        let gathered = decoded
            .get(usize::from(first)..usize::from(self.out).min(decoded.len()))
            .unwrap_or_default();
        if let (Some(field), false) = (field, gathered.is_empty()) {
            obs.field(dir, field, u32::from(first), gathered);
        }
        at
    }

    fn step<O: Observer>(&mut self, b: u8, dir: Direction, obs: &mut O) -> Step {
        match self.phase {
            Req::Method => {
                if METHOD.get(usize::from(self.pos)) != Some(&b) {
                    return Step::Invalid { consumed: 0 };
                }
                self.pos = self.pos.saturating_add(1);
                if usize::from(self.pos) == METHOD.len() {
                    self.phase = Req::Path;
                    self.pos = 0;
                }
            }
            Req::Path => match b {
                b'?' => self.start_name(),
                b'/' => {
                    self.seen &= !(S_SCRAPE | S_ANNOUNCE_PATH);
                    self.pos = 0;
                }
                b' ' | b'\r' | b'\n' => return Step::Invalid { consumed: 0 },
                _ => self.path_word_byte(b),
            },
            Req::Name => match b {
                b'=' => {
                    let pos = if self.esc == 0 { self.pos } else { u8::MAX };
                    self.param = name_param(self.name_hash, pos);
                    self.phase = Req::Value;
                    self.out = 0;
                    self.esc = 0;
                    if self.param == P_PORT {
                        self.number = 0;
                    }
                }
                b'&' => self.start_name(),
                b' ' | b'\r' | b'\n' => return self.end_of_query(dir, obs),
                _ => self.name_byte(b),
            },
            Req::Value => match b {
                b'&' => {
                    self.end_value();
                    self.start_name();
                }
                b' ' | b'\r' | b'\n' => {
                    self.end_value();
                    return self.end_of_query(dir, obs);
                }
                _ => self.value_byte(b, dir, obs),
            },
        }
        Step::NeedMore
    }

    /// One byte of a path segment whose start may still be `scrape` or `announce`.
    fn path_word_byte(&mut self, b: u8) {
        if !path_word_open(self.pos) {
            return;
        }
        let (word, at, matched) = if self.pos > ANNOUNCING || (self.pos == 0 && b == b'a') {
            (ANNOUNCE, self.pos.saturating_sub(ANNOUNCING), S_ANNOUNCE_PATH)
        } else {
            (SCRAPE, self.pos, S_SCRAPE)
        };
        if word.get(usize::from(at)) != Some(&b) {
            self.pos = u8::MAX;
            return;
        }
        let at = at.saturating_add(1);
        self.pos = if matched == S_ANNOUNCE_PATH {
            ANNOUNCING.saturating_add(at)
        } else {
            at
        };
        if usize::from(at) == word.len() {
            self.seen |= matched;
        }
    }

    fn start_name(&mut self) {
        self.phase = Req::Name;
        self.name_hash = key_hash(b"");
        self.pos = 0;
        self.esc = 0;
    }

    /// One byte of a parameter name that is not a literal run: an escape `%XX` is decoded, so
    /// `info%5Fhash` is `info_hash` (opentracker decodes names too). A broken escape makes the
    /// name one no parameter has.
    fn name_byte(&mut self, b: u8) {
        let decoded = match (self.esc, b) {
            (0, b'%') => {
                self.esc = 1;
                return;
            }
            (0, _) => Some(b),
            (1, _) => {
                self.esc = hex_digit(b).map_or(0xff, |n| 0x10 | n);
                return;
            }
            (hi, _) if hi & 0xf0 == 0x10 => {
                self.esc = 0;
                hex_digit(b).map(|lo| ((hi & 0x0f) << 4) | lo)
            }
            _ => None,
        };
        match decoded {
            Some(byte) => {
                self.name_hash = (self.name_hash ^ u16::from(byte)).wrapping_mul(0x0193);
                self.pos = self.pos.saturating_add(1);
            }
            None => self.pos = u8::MAX,
        }
    }

    fn value_byte<O: Observer>(&mut self, b: u8, dir: Direction, obs: &mut O) {
        let decoded = match (self.esc, b) {
            (0, b'%') => {
                self.esc = 1;
                return;
            }
            (0, b'+') => Some(b' '),
            (0, _) => Some(b),
            (1, _) => {
                self.esc = hex_digit(b).map_or(0xff, |n| 0x10 | n);
                return;
            }
            (hi, _) if hi & 0xf0 == 0x10 => {
                self.esc = 0;
                hex_digit(b).map(|lo| ((hi & 0x0f) << 4) | lo)
            }
            _ => None,
        };
        let Some(byte) = decoded else {
            // A broken escape: the value is not a valid binary field.
            self.out = u8::MAX;
            return;
        };
        let field = match self.param {
            P_INFO_HASH if self.seen & S_INFO_HASH_DONE == 0 => Some(Field::InfoHash),
            P_PEER_ID => Some(Field::PeerId),
            P_PORT => {
                self.number = if byte.is_ascii_digit() {
                    self.number
                        .saturating_mul(10)
                        .saturating_add(u32::from(byte.wrapping_sub(b'0')))
                } else {
                    u32::MAX
                };
                None
            }
            _ => None,
        };
        if let Some(field) = field {
            if self.out < 20 {
                obs.field(dir, field, u32::from(self.out), &[byte]);
            }
        }
        self.out = self.out.saturating_add(1);
    }

    fn end_value(&mut self) {
        match self.param {
            P_INFO_HASH if self.out == 20 && self.esc == 0 => {
                self.seen |= S_INFO_HASH | S_INFO_HASH_DONE;
            }
            P_INFO_HASH => self.seen |= S_INFO_HASH_DONE,
            P_PEER_ID => {
                self.seen |= S_ANNOUNCE_FIELD;
                if self.out == 20 && self.esc == 0 {
                    self.seen |= S_PEER_ID;
                }
            }
            P_ANNOUNCE_FIELD => self.seen |= S_ANNOUNCE_FIELD,
            P_PORT => {
                self.seen |= S_ANNOUNCE_FIELD;
                if self.out > 0 && self.esc == 0 && self.number <= 65535 {
                    self.seen |= S_PORT;
                }
            }
            _ => {}
        }
        self.param = P_OTHER;
    }

    /// The request line ended: a tracker request, whose listen port (the last `port` value) the
    /// observer hears now, or not one. A `port` parameter alone names no BitTorrent peer: web
    /// APIs take one too (a service registry, a router's port forwarding page), and the sender's
    /// address and that port, learned as a peer, would corroborate later random-looking flows
    /// to that service from any host.
    fn end_of_query<O: Observer>(&self, dir: Direction, obs: &mut O) -> Step {
        if !is_tracker(self.seen) {
            return Step::Invalid { consumed: 0 };
        }
        if (1..=65535).contains(&self.number) {
            obs.number(dir, Number::ListenPort, u64::from(self.number));
        }
        Step::Tracker { done: true }
    }

    /// True if the request the reader recognised is conclusive on its own: an announce with a
    /// 20-byte `info_hash`, a 20-byte `peer_id` and a numeric `port`, or a scrape with a 20-byte
    /// `info_hash`. No other software sends these parameters together (a chance match needs
    /// the three names and a 20-byte binary value: measured never in random or negative
    /// traffic, see the flow tests).
    #[must_use]
    pub const fn conclusive(&self) -> bool {
        is_conclusive(self.seen)
    }
}

impl RequestReader {
    /// The request line was cut here (a capture's snapshot length, a lost segment): the
    /// request as far as it went. A value being read counts as it stands only where its first
    /// bytes say what it is: the digits of a `port` so far, an announce parameter's name; a
    /// binary value counts only if it ended before the cut (the cut may fall inside it),
    /// but for an `info_hash` cut after at least one byte of its value, or whole, when the
    /// path's last segment starts with `announce` or `scrape` (BEP 3's and BEP 48's names):
    /// `GET /announce?info_hash=` or `GET /scrape?info_hash=` and a byte (a 96-byte snapshot
    /// keeps 2 to 6 of the 20 bytes of Linux clients' announces, a 128-byte one 12 to 16) is
    /// conclusive, as the whole request would be. No other software names a path `announce`
    /// and its first parameter `info_hash`: 24 fixed bytes, never in random or negative
    /// traffic (the corpus twins' web pages that carry an `info_hash` have other paths).
    /// `Some(conclusive)` if that is a tracker request ([`RequestReader::conclusive`]).
    #[must_use]
    pub const fn cut(&self) -> Option<bool> {
        let hash_cut = matches!(self.phase, Req::Value)
            && self.param == P_INFO_HASH
            && self.seen & S_INFO_HASH_DONE == 0
            && self.out >= 1
            && self.out <= 20
            && self.esc != 0xff;
        if self.seen & (S_ANNOUNCE_PATH | S_SCRAPE) != 0
            && (hash_cut || self.seen & S_INFO_HASH != 0)
        {
            return Some(true);
        }
        let mut seen = self.seen;
        if matches!(self.phase, Req::Value) && self.esc == 0 {
            seen |= match self.param {
                P_PEER_ID | P_ANNOUNCE_FIELD => S_ANNOUNCE_FIELD,
                P_PORT if self.out > 0 && self.number <= 65535 => S_ANNOUNCE_FIELD | S_PORT,
                P_PORT => S_ANNOUNCE_FIELD,
                _ => 0,
            };
        }
        if is_tracker(seen) {
            Some(is_conclusive(seen))
        } else {
            None
        }
    }
}

/// True while a path segment's bytes may still be the start of `scrape` or `announce`.
const fn path_word_open(pos: u8) -> bool {
    (pos as usize) < SCRAPE.len()
        || (pos > ANNOUNCING && (pos.saturating_sub(ANNOUNCING) as usize) < ANNOUNCE.len())
}

/// A tracker request: a 20-byte `info_hash` and an announce parameter or a scrape path.
const fn is_tracker(seen: u8) -> bool {
    seen & S_INFO_HASH != 0 && seen & (S_ANNOUNCE_FIELD | S_SCRAPE) != 0
}

/// See [`RequestReader::conclusive`].
const fn is_conclusive(seen: u8) -> bool {
    seen & S_INFO_HASH != 0
        && (seen & (S_PEER_ID | S_PORT) == S_PEER_ID | S_PORT || seen & S_SCRAPE != 0)
}

/// The common case, read in one pass: a request whose whole request line is in the first
/// chunk. The result, and what `obs` is told, are what [`RequestReader::step`] gives byte by
/// byte (a proptest compares the two); `None` leaves the chunk to the state machine: the
/// line does not end in the chunk or within [`MAX_REQUEST_LINE`], holds [`HANDSHAKE_START`],
/// or a value read here has an escape that is not `%` and two hex digits. With the step, the `seen` bits the line gives.
fn whole_line<O: Observer>(chunk: &[u8], dir: Direction, obs: &mut O) -> Option<(Step, u8)> {
    let target = chunk.strip_prefix(METHOD)?;
    let window = chunk.get(..MAX_REQUEST_LINE as usize).unwrap_or(chunk);
    let end = memchr::memchr3(b' ', b'\r', b'\n', window.get(METHOD.len()..)?)?;
    let refused = Step::Invalid {
        consumed: METHOD.len().saturating_add(end).saturating_add(1),
    };
    let target = target.get(..end)?;
    if memchr::memchr(HANDSHAKE_START, target).is_some() {
        return None;
    }
    let Some(question) = memchr::memchr(b'?', target) else {
        return Some((refused, 0));
    };
    let path = target.get(..question)?;
    let query = target.get(question.saturating_add(1)..)?;
    let segment = memchr::memrchr(b'/', path).map_or(path, |slash| {
        path.get(slash.saturating_add(1)..).unwrap_or_default()
    });
    let mut seen = if segment.starts_with(SCRAPE) {
        S_SCRAPE
    } else {
        0
    };
    // Decoded values, kept until every escape is checked, so that `obs` hears nothing from
    // a line left to `step`: (parameter, first 20 decoded bytes, decoded length, port).
    let mut decoded = [(P_OTHER, [0u8; 20], 0usize, 0u32); 8];
    let mut kept = 0usize;
    // The last `port` value, told to `obs` only if the line is a tracker request (as `step`).
    let mut listen = 0u32;
    for (param, value) in params(query) {
        match param {
            P_ANNOUNCE_FIELD => seen |= S_ANNOUNCE_FIELD,
            P_OTHER => {}
            _ => {
                let entry = decoded.get_mut(kept)?;
                kept = kept.saturating_add(1);
                let (kind, bytes, len, port) = entry;
                *kind = param;
                *len = decode(value, |(at, byte)| {
                    if let Some(slot) = bytes.get_mut(at) {
                        *slot = byte;
                    }
                    if param != P_PORT {
                        return;
                    }
                    *port = if byte.is_ascii_digit() {
                        port.saturating_mul(10)
                            .saturating_add(u32::from(byte.wrapping_sub(b'0')))
                    } else {
                        u32::MAX
                    };
                })?;
            }
        }
    }
    for (param, bytes, len, port) in decoded.iter().take(kept) {
        let field = bytes.get(..(*len).min(20)).filter(|b| !b.is_empty());
        match *param {
            P_INFO_HASH => {
                if let (Some(hash), 0) = (field, seen & S_INFO_HASH_DONE) {
                    obs.field(dir, Field::InfoHash, 0, hash);
                }
                if *len == 20 {
                    seen |= S_INFO_HASH;
                }
                seen |= S_INFO_HASH_DONE;
            }
            P_PEER_ID => {
                if let Some(id) = field {
                    obs.field(dir, Field::PeerId, 0, id);
                }
                seen |= S_ANNOUNCE_FIELD;
                if *len == 20 {
                    seen |= S_PEER_ID;
                }
            }
            _ => {
                listen = *port;
                seen |= S_ANNOUNCE_FIELD;
                if *len > 0 && *port <= 65535 {
                    seen |= S_PORT;
                }
            }
        }
    }
    let step = if is_tracker(seen) {
        if (1..=65535).contains(&listen) {
            obs.number(dir, Number::ListenPort, u64::from(listen));
        }
        Step::Tracker { done: true }
    } else {
        refused
    };
    Some((step, seen))
}

/// The `name=value` parameters of a query, as ([`name_param`], value). A parameter without
/// `=` has no value and is skipped, as `step` skips it.
fn params(query: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut start = 0usize;
    memchr::memchr_iter(b'&', query)
        .chain(core::iter::once(query.len()))
        .filter_map(move |end| {
            let param = query.get(start..end)?;
            start = end.saturating_add(1);
            let eq = param.iter().position(|&b| b == b'=')?;
            Some((
                param_of(param.get(..eq)?),
                param.get(eq.saturating_add(1)..)?,
            ))
        })
}

/// A parameter name with its `%XX` escapes decoded, as [`RequestReader::name_byte`] decodes
/// it; names longer than any we read, or with a broken escape, come out as no name at all.
fn decoded_name(name: &[u8]) -> ([u8; 16], usize) {
    let mut out = [0u8; 16];
    let mut len = 0usize;
    let mut at = 0usize;
    while let Some(&b) = name.get(at) {
        let (byte, step) = if b == b'%' {
            let hex = |i: usize| name.get(at.saturating_add(i)).and_then(|&c| hex_digit(c));
            match (hex(1), hex(2)) {
                (Some(hi), Some(lo)) => ((hi << 4) | lo, 3),
                _ => return ([0; 16], usize::MAX),
            }
        } else {
            (b, 1)
        };
        match out.get_mut(len) {
            Some(slot) => *slot = byte,
            None => return ([0; 16], usize::MAX),
        }
        len = len.saturating_add(1);
        at = at.saturating_add(step);
    }
    (out, len)
}

/// Percent-decode `value` (`+` is a space), handing each byte and its index to `byte`; the
/// decoded length, or `None` for an escape that is not `%` and two hex digits.
fn decode(value: &[u8], mut byte: impl FnMut((usize, u8))) -> Option<usize> {
    let mut at = 0usize;
    let mut out = 0usize;
    while let Some(&b) = value.get(at) {
        let (decoded, len) = match b {
            b'%' => {
                let hi = hex_digit(*value.get(at.saturating_add(1))?)?;
                let lo = hex_digit(*value.get(at.saturating_add(2))?)?;
                ((hi << 4) | lo, 3)
            }
            b'+' => (b' ', 1),
            _ => (b, 1),
        };
        byte((out, decoded));
        out = out.saturating_add(1);
        at = at.saturating_add(len);
    }
    Some(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Rep {
    /// Matching `HTTP/1.`.
    Status,
    /// In the head; `pos` counts the bytes of `\r\n\r\n` (or `\n\n`) matched.
    Head,
    /// At the start of the body: an optional chunk-size line, then `d`.
    BodyStart,
    /// In a chunk-size line.
    ChunkLine,
    /// In the bencoded body.
    Body,
}

// Bits of `ReplyReader::seen`.
const R_INTERVAL: u8 = 1;
const R_PEERS: u8 = 2;
const R_FAILURE: u8 = 4;
const R_FILES: u8 = 8;
// Bits 4..=5: which top-level key is being read (for peer lists).
const R_KEY_PEERS: u8 = 0x10;
const R_KEY_PEERS6: u8 = 0x20;

const STATUS: &[u8] = b"HTTP/1.";

/// Recognises a tracker reply cut into any pieces (20 bytes of state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyReader {
    count: u32,
    tok: Tokenizer,
    phase: Rep,
    pos: u8,
    seen: u8,
}

impl Default for ReplyReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplyReader {
    /// A reader at the start of a response.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            count: 0,
            tok: Tokenizer::new(),
            phase: Rep::Status,
            pos: 0,
            seen: 0,
        }
    }

    /// A reader at the start of a response body that begins with `d` (another reader took
    /// the status line and the headers, e.g. [`super::http::Framer`]).
    #[must_use]
    pub const fn at_body() -> Self {
        Self {
            count: 0,
            tok: Tokenizer::new(),
            phase: Rep::Body,
            pos: 0,
            seen: 0,
        }
    }

    /// Read the next chunk of the response.
    pub fn read<O: Observer>(&mut self, chunk: &[u8], obs: &mut O) -> Step {
        let mut i = 0usize;
        while let Some(rest) = chunk.get(i..) {
            let Some(&b) = rest.first() else {
                break;
            };
            if self.phase == Rep::Body {
                return self.body(rest, i, obs);
            }
            if self.phase == Rep::Head && b != b'\n' && b != b'\r' {
                // A header line's text only resets the count of line ends: take it whole.
                let budget = MAX_REPLY_HEAD.saturating_sub(self.count) as usize;
                let window = rest.get(..budget).unwrap_or(rest);
                let run = memchr::memchr2(b'\n', b'\r', window).unwrap_or(window.len());
                if run > 0 {
                    self.pos = 0;
                    self.count = self
                        .count
                        .saturating_add(u32::try_from(run).unwrap_or(u32::MAX));
                    i = i.saturating_add(run);
                    continue;
                }
            }
            i = i.saturating_add(1);
            self.count = self.count.saturating_add(1);
            if self.count > MAX_REPLY_HEAD {
                return Step::Invalid { consumed: i };
            }
            match self.phase {
                Rep::Status => {
                    if STATUS.get(usize::from(self.pos)) != Some(&b) {
                        return Step::Invalid { consumed: i };
                    }
                    self.pos = self.pos.saturating_add(1);
                    if usize::from(self.pos) == STATUS.len() {
                        self.phase = Rep::Head;
                        self.pos = 0;
                    }
                }
                Rep::Head => {
                    // Count consecutive line ends, ignoring `\r`: two `\n` end the head.
                    match b {
                        b'\n' => self.pos = self.pos.saturating_add(1),
                        b'\r' => {}
                        _ => self.pos = 0,
                    }
                    if self.pos == 2 {
                        self.phase = Rep::BodyStart;
                        self.pos = 0;
                    }
                }
                Rep::BodyStart => match b {
                    b'd' => {
                        self.phase = Rep::Body;
                        // Re-read the `d` through the tokenizer.
                        i = i.saturating_sub(1);
                        self.count = self.count.saturating_sub(1);
                    }
                    _ if hex_digit(b).is_some() && self.pos == 0 => {
                        self.phase = Rep::ChunkLine;
                    }
                    _ => return Step::Invalid { consumed: i },
                },
                Rep::ChunkLine => match b {
                    b'\n' => {
                        self.phase = Rep::BodyStart;
                        self.pos = 1;
                    }
                    b'\r' => {}
                    _ if hex_digit(b).is_some() => {}
                    _ => return Step::Invalid { consumed: i },
                },
                Rep::Body => {}
            }
        }
        Step::NeedMore
    }

    /// True if the reply the reader recognised is conclusive on its own: an announce reply
    /// whose bencoded body has both `interval` and `peers` (or `peers6`) at its top level,
    /// the peers a BEP 23 compact string of whole entries or BEP 3's list. No other software
    /// answers with that dictionary (a `.torrent` file served over HTTP has `announce` and
    /// `info`); random bytes never parse as bencode that far. A reply with only
    /// `failure reason` or `files` stays as it was: a request (or its absence) decides. A
    /// capture with one direction of a flow (a mirror port) has the reply alone.
    #[must_use]
    pub const fn conclusive(&self) -> bool {
        self.seen & (R_INTERVAL | R_PEERS) == R_INTERVAL | R_PEERS
    }

    fn body<O: Observer>(&mut self, rest: &[u8], at: usize, obs: &mut O) -> Step {
        let mut seen = self.seen;
        let before = self.tok;
        let result = self
            .tok
            .feed(rest, |event| seen = on_reply_event(seen, event, obs));
        self.seen = seen;
        let decided =
            (seen & R_INTERVAL != 0 && seen & R_PEERS != 0) || seen & (R_FAILURE | R_FILES) != 0;
        match result {
            Err(_) if decided => Step::Tracker { done: true },
            Err(_) => Step::Invalid {
                consumed: at.saturating_add(error_end(before, rest)),
            },
            Ok(super::bencode::Progress::Done { .. }) if decided => Step::Tracker { done: true },
            Ok(super::bencode::Progress::NeedMore) if decided => Step::Tracker { done: false },
            Ok(super::bencode::Progress::Done { consumed }) => Step::Invalid {
                consumed: at.saturating_add(consumed),
            },
            Ok(super::bencode::Progress::NeedMore) => Step::NeedMore,
        }
    }
}

/// Bytes of `chunk` up to and including the one where `tok` fails, so that a caller scanning
/// the rest of a refuted reply starts at the same stream byte however the stream was cut.
/// Runs only once per reply, on the way out.
fn error_end(mut tok: Tokenizer, chunk: &[u8]) -> usize {
    chunk
        .chunks(1)
        .position(|byte| tok.feed(byte, |_| {}).is_err())
        .map_or(chunk.len(), |i| i.saturating_add(1))
}

fn on_reply_event<O: Observer>(seen: u8, event: Event<'_>, obs: &mut O) -> u8 {
    const KEYS: [(&[u8], u8); 7] = [
        (b"interval", R_INTERVAL),
        (b"peers", R_KEY_PEERS),
        (b"peers6", R_KEY_PEERS6),
        (b"failure reason", R_FAILURE),
        (b"files", R_FILES),
        (b"complete", 0),
        (b"incomplete", 0),
    ];
    let flags = seen & 0x0f;
    match event {
        Event::Key {
            hash,
            len,
            depth: 1,
        } => KEYS
            .iter()
            .find(|(k, _)| key_hash(k) == hash && k.len() == usize::from(len))
            .map_or(flags, |(_, bits)| flags | bits),
        Event::Str {
            piece,
            key: false,
            offset,
            last,
            depth: 1,
            ..
        } if seen & (R_KEY_PEERS | R_KEY_PEERS6) != 0 => {
            let v6 = seen & R_KEY_PEERS6 != 0;
            for peer in compact::entries(piece, offset, v6) {
                obs.endpoint(EndpointSource::Tracker, peer);
            }
            if !last {
                return seen;
            }
            // BEP 23: 6 bytes a peer (18 with `peers6`); a length past the offset's 65535
            // saturation is not checked.
            let len = offset.saturating_add(u32::try_from(piece.len()).unwrap_or(u32::MAX));
            let entry = if v6 { 18 } else { 6 };
            if offset >= u32::from(u16::MAX) || len.checked_rem(entry) == Some(0) {
                flags | R_PEERS
            } else {
                flags
            }
        }
        // BEP 3's list of peer dictionaries.
        Event::ListStart { depth: 2 } if seen & (R_KEY_PEERS | R_KEY_PEERS6) != 0 => {
            flags | R_PEERS | (seen & 0x30)
        }
        Event::Str { depth: 1, .. }
        | Event::Int { depth: 1, .. }
        | Event::ListStart { depth: 2 } => flags | (seen & 0x30),
        _ => seen,
    }
}

// The readers' part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl RequestReader {
    pub(crate) const ENCODED_LEN: usize = 16;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u32(self.count);
        w.u32(self.number);
        w.u16(self.name_hash);
        w.u8(self.phase as u8);
        w.u8(self.pos);
        w.u8(self.param);
        w.u8(self.seen);
        w.u8(self.out);
        w.u8(self.esc);
    }

    /// `None` for an unknown phase, parameter, `seen` bit or escape state.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let count = r.u32()?;
        let number = r.u32()?;
        let name_hash = r.u16()?;
        let phase = match r.u8()? {
            0 => Req::Method,
            1 => Req::Path,
            2 => Req::Name,
            3 => Req::Value,
            _ => return None,
        };
        let pos = r.u8()?;
        let param = r.u8_if(|p| p <= P_ANNOUNCE_FIELD)?;
        let all_seen =
            S_INFO_HASH | S_ANNOUNCE_FIELD | S_SCRAPE | S_INFO_HASH_DONE | S_PEER_ID | S_PORT | S_ANNOUNCE_PATH;
        let seen = r.u8_if(|s| s & !all_seen == 0)?;
        let out = r.u8()?;
        let esc = r.u8_if(|e| matches!(e, 0 | 1 | 0x10..=0x1f | 0xff))?;
        Some(Self {
            count,
            number,
            name_hash,
            phase,
            pos,
            param,
            seen,
            out,
            esc,
        })
    }
}

impl ReplyReader {
    pub(crate) const ENCODED_LEN: usize = 4 + Tokenizer::ENCODED_LEN + 3;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u32(self.count);
        self.tok.encode(w);
        w.u8(self.phase as u8);
        w.u8(self.pos);
        w.u8(self.seen);
    }

    /// `None` for an unknown phase or `seen` bit, or a bad tokenizer.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let count = r.u32()?;
        let tok = Tokenizer::decode(r)?;
        let phase = match r.u8()? {
            0 => Rep::Status,
            1 => Rep::Head,
            2 => Rep::BodyStart,
            3 => Rep::ChunkLine,
            4 => Rep::Body,
            _ => return None,
        };
        let pos = r.u8()?;
        let all_seen = R_INTERVAL | R_PEERS | R_FAILURE | R_FILES | R_KEY_PEERS | R_KEY_PEERS6;
        let seen = r.u8_if(|s| s & !all_seen == 0)?;
        Some(Self {
            count,
            tok,
            phase,
            pos,
            seen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::{Metadata, NoObserver};
    use core::net::SocketAddr;
    use std::vec::Vec;

    const ANNOUNCE: &[u8] = b"GET /announce?info_hash=%12%34Vx%9a%bc%de%f0%12%34Vx%9a%bc%de%f0%12%34Vx&peer_id=-TR3000-abcdefghijkl&port=51413&uploaded=0&downloaded=0&left=1000&compact=1 HTTP/1.1\r\nHost: t\r\n\r\n";

    fn request(bytes: &[u8], size: usize) -> (Step, Metadata) {
        let mut r = RequestReader::new();
        let mut m = Metadata::new();
        let mut step = Step::NeedMore;
        for chunk in bytes.chunks(size.max(1)) {
            step = r.read(chunk, Direction::Initiator, &mut m);
            if step != Step::NeedMore {
                break;
            }
        }
        (step, m)
    }

    const REQUEST_STARTS: &[&[u8]] = &[b"GET /announce?", b"GET /x/scrape?", b"GET /", b"", b"GE"];
    const REQUEST_PARTS: &[&[u8]] = &[
        b"GET /",
        b"GET ",
        b"/",
        b"scrape",
        b"announce",
        b"?",
        b"&",
        b"=",
        b"info_hash",
        b"peer_id",
        b"port",
        b"left",
        b"%",
        b"%4",
        b"%a1",
        b"%zz",
        b"+",
        b"12",
        b"65535",
        b"x",
        b"-TR3000-abcdefghijkl",
        b" ",
        b"\xff",
        b"%12%34Vx%9a%bc%de%f0%12%34Vx%9a%bc%de%f0%12%34Vx",
        b"info_hash=%12%34Vx%9a%bc%de%f0%12%34Vx%9a%bc%de%f0%12%34Vx&left=0",
        b"peer_id=-TR3000-abcdefghijkl&port=6881",
        b"info_hash=%12%34Vx%9a%bc%de%f0%12%34Vx%9a%bc%de%f0%12%34Vx&left=0",
        b"info_hash=%12%34Vx%9a%bc%de%f0%12%34Vx%9a%bc%de%f0%12%34V+&left=0",
        b"info_hash=%12%34Vx%9a%bc%de%f0%12%34Vx%9a%bc%de%f0%12%34Vxy&uploaded=0",
        b"info_hash=%12%34Vx%9a%bc%de%f0%12%34Vx%9a%bc%de%f0%12%34V&port=1+2",
        b"peer_id=-qB4250-a+b%2Bc&port=0",
        b"&",
        b"info%5Fhash",
        b"peer%5fid",
        b"%70ort",
        b"%5",
        b"info%5Fhash=%12%34Vx%9a%bc%de%f0%12%34Vx%9a%bc%de%f0%12%34Vx&peer%5Fid=-TR3000-abcdefghijkl&port=80",
        b"\x13",
        b"\x13BitTorrent protocol",
    ];
    const REQUEST_ENDS: &[&[u8]] = &[b" HTTP/1.1\r\nHost: t\r\n\r\n", b"\r\n", b"\n", b""];

    /// Where a request was decided and how (and whether conclusively), the reader's state
    /// then, and what it observed.
    fn request_trace(
        bytes: &[u8],
        size: usize,
    ) -> (Option<(usize, Step, bool)>, Option<RequestReader>, Metadata) {
        let mut r = RequestReader::new();
        let mut m = Metadata::new();
        let mut offset = 0;
        for chunk in bytes.chunks(size.max(1)) {
            match r.read(chunk, Direction::Initiator, &mut m) {
                Step::NeedMore => offset += chunk.len(),
                // A decided reader is not read again: its state is not compared.
                Step::Invalid { consumed } => {
                    return (
                        Some((offset + consumed, Step::Invalid { consumed: 0 }, false)),
                        None,
                        m,
                    )
                }
                step => return (Some((0, step, r.conclusive())), None, m),
            }
        }
        (None, Some(r), m)
    }

    #[test]
    fn announce_in_any_pieces() {
        for size in 1..ANNOUNCE.len() {
            let (step, m) = request(ANNOUNCE, size);
            assert_eq!(step, Step::Tracker { done: true }, "size {size}");
            assert_eq!(
                m.info_hash().as_ref().map(crate::InfoHash::as_bytes),
                Some(&b"\x12\x34Vx\x9a\xbc\xde\xf0\x12\x34Vx\x9a\xbc\xde\xf0\x12\x34Vx"[..])
            );
            assert_eq!(
                m.peer_id(Direction::Initiator),
                Some(b"-TR3000-abcdefghijkl")
            );
            assert_eq!(m.listen_port(Direction::Initiator), Some(51413));
        }
    }

    #[test]
    fn variants_and_refusals() {
        let ih = "%00%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13";
        let yes = [
            std::format!("GET /announce.php?passkey=abc&info_hash={ih}&left=0 HTTP/1.0\r\n"),
            std::format!("GET /a?port=1&info_hash={ih} HTTP/1.1\r\n"),
            std::format!("GET /tracker/scrape?info_hash={ih} HTTP/1.1\r\n"),
            std::format!("GET /scrape.php?info_hash={ih}&info_hash={ih} HTTP/1.1\r\n"),
        ];
        for r in &yes {
            assert_eq!(
                request(r.as_bytes(), 1000).0,
                Step::Tracker { done: true },
                "{r}"
            );
        }
        let no = [
            std::format!("GET /announce?info_hash={ih} HTTP/1.1\r\n"),
            "GET /announce?info_hash=%00%01&peer_id=x HTTP/1.1\r\n".into(),
            std::format!("POST /announce?info_hash={ih}&left=0 HTTP/1.1\r\n"),
            "GET /index.html HTTP/1.1\r\n".into(),
            std::format!("GET /scrapeme/x?info_hash={ih} HTTP/1.1\r\n"),
        ];
        for r in &no {
            assert!(
                matches!(request(r.as_bytes(), 1000).0, Step::Invalid { .. }),
                "{r}"
            );
        }
    }

    /// What makes a request conclusive (an announce with a 20-byte info_hash, a 20-byte
    /// peer_id and a port; a scrape with a 20-byte info_hash), escaped names, and the stop
    /// before a handshake's first byte.
    #[test]
    fn conclusive_requests_escaped_names_and_handshakes() {
        let ih = "%00%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13";
        let conclusive = |r: &str, size: usize| {
            let mut reader = RequestReader::new();
            let mut step = Step::NeedMore;
            for chunk in r.as_bytes().chunks(size) {
                step = reader.read(chunk, Direction::Initiator, &mut NoObserver);
                if step != Step::NeedMore {
                    break;
                }
            }
            (step == Step::Tracker { done: true }, reader.conclusive())
        };
        let cases = [
            (std::format!("GET /announce?info_hash={ih}&peer_id=-TR3000-abcdefghijkl&port=6881 HTTP/1.1\r\n"), (true, true)),
            (std::format!("GET /announce?info%5Fhash={ih}&peer%5Fid=-TR3000-abcdefghijkl&%70ort=0 HTTP/1.1\r\n"), (true, true)),
            (std::format!("GET /x/scrape?info_hash={ih} HTTP/1.1\r\n"), (true, true)),
            (std::format!("GET http://t:6969/announce?info_hash={ih}&peer_id=-TR3000-abcdefghijkl&port=1 HTTP/1.1\r\n"), (true, true)),
            (std::format!("GET /announce?info_hash={ih}&peer_id=-TR3000-abcdefghijk&port=6881 HTTP/1.1\r\n"), (true, false)),
            (std::format!("GET /announce?info_hash={ih}&peer_id=-TR3000-abcdefghijkl&port=x HTTP/1.1\r\n"), (true, false)),
            (std::format!("GET /announce?info_hash={ih}&peer_id=-TR3000-abcdefghijkl&port=65536 HTTP/1.1\r\n"), (true, false)),
            (std::format!("GET /announce?info_hash={ih}&left=0 HTTP/1.1\r\n"), (true, false)),
            (std::format!("GET /announce?info%5Xhash={ih}&left=0 HTTP/1.1\r\n"), (false, false)),
            (std::format!("GET /announce?info%5hash={ih}&left=0 HTTP/1.1\r\n"), (false, false)),
        ];
        for (r, want) in &cases {
            for size in [1, 3, 1000] {
                assert_eq!(conclusive(r, size), *want, "{r} in pieces of {size}");
            }
        }
        let line = b"GET /announce?info_hash=\x13BitTorrent protocol";
        for size in 1..line.len() {
            let (decided, ..) = request_trace(line, size);
            assert_eq!(
                decided,
                Some((24, Step::Invalid { consumed: 0 }, false)),
                "size {size}"
            );
        }
    }

    fn reply(bytes: &[u8], size: usize) -> (Step, Vec<SocketAddr>) {
        struct Peers(Vec<SocketAddr>);
        impl Observer for Peers {
            fn endpoint(&mut self, _: EndpointSource, e: SocketAddr) {
                self.0.push(e);
            }
        }
        let mut r = ReplyReader::new();
        let mut peers = Peers(Vec::new());
        let mut step = Step::NeedMore;
        for chunk in bytes.chunks(size.max(1)) {
            step = r.read(chunk, &mut peers);
            if !matches!(step, Step::NeedMore | Step::Tracker { done: false }) {
                break;
            }
        }
        (step, peers.0)
    }

    #[test]
    fn replies_in_any_pieces() {
        let body = b"HTTP/1.0 200 OK\r\nContent-Length: 60\r\n\r\nd8:completei1e10:incompletei1e8:intervali1800e5:peers12:\x0a\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\xc8\xd5e";
        for size in 1..body.len() {
            let (step, peers) = reply(body, size);
            assert_eq!(step, Step::Tracker { done: true }, "size {size}");
            // Entries cut by a segment edge are skipped, never misread.
            let known = ["10.0.0.1:6881", "10.0.0.2:51413"];
            assert!(peers
                .iter()
                .all(|p| known.contains(&std::format!("{p}").as_str())));
            if size >= body.len() - 1 {
                assert_eq!(peers.len(), 2, "size {size}");
            }
        }
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1c\r\nd14:failure reason3:bade\r\n0\r\n\r\n";
        assert_eq!(reply(chunked, 5).0, Step::Tracker { done: true });
        for no in [
            &b"HTTP/1.1 200 OK\r\n\r\n<html>d8:interval</html>"[..],
            b"HTTP/1.1 200 OK\r\n\r\nd3:fooi1ee",
            b"SSH-2.0-OpenSSH_9.2\r\n",
        ] {
            assert!(matches!(reply(no, 7).0, Step::Invalid { .. }));
        }
    }

    /// Where in the stream a reply was refuted: the caller scans for a magnet from there.
    fn refuted_at(bytes: &[u8], size: usize) -> Option<usize> {
        let mut r = ReplyReader::new();
        let mut offset = 0;
        for chunk in bytes.chunks(size.max(1)) {
            match r.read(chunk, &mut NoObserver) {
                Step::NeedMore => offset += chunk.len(),
                Step::Invalid { consumed } => return Some(offset + consumed),
                Step::Tracker { .. } => return None,
            }
        }
        None
    }

    /// Found by the `flow_tcp` fuzz target: a body that failed in the middle of a chunk was
    /// reported as refuted after that chunk's first byte, so the text scan that follows read
    /// bytes the tokenizer had read already, or not, depending on the cuts (a magnet URI inside
    /// a long bencoded key was found only when the stream came in one piece).
    #[test]
    fn a_refuted_body_ends_at_the_same_byte_however_cut() {
        let body = b"HTTP/1.1 200 OK\r\n\r\nd60:ref=magnet:?xt=urn:btih:6db43e3bc3640296d0617d62c7b5377c47e58789x!tail";
        let whole = refuted_at(body, body.len());
        assert_eq!(
            whole,
            Some(body.len() - 5),
            "refuted at the byte after the key"
        );
        for size in 1..body.len() {
            assert_eq!(refuted_at(body, size), whole, "size {size}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn refuted_at_the_same_byte_in_any_pieces(
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            size in 1usize..64,
        ) {
            let mut body = b"HTTP/1.1 200 OK\r\n\r\nd".to_vec();
            body.extend_from_slice(&tail);
            proptest::prop_assert_eq!(refuted_at(&body, size), refuted_at(&body, body.len()));
        }

        /// The runs taken whole leave the reader where byte-by-byte reading does: same
        /// decision at the same byte, same state, same fields observed.
        #[test]
        fn requests_read_the_same_in_any_pieces(
            start in proptest::sample::select(REQUEST_STARTS),
            parts in proptest::collection::vec(proptest::sample::select(REQUEST_PARTS), 0..24),
            end in proptest::sample::select(REQUEST_ENDS),
            pad in 0usize..4200,
            size in 1usize..64,
        ) {
            let mut bytes = start.to_vec();
            bytes.extend(parts.concat());
            bytes.extend_from_slice(end);
            if pad > 4000 {
                bytes.splice(4.min(bytes.len())..4.min(bytes.len()), core::iter::repeat_n(b'a', pad));
            }
            let whole = request_trace(&bytes, bytes.len());
            proptest::prop_assert_eq!(request_trace(&bytes, size), whole);
            proptest::prop_assert_eq!(request_trace(&bytes, 1), whole);
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let mut r = RequestReader::new();
            let _ = r.read(&data, Direction::Initiator, &mut NoObserver);
            let mut r = ReplyReader::new();
            let _ = r.read(&data, &mut NoObserver);
        }
    }
}
