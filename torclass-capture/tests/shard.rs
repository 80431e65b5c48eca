//! `ShardedAnalyzer` gives the same JSON lines as one `Analyzer`, on every real capture.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use std::path::Path;

use torclass_capture::{
    shard_of, write_jsonl, Analyzer, AnalyzerConfig, CaptureReader, FrameOutcome, PacketStats,
    ReadMode, ShardedAnalyzer,
};
use torclass_core::packet::{Endpoint, FlowKey};
use torclass_core::table::TableStats;
use torclass_core::Transport;

use common::{captures, pcap_header, pcap_record};

fn jsonl(records: &[torclass_capture::FlowRecord]) -> String {
    let mut out = Vec::new();
    for r in records {
        write_jsonl(&mut out, r).expect("write");
    }
    String::from_utf8(out).expect("utf-8")
}

/// Endpoint and host learning off: each shard would learn only from its own flows.
fn config() -> AnalyzerConfig {
    AnalyzerConfig {
        endpoints: 0,
        hosts: 0,
        ..AnalyzerConfig::default()
    }
}

#[test]
fn threads_give_the_same_json_lines_as_one() {
    for path in captures() {
        let mut one = Analyzer::new(config());
        let mut reader = CaptureReader::open(&path).expect("open");
        one.read(&mut reader, |_| {}).expect("read");
        let expected = jsonl(&one.finish());
        assert!(!expected.is_empty(), "{}: no flows", path.display());
        for threads in [1, 2, 3] {
            let out = ShardedAnalyzer::new(config(), threads)
                .read_file(&path, |_| {})
                .expect("read");
            assert!(out.error.is_none());
            assert_eq!(
                jsonl(&out.records),
                expected,
                "{} with {threads} threads",
                path.display()
            );
            assert_eq!(out.packets, one.packet_stats(), "{}", path.display());
        }
    }
}

/// With the endpoint cache on, the same flows come out in the same order with the same counts;
/// only verdicts that rest on an endpoint learned in another shard may differ.
#[test]
fn threads_give_the_same_flows_with_endpoint_learning() {
    let key = |r: &torclass_capture::FlowRecord| {
        (r.l4, r.src, r.sport, r.dst, r.dport, r.packets, r.bytes)
    };
    for path in captures() {
        let mut one = Analyzer::new(AnalyzerConfig::default());
        let mut reader = CaptureReader::open(&path).expect("open");
        one.read(&mut reader, |_| {}).expect("read");
        let expected: Vec<_> = one.finish().iter().map(key).collect();
        let out = ShardedAnalyzer::new(AnalyzerConfig::default(), 2)
            .read_file(&path, |_| {})
            .expect("read");
        let got: Vec<_> = out.records.iter().map(key).collect();
        assert_eq!(got, expected, "{}", path.display());
    }
}

#[test]
fn shard_is_the_same_both_ways_and_in_range() {
    for i in 0..1000u32 {
        let key = FlowKey {
            transport: if i % 2 == 0 {
                Transport::Tcp
            } else {
                Transport::Udp
            },
            src: Endpoint {
                addr: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i * 7)),
                port: (i * 31) as u16,
            },
            dst: Endpoint {
                addr: IpAddr::V6(format!("2001:db8::{i:x}").parse().expect("v6")),
                port: 6881,
            },
        };
        for shards in 1..5 {
            let s = shard_of(&key, shards);
            assert!(s < shards);
            assert_eq!(s, shard_of(&key.reversed(), shards));
        }
    }
}

/// What the sharded analyzer gave before windows (the reference the split must keep): each of
/// `threads` analyzers reads the whole file and classifies its own flows with
/// `Analyzer::frame_where`, frames that are no flow's counted by the first; records merged by
/// the file index of each flow's first packet.
fn every_thread_reads_all(
    path: &Path,
    config: AnalyzerConfig,
    threads: usize,
) -> (String, PacketStats, TableStats, Option<String>) {
    let config = AnalyzerConfig {
        slots: config.slots.div_ceil(threads),
        ..config
    };
    let mut records = Vec::new();
    let (mut packets, mut table, mut error) = (PacketStats::default(), TableStats::default(), None);
    for me in 0..threads {
        let mut analyzer = Analyzer::new(config);
        let mut reader = CaptureReader::open(path).expect("open");
        let mut first = Vec::new();
        error = loop {
            let p = match reader.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => break None,
                Err(e) => break Some(e.to_string()),
            };
            let mine = |key: &FlowKey| shard_of(key, threads) == me;
            let outcome = analyzer.frame_where(p.link_type, p.ts_nanos, p.data, mine, me == 0);
            if let Some(FrameOutcome::Flow(o)) = outcome {
                if o.new_flow {
                    first.push(p.index);
                }
            }
        };
        let s = analyzer.packet_stats();
        packets.frames += s.frames;
        packets.classified += s.classified;
        packets.later_fragments += s.later_fragments;
        packets.unsupported += s.unsupported;
        packets.malformed += s.malformed;
        records.extend(first.into_iter().zip(analyzer.finish()));
        table = table + analyzer.table_stats();
    }
    records.sort_by_key(|(first, _)| *first);
    let records: Vec<_> = records.into_iter().map(|(_, r)| r).collect();
    (jsonl(&records), packets, table, error)
}

/// The table's counters but `probes`: the slots a packet examined depend on whether a flow
/// that timed out was swept before a new flow looked at its slot, and each classifier's clock
/// moves at its own pace (a window's latest timestamp, not every frame's). Flows 200 s apart
/// (`negative-probes`) show it; what ended and why does not depend on it.
fn without_probes(mut table: TableStats) -> TableStats {
    table.probes = 0;
    table
}

/// The windowed split gives what every thread reading the whole file gave: the same JSON lines
/// byte for byte, the same summed counters (but the slots examined, [`without_probes`]) and
/// the same error, whatever the window size.
fn same_as_every_thread_reading_all(path: &Path, config: AnalyzerConfig) {
    for threads in [1, 2, 3, 4] {
        let (lines, packets, table, error) = every_thread_reads_all(path, config, threads);
        let expected = (lines, packets, without_probes(table), error);
        // A mapped file's windows point into the map; a stream's are copies.
        let runs = [1, 7, 4096]
            .map(|w| (w, ReadMode::Auto))
            .into_iter()
            .chain([(7, ReadMode::Stream)]);
        for (window, mode) in runs {
            let out = ShardedAnalyzer::new(config, threads)
                .window(window)
                .read_mode(mode)
                .read_file(path, |_| {})
                .expect("read");
            let got = (
                jsonl(&out.records),
                out.packets,
                without_probes(out.table),
                out.error.map(|e| e.to_string()),
            );
            assert_eq!(
                got,
                expected,
                "{} with {threads} threads, windows of {window}, {mode:?}",
                path.display()
            );
        }
    }
}

#[test]
fn windows_give_what_every_thread_reading_all_gave() {
    for path in captures() {
        same_as_every_thread_reading_all(&path, config());
        same_as_every_thread_reading_all(&path, AnalyzerConfig::default());
    }
}

/// A raw-IP capture of UDP and TCP flows, many of whose datagrams come as IPv4 fragments (some
/// reordered, some never completed), with ICMP and malformed frames between them; cut inside
/// its last record if `truncated`.
fn fragmented_capture(truncated: bool) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    let ipv4 = |id: u16, proto: u8, src: u32, dst: u32, frag: u16, body: &[u8]| {
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&((20 + body.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&id.to_be_bytes());
        ip.extend_from_slice(&frag.to_be_bytes());
        ip.extend_from_slice(&[64, proto, 0, 0]);
        ip.extend_from_slice(&src.to_be_bytes());
        ip.extend_from_slice(&dst.to_be_bytes());
        ip.extend_from_slice(body);
        ip
    };
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for i in 0..3000u32 {
        let flow = next() % 200;
        let (src, dst) = (0x0a00_0000 + flow, 0xc0a8_0000 + flow % 7);
        let (sport, dport) = (40_000 + (flow as u16), 6881 + (flow % 3) as u16);
        let (src, dst, sport, dport) = if next() % 2 == 0 {
            (src, dst, sport, dport)
        } else {
            (dst, src, dport, sport)
        };
        match next() % 10 {
            0 => frames.push(ipv4(i as u16, 1, src, dst, 0, &[8, 0, 0, 0, 0, 1, 0, 1])),
            1 => frames.push(vec![0x45, 0, 0, 40, 0, 0]),
            2 | 3 => {
                let mut tcp = Vec::new();
                tcp.extend_from_slice(&sport.to_be_bytes());
                tcp.extend_from_slice(&dport.to_be_bytes());
                tcp.extend_from_slice(&next().to_be_bytes());
                tcp.extend_from_slice(&0u32.to_be_bytes());
                tcp.extend_from_slice(&[0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
                tcp.extend_from_slice(b"\x13BitTorrent protocol\0\0\0\0\0\0\0\0");
                tcp.extend_from_slice(&[flow as u8; 20]);
                frames.push(ipv4(i as u16, 6, src, dst, 0, &tcp));
            }
            _ => {
                let mut payload = b"d1:ad2:id20:".to_vec();
                payload.extend_from_slice(&[flow as u8; 20]);
                payload.extend_from_slice(b"e1:q4:ping1:t2:aa1:y1:qe");
                payload.resize(payload.len() + (next() % 3000) as usize, b' ');
                let mut udp = Vec::new();
                udp.extend_from_slice(&sport.to_be_bytes());
                udp.extend_from_slice(&dport.to_be_bytes());
                udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
                udp.extend_from_slice(&[0, 0]);
                udp.extend_from_slice(&payload);
                if udp.len() <= 1480 {
                    frames.push(ipv4(i as u16, 17, src, dst, 0, &udp));
                    continue;
                }
                let mut pieces: Vec<Vec<u8>> = udp
                    .chunks(1480)
                    .enumerate()
                    .map(|(k, piece)| {
                        let more = if (k + 1) * 1480 < udp.len() {
                            0x2000
                        } else {
                            0
                        };
                        ipv4(i as u16, 17, src, dst, more | (k * 185) as u16, piece)
                    })
                    .collect();
                match next() % 4 {
                    0 => pieces.reverse(),
                    1 => {
                        pieces.pop();
                    }
                    _ => {}
                }
                // Other frames come between the pieces.
                let at = frames.len().saturating_sub((next() % 5) as usize);
                for (k, piece) in pieces.into_iter().enumerate() {
                    frames.insert((at + 2 * k).min(frames.len()), piece);
                }
            }
        }
    }
    let mut out = pcap_header(false, false, 101, 65_535);
    for (i, frame) in frames.iter().enumerate() {
        pcap_record(
            &mut out,
            false,
            1_000 + i as u32 / 100,
            0,
            frame,
            frame.len() as u32,
        );
    }
    if truncated {
        out.truncate(out.len() - 3);
    }
    out
}

#[test]
fn windows_give_what_every_thread_reading_all_gave_with_fragments() {
    let dir = tempfile::tempdir().expect("tempdir");
    for truncated in [false, true] {
        let path = dir.path().join("fragments.pcap");
        std::fs::write(&path, fragmented_capture(truncated)).expect("write");
        for fragment_slots in [64, 2, 0] {
            let config = AnalyzerConfig {
                fragment_slots,
                ..config()
            };
            same_as_every_thread_reading_all(&path, config);
        }
        let (_, packets, _, error) = every_thread_reads_all(&path, config(), 1);
        assert!(packets.later_fragments > 100, "{packets:?}");
        assert!(
            packets.unsupported > 100 && packets.malformed > 100,
            "{packets:?}"
        );
        assert_eq!(error.is_some(), truncated);
    }
}
