//! The look-alike recognisers (`wire::lookalike`): every family and every accessor on every
//! input, the dispatch agrees with the family it names, and the single-datagram BitTorrent
//! rules (`udp::read_alone`) run beside them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::udp::{read_alone, Strength};
use torclass_core::wire::lookalike::{
    self, capwap, dns, dtls, ike, ntp, oncrpc, quic, rtp, rx, ssdp, stun, teredo, wireguard,
    Lookalike,
};

fuzz_target!(|data: &[u8]| {
    for family in Lookalike::ALL {
        let _ = lookalike::accepts(family, data);
    }
    if let Some(found) = lookalike::recognise(data) {
        assert!(lookalike::accepts(found, data));
    }
    if let Ok(d) = dns::Dns::new_checked(data) {
        let _ = (d.id(), d.is_response(), d.counts(), d.edns_udp_size());
    }
    if let Ok(q) = quic::LongHeader::new_checked(data) {
        let _ = (q.version(), q.packet_type(), q.dcid().len());
    }
    let _ = quic::short_header_id(data);
    if let Ok(s) = stun::Stun::new_checked(data) {
        let _ = s.message_type();
    }
    if let Ok(c) = stun::ChannelData::new_checked(data) {
        assert!(c.data().len() + 4 <= data.len());
    }
    if let Ok(r) = rtp::Rtp::new_checked(data) {
        let _ = r.payload_type();
    }
    if let Ok(r) = rtp::Rtcp::new_checked(data) {
        let _ = r.packet_type();
    }
    if let Ok(d) = dtls::Dtls::new_checked(data) {
        let _ = (d.content_type(), d.epoch());
    }
    if let Ok(r) = oncrpc::Rpc::new_checked(data) {
        let _ = (r.xid(), r.message_type(), r.program());
    }
    if let Ok(r) = rx::Rx::new_checked(data) {
        let _ = (r.packet_type(), r.service_id());
    }
    if let Ok(w) = wireguard::WireGuard::new_checked(data) {
        let _ = w.message_type();
    }
    if let Ok(n) = ntp::Ntp::new_checked(data) {
        let _ = (n.mode(), n.version());
    }
    if let Ok(s) = ssdp::Ssdp::new_checked(data) {
        let _ = s.kind();
    }
    if let Ok(t) = teredo::Teredo::new_checked(data) {
        assert!(t.ipv6_packet().len() >= 40);
    }
    if let Ok(c) = capwap::Capwap::new_checked(data) {
        let _ = c.kind();
    }
    if let Ok(i) = ike::Ike::new_checked(data) {
        assert!(matches!(i.version(), 1 | 2));
        let _ = (i.exchange_type(), i.nat_traversal());
    }
    let _ = read_alone(data, false).strength == Strength::Conclusive;
});
