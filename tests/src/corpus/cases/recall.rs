//! Real BitTorrent message shapes from the BEPs and from clients' behaviour, one case per
//! family, each seen the way a capture of other projects would show it (often one side only):
//! DHT extensions (BEP 32, 33, 42, 43, 44, 51, µTorrent's `vote`), UDP tracker scrapes, errors,
//! BEP 41 options and IPv6, HTTP tracker variants (scrape, HTTP/1.0, passkey paths, lower-case
//! escapes, chunked and failure replies, `peers6`), BEP 52 and BEP 6 messages, the Azureus
//! Messaging Protocol of Vuze and BiglyBT, uTP extensions, LSD over IPv6, a capture that starts
//! inside a piece transfer, and an MSE/PE connection that opens before its host's first DHT
//! packet. Where a case needed a fix, its benign twin uses the same structure on other traffic.

use std::net::{IpAddr, SocketAddr};

use torclass_core::Confidence::Confirmed;

use super::super::bt::{self, MseKey, MseSelect, UtpType};
use super::super::packet::{flags, Carry, Dir, Tcp, Trace, Udp};
use super::super::{FlowExpect as F, Role};
use super::*;

const CR: &str = "BEP shapes";

fn bstr(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(format!("{}:", s.len()).as_bytes());
    out.extend_from_slice(s);
}

/// A KRPC query `method` from node `id` with extra arguments (bencoded key/value pairs in
/// order) and top-level extras (after `q`, before `t`).
fn query(tid: &[u8], method: &str, id: &[u8; 20], args: &[u8], top: &[u8]) -> Vec<u8> {
    let mut m = b"d1:ad2:id".to_vec();
    bstr(&mut m, id);
    m.extend_from_slice(args);
    m.extend_from_slice(b"e1:q");
    bstr(&mut m, method.as_bytes());
    m.extend_from_slice(top);
    m.extend_from_slice(b"1:t");
    bstr(&mut m, tid);
    m.extend_from_slice(b"1:y1:qe");
    m
}

/// A KRPC response from node `id` with return values `values` (after `id`) and top-level
/// extras before `r`.
fn response(tid: &[u8], id: &[u8; 20], values: &[u8], top: &[u8]) -> Vec<u8> {
    let mut m = b"d".to_vec();
    m.extend_from_slice(top);
    m.extend_from_slice(b"1:rd2:id");
    bstr(&mut m, id);
    m.extend_from_slice(values);
    m.extend_from_slice(b"e1:t");
    bstr(&mut m, tid);
    m.extend_from_slice(b"1:v4:UT\x03\x601:y1:re");
    m
}

fn key(out: &mut Vec<u8>, k: &str, v: &[u8]) {
    bstr(out, k.as_bytes());
    bstr(out, v);
}

fn positive(b: &mut Builder, name: &'static str, what: &'static str, t: Trace, flows: Vec<F>) {
    b.add(name, CR, what, Role::Positive, None, t, flows);
}

pub(super) fn recall(b: &mut Builder) {
    dht(b);
    trackers(b);
    peer_wire(b);
    azureus(b);
    midstream(b);
    utp_lsd_mse(b);
}

fn dht(b: &mut Builder) {
    {
        let name = "dht-bep44-get-put";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (id, node, target) = (rng.array::<20>(), rng.array::<20>(), rng.array::<20>());
        let (k, sig) = (rng.bytes(32), rng.bytes(64));
        let u = Udp::new(v4(230, 6881), v4(231, 6881));
        let mut args = b"3:seqi4e".to_vec();
        key(&mut args, "target", &target);
        let mut r = Vec::new();
        key(&mut r, "k", &k);
        r.extend_from_slice(b"5:nodes");
        bstr(&mut r, &rng.bytes(26 * 2));
        r.extend_from_slice(b"3:seqi5e");
        key(&mut r, "sig", &sig);
        r.extend_from_slice(b"5:token8:abcdefgh1:vd2:ih20:");
        r.extend(rng.bytes(20));
        r.extend_from_slice(b"e");
        u.exchange(
            &mut t,
            &query(b"g1", "get", &id, &args, b""),
            &response(b"g1", &node, &r, b""),
        );
        // A mutable put (cas, salt) to another node, unanswered.
        let p = Udp::new(v4(230, 6881), v4(232, 6881));
        let mut args = b"3:casi5e".to_vec();
        key(&mut args, "k", &k);
        args.extend_from_slice(b"4:salt6:foobar3:seqi6e");
        key(&mut args, "sig", &sig);
        args.extend_from_slice(b"5:token8:abcdefgh1:v12:Hello World!");
        p.send(&mut t, Dir::A, &query(b"p1", "put", &id, &args, b""));
        positive(
            b,
            name,
            "BEP 44: a mutable `get` answered with `k`, `sig`, `seq` and a dictionary `v`; a `put` with `cas` and `salt`, unanswered",
            t,
            vec![
                F::bt("udp", u.a, u.b, "dht", Confirmed),
                F::bt("udp", p.a, p.b, "dht", Confirmed),
            ],
        );
    }
    {
        let name = "dht-bep51-bep33-responses-alone";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let s = Udp::new(v4(233, 6881), v4(234, 6881));
        let mut r = b"8:intervali21600e5:nodes".to_vec();
        bstr(&mut r, &rng.bytes(26 * 2));
        r.extend_from_slice(b"3:numi1234e7:samples");
        bstr(&mut r, &rng.bytes(20 * 10));
        s.send(&mut t, Dir::B, &response(b"s1", &rng.array(), &r, b""));
        let c = Udp::new(v4(233, 6881), v4(235, 6881));
        let mut r = b"4:BFpe".to_vec();
        bstr(&mut r, &rng.bytes(256));
        r.extend_from_slice(b"4:BFsd");
        bstr(&mut r, &rng.bytes(256));
        let mut m = b"d1:rd".to_vec();
        m.extend(r);
        key(&mut m, "id", &rng.array::<20>());
        m.extend_from_slice(b"5:token8:abcdefghe1:t2:sc1:y1:re");
        c.send(&mut t, Dir::B, &m);
        positive(
            b,
            name,
            "responses whose queries were not captured: BEP 51 `sample_infohashes` (interval, num, samples) and a BEP 33 scrape (`BFpe`/`BFsd` bloom filters, keys before `id`)",
            t,
            vec![
                F::bt("udp", s.b, s.a, "dht", Confirmed),
                F::bt("udp", c.b, c.a, "dht", Confirmed),
            ],
        );
    }
    {
        let name = "dht-ipv6-nodes6-values";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v6(230, 6881), v6(231, 6881));
        let mut args = Vec::new();
        key(&mut args, "info_hash", &rng.array::<20>());
        args.extend_from_slice(b"6:noseedi1e4:wantl2:n42:n6e");
        let mut r = b"6:nodes6".to_vec();
        bstr(&mut r, &rng.bytes(38 * 4));
        r.extend_from_slice(b"5:token8:abcdefgh6:valuesl");
        for _ in 0..60 {
            bstr(&mut r, &rng.bytes(18));
        }
        r.push(b'e');
        u.exchange(
            &mut t,
            &query(b"v6", "get_peers", &rng.array(), &args, b""),
            &response(b"v6", &rng.array(), &r, b""),
        );
        positive(
            b,
            name,
            "KRPC over IPv6: get_peers with `want` n4/n6 and `noseed`, answered with `nodes6` and 60 18-byte `values`",
            t,
            vec![F::bt("udp", u.a, u.b, "dht", Confirmed)],
        );
    }
    {
        let name = "dht-ro-ip-odd-txids";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let q = Udp::new(v4(236, 6881), v4(237, 6881));
        q.send(
            &mut t,
            Dir::A,
            &query(b"\x00", "ping", &rng.array(), b"", b"2:roi1e"),
        );
        let r = Udp::new(v4(236, 6881), v4(238, 6881));
        let mut ip = b"2:ip6:".to_vec();
        ip.extend_from_slice(&[10, 99, 0, 236, 0x1a, 0xe1]);
        r.send(
            &mut t,
            Dir::B,
            &response(b"\x01\x02\x03\x04\x05\x06\x07", &rng.array(), b"", &ip),
        );
        let e = Udp::new(v4(236, 6881), v4(239, 6881));
        let mut args = Vec::new();
        key(&mut args, "info_hash", &rng.array::<20>());
        e.exchange(
            &mut t,
            &query(b"xyz", "get_peers", &rng.array(), &args, b""),
            b"d1:eli203e14:Invalid Tokene1:t3:xyz1:y1:ee",
        );
        positive(
            b,
            name,
            "a BEP 43 read-only ping with a 1-byte transaction id; a response with a BEP 42 `ip` and a 7-byte id, its query not captured; a get_peers answered only by error 203",
            t,
            vec![
                F::bt("udp", q.a, q.b, "dht", Confirmed),
                F::bt("udp", r.b, r.a, "dht", Confirmed),
                F::bt("udp", e.a, e.b, "dht", Confirmed),
            ],
        );
    }
    {
        let name = "dht-vote-unanswered";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(240, 6881), v4(241, 6881));
        let mut args = Vec::new();
        key(&mut args, "target", &rng.array::<20>());
        args.extend_from_slice(b"4:votei4e");
        u.send(
            &mut t,
            Dir::A,
            &query(b"vo", "vote", &rng.array(), &args, b""),
        );
        b.add(
            name,
            CR,
            "µTorrent's torrent rating query (`vote`, with `target` and `vote`), unanswered",
            Role::Positive,
            Some("twin-bencode-vote-rpc"),
            t,
            vec![F::bt("udp", u.a, u.b, "dht", Confirmed)],
        );
    }
    {
        let name = "twin-bencode-vote-rpc";
        let mut t = Trace::new();
        let u = Udp::new(v4(242, 40000), v4(243, 7777));
        u.exchange(
            &mut t,
            b"d1:ad4:user5:alice4:polli7e4:votei3ee1:q4:vote1:t2:vo1:y1:qe",
            b"d1:rd5:votesi42ee1:t2:vo1:y1:re",
        );
        b.add(
            name,
            CR,
            "a poll service speaking KRPC-like bencoded RPC with a `vote` method, but no 20-byte node `id`",
            Role::Twin,
            Some("dht-vote-unanswered"),
            t,
            vec![F::not_bt("udp", u.a, u.b)],
        );
    }
}

fn trackers(b: &mut Builder) {
    {
        let name = "udp-tracker-scrape-and-error";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(244, 6881), v4(245, 6969));
        let conn = 0x5a5a_1234_8765_a5a5u64;
        u.exchange(
            &mut t,
            &bt::udp_connect(11),
            &bt::udp_connect_reply(11, conn),
        );
        let mut sc = conn.to_be_bytes().to_vec();
        sc.extend_from_slice(&2u32.to_be_bytes());
        sc.extend_from_slice(&12u32.to_be_bytes());
        for _ in 0..5 {
            sc.extend(rng.bytes(20));
        }
        let mut sr = vec![0, 0, 0, 2, 0, 0, 0, 12];
        for _ in 0..5 {
            sr.extend(rng.bytes(12));
        }
        u.exchange(&mut t, &sc, &sr);
        let e = Udp::new(v4(244, 6882), v4(246, 6969));
        let mut er = vec![0, 0, 0, 3, 0, 0, 0, 13];
        er.extend_from_slice(b"tracker is shutting down");
        e.exchange(&mut t, &bt::udp_connect(13), &er);
        positive(
            b,
            name,
            "BEP 15: connect and a scrape of 5 info-hashes with its reply; a connect answered by an error (action 3)",
            t,
            vec![
                F::bt("udp", u.a, u.b, "udp_tracker", Confirmed),
                F::bt("udp", e.a, e.b, "udp_tracker", Confirmed),
            ],
        );
    }
    {
        let name = "udp-tracker-ipv6-bep41";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v6(244, 6881), v6(245, 6969));
        let conn = 0x0123_4567_89ab_cdefu64;
        u.exchange(
            &mut t,
            &bt::udp_connect(21),
            &bt::udp_connect_reply(21, conn),
        );
        let mut ann = bt::udp_announce(
            conn,
            22,
            &rng.array(),
            &bt::peer_id(&mut rng, "-qB4520-"),
            51413,
        );
        ann.extend_from_slice(&[2, 17]);
        ann.extend_from_slice(b"/ann?passkey=abcd");
        ann.extend_from_slice(&[1, 0]);
        let mut reply = vec![0, 0, 0, 1, 0, 0, 0, 22, 0, 0, 7, 8, 0, 0, 0, 1, 0, 0, 0, 2];
        reply.extend(rng.bytes(18 * 2));
        u.exchange(&mut t, &ann, &reply);
        positive(
            b,
            name,
            "BEP 15 over IPv6: an announce with BEP 41 URL data and NOP/end options, answered with 18-byte peers",
            t,
            vec![F::bt("udp", u.a, u.b, "udp_tracker", Confirmed)],
        );
    }
    {
        let name = "http-tracker-scrape-and-http10";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (ih1, ih2) = (rng.array::<20>(), rng.array::<20>());
        let (a, s) = (v4(247, 41000), v4(248, 80));
        let mut c = Tcp::open(&mut t, a, s);
        c.send(
            &mut t,
            Dir::A,
            format!(
                "GET /scrape.php?passkey=0f1e2d3c4b5a&info_hash={}&info_hash={} HTTP/1.1\r\nHost: tracker.example.org\r\nUser-Agent: qBittorrent/4.5.2\r\n\r\n",
                bt::percent_all(&ih1),
                bt::percent_all(&ih2)
            )
            .as_bytes(),
        );
        c.close(&mut t);
        // HTTP/1.0 without Host, a passkey path, lower-case escapes (as some clients write).
        let (a2, s2) = (v4(247, 41001), v4(248, 2710));
        let mut c = Tcp::open(&mut t, a2, s2);
        let lower = |b: &[u8]| b.iter().map(|x| format!("%{x:02x}")).collect::<String>();
        let pid = bt::peer_id(&mut rng, "-DE13F0-");
        c.send(
            &mut t,
            Dir::A,
            format!(
                "GET /a/0123456789abcdef0123456789abcdef/announce?info_hash={}&peer_id={}&port=6881&uploaded=0&downloaded=0&left=0&event=completed&ipv6=2001%3adb8%3a%3a1 HTTP/1.0\r\n\r\n",
                lower(&ih1),
                lower(&pid)
            )
            .as_bytes(),
        );
        let mut body = b"d8:intervali1800e5:peers0:6:peers6".to_vec();
        bstr(&mut body, &rng.bytes(18));
        body.push(b'e');
        let mut reply = format!(
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
            body.len()
        )
        .into_bytes();
        reply.extend(body);
        reply.extend_from_slice(b"\r\n0\r\n\r\n");
        c.send(&mut t, Dir::B, &reply);
        c.close(&mut t);
        positive(
            b,
            name,
            "HTTP tracker: a scrape of two info-hashes behind `/scrape.php?passkey=`, unanswered; an HTTP/1.0 announce without Host on a `/a/<passkey>/announce` path with lower-case escapes and `ipv6=`, answered chunked with `peers6`",
            t,
            vec![
                F::bt("tcp", a, s, "http_tracker", Confirmed),
                F::bt("tcp", a2, s2, "http_tracker", Confirmed),
            ],
        );
    }
    {
        let name = "http-tracker-weak-request-failure-and-dict-peers";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(249, 41002), v4(248, 6969));
        let mut c = Tcp::open(&mut t, a, s);
        let q = format!(
            "info_hash={}&uploaded=0&left=100&compact=0",
            bt::percent_all(&rng.array::<20>())
        );
        c.send(&mut t, Dir::A, &bt::http_announce("10.99.0.248:6969", &q));
        c.send(
            &mut t,
            Dir::B,
            &bt::http_ok("text/plain", "", b"d14:failure reason17:torrent not founde"),
        );
        c.close(&mut t);
        let (a2, s2) = (v4(249, 41003), v4(248, 6969));
        let mut c = Tcp::open(&mut t, a2, s2);
        c.send(&mut t, Dir::A, &bt::http_announce("10.99.0.248:6969", &q));
        c.send(
            &mut t,
            Dir::B,
            &bt::http_ok(
                "text/plain",
                "",
                b"d8:intervali1800e5:peersld2:ip8:10.0.0.27:peer id20:-TR3000-abcdefghijkl4:porti51413eeee",
            ),
        );
        c.close(&mut t);
        positive(
            b,
            name,
            "a weak announce (info_hash, uploaded, left, compact=0) answered with a `failure reason`, and the same answered with a dictionary-model (compact=0) peer list",
            t,
            vec![
                F::bt("tcp", a, s, "http_tracker", Confirmed),
                F::bt("tcp", a2, s2, "http_tracker", Confirmed),
            ],
        );
    }
    {
        // A mirror port that carries one direction of each flow: the tracker's side alone.
        // The connection's opening goes to a scratch trace; the capture has the reply only.
        let name = "http-tracker-reply-one-direction";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(220, 41010), v4(221, 6969));
        let mut c = Tcp::open(&mut Trace::new(), a, s);
        let peers: Vec<[u8; 6]> = (0..4).map(|_| rng.array()).collect();
        let reply = bt::http_ok("text/plain", "", &bt::announce_body(&peers));
        c.segment(&mut t, Dir::B, &reply, Carry::Whole);
        c.control(&mut t, Dir::B, flags::FIN | flags::ACK, 0);
        b.add(
            name,
            CR,
            "one direction of an HTTP tracker flow (a mirror port): the reply alone, `interval` and a compact `peers`",
            Role::Positive,
            Some("twin-bencode-api-one-direction"),
            t,
            vec![F::bt("tcp", a, s, "http_tracker", Confirmed)],
        );
    }
    {
        let name = "twin-bencode-api-one-direction";
        let mut t = Trace::new();
        let (a, s) = (v4(220, 41011), v4(221, 8080));
        let mut c = Tcp::open(&mut Trace::new(), a, s);
        // A polling API that answers in bencode: an `interval`, but items, not peers; and a
        // `peers` count that is no peer list.
        for body in [
            &b"d5:itemsl5:alpha4:betae8:intervali30ee"[..],
            b"d8:intervali30e5:peersi12ee",
        ] {
            let reply = bt::http_ok("application/x-bencode", "", body);
            c.segment(&mut t, Dir::B, &reply, Carry::Whole);
        }
        c.control(&mut t, Dir::B, flags::FIN | flags::ACK, 0);
        b.add(
            name,
            CR,
            "one direction of an HTTP flow whose bodies are bencoded dictionaries with `interval` but no peer list",
            Role::Twin,
            Some("http-tracker-reply-one-direction"),
            t,
            vec![F::not_bt("tcp", a, s)],
        );
    }
}

fn peer_wire(b: &mut Builder) {
    {
        let name = "v2-handshake-hash-messages";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(250, 50001), v4(251, 6881));
        let mut c = Tcp::open(&mut t, a, p);
        let ih = rng.array::<20>();
        let v2 = |id: &[u8; 20]| {
            let mut h = bt::PROTOCOL.to_vec();
            h.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x15]);
            h.extend_from_slice(&ih);
            h.extend_from_slice(id);
            h
        };
        let mut request = rng.bytes(32);
        for n in [0u32, 0, 512, 3] {
            request.extend_from_slice(&n.to_be_bytes());
        }
        let mut x = v2(&bt::peer_id(&mut rng, "-LT2080-"));
        x.extend(bt::message(21, &request));
        c.send(&mut t, Dir::A, &x);
        let mut hashes = request.clone();
        hashes.extend(rng.bytes(32 * 12));
        let mut y = v2(&bt::peer_id(&mut rng, "-qB4620-"));
        y.extend(bt::message(22, &hashes));
        y.extend(bt::message(23, &request));
        c.send(&mut t, Dir::B, &y);
        c.close(&mut t);
        positive(
            b,
            name,
            "BEP 52: handshakes with the v2 reserved bit, then hash request, hashes and hash reject (ids 21–23)",
            t,
            vec![F::bt("tcp", a, p, "peer_wire", Confirmed)],
        );
    }
    {
        let name = "fast-extension-one-side";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(252, 50002), v4(253, 6881));
        let mut c = Tcp::open(&mut t, a, p);
        let mut x = bt::handshake(&rng.array(), &bt::peer_id(&mut rng, "-TR4050-"));
        x.extend(bt::message(14, &[]));
        x.extend(bt::message(17, &[0, 0, 0, 5]));
        x.extend(bt::message(13, &[0, 0, 0, 7]));
        x.extend(bt::message(16, &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 0]));
        c.send(&mut t, Dir::A, &x);
        c.close(&mut t);
        positive(
            b,
            name,
            "BEP 6 from one side: a handshake, then have all, allowed fast, suggest and reject",
            t,
            vec![F::bt("tcp", a, p, "peer_wire", Confirmed)],
        );
    }
}

/// An Azureus Messaging Protocol frame (BiglyBT `AZMessageFactory`): length, id length, id,
/// version, payload.
fn az_frame(id: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = (id.len() as u32).to_be_bytes().to_vec();
    body.extend_from_slice(id.as_bytes());
    body.push(2);
    body.extend_from_slice(payload);
    let mut m = (body.len() as u32).to_be_bytes().to_vec();
    m.extend(body);
    m
}

fn azureus(b: &mut Builder) {
    {
        let name = "vuze-azureus-messaging";
        let mut rng = seed(name);
        let mut t = Trace::new();
        // Asymmetric routing: only the responder's side of the connection is captured.
        let (a, p) = (v4(209, 50005), v4(210, 6881));
        let mut c = Tcp::open(&mut t, a, p);
        let mut hs = bt::handshake(&rng.array(), &bt::peer_id(&mut rng, "-BI3700-"));
        hs[20] |= 0x80;
        hs.extend(az_frame(
            "AZ_HANDSHAKE",
            b"d6:clientd4:name7:BiglyBT7:version8:3.7.0.0e9:identity20:0123456789abcdefghij8:messagesld2:id12:AZ_HANDSHAKE3:veri1eeee",
        ));
        hs.extend(az_frame("BT_BITFIELD", &rng.bytes(64)));
        c.send(&mut t, Dir::B, &hs);
        c.close(&mut t);
        // A connection between two Vuze peers picked up mid-stream.
        let (a2, p2) = (v4(209, 50006), v4(211, 6881));
        let mut c = Tcp {
            a: a2,
            b: p2,
            next: [0x1357_9bdf, 0x2468_ace0],
        };
        for i in 0..4u32 {
            let mut r = 9u32.to_be_bytes().to_vec();
            r.extend_from_slice(&(i * 16384).to_be_bytes());
            r.extend_from_slice(&16384u32.to_be_bytes());
            c.send(&mut t, Dir::A, &az_frame("BT_REQUEST", &r));
            let mut piece = 9u32.to_be_bytes().to_vec();
            piece.extend_from_slice(&(i * 16384).to_be_bytes());
            piece.extend(rng.bytes(16384));
            c.send(&mut t, Dir::B, &az_frame("BT_PIECE", &piece));
        }
        c.close(&mut t);
        b.add(
            name,
            CR,
            "Vuze/BiglyBT peers in the Azureus Messaging Protocol: the responder's side alone (handshake with the AZ bit, AZ_HANDSHAKE, BT_BITFIELD in one write), and AZ frames both ways picked up mid-stream",
            Role::Positive,
            Some("twin-thrift-framed-midstream"),
            t,
            vec![
                F::bt("tcp", a, p, "peer_wire", Confirmed),
                // Two frames in a row with BiglyBT's ids and versions (`message::AZ_IDS`).
                F::bt("tcp", a2, p2, "peer_wire", Confirmed),
            ],
        );
    }
    {
        let name = "twin-thrift-framed-midstream";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(212, 50007), v4(213, 9090));
        let mut c = Tcp {
            a,
            b: s,
            next: [0x0f0f_0f0f, 0x7070_7070],
        };
        // Thrift's framed transport with the old non-strict binary protocol: frame length,
        // name length, name, message type, sequence id, then the arguments.
        let frame = |name: &str, kind: u8, seq: u32, body: &[u8]| {
            let mut m = (name.len() as u32).to_be_bytes().to_vec();
            m.extend_from_slice(name.as_bytes());
            m.push(kind);
            m.extend_from_slice(&seq.to_be_bytes());
            m.extend_from_slice(body);
            let mut f = (m.len() as u32).to_be_bytes().to_vec();
            f.extend(m);
            f
        };
        for seq in 1..6u32 {
            c.send(&mut t, Dir::A, &frame("getBlock", 1, seq, &rng.bytes(24)));
            c.send(&mut t, Dir::B, &frame("getBlock", 2, seq, &rng.bytes(3000)));
        }
        c.close(&mut t);
        b.add(
            name,
            CR,
            "Thrift RPC (framed transport, non-strict binary protocol: length, name length, name) picked up mid-stream both ways",
            Role::Twin,
            Some("vuze-azureus-messaging"),
            t,
            vec![F::not_bt("tcp", a, s).decided()],
        );
    }
}

/// A piece message carrying block `i` of piece 5.
fn block(rng: &mut Rng, i: u32) -> Vec<u8> {
    let mut p = 5u32.to_be_bytes().to_vec();
    p.extend_from_slice(&(i * 16384).to_be_bytes());
    p.extend(rng.bytes(16384));
    bt::message(7, &p)
}

fn midstream(b: &mut Builder) {
    {
        let name = "midstream-inside-piece-transfer";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(254, 50003), v4(200, 6881));
        // The capture begins 5000 bytes into a block the uploader is sending.
        let mut c = Tcp {
            a,
            b: p,
            next: [0x0dec_af00, 0x0c0f_fee0],
        };
        let mut up: Vec<u8> = (0..4).flat_map(|i| block(&mut rng, i)).collect();
        up.drain(..5000);
        let mut requests = Vec::new();
        for i in 4..12u32 {
            let mut r = 5u32.to_be_bytes().to_vec();
            r.extend_from_slice(&(i * 16384).to_be_bytes());
            r.extend_from_slice(&16384u32.to_be_bytes());
            requests.extend(bt::message(6, &r));
        }
        for chunk in up.chunks(16384) {
            c.send(&mut t, Dir::B, chunk);
            c.send(&mut t, Dir::A, &requests[..17]);
            requests.drain(..17);
        }
        c.close(&mut t);
        b.add(
            name,
            CR,
            "a capture that begins inside a piece transfer: the uploader's side 5000 bytes into a 16 KiB block, the downloader's requests at message boundaries",
            Role::Positive,
            Some("twin-midstream-tls-records"),
            t,
            // A 16 KiB block and the next message: a block transfer.
            vec![F::bt("tcp", a, p, "peer_wire", Confirmed)],
        );
    }
    {
        let name = "midstream-upload-only";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(254, 50008), v4(205, 51413));
        // Asymmetric routing: only the uploader's side, picked up 9000 bytes into a block of
        // piece 300 of a 4 MiB-piece torrent; the uploader writes 64 KiB at a time.
        let mut c = Tcp {
            a,
            b: p,
            next: [0x0abc_0000, 0x0def_0000],
        };
        let mut up = Vec::new();
        for i in 40..46u32 {
            let mut b = 300u32.to_be_bytes().to_vec();
            b.extend_from_slice(&(i * 16384).to_be_bytes());
            b.extend(rng.bytes(16384));
            up.extend(bt::message(7, &b));
        }
        up.extend(bt::message(4, &299u32.to_be_bytes()));
        up.drain(..9000);
        for write in up.chunks(65536) {
            c.send(&mut t, Dir::B, write);
        }
        c.close(&mut t);
        b.add(
            name,
            CR,
            "only the uploader's side of a piece transfer (asymmetric routing), picked up 9000 bytes into a 16 KiB block of a 4 MiB piece, written 64 KiB at a time",
            Role::Positive,
            Some("twin-midstream-http2-data"),
            t,
            vec![F::bt("tcp", a, p, "peer_wire", Confirmed)],
        );
    }
    {
        let name = "twin-midstream-http2-data";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(206, 50009), v4(207, 443));
        let mut c = Tcp {
            a,
            b: s,
            next: [0x0c0c_0000, 0x0d0d_0000],
        };
        // HTTP/2 over cleartext (h2c): a server sending two downloads as DATA frames of 16384
        // bytes (the default SETTINGS_MAX_FRAME_SIZE) on streams 1 and 3 in turn; only the
        // server's side, picked up 9000 bytes into a frame.
        let mut down = Vec::new();
        for i in 0..6u8 {
            down.extend_from_slice(&[0, 0x40, 0, 0, 0, 0, 0, 0, 1 + 2 * (i % 2)]);
            down.extend(rng.bytes(16384));
        }
        down.drain(..9000);
        for write in down.chunks(65536) {
            c.send(&mut t, Dir::B, write);
        }
        c.close(&mut t);
        b.add(
            name,
            CR,
            "HTTP/2 (h2c) DATA frames of 16384 bytes, two downloads on streams 1 and 3 in turn, the server's side alone, picked up 9000 bytes into a frame",
            Role::Twin,
            Some("midstream-upload-only"),
            t,
            vec![F::not_bt("tcp", a, s).decided()],
        );
    }
    {
        let name = "twin-midstream-tls-records";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(201, 50004), v4(202, 443));
        let mut c = Tcp {
            a,
            b: s,
            next: [0x0bad_cafe, 0x0f00_d000],
        };
        // TLS application data: full 16 KiB records (plus AEAD overhead) one way, small ones
        // the other; picked up 5000 bytes into a record.
        let mut down = Vec::new();
        for _ in 0..4 {
            down.extend_from_slice(&[0x17, 0x03, 0x03, 0x40, 0x11]);
            down.extend(rng.bytes(0x4011));
        }
        down.drain(..5000);
        for chunk in down.chunks(16384) {
            c.send(&mut t, Dir::B, chunk);
            let mut small = vec![0x17, 0x03, 0x03, 0x00, 0x30];
            small.extend(rng.bytes(0x30));
            c.send(&mut t, Dir::A, &small);
        }
        c.close(&mut t);
        b.add(
            name,
            CR,
            "TLS 1.3 picked up mid-stream 5000 bytes into a full 16 KiB record, small records the other way",
            Role::Twin,
            Some("midstream-inside-piece-transfer"),
            t,
            vec![F::not_bt("tcp", a, s).decided()],
        );
    }
}

fn utp_lsd_mse(b: &mut Builder) {
    {
        let name = "utp-syn-extension-bits-sack-fin";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(203, 6881), v4(204, 6881));
        // libutp's SYN carries an extension-bits block (type 2, 8 zero bytes).
        let mut syn = bt::utp(UtpType::Syn, 0x3039, 0x0102_0304, 0, 1 << 20, 700, 0, &[]);
        syn[1] = 2;
        syn.extend_from_slice(&[0, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
        u.send(&mut t, Dir::A, &syn);
        let mut state = bt::utp(
            UtpType::State,
            0x3039,
            0x0a0b_0c0d,
            900,
            1 << 20,
            1200,
            700,
            &[],
        );
        state[1] = 1;
        state.extend_from_slice(&[0, 4, 0x05, 0, 0, 0]);
        u.send(&mut t, Dir::B, &state);
        let data = rng.bytes(900);
        u.send(
            &mut t,
            Dir::A,
            &bt::utp(
                UtpType::Data,
                0x303a,
                0x0102_1304,
                900,
                1 << 20,
                701,
                1199,
                &data,
            ),
        );
        u.send(
            &mut t,
            Dir::A,
            &bt::utp(
                UtpType::Fin,
                0x303a,
                0x0102_2304,
                900,
                1 << 20,
                702,
                1199,
                &[],
            ),
        );
        positive(
            b,
            name,
            "uTP: a SYN with libutp's extension-bits block, a STATE with a selective ACK, DATA and FIN",
            t,
            vec![F::bt("udp", u.a, u.b, "utp", Confirmed)],
        );
    }
    {
        let name = "lsd-ipv6-two-infohashes";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let group = SocketAddr::new(
            IpAddr::V6("ff15::efc0:988f".parse().expect("an IPv6 address")),
            6771,
        );
        let u = Udp::new(v6(205, 6771), group);
        let msg = format!(
            "BT-SEARCH * HTTP/1.1\r\nHost: [ff15::efc0:988f]:6771\r\nPort: 6881\r\nInfohash: {}\r\nInfohash: {}\r\ncookie: 0badf00d\r\n\r\n\r\n",
            hex(&rng.array::<20>()),
            hex(&rng.array::<20>())
        );
        u.send(&mut t, Dir::A, msg.as_bytes());
        positive(
            b,
            name,
            "LSD over IPv6 multicast (ff15::efc0:988f) announcing two info-hashes with a cookie",
            t,
            vec![F::bt("udp", u.a, u.b, "lsd", Confirmed)],
        );
    }
    {
        let name = "mse-opens-before-host-dht";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(206, 52001), v4(207, 51413));
        let mut c = Tcp::open(&mut t, a, p);
        mse_flow(&mut t, &mut c, &mut rng, MseKey::Random, 64, MseSelect::Rc4);
        let (h, node) = (v4(206, 6881), v4(208, 6881));
        dht_exchange(&mut t, &Udp::new(h, node), &mut rng);
        t.advance(2_000_000_000);
        c.close(&mut t);
        positive(
            b,
            name,
            "MSE/PE (RC4) whose key exchange completes before its host's first DHT packet, and that goes on after it (confirmed at its next packet)",
            t,
            vec![
                F::bt("tcp", a, p, "peer_wire_encrypted", Confirmed),
                F::bt("udp", h, node, "dht", Confirmed),
            ],
        );
    }
}
