//! `ShardedAnalyzer` gives the same JSON lines as one `Analyzer`, on every real capture.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use torclass_capture::{
    shard_of, write_jsonl, Analyzer, AnalyzerConfig, CaptureReader, ShardedAnalyzer,
};
use torclass_core::packet::{Endpoint, FlowKey};
use torclass_core::Transport;

use common::captures;

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
