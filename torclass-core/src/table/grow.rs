//! A table that grows: [`FlowTable::set_growable`] and [`FlowTable::grow`].
//!
//! The core never allocates, so a table cannot grow by itself; but a caller that can (the
//! capture side, over boxed slots) may start small and move the flows into more slots when
//! they are needed. Memory is then touched as flows arrive rather than all at start-up, and a
//! large `--max-flows` costs nothing until used.
//!
//! A growable table never ends a live flow to make room: when a new flow's window holds no
//! free slot and no flow past its timeout by more than [`LATE_NS`], [`FlowTable::process`]
//! returns [`TableError::Full`](super::TableError::Full) having changed nothing, and the
//! caller grows the table and processes the packet again. Such a flow gives its slot instead
//! (it ended when its timeout ran out, whatever notices: its tuple, the caller's timer, a
//! full window; the record is the same). So, while it grows, its flows end as they would in a
//! table that had all its slots from the start and never met a full window, for packets up to
//! [`LATE_NS`] out of time order. Once it may grow no more, the caller turns growing off and
//! the [eviction policy](super#eviction-policy) applies as in any table.

use super::{flow_hash, FlowTable, Held, Slot, IN_USE, MAX_SLOTS, PROBE};
use crate::observer::Observer;

/// How far out of time order a packet may come and still meet its flow in a growable table: a
/// new flow takes the slot of a flow past its timeout only if the timeout ran out this long
/// before (10 s: captures merged from several interfaces are out of order by far less), so
/// that a late packet of that flow finds it as in a table that never filled.
pub const LATE_NS: u64 = 10_000_000_000;

impl<S, M, R> FlowTable<S, M, R>
where
    S: AsRef<[Slot<M>]> + AsMut<[Slot<M>]>,
    M: Observer + Default,
    R: AsRef<[Held]> + AsMut<[Held]>,
{
    /// While `growable`, a new flow whose window has no free slot ends no live flow (only one
    /// past its timeout by more than [`LATE_NS`]): [`FlowTable::process`] returns
    /// [`TableError::Full`](super::TableError::Full) instead,
    /// leaving the table as it was, so that the caller can [`FlowTable::grow`] it and process
    /// the packet again. Off by default.
    pub fn set_growable(&mut self, growable: bool) {
        self.growable = growable;
    }

    /// Whether the table is growable ([`FlowTable::set_growable`]).
    pub fn growable(&self) -> bool {
        self.growable
    }

    /// Move every flow into `slots` (their content is discarded), which become the table's,
    /// and return the old slots (`Ok`) for the caller to free. Flows keep their state,
    /// counters, generation and held segments; each goes to the first free slot of its window
    /// in the new slots, in the order of the old slots. When some flow would find no free slot
    /// there, nothing changes and `slots` come back (`Err`): give more. Slot indices change,
    /// so handles taken before are stale: take them afresh. Expiry starts again at the first
    /// slot. Work is two passes over both slot arrays.
    pub fn grow(&mut self, mut slots: S) -> Result<S, S> {
        for slot in slots.as_mut().iter_mut() {
            slot.flags = 0;
            slot.generation = 0;
        }
        // First find a place for every flow, marking the places taken; then move them there.
        let seed = self.config.seed;
        let fits = place(self.slots.as_mut(), slots.as_mut(), seed, |_, _, _| {});
        for slot in slots.as_mut().iter_mut() {
            slot.flags = 0;
        }
        if !fits {
            return Err(slots);
        }
        let store = &mut self.store;
        place(
            self.slots.as_mut(),
            slots.as_mut(),
            seed,
            |from, to, index| {
                from.stream
                    .reown_held(store, from.index, from.generation, index);
                let mut moved = core::mem::take(from);
                moved.index = index;
                *to = moved;
            },
        );
        self.cursor = 0;
        Ok(core::mem::replace(&mut self.slots, slots))
    }
}

/// Give each flow of `old`, in slot order, the first slot of its window in `new` not taken
/// (marked in use) yet, and `put` it there (with that slot's index); false when one finds none.
fn place<M>(
    old: &mut [Slot<M>],
    new: &mut [Slot<M>],
    seed: u64,
    mut put: impl FnMut(&mut Slot<M>, &mut Slot<M>, u32),
) -> bool {
    let len = new.len().min(MAX_SLOTS);
    for slot in old.iter_mut().take(MAX_SLOTS) {
        if !slot.in_use() {
            continue;
        }
        let Some(start) = (flow_hash(&slot.key, seed) as usize).checked_rem(len) else {
            return false;
        };
        let free = (0..PROBE.min(len))
            .map(|i| start.wrapping_add(i).checked_rem(len).unwrap_or(0))
            .find(|&i| new.get(i).is_some_and(|s| !s.in_use()));
        let (Some(to), Some(index)) = (
            free.and_then(|i| new.get_mut(i)),
            free.and_then(|i| u32::try_from(i).ok()),
        ) else {
            return false;
        };
        put(slot, to, index);
        to.flags |= IN_USE;
    }
    true
}
