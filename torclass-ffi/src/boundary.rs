//! The panic boundary and the pointer checks every export uses.

/// Runs `$body` (a block evaluating to the function's return value) and turns a panic into
/// `$on_panic`. Every exported function's body is wrapped in this macro: a bug in torclass
/// becomes an error code, never an abort of the caller's process (Rust 1.81+ aborts when a
/// panic unwinds out of an `extern "C"` function).
macro_rules! ffi_boundary {
    ($on_panic:expr, $body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(_) => $on_panic,
        }
    };
}

/// Evaluates a `Result<T, torclass_result>`, returning the error from the enclosing closure.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(value) => value,
            Err(error) => return error,
        }
    };
}

use crate::result::torclass_result;

/// The longest byte buffer an export accepts, as Rust slices may not exceed `isize::MAX`
/// bytes: a larger length is a caller bug (a negative `ssize_t` cast to `size_t`), reported as
/// [`torclass_result::InvalidArgument`] before any slice is made.
pub(crate) const MAX_LEN: usize = isize::MAX as usize;

/// A byte slice from a C pointer and length. `NULL` with length 0 is the empty slice.
///
/// # Safety
/// If `ptr` is not NULL and `len` is not 0, `ptr` must point to `len` readable bytes that stay
/// valid and unmodified for `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], torclass_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(torclass_result::NullParameter);
    }
    if len > MAX_LEN {
        return Err(torclass_result::InvalidArgument);
    }
    // SAFETY: `ptr` is not NULL, `len` is within `isize::MAX`, and the caller guarantees
    // `len` readable bytes at `ptr` for `'a`. `u8` has no alignment or validity requirement.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// A shared reference from a C pointer, or [`torclass_result::NullParameter`].
///
/// # Safety
/// If `ptr` is not NULL it must point to a valid, properly aligned `T` that is not written
/// for `'a`.
pub(crate) unsafe fn get<'a, T>(ptr: *const T) -> Result<&'a T, torclass_result> {
    // SAFETY: `as_ref` returns None for NULL; otherwise the caller guarantees validity.
    unsafe { ptr.as_ref() }.ok_or(torclass_result::NullParameter)
}

/// An exclusive reference from a C pointer, or [`torclass_result::NullParameter`].
///
/// # Safety
/// If `ptr` is not NULL it must point to a valid, properly aligned `T` that nothing else
/// reads or writes for `'a`.
pub(crate) unsafe fn get_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, torclass_result> {
    // SAFETY: `as_mut` returns None for NULL; otherwise the caller guarantees exclusivity.
    unsafe { ptr.as_mut() }.ok_or(torclass_result::NullParameter)
}

/// Checks that an out-pointer is not NULL, so that a function fails before doing work whose
/// result it could not report.
pub(crate) fn out<T>(ptr: *mut T) -> Result<(), torclass_result> {
    if ptr.is_null() {
        Err(torclass_result::NullParameter)
    } else {
        Ok(())
    }
}

/// The `struct_size` rule for a struct the library fills for C: the bytes of it that go to a
/// caller that gave `size` (at least the struct's first ABI 1 size, checked by the caller):
/// what both know. A caller built against a later header gets this version's fields, one built
/// against an earlier header the fields it knows.
pub(crate) fn prefix_len<T>(size: usize) -> usize {
    size.min(core::mem::size_of::<T>())
}

/// Write the first [`prefix_len`] bytes of `value` (whose `struct_size` the caller set to that
/// number) to `out`.
///
/// # Safety
/// `out` must not be NULL and must point to `size` writable bytes that do not overlap `value`.
pub(crate) unsafe fn write_prefix<T>(out: *mut T, value: &T, size: usize) {
    // SAFETY: `value` is a valid `T`, so its first `prefix_len <= size_of::<T>()` bytes are
    // readable; the caller guarantees `size >= prefix_len` writable bytes at `out`, not
    // overlapping. Bytes have no alignment requirement.
    unsafe {
        core::ptr::copy_nonoverlapping(
            core::ptr::from_ref(value).cast::<u8>(),
            out.cast::<u8>(),
            prefix_len::<T>(size),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boom(fail: bool) -> torclass_result {
        ffi_boundary!(torclass_result::Panic, {
            if fail {
                panic!("a bug");
            }
            torclass_result::Ok
        })
    }

    #[test]
    fn a_panic_becomes_the_panic_code() {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        assert_eq!(boom(true), torclass_result::Panic);
        std::panic::set_hook(hook);
        assert_eq!(boom(false), torclass_result::Ok);
    }

    #[test]
    fn null_and_huge_lengths_are_refused_before_slicing() {
        // SAFETY: every call either has length 0 or a NULL pointer or a length over the cap,
        // so no memory is read.
        unsafe {
            assert_eq!(bytes(core::ptr::null(), 0), Ok(&[][..]));
            assert_eq!(
                bytes(core::ptr::null(), 1),
                Err(torclass_result::NullParameter)
            );
            let b = [1u8];
            assert_eq!(
                bytes(b.as_ptr(), usize::MAX),
                Err(torclass_result::InvalidArgument)
            );
        }
    }
}
