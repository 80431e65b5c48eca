//! # libtorclass
//!
//! The torclass classifier as a C library. The header `include/torclass.h` is generated from
//! this crate by cbindgen and committed; `README.md` is the C developer's guide.
//!
//! ## Conventions (rustls-ffi, zstd static contexts)
//! - Every symbol is `torclass_<object>_<verb>`; every export is an `unsafe extern "C" fn`
//!   with a `# Safety` section, and its body runs inside `ffi_boundary!`, which turns a
//!   panic into [`torclass_result::Panic`] (or the function's documented default).
//! - Memory belongs to the caller: a flow is a [`torclass_flow`] value, a table lives in a
//!   buffer of [`torclass_table_size`] bytes. There is no `_free`, no global state, and nothing
//!   on the per-packet path allocates.
//! - Pointers are checked for NULL (and lengths for sanity) before any slice is made.
//!   Out-parameters are written only when the function returns [`torclass_result::Ok`].
//! - Values C passes in are plain integers (`uint8_t direction`, `uint32_t link_type`), never
//!   Rust enums, so an out-of-range number is an error code, not undefined behaviour.
#![deny(
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]
#![allow(non_camel_case_types)]

#[macro_use]
mod boundary;
mod clock;
mod endpoints;
mod flow;
mod meta;
mod names;
mod packet;
mod result;
mod stamp;
mod table;
mod verdict;
mod version;

pub use clock::*;
pub use endpoints::*;
pub use flow::*;
pub use meta::*;
pub use names::*;
pub use packet::*;
pub use result::*;
pub use table::*;
pub use verdict::*;
pub use version::*;
