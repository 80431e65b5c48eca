//! A flow's TCP tracking in a snapshot: next expected bytes, urgent bytes, flags, resyncs. The
//! out-of-order chains are the table's to write (`table/snapshot.rs`).

use super::Stream;
use crate::snapshot::{check, Reader, SnapshotError, Writer};
use crate::table::MIDSTREAM_RESYNCS;

impl Stream {
    pub(in crate::table) fn save(&self, w: &mut Writer<'_>) {
        for v in self.next_seq.iter().chain(&self.urgent) {
            w.u32(*v);
        }
        w.u8(self.flags);
        w.u8(self.resyncs);
    }

    /// The stream [`Stream::save`] wrote, holding nothing in the store yet.
    pub(in crate::table) fn restore(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        let next_seq = [r.u32()?, r.u32()?];
        let urgent = [r.u32()?, r.u32()?];
        let flags = r.u8()?;
        let resyncs = r.u8()?;
        check(resyncs <= MIDSTREAM_RESYNCS, "resync count")?;
        Ok(Self {
            next_seq,
            urgent,
            held: [0, 0],
            flags,
            resyncs,
        })
    }

    /// Each side's chain in the out-of-order store (first entry + 1, or 0).
    pub(in crate::table) fn held(&self) -> [u32; 2] {
        self.held
    }

    pub(in crate::table) fn set_held(&mut self, held: [u32; 2]) {
        self.held = held;
    }
}
