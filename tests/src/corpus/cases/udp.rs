//! Classes 2 and 3 of issue 13: junk datagrams before the DHT or uTP on one 5-tuple, DNS to
//! an endpoint a DHT reply named, and uTP carrying MSE/PE with odd header fields or without its
//! SYN; with benign twins.

use torclass_core::Confidence::{Confirmed, Likely};

use super::super::benign as bn;
use super::super::bt::{self, MseKey};
use super::super::packet::{Dir, Trace, Udp};
use super::super::{FlowExpect as F, Role};
use super::*;

const C2: &str = "2 UDP refutation";

pub(super) fn udp_refutation(b: &mut Builder) {
    {
        let name = "udp-junk-then-dht";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(20, 6881), v4(21, 6881));
        for _ in 0..8 {
            let n = rng.range(20, 200);
            u.send(&mut t, Dir::A, &rng.bytes(n));
        }
        t.advance(1_000_000_000);
        dht_exchange(&mut t, &u, &mut rng);
        dht_exchange(&mut t, &u, &mut rng);
        b.add(
            name,
            C2,
            "8 junk datagrams, then DHT get_peers query and response on the same 5-tuple",
            Role::Evasion,
            Some("twin-udp-junk-then-junk"),
            t,
            vec![F::bt("udp", u.a, u.b, "dht", Confirmed)],
        );
    }
    {
        let name = "udp-junk-then-utp";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(22, 6881), v4(23, 6881));
        for _ in 0..8 {
            let n = rng.range(20, 200);
            u.send(&mut t, Dir::A, &rng.bytes(n));
        }
        t.advance(1_000_000_000);
        utp_conversation(&mut t, &u, &mut rng, true, 0x1234_5678, 1 << 20, None);
        b.add(name, C2, "8 junk datagrams, then a uTP connection (SYN, STATE, DATA with handshakes) on the same 5-tuple", Role::Evasion, Some("twin-udp-junk-then-dns"), t, vec![F::bt("udp", u.a, u.b, "utp", Confirmed)]);
    }
    {
        let name = "twin-udp-junk-then-junk";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(24, 40000), v4(25, 6881));
        for i in 0..24 {
            let n = rng.range(20, 1200);
            u.send(
                &mut t,
                if i % 3 == 2 { Dir::B } else { Dir::A },
                &rng.bytes(n),
            );
            t.advance(20_000_000);
        }
        b.add(
            name,
            C2,
            "24 random datagrams both ways on one 5-tuple (to a BitTorrent-looking port)",
            Role::Twin,
            Some("udp-junk-then-dht"),
            t,
            vec![F::not_bt("udp", u.a, u.b)],
        );
    }
    {
        let name = "twin-udp-junk-then-dns";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(26, 40001), v4(27, 53));
        for _ in 0..8 {
            let n = rng.range(20, 200);
            u.send(&mut t, Dir::A, &rng.bytes(n));
        }
        for i in 0..4u16 {
            let q = bn::dns_query(0x4100 + i, "lab.example", 1, true);
            u.exchange(&mut t, &q, &bn::dns_answer(&q, &[10, 99, 0, 9]));
        }
        b.add(name, C2, "8 junk datagrams, then DNS queries with EDNS0 whose ids start 0x41 (a uTP SYN's first byte)", Role::Twin, Some("udp-junk-then-utp"), t, vec![F::not_bt("udp", u.a, u.b)]);
    }
    {
        let name = "dns-to-learned-endpoint";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (h, node, resolver) = (v4(28, 6881), v4(29, 6881), v4(30, 53));
        let tid = rng.bytes(2);
        let (ida, idb, ih) = (rng.array::<20>(), rng.array::<20>(), rng.array::<20>());
        // The DHT "values" name the resolver's endpoint as a peer (anyone can announce any).
        Udp::new(h, node).exchange(
            &mut t,
            &bt::krpc_query(&tid, "get_peers", &ida, Some(&ih)),
            &bt::krpc_values(
                &tid,
                &idb,
                &[[10, 99, 0, 30, 0, 53], [10, 99, 0, 31, 0x1a, 0xe1]],
            ),
        );
        t.advance(5_000_000_000);
        let client = v4(32, 45000);
        let u = Udp::new(client, resolver);
        for i in 0..4u16 {
            let q = bn::dns_query(0x7700 + i, "example.org", 1, true);
            u.exchange(&mut t, &q, &bn::dns_answer(&q, &[10, 99, 0, 7]));
        }
        b.add(
            name,
            C2,
            "DNS (EDNS0) to a resolver whose endpoint a DHT reply listed as a peer",
            Role::Twin,
            Some("utp-to-learned-endpoint"),
            t,
            vec![
                F::bt("udp", h, node, "dht", Confirmed),
                F::not_bt("udp", client, resolver).decided(),
            ],
        );
    }
    {
        let name = "utp-to-learned-endpoint";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (h, node, peer) = (v4(28, 6881), v4(29, 6881), v4(31, 6881));
        let tid = rng.bytes(2);
        let (ida, idb, ih) = (rng.array::<20>(), rng.array::<20>(), rng.array::<20>());
        Udp::new(h, node).exchange(
            &mut t,
            &bt::krpc_query(&tid, "get_peers", &ida, Some(&ih)),
            &bt::krpc_values(&tid, &idb, &[[10, 99, 0, 31, 0x1a, 0xe1]]),
        );
        t.advance(5_000_000_000);
        let u = Udp::new(v4(28, 6881), peer);
        utp_conversation(
            &mut t,
            &u,
            &mut rng,
            false,
            0x1000,
            1 << 20,
            Some(MseKey::Random),
        );
        b.add(
            name,
            C2,
            "uTP carrying MSE, without its SYN, to a peer a DHT reply listed",
            Role::Evasion,
            Some("dns-to-learned-endpoint"),
            t,
            vec![F::bt("udp", u.a, u.b, "utp", Confirmed).also(&["peer_wire_encrypted"])],
        );
    }
}

const C3: &str = "3 uTP + MSE";

pub(super) fn utp_mse(b: &mut Builder) {
    {
        let name = "utp-mse-odd-header";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(40, 6881), v4(41, 6881));
        utp_conversation(
            &mut t,
            &u,
            &mut rng,
            true,
            0,
            32 << 20,
            Some(MseKey::Random),
        );
        b.add(
            name,
            C3,
            "uTP carrying MSE/PE whose initiator sends timestamp 0 and a 32 MiB window",
            Role::Evasion,
            Some("twin-utp-lookalike-dns"),
            t,
            vec![F::bt("udp", u.a, u.b, "utp", Confirmed).also(&["peer_wire_encrypted"])],
        );
    }
    {
        let name = "utp-mse-no-syn";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(42, 6881), v4(43, 6881));
        utp_conversation(
            &mut t,
            &u,
            &mut rng,
            false,
            0x0123_4567,
            1 << 20,
            Some(MseKey::FirstByte(0x13)),
        );
        b.add(
            name,
            C3,
            "uTP carrying MSE/PE picked up without its SYN (DATA and STATE both ways)",
            Role::Evasion,
            Some("twin-utp-lookalike-random"),
            t,
            vec![F::bt("udp", u.a, u.b, "utp", Likely).also(&["peer_wire_encrypted"])],
        );
    }
    {
        let name = "twin-utp-lookalike-dns";
        let mut t = Trace::new();
        let u = Udp::new(v4(44, 41000), v4(45, 53));
        for id in [0x4100u16, 0x4101, 0x0100, 0x2101, 0x4102] {
            let q = bn::dns_query(id, "a.lab", 1, false);
            u.exchange(&mut t, &q, &bn::dns_answer(&q, &[10, 99, 0, 1]));
        }
        b.add(
            name,
            C3,
            "DNS queries whose ids start 0x41/0x01/0x21 (uTP SYN, DATA, STATE type and version)",
            Role::Twin,
            Some("utp-mse-odd-header"),
            t,
            vec![F::not_bt("udp", u.a, u.b)],
        );
    }
    {
        let name = "twin-utp-lookalike-random";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(46, 41001), v4(47, 9981));
        for i in 0..30 {
            let n = rng.range(24, 1200);
            let mut d = rng.bytes(n);
            d[0] = [0x01, 0x21, 0x41][i % 3];
            u.send(&mut t, if i % 2 == 0 { Dir::A } else { Dir::B }, &d);
        }
        b.add(name, C3, "random datagrams whose first byte is a uTP type/version byte, both ways (nDPI's port-9981 false positive)", Role::Twin, Some("utp-mse-no-syn"), t, vec![F::not_bt("udp", u.a, u.b)]);
    }
}
