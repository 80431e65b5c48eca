//! `table-cost MODE [ROUNDS]`: the work of the `table/*` criterion benches, without criterion,
//! for counting instructions on a loaded machine (`valgrind --tool=cachegrind --cache-sim=no`),
//! where wall-clock benches are noise. Reads every committed capture's frames into memory,
//! then ROUNDS times (default 20) runs MODE over all of them with a fresh 4,096-slot table:
//! `setup` (only the tables), `decode` (decode only), `process` (decode, then
//! `FlowTable::process`) or `learning` (decode, then `FlowTable::process_learning` with a
//! 4,096-entry endpoint cache). What the criterion bench `table/decode_process_fresh_table`
//! measures per packet is (Ir(process) − Ir(setup)) / (ROUNDS × packets), the table's own
//! share (Ir(process) − Ir(decode)) / (ROUNDS × packets); prints the packet count and the wall
//! time per packet.
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use torclass_benches::{capture, capture_names, read_frames, Frame};
use torclass_core::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use torclass_core::packet::{self, LinkType};
use torclass_core::table::{FlowTable, Slot, TableConfig};
use torclass_core::Metadata;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let rounds: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(20);
    let Ok(frames) = capture_names()
        .iter()
        .map(|n| read_frames(&capture(n)))
        .collect::<Result<Vec<Vec<Frame>>, _>>()
    else {
        eprintln!("table-cost: cannot read the captures");
        return ExitCode::from(1);
    };
    let frames: Vec<Frame> = frames.into_iter().flatten().collect();
    let start = Instant::now();
    for _ in 0..rounds {
        let mut table: FlowTable<Box<[Slot<Metadata>]>> = FlowTable::new(
            vec![Slot::default(); 4096].into_boxed_slice(),
            TableConfig::default(),
        );
        let mut cache = EndpointCache::new(
            vec![CacheEntry::default(); 4096].into_boxed_slice(),
            CacheConfig::default(),
        );
        if mode == "setup" {
            black_box((&mut table, &mut cache));
            continue;
        }
        for f in &frames {
            let link = LinkType::from_pcap(f.link_type).unwrap_or(LinkType::Ethernet);
            let Ok(p) = packet::decode(link, black_box(&f.data)) else {
                continue;
            };
            let now = f.ts_nanos as u64;
            match mode.as_str() {
                "decode" => {
                    black_box(&p);
                }
                "process" => {
                    let _ = black_box(table.process(&p, now, |s| {
                        black_box(s);
                    }));
                }
                "learning" => {
                    let _ = black_box(table.process_learning(&p, now, &mut cache, |s| {
                        black_box(s);
                    }));
                }
                _ => {
                    eprintln!("usage: table-cost setup|decode|process|learning [ROUNDS]");
                    return ExitCode::from(2);
                }
            }
        }
    }
    let n = frames.len() as u64 * u64::from(rounds);
    println!(
        "{mode}: {} packets x {rounds} rounds, {:.1} ns per packet (wall)",
        frames.len(),
        start.elapsed().as_nanos() as f64 / n as f64
    );
    ExitCode::SUCCESS
}
