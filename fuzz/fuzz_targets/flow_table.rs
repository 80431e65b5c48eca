//! The FlowTable under arbitrary tuples, TCP headers (urgent pointers included), payloads and
//! timestamps (going back in time too), in a small table with a small out-of-order store and,
//! optionally, endpoint and host caches; with the caller's operations (bounded expiry, removal
//! and finishing by key) in between. Every packet lands in a slot holding its flow, whose handle
//! finds it; every flow created is either still in the table or was handed to a flow-end
//! callback exactly once, with its reason, and the counters agree; no packet examines more than
//! 2 × PROBE slots; the store never holds more than its entries, and gives every one back when
//! the table is drained. A growable table says `Full` instead of ending a flow for room, and is
//! grown (to up to four times its first size) or moved into any number of slots: a move keeps
//! every flow, or changes nothing.
#![no_main]
use std::cell::RefCell;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use torclass_core::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use torclass_core::hosts::HostCache;
use torclass_core::packet::{Endpoint, FlowKey, Fragment, Packet, TcpFlags, TcpInfo};
use torclass_core::table::{FlowTable, Held, Slot, TableConfig, TableError, PROBE};
use torclass_core::{Metadata, Transport};

#[derive(Arbitrary, Debug)]
enum Action {
    /// Process the packet.
    Packet,
    /// Expire up to this many slots first, then process the packet.
    Expire(u8),
    /// Remove the packet's flow by key instead.
    Remove,
    /// Finish the packet's flow by key instead.
    Finish,
    /// Move the flows into this many slots (1 to 64) instead.
    Grow(u8),
}

#[derive(Arbitrary, Debug)]
struct Op {
    udp: bool,
    /// Small address and port pools so that flows meet again and windows collide.
    src: (u8, u8),
    dst: (u8, u8),
    v6: bool,
    /// Sequence number (small steps make reordering and overlaps likely), flags, urgent pointer.
    tcp: (u16, u8, u16),
    /// Nanoseconds since the previous packet, signed: clocks go back.
    dt: i32,
    payload: Vec<u8>,
    extra_on_wire: u8,
    action: Action,
}

#[derive(Arbitrary, Debug)]
struct Input {
    slots: u8,
    store: u8,
    short_timeouts: bool,
    learn: bool,
    growable: bool,
    ops: Vec<Op>,
}

fn endpoint(v6: bool, (host, port): (u8, u8)) -> Endpoint {
    let addr = if v6 {
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            0,
            0,
            0,
            0,
            0,
            u16::from(host % 8),
        ))
    } else {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, host % 8))
    };
    Endpoint {
        addr,
        port: 6880 + u16::from(port % 4),
    }
}

fuzz_target!(|input: Input| {
    let capacity = usize::from(input.slots % 32) + 1;
    let store_entries = usize::from(input.store % 9);
    let mut config = TableConfig::default();
    if input.short_timeouts {
        config.tcp_idle_ns = 1_000;
        config.tcp_closed_ns = 100;
        config.udp_idle_ns = 500;
    }
    let mut table: FlowTable<Box<[Slot<Metadata>]>, Metadata, Box<[Held]>> =
        FlowTable::with_reorder(
            vec![Slot::default(); capacity].into_boxed_slice(),
            vec![Held::default(); store_entries].into_boxed_slice(),
            config,
        );
    let max_slots = capacity * 4;
    table.set_growable(input.growable);
    let mut endpoints = EndpointCache::new([CacheEntry::default(); 16], CacheConfig::default());
    let mut hosts = HostCache::new([CacheEntry::default(); 16], CacheConfig::hosts());
    let gone: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
    let mut leave = |slot: &Slot<Metadata>| {
        assert!(slot.end_reason().is_some(), "a flow ended without a reason");
        assert!(
            gone.borrow_mut().insert(slot.number()),
            "flow {} left twice",
            slot.number()
        );
    };
    let mut now: u64 = 1 << 40;
    let mut seq = 0u32;
    for op in input.ops.iter().take(4096) {
        now = now.wrapping_add_signed(i64::from(op.dt));
        seq = seq.wrapping_add(u32::from(op.tcp.0));
        let key = FlowKey {
            transport: if op.udp {
                Transport::Udp
            } else {
                Transport::Tcp
            },
            src: endpoint(op.v6, op.src),
            dst: endpoint(op.v6, op.dst),
        };
        let packet = Packet {
            key,
            tcp: (!op.udp).then_some(TcpInfo {
                seq,
                ack: 0,
                flags: TcpFlags(op.tcp.1),
                urgent: op.tcp.2,
            }),
            fragment: Fragment::None,
            payload: &op.payload,
            payload_len_on_wire: op.payload.len() as u32 + u32::from(op.extra_on_wire),
            tunnel: None,
        };
        match op.action {
            Action::Remove => {
                let had = table.lookup(&key);
                assert_eq!(table.remove_key(&key, &mut leave), had.is_some());
                if let Some((handle, _)) = had {
                    assert!(
                        table.flow(handle).is_none(),
                        "a removed flow is still found"
                    );
                }
                continue;
            }
            Action::Finish => {
                let had = table.lookup(&key);
                let verdict = table.finish_key(&key);
                assert_eq!(verdict.is_some(), had.is_some());
                if let Some((handle, _)) = had {
                    let slot = table.flow(handle).expect("a finished flow lingers");
                    assert!(slot.closed());
                }
                continue;
            }
            Action::Grow(n) => {
                let slots = usize::from(n % 64) + 1;
                let before: Vec<_> = table.iter().map(|s| (s.number(), *s.key())).collect();
                let (stats, capacity) = (table.stats(), table.capacity());
                let moved = table.grow(vec![Slot::default(); slots].into_boxed_slice());
                let mut after: Vec<_> = table.iter().map(|s| (s.number(), *s.key())).collect();
                let mut sorted = before.clone();
                sorted.sort_by_key(|(n, _)| *n);
                after.sort_by_key(|(n, _)| *n);
                assert_eq!(after, sorted, "a move lost or changed a flow");
                assert_eq!(table.stats(), stats);
                match moved {
                    Ok(old) => assert!(old.len() == capacity && table.capacity() == slots),
                    Err(refused) => assert!(refused.len() == slots && table.capacity() == capacity),
                }
                for (_, key) in &before {
                    let (handle, _) = table.lookup(key).expect("a moved flow is found");
                    assert!(table.flow(handle).is_some());
                }
                continue;
            }
            Action::Expire(budget) => {
                let n = table.expire(now, usize::from(budget), &mut leave);
                assert!(n <= usize::from(budget));
            }
            Action::Packet => {}
        }
        let outcome = loop {
            let probes = table.stats().probes;
            let (live, flows) = (table.iter().count(), table.stats().flows);
            let result = if input.learn {
                let mut both = (&mut endpoints, &mut hosts);
                table.process_learning(&packet, now, &mut both, &mut leave)
            } else {
                table.process(&packet, now, &mut leave)
            };
            assert!(
                table.stats().probes - probes <= 2 * PROBE as u64,
                "a packet examined more than twice the probe window"
            );
            match result {
                Err(TableError::Full) => {
                    assert!(table.growable(), "only a growable table is full");
                    assert_eq!((table.iter().count(), table.stats().flows), (live, flows));
                    let slots = (table.capacity() * 2).min(max_slots);
                    if slots <= table.capacity()
                        || table
                            .grow(vec![Slot::default(); slots].into_boxed_slice())
                            .is_err()
                    {
                        table.set_growable(false);
                    }
                }
                other => break other.expect("table has slots"),
            }
        };
        let slot = table
            .get(outcome.slot)
            .expect("the packet's flow is in its slot");
        assert!(*slot.key() == key || *slot.key() == key.reversed());
        assert!(slot.packets() >= 1);
        assert_eq!(
            table.flow(outcome.handle).map(Slot::number),
            Some(slot.number())
        );
        assert!(slot.evidence().contains(outcome.evidence));
        assert!(table.iter().count() <= table.capacity());
        let (entries, used) = table.store_usage();
        assert!(entries == store_entries && used <= entries);
    }
    let stats = table.stats();
    let live: HashSet<u64> = table.iter().map(|s| s.number()).collect();
    let ended = gone.borrow().len() as u64;
    assert!(live.is_disjoint(&gone.borrow()));
    assert_eq!(live.len() as u64 + ended, stats.flows, "a flow was lost");
    assert_eq!(
        stats.evicted_active + stats.evicted_idle + stats.reused + stats.removed,
        ended,
        "every ended flow is counted once"
    );
    table.drain(&mut leave);
    assert_eq!(gone.borrow().len() as u64, stats.flows);
    assert_eq!(table.store_usage().1, 0, "a drained table holds no segment");
});
