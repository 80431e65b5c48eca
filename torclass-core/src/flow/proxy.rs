//! The proxy negotiation in front of a TCP flow's readers (issue 14): SOCKS 4/4A, SOCKS 5
//! ([`socks`]) and HTTP `CONNECT` ([`http_connect`]).
//!
//! At the flow's first byte (the initiator's, before the responder said anything, on a flow
//! seen from its start) a `0x04`, `0x05` or `C` puts a negotiation reader on each side instead
//! of the first-byte dispatch. Each side is checked on its own, a byte at a time: the client's
//! greeting, credentials and request; the proxy's method choice, authentication status and
//! reply. When a side's negotiation ends, the side restarts: a fresh [`Side`] (cleartext
//! dispatch, MSE flights, stream offset 0) reads from the next byte, which is the first byte
//! of the tunnelled stream. That restart is the per-direction offset where the tunnel begins;
//! it costs no state beyond the negotiation reader, which lives in the side's reader slot
//! while it runs.
//!
//! While a side negotiates, its MSE flights still measure its bytes (so that a side that
//! turns out not to be a negotiation is measured from its first byte as before), but no flight
//! rule is applied to the flow and the other side's flight is not closed by it: negotiation
//! bytes are neither key exchange nor its refutation. Any other byte a side sends (a tunnelled
//! stream, or bytes that turned out not to be a negotiation) ends the other side's turn,
//! negotiating or not, as in `feed_with`, so a turn ends at the same byte however the segments
//! fall. The negotiation alone never makes the
//! flow BitTorrent; a negotiation whose stream cannot be read (GSSAPI, a refusal) leaves that
//! side undecided until the flow ends.
//!
//! Falling back: if the client's first bytes are not a negotiation after all, the side reads
//! them as the dispatch would have: nothing for `0x04`/`0x05` (binary), an HTTP message for a
//! `C` that was not `CONNECT ` (the matched prefix is replayed from [`http_connect::METHOD`],
//! a constant, so nothing is buffered), and the proxy's side goes back to its own dispatch.

use super::{read_side, turn_over, Found, Reader, Reading, Side, SideContext, BUDGET};
use crate::codec::{StateReader, StateWriter};
use crate::observer::Observer;
use crate::packet::TunnelKind;
use crate::verdict::{Direction, Evidence};
use crate::wire::extension::ExtIds;
use crate::wire::proxy::Step;
use crate::wire::{http_connect, socks};

/// One side's negotiation reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Negotiation {
    SocksClient(socks::ClientReader),
    SocksServer(socks::ServerReader),
    ConnectClient(http_connect::RequestReader),
    ConnectServer(http_connect::ReplyReader),
    /// Negotiated, but the stream that follows cannot be read: nothing more is read and the
    /// side is never given up.
    Opaque,
}

/// The flow's proxy, one byte: bits 0–1 the kind (1 SOCKS 4, 2 SOCKS 5, 3 HTTP `CONNECT`),
/// bit 2 set once the client's negotiation ended (the record's `tunnel`), bit 3 set once the
/// flow's first byte was looked at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct ProxyState(u8);

const KIND: u8 = 3;
const ESTABLISHED: u8 = 4;
const LOOKED: u8 = 8;

impl ProxyState {
    pub(super) const NONE: Self = Self(0);

    /// The proxy the flow was read through, once the client's negotiation ended.
    pub(super) const fn kind(self) -> Option<TunnelKind> {
        if self.0 & ESTABLISHED == 0 {
            return None;
        }
        match self.0 & KIND {
            1 => Some(TunnelKind::Socks4),
            2 => Some(TunnelKind::Socks5),
            3 => Some(TunnelKind::HttpConnect),
            _ => None,
        }
    }

    pub(super) const fn to_byte(self) -> u8 {
        self.0
    }

    /// `None` for a byte [`ProxyState::to_byte`] cannot write.
    pub(super) const fn from_byte(b: u8) -> Option<Self> {
        let kind_ok = b & KIND != 0 || b & ESTABLISHED == 0;
        if b & !(KIND | ESTABLISHED | LOOKED) == 0 && kind_ok {
            Some(Self(b))
        } else {
            None
        }
    }
}

/// True while `side` reads a negotiation (or a negotiated stream it cannot read).
pub(super) const fn negotiating(side: &Side) -> bool {
    matches!(side.reader, Reader::Proxy(_))
}

/// Before the initiator's first payload: put the negotiation readers on both sides if the
/// first byte opens one. Only at the flow's very first byte, on a flow seen from its start.
pub(super) fn start(sides: &mut [Side; 2], proxy: &mut ProxyState, first: u8) {
    if proxy.0 & LOOKED != 0 {
        return;
    }
    proxy.0 |= LOOKED;
    let [a, b] = sides;
    let fresh = |s: &Side| s.sent == 0 && matches!(s.reader, Reader::Start);
    if !fresh(a) || !fresh(b) || a.flights.refuted() {
        return;
    }
    let (client, server, kind) = match first {
        b'C' => (
            Negotiation::ConnectClient(http_connect::RequestReader::new()),
            Negotiation::ConnectServer(http_connect::ReplyReader::new()),
            3,
        ),
        _ => match socks::ClientReader::for_first_byte(first) {
            Some(c) => {
                let socks4 = c.is_socks4();
                (
                    Negotiation::SocksClient(c),
                    Negotiation::SocksServer(socks::ServerReader::new(socks4)),
                    if socks4 { 1 } else { 2 },
                )
            }
            None => return,
        },
    };
    a.reader = Reader::Proxy(client);
    b.reader = Reader::Proxy(server);
    proxy.0 |= kind;
}

/// Nothing found.
const NOTHING: Found = Found {
    evidence: Evidence::NONE,
    flags: 0,
    other: 0,
};

/// Count `payload` on a negotiating side and let its flights measure it.
fn measure(side: &mut Side, payload: &[u8], direction: Direction) {
    let _ = side.flights.read(payload, direction);
    side.sent = side
        .sent
        .saturating_add(u32::try_from(payload.len()).unwrap_or(u32::MAX));
}

/// Read `payload` on `cx.direction`'s side, whose reader is a negotiation: the flights
/// measure it, the negotiation reads it, and what follows the negotiation is read by the
/// restarted side.
pub(super) fn read<O: Observer>(
    sides: &mut [Side; 2],
    ids: &mut [ExtIds; 2],
    proxy: &mut ProxyState,
    cx: &SideContext,
    payload: &[u8],
    observer: &mut O,
) -> Found {
    let direction = cx.direction;
    let Some(side) = sides.get_mut(direction.index()) else {
        return NOTHING;
    };
    let Reader::Proxy(mut negotiation) = side.reader else {
        return NOTHING;
    };
    let step = match &mut negotiation {
        Negotiation::SocksClient(r) => r.read(payload, direction, observer),
        Negotiation::SocksServer(r) => r.read(payload),
        Negotiation::ConnectClient(r) => r.read(payload, direction, observer),
        Negotiation::ConnectServer(r) => r.read(payload),
        Negotiation::Opaque => {
            measure(side, payload, direction);
            return NOTHING;
        }
    };
    let client = direction == Direction::Initiator;
    match step {
        Step::NeedMore => {
            side.reader = Reader::Proxy(negotiation);
            measure(side, payload, direction);
            NOTHING
        }
        Step::Opaque => {
            // Every byte of a side that stays in its negotiation is measured, the ones before
            // the opaque point and after it alike, so `sent` and the flights do not depend on
            // where the segments fall.
            side.reader = Reader::Proxy(Negotiation::Opaque);
            measure(side, payload, direction);
            if client {
                proxy.0 |= ESTABLISHED;
            }
            NOTHING
        }
        Step::Tunnel { consumed } => {
            *side = Side::new();
            if client {
                proxy.0 |= ESTABLISHED;
            }
            let tail = payload.get(consumed..).unwrap_or_default();
            if tail.is_empty() {
                return NOTHING;
            }
            // The tunnelled stream speaks: the other side's turn is over, as in `feed_with`.
            let (flags, earned) = end_turn(sides, cx);
            let cx = SideContext { direction, flags };
            let mut found = read_side(sides, ids, &cx, tail, observer);
            found.other |= earned;
            found
        }
        Step::Invalid { at } => {
            fall_back(sides, ids, proxy, cx, negotiation, payload, at, observer)
        }
    }
}

/// `cx.direction`'s side speaks outside a negotiation: the other side's turn is over, as in
/// `feed_with`. Returns the flags with the other side's turn ended and what ending it earned.
fn end_turn(sides: &mut [Side; 2], cx: &SideContext) -> ([u8; 2], u8) {
    let mut flags = cx.flags;
    let other = cx.direction.reverse();
    let mut earned = 0;
    if let (Some(o), Some(f)) = (sides.get_mut(other.index()), flags.get_mut(other.index())) {
        o.flights.close(other);
        earned = turn_over(o, *f);
        *f |= earned;
    }
    (flags, earned)
}

/// The side was not a negotiation after all: read it as the first-byte dispatch would have.
/// Its bytes were the side's own speech, so the other side's turn ends here as it would have
/// had the side never looked like a negotiation (the verdict must not depend on whether the
/// rest of the payload comes in this segment or the next).
#[allow(clippy::too_many_arguments)]
fn fall_back<O: Observer>(
    sides: &mut [Side; 2],
    ids: &mut [ExtIds; 2],
    proxy: &mut ProxyState,
    cx: &SideContext,
    negotiation: Negotiation,
    payload: &[u8],
    at: usize,
    observer: &mut O,
) -> Found {
    let direction = cx.direction;
    if direction == Direction::Initiator {
        // Not a proxy: the responder reads with its own dispatch (or nothing, if it spoke).
        proxy.0 &= !(KIND | ESTABLISHED);
        if let Some(b) = sides.get_mut(Direction::Responder.index()) {
            if negotiating(b) {
                b.reader = if b.sent == 0 {
                    Reader::Start
                } else {
                    Reader::Done(0)
                };
            }
        }
    }
    let replay = match negotiation {
        Negotiation::ConnectClient(r) => r.method_matched().filter(|p| !p.is_empty()),
        _ => None,
    };
    let (flags, earned) = end_turn(sides, cx);
    let ended = Found {
        other: earned,
        ..NOTHING
    };
    let other_silent = sides
        .get(direction.reverse().index())
        .is_some_and(|o| o.sent == 0);
    let Some(side) = sides.get_mut(direction.index()) else {
        return ended;
    };
    measure(side, payload, direction);
    let Some(prefix) = replay else {
        // `0x04`/`0x05` then bytes that are not SOCKS: binary, nothing to read (the
        // dispatch's choice for those first bytes); a proxy's side that is not a reply.
        side.reader = Reader::Done(0);
        return ended;
    };
    // `C`, `CO`, … then another byte: an HTTP message that is not CONNECT. The side is read
    // as the dispatch would have read it: from its first byte, the constant prefix, on.
    side.reader = Reader::Start;
    let mut found = ended;
    let mut reading = Reading {
        side,
        ids,
        direction,
        flags: flags.get(direction.index()).copied().unwrap_or(0),
        other_flags: flags.get(direction.reverse().index()).copied().unwrap_or(0),
        other_silent,
        found: &mut found,
        observer,
    };
    let budget = |from: u32| usize::try_from(BUDGET.saturating_sub(from)).unwrap_or(usize::MAX);
    reading.read(prefix, 0);
    let rest_at = u32::try_from(prefix.len()).unwrap_or(u32::MAX);
    let rest = payload.get(at..).unwrap_or_default();
    reading.read(rest.get(..budget(rest_at)).unwrap_or(rest), rest_at);
    found
}

// The negotiation's part of `FlowClassifier::to_state` (see `state.rs`).
impl Negotiation {
    /// Encoded bytes: a tag and the largest reader.
    pub(super) const ENCODED_LEN: usize = 1 + max(
        max(
            socks::ClientReader::ENCODED_LEN,
            socks::ServerReader::ENCODED_LEN,
        ),
        max(
            http_connect::RequestReader::ENCODED_LEN,
            http_connect::ReplyReader::ENCODED_LEN,
        ),
    );

    pub(super) fn encode(&self, w: &mut StateWriter<'_>) {
        match self {
            Self::SocksClient(r) => {
                w.u8(1);
                r.encode(w);
            }
            Self::SocksServer(r) => {
                w.u8(2);
                r.encode(w);
            }
            Self::ConnectClient(r) => {
                w.u8(3);
                r.encode(w);
            }
            Self::ConnectServer(r) => {
                w.u8(4);
                r.encode(w);
            }
            Self::Opaque => w.u8(5),
        }
    }

    /// `None` for an unknown tag or reader state.
    pub(super) fn decode(r: &mut StateReader<'_>) -> Option<Self> {
        Some(match r.u8()? {
            1 => Self::SocksClient(socks::ClientReader::decode(r)?),
            2 => Self::SocksServer(socks::ServerReader::decode(r)?),
            3 => Self::ConnectClient(http_connect::RequestReader::decode(r)?),
            4 => Self::ConnectServer(http_connect::ReplyReader::decode(r)?),
            5 => Self::Opaque,
            _ => return None,
        })
    }
}

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}
