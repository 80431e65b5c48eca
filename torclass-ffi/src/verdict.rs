//! [`torclass_verdict`] and the numbers it holds: the same as Rust's `Verdict`, `Protocol`,
//! `Confidence` and `Evidence`, and Python's.

use torclass_core::{
    Confidence, Direction, Evidence, FlowClassifier, Protocol, Transport, Verdict,
};

// Literals, so that cbindgen writes them into the header; these assertions tie each one to the
// Rust discriminant it mirrors.
const _: () = {
    assert!(TORCLASS_PROTOCOL_PEER_WIRE == Protocol::PeerWire as u8);
    assert!(TORCLASS_PROTOCOL_PEER_WIRE_ENCRYPTED == Protocol::PeerWireEncrypted as u8);
    assert!(TORCLASS_PROTOCOL_UTP == Protocol::Utp as u8);
    assert!(TORCLASS_PROTOCOL_DHT == Protocol::Dht as u8);
    assert!(TORCLASS_PROTOCOL_UDP_TRACKER == Protocol::UdpTracker as u8);
    assert!(TORCLASS_PROTOCOL_HTTP_TRACKER == Protocol::HttpTracker as u8);
    assert!(TORCLASS_PROTOCOL_LSD == Protocol::Lsd as u8);
    assert!(TORCLASS_PROTOCOL_MAGNET == Protocol::Magnet as u8);
    assert!(TORCLASS_CONFIDENCE_LIKELY == Confidence::Likely as u8);
    assert!(TORCLASS_CONFIDENCE_CONFIRMED == Confidence::Confirmed as u8);
    assert!(TORCLASS_DIRECTION_INITIATOR == Direction::Initiator as u8);
    assert!(TORCLASS_DIRECTION_RESPONDER == Direction::Responder as u8);
    assert!(TORCLASS_TRANSPORT_TCP == Transport::Tcp as u8);
    assert!(TORCLASS_TRANSPORT_UDP == Transport::Udp as u8);
};

/// `torclass_verdict.verdict`: not enough bytes yet.
pub const TORCLASS_VERDICT_UNDECIDED: u8 = 0;
/// `torclass_verdict.verdict`: the flow is BitTorrent; this never goes back.
pub const TORCLASS_VERDICT_BITTORRENT: u8 = 1;
/// `torclass_verdict.verdict`: not BitTorrent (or the inspection budget ran out).
pub const TORCLASS_VERDICT_NOT_BITTORRENT: u8 = 2;

/// Cleartext peer wire (BEP 3, BEP 52), over TCP or inside uTP.
pub const TORCLASS_PROTOCOL_PEER_WIRE: u8 = 1;
/// Peer wire behind MSE/PE obfuscation, or inside TLS (libtorrent's SSL torrents).
pub const TORCLASS_PROTOCOL_PEER_WIRE_ENCRYPTED: u8 = 2;
/// uTP (BEP 29).
pub const TORCLASS_PROTOCOL_UTP: u8 = 3;
/// The mainline DHT (BEP 5).
pub const TORCLASS_PROTOCOL_DHT: u8 = 4;
/// UDP tracker protocol (BEP 15).
pub const TORCLASS_PROTOCOL_UDP_TRACKER: u8 = 5;
/// HTTP tracker announce or scrape.
pub const TORCLASS_PROTOCOL_HTTP_TRACKER: u8 = 6;
/// Local Service Discovery (BEP 14).
pub const TORCLASS_PROTOCOL_LSD: u8 = 7;
/// Reserved: a magnet URI is metadata (`TORCLASS_EVIDENCE_MAGNET_URI`), no longer a verdict.
pub const TORCLASS_PROTOCOL_MAGNET: u8 = 8;

/// One side's bytes fit the protocol.
pub const TORCLASS_CONFIDENCE_LIKELY: u8 = 1;
/// The other side, or a second independent message, agrees.
pub const TORCLASS_CONFIDENCE_CONFIRMED: u8 = 2;

/// The side that sent the flow's first packet.
pub const TORCLASS_DIRECTION_INITIATOR: u8 = 0;
/// The other side.
pub const TORCLASS_DIRECTION_RESPONDER: u8 = 1;

/// TCP (the IP protocol number).
pub const TORCLASS_TRANSPORT_TCP: u8 = 6;
/// UDP (the IP protocol number).
pub const TORCLASS_TRANSPORT_UDP: u8 = 17;

/// A BEP 3 handshake.
pub const TORCLASS_EVIDENCE_HANDSHAKE: u32 = 1 << 0;
/// Both sides sent a handshake with the same info-hash.
pub const TORCLASS_EVIDENCE_HANDSHAKE_REPLY: u32 = 1 << 1;
/// BEP 10 extension bit in a handshake.
pub const TORCLASS_EVIDENCE_EXTENSION_BIT: u32 = 1 << 2;
/// BEP 6 fast extension bit in a handshake.
pub const TORCLASS_EVIDENCE_FAST_BIT: u32 = 1 << 3;
/// BEP 5 DHT bit in a handshake.
pub const TORCLASS_EVIDENCE_DHT_BIT: u32 = 1 << 4;
/// BEP 52 v2 upgrade bit in a handshake.
pub const TORCLASS_EVIDENCE_V2_BIT: u32 = 1 << 5;
/// Well-formed peer wire messages without a handshake (mid-stream pickup).
pub const TORCLASS_EVIDENCE_MESSAGE_FRAMING: u32 = 1 << 6;
/// A BEP 10 extension handshake.
pub const TORCLASS_EVIDENCE_EXTENSION_HANDSHAKE: u32 = 1 << 7;
/// `ut_pex` advertised.
pub const TORCLASS_EVIDENCE_UT_PEX: u32 = 1 << 8;
/// A BEP 11 PEX message.
pub const TORCLASS_EVIDENCE_PEX_MESSAGE: u32 = 1 << 9;
/// `ut_metadata` advertised.
pub const TORCLASS_EVIDENCE_UT_METADATA: u32 = 1 << 10;
/// A BEP 9 ut_metadata message.
pub const TORCLASS_EVIDENCE_METADATA_MESSAGE: u32 = 1 << 11;
/// A KRPC query (BEP 5).
pub const TORCLASS_EVIDENCE_DHT_QUERY: u32 = 1 << 12;
/// A KRPC response matching a query.
pub const TORCLASS_EVIDENCE_DHT_RESPONSE: u32 = 1 << 13;
/// A plausible uTP SYN.
pub const TORCLASS_EVIDENCE_UTP_SYN: u32 = 1 << 14;
/// A uTP reply consistent with the SYN.
pub const TORCLASS_EVIDENCE_UTP_REPLY: u32 = 1 << 15;
/// An HTTP or UDP tracker announce or scrape request.
pub const TORCLASS_EVIDENCE_TRACKER_ANNOUNCE: u32 = 1 << 16;
/// A tracker reply.
pub const TORCLASS_EVIDENCE_TRACKER_REPLY: u32 = 1 << 17;
/// A BEP 14 `BT-SEARCH` announcement.
pub const TORCLASS_EVIDENCE_LSD_ANNOUNCE: u32 = 1 << 18;
/// A magnet URI.
pub const TORCLASS_EVIDENCE_MAGNET_URI: u32 = 1 << 19;
/// The structure of an MSE/PE key exchange.
pub const TORCLASS_EVIDENCE_MSE_SHAPE: u32 = 1 << 20;
/// An endpoint learned from earlier BitTorrent traffic.
pub const TORCLASS_EVIDENCE_KNOWN_ENDPOINT: u32 = 1 << 21;
/// A BEP 15 connect request.
pub const TORCLASS_EVIDENCE_UDP_TRACKER_CONNECT: u32 = 1 << 22;
/// uTP DATA carrying peer-wire evidence.
pub const TORCLASS_EVIDENCE_UTP_PAYLOAD: u32 = 1 << 23;
/// An end of the flow is a host with conclusive BitTorrent activity in the last minutes.
pub const TORCLASS_EVIDENCE_BITTORRENT_HOST: u32 = 1 << 24;
/// A cleartext handshake in the responder's second MSE/PE flight (plaintext selected).
pub const TORCLASS_EVIDENCE_MSE_PLAINTEXT: u32 = 1 << 25;
/// An MSE/PE first flight that nothing answered before the flow ended.
pub const TORCLASS_EVIDENCE_MSE_UNANSWERED: u32 = 1 << 26;
/// A handshake after CR/LF, complete HTTP messages or an HTTP-looking text prefix.
pub const TORCLASS_EVIDENCE_LATE_HANDSHAKE: u32 = 1 << 27;
/// uTP packets of one connection that agree beyond one packet (ids one apart, acks coherent).
pub const TORCLASS_EVIDENCE_UTP_STREAM: u32 = 1 << 28;
/// A datagram of the flow was recognised as another protocol (DNS, QUIC, STUN, …).
pub const TORCLASS_EVIDENCE_LOOKALIKE: u32 = 1 << 29;
/// A 16 KiB block's piece message followed by a valid message header, on a TCP side picked up
/// mid-stream (a block transfer; conclusive on its own).
pub const TORCLASS_EVIDENCE_BLOCK_TRANSFER: u32 = 1 << 30;
/// A TLS ClientHello whose server name is 40 lower-case hex digits: a libtorrent SSL torrent's info-hash.
pub const TORCLASS_EVIDENCE_TLS_INFO_HASH: u32 = 1u32 << 31;

// The same bits as Rust's `Evidence` (and hence Python's); the header test checks that every
// bit of `Evidence::NAMED` has its constant.
const _: () = {
    assert!(TORCLASS_EVIDENCE_HANDSHAKE == Evidence::HANDSHAKE.0);
    assert!(TORCLASS_EVIDENCE_HANDSHAKE_REPLY == Evidence::HANDSHAKE_REPLY.0);
    assert!(TORCLASS_EVIDENCE_EXTENSION_BIT == Evidence::EXTENSION_BIT.0);
    assert!(TORCLASS_EVIDENCE_FAST_BIT == Evidence::FAST_BIT.0);
    assert!(TORCLASS_EVIDENCE_DHT_BIT == Evidence::DHT_BIT.0);
    assert!(TORCLASS_EVIDENCE_V2_BIT == Evidence::V2_BIT.0);
    assert!(TORCLASS_EVIDENCE_MESSAGE_FRAMING == Evidence::MESSAGE_FRAMING.0);
    assert!(TORCLASS_EVIDENCE_EXTENSION_HANDSHAKE == Evidence::EXTENSION_HANDSHAKE.0);
    assert!(TORCLASS_EVIDENCE_UT_PEX == Evidence::UT_PEX.0);
    assert!(TORCLASS_EVIDENCE_PEX_MESSAGE == Evidence::PEX_MESSAGE.0);
    assert!(TORCLASS_EVIDENCE_UT_METADATA == Evidence::UT_METADATA.0);
    assert!(TORCLASS_EVIDENCE_METADATA_MESSAGE == Evidence::METADATA_MESSAGE.0);
    assert!(TORCLASS_EVIDENCE_DHT_QUERY == Evidence::DHT_QUERY.0);
    assert!(TORCLASS_EVIDENCE_DHT_RESPONSE == Evidence::DHT_RESPONSE.0);
    assert!(TORCLASS_EVIDENCE_UTP_SYN == Evidence::UTP_SYN.0);
    assert!(TORCLASS_EVIDENCE_UTP_REPLY == Evidence::UTP_REPLY.0);
    assert!(TORCLASS_EVIDENCE_TRACKER_ANNOUNCE == Evidence::TRACKER_ANNOUNCE.0);
    assert!(TORCLASS_EVIDENCE_TRACKER_REPLY == Evidence::TRACKER_REPLY.0);
    assert!(TORCLASS_EVIDENCE_LSD_ANNOUNCE == Evidence::LSD_ANNOUNCE.0);
    assert!(TORCLASS_EVIDENCE_MAGNET_URI == Evidence::MAGNET_URI.0);
    assert!(TORCLASS_EVIDENCE_MSE_SHAPE == Evidence::MSE_SHAPE.0);
    assert!(TORCLASS_EVIDENCE_KNOWN_ENDPOINT == Evidence::KNOWN_ENDPOINT.0);
    assert!(TORCLASS_EVIDENCE_UDP_TRACKER_CONNECT == Evidence::UDP_TRACKER_CONNECT.0);
    assert!(TORCLASS_EVIDENCE_UTP_PAYLOAD == Evidence::UTP_PAYLOAD.0);
    assert!(TORCLASS_EVIDENCE_BITTORRENT_HOST == Evidence::BITTORRENT_HOST.0);
    assert!(TORCLASS_EVIDENCE_MSE_PLAINTEXT == Evidence::MSE_PLAINTEXT.0);
    assert!(TORCLASS_EVIDENCE_MSE_UNANSWERED == Evidence::MSE_UNANSWERED.0);
    assert!(TORCLASS_EVIDENCE_LATE_HANDSHAKE == Evidence::LATE_HANDSHAKE.0);
    assert!(TORCLASS_EVIDENCE_UTP_STREAM == Evidence::UTP_STREAM.0);
    assert!(TORCLASS_EVIDENCE_LOOKALIKE == Evidence::LOOKALIKE.0);
    assert!(TORCLASS_EVIDENCE_BLOCK_TRANSFER == Evidence::BLOCK_TRANSFER.0);
    assert!(TORCLASS_EVIDENCE_TLS_INFO_HASH == Evidence::TLS_INFO_HASH.0);
};

/// A flow's classification so far. 8 bytes, no padding.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct torclass_verdict {
    /// `TORCLASS_VERDICT_*`.
    pub verdict: u8,
    /// `TORCLASS_PROTOCOL_*` when BitTorrent, else 0.
    pub protocol: u8,
    /// `TORCLASS_CONFIDENCE_*` when BitTorrent, else 0.
    pub confidence: u8,
    /// 1 when nothing more will be read from this flow (the verdict is final and no further
    /// evidence can come): a firewall may stop sending its packets to torclass.
    pub finished: u8,
    /// `TORCLASS_EVIDENCE_*` bits gathered so far, whatever the verdict: a flow to a learned
    /// peer has `TORCLASS_EVIDENCE_KNOWN_ENDPOINT` from its first packet, while undecided.
    pub evidence: u32,
}

impl torclass_verdict {
    pub(crate) fn new(verdict: Verdict, evidence: Evidence, finished: bool) -> Self {
        let (code, protocol, confidence) = match verdict {
            Verdict::Undecided => (TORCLASS_VERDICT_UNDECIDED, 0, 0),
            Verdict::NotBitTorrent => (TORCLASS_VERDICT_NOT_BITTORRENT, 0, 0),
            Verdict::BitTorrent(d) => (
                TORCLASS_VERDICT_BITTORRENT,
                d.protocol as u8,
                d.confidence as u8,
            ),
        };
        Self {
            verdict: code,
            protocol,
            confidence,
            finished: u8::from(finished),
            evidence: evidence.0,
        }
    }

    /// The verdict, evidence and state of `classifier`.
    pub(crate) fn of(classifier: &FlowClassifier) -> Self {
        Self::new(
            classifier.verdict(),
            classifier.evidence(),
            classifier.is_done(),
        )
    }
}

/// The direction for a C number.
pub(crate) fn direction(value: u8) -> Option<Direction> {
    match value {
        TORCLASS_DIRECTION_INITIATOR => Some(Direction::Initiator),
        TORCLASS_DIRECTION_RESPONDER => Some(Direction::Responder),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_numbers_match_the_rust_names() {
        let mut c = FlowClassifier::new(Transport::Tcp);
        c.known_endpoint();
        let v = torclass_verdict::of(&c);
        assert_eq!(v.verdict, TORCLASS_VERDICT_UNDECIDED);
        assert_eq!(
            v.evidence, TORCLASS_EVIDENCE_KNOWN_ENDPOINT,
            "evidence shows while undecided"
        );
        let v = torclass_verdict::new(Verdict::NotBitTorrent, Evidence::NONE, true);
        assert_eq!(
            (v.verdict, v.finished),
            (TORCLASS_VERDICT_NOT_BITTORRENT, 1)
        );
        assert_eq!(core::mem::size_of::<torclass_verdict>(), 8);
        assert_eq!(direction(2), None);
    }
}
