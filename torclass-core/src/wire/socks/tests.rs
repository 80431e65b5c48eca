extern crate std;
use std::string::{String, ToString};
use std::vec::Vec;

use super::*;
use crate::observer::Metadata;

/// What a whole side gives, read in pieces cut at `cuts`: the step that ended it (with
/// `consumed` counted from the side's start) and the target.
fn run_client(side: &[u8], cuts: &[usize]) -> (Step, Option<String>) {
    let mut reader = ClientReader::for_first_byte(side[0]).expect("SOCKS first byte");
    let mut meta = Metadata::new();
    let mut start = 0;
    let mut bounds: Vec<usize> = cuts.iter().copied().filter(|c| *c < side.len()).collect();
    bounds.sort_unstable();
    bounds.push(side.len());
    for end in bounds {
        if end <= start {
            continue;
        }
        match reader.read(&side[start..end], Direction::Initiator, &mut meta) {
            Step::NeedMore => start = end,
            Step::Tunnel { consumed } => {
                return (
                    Step::Tunnel {
                        consumed: start + consumed,
                    },
                    meta.proxy_target().map(|t| t.to_string()),
                )
            }
            Step::Invalid { at } => return (Step::Invalid { at: start + at }, None),
            Step::Opaque => return (Step::Opaque, None),
        }
    }
    (Step::NeedMore, meta.proxy_target().map(|t| t.to_string()))
}

fn run_server(side: &[u8], socks4: bool, cuts: &[usize]) -> Step {
    let mut reader = ServerReader::new(socks4);
    let mut start = 0;
    let mut bounds: Vec<usize> = cuts.iter().copied().filter(|c| *c < side.len()).collect();
    bounds.sort_unstable();
    bounds.push(side.len());
    for end in bounds {
        if end <= start {
            continue;
        }
        match reader.read(&side[start..end]) {
            Step::NeedMore => start = end,
            Step::Tunnel { consumed } => {
                return Step::Tunnel {
                    consumed: start + consumed,
                }
            }
            Step::Invalid { at } => return Step::Invalid { at: start + at },
            Step::Opaque => return Step::Opaque,
        }
    }
    Step::NeedMore
}

/// Every single cut, and every byte alone, give what the whole gives.
fn client_same_cut_anywhere(side: &[u8]) -> (Step, Option<String>) {
    let whole = run_client(side, &[]);
    for cut in 1..side.len() {
        assert_eq!(run_client(side, &[cut]), whole, "cut at {cut}");
    }
    let every: Vec<usize> = (1..side.len()).collect();
    assert_eq!(run_client(side, &every), whole);
    whole
}

const HANDSHAKE: &[u8] = b"\x13BitTorrent protocol";

#[test]
fn socks5_without_authentication() {
    // libtorrent to dante: greeting offering "no authentication", CONNECT 10.77.0.2:6881.
    let mut side = b"\x05\x01\x00\x05\x01\x00\x01\x0a\x4d\x00\x02\x1a\xe1".to_vec();
    side.extend_from_slice(HANDSHAKE);
    assert_eq!(
        client_same_cut_anywhere(&side),
        (Step::Tunnel { consumed: 13 }, Some("10.77.0.2:6881".into()))
    );
    let reply = b"\x05\x00\x05\x00\x00\x01\x0a\x4d\x00\x06\x9c\x40\x13Bit";
    for cut in 0..reply.len() {
        assert_eq!(
            run_server(reply, false, &[cut]),
            Step::Tunnel { consumed: 12 }
        );
    }
}

#[test]
fn socks5_username_password_and_names() {
    let side = b"\x05\x02\x00\x02\x01\x04user\x04pass\x05\x01\x00\x03\x0btracker.lab\x1b\x39GET";
    assert_eq!(
        client_same_cut_anywhere(side),
        (
            Step::Tunnel {
                consumed: side.len() - 3
            },
            Some("tracker.lab:6969".into())
        )
    );
    // An empty password, as some clients send.
    let empty = b"\x05\x01\x02\x01\x01u\x00\x05\x01\x00\x01\x01\x02\x03\x04\x00\x50";
    assert_eq!(
        client_same_cut_anywhere(empty).0,
        Step::Tunnel {
            consumed: empty.len()
        }
    );
    let reply = b"\x05\x02\x01\x00\x05\x00\x00\x03\x03abc\x00\x50";
    assert_eq!(
        run_server(reply, false, &[3]),
        Step::Tunnel {
            consumed: reply.len()
        }
    );
    // Authentication failed.
    assert_eq!(run_server(b"\x05\x02\x01\x01", false, &[]), Step::Opaque);
    // A sub-negotiation the greeting did not offer is not SOCKS.
    assert_eq!(
        run_client(b"\x05\x01\x00\x01\x04user", &[]).0,
        Step::Invalid { at: 3 }
    );
}

#[test]
fn socks5_ipv6_target() {
    let mut side = b"\x05\x01\x00\x05\x01\x00\x04".to_vec();
    side.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    side.extend_from_slice(&[0; 11]);
    side.extend_from_slice(&[1, 0x1a, 0xe1]);
    assert_eq!(
        client_same_cut_anywhere(&side).1,
        Some("[2001:db8::1]:6881".into())
    );
}

#[test]
fn gssapi_refusals_and_other_commands() {
    // GSSAPI offered alone and its first token sent: a SOCKS flow that cannot be followed.
    assert_eq!(
        run_client(b"\x05\x01\x01\x01\x01\x00\x04abcd", &[]).0,
        Step::Opaque
    );
    assert_eq!(run_server(b"\x05\x01", false, &[]), Step::Opaque);
    assert_eq!(run_server(b"\x05\xff", false, &[]), Step::Opaque);
    // Connection refused (REP 5).
    assert_eq!(
        run_server(b"\x05\x00\x05\x05\x00\x01", false, &[]),
        Step::Opaque
    );
    // UDP ASSOCIATE with an unspecified address: the control connection's negotiation.
    let assoc = b"\x05\x01\x00\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00";
    assert_eq!(
        client_same_cut_anywhere(assoc),
        (
            Step::Tunnel {
                consumed: assoc.len()
            },
            Some("0.0.0.0:0".into())
        )
    );
}

#[test]
fn socks5_rejects() {
    for (bytes, at) in [
        (&b"\x05\x00"[..], 1),
        (b"\x05\x01\xff", 2),
        (b"\x05\x01\x00\x04", 3),
        (b"\x05\x01\x00\x05\x04", 4),
        (b"\x05\x01\x00\x05\x01\x01", 5),
        (b"\x05\x01\x00\x05\x01\x00\x02", 6),
        (b"\x05\x01\x00\x05\x01\x00\x03\x00", 7),
        (b"\x05\x01\x02\x01\x00", 4),
    ] {
        assert_eq!(run_client(bytes, &[]).0, Step::Invalid { at }, "{bytes:?}");
    }
    for (bytes, at) in [
        (&b"\x04\x00"[..], 0),
        (b"\x05\x00\x04", 2),
        (b"\x05\x00\x05\x09", 3),
        (b"\x05\x00\x05\x00\x01", 4),
        (b"\x05\x00\x05\x00\x00\x05", 5),
        (b"\x05\x02\x05", 2),
    ] {
        assert_eq!(
            run_server(bytes, false, &[]),
            Step::Invalid { at },
            "{bytes:?}"
        );
    }
}

#[test]
fn socks4_and_4a() {
    let side = b"\x04\x01\x1f\x40\x0a\x4d\x00\x01curl\x00GET /";
    assert_eq!(
        client_same_cut_anywhere(side),
        (Step::Tunnel { consumed: 13 }, Some("10.77.0.1:8000".into()))
    );
    // Leading zero bytes of a SOCKS 4 address are handed on once it is not 4A's 0.0.0.x.
    let zeros = b"\x04\x01\x00\x50\x00\x00\x07\x01\x00";
    assert_eq!(client_same_cut_anywhere(zeros).1, Some("0.0.7.1:80".into()));
    let four_a = b"\x04\x01\x1a\xe1\x00\x00\x00\x01\x00peer.lab\x00\x13";
    assert_eq!(
        client_same_cut_anywhere(four_a),
        (
            Step::Tunnel {
                consumed: four_a.len() - 1
            },
            Some("peer.lab:6881".into())
        )
    );
    assert_eq!(
        run_server(b"\x00\x5a\x00\x00\x00\x00\x00\x00\x13", true, &[2]),
        Step::Tunnel { consumed: 8 }
    );
    assert_eq!(run_server(b"\x00\x5b", true, &[]), Step::Opaque);
    assert_eq!(run_server(b"\x00\x10", true, &[]), Step::Invalid { at: 1 });
    // An empty 4A host, a bad host byte, a command other than CONNECT and BIND.
    assert_eq!(
        run_client(b"\x04\x01\x00\x50\x00\x00\x00\x01\x00\x00", &[]).0,
        Step::Invalid { at: 9 }
    );
    assert_eq!(
        run_client(b"\x04\x01\x00\x50\x00\x00\x00\x01\x00a b", &[]).0,
        Step::Invalid { at: 10 }
    );
    assert_eq!(run_client(b"\x04\x03", &[]).0, Step::Invalid { at: 1 });
    // A user id longer than the bound.
    let mut long = b"\x04\x01\x00\x50\x01\x02\x03\x04".to_vec();
    long.extend(core::iter::repeat_n(b'u', 300));
    assert_eq!(run_client(&long, &[]).0, Step::Invalid { at: 8 + 255 });
}

#[test]
fn other_first_bytes_have_no_reader() {
    for b in (0..=255u8).filter(|b| !matches!(b, 4 | 5)) {
        assert!(ClientReader::for_first_byte(b).is_none());
    }
    assert!(ClientReader::for_first_byte(4).unwrap().is_socks4());
    assert!(!ClientReader::for_first_byte(5).unwrap().is_socks4());
}

proptest::proptest! {
    #[test]
    fn any_bytes_any_cuts(
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        first in 4u8..6,
        cuts in proptest::collection::vec(0usize..600, 0..6),
    ) {
        let mut side = std::vec![first];
        side.extend_from_slice(&body);
        let whole = run_client(&side, &[]);
        proptest::prop_assert_eq!(run_client(&side, &cuts), whole);
        let server = run_server(&body, first == 4, &[]);
        proptest::prop_assert_eq!(run_server(&body, first == 4, &cuts), server);
    }
}
