//! `reader-cost READER [ROUNDS]`: one reader over its inputs from the committed captures,
//! ROUNDS times (default 200), inside `run` so that callgrind counts only the reading
//! (`valgrind --tool=callgrind --toggle-collect='*reader_cost*run*' reader-cost gre`). The
//! instruction counts of the nom trials in BENCHMARKS.md ("Dependencies trials") come from it.
//!
//! READER is a tunnel (`gre`, `vxlan`, `pppoe`, `gtpu`, `mpls`: `packet::decode` of every frame
//! of `tunnel-READER.pcap`) or a datagram reader run on every UDP payload of every capture
//! (`utp`: `new_checked`, `is_plausible` and the extension walk; `lsd`, `udp_tracker`, `krpc`,
//! `socks_udp`), each in a `loop_*` function of its own (no `run` in their names: the toggle
//! would turn counting off again on entering them).
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::hint::black_box;
use std::process::ExitCode;

use torclass_benches::{all_flows, capture, read_frames, Frame};
use torclass_core::packet::{self, LinkType};
use torclass_core::wire::krpc::Krpc;
use torclass_core::wire::lsd::LsdAnnounce;
use torclass_core::wire::socks_udp::UdpHeader;
use torclass_core::wire::udp_tracker::{self, AddressFamily};
use torclass_core::wire::utp::UtpPacket;
use torclass_core::Transport;

/// What one round reads.
enum Inputs {
    Frames(Vec<Frame>),
    Datagrams(Vec<Vec<u8>>),
}

/// Each reader in a function of its own, so that a change in one does not move the
/// instruction counts of the others through the inlining of a shared loop.
macro_rules! readers {
    ($($name:ident => $read:expr;)*) => {
        $(
            #[inline(never)]
            fn $name(datagrams: &[Vec<u8>], rounds: u32) -> usize {
                let read: fn(&[u8]) -> bool = $read;
                let mut accepted = 0usize;
                for _ in 0..rounds {
                    for d in datagrams {
                        accepted += usize::from(read(black_box(&d[..])));
                    }
                }
                accepted
            }
        )*
    };
}

readers! {
    loop_utp => |d| UtpPacket::new_checked(d)
        .is_ok_and(|u| u.is_plausible() && black_box(u.extensions().count()) < 64);
    loop_lsd => |d| LsdAnnounce::parse(d).is_ok_and(|a| black_box(a.infohashes().count()) > 0);
    loop_udp_tracker => |d| udp_tracker::parse(d, None, AddressFamily::V4).is_ok();
    loop_krpc => |d| Krpc::parse(d).is_ok();
    loop_socks_udp => |d| UdpHeader::new_checked(d).is_ok_and(|h| black_box(h.port()) > 0);
}

#[inline(never)]
fn loop_frames(frames: &[Frame], rounds: u32) -> usize {
    let mut accepted = 0usize;
    for _ in 0..rounds {
        for f in frames {
            let link = LinkType::from_pcap(f.link_type).unwrap_or(LinkType::Ethernet);
            accepted += usize::from(packet::decode(link, black_box(&f.data)).is_ok());
        }
    }
    accepted
}

/// What callgrind counts (`--toggle-collect`): the reading of all rounds.
#[inline(never)]
fn run(reader: &str, inputs: &Inputs, rounds: u32) -> usize {
    match inputs {
        Inputs::Frames(frames) => loop_frames(frames, rounds),
        Inputs::Datagrams(d) => match reader {
            "utp" => loop_utp(d, rounds),
            "lsd" => loop_lsd(d, rounds),
            "udp_tracker" => loop_udp_tracker(d, rounds),
            "krpc" => loop_krpc(d, rounds),
            _ => loop_socks_udp(d, rounds),
        },
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let reader = args.next().unwrap_or_default();
    let rounds: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(200);
    let inputs = match reader.as_str() {
        "gre" | "vxlan" | "pppoe" | "gtpu" | "mpls" => {
            match read_frames(&capture(&format!("tunnel-{reader}"))) {
                Ok(frames) => Inputs::Frames(frames),
                Err(e) => {
                    eprintln!("reader-cost: {e}");
                    return ExitCode::from(1);
                }
            }
        }
        "utp" | "lsd" | "udp_tracker" | "krpc" | "socks_udp" => match all_flows() {
            Ok(flows) => Inputs::Datagrams(
                flows
                    .into_iter()
                    .filter(|(_, f)| f.transport() == Transport::Udp)
                    .flat_map(|(_, f)| f.payloads.into_iter().map(|(_, p)| p))
                    .collect(),
            ),
            Err(e) => {
                eprintln!("reader-cost: {e}");
                return ExitCode::from(1);
            }
        },
        _ => {
            eprintln!("usage: reader-cost gre|vxlan|pppoe|gtpu|mpls|utp|lsd|udp_tracker|krpc|socks_udp [ROUNDS]");
            return ExitCode::from(2);
        }
    };
    let n = match &inputs {
        Inputs::Frames(f) => f.len(),
        Inputs::Datagrams(d) => d.len(),
    };
    let accepted = run(&reader, &inputs, rounds);
    println!("{reader}: {n} inputs, {accepted} accepted over {rounds} rounds");
    ExitCode::SUCCESS
}
