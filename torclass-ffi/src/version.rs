//! Versions a C program can check at compile time (`TORCLASS_VERSION_*`,
//! `TORCLASS_ABI_VERSION`) and at run time ([`torclass_version`], [`torclass_abi_version`]).

use core::ffi::c_char;

/// The ABI version: it changes whenever a type's layout, a constant's value or a function's
/// signature changes incompatibly. It is the number in the shared library's SONAME
/// (`libtorclass.so.1`) and is stored in every flow and table, so state from another ABI is
/// refused with `TORCLASS_RESULT_ABI_MISMATCH`.
///
/// ABI 1 is declared stable: within it, functions and constants are only added, and the
/// structs with a `struct_size` field only grow at their end.
pub const TORCLASS_ABI_VERSION: u32 = 1;

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

/// The library's version as one number, `MAJOR * 10000 + MINOR * 100 + PATCH` (0.3.1 is 301),
/// to compare with the header's `TORCLASS_VERSION_*` macros at run time.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_version_number() -> u32 {
    ffi_boundary!(0, { version_number() })
}

fn version_number() -> u32 {
    let part = |s: &str| s.parse::<u32>().unwrap_or(0);
    part(env!("CARGO_PKG_VERSION_MAJOR"))
        .saturating_mul(10_000)
        .saturating_add(part(env!("CARGO_PKG_VERSION_MINOR")).saturating_mul(100))
        .saturating_add(part(env!("CARGO_PKG_VERSION_PATCH")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_number_matches_the_string() {
        // SAFETY: no arguments.
        let n = unsafe { super::torclass_version_number() };
        let text = format!("{}.{}.{}", n / 10_000, n / 100 % 100, n % 100);
        assert_eq!(text, env!("CARGO_PKG_VERSION"));
    }
}
