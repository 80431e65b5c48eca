//! Mid-stream pickup on real traffic: the first packets of every TCP flow are dropped, as when
//! a capture or a firewall starts late. Peer wire flows must still be recognised from their
//! message framing (confirmed where a 16 KiB block and the next message are seen), and no
//! non-BitTorrent flow may be called BitTorrent. IP fragments are
//! reassembled first, as the analyzer does.

use std::collections::HashMap;

use torclass_capture::CaptureReader;
use torclass_core::packet::{LinkType, Packet};
use torclass_core::reassembly::{FragmentSlot, Reassembler, ReassemblyConfig};
use torclass_core::table::{FlowTable, Slot, TableConfig};
use torclass_core::{Confidence, Evidence, Metadata, Protocol, Transport};
use torclass_tests::{labelled_captures, labels, FlowId};

/// Packets of each TCP flow dropped before the classifier sees it.
const SKIP: u32 = 12;

/// Payload-carrying packets a flow must still have after the cut to be expected found: a flow
/// whose BitTorrent content ends with the cut (one last message, then FIN) has nothing left to
/// recognise.
const MIN_PAYLOAD_LEFT: u32 = 4;

fn id(p: &Packet<'_>) -> FlowId {
    let a = (p.key.src.addr, p.key.src.port);
    let b = (p.key.dst.addr, p.key.dst.port);
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    (p.key.transport.name().to_string(), a, b)
}

#[test]
fn late_start_still_finds_peer_wire_and_nothing_else() {
    let (mut peer_flows, mut found, mut too_short) = (0, 0, 0);
    let (mut confirmed, mut blocks) = (0, 0);
    let mut false_positives = Vec::new();
    for pcap in labelled_captures() {
        let truth = labels(&pcap);
        let slots = vec![Slot::<Metadata>::default(); 4096].into_boxed_slice();
        let mut table = FlowTable::new(slots, TableConfig::default());
        let mut seen: HashMap<FlowId, u32> = HashMap::new();
        let mut verdicts = HashMap::new();
        let mut payload_left: HashMap<FlowId, u32> = HashMap::new();
        let mut reassembler = Reassembler::new(
            vec![FragmentSlot::default(); 16],
            vec![0u8; 16 * 65_535],
            ReassemblyConfig::default(),
        );
        let mut reader = CaptureReader::open(&pcap).expect("open");
        while let Some(raw) = reader.next_packet().expect("read") {
            let Some(link) = LinkType::from_pcap(raw.link_type) else {
                continue;
            };
            let now = u64::try_from(raw.ts_nanos).unwrap_or(0);
            let Ok(Some(p)) = reassembler.decode(link, raw.data, now) else {
                continue;
            };
            if p.key.transport != Transport::Tcp {
                continue;
            }
            let n = seen.entry(id(&p)).or_default();
            *n += 1;
            if *n <= SKIP {
                continue;
            }
            if !p.payload.is_empty() {
                *payload_left.entry(id(&p)).or_default() += 1;
            }
            if let Ok(o) = table.process(&p, now, |_| {}) {
                verdicts.insert(id(&p), o.verdict);
            }
        }
        for (flow, label) in &truth {
            let Some(v) = verdicts.get(flow) else {
                continue;
            };
            match label.label.as_str() {
                "peer_wire" if payload_left.get(flow).copied().unwrap_or(0) < MIN_PAYLOAD_LEFT => {
                    too_short += 1;
                }
                "peer_wire" => {
                    peer_flows += 1;
                    if let Some(d) = v.detection().filter(|d| d.protocol == Protocol::PeerWire) {
                        found += 1;
                        confirmed += usize::from(d.confidence == Confidence::Confirmed);
                        blocks += usize::from(d.evidence.contains(Evidence::BLOCK_TRANSFER));
                    }
                }
                "not_bittorrent" if v.is_bittorrent() => {
                    false_positives.push(format!("{}: {} -> {v:?}", pcap.display(), label.program));
                }
                _ => {}
            }
        }
    }
    println!(
        "mid-stream peer wire: {found} / {peer_flows} flows recognised after dropping {SKIP} packets \
         ({too_short} flows with fewer than {MIN_PAYLOAD_LEFT} payload packets left not counted); \
         {confirmed} confirmed, {blocks} with a block transfer"
    );
    assert!(false_positives.is_empty(), "{false_positives:#?}");
    assert!(peer_flows > 0);
    // Confirmed by the block transfer rule: 42 of the 50 (the flows that upload after the cut),
    // 2 before it (handshakes after a proxy's preamble); the others send haves only.
    assert!(
        blocks > 0,
        "uploads picked up mid-stream are block transfers"
    );
    assert_eq!(
        found, peer_flows,
        "every peer wire flow picked up mid-stream"
    );
}
