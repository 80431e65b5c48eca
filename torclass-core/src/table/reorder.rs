//! The out-of-order store: TCP segments that arrived ahead of the next expected byte, held in
//! caller-provided storage until the hole before them fills, so that the reordered early
//! segments of a flow are read in stream order.
//!
//! The store is a slice of [`Held`] entries ([`Held::SIZE`] bytes each) given to
//! [`FlowTable::with_reorder`](super::FlowTable::with_reorder). Copying a segment's payload into
//! it is the one place the core copies payload, into storage the caller provides and sizes.
//!
//! Bounds:
//! - per entry: the first [`HELD_BYTES`] bytes of the segment (the rest is a hole);
//! - per flow: [`HELD_PER_SIDE`] entries for each direction while the flow is undecided,
//!   [`HELD_PER_SIDE_DECIDED`] once it has a verdict, kept in sequence order;
//! - per table: the storage's length; entries are handed out in storage order, then from a
//!   free list of those given back, both O(1);
//! - a segment is held only while the classifier still reads its flow (undecided, or decided
//!   with evidence still to come: a flow reads a bounded number of bytes per side, see
//!   [`crate::flow::SIDE_BUDGET`], and then nothing), so only a flow's first bytes ever use
//!   the store; and only if it starts less than [`HOLD_WINDOW`] bytes ahead.
//!
//! An entry not handed out yet is never read, so the storage's content does not matter: storage
//! taken zeroed from the allocator (with the `bytemuck` feature, `bytemuck::zeroed_slice_box`)
//! is touched only as segments are held, at most as far as the most entries ever in use at
//! once.
//!
//! Holding after the decision too (not only while undecided) is what keeps the evidence and
//! metadata (a peer id, an extension handshake read after a handshake confirmed the flow)
//! independent of reordering, as the verdict is.
//!
//! Overlapping segments are settled as the receiver the flow is sent to settles them, which for
//! full covers is Linux's `tcp_data_queue_ofo` (net/ipv4/tcp_input.c; Suricata calls such choices
//! OS policies): a new segment that a held one covers whole is dropped (the same bytes twice keep
//! the first); held segments that a new one covers whole are given back, the new one taking their
//! place (junk one byte shorter, then the real bytes at the same sequence number, read as the
//! real bytes); segments that overlap in part are both held, and the earlier one's bytes are read
//! first (the in-order queue trims the later one, `tcp_ofo_queue`). A segment that continues the
//! stream is read at once, so bytes already read win over any held copy (RFC 9293 §3.10.7.4).
//! Coverage counts the bytes on the wire and the bytes kept (a copy cut by the capture covers
//! less).
//!
//! When a side's limit is reached, or the store is empty, the held segments before the new one
//! are read with a gap before each hole, as segments are read without a store. Entries of a
//! flow that has nothing more to read, or leaves the table, are given back unread.

mod snapshot;

/// Payload bytes an entry keeps: one Ethernet-sized TCP segment (MSS 1460 over IPv4).
pub const HELD_BYTES: usize = 1460;

/// Segments each direction of a flow may hold at once while the flow is undecided: a request
/// cut into that many segments plus one, sent last first (zapret's `multidisorder`), is read
/// in order. The entries come from the table's shared store, so this bounds one flow's share
/// of it, not the per-flow state (a chain's head is all a flow keeps).
pub const HELD_PER_SIDE: u8 = 16;

/// Segments each direction may hold once the flow has a verdict (held then only for the
/// evidence and metadata still to come).
pub const HELD_PER_SIDE_DECIDED: u8 = 4;

/// How far ahead of the next expected byte a segment may start and still be held: one
/// unscaled TCP window (RFC 9293 §3.1). Farther is no reordering of early segments.
pub const HOLD_WINDOW: u32 = 1 << 16;

/// One held segment; see the module docs.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "bytemuck", derive(bytemuck::Zeroable))]
pub struct Held {
    /// Slot index of the flow.
    owner: u32,
    /// The flow's slot generation.
    generation: u32,
    /// Sequence number of the first byte.
    pub(super) seq: u32,
    /// Payload length on the wire (more than `len` when cut by the capture or the store).
    pub(super) wire_len: u32,
    /// Next entry + 1 in the side's chain, or in the free list; 0 ends it.
    next: u32,
    /// Bytes kept.
    len: u16,
    /// The direction (0 initiator, 1 responder).
    side: u8,
    in_use: bool,
    bytes: [u8; HELD_BYTES],
}

const _: () = assert!(Held::SIZE <= HELD_BYTES + 24, "Held grew");

impl Default for Held {
    fn default() -> Self {
        Self {
            owner: 0,
            generation: 0,
            seq: 0,
            wire_len: 0,
            next: 0,
            len: 0,
            side: 0,
            in_use: false,
            bytes: [0; HELD_BYTES],
        }
    }
}

impl Held {
    /// Size of one entry in bytes, to size storage by memory budget.
    pub const SIZE: usize = core::mem::size_of::<Self>();

    /// The bytes kept.
    pub(super) fn bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

/// A segment's bytes as distances from the next expected byte: where it starts, where its
/// bytes on the wire end, and where the bytes kept end.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    wire_end: u32,
    kept_end: u32,
}

impl Span {
    fn new(start: u32, wire_len: u32, kept: usize) -> Self {
        Self {
            start,
            wire_end: start.wrapping_add(wire_len),
            kept_end: start.wrapping_add(kept as u32),
        }
    }

    fn of(e: &Held, base: u32) -> Self {
        Self::new(e.seq.wrapping_sub(base), e.wire_len, usize::from(e.len))
    }

    /// Whether every byte of `other`, on the wire and kept, is in this one. Held segments lie
    /// within [`HOLD_WINDOW`] + one segment of the base, so the distances do not wrap.
    fn covers(&self, other: &Self) -> bool {
        self.start <= other.start
            && self.wire_end >= other.wire_end
            && self.kept_end >= other.kept_end
    }
}

/// What [`Store::hold`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hold {
    /// The segment is held.
    Held,
    /// A held segment covers it (a retransmission, or a shorter copy sent again).
    Duplicate,
    /// No entry is free.
    Full,
}

/// Who a chain belongs to: a flow's slot, its generation and a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Owner {
    pub index: u32,
    pub generation: u32,
    pub side: u8,
}

/// The store: entries, the head of the free list and how many entries were handed out.
pub(super) struct Store<R> {
    entries: R,
    /// First entry of the free list (entries given back) + 1; 0 when it is empty.
    free: u32,
    /// Entries handed out so far: those from this one on have never been, and are not read.
    fresh: u32,
    /// Entries in use.
    used: u32,
}

/// Entries a store uses at most (indices are `u32`, 0 is "none").
const MAX_ENTRIES: usize = (u32::MAX - 1) as usize;

impl<R: AsRef<[Held]> + AsMut<[Held]>> Store<R> {
    /// A store over `entries`, all free; they are not visited (nor read before being written).
    pub fn new(entries: R) -> Self {
        Self {
            entries,
            free: 0,
            fresh: 0,
            used: 0,
        }
    }

    /// Entries in use.
    pub fn used(&self) -> u32 {
        self.used
    }

    /// Number of entries.
    pub fn capacity(&self) -> usize {
        self.entries.as_ref().len().min(MAX_ENTRIES)
    }

    /// A free entry's index, taken off the free list, else the first never handed out.
    fn take(&mut self) -> Option<usize> {
        if let Some(index) = (self.free as usize).checked_sub(1) {
            self.free = self.entries.as_ref().get(index)?.next;
            return Some(index);
        }
        let index = self.fresh as usize;
        if index >= self.capacity() {
            return None;
        }
        self.fresh = self.fresh.saturating_add(1);
        Some(index)
    }

    /// Entry `link - 1` if it is in use by `owner`.
    fn owned(&self, link: u32, owner: Owner) -> Option<&Held> {
        if link > self.fresh {
            return None;
        }
        let e = self.entries.as_ref().get((link as usize).checked_sub(1)?)?;
        (e.in_use
            && e.owner == owner.index
            && e.generation == owner.generation
            && e.side == owner.side)
            .then_some(e)
    }

    /// The first entry of the chain at `head` (an owner's), if any.
    pub fn first(&self, head: u32, owner: Owner) -> Option<&Held> {
        self.owned(head, owner)
    }

    /// Number of entries in the chain at `head`, at most [`HELD_PER_SIDE`] + 1 visited.
    pub fn chain_len(&self, head: u32, owner: Owner) -> u8 {
        let mut n = 0u8;
        let mut link = head;
        while let Some(e) = self.owned(link, owner) {
            n = n.saturating_add(1);
            if n > HELD_PER_SIDE {
                break;
            }
            link = e.next;
        }
        n
    }

    /// Hold a copy of `payload` (its first [`HELD_BYTES`]) starting at `seq` in the chain at
    /// `*head`, in order of distance from `base` (the next expected byte), overlaps settled as
    /// Linux's `tcp_data_queue_ofo` settles them (see the module docs): a segment that a held
    /// one covers is not held ([`Hold::Duplicate`]), held segments that it covers are given
    /// back. [`Hold::Full`] when no entry is free.
    pub fn hold(
        &mut self,
        head: &mut u32,
        owner: Owner,
        base: u32,
        seq: u32,
        payload: &[u8],
        wire_len: u32,
    ) -> Hold {
        let kept = payload.len().min(HELD_BYTES);
        let new = Span::new(seq.wrapping_sub(base), wire_len.max(kept as u32), kept);
        // Find the link after which the segment goes: the last entry starting before it, or
        // at the same byte without being covered by it.
        let mut prev: Option<u32> = None;
        let mut link = *head;
        let mut steps = 0u8;
        while let Some(e) = self.owned(link, owner) {
            steps = steps.saturating_add(1);
            let held = Span::of(e, base);
            if held.start > new.start || steps > HELD_PER_SIDE {
                break;
            }
            if held.covers(&new) {
                return Hold::Duplicate;
            }
            if held.start == new.start && new.covers(&held) {
                break;
            }
            prev = Some(link);
            link = e.next;
        }
        let Some(index) = self.take() else {
            return Hold::Full;
        };
        let Some(entry) = self.entries.as_mut().get_mut(index) else {
            return Hold::Full;
        };
        entry.owner = owner.index;
        entry.generation = owner.generation;
        entry.side = owner.side;
        entry.seq = seq;
        entry.wire_len = new.wire_end.wrapping_sub(new.start);
        entry.len = kept as u16;
        entry.in_use = true;
        if let (Some(dst), Some(src)) = (entry.bytes.get_mut(..kept), payload.get(..kept)) {
            dst.copy_from_slice(src);
        }
        entry.next = link;
        let me = index.saturating_add(1) as u32;
        match prev.and_then(|p| (p as usize).checked_sub(1)) {
            Some(p) => {
                if let Some(e) = self.entries.as_mut().get_mut(p) {
                    e.next = me;
                }
            }
            None => *head = me,
        }
        self.used = self.used.saturating_add(1);
        // Give back the entries after it that it covers, up to the first it does not.
        for _ in 0..=HELD_PER_SIDE {
            let Some(e) = self.owned(link, owner) else {
                break;
            };
            if !new.covers(&Span::of(e, base)) {
                break;
            }
            let after = e.next;
            self.give_back(link);
            if let Some(entry) = self.entries.as_mut().get_mut(index) {
                entry.next = after;
            }
            link = after;
        }
        Hold::Held
    }

    /// Put entry `link - 1` on the free list.
    fn give_back(&mut self, link: u32) {
        if let Some(entry) = (link as usize)
            .checked_sub(1)
            .and_then(|i| self.entries.as_mut().get_mut(i))
        {
            entry.in_use = false;
            entry.next = self.free;
            self.free = link;
            self.used = self.used.saturating_sub(1);
        }
    }

    /// Take the chain's first entry off it (the head moves on) and give it back to the free
    /// list.
    pub fn pop(&mut self, head: &mut u32, owner: Owner) {
        let Some(e) = self.owned(*head, owner) else {
            *head = 0;
            return;
        };
        let next = e.next;
        self.give_back(*head);
        *head = next;
    }

    /// Hand the chain at `head` (`owner`'s) to the same flow moved to slot `index`.
    pub fn reown(&mut self, head: u32, owner: Owner, index: u32) {
        let mut link = head;
        for _ in 0..=HELD_PER_SIDE {
            if self.owned(link, owner).is_none() {
                break;
            }
            let Some(e) = (link as usize)
                .checked_sub(1)
                .and_then(|i| self.entries.as_mut().get_mut(i))
            else {
                break;
            };
            e.owner = index;
            link = e.next;
        }
    }

    /// Give every entry of the chain back, unread.
    pub fn clear(&mut self, head: &mut u32, owner: Owner) {
        for _ in 0..=HELD_PER_SIDE {
            if *head == 0 {
                break;
            }
            self.pop(head, owner);
        }
        *head = 0;
    }
}
