use crate::flow::FlowClassifier;
use crate::observer::Metadata;
use crate::verdict::Direction::{Initiator as A, Responder as B};
use crate::verdict::{Confidence, Evidence, Protocol, Transport, Verdict};
use std::vec::Vec;

fn utp(
    kind_version: u8,
    ext: u8,
    conn: u16,
    seq: u16,
    ack: u16,
    diff: u32,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = std::vec![kind_version, ext];
    p.extend_from_slice(&conn.to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(&diff.to_be_bytes());
    p.extend_from_slice(&0x0010_0000u32.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ack.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn handshake() -> Vec<u8> {
    let mut h = b"\x13BitTorrent protocol".to_vec();
    h.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x05]);
    h.extend_from_slice(&[9; 20]);
    h.extend_from_slice(b"-LT2080-abcdefghijkl");
    h
}

fn detection(v: Verdict) -> crate::Detection {
    v.detection()
        .unwrap_or_else(|| panic!("not BitTorrent: {v:?}"))
}

#[test]
fn dht_query_then_matching_response() {
    let mut f = FlowClassifier::new(Transport::Udp);
    let mut m = Metadata::new();
    let q = b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe";
    let d = detection(f.feed_with(A, q, &mut m));
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::Dht, Confidence::Likely)
    );
    // A response with another transaction id does not confirm.
    let other = b"d1:rd2:id20:0123456789abcdefghije1:t2:zz1:y1:re";
    assert_eq!(detection(f.feed(B, other)).confidence, Confidence::Likely);
    let r = b"d1:rd2:id20:0123456789abcdefghij5:nodes0:e1:t2:aa1:y1:re";
    let d = detection(f.feed_with(B, r, &mut m));
    assert_eq!(d.confidence, Confidence::Confirmed);
    assert!(d
        .evidence
        .contains(Evidence::DHT_QUERY | Evidence::DHT_RESPONSE));
    assert_eq!(m.dht_node_id(A), Some(b"abcdefghij0123456789"));
    assert_eq!(m.dht_node_id(B), Some(b"0123456789abcdefghij"));
}

#[test]
fn utp_syn_state_and_a_handshake_inside() {
    let mut f = FlowClassifier::new(Transport::Udp);
    let mut m = Metadata::new();
    let syn = utp(0x41, 0, 0x1000, 77, 0, 0, &[]);
    let d = detection(f.feed(A, &syn));
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::Utp, Confidence::Likely)
    );
    // A STATE that acks another seq_nr is not the reply.
    assert_eq!(
        detection(f.feed(B, &utp(0x21, 0, 0x1000, 500, 76, 10, &[]))).confidence,
        Confidence::Likely
    );
    let d = detection(f.feed(B, &utp(0x21, 0, 0x1000, 500, 77, 10, &[])));
    assert_eq!(d.confidence, Confidence::Confirmed);
    let d = detection(f.feed_with(A, &utp(0x01, 0, 0x1001, 78, 500, 10, &handshake()), &mut m));
    assert!(d
        .evidence
        .contains(Evidence::UTP_PAYLOAD | Evidence::HANDSHAKE | Evidence::UTP_REPLY));
    assert_eq!(m.peer_id(A), Some(b"-LT2080-abcdefghijkl"));
}

#[test]
fn utp_data_with_a_handshake_confirms_mid_stream() {
    let mut f = FlowClassifier::new(Transport::Udp);
    let d = detection(f.feed(B, &utp(0x01, 0, 0x2222, 5, 9, 100, &handshake())));
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::Utp, Confidence::Confirmed)
    );
}

#[test]
fn lone_utp_data_and_random_datagrams_give_up() {
    let mut f = FlowClassifier::new(Transport::Udp);
    for i in 0..crate::udp::GIVE_UP_DATAGRAMS {
        let v = f.feed(
            A,
            &utp(0x01, 0, 0x3333, u16::from(i), 9, 100, b"opaque bytes"),
        );
        assert!(!v.is_bittorrent());
    }
    assert_eq!(f.verdict(), Verdict::NotBitTorrent);
    assert!(f.is_done());
}

#[test]
fn udp_tracker_connect_and_announce() {
    let mut f = FlowClassifier::new(Transport::Udp);
    let mut m = Metadata::new();
    let mut connect = 0x0417_2710_1980u64.to_be_bytes().to_vec();
    connect.extend_from_slice(&0u32.to_be_bytes());
    connect.extend_from_slice(&0xdead_beefu32.to_be_bytes());
    assert_eq!(
        detection(f.feed(A, &connect)).confidence,
        Confidence::Likely
    );
    let mut reply = 0u32.to_be_bytes().to_vec();
    reply.extend_from_slice(&0xdead_beefu32.to_be_bytes());
    reply.extend_from_slice(&0x1122_3344_5566_7788u64.to_be_bytes());
    let d = detection(f.feed(B, &reply));
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::UdpTracker, Confidence::Confirmed)
    );
    let mut announce = 0x1122_3344_5566_7788u64.to_be_bytes().to_vec();
    announce.extend_from_slice(&1u32.to_be_bytes());
    announce.extend_from_slice(&7u32.to_be_bytes());
    announce.extend_from_slice(&[0xab; 20]);
    announce.extend_from_slice(b"-TR3000-abcdefghijkl");
    announce.extend_from_slice(&[0; 24]);
    announce.extend_from_slice(&2u32.to_be_bytes());
    announce.extend_from_slice(&[0; 8]);
    announce.extend_from_slice(&(-1i32).to_be_bytes());
    announce.extend_from_slice(&51413u16.to_be_bytes());
    f.feed_with(A, &announce, &mut m);
    assert_eq!(m.info_hash(), Some(&[0xab; 20][..]));
    assert_eq!(m.peer_id(A), Some(b"-TR3000-abcdefghijkl"));
}

#[test]
fn lsd_once_is_likely_twice_confirmed() {
    let mut f = FlowClassifier::new(Transport::Udp);
    let mut m = Metadata::new();
    let lsd = b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: 0102030405060708090a0b0c0d0e0f1011121314\r\ncookie: abc\r\n\r\n\r\n";
    let d = detection(f.feed_with(A, lsd, &mut m));
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::Lsd, Confidence::Likely)
    );
    assert_eq!(m.listen_port(A), Some(6881));
    assert_eq!(m.info_hash().map(|h| h[19]), Some(0x14));
    assert_eq!(detection(f.feed(A, lsd)).confidence, Confidence::Confirmed);
}

#[test]
fn shapeless_exchanges_are_refuted_at_once() {
    let mut f = FlowClassifier::new(Transport::Udp);
    let query =
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01";
    assert_eq!(f.feed(A, query), Verdict::Undecided);
    assert_eq!(f.feed(B, query), Verdict::NotBitTorrent);
}

#[test]
fn mse_over_utp_is_noted() {
    let mut f = FlowClassifier::new(Transport::Udp);
    f.feed(A, &utp(0x41, 0, 0x1000, 77, 0, 0, &[]));
    f.feed(B, &utp(0x21, 0, 0x1000, 500, 77, 10, &[]));
    let flight = crate::test_util::random_bytes(200, 7);
    let d = detection(f.feed(A, &utp(0x01, 0, 0x1001, 78, 500, 10, &flight)));
    assert_eq!(d.protocol, Protocol::Utp);
    assert!(d
        .evidence
        .contains(Evidence::MSE_SHAPE | Evidence::UTP_REPLY));
}
