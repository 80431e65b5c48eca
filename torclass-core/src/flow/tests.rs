use super::*;
use crate::observer::Metadata;
use crate::test_util::{az_frame, random_bytes};
use crate::verdict::Direction::{Initiator as A, Responder as B};
use proptest::prelude::*;
use std::vec::Vec;

/// One message of a conversation: who sends it and its bytes. An empty message stands for a
/// flow table's [`FlowClassifier::midstream`]: the flow was picked up without its start.
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
        (A, Vec::new()),
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
        (B, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 114\r\n\r\n<html><body><a href=\"magnet:?xt=urn:btih:0102030405060708090a0b0c0d0e0f1011121314&dn=debian\">Debian</a></body></html>".to_vec()),
    ]
}

/// An MSE/PE key exchange: random flights of the sizes the protocol allows.
fn mse_session() -> Conversation {
    let mut a1 = random_bytes(96 + 211, 1);
    a1[0] = 0x9c; // any first byte will do, see `mse_whatever_the_key`
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

/// An MSE exchange where the responder selected plaintext: its second flight is VC,
/// crypto_select, len(padD), padD (RC4 output), then its cleartext handshake and messages.
fn mse_plaintext() -> Conversation {
    let mut b2 = random_bytes(8 + 4 + 2 + 37, 21);
    b2.extend(handshake(b"-lt0D80-abcdefghijkl"));
    b2.extend(ext_handshake(1, 2, "libtorrent 2.0.8"));
    let mut conv = mse_session();
    conv[3].1 = b2;
    conv.truncate(4);
    conv.push((A, [msg(14, &[]), msg(2, &[])].concat()));
    conv
}

/// Picked up mid-stream: one valid message on one side, then bytes that fit no message; two on
/// the other. The split run counts the messages however the invalid bytes are cut off.
fn midstream_split() -> Conversation {
    std::vec![
        (A, Vec::new()),
        (A, [msg(4, &[0, 0, 0, 9]), std::vec![0xff; 40]].concat()),
        (
            B,
            [
                msg(4, &[0, 0, 0, 3]),
                msg(4, &[0, 0, 0, 4]),
                msg(4, &[0, 0, 0, 5])
            ]
            .concat()
        ),
    ]
}

/// A TLS 1.2 full handshake shaped like an MSE exchange where it can be: a ClientHello and a
/// ServerHello of in-range sizes, then record after record.
fn tls12() -> Conversation {
    let record = |kind: u8, body: Vec<u8>| {
        let mut r = std::vec![kind, 0x03, 0x03];
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend(body);
        r
    };
    let hello = |kind: u8, len: usize, seed: u64| {
        let mut h = std::vec![kind, 0, (len >> 8) as u8, len as u8, 0x03, 0x03];
        h.extend(random_bytes(len - 2, seed));
        record(0x16, h)
    };
    std::vec![
        (A, hello(1, 250, 31)),
        (B, hello(2, 400, 32)),
        (
            A,
            [
                record(0x16, random_bytes(70, 33)),
                record(0x14, std::vec![1]),
                record(0x16, random_bytes(40, 34))
            ]
            .concat()
        ),
        (
            B,
            [
                record(0x14, std::vec![1]),
                record(0x16, random_bytes(40, 35))
            ]
            .concat()
        ),
        (A, record(0x17, random_bytes(300, 36))),
    ]
}

/// A libtorrent SSL torrent's connection: OpenSSL's ClientHello naming the info-hash, the
/// accepting peer's handshake records, then application data both ways.
fn ssl_torrent_session() -> Conversation {
    let record = |kind: u8, len: usize, seed: u64| {
        let mut r = std::vec![kind, 0x03, 0x03, (len >> 8) as u8, len as u8];
        r.extend(random_bytes(len, seed));
        r
    };
    std::vec![
        (A, crate::wire::tls::tests::OPENSSL_HELLO.to_vec()),
        (
            B,
            [
                record(0x16, 122, 41),
                record(0x14, 1, 42),
                record(0x17, 900, 43)
            ]
            .concat()
        ),
        (A, [record(0x14, 1, 44), record(0x17, 1200, 45)].concat()),
        (B, record(0x17, 16000, 46)),
    ]
}

/// Real-shaped negative openings: TLS, SSH, HTTP without magnets, DNS over TCP, SMB2, random
/// bytes to an arbitrary port.
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
        tls12(),
        magnet_page(),
    ]
}

/// Feed `conv` with each message cut at `cuts` (offsets taken modulo the message length); the
/// verdict before and after `finish`.
fn run_both(conv: &Conversation, cuts: &[usize]) -> (Verdict, Verdict, Metadata) {
    run_with(FlowClassifier::new(Transport::Tcp), conv, cuts)
}

fn run_with(
    mut flow: FlowClassifier,
    conv: &Conversation,
    cuts: &[usize],
) -> (Verdict, Verdict, Metadata) {
    let meta = feed_cut(&mut flow, conv, cuts);
    let before = flow.verdict();
    (before, flow.finish(), meta)
}

/// Feed `conv` to `flow`, each message cut at `cuts` as in [`run_both`].
fn feed_cut(flow: &mut FlowClassifier, conv: &Conversation, cuts: &[usize]) -> Metadata {
    let mut meta = Metadata::new();
    let mut cut_iter = cuts.iter().copied().cycle();
    for (dir, bytes) in conv {
        if bytes.is_empty() {
            flow.midstream();
            continue;
        }
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
    meta
}

/// The verdict once the flow ended.
fn run(conv: &Conversation, cuts: &[usize]) -> (Verdict, Metadata) {
    let (_, end, meta) = run_both(conv, cuts);
    (end, meta)
}

/// The verdict and the evidence once the flow ended.
fn outcome(conv: &Conversation, cuts: &[usize]) -> (Verdict, Evidence) {
    let mut flow = FlowClassifier::new(Transport::Tcp);
    feed_cut(&mut flow, conv, cuts);
    (flow.finish(), flow.evidence())
}

/// The flow has the MSE shape and nothing confirms it: not BitTorrent, `mse_shape` evidence.
fn shape_alone(conv: &Conversation) -> bool {
    let (v, evidence) = outcome(conv, &[]);
    v == Verdict::NotBitTorrent && evidence.contains(Evidence::MSE_SHAPE)
}

/// The verdict once the flow ended, for a flow whose host is a known BitTorrent host.
fn run_corroborated(conv: &Conversation) -> Verdict {
    let mut flow = FlowClassifier::new(Transport::Tcp);
    flow.bittorrent_host();
    run_with(flow, conv, &[]).1
}

/// The verdict once the flow ended, for a flow to a peer endpoint learned from BitTorrent.
fn run_known(conv: &Conversation) -> Verdict {
    let mut flow = FlowClassifier::new(Transport::Tcp);
    flow.known_endpoint();
    run_with(flow, conv, &[]).1
}

fn detection(v: Verdict) -> Detection {
    v.detection()
        .unwrap_or_else(|| panic!("not BitTorrent: {v:?}"))
}

fn level(v: Verdict) -> Option<(Protocol, Confidence)> {
    v.detection().map(|d| (d.protocol, d.confidence))
}

const CONFIRMED_WIRE: Option<(Protocol, Confidence)> =
    Some((Protocol::PeerWire, Confidence::Confirmed));
const CONFIRMED_MSE: Option<(Protocol, Confidence)> =
    Some((Protocol::PeerWireEncrypted, Confidence::Confirmed));
const CONFIRMED_TRACKER: Option<(Protocol, Confidence)> =
    Some((Protocol::HttpTracker, Confidence::Confirmed));

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
    assert!(!d.evidence.contains(Evidence::LATE_HANDSHAKE));
    assert_eq!(meta.info_hash().map(|h| h.as_bytes()[1]), Some(8));
    assert_eq!(meta.peer_id(A), Some(b"-TR3000-abcdefghijkl"));
    assert_eq!(meta.peer_id(B), Some(b"-qB4520-mnopqrstuvwx"));
    assert_eq!(meta.client_name(B), Some(&b"qBittorrent/4.5.2"[..]));
    assert_eq!(meta.listen_port(A), Some(6881));
}

/// A handshake is conclusive unless its side's next bytes refute it: it waits for that chance
/// (never `Likely`), and is confirmed by a valid message, by the other side speaking first, or
/// by the flow ending.
#[test]
fn a_handshake_is_confirmed_at_its_first_refutation_chance() {
    let hs = handshake(b"-TR3000-abcdefghijkl");
    let mut flow = FlowClassifier::new(Transport::Tcp);
    assert_eq!(flow.feed(A, &hs[..20]), Verdict::Undecided);
    assert_eq!(flow.feed(A, &hs[20..]), Verdict::Undecided);
    // Keep-alives refute nothing and prove nothing.
    assert_eq!(flow.feed(A, &[0, 0, 0, 0]), Verdict::Undecided);
    assert_eq!(level(flow.feed(A, &msg(2, &[]))), CONFIRMED_WIRE);

    let mut answered = FlowClassifier::new(Transport::Tcp);
    answered.feed(A, &hs);
    assert_eq!(level(answered.feed(B, b"x")), CONFIRMED_WIRE);

    let mut alone = FlowClassifier::new(Transport::Tcp);
    alone.feed(A, &hs);
    assert_eq!(level(alone.finish()), CONFIRMED_WIRE);

    // A partial header is something more: it must complete validly.
    let mut partial = FlowClassifier::new(Transport::Tcp);
    partial.feed(A, &[hs.clone(), std::vec![0, 0]].concat());
    assert_eq!(partial.feed(B, b"x"), Verdict::Undecided);
    assert_eq!(level(partial.feed(A, &[0, 1, 2])), CONFIRMED_WIRE);
}

/// Issue 13: a plain TCP transfer of a file that begins with a handshake is not BitTorrent;
/// its twin, a handshake and real messages, is.
#[test]
fn a_file_that_begins_with_a_handshake_is_not_bittorrent() {
    let hs = handshake(b"-TR3000-abcdefghijkl");
    let file = [
        hs.clone(),
        b"and then the rest of the file, plain text".to_vec(),
    ]
    .concat();
    let binary = [hs.clone(), random_bytes(100_000, 41)].concat();
    let zeros = [hs.clone(), std::vec![0u8; 4096]].concat();
    for body in [file, binary, zeros] {
        let conv = std::vec![(A, body)];
        assert_eq!(run(&conv, &[]).0, Verdict::NotBitTorrent);
        let served = std::vec![(A, b"get file\n".to_vec()), (B, conv[0].1.clone())];
        assert_eq!(run(&served, &[]).0, Verdict::NotBitTorrent);
    }
    let twin = std::vec![(A, [hs, msg(5, &[0xff, 0xf0]), msg(2, &[])].concat())];
    assert_eq!(level(run(&twin, &[]).0), CONFIRMED_WIRE);
}

#[test]
fn a_head_then_a_get_reads_the_file_as_a_body() {
    // A download manager's HEAD then GET of a file on one connection: the HEAD reply declares
    // the file's length without carrying it. A file with a handshake and a message N minus
    // the GET reply's head bytes in (where framing the HEAD reply by its length lands) is a
    // body, not BitTorrent, however the stream is cut.
    let n = 2000;
    let head = std::format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {n}\r\n\r\n"
    )
    .into_bytes();
    let mut file = random_bytes(n, 43);
    let blob = [handshake(b"-TR3000-abcdefghijkl"), msg(2, &[]), msg(1, &[])].concat();
    let at = n - head.len();
    assert!(blob.len() <= n - at);
    file[at..at + blob.len()].copy_from_slice(&blob);
    let requests = b"HEAD /f HTTP/1.1\r\nHost: x\r\n\r\nGET /f HTTP/1.1\r\nHost: x\r\n\r\n";
    let replies = [head.clone(), head.clone(), file].concat();
    let conv = std::vec![(A, requests.to_vec()), (B, replies.clone())];
    for cuts in [&[][..], &[1, 7, 40, 41, 45, 90]] {
        assert_eq!(run(&conv, cuts).0, Verdict::NotBitTorrent);
    }
    // The twin: the handshakes after both replies (an HTTP-looking prefix) are peer wire.
    let hs = handshake(b"-TR3000-abcdefghijkl");
    let twin = std::vec![
        (A, [requests.to_vec(), hs.clone()].concat()),
        (B, [replies, hs, msg(1, &[])].concat()),
    ];
    assert_eq!(level(run(&twin, &[]).0), CONFIRMED_WIRE);
}

#[test]
fn midstream_pickup() {
    let (v, _) = run(&midstream_session(), &[]);
    let d = detection(v);
    assert_eq!(d.protocol, Protocol::PeerWire);
    assert_eq!(
        d.confidence,
        Confidence::Likely,
        "framing alone never confirms"
    );
    assert!(d.evidence.contains(Evidence::MESSAGE_FRAMING));
    let mut with_extension = midstream_session();
    with_extension.push((A, ext_handshake(1, 2, "Transmission 3.00")));
    assert_eq!(level(run(&with_extension, &[]).0), CONFIRMED_WIRE);
    // The same messages on a flow seen from its start: a side must open with a handshake.
    let from_start: Conversation = midstream_session().into_iter().skip(1).collect();
    assert_eq!(run(&from_start, &[]).0, Verdict::NotBitTorrent);
    let one_side: Conversation = midstream_session().into_iter().take(2).collect();
    assert_eq!(
        detection(run(&one_side, &[]).0).confidence,
        Confidence::Likely
    );
}

/// A capture that began inside a piece transfer: the downloader's requests start at a message
/// boundary, the uploader's side `start` bytes into a message carrying a 16 KiB block.
fn inside_a_block(start: usize) -> Conversation {
    let request = |i: u8| msg(6, &[0, 0, 0, i, 0, 0, 0, 0, 0, 0, 0x40, 0]);
    let piece = |i: u8| {
        let mut p = std::vec![0, 0, 0, i, 0, 0, 0, 0];
        p.extend(random_bytes(16384, u64::from(i) + 40));
        msg(7, &p)
    };
    let pieces = [
        piece(0),
        piece(1),
        piece(2),
        piece(3),
        msg(4, &[0, 0, 0, 9]),
    ]
    .concat();
    std::vec![
        (A, [request(4), request(5), request(6)].concat()),
        (B, pieces[start..].to_vec()),
    ]
}

/// The block header search: a side picked up inside a block finds the next piece message and
/// frames from there, however the stream is cut; a 16 KiB block followed by the next message
/// is a block transfer, confirmed on its own (framing alone is not, see
/// `length_prefixed_protocols_are_not_peer_wire`).
#[test]
fn midstream_inside_a_block() {
    for start in [3, 4, 5000, 16392, 16396, 16397] {
        let mut outcomes = Vec::new();
        for cuts in [
            &[][..],
            &[1, 2, 3, 4],
            &[1448, 2896, 4344],
            &[16390, 16395, 7],
            &[16396, 16397, 16398, 16402, 16405],
        ] {
            let mut flow = FlowClassifier::new(Transport::Tcp);
            flow.midstream();
            feed_cut(&mut flow, &inside_a_block(start), cuts);
            outcomes.push(flow.verdict());
        }
        let d = detection(outcomes[0]);
        assert_eq!(
            (d.protocol, d.confidence),
            (Protocol::PeerWire, Confidence::Confirmed),
            "start {start}"
        );
        assert!(d.evidence.contains(Evidence::BLOCK_TRANSFER));
        assert!(outcomes.iter().all(|v| *v == outcomes[0]), "start {start}");
    }
    // One byte into a message, the side starts like a message (`00`) and its framing fails
    // at once: the search starts again at the next segment, as a flow table restarts it.
    let mut flow = FlowClassifier::new(Transport::Tcp);
    flow.midstream();
    for (dir, bytes) in inside_a_block(1) {
        for segment in bytes.chunks(1448) {
            flow.resync(dir);
            flow.feed(dir, segment);
        }
    }
    assert_eq!(
        flow.verdict().detection().map(|d| d.confidence),
        Some(Confidence::Confirmed)
    );
    // Not picked up mid-stream (its first byte seen): no search.
    let (v, _) = run(&inside_a_block(5000), &[]);
    assert_eq!(v.detection(), None);
    // The uploader's side alone (asymmetric routing): the blocks confirm, at every cut of
    // the stream around the first block found.
    let upload = inside_a_block(5000)[1..].to_vec();
    let found = 16397 - 5000;
    for cut in (found - 8..found + 24).chain(found + 16384..found + 16405) {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        flow.midstream();
        feed_cut(&mut flow, &upload, &[cut]);
        assert_eq!(
            level(flow.verdict()),
            Some((Protocol::PeerWire, Confidence::Confirmed)),
            "cut at {cut}"
        );
    }
    // The same side whose blocks' `begin` is not 16 KiB aligned is neither a block transfer
    // nor a run: such a piece does not count toward one.
    let mut unaligned = inside_a_block(5000)[1].1.clone();
    for at in (found + 12..unaligned.len()).step_by(16397).take(3) {
        unaligned[at] = 0x10;
    }
    let mut flow = FlowClassifier::new(Transport::Tcp);
    flow.midstream();
    feed_cut(&mut flow, &std::vec![(B, unaligned)], &[]);
    assert_eq!(flow.finish().detection(), None);
}

/// A documented limit (docs/limits.md): a file transfer framed as BEP 3's piece message,
/// `<u32 16393><type 7><u64 offset><16 KiB of data>`, is one while its offsets stay below 4 GiB
/// (the index's bytes are zero) and 64 MiB: a block transfer. Past 64 MiB it is refuted, and
/// its pieces make no run either.
#[test]
fn a_chunked_transfer_framed_as_pieces_is_a_limit() {
    let chunks = |from: u64| -> Vec<u8> {
        (0..3u64)
            .flat_map(|i| {
                let mut body = (from + i * 16384).to_be_bytes().to_vec();
                body.extend(random_bytes(16384, i));
                msg(7, &body)
            })
            .collect()
    };
    let mut flow = FlowClassifier::new(Transport::Tcp);
    flow.midstream();
    feed_cut(&mut flow, &std::vec![(B, chunks(1 << 20))], &[]);
    assert_eq!(level(flow.verdict()), CONFIRMED_WIRE);
    let mut flow = FlowClassifier::new(Transport::Tcp);
    flow.midstream();
    feed_cut(&mut flow, &std::vec![(B, chunks(1 << 26))], &[]);
    assert!(!flow.evidence().contains(Evidence::BLOCK_TRANSFER));
    assert_eq!(flow.finish().detection(), None);
}

/// The search ends at [`RESYNC_WINDOW`]: a block header after it is not looked for.
#[test]
fn block_search_window() {
    let mut late = std::vec![0xffu8; RESYNC_WINDOW as usize];
    late.extend(&inside_a_block(1)[1].1);
    let conv = std::vec![inside_a_block(1)[0].clone(), (B, late)];
    let mut flow = FlowClassifier::new(Transport::Tcp);
    flow.midstream();
    feed_cut(&mut flow, &conv, &[]);
    assert_ne!(
        flow.finish().detection().map(|d| d.confidence),
        Some(Confidence::Confirmed)
    );
}

/// Vuze/BiglyBT peers that both set the Azureus messaging bit speak AZ frames after their
/// handshakes: the responder's side alone (its handshake and AZ_HANDSHAKE in one write) is
/// confirmed; so is a mid-stream pickup of AZ frames both ways (two frames in a row with known
/// ids and versions), at any cut. Ids that are not BiglyBT's, one byte off, are framing alone:
/// likely.
#[test]
fn azureus_messaging() {
    let mut hs = handshake(b"-AZ5770-abcdefghijkl");
    hs[20] |= 0x80;
    let responder = std::vec![(
        B,
        [
            hs,
            az_frame("AZ_HANDSHAKE", b"d6:clientd4:name5:Biglyee"),
            az_frame("BT_BITFIELD", &[0xff; 20]),
        ]
        .concat(),
    )];
    for cuts in [&[][..], &[1, 5, 70, 73, 80]] {
        let (v, _) = run(&responder, cuts);
        assert_eq!(level(v), CONFIRMED_WIRE, "cuts {cuts:?}");
    }
    let midstream = |request: &str, piece: &str, have: &str| {
        let request = |i: u8| az_frame(request, &[0, 0, 0, i, 0, 0, 0, 0, 0, 0, 0x40, 0]);
        std::vec![
            (A, Vec::new()),
            (A, [request(1), request(2), request(3)].concat()),
            (
                B,
                [
                    az_frame(piece, &[9; 3000]),
                    az_frame(have, b"d1:pli1eee"),
                    az_frame(piece, &[9; 3000])
                ]
                .concat()
            ),
        ]
    };
    let vuze = midstream("BT_REQUEST", "BT_PIECE", "AZ_HAVE");
    for cuts in [&[][..], &[1, 9, 17, 30], &[2, 3, 5, 7, 11, 13]] {
        let (v, e) = outcome(&vuze, cuts);
        assert_eq!(level(v), CONFIRMED_WIRE, "cuts {cuts:?}");
        assert!(e.contains(Evidence::MESSAGE_FRAMING));
    }
    let near = midstream("BT_REQUESt", "BT_PIECF", "AZ_HAVF");
    for cuts in [&[][..], &[1, 9, 17, 30]] {
        let (v, _) = outcome(&near, cuts);
        assert_eq!(
            level(v),
            Some((Protocol::PeerWire, Confidence::Likely)),
            "cuts {cuts:?}"
        );
    }
}

/// Riak's Protocol Buffers API: `<u32 length><code><protobuf>`, where pings (code 1) and their
/// answers (2) are BEP 3's unchoke and interested, then a get (9) and its answer (10).
fn riak_session() -> Conversation {
    let mut conv = Conversation::new();
    for _ in 0..3 {
        conv.push((A, msg(1, &[])));
        conv.push((B, msg(2, &[])));
    }
    conv.push((A, msg(9, b"\x0a\x08sessions\x12\x09user-4711")));
    conv.push((B, msg(10, &[0x0a, 0x20, 0x0a, 0x1e])));
    conv
}

/// A framing run alone is a guess once it stood its chance to be refuted: one more valid
/// message after it, on either side, or the flow's end. A second bitfield on a side read
/// mid-stream (BEP 3: a bitfield "is only ever sent as the first message") refutes the framing
/// of both sides, however the streams are cut.
#[test]
fn a_framing_run_stands_unless_bep_3_order_refutes_it() {
    let have = |i: u8| msg(4, &[0, 0, 0, i]);
    let run_of = |n: u8| -> Conversation {
        let mut conv = std::vec![(A, Vec::new())];
        conv.extend((0..n).map(|i| (B, have(i))));
        conv
    };
    let open = |conv: &Conversation| {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        feed_cut(&mut flow, conv, &[]);
        flow.verdict()
    };
    assert_eq!(
        open(&run_of(3)),
        Verdict::Undecided,
        "no chance to refute yet"
    );
    assert_eq!(
        detection(run(&run_of(3), &[]).0).confidence,
        Confidence::Likely
    );
    assert_eq!(detection(open(&run_of(4))).confidence, Confidence::Likely);
    // An RPC whose acks are haves and whose data messages are bitfields (type 5).
    let rpc: Conversation = [
        std::vec![(A, Vec::new()), (A, msg(1, &[])), (B, msg(2, &[]))],
        (0..4u8)
            .flat_map(|i| [(A, msg(5, &random_bytes(300, u64::from(i)))), (B, have(i))])
            .collect(),
    ]
    .concat();
    for cut in [0, 1, 5, 7, 100, 303] {
        let cuts: &[usize] = if cut == 0 { &[] } else { &[cut] };
        assert_eq!(run(&rpc, cuts).0, Verdict::NotBitTorrent, "cut {cut}");
    }
    // One bitfield, then haves: an idle peer's side.
    let idle: Conversation = [
        std::vec![(A, Vec::new()), (A, msg(5, &[0xff; 40]))],
        (0..3u8)
            .flat_map(|i| [(B, have(i)), (A, have(i + 40))])
            .collect(),
    ]
    .concat();
    assert_eq!(detection(open(&idle)).confidence, Confidence::Likely);
}

#[test]
fn length_prefixed_protocols_are_not_peer_wire() {
    assert_eq!(run(&riak_session(), &[]).0, Verdict::NotBitTorrent);
    let mut late = riak_session();
    late.insert(0, (A, Vec::new()));
    assert_eq!(run(&late, &[]).0, Verdict::NotBitTorrent);
    // Protobuf with 4-byte lengths: `{fixed32 seq = 1}` is a 5-byte message with tag 0x0d,
    // BEP 6's suggest, whose index would be the little-endian counter.
    let heartbeats: Conversation = (1u8..5)
        .flat_map(|seq| [(A, msg(13, &[seq, 0, 0, 0])), (B, msg(13, &[seq, 0, 0, 0]))])
        .collect();
    for conv in [
        heartbeats.clone(),
        [std::vec![(A, Vec::new())], heartbeats].concat(),
    ] {
        assert_eq!(run(&conv, &[]).0, Verdict::NotBitTorrent);
    }
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
    assert_eq!(meta.info_hash().map(|h| h.as_bytes()[19]), Some(0x14));
    assert_eq!(meta.peer_id(A), Some(b"-TR3000-abcdefghijkl"));
}

const ANNOUNCE_QUERY: &str = "info_hash=%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14&peer_id=-TR3000-abcdefghijkl&port=51413&uploaded=0&downloaded=0&left=0&compact=1";

fn announce_line(target: &str) -> Vec<u8> {
    std::format!("GET {target} HTTP/1.1\r\nHost: tracker\r\n\r\n").into_bytes()
}

/// A capture with a short snapshot length cuts the announce's request line (adversarial M3):
/// the request is judged as far as it went. Cut after `port`'s first digit it is conclusive;
/// cut inside `peer_id` it is a weaker request (`likely` if nothing answers); cut inside
/// `info_hash` it is conclusive under an `announce` or `scrape` path and nothing under
/// another. A cut web request with other parameters stays what it is.
#[test]
fn an_announce_cut_by_the_snapshot_length() {
    let line = announce_line(&std::format!("/announce?{ANNOUNCE_QUERY}"));
    let at = |needle: &str| {
        line.windows(needle.len())
            .position(|w| w == needle.as_bytes())
            .unwrap()
            + needle.len()
    };
    let cut_run = |end: usize, reply: bool| {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        flow.feed(A, &line[..end]);
        flow.gap(A);
        if reply {
            flow.feed(
                B,
                b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nd8:interval",
            );
            flow.gap(B);
        }
        (flow.verdict(), flow.finish())
    };
    for reply in [false, true] {
        let (now, _) = cut_run(at("&port=5"), reply);
        assert_eq!(level(now), CONFIRMED_TRACKER, "cut in port, reply {reply}");
        let (now, _) = cut_run(at("&uploaded=0&down"), reply);
        assert_eq!(level(now), CONFIRMED_TRACKER, "cut later, reply {reply}");
    }
    // Under an `announce` path a whole info_hash is conclusive however the rest was cut
    // (200-byte snapshots cut Linux clients' `peer_id`); under another path, a weaker
    // request (`likely` if nothing answers).
    for reply in [false, true] {
        let (now, _) = cut_run(at("&peer_id=-TR30"), reply);
        assert_eq!(
            level(now),
            CONFIRMED_TRACKER,
            "cut in peer_id, reply {reply}"
        );
    }
    let other = announce_line(&std::format!("/a?{ANNOUNCE_QUERY}"));
    let at_other = |needle: &str| {
        other
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
            .unwrap()
            + needle.len()
    };
    let cut_other = |end: usize| {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        flow.feed(A, &other[..end]);
        flow.gap(A);
        (flow.verdict(), flow.finish())
    };
    let (now, end) = cut_other(at_other("&peer_id=-TR30"));
    assert_eq!(now, Verdict::Undecided);
    assert_eq!(
        level(end),
        Some((Protocol::HttpTracker, Confidence::Likely))
    );
    let (_, end) = cut_other(at_other("&peer_id=-TR3000-abcdefghijkl&port="));
    assert_eq!(
        level(end),
        Some((Protocol::HttpTracker, Confidence::Likely))
    );
    assert_eq!(
        cut_other(at_other("info_hash=%01%02")).1,
        Verdict::NotBitTorrent
    );
    // Cut inside the info_hash (96- and 128-byte snapshots): `announce` or `scrape` and a
    // byte of the value are conclusive; `info_hash=` alone, or under another path, is not.
    for reply in [false, true] {
        let (now, _) = cut_run(at("info_hash=%01"), reply);
        assert_eq!(
            level(now),
            CONFIRMED_TRACKER,
            "cut in info_hash, reply {reply}"
        );
        let (now, _) = cut_run(at("info_hash=%01%02%03"), reply);
        assert_eq!(
            level(now),
            CONFIRMED_TRACKER,
            "cut in info_hash, reply {reply}"
        );
    }
    assert_eq!(cut_run(at("info_hash="), false).1, Verdict::NotBitTorrent);
    for path in [
        "/scrape.php?info_hash=%01%02",
        "/tracker/announce.php?info_hash=%01%02",
        "/a/announce?info_hash=%01%0",
    ] {
        let line = announce_line(path);
        let mut flow = FlowClassifier::new(Transport::Tcp);
        flow.feed(A, &line[..4 + path.len()]);
        flow.gap(A);
        assert_eq!(level(flow.verdict()), CONFIRMED_TRACKER, "{path}");
    }
    for path in [
        "/details.php?info_hash=%01%02%03",
        "/announce/list?info_hash=%01%02%03",
        "/annonce?info_hash=%01%02%03",
        "/xannounce?info_hash=%01%02%03",
        "/announce?info_hash=%zz%02%03",
        "/announce?hash=%01%02%03",
    ] {
        let line = announce_line(path);
        let mut flow = FlowClassifier::new(Transport::Tcp);
        flow.feed(A, &line[..4 + path.len()]);
        flow.gap(A);
        assert_eq!(flow.finish(), Verdict::NotBitTorrent, "{path}");
    }
    // An ordinary request cut anywhere.
    let web = b"GET /search?q=ubuntu+iso&page=2&sort=seeders HTTP/1.1\r\n";
    for end in 1..web.len() {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        flow.feed(A, &web[..end]);
        flow.gap(A);
        assert_eq!(flow.finish(), Verdict::NotBitTorrent, "cut at {end}");
    }
}

/// A short snapshot length cuts each side's handshake after its prefix: a handshake each way
/// is peer wire; one side's alone (a file that begins with one) is not.
#[test]
fn handshakes_cut_by_the_snapshot_length() {
    let a = handshake(b"-TR3000-abcdefghijkl");
    let b = handshake(b"-qB4520-mnopqrstuvwx");
    let run_cut = |ends: [Option<usize>; 2], after_b: &[u8]| {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        for (dir, hs, end) in [(A, &a, ends[0]), (B, &b, ends[1])] {
            match end {
                Some(end) => {
                    flow.feed(dir, &hs[..end]);
                    flow.gap(dir);
                }
                None => {
                    flow.feed(dir, hs);
                }
            }
        }
        if !after_b.is_empty() {
            flow.feed(B, after_b);
        }
        (flow.verdict(), flow.finish())
    };
    let peer_wire = Some((Protocol::PeerWire, Confidence::Confirmed));
    for (ends, after_b) in [
        // A 64-byte snapshot: 10 bytes of each (Ethernet, IPv4, no TCP options), 6 behind an
        // 802.1Q tag (`handshake::CUT_PREFIX_MIN`).
        ([Some(10), Some(10)], &[][..]),
        ([Some(6), Some(8)], &[][..]),
        ([Some(6), None], &[][..]),
        ([Some(20), Some(20)], &[][..]),
        ([Some(30), Some(54)], &[][..]),
        ([Some(28), None], &[][..]),
        ([None, Some(40)], &[][..]),
        ([Some(40), None], &msg(2, &[])[..]),
        ([Some(30), None], &[0xff; 40][..]),
    ] {
        let (now, end) = run_cut(ends, after_b);
        assert_eq!(level(now), peer_wire, "{ends:?}");
        assert_eq!(level(end), peer_wire, "{ends:?}");
    }
    // Cut before `CUT_PREFIX_MIN` bytes, or one side's alone: not peer wire.
    for (ends, after_b) in [
        ([Some(5), Some(30)], &[][..]),
        ([Some(30), Some(0)], &[][..]),
        ([Some(10), Some(0)], &[][..]),
    ] {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        let (_, end) = run_cut(ends, after_b);
        assert_ne!(level(end), peer_wire, "{ends:?}");
        flow.feed(A, &a[..30]);
        flow.gap(A);
        flow.feed(B, &random_bytes(300, 7));
        assert_eq!(flow.finish(), Verdict::NotBitTorrent);
    }
}

/// An announce with a 20-byte info_hash, a peer_id and a port is conclusive alone (its reply
/// is often lost or not captured); so is a scrape. A request that lacks them is confirmed only
/// by a tracker reply.
#[test]
fn a_conclusive_announce_needs_no_reply() {
    let alone = std::vec![(
        A,
        announce_line(&std::format!("/announce?{ANNOUNCE_QUERY}"))
    )];
    let (before, after, _) = run_both(&alone, &[]);
    assert_eq!(level(before), CONFIRMED_TRACKER);
    assert_eq!(level(after), CONFIRMED_TRACKER);
    let scrape = std::vec![(
        A,
        announce_line(
            "/x/scrape?info_hash=%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14"
        )
    )];
    assert_eq!(level(run_both(&scrape, &[]).0), CONFIRMED_TRACKER);
    // Weaker: an info_hash and announce counters, no peer_id or port.
    let weak = announce_line("/announce?info_hash=%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14&uploaded=0&left=5");
    let unanswered = std::vec![(A, weak.clone())];
    let (before, after, _) = run_both(&unanswered, &[]);
    assert_eq!(
        before,
        Verdict::Undecided,
        "held back until it can be refuted"
    );
    assert_eq!(
        level(after),
        Some((Protocol::HttpTracker, Confidence::Likely))
    );
    let answered = std::vec![(A, weak.clone()), tracker_session()[1].clone()];
    assert_eq!(level(run(&answered, &[]).0), CONFIRMED_TRACKER);
    let page = std::vec![
        (A, weak),
        (
            B,
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found".to_vec()
        ),
    ];
    assert_eq!(run(&page, &[]).0, Verdict::NotBitTorrent);
    // A 19-byte info_hash is no tracker's.
    let short = std::vec![(A, announce_line("/announce?info_hash=%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13&peer_id=-TR3000-abcdefghijkl&port=1"))];
    assert_eq!(run(&short, &[]).0, Verdict::NotBitTorrent);
}

/// Issue 13, evasion 4: escaped parameter names, leading CRLFs, a keep-alive decoy request
/// (with a body) before the announce, the forward-proxy form, a gzip-encoded reply. Each has a
/// benign twin: the same request shapes without an announce, or an announce inside a body.
#[test]
fn http_tracker_evasions_and_their_twins() {
    let escaped = ANNOUNCE_QUERY
        .replace("info_hash", "info%5Fhash")
        .replace("peer_id", "peer%5fid")
        .replace("port", "%70ort");
    let decoy =
        b"POST /submit HTTP/1.1\r\nHost: tracker\r\nContent-Length: 11\r\n\r\nhello=world".to_vec();
    let chunked_decoy = b"POST /submit HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nTrailer: t\r\n\r\n".to_vec();
    let announce = announce_line(&std::format!("/announce?{ANNOUNCE_QUERY}"));
    let gzip_reply = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\n\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03KI-M\xcc\x01\x00\x00".to_vec();
    let evasions: [Conversation; 6] = [
        std::vec![(A, announce_line(&std::format!("/announce?{escaped}")))],
        std::vec![(A, [b"\r\n\r\n".to_vec(), announce.clone()].concat())],
        std::vec![(A, [decoy.clone(), announce.clone()].concat())],
        std::vec![(
            A,
            [chunked_decoy.clone(), b"\r\n".to_vec(), announce.clone()].concat()
        )],
        std::vec![(
            A,
            announce_line(&std::format!(
                "http://tracker.example:6969/announce?{ANNOUNCE_QUERY}"
            ))
        )],
        std::vec![(A, announce.clone()), (B, gzip_reply)],
    ];
    for conv in &evasions {
        assert_eq!(level(run(conv, &[]).0), CONFIRMED_TRACKER, "{conv:?}");
    }
    // A decoy reply before the tracker reply on a keep-alive connection: both replies read.
    let replies = std::vec![
        (A, [decoy.clone(), announce.clone()].concat()),
        (
            B,
            [
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthanks".to_vec()[..43].to_vec(),
                tracker_session()[1].1.clone()
            ]
            .concat()
        ),
    ];
    let d = detection(run(&replies, &[]).0);
    assert!(d.evidence.contains(Evidence::TRACKER_REPLY), "{d:?}");
    // Twins: an announce URL inside a declared body is content, not a request.
    let posted = std::format!(
        "POST /paste HTTP/1.1\r\nContent-Length: {}\r\n\r\n{}",
        announce.len(),
        std::str::from_utf8(&announce).unwrap()
    );
    let twins: [Conversation; 3] = [
        std::vec![(A, posted.into_bytes())],
        std::vec![(A, [decoy.clone(), decoy].concat())],
        std::vec![(
            A,
            announce_line("/announce?info%5Fhash=short&peer_id=x&port=1")
        )],
    ];
    for conv in &twins {
        assert_eq!(run(conv, &[]).0, Verdict::NotBitTorrent, "{conv:?}");
    }
}

/// Issue 13, evasion E1e: an announce padded past 4 KiB with a parameter trackers ignore,
/// before `info_hash`, read in any cuts; and a tracker reply after a request made unreadable
/// (`Likely` at the flow's end: after a request that is not a tracker's, `GET /` say, a reply
/// with `interval` and `peers` is a page shaped as one; seen alone, as a mirror port carries
/// the tracker's side, it is conclusive). Twins: a long request line without an announce; a
/// bencoded body whose `peers` has no peer list's length; the same reply to `GET /`.
#[test]
fn a_padded_announce_and_a_reply_after_an_unreadable_request() {
    let pad = "x".repeat(9000);
    let padded = announce_line(&std::format!("/announce?pad={pad}&{ANNOUNCE_QUERY}"));
    let conv = std::vec![(A, padded.clone())];
    for cuts in [&[][..], &[4, 100, 4100, 9010], &[4096, 8192]] {
        assert_eq!(level(run(&conv, cuts).0), CONFIRMED_TRACKER, "{cuts:?}");
    }
    let reply = tracker_session()[1].clone();
    // Unreadable: the request line holds a handshake's first byte (no tracker request does).
    let unreadable = announce_line(&std::format!("/announce?pad=\x13&{ANNOUNCE_QUERY}"))
        .iter()
        .map(|&b| if b == b'\\' { 0x13 } else { b })
        .collect::<Vec<u8>>();
    let hidden = std::vec![(A, unreadable.clone()), reply.clone()];
    let (before, after, _) = run_both(&hidden, &[]);
    assert_eq!(before, Verdict::Undecided);
    assert_eq!(
        level(after),
        Some((Protocol::HttpTracker, Confidence::Likely))
    );
    let page = std::vec![
        (A, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec()),
        reply.clone()
    ];
    let (before, after, _) = run_both(&page, &[]);
    assert_eq!(before, Verdict::Undecided);
    assert_ne!(level(after), CONFIRMED_TRACKER);
    // The reply has `interval` and a compact `peers`: conclusive alone, without any request (a
    // mirror port that carries the tracker's side only).
    for dir in [A, B] {
        let alone = std::vec![(dir, reply.1.clone())];
        assert_eq!(level(run(&alone, &[]).0), CONFIRMED_TRACKER, "{dir:?}");
        assert_eq!(
            level(run(&alone, &[20, 40, 41]).0),
            CONFIRMED_TRACKER,
            "{dir:?}"
        );
    }
    // A reply with `interval` but no peers, or peers but no `interval`: not alone.
    for body in [
        &b"d8:completei5e8:intervali1800ee"[..],
        b"d8:completei5e5:peers6:\x0a\x00\x00\x01\x1a\xe1e",
        b"d14:failure reason9:not founde",
    ] {
        let mut weak = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        weak.extend_from_slice(body);
        let alone = std::vec![(B, weak)];
        assert_ne!(level(run(&alone, &[]).0), CONFIRMED_TRACKER);
    }
    let (before, _, _) = run_both(&std::vec![(A, unreadable.clone())], &[]);
    assert_eq!(before, Verdict::Undecided);
    // Twins: a long line that is no announce; a bencoded body whose peers are 7 bytes.
    let long = std::vec![(A, announce_line(&std::format!("/search?q={pad}")))];
    assert_eq!(run(&long, &[]).0, Verdict::NotBitTorrent);
    let odd =
        b"HTTP/1.1 200 OK\r\n\r\nd8:intervali1800e5:peers7:\x0a\x00\x00\x01\x1a\xe1\x00e".to_vec();
    let conv = std::vec![(A, unreadable), (B, odd)];
    assert!(!run(&conv, &[]).0.is_bittorrent());
}

/// Issue 13: a magnet link in a web page, an IRC line or a mail is metadata: the flow is not
/// libtorrent's SSL torrents name the torrent in the ClientHello (`wire::tls`): confirmed at
/// the hello, with the info-hash; the same hello naming a host, or 40 hex digits under a
/// domain, is TLS.
#[test]
fn an_ssl_torrent_names_its_info_hash() {
    let conv = ssl_torrent_session();
    let mut flow = FlowClassifier::new(Transport::Tcp);
    let mut meta = Metadata::new();
    let (dir, hello) = &conv[0];
    let v = flow.feed_with(*dir, hello, &mut meta);
    assert_eq!(
        level(v),
        Some((Protocol::PeerWireEncrypted, Confidence::Confirmed))
    );
    assert!(flow.evidence().contains(Evidence::TLS_INFO_HASH));
    let expect: Vec<u8> = crate::wire::tls::tests::OPENSSL_NAME
        .chunks(2)
        .map(|p| u8::from_str_radix(core::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect();
    assert_eq!(meta.info_hash().unwrap().as_bytes(), &expect[..]);
    let (_, end, _) = run_both(&conv, &[]);
    assert_eq!(
        level(end),
        Some((Protocol::PeerWireEncrypted, Confidence::Confirmed))
    );

    let hex = b"c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
    let hello = crate::wire::tls::tests::client_hello;
    let (_, v, _) = run_both(&std::vec![(A, hello(hex))], &[]);
    assert_eq!(
        level(v),
        Some((Protocol::PeerWireEncrypted, Confidence::Confirmed))
    );
    for twin in [
        hello(b"www.example.com"),
        hello(&[hex.as_slice(), b".cdn.example.net"].concat()),
        hello(&hex[..39]),
    ] {
        let mut conv = ssl_torrent_session();
        conv[0].1 = twin;
        let (_, v, _) = run_both(&conv, &[]);
        assert_eq!(v, Verdict::NotBitTorrent);
    }
    // A ClientHello later in a side (after a STARTTLS exchange) is not read.
    let (_, v, _) = run_both(
        &std::vec![(A, [b"STARTTLS\r\n".to_vec(), hello(hex)].concat())],
        &[],
    );
    assert_eq!(v, Verdict::NotBitTorrent);
}

/// BitTorrent, the URI's evidence and info-hash stay.
#[test]
fn a_magnet_link_in_content_is_metadata() {
    let irc = std::vec![
        (A, b"NICK x\r\nUSER x 0 * :x\r\n".to_vec()),
        (B, b":srv 001 x :Welcome\r\n".to_vec()),
        (A, b"PRIVMSG #chan :get it at magnet:?xt=urn:btih:0102030405060708090a0b0c0d0e0f1011121314\r\n".to_vec()),
    ];
    let mail = std::vec![
        (B, b"220 mail ESMTP\r\n".to_vec()),
        (A, b"DATA\r\n".to_vec()),
        (A, b"Subject: x\r\n\r\nmagnet:?xt=urn:btih:0102030405060708090a0b0c0d0e0f1011121314\r\n.\r\n".to_vec()),
    ];
    for conv in [magnet_page(), irc, mail] {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        let mut meta = Metadata::new();
        for (dir, bytes) in &conv {
            flow.feed_with(*dir, bytes, &mut meta);
        }
        assert_eq!(flow.finish(), Verdict::NotBitTorrent);
        assert!(flow.evidence().contains(Evidence::MAGNET_URI));
        assert_eq!(meta.info_hash().map(|h| h.as_bytes()[0]), Some(1));
    }
}

/// Issue 13: a handshake after complete HTTP messages, after leading CRLFs, or after an
/// HTTP-looking prefix (then a valid message) is peer wire; its twins (a handshake inside a
/// declared body, in a binary stream, past the text window, or without a valid message after
/// a prefix) are not.
#[test]
fn a_handshake_after_text_and_its_twins() {
    let hs = handshake(b"-TR3000-abcdefghijkl");
    let then = |prefix: &[u8], after: &[u8]| [prefix, &hs[..], after].concat();
    let interested = msg(2, &[]);
    let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let evasions: [&[u8]; 5] = [
        request,
        b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n",
        b"GET ",
        b"hello there, general text\n",
    ];
    for prefix in evasions {
        let conv = std::vec![(A, then(prefix, &interested))];
        let d = detection(run(&conv, &[]).0);
        assert_eq!(
            (d.protocol, d.confidence),
            (Protocol::PeerWire, Confidence::Confirmed)
        );
        assert!(d.evidence.contains(Evidence::LATE_HANDSHAKE), "{prefix:?}");
    }
    // After a complete HTTP message, nothing more before the other side speaks is enough.
    let keep_alive = std::vec![(A, then(request, b"")), (B, b"x".to_vec())];
    assert_eq!(level(run(&keep_alive, &[]).0), CONFIRMED_WIRE);
    let body = std::format!(
        "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        hs.len() + 5
    );
    let reply = std::format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
        hs.len() + 5
    );
    let pcap_file = [
        std::vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0],
        std::vec![0; 32],
        hs.clone(),
        interested.clone(),
    ]
    .concat();
    let far = std::vec![b'x'; TEXT_HANDSHAKE_WINDOW as usize];
    // An archive with a capture stored in it: printable first bytes, then binary.
    let zip = [
        b"PK\x03\x04\x14\x00\x00\x00\x00\x00".to_vec(),
        std::vec![b'a'; 20],
        hs.clone(),
        interested.clone(),
    ]
    .concat();
    let twins: [Conversation; 6] = [
        std::vec![(A, b"RETR x.zip\r\n".to_vec()), (B, zip)],
        std::vec![(A, then(body.as_bytes(), &interested))],
        std::vec![
            (A, b"GET /x.pcap HTTP/1.1\r\n\r\n".to_vec()),
            (B, then(reply.as_bytes(), &interested))
        ],
        std::vec![(A, b"RETR x.pcap\r\n".to_vec()), (B, pcap_file)],
        std::vec![(A, then(&far, &interested))],
        std::vec![
            (A, then(b"GET / HTTP/1.1\r\nHost: x\r\n", b"")),
            (B, b"x".to_vec())
        ],
    ];
    for conv in &twins {
        assert!(!run(conv, &[]).0.is_bittorrent(), "{conv:?}");
    }
}

#[test]
fn mse_key_exchange_shape() {
    // Alone, the shape is no verdict (random bytes share it), only evidence for the analyst.
    let mut alone = FlowClassifier::new(Transport::Tcp);
    feed_cut(&mut alone, &mse_session(), &[]);
    assert!(
        alone.evidence().contains(Evidence::MSE_SHAPE),
        "recorded at the responder's second flight, not at the end"
    );
    assert!(!alone.verdict().is_bittorrent());
    assert!(shape_alone(&mse_session()));
    // Corroborated, it is confirmed as soon as the initiator's second flight is measured.
    let mut early = FlowClassifier::new(Transport::Tcp);
    early.bittorrent_host();
    for (dir, bytes) in mse_session().iter().take(3) {
        early.feed(*dir, bytes);
    }
    assert_eq!(level(early.verdict()), CONFIRMED_MSE);
    let mut known = FlowClassifier::new(Transport::Tcp);
    known.known_endpoint();
    for (dir, bytes) in mse_session() {
        known.feed(dir, &bytes);
    }
    assert_eq!(level(known.verdict()), CONFIRMED_MSE);
    assert_eq!(level(run_corroborated(&mse_session())), CONFIRMED_MSE);
    // The responder answering too early or too much breaks the shape.
    let mut wrong = mse_session();
    wrong[1].1 = random_bytes(700, 7);
    assert!(!run_corroborated(&wrong).is_bittorrent());
    let mut first = mse_session();
    first.swap(0, 1);
    for (i, step) in first.iter_mut().enumerate() {
        step.0 = if i % 2 == 0 { B } else { A };
    }
    assert!(
        !run_corroborated(&first).is_bittorrent(),
        "the responder spoke first"
    );
}

/// Issue 13, evasion 1: the key's first byte, its entropy and its printable bytes are the
/// client's choice; none of them matters.
#[test]
fn mse_whatever_the_key() {
    let mut low_entropy = std::vec![0u8; 96]; // 2^500
    low_entropy[96 - 1 - 62] = 0x10;
    let printable: Vec<u8> = random_bytes(96, 51)
        .iter()
        .map(|b| 0x20 + b % 95)
        .take(70)
        .chain(random_bytes(26, 52))
        .collect();
    let keys: Vec<Vec<u8>> = [0x00u8, 0x13, b'G', b'H', b'q', b'\r', 0x16]
        .iter()
        .map(|&first| {
            let mut k = random_bytes(96, u64::from(first) + 60);
            k[0] = first;
            k
        })
        .chain([
            low_entropy,
            printable,
            [b"HT".to_vec(), random_bytes(94, 53)].concat(),
            [b"GET /".to_vec(), random_bytes(91, 54)].concat(),
            [b"\x13BitTorrent protocol".to_vec(), random_bytes(76, 55)].concat(),
        ])
        .collect();
    for key in keys {
        for padding in [std::vec![], std::vec![0u8; 512], random_bytes(200, 56)] {
            let mut conv = mse_session();
            conv[0].1 = [key.clone(), padding.clone()].concat();
            conv[1].1 = [key.clone(), padding].concat();
            assert!(shape_alone(&conv), "key {key:?}");
            assert_eq!(level(run_corroborated(&conv)), CONFIRMED_MSE);
            for cut in [1, 7, 95] {
                assert_eq!(outcome(&conv, &[cut, cut * 3]), outcome(&conv, &[]));
            }
        }
    }
}

/// Plaintext selected: the responder's cleartext handshake after the exchange confirms it,
/// and its info-hash and peer id are read. Twins: the same bytes after flights that do not fit
/// (a binary side is never searched otherwise).
#[test]
fn mse_with_plaintext_selected() {
    let (v, meta) = run(&mse_plaintext(), &[]);
    let d = detection(v);
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::PeerWireEncrypted, Confidence::Confirmed)
    );
    assert!(d
        .evidence
        .contains(Evidence::MSE_PLAINTEXT | Evidence::MSE_SHAPE | Evidence::HANDSHAKE));
    assert!(d.evidence.contains(Evidence::EXTENSION_HANDSHAKE));
    assert_eq!(meta.peer_id(B), Some(b"-lt0D80-abcdefghijkl"));
    assert_eq!(meta.info_hash().map(|h| h.as_bytes()[1]), Some(8));
    for cut in 1..60 {
        assert_eq!(
            run(&mse_plaintext(), &[cut, cut * 13, cut * 29]).0,
            v,
            "cut {cut}"
        );
    }
    // The most padding the responder may send before its handshake.
    let mut far = mse_plaintext();
    far[3].1 = [
        random_bytes(14 + 512, 22),
        handshake(b"-lt0D80-abcdefghijkl"),
    ]
    .concat();
    assert_eq!(level(run(&far, &[]).0), CONFIRMED_MSE);
    let mut too_far = far.clone();
    too_far[3].1.insert(0, 0x5a);
    assert!(shape_alone(&too_far));
    // Twin: a text second flight from the initiator (not an MSE step 3).
    let mut text = mse_plaintext();
    text[2].1 = b"please send the capture file now, the one with the handshakes in it".to_vec();
    assert!(!run(&text, &[]).0.is_bittorrent());
    assert!(!run_corroborated(&text).is_bittorrent());
}

/// To a peer endpoint learned from BitTorrent traffic, an MSE attempt nothing answered is
/// confirmed at the flow's end; from a BitTorrent host to anywhere, it is only likely (any
/// connection may go unanswered); the twins to the same endpoint (TLS, HTTP, SSH, text) and
/// from a BitTorrent host are not BitTorrent.
#[test]
fn an_unanswered_mse_attempt_to_a_known_peer() {
    let attempt = std::vec![(A, random_bytes(96 + 20, 71))];
    assert_eq!(run(&attempt, &[]).0, Verdict::NotBitTorrent);
    let guess = detection(run_corroborated(&attempt));
    assert_eq!(
        (guess.protocol, guess.confidence),
        (Protocol::PeerWireEncrypted, Confidence::Likely)
    );
    let d = detection(run_known(&attempt));
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::PeerWireEncrypted, Confidence::Confirmed)
    );
    assert!(d
        .evidence
        .contains(Evidence::MSE_UNANSWERED | Evidence::KNOWN_ENDPOINT));
    // Answered but cut short (no second flight): nothing to go on.
    let partial = std::vec![(A, random_bytes(200, 72)), (B, random_bytes(150, 73))];
    assert_eq!(run_known(&partial), Verdict::NotBitTorrent);
    // A DNS query over TCP nothing answered (its size, then itself) is no MSE attempt.
    let dns = [200u16.to_be_bytes().to_vec(), random_bytes(200, 77)].concat();
    assert_eq!(run_known(&std::vec![(A, dns)]), Verdict::NotBitTorrent);
    let twins: Vec<Conversation> = std::vec![
        std::vec![negatives()[0][0].clone()],
        std::vec![(A, b"GET /index.html HTTP/1.1\r\nHost: example.org\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n".to_vec())],
        std::vec![(A, [b"SSH-2.0-OpenSSH_9.2\r\n".to_vec(), random_bytes(150, 74)].concat())],
        std::vec![(A, random_bytes(95, 75))],
        std::vec![(A, random_bytes(609, 76))],
        tls12(),
        magnet_page(),
    ];
    for conv in &twins {
        assert!(!run_known(conv).is_bittorrent(), "{conv:?}");
        assert!(!run_corroborated(conv).is_bittorrent(), "{conv:?}");
    }
}

/// Look-alikes of the MSE shape that their structure refutes (each a twin of `mse_session`).
#[test]
fn mse_look_alikes_are_refuted() {
    let with_first = |a1: Vec<u8>, b1: Vec<u8>| {
        let mut conv = mse_session();
        conv[0].1 = a1;
        conv[1].1 = b1;
        conv
    };
    let ssl2 = [
        std::vec![0x80, 0x4c, 0x01, 0x03, 0x01, 0x00, 0x33, 0x00, 0x00, 0x00, 0x10],
        random_bytes(200, 81),
    ]
    .concat();
    let eip8 = |len: usize, seed| {
        let mut m = ((len - 2) as u16).to_be_bytes().to_vec();
        m.push(0x04);
        m.extend(random_bytes(len - 3, seed));
        m
    };
    let old_rlpx = |len: usize, seed| [std::vec![0x04], random_bytes(len - 1, seed)].concat();
    let h2 = [
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
        random_bytes(120, 82),
    ]
    .concat();
    let status = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n".to_vec(),
        random_bytes(300, 83),
    ]
    .concat();
    let ssh = [b"SSH-2.0-dropbear\r\n".to_vec(), random_bytes(300, 84)].concat();
    let look_alikes: Vec<Conversation> = std::vec![
        tls12(),
        with_first(ssl2, random_bytes(300, 85)),
        with_first(
            eip8(307 + 100, 86),
            [eip8(210 + 30, 87), random_bytes(32 * 3, 88)].concat()
        ),
        with_first(
            old_rlpx(307, 89),
            [old_rlpx(210, 90), random_bytes(16 * 5, 91)].concat()
        ),
        with_first(h2, random_bytes(200, 92)),
        with_first(random_bytes(200, 93), status),
        with_first(ssh, random_bytes(200, 95)),
    ];
    for conv in &look_alikes {
        let (v, evidence) = outcome(conv, &[]);
        assert!(!v.is_bittorrent(), "{v:?} for {:?}", &conv[0].1[..12]);
        assert!(!evidence.contains(Evidence::MSE_SHAPE));
        assert!(!run_corroborated(conv).is_bittorrent());
    }
    // A text first flight is no computed key, but evading peers may agree on a chosen one:
    // the second flights decide. Text ones (a text protocol) refute it.
    let text = b"hello, this first flight is a line of text long enough to be a key exchange if it were not text at all\r\n".to_vec();
    assert!(shape_alone(&with_first(
        text.clone(),
        random_bytes(200, 94)
    )));
    let mut chat = with_first(text.clone(), text.clone());
    chat[2].1 = text.clone();
    assert!(!run_corroborated(&chat).is_bittorrent());
    assert!(
        !run_corroborated(&std::vec![(A, text)]).is_bittorrent(),
        "unanswered text"
    );
    // One RLPx-framed side alone does not refute (a 2^-14 pattern), and TLS in a second flight
    // does.
    let one_side = with_first(eip8(407, 96), random_bytes(200, 97));
    assert!(shape_alone(&one_side));
    let mut tls_second = mse_session();
    tls_second[2].1 = [
        std::vec![0x17, 0x03, 0x03, 0x00, 0x70],
        random_bytes(112, 98),
    ]
    .concat();
    assert!(!run_corroborated(&tls_second).is_bittorrent());
}

/// Flows picked up mid-stream, or with a gap in their first flights, are never MSE.
#[test]
fn mse_needs_the_whole_exchange() {
    let mut late = FlowClassifier::new(Transport::Tcp);
    late.midstream();
    late.bittorrent_host();
    for (dir, bytes) in mse_session() {
        late.feed(dir, &bytes);
    }
    assert_eq!(late.finish(), Verdict::NotBitTorrent);
    let mut gap = FlowClassifier::new(Transport::Tcp);
    let conv = mse_session();
    gap.feed(A, &conv[0].1[..50]);
    gap.gap(A);
    gap.feed(A, &conv[0].1[60..]);
    for (dir, bytes) in &conv[1..] {
        gap.feed(*dir, bytes);
    }
    assert_eq!(gap.finish(), Verdict::NotBitTorrent);
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
    let mut printable_first = mse_session();
    printable_first[0].1[0] = b'q';
    for conv in [mse_with_magnet(), printable_first] {
        assert!(shape_alone(&conv));
        assert_eq!(level(run_corroborated(&conv)), CONFIRMED_MSE);
        for cut in 1..40 {
            let cuts = [cut, cut * 7, cut * 31];
            assert_eq!(outcome(&conv, &cuts), outcome(&conv, &[]), "cut {cut}");
        }
    }
}

#[test]
fn negatives_are_never_bittorrent() {
    for conv in negatives() {
        let (before, after, _) = run_both(&conv, &[]);
        assert!(
            !before.is_bittorrent() && !after.is_bittorrent(),
            "{conv:?}"
        );
    }
    let tls = &negatives()[0];
    assert_eq!(
        run_both(tls, &[]).0,
        Verdict::NotBitTorrent,
        "decided before the end"
    );
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
    let mut mse = FlowClassifier::new(Transport::Tcp);
    for (dir, bytes) in mse_plaintext() {
        mse.feed(dir, &bytes);
    }
    for _ in 0..20 {
        mse.feed(A, &msg(2, &[]));
        mse.feed(B, &msg(1, &[]));
    }
    assert!(mse.is_done());
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
            runs_need_payloads: false,
            blocks: false,
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
    let hs = handshake(b"-TR3000-abcdefghijkl");
    let mut all = std::vec![
        peer_session(),
        midstream_session(),
        tracker_session(),
        mse_plaintext(),
        midstream_split(),
        // Picked up inside a piece transfer: the block transfer rule.
        [std::vec![(A, Vec::new())], inside_a_block(5000)].concat(),
        // The new rules: a handshake after text, keep-alive HTTP, the held-back handshake.
        std::vec![(
            A,
            [
                b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec(),
                hs.clone(),
                msg(2, &[])
            ]
            .concat()
        )],
        ssl_torrent_session(),
        mse_session(),
        mse_with_magnet(),
        std::vec![(
            A,
            [
                b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\r\n".to_vec(),
                announce_line(&std::format!("/announce?{ANNOUNCE_QUERY}"))
            ]
            .concat()
        )],
        std::vec![(A, hs.clone()), (B, b"x".to_vec())],
        std::vec![(A, [hs.clone(), random_bytes(300, 3)].concat())],
        std::vec![(A, random_bytes(300, 4))],
        std::vec![(
            A,
            [
                b"\r\nGET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
                    .to_vec(),
                hs.clone(),
                msg(2, &[])
            ]
            .concat()
        )],
        std::vec![(
            A,
            announce_line(&std::format!(
                "/announce?{}",
                ANNOUNCE_QUERY.replace("info_hash", "info%5fhash")
            ))
        )],
        std::vec![
            (A, b"RETR x.zip\r\n".to_vec()),
            (
                B,
                [b"PK\x03\x04".to_vec(), hs.clone(), msg(2, &[])].concat()
            )
        ],
        std::vec![
            (A, b"hi\n".to_vec()),
            (
                B,
                [
                    b"HTTP/1.1 200 OK\r\nContent-Length: 73\r\n\r\n".to_vec(),
                    hs,
                    msg(2, &[])
                ]
                .concat()
            )
        ],
    ];
    for first in [0x00, 0x13, b'G', b'H', b'\n'] {
        let mut conv = mse_session();
        conv[0].1[0] = first;
        conv[1].1[0] = first;
        all.push(conv);
    }
    all.extend(negatives());
    all
}

/// Conversations whose verdict is BitTorrent before the flow ends.
const BITTORRENT: usize = 8;

proptest! {
    #[test]
    fn any_segmentation_gives_the_same_verdict(
        which in 0usize..conversations().len(),
        cuts in proptest::collection::vec(any::<usize>(), 1..24),
    ) {
        let conv = &conversations()[which];
        let (whole, whole_end, whole_meta) = run_both(conv, &[]);
        let (cut, cut_end, cut_meta) = run_both(conv, &cuts);
        prop_assert_eq!(outcome(conv, &[]), outcome(conv, &cuts));
        let mut host = FlowClassifier::new(Transport::Tcp);
        host.bittorrent_host();
        let mut host_cut = host;
        feed_cut(&mut host, conv, &[]);
        feed_cut(&mut host_cut, conv, &cuts);
        prop_assert_eq!(host.verdict(), host_cut.verdict());
        prop_assert_eq!(host.finish(), host_cut.finish());
        prop_assert_eq!(whole, cut);
        prop_assert_eq!(whole_end, cut_end);
        prop_assert_eq!(whole_meta.info_hash(), cut_meta.info_hash());
        prop_assert_eq!(whole_meta.peer_id(A), cut_meta.peer_id(A));
        prop_assert_eq!(whole_meta.client_name(B), cut_meta.client_name(B));
    }

    #[test]
    fn a_bittorrent_verdict_never_flips_back(
        which in 0usize..BITTORRENT,
        junk in proptest::collection::vec(any::<u8>(), 0..2048),
        dirs in proptest::collection::vec(any::<bool>(), 1..8),
    ) {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        let mut seen = None;
        for (dir, bytes) in &conversations()[which] {
            if bytes.is_empty() {
                flow.midstream();
            }
            let v = flow.feed(*dir, bytes);
            if v.is_bittorrent() && seen.is_none() {
                seen = v.detection();
            }
        }
        prop_assert!(seen.is_some());
        for (i, d) in dirs.iter().enumerate() {
            let dir = if *d { A } else { B };
            let v = flow.feed(dir, &junk[junk.len() * i / dirs.len()..]);
            let now = detection(v);
            let first = seen.unwrap_or(now);
            prop_assert_eq!(now.protocol, first.protocol);
            prop_assert!(now.confidence >= first.confidence);
            prop_assert!(now.evidence.contains(first.evidence));
        }
        let end = detection(flow.finish());
        prop_assert_eq!(end.protocol, seen.unwrap_or(end).protocol);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300)), 0..12),
        first in prop_oneof![Just(0u8), Just(0x13), Just(b'G'), Just(b'H'), Just(b'P'), Just(b'm'), Just(b'\r'), any::<u8>()],
        gaps in proptest::collection::vec(any::<bool>(), 12),
    ) {
        let mut flow = FlowClassifier::new(Transport::Tcp);
        let mut meta = Metadata::new();
        flow.feed_with(A, &[first], &mut meta);
        for ((d, bytes), gap) in chunks.iter().zip(&gaps) {
            let dir = if *d { A } else { B };
            if *gap {
                flow.gap(dir);
            }
            flow.feed_with(dir, bytes, &mut meta);
        }
        let _ = flow.finish();
    }
}
