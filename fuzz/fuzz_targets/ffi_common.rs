//! What the two C ABI harnesses (`ffi_api`, `ffi_payload`) share: the result codes as the
//! `uint32_t` a C program sees, the link types and transports of their records, the NULL
//! argument, the checks of a returned code and of a verdict's numbers, the flow state's
//! checksum, and the C view of a 5-tuple.

use arbitrary::{Arbitrary, Unstructured};
use torclass::{torclass_flow_key, torclass_result, torclass_verdict};
use torclass_core::packet::FlowKey;
use torclass_core::{Evidence, Protocol};

pub const OK: u32 = torclass_result::Ok as u32;
pub const NULL: u32 = torclass_result::NullParameter as u32;
pub const INVALID: u32 = torclass_result::InvalidArgument as u32;
pub const UNINITIALIZED: u32 = torclass_result::Uninitialized as u32;
pub const TOO_SMALL: u32 = torclass_result::BufferTooSmall as u32;
pub const MISALIGNED: u32 = torclass_result::Misaligned as u32;
pub const UNKNOWN_LINK: u32 = torclass_result::UnknownLinkType as u32;
pub const UNSUPPORTED: u32 = torclass_result::UnsupportedPacket as u32;
pub const MALFORMED: u32 = torclass_result::MalformedPacket as u32;
pub const NOT_FOUND: u32 = torclass_result::NotFound as u32;
pub const PANIC: u32 = torclass_result::Panic as u32;
/// The highest result code.
pub const LAST: u32 = torclass_result::Busy as u32;

/// pcap link types in `LinkType::ALL` order (a record's `head & 7`).
pub const LINKS: [u32; 8] = [0, 1, 101, 108, 113, 228, 229, 276];
pub const TCP: u8 = torclass::TORCLASS_TRANSPORT_TCP;
pub const UDP: u8 = torclass::TORCLASS_TRANSPORT_UDP;
/// Flows a harness keeps (a payload record's `(head >> 1) & 3`).
pub const FLOWS: usize = 4;

/// Pass NULL instead of a pointer (one time in sixteen).
#[derive(Debug, Clone, Copy)]
pub struct Null(pub bool);

impl<'a> Arbitrary<'a> for Null {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self(u8::arbitrary(u)? >= 0xf0))
    }
}

/// The code a call must return: one of `errors` if any applies, else `then`.
pub fn expect(call: &str, got: u32, errors: &[(bool, u32)], then: u32) {
    assert!(got <= LAST, "{call}: {got} is no result code");
    assert_ne!(got, PANIC, "{call}: a panic was caught at the boundary");
    let applies: Vec<u32> = errors.iter().filter(|(on, _)| *on).map(|e| e.1).collect();
    if applies.is_empty() {
        assert_eq!(got, then, "{call}");
    } else {
        assert!(
            applies.contains(&got),
            "{call}: {got}, want one of {applies:?}"
        );
    }
}

/// Every evidence bit that has a name.
pub fn known_evidence() -> u32 {
    Evidence::NAMED.iter().fold(0, |all, (bit, _)| all | bit.0)
}

/// The checksum of a flow's header and state bytes (FNV-1a), as the library writes it.
pub fn checksum(head: &[u8], state: &[u8]) -> [u8; 4] {
    head.iter()
        .chain(state)
        .fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
        })
        .to_le_bytes()
}

/// The numbers of a verdict are the documented ones.
pub fn check_verdict(v: &torclass_verdict) {
    match v.verdict {
        torclass::TORCLASS_VERDICT_BITTORRENT => {
            assert!(
                Protocol::ALL.iter().any(|p| *p as u8 == v.protocol),
                "{v:?}"
            );
            assert!(matches!(v.confidence, 1 | 2), "{v:?}");
        }
        torclass::TORCLASS_VERDICT_UNDECIDED | torclass::TORCLASS_VERDICT_NOT_BITTORRENT => {
            assert_eq!((v.protocol, v.confidence), (0, 0), "{v:?}");
        }
        _ => panic!("verdict number {v:?}"),
    }
    // The evidence gathered so far shows whatever the verdict.
    assert_eq!(v.evidence & !known_evidence(), 0, "{v:?}");
    assert!(v.finished <= 1, "{v:?}");
    assert!(
        v.finished == 0 || v.verdict != torclass::TORCLASS_VERDICT_UNDECIDED,
        "finished but undecided: {v:?}"
    );
}

/// The C view of a 5-tuple.
pub fn c_key(key: &FlowKey) -> torclass_flow_key {
    let mut out = torclass_flow_key {
        transport: key.transport as u8,
        src_port: key.src.port,
        dst_port: key.dst.port,
        ..Default::default()
    };
    for (addr, dst) in [
        (key.src.addr, &mut out.src_addr),
        (key.dst.addr, &mut out.dst_addr),
    ] {
        match addr {
            std::net::IpAddr::V4(a) => {
                out.ip_version = 4;
                dst[..4].copy_from_slice(&a.octets());
            }
            std::net::IpAddr::V6(a) => {
                out.ip_version = 6;
                dst.copy_from_slice(&a.octets());
            }
        }
    }
    out
}

/// The exports both harnesses call, as `include/torclass.h` declares them to C (each
/// harness declares the rest it calls).
pub mod exports {
    use core::ffi::c_void;
    use torclass::{
        torclass_flow, torclass_flow_key, torclass_packet_result, torclass_table_config,
        torclass_table_stats, torclass_verdict,
    };

    extern "C" {
        pub fn torclass_flow_init(flow: *mut torclass_flow, transport: u8, ip_version: u8) -> u32;
        pub fn torclass_flow_verdict(
            flow: *const torclass_flow,
            out_verdict: *mut torclass_verdict,
        ) -> u32;
        pub fn torclass_table_flow_key(
            table: *const c_void,
            slot_index: u32,
            out_key: *mut torclass_flow_key,
        ) -> u32;
        pub fn torclass_table_get_stats(
            table: *const c_void,
            out_stats: *mut torclass_table_stats,
            stats_size: usize,
        ) -> u32;
        pub fn torclass_table_init(
            mem: *mut c_void,
            mem_len: usize,
            capacity: u32,
            seed: u64,
            config: *const torclass_table_config,
            out_table: *mut *mut c_void,
        ) -> u32;
        pub fn torclass_table_process(
            table: *mut c_void,
            link_type: u32,
            data: *const u8,
            len: usize,
            timestamp_ns: u64,
            out_result: *mut torclass_packet_result,
        ) -> u32;
        pub fn torclass_table_size(capacity: u32) -> usize;
    }
}
