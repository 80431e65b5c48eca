//! HTTP/1 message framing (RFC 9112): where each message on a connection starts and ends.
//!
//! A connection carries requests (or responses) one after another. [`Framer`] reads one
//! message: its start line (a request line `METHOD SP target SP HTTP/1.x`, or a status line
//! `HTTP/1.x SP NNN ...`), its header section (only `Content-Length` and `Transfer-Encoding`
//! matter), and its body, which it skips by its length (§6.3): `Content-Length`, the chunked
//! coding (§7.1), nothing for a request without either, nothing for a 1xx, 204 or 304 response,
//! everything up to the end of the connection for any other response without a length; a
//! response body declared by `Content-Length` that opens with a status line is the next
//! response (the previous one answered `HEAD`, whose method the responder's side does not see).
//! It reports the end of the message, after which the caller reads the next one.
//!
//! The `0x13` that starts a BitTorrent handshake ends a head as not HTTP, before that byte
//! (as does a control byte in a start line's method or target, or in a header name), so that
//! the caller can read on from there (an "HTTP-looking prefix before the handshake"); inside a
//! body it is data. Every byte is scanned for a magnet URI
//! (metadata).
//! Like every reader of the core, it keeps no copy of the input and takes each cut of the
//! stream alike: byte runs that only move it along (header values, bodies) are taken whole.

use super::magnet;
use crate::observer::Observer;
use crate::verdict::Direction;

/// Longest start line plus header section read, in bytes; a longer head is not HTTP to us.
pub const MAX_HEAD: u16 = 8192;

/// What [`Framer::read`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Every byte fitted; the message goes on.
    NeedMore,
    /// The message ended after `consumed` bytes of the chunk; the next one starts there.
    End {
        /// Bytes of the chunk that belonged to the message.
        consumed: usize,
    },
    /// The bytes are not (or no longer) an HTTP/1 message; `consumed` bytes of the chunk were
    /// read, the byte after them is the one that does not fit.
    Invalid {
        /// Bytes of the chunk read before the misfit.
        consumed: usize,
        /// True if the misfit is in the head (start line or headers), false in a body.
        head: bool,
    },
    /// A response body starts, after `consumed` bytes of the chunk, with `d`: a bencoded
    /// dictionary (a tracker reply, perhaps).
    Bencoded {
        /// Bytes of the chunk before the `d`.
        consumed: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// The first bytes: `HTTP/1.` (a status line) or a method; `pos` bytes of `HTTP/1.` matched.
    Start,
    /// The method token; `pos` bytes long.
    Method,
    /// The request target.
    Target,
    /// `HTTP/1.x` after the target; `pos` bytes matched.
    Version,
    /// The end of a line: `pos` 1 after a CR.
    LineEnd,
    /// A request line's rest, not looked at (after a tracker reader gave up on it).
    SkipLine,
    /// After `HTTP/1.`: the minor version, a space, three digits; `pos` bytes read.
    Status,
    /// The reason phrase.
    Reason,
    /// The start of a header line, or of the empty line that ends the head.
    LineStart,
    /// After a CR at the start of a line.
    HeadEnd,
    /// A header name; `pos` bytes long; `NAME_*` flags are the names it may still be.
    Name,
    /// A header value we do not read.
    Value,
    /// A `Content-Length` value: `pos` 0 before the digits, 1 in them, 2 after.
    Length,
    /// A `Transfer-Encoding` value: `pos` bytes of `chunked` matched in the last coding
    /// (0xff: the coding is another one).
    Coding,
    /// The body: `remaining` bytes left (`u32::MAX`: until the connection closes).
    Body,
    /// A chunk-size line: the size in `remaining`; `pos` 1 once an extension started.
    ChunkSize,
    /// A chunk's data: `remaining` bytes left.
    ChunkData,
    /// The CRLF after a chunk's data; `pos` 1 after the CR.
    ChunkEnd,
    /// The start of a trailer line (or of the empty line that ends the message).
    TrailerStart,
    /// A trailer line.
    Trailer,
}

// Bits of `Framer::flags`.
/// The message is a response.
const REPLY: u8 = 1;
/// A `Content-Length` was read (its value in `remaining`).
const LENGTH: u8 = 2;
/// The last transfer coding is `chunked`.
const CHUNKED: u8 = 4;
/// A 1xx, 204 or 304 response: no body.
const NO_BODY: u8 = 8;
/// The header name may be `content-length` / `transfer-encoding`.
const NAME_LENGTH: u8 = 16;
const NAME_CODING: u8 = 32;
/// No body byte read yet (a response's first body byte is looked at).
const FRESH: u8 = 64;
/// A magnet URI was found; the scan is over.
const MAGNET: u8 = 128;

const STATUS: &[u8; 7] = b"HTTP/1.";
/// The first byte of a BitTorrent handshake: it ends a head, whatever the line it is in.
const HANDSHAKE_START: u8 = 0x13;
const CONTENT_LENGTH: &[u8] = b"content-length";
const TRANSFER_ENCODING: &[u8] = b"transfer-encoding";
const CHUNKED_CODING: &[u8] = b"chunked";

/// A `tchar` (RFC 9110 §5.6.2): what a method or a header name is made of.
const fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// A control byte other than tab, CR and LF: never in a start line or a header.
const fn is_ctl(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f
}

/// Reads one HTTP/1 message cut into any pieces (14 bytes of state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Framer {
    /// The status code being read; a `Content-Length` value; body or chunk bytes left.
    remaining: u32,
    /// Head bytes read.
    count: u16,
    phase: Phase,
    pos: u8,
    flags: u8,
    scanner: magnet::Scanner,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

impl Framer {
    /// A framer at the start of a message.
    #[must_use]
    pub const fn new() -> Self {
        Self::at(Phase::Start)
    }

    const fn at(phase: Phase) -> Self {
        Self {
            remaining: 0,
            count: 0,
            phase,
            pos: 0,
            flags: 0,
            scanner: magnet::Scanner::new(),
        }
    }

    /// A framer for a request whose first bytes another reader took: it goes on after the
    /// byte `last` that reader stopped at (`None`: in the middle of the request line), skipping
    /// what is left of the request line.
    #[must_use]
    pub const fn after_request_line(last: Option<u8>) -> Self {
        match last {
            Some(b'\n') => Self::at(Phase::LineStart),
            Some(b'\r') => {
                let mut f = Self::at(Phase::LineEnd);
                f.pos = 1;
                f
            }
            _ => Self::at(Phase::SkipLine),
        }
    }

    /// The magnet scanner, carried to whatever reads the bytes after a misfit.
    #[must_use]
    pub const fn scanner(&self) -> magnet::Scanner {
        self.scanner
    }

    /// True once a magnet URI was found.
    #[must_use]
    pub const fn found_magnet(&self) -> bool {
        self.flags & MAGNET != 0
    }

    /// True while the framer reads the head (start line and headers).
    #[must_use]
    pub const fn in_head(&self) -> bool {
        !matches!(
            self.phase,
            Phase::Body
                | Phase::ChunkSize
                | Phase::ChunkData
                | Phase::ChunkEnd
                | Phase::TrailerStart
                | Phase::Trailer
        )
    }

    /// Read the next chunk of the message; at most `magnet` bytes of it (from its start) are
    /// scanned for a magnet URI.
    pub fn read<O: Observer>(
        &mut self,
        chunk: &[u8],
        magnet: usize,
        dir: Direction,
        obs: &mut O,
    ) -> Step {
        let (step, consumed) = self.frame(chunk);
        if self.flags & MAGNET == 0 {
            let read = chunk.get(..consumed.min(magnet)).unwrap_or_default();
            if self.scanner.scan(read, dir, obs) == magnet::Step::Found {
                self.flags |= MAGNET;
            }
        }
        step
    }

    /// The framing of [`Framer::read`]: the step, and how many bytes of `chunk` belong to the
    /// message (all of them while it goes on).
    fn frame(&mut self, chunk: &[u8]) -> (Step, usize) {
        let mut i = 0usize;
        while let Some(rest) = chunk.get(i..) {
            if rest.is_empty() {
                break;
            }
            let head = self.in_head();
            if head && self.count >= MAX_HEAD {
                return (
                    Step::Invalid {
                        consumed: i,
                        head: true,
                    },
                    i,
                );
            }
            if self.flags & FRESH != 0 && matches!(self.phase, Phase::Body | Phase::ChunkData) {
                self.flags &= !FRESH;
                if rest.first() == Some(&b'd') {
                    return (Step::Bencoded { consumed: i }, i);
                }
                if self.phase == Phase::Body && self.remaining != u32::MAX {
                    // Look for a status line in place of the body (see `Phase::Body`).
                    self.pos = 1;
                }
            }
            // A head run never crosses MAX_HEAD, so the head ends there however it is cut.
            let window = if head {
                rest.get(..usize::from(MAX_HEAD.saturating_sub(self.count)))
                    .unwrap_or(rest)
            } else {
                rest
            };
            let (taken, outcome) = self.step(window);
            if head {
                self.count = self
                    .count
                    .saturating_add(u16::try_from(taken).unwrap_or(u16::MAX));
            }
            i = i.saturating_add(taken);
            match outcome {
                Outcome::Go => {}
                Outcome::End => return (Step::End { consumed: i }, i),
                Outcome::Invalid => return (Step::Invalid { consumed: i, head }, i),
            }
        }
        (Step::NeedMore, i)
    }

    /// Take the next run of `rest` (non-empty): how many bytes the phase accepts and what
    /// follows. An invalid byte is not taken.
    fn step(&mut self, rest: &[u8]) -> (usize, Outcome) {
        let Some(&b) = rest.first() else {
            return (0, Outcome::Go);
        };
        let go = |n: usize| (n, Outcome::Go);
        match self.phase {
            Phase::Start => {
                if STATUS.get(usize::from(self.pos)) == Some(&b) {
                    self.pos = self.pos.saturating_add(1);
                    if usize::from(self.pos) == STATUS.len() {
                        self.flags |= REPLY;
                        self.phase = Phase::Status;
                        self.pos = 0;
                    }
                    return go(1);
                }
                // "H", "HT", "HTT" and "HTTP" are tokens too: a method after all.
                self.phase = Phase::Method;
                if self.pos > 4 {
                    return (0, Outcome::Invalid);
                }
                self.step(rest)
            }
            Phase::Method => match b {
                b' ' if self.pos > 0 => {
                    self.phase = Phase::Target;
                    go(1)
                }
                _ if is_tchar(b) && self.pos < 32 => {
                    self.pos = self.pos.saturating_add(1);
                    go(1)
                }
                _ => (0, Outcome::Invalid),
            },
            Phase::Target => {
                let run = rest
                    .iter()
                    .position(|&c| c <= b' ' || c == 0x7f)
                    .unwrap_or(rest.len());
                if run > 0 {
                    return go(run);
                }
                if b == b' ' {
                    self.phase = Phase::Version;
                    self.pos = 0;
                    return go(1);
                }
                (0, Outcome::Invalid)
            }
            Phase::Version => {
                if usize::from(self.pos) < STATUS.len() {
                    if STATUS.get(usize::from(self.pos)) != Some(&b) {
                        return (0, Outcome::Invalid);
                    }
                    self.pos = self.pos.saturating_add(1);
                    return go(1);
                }
                if !b.is_ascii_digit() {
                    return (0, Outcome::Invalid);
                }
                self.phase = Phase::LineEnd;
                self.pos = 0;
                go(1)
            }
            Phase::LineEnd => match b {
                b'\r' if self.pos == 0 => {
                    self.pos = 1;
                    go(1)
                }
                b'\n' => {
                    self.phase = Phase::LineStart;
                    self.pos = 0;
                    go(1)
                }
                _ => (0, Outcome::Invalid),
            },
            // The rest of a line we do not read, up to its LF, taken whole; it stops before a
            // handshake's first byte.
            Phase::SkipLine | Phase::Reason | Phase::Value => {
                match memchr::memchr2(b'\n', HANDSHAKE_START, rest) {
                    Some(n) if rest.get(n) == Some(&b'\n') => {
                        self.phase = Phase::LineStart;
                        go(n.saturating_add(1))
                    }
                    Some(0) => (0, Outcome::Invalid),
                    Some(n) => go(n),
                    None => go(rest.len()),
                }
            }
            Phase::Status => {
                let ok = match self.pos {
                    0 | 2..=4 => b.is_ascii_digit(),
                    _ => b == b' ',
                };
                if !ok {
                    return (0, Outcome::Invalid);
                }
                if self.pos >= 2 {
                    self.remaining = self
                        .remaining
                        .saturating_mul(10)
                        .saturating_add(u32::from(b.wrapping_sub(b'0')));
                }
                self.pos = self.pos.saturating_add(1);
                if self.pos == 5 {
                    if matches!(self.remaining, 100..=199 | 204 | 304) {
                        self.flags |= NO_BODY;
                    }
                    self.remaining = 0;
                    self.phase = Phase::Reason;
                }
                go(1)
            }
            Phase::LineStart => match b {
                b'\r' => {
                    self.phase = Phase::HeadEnd;
                    go(1)
                }
                b'\n' => {
                    let outcome = self.end_of_head();
                    (1, outcome)
                }
                b' ' | b'\t' => {
                    self.phase = Phase::Value;
                    go(1)
                }
                // Only `Content-Length` and `Transfer-Encoding` are read; any other header
                // line is taken whole up to its LF.
                b'c' | b'C' | b't' | b'T' => {
                    self.phase = Phase::Name;
                    self.pos = 0;
                    self.flags |= NAME_LENGTH | NAME_CODING;
                    self.step(rest)
                }
                _ if is_tchar(b) => {
                    self.phase = Phase::Value;
                    self.step(rest)
                }
                _ => (0, Outcome::Invalid),
            },
            Phase::HeadEnd => {
                if b != b'\n' {
                    return (0, Outcome::Invalid);
                }
                let outcome = self.end_of_head();
                (1, outcome)
            }
            Phase::Name => self.name(rest),
            Phase::Length => self.length(b),
            Phase::Coding => self.coding(b),
            // A reply to `HEAD` declares the length of a body it does not carry (RFC 9110
            // §9.3.2), and the request's method is on the other side: a body that opens with
            // a status line (`pos` - 1 bytes of `HTTP/1.` matched so far, from the body's first
            // byte) is the next response, whose head is read on from there. Without this a
            // `HEAD` then a `GET` on one connection read the file from the wrong byte on.
            Phase::Body if self.pos > 0 => {
                let matched = usize::from(self.pos.saturating_sub(1));
                if STATUS.get(matched) != Some(&b) {
                    self.pos = 0;
                    return self.step(rest);
                }
                if matched.saturating_add(1) == STATUS.len() {
                    self.remaining = 0;
                    self.count = u16::try_from(STATUS.len()).unwrap_or(u16::MAX);
                    self.phase = Phase::Status;
                    self.pos = 0;
                    self.flags = REPLY | (self.flags & MAGNET);
                    return go(1);
                }
                self.pos = self.pos.saturating_add(1);
                let take = self.take(1);
                if self.remaining == 0 {
                    return (take, Outcome::End);
                }
                go(take)
            }
            Phase::Body => {
                let take = self.take(rest.len());
                if self.remaining == 0 {
                    return (take, Outcome::End);
                }
                go(take)
            }
            Phase::ChunkSize => self.chunk_size(b),
            Phase::ChunkData => {
                let take = self.take(rest.len());
                if self.remaining == 0 {
                    self.phase = Phase::ChunkEnd;
                    self.pos = 0;
                }
                go(take)
            }
            Phase::ChunkEnd => match b {
                b'\r' if self.pos == 0 => {
                    self.pos = 1;
                    go(1)
                }
                b'\n' => {
                    self.phase = Phase::ChunkSize;
                    self.pos = 0;
                    go(1)
                }
                _ => (0, Outcome::Invalid),
            },
            Phase::TrailerStart => match b {
                b'\r' if self.pos == 0 => {
                    self.pos = 1;
                    go(1)
                }
                b'\n' => (1, Outcome::End),
                _ if self.pos == 0 => {
                    self.phase = Phase::Trailer;
                    self.step(rest)
                }
                _ => (0, Outcome::Invalid),
            },
            Phase::Trailer => {
                let run = memchr::memchr(b'\n', rest).map_or(rest.len(), |n| n.saturating_add(1));
                if rest.get(..run).is_some_and(|r| r.ends_with(b"\n")) {
                    self.phase = Phase::TrailerStart;
                    self.pos = 0;
                }
                go(run)
            }
        }
    }

    /// Take up to `available` bytes of a body or chunk.
    fn take(&mut self, available: usize) -> usize {
        if self.remaining == u32::MAX {
            return available;
        }
        let take = available.min(self.remaining as usize);
        self.remaining = self
            .remaining
            .saturating_sub(u32::try_from(take).unwrap_or(u32::MAX));
        take
    }

    /// A run of a header name's bytes, or the colon after it.
    fn name(&mut self, rest: &[u8]) -> (usize, Outcome) {
        let run = rest
            .iter()
            .position(|&c| !is_tchar(c))
            .unwrap_or(rest.len());
        if let Some(part) = rest.get(..run).filter(|p| !p.is_empty()) {
            let at = usize::from(self.pos);
            let lower = |name: &[u8]| {
                name.get(at..).is_some_and(|n| {
                    n.len() >= part.len()
                        && n.iter()
                            .zip(part)
                            .all(|(a, b)| *a == b.to_ascii_lowercase())
                })
            };
            if self.flags & NAME_LENGTH != 0 && !lower(CONTENT_LENGTH) {
                self.flags &= !NAME_LENGTH;
            }
            if self.flags & NAME_CODING != 0 && !lower(TRANSFER_ENCODING) {
                self.flags &= !NAME_CODING;
            }
            self.pos = self
                .pos
                .saturating_add(u8::try_from(run).unwrap_or(u8::MAX));
            return (run, Outcome::Go);
        }
        if rest.first() == Some(&b':') {
            let len = usize::from(self.pos);
            self.phase = if self.flags & NAME_LENGTH != 0 && len == CONTENT_LENGTH.len() {
                self.remaining = 0;
                Phase::Length
            } else if self.flags & NAME_CODING != 0 && len == TRANSFER_ENCODING.len() {
                self.flags &= !CHUNKED;
                Phase::Coding
            } else {
                Phase::Value
            };
            self.flags &= !(NAME_LENGTH | NAME_CODING);
            self.pos = 0;
            return (1, Outcome::Go);
        }
        (0, Outcome::Invalid)
    }

    fn length(&mut self, b: u8) -> (usize, Outcome) {
        match (b, self.pos) {
            (b'0'..=b'9', 0 | 1) => {
                self.pos = 1;
                self.remaining = self
                    .remaining
                    .saturating_mul(10)
                    .saturating_add(u32::from(b.wrapping_sub(b'0')))
                    .min(u32::MAX.saturating_sub(1));
            }
            (b' ' | b'\t', 0) | (b'\r', _) => {}
            (b' ' | b'\t', _) => self.pos = 2,
            (b'\n', 1 | 2) => {
                self.flags |= LENGTH;
                self.phase = Phase::LineStart;
            }
            // An empty or malformed length (RFC 9112 §6.3, item 5): not a message we can frame.
            _ => return (0, Outcome::Invalid),
        }
        (1, Outcome::Go)
    }

    fn coding(&mut self, b: u8) -> (usize, Outcome) {
        match b {
            b'\n' => {
                if usize::from(self.pos) == CHUNKED_CODING.len() {
                    self.flags |= CHUNKED;
                }
                self.phase = Phase::LineStart;
            }
            b',' => self.pos = 0,
            b' ' | b'\t' | b'\r' => {
                if self.pos != 0 && usize::from(self.pos) != CHUNKED_CODING.len() {
                    self.pos = 0xff;
                }
            }
            _ if is_ctl(b) => return (0, Outcome::Invalid),
            _ => {
                let at = usize::from(self.pos);
                self.pos = if CHUNKED_CODING.get(at) == Some(&b.to_ascii_lowercase()) {
                    self.pos.saturating_add(1)
                } else {
                    0xff
                };
            }
        }
        (1, Outcome::Go)
    }

    fn chunk_size(&mut self, b: u8) -> (usize, Outcome) {
        match (b, self.pos) {
            (b'\n', _) => {
                if self.remaining == 0 {
                    self.phase = Phase::TrailerStart;
                } else {
                    self.phase = Phase::ChunkData;
                }
                self.pos = 0;
            }
            (b'\r', _) | (_, 1) => {}
            (b';' | b' ' | b'\t', 0) => self.pos = 1,
            _ => match super::bytes::hex_digit(b) {
                Some(n) => {
                    self.remaining = self
                        .remaining
                        .saturating_mul(16)
                        .saturating_add(u32::from(n))
                        .min(u32::MAX.saturating_sub(1));
                }
                None => return (0, Outcome::Invalid),
            },
        }
        (1, Outcome::Go)
    }

    /// The empty line ended the head: where the body is (RFC 9112 §6.3).
    fn end_of_head(&mut self) -> Outcome {
        self.pos = 0;
        let reply = self.flags & REPLY != 0;
        if reply && self.flags & NO_BODY != 0 {
            return Outcome::End;
        }
        if self.flags & CHUNKED != 0 {
            self.phase = Phase::ChunkSize;
            self.remaining = 0;
        } else if self.flags & LENGTH != 0 {
            if self.remaining == 0 {
                return Outcome::End;
            }
            self.phase = Phase::Body;
        } else if reply {
            self.phase = Phase::Body;
            self.remaining = u32::MAX;
        } else {
            return Outcome::End;
        }
        if reply {
            self.flags |= FRESH;
        }
        Outcome::Go
    }
}

/// What a run of bytes leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Go,
    End,
    Invalid,
}

// The framer's part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl Framer {
    pub(crate) const ENCODED_LEN: usize = 4 + 2 + 3 + magnet::Scanner::ENCODED_LEN;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u32(self.remaining);
        w.u16(self.count);
        w.u8(self.phase as u8);
        w.u8(self.pos);
        w.u8(self.flags);
        self.scanner.encode(w);
    }

    /// `None` for an unknown phase.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        use Phase as P;
        let remaining = r.u32()?;
        let count = r.u16()?;
        let phase = [
            P::Start,
            P::Method,
            P::Target,
            P::Version,
            P::LineEnd,
            P::SkipLine,
            P::Status,
            P::Reason,
            P::LineStart,
            P::HeadEnd,
            P::Name,
            P::Value,
            P::Length,
            P::Coding,
            P::Body,
            P::ChunkSize,
            P::ChunkData,
            P::ChunkEnd,
            P::TrailerStart,
            P::Trailer,
        ]
        .get(usize::from(r.u8()?))
        .copied()?;
        let pos = r.u8()?;
        let flags = r.u8()?;
        let scanner = magnet::Scanner::decode(r)?;
        Some(Self {
            remaining,
            count,
            phase,
            pos,
            flags,
            scanner,
        })
    }
}

#[cfg(test)]
mod tests;
