//! [`EndpointCache::save`] and [`EndpointCache::restore`]: the cache's entries in use (each at
//! its index, so buckets and their order stay) and its counters, as a snapshot
//! ([`crate::snapshot`]).
//!
//! Layout: `TCEC` (`TCHC` for a [`HostCache`](crate::hosts::HostCache)), version 1; entries
//! (`u32`), time to live and seed (`u64`); the counters (nine `u64`: the seven of
//! [`CacheStats`], hits and misses counted through `&self`); the number of entries in use,
//! then each: index (`u32`, rising, in the entry's bucket), expiry (`u64`), address (16 bytes, IPv4-mapped), port,
//! source ([`EndpointSource`] discriminant).

use super::{bucket, CacheConfig, CacheEntry, CacheStats, EndpointCache, Key};
use crate::observer::EndpointSource;
use crate::snapshot::{check, same, Reader, SnapshotError, Writer};

const VERSION: u8 = 1;

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
        w.u32(entries.iter().filter(|e| e.source().is_some()).count() as u32);
        for (index, e) in entries.iter().enumerate() {
            if let Some(source) = e.source() {
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
            check(
                bucket(&Key { addr, port }, config.seed, capacity).contains(&index),
                "cache entry bucket",
            )?;
            let source = r.u8()?;
            let source = EndpointSource::from_number(source).ok_or(SnapshotError::Invalid {
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
                source: source as u8,
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

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::SocketAddr;
    use std::vec::Vec;

    fn cache() -> EndpointCache<Vec<CacheEntry>> {
        EndpointCache::new(std::vec![CacheEntry::default(); 64], CacheConfig::default())
    }

    fn save(c: &EndpointCache<Vec<CacheEntry>>) -> Vec<u8> {
        let mut out = std::vec![0; c.snapshot_len()];
        assert_eq!(c.save(&mut out), Ok(out.len()));
        out
    }

    #[test]
    fn a_restored_cache_finds_what_the_original_finds() {
        let mut a = cache();
        let peers: Vec<SocketAddr> = (1..=40u16)
            .map(|i| SocketAddr::from(([10, 0, (i >> 8) as u8, i as u8], 6000 + i)))
            .collect();
        for (i, p) in peers.iter().enumerate() {
            a.learn(*p, EndpointSource::Pex, i as u64);
        }
        let _ = a.lookup(peers[0], 50);
        let bytes = save(&a);
        let mut b = cache();
        assert_eq!(b.restore(&bytes), Ok(bytes.len()));
        assert_eq!(save(&b), bytes);
        assert_eq!(b.len(), a.len());
        for p in &peers {
            assert_eq!(a.lookup(*p, 60), b.lookup(*p, 60));
        }
        assert_eq!(a.stats(), b.stats());
    }

    #[test]
    fn an_entry_out_of_its_bucket_or_another_shape_is_refused() {
        let mut a = cache();
        a.learn(
            SocketAddr::from(([10, 0, 0, 1], 6881)),
            EndpointSource::Dht,
            0,
        );
        let bytes = save(&a);
        // The entry's index is the last field block's first four bytes.
        let at = bytes.len() - (4 + 8 + 16 + 2 + 1);
        let mut moved = bytes.clone();
        moved[at] = (moved[at] + 8) % 64;
        let mut b = cache();
        assert_eq!(
            b.restore(&moved),
            Err(SnapshotError::Invalid {
                what: "cache entry bucket"
            })
        );
        assert!(b.is_empty());
        let mut small =
            EndpointCache::new(std::vec![CacheEntry::default(); 32], CacheConfig::default());
        assert_eq!(
            small.restore(&bytes),
            Err(SnapshotError::Mismatch {
                what: "cache entries"
            })
        );
    }
}
