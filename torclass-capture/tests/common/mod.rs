//! A tiny pcap/pcapng writer for tests, just enough to build files byte by byte, Ethernet
//! frames of TCP and UDP to put in them, and the list of committed captures.
#![allow(dead_code)]

pub mod both;

use std::path::{Path, PathBuf};

/// Every committed capture (tests/captures/*.pcap and *.pcapng), sorted.
pub fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/captures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/captures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no captures in {}", dir.display());
    files
}

/// Append `v` in the chosen byte order.
fn u16b(out: &mut Vec<u8>, v: u16, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

fn u32b(out: &mut Vec<u8>, v: u32, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

/// A classic pcap file header.
pub fn pcap_header(be: bool, nanos: bool, link_type: u32, snaplen: u32) -> Vec<u8> {
    let mut out = Vec::new();
    u32b(&mut out, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }, be);
    u16b(&mut out, 2, be);
    u16b(&mut out, 4, be);
    u32b(&mut out, 0, be);
    u32b(&mut out, 0, be);
    u32b(&mut out, snaplen, be);
    u32b(&mut out, link_type, be);
    out
}

/// A pcap record.
pub fn pcap_record(out: &mut Vec<u8>, be: bool, secs: u32, frac: u32, data: &[u8], orig_len: u32) {
    u32b(out, secs, be);
    u32b(out, frac, be);
    u32b(out, data.len() as u32, be);
    u32b(out, orig_len, be);
    out.extend_from_slice(data);
}

/// A pcapng block of `block_type` around `body` (padded to 4 bytes).
pub fn block(be: bool, block_type: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let len = (12 + padded) as u32;
    let mut out = Vec::new();
    u32b(&mut out, block_type, be);
    u32b(&mut out, len, be);
    out.extend_from_slice(body);
    out.resize(8 + padded, 0);
    u32b(&mut out, len, be);
    out
}

/// A section header block with no options.
pub fn shb(be: bool) -> Vec<u8> {
    let mut body = Vec::new();
    u32b(&mut body, 0x1A2B_3C4D, be);
    u16b(&mut body, 1, be);
    u16b(&mut body, 0, be);
    body.extend_from_slice(&[0xff; 8]);
    block(be, 0x0A0D_0D0A, &body)
}

/// An interface description block with optional if_tsresol and if_tsoffset.
pub fn idb(
    be: bool,
    link_type: u16,
    snaplen: u32,
    tsresol: Option<u8>,
    tsoffset: Option<i64>,
) -> Vec<u8> {
    let mut body = Vec::new();
    u16b(&mut body, link_type, be);
    u16b(&mut body, 0, be);
    u32b(&mut body, snaplen, be);
    if let Some(r) = tsresol {
        u16b(&mut body, 9, be);
        u16b(&mut body, 1, be);
        body.extend_from_slice(&[r, 0, 0, 0]);
    }
    if let Some(o) = tsoffset {
        u16b(&mut body, 14, be);
        u16b(&mut body, 8, be);
        body.extend_from_slice(&if be { o.to_be_bytes() } else { o.to_le_bytes() });
    }
    if tsresol.is_some() || tsoffset.is_some() {
        u32b(&mut body, 0, be); // opt_endofopt
    }
    block(be, 1, &body)
}

/// An enhanced packet block.
pub fn epb(be: bool, interface: u32, ticks: u64, data: &[u8], orig_len: u32) -> Vec<u8> {
    let mut body = Vec::new();
    u32b(&mut body, interface, be);
    u32b(&mut body, (ticks >> 32) as u32, be);
    u32b(&mut body, ticks as u32, be);
    u32b(&mut body, data.len() as u32, be);
    u32b(&mut body, orig_len, be);
    body.extend_from_slice(data);
    block(be, 6, &body)
}

/// A simple packet block.
pub fn spb(be: bool, data: &[u8], orig_len: u32) -> Vec<u8> {
    let mut body = Vec::new();
    u32b(&mut body, orig_len, be);
    body.extend_from_slice(data);
    block(be, 3, &body)
}

/// An obsolete packet block.
pub fn pb(be: bool, interface: u16, ticks: u64, data: &[u8], orig_len: u32) -> Vec<u8> {
    let mut body = Vec::new();
    u16b(&mut body, interface, be);
    u16b(&mut body, 0, be);
    u32b(&mut body, (ticks >> 32) as u32, be);
    u32b(&mut body, ticks as u32, be);
    u32b(&mut body, data.len() as u32, be);
    u32b(&mut body, orig_len, be);
    body.extend_from_slice(data);
    block(be, 2, &body)
}

/// An Ethernet + IPv4 frame from host `a` to host `b` (10.1.0.a → 10.1.0.b), with `l4` after
/// the IP header (protocol `proto`).
pub fn ipv4(a: u8, b: u8, proto: u8, l4: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, b, 2, 0, 0, 0, 0, a, 0x08, 0x00];
    let total = (20 + l4.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0, 10, 1, 0, a, 10, 1, 0, b]);
    f.extend_from_slice(l4);
    f
}

/// A TCP segment from (host, port) `a` to `b` in a frame of [`ipv4`].
pub fn tcp(a: (u8, u16), b: (u8, u16), seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&a.1.to_be_bytes());
    t.extend_from_slice(&b.1.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    ipv4(a.0, b.0, 6, &t)
}

/// A UDP datagram from (host, port) `a` to `b` in a frame of [`ipv4`].
pub fn udp(a: (u8, u16), b: (u8, u16), payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&a.1.to_be_bytes());
    u.extend_from_slice(&b.1.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    ipv4(a.0, b.0, 17, &u)
}

/// `n` pseudo-random bytes (a xorshift stream from `seed`).
pub fn random(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}
