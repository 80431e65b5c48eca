//! The UDP side of [`crate::FlowClassifier`]: each datagram is read on its own, and in the
//! flow's context for request/reply correlation.
//!
//! | first bytes | read as | alone | with the other side |
//! |---|---|---|---|
//! | `d` | KRPC (BEP 5) | query: Likely | response with the query's transaction id: Confirmed |
//! | `BT-SEARCH` | LSD (BEP 14) | Likely | a second announcement: Confirmed |
//! | 16-byte connect, announce, scrape | UDP tracker (BEP 15) | request: Likely | reply with the request's transaction id: Confirmed |
//! | uTP header (BEP 29) | uTP | plausible SYN: Likely | STATE on the SYN's connection id acking its `seq_nr`: Confirmed |
//!
//! uTP DATA payloads are read by the peer wire readers (a handshake, extension handshake or a
//! run of messages inside one datagram), or measured as an MSE key exchange flight (MSE over
//! uTP); a peer wire payload is independent evidence and confirms the flow on its own, as does a second protocol family on the same flow (one socket often
//! carries the DHT and uTP). A plausible DATA, FIN or RESET header alone is never evidence:
//! other protocols share those shapes.
//!
//! A flow whose first [`GIVE_UP_DATAGRAMS`] datagrams show nothing is not BitTorrent; a
//! BitTorrent flow is read for [`FOLLOW_DATAGRAMS`] datagrams after it is confirmed.

use crate::observer::{EndpointSource, Field, Observer};
use crate::verdict::{Confidence, Direction, Evidence, Protocol};
use crate::wire::extension::ExtIds;
use crate::wire::krpc::{self, Krpc};
use crate::wire::lsd::LsdAnnounce;
use crate::wire::udp_tracker::{self, AddressFamily, Message};
use crate::wire::utp::{PacketType, UtpPacket};
use crate::wire::{handshake, message};

/// Datagrams without evidence after which a UDP flow is not BitTorrent.
pub const GIVE_UP_DATAGRAMS: u8 = 8;

/// Datagrams read after a UDP flow is decided.
pub const FOLLOW_DATAGRAMS: u8 = 16;

/// What one datagram showed.
pub(crate) struct UdpFound {
    pub evidence: Evidence,
    pub detection: Option<(Protocol, Confidence)>,
    pub refuted: bool,
}

// Flag bits of `UdpState::flags`.
const IPV6: u8 = 1;
/// A transaction is pending (KRPC query or tracker request): `txid`, `txid_len`.
const PENDING_DHT: u8 = 2;
const PENDING_TRACKER: u8 = 4;
/// The pending transaction was sent by the responder.
const PENDING_BY_RESPONDER: u8 = 8;
/// A uTP SYN was seen: `syn_id`, `syn_seq`.
const SYN_SEEN: u8 = 16;
const SYN_BY_RESPONDER: u8 = 32;
/// A first LSD announcement was seen.
const LSD_SEEN: u8 = 64;
/// A second LSD announcement was seen: the second message that agrees.
const LSD_REPEATED: u8 = 128;

/// Datagrams a flow that is only Likely is read for, waiting for confirmation.
pub const LIKELY_DATAGRAMS: u8 = 64;

/// Correlation state of a UDP flow (12 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UdpState {
    /// The pending transaction id (its first 4 bytes).
    txid: [u8; 4],
    syn_id: u16,
    syn_seq: u16,
    txid_len: u8,
    flags: u8,
    /// Datagrams read (saturating).
    datagrams: u8,
    /// Datagrams read since the flow was confirmed (saturating).
    after: u8,
    /// `SENT_*` and `SHAPED` bits.
    seen: u8,
}

// Bits of `UdpState::seen`.
const SENT_BY_INITIATOR: u8 = 1;
const SENT_BY_RESPONDER: u8 = 2;
/// Some datagram parsed as a BitTorrent form (even one that is not evidence on its own).
const SHAPED: u8 = 4;

/// Evidence families: two different ones on one flow confirm it.
const FAMILIES: [u32; 5] = [
    Evidence::DHT_QUERY.0 | Evidence::DHT_RESPONSE.0,
    Evidence::UTP_SYN.0 | Evidence::UTP_REPLY.0,
    Evidence::UDP_TRACKER_CONNECT.0 | Evidence::TRACKER_ANNOUNCE.0 | Evidence::TRACKER_REPLY.0,
    Evidence::LSD_ANNOUNCE.0,
    Evidence::UTP_PAYLOAD.0,
];

/// Evidence that confirms on its own: a reply that answers a request seen on the flow, or a
/// plausible uTP DATA header whose payload is peer wire (two independent structures).
const CORRELATED: u32 = Evidence::DHT_RESPONSE.0
    | Evidence::UTP_REPLY.0
    | Evidence::TRACKER_REPLY.0
    | Evidence::UTP_PAYLOAD.0;

fn families(e: Evidence) -> usize {
    FAMILIES.iter().filter(|f| e.0 & **f != 0).count()
}

impl UdpState {
    pub(crate) const fn new(ipv6: bool) -> Self {
        Self {
            txid: [0; 4],
            syn_id: 0,
            syn_seq: 0,
            txid_len: 0,
            flags: if ipv6 { IPV6 } else { 0 },
            datagrams: 0,
            after: 0,
            seen: 0,
        }
    }

    /// True when nothing more is read: not BitTorrent, confirmed and followed for
    /// [`FOLLOW_DATAGRAMS`], or only likely after [`LIKELY_DATAGRAMS`].
    pub(crate) fn is_done(&self, bittorrent: bool, not_bittorrent: bool, confirmed: bool) -> bool {
        not_bittorrent
            || (bittorrent && confirmed && self.after >= FOLLOW_DATAGRAMS)
            || (bittorrent && self.datagrams >= LIKELY_DATAGRAMS)
    }

    /// A correlated reply, a repeated LSD announcement, or two families of evidence.
    fn confirmed(&self, evidence: Evidence) -> bool {
        evidence.0 & CORRELATED != 0 || families(evidence) >= 2 || self.flags & LSD_REPEATED != 0
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

    /// Read one datagram; `prior` is the flow's evidence so far.
    pub(crate) fn feed<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        prior: Evidence,
        observer: &mut O,
    ) -> UdpFound {
        self.datagrams = self.datagrams.saturating_add(1);
        if self.confirmed(prior) {
            self.after = self.after.saturating_add(1);
        }
        self.seen |= Self::by(direction, SENT_BY_RESPONDER)
            | match direction {
                Direction::Initiator => SENT_BY_INITIATOR,
                Direction::Responder => 0,
            };
        if is_shaped(datagram, self.family()) {
            self.seen |= SHAPED;
        }
        let (evidence, protocol) = match datagram.first() {
            Some(b'd') => self.krpc(direction, datagram, observer),
            Some(b'B') => self.lsd(direction, datagram, observer),
            _ => match self.tracker(direction, datagram, observer) {
                (Evidence::NONE, _) => self.utp(direction, datagram, observer),
                found => found,
            },
        };
        let all = prior | evidence;
        let both_sent = self.seen & (SENT_BY_INITIATOR | SENT_BY_RESPONDER)
            == SENT_BY_INITIATOR | SENT_BY_RESPONDER;
        let shapeless = both_sent && self.seen & SHAPED == 0;
        let detection = protocol.map(|p| {
            let confidence = if self.confirmed(all) {
                Confidence::Confirmed
            } else {
                Confidence::Likely
            };
            (p, confidence)
        });
        UdpFound {
            evidence,
            detection,
            refuted: all.is_empty() && (self.datagrams >= GIVE_UP_DATAGRAMS || shapeless),
        }
    }

    fn krpc<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        observer: &mut O,
    ) -> (Evidence, Option<Protocol>) {
        let Ok(msg) = Krpc::parse(datagram) else {
            return (Evidence::NONE, None);
        };
        let evidence = match msg.kind() {
            Some(krpc::Kind::Query) => {
                self.set_pending(PENDING_DHT, direction, msg.transaction_id());
                Evidence::DHT_QUERY
            }
            Some(krpc::Kind::Response | krpc::Kind::Error) => {
                if self.answers(PENDING_DHT, direction, msg.transaction_id()) {
                    Evidence::DHT_RESPONSE
                } else {
                    // A response to a query not seen (capture started late): structure only,
                    // which is what a query is too.
                    Evidence::DHT_QUERY
                }
            }
            None => return (Evidence::NONE, None),
        };
        if let Some(id) = msg.node_id() {
            observer.field(direction, Field::DhtNodeId, 0, id);
        }
        if let Some(hash) = msg.info_hash().or(msg.target()) {
            observer.field(direction, Field::InfoHash, 0, hash);
        }
        if let Some(v) = msg.version() {
            observer.field(direction, Field::ClientName, 0, v);
        }
        for peer in msg.values() {
            observer.endpoint(EndpointSource::Dht, peer);
        }
        (evidence, Some(Protocol::Dht))
    }

    fn lsd<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        observer: &mut O,
    ) -> (Evidence, Option<Protocol>) {
        let Ok(lsd) = LsdAnnounce::parse(datagram) else {
            return (Evidence::NONE, None);
        };
        if let Some(hash) = lsd.infohashes().next() {
            observer.field(direction, Field::InfoHash, 0, &hash);
        }
        observer.number(
            direction,
            crate::observer::Number::ListenPort,
            u64::from(lsd.port()),
        );
        if self.flags & LSD_SEEN != 0 {
            self.flags |= LSD_REPEATED;
        }
        self.flags |= LSD_SEEN;
        (Evidence::LSD_ANNOUNCE, Some(Protocol::Lsd))
    }

    fn tracker<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        observer: &mut O,
    ) -> (Evidence, Option<Protocol>) {
        let Ok(msg) = udp_tracker::parse(datagram, None, self.family()) else {
            return (Evidence::NONE, None);
        };
        let txid = msg.transaction_id().to_be_bytes();
        let evidence = match msg {
            Message::ConnectRequest { .. } => {
                self.set_pending(PENDING_TRACKER, direction, &txid);
                Evidence::UDP_TRACKER_CONNECT
            }
            Message::AnnounceRequest(req) if req.is_plausible() => {
                self.set_pending(PENDING_TRACKER, direction, &txid);
                observer.field(direction, Field::InfoHash, 0, req.info_hash());
                observer.field(direction, Field::PeerId, 0, req.peer_id());
                Evidence::TRACKER_ANNOUNCE
            }
            Message::ScrapeRequest(_) => {
                self.set_pending(PENDING_TRACKER, direction, &txid);
                Evidence::TRACKER_ANNOUNCE
            }
            Message::AnnounceRequest(_) => return (Evidence::NONE, None),
            Message::AnnounceResponse(resp) => {
                if !self.answers(PENDING_TRACKER, direction, &txid) {
                    return (Evidence::NONE, None);
                }
                for (ip, port) in resp.peers() {
                    observer.endpoint(
                        EndpointSource::Tracker,
                        core::net::SocketAddr::new(ip, port),
                    );
                }
                Evidence::TRACKER_REPLY
            }
            Message::ConnectResponse { .. } | Message::ScrapeResponse(_) | Message::Error(_) => {
                // Replies are only believed when they answer a request seen on this flow:
                // their shape alone (an action and two ids) is too plain.
                if !self.answers(PENDING_TRACKER, direction, &txid) {
                    return (Evidence::NONE, None);
                }
                Evidence::TRACKER_REPLY
            }
        };
        (evidence, Some(Protocol::UdpTracker))
    }

    fn utp<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        observer: &mut O,
    ) -> (Evidence, Option<Protocol>) {
        let Ok(packet) = UtpPacket::new_checked(datagram) else {
            return (Evidence::NONE, None);
        };
        let syn_from = self.pending_from(SYN_BY_RESPONDER);
        let syn_known = self.flags & SYN_SEEN != 0;
        let evidence = match packet.packet_type() {
            PacketType::Syn if packet.syn_is_plausible() => {
                self.flags = (self.flags & !(SYN_SEEN | SYN_BY_RESPONDER))
                    | SYN_SEEN
                    | Self::by(direction, SYN_BY_RESPONDER);
                self.syn_id = packet.connection_id();
                self.syn_seq = packet.seq_nr();
                Evidence::UTP_SYN
            }
            PacketType::State
                if packet.state_is_plausible()
                    && syn_known
                    && syn_from == direction.reverse()
                    && packet.answers_syn(self.syn_id, self.syn_seq) =>
            {
                Evidence::UTP_REPLY
            }
            PacketType::Data if packet.data_is_plausible() => {
                // The initiator sends on the SYN's id + 1, the acceptor on the SYN's id.
                let expected = if syn_from == direction {
                    self.syn_id.wrapping_add(1)
                } else {
                    self.syn_id
                };
                let on_connection = syn_known && packet.connection_id() == expected;
                let payload = peer_wire_in_datagram(direction, packet.payload(), observer);
                match (payload.is_empty(), on_connection) {
                    (false, _) => payload | Evidence::UTP_PAYLOAD,
                    (true, true) if mse_flight(packet.payload()) => Evidence::MSE_SHAPE,
                    (true, true) => Evidence::NONE,
                    (true, false) => return (Evidence::NONE, None),
                }
            }
            _ => return (Evidence::NONE, None),
        };
        if evidence.is_empty() {
            return (Evidence::NONE, None);
        }
        (evidence, Some(Protocol::Utp))
    }
}

/// True if a uTP DATA payload on a known connection is a random 96–608 byte flight: MSE over
/// uTP (libtorrent allows it), where each key exchange flight is one DATA packet.
fn mse_flight(payload: &[u8]) -> bool {
    let mut shape = crate::wire::mse::Shape::new();
    shape.read(payload);
    shape.close_flight();
    shape.verdict() == crate::wire::mse::Verdict::Fits
}

/// True if the datagram parses as any BitTorrent UDP form, plausible or not.
fn is_shaped(datagram: &[u8], family: AddressFamily) -> bool {
    match datagram.first() {
        Some(b'd') => Krpc::parse(datagram).is_ok(),
        Some(b'B') => LsdAnnounce::parse(datagram).is_ok(),
        _ => {
            udp_tracker::parse(datagram, None, family).is_ok()
                || UtpPacket::new_checked(datagram).is_ok()
        }
    }
}

/// Peer wire evidence in one uTP DATA payload read on its own: a handshake (and the messages
/// after it), or a run of [`crate::flow::FRAMING_RUN`] messages, or a complete extension
/// handshake.
fn peer_wire_in_datagram<O: Observer>(
    direction: Direction,
    payload: &[u8],
    observer: &mut O,
) -> Evidence {
    let mut evidence = Evidence::NONE;
    let mut rest = payload;
    if payload.first() == Some(&0x13) {
        let mut reader = handshake::Reader::default();
        let step = reader.read(payload, |part| match part {
            handshake::Part::Prefix => evidence |= Evidence::HANDSHAKE,
            handshake::Part::Reserved(e) => evidence |= e,
            handshake::Part::InfoHash { offset, bytes } => {
                observer.field(direction, Field::InfoHash, offset, bytes);
            }
            handshake::Part::PeerId { offset, bytes } => {
                observer.field(direction, Field::PeerId, offset, bytes);
            }
        });
        match step {
            handshake::Step::Complete { consumed } => {
                rest = payload.get(consumed..).unwrap_or_default();
            }
            handshake::Step::NeedMore | handshake::Step::Refuted => return evidence,
        }
    }
    let mut reader = message::Reader::new();
    let mut cx = message::Context {
        direction,
        receiver_ids: ExtIds::default(),
        sender_ids: ExtIds::default(),
        evidence: Evidence::NONE,
        stop_after: u8::MAX,
        observer,
    };
    let step = reader.read(rest, &mut cx);
    let framed = step == message::Step::Ok && reader.count() >= crate::flow::FRAMING_RUN;
    let extension = cx.evidence.contains(Evidence::EXTENSION_HANDSHAKE);
    if !evidence.is_empty() || framed || extension {
        evidence |= cx.evidence;
        if framed && !evidence.contains(Evidence::HANDSHAKE) {
            evidence |= Evidence::MESSAGE_FRAMING;
        }
    }
    evidence
}

// The UDP state's part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl UdpState {
    pub(crate) const ENCODED_LEN: usize = 13;

    pub(crate) fn encode(&self, w: &mut crate::flow::state::StateWriter<'_>) {
        w.bytes(&self.txid);
        w.u16(self.syn_id);
        w.u16(self.syn_seq);
        w.u8(self.txid_len);
        w.u8(self.flags);
        w.u8(self.datagrams);
        w.u8(self.after);
        w.u8(self.seen);
    }

    /// `None` for an unknown `seen` bit (every `flags` bit is defined).
    pub(crate) fn decode(r: &mut crate::flow::state::StateReader<'_>) -> Option<Self> {
        Some(Self {
            txid: r.array()?,
            syn_id: r.u16()?,
            syn_seq: r.u16()?,
            txid_len: r.u8()?,
            flags: r.u8()?,
            datagrams: r.u8()?,
            after: r.u8()?,
            seen: r.u8_if(|s| s & !(SENT_BY_INITIATOR | SENT_BY_RESPONDER | SHAPED) == 0)?,
        })
    }
}

#[cfg(test)]
mod tests;
