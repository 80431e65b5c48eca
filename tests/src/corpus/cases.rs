//! The corpus cases. Each evasion class of issue 13 has cases that must be caught at the
//! level the docs give (docs/accuracy.md, "Evasions") and benign twins that use the same
//! trick on other traffic and must not be called BitTorrent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use torclass_core::Confidence::{Confirmed, Likely};

use super::benign as bn;
use super::bt::{self, Mse, MseKey, MseSelect, UtpType};
use super::packet::{flags, Carry, Dir, Tcp, Trace, Udp};
use super::rng::Rng;
use super::{Case, FlowExpect as F, Role};

fn v4(h: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 99, 0, h)), port)
}

fn v6(h: u16, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V6(Ipv6Addr::new(0xfd99, 0, 0, 0, 0, 0, 0, h)), port)
}

struct Builder {
    cases: Vec<Case>,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        name: &'static str,
        class: &'static str,
        what: &'static str,
        role: Role,
        twin: Option<&'static str>,
        trace: Trace,
        flows: Vec<F>,
    ) {
        assert!(
            self.cases.iter().all(|c| c.name != name),
            "duplicate case {name}"
        );
        self.cases.push(Case {
            name,
            class,
            what,
            role,
            twin,
            trace,
            flows,
        });
    }
}

fn seed(name: &str) -> Rng {
    // FNV-1a of the name: every case has its own reproducible stream.
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    Rng::new(h)
}

/// A plaintext peer-wire conversation on an open connection: both handshakes, then messages.
fn peer_wire(t: &mut Trace, c: &mut Tcp, rng: &mut Rng, ih: &[u8; 20]) {
    let mut a = bt::handshake(ih, &bt::peer_id(rng, "-TR3000-"));
    a.extend(bt::after_handshake(rng));
    c.send(t, Dir::A, &a);
    let mut b = bt::handshake(ih, &bt::peer_id(rng, "-qB4520-"));
    b.extend(bt::after_handshake(rng));
    c.send(t, Dir::B, &b);
    c.send(
        t,
        Dir::A,
        &bt::message(6, &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 0]),
    );
    let mut piece = vec![0, 0, 0, 1, 0, 0, 0, 0];
    piece.extend(rng.bytes(4000));
    c.send(t, Dir::B, &bt::message(7, &piece));
}

/// An HTTP exchange on an open connection.
fn http(t: &mut Trace, c: &mut Tcp, request: &[u8], response: &[u8]) {
    c.send(t, Dir::A, request);
    c.send(t, Dir::B, response);
}

fn get(path: &str, host: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n")
        .into_bytes()
}

fn page(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut body = b"<!doctype html><html><body><p>".to_vec();
    while body.len() < n {
        body.extend_from_slice(b"lorem ipsum dolor sit amet ");
        body.extend(format!("{} ", rng.below(100_000)).bytes());
    }
    body.extend_from_slice(b"</p></body></html>\n");
    bt::http_ok("text/html", "", &body)
}

/// A DHT get_peers query and its response between `udp.a` and `udp.b`.
fn dht_exchange(t: &mut Trace, udp: &Udp, rng: &mut Rng) {
    let (id_a, id_b, ih) = (rng.array::<20>(), rng.array::<20>(), rng.array::<20>());
    let tid = rng.bytes(2);
    udp.exchange(
        t,
        &bt::krpc_query(&tid, "get_peers", &id_a, Some(&ih)),
        &bt::krpc_response(&tid, &id_b, &rng.bytes(26 * 4)),
    );
}

/// A MSE/PE exchange with a plaintext BEP 3 handshake inside, and encrypted traffic after.
#[allow(clippy::too_many_arguments)]
fn mse_flow(
    t: &mut Trace,
    c: &mut Tcp,
    rng: &mut Rng,
    key: MseKey,
    pad_a: usize,
    select: MseSelect,
) {
    let ih = rng.array::<20>();
    let ia = bt::handshake(&ih, &bt::peer_id(rng, "-lt0D80-"));
    let mut b_first = bt::handshake(&ih, &bt::peer_id(rng, "-TR3000-"));
    b_first.extend(bt::after_handshake(rng));
    let pad_b = rng.range(0, 512);
    let mut mse = Mse::new(rng, key, pad_a, pad_b, &ih, select, &ia, &b_first);
    c.send(t, Dir::A, &mse.a1);
    c.send(t, Dir::B, &mse.b1);
    c.send(t, Dir::A, &mse.a2);
    c.send(t, Dir::B, &mse.b2);
    let more = bt::after_handshake(rng);
    let wire = mse.from_a(&more);
    c.send(t, Dir::A, &wire);
    let mut piece = vec![0, 0, 0, 1, 0, 0, 0, 0];
    piece.extend(rng.bytes(3000));
    let wire = mse.from_b(&bt::message(7, &piece));
    c.send(t, Dir::B, &wire);
}

/// A gzip member holding `data` in one stored (uncompressed) deflate block (RFC 1952,
/// RFC 1951 §3.2.4).
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut g = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1];
    g.extend_from_slice(&(data.len() as u16).to_le_bytes());
    g.extend_from_slice(&(!(data.len() as u16)).to_le_bytes());
    g.extend_from_slice(data);
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    g.extend_from_slice(&(!crc).to_le_bytes());
    g.extend_from_slice(&(data.len() as u32).to_le_bytes());
    g
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Every case.
pub fn all() -> Vec<Case> {
    let mut b = Builder { cases: Vec::new() };
    mse_keys(&mut b);
    udp_refutation(&mut b);
    utp_mse(&mut b);
    http_tracker(&mut b);
    krpc_trailing(&mut b);
    tcp_tricks(&mut b);
    fragments(&mut b);
    tuple_reuse(&mut b);
    magnets(&mut b);
    one_sided(&mut b);
    look_alikes(&mut b);
    b.cases
}

const C1: &str = "1 MSE key";

fn mse_keys(b: &mut Builder) {
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

const C2: &str = "2 UDP refutation";

fn udp_refutation(b: &mut Builder) {
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

/// A uTP connection on `u`: SYN (with `timestamp` and `window`) and STATE when `with_syn`,
/// then DATA both ways carrying a plaintext handshake, or an MSE exchange with `mse` as A's key.
fn utp_conversation(
    t: &mut Trace,
    u: &Udp,
    rng: &mut Rng,
    with_syn: bool,
    timestamp: u32,
    window: u32,
    mse: Option<MseKey>,
) {
    let recv_id = rng.below(0xfff0) as u16 + 1;
    let send_id = recv_id.wrapping_add(1);
    let mut seq_a = rng.below(0xff00) as u16 + 1;
    let mut seq_b = rng.below(0xff00) as u16 + 1;
    let mut ts = timestamp;
    if with_syn {
        u.send(
            t,
            Dir::A,
            &bt::utp(UtpType::Syn, recv_id, ts, 0, window, seq_a, 0, &[]),
        );
        u.send(
            t,
            Dir::B,
            &bt::utp(
                UtpType::State,
                recv_id,
                0x2000_0000,
                5000,
                1 << 20,
                seq_b,
                seq_a,
                &[],
            ),
        );
        seq_a = seq_a.wrapping_add(1);
    }
    let ih = rng.array::<20>();
    let writes: Vec<(Dir, Vec<u8>)> = match mse {
        None => {
            let mut a = bt::handshake(&ih, &bt::peer_id(rng, "-lt0D80-"));
            a.extend(bt::after_handshake(rng));
            let mut b = bt::handshake(&ih, &bt::peer_id(rng, "-UT3600-"));
            b.extend(bt::after_handshake(rng));
            vec![(Dir::A, a), (Dir::B, b)]
        }
        Some(key) => {
            let ia = bt::handshake(&ih, &bt::peer_id(rng, "-lt0D80-"));
            let mut bp = bt::handshake(&ih, &bt::peer_id(rng, "-UT3600-"));
            bp.extend(bt::after_handshake(rng));
            let m = Mse::new(rng, key, 64, 128, &ih, MseSelect::Rc4, &ia, &bp);
            vec![
                (Dir::A, m.a1),
                (Dir::B, m.b1),
                (Dir::A, m.a2),
                (Dir::B, m.b2),
            ]
        }
    };
    for (d, data) in writes {
        for chunk in data.chunks(1000) {
            ts = ts.wrapping_add(if timestamp == 0 { 0 } else { 3000 });
            match d {
                Dir::A => {
                    u.send(
                        t,
                        d,
                        &bt::utp(
                            UtpType::Data,
                            send_id,
                            ts,
                            4000,
                            window,
                            seq_a,
                            seq_b.wrapping_sub(1),
                            chunk,
                        ),
                    );
                    seq_a = seq_a.wrapping_add(1);
                    u.send(
                        t,
                        Dir::B,
                        &bt::utp(
                            UtpType::State,
                            recv_id,
                            0x2000_1000,
                            4000,
                            1 << 20,
                            seq_b,
                            seq_a.wrapping_sub(1),
                            &[],
                        ),
                    );
                }
                Dir::B => {
                    u.send(
                        t,
                        d,
                        &bt::utp(
                            UtpType::Data,
                            recv_id,
                            0x2000_2000,
                            4000,
                            1 << 20,
                            seq_b,
                            seq_a.wrapping_sub(1),
                            chunk,
                        ),
                    );
                    seq_b = seq_b.wrapping_add(1);
                    u.send(
                        t,
                        Dir::A,
                        &bt::utp(
                            UtpType::State,
                            send_id,
                            ts,
                            4000,
                            window,
                            seq_a,
                            seq_b.wrapping_sub(1),
                            &[],
                        ),
                    );
                }
            }
        }
    }
}

const C3: &str = "3 uTP + MSE";

fn utp_mse(b: &mut Builder) {
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

const C4: &str = "4 HTTP tracker";

fn http_tracker(b: &mut Builder) {
    let tracker_case = |b: &mut Builder,
                        name: &'static str,
                        what: &'static str,
                        twin: &'static str,
                        make: &dyn Fn(&mut Trace, &mut Tcp, &mut Rng)| {
        let mut rng = seed(name);
        let mut t = Trace::new();
        let (a, s) = (v4(50, 43001), v4(51, 6969));
        let mut c = Tcp::open(&mut t, a, s);
        make(&mut t, &mut c, &mut rng);
        c.close(&mut t);
        b.add(
            name,
            C4,
            what,
            Role::Evasion,
            Some(twin),
            t,
            vec![F::bt("tcp", a, s, "http_tracker", Confirmed)],
        );
    };
    let reply = |rng: &mut Rng| {
        bt::http_ok(
            "text/plain",
            "",
            &bt::announce_body(&[rng.array::<6>(), rng.array::<6>()]),
        )
    };
    tracker_case(b, "tracker-percent-names", "announce whose parameter names are percent-encoded (`info%5Fhash`, `peer%5Fid`; opentracker accepts them)", "twin-http-percent-query", &|t, c, rng| {
        let q = bt::announce_query(["info%5Fhash", "peer%5Fid", "p%6Frt"], &rng.array(), &bt::peer_id(rng, "-TR3000-"));
        http(t, c, &bt::http_announce("10.99.0.51:6969", &q), &reply(rng));
    });
    tracker_case(
        b,
        "tracker-gzip-reply",
        "announce answered with a gzip-encoded bencoded reply",
        "twin-http-gzip",
        &|t, c, rng| {
            let q = bt::announce_query(
                ["info_hash", "peer_id", "port"],
                &rng.array(),
                &bt::peer_id(rng, "-TR3000-"),
            );
            let body = gzip_stored(&bt::announce_body(&[rng.array::<6>()]));
            http(
                t,
                c,
                &bt::http_announce("10.99.0.51:6969", &q),
                &bt::http_ok("text/plain", "Content-Encoding: gzip\r\n", &body),
            );
        },
    );
    tracker_case(
        b,
        "tracker-leading-crlf",
        "announce preceded by an empty line (RFC 9112 §2.2 lets servers skip it)",
        "twin-http-leading-crlf",
        &|t, c, rng| {
            let q = bt::announce_query(
                ["info_hash", "peer_id", "port"],
                &rng.array(),
                &bt::peer_id(rng, "-TR3000-"),
            );
            let mut req = b"\r\n".to_vec();
            req.extend(bt::http_announce("10.99.0.51:6969", &q));
            http(t, c, &req, &reply(rng));
        },
    );
    tracker_case(b, "tracker-keepalive-decoy", "a keep-alive connection whose first request is a decoy (`GET /favicon.ico`), the announce second", "twin-http-keepalive", &|t, c, rng| {
        http(t, c, &get("/favicon.ico", "10.99.0.51:6969"), &bt::http_ok("image/x-icon", "", &rng.bytes(318)));
        let q = bt::announce_query(["info_hash", "peer_id", "port"], &rng.array(), &bt::peer_id(rng, "-TR3000-"));
        http(t, c, &bt::http_announce("10.99.0.51:6969", &q), &reply(rng));
    });
    tracker_case(
        b,
        "tracker-decoy-and-percent-and-gzip",
        "all four at once: leading CRLF, decoy request, percent-encoded names, gzip reply",
        "twin-http-keepalive",
        &|t, c, rng| {
            let mut req = b"\r\n".to_vec();
            req.extend(get("/", "10.99.0.51:6969"));
            http(t, c, &req, &page(rng, 500));
            let q = bt::announce_query(
                ["%69nfo_hash", "peer%5fid", "port"],
                &rng.array(),
                &bt::peer_id(rng, "-qB4520-"),
            );
            let body = gzip_stored(&bt::announce_body(&[rng.array::<6>()]));
            http(
                t,
                c,
                &bt::http_announce("10.99.0.51:6969", &q),
                &bt::http_ok("text/plain", "Content-Encoding: gzip\r\n", &body),
            );
        },
    );

    let twin = |b: &mut Builder,
                name: &'static str,
                what: &'static str,
                evasion: &'static str,
                exchanges: &[(Vec<u8>, Vec<u8>)]| {
        let mut t = Trace::new();
        let (a, s) = (v4(52, 43002), v4(53, 80));
        let mut c = Tcp::open(&mut t, a, s);
        for (q, r) in exchanges {
            http(&mut t, &mut c, q, r);
        }
        c.close(&mut t);
        b.add(
            name,
            C4,
            what,
            Role::Twin,
            Some(evasion),
            t,
            vec![F::not_bt("tcp", a, s)],
        );
    };
    let mut rng = seed("twins-4");
    let h = hex(&rng.array::<20>());
    twin(
        b,
        "twin-http-percent-query",
        "a search for `info%5Fhash=<40 hex>&peer%5Fid=…` (the names as a query value)",
        "tracker-percent-names",
        &[(
            get(
                &format!("/search?q=info%5Fhash%3D{h}%26peer%5Fid%3D-TR3000-&lang=en"),
                "search.lab",
            ),
            page(&mut rng, 2000),
        )],
    );
    let gz = gzip_stored(&page(&mut rng, 3000));
    twin(
        b,
        "twin-http-gzip",
        "a gzip-encoded web page",
        "tracker-gzip-reply",
        &[(
            get("/index.html", "www.lab"),
            bt::http_ok("text/html", "Content-Encoding: gzip\r\n", &gz),
        )],
    );
    let mut crlf = b"\r\n".to_vec();
    crlf.extend(get("/news", "www.lab"));
    twin(
        b,
        "twin-http-leading-crlf",
        "a web request preceded by an empty line",
        "tracker-leading-crlf",
        &[(crlf, page(&mut rng, 1200))],
    );
    twin(
        b,
        "twin-http-keepalive",
        "keep-alive: two ordinary requests, the second to `/announce?id=42` of a news site",
        "tracker-keepalive-decoy",
        &[
            (
                get("/favicon.ico", "news.lab"),
                bt::http_ok("image/x-icon", "", &rng.bytes(318)),
            ),
            (
                get("/announce?id=42&lang=en", "news.lab"),
                page(&mut rng, 1500),
            ),
        ],
    );
}

const C5: &str = "5 KRPC trailing byte";

fn krpc_trailing(b: &mut Builder) {
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

const C6: &str = "6 TCP tricks";

fn tcp_tricks(b: &mut Builder) {
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

fn fragments(b: &mut Builder) {
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

const C7: &str = "7 tuple reuse";

fn tuple_reuse(b: &mut Builder) {
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

const CM: &str = "magnet in content";

fn magnets(b: &mut Builder) {
    let ih_of = |name: &str| seed(name).array::<20>();
    {
        let name = "magnet-web-page";
        let ih = ih_of(name);
        let mut t = Trace::new();
        let (a, s) = (v4(120, 46001), v4(121, 80));
        let mut c = Tcp::open(&mut t, a, s);
        http(
            &mut t,
            &mut c,
            &get("/downloads.html", "www.lab"),
            &bt::http_ok("text/html", "", &bn::magnet_page(&hex(&ih))),
        );
        c.close(&mut t);
        b.add(
            name,
            CM,
            "a web page linking a magnet URI",
            Role::Negative,
            None,
            t,
            vec![F::not_bt("tcp", a, s).with_info_hash(ih)],
        );
    }
    {
        let name = "magnet-irc";
        let ih = ih_of(name);
        let mut t = Trace::new();
        let (a, s) = (v4(122, 46002), v4(123, 6667));
        let mut c = Tcp::open(&mut t, a, s);
        c.send(&mut t, Dir::A, b"NICK alice\r\nUSER alice 0 * :Alice\r\n");
        c.send(&mut t, Dir::B, b":irc.lab 001 alice :Welcome to the lab IRC network alice\r\n:irc.lab 376 alice :End of /MOTD command.\r\n");
        c.send(&mut t, Dir::A, b"JOIN #linux\r\n");
        c.send(
            &mut t,
            Dir::A,
            format!(
                "PRIVMSG #linux :the new iso is out: magnet:?xt=urn:btih:{}&dn=debian-12.iso\r\n",
                hex(&ih)
            )
            .as_bytes(),
        );
        c.send(&mut t, Dir::B, b":bob!bob@lab PRIVMSG #linux :thanks!\r\n");
        c.send(&mut t, Dir::A, b"QUIT :bye\r\n");
        c.close(&mut t);
        b.add(
            name,
            CM,
            "an IRC message carrying a magnet URI",
            Role::Negative,
            None,
            t,
            vec![F::not_bt("tcp", a, s).with_info_hash(ih)],
        );
    }
    {
        let name = "magnet-email";
        let ih = ih_of(name);
        let mut t = Trace::new();
        let (a, s) = (v4(124, 46003), v4(125, 25));
        let mut c = Tcp::open(&mut t, a, s);
        for (d, line) in [
            (Dir::B, "220 mail.lab ESMTP Postfix (Debian/GNU)\r\n".to_string()),
            (Dir::A, "EHLO client.lab\r\n".into()),
            (Dir::B, "250-mail.lab\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n".into()),
            (Dir::A, "MAIL FROM:<alice@lab>\r\n".into()),
            (Dir::B, "250 2.1.0 Ok\r\n".into()),
            (Dir::A, "RCPT TO:<bob@lab>\r\n".into()),
            (Dir::B, "250 2.1.5 Ok\r\n".into()),
            (Dir::A, "DATA\r\n".into()),
            (Dir::B, "354 End data with <CR><LF>.<CR><LF>\r\n".into()),
            (Dir::A, format!("From: alice@lab\r\nTo: bob@lab\r\nSubject: the iso\r\n\r\nHi Bob,\r\n\r\nhere it is: magnet:?xt=urn:btih:{}&dn=debian-12.iso&tr=udp%3A%2F%2Ftracker.lab%3A6969\r\n\r\nAlice\r\n.\r\n", hex(&ih))),
            (Dir::B, "250 2.0.0 Ok: queued as 4F2A1C\r\n".into()),
            (Dir::A, "QUIT\r\n".into()),
            (Dir::B, "221 2.0.0 Bye\r\n".into()),
        ] {
            c.send(&mut t, d, line.as_bytes());
        }
        c.close(&mut t);
        b.add(
            name,
            CM,
            "an e-mail (SMTP) whose body carries a magnet URI",
            Role::Negative,
            None,
            t,
            vec![F::not_bt("tcp", a, s).with_info_hash(ih)],
        );
    }
}

const CP: &str = "one-sided evidence";

fn one_sided(b: &mut Builder) {
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

const CN: &str = "look-alike";

fn look_alikes(b: &mut Builder) {
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
