//! [`Input`]: where a reader's bytes come from, the rest of a memory-mapped file or what a
//! stream has buffered, and the reader's position in a map.

use std::sync::Arc;

use crate::map::Map;
use crate::stream::Stream;

/// Where the reader's bytes come from.
pub(crate) enum Input {
    Mapped(Mapped),
    Stream(Stream),
}

impl Input {
    /// The bytes from the next record on (the whole rest of a map; what a stream buffered).
    pub(crate) fn data(&self) -> &[u8] {
        match self {
            Self::Mapped(mapped) => mapped.data(),
            Self::Stream(stream) => stream.data(),
        }
    }

    /// File offset of the first byte of [`Input::data`].
    pub(crate) fn offset(&self) -> u64 {
        match self {
            Self::Mapped(mapped) => mapped.offset(),
            Self::Stream(stream) => stream.offset(),
        }
    }

    /// Move past the first `n` bytes of [`Input::data`].
    pub(crate) fn consume(&mut self, n: usize) {
        match self {
            Self::Mapped(mapped) => mapped.consume(n),
            Self::Stream(stream) => stream.consume(n),
        }
    }
}

/// How far past the record being returned a map is prefetched into the CPU caches: a few
/// records. 2 to 16 KiB measured alike on the benchmark mix; without prefetching, reading a
/// mapped file took as much CPU time as copying it with read(2).
const PREFETCH: usize = 4 * 1024;

/// A map's pages behind the reader are given back in steps of this many bytes.
pub(crate) const RELEASE: usize = 2 * 1024 * 1024;

/// A mapped file and how far the reader has got in it.
///
/// The records' headers are scattered in the file at distances the hardware prefetcher
/// cannot guess, so each would be a cache miss: the reader prefetches the next [`PREFETCH`]
/// bytes of the file itself. It also unmaps the pages it has read, so that the resident set
/// does not grow with the file (they stay in the kernel's page cache).
pub(crate) struct Mapped {
    map: Arc<Map>,
    /// The map is shared ([`Mapped::share`]): whoever shares it gives its pages back.
    shared: bool,
    /// Offset of the next record.
    offset: usize,
    /// Everything before this offset was prefetched.
    prefetched: usize,
    /// Everything before this offset was released (a multiple of [`RELEASE`]).
    released: usize,
}

impl Mapped {
    pub(crate) fn new(map: Map, offset: usize) -> Self {
        Self {
            map: Arc::new(map),
            shared: false,
            offset,
            prefetched: offset,
            released: 0,
        }
    }

    pub(crate) fn data(&self) -> &[u8] {
        self.map.bytes().get(self.offset..).unwrap_or_default()
    }

    /// File offset of the first byte of [`Mapped::data`].
    pub(crate) fn offset(&self) -> u64 {
        self.offset as u64
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.offset = self.offset.saturating_add(n).min(self.map.bytes().len());
        if !self.shared {
            self.map
                .release_before(&mut self.released, self.offset, RELEASE);
        }
    }

    /// The map, for readers of the packets' bytes on other threads: from now on this reader
    /// leaves its pages mapped, for them to give back when done ([`Map::release`]).
    pub(crate) fn share(&mut self) -> Arc<Map> {
        self.shared = true;
        Arc::clone(&self.map)
    }

    /// Prefetch up to [`PREFETCH`] bytes past the record of `len` bytes at the offset.
    pub(crate) fn prefetch_past(&mut self, len: usize) {
        let end = self.offset.saturating_add(len).saturating_add(PREFETCH);
        let start = self.prefetched.max(self.offset);
        if start < end {
            self.map.prefetch(start..end);
            self.prefetched = end;
        }
    }
}
