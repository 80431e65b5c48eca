//! Local Service Discovery (BEP 14) announces: parse, then every accessor.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::lsd::LsdAnnounce;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = LsdAnnounce::parse(data) {
        let _ = (a.port(), a.host(), a.host_is_multicast_group(), a.cookie());
        let _ = a.infohashes().count();
    }
});
