use super::*;
use crate::test_util::random_bytes as random;
use crate::verdict::Direction::{Initiator as A, Responder as B};
use std::vec::Vec;

/// Both sides' flights after `exchange`, each flight fed in pieces of `cut` bytes, the other
/// side's flight closed before every piece (as the flow does); the stream offset of the
/// responder's plaintext handshake prefix end, if found.
fn measure(exchange: &[(Direction, Vec<u8>)], cut: usize) -> ([Flights; 2], Option<usize>) {
    let mut sides = [Flights::new(), Flights::new()];
    let mut sent = [0usize; 2];
    let mut found = None;
    for (dir, bytes) in exchange {
        for piece in bytes.chunks(cut.max(1)) {
            sides[dir.reverse().index()].close(dir.reverse());
            if let Some(at) = sides[dir.index()].read(piece, *dir) {
                found = Some(sent[dir.index()] + at);
            }
            sent[dir.index()] += piece.len();
        }
    }
    (sides, found)
}

fn key_exchange(seed: u64) -> Vec<(Direction, Vec<u8>)> {
    std::vec![
        (A, random(96 + (seed as usize * 7) % 513, seed)),
        (B, random(96 + (seed as usize * 13) % 513, seed + 1)),
        (A, random(56 + (seed as usize * 3) % 600, seed + 2)),
        (B, random(14 + (seed as usize * 5) % 600, seed + 3)),
    ]
}

fn fits(sides: &[Flights; 2]) -> bool {
    let [a, b] = sides;
    a.first_fits() && b.first_fits() && a.second_fits() && b.second_fits()
}

#[test]
fn a_random_exchange_fits_whatever_the_cuts() {
    for seed in 0..40 {
        for cut in [1, 7, 96, 10_000] {
            let (sides, found) = measure(&key_exchange(seed), cut);
            assert!(fits(&sides), "seed {seed} cut {cut}: {sides:?}");
            assert_eq!(found, None);
            assert!(sides[0].is_done(A));
        }
    }
}

#[test]
fn flight_lengths_are_bounded() {
    for (a1, ok) in [(95, false), (96, true), (608, true), (609, false)] {
        let mut exchange = key_exchange(1);
        exchange[0].1 = random(a1, 2);
        exchange[1].1 = random(a1, 3);
        let (sides, _) = measure(&exchange, 50);
        assert_eq!(fits(&sides), ok, "first flights of {a1}");
    }
    for (a2, ok) in [(55, false), (56, true)] {
        let mut exchange = key_exchange(1);
        exchange[2].1 = random(a2, 4);
        assert_eq!(fits(&measure(&exchange, 50).0), ok, "second flight of {a2}");
    }
    for (b2, ok) in [(13, false), (14, true)] {
        let mut exchange = key_exchange(1);
        exchange[3].1 = random(b2, 5);
        exchange.push((A, random(10, 6)));
        assert_eq!(fits(&measure(&exchange, 50).0), ok, "second flight of {b2}");
    }
    let mut open = Flights::new();
    open.read(&random(609, 4), A);
    assert!(open.refuted(), "too long before the other side spoke");
}

/// The first flights' bytes are the client's choice: no statistic of them may be required.
#[test]
fn any_first_flight_bytes_fit() {
    let mut low_entropy = std::vec![0u8; 96];
    low_entropy[33] = 0x10;
    // Far more printable bytes than a random key has (36 ± 5); 84 would take a search of
    // some 2^75 keys, see `TEXT_MIN`.
    let mut printable = random(96, 9);
    for b in printable.iter_mut().take(70) {
        *b = b'a' + *b % 26;
    }
    for key in [
        low_entropy,
        printable,
        std::vec![0xff; 96],
        std::vec![0x13; 96],
    ] {
        let mut exchange = key_exchange(3);
        exchange[0].1 = key.clone();
        exchange[1].1 = [key, std::vec![0; 512]].concat();
        assert!(fits(&measure(&exchange, 33).0));
    }
}

#[test]
fn second_flights_must_look_random() {
    let texts: [&[u8]; 3] = [
        &[b'a'; 80],
        b"GET /next HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n....",
        &[0u8; 80],
    ];
    for text in texts {
        let mut exchange = key_exchange(2);
        exchange[2].1 = text.to_vec();
        assert!(measure(&exchange, 9).0[0].refuted());
        let mut exchange = key_exchange(2);
        exchange[3].1 = text.to_vec();
        assert!(measure(&exchange, 9).0[1].refuted());
    }
    // A TLS record header starts the second flight of every TLS client and server.
    for kind in 0x14..=0x18 {
        let mut exchange = key_exchange(4);
        exchange[2].1[..3].copy_from_slice(&[kind, 3, 3]);
        assert!(measure(&exchange, 1).0[0].refuted(), "type {kind}");
    }
}

#[test]
fn look_alike_first_flights_are_refuted() {
    let starts: [(&[u8], Direction); 8] = [
        (&[0x16, 3, 1, 0, 0xc8, 1, 0, 0, 0xc4, 3, 3], A),
        (&[0x16, 3, 3, 0, 0x5a, 2, 0, 0, 0x56, 3, 3], B),
        (&[0x80, 0x4c, 1, 0, 2, 0, 0x33, 0, 0, 0, 0x10], A),
        (&[0x80, 0x4c, 1, 3, 1, 0, 0x33, 0, 0x20, 0, 0x20], A),
        (b"SSH-2.0-", A),
        (b"SSH-1.99-", B),
        (b"HTTP/1.1 200", B),
        (b"PRI * HTTP/2", A),
    ];
    for (start, dir) in starts {
        for cut in [1, 5, 200] {
            let mut f = Flights::new();
            let flight = [start.to_vec(), random(150, 7)].concat();
            for piece in flight.chunks(cut) {
                f.read(piece, dir);
            }
            assert!(f.refuted(), "{start:?} cut {cut}");
        }
    }
    // Text no computed key can be (TEXT_MIN text bytes among the first 96) is noted, not
    // refuted: evading peers may agree on a chosen key.
    let mut f = Flights::new();
    f.read(&[b"x".repeat(84), random(12, 8)].concat(), A);
    assert!(f.unlike_key() && !f.refuted());
    let mut f = Flights::new();
    f.read(&[b"x".repeat(83), std::vec![0x80; 13]].concat(), A);
    assert!(!f.unlike_key() && !f.refuted());
    // Nor is a binary request of zero fields and ASCII (a database client's probe): too few
    // set bits for a key. Random keys, cut anywhere, are keys.
    let probe = [
        std::vec![0u8; 4],
        b"\x01\x00SQL\x00".to_vec(),
        std::vec![0u8; 20],
        b"DB2DAS\x00\x00".repeat(9),
    ]
    .concat();
    let mut f = Flights::new();
    f.read(&probe, A);
    assert!(f.unlike_key() && !f.refuted());
    let mut unlike = 0;
    for seed in 0..2000 {
        let key = random(96 + (seed as usize % 400), 1000 + seed);
        let mut f = Flights::new();
        for piece in key.chunks(1 + seed as usize % 97) {
            f.read(piece, A);
        }
        unlike += usize::from(f.unlike_key());
    }
    assert_eq!(unlike, 0);
}

#[test]
fn length_framing() {
    let eip8 = |len: usize| {
        let mut m = ((len - 2) as u16).to_be_bytes().to_vec();
        m.push(4);
        m.extend(random(len - 3, len as u64));
        m
    };
    let mut exchange = key_exchange(5);
    exchange[0].1 = eip8(400);
    exchange[1].1 = [eip8(250), random(64, 9)].concat();
    let (sides, _) = measure(&exchange, 40);
    assert!(sides[0].length_framed() && sides[1].length_framed());
    exchange[1].1.push(0);
    let (sides, _) = measure(&exchange, 40);
    assert!(
        sides[0].length_framed() && !sides[1].length_framed(),
        "a frame is 16 bytes"
    );
    // DNS over TCP (DNSCrypt too): a query and a response, each its size and then itself.
    let dns = |len: usize, seed| {
        [
            ((len - 2) as u16).to_be_bytes().to_vec(),
            random(len - 2, seed),
        ]
        .concat()
    };
    let mut tcp_dns = key_exchange(7);
    tcp_dns[0].1 = dns(256, 12);
    tcp_dns[1].1 = dns(320, 13);
    let (sides, _) = measure(&tcp_dns, 40);
    assert!(sides[0].length_framed() && sides[1].length_framed());
    // Kerberos over TCP (RFC 4120 §7.2.2; nmap's AS-REQ probe, 117 bytes), Thrift's framed
    // transport, ZooKeeper, Kafka: a four-byte size, at every cut of the first bytes.
    let wide = |len: usize, seed| {
        [
            ((len - 4) as u32).to_be_bytes().to_vec(),
            random(len - 4, seed),
        ]
        .concat()
    };
    for cut in 1..=5 {
        let mut krb = key_exchange(8);
        krb[0].1 = wide(117, 14);
        krb[1].1 = wide(300, 15);
        let (sides, _) = measure(&krb, cut);
        assert!(sides[0].length_framed() && sides[1].length_framed(), "cut {cut}");
        krb[0].1.push(0);
        let (sides, _) = measure(&krb, cut);
        assert!(!sides[0].length_framed(), "cut {cut}: the size must be the rest's");
    }
    let mut old = key_exchange(6);
    old[0].1 = [std::vec![4], random(306, 10)].concat();
    old[1].1 = [std::vec![4], random(209 + 32, 11)].concat();
    let (sides, _) = measure(&old, 40);
    assert!(sides[0].length_framed() && sides[1].length_framed());
}

#[test]
fn a_plaintext_handshake_in_the_responder_second_flight() {
    let prefix = b"\x13BitTorrent protocol";
    for pad in [0usize, 1, 100, 512, 513] {
        let mut exchange = key_exchange(7);
        exchange[3].1 = [random(14 + pad, 12), prefix.to_vec(), random(48, 13)].concat();
        let b1 = exchange[1].1.len();
        for cut in [1, 19, 1000] {
            let (sides, found) = measure(&exchange, cut);
            let expected = (pad <= 512).then_some(b1 + 14 + pad + 20);
            assert_eq!(found, expected, "pad {pad} cut {cut}");
            assert_eq!(sides[1].found_handshake(), expected.is_some());
            assert!(sides[1].is_done(B) || expected.is_none());
        }
    }
    // Never in the initiator's flights, nor in the responder's first one.
    let mut exchange = key_exchange(8);
    exchange[1].1 = [random(20, 14), prefix.to_vec(), random(80, 15)].concat();
    exchange[2].1 = [random(60, 16), prefix.to_vec()].concat();
    assert_eq!(measure(&exchange, 7).1, None);
}

/// Measured chance that the checks refute a genuine key exchange: random flights of random
/// in-range lengths. The rare refutations come from the second flights' statistics (bounds at
/// about 4.5 σ: 1.4·10^-5 for the initiator's, 8·10^-6 for the responder's, computed from the
/// binomial tails), and from a first flight that happens to open like a TLS, SSH, HTTP or
/// RLPx one (below 10^-7).
#[test]
fn genuine_exchanges_are_rarely_refuted() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut fill = |n: usize| -> Vec<u8> { (0..n).map(|_| next() as u8).collect() };
    let runs = 30_000;
    let mut refuted = 0;
    for i in 0..runs {
        let exchange = std::vec![
            (A, fill(96 + i % 513)),
            (B, fill(96 + (i * 7) % 513)),
            (A, fill(56)),
            (B, fill(14)),
        ];
        let (sides, _) = measure(&exchange, 10_000);
        if !fits(&sides) {
            refuted += 1;
        }
    }
    std::println!("chance: {refuted} of {runs} genuine key exchanges refuted");
    assert!(
        refuted <= 3,
        "{refuted} of {runs} genuine exchanges refuted"
    );
}

/// Measured chance that a random first flight matches a look-alike's structure: none of
/// 200,000 random 96-byte keys does (each pattern is below 2^-50, see the module documentation), and
/// the length-prefix pattern of one side alone (2^-16) is what its rate says.
#[test]
fn random_keys_match_no_look_alike() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut refuted = 0;
    let mut rlpx = 0;
    let keys = 200_000u32;
    let mut key = [0u8; 96];
    for i in 0..keys {
        for chunk in key.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        let dir = if i % 2 == 0 { A } else { B };
        let mut f = Flights::new();
        f.read(&key, dir);
        f.close(dir);
        refuted += usize::from(f.refuted());
        rlpx += usize::from(f.length_framed());
    }
    std::println!("chance: {refuted} of {keys} random keys refuted, {rlpx} length-framed");
    assert_eq!(refuted, 0, "{refuted} of {keys} random keys refuted");
    assert!(rlpx <= 12, "{rlpx} of {keys} random keys length-framed");
}

// `Shape`: one flight on its own (uTP DATA).

fn first_flight(bytes: &[u8], cut: usize) -> Shape {
    let mut s = Shape::new();
    for chunk in bytes.chunks(cut.max(1)) {
        s.read(chunk);
    }
    s.close_flight();
    s
}

#[test]
fn random_single_flights_in_range_fit_whatever_the_cuts() {
    for len in [96, 200, 608] {
        for cut in [1, 7, 96, 1000] {
            let s = first_flight(&random(len, len as u64), cut);
            assert_eq!(s.fit(), ShapeFit::Fits, "len {len} cut {cut}");
            assert_eq!(s.first_flight() as usize, len);
        }
    }
}

#[test]
fn single_flights_wrong_lengths_text_and_tls_are_refuted() {
    assert_eq!(first_flight(&random(95, 1), 10).fit(), ShapeFit::Refuted);
    assert_eq!(
        first_flight(&random(609, 2), 10).fit(),
        ShapeFit::Refuted
    );
    assert_eq!(first_flight(&[b'a'; 200], 10).fit(), ShapeFit::Refuted);
    assert_eq!(first_flight(&[0u8; 200], 10).fit(), ShapeFit::Refuted);
    let mut tls = std::vec![0x16, 0x03, 0x01, 0x00, 0xc8];
    tls.extend(random(195, 3));
    assert_eq!(first_flight(&tls, 10).fit(), ShapeFit::Refuted);
}
