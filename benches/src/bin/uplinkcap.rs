//! `uplinkcap OUT.pcap FRAMES [SEED]`: write a synthetic capture that looks like an ISP uplink
//! rather than like the project's own BitTorrent-heavy mix: mostly ordinary traffic, many short
//! flows and a few long ones, IPv4 and IPv6, some IP fragments, some frames torclass does not
//! read, and BitTorrent a minority. The same FRAMES and SEED (default 1) give the same file, byte
//! for byte. See BENCHMARKS.md ("The uplink-like capture") for the model and its sources.
//!
//! Flows (share of flows; packet shapes from the protocols' specifications):
//! - DNS over UDP 53 (30%): a query of 30–80 bytes, usually one answer of 60–250 bytes; 5% of
//!   answers are large EDNS0 replies sent as IPv4 fragments; 10% unanswered;
//! - TLS over TCP 443 (25%): three-way handshake, ClientHello (517 bytes), server flight of
//!   2–5 KB, then request/response records; response sizes from a Pareto distribution
//!   (α 1.3, 1 KB up to 5 MB): most flows are a few packets, a few are long downloads;
//! - QUIC over UDP 443 (12%): 1,200–1,350-byte Initial packets, then short-header packets
//!   with the same size distribution as TLS;
//! - plain HTTP over TCP 80 (5%), SSH (2%: banners, key exchange, then small interactive
//!   packets), game traffic (6%: 40–300-byte UDP datagrams both ways, 20–60 per second), RTP
//!   voice with a STUN binding first (3%: 172-byte datagrams every 20 ms), NTP (3%);
//! - a lone SYN (4%) or SYN + RST (2%): scans and refused connections;
//! - BitTorrent (8%): peer wire (half of it MSE/PE-shaped random bytes), DHT `get_peers`,
//!   UDP tracker connect + announce;
//! - frames of protocols that are not TCP or UDP (ARP, ICMP, LLDP): 3% of frames.
//!
//! TCP segments carry consistent sequence numbers (MSS 1,448; the receiver acknowledges every
//! second segment), so the flow table reads them in order. Flows start uniformly over
//! FRAMES / 10,000 seconds; TCP and UDP checksums are zero (nothing reads them).
#![allow(clippy::print_stderr)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use torclass_benches::PcapWriter;

/// SplitMix64: small, fast, reproducible on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// Random bytes, `lo..=hi` of them.
    fn blob(&mut self, lo: u64, hi: u64) -> Vec<u8> {
        let n = self.range(lo, hi) as usize;
        self.bytes(n)
    }
    /// Pareto with shape `alpha` and minimum `min`, capped at `max`.
    fn pareto(&mut self, alpha: f64, min: f64, max: f64) -> u64 {
        let u = 1.0 - self.unit();
        (min / u.powf(1.0 / alpha)).min(max) as u64
    }
}

#[derive(Clone, Copy)]
enum Addr {
    V4([u8; 4]),
    V6([u8; 16]),
}

/// Ethernet addresses of the two ends (client side, router side).
const MAC_CLIENT: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const MAC_ROUTER: [u8; 6] = [0x02, 0, 0, 0, 0, 2];

const TCP: u8 = 6;
const UDP: u8 = 17;
const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;
const MSS: usize = 1448;

/// One flow's frames, with times in nanoseconds.
struct Flow<'a> {
    rng: &'a mut Rng,
    out: &'a mut Vec<(u64, Vec<u8>)>,
    t: u64,
    client: (Addr, u16),
    server: (Addr, u16),
    /// Next sequence number of the client and of the server.
    seq: [u32; 2],
    ip_id: u16,
    /// Unacknowledged segments received by each side.
    unacked: [u8; 2],
}

impl Flow<'_> {
    fn ends(&self, from_client: bool) -> ((Addr, u16), (Addr, u16)) {
        if from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        }
    }

    fn wait(&mut self, lo_us: u64, hi_us: u64) {
        self.t += self.rng.range(lo_us, hi_us) * 1000;
    }

    fn frame(&mut self, from_client: bool, proto: u8, l4: &[u8]) {
        let ((src, _), (dst, _)) = self.ends(from_client);
        let mut f = Vec::with_capacity(l4.len() + 54);
        let (dmac, smac) = if from_client {
            (MAC_ROUTER, MAC_CLIENT)
        } else {
            (MAC_CLIENT, MAC_ROUTER)
        };
        f.extend_from_slice(&dmac);
        f.extend_from_slice(&smac);
        self.ip_id = self.ip_id.wrapping_add(1);
        match (src, dst) {
            (Addr::V4(s), Addr::V4(d)) => {
                let mtu_payload = 1480;
                if l4.len() <= mtu_payload {
                    f.extend_from_slice(&0x0800u16.to_be_bytes());
                    ipv4(&mut f, s, d, proto, self.ip_id, 0x4000, l4);
                    self.out.push((self.t, f));
                } else {
                    // Fragments of 1,480 bytes (a multiple of 8), the last one shorter.
                    for (i, part) in l4.chunks(mtu_payload).enumerate() {
                        let offset = (i * mtu_payload / 8) as u16;
                        let more = if (i + 1) * mtu_payload < l4.len() {
                            0x2000
                        } else {
                            0
                        };
                        let mut g = f.clone();
                        g.extend_from_slice(&0x0800u16.to_be_bytes());
                        ipv4(&mut g, s, d, proto, self.ip_id, more | offset, part);
                        self.out.push((self.t + i as u64 * 1000, g));
                    }
                }
            }
            (Addr::V6(s), Addr::V6(d)) => {
                f.extend_from_slice(&0x86ddu16.to_be_bytes());
                f.extend_from_slice(&[0x60, 0, 0, 0]);
                f.extend_from_slice(&(l4.len() as u16).to_be_bytes());
                f.extend_from_slice(&[proto, 64]);
                f.extend_from_slice(&s);
                f.extend_from_slice(&d);
                f.extend_from_slice(l4);
                self.out.push((self.t, f));
            }
            _ => {}
        }
    }

    fn udp(&mut self, from_client: bool, payload: &[u8]) {
        let ((_, sp), (_, dp)) = self.ends(from_client);
        let mut l4 = Vec::with_capacity(payload.len() + 8);
        l4.extend_from_slice(&sp.to_be_bytes());
        l4.extend_from_slice(&dp.to_be_bytes());
        l4.extend_from_slice(&((payload.len() + 8).min(65535) as u16).to_be_bytes());
        l4.extend_from_slice(&[0, 0]);
        l4.extend_from_slice(payload);
        self.frame(from_client, UDP, &l4);
    }

    fn tcp(&mut self, from_client: bool, flags: u8, payload: &[u8]) {
        let ((_, sp), (_, dp)) = self.ends(from_client);
        let (me, peer) = if from_client { (0, 1) } else { (1, 0) };
        let mut l4 = Vec::with_capacity(payload.len() + 20);
        l4.extend_from_slice(&sp.to_be_bytes());
        l4.extend_from_slice(&dp.to_be_bytes());
        l4.extend_from_slice(&self.seq[me].to_be_bytes());
        let ack = if flags & ACK != 0 { self.seq[peer] } else { 0 };
        l4.extend_from_slice(&ack.to_be_bytes());
        l4.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        l4.extend_from_slice(payload);
        let len = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        self.seq[me] = self.seq[me].wrapping_add(len);
        self.frame(from_client, TCP, &l4);
    }

    fn handshake(&mut self) {
        self.tcp(true, SYN, &[]);
        self.wait(5_000, 80_000);
        self.tcp(false, SYN | ACK, &[]);
        self.wait(5_000, 80_000);
        self.tcp(true, ACK, &[]);
    }

    /// `data` sent by one side in MSS segments; the other side acknowledges every second one.
    fn send(&mut self, from_client: bool, data: &[u8]) {
        let r = usize::from(!from_client);
        for chunk in data.chunks(MSS) {
            self.wait(20, 400);
            self.tcp(from_client, PSH | ACK, chunk);
            self.unacked[r] += 1;
            if self.unacked[r] >= 2 {
                self.unacked[r] = 0;
                self.wait(5, 50);
                self.tcp(!from_client, ACK, &[]);
            }
        }
    }

    fn close(&mut self) {
        self.wait(1_000, 50_000);
        self.tcp(true, FIN | ACK, &[]);
        self.wait(5_000, 80_000);
        self.tcp(false, FIN | ACK, &[]);
        self.wait(5_000, 80_000);
        self.tcp(true, ACK, &[]);
    }
}

fn ipv4(f: &mut Vec<u8>, s: [u8; 4], d: [u8; 4], proto: u8, id: u16, frag: u16, l4: &[u8]) {
    let start = f.len();
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&((l4.len() + 20) as u16).to_be_bytes());
    f.extend_from_slice(&id.to_be_bytes());
    f.extend_from_slice(&frag.to_be_bytes());
    f.extend_from_slice(&[64, proto, 0, 0]);
    f.extend_from_slice(&s);
    f.extend_from_slice(&d);
    let mut sum: u32 = f[start..start + 20]
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    f[start + 10..start + 12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    f.extend_from_slice(l4);
}

fn bencode_str(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(s.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(s);
}

fn dns_name(rng: &mut Rng) -> Vec<u8> {
    let mut name = Vec::new();
    for _ in 0..rng.range(2, 4) {
        let n = rng.range(2, 12) as usize;
        name.push(n as u8);
        name.extend((0..n).map(|_| b'a' + (rng.next() % 26) as u8));
    }
    name.push(0);
    name
}

/// A TLS record of `len` body bytes of type `kind`.
fn tls_record(rng: &mut Rng, kind: u8, len: usize) -> Vec<u8> {
    let mut r = vec![kind, 3, 3];
    r.extend_from_slice(&(len.min(16_401) as u16).to_be_bytes());
    r.extend(rng.bytes(len.min(16_401)));
    r
}

fn response_size(rng: &mut Rng) -> usize {
    rng.pareto(1.3, 1_000.0, 5_000_000.0) as usize
}

/// Generate one flow of a kind drawn by its share.
fn flow(f: &mut Flow<'_>, kind: u64) {
    match kind {
        // DNS.
        0..=29 => {
            f.server.1 = 53;
            let id = f.rng.bytes(2);
            let name = dns_name(f.rng);
            let mut q = id.clone();
            q.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
            q.extend_from_slice(&name);
            q.extend_from_slice(&[0, 1, 0, 1]);
            f.udp(true, &q);
            if f.rng.chance(0.9) {
                f.wait(2_000, 60_000);
                let mut a = id;
                let big = f.rng.chance(0.05) && matches!(f.client.0, Addr::V4(_));
                a.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
                a.extend_from_slice(&name);
                a.extend_from_slice(&[0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0]);
                let rdata = if big {
                    f.rng.range(1_600, 3_800)
                } else {
                    f.rng.range(4, 180)
                };
                a.extend_from_slice(&(rdata as u16).to_be_bytes());
                a.extend(f.rng.bytes(rdata as usize));
                f.udp(false, &a);
            }
        }
        // TLS.
        30..=54 => {
            f.server.1 = 443;
            f.handshake();
            let mut hello = vec![0x16, 3, 1, 2, 0, 1, 0, 1, 0xfc, 3, 3];
            hello.extend(f.rng.bytes(506));
            f.send(true, &hello);
            f.wait(10_000, 80_000);
            let flight = {
                let n = f.rng.range(2_000, 5_000) as usize;
                tls_record(f.rng, 0x16, n)
            };
            f.send(false, &flight);
            for _ in 0..f.rng.range(1, 4) {
                f.wait(1_000, 30_000);
                let req = {
                    let n = f.rng.range(80, 900) as usize;
                    tls_record(f.rng, 0x17, n)
                };
                f.send(true, &req);
                f.wait(10_000, 80_000);
                let mut left = response_size(f.rng);
                while left > 0 {
                    let n = left.min(16_384);
                    let rec = tls_record(f.rng, 0x17, n);
                    f.send(false, &rec);
                    left -= n;
                }
            }
            f.close();
        }
        // QUIC.
        55..=66 => {
            f.server.1 = 443;
            let mut initial = vec![0xc3, 0, 0, 0, 1, 8];
            initial.extend(f.rng.blob(1_194, 1_344));
            f.udp(true, &initial);
            f.wait(10_000, 80_000);
            let mut reply = vec![0xc1, 0, 0, 0, 1, 0];
            reply.extend(f.rng.blob(1_194, 1_344));
            f.udp(false, &reply);
            let mut left = response_size(f.rng);
            let mut n = 0;
            while left > 0 {
                let size = left.min(1_350);
                let mut p = vec![0x40 | (f.rng.next() as u8 & 0x3f)];
                p.extend(f.rng.bytes(size));
                f.wait(20, 400);
                f.udp(false, &p);
                left -= size;
                n += 1;
                if n % 4 == 0 {
                    let mut ack = vec![0x40 | (f.rng.next() as u8 & 0x3f)];
                    ack.extend(f.rng.blob(30, 60));
                    f.udp(true, &ack);
                }
            }
        }
        // Plain HTTP.
        67..=71 => {
            f.server.1 = 80;
            f.handshake();
            let req = format!(
                "GET /static/{}.js HTTP/1.1\r\nHost: cdn{}.example.net\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n",
                f.rng.next() % 100_000,
                f.rng.next() % 100
            );
            f.send(true, req.as_bytes());
            f.wait(10_000, 80_000);
            let body = response_size(f.rng).min(2_000_000);
            let mut resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nContent-Length: {body}\r\n\r\n"
            )
            .into_bytes();
            resp.extend(std::iter::repeat_n(b'x', body));
            f.send(false, &resp);
            f.close();
        }
        // SSH.
        72..=73 => {
            f.server.1 = 22;
            f.handshake();
            f.send(false, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
            f.send(true, b"SSH-2.0-OpenSSH_9.6\r\n");
            let kex = f.rng.bytes(1_500);
            f.send(true, &kex);
            let kex = f.rng.bytes(1_100);
            f.send(false, &kex);
            for _ in 0..f.rng.range(5, 60) {
                f.wait(50_000, 400_000);
                let p = f.rng.bytes(36);
                f.send(true, &p);
                let p = f.rng.blob(36, 300);
                f.send(false, &p);
            }
            f.close();
        }
        // Games.
        74..=79 => {
            f.server.1 = f.rng.range(27_000, 28_000) as u16;
            for _ in 0..f.rng.range(10, 100) {
                f.wait(16_000, 50_000);
                let p = f.rng.blob(40, 160);
                f.udp(true, &p);
                let p = f.rng.blob(60, 300);
                f.udp(false, &p);
            }
        }
        // Voice: a STUN binding, then RTP both ways.
        80..=82 => {
            f.server.1 = f.rng.range(16_384, 32_767) as u16;
            let mut stun = vec![0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42];
            stun.extend(f.rng.bytes(12));
            f.udp(true, &stun);
            let ssrc = [f.rng.bytes(4), f.rng.bytes(4)];
            for seq in 0..f.rng.range(25, 250) as u16 {
                f.wait(19_000, 21_000);
                for (side, s) in ssrc.iter().enumerate() {
                    let mut p = vec![0x80, 0x6f];
                    p.extend_from_slice(&seq.to_be_bytes());
                    p.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
                    p.extend_from_slice(s);
                    p.extend(f.rng.bytes(160));
                    f.udp(side == 0, &p);
                }
            }
        }
        // NTP.
        83..=85 => {
            f.server.1 = 123;
            let mut q = vec![0x23];
            q.extend(vec![0; 39]);
            q.extend(f.rng.bytes(8));
            f.udp(true, &q);
            f.wait(5_000, 60_000);
            let mut a = vec![0x24, 2];
            a.extend(f.rng.bytes(46));
            f.udp(false, &a);
        }
        // A lone SYN, or SYN + RST.
        86..=89 => {
            f.server.1 = [22, 23, 80, 443, 445, 3389, 8080][(f.rng.next() % 7) as usize];
            f.tcp(true, SYN, &[]);
        }
        90..=91 => {
            f.server.1 = f.rng.range(1, 10_000) as u16;
            f.tcp(true, SYN, &[]);
            f.wait(1_000, 50_000);
            f.tcp(false, RST | ACK, &[]);
        }
        // BitTorrent peer wire, plaintext or MSE-shaped.
        92..=95 => {
            f.server.1 = f.rng.range(10_000, 65_000) as u16;
            f.handshake();
            if f.rng.chance(0.5) {
                let mut hs = vec![19];
                hs.extend_from_slice(b"BitTorrent protocol");
                hs.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 5]);
                let info_hash = f.rng.bytes(20);
                hs.extend_from_slice(&info_hash);
                let mut mine = hs.clone();
                mine.extend(f.rng.bytes(20));
                f.send(true, &mine);
                f.wait(10_000, 80_000);
                hs.extend(f.rng.bytes(20));
                hs.extend_from_slice(&[0, 0, 0, 33, 5]);
                hs.extend(f.rng.bytes(32));
                f.send(false, &hs);
                f.send(true, &[0, 0, 0, 1, 2]);
                f.send(false, &[0, 0, 0, 1, 1]);
                for i in 0..f.rng.range(1, 60) as u32 {
                    let mut req = vec![0, 0, 0, 13, 6];
                    req.extend_from_slice(&i.to_be_bytes());
                    req.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x40, 0]);
                    f.send(true, &req);
                    let mut piece = vec![0, 0, 0x40, 9, 7];
                    piece.extend_from_slice(&i.to_be_bytes());
                    piece.extend_from_slice(&[0, 0, 0, 0]);
                    piece.extend(f.rng.bytes(16_384));
                    f.send(false, &piece);
                }
            } else {
                let a = f.rng.blob(96, 608);
                f.send(true, &a);
                let b = f.rng.blob(96, 608);
                f.send(false, &b);
                let a = f.rng.blob(100, 400);
                f.send(true, &a);
                let mut left = response_size(f.rng);
                while left > 0 {
                    let n = left.min(16_397);
                    let p = f.rng.bytes(n);
                    f.send(false, &p);
                    left -= n;
                }
            }
            f.close();
        }
        // DHT get_peers.
        96..=98 => {
            f.server.1 = f.rng.range(1_025, 65_000) as u16;
            let t = f.rng.bytes(2);
            let mut q = b"d1:ad2:id".to_vec();
            bencode_str(&mut q, &f.rng.bytes(20));
            q.extend_from_slice(b"9:info_hash");
            bencode_str(&mut q, &f.rng.bytes(20));
            q.extend_from_slice(b"e1:q9:get_peers1:t");
            bencode_str(&mut q, &t);
            q.extend_from_slice(b"1:y1:qe");
            f.udp(true, &q);
            if f.rng.chance(0.7) {
                f.wait(10_000, 200_000);
                let mut r = b"d1:rd2:id".to_vec();
                bencode_str(&mut r, &f.rng.bytes(20));
                r.extend_from_slice(b"5:nodes");
                bencode_str(&mut r, &f.rng.bytes(208));
                r.extend_from_slice(b"5:token");
                bencode_str(&mut r, &f.rng.bytes(8));
                r.extend_from_slice(b"e1:t");
                bencode_str(&mut r, &t);
                r.extend_from_slice(b"1:y1:re");
                f.udp(false, &r);
            }
        }
        // UDP tracker: connect, announce.
        _ => {
            f.server.1 = [6969, 1337, 80, 451][(f.rng.next() % 4) as usize];
            let tx = f.rng.bytes(4);
            let mut c = 0x417_2710_1980u64.to_be_bytes().to_vec();
            c.extend_from_slice(&[0, 0, 0, 0]);
            c.extend_from_slice(&tx);
            f.udp(true, &c);
            f.wait(10_000, 100_000);
            let conn = f.rng.bytes(8);
            let mut r = vec![0, 0, 0, 0];
            r.extend_from_slice(&tx);
            r.extend_from_slice(&conn);
            f.udp(false, &r);
            let mut a = conn;
            a.extend_from_slice(&[0, 0, 0, 1]);
            a.extend_from_slice(&tx);
            a.extend(f.rng.bytes(40));
            a.extend_from_slice(&[0; 24]);
            a.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 0]);
            a.extend(f.rng.bytes(4));
            a.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x1a, 0xe1]);
            f.udp(true, &a);
            f.wait(10_000, 100_000);
            let mut r = vec![0, 0, 0, 1];
            r.extend_from_slice(&tx);
            r.extend_from_slice(&[0, 0, 0x07, 0x08, 0, 0, 0, 3, 0, 0, 0, 9]);
            let peers = 6 * f.rng.range(0, 50) as usize;
            r.extend(f.rng.bytes(peers));
            f.udp(false, &r);
        }
    }
}

/// A frame torclass does not read: ARP, ICMP echo, or LLDP.
fn other_frame(rng: &mut Rng) -> Vec<u8> {
    let mut f = Vec::with_capacity(98);
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&MAC_CLIENT);
    match rng.next() % 3 {
        0 => {
            f.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
            f.extend_from_slice(&MAC_CLIENT);
            f.extend(rng.bytes(4));
            f.extend_from_slice(&[0; 6]);
            f.extend(rng.bytes(4));
        }
        1 => {
            f.extend_from_slice(&[0x08, 0x00]);
            let mut icmp = vec![8, 0, 0, 0];
            icmp.extend(rng.bytes(60));
            ipv4(&mut f, [10, 0, 0, 9], [192, 0, 2, 1], 1, 0, 0, &icmp);
        }
        _ => {
            f.extend_from_slice(&[0x88, 0xcc]);
            f.extend(rng.bytes(40));
        }
    }
    f
}

fn address(rng: &mut Rng, v6: bool, local: bool) -> Addr {
    if v6 {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(if local {
            &[0xfd, 0, 0, 1]
        } else {
            &[0x20, 1, 0x0d, 0xb8]
        });
        for b in &mut a[8..] {
            *b = rng.next() as u8;
        }
        if local {
            a[8..14].fill(0);
            a[14] = (rng.next() % 8) as u8;
        }
        Addr::V6(a)
    } else if local {
        // About 2,000 subscribers.
        Addr::V4([10, 1, (rng.next() % 8) as u8, rng.next() as u8])
    } else {
        let mut a = [0u8; 4];
        for b in &mut a {
            *b = rng.range(1, 223) as u8;
        }
        Addr::V4(a)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(Ok(want))) = (args.get(1), args.get(2).map(|n| n.parse::<usize>())) else {
        eprintln!("usage: uplinkcap OUT.pcap FRAMES [SEED]");
        return ExitCode::from(1);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1u64);
    let mut rng = Rng(seed);
    let span = (want as u64 / 10_000).max(1) * 1_000_000_000;
    let mut frames: Vec<(u64, Vec<u8>)> = Vec::with_capacity(want + want / 8);
    let mut flows = 0u64;
    let mut fragments = 0;
    while frames.len() < want {
        let v6 = rng.chance(0.2);
        let start = rng.next() % span;
        let client = (
            address(&mut rng, v6, true),
            rng.range(32_768, 60_999) as u16,
        );
        let server = (address(&mut rng, v6, false), 0);
        let kind = rng.next() % 100;
        let mut sub = Rng(rng.next());
        let mut f = Flow {
            rng: &mut sub,
            out: &mut frames,
            t: start,
            client,
            server,
            seq: [rng.next() as u32, rng.next() as u32],
            ip_id: rng.next() as u16,
            unacked: [0, 0],
        };
        let before = f.out.len();
        flow(&mut f, kind);
        fragments += frames[before..]
            .iter()
            .filter(|(_, fr)| {
                fr.len() > 21 && fr[12] == 8 && fr[13] == 0 && (fr[20] & 0x3f != 0 || fr[21] != 0)
            })
            .count();
        flows += 1;
        for _ in 0..(frames.len() - before) * 3 / 97 {
            let t = rng.next() % span;
            frames.push((t, other_frame(&mut rng)));
        }
    }
    frames.truncate(want);
    frames.sort_by_key(|(t, _)| *t);
    let write = || -> std::io::Result<()> {
        let mut w = PcapWriter::new(BufWriter::new(File::create(out)?), 1)?;
        for (t, frame) in &frames {
            w.write(i128::from(*t) + 1_700_000_000_000_000_000, frame)?;
        }
        w.into_inner().flush()
    };
    if let Err(e) = write() {
        eprintln!("uplinkcap: {out}: {e}");
        return ExitCode::from(1);
    }
    eprintln!(
        "uplinkcap: wrote {} frames of {flows} flows ({fragments} IPv4 fragments) to {out}",
        frames.len()
    );
    ExitCode::SUCCESS
}
