//! [`Analyzer::save`] and [`Analyzer::restore`]: an analyzer mid-capture as versioned bytes, so
//! that it can go on elsewhere (a pickled Python `Classifier`) with the records it would have
//! given without the pause.
//!
//! Layout (little-endian): `TCAZ`, version 3; the [`PacketStats`] (five `u64`, then the unknown
//! link type as a `u64`, `u64::MAX` for none); the
//! capture's clock (the latest frame's time and when the next sweep is due, two `u64`); the flow
//! table's snapshot ([`FlowTable::save`](torclass_core::table::FlowTable::save)); a byte
//! saying whether the endpoint cache and the host cache are on (bit 0, bit 1), then their
//! snapshots; the tunnels of live flows (count, then flow number and
//! [`Tunnel::to_state`] each, by number); the records of flows that ended and were not taken
//! yet (count, then flow number and the record, below).
//!
//! IP datagrams being reassembled are not kept: [`Analyzer::pending_fragments`] says how many
//! a snapshot leaves out (their fragments that came after it are then counted as later
//! fragments, as for a capture that began mid-datagram).

use std::collections::HashMap;
use std::net::IpAddr;

use torclass_core::packet::{Tunnel, TunnelKind};
use torclass_core::snapshot::SnapshotError;
use torclass_core::table::{EndReason, Slot};
use torclass_core::{Confidence, Detection, Evidence, Protocol, Transport, Verdict};

use super::{Analyzer, PacketStats};
use crate::record::Id;
use crate::FlowRecord;

const MAGIC: &[u8; 4] = b"TCAZ";
const VERSION: u8 = 3;
const PART: &str = "analyzer";

fn invalid(what: &'static str) -> SnapshotError {
    SnapshotError::Invalid { what }
}

/// Appends to the snapshot.
struct Out(Vec<u8>);

impl Out {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// Optional bytes: `u32::MAX` for `None`, else the length and the bytes.
    fn opt(&mut self, v: Option<&[u8]>) {
        match v {
            None => self.u32(u32::MAX),
            Some(b) => {
                self.u32(u32::try_from(b.len()).unwrap_or(u32::MAX - 1));
                self.0
                    .extend_from_slice(b.get(..(u32::MAX - 1) as usize).unwrap_or(b));
            }
        }
    }
    fn addr(&mut self, a: IpAddr) {
        match a {
            IpAddr::V4(v4) => {
                self.u8(4);
                self.0.extend_from_slice(&v4.octets());
            }
            IpAddr::V6(v6) => {
                self.u8(6);
                self.0.extend_from_slice(&v6.octets());
            }
        }
    }
    /// A core part: its length, then its bytes, written by `save` into a buffer of `len`.
    fn part(&mut self, len: usize, save: impl FnOnce(&mut [u8]) -> Result<usize, SnapshotError>) {
        let start = self.0.len();
        self.u64(0);
        self.0.resize(start + 8 + len, 0);
        let written = self.0.get_mut(start + 8..).map_or(Ok(0), save).unwrap_or(0);
        self.0.truncate(start + 8 + written);
        if let Some(n) = self.0.get_mut(start..start + 8) {
            n.copy_from_slice(&(written as u64).to_le_bytes());
        }
    }
}

/// Reads the snapshot.
struct In<'a>(&'a [u8]);

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let (head, tail) = self
            .0
            .split_at_checked(n)
            .ok_or(SnapshotError::Truncated { part: PART })?;
        self.0 = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], SnapshotError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, SnapshotError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, SnapshotError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, SnapshotError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn opt(&mut self) -> Result<Option<&'a [u8]>, SnapshotError> {
        match self.u32()? {
            u32::MAX => Ok(None),
            n => Ok(Some(self.take(n as usize)?)),
        }
    }
    fn text(&mut self) -> Result<Option<String>, SnapshotError> {
        self.opt()?
            .map(|b| String::from_utf8(b.to_vec()).map_err(|_| invalid("record text")))
            .transpose()
    }
    fn addr(&mut self) -> Result<IpAddr, SnapshotError> {
        match self.u8()? {
            4 => Ok(IpAddr::from(self.array::<4>()?)),
            6 => Ok(IpAddr::from(self.array::<16>()?)),
            _ => Err(invalid("record address")),
        }
    }
    /// A core part [`Out::part`] wrote, given to `restore`, which must read all of it.
    fn part(
        &mut self,
        restore: impl FnOnce(&[u8]) -> Result<usize, SnapshotError>,
    ) -> Result<(), SnapshotError> {
        let len = usize::try_from(self.u64()?).map_err(|_| invalid("part length"))?;
        let bytes = self.take(len)?;
        if restore(bytes)? != len {
            return Err(invalid("part length"));
        }
        Ok(())
    }
}

fn save_record(o: &mut Out, r: &FlowRecord) {
    o.u8(u8::from(r.l4 == Transport::Udp));
    o.addr(r.src);
    o.u16(r.sport);
    o.addr(r.dst);
    o.u16(r.dport);
    for v in [r.first_ts.to_bits(), r.last_ts.to_bits()] {
        o.u64(v);
    }
    for v in [r.first_ns, r.last_ns] {
        o.u64(v as u64);
    }
    for v in [
        r.packets,
        r.bytes,
        r.packets_out,
        r.bytes_out,
        r.packets_in,
        r.bytes_in,
    ] {
        o.u64(v);
    }
    match r.verdict {
        Verdict::Undecided => o.u8(0),
        Verdict::NotBitTorrent => o.u8(2),
        Verdict::BitTorrent(d) => {
            o.u8(1);
            o.u8(d.protocol as u8);
            o.u8(d.confidence as u8);
            o.u32(d.evidence.0);
        }
    }
    o.u32(r.evidence.0);
    o.opt(r.info_hash.as_deref());
    o.opt(r.peer_id.as_deref());
    o.opt(r.client.as_deref().map(str::as_bytes));
    o.opt(r.dht_node_id.as_deref());
    o.opt(
        r.decided_at_packet
            .map(u64::to_le_bytes)
            .as_ref()
            .map(|b| &b[..]),
    );
    o.u8(r.end_reason.map_or(0, |e| e as u8));
    o.opt(r.tunnel.map(str::as_bytes));
    o.opt(r.tunnel_dst.as_deref().map(str::as_bytes));
}

fn restore_record(i: &mut In<'_>) -> Result<FlowRecord, SnapshotError> {
    let l4 = match i.u8()? {
        0 => Transport::Tcp,
        1 => Transport::Udp,
        _ => return Err(invalid("record transport")),
    };
    let (src, sport) = (i.addr()?, i.u16()?);
    let (dst, dport) = (i.addr()?, i.u16()?);
    let mut r = FlowRecord::new(l4, src, sport, dst, dport);
    r.first_ts = f64::from_bits(i.u64()?);
    r.last_ts = f64::from_bits(i.u64()?);
    r.first_ns = i.u64()? as i64;
    r.last_ns = i.u64()? as i64;
    [
        r.packets,
        r.bytes,
        r.packets_out,
        r.bytes_out,
        r.packets_in,
        r.bytes_in,
    ] = [i.u64()?, i.u64()?, i.u64()?, i.u64()?, i.u64()?, i.u64()?];
    r.verdict = match i.u8()? {
        0 => Verdict::Undecided,
        2 => Verdict::NotBitTorrent,
        1 => {
            let p = i.u8()?;
            let protocol = Protocol::ALL
                .into_iter()
                .find(|k| *k as u8 == p)
                .ok_or(invalid("record protocol"))?;
            let confidence = match i.u8()? {
                1 => Confidence::Likely,
                2 => Confidence::Confirmed,
                _ => return Err(invalid("record confidence")),
            };
            Verdict::BitTorrent(Detection::new(protocol, confidence, Evidence(i.u32()?)))
        }
        _ => return Err(invalid("record verdict")),
    };
    r.evidence = Evidence(i.u32()?);
    r.info_hash = i.opt()?.map(Id::from_slice);
    r.peer_id = i.opt()?.map(Id::from_slice);
    r.client = i.text()?;
    r.dht_node_id = i.opt()?.map(Id::from_slice);
    r.decided_at_packet = i
        .opt()?
        .map(|b| <[u8; 8]>::try_from(b).map(u64::from_le_bytes))
        .transpose()
        .map_err(|_| invalid("record decision packet"))?;
    r.end_reason = match i.u8()? {
        0 => None,
        e => Some(
            EndReason::ALL
                .into_iter()
                .find(|k| *k as u8 == e)
                .ok_or(invalid("record end reason"))?,
        ),
    };
    r.tunnel = match i.text()? {
        None => None,
        Some(name) => Some(
            TunnelKind::from_name(&name)
                .ok_or(invalid("record tunnel"))?
                .name(),
        ),
    };
    r.tunnel_dst = i.text()?;
    Ok(r)
}

impl Analyzer {
    /// The analyzer as bytes: its flow table, caches, counters, the tunnels of its flows and
    /// the records not taken yet (see the module docs). IP datagrams being reassembled are
    /// left out ([`Analyzer::pending_fragments`]).
    #[must_use]
    pub fn save(&self) -> Vec<u8> {
        let mut o = Out(Vec::new());
        o.0.extend_from_slice(MAGIC);
        o.u8(VERSION);
        let s = self.stats;
        for v in [
            s.frames,
            s.classified,
            s.later_fragments,
            s.unsupported,
            s.malformed,
            s.unknown_link_type.map_or(u64::MAX, u64::from),
            self.clock.now,
            self.clock.sweep_at,
        ] {
            o.u64(v);
        }
        o.part(self.table.snapshot_len(), |b| self.table.save(b));
        o.u8(u8::from(self.cache.is_some()) | u8::from(self.hosts.is_some()) << 1);
        if let Some(c) = &self.cache {
            o.part(c.snapshot_len(), |b| c.save(b));
        }
        if let Some(h) = &self.hosts {
            o.part(h.snapshot_len(), |b| h.save(b));
        }
        let mut tunnels: Vec<_> = self.tunnels.iter().collect();
        tunnels.sort_by_key(|(n, _)| **n);
        o.u32(tunnels.len() as u32);
        for (n, t) in tunnels {
            o.u64(*n);
            o.0.extend_from_slice(&t.to_state());
        }
        o.u32(self.finished.len() as u32);
        for (n, r) in &self.finished {
            o.u64(*n);
            save_record(&mut o, r);
        }
        o.0
    }

    /// IP datagrams being reassembled: a snapshot ([`Analyzer::save`]) leaves them out.
    #[must_use]
    pub fn pending_fragments(&self) -> usize {
        self.reassembler.as_ref().map_or(0, |r| r.pending())
    }

    /// Replace this analyzer's flows, caches, counters and pending records with those of
    /// `bytes` ([`Analyzer::save`] of an analyzer with the same [`AnalyzerConfig`]; any datagram
    /// this one was reassembling is dropped). On an error (other bytes, another version,
    /// another configuration, corruption) the analyzer is empty, as new.
    ///
    /// [`AnalyzerConfig`]: super::AnalyzerConfig
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), SnapshotError> {
        let result = self.restore_inner(bytes);
        self.reassembler_reset();
        if result.is_err() {
            self.stats = PacketStats::default();
            self.clock.now = 0;
            self.clock.sweep_at = 0;
            self.clock.frames = 0;
            self.tunnels.clear();
            self.finished.clear();
            let empty: &[u8] = &[];
            // Each restore empties its part when it fails, which an empty snapshot does.
            let _ = self.table.restore(empty);
            if let Some(c) = &mut self.cache {
                let _ = c.restore(empty);
            }
            if let Some(h) = &mut self.hosts {
                let _ = h.restore(empty);
            }
        }
        result
    }

    fn reassembler_reset(&mut self) {
        if let Some(r) = &mut self.reassembler {
            r.expire(u64::MAX);
        }
    }

    fn restore_inner(&mut self, bytes: &[u8]) -> Result<(), SnapshotError> {
        let mut i = In(bytes);
        if i.take(5).ok() != Some(&[MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3], VERSION][..]) {
            return Err(SnapshotError::Version { part: PART });
        }
        let stats = PacketStats {
            frames: i.u64()?,
            classified: i.u64()?,
            later_fragments: i.u64()?,
            unsupported: i.u64()?,
            malformed: i.u64()?,
            unknown_link_type: match i.u64()? {
                u64::MAX => None,
                n => Some(u32::try_from(n).map_err(|_| invalid("unknown link type"))?),
            },
        };
        let (now, sweep_at) = (i.u64()?, i.u64()?);
        i.part(|b| {
            // The saved table may have grown less or more than this one: take its size, if
            // this one could have it.
            let slots = super::Table::snapshot_slots(b)
                .filter(|n| super::reachable(*n, self.first_slots, self.max_slots));
            if let Some(n) = slots.filter(|n| *n != self.table.capacity()) {
                // Emptied first (the restore replaces the flows anyway), so that any size fits.
                self.table.drain(|_| {});
                if self
                    .table
                    .grow(vec![Slot::default(); n].into_boxed_slice())
                    .is_ok()
                {
                    self.table.set_growable(n < self.max_slots);
                }
            }
            self.table.restore(b)
        })?;
        let caches = i.u8()?;
        if caches & !3 != 0 {
            return Err(invalid("cache flags"));
        }
        if (caches & 1 != 0) != self.cache.is_some() || (caches & 2 != 0) != self.hosts.is_some() {
            return Err(SnapshotError::Mismatch {
                what: "endpoint caches",
            });
        }
        if let Some(c) = &mut self.cache {
            i.part(|b| c.restore(b))?;
        }
        if let Some(h) = &mut self.hosts {
            i.part(|b| h.restore(b))?;
        }
        let n = i.u32()? as usize;
        let mut tunnels = HashMap::new();
        for _ in 0..n {
            let number = i.u64()?;
            let tunnel = Tunnel::from_state(&i.array()?).ok_or(invalid("tunnel"))?;
            tunnels.insert(number, tunnel);
        }
        let n = i.u32()? as usize;
        let mut finished = Vec::new();
        for _ in 0..n {
            let number = i.u64()?;
            finished.push((number, restore_record(&mut i)?));
        }
        if !i.0.is_empty() {
            return Err(invalid("trailing bytes"));
        }
        self.stats = stats;
        self.clock.now = now;
        self.clock.sweep_at = sweep_at;
        // The frames before the snapshot paid for its sweeps.
        self.clock.frames = stats.frames;
        self.tunnels = tunnels;
        self.finished = finished;
        Ok(())
    }
}
