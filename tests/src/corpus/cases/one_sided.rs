//! BitTorrent seen from one side or briefly: the conclusive one-sided evidence that must be
//! confirmed on its own.

use std::net::SocketAddr;

use torclass_core::Confidence::{Confirmed, Likely};

use super::super::bt::{self, MseKey, MseSelect};
use super::super::packet::{Dir, Tcp, Trace, Udp};
use super::super::{FlowExpect as F, Role};
use super::*;

const CP: &str = "one-sided evidence";

pub(super) fn one_sided(b: &mut Builder) {
    {
        let name = "dht-query-unanswered";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(130, 6881), v4(131, 6881));
        u.send(
            &mut t,
            Dir::A,
            &bt::krpc_query(b"gp", "get_peers", &rng.array(), Some(&rng.array())),
        );
        b.add(
            name,
            CP,
            "one KRPC get_peers query whose reply is not in the capture",
            Role::Positive,
            None,
            t,
            vec![F::bt("udp", u.a, u.b, "dht", Confirmed)],
        );
    }
    {
        let name = "handshake-one-side";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(132, 46100), v4(133, 51413));
        let mut c = Tcp::open(&mut t, a, p);
        let mut h = bt::handshake(&rng.array(), &bt::peer_id(&mut rng, "-TR3000-"));
        h.extend(bt::after_handshake(&mut rng));
        c.send(&mut t, Dir::A, &h);
        c.close(&mut t);
        b.add(
            name,
            CP,
            "a complete handshake with its first messages, seen from one side only",
            Role::Positive,
            Some("twin-netcat-handshake-file"),
            t,
            vec![F::bt("tcp", a, p, "peer_wire", Confirmed)],
        );
    }
    {
        let name = "announce-unanswered";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(134, 46101), v4(135, 6969));
        let mut c = Tcp::open(&mut t, a, s);
        let q = bt::announce_query(
            ["info_hash", "peer_id", "port"],
            &rng.array(),
            &bt::peer_id(&mut rng, "-TR3000-"),
        );
        c.send(&mut t, Dir::A, &bt::http_announce("10.99.0.135:6969", &q));
        c.close(&mut t);
        b.add(
            name,
            CP,
            "an HTTP tracker announce without its reply",
            Role::Positive,
            None,
            t,
            vec![F::bt("tcp", a, s, "http_tracker", Confirmed)],
        );
    }
    {
        let name = "udp-connect-unanswered";
        let mut t = Trace::new();
        let u = Udp::new(v4(136, 6881), v4(137, 6969));
        u.send(&mut t, Dir::A, &bt::udp_connect(0x1357_9bdf));
        b.add(
            name,
            CP,
            "a BEP 15 connect request with the protocol magic, unanswered",
            Role::Positive,
            None,
            t,
            vec![F::bt("udp", u.a, u.b, "udp_tracker", Confirmed)],
        );
    }
    {
        let name = "udp-tracker-session";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(138, 6881), v4(139, 6969));
        u.exchange(
            &mut t,
            &bt::udp_connect(7),
            &bt::udp_connect_reply(7, 0x1122_3344_5566_7788),
        );
        let ann = bt::udp_announce(
            0x1122_3344_5566_7788,
            8,
            &rng.array(),
            &bt::peer_id(&mut rng, "-TR3000-"),
            51413,
        );
        let mut reply = vec![0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 7, 8, 0, 0, 0, 1, 0, 0, 0, 2];
        reply.extend(rng.bytes(12));
        u.exchange(&mut t, &ann, &reply);
        b.add(
            name,
            CP,
            "a BEP 15 connect, announce and their replies",
            Role::Positive,
            None,
            t,
            vec![F::bt("udp", u.a, u.b, "udp_tracker", Confirmed)],
        );
    }
    {
        let name = "udp-announce-without-connect";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(140, 6881), v4(141, 6969));
        let ann = bt::udp_announce(
            0x0badc0de_0badc0de,
            9,
            &rng.array(),
            &bt::peer_id(&mut rng, "-TR3000-"),
            51413,
        );
        let mut reply = vec![0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 7, 8, 0, 0, 0, 1, 0, 0, 0, 2];
        reply.extend(rng.bytes(6));
        u.exchange(&mut t, &ann, &reply);
        b.add(
            name,
            CP,
            "a BEP 15 announce and its reply, the connect before the capture",
            Role::Positive,
            None,
            t,
            vec![F::bt("udp", u.a, u.b, "udp_tracker", Likely)],
        );
    }
    {
        let name = "lsd-announce";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(
            v4(142, 6771),
            SocketAddr::new(IpAddr::V4(Ipv4Addr::new(239, 192, 152, 143)), 6771),
        );
        u.send(&mut t, Dir::A, &bt::lsd_announce(&rng.array(), 51413));
        b.add(
            name,
            CP,
            "one LSD BT-SEARCH announce",
            Role::Positive,
            None,
            t,
            vec![F::bt("udp", u.a, u.b, "lsd", Confirmed)],
        );
    }
    {
        let name = "utp-syn-state";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(144, 6881), v4(145, 6881));
        utp_conversation(&mut t, &u, &mut rng, true, 0x0a0b_0c0d, 1 << 20, None);
        b.add(
            name,
            CP,
            "a uTP connection carrying plaintext handshakes",
            Role::Positive,
            None,
            t,
            vec![F::bt("udp", u.a, u.b, "utp", Confirmed)],
        );
    }
    {
        let name = "mse-plain-from-both";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(146, 46102), v4(147, 6881));
        let mut c = Tcp::open(&mut t, a, p);
        mse_flow(
            &mut t,
            &mut c,
            &mut rng,
            MseKey::Random,
            100,
            MseSelect::Plain,
        );
        c.close(&mut t);
        b.add(
            name,
            CP,
            "MSE/PE with plaintext selected: the responder's handshake in the clear after step 4",
            Role::Positive,
            None,
            t,
            vec![F::bt("tcp", a, p, "peer_wire_encrypted", Confirmed).also(&["peer_wire"])],
        );
    }
}
