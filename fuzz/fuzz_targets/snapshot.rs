//! FlowTable snapshots: a table built by arbitrary packets (TCP with reordering, UDP, small
//! store, short timeouts) is saved, the snapshot cut or changed at arbitrary bytes, and restored
//! into a table of the same shape. Restoring never panics; what it accepts it saves back byte
//! for byte, and the restored table takes further packets and drains; what it refuses leaves
//! the table empty. An unchanged snapshot restores to a table that goes on exactly as the
//! original (but for the generations in handles of slots that were free).
#![no_main]
use std::net::{IpAddr, Ipv4Addr};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use torclass_core::packet::{Endpoint, FlowKey, Fragment, Packet, TcpFlags, TcpInfo};
use torclass_core::table::{FlowTable, Held, Slot, TableConfig};
use torclass_core::{Metadata, Transport};

#[derive(Arbitrary, Debug)]
struct Op {
    udp: bool,
    src: (u8, u8),
    dst: (u8, u8),
    /// Sequence step (reordering and overlaps), TCP flags.
    tcp: (i16, u8),
    dt: u16,
    payload: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    before: Vec<Op>,
    after: Vec<Op>,
    /// Cut the snapshot to this length (if shorter), then set these bytes.
    cut: Option<u16>,
    flips: Vec<(u16, u8)>,
}

type Table = FlowTable<Box<[Slot<Metadata>]>, Metadata, Box<[Held]>>;

fn table() -> Table {
    let config = TableConfig::new()
        .with_tcp_idle_ns(10_000)
        .with_tcp_closed_ns(1_000)
        .with_udp_idle_ns(5_000);
    FlowTable::with_reorder(
        vec![Slot::default(); 8].into_boxed_slice(),
        vec![Held::default(); 4].into_boxed_slice(),
        config,
    )
}

fn endpoint((host, port): (u8, u8)) -> Endpoint {
    Endpoint {
        addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, host % 6)),
        port: 6880 + u16::from(port % 3),
    }
}

/// Feed `ops` to `t` from time `now` and sequence `seq`; the outcomes.
fn feed(t: &mut Table, ops: &[Op], now: &mut u64, seq: &mut u32) -> Vec<String> {
    let mut out = Vec::new();
    for op in ops.iter().take(512) {
        *now += u64::from(op.dt);
        *seq = seq.wrapping_add_signed(i32::from(op.tcp.0));
        let packet = Packet {
            key: FlowKey {
                transport: if op.udp {
                    Transport::Udp
                } else {
                    Transport::Tcp
                },
                src: endpoint(op.src),
                dst: endpoint(op.dst),
            },
            tcp: (!op.udp).then_some(TcpInfo {
                seq: *seq,
                ack: 0,
                flags: TcpFlags(op.tcp.1),
                urgent: 0,
            }),
            fragment: Fragment::None,
            payload: &op.payload,
            payload_len_on_wire: op.payload.len() as u32,
            tunnel: None,
        };
        let mut ended = Vec::new();
        // Handles apart: free slots restart at generation 0 in a restored table.
        let o = t
            .process(&packet, *now, |s| ended.push(s.number()))
            .map(|o| {
                (
                    o.verdict,
                    o.evidence,
                    o.direction,
                    o.slot,
                    o.new_flow,
                    o.changed,
                    o.ignored,
                )
            });
        out.push(format!("{o:?} {ended:?}"));
    }
    out
}

fn save(t: &Table) -> Vec<u8> {
    let mut bytes = vec![0; t.snapshot_len()];
    assert_eq!(t.save(&mut bytes), Ok(bytes.len()));
    bytes
}

fuzz_target!(|input: Input| {
    let mut original = table();
    let (mut now, mut seq) = (1u64 << 40, 0u32);
    feed(&mut original, &input.before, &mut now, &mut seq);
    let snapshot = save(&original);

    // Unchanged: the restored table goes on as the original.
    let mut copy = table();
    assert_eq!(copy.restore(&snapshot), Ok(snapshot.len()));
    assert_eq!(save(&copy), snapshot);
    let (mut now2, mut seq2) = (now, seq);
    assert_eq!(
        feed(&mut original, &input.after, &mut now, &mut seq),
        feed(&mut copy, &input.after, &mut now2, &mut seq2)
    );

    // Changed: an error and an empty table, or a table that saves back what it read.
    let mut bytes = snapshot;
    if let Some(cut) = input.cut {
        bytes.truncate(usize::from(cut));
    }
    for (at, v) in &input.flips {
        let n = bytes.len();
        if n > 0 {
            bytes[usize::from(*at) % n] = *v;
        }
    }
    let mut damaged = table();
    match damaged.restore(&bytes) {
        Ok(n) => {
            assert_eq!(save(&damaged), bytes[..n]);
            let (mut now3, mut seq3) = (now2, seq2);
            feed(&mut damaged, &input.after, &mut now3, &mut seq3);
            damaged.drain(|_| {});
            assert_eq!(damaged.iter().count(), 0);
        }
        Err(_) => assert_eq!(damaged.iter().count(), 0),
    }
});
