//! Datagrams of other UDP protocols must not pass the BitTorrent datagram checks.
//!
//! The corpus is `fixtures/lookalikes.rs`; the flow classifier's tests reuse it.

#[path = "fixtures/lookalikes.rs"]
mod lookalikes;

use torclass_core::wire::krpc::Krpc;
use torclass_core::wire::lsd::LsdAnnounce;
use torclass_core::wire::udp_tracker::{self, Message};
use torclass_core::wire::utp::UtpPacket;

/// What a uTP parser makes of the datagram: `None` if it is not uTP at all, else which
/// plausibility check passes.
fn utp_verdict(datagram: &[u8]) -> Option<(&'static str, bool)> {
    let p = UtpPacket::new_checked(datagram).ok()?;
    Some((
        match p.packet_type() {
            torclass_core::wire::utp::PacketType::Syn => "syn",
            torclass_core::wire::utp::PacketType::State => "state",
            torclass_core::wire::utp::PacketType::Data => "data",
            torclass_core::wire::utp::PacketType::Fin => "fin",
            torclass_core::wire::utp::PacketType::Reset => "reset",
            torclass_core::wire::utp::PacketType::Unknown(_) => "unknown",
        },
        p.is_plausible(),
    ))
}

#[test]
fn no_lookalike_is_a_plausible_utp_syn_or_state() {
    for (name, datagram) in lookalikes::all() {
        if let Ok(p) = UtpPacket::new_checked(&datagram[..]) {
            assert!(!p.syn_is_plausible(), "{name} passes as a uTP SYN");
            assert!(!p.state_is_plausible(), "{name} passes as a uTP STATE");
            assert!(!p.reset_is_plausible(), "{name} passes as a uTP RESET");
        }
    }
}

/// The corpus reaches the plausibility checks: the DNS and QUIC look-alikes are structurally
/// uTP SYNs, and only the checks of `syn_is_plausible` reject them.
#[test]
fn known_lookalikes_are_structurally_utp() {
    let corpus = lookalikes::protocols();
    for name in [
        "dns-query-20b-4100",
        "quic-short-header-41",
        "turn-channeldata-4100",
    ] {
        let (_, datagram) = corpus.iter().find(|(n, _)| n == name).unwrap();
        assert_eq!(utp_verdict(datagram), Some(("syn", false)), "{name}");
    }
}

/// DATA and FIN headers are not evidence on their own (see `UtpPacket::is_plausible`); this
/// test pins which specification-built look-alikes have one, so a change is noticed.
#[test]
fn lookalikes_with_a_plausible_utp_data_or_fin_header() {
    let plausible: Vec<String> = lookalikes::protocols()
        .into_iter()
        .filter(|(_, d)| matches!(utp_verdict(d), Some((_, true))))
        .map(|(name, d)| format!("{name}:{}", utp_verdict(&d).map_or("", |v| v.0)))
        .collect();
    assert_eq!(plausible, ["capwap-dtls-client-hello:data"]);
}

#[test]
fn no_lookalike_is_a_udp_tracker_request() {
    for (name, datagram) in lookalikes::all() {
        assert!(
            !udp_tracker::is_connect_request(&datagram),
            "{name} is a connect request"
        );
        let request = udp_tracker::parse_request(&datagram);
        assert!(
            !matches!(
                request,
                Ok(Message::ConnectRequest { .. }
                    | Message::AnnounceRequest(_)
                    | Message::ScrapeRequest(_))
            ),
            "{name} parses as {request:?}"
        );
    }
}

#[test]
fn no_lookalike_is_an_lsd_announcement() {
    for (name, datagram) in lookalikes::all() {
        let lsd = LsdAnnounce::parse(&datagram);
        assert!(lsd.is_err(), "{name} parses as LSD: {lsd:?}");
    }
}

#[test]
fn no_lookalike_is_a_krpc_message() {
    for (name, datagram) in lookalikes::all() {
        let krpc = Krpc::parse(&datagram);
        assert!(krpc.is_err(), "{name} parses as KRPC: {krpc:?}");
    }
}
