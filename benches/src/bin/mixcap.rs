//! `mixcap OUT.pcap PACKETS [FLOW_PREFIX]` (OUT `-`: standard output): write a large mixed capture of at least PACKETS
//! frames from the real captures of `tests/captures` (BitTorrent and not), replicated: copy
//! `k` has its IP addresses rewritten (see `rewrite_addresses`) so every copy's flows are
//! distinct. Copies are interleaved frame by frame (frame i of every copy, then frame i+1) with
//! the same timestamps, so all copies' flows are open at once, like concurrent users.
//!
//! With FLOW_PREFIX, each copy keeps only the first FLOW_PREFIX frames of each flow: many
//! short flows (the soak uses this to reach a million concurrent flows).
#![allow(clippy::print_stderr)]

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

use torclass_benches::{capture, capture_names, read_frames, rewrite_addresses, Frame, PcapWriter};
use torclass_core::packet::{self, LinkType};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(Ok(want))) = (args.get(1), args.get(2).map(|n| n.parse::<u64>())) else {
        eprintln!("usage: mixcap OUT.pcap PACKETS [FLOW_PREFIX]");
        return ExitCode::from(1);
    };
    let prefix = args.get(3).and_then(|n| n.parse::<usize>().ok());
    match run(out, want, prefix) {
        Ok((packets, copies)) => {
            eprintln!("mixcap: wrote {packets} packets ({copies} copies) to {out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mixcap: {e}");
            ExitCode::from(1)
        }
    }
}

/// One copy's frames, merged from every capture in time order, relative to each capture's
/// start.
fn template(prefix: Option<usize>) -> Result<Vec<Frame>, Box<dyn std::error::Error>> {
    let mut all = Vec::new();
    for name in capture_names() {
        let frames = read_frames(&capture(&name))?;
        let start = frames.first().map_or(0, |f| f.ts_nanos);
        let mut seen: HashMap<_, usize> = HashMap::new();
        for mut f in frames {
            if let Some(limit) = prefix {
                let key = LinkType::from_pcap(f.link_type)
                    .and_then(|l| packet::decode(l, &f.data).ok())
                    .map(|p| {
                        let (a, b) = (p.key.src, p.key.dst);
                        (p.key.transport, a.min(b), a.max(b))
                    });
                let Some(key) = key else { continue };
                let n = seen.entry(key).or_default();
                *n += 1;
                if *n > limit {
                    continue;
                }
            }
            f.ts_nanos -= start;
            all.push(f);
        }
    }
    all.sort_by_key(|f| f.ts_nanos);
    Ok(all)
}

fn run(
    out: &str,
    want: u64,
    prefix: Option<usize>,
) -> Result<(u64, u16), Box<dyn std::error::Error>> {
    let frames = template(prefix)?;
    if frames.is_empty() {
        return Err("no frames in tests/captures".into());
    }
    let link = frames[0].link_type;
    let sink: Box<dyn std::io::Write> = if out == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(File::create(out)?)
    };
    let mut w = PcapWriter::new(BufWriter::with_capacity(1 << 20, sink), link)?;
    let base: i128 = 1_700_000_000_000_000_000;
    let copies = want.div_ceil(frames.len() as u64);
    let copies = u16::try_from(copies).map_err(|_| "too many copies (more than 65535)")?;
    let mut buf = Vec::new();
    let mut packets = 0u64;
    for f in &frames {
        for k in 0..copies {
            buf.clear();
            buf.extend_from_slice(&f.data);
            rewrite_addresses(&mut buf, k);
            w.write(base + f.ts_nanos, &buf)?;
            packets += 1;
        }
    }
    std::io::Write::flush(&mut w.into_inner())?;
    Ok((packets, copies))
}
