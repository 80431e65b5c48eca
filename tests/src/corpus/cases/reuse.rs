//! Class 7 of issue 13: a new TCP connection on a 5-tuple after FIN/FIN or RST, and UDP
//! protocols taking turns on one 5-tuple an hour apart.

use torclass_core::Confidence::Confirmed;

use super::super::benign as bn;
use super::super::packet::{flags, Dir, Tcp, Trace, Udp};
use super::super::{FlowExpect as F, Role};
use super::*;

const C7: &str = "7 tuple reuse";

pub(super) fn tuple_reuse(b: &mut Builder) {
    const S: u64 = 1_000_000_000;
    {
        let name = "tcp-http-then-peer-wire";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(110, 45100), v4(111, 51413));
        let mut c = Tcp::open(&mut t, a, p);
        http(&mut t, &mut c, &get("/", "www.lab"), &page(&mut rng, 800));
        c.close(&mut t);
        t.advance(58 * S);
        let mut c = Tcp::open(&mut t, a, p);
        let ih = rng.array();
        peer_wire(&mut t, &mut c, &mut rng, &ih);
        c.close(&mut t);
        b.add(name, C7, "an HTTP connection closed with FIN/FIN, then 58 s later a new connection on the same 5-tuple carrying peer wire", Role::Evasion, Some("tcp-peer-wire-then-http"), t, vec![
            F::not_bt("tcp", a, p),
            F::bt("tcp", a, p, "peer_wire", Confirmed).nth(1),
        ]);
    }
    {
        let name = "tcp-peer-wire-then-http";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(112, 45101), v4(113, 8080));
        let mut c = Tcp::open(&mut t, a, p);
        let ih = rng.array();
        peer_wire(&mut t, &mut c, &mut rng, &ih);
        c.close(&mut t);
        t.advance(58 * S);
        let mut c = Tcp::open(&mut t, a, p);
        http(&mut t, &mut c, &get("/", "www.lab"), &page(&mut rng, 800));
        c.close(&mut t);
        b.add(
            name,
            C7,
            "peer wire closed with FIN/FIN, then 58 s later an HTTP connection on the same 5-tuple",
            Role::Twin,
            Some("tcp-http-then-peer-wire"),
            t,
            vec![
                F::bt("tcp", a, p, "peer_wire", Confirmed),
                F::not_bt("tcp", a, p).nth(1),
            ],
        );
    }
    {
        let name = "tcp-peer-wire-rst-then-http";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(114, 45102), v4(115, 8080));
        let mut c = Tcp::open(&mut t, a, p);
        let ih = rng.array();
        peer_wire(&mut t, &mut c, &mut rng, &ih);
        c.control(&mut t, Dir::B, flags::RST, 0);
        t.advance(3 * S);
        let mut c = Tcp::open(&mut t, a, p);
        http(&mut t, &mut c, &get("/", "www.lab"), &page(&mut rng, 800));
        c.close(&mut t);
        b.add(
            name,
            C7,
            "peer wire ended by RST, then 3 s later an HTTP connection on the same 5-tuple",
            Role::Twin,
            Some("tcp-http-then-peer-wire"),
            t,
            vec![
                F::bt("tcp", a, p, "peer_wire", Confirmed),
                F::not_bt("tcp", a, p).nth(1),
            ],
        );
    }
    {
        let name = "udp-dns-after-dht";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(116, 53), v4(117, 53));
        dht_exchange(&mut t, &u, &mut rng);
        t.advance(3600 * S);
        for i in 0..3u16 {
            let q = bn::dns_query(0x5000 + i, "lab.example", 1, true);
            u.exchange(&mut t, &q, &bn::dns_answer(&q, &[10, 99, 0, 2]));
        }
        b.add(
            name,
            C7,
            "DNS an hour after the DHT on the same 5-tuple",
            Role::Twin,
            Some("udp-dht-after-dns"),
            t,
            vec![
                F::bt("udp", u.a, u.b, "dht", Confirmed),
                F::not_bt("udp", u.a, u.b).nth(1),
            ],
        );
    }
    {
        let name = "udp-dht-after-dns";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(118, 45200), v4(119, 53));
        for i in 0..3u16 {
            let q = bn::dns_query(0x5100 + i, "lab.example", 1, true);
            u.exchange(&mut t, &q, &bn::dns_answer(&q, &[10, 99, 0, 2]));
        }
        t.advance(3600 * S);
        dht_exchange(&mut t, &u, &mut rng);
        b.add(
            name,
            C7,
            "the DHT an hour after DNS on the same 5-tuple",
            Role::Evasion,
            Some("udp-dns-after-dht"),
            t,
            vec![
                F::not_bt("udp", u.a, u.b),
                F::bt("udp", u.a, u.b, "dht", Confirmed).nth(1),
            ],
        );
    }
}
