//! Snapshots: a table saved mid-flow and restored elsewhere goes on as the original would;
//! other bytes are an error, never a panic.

use super::*;
use crate::snapshot::SnapshotError;

type Table = FlowTable<Vec<Slot>, Metadata, Vec<Held>>;

fn new_table() -> Table {
    FlowTable::with_reorder(
        std::vec![Slot::default(); 32],
        std::vec![Held::default(); 8],
        TableConfig::default(),
    )
}

fn save(t: &Table) -> Vec<u8> {
    let mut out = std::vec![0u8; t.snapshot_len()];
    assert_eq!(t.save(&mut out), Ok(out.len()));
    out
}

/// Every flow's observable state, in slot order.
fn flows(t: &Table) -> Vec<std::string::String> {
    t.iter()
        .map(|s| {
            std::format!(
                "{:?} {:?} {:?} {:?} {} {} {} {:?} {:?} {}",
                s.key(),
                s.verdict(),
                s.evidence(),
                s.metadata(),
                s.packets(),
                s.bytes(),
                s.number(),
                s.decided_at_packet(),
                s.handle(),
                s.closed()
            )
        })
        .collect()
}

/// A peer wire session cut into segments, one held out of order, and a UDP flow.
fn packets(hs: &[u8]) -> Vec<(Packet<'_>, u64)> {
    let c = ep(1, 40000);
    let s = ep(2, 6881);
    let up = key(c, s, Transport::Tcp);
    let u = key(ep(3, 5000), ep(4, 6881), Transport::Udp);
    let udp = Packet {
        key: u,
        tcp: None,
        fragment: Fragment::None,
        payload: b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
        payload_len_on_wire: 56,
        tunnel: None,
    };
    std::vec![
        (tcp(up, 100, TcpFlags::SYN, &[]), 1),
        (
            tcp(up.reversed(), 500, TcpFlags::SYN | TcpFlags::ACK, &[]),
            2
        ),
        (udp, 3),
        // Bytes 30.. first: held until 1..30 come.
        (tcp(up, 131, TcpFlags::ACK, &hs[30..]), 4),
        (tcp(up, 101, TcpFlags::ACK, &hs[..30]), 5),
        (tcp(up.reversed(), 501, TcpFlags::ACK, hs), 6),
        (
            tcp(
                up,
                101 + hs.len() as u32,
                TcpFlags::ACK | TcpFlags::FIN,
                &[]
            ),
            7
        ),
    ]
}

#[test]
fn a_restored_table_goes_on_as_the_original() {
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    let all = packets(&hs);
    for cut in 0..=all.len() {
        let mut a = new_table();
        for (p, now) in &all[..cut] {
            a.process(p, *now, |_| {}).unwrap();
        }
        let bytes = save(&a);
        let mut b = new_table();
        assert_eq!(b.restore(&bytes), Ok(bytes.len()));
        assert_eq!(flows(&a), flows(&b), "cut {cut}");
        assert_eq!(save(&b), bytes, "cut {cut}: not canonical");
        for (p, now) in &all[cut..] {
            let oa = a.process(p, *now, |_| {}).unwrap();
            let ob = b.process(p, *now, |_| {}).unwrap();
            assert_eq!(oa, ob, "cut {cut}");
        }
        assert_eq!(flows(&a), flows(&b), "cut {cut}");
        assert_eq!(a.stats(), b.stats());
    }
}

#[test]
fn another_shape_or_version_is_refused_and_leaves_the_table_empty() {
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    let mut a = new_table();
    for (p, now) in &packets(&hs)[..4] {
        a.process(p, *now, |_| {}).unwrap();
    }
    let bytes = save(&a);
    let mut small: Table = FlowTable::with_reorder(
        std::vec![Slot::default(); 16],
        std::vec![Held::default(); 8],
        TableConfig::default(),
    );
    assert_eq!(
        small.restore(&bytes),
        Err(SnapshotError::Mismatch {
            what: "flow table slots"
        })
    );
    let mut b = new_table();
    let mut other = bytes.clone();
    other[4] = 2;
    assert_eq!(
        b.restore(&other),
        Err(SnapshotError::Version { part: "flow table" })
    );
    assert!(matches!(
        b.restore(&bytes[..bytes.len() - 1]),
        Err(SnapshotError::Truncated { .. })
    ));
    assert_eq!(b.iter().count(), 0);
    let mut short = [0u8; 8];
    assert!(matches!(
        a.save(&mut short),
        Err(SnapshotError::BufferTooSmall { required, available: 8 }) if required == bytes.len()
    ));
}

proptest! {
    #[test]
    fn corrupted_snapshots_never_panic(
        flips in proptest::collection::vec((0usize..4096, proptest::num::u8::ANY), 1..6),
    ) {
        let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
        let all = packets(&hs);
        let mut a = new_table();
        for (p, now) in &all[..4] {
            a.process(p, *now, |_| {}).unwrap();
        }
        let mut bytes = save(&a);
        for (at, v) in flips {
            let n = bytes.len();
            bytes[at % n] = v;
        }
        let mut b = new_table();
        if b.restore(&bytes).is_ok() {
            for (p, now) in &all[4..] {
                let _ = b.process(p, *now, |_| {});
            }
            b.drain(|_| {});
        } else {
            prop_assert_eq!(b.iter().count(), 0);
        }
    }
}
