//! Cross-flow poisoning: only BitTorrent traffic names peers. A web server's answer that looks
//! like a tracker reply, or a web request with a `port` parameter, makes no endpoint known, so
//! random-looking flows to it (Shadowsocks, obfs4) are not corroborated; the same bytes on a
//! tracker's connection still teach.

use super::corroboration::mse;
use super::*;
use crate::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use std::format;

const INFO_HASH: &str = "%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14";

/// Feed `request` from host 1 to a web server (host 9) and `reply` back (the request whole, or
/// a byte a segment), then a Shadowsocks-like exchange (random flights of MSE/PE's shape)
/// from host 4 to `server`: the first flow's verdict, and whether the second is confirmed.
fn poison(request: &[u8], reply: &[u8], bytewise: bool, server: Endpoint) -> (Verdict, bool) {
    let mut slots = std::vec![Slot::default(); 64];
    let mut t = table(&mut slots);
    let mut entries = [CacheEntry::default(); 64];
    let mut cache = EndpointCache::new(&mut entries[..], CacheConfig::default());
    let up = key(ep(1, 40000), ep(9, 80), Transport::Tcp);
    if bytewise {
        for (i, b) in request.iter().enumerate() {
            let segment = core::slice::from_ref(b);
            t.process_learning(
                &tcp(up, 1 + i as u32, TcpFlags::ACK, segment),
                1,
                &mut cache,
                |_| {},
            )
            .unwrap();
        }
    } else {
        t.process_learning(&tcp(up, 1, TcpFlags::ACK, request), 1, &mut cache, |_| {})
            .unwrap();
    }
    let first = t
        .process_learning(
            &tcp(up.reversed(), 1, TcpFlags::ACK, reply),
            2,
            &mut cache,
            |_| {},
        )
        .unwrap()
        .verdict;
    let up = key(ep(4, 50000), server, Transport::Tcp);
    t.process_learning(&tcp(up, 999, TcpFlags::SYN, &[]), 3, &mut cache, |_| {})
        .unwrap();
    let mut seq = [1000u32, 5000u32];
    let mut verdict = Verdict::Undecided;
    for (initiator, bytes) in mse() {
        let (k, d) = if initiator {
            (up, 0)
        } else {
            (up.reversed(), 1)
        };
        verdict = t
            .process_learning(
                &tcp(k, seq[d], TcpFlags::ACK, &bytes),
                3,
                &mut cache,
                |_| {},
            )
            .unwrap()
            .verdict;
        seq[d] = seq[d].wrapping_add(bytes.len() as u32);
    }
    let confirmed = verdict.detection().map(|d| d.confidence) == Some(Confidence::Confirmed);
    (first, confirmed)
}

/// A compact peer list naming 10.0.0.7:8388.
const PEERS: &[u8] = b"5:peers6:\x0a\x00\x00\x07\x20\xc4";

fn server() -> Endpoint {
    Endpoint {
        addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)),
        port: 8388,
    }
}

#[test]
fn a_web_page_shaped_as_a_tracker_reply_names_no_peer() {
    let body = [b"d8:intervali1800e".as_slice(), PEERS, b"e"].concat();
    let reply = [
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(),
        &body,
    ]
    .concat();
    // Any request: a page, an API call. The reply is `likely` at most, and teaches nothing.
    let page = b"GET /status HTTP/1.1\r\nHost: a\r\n\r\n";
    let (verdict, poisoned) = poison(page, &reply, false, server());
    assert_ne!(
        verdict.detection().map(|d| d.confidence),
        Some(Confidence::Confirmed)
    );
    assert!(!poisoned);
    // A POST whose body is the same dictionary: no reply to a tracker request either.
    let post = [
        format!(
            "POST /upload HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
        &body,
    ]
    .concat();
    let (_, poisoned) = poison(&post, b"HTTP/1.1 204 No Content\r\n\r\n", false, server());
    assert!(!poisoned);
    // The twin: the same reply to an announce names a peer, and the key exchange to it is
    // confirmed.
    let announce = format!("GET /announce?info_hash={INFO_HASH}&left=0 HTTP/1.1\r\n\r\n");
    for bytewise in [false, true] {
        let (verdict, known) = poison(announce.as_bytes(), &reply, bytewise, server());
        assert_eq!(
            verdict.detection().map(|d| (d.protocol, d.confidence)),
            Some((Protocol::HttpTracker, Confidence::Confirmed))
        );
        assert!(known);
    }
}

#[test]
fn a_port_parameter_outside_an_announce_names_no_peer() {
    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let own = ep(1, 8388);
    // A service registering itself, a router's port forwarding page, an announce path without
    // an info-hash: host 1's port 8388 is no BitTorrent listen port. Whole request lines and
    // lines cut into bytes alike.
    for request in [
        b"GET /v1/agent/register?name=proxy&port=8388 HTTP/1.1\r\nHost: r\r\n\r\n".as_slice(),
        b"GET /cgi-bin/forward?port=8388&proto=tcp HTTP/1.1\r\n\r\n",
        b"GET /announce?port=8388&left=0 HTTP/1.1\r\n\r\n",
    ] {
        for bytewise in [false, true] {
            assert!(!poison(request, ok, bytewise, own).1);
        }
    }
    // The twin: an announce's port is its sender's listen port, before or after the
    // info-hash, whole or cut into bytes.
    for announce in [
        format!("GET /announce?port=8388&info_hash={INFO_HASH}&left=0 HTTP/1.1\r\n\r\n"),
        format!("GET /announce?info_hash={INFO_HASH}&port=8388&left=0 HTTP/1.1\r\n\r\n"),
        format!("GET /announce?info_hash={INFO_HASH}&port=9&port=8388 HTTP/1.1\r\n\r\n"),
    ] {
        for bytewise in [false, true] {
            assert!(
                poison(announce.as_bytes(), ok, bytewise, own).1,
                "{announce}"
            );
        }
    }
}
