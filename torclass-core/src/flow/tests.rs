use super::*;
use crate::observer::Metadata;
use crate::test_util::random_bytes;
use crate::verdict::Direction::{Initiator as A, Responder as B};
use proptest::prelude::*;
use std::vec::Vec;

/// One message of a conversation: who sends it and its bytes.
type Conversation = Vec<(Direction, Vec<u8>)>;

fn msg(id: u8, payload: &[u8]) -> Vec<u8> {
    let mut m = ((payload.len() + 1) as u32).to_be_bytes().to_vec();
    m.push(id);
    m.extend_from_slice(payload);
    m
}

fn handshake(peer_id: &[u8; 20]) -> Vec<u8> {
    let mut h = b"\x13BitTorrent protocol".to_vec();
    h.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x05]);
    h.extend((0u8..20).map(|i| i.wrapping_mul(7).wrapping_add(1)));
    h.extend_from_slice(peer_id);
    h
}

fn ext_handshake(pex: u8, metadata: u8, v: &str) -> Vec<u8> {
    let dict = std::format!(
        "d1:md6:ut_pexi{pex}e11:ut_metadatai{metadata}ee1:pi6881e1:v{}:{v}e",
        v.len()
    );
    let mut payload = std::vec![0u8];
    payload.extend_from_slice(dict.as_bytes());
    msg(20, &payload)
}

fn peer_session() -> Conversation {
    let request = |i: u8| msg(6, &[0, 0, 0, i, 0, 0, 0, 0, 0, 0, 0x40, 0]);
    let piece = |i: u8| {
        let mut p = std::vec![0, 0, 0, i, 0, 0, 0, 0];
        p.extend(core::iter::repeat_n(i, 16384));
        msg(7, &p)
    };
    let mut pex = std::vec![2u8];
    pex.extend_from_slice(b"d5:added6:\x0a\x00\x00\x07\x1a\xe1e");
    std::vec![
        (A, handshake(b"-TR3000-abcdefghijkl")),
        (B, handshake(b"-qB4520-mnopqrstuvwx")),
        (A, ext_handshake(1, 3, "Transmission 3.00")),
        (B, ext_handshake(2, 4, "qBittorrent/4.5.2")),
        (A, msg(5, &[0xff, 0xf0])),
        (B, msg(14, &[])),
        (A, msg(2, &[])),
        (B, msg(1, &[])),
        (A, [request(0), request(1), request(2)].concat()),
        (B, [piece(0), piece(1), piece(2)].concat()),
        (A, msg(20, &pex)),
    ]
}

fn midstream_session() -> Conversation {
    let request = |i: u8| msg(6, &[0, 0, 0, i, 0, 0, 0x40, 0, 0, 0, 0x40, 0]);
    std::vec![
        (A, [msg(4, &[0, 0, 0, 9]), request(1), request(2)].concat()),
        (
            B,
            [
                msg(7, &[0u8; 8 + 16384]),
                msg(7, &[1u8; 8 + 16384]),
                msg(4, &[0, 0, 0, 3])
            ]
            .concat()
        ),
    ]
}

fn tracker_session() -> Conversation {
    std::vec![
        (A, b"GET /announce?info_hash=%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14&peer_id=-TR3000-abcdefghijkl&port=51413&uploaded=0&downloaded=0&left=0&event=started&compact=1 HTTP/1.1\r\nHost: tracker\r\n\r\n".to_vec()),
        (B, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nd8:completei2e10:incompletei1e8:intervali1800e12:min intervali60e5:peers12:\x0a\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x1a\xe1e".to_vec()),
    ]
}

fn magnet_page() -> Conversation {
    std::vec![
        (A, b"GET /torrents/debian HTTP/1.1\r\nHost: example\r\n\r\n".to_vec()),
        (B, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><a href=\"magnet:?xt=urn:btih:0102030405060708090a0b0c0d0e0f1011121314&dn=debian\">Debian</a></body></html>".to_vec()),
    ]
}

/// An MSE/PE key exchange: random flights of the sizes the protocol allows.
fn mse_session() -> Conversation {
    let mut a1 = random_bytes(96 + 211, 1);
    a1[0] = 0x9c; // any first byte that is not a cleartext format's
    std::vec![
        (A, a1),
        (B, random_bytes(96 + 37, 2)),
        (A, random_bytes(20 + 20 + 16 + 68, 3)),
        (B, random_bytes(8 + 4 + 2 + 68, 4)),
        (A, random_bytes(4000, 5)),
    ]
}

/// An MSE exchange whose initiator's second flight happens to hold magnet URI text: the shape
/// decides, wherever the streams are cut.
fn mse_with_magnet() -> Conversation {
    let mut conv = mse_session();
    let mut second = random_bytes(60, 11);
    second.extend_from_slice(b"magnet:?xt=urn:btih:0102030405060708090a0b0c0d0e0f1011121314&");
    conv[2].1 = second;
    conv
}

/// Picked up mid-stream: one valid message on one side, then bytes that fit no message; two on
/// the other. The split run counts the messages however the invalid bytes are cut off.
fn midstream_split() -> Conversation {
    std::vec![
        (A, [msg(4, &[0, 0, 0, 9]), std::vec![0xff; 40]].concat()),
        (B, [msg(4, &[0, 0, 0, 3]), msg(2, &[])].concat()),
    ]
}

/// Real-shaped negative openings: TLS, SSH, HTTP without magnets, DNS over TCP, SMB2.
fn negatives() -> Vec<Conversation> {
    let tls_hello = {
        let mut h = std::vec![0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03];
        h.extend((0u8..196).map(|i| i.wrapping_mul(31)));
        h
    };
    std::vec![
        std::vec![(A, tls_hello.clone()), (B, tls_hello)],
        std::vec![
            (B, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".to_vec()),
            (A, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".to_vec()),
        ],
        std::vec![
            (A, b"GET /file.bin HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
            (B, [b"HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n".to_vec(), std::vec![b'a'; 70000]].concat()),
        ],
        std::vec![
            (A, b"\x00\x1d\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01".to_vec()),
            (B, b"\x00\x2d\xab\xcd\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22".to_vec()),
        ],
        std::vec![(A, {
            let mut r = random_bytes(20000, 9);
            r[0] = 0xf1;
            r
        })],
        std::vec![
            (A, b"\x00\x00\x00\x66\xfeSMB\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec()),
            (B, b"\x00\x00\x00\x66\xfeSMB\x40\x00\x01\x00\x00\x00\x00\x00\x00\x00".to_vec()),
        ],
    ]
}

/// Feed `conv` with each message cut at `cuts` (offsets taken modulo the message length).
fn run(conv: &Conversation, cuts: &[usize]) -> (Verdict, Metadata) {
    let mut flow = FlowClassifier::new(Transport::Tcp);
    let mut meta = Metadata::new();
    let mut cut_iter = cuts.iter().copied().cycle();
    for (dir, bytes) in conv {
        let mut start = 0;
        let pieces = if cuts.is_empty() {
            0
        } else {
            cuts.len() % 5 + 1
        };
        let mut points: Vec<usize> = (0..pieces)
            .filter_map(|_| cut_iter.next())
            .map(|c| c % bytes.len().max(1))
            .collect();
        points.sort_unstable();
        points.push(bytes.len());
        for end in points {
            if end > start {
                flow.feed_with(*dir, &bytes[start..end], &mut meta);
                start = end;
            }
        }
    }
    (flow.verdict(), meta)
}

fn detection(v: Verdict) -> Detection {
    v.detection()
        .unwrap_or_else(|| panic!("not BitTorrent: {v:?}"))
}

#[test]
fn peer_wire_session() {
    let (v, meta) = run(&peer_session(), &[]);
    let d = detection(v);
    assert_eq!(d.protocol, Protocol::PeerWire);
    assert_eq!(d.confidence, Confidence::Confirmed);
    for e in [
        Evidence::HANDSHAKE,
        Evidence::HANDSHAKE_REPLY,
        Evidence::EXTENSION_BIT,
        Evidence::FAST_BIT,
        Evidence::DHT_BIT,
        Evidence::EXTENSION_HANDSHAKE,
        Evidence::UT_PEX,
        Evidence::UT_METADATA,
        Evidence::PEX_MESSAGE,
    ] {
        assert!(d.evidence.contains(e), "missing {e:?}");
    }
    assert!(!d.evidence.contains(Evidence::MESSAGE_FRAMING));
    assert_eq!(meta.info_hash().map(|h| h[1]), Some(8));
    assert_eq!(meta.peer_id(A), Some(b"-TR3000-abcdefghijkl"));
    assert_eq!(meta.peer_id(B), Some(b"-qB4520-mnopqrstuvwx"));
    assert_eq!(meta.client_name(B), Some(&b"qBittorrent/4.5.2"[..]));
    assert_eq!(meta.listen_port(A), Some(6881));
}

#[test]
fn one_handshake_is_likely_then_confirmed() {
    let mut flow = FlowClassifier::new(Transport::Tcp);
    let hs = handshake(b"-TR3000-abcdefghijkl");
    assert_eq!(flow.feed(A, &hs[..19]), Verdict::Undecided);
    let d = detection(flow.feed(A, &hs[19..20]));
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::PeerWire, Confidence::Likely)
    );
    flow.feed(A, &hs[20..]);
    let d = detection(flow.feed(B, &handshake(b"-TR3000-zzzzzzzzzzzz")));
    assert_eq!(d.confidence, Confidence::Confirmed);
}

#[test]
fn midstream_pickup() {
    let (v, _) = run(&midstream_session(), &[]);
    let d = detection(v);
    assert_eq!(d.protocol, Protocol::PeerWire);
    assert_eq!(d.confidence, Confidence::Confirmed);
    assert!(d.evidence.contains(Evidence::MESSAGE_FRAMING));
    let one_side: Conversation = midstream_session().into_iter().take(1).collect();
    assert_eq!(
        detection(run(&one_side, &[]).0).confidence,
        Confidence::Likely
    );
}

#[test]
fn http_tracker_session() {
    let (v, meta) = run(&tracker_session(), &[]);
    let d = detection(v);
    assert_eq!(d.protocol, Protocol::HttpTracker);
    assert_eq!(d.confidence, Confidence::Confirmed);
    assert!(d
        .evidence
        .contains(Evidence::TRACKER_ANNOUNCE | Evidence::TRACKER_REPLY));
    assert_eq!(meta.info_hash().map(|h| h[19]), Some(0x14));
    assert_eq!(meta.peer_id(A), Some(b"-TR3000-abcdefghijkl"));
}

#[test]
fn magnet_in_a_web_page() {
    let (v, meta) = run(&magnet_page(), &[]);
    let d = detection(v);
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::Magnet, Confidence::Likely)
    );
    assert_eq!(meta.info_hash().map(|h| h[0]), Some(1));
}

#[test]
fn mse_key_exchange_shape() {
    let (v, _) = run(&mse_session(), &[]);
    let d = detection(v);
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::PeerWireEncrypted, Confidence::Likely)
    );
    assert!(d.evidence.contains(Evidence::MSE_SHAPE));
    let mut known = FlowClassifier::new(Transport::Tcp);
    known.known_endpoint();
    for (dir, bytes) in mse_session() {
        known.feed(dir, &bytes);
    }
    assert_eq!(detection(known.verdict()).confidence, Confidence::Confirmed);
    // The responder answering too early or too much breaks the shape.
    let mut wrong = mse_session();
    wrong[1].1 = random_bytes(700, 7);
    assert!(!run(&wrong, &[]).0.is_bittorrent());
}

#[test]
fn a_split_run_survives_the_side_ending_in_the_same_segment() {
    let whole = run(&midstream_split(), &[]).0;
    assert_eq!(detection(whole).protocol, Protocol::PeerWire);
    for cut in 1..60 {
        assert_eq!(
            run(&midstream_split(), &[cut, cut + 9]).0,
            whole,
            "cut {cut}"
        );
    }
}

#[test]
fn random_text_is_a_key_exchange_not_a_web_page() {
    let mut printable_first = mse_with_magnet();
    printable_first[0].1[0] = b'q';
    for conv in [mse_with_magnet(), printable_first] {
        let d = detection(run(&conv, &[]).0);
        assert_eq!(d.protocol, Protocol::PeerWireEncrypted);
        for cut in 1..40 {
            assert_eq!(
                detection(run(&conv, &[cut, cut * 7, cut * 31]).0).protocol,
                d.protocol
            );
        }
    }
}

#[test]
fn negatives_are_never_bittorrent() {
    for conv in negatives() {
        let (v, _) = run(&conv, &[]);
        assert!(!v.is_bittorrent(), "{conv:?}");
    }
    let tls = &negatives()[0];
    assert_eq!(run(tls, &[]).0, Verdict::NotBitTorrent);
}

#[test]
fn decided_flows_stop_reading() {
    let mut flow = FlowClassifier::new(Transport::Tcp);
    for (dir, bytes) in peer_session() {
        flow.feed(dir, &bytes);
    }
    for _ in 0..20 {
        flow.feed(A, &msg(2, &[]));
        flow.feed(B, &msg(1, &[]));
    }
    assert!(flow.is_done());
    let before = flow;
    flow.feed(A, b"anything at all");
    assert_eq!(flow, before);
}

#[test]
fn framing_false_positives_on_random_streams() {
    // Streams that start with a zero byte are the only ones the framing reader takes; count
    // how far random ones get. With FRAMING_RUN = 3 none may pass.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut reached = [0u32; 4];
    for _ in 0..20_000 {
        let mut stream: Vec<u8> = (0..512).map(|_| next() as u8).collect();
        stream[0] = 0;
        let mut r = message::Reader::new();
        let mut cx = message::Context {
            direction: A,
            receiver_ids: ExtIds::default(),
            sender_ids: ExtIds::default(),
            evidence: Evidence::NONE,
            stop_after: u8::MAX,
            observer: &mut NoObserver,
        };
        let _ = r.read(&stream, &mut cx);
        reached[usize::from(r.count().min(3))] += 1;
    }
    assert_eq!(
        reached[3], 0,
        "random streams reaching the framing run: {reached:?}"
    );
}

fn conversations() -> Vec<Conversation> {
    let mut all = std::vec![
        peer_session(),
        midstream_session(),
        tracker_session(),
        magnet_page(),
        mse_session(),
        mse_with_magnet(),
        midstream_split(),
    ];
    all.extend(negatives());
    all
}

proptest! {
    #[test]
    fn any_segmentation_gives_the_same_verdict(
        which in 0usize..conversations().len(),
        cuts in proptest::collection::vec(any::<usize>(), 1..24),
    ) {
        let conv = &conversations()[which];
        let (whole, whole_meta) = run(conv, &[]);
        let (cut, cut_meta) = run(conv, &cuts);
        prop_assert_eq!(whole, cut);
        prop_assert_eq!(whole_meta.info_hash(), cut_meta.info_hash());
        prop_assert_eq!(whole_meta.peer_id(A), cut_meta.peer_id(A));
        prop_assert_eq!(whole_meta.client_name(B), cut_meta.client_name(B));
    }

    #[test]
    fn a_bittorrent_verdict_never_flips_back(
        which in 0usize..7,
        junk in proptest::collection::vec(any::<u8>(), 0..2048),
        dirs in proptest::collection::vec(any::<bool>(), 1..8),
    ) {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        let mut seen = None;
        for (dir, bytes) in &conversations()[which] {
            let v = flow.feed(*dir, bytes);
            if v.is_bittorrent() && seen.is_none() {
                seen = v.detection();
            }
        }
        for (i, d) in dirs.iter().enumerate() {
            let dir = if *d { A } else { B };
            let v = flow.feed(dir, &junk[junk.len() * i / dirs.len()..]);
            let now = detection(v);
            let first = seen.unwrap_or(now);
            prop_assert_eq!(now.protocol, first.protocol);
            prop_assert!(now.confidence >= first.confidence);
            prop_assert!(now.evidence.contains(first.evidence));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300)), 0..12),
        first in prop_oneof![Just(0u8), Just(0x13), Just(b'G'), Just(b'H'), Just(b'm'), any::<u8>()],
    ) {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        let mut meta = Metadata::new();
        flow.feed_with(A, &[first], &mut meta);
        for (d, bytes) in &chunks {
            flow.feed_with(if *d { A } else { B }, bytes, &mut meta);
        }
        let _ = flow.verdict();
    }
}
