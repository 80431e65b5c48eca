//! Throughput of each wire reader on payloads taken from the real captures.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use torclass_benches::{all_flows, FlowPayloads};
use torclass_core::wire::bencode::Tokenizer;
use torclass_core::wire::extension::ExtIds;
use torclass_core::wire::http_tracker::{ReplyReader, RequestReader};
use torclass_core::wire::krpc::Krpc;
use torclass_core::wire::lsd::LsdAnnounce;
use torclass_core::wire::magnet::Scanner;
use torclass_core::wire::udp_tracker::{self, AddressFamily};
use torclass_core::wire::utp::UtpPacket;
use torclass_core::wire::{handshake, message};
use torclass_core::{Direction, Evidence, Metadata, Transport};

const HANDSHAKE_PREFIX: &[u8] = b"\x13BitTorrent protocol";

/// Payload sets picked from the captures by what each reader accepts.
struct Payloads {
    /// Streams starting with a BEP 3 handshake (one per flow side).
    handshake_streams: Vec<Vec<u8>>,
    /// UDP datagrams by the reader that accepts them.
    krpc: Vec<Vec<u8>>,
    utp: Vec<Vec<u8>>,
    udp_tracker: Vec<Vec<u8>>,
    lsd: Vec<Vec<u8>>,
    /// HTTP tracker request and reply streams.
    requests: Vec<Vec<u8>>,
    replies: Vec<Vec<u8>>,
    /// Cleartext streams that are not BitTorrent (what the magnet scan reads most).
    text: Vec<Vec<u8>>,
}

fn pick(flows: &[(String, FlowPayloads)]) -> Payloads {
    let mut p = Payloads {
        handshake_streams: Vec::new(),
        krpc: Vec::new(),
        utp: Vec::new(),
        udp_tracker: Vec::new(),
        lsd: Vec::new(),
        requests: Vec::new(),
        replies: Vec::new(),
        text: Vec::new(),
    };
    for (name, flow) in flows {
        match flow.transport() {
            Transport::Tcp => {
                for d in [Direction::Initiator, Direction::Responder] {
                    let s = flow.stream(d);
                    if s.starts_with(HANDSHAKE_PREFIX) {
                        p.handshake_streams.push(s);
                    } else if s.starts_with(b"GET ") && s.windows(10).any(|w| w == b"info_hash=") {
                        p.requests.push(s);
                    } else if s.starts_with(b"HTTP/") && name == "tcp-plain" {
                        p.replies.push(s);
                    } else if name == "tcp-negative"
                        && s.first().is_some_and(|b| b.is_ascii_graphic())
                    {
                        p.text.push(s);
                    }
                }
            }
            Transport::Udp => {
                for (_, d) in &flow.payloads {
                    if Krpc::parse(d).is_ok() {
                        p.krpc.push(d.clone());
                    } else if LsdAnnounce::parse(d).is_ok() {
                        p.lsd.push(d.clone());
                    } else if udp_tracker::parse(d, None, AddressFamily::V4).is_ok() {
                        p.udp_tracker.push(d.clone());
                    } else if UtpPacket::new_checked(&d[..]).is_ok_and(|u| u.is_plausible()) {
                        p.utp.push(d.clone());
                    }
                }
            }
            _ => {}
        }
    }
    p
}

fn total(set: &[Vec<u8>]) -> u64 {
    set.iter().map(|s| s.len() as u64).sum()
}

fn wire(c: &mut Criterion) {
    let flows = all_flows().expect("the captures in tests/captures");
    let p = pick(&flows);
    let mut g = c.benchmark_group("wire");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));

    let handshakes: Vec<&[u8]> = p.handshake_streams.iter().map(|s| &s[..68]).collect();
    g.throughput(Throughput::Bytes(68 * handshakes.len() as u64));
    g.bench_function("handshake_reader", |b| {
        b.iter(|| {
            for h in &handshakes {
                let mut r = handshake::Reader::default();
                black_box(r.read(black_box(h), |part| {
                    black_box(part);
                }));
            }
        })
    });

    let streams: Vec<&[u8]> = p.handshake_streams.iter().map(|s| &s[68..]).collect();
    g.throughput(Throughput::Bytes(
        streams.iter().map(|s| s.len() as u64).sum(),
    ));
    g.bench_function("message_framing", |b| {
        b.iter(|| {
            for s in &streams {
                let mut r = message::Reader::new();
                let mut meta = Metadata::new();
                let mut cx = message::Context {
                    direction: Direction::Initiator,
                    receiver_ids: ExtIds::default(),
                    sender_ids: ExtIds::default(),
                    evidence: Evidence::NONE,
                    stop_after: u8::MAX,
                    runs_need_payloads: false,
                    blocks: false,
                    observer: &mut meta,
                };
                black_box(r.read(black_box(s), &mut cx));
            }
        })
    });

    g.throughput(Throughput::Bytes(total(&p.krpc)));
    g.bench_function("bencode_tokenizer", |b| {
        b.iter(|| {
            for d in &p.krpc {
                let mut t = Tokenizer::new();
                let _ = black_box(t.feed(black_box(d), |e| {
                    black_box(e);
                }));
            }
        })
    });
    g.bench_function("krpc_parse", |b| {
        b.iter(|| {
            for d in &p.krpc {
                let _ = black_box(Krpc::parse(black_box(d)));
            }
        })
    });

    g.throughput(Throughput::Bytes(total(&p.utp)));
    g.bench_function("utp_header", |b| {
        b.iter(|| {
            for d in &p.utp {
                black_box(
                    UtpPacket::new_checked(black_box(&d[..])).is_ok_and(|u| u.is_plausible()),
                );
            }
        })
    });

    g.throughput(Throughput::Bytes(total(&p.udp_tracker)));
    g.bench_function("udp_tracker_parse", |b| {
        b.iter(|| {
            for d in &p.udp_tracker {
                let _ = black_box(udp_tracker::parse(black_box(d), None, AddressFamily::V4));
            }
        })
    });

    g.throughput(Throughput::Bytes(total(&p.lsd)));
    g.bench_function("lsd_parse", |b| {
        b.iter(|| {
            for d in &p.lsd {
                let _ = black_box(LsdAnnounce::parse(black_box(d)));
            }
        })
    });

    g.throughput(Throughput::Bytes(total(&p.requests)));
    g.bench_function("http_tracker_request", |b| {
        b.iter(|| {
            for s in &p.requests {
                let mut meta = Metadata::new();
                black_box(RequestReader::new().read(black_box(s), Direction::Initiator, &mut meta));
            }
        })
    });
    g.throughput(Throughput::Bytes(total(&p.replies)));
    g.bench_function("http_tracker_reply", |b| {
        b.iter(|| {
            for s in &p.replies {
                let mut meta = Metadata::new();
                black_box(ReplyReader::new().read(black_box(s), &mut meta));
            }
        })
    });

    g.throughput(Throughput::Bytes(total(&p.text)));
    g.bench_function("magnet_scan_negative_text", |b| {
        b.iter(|| {
            for s in &p.text {
                let mut meta = Metadata::new();
                black_box(Scanner::new().scan(black_box(s), Direction::Initiator, &mut meta));
            }
        })
    });
    g.finish();

    eprintln!(
        "wire payloads: {} handshake streams, {} KRPC, {} uTP, {} UDP tracker, {} LSD, {} requests, {} replies, {} text streams",
        p.handshake_streams.len(),
        p.krpc.len(),
        p.utp.len(),
        p.udp_tracker.len(),
        p.lsd.len(),
        p.requests.len(),
        p.replies.len(),
        p.text.len()
    );
}

criterion_group!(benches, wire);
criterion_main!(benches);
