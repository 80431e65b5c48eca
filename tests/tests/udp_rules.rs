//! The UDP rules on the committed real captures, datagram by datagram: how many datagrams of
//! non-BitTorrent flows each single-datagram rule and each look-alike recogniser matches, and
//! that no datagram of a BitTorrent flow is taken for another protocol (a refuter must never
//! demote real BitTorrent). Run with `--nocapture` for the table that docs/accuracy.md's
//! evidence-strength section quotes.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use torclass_capture::CaptureReader;
use torclass_core::packet::{self, LinkType};
use torclass_core::udp::{read_alone, Strength};
use torclass_core::wire::lookalike::{self, Lookalike};
use torclass_core::Transport;
use torclass_tests::{labelled_captures, labels, FlowId};

/// Every UDP datagram of `pcap` with its flow's identity, and whether it went over IPv6.
fn datagrams(pcap: &std::path::Path) -> Vec<(FlowId, bool, Vec<u8>)> {
    let mut reader = CaptureReader::open(pcap).expect("open capture");
    let mut out = Vec::new();
    while let Some(p) = reader.next_packet().expect("read capture") {
        let Some(link) = LinkType::from_pcap(p.link_type) else {
            continue;
        };
        let Ok(d) = packet::decode(link, p.data) else {
            continue;
        };
        if d.key.transport != Transport::Udp || d.payload.is_empty() {
            continue;
        }
        let a: (IpAddr, u16) = (d.key.src.addr, d.key.src.port);
        let b: (IpAddr, u16) = (d.key.dst.addr, d.key.dst.port);
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        out.push((("udp".to_string(), a, b), a.0.is_ipv6(), d.payload.to_vec()));
    }
    out
}

#[test]
fn udp_rules_on_the_real_captures() {
    let mut negative: BTreeMap<String, usize> = BTreeMap::new();
    let mut positive: BTreeMap<String, usize> = BTreeMap::new();
    let mut refuted_bittorrent = Vec::new();
    let (mut neg_total, mut pos_total) = (0usize, 0usize);
    for pcap in labelled_captures() {
        let labels: HashMap<FlowId, String> = labels(&pcap)
            .into_iter()
            .map(|(id, l)| (id, l.label))
            .collect();
        for (id, ipv6, d) in datagrams(&pcap) {
            let Some(label) = labels.get(&id) else {
                continue;
            };
            let reading = read_alone(&d, ipv6);
            let found = lookalike::recognise(&d);
            let mut rule = match (reading.protocol, reading.strength) {
                (_, Strength::None) => "none".to_string(),
                (Some(p), s) => format!("{}:{s:?}", p.name()),
                (None, s) => format!("{s:?}"),
            };
            // A guess the same datagram's look-alike refutes is never held by a flow (the
            // refuters run first, `udp::UdpState`): shown, but not a match.
            if reading.strength == Strength::Guess {
                if let Some(l) = found.filter(|l| l.is_exact()) {
                    rule = format!("{rule} refuted as {l}");
                }
            }
            if label == "not_bittorrent" {
                neg_total += 1;
                *negative.entry(rule).or_default() += 1;
                let name = found.map_or("no look-alike", Lookalike::name);
                *negative.entry(format!("look-alike {name}")).or_default() += 1;
            } else {
                pos_total += 1;
                *positive.entry(rule).or_default() += 1;
                if let Some(l) = found.filter(|l| l.is_exact()) {
                    refuted_bittorrent.push(format!("{}: {label} as {l}", pcap.display()));
                }
            }
        }
    }
    eprintln!("non-BitTorrent datagrams ({neg_total}):");
    for (rule, n) in &negative {
        eprintln!("  {rule:30} {n}");
    }
    eprintln!("BitTorrent datagrams ({pos_total}):");
    for (rule, n) in &positive {
        eprintln!("  {rule:30} {n}");
    }
    assert!(neg_total > 0 && pos_total > 0);
    let wrong: Vec<_> = negative
        .iter()
        .filter(|(rule, _)| rule.ends_with(":Conclusive") || rule.ends_with(":Guess"))
        .collect();
    assert!(
        wrong.is_empty(),
        "BitTorrent rules matched non-BitTorrent datagrams: {wrong:?}"
    );
    assert!(
        refuted_bittorrent.is_empty(),
        "{}",
        refuted_bittorrent.join("\n")
    );
}
