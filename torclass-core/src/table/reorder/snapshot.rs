//! The out-of-order store in a snapshot: each chain is written in order (its entries' sequence
//! numbers, lengths and bytes), and restored into entries taken afresh, so no link of the
//! snapshot is trusted.

use super::{Held, Owner, Store, HELD_BYTES, HELD_PER_SIDE};
use crate::snapshot::{check, Reader, SnapshotError, Writer};

impl<R: AsRef<[Held]> + AsMut<[Held]>> Store<R> {
    /// Every entry free again, as [`Store::new`] leaves them (none handed out).
    pub(in crate::table) fn reset(&mut self) {
        self.free = 0;
        self.fresh = 0;
        self.used = 0;
    }

    /// Write the chain at `head` (at most [`HELD_PER_SIDE`] entries): its length, then each
    /// entry's sequence number, length on the wire, bytes kept and the bytes.
    pub(in crate::table) fn save_chain(&self, head: u32, owner: Owner, w: &mut Writer<'_>) {
        let n = self.chain_len(head, owner).min(HELD_PER_SIDE);
        w.u8(n);
        let mut link = head;
        for _ in 0..n {
            let Some(e) = self.owned(link, owner) else {
                break;
            };
            w.u32(e.seq);
            w.u32(e.wire_len);
            w.u16(e.len);
            w.bytes(e.bytes());
            link = e.next;
        }
    }

    /// Read a chain [`Store::save_chain`] wrote into free entries for `owner`; its head.
    pub(in crate::table) fn restore_chain(
        &mut self,
        owner: Owner,
        r: &mut Reader<'_>,
    ) -> Result<u32, SnapshotError> {
        let n = r.u8_if("held segment count", |n| n <= HELD_PER_SIDE)?;
        let mut head = 0u32;
        let mut last: Option<usize> = None;
        for _ in 0..n {
            let seq = r.u32()?;
            let wire_len = r.u32()?;
            let len = r.u16()?;
            check(usize::from(len) <= HELD_BYTES, "held segment length")?;
            check(wire_len >= u32::from(len), "held segment wire length")?;
            let bytes = r.bytes(usize::from(len))?;
            let index = self.take().ok_or(SnapshotError::Mismatch {
                what: "out-of-order store entries",
            })?;
            let entry = self
                .entries
                .as_mut()
                .get_mut(index)
                .ok_or(SnapshotError::Invalid {
                    what: "out-of-order store",
                })?;
            entry.owner = owner.index;
            entry.generation = owner.generation;
            entry.side = owner.side;
            entry.seq = seq;
            entry.wire_len = wire_len;
            entry.len = len;
            entry.in_use = true;
            entry.next = 0;
            if let Some(dst) = entry.bytes.get_mut(..bytes.len()) {
                dst.copy_from_slice(bytes);
            }
            let me = index.saturating_add(1) as u32;
            match last.and_then(|p| self.entries.as_mut().get_mut(p)) {
                Some(prev) => prev.next = me,
                None => head = me,
            }
            last = Some(index);
            self.used = self.used.saturating_add(1);
        }
        Ok(head)
    }
}
