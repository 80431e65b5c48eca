//! The corpus cases. Each evasion class of issue 13 has cases that must be caught at the
//! level the docs give (docs/accuracy.md, "Evasions") and benign twins that use the same
//! trick on other traffic and must not be called BitTorrent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::bt::{self, Mse, MseKey, MseSelect, UtpType};
use super::packet::{Dir, Tcp, Trace, Udp};
use super::rng::Rng;
use super::{Case, FlowExpect as F, Role};

mod krpc;
mod look_alikes;
mod magnet;
mod mse;
mod one_sided;
mod public;
mod recall;
mod reuse;
mod rule_look_alikes;
mod tcp;
mod tracker;
mod udp;

pub(super) fn v4(h: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 99, 0, h)), port)
}

pub(super) fn v6(h: u16, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V6(Ipv6Addr::new(0xfd99, 0, 0, 0, 0, 0, 0, h)), port)
}

pub(super) struct Builder {
    cases: Vec<Case>,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add(
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

pub(super) fn seed(name: &str) -> Rng {
    // FNV-1a of the name: every case has its own reproducible stream.
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    Rng::new(h)
}

/// A plaintext peer-wire conversation on an open connection: both handshakes, then messages.
pub(super) fn peer_wire(t: &mut Trace, c: &mut Tcp, rng: &mut Rng, ih: &[u8; 20]) {
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
pub(super) fn http(t: &mut Trace, c: &mut Tcp, request: &[u8], response: &[u8]) {
    c.send(t, Dir::A, request);
    c.send(t, Dir::B, response);
}

pub(super) fn get(path: &str, host: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n")
        .into_bytes()
}

pub(super) fn page(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut body = b"<!doctype html><html><body><p>".to_vec();
    while body.len() < n {
        body.extend_from_slice(b"lorem ipsum dolor sit amet ");
        body.extend(format!("{} ", rng.below(100_000)).bytes());
    }
    body.extend_from_slice(b"</p></body></html>\n");
    bt::http_ok("text/html", "", &body)
}

/// A DHT get_peers query and its response between `udp.a` and `udp.b`.
pub(super) fn dht_exchange(t: &mut Trace, udp: &Udp, rng: &mut Rng) {
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
pub(super) fn mse_flow(
    t: &mut Trace,
    c: &mut Tcp,
    rng: &mut Rng,
    key: MseKey,
    pad_a: usize,
    select: MseSelect,
) {
    mse_flow_with(t, c, rng, key, pad_a, select, |_, _| {});
}

/// [`mse_flow`] with `between` run after the initiator's first flight (other traffic racing
/// the exchange).
#[allow(clippy::too_many_arguments)]
pub(super) fn mse_flow_with(
    t: &mut Trace,
    c: &mut Tcp,
    rng: &mut Rng,
    key: MseKey,
    pad_a: usize,
    select: MseSelect,
    between: impl FnOnce(&mut Trace, &mut Rng),
) {
    let ih = rng.array::<20>();
    let ia = bt::handshake(&ih, &bt::peer_id(rng, "-lt0D80-"));
    let mut b_first = bt::handshake(&ih, &bt::peer_id(rng, "-TR3000-"));
    b_first.extend(bt::after_handshake(rng));
    let pad_b = rng.range(0, 512);
    let mut mse = Mse::new(rng, key, pad_a, pad_b, &ih, select, &ia, &b_first);
    c.send(t, Dir::A, &mse.a1);
    between(t, rng);
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

/// A uTP connection on `u`: SYN (with `timestamp` and `window`) and STATE when `with_syn`,
/// then DATA both ways carrying a plaintext handshake, or an MSE exchange with `mse` as A's key.
pub(super) fn utp_conversation(
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

/// A gzip member holding `data` in one stored (uncompressed) deflate block (RFC 1952,
/// RFC 1951 §3.2.4).
pub(super) fn gzip_stored(data: &[u8]) -> Vec<u8> {
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

pub(super) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Every case.
pub fn all() -> Vec<Case> {
    let mut b = Builder { cases: Vec::new() };
    mse::mse_keys(&mut b);
    udp::udp_refutation(&mut b);
    udp::utp_mse(&mut b);
    tracker::http_tracker(&mut b);
    krpc::krpc_trailing(&mut b);
    tcp::tcp_tricks(&mut b);
    tcp::sender_only(&mut b);
    tcp::fragment_junk(&mut b);
    tcp::fragments(&mut b);
    reuse::tuple_reuse(&mut b);
    magnet::magnets(&mut b);
    one_sided::one_sided(&mut b);
    public::public(&mut b);
    recall::recall(&mut b);
    look_alikes::look_alikes(&mut b);
    rule_look_alikes::rule_look_alikes(&mut b);
    b.cases
}
