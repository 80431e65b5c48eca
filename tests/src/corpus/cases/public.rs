//! The shapes of the public BitTorrent test captures of other projects (nDPI, Suricata,
//! Zeek, BitTorrentBlocker; see the reference notes on public captures), rebuilt from their
//! descriptions: DHT and uTP sharing one 5-tuple, synthetic uTP with tiny payloads, DHT on
//! iperf's ports and to port 1, uTP picked up mid-flow carrying PEX, KRPC errors and
//! announce_peer, an unanswered MSE first flight from a BitTorrent host, and µTorrent-era
//! plaintext peer wire.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use torclass_core::Confidence::{Confirmed, Likely};

use super::super::bt::{self, UtpType};
use super::super::packet::{Dir, Tcp, Trace, Udp};
use super::super::{FlowExpect as F, Role};
use super::*;

const CPUB: &str = "public-capture shapes";

fn positive(b: &mut Builder, name: &'static str, what: &'static str, t: Trace, flows: Vec<F>) {
    b.add(name, CPUB, what, Role::Positive, None, t, flows);
}

pub(super) fn public(b: &mut Builder) {
    {
        // nDPI bittorrent_utp.pcap, flow 1: two get_peers, then uTP with handshakes, one tuple
        let name = "dht-then-utp-one-tuple";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(210, 64969), v4(211, 40959));
        dht_exchange(&mut t, &u, &mut rng);
        dht_exchange(&mut t, &u, &mut rng);
        utp_conversation(&mut t, &u, &mut rng, true, 0x1111_2222, 1 << 20, None);
        positive(
            b,
            name,
            "two DHT get_peers exchanges, then uTP carrying handshakes on the same 5-tuple",
            t,
            vec![F::bt("udp", u.a, u.b, "dht", Confirmed).also(&["utp"])],
        );
    }
    {
        // nDPI bittorrent_utp.pcap, flow 2: synthetic uTP on loopback with tiny payloads
        let name = "utp-synthetic-tiny-payloads";
        let mut t = Trace::new();
        let lo = |port| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        let u = Udp::new(lo(40000), lo(6881));
        u.send(
            &mut t,
            Dir::A,
            &bt::utp(UtpType::Syn, 0x1234, 1000, 0, 65535, 1, 0, &[]),
        );
        u.send(
            &mut t,
            Dir::B,
            &bt::utp(UtpType::State, 0x1234, 2000, 1000, 65535, 77, 1, &[]),
        );
        u.send(
            &mut t,
            Dir::A,
            &bt::utp(UtpType::Data, 0x1235, 3000, 1000, 65535, 2, 77, b"fbla"),
        );
        u.send(
            &mut t,
            Dir::B,
            &bt::utp(UtpType::State, 0x1234, 4000, 1000, 65535, 77, 2, &[]),
        );
        u.send(
            &mut t,
            Dir::A,
            &bt::utp(UtpType::Data, 0x1235, 5000, 1000, 65535, 3, 77, b"ftest"),
        );
        u.send(
            &mut t,
            Dir::B,
            &bt::utp(UtpType::State, 0x1234, 6000, 1000, 65535, 77, 3, &[]),
        );
        positive(
            b,
            name,
            "a uTP SYN answered by STATE, then DATA with 4- and 5-byte payloads (not peer wire)",
            t,
            vec![F::bt("udp", u.a, u.b, "utp", Confirmed)],
        );
    }
    {
        // nDPI targusdataspeed_false_positives.pcap: DHT on iperf's ports
        let name = "dht-on-iperf-ports";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u1 = Udp::new(v4(212, 5201), v4(213, 5001));
        u1.send(
            &mut t,
            Dir::A,
            &bt::krpc_query(b"fn", "find_node", &rng.array(), None),
        );
        let u2 = Udp::new(v4(212, 5001), v4(213, 5201));
        u2.send(
            &mut t,
            Dir::A,
            &bt::krpc_query(b"gp", "get_peers", &rng.array(), Some(&rng.array())),
        );
        positive(
            b,
            name,
            "unanswered DHT find_node and get_peers between UDP 5201 and 5001 (iperf's ports)",
            t,
            vec![
                F::bt("udp", u1.a, u1.b, "dht", Confirmed),
                F::bt("udp", u2.a, u2.b, "dht", Confirmed),
            ],
        );
    }
    {
        // nDPI lru_ipv6_caches.pcapng: mid-flow uTP with PEX, DHT to port 1, over IPv6
        let name = "ipv6-utp-midflow-pex-and-dht-port-1";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v6(214, 6881), v6(215, 6881));
        let mut pex = vec![1u8];
        pex.extend_from_slice(b"d5:added12:");
        pex.extend(rng.bytes(12));
        pex.extend_from_slice(b"7:added.f2:");
        pex.extend([0x10, 0x02]);
        pex.extend_from_slice(b"e");
        let ext = bt::message(20, &pex);
        for i in 0..4u16 {
            u.send(
                &mut t,
                Dir::A,
                &bt::utp(
                    UtpType::Data,
                    0x5a5a,
                    7000 + u32::from(i),
                    900,
                    1 << 20,
                    300 + i,
                    800,
                    &ext,
                ),
            );
            u.send(
                &mut t,
                Dir::B,
                &bt::utp(
                    UtpType::State,
                    0x5a59,
                    9000 + u32::from(i),
                    900,
                    1 << 20,
                    800,
                    300 + i,
                    &[],
                ),
            );
        }
        let d = Udp::new(v6(214, 6881), v6(216, 1));
        d.send(
            &mut t,
            Dir::A,
            &bt::krpc_query(b"pn", "ping", &rng.array(), None),
        );
        positive(
            b,
            name,
            "uTP picked up mid-flow (DATA carrying ut_pex, STATE acks) over IPv6, and a DHT ping to port 1",
            t,
            vec![F::bt("udp", u.a, u.b, "utp", Likely), F::bt("udp", d.a, d.b, "dht", Confirmed)],
        );
    }
    {
        // suricata-verify bittorrent-dht: announce_peer, error replies
        let name = "krpc-announce-peer-and-error";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(v4(217, 6881), v4(218, 6881));
        let mut q = b"d1:ad2:id20:".to_vec();
        q.extend(rng.bytes(20));
        q.extend_from_slice(b"12:implied_porti1e9:info_hash20:");
        q.extend(rng.bytes(20));
        q.extend_from_slice(b"4:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe");
        u.exchange(
            &mut t,
            &q,
            b"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
        );
        positive(
            b,
            name,
            "a KRPC announce_peer query answered with a KRPC error (201)",
            t,
            vec![F::bt("udp", u.a, u.b, "dht", Confirmed)],
        );
    }
    {
        // BitTorrentBlocker small_torrent_mse.pcap: an unanswered 116-byte MSE first flight from
        // a host that uses the DHT
        let name = "mse-first-flight-unanswered-from-bt-host";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (h, node) = (v4(219, 6881), v4(220, 6881));
        dht_exchange(&mut t, &Udp::new(h, node), &mut rng);
        t.advance(1_000_000_000);
        let (a, p) = (v4(219, 52000), v4(221, 51413));
        let mut c = Tcp::open(&mut t, a, p);
        c.send(&mut t, Dir::A, &rng.bytes(116));
        t.advance(3_000_000_000);
        c.close(&mut t);
        positive(
            b,
            name,
            "a host that uses the DHT sends one 116-byte MSE/PE first flight (key and 20 bytes of padding); the peer never answers",
            t,
            vec![
                F::bt("udp", h, node, "dht", Confirmed),
                F::bt("tcp", a, p, "peer_wire_encrypted", Likely),
            ],
        );
    }
    {
        // nDPI bittorrent.pcap: µTorrent Mac 1.8.6 and its peers, plaintext with have/request/port
        let name = "utorrent-plaintext-messages";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(222, 50001), v4(223, 21000));
        let mut c = Tcp::open(&mut t, a, p);
        let ih = rng.array::<20>();
        let mut hs = bt::handshake(&ih, &bt::peer_id(&mut rng, "-UM1860-"));
        hs.extend(bt::extension_handshake("uTorrentMac 1.8.6"));
        c.send(&mut t, Dir::A, &hs);
        let mut hs = bt::handshake(&ih, &bt::peer_id(&mut rng, "-UT3450-"));
        hs.extend(bt::message(5, &rng.bytes(40)));
        hs.extend(bt::message(9, &[0x52, 0x08]));
        c.send(&mut t, Dir::B, &hs);
        c.send(&mut t, Dir::A, &bt::message(4, &[0, 0, 0, 17]));
        c.send(
            &mut t,
            Dir::A,
            &bt::message(6, &[0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0x40, 0]),
        );
        c.close(&mut t);
        positive(
            b,
            name,
            "µTorrent-era plaintext peer wire: handshakes, extension handshake, bitfield, port, have, request",
            t,
            vec![F::bt("tcp", a, p, "peer_wire", Confirmed)],
        );
    }
}
