//! The capture's clock in a file read (`AnalyzerConfig::sweep_ns`, `Analyzer::saw`): flows that
//! close or idle past their timeout inside the capture are finished when they end, the table
//! holds the flows still going, and the records do not depend on when (or whether) sweeps ran,
//! nor on frames a few seconds out of time order, nor on the threads.

mod common;

use torclass_capture::{
    write_jsonl, Analyzer, AnalyzerConfig, CaptureReader, FlowRecord, ShardedAnalyzer,
};

use common::{pcap_header, pcap_record, tcp, udp};

const S: u64 = 1_000_000_000;
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const PSH: u8 = 0x08;

/// Frames over 1,000 s: every 2 s a short TCP exchange that closes (FIN both ways) and a
/// one-byte UDP datagram (too little to decide anything: undecided until its flow ends); one TCP flow with a packet every 30 s throughout (never
/// past its 600 s timeout); every fifth pair of neighbouring frames swapped (up to 2 s out of
/// time order).
fn frames() -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    for i in 0..500u32 {
        let t = u64::from(i) * 2 * S;
        let c = (1, 20_000 + i as u16);
        let s = (2, 8_000);
        let exchange = [
            tcp(c, s, 100, 0, SYN, &[]),
            tcp(s, c, 500, 101, SYN | ACK, &[]),
            tcp(c, s, 101, 501, ACK | PSH, b"hello"),
            tcp(s, c, 501, 106, ACK | PSH, b"hi"),
            tcp(c, s, 106, 503, FIN | ACK, &[]),
            tcp(s, c, 503, 107, FIN | ACK, &[]),
            tcp(c, s, 107, 504, ACK, &[]),
        ];
        for (k, f) in exchange.into_iter().enumerate() {
            out.push((t + k as u64 * 1_000_000, f));
        }
        let q = (3, 30_000 + i as u16);
        let r = (4, 5_000);
        out.push((t + S / 2, udp(q, r, b"?")));
    }
    let (a, b) = ((5, 40_000), (6, 443));
    for k in 0..34u32 {
        out.push((
            u64::from(k) * 30 * S,
            tcp(a, b, 1 + k * 7, 1, ACK | PSH, b"status!"),
        ));
    }
    out.sort_by_key(|(t, _)| *t);
    for pair in out.chunks_mut(10) {
        pair.swap(0, 1);
    }
    out
}

fn write_pcap(frames: &[(u64, Vec<u8>)]) -> tempfile_path::Path {
    let mut bytes = pcap_header(false, true, 1, 65_535);
    for (t, f) in frames {
        let (secs, frac) = ((t / S) as u32, (t % S) as u32);
        pcap_record(&mut bytes, false, secs, frac, f, f.len() as u32);
    }
    tempfile_path::Path::with(&bytes)
}

/// A file removed when dropped (std only).
mod tempfile_path {
    pub struct Path(pub std::path::PathBuf);

    impl Path {
        pub fn with(bytes: &[u8]) -> Self {
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path = std::env::temp_dir()
                .join(format!("torclass-sweep-{}-{n}.pcap", std::process::id()));
            std::fs::write(&path, bytes).expect("write");
            Self(path)
        }
    }

    impl Drop for Path {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn config(sweep_ns: u64) -> AnalyzerConfig {
    AnalyzerConfig {
        first_slots: 16,
        sweep_ns,
        ..AnalyzerConfig::default()
    }
}

/// The records as JSON lines with each flow's end reason (not a JSON field), and the slots the
/// table grew to.
fn read(frames: &[(u64, Vec<u8>)], sweep_ns: u64) -> (String, Vec<FlowRecord>, usize) {
    let mut analyzer = Analyzer::new(config(sweep_ns));
    let mut most = 0;
    for (t, f) in frames {
        analyzer.frame(1, i128::from(*t), f);
        most = most.max(analyzer.capacity());
    }
    let records = analyzer.finish();
    (lines(&records), records, most)
}

fn lines(records: &[FlowRecord]) -> String {
    let mut out = Vec::new();
    for r in records {
        write_jsonl(&mut out, r).expect("write");
        out.extend_from_slice(format!("{:?}\n", r.end_reason).as_bytes());
    }
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn flows_that_end_inside_the_capture_are_finished_whenever_the_sweeps_run() {
    let frames = frames();
    let (expected, records, grew_to) = read(&frames, AnalyzerConfig::default().sweep_ns);
    assert_eq!(records.len(), 1001);
    for every in [0, 1_000_000, 3 * S, 3600 * S] {
        let (got, _, _) = read(&frames, every);
        assert_eq!(got, expected, "sweeps every {every} ns");
    }
    // The table holds the flows still going (about 100 at a time) with room: not the 1,001
    // of the capture (4,096 slots).
    assert!(grew_to <= 1024, "grew to {grew_to} slots");
    let ended_during_the_read = |config: AnalyzerConfig| {
        let mut analyzer = Analyzer::new(config);
        for (t, f) in &frames {
            analyzer.frame(1, i128::from(*t), f);
        }
        analyzer.take_finished().len()
    };
    // Most of the 934 that end do so during the read (this capture is sparse: 4 frames a
    // second, so each sweep visits its minimum of 64 slots; the rest end when the capture
    // does).
    let ended = ended_during_the_read(config(S));
    assert!(ended > 700, "{ended}");
    // Without sweeps, in a table that never fills, they all wait for the end.
    let full = AnalyzerConfig {
        first_slots: 4096,
        slots: 4096,
        ..config(0)
    };
    assert_eq!(ended_during_the_read(full), 0);

    // (A swapped pair may make the server the side first seen.)
    let port = |p: u16| move |r: &&FlowRecord| r.dport == p || r.sport == p;
    let tcp_closed = records.iter().filter(port(8000));
    let udp_idle = records.iter().filter(port(5000));
    let going = records.iter().filter(port(443));
    // TCP flows closed (FIN both ways) and their 10 s linger over; the last few still linger.
    let end = records.iter().map(|r| r.last_ns).max().unwrap_or(0);
    for r in tcp_closed {
        let over = r.last_ns + 10 * (S as i64) < end;
        let reason = r.end_reason.map(|e| e.name());
        assert_eq!(reason, over.then_some("closed"), "{r:?}");
        assert_eq!(r.verdict.to_string(), "not_bittorrent", "{r:?}");
    }
    // UDP flows idle 120 s: all but those of the last two minutes of the capture.
    let (ended, open): (Vec<_>, Vec<_>) = udp_idle.partition(|r| r.end_reason.is_some());
    assert_eq!((ended.len(), open.len()), (439, 61));
    // Undecided while going; judged when it ended.
    for r in &ended {
        assert!(r.last_ns + 120 * (S as i64) < end, "{r:?}");
        assert_eq!(r.end_reason.map(|e| e.name()), Some("idle"), "{r:?}");
        assert_eq!(r.verdict.to_string(), "not_bittorrent", "{r:?}");
    }
    for r in &open {
        assert!(r.last_ns + 120 * (S as i64) >= end, "{r:?}");
        assert_eq!(r.verdict.to_string(), "undecided", "{r:?}");
    }
    let going: Vec<_> = going.collect();
    assert_eq!(going.len(), 1);
    assert!(going
        .iter()
        .all(|r| r.end_reason.is_none() && r.packets == 34));
}

#[test]
fn threads_and_snapshots_keep_the_records() {
    let frames = frames();
    let file = write_pcap(&frames);
    let (expected, _, _) = read(&frames, AnalyzerConfig::default().sweep_ns);
    for threads in [1, 2, 3] {
        let out = ShardedAnalyzer::new(config(S), threads)
            .window(64)
            .read_file(&file.0, |_| {})
            .expect("read");
        assert_eq!(lines(&out.records), expected, "{threads} threads");
    }
    // A pause mid-capture (the clock is in the snapshot).
    let mut reader = CaptureReader::open(&file.0).expect("open");
    let mut a = Analyzer::new(config(S));
    let mut n = 0;
    while let Some(p) = reader.next_packet().expect("read") {
        n += 1;
        if n % 1000 == 0 {
            let bytes = a.save();
            a = Analyzer::new(config(S));
            a.restore(&bytes).expect("restore");
        }
        a.frame(p.link_type, p.ts_nanos, p.data);
    }
    assert_eq!(lines(&a.finish()), expected);
}

/// A frame up to `SWEEP_LAG_NS` late meets its flow whatever the table's size: a growing
/// table full of new flows does not give away the slot of a flow whose timeout ran out by less
/// than that (UDP idles 120 s; the late frame comes 6 s after the others).
#[test]
fn a_late_frame_meets_its_flow_however_small_the_table_starts() {
    let f = ((1, 1_000), (2, 53));
    let mut frames = vec![(0, udp(f.0, f.1, b"?"))];
    for i in 0..40u16 {
        frames.push((121 * S, udp((7, 2_000 + i), (8, 53), b"?")));
    }
    frames.push((115 * S, udp(f.0, f.1, b"?")));
    let read = |first_slots: usize, sweep_ns: u64| {
        let mut analyzer = Analyzer::new(AnalyzerConfig {
            first_slots,
            ..config(sweep_ns)
        });
        for (t, frame) in &frames {
            analyzer.frame(1, i128::from(*t), frame);
        }
        lines(&analyzer.finish())
    };
    let expected = read(65_536, 0);
    assert_eq!(
        expected.lines().count(),
        2 * 41,
        "one flow for the late frame's"
    );
    for first_slots in [1, 4, 16] {
        for sweep_ns in [0, 1_000_000, S] {
            assert_eq!(
                read(first_slots, sweep_ns),
                expected,
                "{first_slots} {sweep_ns}"
            );
        }
    }
}
