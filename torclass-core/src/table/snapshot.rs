//! [`FlowTable::save`] and [`FlowTable::restore`]: the table's live flows as a snapshot
//! ([`crate::snapshot`]) in the caller's buffer, and back into a table of the same shape.
//!
//! Layout: `TCFT`, version 1; slot count and out-of-order store entries (`u32` each); the
//! [`TableConfig`] (four `u64`); the [`TableStats`] (thirteen `u64`) and the expiry cursor;
//! the number of flows, then each flow in slot order: its slot index, 5-tuple (transport, then
//! each end as family, 16 address bytes and port), the classifier's
//! [`FlowClassifier::to_state`], the [`Metadata`], times, number, counters, the packet of the
//! decision, generation, TCP tracking, flags, and the segments it holds in the out-of-order
//! store (per side: count, then sequence number, length on the wire, bytes kept and bytes).
//!
//! Restoring checks that each flow sits in its hash window (so lookups find it), that slot
//! indices rise, and everything [`FlowClassifier::from_state`] checks; on any error the table
//! is left empty.
//!
//! Only the generations of live flows are kept: in the restored table a free slot starts again
//! at generation 0, so a [`FlowHandle`](super::FlowHandle) taken before the snapshot of a flow
//! that had already ended may name a flow created after the restore. Handles of live flows
//! stay valid. Take handles afresh after a restore.

use super::reorder::Owner;
use super::tcp::Stream;
use super::{
    flow_hash, FlowTable, Held, Slot, TableConfig, TableStats, FINISHED, IN_USE, LATE, MIDSTREAM,
    PROBE,
};
use crate::flow::FlowClassifier;
use crate::observer::Metadata;
use crate::packet::{Endpoint, FlowKey};
use crate::snapshot::{check, read_addr, same, write_addr, Reader, SnapshotError, Writer};
use crate::verdict::Transport;

const MAGIC: &[u8; 4] = b"TCFT";
const VERSION: u8 = 1;

fn write_endpoint(w: &mut Writer<'_>, e: &Endpoint) {
    write_addr(w, e.addr);
    w.u16(e.port);
}

fn read_endpoint(r: &mut Reader<'_>) -> Result<Endpoint, SnapshotError> {
    Ok(Endpoint {
        addr: read_addr(r)?,
        port: r.u16()?,
    })
}

fn stats_fields(s: &mut TableStats) -> [&mut u64; 13] {
    [
        &mut s.flows,
        &mut s.evicted_active,
        &mut s.evicted_idle,
        &mut s.reused,
        &mut s.removed,
        &mut s.bogus_syns,
        &mut s.duplicate_bytes,
        &mut s.gaps,
        &mut s.held_segments,
        &mut s.reordered,
        &mut s.store_full,
        &mut s.urgent_bytes,
        &mut s.probes,
    ]
}

impl<S, R> FlowTable<S, Metadata, R>
where
    S: AsRef<[Slot<Metadata>]> + AsMut<[Slot<Metadata>]>,
    R: AsRef<[Held]> + AsMut<[Held]>,
{
    /// Bytes [`FlowTable::save`] writes now (it walks the table once).
    pub fn snapshot_len(&self) -> usize {
        match self.save(&mut []) {
            Ok(n) | Err(SnapshotError::BufferTooSmall { required: n, .. }) => n,
            Err(_) => 0,
        }
    }

    /// Write the table's live flows, counters and held segments into `out`; the bytes
    /// written, or [`SnapshotError::BufferTooSmall`] with the length needed. Flows stay in
    /// the table.
    pub fn save(&self, out: &mut [u8]) -> Result<usize, SnapshotError> {
        let mut w = Writer::new(out);
        w.bytes(MAGIC);
        w.u8(VERSION);
        w.u32(self.len() as u32);
        w.u32(self.store.capacity() as u32);
        let c = self.config;
        for v in [c.tcp_idle_ns, c.tcp_closed_ns, c.udp_idle_ns, c.seed] {
            w.u64(v);
        }
        let mut stats = self.stats;
        for v in stats_fields(&mut stats) {
            w.u64(*v);
        }
        w.u64(self.cursor as u64);
        w.u32(self.iter().count() as u32);
        for (index, slot) in self.slots.as_ref().iter().enumerate().take(self.len()) {
            if !slot.in_use() {
                continue;
            }
            w.u32(index as u32);
            w.u8(match slot.key.transport {
                Transport::Tcp => 0,
                Transport::Udp => 1,
            });
            write_endpoint(&mut w, &slot.key.src);
            write_endpoint(&mut w, &slot.key.dst);
            w.bytes(&slot.classifier.to_state());
            slot.meta.save(&mut w);
            for v in [
                slot.first_ns,
                slot.last_ns,
                slot.number,
                slot.bytes[0],
                slot.bytes[1],
            ] {
                w.u64(v);
            }
            for v in [
                slot.packets[0],
                slot.packets[1],
                slot.decided_at,
                slot.generation,
            ] {
                w.u32(v);
            }
            slot.stream.save(&mut w);
            // Whether the flow awaits corroboration is the classifier's to say again.
            w.u8(slot.flags & !LATE);
            for (side, head) in slot.stream.held().into_iter().enumerate() {
                let owner = Owner {
                    index: slot.index,
                    generation: slot.generation,
                    side: side as u8,
                };
                self.store.save_chain(head, owner, &mut w);
            }
        }
        w.finish()
    }

    /// The slots of the table whose snapshot starts `bytes` ([`FlowTable::save`]), if they
    /// are one: a caller whose table may have grown since ([`FlowTable::grow`]) gives it as
    /// many slots before [`FlowTable::restore`].
    pub fn snapshot_slots(bytes: &[u8]) -> Option<usize> {
        let mut r = Reader::new(bytes, "flow table");
        r.header(MAGIC, VERSION).ok()?;
        Some(r.u32().ok()? as usize)
    }

    /// Replace the table's content with the snapshot at the start of `bytes` (written by
    /// [`FlowTable::save`] of a table with as many slots, as many out-of-order entries and the
    /// same [`TableConfig`]); the bytes read. On an error the table is empty.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<usize, SnapshotError> {
        let result = self.restore_inner(bytes);
        if result.is_err() {
            self.clear();
        }
        result
    }

    /// Empty the table: no flow, counters at zero, every store entry free.
    fn clear(&mut self) {
        for slot in self.slots.as_mut().iter_mut() {
            slot.flags = 0;
        }
        self.store.reset();
        self.stats = TableStats::default();
        self.cursor = 0;
    }

    fn restore_inner(&mut self, bytes: &[u8]) -> Result<usize, SnapshotError> {
        let mut r = Reader::new(bytes, "flow table");
        r.header(MAGIC, VERSION)?;
        same(r.u32()? as usize == self.len(), "flow table slots")?;
        same(
            r.u32()? as usize == self.store.capacity(),
            "out-of-order store entries",
        )?;
        let config = TableConfig {
            tcp_idle_ns: r.u64()?,
            tcp_closed_ns: r.u64()?,
            udp_idle_ns: r.u64()?,
            seed: r.u64()?,
        };
        same(config == self.config, "flow table timeouts or seed")?;
        self.clear();
        let mut stats = TableStats::default();
        for v in stats_fields(&mut stats) {
            *v = r.u64()?;
        }
        let cursor = usize::try_from(r.u64()?).map_err(|_| SnapshotError::Invalid {
            what: "expiry cursor",
        })?;
        let len = self.len();
        let flows = r.u32()? as usize;
        check(flows <= len, "flow count")?;
        let mut next_index = 0usize;
        for _ in 0..flows {
            let index = r.u32()? as usize;
            check(index >= next_index && index < len, "slot index")?;
            next_index = index.saturating_add(1);
            let slot = Self::restore_slot(&mut r, index)?;
            let hash = flow_hash(&slot.key, self.config.seed);
            let start = (hash as usize).checked_rem(len).unwrap_or(0);
            let offset = index.wrapping_add(len).wrapping_sub(start).checked_rem(len);
            check(offset.is_some_and(|o| o < PROBE), "slot of a flow")?;
            let mut slot = Slot {
                tag: (hash >> 32) as u32,
                ..slot
            };
            let mut held = [0u32; 2];
            for (side, head) in held.iter_mut().enumerate() {
                let owner = Owner {
                    index: index as u32,
                    generation: slot.generation,
                    side: side as u8,
                };
                *head = self.store.restore_chain(owner, &mut r)?;
            }
            slot.stream.set_held(held);
            let target = self
                .slots
                .as_mut()
                .get_mut(index)
                .ok_or(SnapshotError::Invalid { what: "slot index" })?;
            *target = slot;
        }
        self.stats = stats;
        self.cursor = cursor;
        Ok(r.consumed(bytes))
    }

    /// One slot's fields up to its flags (the held segments follow).
    fn restore_slot(r: &mut Reader<'_>, index: usize) -> Result<Slot<Metadata>, SnapshotError> {
        let transport = match r.u8()? {
            0 => Transport::Tcp,
            1 => Transport::Udp,
            _ => return Err(SnapshotError::Invalid { what: "transport" }),
        };
        let src = read_endpoint(r)?;
        let dst = read_endpoint(r)?;
        let classifier = FlowClassifier::from_state(&r.array()?).ok_or(SnapshotError::Invalid {
            what: "classifier state",
        })?;
        check(classifier.transport() == transport, "classifier transport")?;
        let meta = Metadata::restore(r)?;
        let [first_ns, last_ns, number, out, inb] =
            [r.u64()?, r.u64()?, r.u64()?, r.u64()?, r.u64()?];
        check(first_ns <= last_ns, "flow times")?;
        let [p_out, p_in, decided_at, generation] = [r.u32()?, r.u32()?, r.u32()?, r.u32()?];
        let stream = Stream::restore(r)?;
        let flags = r.u8_if("slot flags", |f| {
            f & IN_USE != 0 && f & !(IN_USE | MIDSTREAM | FINISHED) == 0
        })?;
        let late = if flags & FINISHED == 0 && classifier.awaits_corroboration() {
            LATE
        } else {
            0
        };
        Ok(Slot {
            key: FlowKey {
                transport,
                src,
                dst,
            },
            classifier,
            meta,
            first_ns,
            last_ns,
            number,
            bytes: [out, inb],
            packets: [p_out, p_in],
            decided_at,
            index: index as u32,
            generation,
            tag: 0,
            asked: 0,
            stream,
            flags: flags | late,
            end: None,
        })
    }
}
