//! Per-packet cost of the FlowClassifier (undecided, decided and non-BitTorrent flows) and of
//! the FlowTable (decode + lookup + classify), on the real captures, and of the table's
//! out-of-order store on synthetic reordered handshakes. Each bench prints its
//! packets per iteration on stderr: time per iteration / packets = ns per packet.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use torclass_benches::{all_flows, capture, capture_names, read_frames, Frame};
use torclass_core::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use torclass_core::packet::{
    self, Endpoint, FlowKey, Fragment, LinkType, Packet, TcpFlags, TcpInfo,
};
use torclass_core::table::{FlowTable, Held, Slot, TableConfig};
use torclass_core::{Direction, FlowClassifier, Metadata, Transport, Verdict};

/// A flow's payloads split where its classifier first decided.
struct Split {
    /// Payloads up to and including the deciding one, fed from a fresh classifier.
    undecided: Vec<(Direction, Vec<u8>)>,
    /// The classifier just after the decision.
    decided_state: (FlowClassifier, Metadata),
    /// Payloads after the decision.
    decided: Vec<(Direction, Vec<u8>)>,
    verdict: Verdict,
}

fn split(payloads: &[(Direction, Vec<u8>)], fresh: FlowClassifier) -> Split {
    let mut c = fresh;
    let mut meta = Metadata::new();
    let mut at = payloads.len();
    for (i, (d, p)) in payloads.iter().enumerate() {
        if c.feed_with(*d, p, &mut meta) != Verdict::Undecided {
            at = i + 1;
            break;
        }
    }
    Split {
        undecided: payloads[..at].to_vec(),
        decided_state: (c, meta),
        decided: payloads[at..].to_vec(),
        verdict: c.verdict(),
    }
}

fn bytes(set: &[&[(Direction, Vec<u8>)]]) -> (u64, usize) {
    let b = set
        .iter()
        .flat_map(|s| s.iter())
        .map(|(_, p)| p.len() as u64)
        .sum();
    (b, set.iter().map(|s| s.len()).sum())
}

fn classifier(c: &mut Criterion) {
    let flows = all_flows().expect("the captures in tests/captures");
    let splits: Vec<(FlowClassifier, Split)> = flows
        .iter()
        .map(|(_, f)| {
            let fresh = FlowClassifier::new(f.transport());
            (fresh, split(&f.payloads, fresh))
        })
        .collect();
    let bt: Vec<&(FlowClassifier, Split)> = splits
        .iter()
        .filter(|(_, s)| matches!(s.verdict, Verdict::BitTorrent(_)))
        .collect();
    let not_bt: Vec<&(FlowClassifier, Split)> = splits
        .iter()
        .filter(|(_, s)| !matches!(s.verdict, Verdict::BitTorrent(_)))
        .collect();

    let mut g = c.benchmark_group("classifier");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));

    let undecided: Vec<&[(Direction, Vec<u8>)]> =
        bt.iter().map(|(_, s)| &s.undecided[..]).collect();
    let (b, n) = bytes(&undecided);
    eprintln!("classifier/bittorrent_undecided: {n} packets per iteration");
    g.throughput(Throughput::Bytes(b));
    g.bench_function("bittorrent_undecided", |bench| {
        bench.iter(|| {
            for (fresh, s) in &bt {
                let mut c = *fresh;
                let mut meta = Metadata::new();
                for (d, p) in &s.undecided {
                    black_box(c.feed_with(*d, black_box(p), &mut meta));
                }
            }
        })
    });

    // The same, one bench per protocol: which deciding packets cost what.
    let mut protocols: Vec<_> = bt
        .iter()
        .filter_map(|(_, s)| s.verdict.detection().map(|d| d.protocol))
        .collect();
    protocols.sort_by_key(|p| p.name());
    protocols.dedup();
    for protocol in protocols {
        let flows: Vec<&(FlowClassifier, Split)> = bt
            .iter()
            .copied()
            .filter(|(_, s)| s.verdict.detection().map(|d| d.protocol) == Some(protocol))
            .collect();
        let set: Vec<&[(Direction, Vec<u8>)]> =
            flows.iter().map(|(_, s)| &s.undecided[..]).collect();
        let (b, n) = bytes(&set);
        let name = format!("bittorrent_undecided/{}", protocol.name());
        eprintln!("classifier/{name}: {n} packets per iteration");
        g.throughput(Throughput::Bytes(b));
        g.bench_function(name, |bench| {
            bench.iter(|| {
                for (fresh, s) in &flows {
                    let mut c = *fresh;
                    let mut meta = Metadata::new();
                    for (d, p) in &s.undecided {
                        black_box(c.feed_with(*d, black_box(p), &mut meta));
                    }
                }
            })
        });
    }

    let decided: Vec<&[(Direction, Vec<u8>)]> = bt.iter().map(|(_, s)| &s.decided[..]).collect();
    let (b, n) = bytes(&decided);
    eprintln!("classifier/bittorrent_decided: {n} packets per iteration");
    g.throughput(Throughput::Bytes(b));
    g.bench_function("bittorrent_decided", |bench| {
        bench.iter(|| {
            for (_, s) in &bt {
                let (mut c, mut meta) = s.decided_state;
                for (d, p) in &s.decided {
                    black_box(c.feed_with(*d, black_box(p), &mut meta));
                }
            }
        })
    });

    let whole: Vec<&[(Direction, Vec<u8>)]> = not_bt
        .iter()
        .map(|(_, s)| {
            // Not decided before its end: every payload is in `undecided`.
            &s.undecided[..]
        })
        .collect();
    let (b, n) = bytes(&whole);
    eprintln!("classifier/not_bittorrent: {n} packets per iteration (undecided and non-BitTorrent flows, all payloads)");
    g.throughput(Throughput::Bytes(b));
    g.bench_function("not_bittorrent", |bench| {
        bench.iter(|| {
            for (fresh, s) in &not_bt {
                let mut c = *fresh;
                let mut meta = Metadata::new();
                for (d, p) in s.undecided.iter().chain(&s.decided) {
                    black_box(c.feed_with(*d, black_box(p), &mut meta));
                }
            }
        })
    });
    g.finish();
}

fn table(c: &mut Criterion) {
    let mut g = c.benchmark_group("table");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    let frames: Vec<Frame> = capture_names()
        .iter()
        .flat_map(|n| read_frames(&capture(n)).expect("capture"))
        .collect();
    let b: u64 = frames.iter().map(|f| f.data.len() as u64).sum();
    eprintln!("table/*: {} packets per iteration", frames.len());
    g.throughput(Throughput::Bytes(b));
    g.bench_function("decode_only", |bench| {
        bench.iter(|| {
            for f in &frames {
                let link = LinkType::from_pcap(f.link_type).unwrap_or(LinkType::Ethernet);
                let _ = black_box(packet::decode(link, black_box(&f.data)));
            }
        })
    });
    g.bench_function("decode_process_fresh_table", |bench| {
        bench.iter_batched_ref(
            || -> FlowTable<Box<[Slot<Metadata>]>> {
                FlowTable::new(
                    vec![Slot::default(); 4096].into_boxed_slice(),
                    TableConfig::default(),
                )
            },
            |table| {
                for f in &frames {
                    let link = LinkType::from_pcap(f.link_type).unwrap_or(LinkType::Ethernet);
                    if let Ok(p) = packet::decode(link, &f.data) {
                        let now = f.ts_nanos as u64;
                        let _ = black_box(table.process(&p, now, |s| {
                            black_box(s);
                        }));
                    }
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("decode_process_learning", |bench| {
        bench.iter_batched_ref(
            || {
                (
                    FlowTable::<Box<[Slot<Metadata>]>>::new(
                        vec![Slot::default(); 4096].into_boxed_slice(),
                        TableConfig::default(),
                    ),
                    EndpointCache::new(
                        vec![CacheEntry::default(); 4096].into_boxed_slice(),
                        CacheConfig::default(),
                    ),
                )
            },
            |(table, cache)| {
                for f in &frames {
                    let link = LinkType::from_pcap(f.link_type).unwrap_or(LinkType::Ethernet);
                    if let Ok(p) = packet::decode(link, &f.data) {
                        let now = f.ts_nanos as u64;
                        let _ = black_box(table.process_learning(&p, now, cache, |s| {
                            black_box(s);
                        }));
                    }
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Synthetic TCP packets of `flows` connections whose initiator sends its handshake's second
/// half before the first (issue 13's evasion), then the responder's handshake.
fn reordered_handshakes(flows: u16) -> Vec<(FlowKey, TcpInfo, Vec<u8>)> {
    let mut hs = b"\x13BitTorrent protocol".to_vec();
    hs.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x05]);
    hs.extend_from_slice(&[7; 20]);
    hs.extend_from_slice(b"-TR3000-abcdefghijkl");
    let tcp = |seq: u32, flags: TcpFlags| TcpInfo {
        seq,
        ack: 0,
        flags,
        urgent: 0,
    };
    let mut out = Vec::new();
    for i in 0..flows {
        let up = FlowKey {
            transport: Transport::Tcp,
            src: Endpoint {
                addr: IpAddr::V4(Ipv4Addr::new(10, 1, (i >> 8) as u8, i as u8)),
                port: 40000 + i,
            },
            dst: Endpoint {
                addr: IpAddr::V4(Ipv4Addr::new(10, 2, 0, 1)),
                port: 6881,
            },
        };
        let ack = TcpFlags::ACK;
        out.push((up, tcp(99, TcpFlags::SYN), Vec::new()));
        out.push((up.reversed(), tcp(499, TcpFlags::SYN | ack), Vec::new()));
        out.push((up, tcp(134, ack), hs[34..].to_vec()));
        out.push((up, tcp(100, ack), hs[..34].to_vec()));
        out.push((up.reversed(), tcp(500, ack), hs.clone()));
    }
    out
}

/// The out-of-order store's cost: connections whose handshake arrives second half first, with
/// a store (held, then fed in order: decided) and without (a gap: undecided).
fn reorder(c: &mut Criterion) {
    let mut g = c.benchmark_group("reorder");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    let packets = reordered_handshakes(1000);
    eprintln!("reorder/*: {} packets per iteration", packets.len());
    g.throughput(Throughput::Elements(packets.len() as u64));
    for entries in [0usize, 256] {
        let name = if entries == 0 {
            "without_store"
        } else {
            "with_store"
        };
        g.bench_function(name, |bench| {
            bench.iter_batched_ref(
                || {
                    FlowTable::<Box<[Slot<Metadata>]>, Metadata, Box<[Held]>>::with_reorder(
                        vec![Slot::default(); 4096].into_boxed_slice(),
                        vec![Held::default(); entries].into_boxed_slice(),
                        TableConfig::default(),
                    )
                },
                |table| {
                    for (key, tcp, payload) in &packets {
                        let p = Packet {
                            key: *key,
                            tcp: Some(*tcp),
                            fragment: Fragment::None,
                            payload,
                            payload_len_on_wire: payload.len() as u32,
                            tunnel: None,
                        };
                        let _ = black_box(table.process(&p, 1, |s| {
                            black_box(s);
                        }));
                    }
                    assert_eq!(table.stats().reordered, if entries == 0 { 0 } else { 1000 });
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, classifier, table, reorder);
criterion_main!(benches);
