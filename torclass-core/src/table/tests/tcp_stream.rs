//! TCP streams: the urgent byte, the out-of-order store, segmentation independence with
//! reordering inside the store's bounds.

use super::*;
use std::vec;

fn urgent<'a>(k: FlowKey, seq: u32, pointer: u16, payload: &'a [u8]) -> Packet<'a> {
    let mut p = tcp(k, seq, TcpFlags::ACK | TcpFlags::URG, payload);
    if let Some(t) = p.tcp.as_mut() {
        t.urgent = pointer;
    }
    p
}

fn opened(
    t: &mut FlowTable<&mut [Slot], Metadata, impl AsRef<[Held]> + AsMut<[Held]>>,
    up: FlowKey,
) {
    t.process(&tcp(up, 999, TcpFlags::SYN, &[]), 0, |_| {})
        .unwrap();
    t.process(
        &tcp(up.reversed(), 4999, TcpFlags::SYN | TcpFlags::ACK, &[]),
        0,
        |_| {},
    )
    .unwrap();
}

/// Evasion 6: one out-of-band byte before the handshake, in its own segment or in the same.
#[test]
fn an_urgent_byte_before_the_handshake_is_cut_out() {
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    // Its own segment (send(fd, "X", 1, MSG_OOB), then the handshake).
    let mut slots = vec![Slot::default(); 8];
    let mut t = table(&mut slots);
    opened(&mut t, up);
    t.process(&urgent(up, 1000, 1, b"X"), 1, |_| {}).unwrap();
    let o = t
        .process(&tcp(up, 1001, TcpFlags::ACK, &hs), 2, |_| {})
        .unwrap();
    assert_eq!(o.verdict.detection().unwrap().protocol, Protocol::PeerWire);
    assert_eq!(t.stats().urgent_bytes, 1);
    // Coalesced into one segment with the handshake.
    let mut slots = vec![Slot::default(); 8];
    let mut t = table(&mut slots);
    opened(&mut t, up);
    let o = t
        .process(
            &urgent(up, 1000, 1, &[b"X".as_slice(), &hs].concat()),
            1,
            |_| {},
        )
        .unwrap();
    assert_eq!(o.verdict.detection().unwrap().protocol, Protocol::PeerWire);
    // The benign twin: the same byte in band is part of the stream, and no handshake (a
    // handshake after a text prefix counts only with a valid message after it).
    let hs = handshake(b"-TR3000-abcdefghijkl");
    let mut slots = vec![Slot::default(); 8];
    let mut t = table(&mut slots);
    opened(&mut t, up);
    let o = t
        .process(
            &tcp(up, 1000, TcpFlags::ACK, &[b"X".as_slice(), &hs].concat()),
            1,
            |_| {},
        )
        .unwrap();
    assert!(!o.verdict.is_bittorrent());
}

/// The urgent pointer may name a byte of a later segment; it is cut out there, whatever the
/// segmentation, and a retransmission of the segment carrying it does not cut a second byte.
#[test]
fn an_urgent_byte_in_a_later_segment_is_cut_out_once() {
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    // Stream: hs[..10], the urgent byte, hs[10..].
    let stream = [&hs[..10], b"!".as_slice(), &hs[10..]].concat();
    for cut in 1..stream.len() {
        let mut slots = vec![Slot::default(); 8];
        let mut t = table(&mut slots);
        opened(&mut t, up);
        // The first segment announces the urgent byte at offset 10 (pointer 11).
        t.process(&urgent(up, 1000, 11, &stream[..cut]), 1, |_| {})
            .unwrap();
        t.process(
            &tcp(up, 1000 + cut as u32, TcpFlags::ACK, &stream[cut..]),
            2,
            |_| {},
        )
        .unwrap();
        let o = t
            .process(
                &tcp(up, 1000 + cut as u32, TcpFlags::ACK, &stream[cut..]),
                3,
                |_| {},
            )
            .unwrap();
        assert_eq!(
            o.verdict.detection().map(|d| d.protocol),
            Some(Protocol::PeerWire),
            "cut at {cut}"
        );
        assert_eq!(t.stats().urgent_bytes, 1);
    }
}

#[test]
fn the_second_half_sent_first_is_read_in_order() {
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    let run = |store: &mut [Held]| {
        let mut slots = vec![Slot::default(); 8];
        let mut t = FlowTable::with_reorder(&mut slots[..], store, TableConfig::default());
        opened(&mut t, up);
        t.process(&tcp(up, 1034, TcpFlags::ACK, &hs[34..]), 1, |_| {})
            .unwrap();
        let o = t
            .process(&tcp(up, 1000, TcpFlags::ACK, &hs[..34]), 2, |_| {})
            .unwrap();
        (o.verdict, t.stats(), t.store_usage())
    };
    let mut store = vec![Held::default(); 4];
    let (verdict, stats, usage) = run(&mut store);
    assert_eq!(verdict.detection().unwrap().protocol, Protocol::PeerWire);
    assert_eq!(
        (stats.held_segments, stats.reordered, stats.gaps),
        (1, 1, 0)
    );
    assert_eq!(usage, (4, 0), "the entry was given back");
    // Without a store, the hole stops the handshake reader: no verdict, never a wrong one.
    let (verdict, stats, _) = run(&mut []);
    assert!(!verdict.is_bittorrent());
    assert_eq!(stats.gaps, 1);
}

#[test]
fn a_full_store_falls_back_to_gaps_and_entries_are_given_back() {
    let hs = handshake(b"-TR3000-abcdefghijkl");
    let mut store = vec![Held::default(); 1];
    let mut slots = vec![Slot::default(); 16];
    let mut t = FlowTable::with_reorder(&mut slots[..], &mut store[..], TableConfig::default());
    let a = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    let b = key(ep(1, 40001), ep(2, 6881), Transport::Tcp);
    opened(&mut t, a);
    opened(&mut t, b);
    t.process(&tcp(a, 1034, TcpFlags::ACK, &hs[34..]), 1, |_| {})
        .unwrap();
    assert_eq!(t.store_usage(), (1, 1));
    // Flow b finds the store full: its early segment is a hole, as without a store.
    t.process(&tcp(b, 1034, TcpFlags::ACK, &hs[34..]), 1, |_| {})
        .unwrap();
    assert_eq!(t.stats().store_full, 1);
    let ob = t
        .process(&tcp(b, 1000, TcpFlags::ACK, &hs[..34]), 2, |_| {})
        .unwrap();
    assert!(!ob.verdict.is_bittorrent());
    // A retransmission of what a holds takes no second entry.
    t.process(&tcp(a, 1034, TcpFlags::ACK, &hs[34..]), 1, |_| {})
        .unwrap();
    assert_eq!(t.stats().held_segments, 1);
    // Flow a leaves the table with its segment still held: the entry comes back.
    let (h, _) = t.lookup(&a).unwrap();
    assert!(t.remove(h, |s| assert_eq!(s.end_reason(), Some(EndReason::Removed))));
    assert_eq!(t.store_usage(), (1, 0));
}

/// Each direction's segments of at most `mss` bytes; `swaps` picks pairs of neighbouring
/// segments of one side to send in the other order (reordering inside the store's bound).
fn segments(conv: &[(bool, Vec<u8>)], mss: usize, swaps: &[bool]) -> Vec<(bool, u32, Vec<u8>)> {
    let mut seq = [1000u32, 5000u32];
    let mut out = Vec::new();
    let mut n = 0;
    for (initiator, bytes) in conv {
        let d = usize::from(!initiator);
        let mut side: Vec<(bool, u32, Vec<u8>)> = bytes
            .chunks(mss)
            .scan(seq[d], |s, c| {
                let at = *s;
                *s = s.wrapping_add(c.len() as u32);
                Some((*initiator, at, c.to_vec()))
            })
            .collect();
        let mut i = 0;
        while i + 1 < side.len() {
            if swaps.get(n % swaps.len().max(1)).copied().unwrap_or(false) {
                side.swap(i, i + 1);
                i += 2;
            } else {
                i += 1;
            }
            n += 1;
        }
        seq[d] = seq[d].wrapping_add(bytes.len() as u32);
        out.extend(side);
    }
    out
}

fn run_reordered(
    conv: &[(bool, Vec<u8>)],
    mss: usize,
    swaps: &[bool],
) -> (Verdict, Option<[u8; 20]>) {
    let mut slots = vec![Slot::default(); 8];
    let mut store = vec![Held::default(); 2 * usize::from(HELD_PER_SIDE)];
    let mut t = FlowTable::with_reorder(&mut slots[..], &mut store[..], TableConfig::default());
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    opened(&mut t, up);
    let mut last = None;
    for (initiator, seq, bytes) in segments(conv, mss, swaps) {
        let k = if initiator { up } else { up.reversed() };
        last = Some(
            t.process(&tcp(k, seq, TcpFlags::ACK, &bytes), 1, |_| {})
                .unwrap()
                .slot,
        );
    }
    let slot = t.get(last.unwrap()).unwrap();
    (
        slot.verdict(),
        slot.metadata().peer_id(Direction::Responder).copied(),
    )
}

/// An MSE/PE exchange (random flights of MSE's lengths).
fn mse_conversation() -> Vec<(bool, Vec<u8>)> {
    use crate::test_util::random_bytes;
    let mut a1 = random_bytes(96 + 211, 1);
    a1[0] = 0x9c;
    vec![
        (true, a1),
        (false, random_bytes(96 + 37, 2)),
        (true, random_bytes(20 + 20 + 16 + 68, 3)),
        (false, random_bytes(8 + 4 + 2 + 68, 4)),
        (true, random_bytes(4000, 5)),
    ]
}

proptest! {
    /// Invariant 3 with reordering: neighbouring segments of a side swapped (inside the
    /// store's bound) give the in-order verdict.
    #[test]
    fn reordering_inside_the_store_bound_changes_nothing(
        mss in 1usize..700,
        swaps in proptest::collection::vec(any::<bool>(), 1..16),
    ) {
        for conv in [conversation(), mse_conversation()] {
            let in_order = run_reordered(&conv, mss, &[]);
            prop_assert_eq!(run_reordered(&conv, mss, &swaps), in_order);
        }
    }
}

/// Invariant 4 on the new paths: a flood of flows that each leave holes (filling the store),
/// and of SYNs reopening one closed tuple, costs no more slots per packet, never holds more
/// than the store, and entries come back as the flood's flows leave.
#[test]
fn floods_of_holes_and_reopened_tuples_keep_the_bounds() {
    let mut slots = vec![Slot::default(); 1024];
    let mut store = vec![Held::default(); 64];
    let mut t = FlowTable::with_reorder(&mut slots[..], &mut store[..], TableConfig::default());
    let hs = handshake(b"-TR3000-abcdefghijkl");
    for i in 0..20_000u32 {
        let k = flood_key(i, ep(3, 80));
        let before = t.stats().probes;
        t.process(&tcp(k, 10, TcpFlags::SYN, &[]), u64::from(i), |_| {})
            .unwrap();
        // Two segments ahead of the stream: holes that are never filled.
        t.process(&tcp(k, 100, TcpFlags::ACK, b"junk"), u64::from(i), |_| {})
            .unwrap();
        t.process(&tcp(k, 200, TcpFlags::ACK, b"junk"), u64::from(i), |_| {})
            .unwrap();
        assert!(t.stats().probes - before <= 3 * 2 * PROBE as u64);
        let (entries, used) = t.store_usage();
        assert!(used <= entries);
    }
    assert!(t.stats().store_full > 0, "the flood filled the store");
    // A reordered handshake amid the flood: held if there is room, else a gap; never wrong.
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    opened(&mut t, up);
    t.process(&tcp(up, 1034, TcpFlags::ACK, &hs[34..]), 30_000, |_| {})
        .unwrap();
    let o = t
        .process(&tcp(up, 1000, TcpFlags::ACK, &hs[..34]), 30_001, |_| {})
        .unwrap();
    assert!(
        !o.verdict.is_bittorrent() || o.verdict.detection().unwrap().protocol == Protocol::PeerWire
    );
    // SYNs reopening one tuple after each close: each a new flow in the same slot.
    let reopened = key(ep(5, 1234), ep(6, 80), Transport::Tcp);
    let mut slot = None;
    for i in 0..1_000u32 {
        let before = t.stats().probes;
        let at = 40_000 + u64::from(i);
        let o = t
            .process(&tcp(reopened, i * 1000, TcpFlags::SYN, &[]), at, |_| {})
            .unwrap();
        assert!(o.new_flow);
        assert!(
            *slot.get_or_insert(o.slot) == o.slot,
            "the tuple keeps its slot"
        );
        t.process(&tcp(reopened, i * 1000 + 1, TcpFlags::RST, &[]), at, |_| {})
            .unwrap();
        assert!(t.stats().probes - before <= 2 * 2 * PROBE as u64);
    }
    assert!(t.stats().reused >= 999);
    t.drain(|_| {});
    assert_eq!(t.store_usage().1, 0);
}

/// Flows leaving holes (some filled later, a reordered handshake among them) over `store`:
/// every outcome, then the counters and the store's use.
fn holes_over(store: &mut [Held]) -> (std::vec::Vec<Outcome>, TableStats, (usize, usize)) {
    let mut slots = vec![Slot::default(); 64];
    let mut t = FlowTable::with_reorder(&mut slots[..], store, TableConfig::default());
    let hs = handshake(b"-TR3000-abcdefghijkl");
    let mut outcomes = std::vec::Vec::new();
    for i in 0..40u32 {
        let k = flood_key(i, ep(3, 80));
        let at = u64::from(i);
        for (seq, flags, payload) in [
            (10, TcpFlags::SYN, &b""[..]),
            (100, TcpFlags::ACK, b"junk"),
            (200, TcpFlags::ACK, b"more"),
            (11, TcpFlags::ACK, &[7; 89][..]),
        ] {
            outcomes.push(t.process(&tcp(k, seq, flags, payload), at, |_| {}).unwrap());
        }
        if i % 3 == 0 {
            outcomes.push(
                t.process(&tcp(k, 300, TcpFlags::RST, &[]), at, |_| {})
                    .unwrap(),
            );
        }
    }
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    opened(&mut t, up);
    for (seq, part) in [(1034, &hs[34..]), (1000, &hs[..34])] {
        outcomes.push(
            t.process(&tcp(up, seq, TcpFlags::ACK, part), 50, |_| {})
                .unwrap(),
        );
    }
    (outcomes, t.stats(), t.store_usage())
}

/// The store never reads an entry it has not handed out: zeroed storage (what the capture
/// side takes from the allocator) and storage another table left dirty behave as cleared
/// entries do.
#[test]
fn the_store_reads_no_entry_before_handing_it_out() {
    let mut cleared = vec![Held::default(); 12];
    let want = holes_over(&mut cleared);
    assert!(
        want.1.store_full > 0 && want.1.held_segments > 0,
        "the store filled"
    );
    let mut zeroed: std::vec::Vec<Held> = vec![bytemuck::Zeroable::zeroed(); 12];
    assert_eq!(holes_over(&mut zeroed), want);
    // `cleared` now holds the first run's segments, links and owners.
    assert_eq!(holes_over(&mut cleared), want);
}
