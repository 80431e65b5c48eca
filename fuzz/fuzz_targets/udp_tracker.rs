//! UDP tracker (BEP 15, BEP 41) datagrams, read as a request, as a response of either address
//! family, and with no direction hint; then every accessor of what parsed.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::udp_tracker::{
    is_connect_request, parse, AddressFamily, AnnounceRequest, AnnounceResponse, Message,
    ScrapeRequest, ScrapeResponse,
};
use torclass_core::Direction;

fn touch(m: &Message<'_>) {
    let _ = (
        m.transaction_id(),
        m.connection_id(),
        m.action(),
        m.is_request(),
    );
    let _ = m.info_hash();
}

fuzz_target!(|data: &[u8]| {
    let _ = is_connect_request(data);
    for family in [AddressFamily::V4, AddressFamily::V6] {
        for sender in [None, Some(Direction::Initiator), Some(Direction::Responder)] {
            if let Ok(m) = parse(data, sender, family) {
                touch(&m);
            }
        }
        if let Ok(r) = AnnounceResponse::new_checked(data, family) {
            let _ = (r.transaction_id(), r.interval(), r.leechers(), r.seeders());
            assert_eq!(r.peers().len(), r.peers().count());
        }
    }
    if let Ok(a) = AnnounceRequest::new_checked(data) {
        let _ = (
            a.connection_id(),
            a.transaction_id(),
            a.info_hash(),
            a.peer_id(),
        );
        let _ = (
            a.downloaded(),
            a.left(),
            a.uploaded(),
            a.event(),
            a.ip(),
            a.key(),
        );
        let _ = (
            a.num_want(),
            a.port(),
            a.is_plausible(),
            a.options().count(),
        );
    }
    if let Ok(s) = ScrapeRequest::new_checked(data) {
        let _ = (
            s.connection_id(),
            s.transaction_id(),
            s.info_hashes().count(),
        );
    }
    if let Ok(s) = ScrapeResponse::new_checked(data) {
        let _ = (s.transaction_id(), s.entries().count());
    }
});
