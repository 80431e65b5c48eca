//! How often each rule's evidence appears where it should not: on random inputs generated
//! here with fixed seeds, and on the flows of negative captures and corpus cases. The numbers
//! behind docs/accuracy.md's evidence-strength table (invariant 6: every rule's chance of
//! matching non-BitTorrent bytes is measured, not assumed).

use std::path::Path;

use torclass_capture::CaptureReader;
use torclass_core::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use torclass_core::packet::{self, LinkType};
use torclass_core::table::{FlowTable, Slot, TableConfig};
use torclass_core::wire::message::AZ_IDS;
use torclass_core::{
    Confidence, Direction, Evidence, FlowClassifier, Metadata, Transport, Verdict,
};

use crate::corpus::rng::Rng;
use crate::{flow_id, FlowId};

/// A flow's final state in the flow table.
#[derive(Clone, Debug)]
pub struct FlowEvidence {
    /// The flow's endpoints.
    pub id: FlowId,
    /// Order of first packet (the table's flow number).
    pub number: u64,
    /// Every evidence bit the classifier gathered, also when it did not say BitTorrent.
    pub evidence: Evidence,
    /// Its verdict.
    pub verdict: Verdict,
}

/// Run `frames` (link type, timestamp ns, frame) through a flow table with an endpoint cache,
/// as the analyzer does, and return every flow's evidence in first-seen order.
pub fn flow_evidence<'a>(frames: impl Iterator<Item = (u32, u64, &'a [u8])>) -> Vec<FlowEvidence> {
    let slots = vec![Slot::<Metadata>::default(); 1 << 14].into_boxed_slice();
    let mut table = FlowTable::new(slots, TableConfig::default());
    let entries = vec![CacheEntry::default(); 1 << 16].into_boxed_slice();
    let mut cache = EndpointCache::new(entries, CacheConfig::default());
    let mut out = Vec::new();
    let keep = |out: &mut Vec<FlowEvidence>, s: &Slot<Metadata>| {
        let k = s.key();
        out.push(FlowEvidence {
            id: flow_id(
                k.transport.name(),
                (k.src.addr, k.src.port),
                (k.dst.addr, k.dst.port),
            ),
            number: s.number(),
            evidence: s.classifier().evidence(),
            verdict: s.verdict(),
        });
    };
    for (link, ts, frame) in frames {
        let Some(link) = LinkType::from_pcap(link) else {
            continue;
        };
        let Ok(p) = packet::decode(link, frame) else {
            continue;
        };
        let _ = table.process_learning(&p, ts, &mut cache, |s| keep(&mut out, s));
    }
    table.drain(|s| keep(&mut out, s));
    out.sort_by_key(|f| f.number);
    out
}

/// [`flow_evidence`] of a capture file.
pub fn capture_evidence(pcap: &Path) -> Vec<FlowEvidence> {
    let Ok(mut reader) = CaptureReader::open(pcap) else {
        return Vec::new();
    };
    let mut frames = Vec::new();
    while let Ok(Some(raw)) = reader.next_packet() {
        frames.push((
            raw.link_type,
            u64::try_from(raw.ts_nanos).unwrap_or(0),
            raw.data.to_vec(),
        ));
    }
    flow_evidence(frames.iter().map(|(l, t, f)| (*l, *t, f.as_slice())))
}

/// The payloads of one generated flow, in order, with their senders. An empty payload stands
/// for a flow table's mid-stream pickup ([`FlowClassifier::midstream`]).
pub type Payloads = Vec<(Direction, Vec<u8>)>;

/// A family of random inputs.
pub struct Family {
    /// What the inputs are.
    pub name: &'static str,
    /// TCP (both directions are byte streams) or UDP (datagrams).
    pub transport: Transport,
    /// A TCP flow picked up mid-stream ([`FlowClassifier::midstream`]), each payload after a
    /// [`FlowClassifier::resync`] as a flow table does.
    pub midstream: bool,
    /// One input: the payloads of one flow in order.
    pub make: fn(&mut Rng) -> Payloads,
}

/// What the classifier made of a family's inputs.
#[derive(Clone, Debug)]
pub struct FamilyResult {
    /// The family's description.
    pub name: &'static str,
    /// Inputs classified.
    pub trials: u32,
    /// For each evidence bit (by bit number), the inputs that set it.
    pub bits: [u32; 32],
    /// Inputs called BitTorrent at Likely.
    pub likely: u32,
    /// Inputs called BitTorrent at Confirmed.
    pub confirmed: u32,
}

use Direction::{Initiator as I, Responder as R};

/// Both directions' payloads made by `side`, the initiator's first (the random stream is
/// consumed in that order).
fn both(r: &mut Rng, side: impl Fn(&mut Rng) -> Vec<u8>) -> Payloads {
    [I, R].into_iter().map(|d| (d, side(r))).collect()
}

fn random_len(rng: &mut Rng, lo: usize, hi: usize) -> Vec<u8> {
    let n = rng.range(lo, hi);
    rng.bytes(n)
}

fn prefixed(rng: &mut Rng, prefix: &[u8], lo: usize, hi: usize) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.extend(random_len(rng, lo, hi));
    v
}

/// 3–8 messages `<u32 big-endian length><type><body>` with types below `types` and bodies of
/// `body` random bytes (empty for types 0–3 when `empty_low`), as a length-prefixed protocol
/// writes them.
fn typed_messages(rng: &mut Rng, types: u64, body: (usize, usize), empty_low: bool) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..rng.range(3, 8) {
        let kind = rng.below(types) as u8;
        let n = if empty_low && kind < 4 {
            0
        } else {
            rng.range(body.0, body.1)
        };
        v.extend(((n + 1) as u32).to_be_bytes());
        v.push(kind);
        v.extend(rng.bytes(n));
    }
    v
}

/// 3–8 messages shaped as BEP 3's request, cancel and reject (length 13, an index below 2^24,
/// random `begin` and block length) and BEP 10's extended message (length 2–41, random ext id
/// and payload): what counts toward a mid-stream run only with a block length below 128 KiB
/// or a bencoded dictionary after the ext id.
fn request_and_extended_shapes(rng: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..rng.range(3, 8) {
        if rng.below(2) == 0 {
            v.extend(13u32.to_be_bytes());
            v.push([6, 8, 16][rng.below(3) as usize]);
            v.push(0);
            v.extend(rng.bytes(11));
        } else {
            let n = rng.range(1, 40);
            v.extend(((n + 1) as u32).to_be_bytes());
            v.push(20);
            v.extend(rng.bytes(n));
        }
    }
    v
}

/// 2–6 Azureus Messaging Protocol frames `<u32 length><u32 id length><id><version><payload>`
/// with ids from `id`, version bytes from `version` and 0–40 random bytes of payload: a
/// protocol framed as BiglyBT and Vuze frame their messages.
fn az_frames(rng: &mut Rng, id: fn(&mut Rng) -> Vec<u8>, version: fn(&mut Rng) -> u8) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..rng.range(2, 6) {
        let name = id(rng);
        let payload = random_len(rng, 0, 40);
        v.extend(((4 + name.len() + 1 + payload.len()) as u32).to_be_bytes());
        v.extend((name.len() as u32).to_be_bytes());
        v.extend(name);
        v.push(version(rng));
        v.extend(payload);
    }
    v
}

/// A version byte BiglyBT and Vuze write: 1, 2, or 2 with the padding flag (`0x12`).
fn az_version(rng: &mut Rng) -> u8 {
    [1, 2, 0x12][rng.below(3) as usize]
}

/// `n` random bytes from `alphabet`.
fn from_alphabet(rng: &mut Rng, alphabet: &[u8], n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
        .collect()
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ_";

/// The words of BiglyBT's Azureus ids (`BT_HAVE_ALL`: `HAVE`, `ALL`), each once.
fn az_words() -> Vec<&'static [u8]> {
    let mut words: Vec<&[u8]> = AZ_IDS
        .iter()
        .flat_map(|id| id[3..].split(|&b| b == b'_'))
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// `AZ_` or `BT_`, then 1–3 of the words of BiglyBT's ids joined by `_`, never one of its ids:
/// a protocol that names its messages in the same vocabulary.
fn az_word_id(rng: &mut Rng) -> Vec<u8> {
    let words = az_words();
    loop {
        let mut id = if rng.below(2) == 0 {
            b"AZ".to_vec()
        } else {
            b"BT".to_vec()
        };
        for _ in 0..rng.range(1, 3) {
            id.push(b'_');
            id.extend_from_slice(words[rng.below(words.len() as u64) as usize]);
        }
        if !AZ_IDS.contains(&id.as_slice()) {
            return id;
        }
    }
}

/// One of BiglyBT's ids with one byte changed to another of `A`–`Z`, `_` (never one of its
/// ids): the nearest misses.
fn az_near_id(rng: &mut Rng) -> Vec<u8> {
    loop {
        let mut id = AZ_IDS[rng.below(AZ_IDS.len() as u64) as usize].to_vec();
        let at = rng.below(id.len() as u64) as usize;
        id[at] = ID_ALPHABET[rng.below(ID_ALPHABET.len() as u64) as usize];
        if !AZ_IDS.contains(&id.as_slice()) {
            return id;
        }
    }
}

/// A TLS ClientHello (RFC 8446 §4.1.2) in one handshake record, with random fields and a
/// server_name extension (RFC 6066 §3) naming `name`, between other extensions.
fn client_hello(rng: &mut Rng, name: &[u8]) -> Vec<u8> {
    let be16 = |v: usize| (v as u16).to_be_bytes();
    let mut sni = vec![0, 0];
    sni.extend(be16(name.len() + 5));
    sni.extend(be16(name.len() + 3));
    sni.push(0);
    sni.extend(be16(name.len()));
    sni.extend(name);
    let mut exts = Vec::new();
    for _ in 0..rng.range(0, 4) {
        let n = rng.range(0, 40);
        exts.extend([rng.below(256) as u8 | 1, rng.below(256) as u8]);
        exts.extend(be16(n));
        exts.extend(rng.bytes(n));
    }
    exts.extend(sni);
    let mut body = vec![3, 3];
    body.extend(rng.bytes(32));
    let sid = rng.range(0, 33);
    body.push(sid as u8);
    body.extend(rng.bytes(sid));
    let suites = 2 * rng.range(1, 40);
    body.extend(be16(suites));
    body.extend(rng.bytes(suites));
    body.extend([1, 0]);
    body.extend(be16(exts.len()));
    body.extend(exts);
    let mut out = vec![22, 3, 1];
    out.extend(be16(body.len() + 4));
    out.extend([1, 0]);
    out.extend(be16(body.len()));
    out.extend(body);
    out
}

/// A host name of 1–63 characters of DNS's alphabet and dots (`[0-9a-z.-]`), or one of
/// exactly 40.
fn dns_like_name(rng: &mut Rng) -> Vec<u8> {
    let n = if rng.below(2) == 0 {
        40
    } else {
        rng.range(1, 64)
    };
    from_alphabet(rng, b"0123456789abcdefghijklmnopqrstuvwxyz.-", n)
}

/// 40 hex digits spoiled: one of them made a letter past `f` or upper case, one dropped or
/// added, or a domain after them.
fn near_info_hash_name(rng: &mut Rng) -> Vec<u8> {
    let mut name = from_alphabet(rng, b"0123456789abcdef", 40);
    match rng.below(4) {
        0 => {
            let at = rng.below(40) as usize;
            name[at] = if rng.below(2) == 0 {
                b'g' + rng.below(20) as u8
            } else {
                b'A' + rng.below(6) as u8
            };
        }
        1 => {
            name.pop();
        }
        2 => name.push(b'0' + rng.below(10) as u8),
        _ => name.extend(b".example.net"),
    }
    name
}

/// The random input families, in report order.
pub fn families() -> Vec<Family> {
    vec![
        Family {
            name: "TCP, one side: 1–2048 random bytes",
            transport: Transport::Tcp,
            midstream: false,
            make: |r| vec![(I, random_len(r, 1, 2048))],
        },
        Family {
            name: "TCP, both sides: random flights of MSE/PE sizes (96–608, 96–608, 56–600, 16–600 bytes)",
            transport: Transport::Tcp,
            midstream: false,
            make: |r| {
                vec![
                    (I, random_len(r, 96, 608)),
                    (R, random_len(r, 96, 608)),
                    (I, random_len(r, 56, 600)),
                    (R, random_len(r, 16, 600)),
                ]
            },
        },
        Family {
            name: "TCP, both sides: 1–4000 random bytes each",
            transport: Transport::Tcp,
            midstream: false,
            make: |r| vec![(I, random_len(r, 1, 4000)), (R, random_len(r, 1, 4000))],
        },
        Family {
            name: "TCP, one side: `\\x13` then 67–1000 random bytes (the handshake's first byte)",
            transport: Transport::Tcp,
            midstream: false,
            make: |r| vec![(I, prefixed(r, b"\x13", 67, 1000))],
        },
        Family {
            name: "TCP, both sides: `GET /` then 1–600 random bytes; random reply",
            transport: Transport::Tcp,
            midstream: false,
            make: |r| vec![(I, prefixed(r, b"GET /", 1, 600)), (R, random_len(r, 1, 1500))],
        },
        Family {
            name: "TCP, one side: a complete handshake, then 1–4000 random bytes (a file that begins with one)",
            transport: Transport::Tcp,
            midstream: false,
            make: |r| {
                let mut v = b"\x13BitTorrent protocol".to_vec();
                v.extend(r.bytes(48));
                v.extend(random_len(r, 1, 4000));
                vec![(I, v)]
            },
        },
        Family {
            name: "TCP, both sides: `GET /announce?` with 1–6 random `name=value` pairs from a tracker's vocabulary (values of 0–30 bytes, never 20); random reply",
            transport: Transport::Tcp,
            midstream: false,
            make: |r| {
                const NAMES: [&str; 8] =
                    ["info_hash", "peer_id", "port", "uploaded", "left", "event", "q", "id"];
                let mut q = b"GET /announce?".to_vec();
                for i in 0..r.range(1, 6) {
                    if i > 0 {
                        q.push(b'&');
                    }
                    q.extend_from_slice(NAMES[r.below(8) as usize].as_bytes());
                    q.push(b'=');
                    // any length but 20, which would make a well-formed announce
                    let n = [r.range(0, 19), r.range(21, 30)][r.below(2) as usize];
                    for _ in 0..n {
                        q.extend_from_slice(format!("%{:02X}", r.below(256)).as_bytes());
                    }
                }
                q.extend_from_slice(b" HTTP/1.1\r\nHost: lab\r\n\r\n");
                vec![(I, q), (R, random_len(r, 1, 600))]
            },
        },
        Family {
            name: "UDP: one datagram of 1–1472 random bytes",
            transport: Transport::Udp,
            midstream: false,
            make: |r| vec![(I, random_len(r, 1, 1472))],
        },
        Family {
            name: "UDP: a random query and reply (16–1472 bytes each)",
            transport: Transport::Udp,
            midstream: false,
            make: |r| vec![(I, random_len(r, 16, 1472)), (R, random_len(r, 16, 1472))],
        },
        Family {
            name: "UDP: `d1:` then random bytes (a bencoded dictionary's start), query and reply",
            transport: Transport::Udp,
            midstream: false,
            make: |r| vec![(I, prefixed(r, b"d1:", 10, 400)), (R, prefixed(r, b"d1:", 10, 400))],
        },
        Family {
            name: "UDP: a uTP type/version byte (0x01, 0x21, 0x41) then 19–1400 random bytes, both ways",
            transport: Transport::Udp,
            midstream: false,
            make: |r| {
                let mut v = Vec::new();
                for d in [I, R, I, R] {
                    let first = [0x01u8, 0x21, 0x41][r.below(3) as usize];
                    v.push((d, prefixed(r, &[first], 19, 1400)));
                }
                v
            },
        },
        Family {
            name: "UDP: a KRPC ping or reply whose `id` is 0–24 random bytes but never 20, a quarter with one byte changed at random, query and reply",
            transport: Transport::Udp,
            midstream: false,
            make: |r| {
                both(r, |r| {
                    let mut m = b"d1:ad2:id".to_vec();
                    // any id length but 20, which would make a well-formed query
                    let n = [r.range(0, 19), r.range(21, 24)][r.below(2) as usize];
                    m.extend_from_slice(format!("{n}:").as_bytes());
                    m.extend(r.bytes(n));
                    m.extend_from_slice(b"e1:q4:ping1:t2:");
                    m.extend(r.bytes(2));
                    m.extend_from_slice(if r.below(2) == 0 { &b"1:y1:qe"[..] } else { &b"1:y1:re"[..] });
                    if r.below(4) == 0 {
                        let at = r.range(0, m.len() - 1);
                        m[at] = r.bytes(1)[0];
                    }
                    m
                })
            },
        },
        Family {
            name: "UDP: a uTP SYN header (type 4, version 1, no extension) with random fields and 0–40 random bytes, then a random reply",
            transport: Transport::Udp,
            midstream: false,
            make: |r| {
                let mut syn = vec![0x41, 0];
                syn.extend(r.bytes(18));
                syn.extend(random_len(r, 0, 40));
                vec![(I, syn), (R, random_len(r, 20, 200))]
            },
        },
        Family {
            name: "UDP: 16 random bytes both ways (BEP 15 connect size)",
            transport: Transport::Udp,
            midstream: false,
            make: |r| vec![(I, r.bytes(16)), (R, r.bytes(16))],
        },
        Family {
            name: "UDP: 8 random bytes, action 1, 86–200 random bytes (BEP 15 announce shape); random reply",
            transport: Transport::Udp,
            midstream: false,
            make: |r| {
                let mut q = r.bytes(8);
                q.extend_from_slice(&[0, 0, 0, 1]);
                q.extend(random_len(r, 86, 200));
                vec![(I, q), (R, random_len(r, 20, 200))]
            },
        },
        Family {
            name: "TCP picked up mid-stream, both sides: 1–2000 random bytes, a 16 KiB block's piece header (`00 00 40 09 07`), 16,388–16,500 random bytes (what the block search finds, then a block and what follows)",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, |r| {
                    let mut side = random_len(r, 1, 2000);
                    side.extend_from_slice(&[0, 0, 0x40, 0x09, 7]);
                    side.extend(random_len(r, 16_388, 16_500));
                    side
                })
            },
        },
        Family {
            name: "TCP, both sides from the start: 3–8 messages `<u32 length><type><body>` each, types 0–23, bodies of 0–40 random bytes (a length-prefixed protocol)",
            transport: Transport::Tcp,
            midstream: false,
            make: |r| {
                both(r, |r| typed_messages(r, 24, (0, 40), false))
            },
        },
        Family {
            name: "TCP, both sides picked up mid-stream: the same messages",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, |r| typed_messages(r, 24, (0, 40), false))
            },
        },
        Family {
            name: "TCP, both sides picked up mid-stream: 3–8 messages each of types 0–3 without a body (Riak's PBC pings) or 4–23 with 4 random bytes",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, |r| typed_messages(r, 24, (4, 5), true))
            },
        },
        Family {
            name: "TCP picked up mid-stream, both sides: 1–2000 random bytes, a 16 KiB block's piece message whose index (below 2^24) and `begin` (a multiple of 16 KiB below 64 MiB) fit, its block of random bytes, then 5–2000 random bytes (the block transfer rule's next header on random bytes)",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, |r| {
                    let mut side = random_len(r, 1, 2000);
                    side.extend_from_slice(&[0, 0, 0x40, 0x09, 7, 0]);
                    side.extend(r.bytes(3));
                    side.extend(((r.below(1 << 12) as u32) << 14).to_be_bytes());
                    side.extend(r.bytes(16_384));
                    side.extend(random_len(r, 5, 2000));
                    side
                })
            },
        },
        Family {
            name: "TCP picked up mid-stream, both sides: 2–4 messages `<u32 16393><7><8 random bytes><16 KiB random>` (a 16 KiB block's piece header, random index and `begin`)",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, |r| {
                    let mut side = Vec::new();
                    for _ in 0..r.range(2, 4) {
                        side.extend_from_slice(&[0, 0, 0x40, 0x09, 7]);
                        side.extend(r.bytes(8 + 16_384));
                    }
                    side
                })
            },
        },
        Family {
            name: "TCP picked up mid-stream, both sides: a chunked file transfer `<u32 length><type><u64 offset><data>`, one type of 0–23 per side, 8 KiB or 32 KiB chunks at consecutive offsets from a random chunk-aligned start below 4 GiB",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, |r| {
                    let kind = r.below(24) as u8;
                    let chunk: u64 = if r.below(2) == 0 { 8192 } else { 32_768 };
                    let mut offset = r.below((1 << 32) / chunk) * chunk;
                    let mut side = Vec::new();
                    for _ in 0..r.range(2, 4) {
                        side.extend(((chunk + 9) as u32).to_be_bytes());
                        side.push(kind);
                        side.extend(offset.to_be_bytes());
                        side.extend(r.bytes(chunk as usize));
                        offset += chunk;
                    }
                    side
                })
            },
        },
        Family {
            name: "TCP, both sides picked up mid-stream: 2–6 Azureus-framed messages `<u32 length><u32 id length><id><version><payload>` each, ids of 4–20 random bytes, random version byte, 0–40 random bytes of payload",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, |r| az_frames(r, |r| { let n = r.range(4, 20); r.bytes(n) }, |r| r.bytes(1)[0]))
            },
        },
        Family {
            name: "TCP, both sides picked up mid-stream: the same frames with ids of 4–20 random `A`–`Z`, `_` and a valid version byte (1, 2, 0x12)",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, |r| az_frames(r, |r| { let n = r.range(4, 20); from_alphabet(r, ID_ALPHABET, n) }, az_version))
            },
        },
        Family {
            name: "TCP, both sides picked up mid-stream: the same frames with ids `AZ_` or `BT_` and 1–14 random `A`–`Z`, `_` (the lengths of BiglyBT's ids), valid version bytes",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, |r| {
                    az_frames(
                        r,
                        |r| {
                            let mut id = if r.below(2) == 0 { b"AZ_".to_vec() } else { b"BT_".to_vec() };
                            let n = r.range(1, 14);
                            id.extend(from_alphabet(r, ID_ALPHABET, n));
                            id
                        },
                        az_version,
                    )
                })
            },
        },
        Family {
            name: "TCP, both sides picked up mid-stream: the same frames with ids `AZ_` or `BT_` and 1–3 words of BiglyBT's ids (`HAVE`, `PIECE`, `STAT`, …) joined by `_`, never one of its ids, valid version bytes",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, |r| az_frames(r, az_word_id, az_version))
            },
        },
        Family {
            name: "TCP, both sides picked up mid-stream: the same frames with BiglyBT's ids, one byte of each changed (never one of its ids), valid version bytes",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, |r| az_frames(r, az_near_id, az_version))
            },
        },
        Family {
            name: "TCP, both sides picked up mid-stream: 3–8 messages each, requests, cancels and rejects (length 13, index below 2^24, random `begin` and block length) or extended messages (length 2–41, random ext id and payload)",
            transport: Transport::Tcp,
            midstream: true,
            make: |r| {
                both(r, request_and_extended_shapes)
            },
        },
        Family {
            name: "TCP, one side: a TLS handshake record's header (`16 03 01`, a length) then 5–2048 random bytes",
            transport: Transport::Tcp,
            midstream: false,
            make: |r| {
                let mut v = vec![0x16, 0x03, 0x01];
                let body = random_len(r, 5, 2048);
                v.extend((body.len() as u16).to_be_bytes());
                v.extend(body);
                vec![(I, v)]
            },
        },
        Family {
            name: "TCP, both sides: a TLS ClientHello naming 1–63 random characters of `[0-9a-z.-]` (half of them exactly 40), then a random reply",
            transport: Transport::Tcp,
            midstream: false,
            make: |r| {
                let name = dns_like_name(r);
                let hello = client_hello(r, &name);
                vec![(I, hello), (R, random_len(r, 1, 1500))]
            },
        },
        Family {
            name: "TCP, one side: a TLS ClientHello naming 40 hex digits with one made a letter past `f` or upper case, one dropped or added, or a domain after them",
            transport: Transport::Tcp,
            midstream: false,
            make: |r| {
                let name = near_info_hash_name(r);
                vec![(I, client_hello(r, &name))]
            },
        },
    ]
}

/// Classify `trials` inputs of every family (seeded by the family's index).
pub fn random_inputs(trials: u32) -> Vec<FamilyResult> {
    families()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut rng = Rng::new(0x7e57_0000 + i as u64);
            let mut res = FamilyResult {
                name: f.name,
                trials,
                bits: [0; 32],
                likely: 0,
                confirmed: 0,
            };
            for _ in 0..trials {
                let mut flow = FlowClassifier::new(f.transport);
                if f.midstream {
                    flow.midstream();
                }
                for (d, payload) in (f.make)(&mut rng) {
                    if f.midstream {
                        for segment in payload.chunks(1448) {
                            flow.resync(d);
                            flow.feed(d, segment);
                        }
                    } else if f.transport == Transport::Tcp {
                        // cut each write in two at a random point, as segments would
                        let cut = rng.range(0, payload.len());
                        flow.feed(d, &payload[..cut]);
                        flow.feed(d, &payload[cut..]);
                    } else {
                        flow.feed(d, &payload);
                    }
                }
                let v = flow.finish();
                let e = flow.evidence();
                for (bit, count) in res.bits.iter_mut().enumerate() {
                    if e.0 >> bit & 1 == 1 {
                        *count += 1;
                    }
                }
                match v.detection().map(|d| d.confidence) {
                    Some(Confidence::Confirmed) => res.confirmed += 1,
                    Some(_) => res.likely += 1,
                    None => {}
                }
            }
            res
        })
        .collect()
}
