//! `torclass_flow_corroborate` only reads the endpoint cache, so that threads sharing one cache
//! may corroborate at the same time (the header asks only for no concurrent writer). It used
//! the core's lookup, which counts hits and misses in the cache's memory: a data race between
//! two readers. Found while writing the `ffi_payload` fuzz target, which now checks the cache's
//! bytes around every call that only reads it.

use torclass::*;

fn bytes(m: &[u64]) -> Vec<u8> {
    m.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

#[test]
fn corroborate_leaves_the_cache_as_it_was() {
    let now = 5_000_000_000;
    // SAFETY: always safe to call.
    let size = unsafe { torclass_endpoints_size(16) };
    let mut mem = vec![0u64; size.div_ceil(8)];
    let mut cache: *mut torclass_endpoints = core::ptr::null_mut();
    // SAFETY: `size` writable aligned bytes, a writable out-pointer.
    let r = unsafe { torclass_endpoints_init(mem.as_mut_ptr().cast(), size, 16, 1, 0, &mut cache) };
    assert_eq!(r, torclass_result::Ok);
    let mut peer = torclass_endpoint {
        expires_ns: now + 1_000_000_000,
        port: 6881,
        ip_version: 4,
        source: TORCLASS_SOURCE_TRACKER,
        ..Default::default()
    };
    peer.addr[..4].copy_from_slice(&[192, 0, 2, 7]);
    // SAFETY: a live cache and a valid endpoint.
    let r = unsafe { torclass_endpoints_insert(cache, &peer, now) };
    assert_eq!(r, torclass_result::Ok);

    for (dst, known) in [([192, 0, 2, 7], true), ([192, 0, 2, 8], false)] {
        let mut key = torclass_flow_key {
            ip_version: 4,
            transport: TORCLASS_TRANSPORT_TCP,
            src_port: 40_000,
            dst_port: 6881,
            ..Default::default()
        };
        key.src_addr[..4].copy_from_slice(&[10, 0, 0, 1]);
        key.dst_addr[..4].copy_from_slice(&dst);
        let mut flow = torclass_flow {
            opaque: [0; TORCLASS_FLOW_SIZE],
        };
        // SAFETY: a local flow.
        let r = unsafe { torclass_flow_init(&mut flow, TORCLASS_TRANSPORT_TCP, 4) };
        assert_eq!(r, torclass_result::Ok);
        let before = bytes(&mem);
        let mut v = torclass_verdict::default();
        // SAFETY: a live cache, a valid flow, key and out-pointer.
        let r = unsafe { torclass_flow_corroborate(&mut flow, cache, &key, now, &mut v) };
        assert_eq!(r, torclass_result::Ok);
        assert_eq!(v.evidence & TORCLASS_EVIDENCE_KNOWN_ENDPOINT != 0, known);
        let after = bytes(&mem);
        let changed = after.iter().zip(&before).position(|(a, b)| a != b);
        assert_eq!(
            changed, None,
            "corroborate wrote the cache (known: {known})"
        );
    }
}
