//! [`EndpointCache::save`] and [`EndpointCache::restore`]: the cache's entries in use (each at
//! its index, so buckets and their order stay) and its counters, as a snapshot
//! ([`crate::snapshot`]).
//!
//! Layout: `TCEC` (`TCHC` for a [`HostCache`](crate::hosts::HostCache)), version 1; entries
//! (`u32`), time to live and seed (`u64`); the counters (nine `u64`: the seven of
//! [`CacheStats`], hits and misses counted through `&self`); the number of entries in use,
//! then each: index (`u32`, rising), expiry (`u64`), address (16 bytes, IPv4-mapped), port,
//! source ([`EndpointSource`] discriminant).

use super::{CacheConfig, CacheEntry, CacheStats, EndpointCache};
use crate::observer::EndpointSource;
use crate::snapshot::{check, same, Reader, SnapshotError, Writer};

const VERSION: u8 = 1;

const SOURCES: [EndpointSource; 7] = [
    EndpointSource::Pex,
    EndpointSource::Tracker,
    EndpointSource::Dht,
    EndpointSource::Lsd,
    EndpointSource::ListenPort,
    EndpointSource::Flow,
    EndpointSource::Proxy,
];

impl<S: AsRef<[CacheEntry]> + AsMut<[CacheEntry]>> EndpointCache<S> {
    /// Bytes [`EndpointCache::save`] writes now.
    pub fn snapshot_len(&self) -> usize {
        match self.save(&mut []) {
            Ok(n) | Err(SnapshotError::BufferTooSmall { required: n, .. }) => n,
            Err(_) => 0,
        }
    }

    /// Write the cache into `out`; the bytes written, or [`SnapshotError::BufferTooSmall`]
    /// with the length needed.
    pub fn save(&self, out: &mut [u8]) -> Result<usize, SnapshotError> {
        self.save_as(out, b"TCEC")
    }

    /// Replace the cache's content with the snapshot at the start of `bytes` (written by
    /// [`EndpointCache::save`] of a cache with as many entries and the same [`CacheConfig`]);
    /// the bytes read. On an error the cache is empty.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<usize, SnapshotError> {
        self.restore_as(bytes, b"TCEC", "endpoint cache")
    }

    pub(crate) fn save_as(&self, out: &mut [u8], magic: &[u8; 4]) -> Result<usize, SnapshotError> {
        let mut w = Writer::new(out);
        w.bytes(magic);
        w.u8(VERSION);
        let entries = self.storage.as_ref();
        w.u32(entries.len() as u32);
        w.u64(self.config.ttl_ns);
        w.u64(self.config.seed);
        let s = self.stats;
        for v in [
            s.learned,
            s.refreshed,
            s.rejected,
            s.evicted_live,
            s.expired,
            s.hits,
            s.misses,
            self.hits.get(),
            self.misses.get(),
        ] {
            w.u64(v);
        }
        w.u32(entries.iter().filter(|e| e.in_use()).count() as u32);
        for (index, e) in entries.iter().enumerate() {
            if let Some(source) = e.source {
                w.u32(index as u32);
                w.u64(e.expires_ns);
                w.bytes(&e.addr);
                w.u16(e.port);
                w.u8(source as u8);
            }
        }
        w.finish()
    }

    pub(crate) fn restore_as(
        &mut self,
        bytes: &[u8],
        magic: &[u8; 4],
        part: &'static str,
    ) -> Result<usize, SnapshotError> {
        let result = self.restore_inner(bytes, magic, part);
        if result.is_err() {
            self.storage.as_mut().fill(CacheEntry::default());
            self.len = 0;
            self.stats = CacheStats::default();
            self.hits.set(0);
            self.misses.set(0);
        }
        result
    }

    fn restore_inner(
        &mut self,
        bytes: &[u8],
        magic: &[u8; 4],
        part: &'static str,
    ) -> Result<usize, SnapshotError> {
        let mut r = Reader::new(bytes, part);
        r.header(magic, VERSION)?;
        let capacity = self.storage.as_ref().len();
        same(r.u32()? as usize == capacity, "cache entries")?;
        let config = CacheConfig {
            ttl_ns: r.u64()?,
            seed: r.u64()?,
        };
        same(config == self.config, "cache time to live or seed")?;
        let mut counters = [0u64; 9];
        for v in &mut counters {
            *v = r.u64()?;
        }
        let [learned, refreshed, rejected, evicted_live, expired, hits, misses, live_hits, live_misses] =
            counters;
        let n = r.u32()? as usize;
        check(n <= capacity, "cache entry count")?;
        self.storage.as_mut().fill(CacheEntry::default());
        let mut next = 0usize;
        for _ in 0..n {
            let index = r.u32()? as usize;
            check(index >= next && index < capacity, "cache entry index")?;
            next = index.saturating_add(1);
            let expires_ns = r.u64()?;
            let addr: [u8; 16] = r.array()?;
            let port = r.u16()?;
            let source = r.u8()?;
            let source =
                SOURCES
                    .into_iter()
                    .find(|s| *s as u8 == source)
                    .ok_or(SnapshotError::Invalid {
                        what: "endpoint source",
                    })?;
            let entry = self
                .storage
                .as_mut()
                .get_mut(index)
                .ok_or(SnapshotError::Invalid {
                    what: "cache entry index",
                })?;
            *entry = CacheEntry {
                expires_ns,
                addr,
                port,
                source: Some(source),
            };
        }
        self.len = n;
        self.stats = CacheStats {
            learned,
            refreshed,
            rejected,
            evicted_live,
            expired,
            hits,
            misses,
        };
        self.hits.set(live_hits);
        self.misses.set(live_misses);
        Ok(r.consumed(bytes))
    }
}
