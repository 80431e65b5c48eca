//! Gives the shared library a SONAME carrying the ABI version, so that programs linked against
//! one ABI never load a library of another.

/// Must equal `TORCLASS_ABI_VERSION` in `src/version.rs` (the `soname` test checks the built
/// library).
const ABI_VERSION: u32 = 1;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "android" || os.ends_with("bsd") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtorclass.so.{ABI_VERSION}");
    }
}
