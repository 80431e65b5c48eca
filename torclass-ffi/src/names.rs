//! Names for the numbers of the header (the JSON-lines and Python names), and libpcap's
//! `DLT_*` numbers mapped to the link types `torclass_table_process` reads.

use core::ffi::c_char;

use torclass_core::{Confidence, Evidence, Protocol};

use crate::boundary::get_mut;
use crate::result::torclass_result;
use crate::table::{
    TORCLASS_END_CLOSED, TORCLASS_END_DRAINED, TORCLASS_END_EVICTED, TORCLASS_END_IDLE,
    TORCLASS_END_REMOVED, TORCLASS_END_REUSED, TORCLASS_SOURCE_DHT, TORCLASS_SOURCE_FLOW,
    TORCLASS_SOURCE_LISTEN_PORT, TORCLASS_SOURCE_LSD, TORCLASS_SOURCE_PEX, TORCLASS_SOURCE_PROXY,
    TORCLASS_SOURCE_TRACKER,
};
use crate::verdict::{
    TORCLASS_VERDICT_BITTORRENT, TORCLASS_VERDICT_NOT_BITTORRENT, TORCLASS_VERDICT_UNDECIDED,
};

/// `name` as a C string: every name below is a static string literal ending in NUL.
macro_rules! c_names {
    ($($value:expr => $text:literal),* $(,)?) => {
        &[$(($value, concat!($text, "\0"))),*]
    };
}

fn lookup<T: PartialEq>(table: &[(T, &'static str)], value: T) -> *const c_char {
    table
        .iter()
        .find(|(v, _)| *v == value)
        .map_or(core::ptr::null(), |(_, n)| n.as_ptr().cast())
}

const PROTOCOLS: &[(u8, &str)] = c_names![
    Protocol::PeerWire as u8 => "peer_wire",
    Protocol::PeerWireEncrypted as u8 => "peer_wire_encrypted",
    Protocol::Utp as u8 => "utp",
    Protocol::Dht as u8 => "dht",
    Protocol::UdpTracker as u8 => "udp_tracker",
    Protocol::HttpTracker as u8 => "http_tracker",
    Protocol::Lsd as u8 => "lsd",
    Protocol::Magnet as u8 => "magnet",
];

const VERDICTS: &[(u8, &str)] = c_names![
    TORCLASS_VERDICT_UNDECIDED => "undecided",
    TORCLASS_VERDICT_BITTORRENT => "bittorrent",
    TORCLASS_VERDICT_NOT_BITTORRENT => "not_bittorrent",
];

const CONFIDENCES: &[(u8, &str)] = c_names![
    Confidence::Likely as u8 => "likely",
    Confidence::Confirmed as u8 => "confirmed",
];

const END_REASONS: &[(u8, &str)] = c_names![
    TORCLASS_END_EVICTED => "evicted",
    TORCLASS_END_IDLE => "idle",
    TORCLASS_END_CLOSED => "closed",
    TORCLASS_END_REUSED => "reused",
    TORCLASS_END_REMOVED => "removed",
    TORCLASS_END_DRAINED => "drained",
];

/// The name of a `TORCLASS_PROTOCOL_*` number (`"peer_wire"`, `"dht"`, …), as in the CLI's
/// JSON lines and Python; NULL for an unknown number. Static; never free it.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_protocol_name(protocol: u8) -> *const c_char {
    ffi_boundary!(core::ptr::null(), { lookup(PROTOCOLS, protocol) })
}

/// The name of a `TORCLASS_VERDICT_*` number (`"undecided"`, `"bittorrent"`,
/// `"not_bittorrent"`); NULL for an unknown number. Static; never free it.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_verdict_name(verdict: u8) -> *const c_char {
    ffi_boundary!(core::ptr::null(), { lookup(VERDICTS, verdict) })
}

/// The name of a `TORCLASS_CONFIDENCE_*` number (`"likely"`, `"confirmed"`); NULL for an
/// unknown number (0 included). Static; never free it.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_confidence_name(confidence: u8) -> *const c_char {
    ffi_boundary!(core::ptr::null(), { lookup(CONFIDENCES, confidence) })
}

/// The name of a `TORCLASS_END_*` number (`"evicted"`, `"idle"`, `"closed"`, `"reused"`,
/// `"removed"`, `"drained"`); NULL for an unknown number. Static; never free it.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_end_reason_name(reason: u8) -> *const c_char {
    ffi_boundary!(core::ptr::null(), { lookup(END_REASONS, reason) })
}

const SOURCES: &[(u8, &str)] = c_names![
    TORCLASS_SOURCE_PEX => "pex",
    TORCLASS_SOURCE_TRACKER => "tracker",
    TORCLASS_SOURCE_DHT => "dht",
    TORCLASS_SOURCE_LSD => "lsd",
    TORCLASS_SOURCE_LISTEN_PORT => "listen_port",
    TORCLASS_SOURCE_FLOW => "flow",
    TORCLASS_SOURCE_PROXY => "proxy",
];

/// The name of a `TORCLASS_SOURCE_*` number, where an endpoint was learned (`"pex"`,
/// `"tracker"`, `"dht"`, `"lsd"`, `"listen_port"`, `"flow"`, `"proxy"`); NULL for an unknown
/// number. Static; never free it.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_source_name(source: u8) -> *const c_char {
    ffi_boundary!(core::ptr::null(), { lookup(SOURCES, source) })
}

/// Bytes of the longest evidence name with its NUL: a buffer this large holds any one name.
const EVIDENCE_NAME_MAX: usize = 32;

/// The name of one `TORCLASS_EVIDENCE_*` bit (`"handshake"`, `"known_endpoint"`, …, as in
/// the JSON lines' `evidence` list); NULL unless `bit` has exactly one bit that has a name.
/// To list a set, test each bit `1u << i` for `i` in 0..32. Static; never free it.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_evidence_name(bit: u32) -> *const c_char {
    ffi_boundary!(core::ptr::null(), {
        if !bit.is_power_of_two() {
            return core::ptr::null();
        }
        EVIDENCE_NAMES
            .iter()
            .find(|(b, _)| *b == bit)
            .map_or(core::ptr::null(), |(_, n)| n.as_ptr().cast())
    })
}

/// `Evidence::NAMED` with NUL-terminated names, built at compile time.
static EVIDENCE_NAMES: [(u32, [u8; EVIDENCE_NAME_MAX]); Evidence::NAMED.len()] = {
    let mut out = [(0u32, [0u8; EVIDENCE_NAME_MAX]); Evidence::NAMED.len()];
    let mut i = 0;
    while i < Evidence::NAMED.len() {
        let (bit, name) = Evidence::NAMED[i];
        let bytes = name.as_bytes();
        assert!(bytes.len() < EVIDENCE_NAME_MAX, "evidence name too long");
        let mut j = 0;
        while j < bytes.len() {
            out[i].1[j] = bytes[j];
            j += 1;
        }
        out[i].0 = bit.0;
        i += 1;
    }
    out
};

/// Map libpcap's `DLT_*` number (what `pcap_datalink()` returns) to the link type
/// `torclass_table_process` takes, written to `*out_link_type`. libpcap's numbers are the
/// pcap file's `LINKTYPE_*` except for raw IP, which is `DLT_RAW` 12 on most systems and 14
/// on OpenBSD (both give `TORCLASS_LINK_IP`, 101). `TORCLASS_RESULT_UNKNOWN_LINK_TYPE` for a
/// link torclass does not read.
///
/// # Safety
/// `out_link_type` must be NULL or point to a writable `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn torclass_link_type_from_dlt(
    dlt: u32,
    out_link_type: *mut u32,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: NULL is refused; else the caller guarantees a writable u32.
        let out = tri!(unsafe { get_mut(out_link_type) });
        let Some(link) = torclass_core::packet::LinkType::from_dlt(dlt) else {
            return torclass_result::UnknownLinkType;
        };
        *out = link.to_pcap();
        torclass_result::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    fn text(p: *const c_char) -> Option<&'static str> {
        // SAFETY: the name functions return NULL or static NUL-terminated strings.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("?"))
    }

    #[test]
    fn names_match_the_rust_names() {
        // SAFETY: the functions take plain numbers.
        unsafe {
            for p in Protocol::ALL {
                assert_eq!(text(torclass_protocol_name(p as u8)), Some(p.name()));
            }
            assert_eq!(text(torclass_protocol_name(0)), None);
            assert_eq!(text(torclass_verdict_name(2)), Some("not_bittorrent"));
            assert_eq!(text(torclass_confidence_name(2)), Some("confirmed"));
            assert_eq!(text(torclass_confidence_name(0)), None);
            for (bit, name) in Evidence::NAMED {
                assert_eq!(text(torclass_evidence_name(bit.0)), Some(*name));
            }
            assert_eq!(text(torclass_evidence_name(3)), None);
            assert_eq!(text(torclass_evidence_name(0)), None);
            for reason in [
                torclass_core::table::EndReason::Evicted,
                torclass_core::table::EndReason::Drained,
            ] {
                assert_eq!(
                    text(torclass_end_reason_name(reason as u8)),
                    Some(reason.name())
                );
            }
            assert_eq!(text(torclass_end_reason_name(7)), None);
            assert_eq!(
                text(torclass_source_name(TORCLASS_SOURCE_FLOW)),
                Some("flow")
            );
            assert_eq!(text(torclass_source_name(5)), Some("listen_port"));
            assert_eq!(text(torclass_source_name(0)), None);
            assert_eq!(text(torclass_source_name(8)), None);
        }
    }

    #[test]
    fn dlt_raw_is_raw_ip() {
        let mut link = 0;
        // SAFETY: `link` is a writable u32.
        unsafe {
            for (dlt, want) in [
                (12, 101),
                (14, 101),
                (1, 1),
                (113, 113),
                (276, 276),
                (0, 0),
                (9, 9),
                (105, 105),
                (127, 127),
            ] {
                assert_eq!(
                    torclass_link_type_from_dlt(dlt, &mut link),
                    torclass_result::Ok
                );
                assert_eq!(link, want);
            }
            assert_eq!(
                torclass_link_type_from_dlt(147, &mut link),
                torclass_result::UnknownLinkType
            );
            assert_eq!(
                torclass_link_type_from_dlt(1, core::ptr::null_mut()),
                torclass_result::NullParameter
            );
        }
    }
}
