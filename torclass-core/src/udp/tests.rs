use crate::flow::FlowClassifier;
use crate::observer::Metadata;
use crate::test_util::random_bytes;
use crate::verdict::Direction::{Initiator as A, Responder as B};
use crate::verdict::{Confidence, Direction, Evidence, Protocol, Transport, Verdict};
use std::vec::Vec;

/// A uTP packet with every header field given.
#[allow(clippy::too_many_arguments)] // one argument per header field reads like BEP 29
fn utp_full(
    kind_version: u8,
    conn: u16,
    ts: u32,
    diff: u32,
    wnd: u32,
    seq: u16,
    ack: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = std::vec![kind_version, 0];
    p.extend_from_slice(&conn.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&diff.to_be_bytes());
    p.extend_from_slice(&wnd.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ack.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// A uTP packet as libutp sends it (timestamp set, 1 MiB window).
fn utp(kind_version: u8, conn: u16, seq: u16, ack: u16, diff: u32, payload: &[u8]) -> Vec<u8> {
    utp_full(
        kind_version,
        conn,
        0x1234_5678,
        diff,
        0x0010_0000,
        seq,
        ack,
        payload,
    )
}

fn handshake() -> Vec<u8> {
    let mut h = b"\x13BitTorrent protocol".to_vec();
    h.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x05]);
    h.extend_from_slice(&[9; 20]);
    h.extend_from_slice(b"-LT2080-abcdefghijkl");
    h
}

fn connect_request(txid: u32) -> Vec<u8> {
    let mut c = 0x0417_2710_1980u64.to_be_bytes().to_vec();
    c.extend_from_slice(&0u32.to_be_bytes());
    c.extend_from_slice(&txid.to_be_bytes());
    c
}

fn connect_response(txid: u32, conn: u64) -> Vec<u8> {
    let mut r = 0u32.to_be_bytes().to_vec();
    r.extend_from_slice(&txid.to_be_bytes());
    r.extend_from_slice(&conn.to_be_bytes());
    r
}

fn announce(conn: u64, txid: u32, peer_id: &[u8; 20]) -> Vec<u8> {
    let mut a = conn.to_be_bytes().to_vec();
    a.extend_from_slice(&1u32.to_be_bytes());
    a.extend_from_slice(&txid.to_be_bytes());
    a.extend_from_slice(&[0xab; 20]);
    a.extend_from_slice(peer_id);
    a.extend_from_slice(&[0; 16]);
    a.extend_from_slice(&1_000_000u64.to_be_bytes());
    a.extend_from_slice(&2u32.to_be_bytes());
    a.extend_from_slice(&[0; 4]);
    a.extend_from_slice(&0x5a5a_5a5au32.to_be_bytes());
    a.extend_from_slice(&(-1i32).to_be_bytes());
    a.extend_from_slice(&51413u16.to_be_bytes());
    a
}

fn announce_response(txid: u32) -> Vec<u8> {
    let mut r = 1u32.to_be_bytes().to_vec();
    r.extend_from_slice(&txid.to_be_bytes());
    r.extend_from_slice(&[0, 0, 7, 8, 0, 0, 0, 1, 0, 0, 0, 2]);
    r.extend_from_slice(&[10, 0, 0, 9, 0x1a, 0xe1]);
    r
}

const FIND_NODE: &[u8] =
    b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe";
const RESPONSE: &[u8] = b"d1:rd2:id20:0123456789abcdefghij5:nodes0:e1:t2:aa1:y1:re";
const UNKNOWN_METHOD: &[u8] = b"d1:ad2:id20:abcdefghij0123456789e1:q4:echo1:t2:bb1:y1:qe";
const ERROR: &[u8] = b"d1:eli201e23:A Generic Error Ocurrede1:t2:bb1:y1:ee";

fn detection(v: Verdict) -> crate::Detection {
    v.detection()
        .unwrap_or_else(|| panic!("not BitTorrent: {v:?}"))
}

fn confidence(v: Verdict) -> Option<Confidence> {
    v.detection().map(|d| d.confidence)
}

/// Feed `datagrams` to a fresh UDP flow, checking that the state round-trips at every step;
/// the verdict after each.
fn run(datagrams: &[(Direction, Vec<u8>)]) -> (FlowClassifier, Vec<Verdict>) {
    let mut f = FlowClassifier::new(Transport::Udp);
    let verdicts = datagrams
        .iter()
        .map(|(d, p)| {
            let v = f.feed(*d, p);
            assert_eq!(FlowClassifier::from_state(&f.to_state()), Some(f));
            v
        })
        .collect();
    (f, verdicts)
}

/// A DNS query (RFC 1035) for `a.example` with id `id`.
fn dns_query(id: u16) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    q.extend_from_slice(b"\x01a\x07example\x00\x00\x01\x00\x01");
    q
}

fn dns_response(id: u16) -> Vec<u8> {
    let mut r = dns_query(id);
    r[2] = 0x81;
    r[3] = 0x80;
    r[7] = 1;
    r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 80]);
    r
}

/// The DNSCrypt resolver ping of issue 13: a TXT query with EDNS(0) padded (RFC 7830) to
/// 128 bytes; bytes 8–11 read as BEP 15 action 1, the zero padding as plausible fields.
fn padded_edns_query() -> Vec<u8> {
    let mut q = 0x7b1cu16.to_be_bytes().to_vec();
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
    q.extend_from_slice(b"\x012\x0ddnscrypt-cert\x08resolver\x07example\x00\x00\x10\x00\x01");
    let pad = 128 - q.len() - 15;
    q.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0]);
    q.extend_from_slice(&((4 + pad) as u16).to_be_bytes());
    q.extend_from_slice(&[0, 12]);
    q.extend_from_slice(&(pad as u16).to_be_bytes());
    q.resize(128, 0);
    q
}

// ---- KRPC -------------------------------------------------------------------------------

#[test]
fn dht_query_with_a_known_method_is_confirmed_alone() {
    let mut f = FlowClassifier::new(Transport::Udp);
    let mut m = Metadata::new();
    let d = detection(f.feed_with(A, FIND_NODE, &mut m));
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::Dht, Confidence::Confirmed)
    );
    let d = detection(f.feed_with(B, RESPONSE, &mut m));
    assert!(d
        .evidence
        .contains(Evidence::DHT_QUERY | Evidence::DHT_RESPONSE));
    assert_eq!(m.dht_node_id(A), Some(b"abcdefghij0123456789"));
    assert_eq!(m.dht_node_id(B), Some(b"0123456789abcdefghij"));
    // A response seen alone (its query not captured) is conclusive too.
    let (_, v) = run(&[(B, RESPONSE.to_vec())]);
    assert_eq!(confidence(v[0]), Some(Confidence::Confirmed));
}

#[test]
fn unknown_method_and_errors_are_guesses_until_answered() {
    // Held back, then the error answering it confirms.
    let (_, v) = run(&[(A, UNKNOWN_METHOD.to_vec()), (B, ERROR.to_vec())]);
    assert_eq!(v[0], Verdict::Undecided);
    assert_eq!(confidence(v[1]), Some(Confidence::Confirmed));
    // Alone until the flow ends: likely.
    let (mut f, v) = run(&[(A, UNKNOWN_METHOD.to_vec())]);
    assert_eq!(v[0], Verdict::Undecided);
    assert_eq!(confidence(f.finish()), Some(Confidence::Likely));
    // An error alone, answered by DNS: refuted.
    let (_, v) = run(&[(A, ERROR.to_vec()), (B, dns_response(0x4242))]);
    assert_eq!(v[1], Verdict::NotBitTorrent);
    // µTorrent's `vote` is a known method: conclusive alone.
    let vote = b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:votei3ee1:q4:vote1:t2:vv1:y1:qe";
    let (_, v) = run(&[(A, vote.to_vec())]);
    assert_eq!(confidence(v[0]), Some(Confidence::Confirmed));
}

/// Evasion 5 of issue 13: a query with bytes after its dictionary (libtorrent accepts it).
/// Benign twin: a bencoded dictionary that is no KRPC, with the same trailing bytes.
#[test]
fn krpc_with_trailing_bytes_is_still_dht() {
    for tail in [&b"x"[..], b"\0", b"\r\n", &[0xff; 200]] {
        let mut q = FIND_NODE.to_vec();
        q.extend_from_slice(tail);
        let (_, v) = run(&[(A, q)]);
        assert_eq!(confidence(v[0]), Some(Confidence::Confirmed), "{tail:?}");
        let mut twin = b"d4:name5:alice3:agei30ee".to_vec();
        twin.extend_from_slice(tail);
        let (mut f, v) = run(&[(A, twin.clone()), (B, twin)]);
        assert!(v.iter().all(|v| !v.is_bittorrent()));
        assert!(!f.finish().is_bittorrent());
    }
}

// ---- uTP --------------------------------------------------------------------------------

#[test]
fn utp_syn_answered_by_state_is_confirmed() {
    let mut f = FlowClassifier::new(Transport::Udp);
    let mut m = Metadata::new();
    let syn = utp(0x41, 0x1000, 77, 0, 0, &[]);
    assert_eq!(f.feed(A, &syn), Verdict::Undecided, "a lone SYN is held");
    // A STATE that acks another seq_nr is no reply, but shaped: the SYN is called likely.
    let d = detection(f.feed(B, &utp(0x21, 0x1000, 500, 76, 10, &[])));
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::Utp, Confidence::Likely)
    );
    let d = detection(f.feed(B, &utp(0x21, 0x1000, 500, 77, 10, &[])));
    assert_eq!(d.confidence, Confidence::Confirmed);
    let d = detection(f.feed_with(A, &utp(0x01, 0x1001, 78, 500, 10, &handshake()), &mut m));
    assert!(d
        .evidence
        .contains(Evidence::UTP_PAYLOAD | Evidence::HANDSHAKE | Evidence::UTP_REPLY));
    assert_eq!(m.peer_id(A), Some(b"-LT2080-abcdefghijkl"));
}

/// Evasion 3 of issue 13: odd header fields (timestamp 0, a 32 MiB window) on every packet
/// the initiator sends on an MSE-over-uTP connection, the acceptor an unmodified client. Seen
/// whole, from the SYN, without the SYN, and from the initiator's side after the SYN:
/// confirmed each time, with the MSE shape measured. Both peers odd: the correlations need
/// one side that sends what an implementation sends (structured look-alikes correlate too),
/// so the run of DATA is a guess.
#[test]
fn utp_with_odd_fields_and_mse_is_confirmed_with_or_without_its_syn() {
    let odd =
        |ty, conn, seq, ack, payload: &[u8]| utp_full(ty, conn, 0, 0, 32 << 20, seq, ack, payload);
    let honest = |ty, conn, seq, ack, payload: &[u8]| utp(ty, conn, seq, ack, 10, payload);
    let ya = random_bytes(200, 1);
    let yb = random_bytes(300, 2);
    let step3 = random_bytes(120, 3);
    let whole = [
        (A, odd(0x41, 0x2000, 10, 0, &[])),
        (B, honest(0x21, 0x2000, 900, 10, &[])),
        (A, odd(0x01, 0x2001, 11, 900, &ya)),
        (B, honest(0x01, 0x2000, 901, 11, &yb)),
        (A, odd(0x01, 0x2001, 12, 901, &step3)),
    ];
    let (f, v) = run(&whole);
    assert_eq!(confidence(v[1]), Some(Confidence::Confirmed));
    assert!(f
        .evidence()
        .contains(Evidence::MSE_SHAPE | Evidence::UTP_REPLY));
    // Without the SYN and its reply: both directions acknowledge each other, once a side
    // sent twice on its connection id.
    let (f, v) = run(&whole[2..]);
    assert_eq!(v[0], Verdict::Undecided);
    assert_ne!(confidence(v[1]), Some(Confidence::Confirmed));
    assert_eq!(confidence(v[2]), Some(Confidence::Confirmed));
    assert!(f
        .evidence()
        .contains(Evidence::UTP_STREAM | Evidence::MSE_SHAPE));
    // Only the initiator's side, SYN included: the DATA continues the SYN.
    let one_side: Vec<_> = whole.iter().filter(|(d, _)| *d == A).cloned().collect();
    let (_, v) = run(&one_side);
    assert_eq!(confidence(v[1]), Some(Confidence::Confirmed));
    // Both peers odd, without the SYN: no correlation confirms.
    let both_odd = [
        (A, odd(0x01, 0x2001, 11, 900, &ya)),
        (B, odd(0x01, 0x2000, 901, 11, &yb)),
        (A, odd(0x01, 0x2001, 12, 901, &step3)),
    ];
    let (_, v) = run(&both_odd);
    assert!(v
        .iter()
        .all(|v| confidence(*v) != Some(Confidence::Confirmed)));
}

/// A run of DATA from one side, on one connection id, without the SYN: at most likely (held
/// until the flow ends); with an MSE flight to a known peer endpoint, confirmed.
#[test]
fn a_one_sided_run_of_data_is_at_most_likely() {
    let data: Vec<_> = (0..6u16)
        .map(|i| {
            (
                A,
                utp(0x01, 0x3333, 100 + i, 9, 100, &random_bytes(150, i.into())),
            )
        })
        .collect();
    let (mut f, v) = run(&data);
    assert!(v
        .iter()
        .all(|v| confidence(*v) != Some(Confidence::Confirmed)));
    assert_eq!(confidence(f.finish()), Some(Confidence::Likely));
    assert!(f.evidence().contains(Evidence::UTP_STREAM));
    let mut known = FlowClassifier::new(Transport::Udp);
    known.known_endpoint();
    let verdicts: Vec<_> = data.iter().map(|(d, p)| known.feed(*d, p)).collect();
    assert_eq!(
        confidence(*verdicts.last().unwrap()),
        Some(Confidence::Confirmed)
    );
}

#[test]
fn a_retransmitted_syn_is_confirmed_and_a_lone_one_likely_at_the_end() {
    let first = utp_full(0x41, 0x4444, 0x0101_0101, 0, 0, 7, 0, &[]);
    let again = utp_full(0x41, 0x4444, 0x0131_0102, 0, 0, 7, 0, &[]);
    let (_, v) = run(&[(A, first.clone()), (A, again)]);
    assert_eq!(confidence(v[1]), Some(Confidence::Confirmed));
    // An identical copy (a duplicated packet, or a look-alike sent twice) is not.
    let (mut f, v) = run(&[(A, first.clone()), (A, first.clone())]);
    assert_eq!(v[1], Verdict::Undecided);
    assert_eq!(confidence(f.finish()), Some(Confidence::Likely));
}

/// Corroboration: a plausible SYN to a peer endpoint learned from BitTorrent traffic (a tracker
/// reply, DHT values, PEX) is confirmed alone. Benign twins: the DNS query that shares the SYN's
/// first bytes, and a SYN shape with a 32 MiB window, to the same endpoint are not.
#[test]
fn a_plausible_syn_to_a_known_peer_is_confirmed() {
    let known = || {
        let mut f = FlowClassifier::new(Transport::Udp);
        f.known_endpoint();
        f
    };
    let mut f = known();
    let v = f.feed(A, &utp(0x41, 0x5000, 9, 0, 0, &[]));
    assert_eq!(confidence(v), Some(Confidence::Confirmed));
    let mut dns = known();
    assert_eq!(dns.feed(A, &dns_query(0x4100)), Verdict::NotBitTorrent);
    let mut odd = known();
    let v = odd.feed(A, &utp_full(0x41, 0x5000, 7, 0, 32 << 20, 9, 0, &[]));
    assert_eq!(v, Verdict::Undecided);
    // A BitTorrent host at either end leaves it a guess (as an unanswered MSE first flight
    // over TCP): `Likely` once it had its chance to be refuted.
    let mut host = FlowClassifier::new(Transport::Udp);
    host.bittorrent_host();
    let v = host.feed(A, &utp(0x41, 0x5000, 9, 0, 0, &[]));
    assert_eq!(v, Verdict::Undecided);
    assert_eq!(confidence(host.finish()), Some(Confidence::Likely));
}

/// `lnl-syn` (`tests/captures/games.py --edge`): LiteNetLib (RevenantX/LiteNetLib `NetPacket.cs`) on a peer's
/// third connection (connection number 2 in bits 5-6 of the header byte) sends reliable
/// ordered packets with header `0x41`, a 16-bit little-endian sequence from 0 and the channel;
/// a first message of 16 bytes (a type hash, then zeros, a small field and a zero short) is a
/// plausible uTP SYN. From a BitTorrent host it was `Confirmed` on that one datagram; now the
/// packets after it (the sequence in byte 1 is not an extension uTP knows) refute it. To a
/// learned peer endpoint one SYN still confirms (the benign twin above).
#[test]
fn a_game_packet_shaped_as_a_syn_from_a_bittorrent_host_is_not_confirmed() {
    let first: [u8; 20] = [
        0x41, 0x00, 0x00, 0x00, 0x9c, 0x3e, 0x51, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0x07, 0x00, 0, 0,
    ];
    let mut host = FlowClassifier::new(Transport::Udp);
    host.bittorrent_host();
    let v = host.feed(A, &first);
    assert!(!v.is_bittorrent(), "{v:?}");
    let ack = [0x42, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0];
    assert!(!host.feed(B, &ack).is_bittorrent());
    for seq in 1u8..6 {
        let mut next = std::vec![0x41, seq, 0, 0];
        next.extend_from_slice(&[0x5a; 30]);
        assert!(!host.feed(A, &next).is_bittorrent());
    }
    assert!(!host.finish().is_bittorrent());
}

#[test]
fn utp_data_with_a_handshake_confirms_mid_stream() {
    let (_, v) = run(&[(B, utp(0x01, 0x2222, 5, 9, 100, &handshake()))]);
    assert_eq!(
        v[0].detection().map(|d| (d.protocol, d.confidence)),
        Some((Protocol::Utp, Confidence::Confirmed))
    );
}

#[test]
fn utp_data_needs_messages_with_payloads_without_a_handshake() {
    let empty = |id: u8| std::vec![0, 0, 0, 1, id];
    let pings = [empty(1), empty(2), empty(1), empty(2)].concat();
    let (_, v) = run(&[(B, utp(0x01, 0x2222, 5, 9, 100, &pings))]);
    assert!(!v[0].is_bittorrent(), "{:?}", v[0]);
    let have = |i: u8| std::vec![0, 0, 0, 5, 4, 0, 0, 0, i];
    let run_of_haves = [empty(1), have(3), have(4)].concat();
    let (_, v) = run(&[(B, utp(0x01, 0x2222, 5, 9, 100, &run_of_haves))]);
    assert_eq!(
        v[0].detection().map(|d| (d.protocol, d.confidence)),
        Some((Protocol::Utp, Confidence::Confirmed))
    );
}

#[test]
fn lone_utp_data_with_opaque_payloads_gives_up() {
    let mut f = FlowClassifier::new(Transport::Udp);
    let mut last = Verdict::Undecided;
    for i in 0..crate::udp::GIVE_UP_DATAGRAMS {
        // Connection ids that change: no run.
        last = f.feed(
            A,
            &utp(
                0x01,
                u16::from(i) * 7,
                u16::from(i),
                9,
                100,
                b"opaque bytes",
            ),
        );
        assert!(!last.is_bittorrent());
    }
    assert_eq!(last, Verdict::NotBitTorrent);
}

// ---- BEP 15 -----------------------------------------------------------------------------

#[test]
fn udp_tracker_connect_is_confirmed_alone_and_the_session_read() {
    let mut f = FlowClassifier::new(Transport::Udp);
    let mut m = Metadata::new();
    let d = detection(f.feed(A, &connect_request(0xdead_beef)));
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::UdpTracker, Confidence::Confirmed)
    );
    f.feed(B, &connect_response(0xdead_beef, 0x1122_3344_5566_7788));
    f.feed_with(
        A,
        &announce(0x1122_3344_5566_7788, 7, b"-TR3000-abcdefghijkl"),
        &mut m,
    );
    assert_eq!(
        m.info_hash().as_ref().map(crate::InfoHash::as_bytes),
        Some(&[0xab; 20][..])
    );
    assert_eq!(m.peer_id(A), Some(b"-TR3000-abcdefghijkl"));
}

#[test]
fn announces_alone() {
    // A BEP 20 peer id: conclusive.
    let (_, v) = run(&[(A, announce(0x99, 7, b"-qB4520-abcdefghijkl"))]);
    assert_eq!(confidence(v[0]), Some(Confidence::Confirmed));
    let (_, v) = run(&[(A, announce(0x99, 7, b"M4-3-6--abcdefghijkl"))]);
    assert_eq!(confidence(v[0]), Some(Confidence::Confirmed));
    // A random peer id: a guess, confirmed by the reply with its transaction id…
    let random: [u8; 20] = random_bytes(20, 9).try_into().unwrap();
    let (_, v) = run(&[(A, announce(0x99, 7, &random)), (B, announce_response(7))]);
    assert_eq!(v[0], Verdict::Undecided);
    assert_eq!(confidence(v[1]), Some(Confidence::Confirmed));
    // … likely with a reply that answers something else (shaped, not contradicting)…
    let (_, v) = run(&[(A, announce(0x99, 7, &random)), (B, announce_response(8))]);
    assert_eq!(confidence(v[1]), Some(Confidence::Likely));
    // … and likely when the flow ends unanswered.
    let (mut f, _) = run(&[(A, announce(0x99, 7, &random))]);
    assert_eq!(confidence(f.finish()), Some(Confidence::Likely));
}

/// The connect request was not captured, its response was: the announce quoting the
/// returned connection id is conclusive even with a random peer id.
#[test]
fn an_announce_quoting_the_connect_responses_id_is_confirmed() {
    let random: [u8; 20] = random_bytes(20, 5).try_into().unwrap();
    let (f, v) = run(&[
        (B, connect_response(3, 0x0a0b_0c0d_0e0f_1011)),
        (A, announce(0x0a0b_0c0d_0e0f_1011, 4, &random)),
    ]);
    assert_eq!(confidence(v[1]), Some(Confidence::Confirmed));
    assert!(f.evidence().contains(Evidence::TRACKER_REPLY));
    let (_, v) = run(&[
        (B, connect_response(3, 0x0a0b_0c0d_0e0f_1011)),
        (A, announce(0x0a0b_0c0d_0e0f_1012, 4, &random)),
    ]);
    assert_ne!(confidence(v[1]), Some(Confidence::Confirmed));
}

/// Issue 13's false positive: DNSCrypt resolver pings to UDP 443 (EDNS0-padded TXT queries)
/// read as BEP 15 announces. The query is recognised as DNS and the flow refuted, its reply
/// too; the real announce beside it, with the same zero fields, is still held and called.
#[test]
fn an_edns_query_to_443_is_no_announce() {
    let q = padded_edns_query();
    assert!(crate::wire::udp_tracker::parse_request(&q).is_ok());
    let (mut f, v) = run(&[(A, q.clone()), (B, dns_response(0x7b1c)), (A, q.clone())]);
    assert!(v.iter().all(|v| !v.is_bittorrent()), "{v:?}");
    assert_eq!(f.finish(), Verdict::NotBitTorrent);
    assert!(f.evidence().contains(Evidence::LOOKALIKE));
    let mut f = FlowClassifier::new(Transport::Udp);
    let mut m = Metadata::new();
    assert_eq!(f.feed_with(A, &q, &mut m), Verdict::NotBitTorrent);
    assert_eq!(f.finish(), Verdict::NotBitTorrent);
    assert_eq!(
        m.info_hash(),
        None,
        "a refuted datagram hands out no fields"
    );
    assert_eq!(f.evidence(), Evidence::LOOKALIKE);
}

/// A negative-probes sweep's false positive: strongSwan's IKEv2 INVALID_MAJOR_VERSION notify
/// answering nmap's RPC probe echoes the probe's first 16 bytes as its SPIs, so its bytes 8–11
/// are `00 00 00 02` and its 36 bytes a BEP 15 scrape. Seen alone (a capture that missed the
/// probe), it was held as a guess and called `likely` at the flow's end; it is IKE
/// (`wire::lookalike::ike`), and the flow is refuted.
#[test]
fn an_ike_message_shaped_as_a_scrape_is_no_scrape() {
    let notify: [u8; 36] = [
        0x72, 0xfe, 0x1d, 0x13, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0x01, 0x86, 0xa0, 0x29, 0x20, 0x25,
        0x20, 0, 0, 0, 0, 0, 0, 0, 0x24, 0, 0, 0, 0x08, 0, 0, 0, 0x05,
    ];
    assert!(matches!(
        crate::wire::udp_tracker::parse_request(&notify),
        Ok(crate::wire::udp_tracker::Message::ScrapeRequest(_))
    ));
    let (mut f, v) = run(&[(B, notify.to_vec())]);
    assert!(v.iter().all(|v| !v.is_bittorrent()), "{v:?}");
    assert_eq!(f.finish(), Verdict::NotBitTorrent);
    assert_eq!(f.evidence(), Evidence::LOOKALIKE);
}

// ---- LSD --------------------------------------------------------------------------------

#[test]
fn lsd_with_host_is_confirmed_alone_and_without_twice() {
    let mut f = FlowClassifier::new(Transport::Udp);
    let mut m = Metadata::new();
    let lsd = b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: 0102030405060708090a0b0c0d0e0f1011121314\r\ncookie: abc\r\n\r\n\r\n";
    let d = detection(f.feed_with(A, lsd, &mut m));
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::Lsd, Confidence::Confirmed)
    );
    assert_eq!(m.listen_port(A), Some(6881));
    assert_eq!(m.info_hash().map(|h| h.as_bytes()[19]), Some(0x14));
    let hostless = b"BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\nInfohash: 0102030405060708090a0b0c0d0e0f1011121314\r\n\r\n";
    let (_, v) = run(&[(A, hostless.to_vec()), (A, hostless.to_vec())]);
    assert_eq!(v[0], Verdict::Undecided);
    assert_eq!(confidence(v[1]), Some(Confidence::Confirmed));
}

// ---- refutation and the life of a flow ---------------------------------------------------

#[test]
fn shapeless_exchanges_and_lookalikes_are_refuted_at_once() {
    let (_, v) = run(&[(A, dns_query(0x1234))]);
    assert_eq!(v[0], Verdict::NotBitTorrent, "DNS is recognised");
    let junk = random_bytes(60, 11);
    let (_, v) = run(&[(A, junk.clone()), (B, junk)]);
    assert_eq!(v, [Verdict::Undecided, Verdict::NotBitTorrent]);
}

/// A guess is dropped when the other side's reply is no BitTorrent (here the QUIC long header
/// of RFC 9001 A.2, or random bytes), and the flow is never likely afterwards.
#[test]
fn a_contradicting_reply_refutes_a_held_guess() {
    let syn = utp(0x41, 0x5151, 3, 0, 0, &[]);
    let mut quic = std::vec![
        0xc0, 0x00, 0x00, 0x00, 0x01, 0x08, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08, 0x00,
        0x00, 0x44, 0x9e,
    ];
    quic.resize(1200, 0x33);
    for reply in [quic, random_bytes(90, 4)] {
        let (mut f, v) = run(&[(A, syn.clone()), (B, reply), (A, syn.clone())]);
        assert_eq!(v[1], Verdict::NotBitTorrent);
        assert!(!f.finish().is_bittorrent());
    }
}

/// Evasion 2 of issue 13: junk first no longer hides the DHT or uTP that follow on the tuple.
/// Benign twin: the same junk and then more junk stays not BitTorrent.
#[test]
fn junk_first_does_not_hide_what_follows() {
    let junk: Vec<_> = (0..12u64).map(|i| (A, random_bytes(80, i))).collect();
    let (_, v) = run(&junk);
    assert_eq!(*v.last().unwrap(), Verdict::NotBitTorrent);
    let mut dht = junk.clone();
    dht.push((A, FIND_NODE.to_vec()));
    let (_, v) = run(&dht);
    assert_eq!(confidence(*v.last().unwrap()), Some(Confidence::Confirmed));
    let mut utp_after = junk.clone();
    utp_after.push((A, utp(0x41, 0x6000, 50, 0, 0, &[])));
    utp_after.push((B, utp(0x21, 0x6000, 800, 50, 10, &[])));
    let (_, v) = run(&utp_after);
    assert_eq!(confidence(*v.last().unwrap()), Some(Confidence::Confirmed));
    // A lone guess after refutation is no longer enough: only conclusive rules call it.
    let mut guess_after = junk;
    guess_after.push((A, UNKNOWN_METHOD.to_vec()));
    let (mut f, v) = run(&guess_after);
    assert_eq!(*v.last().unwrap(), Verdict::NotBitTorrent);
    assert_eq!(f.finish(), Verdict::NotBitTorrent);
}

/// The sampler after the give-up point: a flood of datagrams shaped to pass the prefilter
/// cannot keep a real query from being read for long.
#[test]
fn a_prefilter_flood_only_delays_the_dht() {
    let mut flood = utp(0x01, 0x7777, 1, 1, 1, b"x");
    flood[1] = 0;
    let mut f = FlowClassifier::new(Transport::Udp);
    for i in 0..200u16 {
        flood[2..4].copy_from_slice(&i.wrapping_mul(97).to_be_bytes());
        f.feed(A, &flood);
    }
    assert_eq!(f.verdict(), Verdict::NotBitTorrent);
    let found = (0..u32::from(crate::udp::sample::EVERY))
        .map(|_| f.feed(B, FIND_NODE))
        .position(|v| v.is_bittorrent());
    assert!(found.is_some(), "the query was never parsed");
}

/// Evasion 2's other half: a learned endpoint neither keeps DNS to that host undecided nor
/// makes it BitTorrent.
#[test]
fn a_known_endpoint_does_not_prevent_refutation() {
    let mut f = FlowClassifier::new(Transport::Udp);
    f.known_endpoint();
    assert_eq!(f.feed(A, &dns_query(0x4100)), Verdict::NotBitTorrent);
    let mut g = FlowClassifier::new(Transport::Udp);
    g.known_endpoint();
    for i in 0..crate::udp::GIVE_UP_DATAGRAMS {
        g.feed(A, &random_bytes(70, u64::from(i)));
    }
    assert_eq!(g.verdict(), Verdict::NotBitTorrent);
}

#[test]
fn confirmed_flows_are_followed_then_done_and_refuted_ones_never_done() {
    let mut f = FlowClassifier::new(Transport::Udp);
    f.feed(A, FIND_NODE);
    for _ in 0..crate::udp::FOLLOW_DATAGRAMS {
        assert!(!f.is_done());
        f.feed(B, RESPONSE);
    }
    assert!(f.is_done());
    let mut g = FlowClassifier::new(Transport::Udp);
    g.feed(A, &dns_query(1));
    for _ in 0..300 {
        g.feed(B, &dns_response(1));
    }
    assert!(!g.is_done());
    assert_eq!(g.verdict(), Verdict::NotBitTorrent);
}

proptest::proptest! {
    /// Any mix of BitTorrent-shaped and arbitrary datagrams: no panic, the state round-trips,
    /// a BitTorrent verdict never goes back or changes protocol, and a finished flow is
    /// decided.
    #[test]
    fn bittorrent_verdicts_never_go_back(
        records in proptest::collection::vec(
            (proptest::bool::ANY, 0usize..8, proptest::collection::vec(proptest::num::u8::ANY, 0..64)),
            0..40,
        ),
    ) {
        let shapes: [&[u8]; 8] = [
            FIND_NODE, RESPONSE, UNKNOWN_METHOD, ERROR, &[0x41, 0], &[0x21, 0], &[0x01, 0], &[],
        ];
        let mut f = FlowClassifier::new(Transport::Udp);
        let mut before = Verdict::Undecided;
        for (responder, shape, tail) in records {
            let d = if responder { B } else { A };
            let mut datagram = shapes[shape].to_vec();
            datagram.extend_from_slice(&tail);
            let after = f.feed(d, &datagram);
            proptest::prop_assert_eq!(FlowClassifier::from_state(&f.to_state()), Some(f));
            if let Verdict::BitTorrent(b) = before {
                let Verdict::BitTorrent(a) = after else {
                    return Err(proptest::test_runner::TestCaseError::fail("went back"));
                };
                proptest::prop_assert_eq!(a.protocol, b.protocol);
                proptest::prop_assert!(a.confidence >= b.confidence);
            }
            before = after;
        }
        proptest::prop_assert_ne!(f.finish(), Verdict::Undecided);
    }
}
