//! Corroboration across flows on the committed captures: with the host cache on and the
//! endpoint cache off, every MSE/PE flow from a host with confirmed BitTorrent activity is
//! `confirmed`, and no ordinary flow between BitTorrent hosts is called BitTorrent at all.
//!
//! The lab gives its hosts the same addresses in every scenario, and the negative scenarios
//! (web, TLS 1.2/1.3, SSH, DNS, NTP, QUIC, STUN, RTP, SMB, rsync, git, random bytes) run
//! between hosts that run BitTorrent clients in the others. So the captures are replayed in
//! sequence through one table and one host cache, the BitTorrent ones first: every negative
//! flow is then between BitTorrent hosts, as on a machine that runs a client and other
//! programs.

/// Time between two replayed captures: longer than every flow timeout, so that no flow of one
/// capture continues in the next.
const GAP_NS: u64 = 601 * 1_000_000_000;

/// The host cache's time to live here: a day, so that hosts learned in any capture are still
/// BitTorrent hosts when the negative captures are replayed (the default is 10 minutes).
const HOST_TTL_NS: u64 = 24 * 3600 * 1_000_000_000;

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use torclass_capture::CaptureReader;
use torclass_core::endpoints::CacheEntry;
use torclass_core::hosts::HostCache;
use torclass_core::packet::{self, LinkType};
use torclass_core::table::{FlowTable, Slot, TableConfig};
use torclass_core::{CacheConfig, Confidence, Evidence, FlowKey, Metadata, Verdict};
use torclass_tests::{labelled_captures, labels, FlowId};

/// One classified flow: its number, key, verdict (as it ended, or as it stands at the end)
/// and evidence.
type Flow = (u64, FlowKey, Verdict, Evidence);

/// Every flow of `pcaps`, replayed in that order through one flow table with a host cache
/// (and no endpoint cache), each capture's clock shifted to start [`GAP_NS`] after the
/// previous one ended; with the flow numbers each capture's flows got.
fn replay_with_hosts(pcaps: &[PathBuf]) -> (Vec<Flow>, Vec<Range<u64>>) {
    let slots = vec![Slot::<Metadata>::default(); 1 << 14].into_boxed_slice();
    let mut table = FlowTable::new(slots, TableConfig::default());
    let entries = vec![CacheEntry::default(); 1 << 10].into_boxed_slice();
    let config = CacheConfig::hosts().with_ttl_ns(HOST_TTL_NS);
    let mut hosts = HostCache::new(entries, config);
    let mut flows = Vec::new();
    let mut numbers = Vec::new();
    let mut clock = 0u64;
    for pcap in pcaps {
        let first = table.stats().flows;
        let mut reader = CaptureReader::open(pcap).expect("capture");
        let mut shift: Option<i128> = None;
        let mut keep =
            |s: &Slot<Metadata>| flows.push((s.number(), *s.key(), s.verdict(), s.evidence()));
        while let Ok(Some(raw)) = reader.next_packet() {
            let Some(link) = LinkType::from_pcap(raw.link_type) else {
                continue;
            };
            let Ok(p) = packet::decode(link, raw.data) else {
                continue;
            };
            let shift = *shift.get_or_insert(i128::from(clock) + i128::from(GAP_NS) - raw.ts_nanos);
            let now = u64::try_from(raw.ts_nanos + shift).unwrap_or(0);
            clock = clock.max(now);
            let _ = table.process_learning(&p, now, &mut hosts, &mut keep);
        }
        numbers.push(first..table.stats().flows);
    }
    flows.extend(
        table
            .iter()
            .map(|s| (s.number(), *s.key(), s.verdict(), s.evidence())),
    );
    (flows, numbers)
}

fn id(key: &FlowKey) -> FlowId {
    let a = (key.src.addr, key.src.port);
    let b = (key.dst.addr, key.dst.port);
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    (key.transport.name().to_string(), a, b)
}

#[test]
fn bittorrent_hosts_confirm_mse_and_nothing_else() {
    let (mut mse, mut mse_confirmed, mut mse_from_hosts) = (0, 0, 0);
    let (mut negatives, mut between_hosts, mut false_positives) = (0, 0, Vec::new());
    let mut programs: HashMap<String, usize> = HashMap::new();
    // The captures with BitTorrent flows first, then those with only negative flows.
    let mut pcaps = labelled_captures();
    pcaps.sort_by_key(|p| {
        let only_negative = labels(p).values().all(|l| l.label == "not_bittorrent");
        (only_negative, p.clone())
    });
    let (flows, numbers) = replay_with_hosts(&pcaps);
    for (pcap, range) in pcaps.iter().zip(numbers) {
        let labels = labels(pcap);
        for (_, key, verdict, evidence) in flows.iter().filter(|f| range.contains(&f.0)) {
            let Some(label) = labels.get(&id(key)) else {
                continue;
            };
            let host = evidence.contains(Evidence::BITTORRENT_HOST);
            match label.label.as_str() {
                "peer_wire_encrypted" => {
                    mse += 1;
                    mse_from_hosts += usize::from(host);
                    let confirmed = verdict
                        .detection()
                        .is_some_and(|d| d.confidence == Confidence::Confirmed);
                    mse_confirmed += usize::from(confirmed);
                }
                "not_bittorrent" => {
                    negatives += 1;
                    if host {
                        between_hosts += 1;
                        *programs.entry(label.program.clone()).or_default() += 1;
                    }
                    if verdict.is_bittorrent() {
                        false_positives.push(format!("{}: {:?} {verdict}", label.program, key));
                    }
                }
                _ => {}
            }
        }
    }
    let mut programs: Vec<_> = programs.into_iter().collect();
    programs.sort();
    println!(
        "host cache only: MSE/PE flows {mse}, from BitTorrent hosts {mse_from_hosts}, confirmed \
         {mse_confirmed}; negative flows {negatives}, between BitTorrent hosts {between_hosts} \
         ({programs:?}), called BitTorrent {}",
        false_positives.len()
    );
    assert!(false_positives.is_empty(), "{false_positives:#?}");
    assert!(
        between_hosts >= 10,
        "the captures hold ordinary flows between BitTorrent hosts"
    );
    assert!(mse > 0 && mse_from_hosts * 100 >= mse * 95);
    assert_eq!(
        mse_confirmed, mse_from_hosts,
        "every corroborated MSE flow is confirmed"
    );
}
