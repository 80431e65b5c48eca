//! No look-alike datagram, alone or repeated in both directions, makes a UDP flow BitTorrent.

#[path = "fixtures/lookalikes.rs"]
mod lookalikes;

use torclass_core::{Direction, FlowClassifier, Transport, Verdict};

#[test]
fn lookalike_flows_are_never_bittorrent() {
    for (name, datagram) in lookalikes::all() {
        let mut flow = FlowClassifier::new(Transport::Udp);
        for i in 0..12 {
            let dir = if i % 2 == 0 {
                Direction::Initiator
            } else {
                Direction::Responder
            };
            let v = flow.feed(dir, &datagram);
            assert!(!v.is_bittorrent(), "{name} made the flow BitTorrent: {v:?}");
        }
        assert_eq!(flow.verdict(), Verdict::NotBitTorrent, "{name}");
    }
}

#[test]
fn a_mix_of_lookalikes_is_never_bittorrent() {
    let all = lookalikes::all();
    let mut flow = FlowClassifier::new(Transport::Udp);
    for (i, (name, datagram)) in all.iter().enumerate() {
        let dir = if i % 3 == 0 {
            Direction::Responder
        } else {
            Direction::Initiator
        };
        assert!(!flow.feed(dir, datagram).is_bittorrent(), "{name}");
    }
}
