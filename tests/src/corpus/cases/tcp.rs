//! Class 6 of issue 13: an urgent byte, an HTTP-looking prefix, a bogus SYN, the halves of
//! each write swapped, IPv4 fragments and IPv6 Fragment headers; with benign twins.

use std::net::SocketAddr;

use torclass_core::Confidence::Confirmed;

use super::super::benign as bn;
use super::super::bt::{self};
use super::super::packet::{flags, Carry, Dir, Tcp, Trace, Udp};
use super::super::{FlowExpect as F, Role};
use super::*;

const C6: &str = "6 TCP tricks";

pub(super) fn tcp_tricks(b: &mut Builder) {
    {
        let name = "urgent-byte-before-handshake";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(70, 44001), v4(71, 51413));
        let mut c = Tcp::open(&mut t, a, p);
        let ih = rng.array::<20>();
        for d in [Dir::A, Dir::B] {
            let i = if d == Dir::A { 0 } else { 1 };
            c.raw(
                &mut t,
                d,
                c.next[i],
                flags::ACK | flags::PSH | flags::URG,
                1,
                b"!",
                Carry::Whole,
            );
            c.next[i] = c.next[i].wrapping_add(1);
            let mut h = bt::handshake(&ih, &bt::peer_id(&mut rng, "-TR3000-"));
            h.extend(bt::after_handshake(&mut rng));
            c.send(&mut t, d, &h);
        }
        c.send(&mut t, Dir::A, &bt::message(2, &[]));
        c.close(&mut t);
        b.add(
            name,
            C6,
            "one urgent (out-of-band) byte before each side's handshake",
            Role::Evasion,
            Some("twin-urgent-telnet"),
            t,
            vec![F::bt("tcp", a, p, "peer_wire", Confirmed)],
        );
    }
    {
        let name = "twin-urgent-telnet";
        let mut t = Trace::new();
        let (a, s) = (v4(72, 44002), v4(73, 23));
        let mut c = Tcp::open(&mut t, a, s);
        c.send(
            &mut t,
            Dir::B,
            b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27",
        );
        c.send(
            &mut t,
            Dir::A,
            b"\xff\xfb\x18\xff\xfb\x20\xff\xfb\x23\xff\xfb\x27",
        );
        c.send(&mut t, Dir::B, b"\r\nDebian GNU/Linux 12\r\nlab login: ");
        c.send(&mut t, Dir::A, b"alice\r\n");
        c.raw(
            &mut t,
            Dir::A,
            c.next[0],
            flags::ACK | flags::PSH | flags::URG,
            2,
            b"\xff\xf2",
            Carry::Whole,
        );
        c.next[0] = c.next[0].wrapping_add(2);
        c.send(&mut t, Dir::B, b"Password: ");
        c.close(&mut t);
        b.add(
            name,
            C6,
            "telnet with an urgent Data Mark (IAC DM sent as TCP urgent data)",
            Role::Twin,
            Some("urgent-byte-before-handshake"),
            t,
            vec![F::not_bt("tcp", a, s)],
        );
    }
    {
        let name = "http-prefix-before-handshake";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(74, 44003), v4(75, 80));
        let mut c = Tcp::open(&mut t, a, p);
        let ih = rng.array::<20>();
        let mut req = get("/", "cdn.lab");
        req.extend(bt::handshake(&ih, &bt::peer_id(&mut rng, "-TR3000-")));
        req.extend(bt::after_handshake(&mut rng));
        c.send(&mut t, Dir::A, &req);
        let mut resp = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec();
        resp.extend(bt::handshake(&ih, &bt::peer_id(&mut rng, "-qB4520-")));
        resp.extend(bt::after_handshake(&mut rng));
        c.send(&mut t, Dir::B, &resp);
        c.send(&mut t, Dir::A, &bt::message(2, &[]));
        c.close(&mut t);
        b.add(name, C6, "an HTTP-looking request and answer on port 80, then the handshakes and peer-wire messages", Role::Evasion, Some("twin-http-post-handshake-file"), t, vec![F::bt("tcp", a, p, "peer_wire", Confirmed)]);
    }
    {
        let name = "twin-http-post-handshake-file";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(76, 44004), v4(77, 80));
        let mut c = Tcp::open(&mut t, a, s);
        let mut file = bt::handshake(&rng.array(), &bt::peer_id(&mut rng, "-TR3000-"));
        file.extend(rng.bytes(20_000));
        let mut req = format!("POST /upload HTTP/1.1\r\nHost: files.lab\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n", file.len()).into_bytes();
        req.extend(file);
        c.send(&mut t, Dir::A, &req);
        c.send(&mut t, Dir::B, &bt::http_ok("text/plain", "", b"stored\n"));
        c.close(&mut t);
        b.add(
            name,
            C6,
            "an HTTP upload of a file that begins with a BitTorrent handshake",
            Role::Twin,
            Some("http-prefix-before-handshake"),
            t,
            vec![F::not_bt("tcp", a, s)],
        );
    }
    {
        let name = "twin-netcat-handshake-file";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(78, 44005), v4(79, 9000));
        let mut c = Tcp::open(&mut t, a, s);
        let mut file = bt::handshake(&rng.array(), &bt::peer_id(&mut rng, "-TR3000-"));
        file.extend(rng.bytes(60_000));
        c.send(&mut t, Dir::A, &file);
        c.close(&mut t);
        b.add(name, C6, "a raw TCP transfer (netcat) of a file that begins with a BitTorrent handshake, no reply", Role::Twin, Some("handshake-one-side"), t, vec![F::not_bt("tcp", a, s)]);
    }
    {
        let name = "bogus-syn-mid-flow";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(80, 44006), v4(81, 51413));
        let mut c = Tcp::open(&mut t, a, p);
        c.raw(
            &mut t,
            Dir::A,
            0xdead_beef,
            flags::SYN,
            0,
            &[],
            Carry::Whole,
        );
        let ih = rng.array();
        peer_wire(&mut t, &mut c, &mut rng, &ih);
        c.close(&mut t);
        b.add(name, C6, "a bogus SYN (wild sequence number) inside the established connection before the handshakes", Role::Evasion, Some("twin-bogus-syn-http"), t, vec![F::bt("tcp", a, p, "peer_wire", Confirmed)]);
    }
    {
        let name = "twin-bogus-syn-http";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(82, 44007), v4(83, 80));
        let mut c = Tcp::open(&mut t, a, s);
        c.raw(
            &mut t,
            Dir::A,
            0xdead_beef,
            flags::SYN,
            0,
            &[],
            Carry::Whole,
        );
        http(&mut t, &mut c, &get("/", "www.lab"), &page(&mut rng, 5000));
        c.close(&mut t);
        b.add(
            name,
            C6,
            "an HTTP exchange with the same bogus SYN",
            Role::Twin,
            Some("bogus-syn-mid-flow"),
            t,
            vec![F::not_bt("tcp", a, s)],
        );
    }
    {
        let name = "halves-swapped";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(84, 44008), v4(85, 51413));
        let mut c = Tcp::open(&mut t, a, p);
        let ih = rng.array::<20>();
        let mut ha = bt::handshake(&ih, &bt::peer_id(&mut rng, "-TR3000-"));
        ha.extend(bt::after_handshake(&mut rng));
        c.send_halves_swapped(&mut t, Dir::A, &ha);
        let mut hb = bt::handshake(&ih, &bt::peer_id(&mut rng, "-qB4520-"));
        hb.extend(bt::after_handshake(&mut rng));
        c.send_halves_swapped(&mut t, Dir::B, &hb);
        c.send_halves_swapped(&mut t, Dir::A, &bt::message(2, &[]));
        c.close(&mut t);
        b.add(
            name,
            C6,
            "every write sent as two segments, the second half first",
            Role::Evasion,
            Some("twin-halves-swapped-http"),
            t,
            vec![F::bt("tcp", a, p, "peer_wire", Confirmed)],
        );
    }
    {
        let name = "twin-halves-swapped-http";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(86, 44009), v4(87, 80));
        let mut c = Tcp::open(&mut t, a, s);
        c.send_halves_swapped(&mut t, Dir::A, &get("/", "www.lab"));
        c.send_halves_swapped(&mut t, Dir::B, &page(&mut rng, 1300));
        c.close(&mut t);
        b.add(
            name,
            C6,
            "HTTP with the same reordering",
            Role::Twin,
            Some("halves-swapped"),
            t,
            vec![F::not_bt("tcp", a, s)],
        );
    }
}

pub(super) fn fragments(b: &mut Builder) {
    // IPv4: the first fragment carries the TCP header and 12 bytes of the handshake.
    let frag_case = |b: &mut Builder,
                     name: &'static str,
                     what: &'static str,
                     twin: &'static str,
                     a: SocketAddr,
                     p: SocketAddr,
                     carry: Carry,
                     only_handshake: bool| {
        let mut rng = seed(name);
        let mut t = Trace::new();
        let mut c = Tcp::open(&mut t, a, p);
        let ih = rng.array::<20>();
        for d in [Dir::A, Dir::B] {
            let mut h = bt::handshake(&ih, &bt::peer_id(&mut rng, "-TR3000-"));
            h.extend(bt::after_handshake(&mut rng));
            c.segment(&mut t, d, &h, carry);
            c.ack(&mut t, d);
        }
        let m = bt::message(2, &[]);
        if only_handshake {
            c.send(&mut t, Dir::A, &m);
        } else {
            c.segment(&mut t, Dir::A, &m, carry);
        }
        c.close(&mut t);
        b.add(
            name,
            C6,
            what,
            Role::Evasion,
            Some(twin),
            t,
            vec![F::bt("tcp", a, p, "peer_wire", Confirmed)],
        );
    };
    frag_case(
        b,
        "ipv4-first-fragment-handshake",
        "each handshake's segment in IPv4 fragments: the first carries the TCP header and 12 bytes",
        "twin-ipv4-fragmented-http",
        v4(90, 44010),
        v4(91, 51413),
        Carry::Fragments(&[32, 64]),
        true,
    );
    frag_case(
        b,
        "ipv4-fragments-reversed",
        "each handshake's segment in IPv4 fragments sent last first",
        "twin-ipv4-fragmented-http",
        v4(92, 44011),
        v4(93, 51413),
        Carry::FragmentsReversed(&[40]),
        true,
    );
    frag_case(
        b,
        "ipv6-atomic-fragment-headers",
        "every segment over IPv6 with an atomic Fragment header (offset 0, M = 0)",
        "twin-ipv6-fragmented-dns",
        v6(94, 44012),
        v6(95, 51413),
        Carry::AtomicFragment,
        false,
    );
    frag_case(
        b,
        "ipv6-fragmented-handshake",
        "each handshake's segment over IPv6 in two fragments (Fragment headers)",
        "twin-ipv6-fragmented-dns",
        v6(96, 44013),
        v6(97, 51413),
        Carry::Fragments(&[48]),
        true,
    );
    {
        let name = "ipv4-fragmented-krpc";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(98, 6881), v4(99, 6881));
        let q = bt::krpc_query(b"xy", "get_peers", &rng.array(), Some(&rng.array()));
        u.send_carried(&mut t, Dir::A, &q, Carry::Fragments(&[24]));
        b.add(
            name,
            C6,
            "a KRPC get_peers query in two IPv4 fragments (the first has 16 bytes of it)",
            Role::Evasion,
            Some("twin-ipv4-fragmented-dns"),
            t,
            vec![F::bt("udp", u.a, u.b, "dht", Confirmed)],
        );
    }
    {
        let name = "twin-ipv4-fragmented-http";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(100, 44014), v4(101, 80));
        let mut c = Tcp::open(&mut t, a, s);
        c.segment(
            &mut t,
            Dir::A,
            &get("/index.html", "www.lab"),
            Carry::Fragments(&[32]),
        );
        c.ack(&mut t, Dir::A);
        c.segment(
            &mut t,
            Dir::B,
            &page(&mut rng, 1200),
            Carry::Fragments(&[32, 512]),
        );
        c.ack(&mut t, Dir::B);
        c.close(&mut t);
        b.add(
            name,
            C6,
            "HTTP request and answer in IPv4 fragments",
            Role::Twin,
            Some("ipv4-first-fragment-handshake"),
            t,
            vec![F::not_bt("tcp", a, s)],
        );
    }
    {
        let name = "twin-ipv4-fragmented-dns";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(102, 45001), v4(103, 53));
        let q = bn::dns_query(0x1234, "big.lab", 16, true);
        u.send(&mut t, Dir::A, &q);
        let mut txt = vec![255];
        txt.extend(rng.bytes(255).iter().map(|b| b'a' + b % 26));
        let mut rdata = Vec::new();
        for _ in 0..10 {
            rdata.extend_from_slice(&txt);
        }
        u.send_carried(
            &mut t,
            Dir::B,
            &bn::dns_answer(&q, &rdata),
            Carry::Fragments(&[1480]),
        );
        b.add(
            name,
            C6,
            "a large DNS TXT answer (EDNS0) in IPv4 fragments",
            Role::Twin,
            Some("ipv4-fragmented-krpc"),
            t,
            vec![F::not_bt("udp", u.a, u.b)],
        );
    }
    {
        let name = "twin-ipv6-fragmented-dns";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v6(104, 45002), v6(105, 53));
        let q = bn::dns_query(0x2345, "big.lab", 16, true);
        u.send_carried(&mut t, Dir::A, &q, Carry::AtomicFragment);
        let mut rdata = vec![255];
        rdata.extend(rng.bytes(255).iter().map(|b| b'a' + b % 26));
        let mut all = Vec::new();
        for _ in 0..8 {
            all.extend_from_slice(&rdata);
        }
        u.send_carried(
            &mut t,
            Dir::B,
            &bn::dns_answer(&q, &all),
            Carry::Fragments(&[1232]),
        );
        b.add(
            name,
            C6,
            "DNS over IPv6 with Fragment headers (atomic query, fragmented answer)",
            Role::Twin,
            Some("ipv6-fragmented-handshake"),
            t,
            vec![F::not_bt("udp", u.a, u.b)],
        );
    }
}

/// How one of [`sender_only`]'s cases sends its request.
#[derive(Clone, Copy)]
enum Trick {
    /// Junk in a SYN without a Fast Open cookie (the SYN-ACK acknowledges the SYN alone), the
    /// request after the handshake.
    SynData,
    /// Junk one byte shorter than the request's rest held out of order at its 10th byte,
    /// then the rest, then the first 10 bytes.
    OverlapReplace,
    /// The request in 17 segments, the last first.
    Reversed,
    /// Junk the request's length at its first byte (a "fake" packet with a bad checksum or
    /// too low a TTL, which the receiver never gets), then the request at the same sequence
    /// number.
    Fake,
}

/// Open a connection from `a` to `s` and send `request` (then `response`) with `trick`.
fn tricked(
    t: &mut Trace,
    a: SocketAddr,
    s: SocketAddr,
    trick: Trick,
    request: &[u8],
    response: &[u8],
) {
    let mut c = match trick {
        Trick::SynData => {
            let mut c = Tcp {
                a,
                b: s,
                next: [0x3b00_0000 ^ u32::from(a.port()), 0x7c00_0000],
            };
            let junk = vec![b'G'; 80];
            c.raw(t, Dir::A, c.next[0], flags::SYN, 0, &junk, Carry::Whole);
            c.next[0] = c.next[0].wrapping_add(1);
            c.control(t, Dir::B, flags::SYN | flags::ACK, 0);
            c.next[1] = c.next[1].wrapping_add(1);
            c.control(t, Dir::A, flags::ACK, 0);
            c
        }
        _ => Tcp::open(t, a, s),
    };
    let fl = flags::ACK | flags::PSH;
    let base = c.next[0];
    match trick {
        Trick::SynData => c.send(t, Dir::A, request),
        Trick::OverlapReplace => {
            let junk = vec![b'X'; request.len() - 11];
            c.raw(t, Dir::A, base.wrapping_add(10), fl, 0, &junk, Carry::Whole);
            c.raw(
                t,
                Dir::A,
                base.wrapping_add(10),
                fl,
                0,
                &request[10..],
                Carry::Whole,
            );
            c.raw(t, Dir::A, base, fl, 0, &request[..10], Carry::Whole);
            c.next[0] = base.wrapping_add(request.len() as u32);
            c.ack(t, Dir::A);
        }
        Trick::Reversed => {
            let size = request.len().div_ceil(17);
            for (i, piece) in request.chunks(size).enumerate().rev() {
                let seq = base.wrapping_add((i * size) as u32);
                c.raw(t, Dir::A, seq, fl, 0, piece, Carry::Whole);
            }
            c.next[0] = base.wrapping_add(request.len() as u32);
            c.ack(t, Dir::A);
        }
        Trick::Fake => {
            let junk = vec![b'X'; request.len()];
            c.raw(t, Dir::A, base, fl, 0, &junk, Carry::Whole);
            c.raw(t, Dir::A, base, fl, 0, request, Carry::Whole);
            c.next[0] = base.wrapping_add(request.len() as u32);
            c.ack(t, Dir::A);
        }
    }
    c.send(t, Dir::B, response);
    c.close(t);
}

/// Issue 13, E1: a tracker announce hidden by the client alone (a real Linux receiver got
/// it), each with its benign twin (an HTTP request sent the same way).
pub(super) fn sender_only(b: &mut Builder) {
    let cases: [(&'static str, &'static str, &'static str, Trick, u8); 4] = [
        ("syn-data-dropped-announce", "twin-syn-data-dropped-http", "junk data in a SYN without a Fast Open cookie (Linux drops it: the SYN-ACK acknowledges the SYN alone), then the announce", Trick::SynData, 104),
        ("overlap-replace-announce", "twin-overlap-replace-http", "junk held out of order, then the announce's bytes at the same sequence number one byte longer (Linux's out-of-order queue replaces the junk), then the first bytes", Trick::OverlapReplace, 106),
        ("reversed-17-announce", "twin-reversed-17-http", "the announce in 17 segments sent last first (zapret multidisorder)", Trick::Reversed, 108),
        ("fake-first-announce", "twin-fake-first-http", "junk the announce's length at its first byte (zapret `fake` with a bad checksum or a low TTL: the receiver never gets it), then the announce at the same sequence number", Trick::Fake, 110),
    ];
    for (name, twin, what, trick, host) in cases {
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(host, 44100), v4(host + 1, 6969));
        let q = bt::announce_query(
            ["info_hash", "peer_id", "port"],
            &rng.array(),
            &bt::peer_id(&mut rng, "-TR3000-"),
        );
        let reply = bt::http_ok(
            "text/plain",
            "",
            &bt::announce_body(&[rng.array::<6>(), rng.array::<6>()]),
        );
        tricked(
            &mut t,
            a,
            s,
            trick,
            &bt::http_announce("10.99.0.105:6969", &q),
            &reply,
        );
        b.add(
            name,
            C6,
            what,
            Role::Evasion,
            Some(twin),
            t,
            vec![F::bt("tcp", a, s, "http_tracker", Confirmed)],
        );
        let mut rng = seed(twin);
        let mut t = Trace::new();
        let (a, s) = (v4(host + 120, 44101), v4(host + 121, 80));
        let path = format!("/search?q={}", "lorem+ipsum+".repeat(12));
        tricked(
            &mut t,
            a,
            s,
            trick,
            &get(&path, "www.lab"),
            &page(&mut rng, 3000),
        );
        b.add(
            twin,
            C6,
            "an HTTP request sent the same way",
            Role::Twin,
            Some(name),
            t,
            vec![F::not_bt("tcp", a, s)],
        );
    }
}

/// Send `payload` from `dir` in 8-byte IPv4 fragments with `junk` first fragments of other
/// datagrams from the same source (16 bytes each, never completed) between its first and
/// second fragments.
fn fragments_with_junk(t: &mut Trace, u: &Udp, dir: Dir, payload: &[u8], junk: usize) {
    let start = t.frames.len();
    let at = t.now;
    u.send_carried(t, dir, payload, Carry::Fragments(&[8, 16]));
    let real: Vec<Vec<u8>> = t.frames.drain(start..).map(|(_, f)| f).collect();
    let (s, d) = match dir {
        Dir::A => (u.a, u.b),
        Dir::B => (u.b, u.a),
    };
    let mut firsts = Vec::new();
    for _ in 0..junk {
        let from = t.frames.len();
        t.ip(s.ip(), d.ip(), 17, &[0x41; 24], Carry::Fragments(&[16]));
        firsts.push(
            t.frames
                .drain(from..)
                .next()
                .map(|(_, f)| f)
                .unwrap_or_default(),
        );
    }
    let mut order = vec![real[0].clone()];
    order.extend(firsts);
    order.extend(real[1..].iter().cloned());
    for (i, f) in order.into_iter().enumerate() {
        t.frames.push((at + i as u64 * 50_000, f));
    }
    t.now = at + t.frames.len() as u64 * 50_000;
    t.advance(1_000_000);
}

/// Issue 13, E2: a UDP tracker's requests in 8-byte IPv4 fragments with 6 junk first
/// fragments between each request's first and later fragments (the receiver reassembles them;
/// 4 evicted the request before), and its twin: a DNS query sent the same way.
pub(super) fn fragment_junk(b: &mut Builder) {
    let name = "udp-tracker-junk-fragments";
    let mut t = Trace::new();
    let u = Udp::new(v4(126, 6881), v4(127, 6969));
    let conn = 0x0123_4567_89ab_cdef;
    fragments_with_junk(&mut t, &u, Dir::A, &bt::udp_connect(0x2468), 6);
    u.send(&mut t, Dir::B, &bt::udp_connect_reply(0x2468, conn));
    t.advance(1_000_000);
    b.add(name, C6, "a UDP tracker connect in 8-byte IPv4 fragments with 6 junk first fragments (other ids, never completed) between its first and later fragments", Role::Evasion, Some("twin-dns-junk-fragments"), t, vec![F::bt("udp", u.a, u.b, "udp_tracker", Confirmed)]);
    let twin = "twin-dns-junk-fragments";
    let mut t = Trace::new();
    let u = Udp::new(v4(193, 53000), v4(194, 53));
    fragments_with_junk(
        &mut t,
        &u,
        Dir::A,
        &bn::dns_query(0x2468, "www.example.org", 1, false),
        6,
    );
    b.add(
        twin,
        C6,
        "a DNS query sent the same way",
        Role::Twin,
        Some(name),
        t,
        vec![F::not_bt("udp", u.a, u.b)],
    );
}
