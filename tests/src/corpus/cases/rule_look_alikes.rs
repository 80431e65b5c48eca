//! Structure-aware look-alikes of each rule that reaches `likely` or `confirmed` (the
//! false-positive pass of issue 13): protocols of other applications built from their
//! specifications so that their bytes fit a BitTorrent rule as far as their formats allow —
//! length-prefixed binary protocols against the mid-stream peer wire rule (a 4-byte big-endian
//! length, then an id byte), P2P and RPC protocols with a first byte of 0x13 or a 20-byte id
//! against the handshake and KRPC rules, UDP protocols whose first bytes are a uTP type and
//! version byte against the uTP rules, and `.torrent` files served over HTTP against the
//! tracker reply rule.

use std::net::SocketAddr;

use super::super::benign as bn;
use super::super::packet::{Dir, Tcp, Trace, Udp};
use super::super::rng::Rng;
use super::super::{FlowExpect as F, Role};
use super::*;

const CN: &str = "look-alike";

/// `<u32 big-endian length of what follows><code><body>`: Riak's Protocol Buffers API and many
/// Erlang `{packet, 4}` and Java `DataOutputStream` protocols frame messages this way, as the
/// peer wire protocol does.
fn framed(code: u8, body: &[u8]) -> Vec<u8> {
    let mut m = u32::try_from(body.len() + 1)
        .unwrap_or(u32::MAX)
        .to_be_bytes()
        .to_vec();
    m.push(code);
    m.extend_from_slice(body);
    m
}

/// A 4-byte big-endian length, then `body` (Netty's `LengthFieldPrepender`, Kafka, Thrift's
/// framed transport).
fn length_prefixed(body: &[u8]) -> Vec<u8> {
    let mut m = u32::try_from(body.len())
        .unwrap_or(u32::MAX)
        .to_be_bytes()
        .to_vec();
    m.extend_from_slice(body);
    m
}

/// A protobuf length-delimited field.
fn pb_bytes(field: u8, value: &[u8]) -> Vec<u8> {
    let mut m = vec![
        (field << 3) | 2,
        u8::try_from(value.len()).unwrap_or(u8::MAX),
    ];
    m.extend_from_slice(value);
    m
}

/// How a TCP look-alike is captured and what it must give.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pickup {
    /// From the SYN: must not be BitTorrent.
    FromStart,
    /// The SYN, SYN-ACK and ACK are not in the capture: must not be BitTorrent.
    Midstream,
}

fn tcp_case(
    b: &mut Builder,
    name: &'static str,
    what: &'static str,
    ends: (SocketAddr, SocketAddr),
    pickup: Pickup,
    make: &dyn Fn(&mut Trace, &mut Tcp, &mut Rng),
) {
    let (a, s) = ends;
    let mut rng = seed(name);
    let mut t = Trace::new();
    let mut c = Tcp::open(&mut t, a, s);
    make(&mut t, &mut c, &mut rng);
    c.close(&mut t);
    if pickup != Pickup::FromStart {
        // SYN, SYN-ACK, ACK: the capture starts after them.
        t.frames.drain(..3);
    }
    let flow = F::not_bt("tcp", a, s);
    b.add(name, CN, what, Role::Negative, None, t, vec![flow]);
}

fn udp_case(
    b: &mut Builder,
    name: &'static str,
    what: &'static str,
    ends: (SocketAddr, SocketAddr),
    make: &dyn Fn(&mut Trace, &Udp, &mut Rng),
) {
    let (a, s) = ends;
    let mut rng = seed(name);
    let mut t = Trace::new();
    make(&mut t, &Udp::new(a, s), &mut rng);
    b.add(
        name,
        CN,
        what,
        Role::Negative,
        None,
        t,
        vec![F::not_bt("udp", a, s)],
    );
}

/// A file transfer framed `<u32 length><type 7><u64 offset><chunk>` (BEP 3's piece message
/// with a u64 offset for index and `begin`), `chunk`-byte chunks from offset `from`, written
/// 64 KiB at a time, the receiver acknowledging each chunk (`<u32 9><2><u64 offset>`); picked
/// up `skip` bytes into the transfer (no SYN, mid-chunk).
fn chunked_transfer(
    b: &mut Builder,
    name: &'static str,
    what: &'static str,
    ends: (SocketAddr, SocketAddr),
    (chunk, from, skip): (usize, u64, usize),
) {
    let (a, s) = ends;
    let mut rng = seed(name);
    let mut t = Trace::new();
    let mut c = Tcp {
        a,
        b: s,
        next: [0x3141_5926, 0x2718_2818],
    };
    let mut down = Vec::new();
    let mut acks = Vec::new();
    for i in 0..8u64 {
        let offset = from + i * chunk as u64;
        let mut body = offset.to_be_bytes().to_vec();
        body.extend(rng.bytes(chunk));
        down.extend(framed(7, &body));
        acks.push(framed(2, &offset.to_be_bytes()));
    }
    down.drain(..skip);
    for (write, ack) in down.chunks(65536).zip(acks.chunks(2)) {
        c.send(&mut t, Dir::B, write);
        c.send(&mut t, Dir::A, &ack.concat());
    }
    c.close(&mut t);
    let flow = F::not_bt("tcp", a, s);
    b.add(name, CN, what, Role::Negative, None, t, vec![flow]);
}

/// Riak PBC: three pings and their answers, then a get and its answer (codes 1, 2, 9, 10).
fn riak(t: &mut Trace, c: &mut Tcp, rng: &mut Rng) {
    for _ in 0..3 {
        c.send(t, Dir::A, &framed(1, &[]));
        c.send(t, Dir::B, &framed(2, &[]));
    }
    let mut get = pb_bytes(1, b"sessions");
    get.extend(pb_bytes(2, b"user-4711"));
    c.send(t, Dir::A, &framed(9, &get));
    let mut content = pb_bytes(1, &rng.bytes(120));
    content.extend(pb_bytes(2, b"application/json"));
    let mut resp = pb_bytes(1, &content);
    resp.extend(pb_bytes(2, &rng.bytes(12)));
    c.send(t, Dir::B, &framed(10, &resp));
}

/// A binary RPC framed `<u32 length><u8 type><body>` whose type numbers are small: hello (1),
/// hello-ok (2), ack with a sequence number (4), data (5), bulk (7), bye (3).
fn typed_rpc(t: &mut Trace, c: &mut Tcp, rng: &mut Rng) {
    c.send(t, Dir::A, &framed(1, &[]));
    c.send(t, Dir::B, &framed(2, &[]));
    for seq in 0..4u32 {
        let n = rng.range(40, 900);
        c.send(t, Dir::A, &framed(5, &rng.bytes(n)));
        c.send(t, Dir::B, &framed(4, &seq.to_be_bytes()));
    }
    let n = rng.range(2000, 9000);
    c.send(t, Dir::B, &framed(7, &rng.bytes(n)));
    c.send(t, Dir::A, &framed(4, &9u32.to_be_bytes()));
    c.send(t, Dir::A, &framed(3, &[]));
}

/// Protobuf messages with 4-byte big-endian lengths: heartbeats `{fixed32 seq = 1}` (5 bytes,
/// tag 0x0d) both ways, then requests and replies `{bytes body = 1}`.
fn protobuf_heartbeats(t: &mut Trace, c: &mut Tcp, rng: &mut Rng) {
    for seq in 1..5u32 {
        let mut hb = vec![0x0d];
        hb.extend(seq.to_le_bytes());
        c.send(t, Dir::A, &length_prefixed(&hb));
        c.send(t, Dir::B, &length_prefixed(&hb));
    }
    for _ in 0..2 {
        let n = rng.range(20, 120);
        c.send(t, Dir::A, &length_prefixed(&pb_bytes(1, &rng.bytes(n))));
        let n = rng.range(20, 200);
        c.send(t, Dir::B, &length_prefixed(&pb_bytes(1, &rng.bytes(n))));
    }
}

/// Kafka: ApiVersions and Metadata requests (API keys 18 and 3) and their responses.
fn kafka(t: &mut Trace, c: &mut Tcp, rng: &mut Rng) {
    let client = b"\x00\x0drdkafka-1.9.2";
    for (corr, key, version) in [(1u32, 18u16, 3u16), (2, 3, 9)] {
        let mut req = key.to_be_bytes().to_vec();
        req.extend(version.to_be_bytes());
        req.extend(corr.to_be_bytes());
        req.extend(client);
        req.extend([0, 0x02, 0x05]);
        req.extend(b"topic");
        c.send(t, Dir::A, &length_prefixed(&req));
        let mut resp = corr.to_be_bytes().to_vec();
        resp.extend([0, 0]);
        let n = rng.range(60, 400);
        resp.extend(rng.bytes(n));
        c.send(t, Dir::B, &length_prefixed(&resp));
    }
}

/// Thrift framed transport, strict binary protocol: calls and replies of `ping` and `get`.
fn thrift(t: &mut Trace, c: &mut Tcp, rng: &mut Rng) {
    for (seq, method) in [(1u32, &b"ping"[..]), (2, b"get"), (3, b"get")] {
        let mut call = vec![0x80, 0x01, 0x00, 0x01];
        call.extend(u32::try_from(method.len()).unwrap_or(0).to_be_bytes());
        call.extend(method);
        call.extend(seq.to_be_bytes());
        call.extend([0x0b, 0x00, 0x01, 0, 0, 0, 4]);
        call.extend(b"key1");
        call.push(0);
        c.send(t, Dir::A, &length_prefixed(&call));
        let mut reply = vec![0x80, 0x01, 0x00, 0x02];
        reply.extend(u32::try_from(method.len()).unwrap_or(0).to_be_bytes());
        reply.extend(method);
        reply.extend(seq.to_be_bytes());
        reply.extend([0x0b, 0x00, 0x00, 0, 0, 0, 32]);
        reply.extend(rng.bytes(32));
        reply.push(0);
        c.send(t, Dir::B, &length_prefixed(&reply));
    }
}

/// libp2p: multistream-select (`\x13/multistream/1.0.0\n`, a first byte of 0x13 like the
/// BitTorrent handshake's), `/noise`, then Noise XX messages framed by 2-byte lengths.
fn libp2p(t: &mut Trace, c: &mut Tcp, rng: &mut Rng) {
    let hello = b"\x13/multistream/1.0.0\n";
    let mut first = hello.to_vec();
    first.extend(b"\x07/noise\n");
    c.send(t, Dir::A, &first);
    c.send(t, Dir::B, &first);
    for (dir, n) in [(Dir::A, 32usize), (Dir::B, 200), (Dir::A, 160)] {
        let mut m = u16::try_from(n).unwrap_or(0).to_be_bytes().to_vec();
        m.extend(rng.bytes(n));
        c.send(t, dir, &m);
    }
    let mut m = vec![0x00, 0x40];
    m.extend(rng.bytes(64));
    c.send(t, Dir::A, &m);
}

/// Bitcoin P2P: `version` and `verack` both ways (magic f9beb4d9).
fn bitcoin(t: &mut Trace, c: &mut Tcp, rng: &mut Rng) {
    let msg = |command: &[u8], payload: &[u8]| {
        let mut m = vec![0xf9, 0xbe, 0xb4, 0xd9];
        let mut cmd = [0u8; 12];
        cmd[..command.len()].copy_from_slice(command);
        m.extend(cmd);
        m.extend(u32::try_from(payload.len()).unwrap_or(0).to_le_bytes());
        m.extend([0x5d, 0xf6, 0xe0, 0xe2]);
        m.extend(payload);
        m
    };
    let version = |rng: &mut Rng| {
        let mut v = 70016u32.to_le_bytes().to_vec();
        v.extend([0x09, 0x04, 0, 0, 0, 0, 0, 0]);
        v.extend(1_795_484_951u64.to_le_bytes());
        v.extend(rng.bytes(52));
        v.extend(b"\x10/Satoshi:25.0.0/");
        v.extend(800_000u32.to_le_bytes());
        v.push(1);
        v
    };
    c.send(t, Dir::A, &msg(b"version", &version(rng)));
    c.send(t, Dir::B, &msg(b"version", &version(rng)));
    c.send(t, Dir::A, &msg(b"verack", &[]));
    c.send(t, Dir::B, &msg(b"verack", &[]));
    c.send(t, Dir::B, &msg(b"sendcmpct", &[0, 2, 0, 0, 0, 0, 0, 0, 0]));
}

/// Gnutella 0.6: the text handshake, then binary descriptors (a 16-byte GUID, type, TTL,
/// hops, a little-endian payload length).
fn gnutella(t: &mut Trace, c: &mut Tcp, rng: &mut Rng) {
    c.send(t, Dir::A, b"GNUTELLA CONNECT/0.6\r\nUser-Agent: gtk-gnutella/1.2.2\r\nX-Ultrapeer: False\r\nAccept-Encoding: deflate\r\n\r\n");
    c.send(
        t,
        Dir::B,
        b"GNUTELLA/0.6 200 OK\r\nUser-Agent: gtk-gnutella/1.2.2\r\nX-Ultrapeer: True\r\n\r\n",
    );
    c.send(t, Dir::A, b"GNUTELLA/0.6 200 OK\r\n\r\n");
    for (dir, kind, n) in [
        (Dir::A, 0x00u8, 0usize),
        (Dir::B, 0x01, 14),
        (Dir::A, 0x80, 40),
    ] {
        let mut d = rng.bytes(16);
        d.extend([kind, 7, 0]);
        d.extend(u32::try_from(n).unwrap_or(0).to_le_bytes());
        d.extend(rng.bytes(n));
        c.send(t, dir, &d);
    }
}

/// eDonkey/eMule TCP: `OP_HELLO` and `OP_HELLOANSWER` (0xE3, a little-endian length, the
/// opcode, a 16-byte user hash), then eMule extended packets (0xC5).
fn edonkey(t: &mut Trace, c: &mut Tcp, rng: &mut Rng) {
    let packet = |proto: u8, op: u8, body: &[u8]| {
        let mut p = vec![proto];
        p.extend(u32::try_from(body.len() + 1).unwrap_or(0).to_le_bytes());
        p.push(op);
        p.extend(body);
        p
    };
    let mut hello = vec![16];
    hello.extend(rng.bytes(16 + 6));
    hello.extend([2, 0, 0, 0, 0x01, 0x01, 0x00, 0x05]);
    hello.extend(b"aMule");
    c.send(t, Dir::A, &packet(0xe3, 0x01, &hello));
    c.send(t, Dir::B, &packet(0xe3, 0x4c, &hello[1..]));
    c.send(t, Dir::A, &packet(0xc5, 0x01, &rng.bytes(30)));
    c.send(t, Dir::B, &packet(0xc5, 0x02, &rng.bytes(30)));
}

/// A `.torrent` file fetched over HTTP: a bencoded dictionary with `announce` and `info`
/// (`files`, `piece length`, `pieces`) as the body.
fn torrent_file(rng: &mut Rng) -> Vec<u8> {
    let mut body = b"d8:announce35:http://tracker.lab.example/announce7:comment4:test4:infod5:filesld6:lengthi262144e4:pathl5:a.bineed6:lengthi131072e4:pathl5:b.bineee4:name4:data12:piece lengthi32768e6:pieces240:".to_vec();
    body.extend(rng.bytes(240));
    body.extend(b"ee");
    body
}

fn torrent_download(t: &mut Trace, c: &mut Tcp, rng: &mut Rng) {
    c.send(
        t,
        Dir::A,
        &get("/files/data.torrent", "torrents.lab.example"),
    );
    c.send(
        t,
        Dir::B,
        &bt::http_ok("application/x-bittorrent", "", &torrent_file(rng)),
    );
}

pub(super) fn rule_look_alikes(b: &mut Builder) {
    tcp_case(
        b,
        "riak-pbc-8087",
        "Riak's Protocol Buffers API (TCP 8087): three pings (code 1, a `<u32 length 1><1>` message: BEP 3's unchoke) and their answers (code 2: interested), then a get and its answer",
        (v4(1, 41001), v4(2, 8087)),
        Pickup::FromStart,
        &riak,
    );
    tcp_case(
        b,
        "riak-pbc-8087-midstream",
        "the same Riak session picked up mid-stream (no SYN)",
        (v4(1, 41002), v4(2, 8087)),
        Pickup::Midstream,
        &riak,
    );
    tcp_case(
        b,
        "typed-rpc-u32-length",
        "a binary RPC framed `<u32 length><type><body>` with small type numbers (hello 1, ack 4 with a sequence number, data 5, bulk 7, bye 3) both ways",
        (v4(3, 41003), v4(4, 7000)),
        Pickup::FromStart,
        &typed_rpc,
    );
    tcp_case(
        b,
        "typed-rpc-u32-length-midstream",
        "the same RPC picked up mid-stream (no SYN): its acks are BEP 3 have messages and its data messages bitfields, and the second bitfield refutes the framing (BEP 3 sends one, first)",
        (v4(3, 41004), v4(4, 7000)),
        Pickup::Midstream,
        &typed_rpc,
    );
    tcp_case(
        b,
        "protobuf-u32-heartbeats",
        "protobuf over TCP with 4-byte big-endian lengths: heartbeats `{fixed32 seq = 1}` (tag 0x0d, 5 bytes: BEP 6's suggest) both ways, then requests",
        (v4(5, 41005), v4(6, 9000)),
        Pickup::FromStart,
        &protobuf_heartbeats,
    );
    tcp_case(
        b,
        "protobuf-u32-heartbeats-midstream",
        "the same protobuf heartbeats picked up mid-stream (no SYN)",
        (v4(5, 41006), v4(6, 9000)),
        Pickup::Midstream,
        &protobuf_heartbeats,
    );
    tcp_case(
        b,
        "kafka-9092",
        "Kafka: ApiVersions and Metadata requests (4-byte big-endian lengths) and responses",
        (v4(7, 41007), v4(8, 9092)),
        Pickup::FromStart,
        &kafka,
    );
    tcp_case(
        b,
        "thrift-framed-9090",
        "Thrift framed transport, strict binary protocol: calls and replies",
        (v4(9, 41008), v4(10, 9090)),
        Pickup::FromStart,
        &thrift,
    );
    tcp_case(
        b,
        "libp2p-multistream-4001",
        "libp2p (IPFS): multistream-select `\\x13/multistream/1.0.0\\n` (first byte 0x13, as the handshake's) and `/noise`, then Noise handshake messages",
        (v4(11, 41009), v4(12, 4001)),
        Pickup::FromStart,
        &libp2p,
    );
    tcp_case(
        b,
        "bitcoin-8333",
        "Bitcoin P2P: `version`, `verack` and `sendcmpct` both ways",
        (v4(13, 41010), v4(14, 8333)),
        Pickup::FromStart,
        &bitcoin,
    );
    tcp_case(
        b,
        "gnutella-6346",
        "Gnutella 0.6: the `GNUTELLA CONNECT/0.6` handshake, then binary ping, pong and query descriptors",
        (v4(15, 41011), v4(16, 6346)),
        Pickup::FromStart,
        &gnutella,
    );
    tcp_case(
        b,
        "edonkey-4662",
        "eDonkey/eMule TCP: hello and hello answer (0xE3, length, opcode), eMule extended packets (0xC5)",
        (v4(17, 41012), v4(18, 4662)),
        Pickup::FromStart,
        &edonkey,
    );
    tcp_case(
        b,
        "torrent-file-over-http",
        "a `.torrent` file downloaded over HTTP (a bencoded `d8:announce…4:info…` body: metadata, not BitTorrent traffic)",
        (v4(19, 41013), v4(20, 80)),
        Pickup::FromStart,
        &torrent_download,
    );
    tcp_case(
        b,
        "torrent-file-over-http-midstream",
        "the same `.torrent` download picked up mid-stream, after the request",
        (v4(21, 41014), v4(22, 80)),
        Pickup::Midstream,
        &|t, c, rng| {
            c.send(
                t,
                Dir::B,
                &bt::http_ok("application/x-bittorrent", "", &torrent_file(rng)),
            );
        },
    );

    tcp_case(
        b,
        "kafka-9092-midstream",
        "the same Kafka exchange picked up mid-stream (no SYN)",
        (v4(7, 41024), v4(8, 9092)),
        Pickup::Midstream,
        &kafka,
    );
    tcp_case(
        b,
        "thrift-framed-9090-midstream",
        "the same Thrift calls picked up mid-stream (no SYN)",
        (v4(9, 41025), v4(10, 9090)),
        Pickup::Midstream,
        &thrift,
    );

    chunked_transfer(
        b,
        "chunked-transfer-8k-midstream",
        "a file transfer framed `<u32 length><type 7><u64 offset><8 KiB>` (BEP 3's piece message with 8 KiB chunks) picked up 3000 bytes into a chunk, 64 KiB writes, acknowledged",
        (v4(25, 41026), v4(26, 7700)),
        (8192, 0, 3000),
    );
    chunked_transfer(
        b,
        "chunked-transfer-32k-midstream",
        "the same with 32 KiB chunks (a valid piece message length, not a 16 KiB block)",
        (v4(25, 41027), v4(26, 7700)),
        (32768, 0, 3000),
    );
    chunked_transfer(
        b,
        "chunked-transfer-16k-past-64mib-midstream",
        "the same with 16 KiB chunks (BEP 3's piece message for a 16 KiB block) at offsets past 64 MiB: no block transfer (`begin` past the bound), and such pieces make no framing run",
        (v4(25, 41028), v4(26, 7700)),
        (16384, 80 << 20, 3000),
    );

    udp_case(
        b,
        "turn-channeldata-0x4100",
        "TURN ChannelData on channel 0x4100 (first bytes 0x41 0x00: a uTP SYN, version 1, no extension) carrying RTP both ways",
        (v4(23, 41015), v4(24, 3478)),
        &|t, u, rng| {
            for i in 0..12u16 {
                let rtp = bn::rtp(rng, 100 + i, 160 * u32::from(i), 0x1234_5678);
                let mut m = vec![0x41, 0x00];
                m.extend(u16::try_from(rtp.len()).unwrap_or(0).to_be_bytes());
                m.extend(rtp);
                u.send(t, if i % 2 == 0 { Dir::A } else { Dir::B }, &m);
            }
        },
    );
    udp_case(
        b,
        "coap-token1-5683",
        "CoAP confirmable requests with a 1-byte token (first byte 0x41: a uTP SYN, version 1; code 0.01 in the extension byte) and their answers",
        (v4(25, 41016), v4(26, 5683)),
        &|t, u, _| {
            for id in 0..4u16 {
                let mut q = vec![0x41, 0x01];
                q.extend((0x1200 + id).to_be_bytes());
                q.push(0x5a);
                q.extend(b"\xb4temp\x03now");
                let mut r = vec![0x61, 0x45];
                r.extend((0x1200 + id).to_be_bytes());
                r.extend([0x5a, 0xff]);
                r.extend(b"21.5 C");
                u.exchange(t, &q, &r);
            }
        },
    );
    udp_case(
        b,
        "mqtt-sn-publish",
        "MQTT-SN PUBLISH messages of 17, 33, 49 and 65 bytes (first byte, the length, reads as uTP FIN, STATE, RESET, SYN version 1) and PUBACKs",
        (v4(27, 41017), v4(28, 1884)),
        &|t, u, rng| {
            for (i, len) in [17usize, 33, 49, 65, 33, 17].into_iter().enumerate() {
                let mut p = vec![u8::try_from(len).unwrap_or(0), 0x0c, 0x20, 0x00, 0x01];
                p.extend(u16::try_from(i + 1).unwrap_or(0).to_be_bytes());
                p.extend(rng.bytes(len - 7));
                let mut ack = vec![7, 0x0d, 0x00, 0x01];
                ack.extend(u16::try_from(i + 1).unwrap_or(0).to_be_bytes());
                ack.push(0);
                u.exchange(t, &p, &ack);
            }
        },
    );
    udp_case(
        b,
        "openvpn-udp-key-id-1",
        "OpenVPN over UDP after a renegotiation: P_CONTROL_V1 and P_DATA_V1 with key id 1 (first bytes 0x21 and 0x31: uTP STATE and RESET, version 1)",
        (v4(29, 41018), v4(30, 1194)),
        &|t, u, rng| {
            let (sa, sb) = (rng.bytes(8), rng.bytes(8));
            for i in 0..4u32 {
                for (dir, sid) in [(Dir::A, &sa), (Dir::B, &sb)] {
                    let mut p = vec![0x21];
                    p.extend(sid);
                    p.push(0);
                    p.extend(i.to_be_bytes());
                    let n = rng.range(60, 300);
                    p.extend(rng.bytes(n));
                    u.send(t, dir, &p);
                }
            }
            for i in 0..8u32 {
                let mut p = vec![0x31];
                p.extend(i.to_be_bytes());
                let n = rng.range(60, 1300);
                p.extend(rng.bytes(n));
                u.send(t, if i % 2 == 0 { Dir::A } else { Dir::B }, &p);
            }
        },
    );
    udp_case(
        b,
        "quic-short-header-0x41",
        "QUIC short-header packets whose first byte is 0x41 (a uTP SYN) and whose connection ids start with 0x00 (no uTP extension), both ways",
        (v4(31, 41019), v4(32, 443)),
        &|t, u, rng| {
            let mut cid_a = rng.bytes(8);
            let mut cid_b = rng.bytes(8);
            cid_a[0] = 0;
            cid_b[0] = 0;
            for i in 0..10usize {
                let (dir, cid) = if i % 2 == 0 {
                    (Dir::A, &cid_b)
                } else {
                    (Dir::B, &cid_a)
                };
                let mut p = vec![0x41];
                p.extend(cid);
                let n = rng.range(30, 1200);
                p.extend(rng.bytes(n));
                u.send(t, dir, &p);
            }
        },
    );
    udp_case(
        b,
        "onc-rpc-xid-0100-udp",
        "ONC RPC calls over UDP whose transaction ids start 0x01 0x00 (a uTP DATA header, version 1, no extension), AUTH_NULL, mostly zero arguments, and replies",
        (v4(33, 41020), v4(34, 2049)),
        &|t, u, rng| {
            for i in 0..4u32 {
                let xid = 0x0100_0000 | (rng.below(0xffff) as u32) << 4 | i;
                let mut args = vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
                args.extend([0, 0, 0, 0x20]);
                args.extend(rng.bytes(32));
                u.exchange(
                    t,
                    &bn::rpc_call(xid, 100_003, 3, 1, &args),
                    &bn::rpc_reply(xid, &[0u8; 88]),
                );
            }
        },
    );
    udp_case(
        b,
        "kad2-4672",
        "eMule Kad2 over UDP: KADEMLIA2_BOOTSTRAP_REQ/RES and KADEMLIA2_REQ/RES (0xE4, opcode, 16-byte Kad ids)",
        (v4(35, 41021), v4(36, 4672)),
        &|t, u, rng| {
            u.exchange(t, &[0xe4, 0x01], &{
                let mut r = vec![0xe4, 0x09];
                r.extend(rng.bytes(16));
                r.extend([0x12, 0x36, 0x08, 0x01, 0x00]);
                r.extend(rng.bytes(25 * 4));
                r
            });
            for _ in 0..3 {
                let mut q = vec![0xe4, 0x21, 0x0b];
                q.extend(rng.bytes(32));
                let mut r = vec![0xe4, 0x29];
                r.extend(rng.bytes(16));
                r.push(4);
                r.extend(rng.bytes(25 * 4));
                u.exchange(t, &q, &r);
            }
        },
    );
    udp_case(
        b,
        "discv4-30303",
        "Ethereum discv4 (UDP 30303): ping, pong, findnode, neighbors (a 32-byte hash, a 65-byte signature, the type, RLP)",
        (v4(37, 30303), v4(38, 30303)),
        &|t, u, rng| {
            for (dir, kind, n) in [(Dir::A, 1u8, 60usize), (Dir::B, 2, 70), (Dir::A, 3, 72), (Dir::B, 4, 900)] {
                let mut p = rng.bytes(97);
                p.push(kind);
                p.push(0xf8);
                p.push(u8::try_from(n).unwrap_or(0));
                p.extend(rng.bytes(n));
                u.send(t, dir, &p);
            }
        },
    );
    udp_case(
        b,
        "bencode-rpc-32-byte-ids",
        "a bencoded UDP RPC shaped like KRPC (`t`, `y`, `q`, `a`) whose node ids are 32 bytes (a SHA-256 DHT), queries and responses",
        (v4(39, 41022), v4(40, 7777)),
        &|t, u, rng| {
            for i in 0..3u8 {
                let id_a = rng.bytes(32);
                let id_b = rng.bytes(32);
                let mut q = b"d1:ad2:id32:".to_vec();
                q.extend(&id_a);
                q.extend(b"e1:q4:ping1:t2:");
                q.extend([b'a', b'0' + i]);
                q.extend(b"1:y1:qe");
                let mut r = b"d1:rd2:id32:".to_vec();
                r.extend(&id_b);
                r.extend(b"e1:t2:");
                r.extend([b'a', b'0' + i]);
                r.extend(b"1:y1:re");
                u.exchange(t, &q, &r);
            }
        },
    );
    udp_case(
        b,
        "mumble-voice-udp-64738",
        "Mumble voice over UDP (OCB-AES128): each datagram starts with the low byte of its counter (so every sixteenth one is 0x01, 0x11, 0x21, 0x31 or 0x41, a uTP type and version), a 3-byte tag, then ciphertext, both ways",
        (v4(43, 41026), v4(44, 64738)),
        &|t, u, rng| {
            let (mut ca, mut cb) = (0x3bu8, 0xe0u8);
            for i in 0..80usize {
                let (dir, counter) = if i % 2 == 0 {
                    (Dir::A, &mut ca)
                } else {
                    (Dir::B, &mut cb)
                };
                let mut p = vec![*counter];
                *counter = counter.wrapping_add(1);
                let n = rng.range(40, 180);
                p.extend(rng.bytes(3 + n));
                u.send(t, dir, &p);
                t.advance(10_000_000);
            }
        },
    );
    udp_case(
        b,
        "radius-id-0-1812",
        "RADIUS Access-Request with identifier 0 (first bytes 0x01 0x00: a uTP DATA header, version 1, no extension, over the 20-byte RADIUS header) and Access-Accept, then identifiers 1–3",
        (v4(45, 41027), v4(46, 1812)),
        &|t, u, rng| {
            for id in 0..4u8 {
                let mut attrs = vec![1, 7];
                attrs.extend(b"alice");
                attrs.extend([2, 18]);
                attrs.extend(rng.bytes(16));
                attrs.extend([4, 6, 10, 99, 0, 45]);
                let mut q = vec![1, id];
                q.extend(u16::try_from(20 + attrs.len()).unwrap_or(0).to_be_bytes());
                q.extend(rng.bytes(16));
                q.extend(attrs);
                let mut r = vec![2, id, 0, 20];
                r.extend(rng.bytes(16));
                u.exchange(t, &q, &r);
            }
        },
    );
    udp_case(
        b,
        "quake3-getstatus-27960",
        "Quake III `\\xff\\xff\\xff\\xffgetstatus` and its answer",
        (v4(41, 41023), v4(42, 27960)),
        &|t, u, _| {
            u.exchange(
                t,
                b"\xff\xff\xff\xffgetstatus\n",
                b"\xff\xff\xff\xffstatusResponse\n\\sv_maxclients\\16\\mapname\\q3dm17\n0 50 \"player\"\n",
            );
        },
    );
}
