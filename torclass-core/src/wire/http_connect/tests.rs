extern crate std;
use std::string::{String, ToString};
use std::vec::Vec;

use super::*;
use crate::observer::Metadata;

fn pieces(len: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
    let mut bounds: Vec<usize> = cuts
        .iter()
        .copied()
        .filter(|c| *c > 0 && *c < len)
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    bounds.push(len);
    let mut start = 0;
    bounds
        .into_iter()
        .map(|end| {
            let piece = (start, end);
            start = end;
            piece
        })
        .collect()
}

fn shift(step: Step, start: usize) -> Step {
    match step {
        Step::Tunnel { consumed } => Step::Tunnel {
            consumed: start + consumed,
        },
        Step::Invalid { at } => Step::Invalid { at: start + at },
        other => other,
    }
}

fn request(side: &[u8], cuts: &[usize]) -> (Step, Option<String>) {
    let mut reader = RequestReader::new();
    let mut meta = Metadata::new();
    for (start, end) in pieces(side.len(), cuts) {
        let step = reader.read(&side[start..end], Direction::Initiator, &mut meta);
        if step != Step::NeedMore {
            return (
                shift(step, start),
                meta.proxy_target().map(|t| t.to_string()),
            );
        }
    }
    (Step::NeedMore, meta.proxy_target().map(|t| t.to_string()))
}

fn reply(side: &[u8], cuts: &[usize]) -> Step {
    let mut reader = ReplyReader::new();
    for (start, end) in pieces(side.len(), cuts) {
        let step = reader.read(&side[start..end]);
        if step != Step::NeedMore {
            return shift(step, start);
        }
    }
    Step::NeedMore
}

#[test]
fn libtorrent_through_tinyproxy() {
    let head = b"CONNECT 10.77.0.2:6881 HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n";
    let mut side = head.to_vec();
    side.extend_from_slice(b"\x13BitTorrent protocol");
    let whole = request(&side, &[]);
    assert_eq!(
        whole,
        (
            Step::Tunnel {
                consumed: head.len()
            },
            Some("10.77.0.2:6881".into())
        )
    );
    for cut in 0..side.len() {
        assert_eq!(request(&side, &[cut]), whole, "cut at {cut}");
    }
    let answer = b"HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n";
    let mut side = answer.to_vec();
    side.extend_from_slice(b"\x13Bit");
    for cut in 0..side.len() {
        assert_eq!(
            reply(&side, &[cut]),
            Step::Tunnel {
                consumed: answer.len()
            }
        );
    }
}

#[test]
fn names_ipv6_bare_lf_and_no_reason() {
    assert_eq!(
        request(
            b"CONNECT tracker.lab:443 HTTP/1.1\nHost: tracker.lab:443\n\nx",
            &[5]
        ),
        (
            Step::Tunnel { consumed: 56 },
            Some("tracker.lab:443".into())
        )
    );
    assert_eq!(
        request(b"CONNECT [2001:db8::1]:6881 HTTP/1.1\r\n\r\n", &[]).1,
        Some("[2001:db8::1]:6881".into())
    );
    assert_eq!(
        reply(b"HTTP/1.1 200\r\n\r\n", &[]),
        Step::Tunnel { consumed: 16 }
    );
    assert_eq!(
        reply(b"HTTP/1.1 204 OK\n\n", &[]),
        Step::Tunnel { consumed: 17 }
    );
}

#[test]
fn refusals_and_rejects() {
    assert_eq!(
        reply(b"HTTP/1.1 407 Proxy Authentication Required\r\n", &[]),
        Step::Opaque
    );
    assert_eq!(reply(b"HTTP/1.1 403", &[10]), Step::Opaque);
    for (bytes, at) in [
        (&b"CONNECT  a:1 HTTP/1.1\r\n"[..], 8),
        (b"CONNECT a:0 HTTP/1.1\r\n", 11),
        (b"CONNECT a:65536 HTTP/1.1\r\n", 14),
        (b"CONNECT a:123456 HTTP/1.1\r\n", 15),
        (b"CONNECT a HTTP/1.1\r\n", 9),
        (b"CONNECT :80 HTTP/1.1\r\n", 8),
        (b"CONNECT []:80 HTTP/1.1\r\n", 9),
        (b"CONNECT [::1]80 HTTP/1.1\r\n", 13),
        (b"CONNECT a/b:80 HTTP/1.1\r\n", 9),
        (b"CONNECT a:80 HTTP/2.0\r\n", 18),
        (b"CONNECT a:80 HTTP/1.2\r\n", 20),
        (b"CONNECT a:80 HTTP/1.1 \r\n", 21),
        (b"CONNECT a:80 HTTP/1.1\r\r", 22),
        (b"CONNECT a:80 HTTP/1.1\r\nX: \x01", 26),
        (b"CONNEC", 6),
        (b"COPY / HTTP/1.1", 2),
    ] {
        let got = request(bytes, &[]).0;
        let want = if at == bytes.len() {
            Step::NeedMore
        } else {
            Step::Invalid { at }
        };
        assert_eq!(got, want, "{}", String::from_utf8_lossy(bytes));
    }
    for (bytes, at) in [
        (&b"HTTP/2 200"[..], 5),
        (b"HTTP/1.1 20x", 11),
        (b"HTTP/1.1  200", 9),
        (b"HTTP/1.1 200 OK\r\nA\x00", 18),
        (b"HTTP/1.1 2000", 12),
    ] {
        assert_eq!(reply(bytes, &[]), Step::Invalid { at }, "{bytes:?}");
    }
}

#[test]
fn method_mismatch_says_what_was_sent() {
    let mut r = RequestReader::new();
    assert_eq!(
        r.read(b"COP", Direction::Initiator, &mut Metadata::new()),
        Step::Invalid { at: 2 }
    );
    assert_eq!(r.method_matched(), Some(&b"CO"[..]));
    let mut r = RequestReader::new();
    r.read(b"CONNECT a", Direction::Initiator, &mut Metadata::new());
    assert_eq!(r.method_matched(), None);
}

#[test]
fn heads_are_bounded() {
    let mut side = b"CONNECT a:1 HTTP/1.1\r\n".to_vec();
    while side.len() < usize::from(MAX_HEAD) + 100 {
        side.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    assert_eq!(
        request(&side, &[]).0,
        Step::Invalid {
            at: usize::from(MAX_HEAD)
        }
    );
    let mut side = b"HTTP/1.1 200 OK\r\n".to_vec();
    while side.len() < usize::from(MAX_HEAD) + 100 {
        side.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    assert_eq!(
        reply(&side, &[7, 4000]),
        Step::Invalid {
            at: usize::from(MAX_HEAD)
        }
    );
}

proptest::proptest! {
    #[test]
    fn any_bytes_any_cuts(
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        cuts in proptest::collection::vec(0usize..310, 0..6),
    ) {
        let mut side = METHOD.to_vec();
        side.extend_from_slice(&body);
        proptest::prop_assert_eq!(request(&side, &cuts), request(&side, &[]));
        proptest::prop_assert_eq!(reply(&body, &cuts), reply(&body, &[]));
    }
}
