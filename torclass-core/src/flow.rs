//! [`FlowClassifier`]: the per-flow state machine.
//!
//! A TCP flow is two byte streams. Each direction ("side") starts undecided and its first byte
//! picks the one reader that can apply, since the formats torclass reads cannot share a first
//! byte:
//!
//! | first byte | reader | evidence |
//! |---|---|---|
//! | `0x13` | [`handshake::Reader`], then [`message::Reader`] | BEP 3 handshake, reserved bits, BEP 10 |
//! | `0x00` | [`message::Reader`] (capture started mid-stream) | [`FRAMING_RUN`] valid messages |
//! | `G` | [`http_tracker::RequestReader`], else text | tracker announce/scrape |
//! | `H` | [`http_tracker::ReplyReader`], else text | bencoded tracker reply |
//! | other printable ASCII | [`magnet::Scanner`] over [`TEXT_SCAN_LIMIT`] bytes | magnet URI |
//! | anything else | [`mse::Shape`] | the shape of an MSE/PE key exchange |
//!
//! Text sides measure the MSE shape too (a random first flight starts with a printable byte
//! 37% of the time); a text side fails its statistics at once.
//!
//! Readers keep only counters and a few bytes, so any cut of the streams into segments gives
//! the same verdict (invariant 3), and each side is read for a bounded number of bytes
//! (invariant 4, see [`SIDE_BUDGET`]).
//!
//! ## Confidence
//! - peer wire: one side's handshake, or [`FRAMING_RUN`] valid messages on one side (or, in a
//!   flow picked up mid-stream on both sides, valid messages on each side adding up to
//!   [`FRAMING_RUN`]), is `Likely`; the other side's handshake or message run, or a valid message after the same
//!   side's handshake, makes it `Confirmed`.
//! - HTTP tracker: a request or a reply is `Likely`; both are `Confirmed`.
//! - magnet: a URI in the stream is `Likely` (the flow carries a link to BitTorrent content,
//!   not BitTorrent itself).
//! - encrypted peer wire: the full MSE shape (both first flights random and 96–608 bytes, the
//!   initiator's second flight at least 56 bytes, see [`mse`]) is `Likely`, as is a known
//!   endpoint ([`FlowClassifier::known_endpoint`]) or a BitTorrent host
//!   ([`FlowClassifier::bittorrent_host`]) with one side's random first flight; the shape with
//!   a known endpoint or a BitTorrent host is `Confirmed`. Other random-looking protocols share
//!   the shape, so the shape alone never confirms.
//!
//! A UDP flow is read datagram by datagram, see [`crate::udp`] for its rules.
//!
//! A verdict, once BitTorrent, never goes back; its protocol is the first one recognised and
//! only its confidence and evidence grow.

use crate::observer::{NoObserver, Observer};
use crate::packet::TunnelKind;
use crate::udp::{Phase, UdpState};
use crate::verdict::{Confidence, Detection, Direction, Evidence, Protocol, Transport, Verdict};
use crate::wire::extension::ExtIds;
use crate::wire::{handshake, http_tracker, magnet, message, mse};

/// Valid peer wire messages (keep-alives excluded) a side must send, without a handshake, to
/// count as peer wire. Chosen from measurement: no non-BitTorrent stream in the negative
/// captures or random data gets past its first header (see the `framing_false_positives` test).
pub const FRAMING_RUN: u8 = 3;

/// Messages read on each side (after its handshake, or from where a mid-stream pickup began):
/// enough for the [`FRAMING_RUN`] and the extension handshakes. The side stops at the end of
/// that message, at the same stream byte however the stream is cut.
pub const FOLLOW_MESSAGES: u8 = 16;

/// Bytes of a cleartext side scanned for a magnet URI.
pub const TEXT_SCAN_LIMIT: u32 = 64 * 1024;

/// The most bytes each side of a TCP flow is read before it is decided or given up
/// (invariant 4): the handshake and [`FOLLOW_MESSAGES`] messages of at most
/// [`message::MAX_LEN`] bytes, each after at most [`message::MAX_KEEPALIVES`] keep-alives
/// (only headers and extension payloads are parsed; the rest is skipped by length), or an
/// HTTP head and [`TEXT_SCAN_LIMIT`] bytes of text.
pub const SIDE_BUDGET: u64 = {
    let messages =
        FOLLOW_MESSAGES as u64 * (message::MAX_LEN as u64 + 4 + 4 * message::MAX_KEEPALIVES as u64);
    let text = http_tracker::MAX_REQUEST_LINE as u64 + TEXT_SCAN_LIMIT as u64;
    if messages + 68 > text {
        messages + 68
    } else {
        text
    }
};

/// What one direction of a TCP flow is being read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// Nothing received yet.
    Start,
    Handshake(handshake::Reader),
    Messages(message::Reader),
    Request(http_tracker::RequestReader),
    Reply(http_tracker::ReplyReader),
    /// Scanning for a magnet URI; bytes scanned so far; the flights' shape, in case the
    /// "text" is random bytes that happened to start printable.
    Text(magnet::Scanner, u32, mse::Shape),
    /// Bytes that fit no cleartext format: the shape of an MSE key exchange is measured.
    Mse(mse::Shape),
    /// Nothing more to read; the number of valid peer wire messages the side had sent
    /// (saturating), kept for the mid-stream rule that counts messages across both sides.
    Done(u8),
}

// Per-side flags.
const SENT_HANDSHAKE: u8 = 1;
const FRAMED: u8 = 2;
/// A tracker request (initiator) or reply (responder).
const TRACKER: u8 = 4;
const MAGNET: u8 = 8;
const MIDSTREAM: u8 = 16;
const MESSAGE_AFTER_HANDSHAKE: u8 = 32;
/// The side's first flight fits an MSE key exchange.
const MSE_FITS: u8 = 64;
/// The side's second flight is long enough for MSE step 3.
const MSE_SECOND: u8 = 128;

// Flow states.
const UNDECIDED: u8 = 0;
const BITTORRENT: u8 = 1;
const NOT_BITTORRENT: u8 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inner {
    Tcp { sides: [Side; 2], ids: [ExtIds; 2] },
    Udp(UdpState),
}

/// The classification state of one flow: a fixed [`FlowClassifier::SIZE`] bytes, no buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowClassifier {
    inner: Inner,
    evidence: Evidence,
    flags: [u8; 2],
    state: u8,
    protocol: Option<Protocol>,
    confidence: Confidence,
}

const _: () = assert!(
    FlowClassifier::SIZE <= 64,
    "per-flow state must stay within 64 bytes"
);

impl FlowClassifier {
    /// Bytes of per-flow state.
    pub const SIZE: usize = core::mem::size_of::<Self>();

    /// A classifier for a new flow over IPv4.
    #[must_use]
    pub const fn new(transport: Transport) -> Self {
        Self::with_family(transport, false)
    }

    /// A classifier for a new flow; `ipv6` tells a UDP flow how long tracker peer entries are.
    #[must_use]
    pub const fn with_family(transport: Transport, ipv6: bool) -> Self {
        let inner = match transport {
            Transport::Udp => Inner::Udp(UdpState::new(ipv6)),
            Transport::Tcp => Inner::Tcp {
                sides: [Side::Start, Side::Start],
                ids: [
                    ExtIds {
                        pex: 0,
                        metadata: 0,
                    },
                    ExtIds {
                        pex: 0,
                        metadata: 0,
                    },
                ],
            },
        };
        Self {
            inner,
            evidence: Evidence::NONE,
            flags: [0; 2],
            state: UNDECIDED,
            protocol: None,
            confidence: Confidence::Likely,
        }
    }

    /// The proxy the flow was read through, if any: a SOCKS 5 UDP relay flow
    /// ([`TunnelKind::Socks5`]), or a TCP connection to a SOCKS or HTTP `CONNECT` proxy whose
    /// client negotiation ended (the tunnelled stream is what the verdict is about).
    #[must_use]
    pub const fn proxy(&self) -> Option<TunnelKind> {
        match &self.inner {
            Inner::Udp(udp) if udp.socks() => Some(TunnelKind::Socks5),
            _ => None,
        }
    }

    /// The transport this classifier reads.
    #[must_use]
    pub const fn transport(&self) -> Transport {
        match self.inner {
            Inner::Tcp { .. } => Transport::Tcp,
            Inner::Udp(_) => Transport::Udp,
        }
    }

    /// The verdict so far.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        match (self.state, self.protocol) {
            (BITTORRENT, Some(protocol)) => Verdict::BitTorrent(Detection {
                protocol,
                confidence: self.confidence,
                evidence: self.evidence,
            }),
            (NOT_BITTORRENT, _) => Verdict::NotBitTorrent,
            _ => Verdict::Undecided,
        }
    }

    /// The evidence gathered so far, also while the verdict is undecided.
    #[must_use]
    pub const fn evidence(&self) -> Evidence {
        self.evidence
    }

    /// True when feeding more bytes can change nothing: the verdict is final and nothing more
    /// is read. A flow table skips such flows after its lookup.
    #[must_use]
    pub fn is_done(&self) -> bool {
        match &self.inner {
            Inner::Tcp { sides, .. } => {
                self.state != UNDECIDED && sides.iter().all(|s| matches!(s, Side::Done(_)))
            }
            Inner::Udp(udp) => udp.is_done(
                self.state == BITTORRENT,
                self.confidence == Confidence::Confirmed,
            ),
        }
    }

    /// Feed the next payload sent by `direction`: a TCP segment's bytes in stream order, or
    /// one UDP datagram.
    pub fn feed(&mut self, direction: Direction, payload: &[u8]) -> Verdict {
        self.feed_with(direction, payload, &mut NoObserver)
    }

    /// [`FlowClassifier::feed`], handing extracted fields to `observer`.
    pub fn feed_with<O: Observer>(
        &mut self,
        direction: Direction,
        payload: &[u8],
        observer: &mut O,
    ) -> Verdict {
        if payload.is_empty() || self.is_done() {
            return self.verdict();
        }
        match &mut self.inner {
            Inner::Tcp { sides, ids } => {
                let other = direction.reverse();
                if let (Some(side), Some(f)) = (
                    sides.get_mut(other.index()),
                    self.flags.get_mut(other.index()),
                ) {
                    *f |= close_flight(side, other);
                }
                let flags = self.flags;
                let found = read_side(sides, ids, &flags, direction, payload, observer);
                self.evidence |= found.evidence;
                if let Some(f) = self.flags.get_mut(direction.index()) {
                    *f |= found.flags;
                }
                self.decide_tcp();
            }
            Inner::Udp(udp) => {
                let phase = match (self.state, self.confidence) {
                    (BITTORRENT, Confidence::Confirmed) => Phase::Confirmed,
                    (BITTORRENT, _) => Phase::Likely,
                    (NOT_BITTORRENT, _) => Phase::Refuted,
                    _ => Phase::Undecided,
                };
                let found = udp.feed(direction, payload, self.evidence, phase, observer);
                self.evidence |= found.evidence;
                if let Some((protocol, confidence)) = found.detection {
                    self.detect(protocol, confidence);
                } else if found.refuted && self.state == UNDECIDED {
                    self.state = NOT_BITTORRENT;
                }
            }
        }
        self.verdict()
    }

    /// The flow ended (both sides closed, a reset, or it was evicted idle): open flights are
    /// closed (an MSE key exchange the other side never answered still has its first flight
    /// judged), a UDP guess held back and never contradicted is called `Likely`, and a verdict
    /// still undecided becomes [`Verdict::NotBitTorrent`], since no more bytes will come.
    pub fn finish(&mut self) -> Verdict {
        if self.state == UNDECIDED {
            if let Inner::Udp(udp) = &mut self.inner {
                if let Some((protocol, confidence)) = udp.finish() {
                    self.detect(protocol, confidence);
                }
            }
            if let Inner::Tcp { sides, .. } = &mut self.inner {
                for direction in [Direction::Initiator, Direction::Responder] {
                    if let (Some(side), Some(f)) = (
                        sides.get_mut(direction.index()),
                        self.flags.get_mut(direction.index()),
                    ) {
                        *f |= close_flight(side, direction);
                    }
                }
                self.decide_tcp();
            }
        }
        if self.state == UNDECIDED {
            self.state = NOT_BITTORRENT;
        }
        self.verdict()
    }

    /// For a flow picked up mid-stream: if `direction`'s side gave up and the flow is still
    /// undecided, read it again from the start of the next payload, which is where a sender's
    /// next write (and so, usually, its next message) begins. Returns true if the side was
    /// restarted. Segment starts are the only alignment a late start offers, so the verdict of
    /// a flow picked up mid-stream depends on them; a stream seen from its first byte never
    /// needs this.
    pub fn resync(&mut self, direction: Direction) -> bool {
        if self.state != UNDECIDED {
            return false;
        }
        let Inner::Tcp { sides, .. } = &mut self.inner else {
            return false;
        };
        match sides.get_mut(direction.index()) {
            Some(side) if matches!(side, Side::Done(_)) => {
                *side = Side::Start;
                true
            }
            _ => false,
        }
    }

    /// The flow's peer is an endpoint learned from earlier BitTorrent traffic (an
    /// [`crate::endpoints`]-style cache hit): adds [`Evidence::KNOWN_ENDPOINT`]. With the
    /// shape of an MSE key exchange it confirms encrypted peer wire; with one side's random
    /// first flight it makes it likely.
    pub fn known_endpoint(&mut self) -> Verdict {
        self.evidence |= Evidence::KNOWN_ENDPOINT;
        if let Inner::Tcp { .. } = self.inner {
            self.decide_tcp();
        }
        self.verdict()
    }

    /// An end of the flow is a host with conclusive BitTorrent activity in the last minutes (a
    /// [`crate::hosts::HostCache`] hit): adds [`Evidence::BITTORRENT_HOST`], which corroborates
    /// an MSE key exchange as [`FlowClassifier::known_endpoint`] does. Alone it decides
    /// nothing: ordinary flows between BitTorrent hosts (web, SSH, DNS) stay what they are.
    pub fn bittorrent_host(&mut self) -> Verdict {
        self.evidence |= Evidence::BITTORRENT_HOST;
        if let Inner::Tcp { .. } = self.inner {
            self.decide_tcp();
        }
        self.verdict()
    }

    /// Tell the classifier that the stream sent by `direction` lost bytes before the next
    /// payload (a gap the flow table could not fill). Readers that cannot resume after a hole
    /// stop; the magnet scan restarts.
    pub fn gap(&mut self, direction: Direction) {
        if let Inner::Tcp { sides, .. } = &mut self.inner {
            if let Some(side) = sides.get_mut(direction.index()) {
                *side = match *side {
                    Side::Start => Side::Start,
                    Side::Text(_, n, _) => Side::Text(magnet::Scanner::new(), n, mse::Shape::new()),
                    _ => Side::Done(0),
                };
            }
            self.decide_tcp();
        }
    }

    fn detect(&mut self, protocol: Protocol, confidence: Confidence) {
        if self.state != BITTORRENT {
            self.state = BITTORRENT;
            self.protocol = Some(protocol);
            self.confidence = confidence;
        } else if confidence > self.confidence {
            self.confidence = confidence;
        }
    }

    fn decide_tcp(&mut self) {
        let [a, b] = self.flags;
        let any = a | b;
        let peer = |f: u8| f & SENT_HANDSHAKE != 0 || (f & MIDSTREAM != 0 && f & FRAMED != 0);
        let confirmed_alone = |f: u8| f & SENT_HANDSHAKE != 0 && f & MESSAGE_AFTER_HANDSHAKE != 0;
        if a & SENT_HANDSHAKE != 0 && b & SENT_HANDSHAKE != 0 {
            self.evidence |= Evidence::HANDSHAKE_REPLY;
        }
        if any & MIDSTREAM != 0 && any & FRAMED != 0 {
            self.evidence |= Evidence::MESSAGE_FRAMING;
        }
        let messages = |side: &Side| match side {
            Side::Messages(reader) => reader.count(),
            Side::Done(count) => *count,
            _ => 0,
        };
        let split_run = a & MIDSTREAM != 0
            && b & MIDSTREAM != 0
            && match &self.inner {
                Inner::Tcp { sides: [x, y], .. } => {
                    let (x, y) = (messages(x), messages(y));
                    x >= 1 && y >= 1 && x.saturating_add(y) >= FRAMING_RUN
                }
                Inner::Udp(_) => false,
            };
        if split_run {
            self.evidence |= Evidence::MESSAGE_FRAMING;
            self.detect(Protocol::PeerWire, Confidence::Likely);
        }
        if peer(a) || peer(b) {
            let both = peer(a) && peer(b);
            let strong = both || confirmed_alone(a) || confirmed_alone(b);
            let midstream_extra = any & MIDSTREAM != 0
                && self.evidence.0
                    & (Evidence::EXTENSION_HANDSHAKE.0
                        | Evidence::PEX_MESSAGE.0
                        | Evidence::METADATA_MESSAGE.0)
                    != 0;
            let confidence = if strong || midstream_extra {
                Confidence::Confirmed
            } else {
                Confidence::Likely
            };
            self.detect(Protocol::PeerWire, confidence);
        }
        if any & TRACKER != 0 {
            let both = a & TRACKER != 0 && b & TRACKER != 0;
            let confidence = if both {
                Confidence::Confirmed
            } else {
                Confidence::Likely
            };
            self.detect(Protocol::HttpTracker, confidence);
        }
        if any & MAGNET != 0 {
            self.detect(Protocol::Magnet, Confidence::Likely);
        }
        let known =
            self.evidence.0 & (Evidence::KNOWN_ENDPOINT.0 | Evidence::BITTORRENT_HOST.0) != 0;
        let full_shape = a & MSE_FITS != 0 && b & MSE_FITS != 0 && a & MSE_SECOND != 0;
        if full_shape {
            self.evidence |= Evidence::MSE_SHAPE;
        }
        if full_shape || (known && any & MSE_FITS != 0) {
            let confidence = if full_shape && known {
                Confidence::Confirmed
            } else {
                Confidence::Likely
            };
            self.detect(Protocol::PeerWireEncrypted, confidence);
        }
        if self.state == UNDECIDED {
            if let Inner::Tcp { sides, .. } = &self.inner {
                if sides.iter().all(|s| matches!(s, Side::Done(_))) {
                    self.state = NOT_BITTORRENT;
                }
            }
        }
    }
}

/// What reading one payload found.
struct Found {
    evidence: Evidence,
    flags: u8,
}

/// The MSE flags a side's shape earns: its first flight fits, and (for the initiator) its
/// second flight is long enough for step 3.
fn mse_flags(shape: &mse::Shape, direction: Direction) -> u8 {
    if shape.verdict() != mse::Verdict::Fits {
        return 0;
    }
    let second =
        direction == Direction::Initiator && shape.current_flight() >= mse::MIN_SECOND_FLIGHT;
    MSE_FITS | if second { MSE_SECOND } else { 0 }
}

/// The other side spoke: close `side`'s current flight and report the flags it earns.
///
/// A text side whose first flight turns out random is no text: it is read as a key exchange
/// from then on and its magnet scan ends, so a later "magnet URI" in random bytes cannot race
/// the MSE shape for the flow's protocol (which would depend on how the stream was cut).
fn close_flight(side: &mut Side, direction: Direction) -> u8 {
    if let Side::Text(_, _, shape) = side {
        let mut closed = *shape;
        closed.close_flight();
        if closed.verdict() == mse::Verdict::Fits && shape.first_flight() == 0 {
            *side = Side::Mse(*shape);
        }
    }
    match side {
        Side::Mse(shape) => {
            shape.close_flight();
            let flags = mse_flags(shape, direction);
            if shape.verdict() == mse::Verdict::Refuted
                || (direction == Direction::Responder && flags & MSE_FITS != 0)
            {
                *side = Side::Done(0);
            }
            flags
        }
        Side::Text(_, _, shape) => {
            shape.close_flight();
            mse_flags(shape, direction)
        }
        _ => 0,
    }
}

fn first_reader(byte: u8) -> (Side, u8) {
    match byte {
        0x13 => (Side::Handshake(handshake::Reader::default()), 0),
        0x00 => (Side::Messages(message::Reader::new()), MIDSTREAM),
        b'G' => (Side::Request(http_tracker::RequestReader::new()), 0),
        b'H' => (Side::Reply(http_tracker::ReplyReader::new()), 0),
        b'\t' | b'\n' | b'\r' | 0x20..=0x7e => {
            (Side::Text(magnet::Scanner::new(), 0, mse::Shape::new()), 0)
        }
        _ => (Side::Mse(mse::Shape::new()), 0),
    }
}

fn read_side<O: Observer>(
    sides: &mut [Side; 2],
    ids: &mut [ExtIds; 2],
    flags: &[u8; 2],
    direction: Direction,
    payload: &[u8],
    observer: &mut O,
) -> Found {
    let i = direction.index();
    let receiver_ids = ids
        .get(direction.reverse().index())
        .copied()
        .unwrap_or_default();
    let mut found = Found {
        evidence: Evidence::NONE,
        flags: 0,
    };
    let side_flags = flags.get(i).copied().unwrap_or(0);
    let Some(side) = sides.get_mut(i) else {
        return found;
    };
    let mut rest = payload;
    while let Some(&first) = rest.first() {
        match side {
            Side::Start => {
                let (next, flags) = first_reader(first);
                *side = next;
                found.flags |= flags;
            }
            Side::Handshake(reader) => {
                let step = reader.read(rest, |part| match part {
                    handshake::Part::Prefix => {
                        found.flags |= SENT_HANDSHAKE;
                        found.evidence |= Evidence::HANDSHAKE;
                    }
                    handshake::Part::Reserved(e) => found.evidence |= e,
                    handshake::Part::InfoHash { offset, bytes } => {
                        observer.field(direction, crate::observer::Field::InfoHash, offset, bytes);
                    }
                    handshake::Part::PeerId { offset, bytes } => {
                        observer.field(direction, crate::observer::Field::PeerId, offset, bytes);
                    }
                });
                match step {
                    handshake::Step::NeedMore => rest = &[],
                    handshake::Step::Complete { consumed } => {
                        *side = Side::Messages(message::Reader::new());
                        rest = rest.get(consumed..).unwrap_or_default();
                    }
                    handshake::Step::Refuted => *side = Side::Done(0),
                }
            }
            Side::Messages(reader) => {
                let own_ids = ids.get(i).copied().unwrap_or_default();
                let mut cx = message::Context {
                    direction,
                    receiver_ids,
                    sender_ids: own_ids,
                    evidence: Evidence::NONE,
                    stop_after: FOLLOW_MESSAGES,
                    observer: &mut *observer,
                };
                let step = reader.read(rest, &mut cx);
                found.evidence |= cx.evidence;
                if let Some(slot) = ids.get_mut(i) {
                    *slot = cx.sender_ids;
                }
                let count = reader.count();
                let midstream = (side_flags | found.flags) & MIDSTREAM != 0;
                if count >= 1 && !midstream {
                    found.flags |= MESSAGE_AFTER_HANDSHAKE;
                }
                if count >= FRAMING_RUN {
                    found.flags |= FRAMED;
                }
                if step != message::Step::Ok {
                    *side = Side::Done(count);
                }
                rest = &[];
            }
            Side::Request(reader) => match reader.read(rest, direction, observer) {
                http_tracker::Step::NeedMore => rest = &[],
                http_tracker::Step::Tracker { .. } => {
                    found.flags |= TRACKER;
                    found.evidence |= Evidence::TRACKER_ANNOUNCE;
                    *side = Side::Done(0);
                }
                http_tracker::Step::NotTracker { consumed } => {
                    *side = Side::Text(magnet::Scanner::new(), 0, mse::Shape::new());
                    rest = rest.get(consumed..).unwrap_or_default();
                }
            },
            Side::Reply(reader) => match reader.read(rest, observer) {
                http_tracker::Step::NeedMore => rest = &[],
                http_tracker::Step::Tracker { done } => {
                    found.flags |= TRACKER;
                    found.evidence |= Evidence::TRACKER_REPLY;
                    if done {
                        *side = Side::Done(0);
                    }
                    rest = &[];
                }
                http_tracker::Step::NotTracker { consumed } => {
                    *side = Side::Text(magnet::Scanner::new(), 0, mse::Shape::new());
                    rest = rest.get(consumed..).unwrap_or_default();
                }
            },
            Side::Mse(shape) => {
                shape.read(rest);
                found.flags |= mse_flags(shape, direction);
                if shape.verdict() == mse::Verdict::Refuted || found.flags & MSE_SECOND != 0 {
                    *side = Side::Done(0);
                }
                rest = &[];
            }
            Side::Text(scanner, scanned, shape) => {
                let room = TEXT_SCAN_LIMIT.saturating_sub(*scanned) as usize;
                let take = rest.len().min(room);
                let chunk = rest.get(..take).unwrap_or_default();
                shape.read(chunk);
                found.flags |= mse_flags(shape, direction);
                *scanned = scanned.saturating_add(take as u32);
                if scanner.scan(chunk, direction, observer) == magnet::Step::Found {
                    found.flags |= MAGNET;
                    found.evidence |= Evidence::MAGNET_URI;
                    *side = Side::Done(0);
                } else if *scanned >= TEXT_SCAN_LIMIT {
                    *side = Side::Done(0);
                }
                rest = &[];
            }
            Side::Done(_) => rest = &[],
        }
    }
    found
}

pub(crate) mod state;

#[cfg(test)]
mod tests;
