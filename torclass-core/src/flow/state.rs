//! [`FlowClassifier::to_state`] and [`FlowClassifier::from_state`]: the classifier as
//! [`FlowClassifier::STATE_LEN`] plain bytes and back, without `unsafe`.
//!
//! This is how the C library keeps a flow in memory its caller owns: any bytes can come back,
//! so decoding validates every enum discriminant, every flag set and every range a reader
//! relies on, and refuses anything its own encoder could not have written (the encoding is
//! canonical: `from_state(b) == Some(c)` implies `c.to_state() == b`).
//!
//! Layout (little-endian integers; each reader's part is written by an `encode`/`decode` pair
//! at the end of the reader's module):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | transport: 0 TCP, 1 UDP |
//! | 1 | flow state (low nibble: 0 undecided, 1 BitTorrent, 2 not BitTorrent) and proxy state (high nibble, `flow/proxy.rs`) |
//! | 1 | protocol (0 none, else [`Protocol`] discriminant) |
//! | 1 | confidence ([`Confidence`] discriminant) |
//! | 4 | evidence bits |
//! | 2 | per-side flags |
//! | TCP: 2 × side (reader tag and state, `u32` stream offset, MSE flights), 2 × 2 extension ids; UDP: the UDP state | |
//! | rest | zero |

use super::{FlowClassifier, Inner, Reader, Side, BITTORRENT, NOT_BITTORRENT, UNDECIDED};
use crate::codec::{StateReader, StateWriter};
use crate::udp::UdpState;
use crate::verdict::{Confidence, Evidence, Protocol};
use crate::wire::extension::ExtIds;
use crate::wire::{handshake, http, http_tracker, magnet, message, mse, tls};

const COMMON_LEN: usize = 10;
const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// A reader's tag and the largest reader (a text side's magnet scanner comes with a flag and
/// its handshake finder, a resync's block finder with its flag), the stream offset, the flights.
const SIDE_LEN: usize =
    1 + max(
        max(handshake::Reader::ENCODED_LEN, message::Reader::ENCODED_LEN),
        max(
            max(
                http_tracker::RequestReader::ENCODED_LEN,
                http_tracker::ReplyReader::ENCODED_LEN,
            ),
            max(
                max(
                    http::Framer::ENCODED_LEN,
                    super::proxy::Negotiation::ENCODED_LEN,
                ),
                max(
                    max(
                        magnet::Scanner::ENCODED_LEN + 1 + handshake::Finder::ENCODED_LEN,
                        message::BlockFinder::ENCODED_LEN + 1,
                    ),
                    tls::HelloReader::ENCODED_LEN,
                ),
            ),
        ),
    ) + 4
        + mse::Flights::ENCODED_LEN;
const TCP_LEN: usize = 2 * SIDE_LEN + 2 * ExtIds::ENCODED_LEN;

const _: () = assert!(COMMON_LEN + TCP_LEN <= FlowClassifier::STATE_LEN);
const _: () = assert!(
    FlowClassifier::STATE_LEN <= 88,
    "the C flow (8 + STATE_LEN bytes) must stay within 96 bytes"
);
const _: () = assert!(COMMON_LEN + UdpState::ENCODED_LEN <= FlowClassifier::STATE_LEN);

// Reader tags.
const START: u8 = 0;
const HANDSHAKE: u8 = 1;
const MESSAGES: u8 = 2;
const REQUEST: u8 = 3;
const REPLY: u8 = 4;
const TEXT: u8 = 5;
const DONE: u8 = 6;
const HTTP: u8 = 7;
const NEXT: u8 = 8;
const PROXY: u8 = 9;
const RESYNC: u8 = 10;
const RESUME: u8 = 11;
const REFUTED: u8 = 12;
const TLS: u8 = 13;
const CUT: u8 = 14;

fn encode_side(side: &Side, w: &mut StateWriter<'_>) {
    match &side.reader {
        Reader::Start => w.u8(START),
        Reader::Next => w.u8(NEXT),
        Reader::Resume => w.u8(RESUME),
        Reader::Handshake(r) => {
            w.u8(HANDSHAKE);
            r.encode(w);
        }
        Reader::Messages(r) => {
            w.u8(MESSAGES);
            r.encode(w);
        }
        Reader::Request(r) => {
            w.u8(REQUEST);
            r.encode(w);
        }
        Reader::Reply(r) => {
            w.u8(REPLY);
            r.encode(w);
        }
        Reader::Http(f) => {
            w.u8(HTTP);
            f.encode(w);
        }
        Reader::Text(scanner, found, finder) => {
            w.u8(TEXT);
            scanner.encode(w);
            w.u8(u8::from(*found));
            finder.encode(w);
        }
        Reader::Done(messages) => {
            w.u8(DONE);
            w.u8(*messages);
        }
        Reader::Refuted => w.u8(REFUTED),
        Reader::Cut => w.u8(CUT),
        Reader::Tls(r) => {
            w.u8(TLS);
            r.encode(w);
        }
        Reader::Proxy(n) => {
            w.u8(PROXY);
            n.encode(w);
        }
        Reader::Resync(finder, fresh) => {
            w.u8(RESYNC);
            finder.encode(w);
            w.u8(u8::from(*fresh));
        }
    }
    w.u32(side.sent);
    side.flights.encode(w);
}

fn decode_side(r: &mut StateReader<'_>) -> Option<Side> {
    let reader = match r.u8()? {
        START => Reader::Start,
        NEXT => Reader::Next,
        RESUME => Reader::Resume,
        HANDSHAKE => Reader::Handshake(handshake::Reader::decode(r)?),
        MESSAGES => Reader::Messages(message::Reader::decode(r)?),
        REQUEST => Reader::Request(http_tracker::RequestReader::decode(r)?),
        REPLY => Reader::Reply(http_tracker::ReplyReader::decode(r)?),
        HTTP => Reader::Http(http::Framer::decode(r)?),
        TEXT => {
            let scanner = magnet::Scanner::decode(r)?;
            let found = match r.u8()? {
                0 => false,
                1 => true,
                _ => return None,
            };
            Reader::Text(scanner, found, handshake::Finder::decode(r)?)
        }
        DONE => Reader::Done(r.u8_if(|m| m <= super::FOLLOW_MESSAGES)?),
        REFUTED => Reader::Refuted,
        CUT => Reader::Cut,
        TLS => Reader::Tls(tls::HelloReader::decode(r)?),
        PROXY => Reader::Proxy(super::proxy::Negotiation::decode(r)?),
        RESYNC => {
            let finder = message::BlockFinder::decode(r)?;
            match r.u8()? {
                0 => Reader::Resync(finder, false),
                1 => Reader::Resync(finder, true),
                _ => return None,
            }
        }
        _ => return None,
    };
    let sent = r.u32()?;
    let flights = mse::Flights::decode(r)?;
    Some(Side {
        reader,
        sent,
        flights,
    })
}

impl FlowClassifier {
    /// Bytes of [`FlowClassifier::to_state`].
    pub const STATE_LEN: usize = 84;

    /// The classifier as plain bytes, for state kept where Rust types cannot live (the C
    /// library's caller-owned `torclass_flow`).
    #[must_use]
    pub fn to_state(&self) -> [u8; Self::STATE_LEN] {
        let mut out = [0; Self::STATE_LEN];
        let mut w = StateWriter::new(&mut out);
        w.u8(match self.inner {
            Inner::Tcp { .. } => 0,
            Inner::Udp(_) => 1,
        });
        // The flow state in bits 0-1, whether its confirmation needed corroboration in bit 3,
        // the proxy state in the high nibble.
        w.u8(self.state | (u8::from(self.corroborated) << 3) | (self.proxy.to_byte() << 4));
        w.u8(self.protocol.map_or(0, |p| p as u8));
        w.u8(self.confidence as u8);
        w.u32(self.evidence.0);
        w.bytes(&self.flags);
        match &self.inner {
            Inner::Tcp { sides, ids } => {
                for side in sides {
                    encode_side(side, &mut w);
                }
                for id in ids {
                    id.encode(&mut w);
                }
            }
            Inner::Udp(udp) => udp.encode(&mut w),
        }
        out
    }

    /// The classifier [`FlowClassifier::to_state`] wrote as `state`, or `None` if `state` is
    /// anything else (zeroed, garbage, or corrupted bytes). Never panics.
    #[must_use]
    pub fn from_state(state: &[u8; Self::STATE_LEN]) -> Option<Self> {
        let mut r = StateReader::new(state);
        let udp = match r.u8()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let byte = r.u8()?;
        let flow_state = byte & 0x07;
        if !matches!(flow_state, UNDECIDED | BITTORRENT | NOT_BITTORRENT) {
            return None;
        }
        let corroborated = byte & 0x08 != 0;
        let proxy = super::proxy::ProxyState::from_byte(byte >> 4)?;
        let protocol = match r.u8()? {
            0 => None,
            p => Some(*Protocol::ALL.iter().find(|known| **known as u8 == p)?),
        };
        if protocol.is_some() != (flow_state == BITTORRENT) {
            return None;
        }
        let confidence = match r.u8()? {
            1 => Confidence::Likely,
            2 => Confidence::Confirmed,
            _ => return None,
        };
        // Only a confirmed flow was confirmed by corroboration.
        if corroborated && (flow_state != BITTORRENT || confidence != Confidence::Confirmed) {
            return None;
        }
        // Every bit has a name (`Evidence::NAMED`).
        let evidence = Evidence(r.u32()?);
        // Every bit of a side's flags is defined (`SENT_HANDSHAKE` … `MSE_SECOND`).
        let flags = [r.u8()?, r.u8()?];
        let inner = if udp {
            Inner::Udp(UdpState::decode(&mut r)?)
        } else {
            let sides = [decode_side(&mut r)?, decode_side(&mut r)?];
            let ids = [ExtIds::decode(&mut r)?, ExtIds::decode(&mut r)?];
            Inner::Tcp { sides, ids }
        };
        if !r.rest_is_zero() {
            return None;
        }
        let mut flow = Self {
            inner,
            evidence,
            flags,
            state: flow_state,
            protocol,
            confidence,
            done: false,
            proxy,
            corroborated,
        };
        flow.done = flow.compute_done();
        Some(flow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Direction, Transport};

    fn round_trip(c: &FlowClassifier) {
        let bytes = c.to_state();
        assert_eq!(FlowClassifier::from_state(&bytes).as_ref(), Some(c));
    }

    #[test]
    fn new_flows_round_trip_and_zeroes_are_a_fresh_tcp_flow_only_if_canonical() {
        round_trip(&FlowClassifier::new(Transport::Tcp));
        round_trip(&FlowClassifier::new(Transport::Udp));
        round_trip(&FlowClassifier::with_family(Transport::Udp, true));
        // All zeroes has confidence 0, which no classifier has.
        assert_eq!(
            FlowClassifier::from_state(&[0; FlowClassifier::STATE_LEN]),
            None
        );
        assert_eq!(
            FlowClassifier::from_state(&[0xff; FlowClassifier::STATE_LEN]),
            None
        );
    }

    #[test]
    fn every_step_of_a_handshake_and_messages_round_trips() {
        let mut hs = [0u8; 68];
        hs[..20].copy_from_slice(b"\x13BitTorrent protocol");
        hs[25] = 0x10;
        let mut stream = hs.to_vec();
        stream.extend_from_slice(&[0, 0, 0, 1, 2, 0, 0, 0, 5, 4, 0, 0, 0, 1]);
        stream.extend_from_slice(&[0, 0, 0, 11, 20, 0]);
        stream.extend_from_slice(b"d1:md1:xi1eee");
        let mut c = FlowClassifier::new(Transport::Tcp);
        for b in &stream {
            c.feed(Direction::Initiator, core::slice::from_ref(b));
            round_trip(&c);
        }
        for chunk in stream.chunks(5) {
            c.feed(Direction::Responder, chunk);
            round_trip(&c);
        }
        assert!(c.verdict().is_bittorrent());
    }

    /// Every byte of a mid-stream side's 16 KiB blocks where the block mark changes (the
    /// block header found, index and `begin`, the block's end, the next header) round-trips.
    #[test]
    fn block_transfer_marks_round_trip() {
        let piece = |index: u8| {
            let mut m = std::vec![0, 0, 0x40, 0x09, 7, 0, 0, 0, index, 0, 0, 0x40, 0];
            m.extend(core::iter::repeat_n(0xa5, 16384));
            m
        };
        let mut stream = std::vec![0xee; 100];
        stream.extend(piece(1));
        stream.extend(piece(2));
        stream.extend_from_slice(&[0, 0, 0, 5, 4, 0, 0, 0, 9]);
        let mut c = FlowClassifier::new(Transport::Tcp);
        c.midstream();
        let mut at = 0;
        for end in [95, 120, 16480, 16530, stream.len()] {
            // Byte by byte around the marks, the block bodies in one go.
            let step = if end - at > 64 { end - at } else { 1 };
            for chunk in stream[at..end].chunks(step) {
                c.feed(Direction::Responder, chunk);
                round_trip(&c);
            }
            at = end;
        }
        assert!(c
            .evidence()
            .contains(crate::verdict::Evidence::BLOCK_TRANSFER));
    }

    #[test]
    fn text_and_tracker_sides_round_trip() {
        let mut c = FlowClassifier::new(Transport::Tcp);
        for chunk in [
            &b"GET /announce?info_hash=%12%34&po"[..],
            b"rt=6881 HTTP/1.1\r\n",
        ] {
            c.feed(Direction::Initiator, chunk);
            round_trip(&c);
        }
        for chunk in [&b"HTTP/1.1 200 OK\r\n\r\nd8:intervali1"[..], b"e5:peers0:e"] {
            c.feed(Direction::Responder, chunk);
            round_trip(&c);
        }
        let mut t = FlowClassifier::new(Transport::Tcp);
        t.feed(Direction::Initiator, b"hello magnet:?xt=urn:btih:0123");
        round_trip(&t);
    }

    #[test]
    fn key_exchange_flights_round_trip() {
        let mut c = FlowClassifier::new(Transport::Tcp);
        let random = crate::test_util::random_bytes;
        let mut b2 = random(40, 4);
        b2.extend_from_slice(b"\x13BitTorrent protocol");
        for (dir, bytes) in [
            (Direction::Initiator, random(200, 1)),
            (Direction::Responder, random(150, 2)),
            (Direction::Initiator, random(80, 3)),
            (Direction::Responder, b2),
        ] {
            for chunk in bytes.chunks(7) {
                c.feed(dir, chunk);
                round_trip(&c);
            }
        }
        assert!(c.verdict().is_bittorrent());
    }

    #[test]
    fn udp_flows_round_trip() {
        let mut c = FlowClassifier::new(Transport::Udp);
        c.feed(
            Direction::Initiator,
            b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
        );
        round_trip(&c);
        c.feed(
            Direction::Responder,
            b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",
        );
        round_trip(&c);
        assert!(c.verdict().is_bittorrent());
    }

    /// Whether corroboration alone confirmed the flow survives the bytes; only a confirmed flow
    /// has it.
    #[test]
    fn a_confirmation_by_corroboration_round_trips() {
        let mut c = FlowClassifier::new(Transport::Udp);
        c.known_endpoint();
        let syn = [
            0x41, 0, 0x50, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 9, 0, 0,
        ];
        c.feed(Direction::Initiator, &syn);
        assert!(c.verdict().is_bittorrent() && !c.confirmed_alone());
        round_trip(&c);
        let mut state = c.to_state();
        assert_eq!(state[1] & 0x08, 0x08);
        let fresh = FlowClassifier::new(Transport::Udp).to_state();
        state[1..].copy_from_slice(&fresh[1..]);
        state[1] |= 0x08;
        assert_eq!(FlowClassifier::from_state(&state), None);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_without_panic_and_only_canonically(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, FlowClassifier::STATE_LEN),
            zeros in 0usize..FlowClassifier::STATE_LEN,
        ) {
            let mut state = [0u8; FlowClassifier::STATE_LEN];
            state.copy_from_slice(&bytes);
            // Zero a suffix too, so that plausible short encodings are generated.
            state[zeros..].fill(0);
            if let Some(c) = FlowClassifier::from_state(&state) {
                proptest::prop_assert_eq!(c.to_state(), state);
            }
        }

        #[test]
        fn any_feed_sequence_round_trips(
            udp in proptest::bool::ANY,
            start in proptest::sample::select(std::vec![
                &b"\x13BitTorrent protocol"[..], b"\0\0\0\x05\x04", b"GET /announce?info_hash=",
                b"HTTP/1.0 200 OK\r\n\r\nd", b"magnet:?xt=urn:btih:", b"d1:ad2:id20:", b"",
                b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", b"\r\nGET / HTTP/1.1\r\n",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n", b"\x9c\x41\xf3",
            ]),
            chunks in proptest::collection::vec(
                (proptest::bool::ANY, proptest::collection::vec(proptest::num::u8::ANY, 0..40)),
                0..12,
            ),
        ) {
            let transport = if udp { Transport::Udp } else { Transport::Tcp };
            let mut c = FlowClassifier::new(transport);
            c.feed(Direction::Initiator, start);
            round_trip(&c);
            for (responder, chunk) in chunks {
                let d = if responder { Direction::Responder } else { Direction::Initiator };
                c.feed(d, &chunk);
                round_trip(&c);
                if chunk.first() == Some(&0) {
                    c.gap(d);
                    round_trip(&c);
                }
            }
            c.finish();
            round_trip(&c);
        }
    }
}
