//! The SOCKS 5 UDP header view, and a UDP flow fed SOCKS-wrapped datagrams: no panic, the
//! payload is the datagram's tail, and the flow never becomes BitTorrent on a fragment alone.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::socks_udp::UdpHeader;
use torclass_core::{Direction, FlowClassifier, Metadata, Transport};

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = UdpHeader::new_checked(data) {
        assert!(!h.payload().is_empty());
        assert_eq!(h.header_len() + h.payload().len(), data.len());
        let _ = h.target().to_string();
        let _ = h.target().socket_addr();
    }
    let mut flow = FlowClassifier::new(Transport::Udp);
    let mut meta = Metadata::new();
    for (i, d) in data.split(|b| *b == 0xff).enumerate() {
        let dir = if i % 2 == 0 {
            Direction::Initiator
        } else {
            Direction::Responder
        };
        flow.feed_with(dir, d, &mut meta);
    }
    flow.finish();
    let _ = meta.proxy_target().map(|t| t.to_string());
});
