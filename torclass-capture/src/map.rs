//! [`Map`]: a capture file mapped into memory, read-only, so that packets borrow the kernel's
//! page cache instead of being copied out of it by `read(2)`. The crate's only `unsafe`.
#![allow(unsafe_code)]

use std::fs::File;
use std::ops::Range;

use memmap2::Mmap;

/// Bytes between two prefetches: two 64-byte cache lines. A prefetch loads its line into
/// the first-level cache, and Intel's adjacent-line prefetcher completes the aligned 128-byte
/// pair in the second level, close enough for the record headers the prefetch is for. Half the
/// prefetch instructions of one per line saved about 25 instructions a frame on the benchmark
/// mix; the wall clock of the 1 M-frame mix did not change measurably (BENCHMARKS.md).
const STRIDE: usize = 128;

/// The whole of a regular file, mapped read-only.
pub(crate) struct Map(Mmap);

impl Map {
    /// Map `file` if it is a regular file with bytes; `None` for anything else (a pipe, a
    /// socket, a terminal, an empty file or a `/proc` file, which has no size) or if mapping
    /// fails, for the caller to read it as a stream instead.
    pub(crate) fn new(file: &File) -> Option<Self> {
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() == 0 {
            return None;
        }
        // SAFETY: the map is read-only and owned by this reader, which never writes through
        // it. The one risk is another process changing the file while it is mapped: if it
        // truncates the file, reading a page past the new end raises SIGBUS and the process
        // dies (as ripgrep and every mmap-based reader do); bytes rewritten in place only
        // change what the reader sees, and every length it reads from them is bounds-checked
        // against the map. `--no-mmap` (`ReadMode::Stream`) avoids the risk.
        let map = unsafe { Mmap::map(file) }.ok()?;
        // The reader goes through the file once from start to end: ask for aggressive
        // read-ahead. Only a hint; an error changes nothing.
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Some(Self(map))
    }

    /// The file's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Start loading the cache lines of `range` (as far as the map goes) into the CPU caches.
    pub(crate) fn prefetch(&self, range: Range<usize>) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let end = range.end.min(self.0.len());
            let base = self.0.as_ptr();
            let mut at = range.start;
            while at < end {
                // SAFETY: a prefetch is only a hint: it never faults and never writes, and
                // the address is in the map anyway.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(base.wrapping_add(at).cast()) };
                at += STRIDE;
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = range;
    }

    /// Give back the pages before `done`, in whole steps of `step` bytes, from `*released` on
    /// (which moves): whoever is done with the bytes before `done` calls this as it goes.
    pub(crate) fn release_before(&self, released: &mut usize, done: usize, step: usize) {
        let end = done - done % step.max(1);
        if end > *released {
            self.release(*released..end);
            *released = end;
        }
    }

    /// Unmap the pages of `range` (page-aligned) from the process: the reader is done with
    /// them. They stay in the page cache; reading them again maps them back.
    fn release(&self, range: Range<usize>) {
        #[cfg(unix)]
        if range.start < range.end && range.end <= self.0.len() {
            // SAFETY: the map is shared, read-only and backed by the file, so MADV_DONTNEED
            // only drops its page table entries and the next access (if any) maps the same
            // bytes again from the page cache; nothing is discarded or zeroed, and any
            // reference into the range stays valid. A hint: an error changes nothing.
            let _ = unsafe {
                self.0.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    range.start,
                    range.len(),
                )
            };
        }
        #[cfg(not(unix))]
        let _ = range;
    }
}
