use super::*;
use crate::observer::{Metadata, NoObserver};
use crate::verdict::Direction::Initiator as A;
use std::vec::Vec;

/// What a stream of messages gives: each step other than `NeedMore`, at its stream offset.
/// After `End` a new framer reads the next message; after anything else the walk stops.
fn walk(stream: &[u8], size: usize) -> Vec<(usize, Step)> {
    let mut framer = Framer::new();
    let mut steps = Vec::new();
    let mut offset = 0;
    for chunk in stream.chunks(size.max(1)) {
        let mut rest = chunk;
        let mut at = offset;
        while !rest.is_empty() {
            let step = framer.read(rest, usize::MAX, A, &mut NoObserver);
            let consumed = match step {
                Step::NeedMore => break,
                Step::End { consumed } => {
                    framer = Framer::new();
                    consumed
                }
                Step::Invalid { consumed, .. } | Step::Bencoded { consumed } => {
                    steps.push((at + consumed, step_kind(step)));
                    return steps;
                }
            };
            steps.push((at + consumed, step_kind(step)));
            at += consumed;
            rest = &rest[consumed..];
        }
        offset += chunk.len();
    }
    steps
}

/// A step with its chunk-relative count zeroed (the walk records stream offsets).
fn step_kind(step: Step) -> Step {
    match step {
        Step::End { .. } => Step::End { consumed: 0 },
        Step::Invalid { head, .. } => Step::Invalid { consumed: 0, head },
        Step::Bencoded { .. } => Step::Bencoded { consumed: 0 },
        Step::NeedMore => Step::NeedMore,
    }
}

const END: Step = Step::End { consumed: 0 };

fn ends(stream: &[u8]) -> Vec<usize> {
    let whole = walk(stream, stream.len());
    for size in [1, 2, 3, 7, 64] {
        assert_eq!(walk(stream, size), whole, "size {size}");
    }
    whole
        .iter()
        .filter(|(_, s)| *s == END)
        .map(|(at, _)| *at)
        .collect()
}

#[test]
fn messages_end_where_their_length_says() {
    let get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let post = b"POST /f HTTP/1.1\r\ncontent-length:  5 \r\n\r\nhello";
    let chunked = b"PUT /c HTTP/1.1\nTransfer-Encoding: gzip, Chunked\n\n3\r\nabc\r\nA;ext=1\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n";
    let stream = [&get[..], post, chunked, b"HEAD /h HTTP/1.0\r\n\r\n"].concat();
    let a = get.len();
    let b = a + post.len();
    let c = b + chunked.len();
    assert_eq!(ends(&stream), [a, b, c, stream.len()]);
}

#[test]
fn responses_end_by_length_code_or_close() {
    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
    let no_body = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n";
    let early = b"HTTP/1.1 100 Continue\r\n\r\n";
    let no_content = b"HTTP/1.1 204\r\n\r\n";
    let until_close = b"HTTP/1.0 200 OK\r\n\r\nall the rest of the connection";
    let stream = [&ok[..], no_body, early, no_content, until_close].concat();
    let mut at = 0;
    let mut expected = Vec::new();
    for m in [&ok[..], no_body, early, no_content] {
        at += m.len();
        expected.push(at);
    }
    assert_eq!(ends(&stream), expected, "the last one never ends");
}

#[test]
fn what_is_not_http() {
    let cases: [(&[u8], usize, bool); 8] = [
        (b"GET /a b HTTP/1.1\r\n\r\n", 7, true),
        (b"GET /a HTTP/2.0\r\n\r\n", 12, true),
        (b"GET /a\x01 HTTP/1.1\r\n\r\n", 6, true),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", 10, true),
        (b"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 34, true),
        (b"POST / HTTP/1.1\r\nContent Length: 1\r\n\r\n", 24, true),
        (
            b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            46,
            false,
        ),
        (b"HTTP/2 200\r\n\r\n", 5, true),
    ];
    for (stream, at, head) in cases {
        let whole = walk(stream, stream.len());
        assert_eq!(
            whole.last(),
            Some(&(at, Step::Invalid { consumed: 0, head })),
            "{:?}",
            core::str::from_utf8(stream)
        );
        for size in 1..stream.len() {
            assert_eq!(walk(stream, size), whole);
        }
    }
    // A head longer than MAX_HEAD ends there, however it is cut.
    let long = [
        &b"GET / HTTP/1.1\r\nX: "[..],
        &[b'a'; MAX_HEAD as usize],
        b"\r\n\r\n",
    ]
    .concat();
    for size in [1, 100, 5000, long.len()] {
        assert_eq!(
            walk(&long, size),
            [(
                usize::from(MAX_HEAD),
                Step::Invalid {
                    consumed: 0,
                    head: true
                }
            )]
        );
    }
}

/// A handshake after an HTTP-looking prefix stops the head before its first byte (a control
/// byte), so the caller reads it; inside a body it is data.
#[test]
fn handshakes_stop_heads_not_bodies() {
    let prefix = b"\x13BitTorrent protocol";
    for head in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n"[..],
        b"GET / HTTP/1.1\r\nX: a",
        b"GET /",
    ] {
        let stream = [head, prefix].concat();
        for size in 1..stream.len() {
            assert_eq!(
                walk(&stream, size).last(),
                Some(&(
                    head.len(),
                    Step::Invalid {
                        consumed: 0,
                        head: true
                    }
                ))
            );
        }
    }
    let in_body = [
        &b"POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\n"[..],
        prefix,
    ]
    .concat();
    assert_eq!(ends(&in_body), [in_body.len()]);
}

#[test]
fn bencoded_response_bodies_are_handed_over() {
    let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\nd8:intervali1800e5:peers0:e";
    let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1b\r\nd8:intervali1800e5:peers0:e\r\n0\r\n\r\n";
    let html = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndata";
    for (stream, at) in [(&plain[..], 39), (chunked, 51)] {
        for size in 1..stream.len() {
            assert_eq!(
                walk(stream, size),
                [(at, Step::Bencoded { consumed: 0 })],
                "size {size}"
            );
        }
    }
    // A request body starting with `d` is a body like any other; so is one after a 100.
    let post = b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nd1:e";
    assert_eq!(ends(post), [post.len()]);
    assert_eq!(
        walk(html, 5).last(),
        Some(&(38, Step::Bencoded { consumed: 0 }))
    );
}

#[test]
fn magnets_are_found_in_heads_and_bodies() {
    let page = b"HTTP/1.1 200 OK\r\nContent-Length: 71\r\n\r\n<a href=\"magnet:?xt=urn:btih:0102030405060708090a0b0c0d0e0f1011121314\">";
    for size in [1, 9, page.len()] {
        let mut framer = Framer::new();
        let mut meta = Metadata::new();
        for chunk in page.chunks(size) {
            let _ = framer.read(chunk, usize::MAX, A, &mut meta);
        }
        assert!(framer.found_magnet(), "size {size}");
        assert_eq!(meta.info_hash().map(|h| h.as_bytes()[0]), Some(1));
    }
}

proptest::proptest! {
    #[test]
    fn any_cut_gives_the_same_walk(
        parts in proptest::collection::vec(proptest::sample::select(std::vec![
            &b"GET / HTTP/1.1\r\n"[..], b"HTTP/1.1 200 OK\r\n", b"Content-Length: 3\r\n",
            b"Transfer-Encoding: chunked\r\n", b"\r\n", b"\n", b"abc", b"3\r\n", b"0\r\n", b"d",
            b"\x13BitTorrent protocol", b"X: y\r\n", b" ", b"HTTP/1.", b"POST",
        ]), 0..16),
        size in 1usize..40,
    ) {
        let stream = parts.concat();
        proptest::prop_assert_eq!(walk(&stream, size), walk(&stream, stream.len()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        let _ = walk(&data, 13);
    }
}

#[test]
fn a_reply_to_head_carries_no_body() {
    // HEAD then GET on one connection: the first reply declares the file's length and carries
    // none of it (RFC 9110 §9.3.2), so the second reply's status line stands where its body
    // would; the second reply's body is skipped by its own length.
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n";
    let get = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n\x13BitTorrent protocol";
    let stream = [&head[..], get, b"HTTP/1.0 204 No Content\r\n\r\n"].concat();
    assert_eq!(ends(&stream), [head.len() + get.len(), stream.len()]);
    // A body that only starts like a status line is a body.
    let body = b"HTTP/1x and the rest";
    let ok = [&head[..], &body[..], b"HTTP/1.1 304 Not Modified\r\n\r\n"].concat();
    assert_eq!(ends(&ok), [head.len() + body.len(), ok.len()]);
    // As is one shorter than a status line's start, and a body read to the close.
    let short = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nHTTPHTTP/1.1 204 x\r\n\r\n";
    assert_eq!(ends(short), [short.len() - 18, short.len()]);
    let close = b"HTTP/1.0 200 OK\r\n\r\nHTTP/1.1 204 x\r\n\r\n";
    assert!(ends(close).is_empty());
}
