//! A refused endpoint insert leaves the caller's memory as it was (found by the `ffi_payload`
//! fuzz target: an endpoint that is no peer was counted as rejected in the cache's header
//! before `TORCLASS_RESULT_INVALID_ARGUMENT` came back).

use core::ffi::c_void;

use torclass::*;

/// Aligned, zeroed memory of `len` bytes.
fn memory(len: usize) -> Vec<u64> {
    vec![0; len.div_ceil(8)]
}

fn bytes(m: &[u64]) -> Vec<u8> {
    m.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

/// The first byte where `after` differs from `before`.
fn first_change(after: &[u8], before: &[u8]) -> Option<usize> {
    after.iter().zip(before).position(|(a, b)| a != b)
}

/// Endpoints the caches refuse: no port, an unspecified, multicast or broadcast address, an
/// expiry not after now, a bad source or version.
fn refused(now: u64) -> Vec<torclass_endpoint> {
    let v4 = |a: [u8; 4], port: u16| {
        let mut addr = [0; 16];
        addr[..4].copy_from_slice(&a);
        torclass_endpoint {
            expires_ns: now + 1_000,
            addr,
            port,
            ip_version: 4,
            source: TORCLASS_SOURCE_PEX,
            reserved: 0,
        }
    };
    let mut multicast6 = v4([0; 4], 6881);
    multicast6.ip_version = 6;
    multicast6.addr = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    vec![
        v4([192, 0, 2, 7], 0),
        v4([0, 0, 0, 0], 6881),
        v4([224, 0, 0, 1], 6881),
        v4([255, 255, 255, 255], 6881),
        multicast6,
        torclass_endpoint {
            expires_ns: now,
            ..v4([192, 0, 2, 7], 6881)
        },
        torclass_endpoint {
            source: 0,
            ..v4([192, 0, 2, 7], 6881)
        },
        torclass_endpoint {
            ip_version: 5,
            ..v4([192, 0, 2, 7], 6881)
        },
    ]
}

#[test]
fn a_refused_insert_leaves_a_standalone_cache_as_it_was() {
    let now = 5_000_000_000;
    // SAFETY: always safe to call.
    let size = unsafe { torclass_endpoints_size(16) };
    let mut mem = memory(size);
    let mut cache: *mut torclass_endpoints = core::ptr::null_mut();
    // SAFETY: `size` writable aligned bytes, a writable out-pointer.
    let r = unsafe { torclass_endpoints_init(mem.as_mut_ptr().cast(), size, 16, 1, 0, &mut cache) };
    assert_eq!(r, torclass_result::Ok);
    for e in refused(now) {
        let before = bytes(&mem);
        // SAFETY: a live cache and a valid endpoint.
        let r = unsafe { torclass_endpoints_insert(cache, &e, now) };
        assert_eq!(r, torclass_result::InvalidArgument, "{e:?}");
        assert_eq!(first_change(&bytes(&mem), &before), None, "refused {e:?}");
    }
}

#[test]
fn a_refused_insert_leaves_a_table_as_it_was() {
    let now = 5_000_000_000;
    // SAFETY: always safe to call.
    let size = unsafe { torclass_table_size(16) };
    let mut mem = memory(size);
    let mut table: *mut torclass_table = core::ptr::null_mut();
    // SAFETY: `size` writable aligned bytes, NULL config (the defaults), a writable out-pointer.
    let r = unsafe {
        torclass_table_init(
            mem.as_mut_ptr().cast::<c_void>(),
            size,
            16,
            1,
            core::ptr::null(),
            &mut table,
        )
    };
    assert_eq!(r, torclass_result::Ok);
    for e in refused(now) {
        let before = bytes(&mem);
        // SAFETY: a live table and a valid endpoint.
        let r = unsafe { torclass_table_endpoint_insert(table, &e, now) };
        assert_eq!(r, torclass_result::InvalidArgument, "{e:?}");
        assert_eq!(first_change(&bytes(&mem), &before), None, "refused {e:?}");
    }
}
