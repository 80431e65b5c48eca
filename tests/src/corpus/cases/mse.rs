//! Class 1 of issue 13: MSE/PE key exchanges whose public key starts with 0x00, 0x13, `G` or
//! `H`, has low entropy or is printable, and 96–97-byte first flights; uncorroborated, with
//! plaintext selected, and from a host with other BitTorrent activity; with benign twins.

use torclass_core::Confidence::{Confirmed, Likely};

use super::super::benign as bn;
use super::super::bt::{MseKey, MseSelect};
use super::super::packet::{Dir, Tcp, Trace, Udp};
use super::super::{FlowExpect as F, Role};
use super::*;

const C1: &str = "1 MSE key";

pub(super) fn mse_keys(b: &mut Builder) {
    let tcp = "tcp";
    let key_case = |b: &mut Builder,
                    name: &'static str,
                    what: &'static str,
                    twin: &'static str,
                    key: MseKey,
                    pad: usize,
                    select: MseSelect,
                    expect: &dyn Fn(F) -> F| {
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, p) = (v4(1, 40001), v4(2, 51413));
        let mut c = Tcp::open(&mut t, a, p);
        mse_flow(&mut t, &mut c, &mut rng, key, pad, select);
        c.close(&mut t);
        let role = if twin.is_empty() {
            Role::Positive
        } else {
            Role::Evasion
        };
        let twin = (!twin.is_empty()).then_some(twin);
        b.add(
            name,
            C1,
            what,
            role,
            twin,
            t,
            vec![expect(F::bt(tcp, a, p, "peer_wire_encrypted", Likely))],
        );
    };
    // Uncorroborated RC4: nothing in the bytes tells it from random data, so no level is
    // required on its own; the trick must not lower the verdict of a random-keyed exchange.
    let same = |f: F| f.like("mse-key-random");
    key_case(b, "mse-key-random", "MSE/PE (RC4) with a random key between hosts with no other BitTorrent traffic (reference; indistinguishable from random bytes)", "", MseKey::Random, 256, MseSelect::Rc4, &|f| f.informational());
    key_case(
        b,
        "mse-key-00-rc4",
        "MSE/PE (RC4) whose DH public key starts with 0x00",
        "twin-00-postgres",
        MseKey::FirstByte(0x00),
        200,
        MseSelect::Rc4,
        &same,
    );
    key_case(
        b,
        "mse-key-13-rc4",
        "MSE/PE (RC4), key starting 0x13 (the handshake's first byte)",
        "twin-13-pascal-string",
        MseKey::FirstByte(0x13),
        300,
        MseSelect::Rc4,
        &same,
    );
    key_case(
        b,
        "mse-key-G-96",
        "MSE/PE (RC4), key starting `G`, no padding: a 96-byte first flight",
        "twin-G-http-96",
        MseKey::FirstByte(b'G'),
        0,
        MseSelect::Rc4,
        &same,
    );
    key_case(
        b,
        "mse-key-H-97",
        "MSE/PE (RC4), key starting `H`, 1 byte of padding: a 97-byte first flight",
        "twin-H-http-97",
        MseKey::FirstByte(b'H'),
        1,
        MseSelect::Rc4,
        &same,
    );
    key_case(
        b,
        "mse-key-low-entropy",
        "MSE/PE (RC4) with the public key 2^500 (one bit set)",
        "twin-low-entropy-rpc",
        MseKey::SmallPower(500),
        64,
        MseSelect::Rc4,
        &same,
    );
    let printable: Vec<u8> = b"GET /index.html?session=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx".to_vec();
    key_case(
        b,
        "mse-key-printable",
        "MSE/PE (RC4) whose 96-byte public key is printable text",
        "twin-printable-text",
        MseKey::Chosen(printable.clone()),
        40,
        MseSelect::Rc4,
        &same,
    );
    // Plaintext selected: the responder's handshake follows step 4 in the clear (conclusive).
    let conf = |f: F| F {
        level: Confirmed,
        ..f
    };
    key_case(
        b,
        "mse-key-00-plain",
        "MSE/PE, key starting 0x00, plaintext selected",
        "twin-00-postgres",
        MseKey::FirstByte(0x00),
        90,
        MseSelect::Plain,
        &conf,
    );
    key_case(
        b,
        "mse-key-13-plain",
        "MSE/PE, key starting 0x13, plaintext selected",
        "twin-13-pascal-string",
        MseKey::FirstByte(0x13),
        120,
        MseSelect::Plain,
        &conf,
    );
    key_case(
        b,
        "mse-key-G-96-plain",
        "MSE/PE, key starting `G`, 96-byte first flight, plaintext selected",
        "twin-G-http-96",
        MseKey::FirstByte(b'G'),
        0,
        MseSelect::Plain,
        &conf,
    );
    key_case(
        b,
        "mse-key-H-97-plain",
        "MSE/PE, key starting `H`, 97-byte first flight, plaintext selected",
        "twin-H-http-97",
        MseKey::FirstByte(b'H'),
        1,
        MseSelect::Plain,
        &conf,
    );
    key_case(
        b,
        "mse-key-low-entropy-plain",
        "MSE/PE with the public key 2^500, plaintext selected",
        "twin-low-entropy-rpc",
        MseKey::SmallPower(500),
        0,
        MseSelect::Plain,
        &conf,
    );
    key_case(
        b,
        "mse-key-printable-plain",
        "MSE/PE with a printable public key, plaintext selected",
        "twin-printable-text",
        MseKey::Chosen(printable.clone()),
        0,
        MseSelect::Plain,
        &conf,
    );

    // Corroboration: a host with conclusive BitTorrent activity (here the DHT) makes its MSE
    // flows confirmed, whatever the key.
    let host_case = |b: &mut Builder,
                     name: &'static str,
                     what: &'static str,
                     twin: &'static str,
                     key: MseKey,
                     pad: usize| {
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (h, node, peer) = (v4(10, 6881), v4(11, 6881), v4(12, 51413));
        dht_exchange(&mut t, &Udp::new(h, node), &mut rng);
        t.advance(2_000_000_000);
        let a = v4(10, 40123);
        let mut c = Tcp::open(&mut t, a, peer);
        mse_flow(&mut t, &mut c, &mut rng, key, pad, MseSelect::Rc4);
        c.close(&mut t);
        b.add(
            name,
            C1,
            what,
            Role::Evasion,
            Some(twin),
            t,
            vec![
                F::bt("udp", h, node, "dht", Confirmed),
                F::bt("tcp", a, peer, "peer_wire_encrypted", Confirmed),
            ],
        );
    };
    host_case(b, "mse-bt-host-key-random", "MSE/PE (RC4, random key) from a host that just used the DHT, to a peer not learned from it", "twin-bt-host-ordinary-flows", MseKey::Random, 200);
    host_case(
        b,
        "mse-bt-host-key-00",
        "the same with a key starting 0x00",
        "twin-00-postgres",
        MseKey::FirstByte(0x00),
        100,
    );
    host_case(
        b,
        "mse-bt-host-key-13",
        "the same with a key starting 0x13",
        "twin-13-pascal-string",
        MseKey::FirstByte(0x13),
        10,
    );
    host_case(
        b,
        "mse-bt-host-key-G-96",
        "the same with a key starting `G` and a 96-byte first flight",
        "twin-G-http-96",
        MseKey::FirstByte(b'G'),
        0,
    );
    host_case(
        b,
        "mse-bt-host-key-H-97",
        "the same with a key starting `H` and a 97-byte first flight",
        "twin-H-http-97",
        MseKey::FirstByte(b'H'),
        1,
    );
    host_case(
        b,
        "mse-bt-host-low-entropy",
        "the same with the public key 2^500",
        "twin-low-entropy-rpc",
        MseKey::SmallPower(500),
        30,
    );
    host_case(
        b,
        "mse-bt-host-printable",
        "the same with a printable public key",
        "twin-printable-text",
        MseKey::Chosen(printable),
        30,
    );
    {
        // What corroboration costs: a random-looking proxy protocol from a BitTorrent host has
        // the MSE/PE shape. Reported, not required (the shared decision is that a BitTorrent
        // host confirms MSE shapes); the operating point shows what torclass does with it.
        let name = "shadowsocks-from-bt-host";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (h, node, proxy) = (v4(13, 6881), v4(14, 6881), v4(15, 8388));
        dht_exchange(&mut t, &Udp::new(h, node), &mut rng);
        t.advance(2_000_000_000);
        let a = v4(13, 41100);
        let mut c = Tcp::open(&mut t, a, proxy);
        c.send(&mut t, Dir::A, &bn::shadowsocks_first(&mut rng, 300));
        c.send(&mut t, Dir::B, &bn::shadowsocks_first(&mut rng, 1200));
        c.send(&mut t, Dir::A, &rng.bytes(90));
        c.send(&mut t, Dir::B, &rng.bytes(4000));
        c.close(&mut t);
        b.add(
            name,
            C1,
            "Shadowsocks (AEAD, random flights both ways) from a host that just used the DHT",
            Role::Negative,
            None,
            t,
            vec![
                F::bt("udp", h, node, "dht", Confirmed),
                F::not_bt("tcp", a, proxy).informational(),
            ],
        );
    }
    {
        let name = "twin-bt-host-ordinary-flows";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (h, node) = (v4(10, 6881), v4(11, 6881));
        dht_exchange(&mut t, &Udp::new(h, node), &mut rng);
        t.advance(2_000_000_000);
        // HTTPS, SSH and DNS between the same BitTorrent hosts.
        let (a1, s1) = (v4(10, 41001), v4(11, 443));
        let mut c = Tcp::open(&mut t, a1, s1);
        http(
            &mut t,
            &mut c,
            &bn::tls_client_hello(&mut rng, "lab.example"),
            &bn::tls13_server_flight(&mut rng, 3000),
        );
        c.send(&mut t, Dir::A, &bn::tls_app_data(&mut rng, 300));
        c.send(&mut t, Dir::B, &bn::tls_app_data(&mut rng, 9000));
        c.close(&mut t);
        let (a2, s2) = (v4(10, 41002), v4(11, 22));
        let mut c = Tcp::open(&mut t, a2, s2);
        c.send(
            &mut t,
            Dir::B,
            b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
        );
        c.send(
            &mut t,
            Dir::A,
            b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
        );
        let mut kex = vec![0, 0, 5, 0xdc, 6, 20];
        kex.extend(rng.bytes(16));
        kex.extend(b"\0\0\0\x0bcurve25519-sha256,ecdh-sha2-nistp256".iter());
        kex.extend(rng.bytes(1400));
        c.send(&mut t, Dir::A, &kex);
        c.send(&mut t, Dir::B, &kex);
        c.send(&mut t, Dir::A, &rng.bytes(300));
        c.send(&mut t, Dir::B, &rng.bytes(600));
        c.close(&mut t);
        let (a3, s3) = (v4(10, 41003), v4(11, 53));
        let q = bn::dns_query(0x4a11, "example.org", 1, true);
        Udp::new(a3, s3).exchange(&mut t, &q, &bn::dns_answer(&q, &[10, 99, 0, 7]));
        b.add(
            name,
            C1,
            "TLS 1.3, SSH and DNS between two hosts that just used the DHT",
            Role::Twin,
            Some("mse-bt-host-key-random"),
            t,
            vec![
                F::not_bt("tcp", a1, s1),
                F::not_bt("tcp", a2, s2),
                F::not_bt("udp", a3, s3),
            ],
        );
    }

    {
        // A client's DHT bootstrap races its first peer connections: the host's first DHT
        // packets come between the SYN of an encrypted connection and the end of its key
        // exchange (late corroboration: confirmed by the time its shape is complete, which is
        // what a blocker acts on).
        let name = "mse-host-dht-during-exchange";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (h, node, peer) = (v4(54, 6881), v4(55, 6881), v4(56, 51413));
        let a = v4(54, 40124);
        let mut c = Tcp::open(&mut t, a, peer);
        mse_flow_with(
            &mut t,
            &mut c,
            &mut rng,
            MseKey::Random,
            200,
            MseSelect::Rc4,
            |t, rng| {
                t.advance(20_000_000);
                dht_exchange(t, &Udp::new(h, node), rng);
                t.advance(20_000_000);
            },
        );
        c.close(&mut t);
        b.add(
            name,
            C1,
            "MSE/PE (RC4) whose host's first DHT exchange comes between its first flight and the rest of its key exchange",
            Role::Evasion,
            Some("twin-host-dht-during-tls"),
            t,
            vec![
                F::bt(tcp, a, peer, "peer_wire_encrypted", Confirmed),
                F::bt("udp", h, node, "dht", Confirmed),
            ],
        );
    }
    {
        let name = "twin-host-dht-during-tls";
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (h, node, server) = (v4(57, 6881), v4(58, 6881), v4(59, 443));
        let a = v4(57, 41004);
        let mut c = Tcp::open(&mut t, a, server);
        c.send(
            &mut t,
            Dir::A,
            &bn::tls_client_hello(&mut rng, "lab.example"),
        );
        t.advance(20_000_000);
        dht_exchange(&mut t, &Udp::new(h, node), &mut rng);
        t.advance(20_000_000);
        c.send(&mut t, Dir::B, &bn::tls13_server_flight(&mut rng, 3000));
        c.send(&mut t, Dir::A, &bn::tls_app_data(&mut rng, 300));
        c.send(&mut t, Dir::B, &bn::tls_app_data(&mut rng, 9000));
        c.close(&mut t);
        b.add(
            name,
            C1,
            "TLS 1.3 from a host whose first DHT exchange comes between its ClientHello and the server's answer",
            Role::Twin,
            Some("mse-host-dht-during-exchange"),
            t,
            vec![
                F::not_bt(tcp, a, server),
                F::bt("udp", h, node, "dht", Confirmed),
            ],
        );
    }

    // Twins: benign streams that begin with the same bytes as the evading keys.
    let twin = |b: &mut Builder,
                name: &'static str,
                what: &'static str,
                evasion: &'static str,
                port: u16,
                writes: &[(Dir, Vec<u8>)]| {
        let mut t = Trace::new();
        let (a, s) = (v4(3, 42001), v4(4, port));
        let mut c = Tcp::open(&mut t, a, s);
        for (d, w) in writes {
            c.send(&mut t, *d, w);
        }
        c.close(&mut t);
        b.add(
            name,
            C1,
            what,
            Role::Twin,
            Some(evasion),
            t,
            vec![F::not_bt("tcp", a, s)],
        );
    };
    let mut rng = seed("twins-1");
    let mut startup = vec![0, 0, 0, 0x52, 0, 3, 0, 0];
    startup.extend_from_slice(
        b"user\0postgres\0database\0lab\0application_name\0psql\0client_encoding\0UTF8\0\0",
    );
    let len = startup.len() as u32;
    startup[..4].copy_from_slice(&len.to_be_bytes());
    let mut auth = b"R\0\0\0\x2a\0\0\0\x0aSCRAM-SHA-256\0\0".to_vec();
    auth.extend(b"S\0\0\0\x1aserver_version\x0015.5\0".iter());
    twin(
        b,
        "twin-00-postgres",
        "PostgreSQL startup (first byte 0x00) and the server's answer",
        "mse-key-00-rc4",
        5432,
        &[
            (Dir::A, startup),
            (Dir::B, auth),
            (Dir::A, {
                let mut m = b"p\0\0\0\x36SCRAM-SHA-256\0\0\0\0\x20n,,n=,r=".to_vec();
                m.extend(rng.bytes(24).iter().map(|x| b'A' + x % 26));
                m
            }),
            (Dir::B, page(&mut rng, 300)),
        ],
    );
    twin(b, "twin-13-pascal-string", "a length-prefixed text protocol whose first byte is 0x13 (19), with 200-byte binary records after", "mse-key-13-rc4", 7000, &[
        (Dir::A, {
            let mut m = b"\x13LABSYNC protocol 1\n".to_vec();
            m.extend(b"user=alice\nmode=pull\nfiles=12\n".iter());
            m.extend(vec![0u8; 60]);
            m
        }),
        (Dir::B, b"\x13LABSYNC protocol 1\nok 12 files\n".to_vec()),
        (Dir::A, vec![0x20; 80]),
        (Dir::B, page(&mut rng, 2000)),
    ]);
    let mut get96 = b"GET /static/app.js HTTP/1.1\r\nHost: lab.example\r\nUser-Agent: lab/1.0\r\nAccept: */*\r\n".to_vec();
    while get96.len() < 94 {
        get96.push(b'x');
    }
    get96.extend_from_slice(b"\r\n");
    get96.truncate(92);
    get96.extend_from_slice(b"\r\n\r\n");
    twin(
        b,
        "twin-G-http-96",
        "a 96-byte HTTP GET request and its answer",
        "mse-key-G-96",
        8080,
        &[(Dir::A, get96), (Dir::B, page(&mut rng, 600))],
    );
    let mut head97 = b"HEAD /files/debian.iso HTTP/1.1\r\nHost: mirror.lab.example\r\nUser-Agent: Wget/1.21.3\r\n".to_vec();
    while head97.len() < 93 {
        head97.push(b'z');
    }
    head97.truncate(93);
    head97.extend_from_slice(b"\r\n\r\n");
    twin(b, "twin-H-http-97", "a 97-byte HTTP HEAD request and its answer", "mse-key-H-97", 80, &[(Dir::A, head97), (Dir::B, b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\nContent-Type: application/octet-stream\r\n\r\n".to_vec())]);
    let mut rpc = vec![0x80, 0, 0, 0];
    let call = bn::rpc_call(
        0x1001,
        100_003,
        3,
        1,
        &[
            0, 0, 0, 32, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 2, 0, 0, 0, 0,
        ],
    );
    rpc[3] = call.len() as u8;
    rpc.extend(call);
    let mut rpc2 = rpc.clone();
    rpc2.extend(vec![0u8; 40]);
    twin(
        b,
        "twin-low-entropy-rpc",
        "ONC RPC over TCP (mostly zero bytes) both ways, 96–120-byte messages",
        "mse-key-low-entropy",
        2049,
        &[(Dir::A, rpc.clone()), (Dir::B, rpc2), (Dir::A, rpc)],
    );
    twin(b, "twin-printable-text", "a printable request of 140 bytes (base64 session token) and a text answer", "mse-key-printable", 8081, &[
        (Dir::A, b"GET /index.html?session=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx HTTP/1.1\r\nHost: lab.example\r\n\r\n".to_vec()),
        (Dir::B, page(&mut rng, 900)),
    ]);
    // Shadowsocks-like random flights between two hosts that are not BitTorrent hosts.
    twin(
        b,
        "twin-shadowsocks",
        "Shadowsocks AEAD: random first flights both ways between hosts with no BitTorrent traffic",
        "mse-key-random",
        8388,
        &[
            (Dir::A, bn::shadowsocks_first(&mut rng, 300)),
            (Dir::B, bn::shadowsocks_first(&mut rng, 1200)),
            (Dir::A, rng.bytes(90)),
            (Dir::B, rng.bytes(4000)),
        ],
    );
}
