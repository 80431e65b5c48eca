//! The UDP side of [`crate::FlowClassifier`]: each datagram is read on its own, and in the
//! flow's context for request/reply and connection correlation.
//!
//! ## Rules
//!
//! Every rule is *conclusive* (the flow is `Confirmed` at once, from one side if need be) or a
//! *guess* (held back until it can be refuted, then `Likely`). A conclusive rule's chance of
//! matching non-BitTorrent bytes is measured negligible; the measurement is beside each rule
//! in [`read`](self) and in the `udp::tests::chance` tests.
//!
//! | family | conclusive | guess |
//! |---|---|---|
//! | KRPC (BEP 5, 44, 51) | a query with a known method (those BEPs' and µTorrent's `vote`), or a response (20-byte node id; bytes after the dictionary allowed, as libtorrent does); an error answering a query | a query with another method; an error alone |
//! | BEP 15 | a connect request (protocol id `0x41727101980`); an announce with plausible fields and a BEP 20 peer id; a request quoting the connection id a connect response returned; a reply answering the pending transaction | another plausible announce; a scrape |
//! | LSD (BEP 14) | `BT-SEARCH` with `Host`, `Port` and an `Infohash`; any announcement repeated | one without `Host` |
//! | uTP (BEP 29) | STATE/RESET (or the acceptor's DATA) on a SYN's id acknowledging its `seq_nr`; the initiator's DATA on the SYN's id + 1 continuing its `seq_nr`; a plausible SYN retransmitted, or to or from a learned peer endpoint; both directions acknowledging each other on ids one apart (no SYN needed); DATA carrying peer wire; a corroborated run of DATA with an MSE flight | a plausible SYN alone (from or to a BitTorrent host too); a run of `UTP_RUN` (3) DATA in sequence from one side |
//!
//! ## Holding a guess back
//!
//! A guess is not called at once: its datagram is first run past the refuters
//! ([`crate::wire::lookalike`]: DNS incl. EDNS0 and DNSCrypt, QUIC, STUN/TURN, RTCP, DTLS, ONC
//! RPC, AFS RX, WireGuard, NTP, SSDP, Teredo, CAPWAP, IKE), and it becomes `Likely` only after
//! its first chance to be refuted: a shaped datagram from the other side, `HOLD_DATAGRAMS` more
//! datagrams, or the flow's end ([`crate::FlowClassifier::finish`]). A datagram that fits no BitTorrent form
//! (and does not even start like one, `sample::may_be_bittorrent`) or that a refuter
//! recognises *contradicts*: a held guess is dropped and the flow refuted,
//! and a flow once contradicted is never `Likely` (only a conclusive rule can still call it).
//! `Confirmed` is never delayed, and a BitTorrent verdict never goes back.
//!
//! ## Never given up for good
//!
//! A flow with no held guess after `GIVE_UP_DATAGRAMS` datagrams, or whose two sides both
//! sent and nothing fit a BitTorrent form, or that a refuter recognised, is
//! `NotBitTorrent` — but a UDP 5-tuple may carry anything first and BitTorrent later, so such a
//! flow (like one that stays `Likely` past `LIKELY_DATAGRAMS`) keeps a cheap prefilter on
//! every datagram and parses a bounded, rate-limited number of them (`sample`); a conclusive
//! rule then makes it BitTorrent. A learned endpoint (`KNOWN_ENDPOINT`) or a BitTorrent host
//! (`BITTORRENT_HOST`) neither keeps a flow undecided nor prevents its refutation. A
//! confirmed flow is read for `FOLLOW_DATAGRAMS` more datagrams (metadata), then done.
//!
//! Every reader works on the datagram alone plus this state, so a datagram unwrapped from a
//! tunnel or a SOCKS5 UDP relay can be fed to a classifier kept per inner destination.

use crate::observer::{EndpointSource, Field, NoObserver, Observer};
use crate::verdict::{Confidence, Direction, Evidence, Protocol};
use crate::wire::lookalike::{self, Lookalike};
use crate::wire::socks_udp;
use crate::wire::udp_tracker::AddressFamily;

mod read;
unstable! {
    pub mod sample;
}
mod stream;

use sample::Sampler;
use stream::UtpSide;

unstable! {
    /// Datagrams after which a UDP flow without a held guess is not BitTorrent (until a
    /// conclusive rule says otherwise).
    pub const GIVE_UP_DATAGRAMS: u8 = 8;
}

unstable! {
    /// Datagrams a guess is held for, without contradiction, before it is called `Likely`.
    pub const HOLD_DATAGRAMS: u8 = 4;
}

unstable! {
    /// Datagrams read after a UDP flow is confirmed.
    pub const FOLLOW_DATAGRAMS: u8 = 16;
}

unstable! {
    /// Datagrams a `Likely` flow is read in full, waiting for confirmation, before it is sampled.
    pub const LIKELY_DATAGRAMS: u8 = 64;
}

/// How far a flow's verdict has come, as the flow classifier tells [`UdpState::feed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Undecided,
    Refuted,
    Likely,
    Confirmed,
}

unstable! {
    /// How strongly one datagram speaks for BitTorrent.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Strength {
        /// It fits no BitTorrent form.
        None,
        /// It parses as a BitTorrent form that is no evidence on its own (a uTP DATA header, a
        /// tracker reply nobody asked for).
        Shaped,
        /// A guess: evidence, but shapes other protocols share by design or chance.
        Guess,
        /// Conclusive only with what other flows taught (a learned peer endpoint or a
        /// BitTorrent host, the evidence a flow had before the datagram): the flow is confirmed,
        /// but not [alone](crate::FlowClassifier::confirmed_alone), so it teaches no endpoint
        /// and no host.
        Corroborated,
        /// A conclusive rule matched: its chance on non-BitTorrent bytes is negligible (measured).
        Conclusive,
    }
}

unstable! {
    /// What one datagram showed.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Reading {
        /// The evidence it adds.
        pub evidence: Evidence,
        /// The BitTorrent protocol it speaks, if it is shaped at all.
        pub protocol: Option<Protocol>,
        /// How strongly.
        pub strength: Strength,
    }
}

impl Reading {
    const NONE: Self = Self {
        evidence: Evidence::NONE,
        protocol: None,
        strength: Strength::None,
    };

    const fn new(evidence: Evidence, protocol: Protocol, strength: Strength) -> Self {
        Self {
            evidence,
            protocol: Some(protocol),
            strength,
        }
    }

    const fn shaped(protocol: Protocol) -> Self {
        Self::new(Evidence::NONE, protocol, Strength::Shaped)
    }
}

unstable! {
    /// Read `datagram` on its own, as the first datagram of a flow (over IPv6 if `ipv6`): the
    /// single-datagram rules only. For measurements and for callers that see one datagram.
    #[cfg(any(test, feature = "unstable-internals"))]
    #[must_use]
    pub fn read_alone(datagram: &[u8], ipv6: bool) -> Reading {
        let mut state = UdpState::new(ipv6);
        state.read(
            Direction::Initiator,
            datagram,
            false,
            Evidence::NONE,
            &mut NoObserver,
        )
    }
}

/// What one datagram did to the flow.
pub(crate) struct UdpFound {
    pub evidence: Evidence,
    pub detection: Option<(Protocol, Confidence)>,
    /// The detection is `Confirmed` by [`Strength::Corroborated`].
    pub corroborated: bool,
    pub refuted: bool,
}

impl UdpFound {
    const fn evidence(evidence: Evidence) -> Self {
        Self {
            evidence,
            detection: None,
            corroborated: false,
            refuted: false,
        }
    }
}

// Bits of `UdpState::flags`.
const IPV6: u8 = 1;
/// A transaction is pending (KRPC query or tracker request): `txid`, `txid_len`.
const PENDING_DHT: u8 = 2;
const PENDING_TRACKER: u8 = 4;
/// The pending transaction was sent by the responder.
const PENDING_BY_RESPONDER: u8 = 8;
/// A uTP SYN was seen: `syn_id`, `syn_seq`, `syn_stamp`.
const SYN_SEEN: u8 = 16;
const SYN_BY_RESPONDER: u8 = 32;
/// A first LSD announcement was seen.
const LSD_SEEN: u8 = 64;
/// A second LSD announcement was seen: the second message that agrees.
const LSD_REPEATED: u8 = 128;

// Bits of `UdpState::seen`.
const SENT_BY_INITIATOR: u8 = 1;
const SENT_BY_RESPONDER: u8 = 2;
/// Some datagram parsed as a BitTorrent form (even one that is not evidence on its own).
const SHAPED: u8 = 4;
/// Some datagram fit no BitTorrent form or was recognised as another protocol: the flow is
/// never `Likely`.
const CONTRADICTED: u8 = 8;
/// The held guess was made by the responder.
const GUESS_BY_RESPONDER: u8 = 16;
/// `quic` holds the fingerprint of a QUIC short header candidate.
const QUIC_SET: u8 = 32;
const QUIC_BY_RESPONDER: u8 = 64;
const SEEN_BITS: u8 = 127;

// Bits of `UdpState::seen2`.
/// `tracker_conn` holds the connection id a BEP 15 connect response returned.
const TRACKER_CONN: u8 = 1;
/// The recorded SYN passed `syn_is_plausible`.
const SYN_STRICT: u8 = 2;
/// The flow's datagrams are wrapped in SOCKS 5 UDP headers (a client and its proxy's relay).
const SOCKS: u8 = 4;
/// The recorded SYN carried no payload (no uTP implementation sends data with its SYN).
const SYN_EMPTY: u8 = 8;
const SEEN2_BITS: u8 = 15;

/// Correlation state of a UDP flow (46 bytes in memory, [`UdpState::ENCODED_LEN`] encoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UdpState {
    /// The pending transaction id (its first 4 bytes).
    txid: [u8; 4],
    /// The connection id a BEP 15 connect response returned.
    tracker_conn: [u8; 8],
    syn_id: u16,
    syn_seq: u16,
    /// The low 16 bits of the SYN's timestamp (a retransmission has a new one).
    syn_stamp: u16,
    /// Fingerprint of a QUIC short header candidate ([`lookalike::quic::short_header_id`]).
    quic: u16,
    /// Each direction's uTP stream, initiator first.
    sides: [UtpSide; 2],
    txid_len: u8,
    flags: u8,
    /// Datagrams read (saturating).
    datagrams: u8,
    /// Datagrams read since the flow was confirmed (saturating).
    after: u8,
    seen: u8,
    seen2: u8,
    /// The held guess's protocol (its discriminant), 0 for none.
    guess: u8,
    /// Datagrams since the guess was made.
    held: u8,
    /// The sampler of a flow past its give-up point.
    sampler: Sampler,
}

impl UdpState {
    pub(crate) const fn new(ipv6: bool) -> Self {
        Self {
            txid: [0; 4],
            tracker_conn: [0; 8],
            syn_id: 0,
            syn_seq: 0,
            syn_stamp: 0,
            quic: 0,
            sides: [UtpSide::NEW, UtpSide::NEW],
            txid_len: 0,
            flags: if ipv6 { IPV6 } else { 0 },
            datagrams: 0,
            after: 0,
            seen: 0,
            seen2: 0,
            guess: 0,
            held: 0,
            sampler: Sampler::FULL,
        }
    }

    /// True when nothing more is read: confirmed and followed for [`FOLLOW_DATAGRAMS`]. A
    /// refuted or only likely flow is never done (see the module docs).
    pub(crate) fn is_done(&self, bittorrent: bool, confirmed: bool) -> bool {
        bittorrent && confirmed && self.after >= FOLLOW_DATAGRAMS
    }

    fn family(&self) -> AddressFamily {
        if self.flags & IPV6 != 0 {
            AddressFamily::V6
        } else {
            AddressFamily::V4
        }
    }

    fn by(direction: Direction, responder_bit: u8) -> u8 {
        match direction {
            Direction::Initiator => 0,
            Direction::Responder => responder_bit,
        }
    }

    fn pending_from(&self, responder_bit: u8) -> Direction {
        if self.flags & responder_bit != 0 {
            Direction::Responder
        } else {
            Direction::Initiator
        }
    }

    fn set_pending(&mut self, kind: u8, direction: Direction, txid: &[u8]) {
        self.flags &= !(PENDING_DHT | PENDING_TRACKER | PENDING_BY_RESPONDER);
        self.flags |= kind | Self::by(direction, PENDING_BY_RESPONDER);
        self.txid = [0; 4];
        for (slot, b) in self.txid.iter_mut().zip(txid) {
            *slot = *b;
        }
        self.txid_len = u8::try_from(txid.len()).unwrap_or(u8::MAX);
    }

    /// True if `txid`, sent by `direction`, answers the pending transaction of `kind`.
    fn answers(&self, kind: u8, direction: Direction, txid: &[u8]) -> bool {
        self.flags & kind != 0
            && self.pending_from(PENDING_BY_RESPONDER) == direction.reverse()
            && u8::try_from(txid.len()).unwrap_or(u8::MAX) == self.txid_len
            && txid.iter().zip(self.txid.iter()).all(|(a, b)| a == b)
    }

    /// The uTP streams: `direction`'s and the other's.
    fn sides(&self, direction: Direction) -> (UtpSide, UtpSide) {
        let [a, b] = self.sides;
        match direction {
            Direction::Initiator => (a, b),
            Direction::Responder => (b, a),
        }
    }

    fn see_stream<T: AsRef<[u8]>>(
        &mut self,
        direction: Direction,
        packet: &crate::wire::utp::UtpPacket<T>,
    ) {
        UtpSide::see(&mut self.sides, direction.index(), packet);
    }

    fn measure(&mut self, direction: Direction, payload: &[u8]) -> bool {
        self.sides
            .get_mut(direction.index())
            .is_some_and(|side| side.measure(payload))
    }

    /// Run the BitTorrent readers over one datagram (`cut`: its end was not captured).
    fn read<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        cut: bool,
        prior: Evidence,
        observer: &mut O,
    ) -> Reading {
        match datagram.first() {
            Some(b'd') => self.krpc(direction, datagram, cut, observer),
            Some(b'B') => self.lsd(direction, datagram, cut, observer),
            _ => match self.tracker(direction, datagram, observer) {
                Reading {
                    strength: Strength::None,
                    ..
                } => self.utp(direction, datagram, prior, observer),
                found => found,
            },
        }
    }

    /// True once the flow's datagrams were found wrapped in SOCKS 5 UDP headers.
    pub(crate) const fn socks(&self) -> bool {
        self.seen2 & SOCKS != 0
    }

    /// Read one datagram; `prior` is the flow's evidence so far, `phase` its verdict.
    ///
    /// A datagram that passes the strict SOCKS 5 UDP header check ([`socks_udp`]) with
    /// `FRAG` 0, whose payload a BitTorrent reader takes as a guess or better while the
    /// datagram itself is no such guess, marks the flow as a SOCKS relay flow; from then on
    /// every datagram with a valid header is read by its payload (`FRAG` ≠ 0: not read at
    /// all), and the destination of a payload read as conclusive BitTorrent goes to the
    /// observer as a peer endpoint ([`EndpointSource::Proxy`]). Both directions carry the
    /// header (the relay's replies name their sender). One state serves every destination
    /// behind the relay: the single-datagram rules are unaffected, request/reply correlation
    /// may pair datagrams of different peers (documented in `docs/limits.md`).
    pub(crate) fn feed<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        cut: bool,
        prior: Evidence,
        phase: Phase,
        observer: &mut O,
    ) -> UdpFound {
        let Ok(header) = socks_udp::UdpHeader::new_checked(datagram) else {
            return self
                .feed_one(direction, datagram, cut, prior, phase, observer)
                .0;
        };
        if !self.socks() {
            if header.frag() != 0 || !self.wrapped(direction, datagram, header.payload(), prior) {
                return self
                    .feed_one(direction, datagram, cut, prior, phase, observer)
                    .0;
            }
            self.seen2 |= SOCKS;
            let port = header.port().to_be_bytes();
            let head = [header.address_type(), port[0], port[1]];
            observer.field(direction, Field::ProxyTarget, 0, &head);
            observer.field(direction, Field::ProxyTarget, 3, header.address());
        }
        if header.frag() != 0 {
            return UdpFound::evidence(Evidence::NONE);
        }
        let (found, strength) =
            self.feed_one(direction, header.payload(), cut, prior, phase, observer);
        if strength == Strength::Conclusive {
            if let Some(peer) = header.target().socket_addr() {
                observer.endpoint(EndpointSource::Proxy, peer);
            }
        }
        found
    }

    /// True if `payload`, unwrapped from `datagram`'s SOCKS 5 UDP header, is a BitTorrent
    /// guess or better and `datagram` itself is not: tried on copies of the state.
    fn wrapped(
        &self,
        direction: Direction,
        datagram: &[u8],
        payload: &[u8],
        prior: Evidence,
    ) -> bool {
        let (mut inner, mut outer) = (*self, *self);
        inner
            .read(direction, payload, false, prior, &mut NoObserver)
            .strength
            >= Strength::Guess
            && outer
                .read(direction, datagram, false, prior, &mut NoObserver)
                .strength
                < Strength::Guess
    }

    /// [`UdpState::feed`] of a datagram as it is; with what its reading's strength was.
    fn feed_one<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        cut: bool,
        prior: Evidence,
        phase: Phase,
        observer: &mut O,
    ) -> (UdpFound, Strength) {
        self.datagrams = self.datagrams.saturating_add(1);
        if phase == Phase::Confirmed {
            self.after = self.after.saturating_add(1);
        }
        self.seen |= match direction {
            Direction::Initiator => SENT_BY_INITIATOR,
            Direction::Responder => SENT_BY_RESPONDER,
        };
        let sampled = match phase {
            Phase::Refuted => true,
            Phase::Likely => self.datagrams > LIKELY_DATAGRAMS,
            Phase::Undecided | Phase::Confirmed => false,
        };
        if sampled && !self.sampler.take(sample::may_be_bittorrent(datagram)) {
            return (UdpFound::evidence(Evidence::NONE), Strength::None);
        }
        // An undecided flow's datagram is run past the refuters first: one that is another
        // protocol hands no fields to the observer (an EDNS query read as an announce has no
        // info-hash), though a conclusive reading still wins.
        let lookalike = match phase {
            Phase::Undecided => lookalike::recognise(datagram),
            _ => None,
        };
        let reading = if lookalike.is_some_and(Lookalike::is_exact) {
            self.read(direction, datagram, cut, prior, &mut NoObserver)
        } else {
            self.read(direction, datagram, cut, prior, observer)
        };
        if reading.strength >= Strength::Shaped {
            self.seen |= SHAPED;
        }
        let conclusive = reading
            .protocol
            .filter(|_| reading.strength >= Strength::Corroborated);
        let corroborated = reading.strength == Strength::Corroborated;
        let found = match (phase, conclusive) {
            // A confirmed flow hears only of a rule conclusive alone (the reply to the SYN
            // that corroboration confirmed): then it teaches.
            (Phase::Confirmed, Some(protocol)) if !corroborated => UdpFound {
                evidence: reading.evidence,
                detection: Some((protocol, Confidence::Confirmed)),
                corroborated,
                refuted: false,
            },
            (Phase::Confirmed, _) | (Phase::Likely | Phase::Refuted, None) => {
                UdpFound::evidence(reading.evidence)
            }
            (_, Some(protocol)) => {
                self.guess = 0;
                self.held = 0;
                UdpFound {
                    evidence: reading.evidence,
                    detection: Some((protocol, Confidence::Confirmed)),
                    corroborated,
                    refuted: false,
                }
            }
            (Phase::Undecided, None) => self.undecided(direction, datagram, reading, lookalike),
        };
        (found, reading.strength)
    }

    /// An undecided flow's datagram that no conclusive rule matched: refute, hold a guess,
    /// or call a held one. `lookalike` is what the refuters recognised it as.
    fn undecided(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        reading: Reading,
        lookalike: Option<Lookalike>,
    ) -> UdpFound {
        let lookalike = lookalike
            .filter(|l| l.is_exact() || reading.strength == Strength::None)
            .or_else(|| self.quic_short_header(direction, datagram, reading.strength));
        // A datagram of another protocol adds no BitTorrent evidence, only that.
        let (evidence, strength) = if lookalike.is_some() {
            (Evidence::LOOKALIKE, Strength::None)
        } else {
            (reading.evidence, reading.strength)
        };
        // What fits no reader but still starts like a BitTorrent form (a uTP header whose
        // extension runs past the datagram, as Transmission's libutp sends after a FIN, or the
        // first fragment of a large KRPC message) does not contradict.
        let contradicts = lookalike.is_some()
            || (strength == Strength::None && !sample::may_be_bittorrent(datagram));
        if contradicts {
            let held = self.guess != 0;
            self.seen |= CONTRADICTED;
            self.guess = 0;
            self.held = 0;
            if lookalike.is_some() || held {
                return UdpFound {
                    evidence,
                    detection: None,
                    corroborated: false,
                    refuted: true,
                };
            }
        }
        let mut detection = None;
        if self.guess != 0 {
            self.held = self.held.saturating_add(1);
            let reply = self.guess_from() != direction && strength >= Strength::Shaped;
            if reply || self.held >= HOLD_DATAGRAMS {
                detection = self.release();
            }
        } else if strength == Strength::Guess && self.seen & CONTRADICTED == 0 {
            if let Some(protocol) = reading.protocol {
                self.guess = protocol as u8;
                self.held = 0;
                self.seen =
                    (self.seen & !GUESS_BY_RESPONDER) | Self::by(direction, GUESS_BY_RESPONDER);
            }
        }
        let both_sent = self.seen & (SENT_BY_INITIATOR | SENT_BY_RESPONDER)
            == SENT_BY_INITIATOR | SENT_BY_RESPONDER;
        let shapeless = both_sent && self.seen & SHAPED == 0;
        let refuted = detection.is_none()
            && self.guess == 0
            && (self.datagrams >= GIVE_UP_DATAGRAMS || shapeless);
        UdpFound {
            evidence,
            detection,
            corroborated: false,
            refuted,
        }
    }

    fn guess_from(&self) -> Direction {
        if self.seen & GUESS_BY_RESPONDER != 0 {
            Direction::Responder
        } else {
            Direction::Initiator
        }
    }

    /// The held guess as a `Likely` detection; clears it.
    fn release(&mut self) -> Option<(Protocol, Confidence)> {
        let protocol = Protocol::ALL
            .iter()
            .copied()
            .find(|p| *p as u8 == self.guess);
        self.guess = 0;
        self.held = 0;
        self.seen &= !GUESS_BY_RESPONDER;
        protocol.map(|p| (p, Confidence::Likely))
    }

    /// The flow ended while undecided: a held guess that nothing contradicted is `Likely`.
    pub(crate) fn finish(&mut self) -> Option<(Protocol, Confidence)> {
        if self.guess == 0 || self.seen & CONTRADICTED != 0 {
            return None;
        }
        self.release()
    }

    /// Two datagrams from one side that can be QUIC short header packets with the same
    /// destination connection id. Only datagrams that are no BitTorrent evidence and do not
    /// start like a KRPC or LSD message are compared (those repeat their first bytes).
    fn quic_short_header(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        strength: Strength,
    ) -> Option<Lookalike> {
        if strength > Strength::Shaped || matches!(datagram.first(), Some(b'd' | b'B')) {
            return None;
        }
        let id = lookalike::quic::short_header_id(datagram)?;
        let side = Self::by(direction, QUIC_BY_RESPONDER);
        if self.seen & QUIC_SET != 0 && self.seen & QUIC_BY_RESPONDER == side && self.quic == id {
            return Some(Lookalike::Quic);
        }
        if self.seen & QUIC_SET == 0 {
            self.quic = id;
            self.seen |= QUIC_SET | side;
        }
        None
    }
}

// The UDP state's part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl UdpState {
    pub(crate) const ENCODED_LEN: usize = 4 + 8 + 2 * 4 + 2 * UtpSide::ENCODED_LEN + 9;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.bytes(&self.txid);
        w.bytes(&self.tracker_conn);
        w.u16(self.syn_id);
        w.u16(self.syn_seq);
        w.u16(self.syn_stamp);
        w.u16(self.quic);
        for side in &self.sides {
            side.encode(w);
        }
        w.u8(self.txid_len);
        w.u8(self.flags);
        w.u8(self.datagrams);
        w.u8(self.after);
        w.u8(self.seen);
        w.u8(self.seen2);
        w.u8(self.guess);
        w.u8(self.held);
        w.u8(self.sampler.to_byte());
    }

    /// `None` for an unknown bit, a guess that is no protocol, or a sampler out of range
    /// (every `flags` bit is defined).
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        Some(Self {
            txid: r.array()?,
            tracker_conn: r.array()?,
            syn_id: r.u16()?,
            syn_seq: r.u16()?,
            syn_stamp: r.u16()?,
            quic: r.u16()?,
            sides: [UtpSide::decode(r)?, UtpSide::decode(r)?],
            txid_len: r.u8()?,
            flags: r.u8()?,
            datagrams: r.u8()?,
            after: r.u8()?,
            seen: r.u8_if(|s| s & !SEEN_BITS == 0)?,
            seen2: r.u8_if(|s| s & !SEEN2_BITS == 0)?,
            guess: r.u8_if(|g| g == 0 || Protocol::ALL.iter().any(|p| *p as u8 == g))?,
            held: r.u8_if(|h| h < HOLD_DATAGRAMS)?,
            sampler: Sampler::from_byte(r.u8()?)?,
        })
    }
}

#[cfg(test)]
mod tests;
