//! The flights of an MSE/PE key exchange ("Message Stream Encryption", the obfuscation Azureus
//! introduced and every major client implements; libtorrent `pe_crypto`, Transmission
//! `handshake.c`).
//!
//! ## The exchange
//! ```text
//! 1 A->B: Ya, PadA                   Ya = 96-byte Diffie-Hellman public key (768-bit prime),
//!                                    PadA = 0..512 bytes
//! 2 B->A: Yb, PadB                   the same, from B
//! 3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
//!         ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
//! 4 B->A: ENCRYPT(VC, crypto_select, len(padD), padD), ENCRYPT2(payload stream)
//! ```
//! Nothing is in the clear, so what can be measured is the *shape*: a flight is the bytes a
//! side sends before the other side's next byte, which does not depend on how either stream
//! is cut into segments.
//!
//! - A speaks first. Its first flight is 96 to 608 bytes, because B must read the 96-byte `Ya`
//!   before it can answer and A cannot go on before it has `Yb`; B's first flight likewise.
//! - A's second flight is at least 56 bytes (two 20-byte hashes, then VC, crypto_provide and
//!   two lengths), B's at least 14 (VC, crypto_select, len(padD)).
//!
//! ## What a peer controls, and what it cannot
//! A client picks its own key and padding, so the *first* flights' bytes prove nothing: a key
//! may have low entropy (`Ya = 2^500` is mostly zero bytes), start with any byte, or hold many
//! printable ones. [`Flights`] therefore never requires a first flight to look random for an
//! exchange to fit (only a first flight nothing answered, a one-sided guess, must look like
//! a computed key: [`Flights::unlike_key`]). What no compliant peer controls is the *second*
//! flights: A's starts with two SHA-1 hashes of the
//! shared secret, then RC4 output; B's is RC4 output, or, when plaintext was selected, 14
//! RC4 bytes and padding followed by B's cleartext BEP 3 handshake. Their first bytes must look
//! random ([`SECOND_SAMPLE`], [`RESPONDER_SAMPLE`]); and a cleartext handshake prefix within
//! [`PLAINTEXT_WINDOW`] bytes of B's second flight is conclusive.
//!
//! ## Refuters
//! Look-alikes are refuted by structure a key cannot be made to show. A first flight is
//! refuted only by patterns of at least 8 fixed or constrained bytes (about 2^-53 or less for
//! a random key, more work than any client would spend searching keys), or by text no key can
//! be: a TLS ClientHello or ServerHello (record and handshake headers), an SSLv2 ClientHello,
//! an SSH identification string, an HTTP/1 status line, the HTTP/2 connection preface. A first
//! flight of text ([`TEXT_MIN`] text bytes among its first [`SAMPLE`]) or whose sample holds
//! set bits no random key shows ([`KEY_ONES`]) is no computed key, but a pair of evading peers
//! may agree on a chosen one: it is only noted ([`Flights::unlike_key`]), and keeps an
//! unanswered first flight from counting as an MSE attempt. A second flight is refuted by a TLS
//! record header (any content type and version). Length-prefixed messages are refuted when
//! both first flights are framed like them ([`Flights::length_framed`]: a big-endian size of
//! the rest, as Ethereum RLPx EIP-8 `auth`/`ack` and DNS over TCP, DNSCrypt included, send, or
//! a four-byte one, as Kerberos over TCP and Thrift, ZooKeeper and Kafka clients send;
//! RLPx's `ack` followed by whole 16-byte frames; pre-EIP-8 RLPx's 307-byte `auth` and 210-byte
//! `ack`): a 2^-16 pattern on one side, so it takes both (and an unanswered first flight framed
//! so is no MSE attempt).
//!
//! Other fully random protocols (obfs4, Shadowsocks, VMess, Telegram's obfuscated2) have the
//! same shape: the shape alone is therefore no verdict (only evidence); corroboration (a known
//! BitTorrent endpoint or host) confirms it, see [`crate::flow`].

use super::handshake::Finder;
use crate::verdict::Direction;

/// Smallest first flight: the 96-byte public key.
pub const MIN_FLIGHT: u16 = 96;
/// Largest first flight: public key and 512 bytes of padding.
pub const MAX_FLIGHT: u16 = 96 + 512;
/// Bytes of each first flight that the text refuter counts (the public key).
pub const SAMPLE: u8 = 96;
/// Text bytes (printable ASCII, tab, CR, LF) among a first flight's [`SAMPLE`] that make it
/// text (part of [`Flights::unlike_key`]): a random key has 36.7 ± 4.8, and at least this
/// many with probability 2·10^-23.
pub const TEXT_MIN: u8 = 84;
/// Set bits a first flight's [`SAMPLE`] may hold and still be a computed key: a Diffie-Hellman
/// public key is uniform below the 768-bit prime, so its 768 bits hold 384 ± 13.9 set ones,
/// outside this range with probability 5.7·10^-7 (5 standard deviations). A binary request of
/// zero fields and ASCII (nmap's database probes) holds far fewer.
pub const KEY_ONES: core::ops::RangeInclusive<u16> = 315..=453;
/// Bytes of the initiator's second flight whose statistics are tested: its two hashes and the
/// 16 RC4 bytes after them, all outside any peer's control.
pub const SECOND_SAMPLE: u8 = 56;
/// Bytes of the responder's second flight whose statistics are tested: the RC4 bytes of VC,
/// crypto_select and len(padD), which come before any plaintext.
pub const RESPONDER_SAMPLE: u8 = 14;
/// Text bytes allowed among [`SECOND_SAMPLE`] random bytes (21.4 ± 3.6; outside with
/// probability 7.8·10^-6).
pub const SECOND_TEXT: core::ops::RangeInclusive<u16> = 6..=37;
/// Set bits allowed among [`SECOND_SAMPLE`] random bytes (224 ± 10.6; outside with
/// probability 6.7·10^-6).
pub const SECOND_ONES: core::ops::RangeInclusive<u16> = 177..=271;
/// Text bytes allowed among [`RESPONDER_SAMPLE`] random bytes (all 14 with probability
/// 1.5·10^-6).
pub const RESPONDER_TEXT: core::ops::RangeInclusive<u16> = 0..=13;
/// Set bits allowed among [`RESPONDER_SAMPLE`] random bytes (56 ± 5.3; outside with
/// probability 6.6·10^-6).
pub const RESPONDER_ONES: core::ops::RangeInclusive<u16> = 33..=79;
/// Bytes of the responder's second flight within which a cleartext handshake's 20-byte prefix
/// must end: VC, crypto_select, len(padD), at most 512 bytes of padD, then the prefix.
pub const PLAINTEXT_WINDOW: u16 = 8 + 4 + 2 + 512 + 20;
/// First bytes of a flight that the structure refuters look at.
const HEAD: u16 = 12;

// Bits of `Flights::flags`.
/// Not an MSE key exchange (or not measurable: mid-stream pickup, a gap).
const REFUTED: u8 = 1;
/// The first flight ended within [MIN_FLIGHT, MAX_FLIGHT].
const FIRST: u8 = 2;
/// The second flight's sample was complete and looked random.
const SECOND: u8 = 4;
/// The first flight is framed as a length-prefixed message ([`Flights::length_framed`]).
const FRAMED: u8 = 8;
/// A cleartext handshake prefix in the responder's second flight.
const FOUND: u8 = 16;
/// The responder sent [`PLAINTEXT_WINDOW`] bytes after its first flight.
const WINDOW: u8 = 32;
/// The first flight's [`SAMPLE`] is no computed key: [`TEXT_MIN`] text bytes, or set bits
/// outside [`KEY_ONES`].
const UNLIKE_KEY: u8 = 64;
/// The first flight opened with two zero bytes: `scratch` holds its bytes 2–3, the low half of
/// a four-byte big-endian size (cleared when the flight closes).
const WIDE: u8 = 128;

// Bits of `Flights::cand`: structures the current flight's first bytes still match.
const C_TLS: u8 = 1;
const C_SSL2: u8 = 2;
const C_SSL3: u8 = 4;
const C_SSH: u8 = 8;
const C_STATUS: u8 = 16;
const C_H2: u8 = 32;
const C_RLPX8: u8 = 64;
const C_RLPX: u8 = 128;
/// What a first flight may turn out to be.
const FIRST_CANDIDATES: u8 = 0xff;
/// What a second flight may turn out to be: a TLS record.
const SECOND_CANDIDATES: u8 = C_TLS;

const SSH: &[u8; 4] = b"SSH-";
const STATUS: &[u8; 7] = b"HTTP/1.";
const H2: &[u8; 12] = b"PRI * HTTP/2";

/// One side's flights of a possible MSE key exchange (10 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flights {
    /// Bytes of the current flight (saturating).
    flight: u16,
    /// Set bits among the current flight's sampled bytes.
    ones: u16,
    /// During the first flight its first two bytes (a length prefix?); after it, the bytes sent
    /// since it ended (saturating).
    scratch: u16,
    /// Text bytes among the sampled bytes of the current flight.
    text: u8,
    /// `C_*` structures the current flight's first bytes still match.
    cand: u8,
    /// The responder's search for a cleartext handshake.
    finder: Finder,
    flags: u8,
}

impl Default for Flights {
    fn default() -> Self {
        Self::new()
    }
}

/// A text byte: printable ASCII, tab, CR or LF.
const fn is_text(b: u8) -> bool {
    b.wrapping_sub(0x20) < 0x5f || matches!(b, b'\t' | b'\n' | b'\r')
}

/// [`is_text`] of the byte values `64 * word ..= 64 * word + 63`, one bit each.
const fn text_word(word: u32) -> u64 {
    let mut bits = 0u64;
    let mut i = 0u32;
    while i < 64 {
        if is_text(word.wrapping_mul(64).wrapping_add(i) as u8) {
            bits |= 1u64.wrapping_shl(i);
        }
        i = i.wrapping_add(1);
    }
    bits
}

/// [`is_text`] of every byte value.
const TEXT_BYTES: [u64; 4] = [text_word(0), text_word(1), text_word(2), text_word(3)];

/// Text bytes in `bytes`.
fn text_bytes(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .map(|&b| {
            let word = TEXT_BYTES.get(usize::from(b >> 6)).copied().unwrap_or(0);
            (word >> (b & 63)) as usize & 1
        })
        .sum()
}

impl Flights {
    /// A side that has sent nothing.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            flight: 0,
            ones: 0,
            scratch: 0,
            text: 0,
            cand: FIRST_CANDIDATES,
            finder: Finder::new(),
            flags: 0,
        }
    }

    /// This side is not (or cannot be measured as) a key exchange: the flow was picked up
    /// mid-stream, lost bytes, or the other side's flights refuted it.
    pub fn refute(&mut self) {
        self.flags |= REFUTED;
    }

    /// What is known of the side's flights, as a few bits (a change of any of them can change
    /// a decision or [`Flights::is_done`]): refuted, first flight in range, second flight
    /// random, length-prefixed framing, plaintext handshake found, its window passed, text.
    #[must_use]
    pub const fn status(&self) -> u8 {
        self.flags
    }

    /// True once the side is refuted.
    #[must_use]
    pub const fn refuted(&self) -> bool {
        self.flags & REFUTED != 0
    }

    /// True once the first flight ended within [`MIN_FLIGHT`]..=[`MAX_FLIGHT`] (and nothing
    /// refuted the side).
    #[must_use]
    pub const fn first_fits(&self) -> bool {
        self.flags & (FIRST | REFUTED) == FIRST
    }

    /// True once the second flight's sample looked random (and nothing refuted the side).
    #[must_use]
    pub const fn second_fits(&self) -> bool {
        self.flags & (SECOND | REFUTED) == SECOND
    }

    /// True if the first flight is framed as a length-prefixed message: its first two (or four)
    /// bytes are the big-endian size of the rest (RLPx EIP-8 `auth`/`ack`, a DNS over TCP
    /// message; Kerberos over TCP),
    /// or (responder) an RLPx `ack` followed by whole 16-byte frames, or pre-EIP-8 RLPx.
    #[must_use]
    pub const fn length_framed(&self) -> bool {
        self.flags & FRAMED != 0
    }

    /// True if the first flight opened with what no computed key looks like: text
    /// ([`TEXT_MIN`] text bytes among its first [`SAMPLE`], probability 2·10^-23 for a
    /// Diffie-Hellman key) or set bits outside [`KEY_ONES`] (5.7·10^-7). A pair of evading
    /// peers may agree on a chosen "key" out of band, so this refutes nothing a second flight
    /// can still decide; it only keeps a one-sided guess (an unanswered first flight) from
    /// being made of a request of another protocol that nothing answered.
    #[must_use]
    pub const fn unlike_key(&self) -> bool {
        self.flags & UNLIKE_KEY != 0
    }

    /// True once a cleartext handshake prefix was found in the responder's second flight.
    #[must_use]
    pub const fn found_handshake(&self) -> bool {
        self.flags & FOUND != 0
    }

    /// True when more bytes can change nothing: refuted, or (initiator) the second flight
    /// judged, or (responder) also the plaintext handshake found or its window passed.
    #[must_use]
    pub const fn is_done(&self, direction: Direction) -> bool {
        if self.flags & REFUTED != 0 {
            return true;
        }
        if self.flags & SECOND == 0 {
            return false;
        }
        match direction {
            Direction::Initiator => true,
            Direction::Responder => self.flags & (FOUND | WINDOW) != 0,
        }
    }

    /// Account for `chunk`, the next bytes `direction` sent. Returns, when the responder's
    /// second flight completes a cleartext handshake prefix, the bytes of `chunk` up to and
    /// including the prefix's last byte.
    pub fn read(&mut self, chunk: &[u8], direction: Direction) -> Option<usize> {
        if self.is_done(direction) || chunk.is_empty() {
            return None;
        }
        let start = self.flight;
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        self.flight = self.flight.saturating_add(len);
        if self.flags & FIRST == 0 {
            self.first_bytes(start, chunk, direction);
            return None;
        }
        let since = self.scratch;
        self.scratch = self.scratch.saturating_add(len);
        if self.flags & SECOND == 0 {
            self.second_bytes(start, chunk, direction);
        }
        if direction == Direction::Initiator || self.flags & (FOUND | REFUTED) != 0 {
            return None;
        }
        if self.scratch >= PLAINTEXT_WINDOW {
            self.flags |= WINDOW;
        }
        let room = usize::from(PLAINTEXT_WINDOW.saturating_sub(since));
        let at = self.finder.find(chunk.get(..room).unwrap_or(chunk))?;
        self.flags |= FOUND;
        Some(at)
    }

    /// The other side spoke: this side's current flight is over.
    pub fn close(&mut self, direction: Direction) {
        if self.flags & REFUTED != 0 {
            return;
        }
        if self.flight == 0 {
            // The responder spoke before the initiator: not a key exchange.
            if self.flags & FIRST == 0 && direction == Direction::Initiator {
                self.flags |= REFUTED;
            }
            return;
        }
        if self.flags & FIRST == 0 {
            if !(MIN_FLIGHT..=MAX_FLIGHT).contains(&self.flight) {
                self.flags |= REFUTED;
                return;
            }
            if self.framing(direction) {
                self.flags |= FRAMED;
            }
            self.flags &= !WIDE;
            self.flags |= FIRST;
            self.scratch = 0;
            self.cand = SECOND_CANDIDATES;
            self.text = 0;
            self.ones = 0;
        } else if self.flags & SECOND == 0 {
            // The second flight ended before its sample was complete: too short.
            self.flags |= REFUTED;
        }
        self.flight = 0;
    }

    /// Length-prefixed framing of the first flight, now that its length is known: a big-endian
    /// size of the rest, in two bytes (DNS over TCP, RFC 7766 §8; RLPx EIP-8 `auth` and `ack`)
    /// or four (Kerberos over TCP, RFC 4120 §7.2.2; Thrift's framed transport, ZooKeeper,
    /// Kafka: a flight of at most [`MAX_FLIGHT`] bytes starts with two zero bytes). RLPx's
    /// responder may follow its `ack` (0x04 and at least the ECIES overhead of 113 bytes) with
    /// whole 16-byte frames; pre-EIP-8, `auth` is 307 bytes and `ack` 210, both starting 0x04.
    fn framing(&self, direction: Direction) -> bool {
        let len = self.flight;
        let wide = self.flags & WIDE != 0;
        let size = self.scratch.saturating_add(if wide { 4 } else { 2 });
        let message = size == len;
        let eip8 = !wide
            && direction == Direction::Responder
            && self.cand & C_RLPX8 != 0
            && self.scratch >= 113
            && size <= len
            && len.wrapping_sub(size) % 16 == 0;
        let old = self.cand & C_RLPX != 0
            && match direction {
                Direction::Initiator => len == 307,
                Direction::Responder => len >= 210 && len.wrapping_sub(210) % 16 == 0,
            };
        message || eip8 || old
    }

    fn first_bytes(&mut self, start: u16, chunk: &[u8], direction: Direction) {
        if self.flight > MAX_FLIGHT {
            self.flags |= REFUTED;
            return;
        }
        let head = chunk
            .get(..usize::from(HEAD.saturating_sub(start)))
            .unwrap_or(chunk);
        for (at, &b) in (start..).zip(head) {
            if at == 2 && self.scratch == 0 {
                self.flags |= WIDE;
            }
            if at < 2 || (at < 4 && self.flags & WIDE != 0) {
                self.scratch = (self.scratch << 8) | u16::from(b);
            } else if self.cand == 0 {
                break;
            }
            self.cand = first_candidates(self.cand, at, b, direction);
            if refuted_at(self.cand, at) {
                self.flags |= REFUTED;
                return;
            }
        }
        let sampled = chunk
            .get(..usize::from(u16::from(SAMPLE).saturating_sub(start)))
            .unwrap_or(chunk);
        let text = text_bytes(sampled);
        self.text = self
            .text
            .saturating_add(u8::try_from(text).unwrap_or(u8::MAX));
        let ones = sampled
            .iter()
            .fold(0u32, |n, b| n.wrapping_add(b.count_ones()));
        self.ones = self
            .ones
            .saturating_add(u16::try_from(ones).unwrap_or(u16::MAX));
        let whole = usize::from(start).saturating_add(sampled.len()) >= usize::from(SAMPLE);
        if self.text >= TEXT_MIN || (whole && !KEY_ONES.contains(&self.ones)) {
            self.flags |= UNLIKE_KEY;
        }
    }

    fn second_bytes(&mut self, start: u16, chunk: &[u8], direction: Direction) {
        let (sample, texts, ones) = match direction {
            Direction::Initiator => (SECOND_SAMPLE, SECOND_TEXT, SECOND_ONES),
            Direction::Responder => (RESPONDER_SAMPLE, RESPONDER_TEXT, RESPONDER_ONES),
        };
        let sample = u16::from(sample);
        let sampled = chunk
            .get(..usize::from(sample.saturating_sub(start)))
            .unwrap_or(chunk);
        let header = sampled
            .get(..usize::from(3u16.saturating_sub(start)))
            .unwrap_or(sampled);
        for (at, &b) in (start..).zip(header) {
            self.cand &= tls_record(at, b);
        }
        if start < 3 && self.flight >= 3 && self.cand & C_TLS != 0 {
            self.flags |= REFUTED;
            return;
        }
        for &b in sampled {
            self.text = self.text.saturating_add(u8::from(is_text(b)));
            self.ones = self
                .ones
                .saturating_add(u16::try_from(b.count_ones()).unwrap_or(8));
        }
        if self.flight >= sample {
            let random = texts.contains(&u16::from(self.text)) && ones.contains(&self.ones);
            self.flags |= if random { SECOND } else { REFUTED };
        }
    }
}

/// Which of the `cand` structures byte `at` (< [`HEAD`]) of a first flight leaves standing.
fn first_candidates(cand: u8, at: u16, b: u8, direction: Direction) -> u8 {
    let initiator = direction == Direction::Initiator;
    let fixed = |s: &[u8]| s.get(usize::from(at)).is_none_or(|&c| c == b);
    let mut keep = cand;
    let mut check = |bit: u8, ok: &dyn Fn() -> bool| {
        if keep & bit != 0 && !ok() {
            keep &= !bit;
        }
    };
    // TLS: record type 22 (handshake), version 3.x, length ≤ 2^14 + 2^8, then the handshake
    // header: ClientHello (1) or ServerHello (2), a 24-bit length under 2^16, version 3.x
    // (RFC 8446 §4, §5.1).
    check(C_TLS, &|| match at {
        0 => b == 0x16,
        1 | 9 => b == 0x03,
        2 | 10 => b <= 0x04,
        3 => b <= 0x41,
        5 => b == if initiator { 1 } else { 2 },
        6 => b == 0,
        _ => true,
    });
    // SSLv2 ClientHello: 2-byte length with the high bit set, type 1, version 0.2 (C_SSL2) or
    // 3.x (C_SSL3), cipher-spec length a non-zero multiple of 3, session-id length 0, 16 or
    // 32, challenge length 16..=32 (RFC 6101 appendix E).
    let ssl2 = |v3: bool| {
        initiator
            && match at {
                0 => b & 0x80 != 0,
                2 => b == 1,
                3 => b == if v3 { 3 } else { 0 },
                4 if v3 => b <= 4,
                4 => b == 2,
                5 | 7 | 9 => b == 0,
                6 => b != 0 && b % 3 == 0,
                8 => matches!(b, 0 | 16 | 32),
                10 => (16..=32).contains(&b),
                _ => true,
            }
    };
    check(C_SSL2, &|| ssl2(false));
    check(C_SSL3, &|| ssl2(true));
    // SSH identification string "SSH-1.x" / "SSH-2.0-" (RFC 4253 §4.2).
    check(C_SSH, &|| match at {
        0..=3 => fixed(SSH),
        4 => b == b'1' || b == b'2',
        5 => b == b'.',
        6 => b.is_ascii_digit(),
        7 => b == b'-' || b.is_ascii_digit(),
        _ => true,
    });
    // HTTP/1 status line "HTTP/1.x NNN" (RFC 9112 §4).
    check(C_STATUS, &|| match at {
        0..=6 => fixed(STATUS),
        7 | 9..=11 => b.is_ascii_digit(),
        8 => b == b' ',
        _ => true,
    });
    // HTTP/2 connection preface (RFC 9113 §3.4).
    check(C_H2, &|| initiator && fixed(H2));
    // RLPx: EIP-8 `ack` (a size, then 0x04); pre-EIP-8 0x04 first. Judged at the flight's end.
    check(C_RLPX8, &|| at != 2 || b == 0x04);
    check(C_RLPX, &|| at != 0 || b == 0x04);
    keep
}

/// True if a structure that ends at byte `at` still stands: the flight is refuted.
const fn refuted_at(cand: u8, at: u16) -> bool {
    let ended = match at {
        7 => C_SSH,
        10 => C_TLS | C_SSL2 | C_SSL3,
        11 => C_STATUS | C_H2,
        _ => 0,
    };
    cand & ended != 0
}

/// [`C_TLS`] if byte `at` (< 3) of a second flight may belong to a TLS record header: content
/// type 20..=24 (change_cipher_spec, alert, handshake, application_data, heartbeat), version
/// 3.0 to 3.4 (RFC 8446 §5.1).
fn tls_record(at: u16, b: u8) -> u8 {
    let ok = match at {
        0 => (0x14..=0x18).contains(&b),
        1 => b == 0x03,
        _ => b <= 0x04,
    };
    if ok {
        C_TLS
    } else {
        0
    }
}

// One flight on its own: a uTP DATA packet (BEP 29) carries each flight of an MSE exchange
// over uTP whole, so the uTP reader judges single datagrams with `Shape`.

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

/// What a side's shape says: whether its bytes fit an MSE/PE key exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeFit {
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
    #[cfg(test)]
    pub const fn first_flight(&self) -> u16 {
        self.first
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
    pub fn fit(&self) -> ShapeFit {
        if self.flags & NOT_RANDOM != 0 {
            ShapeFit::Refuted
        } else if self.first == 0 {
            ShapeFit::Open
        } else {
            ShapeFit::Fits
        }
    }
}

// The flights' part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl Flights {
    pub(crate) const ENCODED_LEN: usize = 6 + 3 + Finder::ENCODED_LEN;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u16(self.flight);
        w.u16(self.ones);
        w.u16(self.scratch);
        w.u8(self.text);
        w.u8(self.cand);
        self.finder.encode(w);
        w.u8(self.flags);
    }

    /// `None` for an unknown flag bit or a flag set [`Flights`] cannot reach.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let flight = r.u16()?;
        let ones = r.u16()?;
        let scratch = r.u16()?;
        let text = r.u8()?;
        let cand = r.u8()?;
        let finder = Finder::decode(r)?;
        let flags = r.u8_if(|f| {
            (f & WIDE == 0 || f & FIRST == 0)
                && (f & (SECOND | FRAMED | WINDOW) == 0 || f & FIRST != 0)
                && (f & FOUND == 0 || f & SECOND != 0)
        })?;
        Some(Self {
            flight,
            ones,
            scratch,
            text,
            cand,
            finder,
            flags,
        })
    }
}

#[cfg(test)]
mod tests;
