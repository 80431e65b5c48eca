//! Non-BitTorrent messages, written from their specifications, for look-alikes that cannot
//! run in the capture lab (or as the benign twins of evasions): DNS with EDNS0 (RFC 1035,
//! RFC 6891), DNSCrypt v2, TLS 1.2/1.3 records (RFC 5246, RFC 8446), QUIC Initial (RFC 9000),
//! STUN (RFC 8489), RTP (RFC 3550), ONC RPC (RFC 5531) with NFSv2/v3 calls, AFS RX, WireGuard,
//! Ethereum RLPx (EIP-8), Telegram MTProto obfuscated2, Shadowsocks AEAD, and game datagrams.

use super::rng::Rng;

/// A DNS query for `name` (type `qtype`), with an EDNS0 OPT record (RFC 6891 §6.1.2, UDP
/// payload size 1232) when `edns` is set.
pub fn dns_query(id: u16, name: &str, qtype: u16, edns: bool) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x01, 0x20]); // RD, AD
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, u8::from(edns)]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    if edns {
        m.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    }
    m
}

/// A DNS query with an EDNS0 OPT record carrying a Padding option (RFC 7830) that pads the
/// message to a multiple of `block` bytes with zeros (RFC 8467 recommends 128 for queries), as
/// DNSCrypt and DoT/DoH clients send.
pub fn dns_query_padded(id: u16, name: &str, qtype: u16, block: usize) -> Vec<u8> {
    let mut m = dns_query(id, name, qtype, true);
    // the OPT record's RDLENGTH is its last two bytes; append option 12 with zeros
    let base = m.len() + 4;
    let padding = (block - base % block) % block;
    let rdlen = (4 + padding) as u16;
    let at = m.len() - 2;
    m[at..].copy_from_slice(&rdlen.to_be_bytes());
    m.extend_from_slice(&12u16.to_be_bytes());
    m.extend_from_slice(&(padding as u16).to_be_bytes());
    m.extend(vec![0u8; padding]);
    m
}

/// The answer to [`dns_query`]: the question, one A record (or TXT for type 16), and the OPT
/// record if the query had one.
pub fn dns_answer(query: &[u8], rdata: &[u8]) -> Vec<u8> {
    let edns = query[11] == 1;
    // the question ends after the name's zero byte, type and class
    let mut qend = 12;
    while query[qend] != 0 {
        qend += 1 + usize::from(query[qend]);
    }
    qend += 5;
    let _ = edns;
    let qtype = u16::from_be_bytes([query[qend - 4], query[qend - 3]]);
    let mut m = query[..2].to_vec();
    m.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, u8::from(edns)]);
    m.extend_from_slice(&query[12..qend]);
    m.extend_from_slice(&[0xc0, 0x0c]);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 0, 0x0e, 0x10]);
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(rdata);
    if edns {
        m.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    }
    m
}

/// DNS over TCP (RFC 1035 §4.2.2): a two-byte length before the message.
pub fn dns_tcp(msg: &[u8]) -> Vec<u8> {
    let mut m = (msg.len() as u16).to_be_bytes().to_vec();
    m.extend_from_slice(msg);
    m
}

/// A DNSCrypt v2 encrypted query: client magic (8), client public key (32), client nonce
/// half (12), then the XSalsa20-Poly1305 box of the padded query (a multiple of 64 bytes,
/// at least 256): on the wire, random bytes behind the 8-byte magic.
pub fn dnscrypt_query(rng: &mut Rng, magic: &[u8; 8]) -> Vec<u8> {
    let mut m = magic.to_vec();
    m.extend(rng.bytes(32 + 12));
    m.extend(rng.bytes(256 + 16));
    m
}

/// A DNSCrypt v2 response: the resolver magic `r6fnvWj8`, the 24-byte nonce, the box.
pub fn dnscrypt_reply(rng: &mut Rng) -> Vec<u8> {
    let mut m = b"r6fnvWj8".to_vec();
    m.extend(rng.bytes(24));
    let n = rng.range(64, 400);
    m.extend(rng.bytes(n));
    m
}

fn tls_record(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![kind, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn handshake_msg(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut h = vec![kind];
    h.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    h.extend_from_slice(body);
    h
}

/// A TLS ClientHello (TLS 1.3 capable, with SNI) in one record.
pub fn tls_client_hello(rng: &mut Rng, sni: &str) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend(rng.bytes(32));
    b.push(32);
    b.extend(rng.bytes(32));
    b.extend_from_slice(&[0, 6, 0x13, 0x01, 0x13, 0x02, 0xc0, 0x2f, 1, 0]);
    let mut ext = Vec::new();
    let mut sni_ext = vec![0, 0];
    let name = sni.as_bytes();
    let list_len = name.len() + 3;
    sni_ext.extend_from_slice(&((list_len + 2) as u16).to_be_bytes());
    sni_ext.extend_from_slice(&(list_len as u16).to_be_bytes());
    sni_ext.push(0);
    sni_ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
    sni_ext.extend_from_slice(name);
    ext.extend(sni_ext);
    ext.extend_from_slice(&[0, 0x2b, 0, 3, 2, 3, 4]); // supported_versions: TLS 1.3
    ext.extend_from_slice(&[0, 0x33, 0, 38, 0, 36, 0, 0x1d, 0, 32]); // key_share x25519
    ext.extend(rng.bytes(32));
    b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    b.extend(ext);
    tls_record(22, &handshake_msg(1, &b))
}

/// A DER-looking certificate of `len` bytes (SEQUENCE header, random contents).
fn certificate(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut c = vec![0x30, 0x82];
    c.extend_from_slice(&((len - 4) as u16).to_be_bytes());
    c.extend(rng.bytes(len - 4));
    c
}

/// A TLS 1.2 server flight: ServerHello, Certificate with `chain` certificates of
/// `cert_len` bytes, ServerKeyExchange and ServerHelloDone, each handshake message in its
/// own record (records of at most 16 KiB).
pub fn tls12_server_flight(rng: &mut Rng, chain: usize, cert_len: usize) -> Vec<u8> {
    let mut sh = vec![3, 3];
    sh.extend(rng.bytes(32));
    sh.push(0);
    sh.extend_from_slice(&[0xc0, 0x2f, 0, 0, 0]);
    let mut out = tls_record(22, &handshake_msg(2, &sh));
    let mut certs = Vec::new();
    for _ in 0..chain {
        certs.extend_from_slice(&(cert_len as u32).to_be_bytes()[1..]);
        certs.extend(certificate(rng, cert_len));
    }
    let mut body = (certs.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend(certs);
    let cert_msg = handshake_msg(11, &body);
    for chunk in cert_msg.chunks(16384) {
        out.extend(tls_record(22, chunk));
    }
    let mut ske = vec![3, 0, 0x1d, 32];
    ske.extend(rng.bytes(32));
    ske.extend_from_slice(&[4, 1, 1, 0]);
    ske.extend(rng.bytes(256));
    out.extend(tls_record(22, &handshake_msg(12, &ske)));
    out.extend(tls_record(22, &handshake_msg(14, &[])));
    out
}

/// A TLS 1.3 server flight: ServerHello, ChangeCipherSpec, then the encrypted
/// EncryptedExtensions/Certificate/CertificateVerify/Finished as application-data records
/// totalling `encrypted` bytes (a long chain makes this large and random).
pub fn tls13_server_flight(rng: &mut Rng, encrypted: usize) -> Vec<u8> {
    let mut sh = vec![3, 3];
    sh.extend(rng.bytes(32));
    sh.push(32);
    sh.extend(rng.bytes(32));
    sh.extend_from_slice(&[0x13, 0x01, 0]);
    let mut ext = vec![0, 0x2b, 0, 2, 3, 4, 0, 0x33, 0, 36, 0, 0x1d, 0, 32];
    ext.extend(rng.bytes(32));
    sh.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    sh.extend(ext);
    let mut out = tls_record(22, &handshake_msg(2, &sh));
    out.extend(tls_record(20, &[1]));
    let mut left = encrypted;
    while left > 0 {
        let n = left.min(16384 + 256);
        out.extend(tls_record(23, &rng.bytes(n)));
        left -= n;
    }
    out
}

/// TLS application data records of `n` random bytes in all.
pub fn tls_app_data(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut left = n;
    while left > 0 {
        let k = left.min(16384);
        out.extend(tls_record(23, &rng.bytes(k)));
        left -= k;
    }
    out
}

/// A QUIC v1 Initial packet (RFC 9000 §17.2.2), padded to 1200 bytes: long header, version,
/// connection ids, token length 0, length, then protected bytes.
pub fn quic_initial(rng: &mut Rng, client: bool) -> Vec<u8> {
    let mut p = vec![0xc3, 0, 0, 0, 1, 8];
    p.extend(rng.bytes(8));
    p.push(if client { 8 } else { 0 });
    if client {
        p.extend(rng.bytes(8));
        p.push(0);
    } else {
        p.push(0);
    }
    let len = if client { 1200 } else { 1100 } - p.len() - 2;
    p.extend_from_slice(&((len as u16) | 0x4000).to_be_bytes());
    p.extend(rng.bytes(len));
    p
}

/// A QUIC short-header packet (1-RTT) of `len` bytes.
pub fn quic_short(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut p = vec![0x40 | (rng.below(32) as u8)];
    p.extend(rng.bytes(len - 1));
    p
}

/// A STUN Binding request (RFC 8489 §6): type 0x0001, the magic cookie, a transaction id,
/// and a SOFTWARE attribute.
pub fn stun_request(rng: &mut Rng) -> Vec<u8> {
    let mut m = vec![0, 1, 0, 12, 0x21, 0x12, 0xa4, 0x42];
    m.extend(rng.bytes(12));
    m.extend_from_slice(&[0x80, 0x22, 0, 8]);
    m.extend_from_slice(b"lab stun");
    m
}

/// The Binding success response with an XOR-MAPPED-ADDRESS.
pub fn stun_response(request: &[u8]) -> Vec<u8> {
    let mut m = vec![1, 1, 0, 12];
    m.extend_from_slice(&request[4..20]);
    m.extend_from_slice(&[0, 0x20, 0, 8, 0, 1, 0xe1, 0x12, 0x2b, 0x5f, 0xa4, 0x47]);
    m
}

/// An RTP packet (RFC 3550 §5.1), payload type 0 (G.711), 160 bytes of audio.
pub fn rtp(rng: &mut Rng, seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend(rng.bytes(160));
    p
}

/// An ONC RPC call (RFC 5531 §9) with AUTH_UNIX credentials to `program`/`version`/`proc`,
/// then `args`.
pub fn rpc_call(xid: u32, program: u32, version: u32, procedure: u32, args: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    for v in [xid, 0, 2, program, version, procedure, 1] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    let mut cred = Vec::new();
    cred.extend_from_slice(&0x6553_f1a0u32.to_be_bytes());
    cred.extend_from_slice(&4u32.to_be_bytes());
    cred.extend_from_slice(b"lab1");
    for v in [0u32, 0, 1, 0] {
        cred.extend_from_slice(&v.to_be_bytes());
    }
    m.extend_from_slice(&(cred.len() as u32).to_be_bytes());
    m.extend(cred);
    m.extend_from_slice(&[0; 8]); // AUTH_NONE verifier
    m.extend_from_slice(args);
    m
}

/// An accepted ONC RPC reply with `results`.
pub fn rpc_reply(xid: u32, results: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    for v in [xid, 1, 0, 0, 0, 0] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    m.extend_from_slice(results);
    m
}

/// An AFS RX packet header (28 bytes: epoch, cid, call number, sequence, serial, type,
/// flags, user status, security index, spare, service id) and `payload`.
#[allow(clippy::too_many_arguments)]
pub fn rx(
    epoch: u32,
    cid: u32,
    call: u32,
    seq: u32,
    serial: u32,
    kind: u8,
    flags: u8,
    service: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut m = Vec::new();
    for v in [epoch, cid, call, seq, serial] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    m.extend_from_slice(&[kind, flags, 0, 0]);
    m.extend_from_slice(&0u16.to_be_bytes());
    m.extend_from_slice(&service.to_be_bytes());
    m.extend_from_slice(payload);
    m
}

/// A WireGuard handshake initiation (type 1, 148 bytes).
pub fn wireguard_initiation(rng: &mut Rng, sender: u32) -> Vec<u8> {
    let mut m = vec![1, 0, 0, 0];
    m.extend_from_slice(&sender.to_le_bytes());
    m.extend(rng.bytes(32 + 48 + 28 + 16));
    m.extend([0u8; 16]); // mac2 is zero without a cookie
    m
}

/// A WireGuard handshake response (type 2, 92 bytes).
pub fn wireguard_response(rng: &mut Rng, sender: u32, receiver: u32) -> Vec<u8> {
    let mut m = vec![2, 0, 0, 0];
    m.extend_from_slice(&sender.to_le_bytes());
    m.extend_from_slice(&receiver.to_le_bytes());
    m.extend(rng.bytes(32 + 16 + 16));
    m.extend([0u8; 16]);
    m
}

/// A WireGuard transport data message (type 4) carrying `len` encrypted bytes.
pub fn wireguard_data(rng: &mut Rng, receiver: u32, counter: u64, len: usize) -> Vec<u8> {
    let mut m = vec![4, 0, 0, 0];
    m.extend_from_slice(&receiver.to_le_bytes());
    m.extend_from_slice(&counter.to_le_bytes());
    m.extend(rng.bytes(len + 16));
    m
}

/// An Ethereum RLPx auth message in EIP-8 form: a 2-byte size, then the ECIES box
/// (0x04, the 64-byte ephemeral public key, 16-byte IV, ciphertext, 32-byte MAC).
pub fn rlpx_auth(rng: &mut Rng, body: usize) -> Vec<u8> {
    let size = 65 + 16 + body + 32;
    let mut m = (size as u16).to_be_bytes().to_vec();
    m.push(4);
    m.extend(rng.bytes(size - 1));
    m
}

/// A Telegram MTProto obfuscated2 opening: 64 random bytes (first byte not 0xef, not a
/// known plaintext start, bytes 4..8 not zero), the protocol tag encrypted in bytes 56..60
/// (so random on the wire), then the first encrypted message.
pub fn telegram_obfuscated2(rng: &mut Rng, first_message: usize) -> Vec<u8> {
    loop {
        let init = rng.bytes(64);
        let bad_start = init[0] == 0xef
            || [
                &b"HEAD"[..],
                b"POST",
                b"GET ",
                b"OPTI",
                b"\xee\xee\xee\xee",
                b"\xdd\xdd\xdd\xdd",
                b"\x16\x03\x01\x02",
            ]
            .contains(&&init[..4])
            || init[4..8] == [0, 0, 0, 0];
        if !bad_start {
            let mut m = init;
            m.extend(rng.bytes(first_message));
            return m;
        }
    }
}

/// A Shadowsocks AEAD (chacha20-ietf-poly1305) first flight: 32-byte salt, the sealed
/// 2-byte length (18 bytes), the sealed request (target address and data, + 16).
pub fn shadowsocks_first(rng: &mut Rng, payload: usize) -> Vec<u8> {
    rng.bytes(32 + 18 + payload + 16)
}

/// A Source engine A2S_INFO query (connectionless header 0xFFFFFFFF).
pub fn a2s_info() -> Vec<u8> {
    b"\xff\xff\xff\xffTSource Engine Query\x00".to_vec()
}

/// A game state datagram: 16-bit sequence, 16-bit ack, ack bits, then random state.
pub fn game_state(rng: &mut Rng, seq: u16, ack: u16, len: usize) -> Vec<u8> {
    let mut m = seq.to_le_bytes().to_vec();
    m.extend_from_slice(&ack.to_le_bytes());
    m.extend_from_slice(&rng.next_u64().to_le_bytes()[..4]);
    m.extend(rng.bytes(len));
    m
}

/// An HTML page that links a magnet URI.
pub fn magnet_page(info_hash_hex: &str) -> Vec<u8> {
    format!(
        "<!doctype html>\n<html><head><title>Linux ISO downloads</title></head><body>\n<h1>debian-12.iso</h1>\n<p>Download with your BitTorrent client: <a href=\"magnet:?xt=urn:btih:{info_hash_hex}&amp;dn=debian-12.iso&amp;tr=udp%3A%2F%2Ftracker.example%3A6969\">magnet link</a>.</p>\n</body></html>\n"
    )
    .into_bytes()
}
