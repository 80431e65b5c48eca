//! [`torclass_result`]: the numbered result codes and their messages.

use core::ffi::c_char;

/// What a function did. The numbers are stable: a code is never renumbered or reused.
///
/// Functions return this type; [`torclass_result_message`] takes a plain `uint32_t`, so any
/// number C has can be passed to it.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum torclass_result {
    /// Success; out-parameters were written.
    Ok = 0,
    /// A required pointer was NULL (or a NULL buffer came with a non-zero length).
    NullParameter = 1,
    /// A number outside its range: a direction, transport or capacity, or a length above
    /// `PTRDIFF_MAX` (or above `TORCLASS_MAX_PACKET_LEN` for a packet).
    InvalidArgument = 2,
    /// The flow or table memory was not set up by `torclass_flow_init` / `torclass_table_init`
    /// (zeroed or garbage bytes), or a table was copied or moved after its init.
    Uninitialized = 3,
    /// The flow memory has torclass's marker but its content fails validation (overwritten,
    /// partly copied, or corrupted).
    CorruptState = 4,
    /// The flow or table was initialised by a library with another ABI version.
    AbiMismatch = 5,
    /// A caller buffer is too small (`torclass_table_size` tells the size a table needs).
    BufferTooSmall = 6,
    /// Table memory is not aligned to `TORCLASS_TABLE_ALIGN`.
    Misaligned = 7,
    /// The link type is not one torclass reads.
    UnknownLinkType = 8,
    /// The packet is not a TCP or UDP packet over IPv4/IPv6 (ARP, ICMP, …): nothing to
    /// classify. A firewall accepts it.
    UnsupportedPacket = 9,
    /// The packet's headers are truncated or malformed. A firewall decides by its own policy.
    MalformedPacket = 10,
    /// No flow in that table slot, or the field was not seen.
    NotFound = 11,
    /// An internal bug was caught at the API boundary; the object is left as it was.
    Panic = 12,
    /// An IP fragment kept until its datagram is complete (or times out): nothing to
    /// classify yet, the fragment that completes the datagram classifies it whole. A firewall
    /// accepts it.
    FragmentHeld = 13,
    /// The table was called from inside its own flow-end callback: refused, nothing done.
    Busy = 14,
}

/// Every code with its message, in number order.
const MESSAGES: [(torclass_result, &str); 15] = [
    (torclass_result::Ok, "ok\0"),
    (
        torclass_result::NullParameter,
        "a required pointer was NULL\0",
    ),
    (
        torclass_result::InvalidArgument,
        "an argument is out of range\0",
    ),
    (
        torclass_result::Uninitialized,
        "memory not initialised by torclass (or a table moved after its init)\0",
    ),
    (
        torclass_result::CorruptState,
        "flow state failed validation (overwritten or corrupted)\0",
    ),
    (
        torclass_result::AbiMismatch,
        "state was initialised by a libtorclass with another ABI version\0",
    ),
    (torclass_result::BufferTooSmall, "buffer too small\0"),
    (
        torclass_result::Misaligned,
        "table memory is not aligned to TORCLASS_TABLE_ALIGN\0",
    ),
    (torclass_result::UnknownLinkType, "unknown link type\0"),
    (
        torclass_result::UnsupportedPacket,
        "not a TCP or UDP packet over IP: nothing to classify\0",
    ),
    (
        torclass_result::MalformedPacket,
        "truncated or malformed packet headers\0",
    ),
    (torclass_result::NotFound, "not found\0"),
    (
        torclass_result::Panic,
        "internal error caught at the API boundary\0",
    ),
    (
        torclass_result::FragmentHeld,
        "IP fragment held for reassembly: nothing to classify yet\0",
    ),
    (
        torclass_result::Busy,
        "table called from inside its own flow-end callback\0",
    ),
];

/// Every code's short name, in number order: `"ok"`, `"null_parameter"`, ….
const NAMES: [&str; 15] = [
    "ok\0",
    "null_parameter\0",
    "invalid_argument\0",
    "uninitialized\0",
    "corrupt_state\0",
    "abi_mismatch\0",
    "buffer_too_small\0",
    "misaligned\0",
    "unknown_link_type\0",
    "unsupported_packet\0",
    "malformed_packet\0",
    "not_found\0",
    "panic\0",
    "fragment_held\0",
    "busy\0",
];

/// Number of result codes: `torclass_table_stats.results` has one counter per code.
pub const TORCLASS_RESULT_COUNT: usize = 15;

const _: () =
    assert!(MESSAGES.len() == TORCLASS_RESULT_COUNT && NAMES.len() == TORCLASS_RESULT_COUNT);

const UNKNOWN: &str = "unknown torclass result code\0";

/// A static, NUL-terminated English message for a result code; for a number that is no
/// result code, `"unknown torclass result code"`. Never NULL; never free it.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_result_message(result: u32) -> *const c_char {
    ffi_boundary!(UNKNOWN.as_ptr().cast(), {
        MESSAGES
            .iter()
            .find(|(code, _)| *code as u32 == result)
            .map_or(UNKNOWN, |(_, message)| message)
            .as_ptr()
            .cast()
    })
}

/// A static, NUL-terminated short name for a result code (`"ok"`, `"fragment_held"`, …, the
/// `TORCLASS_RESULT_*` suffix in lower case), for logs and metrics labels; NULL for a number
/// that is no result code. Never free it.
///
/// # Safety
/// Always safe to call; it is `unsafe` only to match the other exports.
#[no_mangle]
pub unsafe extern "C" fn torclass_result_name(result: u32) -> *const c_char {
    ffi_boundary!(core::ptr::null(), {
        usize::try_from(result)
            .ok()
            .and_then(|i| NAMES.get(i))
            .map_or(core::ptr::null(), |n| n.as_ptr().cast())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    #[test]
    fn every_code_has_one_message_in_order() {
        for (i, (code, message)) in MESSAGES.iter().enumerate() {
            assert_eq!(*code as u32 as usize, i);
            assert!(message.ends_with('\0') && message.matches('\0').count() == 1);
        }
        // SAFETY: the function returns static NUL-terminated strings.
        let text = |n| unsafe { CStr::from_ptr(torclass_result_message(n)) };
        assert_eq!(text(0).to_str(), Ok("ok"));
        assert_eq!(text(99).to_str(), Ok("unknown torclass result code"));
        assert_eq!(text(u32::MAX).to_str(), Ok("unknown torclass result code"));
        // SAFETY: as above; NULL is checked before reading.
        let name = |n| unsafe {
            let p = torclass_result_name(n);
            (!p.is_null()).then(|| CStr::from_ptr(p).to_str().unwrap_or(""))
        };
        assert_eq!(name(13), Some("fragment_held"));
        assert_eq!(name(15), None);
        for (code, n) in MESSAGES.iter().zip(NAMES) {
            assert_eq!(
                format!("{:?}", code.0).to_lowercase(),
                n.trim_end_matches('\0').replace('_', "")
            );
        }
    }
}
