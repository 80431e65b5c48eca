//! `bare-walk FILE...`: the floor of any classifier over a capture. Reads every frame with the
//! same reader as `torclass classify`, decodes it, and looks its flow up (inserting it when new)
//! in a hash map keyed by the direction-independent 5-tuple, touching a per-flow counter; no
//! classification. Prints frames, decoded packets and flows.
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::collections::HashMap;
use std::process::ExitCode;

use torclass_capture::CaptureReader;
use torclass_core::packet::{self, Endpoint, LinkType};
use torclass_core::Transport;

fn main() -> ExitCode {
    let mut flows: HashMap<(Transport, Endpoint, Endpoint), u64> = HashMap::with_capacity(1 << 18);
    let (mut frames, mut decoded) = (0u64, 0u64);
    for path in std::env::args_os().skip(1) {
        let mut reader = match CaptureReader::open(path.as_ref()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("bare-walk: {e}");
                return ExitCode::from(1);
            }
        };
        let read = reader.for_each_packet(|raw| {
            frames += 1;
            let Some(link) = LinkType::from_pcap(raw.link_type) else {
                return;
            };
            if let Ok(p) = packet::decode(link, raw.data) {
                decoded += 1;
                let (a, b) = (p.key.src, p.key.dst);
                let key = (p.key.transport, a.min(b), a.max(b));
                *flows.entry(key).or_default() += 1;
            }
        });
        if let Err(e) = read {
            eprintln!("bare-walk: {e}");
            return ExitCode::from(2);
        }
    }
    println!("frames {frames} decoded {decoded} flows {}", flows.len());
    ExitCode::SUCCESS
}
