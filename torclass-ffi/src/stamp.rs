//! [`Stamp`]: the first bytes of every object torclass keeps in caller memory (a table, an
//! endpoint cache). They say what the memory holds and where it was set up, so that garbage,
//! another object, another ABI, or a copied or moved object is refused before anything else in
//! it is read.

use core::ptr::NonNull;

use crate::result::torclass_result;
use crate::table::TORCLASS_TABLE_ALIGN;
use crate::version::TORCLASS_ABI_VERSION;

/// The leading fields of an object in caller memory; the object's header starts with it.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct Stamp {
    /// What the memory holds (one constant per kind of object).
    magic: u64,
    /// [`TORCLASS_ABI_VERSION`] of the library that set it up.
    abi: u32,
    /// The capacity it was set up with (flows, entries).
    capacity: u32,
    /// The buffer's own address: a copied or moved object no longer matches.
    self_addr: usize,
    /// Bytes the caller gave.
    mem_len: usize,
}

impl Stamp {
    /// The stamp of a `magic` object of `capacity` set up in `mem` (`mem_len` bytes).
    pub fn new(magic: u64, capacity: u32, mem: NonNull<u8>, mem_len: usize) -> Self {
        Self {
            magic,
            abi: TORCLASS_ABI_VERSION,
            capacity,
            self_addr: mem.as_ptr() as usize,
            mem_len,
        }
    }

    /// Check the stamp at `ptr` before anything else of the object is read: NULL,
    /// misalignment, another kind of object or garbage (UNINITIALIZED), another ABI, a copied
    /// or moved object, or memory shorter than `size` says its capacity needs.
    ///
    /// # Safety
    /// `ptr` must be NULL or point to at least `size_of::<Stamp>()` readable bytes.
    pub unsafe fn check<T>(
        ptr: *const T,
        magic: u64,
        size: impl FnOnce(u32) -> Option<usize>,
    ) -> Result<NonNull<T>, torclass_result> {
        let Some(ptr) = NonNull::new(ptr.cast_mut()) else {
            return Err(torclass_result::NullParameter);
        };
        if ptr.as_ptr() as usize % TORCLASS_TABLE_ALIGN != 0 {
            return Err(torclass_result::Misaligned);
        }
        // SAFETY: the caller guarantees the stamp's bytes are readable, and `ptr` is aligned
        // (above) for the stamp's fields. Read as plain integers, any bit pattern is valid,
        // so garbage memory is read safely and refused below.
        let stamp = unsafe { ptr.as_ptr().cast::<Stamp>().read() };
        if stamp.magic != magic {
            return Err(torclass_result::Uninitialized);
        }
        if stamp.abi != TORCLASS_ABI_VERSION {
            return Err(torclass_result::AbiMismatch);
        }
        if stamp.self_addr != ptr.as_ptr() as usize
            || size(stamp.capacity).is_none_or(|s| s > stamp.mem_len)
        {
            return Err(torclass_result::Uninitialized);
        }
        Ok(ptr)
    }
}

const _: () = assert!(core::mem::align_of::<Stamp>() <= TORCLASS_TABLE_ALIGN);
