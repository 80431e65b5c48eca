//! uTP (BEP 29) header view: checked construction, then every accessor.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::utp::UtpPacket;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = UtpPacket::new_checked(data) else {
        return;
    };
    assert!(p.header_len() <= data.len());
    let _ = (
        p.packet_type(),
        p.version(),
        p.extension(),
        p.connection_id(),
    );
    let _ = (
        p.timestamp_us(),
        p.timestamp_difference_us(),
        p.wnd_size(),
        p.seq_nr(),
    );
    let _ = (
        p.ack_nr(),
        p.payload().len(),
        p.has_unknown_extension(),
        p.close_reason(),
    );
    let _ = (
        p.syn_is_plausible(),
        p.state_is_plausible(),
        p.data_is_plausible(),
    );
    let _ = (
        p.fin_is_plausible(),
        p.reset_is_plausible(),
        p.is_plausible(),
    );
    let _ = p.answers_syn(p.connection_id(), p.seq_nr());
    for e in p.extensions() {
        let _ = e.close_reason();
    }
});
