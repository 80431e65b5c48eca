//! TCP stream tracking for the flow table: each direction's next expected sequence number, the
//! urgent byte, and the out-of-order store's chains (RFC 9293 §3.4, §3.10.7.4).
//!
//! - Retransmitted and duplicated bytes are not fed twice; overlapping segments are fed from
//!   the first new byte.
//! - A segment ahead of the next expected byte is held in the out-of-order store
//!   ([`super::reorder`]) while the classifier still reads the flow, and fed when the hole
//!   before it fills. Without room the classifier is told of the hole
//!   ([`FlowClassifier::gap`]) instead of being fed misaligned bytes: reordering can then delay
//!   or prevent a decision but never produce a wrong one.
//! - The urgent byte is not part of the stream the application reads: with URG set, the byte
//!   at `seq + urgent pointer − 1` (RFC 6093 §3; Linux and BSD without `SO_OOBINLINE`, as
//!   BitTorrent clients run, deliver it out of band) is cut out before feeding, whichever
//!   segment carries it. An urgent pointer of 0 names the segment's first byte, as in Linux's
//!   `tcp_check_urg`. One urgent byte per direction is pending at a time; a later pointer
//!   replaces an earlier one, a pointer at or before one already seen is ignored.
//! - Data in a SYN is part of the stream only if the receiver took it (TCP Fast Open,
//!   RFC 7413); without a cookie Linux drops it and the sender sends the real bytes again after
//!   the SYN, so junk in a SYN could otherwise hide what follows. It waits in the out-of-order
//!   store at its next expected byte until the other side's acknowledgment, or the sender's
//!   next segment, tells whether it was taken (see `Reader::settle_syn_data`). This needs no
//!   state bit: no other held segment starts at the next expected byte. Without a store entry
//!   for it, or if nothing settles it before the connection closes, it is read as it came.
//! - A SYN sets its side's next expected byte only while the flow carries no data: once data
//!   flowed, a SYN (a bogus one, or a SYN-ACK retransmission) cannot reset tracking. The table
//!   ends the flow instead when the SYN opens a new connection (see the module docs above).

use super::reorder::{Hold, Owner, Store, HELD_PER_SIDE, HELD_PER_SIDE_DECIDED, HOLD_WINDOW};
use super::{Held, TableStats, MIDSTREAM_RESYNCS};
use crate::flow::FlowClassifier;
use crate::observer::Observer;
use crate::packet::{TcpFlags, TcpInfo};
use crate::verdict::{Direction, Verdict};

mod snapshot;

// Stream flags.
const SEQ_KNOWN: [u8; 2] = [1, 2];
const FIN: [u8; 2] = [4, 8];
const RST: u8 = 16;
const URGENT: [u8; 2] = [32, 64];
/// Payload seen from either side.
const DATA: u8 = 128;

/// The per-slot TCP tracking state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Stream {
    next_seq: [u32; 2],
    /// Sequence number of each side's pending urgent byte (valid with its `URGENT` flag).
    urgent: [u32; 2],
    /// Each side's chain in the out-of-order store: first entry + 1, or 0.
    held: [u32; 2],
    flags: u8,
    resyncs: u8,
}

impl Stream {
    /// A reset, or FIN from both sides.
    pub fn closed(&self) -> bool {
        self.flags & RST != 0 || self.flags & (FIN[0] | FIN[1]) == FIN[0] | FIN[1]
    }

    /// Payload flowed.
    pub fn established(&self) -> bool {
        self.flags & DATA != 0
    }

    /// Note how the connection ends (a flow with nothing more to read).
    pub fn note_close(&mut self, direction: Direction, tcp: &TcpInfo) {
        if tcp.flags.contains(TcpFlags::RST) {
            self.flags |= RST;
        }
        if tcp.flags.contains(TcpFlags::FIN) {
            self.flags |= FIN.get(direction.index()).copied().unwrap_or(0);
        }
    }

    /// Whether either side holds segments in the store.
    pub fn holds(&self) -> bool {
        self.held != [0, 0]
    }

    /// Hand the held segments of both sides to the same flow moved to slot `to`.
    pub fn reown_held<R>(&self, store: &mut Store<R>, index: u32, generation: u32, to: u32)
    where
        R: AsRef<[Held]> + AsMut<[Held]>,
    {
        for (owner, head) in owners(index, generation).zip(self.held) {
            store.reown(head, owner, to);
        }
    }

    /// Give the held segments of both sides back, unread.
    pub fn clear_held<R>(&mut self, store: &mut Store<R>, index: u32, generation: u32)
    where
        R: AsRef<[Held]> + AsMut<[Held]>,
    {
        for (owner, head) in owners(index, generation).zip(self.held.iter_mut()) {
            store.clear(head, owner);
        }
    }
}

/// What settles a side's SYN data.
#[derive(Clone, Copy, Debug)]
enum Settle {
    /// The other side's acknowledgment number.
    Ack(u32),
    /// The sequence number of the side's next segment with data.
    Data(u32),
}

/// What reading one segment needs: the flow's parts, the table's counters and store.
pub(super) struct Reader<'a, O, R> {
    pub feed: Feed<'a, O>,
    pub store: &'a mut Store<R>,
    /// The flow's slot index and generation (owner of its held segments).
    pub index: u32,
    pub generation: u32,
}

/// The parts of a flow that feeding bytes changes.
pub(super) struct Feed<'a, O> {
    pub classifier: &'a mut FlowClassifier,
    pub observer: &'a mut O,
    pub stats: &'a mut TableStats,
    pub stream: &'a mut Stream,
    /// The flow was first seen without its SYN.
    pub midstream: bool,
}

impl<O: Observer, R: AsRef<[Held]> + AsMut<[Held]>> Reader<'_, O, R> {
    /// Track one segment sent by `direction` and feed what it adds to the stream.
    pub fn segment(&mut self, direction: Direction, tcp: &TcpInfo, payload: &[u8], wire_len: u32) {
        let d = direction.index();
        let known = SEQ_KNOWN.get(d).copied().unwrap_or(0);
        let stream = &mut *self.feed.stream;
        let mut seq = tcp.seq;
        if tcp.flags.contains(TcpFlags::SYN) {
            // The SYN takes one sequence number; data (rare) starts after it.
            seq = seq.wrapping_add(1);
            if !stream.established() || stream.flags & known == 0 {
                if let Some(next) = stream.next_seq.get_mut(d) {
                    *next = seq;
                }
                stream.flags |= known;
            }
        }
        if tcp.flags.contains(TcpFlags::RST) {
            stream.flags |= RST;
        }
        if tcp.flags.contains(TcpFlags::ACK) {
            self.settle_syn_data(direction.reverse(), Settle::Ack(tcp.ack));
        }
        if !payload.is_empty() {
            let stream = &mut *self.feed.stream;
            if stream.flags & known == 0 {
                if let Some(next) = stream.next_seq.get_mut(d) {
                    *next = seq;
                }
                stream.flags |= known;
            }
            stream.flags |= DATA;
            if tcp.flags.contains(TcpFlags::URG) {
                self.feed.mark_urgent(direction, seq, tcp.urgent);
            }
            let wire_len = wire_len.max(payload.len() as u32);
            let opening = tcp.flags.contains(TcpFlags::SYN) && !tcp.flags.contains(TcpFlags::ACK);
            if !(opening && self.hold_syn_data(direction, seq, payload, wire_len)) {
                self.settle_syn_data(direction, Settle::Data(seq));
                self.arrive(direction, seq, payload, wire_len);
            }
        }
        if tcp.flags.contains(TcpFlags::FIN) {
            self.feed.stream.flags |= FIN.get(d).copied().unwrap_or(0);
        }
        let closed = self.feed.stream.closed();
        if closed {
            // Nothing more will settle it: SYN data still waiting is read as it came.
            for side in [Direction::Initiator, Direction::Responder] {
                if self.syn_data(side).is_some() {
                    self.release(side, None);
                }
            }
            self.feed.classifier.finish();
        }
        if self.feed.stream.holds() && (closed || self.feed.classifier.is_done()) {
            self.feed
                .stream
                .clear_held(self.store, self.index, self.generation);
        }
    }

    fn owner(&self, direction: Direction) -> Owner {
        Owner {
            index: self.index,
            generation: self.generation,
            side: direction.index() as u8,
        }
    }

    /// Hold the data of a SYN (without ACK) at its next expected byte, where it waits to be
    /// settled ([`Self::settle_syn_data`]). False when it cannot wait (no store, no free
    /// entry, or the side holds segments already): it is then read as it came.
    fn hold_syn_data(
        &mut self,
        direction: Direction,
        seq: u32,
        payload: &[u8],
        wire_len: u32,
    ) -> bool {
        let owner = self.owner(direction);
        let Some(head) = self.feed.stream.held.get_mut(direction.index()) else {
            return false;
        };
        if *head != 0 || self.store.capacity() == 0 {
            return false;
        }
        match self.store.hold(head, owner, seq, seq, payload, wire_len) {
            Hold::Held => {
                self.feed.stats.held_segments = self.feed.stats.held_segments.saturating_add(1);
                true
            }
            Hold::Duplicate | Hold::Full => false,
        }
    }

    /// The length on the wire of `direction`'s SYN data waiting to be settled: the side's first
    /// held segment when it starts at the next expected byte (any other held segment starts
    /// ahead of it, being read as soon as the stream reaches it).
    fn syn_data(&self, direction: Direction) -> Option<u32> {
        let d = direction.index();
        let head = self.feed.stream.held.get(d).copied().unwrap_or(0);
        let held = self.store.first(head, self.owner(direction))?;
        let next = self.feed.stream.next_seq.get(d).copied()?;
        (held.seq == next).then_some(held.wire_len)
    }

    /// Read or drop `direction`'s waiting SYN data by what a later segment shows (RFC 9293
    /// §3.10.7.3, RFC 7413 §3): a receiver takes SYN data only with a Fast Open cookie, and
    /// then acknowledges it in its SYN-ACK; otherwise (Linux `tcp_conn_request` without
    /// `tcp_try_fastopen`) it drops it, acknowledges the SYN alone, and the sender sends the
    /// bytes again after the SYN.
    /// - An acknowledgment from the other side beyond the SYN reads it; one of the SYN alone
    ///   drops it. A real sender's data after the handshake acknowledges the SYN-ACK, so in a
    ///   capture of both sides the SYN-ACK settles it before any later data.
    /// - Without the other side (a one-sided capture), the sender's next segment settles it:
    ///   one starting inside the SYN data sends those bytes again (dropped SYN data), one
    ///   starting where it ends continues it (taken SYN data); one farther is held as usual
    ///   and settles nothing.
    fn settle_syn_data(&mut self, direction: Direction, by: Settle) {
        let Some(len) = self.syn_data(direction) else {
            return;
        };
        let next = self
            .feed
            .stream
            .next_seq
            .get(direction.index())
            .copied()
            .unwrap_or(0);
        let taken = match by {
            Settle::Ack(ack) => match (ack.wrapping_sub(next) as i32).signum() {
                1 => true,
                0 => false,
                _ => return,
            },
            Settle::Data(seq) => {
                let at = seq.wrapping_sub(next);
                if at == len {
                    true
                } else if (at as i32) < 0 || at < len {
                    false
                } else {
                    return;
                }
            }
        };
        if taken {
            self.release(direction, None);
        } else {
            let owner = self.owner(direction);
            if let Some(head) = self.feed.stream.held.get_mut(direction.index()) {
                self.store.pop(head, owner);
            }
        }
    }

    /// A segment with payload, starting at `seq`.
    fn arrive(&mut self, direction: Direction, seq: u32, payload: &[u8], wire_len: u32) {
        let d = direction.index();
        let next = self.feed.stream.next_seq.get(d).copied().unwrap_or(seq);
        let ahead = seq.wrapping_sub(next) as i32;
        if ahead > 0 {
            let owner = self.owner(direction);
            let head = self.feed.stream.held.get(d).copied().unwrap_or(0);
            let may_hold = self.store.capacity() > 0
                && (ahead as u32) < HOLD_WINDOW
                && !self.feed.classifier.is_done()
                && self.store.chain_len(head, owner) < self.held_limit();
            if may_hold {
                let Some(head) = self.feed.stream.held.get_mut(d) else {
                    return;
                };
                match self.store.hold(head, owner, next, seq, payload, wire_len) {
                    Hold::Held => {
                        self.feed.stats.held_segments =
                            self.feed.stats.held_segments.saturating_add(1);
                        return;
                    }
                    Hold::Duplicate => {
                        let stats = &mut *self.feed.stats;
                        stats.duplicate_bytes =
                            stats.duplicate_bytes.saturating_add(payload.len() as u64);
                        return;
                    }
                    Hold::Full => {
                        self.feed.stats.store_full = self.feed.stats.store_full.saturating_add(1);
                    }
                }
            }
            // The hole before this segment is given up: read what was held before it first.
            self.release(direction, Some(ahead as u32));
        }
        self.feed.deliver(direction, seq, payload, wire_len);
        self.release(direction, None);
    }

    /// How many segments a side may hold now (see [`HELD_PER_SIDE`]).
    fn held_limit(&self) -> u8 {
        if self.feed.classifier.verdict() == Verdict::Undecided {
            HELD_PER_SIDE
        } else {
            HELD_PER_SIDE_DECIDED
        }
    }

    /// Feed the side's held segments in order: those starting less than `before` bytes ahead
    /// of the next expected byte (with a gap before each hole), or, with `None`, those that
    /// now continue the stream.
    fn release(&mut self, direction: Direction, before: Option<u32>) {
        let d = direction.index();
        let owner = self.owner(direction);
        for _ in 0..=HELD_PER_SIDE {
            let head = self.feed.stream.held.get(d).copied().unwrap_or(0);
            let Some(held) = self.store.first(head, owner) else {
                break;
            };
            let next = self
                .feed
                .stream
                .next_seq
                .get(d)
                .copied()
                .unwrap_or(held.seq);
            let ahead = held.seq.wrapping_sub(next) as i32;
            let take = match before {
                Some(limit) => ahead <= 0 || (ahead as u32) < limit,
                None => ahead <= 0,
            };
            if !take {
                break;
            }
            self.feed
                .deliver(direction, held.seq, held.bytes(), held.wire_len);
            self.feed.stats.reordered = self.feed.stats.reordered.saturating_add(1);
            if let Some(head) = self.feed.stream.held.get_mut(d) {
                self.store.pop(head, owner);
            }
        }
    }
}

impl<O: Observer> Feed<'_, O> {
    /// Note the urgent byte a URG segment starting at `seq` points to.
    fn mark_urgent(&mut self, direction: Direction, seq: u32, pointer: u16) {
        let d = direction.index();
        let flag = URGENT.get(d).copied().unwrap_or(0);
        let byte = seq.wrapping_add(u32::from(pointer.saturating_sub(1)));
        let next = self.stream.next_seq.get(d).copied().unwrap_or(seq);
        if (byte.wrapping_sub(next) as i32) < 0 {
            return; // already read
        }
        if let Some(pending) = self.stream.urgent.get_mut(d) {
            if self.stream.flags & flag != 0 && (byte.wrapping_sub(*pending) as i32) <= 0 {
                return; // not beyond the urgent byte already known
            }
            *pending = byte;
            self.stream.flags |= flag;
        }
    }

    /// Feed the bytes of a segment starting at `seq` that the stream has not had yet; `wire_len`
    /// is its payload length on the wire (more than `bytes.len()` when the capture cut it).
    fn deliver(&mut self, direction: Direction, seq: u32, bytes: &[u8], wire_len: u32) {
        let d = direction.index();
        let next = self.stream.next_seq.get(d).copied().unwrap_or(seq);
        // Signed distance from the next expected byte (RFC 9293 §3.4 sequence arithmetic).
        let ahead = seq.wrapping_sub(next) as i32;
        let end = seq.wrapping_add(wire_len);
        let (start, new_bytes): (u32, &[u8]) = if ahead == 0 {
            (seq, bytes)
        } else if ahead < 0 {
            let skip = ahead.unsigned_abs() as usize;
            self.stats.duplicate_bytes = self
                .stats
                .duplicate_bytes
                .saturating_add(skip.min(bytes.len()) as u64);
            // The side's first bytes again, covering all it sent: maybe not what the receiver
            // got the first time (`FlowClassifier::reread`).
            if skip <= bytes.len() && self.classifier.reread(direction, ahead.unsigned_abs()) {
                (seq, bytes)
            } else {
                (next, bytes.get(skip..).unwrap_or_default())
            }
        } else {
            self.stats.gaps = self.stats.gaps.saturating_add(1);
            self.classifier.gap(direction);
            (seq, bytes)
        };
        if !new_bytes.is_empty() {
            if self.midstream
                && self.stream.resyncs < MIDSTREAM_RESYNCS
                && self.classifier.resync(direction)
            {
                self.stream.resyncs = self.stream.resyncs.saturating_add(1);
            }
            self.feed_excising_urgent(direction, start, new_bytes);
        }
        if (bytes.len() as u32) < wire_len && end.wrapping_sub(next) as i32 > 0 {
            // The capture (or the store) cut this segment: the rest of its bytes are a hole.
            self.classifier.gap(direction);
        }
        if end.wrapping_sub(next) as i32 > 0 {
            if let Some(n) = self.stream.next_seq.get_mut(d) {
                *n = end;
            }
        }
    }

    /// Feed `bytes` (stream bytes from `seq` on), without the pending urgent byte.
    fn feed_excising_urgent(&mut self, direction: Direction, seq: u32, bytes: &[u8]) {
        let d = direction.index();
        let flag = URGENT.get(d).copied().unwrap_or(0);
        if self.stream.flags & flag != 0 {
            let at = self
                .stream
                .urgent
                .get(d)
                .map_or(0, |u| u.wrapping_sub(seq) as i32);
            if at < 0 {
                // The urgent byte was in a part of the stream never fed (a hole).
                self.stream.flags &= !flag;
            } else if let (Some(before), Some(after)) = (
                bytes.get(..at as usize),
                bytes.get((at as usize).saturating_add(1)..),
            ) {
                self.stream.flags &= !flag;
                self.stats.urgent_bytes = self.stats.urgent_bytes.saturating_add(1);
                self.classifier.feed_with(direction, before, self.observer);
                self.classifier.feed_with(direction, after, self.observer);
                return;
            }
        }
        self.classifier.feed_with(direction, bytes, self.observer);
    }
}

/// The owners of the chains of both sides of the flow in slot `index`, initiator first.
fn owners(index: u32, generation: u32) -> impl Iterator<Item = Owner> {
    (0..2u8).map(move |side| Owner {
        index,
        generation,
        side,
    })
}
