//! Late corroboration in a capture (`torclass_core::table`, "Late corroboration"): an
//! encrypted flow whose host shows BitTorrent activity only after the flow started is
//! confirmed at its next packet; the records do not depend on when sweeps run or on the size
//! the table starts with, and with several threads they are the same when the flow and its
//! host's DHT traffic share a shard (each thread learns hosts from its own flows only, see
//! `torclass_capture::shard`).

mod common;

use torclass_capture::{
    shard_of, write_jsonl, Analyzer, AnalyzerConfig, FlowRecord, ShardedAnalyzer,
};
use torclass_core::packet::{Endpoint, FlowKey};
use torclass_core::{Confidence, Evidence, Protocol, Transport, Verdict};

use common::{pcap_header, pcap_record, random, tcp, udp};

const S: u64 = 1_000_000_000;
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const PSH: u8 = 0x08;

/// An MSE/PE-shaped conversation from `c` to `s` starting at `t0`: the four flights, then
/// encrypted data at `t0 + 1 s`, `data_at` (if any) and FIN both ways 100 ms after the last.
fn mse(
    c: (u8, u16),
    s: (u8, u16),
    t0: u64,
    data_at: Option<u64>,
    seed: u64,
) -> Vec<(u64, Vec<u8>)> {
    let mut out = vec![(t0, tcp(c, s, 999, 0, SYN, &[]))];
    let mut seq = [1000u32, 5000u32];
    let mut a1 = random(96 + 211, seed);
    a1[0] = 0x9c;
    let flights = [
        (true, a1),
        (false, random(96 + 37, seed + 1)),
        (true, random(20 + 20 + 16 + 68, seed + 2)),
        (false, random(8 + 4 + 2 + 1200, seed + 3)),
        (true, random(1400, seed + 4)),
    ];
    let mut t = t0;
    let mut send = |out: &mut Vec<(u64, Vec<u8>)>, t: u64, initiator: bool, bytes: &[u8]| {
        let (from, to, d) = if initiator { (c, s, 0) } else { (s, c, 1) };
        out.push((t, tcp(from, to, seq[d], 0, ACK | PSH, bytes)));
        seq[d] = seq[d].wrapping_add(bytes.len() as u32);
    };
    for (initiator, bytes) in &flights {
        t += 10_000_000;
        send(&mut out, t, *initiator, bytes);
    }
    let mut last = t0 + S;
    send(&mut out, last, true, &random(1400, seed + 5));
    if let Some(at) = data_at {
        send(&mut out, at, false, &random(1400, seed + 6));
        last = at;
    }
    out.push((last + S / 10, tcp(c, s, seq[0], 0, FIN | ACK, &[])));
    out.push((last + S / 10, tcp(s, c, seq[1], 0, FIN | ACK, &[])));
    out
}

const DHT_QUERY: &[u8] =
    b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe";
const DHT_REPLY: &[u8] = b"d1:rd2:id20:0123456789abcdefghij5:nodes0:e1:t2:aa1:y1:re";

/// Host 1's DHT starts at 10 s. Its flow to host 2 opened at 1 s and goes on at 20 s (confirmed
/// late); its flow to host 3 opened at 2 s and ended at 3.1 s (the activity came after its
/// life: not BitTorrent); host 4, without BitTorrent activity, has the same flow as the first
/// (not BitTorrent).
fn frames() -> Vec<(u64, Vec<u8>)> {
    let (a, node) = ((1, 6881), (9, 6881));
    let mut out = mse((1, 40_000), (2, 51_413), S, Some(20 * S), 10);
    out.extend(mse((1, 40_001), (3, 51_413), 2 * S, None, 20));
    out.extend(mse((4, 40_002), (5, 51_413), S, Some(20 * S), 30));
    out.push((10 * S, udp(a, node, DHT_QUERY)));
    out.push((10 * S + 1_000_000, udp(node, a, DHT_REPLY)));
    out.sort_by_key(|(t, _)| *t);
    out
}

fn lines(records: &[FlowRecord]) -> String {
    let mut out = Vec::new();
    for r in records {
        write_jsonl(&mut out, r).expect("write");
    }
    String::from_utf8(out).expect("utf-8")
}

fn read(frames: &[(u64, Vec<u8>)], config: AnalyzerConfig) -> Vec<FlowRecord> {
    let mut analyzer = Analyzer::new(config);
    for (t, f) in frames {
        analyzer.frame(1, i128::from(*t), f);
    }
    analyzer.finish()
}

fn find(records: &[FlowRecord], host: u8) -> &FlowRecord {
    records
        .iter()
        .find(|r| r.dst == std::net::IpAddr::from([10, 1, 0, host]))
        .expect("the flow")
}

#[test]
fn a_host_learned_during_a_flow_confirms_it_whenever_sweeps_run_and_whatever_the_table() {
    let frames = frames();
    let records = read(&frames, AnalyzerConfig::default());
    let late = find(&records, 2);
    let Verdict::BitTorrent(d) = late.verdict else {
        panic!("{:?}", late.verdict)
    };
    assert_eq!(
        (d.protocol, d.confidence),
        (Protocol::PeerWireEncrypted, Confidence::Confirmed)
    );
    assert!(late
        .evidence
        .contains(Evidence::BITTORRENT_HOST | Evidence::MSE_SHAPE));
    for host in [3, 5] {
        let r = find(&records, host);
        assert_eq!(r.verdict, Verdict::NotBitTorrent, "to host {host}");
        assert!(
            !r.evidence.contains(Evidence::BITTORRENT_HOST),
            "to host {host}"
        );
    }
    let expected = lines(&records);
    for sweep_ns in [0, S / 10, 3 * S, 3600 * S] {
        for first_slots in [1, 4, 1 << 10] {
            let config = AnalyzerConfig {
                sweep_ns,
                first_slots,
                ..AnalyzerConfig::default()
            };
            let got = lines(&read(&frames, config));
            assert_eq!(
                got, expected,
                "sweeps every {sweep_ns} ns, {first_slots} slots first"
            );
        }
    }
}

#[test]
fn threads_keep_late_corroboration_when_the_host_shares_the_flow_s_shard() {
    let frames = frames();
    let mut bytes = pcap_header(false, true, 1, 65_535);
    for (t, f) in &frames {
        pcap_record(
            &mut bytes,
            false,
            (t / S) as u32,
            (t % S) as u32,
            f,
            f.len() as u32,
        );
    }
    let path = std::env::temp_dir().join(format!("torclass-late-{}.pcap", std::process::id()));
    std::fs::write(&path, &bytes).expect("write");
    let expected = lines(&read(&frames, AnalyzerConfig::default()));
    let at = |h: u8, port| Endpoint {
        addr: std::net::IpAddr::from([10, 1, 0, h]),
        port,
    };
    let flow = FlowKey {
        transport: Transport::Tcp,
        src: at(1, 40_000),
        dst: at(2, 51_413),
    };
    let dht = FlowKey {
        transport: Transport::Udp,
        src: at(1, 6881),
        dst: at(9, 6881),
    };
    let mut shared = 0;
    for threads in 1..=8 {
        if shard_of(&flow, threads) != shard_of(&dht, threads) {
            continue;
        }
        shared += 1;
        let out = ShardedAnalyzer::new(AnalyzerConfig::default(), threads)
            .read_file(&path, |_| {})
            .expect("read");
        assert_eq!(lines(&out.records), expected, "{threads} threads");
    }
    let _ = std::fs::remove_file(&path);
    assert!(
        shared >= 2,
        "only {shared} thread counts put both flows in one shard"
    );
}
