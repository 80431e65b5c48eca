//! KRPC (BEP 5) datagram view: parse, then every accessor; the start of a cut datagram is
//! never a whole message's.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::krpc::{cut_start, Krpc};

fuzz_target!(|data: &[u8]| {
    let start = cut_start(data);
    let Ok(k) = Krpc::parse(data) else {
        return;
    };
    assert!(start.is_none(), "a whole message read as a cut one");
    let _ = (
        k.kind(),
        k.transaction_id(),
        k.method(),
        k.node_id(),
        k.info_hash(),
    );
    let _ = (
        k.target(),
        k.token(),
        k.port(),
        k.implied_port(),
        k.has_want(),
    );
    let _ = (
        k.error(),
        k.version(),
        k.ip(),
        k.read_only(),
        k.scrape(),
        k.noseed(),
    );
    let _ = (
        k.bloom_filters(),
        k.mutable_item(),
        k.item_value(),
        k.num(),
        k.interval(),
    );
    let _ = k.values().count() + k.nodes().count() + k.nodes6().count() + k.samples().count();
});
