//! Frames for the corpus, built byte by byte: Ethernet, IPv4 (with fragments), IPv6 (with
//! Fragment headers, RFC 8200 §4.5), TCP (RFC 9293, with the urgent pointer) and UDP, with
//! correct checksums, and the TCP and UDP conversations the cases are written in.

use std::net::{IpAddr, SocketAddr};

/// The side of a conversation: `A` opened it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// The opener (TCP SYN sender, first UDP datagram).
    A,
    /// The other side.
    B,
}

/// TCP flag bits (RFC 9293 §3.1).
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
}

/// A sequence of Ethernet frames with nanosecond timestamps.
#[derive(Clone, Debug)]
pub struct Trace {
    /// `(timestamp ns, frame)` in capture order.
    pub frames: Vec<(u64, Vec<u8>)>,
    /// The timestamp of the next frame.
    pub now: u64,
    ip_id: u16,
}

impl Default for Trace {
    fn default() -> Self {
        Self::new()
    }
}

fn mac(ip: IpAddr) -> [u8; 6] {
    let o = match ip {
        IpAddr::V4(v) => v.octets()[2..4].to_vec(),
        IpAddr::V6(v) => v.octets()[14..16].to_vec(),
    };
    [0x02, 0x77, 0, 0, o[0], o[1]]
}

fn checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum = 0u32;
    let mut odd: Option<u8> = None;
    for chunk in chunks {
        for &b in *chunk {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn pseudo_header(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::new();
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&[0, proto]);
            p.extend_from_slice(&(len as u16).to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&(len as u32).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, proto]);
        }
        _ => panic!("mixed address families"),
    }
    p
}

/// A TCP segment (header without options, then `payload`) from `src` to `dst`.
#[allow(clippy::too_many_arguments)]
pub fn tcp_segment(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    urgent: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut h = Vec::with_capacity(20 + payload.len());
    h.extend_from_slice(&src.port().to_be_bytes());
    h.extend_from_slice(&dst.port().to_be_bytes());
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(&ack.to_be_bytes());
    h.push(5 << 4);
    h.push(flags);
    h.extend_from_slice(&window.to_be_bytes());
    h.extend_from_slice(&[0, 0]);
    h.extend_from_slice(&urgent.to_be_bytes());
    h.extend_from_slice(payload);
    let c = checksum(&[&pseudo_header(src.ip(), dst.ip(), 6, h.len()), &h]);
    h[16..18].copy_from_slice(&c.to_be_bytes());
    h
}

/// A UDP datagram from `src` to `dst`.
pub fn udp_datagram(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut h = Vec::with_capacity(len);
    h.extend_from_slice(&src.port().to_be_bytes());
    h.extend_from_slice(&dst.port().to_be_bytes());
    h.extend_from_slice(&(len as u16).to_be_bytes());
    h.extend_from_slice(&[0, 0]);
    h.extend_from_slice(payload);
    let c = match checksum(&[&pseudo_header(src.ip(), dst.ip(), 17, len), &h]) {
        0 => 0xffff,
        c => c,
    };
    h[6..8].copy_from_slice(&c.to_be_bytes());
    h
}

/// How the IP layer carries one transport segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carry {
    /// One unfragmented packet.
    Whole,
    /// Fragments whose IP payloads are cut at these byte offsets (multiples of 8), sent in
    /// order; over IPv6 each carries a Fragment header.
    Fragments(&'static [usize]),
    /// Fragments cut at these offsets, sent last fragment first.
    FragmentsReversed(&'static [usize]),
    /// IPv6 only: one packet with an atomic Fragment header (offset 0, M = 0; RFC 6946).
    AtomicFragment,
}

impl Trace {
    /// An empty trace starting at 2023-11-14 22:13:20 UTC.
    pub fn new() -> Self {
        Self {
            frames: Vec::new(),
            now: 1_700_000_000_000_000_000,
            ip_id: 0x1000,
        }
    }

    /// Let `ns` nanoseconds pass.
    pub fn advance(&mut self, ns: u64) {
        self.now += ns;
    }

    fn push_frame(&mut self, src: IpAddr, dst: IpAddr, ethertype: u16, ip: &[u8]) {
        let mut f = Vec::with_capacity(14 + ip.len());
        f.extend_from_slice(&mac(dst));
        f.extend_from_slice(&mac(src));
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(ip);
        self.frames.push((self.now, f));
        self.now += 50_000;
    }

    /// Send transport bytes `l4` (protocol `proto`) from `src` to `dst`, carried as `carry`.
    pub fn ip(&mut self, src: IpAddr, dst: IpAddr, proto: u8, l4: &[u8], carry: Carry) {
        self.ip_id = self.ip_id.wrapping_add(1);
        let id = self.ip_id;
        let cuts: Vec<usize> = match carry {
            Carry::Whole | Carry::AtomicFragment => Vec::new(),
            Carry::Fragments(c) | Carry::FragmentsReversed(c) => c.to_vec(),
        };
        let mut pieces: Vec<(usize, &[u8], bool)> = Vec::new();
        if matches!(carry, Carry::Fragments(_) | Carry::FragmentsReversed(_)) {
            let mut start = 0;
            for &cut in cuts.iter().chain(std::iter::once(&l4.len())) {
                assert!(
                    cut % 8 == 0 || cut == l4.len(),
                    "fragment offsets are multiples of 8"
                );
                pieces.push((start, &l4[start..cut], cut < l4.len()));
                start = cut;
            }
            if matches!(carry, Carry::FragmentsReversed(_)) {
                pieces.reverse();
            }
        }
        match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let packet = |offset: usize, body: &[u8], more: bool| {
                    let mut h = vec![0x45, 0];
                    h.extend_from_slice(&((20 + body.len()) as u16).to_be_bytes());
                    h.extend_from_slice(&id.to_be_bytes());
                    let mut ff = (offset / 8) as u16;
                    if more {
                        ff |= 0x2000;
                    }
                    h.extend_from_slice(&ff.to_be_bytes());
                    h.extend_from_slice(&[64, proto, 0, 0]);
                    h.extend_from_slice(&s.octets());
                    h.extend_from_slice(&d.octets());
                    let c = checksum(&[&h]);
                    h[10..12].copy_from_slice(&c.to_be_bytes());
                    h.extend_from_slice(body);
                    h
                };
                assert!(carry != Carry::AtomicFragment, "atomic fragments are IPv6");
                if pieces.is_empty() {
                    let p = packet(0, l4, false);
                    self.push_frame(src, dst, 0x0800, &p);
                }
                for (offset, body, more) in pieces {
                    let p = packet(offset, body, more);
                    self.push_frame(src, dst, 0x0800, &p);
                }
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let packet = |frag: Option<(usize, bool)>, body: &[u8]| {
                    let ext = if frag.is_some() { 8 } else { 0 };
                    let mut h = vec![0x60, 0, 0, 0];
                    h.extend_from_slice(&((ext + body.len()) as u16).to_be_bytes());
                    h.push(if frag.is_some() { 44 } else { proto });
                    h.push(64);
                    h.extend_from_slice(&s.octets());
                    h.extend_from_slice(&d.octets());
                    if let Some((offset, more)) = frag {
                        h.extend_from_slice(&[proto, 0]);
                        let fo = (offset as u16) | u16::from(more);
                        h.extend_from_slice(&fo.to_be_bytes());
                        h.extend_from_slice(&u32::from(id).to_be_bytes());
                    }
                    h.extend_from_slice(body);
                    h
                };
                if pieces.is_empty() {
                    let frag = (carry == Carry::AtomicFragment).then_some((0, false));
                    let p = packet(frag, l4);
                    self.push_frame(src, dst, 0x86dd, &p);
                }
                for (offset, body, more) in pieces {
                    let p = packet(Some((offset, more)), body);
                    self.push_frame(src, dst, 0x86dd, &p);
                }
            }
            _ => panic!("mixed address families"),
        }
    }
}

/// One UDP conversation between `a` and `b`.
#[derive(Clone, Copy, Debug)]
pub struct Udp {
    /// The side that sends first.
    pub a: SocketAddr,
    /// The other side.
    pub b: SocketAddr,
}

impl Udp {
    /// A conversation between `a` and `b`.
    pub fn new(a: SocketAddr, b: SocketAddr) -> Self {
        Self { a, b }
    }

    fn ends(&self, dir: Dir) -> (SocketAddr, SocketAddr) {
        match dir {
            Dir::A => (self.a, self.b),
            Dir::B => (self.b, self.a),
        }
    }

    /// One datagram from `dir`.
    pub fn send(&self, t: &mut Trace, dir: Dir, payload: &[u8]) {
        self.send_carried(t, dir, payload, Carry::Whole);
    }

    /// One datagram from `dir`, carried as `carry`.
    pub fn send_carried(&self, t: &mut Trace, dir: Dir, payload: &[u8], carry: Carry) {
        let (s, d) = self.ends(dir);
        let l4 = udp_datagram(s, d, payload);
        t.ip(s.ip(), d.ip(), 17, &l4, carry);
    }

    /// A query from A and its answer from B, 1 ms apart.
    pub fn exchange(&self, t: &mut Trace, query: &[u8], answer: &[u8]) {
        self.send(t, Dir::A, query);
        t.advance(1_000_000);
        self.send(t, Dir::B, answer);
        t.advance(1_000_000);
    }
}

/// Largest TCP payload per segment.
pub const MSS: usize = 1448;

/// One TCP connection between `a` (the SYN sender) and `b`.
#[derive(Clone, Copy, Debug)]
pub struct Tcp {
    /// The opener.
    pub a: SocketAddr,
    /// The listener.
    pub b: SocketAddr,
    /// The next sequence number of each side (A, B).
    pub next: [u32; 2],
}

impl Tcp {
    fn ends(&self, dir: Dir) -> (SocketAddr, SocketAddr, usize) {
        match dir {
            Dir::A => (self.a, self.b, 0),
            Dir::B => (self.b, self.a, 1),
        }
    }

    /// The three-way handshake; initial sequence numbers are derived from the ports.
    pub fn open(t: &mut Trace, a: SocketAddr, b: SocketAddr) -> Self {
        let isn_a = 0x1000_0000u32.wrapping_mul(u32::from(a.port()) | 1);
        let isn_b = 0x2000_0000u32.wrapping_mul(u32::from(b.port()) | 1) ^ 0x5555;
        let mut c = Self {
            a,
            b,
            next: [isn_a, isn_b],
        };
        c.control(t, Dir::A, flags::SYN, 0);
        c.next[0] = c.next[0].wrapping_add(1);
        c.control(t, Dir::B, flags::SYN | flags::ACK, 0);
        c.next[1] = c.next[1].wrapping_add(1);
        c.control(t, Dir::A, flags::ACK, 0);
        t.advance(1_000_000);
        c
    }

    /// A segment from `dir` with the side's current sequence number (not advanced).
    pub fn control(&self, t: &mut Trace, dir: Dir, fl: u8, urgent: u16) {
        self.raw(
            t,
            dir,
            self.next[self.ends(dir).2],
            fl,
            urgent,
            &[],
            Carry::Whole,
        );
    }

    /// A segment with explicit sequence number, flags and urgent pointer; nothing advances.
    #[allow(clippy::too_many_arguments)]
    pub fn raw(
        &self,
        t: &mut Trace,
        dir: Dir,
        seq: u32,
        fl: u8,
        urgent: u16,
        payload: &[u8],
        carry: Carry,
    ) {
        let (s, d, i) = self.ends(dir);
        let ack = if fl & flags::ACK != 0 {
            self.next[1 - i]
        } else {
            0
        };
        let l4 = tcp_segment(s, d, seq, ack, fl, 64240, urgent, payload);
        t.ip(s.ip(), d.ip(), 6, &l4, carry);
    }

    /// Send `data` from `dir` in segments of at most [`MSS`] bytes, then an ACK from the
    /// other side.
    pub fn send(&mut self, t: &mut Trace, dir: Dir, data: &[u8]) {
        for chunk in data.chunks(MSS) {
            self.segment(t, dir, chunk, Carry::Whole);
        }
        self.ack(t, dir);
    }

    /// Send `pieces` from `dir`, one segment each, then an ACK from the other side.
    pub fn send_cut(&mut self, t: &mut Trace, dir: Dir, pieces: &[&[u8]]) {
        for p in pieces {
            self.segment(t, dir, p, Carry::Whole);
        }
        self.ack(t, dir);
    }

    /// One segment with `payload` from `dir`, carried as `carry`; the sequence advances.
    pub fn segment(&mut self, t: &mut Trace, dir: Dir, payload: &[u8], carry: Carry) {
        let i = self.ends(dir).2;
        self.raw(
            t,
            dir,
            self.next[i],
            flags::ACK | flags::PSH,
            0,
            payload,
            carry,
        );
        self.next[i] = self.next[i].wrapping_add(payload.len() as u32);
    }

    /// The other side acknowledges what `dir` sent.
    pub fn ack(&self, t: &mut Trace, dir: Dir) {
        let other = match dir {
            Dir::A => Dir::B,
            Dir::B => Dir::A,
        };
        self.control(t, other, flags::ACK, 0);
        t.advance(500_000);
    }

    /// Send `data` from `dir` as two segments per write of at most [`MSS`], the second half
    /// first (each half's own sequence numbers), then an ACK.
    pub fn send_halves_swapped(&mut self, t: &mut Trace, dir: Dir, data: &[u8]) {
        let i = self.ends(dir).2;
        for chunk in data.chunks(MSS) {
            let half = chunk.len() / 2;
            let base = self.next[i];
            let fl = flags::ACK | flags::PSH;
            self.raw(
                t,
                dir,
                base.wrapping_add(half as u32),
                fl,
                0,
                &chunk[half..],
                Carry::Whole,
            );
            self.raw(t, dir, base, fl, 0, &chunk[..half], Carry::Whole);
            self.next[i] = base.wrapping_add(chunk.len() as u32);
        }
        self.ack(t, dir);
    }

    /// FIN from A, ACK, FIN from B, ACK.
    pub fn close(&mut self, t: &mut Trace) {
        self.control(t, Dir::A, flags::FIN | flags::ACK, 0);
        self.next[0] = self.next[0].wrapping_add(1);
        self.control(t, Dir::B, flags::FIN | flags::ACK, 0);
        self.next[1] = self.next[1].wrapping_add(1);
        self.control(t, Dir::A, flags::ACK, 0);
        t.advance(1_000_000);
    }
}

/// Write `trace` as a classic pcap file (microsecond timestamps, Ethernet).
pub fn pcap_bytes(trace: &Trace) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (ts, f) in &trace.frames {
        out.extend_from_slice(&((ts / 1_000_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((ts % 1_000_000_000 / 1000) as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// `trace` with every TCP payload cut into segments of at most `size` bytes (sequence numbers
/// follow, the last piece keeps PSH), all else unchanged. Only whole IPv4 packets without
/// options and IPv6 packets without extension headers are cut; fragments, urgent data and
/// other frames are copied as they are.
pub fn resegment(trace: &Trace, size: usize) -> Trace {
    let mut out = Trace {
        frames: Vec::with_capacity(trace.frames.len()),
        now: trace.now,
        ip_id: trace.ip_id,
    };
    for (ts, frame) in &trace.frames {
        match cut_tcp(frame, size) {
            Some(pieces) => out.frames.extend(pieces.into_iter().map(|f| (*ts, f))),
            None => out.frames.push((*ts, frame.clone())),
        }
    }
    out
}

fn cut_tcp(frame: &[u8], size: usize) -> Option<Vec<Vec<u8>>> {
    let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    let ip = &frame[14..];
    let (src, dst, l4) = match ethertype {
        0x0800
            if ip[0] == 0x45 && ip[9] == 6 && u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff == 0 =>
        {
            let s: [u8; 4] = ip[12..16].try_into().ok()?;
            let d: [u8; 4] = ip[16..20].try_into().ok()?;
            (IpAddr::from(s), IpAddr::from(d), &ip[20..])
        }
        0x86dd if ip[6] == 6 => {
            let s: [u8; 16] = ip[8..24].try_into().ok()?;
            let d: [u8; 16] = ip[24..40].try_into().ok()?;
            (IpAddr::from(s), IpAddr::from(d), &ip[40..])
        }
        _ => return None,
    };
    let fl = l4[13];
    let payload = &l4[20..];
    if payload.len() <= size || fl & flags::URG != 0 {
        return None;
    }
    let sport = u16::from_be_bytes([l4[0], l4[1]]);
    let dport = u16::from_be_bytes([l4[2], l4[3]]);
    let seq = u32::from_be_bytes([l4[4], l4[5], l4[6], l4[7]]);
    let ack = u32::from_be_bytes([l4[8], l4[9], l4[10], l4[11]]);
    let window = u16::from_be_bytes([l4[14], l4[15]]);
    let (s, d) = (SocketAddr::new(src, sport), SocketAddr::new(dst, dport));
    let mut t = Trace::new();
    let chunks: Vec<&[u8]> = payload.chunks(size).collect();
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.iter().enumerate() {
        let piece_flags = if i == last {
            fl
        } else {
            fl & !flags::PSH & !flags::FIN
        };
        let segment = tcp_segment(
            s,
            d,
            seq.wrapping_add((i * size) as u32),
            ack,
            piece_flags,
            window,
            0,
            chunk,
        );
        t.ip(src, dst, 6, &segment, Carry::Whole);
    }
    Some(t.frames.into_iter().map(|(_, f)| f).collect())
}
