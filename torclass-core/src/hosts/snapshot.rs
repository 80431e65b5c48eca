//! [`HostCache::save`] and [`HostCache::restore`]: the host cache as a snapshot, in the
//! [`EndpointCache`](crate::endpoints::EndpointCache)'s layout with the magic `TCHC`.

use super::HostCache;
use crate::endpoints::CacheEntry;
use crate::snapshot::SnapshotError;

impl<S: AsRef<[CacheEntry]> + AsMut<[CacheEntry]>> HostCache<S> {
    /// Bytes [`HostCache::save`] writes now.
    pub fn snapshot_len(&self) -> usize {
        match self.save(&mut []) {
            Ok(n) | Err(SnapshotError::BufferTooSmall { required: n, .. }) => n,
            Err(_) => 0,
        }
    }

    /// Write the cache into `out`; the bytes written, or [`SnapshotError::BufferTooSmall`]
    /// with the length needed.
    pub fn save(&self, out: &mut [u8]) -> Result<usize, SnapshotError> {
        self.cache.save_as(out, b"TCHC")
    }

    /// Replace the cache's content with the snapshot at the start of `bytes` (of a cache with
    /// as many entries and the same configuration); the bytes read. On an error the cache is
    /// empty.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<usize, SnapshotError> {
        self.cache.restore_as(bytes, b"TCHC", "host cache")
    }
}
