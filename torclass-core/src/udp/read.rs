//! The BitTorrent readers of one datagram, in the flow's context: each returns a
//! [`Reading`] and keeps what later datagrams are compared with (a pending transaction id, a
//! tracker's connection id, a SYN, each direction's uTP stream).

use super::{
    Reading, Strength, UdpState, LSD_REPEATED, LSD_SEEN, PENDING_DHT, PENDING_TRACKER,
    SYN_BY_RESPONDER, SYN_EMPTY, SYN_SEEN, SYN_STRICT, TRACKER_CONN,
};
use crate::observer::{EndpointSource, Field, Observer};
use crate::verdict::{Direction, Evidence, Protocol};
use crate::wire::extension::ExtIds;
use crate::wire::krpc::{self, Krpc, Method};
use crate::wire::lsd::{self, LsdAnnounce};
use crate::wire::udp_tracker::{self, Message};
use crate::wire::utp::{PacketType, UtpPacket};
use crate::wire::{handshake, message, tls};

use super::stream::RUN_STEP;

impl UdpState {
    /// KRPC (BEP 5): a query with a known method ([`Method`]: BEP 5, 44, 51 and µTorrent's
    /// `vote`) or a response (both with a 20-byte node id, which [`Krpc::parse`] requires) is
    /// conclusive alone; a query with another method or an error is a guess, conclusive when
    /// it answers (or is answered by) the other side's message with the same transaction id.
    ///
    /// Chance, measured (`tests/udp_chance.rs`, `tests/tests/udp_rules.rs`): 0 of 25,000
    /// random datagrams, 0 of 25,000 starting `d1:` and 0 of 25,000 starting `d1:ad2:id20:`
    /// parse as KRPC at all; 0 of the 273 datagrams of the negative captures. A conclusive
    /// message needs a complete dictionary with `t`, `y` and a 20-byte `id` in `a` or `r`.
    ///
    /// A datagram whose end the capture cut (`cut`) is read as far as it goes: the start of a
    /// query or a response, up to its 20-byte `id` in `a` or `r` (or into it: a 64-byte
    /// snapshot keeps 10 of its bytes, [`krpc::cut_start`]), is conclusive, as the message
    /// would be (`d1:ad2:id20:` alone is 12 fixed bytes).
    pub(super) fn krpc<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        cut: bool,
        observer: &mut O,
    ) -> Reading {
        let Ok(msg) = Krpc::parse(datagram) else {
            let Some((_, id)) = cut.then(|| krpc::cut_start(datagram)).flatten() else {
                return Reading::NONE;
            };
            observer.field(direction, Field::DhtNodeId, 0, id);
            return Reading::new(Evidence::DHT_QUERY, Protocol::Dht, Strength::Conclusive);
        };
        let answers = self.answers(PENDING_DHT, direction, msg.transaction_id());
        let (evidence, strength) = match msg.kind() {
            Some(krpc::Kind::Query) => {
                self.set_pending(PENDING_DHT, direction, msg.transaction_id());
                match msg.method() {
                    Some(Method::Unknown(_)) | None => (Evidence::DHT_QUERY, Strength::Guess),
                    Some(_) => (Evidence::DHT_QUERY, Strength::Conclusive),
                }
            }
            Some(krpc::Kind::Response) if answers => (Evidence::DHT_RESPONSE, Strength::Conclusive),
            // A response to a query not seen (the capture started late): its structure alone.
            Some(krpc::Kind::Response) => (Evidence::DHT_QUERY, Strength::Conclusive),
            Some(krpc::Kind::Error) if answers => (Evidence::DHT_RESPONSE, Strength::Conclusive),
            Some(krpc::Kind::Error) | None => (Evidence::DHT_QUERY, Strength::Guess),
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
        Reading::new(evidence, Protocol::Dht, strength)
    }

    /// LSD (BEP 14): a complete announcement with `Host`, `Port` and an `Infohash` is
    /// conclusive alone (its request line alone is 20 fixed bytes); one without `Host` is a
    /// guess, conclusive when repeated.
    ///
    /// Chance, measured: 0 of 25,000 random datagrams starting with the request line and its
    /// CRLF parse; 0 of the negative captures' datagrams (SSDP's `M-SEARCH`/`NOTIFY` share the
    /// format and fail the request line).
    ///
    /// A datagram whose end the capture cut (`cut`) is read as far as it goes: the request
    /// line whole and header text after it ([`lsd::cut_start`]) is conclusive (a 64-byte
    /// snapshot keeps the request line alone).
    pub(super) fn lsd<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        cut: bool,
        observer: &mut O,
    ) -> Reading {
        let Ok(lsd) = LsdAnnounce::parse(datagram) else {
            if cut && lsd::cut_start(datagram) {
                return Reading::new(Evidence::LSD_ANNOUNCE, Protocol::Lsd, Strength::Conclusive);
            }
            return Reading::NONE;
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
        let strength = if lsd.host().is_some() || self.flags & LSD_REPEATED != 0 {
            Strength::Conclusive
        } else {
            Strength::Guess
        };
        Reading::new(Evidence::LSD_ANNOUNCE, Protocol::Lsd, strength)
    }

    /// BEP 15: a connect request (the 64-bit protocol id) is conclusive alone, as is an
    /// announce whose fields are plausible and whose peer id follows a client convention
    /// (BEP 20), and a request quoting the connection id a connect response on this flow
    /// returned; a reply is conclusive when it answers the pending request's transaction id.
    /// Other plausible announces and scrapes are guesses; a reply answering nothing seen is
    /// only shaped.
    ///
    /// Chance, measured: 0 of 25,000 random 16-byte datagrams are connect requests (the
    /// protocol id and action are 96 fixed bits); 0 of 25,000 random 98-byte datagrams with
    /// action 1 are even a guess (a known event is 1 in 2^30) and so none conclusive (a BEP 20
    /// prefix is about 1 in 2^29 more); 0 of the negative captures' datagrams. The zero
    /// padding of an EDNS query passes the field checks but not the peer id, and the query
    /// is refuted as DNS (`wire::lookalike::dns`): a plausible announce alone stays a guess
    /// unless its peer id follows a convention, because padding and counters are what other
    /// protocols put there.
    pub(super) fn tracker<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        observer: &mut O,
    ) -> Reading {
        let Ok(msg) = udp_tracker::parse(datagram, None, self.family()) else {
            return Reading::NONE;
        };
        let txid = msg.transaction_id().to_be_bytes();
        let answers = self.answers(PENDING_TRACKER, direction, &txid);
        let known = (self.seen2 & TRACKER_CONN != 0).then_some(self.tracker_conn);
        let quotes = |conn: u64| known == Some(conn.to_be_bytes());
        let (evidence, strength) = match msg {
            Message::ConnectRequest { .. } => {
                self.set_pending(PENDING_TRACKER, direction, &txid);
                (Evidence::UDP_TRACKER_CONNECT, Strength::Conclusive)
            }
            Message::AnnounceRequest(req) => {
                let quoted = quotes(req.connection_id());
                let plausible = req.is_plausible();
                if !plausible && !quoted {
                    return Reading::shaped(Protocol::UdpTracker);
                }
                self.set_pending(PENDING_TRACKER, direction, &txid);
                observer.field(direction, Field::InfoHash, 0, req.info_hash());
                observer.field(direction, Field::PeerId, 0, req.peer_id());
                if quoted {
                    (
                        Evidence::TRACKER_ANNOUNCE | Evidence::TRACKER_REPLY,
                        Strength::Conclusive,
                    )
                } else if req.peer_id_is_conventional() {
                    (Evidence::TRACKER_ANNOUNCE, Strength::Conclusive)
                } else {
                    (Evidence::TRACKER_ANNOUNCE, Strength::Guess)
                }
            }
            Message::ScrapeRequest(req) => {
                self.set_pending(PENDING_TRACKER, direction, &txid);
                if quotes(req.connection_id()) {
                    (
                        Evidence::TRACKER_ANNOUNCE | Evidence::TRACKER_REPLY,
                        Strength::Conclusive,
                    )
                } else {
                    (Evidence::TRACKER_ANNOUNCE, Strength::Guess)
                }
            }
            Message::ConnectResponse { connection_id, .. } => {
                self.tracker_conn = connection_id.to_be_bytes();
                self.seen2 |= TRACKER_CONN;
                if !answers {
                    return Reading::shaped(Protocol::UdpTracker);
                }
                (Evidence::TRACKER_REPLY, Strength::Conclusive)
            }
            Message::AnnounceResponse(resp) => {
                if !answers {
                    return Reading::shaped(Protocol::UdpTracker);
                }
                for (ip, port) in resp.peers() {
                    observer.endpoint(
                        EndpointSource::Tracker,
                        core::net::SocketAddr::new(ip, port),
                    );
                }
                (Evidence::TRACKER_REPLY, Strength::Conclusive)
            }
            Message::ScrapeResponse(_) | Message::Error(_) => {
                // Replies are only believed when they answer a request seen on this flow:
                // their shape alone (an action and two ids) is too plain.
                if !answers {
                    return Reading::shaped(Protocol::UdpTracker);
                }
                (Evidence::TRACKER_REPLY, Strength::Conclusive)
            }
        };
        Reading::new(evidence, Protocol::UdpTracker, strength)
    }

    /// uTP (BEP 29). Conclusive: a STATE or RESET from the other side on a SYN's connection id
    /// acknowledging its `seq_nr` (or DATA acknowledging a SYN as implementations send it);
    /// DATA whose payload is peer wire; a SYN followed by DATA from the same side on the SYN's
    /// id + 1 continuing its `seq_nr`; a SYN retransmitted (same id and `seq_nr`, a new
    /// timestamp, both plausible); a plausible SYN to or from a learned peer endpoint (what
    /// confirms an unanswered MSE first flight; a BitTorrent host alone leaves it a guess, as
    /// it leaves that flight `Likely`; [`Strength::Corroborated`]); both directions
    /// acknowledging each other on connection ids one apart ([`super::stream`]). Guesses: a
    /// plausible SYN alone; a run of [`UTP_RUN`] DATA packets in sequence on one connection id
    /// from one side. The correlations start only from a SYN without payload (no
    /// implementation sends one), and need the packets of one side to be what an
    /// implementation sends (the reply to a SYN; one direction of a stream): a peer may set
    /// odd timestamps or windows in its own packets (issue 13's evasion), not in its peer's.
    ///
    /// DATA payloads on a connection are measured as MSE flights (MSE over uTP, whether or
    /// not the SYN was seen): [`Evidence::MSE_SHAPE`], and corroborated by other flows a run
    /// of them is conclusive ([`Strength::Corroborated`]: the two rules that need other flows
    /// confirm a flow that teaches nothing until a rule conclusive alone matches).
    ///
    /// Chance, measured (`tests/udp_chance.rs`, 5,000 flows each): a SYN-shaped datagram and a
    /// random STATE/RESET/DATA-shaped reply, a SYN and random DATA-shaped datagrams from the
    /// same side, two random uTP-shaped streams of 4 datagrams each way, and one random stream
    /// of 8: 0 likely, 0 confirmed each (the id and ack of a reply are 32 bits, a
    /// continuation's id and seq about 28, both directions' acks about 40). Of 25,000 random
    /// 20-byte SYN shapes with `ack_nr` and the timestamp difference zeroed by construction,
    /// 0.4% pass `syn_is_plausible` (the window bound): a lone SYN is a guess for that reason.
    /// 0 of the negative captures' datagrams. Structured look-alikes (`tests/udp_chance.rs`:
    /// uTP type bytes, then zeros, constants, counters and echoes in the header fields): 28 of
    /// 5,000 flows confirmed, all by the two directions' acknowledgements (what uTP is,
    /// structurally: a constant id pair one apart, `seq_nr`/`ack_nr` in step); 176 before
    /// the checks above.
    pub(super) fn utp<O: Observer>(
        &mut self,
        direction: Direction,
        datagram: &[u8],
        prior: Evidence,
        observer: &mut O,
    ) -> Reading {
        let Ok(packet) = UtpPacket::new_checked(datagram) else {
            return Reading::NONE;
        };
        let syn_known = self.flags & SYN_SEEN != 0;
        let syn_from = self.pending_from(SYN_BY_RESPONDER);
        let ty = packet.packet_type();
        if ty == PacketType::Syn {
            return self.syn(direction, &packet, prior);
        }
        let id = packet.connection_id();
        // Only a SYN without payload starts a connection the correlations below follow.
        let syn_known = syn_known && self.seen2 & SYN_EMPTY != 0;
        let acceptor = syn_known && syn_from == direction.reverse() && id == self.syn_id;
        // The reply comes from the side that did not choose the SYN's fields: it is what
        // the acceptor's implementation sends (a peer that sets odd fields in its own
        // packets does not choose these).
        // DATA answers only a SYN an implementation sends (the acceptor's STATE was missed):
        // an odd SYN is accepted by a STATE (BEP 29's reply) or refused by a RESET.
        // A zero `seq_nr` acknowledged by a zero `ack_nr` is no evidence (zeroed fields; a real
        // SYN's `seq_nr` is 1 in libutp, random in libtorrent).
        let answers_syn = acceptor
            && packet.is_plausible()
            && (packet.ack_nr(), self.syn_seq) != (0, 0)
            && match ty {
                PacketType::State | PacketType::Reset => packet.ack_nr() == self.syn_seq,
                PacketType::Data => {
                    self.seen2 & SYN_STRICT != 0
                        && packet.ack_nr().wrapping_sub(self.syn_seq) <= RUN_STEP
                }
                _ => false,
            };
        if ty == PacketType::Reset {
            return if answers_syn {
                Reading::new(Evidence::UTP_REPLY, Protocol::Utp, Strength::Conclusive)
            } else {
                Reading::shaped(Protocol::Utp)
            };
        }
        self.see_stream(direction, &packet);
        let (mine, other) = self.sides(direction);
        // Acknowledgements both ways, one side (at least) sending only what an implementation
        // sends, and one side (at least) twice on its connection id: structured look-alikes
        // (zeroed fields, STATE with payload or DATA without; counters in the id field, one
        // apart from one datagram to the next) fail them.
        let both = mine.acked()
            && other.acked()
            && (mine.plausible() || other.plausible())
            && (mine.stable() || other.stable());
        let run = mine.run();
        let after_syn = syn_known
            && syn_from == direction
            && id == self.syn_id.wrapping_add(1)
            && (1..=RUN_STEP).contains(&packet.seq_nr().wrapping_sub(self.syn_seq));
        let mut evidence = Evidence::NONE;
        let mut strength = Strength::Shaped;
        if answers_syn {
            evidence |= Evidence::UTP_REPLY;
            strength = Strength::Conclusive;
        }
        if after_syn || both {
            evidence |= Evidence::UTP_STREAM;
            strength = Strength::Conclusive;
        }
        if ty == PacketType::Data {
            let payload = peer_wire_in_datagram(direction, packet.payload(), observer);
            if !payload.is_empty() {
                evidence |= payload | Evidence::UTP_PAYLOAD;
                strength = Strength::Conclusive;
            }
            let on_connection = answers_syn || acceptor || after_syn || both || run >= 2;
            if payload.is_empty() && on_connection && self.measure(direction, packet.payload()) {
                evidence |= Evidence::MSE_SHAPE;
            }
        }
        if run >= UTP_RUN && strength != Strength::Conclusive {
            evidence |= Evidence::UTP_STREAM;
            let corroborated =
                (prior | evidence).contains(Evidence::MSE_SHAPE) && corroborated(prior);
            strength = if corroborated {
                Strength::Corroborated
            } else {
                Strength::Guess
            };
        }
        Reading {
            evidence,
            protocol: Some(Protocol::Utp),
            strength,
        }
    }

    fn syn<T: AsRef<[u8]>>(
        &mut self,
        direction: Direction,
        packet: &UtpPacket<T>,
        prior: Evidence,
    ) -> Reading {
        let strict = packet.syn_is_plausible();
        let [a, b, c, d] = packet.timestamp_us().to_be_bytes();
        let stamp = u16::from_be_bytes([a ^ c, b ^ d]);
        let repeated = self.flags & SYN_SEEN != 0
            && self.pending_from(SYN_BY_RESPONDER) == direction
            && self.syn_id == packet.connection_id()
            && self.syn_seq == packet.seq_nr()
            && self.syn_stamp != stamp
            && strict
            && self.seen2 & SYN_STRICT != 0;
        self.flags = (self.flags & !(SYN_SEEN | SYN_BY_RESPONDER))
            | SYN_SEEN
            | Self::by(direction, SYN_BY_RESPONDER);
        self.syn_id = packet.connection_id();
        self.syn_seq = packet.seq_nr();
        self.syn_stamp = stamp;
        if strict {
            self.seen2 |= SYN_STRICT;
        } else {
            self.seen2 &= !SYN_STRICT;
        }
        if packet.payload().is_empty() {
            self.seen2 |= SYN_EMPTY;
        } else {
            self.seen2 &= !SYN_EMPTY;
        }
        match (repeated, strict) {
            (true, _) => Reading::new(
                Evidence::UTP_SYN | Evidence::UTP_STREAM,
                Protocol::Utp,
                Strength::Conclusive,
            ),
            // A plausible SYN to or from a learned peer endpoint. A BitTorrent host alone
            // leaves it a guess, as it leaves an unanswered MSE first flight `Likely` over
            // TCP: one 20-byte datagram is all the rule reads, and a game's packet can be
            // one (LiteNetLib's third connection to a peer opens its reliable channel 0 with
            // `41 00 00 00`; a 16-byte first message with zeros where a SYN has them is a
            // plausible SYN: `tests/captures/games.py --edge`).
            (false, true) if prior.contains(Evidence::KNOWN_ENDPOINT) => {
                Reading::new(Evidence::UTP_SYN, Protocol::Utp, Strength::Corroborated)
            }
            (false, true) => Reading::new(Evidence::UTP_SYN, Protocol::Utp, Strength::Guess),
            (false, false) => Reading::shaped(Protocol::Utp),
        }
    }
}

/// DATA packets in sequence on one connection id from one side that make a guess.
pub const UTP_RUN: u8 = 3;

/// Corroboration from other flows: the peer is an endpoint learned from BitTorrent traffic
/// ([`Evidence::KNOWN_ENDPOINT`]) or an end is a host with conclusive BitTorrent activity
/// ([`Evidence::BITTORRENT_HOST`]), as for MSE shapes over TCP.
fn corroborated(prior: Evidence) -> bool {
    prior.0 & (Evidence::KNOWN_ENDPOINT.0 | Evidence::BITTORRENT_HOST.0) != 0
}

/// Peer wire evidence in one uTP DATA payload read on its own: a handshake (and the messages
/// after it), or a run of [`crate::flow::FRAMING_RUN`] messages (without a handshake, empty
/// messages such as choke count only as the first of the run, as on a TCP side picked up
/// mid-stream), or a complete extension handshake; or an SSL torrent's ClientHello
/// (`wire::tls`) whole in the payload.
fn peer_wire_in_datagram<O: Observer>(
    direction: Direction,
    payload: &[u8],
    observer: &mut O,
) -> Evidence {
    if payload.first() == Some(&0x16) {
        let step = tls::HelloReader::new().read(payload, direction, observer);
        return if step == tls::Step::InfoHash {
            Evidence::TLS_INFO_HASH
        } else {
            Evidence::NONE
        };
    }
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
            handshake::Step::NeedMore | handshake::Step::Invalid => return evidence,
        }
    }
    let mut reader = message::Reader::new();
    let mut cx = message::Context {
        direction,
        receiver_ids: ExtIds::default(),
        sender_ids: ExtIds::default(),
        evidence: Evidence::NONE,
        stop_after: u8::MAX,
        // Without a handshake in front, as on a TCP side picked up mid-stream.
        runs_need_payloads: evidence.is_empty(),
        // A datagram never holds a 16 KiB block.
        blocks: false,
        observer,
    };
    let step = reader.read(rest, &mut cx);
    let framed = step == message::Step::NeedMore && reader.count() >= crate::flow::FRAMING_RUN;
    let extension = cx.evidence.contains(Evidence::EXTENSION_HANDSHAKE);
    if !evidence.is_empty() || framed || extension {
        evidence |= cx.evidence;
        if framed && !evidence.contains(Evidence::HANDSHAKE) {
            evidence |= Evidence::MESSAGE_FRAMING;
        }
    }
    evidence
}
