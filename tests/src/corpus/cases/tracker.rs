//! Class 4 of issue 13: HTTP tracker announces with percent-encoded parameter names, a gzip
//! reply, a leading CRLF or a keep-alive decoy request; with benign twins.

use torclass_core::Confidence::Confirmed;

use super::super::bt::{self};
use super::super::packet::{Tcp, Trace};
use super::super::rng::Rng;
use super::super::{FlowExpect as F, Role};
use super::*;

const C4: &str = "4 HTTP tracker";

pub(super) fn http_tracker(b: &mut Builder) {
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
