//! Class 5 of issue 13: KRPC messages with a trailing byte; with a benign twin.

use torclass_core::Confidence::Confirmed;

use super::super::bt::{self};
use super::super::packet::{Dir, Trace, Udp};
use super::super::{FlowExpect as F, Role};
use super::*;

const C5: &str = "5 KRPC trailing byte";

pub(super) fn krpc_trailing(b: &mut Builder) {
    {
        let name = "krpc-trailing-byte";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(60, 6881), v4(61, 6881));
        let mut q = bt::krpc_query(b"aa", "find_node", &rng.array(), None);
        q.truncate(q.len() - 1);
        q.extend_from_slice(b"6:target20:");
        q.extend(rng.bytes(20));
        q.extend_from_slice(b"e\n");
        u.send(&mut t, Dir::A, &q);
        b.add(name, C5, "a KRPC find_node query with one byte after the dictionary (libtorrent accepts it), unanswered", Role::Evasion, Some("twin-bencode-trailing"), t, vec![F::bt("udp", u.a, u.b, "dht", Confirmed)]);
    }
    {
        let name = "krpc-trailing-byte-answered";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(62, 6881), v4(63, 6881));
        let tid = rng.bytes(2);
        let mut q = bt::krpc_query(&tid, "ping", &rng.array(), None);
        q.push(0);
        let mut r = bt::krpc_response(&tid, &rng.array(), &[]);
        r.push(b'x');
        u.exchange(&mut t, &q, &r);
        b.add(
            name,
            C5,
            "a KRPC ping and its response, each with a trailing byte",
            Role::Evasion,
            Some("twin-bencode-trailing"),
            t,
            vec![F::bt("udp", u.a, u.b, "dht", Confirmed)],
        );
    }
    {
        let name = "twin-bencode-trailing";
        let mut t = Trace::new();
        let u = Udp::new(v4(64, 27000), v4(65, 27000));
        u.exchange(
            &mut t,
            b"d6:lobbyi3e4:name5:alice7:players3:abce\n",
            b"d2:ok4:true4:seedi99e5:statei2ee\n",
        );
        u.exchange(
            &mut t,
            b"d6:lobbyi3e4:name5:alice4:pingi17ee\n",
            b"d4:pongi17ee\n",
        );
        b.add(name, C5, "a game lobby speaking bencoded dictionaries (no `y`, `q`, `id`) with a trailing newline", Role::Twin, Some("krpc-trailing-byte"), t, vec![F::not_bt("udp", u.a, u.b)]);
    }
}
