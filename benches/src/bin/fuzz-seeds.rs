//! `fuzz-seeds DIR`: write seed corpora for the cargo-fuzz targets of `fuzz/` from the real
//! captures of `tests/captures`, one directory per target, in each target's input format
//! (see `fuzz/src/lib.rs`: a leading segmentation seed byte, and the flow record format).
#![allow(clippy::print_stderr)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use torclass_benches::{all_flows, capture, capture_names, read_frames, PcapWriter};
use torclass_core::packet::LinkType;
use torclass_core::{Direction, Transport};

/// Largest seed written, in bytes.
const MAX_SEED: usize = 16 * 1024;
/// Most seeds per target.
const MAX_SEEDS: usize = 400;

struct Corpus {
    dir: PathBuf,
    seen: HashSet<(String, Vec<u8>)>,
    counts: std::collections::BTreeMap<String, usize>,
}

impl Corpus {
    fn add(&mut self, target: &str, mut bytes: Vec<u8>) -> std::io::Result<()> {
        bytes.truncate(MAX_SEED);
        let count = self.counts.entry(target.to_owned()).or_default();
        if *count >= MAX_SEEDS || !self.seen.insert((target.to_owned(), bytes.clone())) {
            return Ok(());
        }
        *count += 1;
        let dir = self.dir.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("seed-{count:04}")), bytes)
    }
}

fn with_seed(seed: u8, bytes: &[u8]) -> Vec<u8> {
    let mut v = vec![seed];
    v.extend_from_slice(bytes);
    v
}

fn records(payloads: &[(Direction, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (d, p) in payloads {
        if out.len() + p.len() + 3 > MAX_SEED {
            break;
        }
        out.push(u8::from(*d == Direction::Responder));
        out.extend_from_slice(&(p.len() as u16).to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// Append a `[head][u16 LE length][bytes]` record.
fn push_record(out: &mut Vec<u8>, head: u8, bytes: &[u8]) {
    let bytes = &bytes[..bytes.len().min(usize::from(u16::MAX))];
    out.push(head);
    out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn run(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut c = Corpus {
        dir: dir.to_owned(),
        seen: HashSet::new(),
        counts: Default::default(),
    };
    for name in capture_names() {
        let frames = read_frames(&capture(&name))?;
        for f in frames.iter().step_by(7) {
            let which = LinkType::from_pcap(f.link_type)
                .and_then(|l| LinkType::ALL.iter().position(|x| *x == l))
                .unwrap_or(0) as u8;
            c.add("packet_decode", with_seed(which, &f.data))?;
        }
        // A small capture: its first 24 frames.
        let mut pcap = PcapWriter::new(Vec::new(), frames.first().map_or(1, |f| f.link_type))?;
        for f in frames.iter().take(24) {
            pcap.write(f.ts_nanos, &f.data)?;
        }
        c.add("capture_reader", pcap.into_inner())?;
        // ffi_api: no ops, then the capture's first frames as table records.
        let mut seed = vec![0, 0];
        for f in frames.iter().take(64) {
            let which = LinkType::from_pcap(f.link_type)
                .and_then(|l| LinkType::ALL.iter().position(|x| *x == l))
                .unwrap_or(0) as u8;
            push_record(&mut seed, which, &f.data);
        }
        c.add("ffi_payload", seed.clone())?;
        c.add("ffi_api", seed)?;
        // reassembly: the capture's first frames as records (length, link type, clock step).
        let mut seed = vec![0x47];
        for f in frames.iter().take(48) {
            let which = LinkType::from_pcap(f.link_type)
                .and_then(|l| LinkType::ALL.iter().position(|x| *x == l))
                .unwrap_or(0) as u8;
            let bytes = &f.data[..f.data.len().min(usize::from(u16::MAX))];
            seed.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
            seed.extend_from_slice(&[which, 1]);
            seed.extend_from_slice(bytes);
        }
        c.add("reassembly", seed)?;
    }
    for (i, (_, flow)) in all_flows()?.iter().enumerate() {
        let seed = (i % 251) as u8 + 1;
        // ffi_api: no ops, then the flow's payloads for C flow `i % 4`.
        let udp = if flow.transport() == Transport::Udp {
            0x40
        } else {
            0
        };
        let mut ffi = vec![0, 0];
        for (d, p) in &flow.payloads {
            let head = 0x80 | udp | ((i % 4) as u8) << 1 | u8::from(*d == Direction::Responder);
            push_record(&mut ffi, head, p);
        }
        c.add("ffi_payload", ffi.clone())?;
        c.add("ffi_api", ffi)?;
        match flow.transport() {
            Transport::Tcp => {
                c.add("flow_tcp", with_seed(seed, &records(&flow.payloads)))?;
                for d in [Direction::Initiator, Direction::Responder] {
                    let s = flow.stream(d);
                    if s.is_empty() {
                        continue;
                    }
                    let target = match s[0] {
                        0x13 | 0x00 => "peer_wire",
                        b'G' | b'H' => "http_tracker",
                        0x16 => "tls_hello",
                        _ => "magnet",
                    };
                    if s[0].is_ascii_uppercase() {
                        c.add("http_framer", with_seed(seed, &s))?;
                    }
                    c.add(target, with_seed(seed, &s))?;
                }
            }
            _ => {
                c.add("flow_udp", records(&flow.payloads))?;
                for (_, d) in flow.payloads.iter().take(100) {
                    for t in ["krpc", "utp", "udp_tracker", "lsd", "lookalike"] {
                        c.add(t, d.clone())?;
                    }
                    if d.first() == Some(&b'd') {
                        c.add("bencode", with_seed(seed, d))?;
                    }
                }
            }
        }
    }
    c.add("magnet", with_seed(3, b"GET /?m=magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=x HTTP/1.1\r\n"))?;
    for (t, n) in &c.counts {
        eprintln!("fuzz-seeds: {t}: {n}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: fuzz-seeds DIR");
        return ExitCode::from(1);
    };
    match run(Path::new(&dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fuzz-seeds: {e}");
            ExitCode::from(1)
        }
    }
}
