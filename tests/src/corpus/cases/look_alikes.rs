//! Non-BitTorrent look-alikes that the capture lab cannot run or that other classifiers took for
//! BitTorrent (DNS to UDP 443 with EDNS0 and padding, DNSCrypt, AFS RX, NFS, ONC RPC, WireGuard,
//! game and QUIC datagrams, STUN, RTP, Teredo, CoAP, CAPWAP, RakNet, IPsec NAT-T, Zoom-like
//! media, RLPx, Telegram, TLS with long chains, Shadowsocks, Windows Delivery Optimization,
//! random bytes), each built from its protocol's message formats.

use std::net::SocketAddr;

use super::super::benign as bn;
use super::super::bt;
use super::super::packet::{Dir, Tcp, Trace, Udp};
use super::super::rng::Rng;
use super::super::{FlowExpect as F, Role};
use super::*;

const CN: &str = "look-alike";

pub(super) fn look_alikes(b: &mut Builder) {
    let udp_case = |b: &mut Builder,
                    name: &'static str,
                    what: &'static str,
                    a: SocketAddr,
                    s: SocketAddr,
                    make: &dyn Fn(&mut Trace, &Udp, &mut Rng),
                    decided: bool| {
        let mut rng = seed(name);
        let mut t = Trace::new();
        let u = Udp::new(a, s);
        make(&mut t, &u, &mut rng);
        let mut f = F::not_bt("udp", a, s);
        if decided {
            f = f.decided();
        }
        b.add(name, CN, what, Role::Negative, None, t, vec![f]);
    };
    udp_case(
        b,
        "dns-edns0-udp443",
        "DNS queries with an EDNS0 OPT record to UDP 443 (DNSCrypt resolver pings) and answers",
        v4(150, 47001),
        v4(151, 443),
        &|t, u, _| {
            for i in 0..4u16 {
                let q = bn::dns_query(0x1a2b + i, "2.dnscrypt-cert.resolver.lab", 16, true);
                u.exchange(t, &q, &bn::dns_answer(&q, b"\x7cDNSC\x00\x02\x00\x00"));
            }
        },
        true,
    );
    udp_case(
        b,
        "dns-edns0-query-udp443-unanswered",
        "one DNS query with EDNS0 to UDP 443, no answer",
        v4(152, 47002),
        v4(153, 443),
        &|t, u, _| {
            u.send(t, Dir::A, &bn::dns_query(0x0000, "resolver.lab", 1, true));
        },
        false,
    );
    udp_case(
        b,
        "dns-edns0-padding-udp443",
        "DNS queries padded to 128 bytes with an EDNS0 Padding option (RFC 7830/8467) to UDP 443 (a DNSCrypt resolver ping: NSCOUNT 0, ARCOUNT 1 read as BEP 15 action 1, zero padding), and answers",
        v4(148, 47010),
        v4(149, 443),
        &|t, u, _| {
            for i in 0..4u16 {
                let q = bn::dns_query_padded(0x2c00 + i, "resolver.lab.example", 1, 128);
                u.exchange(t, &q, &bn::dns_answer(&q, &[10, 99, 0, 3]));
            }
        },
        true,
    );
    udp_case(
        b,
        "dns-edns0-padding-query-udp443-unanswered",
        "one DNS query padded to 128 bytes (EDNS0 Padding) to UDP 443, no answer",
        v4(148, 47011),
        v4(149, 443),
        &|t, u, _| {
            u.send(
                t,
                Dir::A,
                &bn::dns_query_padded(0x0001, "2.dnscrypt-cert.resolver.lab", 16, 128),
            );
        },
        false,
    );
    udp_case(
        b,
        "dns-edns0-udp53",
        "DNS with EDNS0 to UDP 53",
        v4(154, 47003),
        v4(155, 53),
        &|t, u, _| {
            for i in 0..4u16 {
                let q = bn::dns_query(i * 0x1111, "www.lab.example", 28, true);
                u.exchange(
                    t,
                    &q,
                    &bn::dns_answer(&q, &[0xfd, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]),
                );
            }
        },
        true,
    );
    udp_case(
        b,
        "dnscrypt-encrypted-443",
        "DNSCrypt v2 encrypted queries and responses over UDP 443",
        v4(156, 47004),
        v4(157, 443),
        &|t, u, rng| {
            let magic = rng.array::<8>();
            for _ in 0..4 {
                let q = bn::dnscrypt_query(rng, &magic);
                let r = bn::dnscrypt_reply(rng);
                u.exchange(t, &q, &r);
            }
        },
        false,
    );
    udp_case(
        b,
        "afs-rx",
        "AFS RX calls and replies (UDP 7001)",
        v4(158, 7001),
        v4(159, 7003),
        &|t, u, rng| {
            let (epoch, cid) = (
                0x6553_0000 | rng.below(0xffff) as u32,
                (rng.below(1 << 30) as u32) << 2,
            );
            for call in 1..5u32 {
                let q = bn::rx(
                    epoch,
                    cid,
                    call,
                    1,
                    call * 2,
                    1,
                    0x03,
                    52,
                    &[0, 0, 0, 0x82, 0, 0, 0, 1, 0, 0, 0, 5],
                );
                let r = bn::rx(
                    epoch,
                    cid,
                    call,
                    1,
                    call * 2 + 1,
                    1,
                    0x06,
                    52,
                    &rng.bytes(64),
                );
                u.exchange(t, &q, &r);
            }
        },
        false,
    );
    udp_case(
        b,
        "afs-rx-fetchdata",
        "AFS RX: the first call of a connection (call number 1 in bytes 8–11, BEP 15's action 1) fetching a file, 120–1400-byte packets",
        v4(158, 7002),
        v4(159, 7000),
        &|t, u, rng| {
            let (epoch, cid) = (0x6553_1234, 0x8a2c_0004);
            let mut args = vec![0, 0, 0, 0x82];
            args.extend(rng.bytes(12));
            args.extend([0u8; 8]);
            args.extend(vec![0u8; 96]);
            u.send(t, Dir::A, &bn::rx(epoch, cid, 1, 1, 1, 1, 0x02, 1, &args));
            for seq in 1..6u32 {
                let n = rng.range(120, 1400);
                u.send(t, Dir::B, &bn::rx(epoch, cid, 1, seq, seq + 1, 1, 0x04, 1, &rng.bytes(n)));
            }
            u.send(t, Dir::A, &bn::rx(epoch, cid, 1, 0, 7, 2, 0, 1, &[0; 64]));
        },
        false,
    );
    udp_case(
        b,
        "nfs-v3-udp-read",
        "NFSv3 READ over UDP with small transaction ids (1, 2, …): replies carrying file data",
        v4(160, 803),
        v4(161, 2049),
        &|t, u, rng| {
            for xid in 1..5u32 {
                let mut fh = vec![0, 0, 0, 32];
                fh.extend(rng.bytes(32));
                fh.extend([0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0x20, 0]);
                let mut res = vec![0u8; 4];
                res.extend([0, 0, 0, 1]);
                res.extend(vec![0u8; 84]);
                res.extend([0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0x20, 0]);
                res.extend(rng.bytes(1024));
                u.exchange(
                    t,
                    &bn::rpc_call(xid, 100_003, 3, 6, &fh),
                    &bn::rpc_reply(xid, &res),
                );
            }
        },
        false,
    );
    udp_case(
        b,
        "nfs-v3-udp",
        "NFSv3 GETATTR and READ calls over UDP 2049 and their replies",
        v4(160, 800),
        v4(161, 2049),
        &|t, u, rng| {
            for xid in 0x5000..0x5004u32 {
                let mut fh = vec![0, 0, 0, 32];
                fh.extend(rng.bytes(32));
                u.exchange(
                    t,
                    &bn::rpc_call(xid, 100_003, 3, 1, &fh),
                    &bn::rpc_reply(xid, &{
                        let mut a = vec![0u8; 4];
                        a.extend([0u8, 0, 0, 1, 0, 0, 0x81, 0xa4]);
                        a.extend(vec![0u8; 76]);
                        a
                    }),
                );
            }
        },
        false,
    );
    udp_case(
        b,
        "nfs-v2-udp",
        "NFSv2 LOOKUP calls over UDP 2049",
        v4(162, 801),
        v4(163, 2049),
        &|t, u, rng| {
            for xid in 0x6000..0x6003u32 {
                let mut args = rng.bytes(32);
                args.extend([0, 0, 0, 8]);
                args.extend(b"data.bin");
                u.exchange(
                    t,
                    &bn::rpc_call(xid, 100_003, 2, 4, &args),
                    &bn::rpc_reply(xid, &[0u8; 100]),
                );
            }
        },
        false,
    );
    udp_case(
        b,
        "rpcbind-getport-udp",
        "ONC RPC portmapper GETPORT over UDP 111",
        v4(164, 802),
        v4(165, 111),
        &|t, u, _| {
            for xid in 0x7000..0x7002u32 {
                let args = [0, 1, 0x86, 0xa3, 0, 0, 0, 3, 0, 0, 0, 17, 0, 0, 0, 0];
                u.exchange(
                    t,
                    &bn::rpc_call(xid, 100_000, 2, 3, &args),
                    &bn::rpc_reply(xid, &[0, 0, 8, 1]),
                );
            }
        },
        false,
    );
    udp_case(
        b,
        "wireguard-51820",
        "WireGuard handshake and transport data (UDP 51820)",
        v4(166, 51820),
        v4(167, 51820),
        &|t, u, rng| {
            u.exchange(
                t,
                &bn::wireguard_initiation(rng, 0x1111_2222),
                &bn::wireguard_response(rng, 0x3333_4444, 0x1111_2222),
            );
            for i in 0..10u64 {
                let n = rng.range(32, 1400);
                u.send(t, Dir::A, &bn::wireguard_data(rng, 0x3333_4444, i, n));
                let n = rng.range(32, 1400);
                u.send(t, Dir::B, &bn::wireguard_data(rng, 0x1111_2222, i, n));
            }
            u.send(t, Dir::A, &bn::wireguard_data(rng, 0x3333_4444, 10, 0));
        },
        false,
    );
    udp_case(
        b,
        "game-udp-source",
        "a Source engine server query and game state datagrams (UDP 27015)",
        v4(168, 27005),
        v4(169, 27015),
        &|t, u, rng| {
            u.exchange(t, &bn::a2s_info(), b"\xff\xff\xff\xffI\x11Lab Server\x00de_dust2\x00cstrike\x00Counter-Strike\x00\x00\x00\x05\x10\x00dl\x00\x011.0\x00");
            for i in 0..20u16 {
                let n = rng.range(20, 300);
                u.send(t, Dir::A, &bn::game_state(rng, i, i.wrapping_sub(1), n));
                let n = rng.range(60, 900);
                u.send(t, Dir::B, &bn::game_state(rng, i, i, n));
            }
        },
        false,
    );
    udp_case(
        b,
        "quic-443",
        "QUIC v1 Initial packets and short-header packets (UDP 443)",
        v4(170, 47005),
        v4(171, 443),
        &|t, u, rng| {
            u.exchange(
                t,
                &bn::quic_initial(rng, true),
                &bn::quic_initial(rng, false),
            );
            for _ in 0..6 {
                let n = rng.range(40, 1300);
                u.send(t, Dir::A, &bn::quic_short(rng, n));
                let n = rng.range(40, 1300);
                u.send(t, Dir::B, &bn::quic_short(rng, n));
            }
        },
        false,
    );
    udp_case(
        b,
        "stun-3478",
        "STUN Binding requests and responses",
        v4(172, 47006),
        v4(173, 3478),
        &|t, u, rng| {
            for _ in 0..3 {
                let q = bn::stun_request(rng);
                u.exchange(t, &q, &bn::stun_response(&q));
            }
        },
        true,
    );
    udp_case(
        b,
        "rtp-stream",
        "an RTP G.711 stream (one way)",
        v4(174, 16384),
        v4(175, 16386),
        &|t, u, rng| {
            for i in 0..40u16 {
                u.send(
                    t,
                    Dir::A,
                    &bn::rtp(rng, 1000 + i, 160 * u32::from(i), 0xdead_4321),
                );
                t.advance(20_000_000);
            }
        },
        false,
    );
    udp_case(
        b,
        "random-udp",
        "random datagrams both ways to an arbitrary port",
        v4(176, 47007),
        v4(177, 33333),
        &|t, u, rng| {
            for i in 0..20 {
                let n = rng.range(1, 1400);
                u.send(t, if i % 2 == 0 { Dir::A } else { Dir::B }, &rng.bytes(n));
            }
        },
        false,
    );

    udp_case(
        b,
        "teredo-3544",
        "Teredo (RFC 4380): IPv6 bubbles and IPv6 packets in UDP 3544 (nDPI's first BitTorrent false positive)",
        v4(230, 50000),
        v4(231, 3544),
        &|t, u, rng| {
            for i in 0..6u8 {
                let mut p = vec![0x60, 0, 0, 0, 0, 0, 59, 21];
                if i > 1 {
                    p[4..6].copy_from_slice(&40u16.to_be_bytes());
                    p[6] = 58;
                }
                p.extend([0x20, 0x01, 0, 0]);
                p.extend(rng.bytes(12));
                p.extend([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x80, 0, 0xf2, 0x27]);
                p.extend(rng.bytes(4));
                if i > 1 {
                    p.extend(rng.bytes(40));
                }
                u.send(t, if i % 2 == 0 { Dir::A } else { Dir::B }, &p);
            }
        },
        false,
    );
    udp_case(
        b,
        "coap-5683",
        "CoAP (RFC 7252): confirmable GETs of /.well-known/core and their piggybacked answers",
        v4(232, 50001),
        v4(233, 5683),
        &|t, u, _| {
            for id in 0..3u16 {
                let mut q = vec![0x42, 0x01];
                q.extend((0x7d00 + id).to_be_bytes());
                q.extend([0xa1, 0xb2]);
                q.extend_from_slice(b"\xbb.well-known\x04core");
                let mut r = vec![0x62, 0x45];
                r.extend((0x7d00 + id).to_be_bytes());
                r.extend([0xa1, 0xb2, 0xc1, 0x28, 0xff]);
                r.extend_from_slice(b"</sensors/temp>;rt=\"temperature\";if=\"sensor\",</sensors/light>;rt=\"light\"");
                u.exchange(t, &q, &r);
            }
        },
        false,
    );
    udp_case(
        b,
        "capwap-5246",
        "CAPWAP control (RFC 5415): Discovery Request and Response (UniFi-style controller traffic)",
        v4(234, 50002),
        v4(235, 5246),
        &|t, u, rng| {
            for seq in 0..3u8 {
                let mut q = vec![0x00, 0x10, 0x43, 0x00, 0, 0, 0, 0];
                q.extend([0, 0, 0, 1, seq, 0, 0x1c, 0]);
                q.extend([0, 20, 0, 1, 1, 0, 38, 0, 13]);
                q.extend(rng.bytes(13));
                let mut r = vec![0x00, 0x10, 0x43, 0x00, 0, 0, 0, 0];
                r.extend([0, 0, 0, 2, seq, 0, 0x40, 0]);
                r.extend(rng.bytes(56));
                u.exchange(t, &q, &r);
            }
        },
        false,
    );
    udp_case(
        b,
        "raknet-roblox",
        "RakNet (Roblox, Minecraft Bedrock): Open Connection Request 1 padded with zeros to the MTU, its reply, then reliable frames",
        v4(236, 50003),
        v4(237, 19132),
        &|t, u, rng| {
            const MAGIC: [u8; 16] = [0, 0xff, 0xff, 0, 0xfe, 0xfe, 0xfe, 0xfe, 0xfd, 0xfd, 0xfd, 0xfd, 0x12, 0x34, 0x56, 0x78];
            let mut req = vec![0x05];
            req.extend(MAGIC);
            req.push(10);
            req.extend(vec![0u8; 1464 - req.len()]);
            let mut rep = vec![0x06];
            rep.extend(MAGIC);
            rep.extend(rng.bytes(8));
            rep.extend([0, 0x05, 0xb8]);
            u.exchange(t, &req, &rep);
            for seq in 0..10u32 {
                let mut f = vec![0x84];
                f.extend(&seq.to_le_bytes()[..3]);
                f.extend([0x40, 0x01, 0x20]);
                f.extend(rng.bytes(36));
                u.send(t, if seq % 2 == 0 { Dir::A } else { Dir::B }, &f);
            }
        },
        false,
    );
    udp_case(
        b,
        "ipsec-nat-t-4500",
        "IKEv2 over UDP 4500 (non-ESP marker) and ESP in UDP (RFC 3948): SPI, sequence number, ciphertext",
        v4(238, 4500),
        v4(239, 4500),
        &|t, u, rng| {
            let mut ike = vec![0, 0, 0, 0];
            ike.extend(rng.bytes(8));
            ike.extend([0; 8]);
            ike.extend([0x21, 0x20, 0x22, 0x08, 0, 0, 0, 0, 0, 0, 1, 0x2c]);
            ike.extend(rng.bytes(272));
            let mut ike_r = ike[..12].to_vec();
            ike_r.extend(rng.bytes(8));
            ike_r.extend([0x21, 0x20, 0x22, 0x20, 0, 0, 0, 0, 0, 0, 1, 0x2c]);
            ike_r.extend(rng.bytes(272));
            u.exchange(t, &ike, &ike_r);
            for seq in 1..12u32 {
                for (d, spi) in [(Dir::A, 0xc1a0_0001u32), (Dir::B, 0xc1a0_0002u32)] {
                    let mut esp = spi.to_be_bytes().to_vec();
                    esp.extend(seq.to_be_bytes());
                    let n = rng.range(60, 1300);
                    esp.extend(rng.bytes(n));
                    u.send(t, d, &esp);
                }
            }
        },
        false,
    );
    udp_case(
        b,
        "zoom-media-8801",
        "Zoom-like media over UDP 8801: a 1-byte type and a sequence header, then encrypted media",
        v4(240, 50004),
        v4(241, 8801),
        &|t, u, rng| {
            for seq in 0..24u16 {
                let mut m = vec![0x05];
                m.extend(seq.to_be_bytes());
                m.extend([0, 0, 0, 0x10]);
                let n = rng.range(100, 1100);
                m.extend(rng.bytes(n));
                u.send(t, if seq % 3 == 2 { Dir::B } else { Dir::A }, &m);
            }
        },
        false,
    );
    let tcp_case = |b: &mut Builder,
                    name: &'static str,
                    what: &'static str,
                    a: SocketAddr,
                    s: SocketAddr,
                    make: &dyn Fn(&mut Trace, &mut Tcp, &mut Rng)| {
        let mut rng = seed(name);
        let mut t = Trace::new();
        let mut c = Tcp::open(&mut t, a, s);
        make(&mut t, &mut c, &mut rng);
        c.close(&mut t);
        b.add(
            name,
            CN,
            what,
            Role::Negative,
            None,
            t,
            vec![F::not_bt("tcp", a, s)],
        );
    };
    tcp_case(
        b,
        "rlpx-30303",
        "Ethereum RLPx: EIP-8 auth and ack (ECIES), then framed messages (TCP 30303)",
        v4(180, 47100),
        v4(181, 30303),
        &|t, c, rng| {
            c.send(t, Dir::A, &bn::rlpx_auth(rng, 194));
            c.send(t, Dir::B, &bn::rlpx_auth(rng, 102));
            c.send(t, Dir::A, &rng.bytes(160));
            c.send(t, Dir::B, &rng.bytes(160));
            c.send(t, Dir::A, &rng.bytes(1200));
        },
    );
    tcp_case(
        b,
        "rlpx-legacy-30303",
        "Ethereum RLPx, pre-EIP-8: a 307-byte auth and a 210-byte ack (ECIES)",
        v4(182, 47101),
        v4(183, 30303),
        &|t, c, rng| {
            let mut auth = vec![4];
            auth.extend(rng.bytes(306));
            c.send(t, Dir::A, &auth);
            let mut ack = vec![4];
            ack.extend(rng.bytes(209));
            c.send(t, Dir::B, &ack);
            c.send(t, Dir::A, &rng.bytes(120));
            c.send(t, Dir::B, &rng.bytes(800));
        },
    );
    tcp_case(
        b,
        "telegram-obfuscated2-443",
        "Telegram MTProto obfuscated2 over TCP 443: 64-byte random init and encrypted messages",
        v4(184, 47102),
        v4(185, 443),
        &|t, c, rng| {
            c.send(t, Dir::A, &bn::telegram_obfuscated2(rng, 72));
            c.send(t, Dir::B, &rng.bytes(148));
            c.send(t, Dir::A, &rng.bytes(340));
            c.send(t, Dir::B, &rng.bytes(652));
            c.send(t, Dir::A, &rng.bytes(96));
        },
    );
    tcp_case(
        b,
        "tls12-long-chain",
        "TLS 1.2 with a chain of 8 certificates of 1.6 KB (a 13 KB server flight)",
        v4(186, 47103),
        v4(187, 443),
        &|t, c, rng| {
            c.send(t, Dir::A, &bn::tls_client_hello(rng, "long-chain.lab"));
            c.send(t, Dir::B, &bn::tls12_server_flight(rng, 8, 1600));
            let mut fin = vec![22, 3, 3, 0, 37, 16, 0, 0, 33, 32];
            fin.extend(rng.bytes(32));
            fin.extend([20, 3, 3, 0, 1, 1, 22, 3, 3, 0, 40]);
            fin.extend(rng.bytes(40));
            c.send(t, Dir::A, &fin);
            let mut fin = vec![20, 3, 3, 0, 1, 1, 22, 3, 3, 0, 40];
            fin.extend(rng.bytes(40));
            c.send(t, Dir::B, &fin);
            c.send(t, Dir::A, &bn::tls_app_data(rng, 400));
            c.send(t, Dir::B, &bn::tls_app_data(rng, 20_000));
        },
    );
    tcp_case(
        b,
        "tls13-long-chain",
        "TLS 1.3 with a long certificate chain (14 KB encrypted server flight)",
        v4(188, 47104),
        v4(189, 443),
        &|t, c, rng| {
            c.send(t, Dir::A, &bn::tls_client_hello(rng, "long-chain.lab"));
            c.send(t, Dir::B, &bn::tls13_server_flight(rng, 14_000));
            let mut fin = vec![20, 3, 3, 0, 1, 1];
            fin.extend(bn::tls_app_data(rng, 53));
            c.send(t, Dir::A, &fin);
            c.send(t, Dir::B, &bn::tls_app_data(rng, 9000));
        },
    );
    {
        // Picked up mid-stream inside the certificate chain (a capture that starts late, or
        // a lost first segment): the first bytes seen are DER certificate contents.
        let name = "tls12-long-chain-midstream";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(188, 47106), v4(189, 443));
        let mut c = Tcp::open(&mut t, a, s);
        c.send(
            &mut t,
            Dir::A,
            &bn::tls_client_hello(&mut rng, "long-chain.lab"),
        );
        c.send(&mut t, Dir::B, &bn::tls12_server_flight(&mut rng, 9, 1800));
        let mut fin = vec![22, 3, 3, 0, 37, 16, 0, 0, 33, 32];
        fin.extend(rng.bytes(32));
        fin.extend([20, 3, 3, 0, 1, 1, 22, 3, 3, 0, 40]);
        fin.extend(rng.bytes(40));
        c.send(&mut t, Dir::A, &fin);
        c.send(&mut t, Dir::B, &bn::tls_app_data(&mut rng, 6000));
        c.close(&mut t);
        // SYN, SYN-ACK, ACK, ClientHello, its ACK, the ServerHello segment
        t.frames.drain(..6);
        b.add(
            name,
            CN,
            "TLS 1.2 with a 16 KB chain of 9 certificates, picked up mid-stream inside the chain",
            Role::Negative,
            None,
            t,
            vec![F::not_bt("tcp", a, s)],
        );
    }
    tcp_case(
        b,
        "shadowsocks-8388",
        "Shadowsocks AEAD: random flights both ways (TCP 8388)",
        v4(190, 47105),
        v4(191, 8388),
        &|t, c, rng| {
            c.send(t, Dir::A, &bn::shadowsocks_first(rng, 120));
            c.send(t, Dir::B, &bn::shadowsocks_first(rng, 500));
            c.send(t, Dir::A, &rng.bytes(66));
            c.send(t, Dir::B, &rng.bytes(3000));
        },
    );
    for (i, port) in [(0u8, 6881u16), (1, 51413), (2, 443), (3, 12345)] {
        let names = [
            "random-tcp-6881",
            "random-tcp-51413",
            "random-tcp-443",
            "random-tcp-12345",
        ];
        tcp_case(
            b,
            names[usize::from(i)],
            "random bytes both ways (an unknown encrypted protocol) to an arbitrary port",
            v4(192 + i, 47110 + u16::from(i)),
            v4(200 + i, port),
            &|t, c, rng| {
                let n = rng.range(96, 600);
                c.send(t, Dir::A, &rng.bytes(n));
                let n = rng.range(96, 600);
                c.send(t, Dir::B, &rng.bytes(n));
                c.send(t, Dir::A, &rng.bytes(200));
                c.send(t, Dir::B, &rng.bytes(5000));
            },
        );
    }
    tcp_case(
        b,
        "random-tcp-one-way",
        "random bytes one way (an upload of an encrypted file)",
        v4(196, 47120),
        v4(204, 9999),
        &|t, c, rng| {
            c.send(t, Dir::A, &rng.bytes(30_000));
        },
    );
    tcp_case(
        b,
        "delivery-optimization-7680",
        "Windows Delivery Optimization peers (TCP 7680): a `Swarm protocol` handshake and BitTorrent-like messages (bitfield, interested, request, piece)",
        v4(242, 50005),
        v4(243, 7680),
        &|t, c, rng| {
            let mut hs = b"\x0eSwarm protocol".to_vec();
            hs.extend([0; 8]);
            hs.extend(rng.bytes(32));
            hs.extend(rng.bytes(16));
            c.send(t, Dir::A, &hs);
            let mut hs = b"\x0eSwarm protocol".to_vec();
            hs.extend([0; 8]);
            hs.extend(rng.bytes(48));
            hs.extend(bt::message(5, &rng.bytes(24)));
            c.send(t, Dir::B, &hs);
            c.send(t, Dir::A, &bt::message(2, &[]));
            c.send(t, Dir::B, &bt::message(1, &[]));
            c.send(t, Dir::A, &bt::message(6, &[0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0x40, 0]));
            let mut piece = vec![0, 0, 0, 4, 0, 0, 0, 0];
            piece.extend(rng.bytes(16384));
            c.send(t, Dir::B, &bt::message(7, &piece));
        },
    );
    tcp_case(
        b,
        "dns-over-tcp",
        "DNS over TCP (length-prefixed, first byte 0x00)",
        v4(197, 47121),
        v4(205, 53),
        &|t, c, _| {
            let q = bn::dns_query(0x3344, "axfr.lab", 252, true);
            c.send(t, Dir::A, &bn::dns_tcp(&q));
            c.send(
                t,
                Dir::B,
                &bn::dns_tcp(&bn::dns_answer(&q, &[10, 99, 0, 4])),
            );
        },
    );
}
