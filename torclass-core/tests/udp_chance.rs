//! How often each UDP rule matches bytes that are not BitTorrent: seeded random datagrams,
//! uniform and with each family's fixed prefix, alone and as pairs and flows. Conclusive rules
//! must never match; guesses and the look-alike recognisers' rates are printed (run with
//! `--nocapture`) and bounded. The rates are the ones written in the rules' docs
//! (`udp/read.rs`, `wire/lookalike/*.rs`) and in docs/accuracy.md.

#[path = "fixtures/lookalikes.rs"]
mod lookalikes;

use std::collections::BTreeMap;

use lookalikes::Rng;
use torclass_core::udp::read_alone;
use torclass_core::wire::lookalike::{self, Lookalike};
use torclass_core::{Confidence, Direction, FlowClassifier, Transport, Verdict};

/// Datagrams per measurement: what runs in a second or two in a debug build.
const N: usize = 25_000;

/// Counts of what `read_alone` made of `n` datagrams from `make`.
fn single(rng: &mut Rng, n: usize, mut make: impl FnMut(&mut Rng) -> Vec<u8>) -> [usize; 4] {
    let mut counts = [0; 4];
    for _ in 0..n {
        let d = make(rng);
        counts[read_alone(&d, false).strength as usize] += 1;
    }
    counts
}

fn report(name: &str, n: usize, c: [usize; 4]) {
    eprintln!(
        "{name:55} n={n:7} shaped={:6} guess={:5} conclusive={}",
        c[1], c[2], c[3]
    );
}

/// Makes one random datagram of a kind.
type Maker = Box<dyn Fn(&mut Rng) -> Vec<u8>>;

fn with_prefix(rng: &mut Rng, prefix: &[u8], lo: usize, hi: usize) -> Vec<u8> {
    let len = rng.range(lo, hi);
    let mut d = prefix.to_vec();
    d.extend_from_slice(&rng.bytes(len));
    d
}

#[test]
fn single_datagram_rules_on_random_bytes() {
    let mut rng = Rng::new(0xc4a2_ce01);
    let cases: [(&str, Maker); 8] = [
        (
            "uniform random, 1..=600 bytes",
            Box::new(|r| {
                let len = r.range(1, 600);
                r.bytes(len)
            }),
        ),
        (
            "`d1:` + random (KRPC prefix)",
            Box::new(|r| with_prefix(r, b"d1:", 1, 300)),
        ),
        (
            "`d1:ad2:id20:` + random",
            Box::new(|r| with_prefix(r, b"d1:ad2:id20:", 20, 300)),
        ),
        (
            "`BT-SEARCH * HTTP/1.1\\r\\n` + random (LSD)",
            Box::new(|r| with_prefix(r, b"BT-SEARCH * HTTP/1.1\r\n", 1, 300)),
        ),
        (
            "random 16 bytes (BEP 15 connect size)",
            Box::new(|r| r.bytes(16)),
        ),
        (
            "random 98 bytes with action 1 (announce shape)",
            Box::new(|r| {
                let mut d = r.bytes(98);
                d[8..12].copy_from_slice(&[0, 0, 0, 1]);
                d
            }),
        ),
        (
            "random 20 bytes, uTP type/version, no extension",
            Box::new(|r| {
                let mut d = r.bytes(20);
                d[0] = [0x01, 0x11, 0x21, 0x31, 0x41][r.range(0, 4)];
                d[1] = 0;
                d
            }),
        ),
        (
            "random 20 bytes as a uTP SYN with ack 0, tdiff 0",
            Box::new(|r| {
                let mut d = r.bytes(20);
                d[0] = 0x41;
                d[1] = 0;
                d[8..12].fill(0);
                d[18..20].fill(0);
                d
            }),
        ),
    ];
    let mut out = Vec::new();
    for (name, make) in &cases {
        let c = single(&mut rng, N, make);
        report(name, N, c);
        out.push((*name, c));
    }
    for (name, c) in &out {
        assert_eq!(c[3], 0, "{name}: a conclusive rule matched random bytes");
    }
    // Guesses: the SYN made plausible by construction except for its window and timestamp
    // guesses (window ≤ 16 MiB: 1/256; timestamp non-zero); everything else never.
    let (_, syn) = out[7];
    assert!(syn[2] < N / 128, "{syn:?}");
    for (name, c) in &out[..7] {
        assert_eq!(c[2], 0, "{name}: a guess matched random bytes");
    }
}

/// Feed `datagrams` to a fresh UDP flow and finish it.
fn flow(datagrams: &[(Direction, Vec<u8>)]) -> Verdict {
    let mut f = FlowClassifier::new(Transport::Udp);
    let mut last = Verdict::Undecided;
    for (d, p) in datagrams {
        last = f.feed(*d, p);
        if last.detection().map(|d| d.confidence) == Some(Confidence::Confirmed) {
            return last;
        }
    }
    let end = f.finish();
    if end.is_bittorrent() {
        end
    } else {
        last
    }
}

fn utp_shaped(rng: &mut Rng, first: &[u8]) -> Vec<u8> {
    let len = rng.range(20, 300);
    let mut d = rng.bytes(len);
    d[0] = first[rng.range(0, first.len() - 1)];
    d[1] = 0;
    d
}

fn tally(name: &str, n: usize, verdicts: impl Iterator<Item = Verdict>) -> [usize; 2] {
    let mut c = [0; 2];
    for v in verdicts {
        match v.detection().map(|d| d.confidence) {
            Some(Confidence::Likely) => c[0] += 1,
            Some(_) => c[1] += 1,
            None => {}
        }
    }
    eprintln!("{name:55} n={n:7} likely={:5} confirmed={}", c[0], c[1]);
    c
}

#[test]
fn pair_and_flow_rules_on_random_bytes() {
    use Direction::{Initiator as A, Responder as B};
    let mut rng = Rng::new(0xc4a2_ce02);
    let syn = |r: &mut Rng| {
        let mut s = r.bytes(20);
        s[0] = 0x41;
        s[1] = 0;
        s
    };
    let n = N / 5;
    // A SYN-shaped datagram and a random STATE/RESET/DATA-shaped reply.
    let replies = tally(
        "SYN shape + random uTP-shaped reply",
        n,
        (0..n).map(|_| {
            let s = syn(&mut rng);
            let reply = utp_shaped(&mut rng, &[0x01, 0x21, 0x31]);
            flow(&[(A, s), (B, reply)])
        }),
    );
    let continued = tally(
        "SYN shape + random DATA-shaped from the same side",
        n,
        (0..n).map(|_| {
            let s = syn(&mut rng);
            let data = utp_shaped(&mut rng, &[0x01]);
            flow(&[(A, s), (A, data)])
        }),
    );
    let streams = tally(
        "two random uTP-shaped streams, 4 datagrams each way",
        n,
        (0..n).map(|_| {
            let datagrams: Vec<_> = (0..8)
                .map(|i| {
                    let d = if i % 2 == 0 { A } else { B };
                    (d, utp_shaped(&mut rng, &[0x01, 0x21]))
                })
                .collect();
            flow(&datagrams)
        }),
    );
    let one_sided = tally(
        "one random uTP-shaped stream, 8 datagrams",
        n,
        (0..n).map(|_| {
            let datagrams: Vec<_> = (0..8)
                .map(|_| (A, utp_shaped(&mut rng, &[0x01, 0x21])))
                .collect();
            flow(&datagrams)
        }),
    );
    let uniform = tally(
        "random flows, 10 datagrams both ways, 1..=600 bytes",
        n,
        (0..n).map(|_| {
            let datagrams: Vec<_> = (0..10)
                .map(|i| {
                    let len = rng.range(1, 600);
                    (if i % 3 == 0 { B } else { A }, rng.bytes(len))
                })
                .collect();
            flow(&datagrams)
        }),
    );
    for (name, c) in [
        ("replies", replies),
        ("continued", continued),
        ("streams", streams),
        ("one-sided", one_sided),
        ("uniform", uniform),
    ] {
        assert_eq!(c, [0, 0], "{name}");
    }
}

/// How often each look-alike recogniser accepts uniform random datagrams: a refuter that
/// accepted random bytes often would refute BitTorrent guesses by chance.
#[test]
fn lookalike_recognisers_on_random_bytes() {
    let mut rng = Rng::new(0xc4a2_ce03);
    let mut hits: BTreeMap<&str, usize> = BTreeMap::new();
    for _ in 0..2 * N {
        let len = rng.range(1, 600);
        let d = rng.bytes(len);
        if let Some(l) = lookalike::recognise(&d) {
            *hits.entry(l.name()).or_default() += 1;
        }
    }
    eprintln!(
        "look-alike recognisers on {} uniform random datagrams: {hits:?}",
        2 * N
    );
    for (family, n) in &hits {
        let exact = Lookalike::ALL
            .iter()
            .find(|l| l.name() == *family)
            .is_some_and(|l| l.is_exact());
        // Exact recognisers: below 1 in 10,000 random datagrams. RTP (weak, never overrules a
        // BitTorrent reading) takes about a third of datagrams starting 0x80..=0xbf.
        let bound = if exact { 2 * N / 10_000 } else { 2 * N / 8 };
        assert!(*n <= bound, "{family}: {n} of {}", 2 * N);
    }
}
