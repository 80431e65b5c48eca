//! Tests of the reassembler: datagrams cut into fragments in every way and order, the limits,
//! the overlap policies, and decoding through it (IPv4, IPv6, inside and around a GRE tunnel).
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic
)]

use super::*;
use crate::packet::{Fragment, TunnelKind};
use core::net::{Ipv4Addr, Ipv6Addr};
use proptest::prelude::*;
use std::vec;
use std::vec::Vec;

const SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const DST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
const HANDSHAKE: &[u8] =
    b"\x13BitTorrent protocol\0\0\0\0\0\x10\0\x05aaaaaaaaaaaaaaaaaaaa-TR3000-abcdefghijkl";

fn reassembler(slots: usize, capacity: usize) -> Reassembler<Vec<FragmentSlot>, Vec<u8>> {
    Reassembler::new(
        vec![FragmentSlot::default(); slots],
        vec![0; slots * capacity],
        ReassemblyConfig::default(),
    )
}

fn key(id: u32) -> FragmentKey {
    FragmentKey {
        src: SRC.into(),
        dst: DST.into(),
        id,
        protocol: 17,
    }
}

fn piece(key: FragmentKey, offset: usize, data: &[u8], more: bool) -> IpFragment<'_> {
    IpFragment {
        key,
        offset: offset as u32,
        more,
        data,
        whole: true,
        tunnel: None,
    }
}

/// The datagram `data` cut at `cuts` (byte offsets, multiples of 8).
fn pieces(data: &[u8], cuts: &[usize]) -> Vec<(usize, usize)> {
    let mut bounds: Vec<usize> = cuts
        .iter()
        .copied()
        .filter(|&c| c > 0 && c < data.len())
        .collect();
    bounds.push(0);
    bounds.push(data.len());
    bounds.sort_unstable();
    bounds.dedup();
    bounds.windows(2).map(|w| (w[0], w[1])).collect()
}

#[test]
fn fragments_in_any_order_give_the_datagram() {
    let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
    for reverse in [false, true] {
        let mut r = reassembler(16, 2048);
        let mut parts = pieces(&data, &[296, 600, 808]);
        if reverse {
            parts.reverse();
        }
        let last = parts.len() - 1;
        for (i, (a, b)) in parts.iter().enumerate() {
            let f = piece(key(1), *a, &data[*a..*b], *b != data.len());
            match r.insert(&f, 1) {
                Insert::Complete(done) => {
                    assert_eq!(i, last);
                    assert_eq!(done.data, &data[..]);
                    assert_eq!(done.len, data.len());
                    assert_eq!(done.key, key(1));
                }
                Insert::Held => assert!(i < last),
                Insert::Refused => panic!("refused"),
            }
        }
        assert_eq!(r.pending(), 0);
        assert_eq!(r.stats().reassembled, 1);
    }
}

#[test]
fn first_bytes_win_an_overlap_and_discard_drops_the_datagram() {
    let mut r = reassembler(4, 256);
    assert_eq!(r.insert(&piece(key(2), 0, &[1; 16], true), 0), Insert::Held);
    assert_eq!(r.insert(&piece(key(2), 8, &[9; 16], true), 0), Insert::Held);
    let Insert::Complete(done) = r.insert(&piece(key(2), 24, &[3; 4], false), 0) else {
        panic!("not complete");
    };
    let mut want = vec![1u8; 16];
    want.extend([9; 8]);
    want.extend([3; 4]);
    assert_eq!(done.data, &want[..]);
    assert_eq!(r.stats().overlaps, 1);

    let mut r = Reassembler::new(
        vec![FragmentSlot::default(); 4],
        vec![0u8; 1024],
        ReassemblyConfig {
            overlap: OverlapPolicy::Discard,
            ..ReassemblyConfig::default()
        },
    );
    assert_eq!(r.insert(&piece(key(3), 0, &[1; 16], true), 0), Insert::Held);
    // The same bytes again are a duplicate, not a conflict.
    assert_eq!(r.insert(&piece(key(3), 8, &[1; 8], true), 0), Insert::Held);
    assert_eq!(
        r.insert(&piece(key(3), 8, &[9; 16], true), 0),
        Insert::Refused
    );
    assert_eq!(r.stats().discarded, 1);
    assert_eq!(r.pending(), 0);
}

#[test]
fn bad_fragments_are_refused() {
    let mut r = reassembler(4, 256);
    // Not a multiple of 8 before the last fragment; empty non-last; past 65,535.
    assert_eq!(
        r.insert(&piece(key(4), 0, &[0; 12], true), 0),
        Insert::Refused
    );
    assert_eq!(r.insert(&piece(key(4), 0, &[], true), 0), Insert::Refused);
    assert_eq!(
        r.insert(&piece(key(4), 65_528, &[0; 16], false), 0),
        Insert::Refused
    );
    // Cut by the snapshot length.
    let mut cut = piece(key(4), 0, &[0; 16], true);
    cut.whole = false;
    assert_eq!(r.insert(&cut, 0), Insert::Refused);
    // Disagreeing ends: a second last fragment elsewhere, a fragment past the end, a last
    // fragment before data already there.
    assert_eq!(r.insert(&piece(key(5), 8, &[0; 8], false), 0), Insert::Held);
    assert_eq!(
        r.insert(&piece(key(5), 8, &[0; 16], false), 0),
        Insert::Refused
    );
    assert_eq!(
        r.insert(&piece(key(5), 16, &[0; 8], true), 0),
        Insert::Refused
    );
    assert_eq!(r.insert(&piece(key(6), 64, &[0; 8], true), 0), Insert::Held);
    assert_eq!(
        r.insert(&piece(key(6), 0, &[0; 8], false), 0),
        Insert::Refused
    );
    assert_eq!(r.stats().refused, 7);
    assert_eq!(r.stats().fragments, 9);
}

#[test]
fn unfinished_datagrams_time_out() {
    let mut r = reassembler(8, 256);
    let timeout = ReassemblyConfig::default().timeout_ns;
    assert_eq!(r.insert(&piece(key(7), 0, &[1; 8], true), 0), Insert::Held);
    // The rest comes too late: the old part is gone, so the datagram never completes.
    assert_eq!(
        r.insert(&piece(key(7), 8, &[2; 8], false), timeout + 1),
        Insert::Held
    );
    assert_eq!(r.stats().timed_out, 1);
    r.expire(2 * timeout + 2);
    assert_eq!(r.pending(), 0);
    assert_eq!(r.stats().timed_out, 2);
}

#[test]
fn a_source_is_held_to_its_share_of_the_window() {
    let mut r = reassembler(WINDOW, 64);
    let per_source = ReassemblyConfig::default().per_source;
    let other = FragmentKey {
        src: Ipv4Addr::new(192, 0, 2, 99).into(),
        ..key(0)
    };
    // Every source shares the single window here.
    for id in 0..per_source as u32 {
        assert_eq!(
            r.insert(&piece(key(id), 0, &[0; 8], true), u64::from(id)),
            Insert::Held
        );
    }
    assert_eq!(r.insert(&piece(other, 0, &[5; 8], true), 10), Insert::Held);
    // One more datagram of the first source replaces that source's oldest, not the other's.
    assert_eq!(
        r.insert(&piece(key(100), 0, &[0; 8], true), 11),
        Insert::Held
    );
    assert_eq!(r.stats().evicted, 1);
    assert_eq!(r.pending(), per_source + 1);
    let Insert::Complete(done) = r.insert(&piece(other, 8, &[6; 1], false), 12) else {
        panic!("the other source's datagram was evicted");
    };
    assert_eq!(done.data, &[5, 5, 5, 5, 5, 5, 5, 5, 6]);
    // The first source's oldest (id 0) is gone: its end starts a new datagram.
    assert_eq!(
        r.insert(&piece(key(0), 8, &[0; 1], false), 13),
        Insert::Held
    );
}

/// Issue 13, E2: a UDP tracker connect request in 8-byte fragments, with junk first fragments
/// of datagrams that never complete (other ids, 16 bytes) after its first fragment. A datagram
/// goes only once `per_source` other datagrams of its source came since its last fragment
/// (least recently fed, Linux's measure): 7 junk datagrams between each two of its fragments
/// leave it whole, where 4 in all used to evict it. 8 still do (a documented limit).
#[test]
fn junk_first_fragments_between_a_datagrams_fragments() {
    let per_source = ReassemblyConfig::default().per_source;
    let mut connect = vec![0x9c, 0x40, 0x1a, 0xe1, 0, 24, 0, 0]; // UDP header
    connect.extend_from_slice(&0x0417_2710_1980u64.to_be_bytes());
    connect.extend_from_slice(&[0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef]);
    let run = |junk: usize| {
        let mut r = reassembler(64, 2048);
        let mut id = 1000;
        let mut at = 0;
        for (n, chunk) in connect.chunks(8).enumerate() {
            let more = (n + 1) * 8 < connect.len();
            at += 1;
            if let Insert::Complete(done) = r.insert(&piece(key(1), n * 8, chunk, more), at) {
                return Some(done.data.to_vec());
            }
            for _ in 0..junk {
                id += 1;
                at += 1;
                r.insert(&piece(key(id), 0, &[0x41; 16], true), at);
            }
        }
        None
    };
    assert_eq!(run(per_source - 1), Some(connect.clone()));
    assert_eq!(run(per_source), None, "the limit");
    // The reproducer's shape: the first fragment, 4 junk datagrams, then the rest.
    let mut r = reassembler(64, 2048);
    r.insert(&piece(key(1), 0, &connect[..8], true), 0);
    for id in 0..4 {
        r.insert(&piece(key(100 + id), 0, &[0x41; 16], true), 1);
    }
    r.insert(&piece(key(1), 8, &connect[8..16], true), 2);
    let Insert::Complete(done) = r.insert(&piece(key(1), 16, &connect[16..], false), 3) else {
        panic!("evicted");
    };
    assert_eq!(done.data, &connect[..]);
    // Junk sent before the datagram is what makes room for it.
    let mut r = reassembler(64, 2048);
    for id in 0..2 * per_source as u32 {
        r.insert(&piece(key(100 + id), 0, &[0x41; 16], true), 0);
    }
    for (n, chunk) in connect.chunks(8).enumerate() {
        let more = (n + 1) * 8 < connect.len();
        if let Insert::Complete(done) = r.insert(&piece(key(1), n * 8, chunk, more), 1) {
            assert_eq!(done.data, &connect[..]);
            return;
        }
    }
    panic!("not reassembled");
}

#[test]
fn a_datagram_longer_than_its_slot_keeps_its_start_and_length() {
    let mut r = reassembler(2, 64);
    let data: Vec<u8> = (0..200u8).collect();
    assert_eq!(
        r.insert(&piece(key(8), 0, &data[..96], true), 0),
        Insert::Held
    );
    let Insert::Complete(done) = r.insert(&piece(key(8), 96, &data[96..], false), 0) else {
        panic!("not complete");
    };
    assert_eq!(done.data, &data[..64]);
    assert_eq!(done.len, 200);
    assert_eq!(r.stats().cut, 1);
}

#[test]
fn no_storage_refuses_everything() {
    let mut r = reassembler(0, 0);
    assert_eq!(
        r.insert(&piece(key(9), 0, &[0; 8], true), 0),
        Insert::Refused
    );
    let mut r = Reassembler::new(
        vec![FragmentSlot::default(); 4],
        Vec::new(),
        ReassemblyConfig::default(),
    );
    assert_eq!(
        r.insert(&piece(key(9), 0, &[0; 8], true), 0),
        Insert::Refused
    );
}

proptest! {
    /// Any fragmentation, any order, any duplicates: the datagram's own bytes, once.
    #[test]
    fn any_fragmentation_and_order_reassembles_the_same_bytes(
        data in proptest::collection::vec(any::<u8>(), 1..3000),
        cuts in proptest::collection::vec(1usize..400, 0..20),
        order in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
        capacity in prop_oneof![Just(4096usize), 8usize..3000],
    ) {
        let cuts: Vec<usize> = cuts.iter().map(|c| c * 8).collect();
        let parts = pieces(&data, &cuts);
        // Each part once, in a shuffled order, with some repeated.
        let mut sequence: Vec<usize> = (0..parts.len()).collect();
        for (i, pick) in order.iter().enumerate() {
            let j = pick.index(sequence.len());
            if i % 3 == 0 {
                sequence.insert(j, sequence[j]);
            } else {
                let k = i % sequence.len();
                sequence.swap(j, k);
            }
        }
        let mut r = reassembler(4, capacity);
        // Parts received since the last completion: the datagram completes exactly when they
        // are all there, and a part after that starts the datagram anew.
        let mut seen = std::collections::BTreeSet::new();
        let mut completed = 0;
        for &p in &sequence {
            let (a, b) = parts[p];
            let f = piece(key(10), a, &data[a..b], b != data.len());
            seen.insert(p);
            match r.insert(&f, 0) {
                Insert::Complete(done) => {
                    completed += 1;
                    prop_assert_eq!(seen.len(), parts.len());
                    prop_assert_eq!(done.len, data.len());
                    prop_assert_eq!(done.data, &data[..data.len().min(capacity)]);
                    seen.clear();
                }
                Insert::Held => prop_assert!(seen.len() < parts.len()),
                Insert::Refused => prop_assert!(false, "refused"),
            }
        }
        prop_assert!(completed >= 1);
    }

    /// Arbitrary fragments never panic and keep the counters consistent.
    #[test]
    fn arbitrary_fragments_never_panic(
        ops in proptest::collection::vec(
            (0u32..4, 0u32..9000, any::<bool>(), 0usize..600, any::<bool>(), 0u64..100_000_000_000),
            0..60,
        ),
    ) {
        let mut r = reassembler(8, 1024);
        let bytes = vec![0xAB; 600];
        for (id, offset, more, len, whole, now) in ops {
            let mut f = piece(key(id), (offset * 8) as usize, &bytes[..len], more);
            f.whole = whole;
            let _ = r.insert(&f, now);
        }
        let s = r.stats();
        prop_assert!(s.reassembled + s.refused <= s.fragments);
        prop_assert!(r.pending() <= 8);
    }
}

// ---- decoding through the reassembler -------------------------------------------------------

fn ipv4(protocol: u8, id: u16, frag: u16, payload: &[u8]) -> Vec<u8> {
    let total = 20 + payload.len();
    let mut h = vec![0x45, 0, (total >> 8) as u8, total as u8];
    h.extend(id.to_be_bytes());
    h.extend(frag.to_be_bytes());
    h.extend([64, protocol, 0, 0]);
    h.extend(SRC.octets());
    h.extend(DST.octets());
    h.extend_from_slice(payload);
    h
}

fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend((payload.len() as u16).to_be_bytes());
    h.extend([next, 64]);
    h.extend(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets());
    h.extend(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2).octets());
    h.extend_from_slice(payload);
    h
}

fn tcp(payload: &[u8]) -> Vec<u8> {
    let mut t = vec![
        0xC8, 0xD5, 0x1A, 0xE1, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xFF, 0xFF, 0, 0, 0, 0,
    ];
    t.extend_from_slice(payload);
    t
}

/// `datagram` (an IP payload) as IPv4 fragments of at most `size` bytes (a multiple of 8).
fn v4_fragments(protocol: u8, id: u16, datagram: &[u8], size: usize) -> Vec<Vec<u8>> {
    datagram
        .chunks(size)
        .enumerate()
        .map(|(i, chunk)| {
            let offset = i * size;
            let more = offset + chunk.len() < datagram.len();
            let frag = ((offset / 8) as u16) | if more { 0x2000 } else { 0 };
            ipv4(protocol, id, frag, chunk)
        })
        .collect()
}

fn gre(inner: &[u8]) -> Vec<u8> {
    let mut g = vec![0x20, 0, 0x08, 0x00, 0, 0, 0, 42];
    g.extend_from_slice(inner);
    g
}

/// Feed `frames` (bare IP) in order; every one but the last is held, the last gives the packet
/// (its payload apart) and its tunnel.
fn through(frames: &[Vec<u8>]) -> (Vec<u8>, Packet<'static>, Option<Tunnel>) {
    let mut r = reassembler(16, 4096);
    let (last, held) = frames.split_last().unwrap();
    for f in held {
        assert_eq!(r.decode(LinkType::Raw, f, 5), Ok(None));
    }
    let p = r.decode_ip(last, 6).unwrap().unwrap();
    let payload = p.payload.to_vec();
    let owned = Packet { payload: &[], ..p };
    (payload, owned, r.reassembled_tunnel())
}

#[test]
fn a_handshake_in_ipv4_fragments_is_read_whole() {
    let frames = v4_fragments(6, 7, &tcp(HANDSHAKE), 24);
    assert_eq!(frames.len(), 4);
    // Without reassembly only the first fragment's part is seen.
    let first = packet::decode_ip(&frames[0]).unwrap();
    assert_eq!(first.fragment, Fragment::First);
    assert_eq!(first.payload, &HANDSHAKE[..4]);
    let (payload, p, _) = through(&frames);
    assert_eq!(payload, HANDSHAKE);
    assert_eq!(p.fragment, Fragment::None);
    assert_eq!(p.key.dst.port, 6881);
    assert_eq!(p.payload_len_on_wire as usize, HANDSHAKE.len());
}

#[test]
fn a_handshake_in_ipv6_fragments_is_read_whole() {
    let segment = tcp(HANDSHAKE);
    let mut frames = Vec::new();
    for (i, chunk) in segment.chunks(32).enumerate() {
        let more = (i + 1) * 32 < segment.len();
        let offset = ((i * 32 / 8) as u16) << 3 | u16::from(more);
        let mut fh = vec![6, 0];
        fh.extend(offset.to_be_bytes());
        fh.extend(0xDEAD_BEEFu32.to_be_bytes());
        fh.extend_from_slice(chunk);
        frames.push(ipv6(44, &fh));
    }
    frames.reverse();
    let (payload, p, _) = through(&frames);
    assert_eq!(payload, HANDSHAKE);
    assert_eq!(p.key.src.port, 51413);
}

#[test]
fn fragments_inside_and_around_a_gre_tunnel() {
    // Inner fragments, each in a whole GRE packet.
    let inner = v4_fragments(6, 9, &tcp(HANDSHAKE), 40);
    let wrapped: Vec<Vec<u8>> = inner.iter().map(|f| ipv4(47, 1, 0, &gre(f))).collect();
    let (payload, p, tunnel) = through(&wrapped);
    assert_eq!(payload, HANDSHAKE);
    assert_eq!(p.tunnel, Some(TunnelKind::Gre));
    assert_eq!(tunnel.unwrap().id(), Some(42));
    // One GRE packet cut into outer fragments.
    let whole = gre(&ipv4(6, 10, 0, &tcp(HANDSHAKE)));
    let outer = v4_fragments(47, 11, &whole, 16);
    let (payload, p, tunnel) = through(&outer);
    assert_eq!(payload, HANDSHAKE);
    assert_eq!(p.tunnel, Some(TunnelKind::Gre));
    assert_eq!(
        std::format!("{}", tunnel.unwrap()),
        "192.0.2.1 -> 198.51.100.2 key 42"
    );
}

#[test]
fn a_refused_first_fragment_passes_as_before() {
    let mut r = reassembler(0, 0);
    let frames = v4_fragments(6, 7, &tcp(HANDSHAKE), 24);
    let p = r.decode_ip(&frames[0], 0).unwrap().unwrap();
    assert_eq!(p.fragment, Fragment::First);
    assert!(matches!(
        r.decode_ip(&frames[1], 0),
        Err(DecodeError::LaterFragment { .. })
    ));
    // Whole packets and errors go straight through.
    let whole = ipv4(6, 1, 0, &tcp(b"x"));
    assert_eq!(r.decode_ip(&whole, 0).unwrap().unwrap().payload, b"x");
    assert!(r.decode_ip(&[0x45], 0).is_err());
}

#[test]
fn a_whole_packet_after_a_reassembled_one_has_no_stale_tunnel() {
    let mut r = reassembler(16, 4096);
    let inner = v4_fragments(6, 9, &tcp(HANDSHAKE), 40);
    for f in inner.iter().map(|f| ipv4(47, 1, 0, &gre(f))) {
        let _ = r.decode_ip(&f, 5);
    }
    assert!(r.reassembled_tunnel().is_some());
    let whole = ipv4(47, 2, 0, &gre(&ipv4(6, 3, 0, &tcp(b"x"))));
    assert!(r.decode_ip(&whole, 6).unwrap().is_some());
    assert_eq!(r.reassembled_tunnel(), None);
}
