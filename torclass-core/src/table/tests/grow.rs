//! A growable table: instead of ending a flow for room it says it is full, and growing it
//! moves every flow, with its held segments, so that the flows go on as in a table that was
//! large from the start.

use super::*;

type Table = FlowTable<Vec<Slot>, Metadata, Vec<Held>>;

fn growable(slots: usize) -> Table {
    let mut t = FlowTable::with_reorder(
        std::vec![Slot::default(); slots],
        std::vec![Held::default(); 8],
        TableConfig::default(),
    );
    t.set_growable(true);
    t
}

/// What a flow shows, apart from its slot.
fn state(s: &Slot) -> std::string::String {
    std::format!(
        "{:?} {:?} {:?} {:?} {} {} {} {:?}",
        s.key(),
        s.verdict(),
        s.evidence(),
        s.metadata(),
        s.packets(),
        s.bytes(),
        s.number(),
        s.decided_at_packet(),
    )
}

fn states(t: &Table) -> Vec<std::string::String> {
    let mut all: Vec<_> = t.iter().map(state).collect();
    all.sort();
    all
}

#[test]
fn a_full_window_is_reported_not_evicted_and_growing_lets_the_flow_in() {
    let mut t = growable(PROBE);
    let never = |s: &Slot| panic!("{:?} ended", s.key());
    for i in 0..PROBE as u32 {
        t.process(
            &tcp(flood_key(i, ep(2, 80)), i, TcpFlags::SYN, &[]),
            1,
            never,
        )
        .unwrap();
    }
    let before = (t.stats(), states(&t));
    let ninth = tcp(flood_key(99, ep(2, 80)), 0, TcpFlags::SYN, &[]);
    assert_eq!(t.process(&ninth, 2, never), Err(TableError::Full));
    assert_eq!(t.stats().flows, before.0.flows);
    assert_eq!(t.stats().evicted_active, 0);
    assert_eq!(states(&t), before.1, "nothing changed");

    let old = t.grow(std::vec![Slot::default(); 64]).unwrap();
    assert_eq!(old.len(), PROBE);
    assert_eq!(t.capacity(), 64);
    assert_eq!(states(&t), before.1, "every flow moved as it was");
    for i in 0..PROBE as u32 {
        let (h, _) = t.lookup(&flood_key(i, ep(2, 80))).unwrap();
        assert_eq!(t.flow(h).map(Slot::number), Some(u64::from(i)));
    }
    let o = t.process(&ninth, 2, never).unwrap();
    assert!(o.new_flow);
    assert_eq!(t.iter().count(), PROBE + 1);
}

/// A flow past its timeout by more than `LATE_NS` gives its slot to a new flow instead of the
/// table growing: it has ended (a fixed table, the timer or its tuple would end it the same
/// way, with the same record). A window of flows within their timeout, or past it by less (a
/// late packet of theirs may still come), still asks to grow.
#[test]
fn a_flow_past_its_timeout_gives_its_slot() {
    let fill = |growable_table: bool| {
        let mut t = growable(PROBE);
        t.set_growable(growable_table);
        for i in 0..PROBE as u32 {
            // Flow 3 is seen last long before the others.
            let at = if i == 3 { 1 } else { 1_000 };
            t.process(
                &tcp(flood_key(i, ep(2, 80)), i, TcpFlags::SYN, &[]),
                at,
                |_| {},
            )
            .unwrap();
        }
        t
    };
    let idle = TableConfig::default().tcp_idle_ns;
    let ninth = tcp(flood_key(99, ep(2, 80)), 0, TcpFlags::SYN, &[]);
    let never = |s: &Slot| panic!("{:?} ended", s.key());

    let mut t = fill(true);
    assert_eq!(
        t.process(&ninth, idle, never),
        Err(TableError::Full),
        "none past"
    );
    let just = idle + 2;
    assert_eq!(
        t.process(&ninth, just, never),
        Err(TableError::Full),
        "just past"
    );

    let gone = idle + LATE_NS + 2;
    let mut ended = Vec::new();
    let o = t
        .process(&ninth, gone, |s| ended.push((s.end_reason(), state(s))))
        .unwrap();
    assert!(o.new_flow);
    assert_eq!(t.capacity(), PROBE, "not grown");
    let mut fixed = fill(false);
    let mut ended_fixed = Vec::new();
    fixed
        .process(&ninth, gone, |s| {
            ended_fixed.push((s.end_reason(), state(s)))
        })
        .unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended.first().map(|e| e.0), Some(Some(EndReason::Idle)));
    assert_eq!(ended, ended_fixed, "the record a fixed table gives");
    assert_eq!(states(&t), states(&fixed));
}

/// A handshake with a message after it, its second part sent first (held in the store): the
/// same flow grown between the two parts ends as the flow never grown.
#[test]
fn growing_keeps_held_segments_with_their_flow() {
    let msg = handshake_and_message(b"-TR3000-abcdefghijkl");
    let run = |grow_at: Option<usize>| {
        let mut t = growable(PROBE);
        let a = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
        let others: Vec<FlowKey> = (0..3).map(|i| flood_key(i, ep(2, 80))).collect();
        let mut steps: Vec<Packet<'_>> = others
            .iter()
            .map(|k| tcp(*k, 1, TcpFlags::SYN, &[]))
            .collect();
        steps.push(tcp(a, 999, TcpFlags::SYN, &[]));
        steps.push(tcp(a, 1034, TcpFlags::ACK, &msg[34..]));
        steps.push(tcp(a, 1000, TcpFlags::ACK, &msg[..34]));
        for (n, p) in steps.iter().enumerate() {
            if grow_at == Some(n) {
                assert_eq!(t.store_usage(), (8, 1), "a segment is held");
                t.grow(std::vec![Slot::default(); 1024]).unwrap();
            }
            t.process(p, n as u64, |_| {}).unwrap();
        }
        assert_eq!(t.store_usage(), (8, 0));
        let (h, _) = t.lookup(&a).unwrap();
        assert_eq!(
            t.flow(h)
                .map(|s| s.verdict().detection().map(|d| d.confidence)),
            Some(Some(Confidence::Confirmed))
        );
        states(&t)
    };
    assert_eq!(run(Some(5)), run(None));
}

#[test]
fn too_few_slots_for_every_flow_change_nothing() {
    let mut t = growable(64);
    for i in 0..5u32 {
        t.process(
            &tcp(flood_key(i, ep(2, 80)), i, TcpFlags::SYN, &[]),
            1,
            |_| {},
        )
        .unwrap();
    }
    let before = (t.stats(), states(&t), t.capacity());
    let refused = t.grow(std::vec![Slot::default(); 4]).unwrap_err();
    assert_eq!(refused.len(), 4);
    assert_eq!((t.stats(), states(&t), t.capacity()), before);
    for i in 0..5u32 {
        assert!(t.lookup(&flood_key(i, ep(2, 80))).is_some());
    }
    // Five flows fit in five slots, each in its window of the whole table.
    t.grow(std::vec![Slot::default(); 5]).unwrap();
    assert_eq!(states(&t), before.1);
}
