//! The FlowTable under arbitrary tuples, TCP headers, payloads and timestamps (going back in
//! time too), in a small table: every packet lands in a slot holding its flow, and every flow
//! created is either still in the table or was handed to the eviction callback exactly once,
//! and no packet examines more than 2 × PROBE slots.
#![no_main]
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use torclass_core::packet::{Endpoint, FlowKey, Fragment, Packet, TcpFlags, TcpInfo};
use torclass_core::table::{FlowTable, Slot, TableConfig, PROBE};
use torclass_core::{Metadata, Transport};

#[derive(Arbitrary, Debug)]
struct Op {
    udp: bool,
    /// Small address and port pools so that flows meet again and windows collide.
    src: (u8, u8),
    dst: (u8, u8),
    v6: bool,
    tcp: (u32, u8),
    /// Nanoseconds since the previous packet, signed: clocks go back.
    dt: i32,
    payload: Vec<u8>,
    extra_on_wire: u8,
    /// Expire idle flows before this packet.
    expire: bool,
}

#[derive(Arbitrary, Debug)]
struct Input {
    slots: u8,
    short_timeouts: bool,
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
    let mut config = TableConfig::default();
    if input.short_timeouts {
        config.tcp_idle_ns = 1_000;
        config.tcp_closed_ns = 100;
        config.udp_idle_ns = 500;
    }
    let mut table: FlowTable<Box<[Slot<Metadata>]>> =
        FlowTable::new(vec![Slot::default(); capacity].into_boxed_slice(), config);
    let mut gone: HashSet<u64> = HashSet::new();
    let mut now: u64 = 1 << 40;
    for op in input.ops.iter().take(4096) {
        now = now.wrapping_add_signed(i64::from(op.dt));
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
                seq: op.tcp.0,
                ack: 0,
                flags: TcpFlags(op.tcp.1),
                urgent: 0,
            }),
            fragment: Fragment::None,
            payload: &op.payload,
            payload_len_on_wire: op.payload.len() as u32 + u32::from(op.extra_on_wire),
            tunnel: None,
        };
        let mut leave = |slot: &Slot<Metadata>| {
            assert!(
                gone.insert(slot.number()),
                "flow {} left twice",
                slot.number()
            );
        };
        if op.expire {
            table.expire(now, capacity, &mut leave);
        }
        let probes = table.stats().probes;
        let outcome = table
            .process(&packet, now, &mut leave)
            .expect("table has slots");
        assert!(
            table.stats().probes - probes <= 2 * PROBE as u64,
            "a packet examined more than twice the probe window"
        );
        let slot = table
            .get(outcome.slot)
            .expect("the packet's flow is in its slot");
        assert!(*slot.key() == key || *slot.key() == key.reversed());
        assert!(slot.packets() >= 1);
        assert!(table.iter().count() <= capacity);
    }
    let stats = table.stats();
    let live: HashSet<u64> = table.iter().map(|s| s.number()).collect();
    assert!(live.is_disjoint(&gone));
    assert_eq!(
        live.len() as u64 + gone.len() as u64,
        stats.flows,
        "a flow was lost"
    );
});
