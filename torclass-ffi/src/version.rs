//! Versions a C program can check at compile time (`TORCLASS_VERSION_*`,
//! `TORCLASS_ABI_VERSION`) and at run time ([`torclass_version`], [`torclass_abi_version`]).

use core::ffi::c_char;

/// The ABI version: it changes whenever a type's layout, a constant's value or a function's
/// signature changes incompatibly. It is the number in the shared library's SONAME
/// (`libtorclass.so.0`) and is stored in every flow and table, so state from another ABI is
/// refused with `TORCLASS_RESULT_ABI_MISMATCH`.
pub const TORCLASS_ABI_VERSION: u32 = 0;

const VERSION: &str = concat!("torclass/", env!("CARGO_PKG_VERSION"), "\0");

/// The library's version as a static NUL-terminated string, `"torclass/MAJOR.MINOR.PATCH"`.
/// Never NULL; never free it.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_version() -> *const c_char {
    ffi_boundary!(VERSION.as_ptr().cast(), { VERSION.as_ptr().cast() })
}

/// The ABI version of the loaded library; compare it with `TORCLASS_ABI_VERSION` from the
/// header the program was compiled with.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_abi_version() -> u32 {
    ffi_boundary!(TORCLASS_ABI_VERSION, { TORCLASS_ABI_VERSION })
}
