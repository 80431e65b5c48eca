//! [`Reassembler`]: IP fragments (IPv4, RFC 791 §3.2; IPv6, RFC 8200 §4.5) put back together
//! in storage the caller provides, so that a handshake split across fragments is read whole.
//!
//! Copying fragment data into the caller's buffer is the one place the core copies payload
//! (as the flow table keeps state in the caller's slots); nothing is allocated.
//!
//! ## Storage and limits
//! The caller gives a slice of [`FragmentSlot`]s (one datagram being reassembled each, about
//! 1.1 KiB of bookkeeping: key, times and a bitmap of the 8-byte units received) and one byte
//! buffer shared out equally among the slots. A datagram's fragmentable part is at most
//! 65,535 bytes (RFC 791's total length, RFC 8200's payload length); a slot keeps the first
//! `buffer.len() / slots.len()` bytes of it (capped at 65,535) and still tracks the rest, so a
//! datagram longer than its buffer completes with its first bytes and its full length, as a
//! capture cut by its snapshot length does ([`ReassemblyStats::cut`]).
//!
//! A datagram lives in one of [`WINDOW`] consecutive slots starting at a seeded hash of its
//! **source address**: a lookup scans at most [`WINDOW`] slots, and one source can hold at most
//! [`ReassemblyConfig::per_source`] of them. A new datagram takes a free slot, else one whose
//! datagram timed out, else it replaces the datagram of its own source that went longest
//! without a fragment once that source holds `per_source` slots, else the one in the window
//! that went longest without a fragment ([`ReassemblyStats::evicted`]). A datagram not
//! completed within [`ReassemblyConfig::timeout_ns`] (Linux's `ipfrag_time` is 30 s, the
//! default here) is dropped the next time its window is scanned.
//!
//! Eviction is what a sender could use to hide a datagram the receiver reassembles: a first
//! fragment, junk first fragments of other datagrams that never complete, then the rest
//! (issue 13, E2). Linux keeps every datagram up to a memory bound (`ipfrag_high_thresh`, 4
//! MiB; over it, new fragments are dropped) and drops a datagram only after 64 fragments from
//! its source came since its last one (`ipfrag_max_dist`, `ip_frag_too_far`). No policy over a
//! few slots tells junk from the real datagram when the eviction is due: a sender that sends
//! its junk first would beat "the first datagram stays", one that sends it in between beats
//! "the oldest goes". Least recently fed is Linux's own measure of staleness: a datagram is
//! evicted only when `per_source` (8) other datagrams of its source came since its own last
//! fragment, so the junk must come as 8 datagrams between two fragments of the real one (the
//! 4 of the earlier "oldest first" policy, counted from the first fragment, no longer do), and
//! junk sent before the datagram is what goes. The rest is a documented limit: against 64
//! Linux's.
//!
//! ## What is refused
//! Counted in [`ReassemblyStats`], never an error: a fragment cut by the capture's snapshot
//! length (its data is not all there), a fragment ending past byte 65,535, a fragment other
//! than the last whose length is not a multiple of 8 (RFC 791 §3.2, RFC 8200 §4.5), and a
//! fragment that disagrees with the datagram's end (a second last fragment ending elsewhere, a
//! fragment past the known end, a last fragment before bytes already received).
//!
//! ## Overlaps
//! [`OverlapPolicy::FirstWins`] (the default) keeps the bytes received first and fills only
//! the units still missing, so a later overlapping fragment cannot rewrite what was read:
//! that is how Linux reassembled IPv4 before 4.19 (the earlier data kept for the front of an
//! overlap). Linux since 4.19 (IPv4) and RFC 5722 (IPv6) drop the whole datagram when fragments
//! overlap; [`OverlapPolicy::Discard`] does that, except for exact duplicates (the same bytes
//! again), which both keep. Either way every fragment that overlaps received data is counted
//! ([`ReassemblyStats::overlaps`]).
//!
//! Datagrams are keyed by source, destination, identification and (IPv4) protocol, not by the
//! tunnel they came in: two tunnels carrying datagrams with the same inner key at the same
//! time mix, as two hosts would that share those addresses.

use crate::packet::{
    self, DecodeError, Fragment, FragmentKey, IpFragment, LinkType, Packet, Tunnel,
};
use core::net::IpAddr;

/// Slots a datagram may occupy from its source's hash position.
pub const WINDOW: usize = 16;

/// The largest fragmentable part of a datagram, in bytes.
pub const MAX_DATAGRAM: usize = 65_535;

/// 8-byte units in [`MAX_DATAGRAM`] (rounded up).
const UNITS: usize = MAX_DATAGRAM.div_ceil(8);

/// 64-bit words of a slot's bitmap.
const BITMAP_WORDS: usize = UNITS.div_ceil(64);

/// What to do with fragments that overlap data already received (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OverlapPolicy {
    /// Keep the bytes received first; fill only what is missing.
    FirstWins,
    /// Drop the datagram when an overlap brings different bytes (RFC 5722; Linux ≥ 4.19).
    Discard,
}

/// How a [`Reassembler`] behaves.
///
/// It may gain fields: build it from [`ReassemblyConfig::new`] (or `Default`) and the `with_`
/// setters, or assign the public fields of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReassemblyConfig {
    /// Time after its first fragment within which a datagram must complete, in nanoseconds
    /// of the caller's clock (default 30 s, Linux's `ipfrag_time`).
    pub timeout_ns: u64,
    /// Datagrams one source may have in reassembly at once (default 8, at most [`WINDOW`]).
    pub per_source: usize,
    /// What overlapping fragments do (default [`OverlapPolicy::FirstWins`]).
    pub overlap: OverlapPolicy,
    /// Seed of the source hash; pick it at random so that senders cannot aim at one window.
    pub seed: u64,
}

impl ReassemblyConfig {
    /// The defaults: 30 s, 8 datagrams per source, [`OverlapPolicy::FirstWins`] and a fixed
    /// seed (pick one at random in a deployment).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            timeout_ns: 30_000_000_000,
            per_source: 8,
            overlap: OverlapPolicy::FirstWins,
            seed: 0x0f7a_65ee_d5ee_d0f7,
        }
    }

    /// This configuration with `timeout_ns` set (time within which a datagram must complete).
    #[must_use]
    pub const fn with_timeout_ns(mut self, timeout_ns: u64) -> Self {
        self.timeout_ns = timeout_ns;
        self
    }

    /// This configuration with `per_source` set (datagrams in reassembly per source).
    #[must_use]
    pub const fn with_per_source(mut self, per_source: usize) -> Self {
        self.per_source = per_source;
        self
    }

    /// This configuration with `overlap` set (what overlapping fragments do).
    #[must_use]
    pub const fn with_overlap(mut self, overlap: OverlapPolicy) -> Self {
        self.overlap = overlap;
        self
    }

    /// This configuration with `seed` set (the source hash seed).
    #[must_use]
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// Counters of a [`Reassembler`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ReassemblyStats {
    /// Fragments offered.
    pub fragments: u64,
    /// Datagrams completed.
    pub reassembled: u64,
    /// Completed datagrams longer than their slot's buffer: delivered with their first bytes.
    pub cut: u64,
    /// Datagrams dropped unfinished after the timeout.
    pub timed_out: u64,
    /// Datagrams dropped unfinished to make room for another.
    pub evicted: u64,
    /// Fragments refused: cut by the snapshot length, past byte 65,535, a non-last fragment
    /// whose length is not a multiple of 8, or disagreeing with the datagram's end.
    pub refused: u64,
    /// Fragments that overlapped data already received.
    pub overlaps: u64,
    /// Datagrams dropped because an overlap brought different bytes
    /// ([`OverlapPolicy::Discard`]).
    pub discarded: u64,
}

/// One datagram being reassembled: its key, when it started, what has arrived. Fixed size.
#[derive(Clone, Copy, Debug)]
pub struct FragmentSlot {
    key: FragmentKey,
    tunnel: Option<Tunnel>,
    first_ns: u64,
    /// The reassembler's fragment count when a fragment of this datagram last came: which
    /// datagram went longest without one.
    last: u64,
    /// The datagram's length, once its last fragment arrived.
    total: Option<u32>,
    in_use: bool,
    /// One bit per 8-byte unit received.
    units: [u64; BITMAP_WORDS],
}

const _: () = assert!(core::mem::size_of::<FragmentSlot>() <= 1_152);

impl Default for FragmentSlot {
    fn default() -> Self {
        Self {
            key: FragmentKey {
                src: IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED),
                dst: IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED),
                id: 0,
                protocol: 0,
            },
            tunnel: None,
            first_ns: 0,
            last: 0,
            total: None,
            in_use: false,
            units: [0; BITMAP_WORDS],
        }
    }
}

impl FragmentSlot {
    fn bit(&self, unit: usize) -> bool {
        self.units
            .get(unit / 64)
            .is_some_and(|w| w & (1u64 << (unit % 64)) != 0)
    }

    fn set(&mut self, unit: usize) {
        if let Some(w) = self.units.get_mut(unit / 64) {
            *w |= 1u64 << (unit % 64);
        }
    }

    /// The bitmap words covering `units`, each with the mask of its bits in the range.
    fn words(units: core::ops::Range<usize>) -> impl Iterator<Item = (usize, u64)> {
        let end = units.end.min(UNITS);
        let mut at = units.start;
        core::iter::from_fn(move || {
            if at >= end {
                return None;
            }
            let bit = at % 64;
            let span = end.saturating_sub(at).min(64usize.saturating_sub(bit));
            let ones = u64::MAX
                .checked_shr(64u32.saturating_sub(span as u32))
                .unwrap_or(0);
            let item = (at / 64, ones.wrapping_shl(bit as u32));
            at = at.saturating_add(span);
            Some(item)
        })
    }

    /// Units received in `units` (a range of unit numbers).
    fn count(&self, units: core::ops::Range<usize>) -> usize {
        Self::words(units)
            .map(|(w, mask)| {
                let word = self.units.get(w).copied().unwrap_or(0);
                (word & mask).count_ones() as usize
            })
            .fold(0, usize::saturating_add)
    }

    /// Mark every unit of `units` received.
    fn set_all(&mut self, units: core::ops::Range<usize>) {
        for (w, mask) in Self::words(units) {
            if let Some(word) = self.units.get_mut(w) {
                *word |= mask;
            }
        }
    }

    /// True if any unit at or after `from` was received.
    fn any_from(&self, from: usize) -> bool {
        self.count(from..UNITS) > 0
    }
}

/// A datagram put back together, borrowing the reassembler's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reassembled<'a> {
    /// The datagram's key.
    pub key: FragmentKey,
    /// Its fragmentable part (what follows the IPv4 header or the IPv6 fragment header), or
    /// its first bytes when it is longer than a slot's buffer.
    pub data: &'a [u8],
    /// The fragmentable part's full length.
    pub len: usize,
    /// The encapsulation of the fragment that completed it.
    pub tunnel: Option<Tunnel>,
}

/// What [`Reassembler::insert`] did with a fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insert<'a> {
    /// Kept; the datagram is not complete yet.
    Held,
    /// The datagram is complete (its slot is free again).
    Complete(Reassembled<'a>),
    /// Not kept (see [`ReassemblyStats`] for why).
    Refused,
}

/// Reassembles IP fragments over caller-provided storage; see the module docs.
pub struct Reassembler<S, B> {
    store: Store<S, B>,
    /// The tunnel of the packet the last `decode` call reassembled.
    last_tunnel: Option<Tunnel>,
}

/// The slots and buffer of a [`Reassembler`].
struct Store<S, B> {
    slots: S,
    buffer: B,
    config: ReassemblyConfig,
    stats: ReassemblyStats,
}

impl<S, B> Reassembler<S, B>
where
    S: AsRef<[FragmentSlot]> + AsMut<[FragmentSlot]>,
    B: AsRef<[u8]> + AsMut<[u8]>,
{
    /// A reassembler over `slots` (emptied) and `buffer`, shared out equally among them.
    pub fn new(mut slots: S, buffer: B, config: ReassemblyConfig) -> Self {
        slots
            .as_mut()
            .iter_mut()
            .for_each(|s| *s = FragmentSlot::default());
        Self {
            store: Store {
                slots,
                buffer,
                config,
                stats: ReassemblyStats::default(),
            },
            last_tunnel: None,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> ReassemblyStats {
        self.store.stats
    }

    /// Datagrams being reassembled now.
    pub fn pending(&self) -> usize {
        self.store.pending()
    }

    /// Bytes of each slot's buffer: the longest datagram kept whole.
    pub fn slot_capacity(&self) -> usize {
        self.store.slot_capacity()
    }

    /// Drop every datagram whose timeout passed at `now_ns` (a sweep over all slots; the
    /// windows a fragment scans are swept anyway).
    pub fn expire(&mut self, now_ns: u64) {
        self.store.expire(now_ns);
    }

    /// Add `fragment`, seen at `now_ns`.
    pub fn insert(&mut self, fragment: &IpFragment<'_>, now_ns: u64) -> Insert<'_> {
        self.store.insert(fragment, now_ns)
    }

    /// The innermost tunnel, in full, of the packet the last [`Reassembler::decode`] or
    /// [`Reassembler::decode_ip`] call put together from fragments (what [`packet::tunnel`]
    /// gives for a frame); `None` if that call reassembled nothing or the datagram came in no
    /// tunnel.
    pub fn reassembled_tunnel(&self) -> Option<Tunnel> {
        self.last_tunnel
    }

    /// [`packet::decode`] with reassembly: a whole packet as it is; a fragment is kept
    /// (`Ok(None)`) until its datagram is complete, which then decodes from the reassembled
    /// bytes. A first fragment the reassembler refuses is returned as [`packet::decode`] gives
    /// it ([`Fragment::First`], its own part of the payload); a refused later fragment is
    /// [`DecodeError::LaterFragment`] as before.
    ///
    /// # Errors
    /// As [`packet::decode`], and [`packet::decode_reassembled`] for a completed datagram.
    #[inline]
    pub fn decode<'a>(
        &'a mut self,
        link: LinkType,
        frame: &'a [u8],
        now_ns: u64,
    ) -> Result<Option<Packet<'a>>, DecodeError> {
        let decoded = packet::decode(link, frame);
        self.defragment(decoded, || packet::fragment(link, frame), now_ns)
    }

    /// [`Reassembler::decode`] for a bare IP packet ([`packet::decode_ip`]).
    ///
    /// # Errors
    /// As [`Reassembler::decode`].
    pub fn decode_ip<'a>(
        &'a mut self,
        ip: &'a [u8],
        now_ns: u64,
    ) -> Result<Option<Packet<'a>>, DecodeError> {
        let decoded = packet::decode_ip(ip);
        self.defragment(decoded, || packet::fragment_ip(ip), now_ns)
    }

    #[inline]
    fn defragment<'a>(
        &'a mut self,
        decoded: Result<Packet<'a>, DecodeError>,
        fragment: impl FnOnce() -> Option<IpFragment<'a>>,
        now_ns: u64,
    ) -> Result<Option<Packet<'a>>, DecodeError> {
        // A first fragment decodes (to its own part), a later one is an error, and so is a
        // first fragment whose tunnelled packet it cuts inside a header: look for a fragment
        // behind every error. A whole packet clears the tunnel of the last datagram
        // reassembled, so that it is not taken for the whole packet's.
        self.last_tunnel = None;
        if let Ok(p) = decoded {
            if p.fragment == Fragment::None {
                return Ok(Some(p));
            }
        }
        let Some(piece) = fragment() else {
            return decoded.map(Some);
        };
        match self.store.insert(&piece, now_ns) {
            Insert::Held => Ok(None),
            Insert::Complete(r) => {
                let (p, tunnel) = packet::decode_reassembled(&r.key, r.data, r.len, r.tunnel)?;
                self.last_tunnel = tunnel;
                Ok(Some(p))
            }
            Insert::Refused => decoded.map(Some),
        }
    }
}

impl<S, B> Store<S, B>
where
    S: AsRef<[FragmentSlot]> + AsMut<[FragmentSlot]>,
    B: AsRef<[u8]> + AsMut<[u8]>,
{
    fn pending(&self) -> usize {
        self.slots.as_ref().iter().filter(|s| s.in_use).count()
    }

    fn slot_capacity(&self) -> usize {
        let n = self.slots.as_ref().len();
        self.buffer
            .as_ref()
            .len()
            .checked_div(n)
            .unwrap_or(0)
            .min(MAX_DATAGRAM)
    }

    fn expire(&mut self, now_ns: u64) {
        let timeout = self.config.timeout_ns;
        for slot in self.slots.as_mut() {
            if slot.in_use && now_ns.saturating_sub(slot.first_ns) > timeout {
                slot.in_use = false;
                self.stats.timed_out = self.stats.timed_out.saturating_add(1);
            }
        }
    }

    fn insert(&mut self, fragment: &IpFragment<'_>, now_ns: u64) -> Insert<'_> {
        self.stats.fragments = self.stats.fragments.saturating_add(1);
        let len = fragment.data.len();
        let start = usize::try_from(fragment.offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(len);
        if !fragment.whole || end > MAX_DATAGRAM || (fragment.more && (len % 8 != 0 || len == 0)) {
            return self.refuse();
        }
        let Some(index) = self.slot_for(&fragment.key, now_ns) else {
            return self.refuse();
        };
        let capacity = self.slot_capacity();
        let policy = self.config.overlap;
        let (first_unit, end_unit) = (start / 8, end.div_ceil(8));
        let Some(slot) = self.slots.as_mut().get_mut(index) else {
            return self.refuse();
        };
        if !slot.in_use {
            *slot = FragmentSlot {
                key: fragment.key,
                tunnel: fragment.tunnel,
                first_ns: now_ns,
                in_use: true,
                ..FragmentSlot::default()
            };
        }
        slot.last = self.stats.fragments;
        // The datagram's end: a second last fragment must agree, nothing may lie past it.
        let consistent = match (slot.total, fragment.more) {
            (Some(total), false) => total as usize == end,
            (Some(total), true) => end <= total as usize,
            (None, false) => !slot.any_from(end_unit),
            (None, true) => true,
        };
        if !consistent {
            return self.refuse();
        }
        let overlapping = slot.count(first_unit..end_unit);
        let chunk = self
            .buffer
            .as_mut()
            .get_mut(index.saturating_mul(capacity)..)
            .and_then(|b| b.get_mut(..capacity))
            .unwrap_or_default();
        if overlapping > 0 {
            self.stats.overlaps = self.stats.overlaps.saturating_add(1);
            if policy == OverlapPolicy::Discard {
                let same = (first_unit..end_unit).filter(|&u| slot.bit(u)).all(|u| {
                    let from = u.saturating_mul(8);
                    let to = from.saturating_add(8).min(end).min(capacity);
                    let kept = chunk.get(from..to);
                    let new = fragment
                        .data
                        .get(from.saturating_sub(start)..to.saturating_sub(start));
                    from >= to || kept == new
                });
                if !same {
                    slot.in_use = false;
                    self.stats.discarded = self.stats.discarded.saturating_add(1);
                    return Insert::Refused;
                }
            }
        }
        if overlapping == 0 {
            // Nothing of it arrived yet (the common case): one copy, whole words of bits.
            slot.set_all(first_unit..end_unit);
            let to = end.min(capacity);
            if let (Some(dst), Some(src)) = (
                chunk.get_mut(start..to.max(start)),
                fragment.data.get(..to.saturating_sub(start)),
            ) {
                dst.copy_from_slice(src);
            }
        }
        for unit in (first_unit..end_unit).filter(|_| overlapping > 0) {
            if slot.bit(unit) {
                continue;
            }
            slot.set(unit);
            let from = unit.saturating_mul(8);
            let to = from.saturating_add(8).min(end).min(capacity);
            if from >= to {
                continue;
            }
            if let (Some(dst), Some(src)) = (
                chunk.get_mut(from..to),
                fragment
                    .data
                    .get(from.saturating_sub(start)..to.saturating_sub(start)),
            ) {
                dst.copy_from_slice(src);
            }
        }
        if !fragment.more {
            slot.total = u32::try_from(end).ok();
            slot.tunnel = fragment.tunnel;
        }
        let Some(total) = slot.total.map(|t| t as usize) else {
            return Insert::Held;
        };
        let needed = total.div_ceil(8);
        if slot.count(0..needed) != needed {
            return Insert::Held;
        }
        slot.in_use = false;
        let (key, tunnel) = (slot.key, slot.tunnel);
        self.stats.reassembled = self.stats.reassembled.saturating_add(1);
        if total > capacity {
            self.stats.cut = self.stats.cut.saturating_add(1);
        }
        Insert::Complete(Reassembled {
            key,
            data: chunk.get(..total.min(capacity)).unwrap_or_default(),
            len: total,
            tunnel,
        })
    }

    fn refuse(&mut self) -> Insert<'static> {
        self.stats.refused = self.stats.refused.saturating_add(1);
        Insert::Refused
    }

    /// The slot of the datagram `key`, or a slot for it (see the module docs for the policy).
    fn slot_for(&mut self, key: &FragmentKey, now_ns: u64) -> Option<usize> {
        let len = self.slots.as_ref().len();
        if len == 0 || self.slot_capacity() == 0 {
            return None;
        }
        let start = (source_hash(&key.src, self.config.seed) as usize)
            .checked_rem(len)
            .unwrap_or(0);
        let timeout = self.config.timeout_ns;
        let per_source = self.config.per_source.clamp(1, WINDOW);
        let mut free = None;
        let mut own = 0usize;
        let mut oldest_own: Option<(u64, usize)> = None;
        let mut oldest: Option<(u64, usize)> = None;
        for i in 0..WINDOW.min(len) {
            let index = start.wrapping_add(i).checked_rem(len).unwrap_or(0);
            let Some(slot) = self.slots.as_mut().get_mut(index) else {
                continue;
            };
            if slot.in_use && now_ns.saturating_sub(slot.first_ns) > timeout {
                slot.in_use = false;
                self.stats.timed_out = self.stats.timed_out.saturating_add(1);
            }
            if !slot.in_use {
                free = free.or(Some(index));
                continue;
            }
            if slot.key == *key {
                return Some(index);
            }
            let age = (slot.last, index);
            if slot.key.src == key.src {
                own = own.saturating_add(1);
                oldest_own = Some(oldest_own.map_or(age, |o| o.min(age)));
            }
            oldest = Some(oldest.map_or(age, |o| o.min(age)));
        }
        let victim = if own >= per_source {
            oldest_own
        } else {
            free.map(|f| (0, f)).or(oldest)
        };
        let (_, index) = victim?;
        if let Some(slot) = self.slots.as_mut().get_mut(index) {
            if slot.in_use {
                slot.in_use = false;
                self.stats.evicted = self.stats.evicted.saturating_add(1);
            }
        }
        Some(index)
    }
}

/// A seeded hash of a source address (SplitMix64 finaliser over its words).
fn source_hash(addr: &IpAddr, seed: u64) -> u64 {
    let word = match addr {
        IpAddr::V4(a) => u64::from(u32::from(*a)),
        IpAddr::V6(a) => {
            let x = u128::from(*a);
            (x as u64) ^ ((x >> 64) as u64).rotate_left(17)
        }
    };
    let mut h = word ^ seed;
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests;
