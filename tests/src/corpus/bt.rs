//! BitTorrent messages as real clients write them, for the corpus: the BEP 3 handshake and
//! peer-wire messages, BEP 10 extension handshakes, KRPC (BEP 5), uTP headers (BEP 29), UDP
//! tracker datagrams (BEP 15), HTTP tracker announces (BEP 3, BEP 23), LSD (BEP 14) and a
//! complete MSE/PE key exchange (RC4 and plaintext selection) with real Diffie-Hellman.

use super::crypto::{generator, mse_double, mse_pow, sha1, Rc4};
use super::rng::Rng;

/// `\x13BitTorrent protocol`.
pub const PROTOCOL: &[u8] = b"\x13BitTorrent protocol";

/// A BEP 3 handshake with the BEP 10, BEP 6 and BEP 5 reserved bits set.
pub fn handshake(info_hash: &[u8; 20], peer_id: &[u8; 20]) -> Vec<u8> {
    let mut h = PROTOCOL.to_vec();
    h.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x05]);
    h.extend_from_slice(info_hash);
    h.extend_from_slice(peer_id);
    h
}

/// A peer-wire message: 4-byte length, id, payload.
pub fn message(id: u8, payload: &[u8]) -> Vec<u8> {
    let mut m = ((payload.len() + 1) as u32).to_be_bytes().to_vec();
    m.push(id);
    m.extend_from_slice(payload);
    m
}

/// A BEP 10 extension handshake (extended message 0) advertising ut_metadata and ut_pex.
pub fn extension_handshake(client: &str) -> Vec<u8> {
    let dict = format!(
        "d1:md11:ut_metadatai2e6:ut_pexi1ee1:pi51413e1:v{}:{}13:metadata_sizei1234ee",
        client.len(),
        client
    );
    let mut payload = vec![0u8];
    payload.extend_from_slice(dict.as_bytes());
    message(20, &payload)
}

/// What a peer sends after its handshake: extension handshake, bitfield, interested.
pub fn after_handshake(rng: &mut Rng) -> Vec<u8> {
    let mut v = extension_handshake("Transmission 3.00");
    v.extend(message(5, &rng.bytes(16)));
    v.extend(message(2, &[]));
    v
}

/// A peer id in Azureus style (`-TR3000-` and 12 random characters).
pub fn peer_id(rng: &mut Rng, prefix: &str) -> [u8; 20] {
    let mut id = [0u8; 20];
    id[..8].copy_from_slice(prefix.as_bytes());
    for b in &mut id[8..] {
        *b = b"0123456789abcdefghijklmnopqrstuvwxyz"[rng.below(36) as usize];
    }
    id
}

fn bstr(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(format!("{}:", s.len()).as_bytes());
    out.extend_from_slice(s);
}

/// A KRPC query (BEP 5): `method` with arguments `id` and, for get_peers, `info_hash`.
pub fn krpc_query(
    tid: &[u8],
    method: &str,
    id: &[u8; 20],
    info_hash: Option<&[u8; 20]>,
) -> Vec<u8> {
    let mut m = b"d1:ad2:id".to_vec();
    bstr(&mut m, id);
    if let Some(ih) = info_hash {
        m.extend_from_slice(b"9:info_hash");
        bstr(&mut m, ih);
    }
    m.extend_from_slice(b"e1:q");
    bstr(&mut m, method.as_bytes());
    m.extend_from_slice(b"1:t");
    bstr(&mut m, tid);
    m.extend_from_slice(b"1:v4:LT\x02\x001:y1:qe");
    m
}

/// A KRPC response with the responder's `id` and `nodes` (26 bytes per node).
pub fn krpc_response(tid: &[u8], id: &[u8; 20], nodes: &[u8]) -> Vec<u8> {
    let mut m = b"d1:rd2:id".to_vec();
    bstr(&mut m, id);
    if !nodes.is_empty() {
        m.extend_from_slice(b"5:nodes");
        bstr(&mut m, nodes);
    }
    m.extend_from_slice(b"e1:t");
    bstr(&mut m, tid);
    m.extend_from_slice(b"1:y1:re");
    m
}

/// A KRPC get_peers response with `values` (compact IPv4 peers, BEP 5).
pub fn krpc_values(tid: &[u8], id: &[u8; 20], peers: &[[u8; 6]]) -> Vec<u8> {
    let mut m = b"d1:rd2:id".to_vec();
    bstr(&mut m, id);
    m.extend_from_slice(b"5:token8:abcdefgh6:valuesl");
    for p in peers {
        bstr(&mut m, p);
    }
    m.extend_from_slice(b"ee1:t");
    bstr(&mut m, tid);
    m.extend_from_slice(b"1:y1:re");
    m
}

/// uTP packet types (BEP 29).
#[derive(Clone, Copy, Debug)]
pub enum UtpType {
    /// ST_DATA.
    Data = 0,
    /// ST_FIN.
    Fin = 1,
    /// ST_STATE.
    State = 2,
    /// ST_RESET.
    Reset = 3,
    /// ST_SYN.
    Syn = 4,
}

/// A uTP header (BEP 29) without extensions, then `payload`.
#[allow(clippy::too_many_arguments)]
pub fn utp(
    kind: UtpType,
    conn_id: u16,
    timestamp: u32,
    ts_diff: u32,
    window: u32,
    seq: u16,
    ack: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut h = vec![(kind as u8) << 4 | 1, 0];
    h.extend_from_slice(&conn_id.to_be_bytes());
    h.extend_from_slice(&timestamp.to_be_bytes());
    h.extend_from_slice(&ts_diff.to_be_bytes());
    h.extend_from_slice(&window.to_be_bytes());
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(&ack.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

/// The BEP 15 protocol id of a connect request.
pub const UDP_TRACKER_MAGIC: u64 = 0x417_2710_1980;

/// A BEP 15 connect request.
pub fn udp_connect(tid: u32) -> Vec<u8> {
    let mut m = UDP_TRACKER_MAGIC.to_be_bytes().to_vec();
    m.extend_from_slice(&0u32.to_be_bytes());
    m.extend_from_slice(&tid.to_be_bytes());
    m
}

/// A BEP 15 connect response.
pub fn udp_connect_reply(tid: u32, conn: u64) -> Vec<u8> {
    let mut m = 0u32.to_be_bytes().to_vec();
    m.extend_from_slice(&tid.to_be_bytes());
    m.extend_from_slice(&conn.to_be_bytes());
    m
}

/// A BEP 15 announce request.
pub fn udp_announce(
    conn: u64,
    tid: u32,
    info_hash: &[u8; 20],
    peer_id: &[u8; 20],
    port: u16,
) -> Vec<u8> {
    let mut m = conn.to_be_bytes().to_vec();
    m.extend_from_slice(&1u32.to_be_bytes());
    m.extend_from_slice(&tid.to_be_bytes());
    m.extend_from_slice(info_hash);
    m.extend_from_slice(peer_id);
    m.extend_from_slice(&0u64.to_be_bytes());
    m.extend_from_slice(&262_144u64.to_be_bytes());
    m.extend_from_slice(&0u64.to_be_bytes());
    m.extend_from_slice(&2u32.to_be_bytes());
    m.extend_from_slice(&0u32.to_be_bytes());
    m.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    m.extend_from_slice(&(-1i32).to_be_bytes());
    m.extend_from_slice(&port.to_be_bytes());
    m
}

/// Percent-encode every byte (`%AB`), as clients encode binary info-hashes.
pub fn percent_all(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

/// The query string of an HTTP announce (BEP 3) with `names` for `info_hash`, `peer_id` and
/// `port` (so a case can percent-encode the names).
pub fn announce_query(names: [&str; 3], info_hash: &[u8; 20], peer_id: &[u8; 20]) -> String {
    format!(
        "{}={}&{}={}&{}=51413&uploaded=0&downloaded=0&left=262144&corrupt=0&key=5A2F1C3B&event=started&numwant=80&compact=1&supportcrypto=1",
        names[0],
        percent_all(info_hash),
        names[1],
        String::from_utf8_lossy(peer_id),
        names[2]
    )
}

/// A full HTTP announce request.
pub fn http_announce(host: &str, query: &str) -> Vec<u8> {
    format!(
        "GET /announce?{query} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Transmission/3.00\r\nAccept: */*\r\nAccept-Encoding: deflate, gzip\r\n\r\n"
    )
    .into_bytes()
}

/// A tracker's bencoded announce reply body with `peers` (compact IPv4).
pub fn announce_body(peers: &[[u8; 6]]) -> Vec<u8> {
    let mut b =
        b"d8:completei1e10:incompletei1e8:intervali1800e12:min intervali900e5:peers".to_vec();
    bstr(&mut b, &peers.concat());
    b.push(b'e');
    b
}

/// An HTTP/1.1 200 response with `body` and extra header lines.
pub fn http_ok(content_type: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A BEP 14 LSD announce.
pub fn lsd_announce(info_hash: &[u8; 20], port: u16) -> Vec<u8> {
    let hex: String = info_hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: {port}\r\nInfohash: {hex}\r\ncookie: 5f1e2d3c\r\n\r\n\r\n")
        .into_bytes()
}

/// How the initiator of an MSE exchange picks its Diffie-Hellman key.
#[derive(Clone, Debug)]
pub enum MseKey {
    /// A random 160-bit private key, as clients do.
    Random,
    /// The first public key `g^x` (x from a random start, counting up) whose first byte is
    /// this: a client that picks its key so a first-byte dispatcher takes another reader.
    FirstByte(u8),
    /// `g^e` for a small exponent: a low-entropy public key (2^e).
    SmallPower(u16),
    /// These 96 bytes as the public key (e.g. printable text); an evading pair of peers agrees
    /// on the shared secret out of band, the wire shows exactly these bytes.
    Chosen(Vec<u8>),
}

/// What the responder selects (BEP-less MSE spec, `crypto_select`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MseSelect {
    /// RC4 for the rest of the connection.
    Rc4,
    /// Plaintext after the exchange (the initiator's IA is still RC4).
    Plain,
}

/// A complete MSE/PE exchange: the four flights and the ciphers to continue with.
pub struct Mse {
    /// Step 1: Ya, PadA.
    pub a1: Vec<u8>,
    /// Step 2: Yb, PadB.
    pub b1: Vec<u8>,
    /// Step 3: the two hashes, ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA).
    pub a2: Vec<u8>,
    /// Step 4: ENCRYPT(VC, crypto_select, len(PadD), PadD), then B's first payload
    /// (ENCRYPT2, or in the clear when plaintext was selected).
    pub b2: Vec<u8>,
    enc_a: Rc4,
    enc_b: Rc4,
    select: MseSelect,
}

fn increment(x: &mut [u8]) {
    for b in x.iter_mut().rev() {
        *b = b.wrapping_add(1);
        if *b != 0 {
            break;
        }
    }
}

impl Mse {
    /// Run the exchange: `key` for A, `pad_a`/`pad_b` padding lengths, `ia` A's initial
    /// payload (usually its handshake), `b_payload` what B sends right after step 4.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rng: &mut Rng,
        key: MseKey,
        pad_a: usize,
        pad_b: usize,
        info_hash: &[u8; 20],
        select: MseSelect,
        ia: &[u8],
        b_payload: &[u8],
    ) -> Self {
        let g = generator();
        let xb = rng.bytes(20);
        let yb = mse_pow(&g, &xb);
        let (ya, s) = match key {
            MseKey::Random => {
                let xa = rng.bytes(20);
                (mse_pow(&g, &xa), mse_pow(&yb, &xa))
            }
            MseKey::FirstByte(want) => {
                let mut xa = rng.bytes(20);
                let mut ya = mse_pow(&g, &xa);
                while ya[0] != want {
                    ya = mse_double(&ya);
                    increment(&mut xa);
                }
                (ya, mse_pow(&yb, &xa))
            }
            MseKey::SmallPower(e) => {
                let xa = e.to_be_bytes();
                (mse_pow(&g, &xa), mse_pow(&yb, &xa))
            }
            MseKey::Chosen(bytes) => {
                let mut ya = [0u8; 96];
                ya.copy_from_slice(&bytes[..96]);
                (ya, mse_pow(&ya, &xb))
            }
        };
        let mut a1 = ya.to_vec();
        a1.extend(rng.bytes(pad_a));
        let mut b1 = yb.to_vec();
        b1.extend(rng.bytes(pad_b));

        let mut enc_a = Rc4::new(&sha1(&[b"keyA", &s, info_hash]), 1024);
        let mut enc_b = Rc4::new(&sha1(&[b"keyB", &s, info_hash]), 1024);
        let mut a2 = sha1(&[b"req1", &s]).to_vec();
        let req2 = sha1(&[b"req2", info_hash]);
        let req3 = sha1(&[b"req3", &s]);
        a2.extend(req2.iter().zip(req3).map(|(x, y)| x ^ y));
        let pad_c = rng.range(0, 16);
        let mut clear = vec![0u8; 8];
        clear.extend_from_slice(&3u32.to_be_bytes()); // crypto_provide: plaintext | RC4
        clear.extend_from_slice(&(pad_c as u16).to_be_bytes());
        clear.extend(vec![0u8; pad_c]);
        clear.extend_from_slice(&(ia.len() as u16).to_be_bytes());
        clear.extend_from_slice(ia);
        a2.extend(enc_a.encrypt(&clear));

        let pad_d = rng.range(0, 16);
        let mut clear = vec![0u8; 8];
        let sel: u32 = match select {
            MseSelect::Plain => 1,
            MseSelect::Rc4 => 2,
        };
        clear.extend_from_slice(&sel.to_be_bytes());
        clear.extend_from_slice(&(pad_d as u16).to_be_bytes());
        clear.extend(vec![0u8; pad_d]);
        let mut b2 = enc_b.encrypt(&clear);
        match select {
            MseSelect::Rc4 => b2.extend(enc_b.encrypt(b_payload)),
            MseSelect::Plain => b2.extend_from_slice(b_payload),
        }
        Self {
            a1,
            b1,
            a2,
            b2,
            enc_a,
            enc_b,
            select,
        }
    }

    /// What A puts on the wire for `data` after the exchange.
    pub fn from_a(&mut self, data: &[u8]) -> Vec<u8> {
        match self.select {
            MseSelect::Rc4 => self.enc_a.encrypt(data),
            MseSelect::Plain => data.to_vec(),
        }
    }

    /// What B puts on the wire for `data` after the exchange.
    pub fn from_b(&mut self, data: &[u8]) -> Vec<u8> {
        match self.select {
            MseSelect::Rc4 => self.enc_b.encrypt(data),
            MseSelect::Plain => data.to_vec(),
        }
    }
}
