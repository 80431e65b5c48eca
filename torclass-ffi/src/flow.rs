//! [`torclass_flow`]: one flow's classification state in memory the caller owns, for daemons
//! that already track connections and reassemble payloads (the payload entry point).
//!
//! Layout of `opaque` (all checked on every call, so any bytes are safe to pass):
//!
//! | bytes | field |
//! |---|---|
//! | 0..2 | magic `"tc"` |
//! | 2 | ABI version |
//! | 3 | zero |
//! | 4..8 | FNV-1a checksum of bytes 0..4 and the state, little-endian |
//! | 8..92 | `FlowClassifier::to_state` |

use torclass_core::{FlowClassifier, NoObserver, Observer, Transport};

use crate::boundary::{bytes, get, get_mut, out};
use crate::meta::torclass_meta;
use crate::result::torclass_result;
use crate::verdict::{direction, torclass_verdict, TORCLASS_TRANSPORT_TCP, TORCLASS_TRANSPORT_UDP};
use crate::version::TORCLASS_ABI_VERSION;

/// Bytes of a [`torclass_flow`].
pub const TORCLASS_FLOW_SIZE: usize = 92;

const HEADER_LEN: usize = 8;
const MAGIC: [u8; 2] = *b"tc";

const _: () = assert!(HEADER_LEN + FlowClassifier::STATE_LEN == TORCLASS_FLOW_SIZE);
const _: () = assert!(
    TORCLASS_ABI_VERSION < 256,
    "the flow header stores it in a byte"
);

/// One flow's state: `TORCLASS_FLOW_SIZE` bytes, alignment 1 (any address will do), no
/// pointers inside. Embed it in your own connection entry and copy it with `memcpy` freely.
/// Set it up with `torclass_flow_init`; zeroed, garbage or corrupted bytes give an error code
/// (`TORCLASS_RESULT_UNINITIALIZED`, `_CORRUPT_STATE`, `_ABI_MISMATCH`), never undefined
/// behaviour. Not thread-safe: one thread at a time per flow; different flows are independent.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct torclass_flow {
    /// Private: read and written only by torclass functions.
    pub opaque: [u8; TORCLASS_FLOW_SIZE],
}

const _: () = assert!(core::mem::size_of::<torclass_flow>() == TORCLASS_FLOW_SIZE);
const _: () = assert!(core::mem::align_of::<torclass_flow>() == 1);

/// FNV-1a over the header's first four bytes and the state.
fn checksum(head: &[u8], state: &[u8]) -> u32 {
    head.iter().chain(state).fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

fn store(flow: &mut torclass_flow, classifier: &FlowClassifier) {
    let state = classifier.to_state();
    let head = [MAGIC[0], MAGIC[1], TORCLASS_ABI_VERSION as u8, 0];
    let sum = checksum(&head, &state);
    flow.opaque[..4].copy_from_slice(&head);
    flow.opaque[4..HEADER_LEN].copy_from_slice(&sum.to_le_bytes());
    flow.opaque[HEADER_LEN..].copy_from_slice(&state);
}

fn load(flow: &torclass_flow) -> Result<FlowClassifier, torclass_result> {
    let (header, state) = flow.opaque.split_at(HEADER_LEN);
    let (head, sum) = header.split_at(4);
    if head[..2] != MAGIC || head[3] != 0 {
        return Err(torclass_result::Uninitialized);
    }
    if head[2] != TORCLASS_ABI_VERSION as u8 {
        return Err(torclass_result::AbiMismatch);
    }
    let stored = u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]);
    if stored != checksum(head, state) {
        return Err(torclass_result::CorruptState);
    }
    let state: &[u8; FlowClassifier::STATE_LEN] = state
        .try_into()
        .map_err(|_| torclass_result::CorruptState)?;
    FlowClassifier::from_state(state).ok_or(torclass_result::CorruptState)
}

fn verdict_of(c: &FlowClassifier) -> torclass_verdict {
    torclass_verdict::of(c)
}

/// Set up `*flow` for a new flow over `transport` (`TORCLASS_TRANSPORT_TCP` or `_UDP`);
/// `ip_version` is 4 or 6 (UDP tracker replies list peers by address family).
///
/// # Safety
/// `flow` must be NULL or point to `TORCLASS_FLOW_SIZE` writable bytes not used by another
/// thread during the call.
#[no_mangle]
pub unsafe extern "C" fn torclass_flow_init(
    flow: *mut torclass_flow,
    transport: u8,
    ip_version: u8,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(flow));
        let transport = match transport {
            TORCLASS_TRANSPORT_TCP => Transport::Tcp,
            TORCLASS_TRANSPORT_UDP => Transport::Udp,
            _ => return torclass_result::InvalidArgument,
        };
        let ipv6 = match ip_version {
            4 => false,
            6 => true,
            _ => return torclass_result::InvalidArgument,
        };
        // SAFETY: not NULL (checked); the caller guarantees writable, unshared memory, and
        // `torclass_flow` has alignment 1 and no invalid bit patterns.
        let flow = tri!(unsafe { get_mut(flow) });
        store(flow, &FlowClassifier::with_family(transport, ipv6));
        torclass_result::Ok
    })
}

fn feed_with<O: Observer>(
    flow: *mut torclass_flow,
    dir: u8,
    payload: *const u8,
    len: usize,
    observer: Option<&mut O>,
    out_verdict: *mut torclass_verdict,
) -> torclass_result {
    tri!(out(out_verdict));
    let Some(direction) = direction(dir) else {
        return torclass_result::InvalidArgument;
    };
    // SAFETY: the exports' callers guarantee `len` readable bytes at a non-NULL `payload`.
    let payload = tri!(unsafe { bytes(payload, len) });
    // SAFETY: the exports' callers guarantee `flow` is NULL or valid and unshared.
    let flow = tri!(unsafe { get_mut(flow) });
    let mut classifier = tri!(load(flow));
    match observer {
        Some(o) => classifier.feed_with(direction, payload, o),
        None => classifier.feed_with(direction, payload, &mut NoObserver),
    };
    store(flow, &classifier);
    let v = verdict_of(&classifier);
    // SAFETY: `out_verdict` is not NULL (checked first) and points to writable storage.
    unsafe { out_verdict.write(v) };
    torclass_result::Ok
}

/// Feed the next payload `direction` (`TORCLASS_DIRECTION_*`) sent: a TCP segment's new bytes
/// in stream order, or one UDP datagram; write the verdict so far to `*out_verdict`.
/// `payload` may be NULL when `len` is 0. Bounded work, no allocation. On any error the flow
/// is left unchanged.
///
/// # Safety
/// `flow` must be NULL or point to a `torclass_flow` not used by another thread during the
/// call; `payload` must be NULL or point to `len` readable bytes; `out_verdict` must be NULL
/// or point to a writable `torclass_verdict` that does not overlap `flow` or `payload`.
#[no_mangle]
pub unsafe extern "C" fn torclass_flow_feed(
    flow: *mut torclass_flow,
    direction: u8,
    payload: *const u8,
    len: usize,
    out_verdict: *mut torclass_verdict,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        feed_with::<NoObserver>(flow, direction, payload, len, None, out_verdict)
    })
}

/// `torclass_flow_feed`, also collecting the info-hash, peer ids and client names into
/// `*meta`, a record the caller keeps with the flow (zero it, or start from any earlier
/// record of the same flow: fields cut across segments are reassembled there).
///
/// # Safety
/// As for `torclass_flow_feed`; `meta` must be NULL or point to a `torclass_meta` not used by
/// another thread during the call, and must not overlap `flow`, `payload` or `out_verdict`.
#[no_mangle]
pub unsafe extern "C" fn torclass_flow_feed_meta(
    flow: *mut torclass_flow,
    direction: u8,
    payload: *const u8,
    len: usize,
    meta: *mut torclass_meta,
    out_verdict: *mut torclass_verdict,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: NULL is refused; else the caller guarantees a valid, unshared record (every
        // bit pattern of `torclass_meta` is valid).
        let meta = tri!(unsafe { get_mut(meta) });
        let mut copy = *meta;
        let result = feed_with(flow, direction, payload, len, Some(&mut copy), out_verdict);
        if result == torclass_result::Ok {
            copy.name_clients();
            *meta = copy;
        }
        result
    })
}

/// Write `*flow`'s verdict so far to `*out_verdict`.
///
/// # Safety
/// `flow` must be NULL or point to a `torclass_flow` no other thread writes during the call;
/// `out_verdict` must be NULL or point to a writable `torclass_verdict`.
#[no_mangle]
pub unsafe extern "C" fn torclass_flow_verdict(
    flow: *const torclass_flow,
    out_verdict: *mut torclass_verdict,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_verdict));
        // SAFETY: as documented for the caller.
        let classifier = tri!(load(tri!(unsafe { get(flow) })));
        // SAFETY: `out_verdict` is not NULL (checked first) and points to writable storage.
        unsafe { out_verdict.write(verdict_of(&classifier)) };
        torclass_result::Ok
    })
}

/// The flow ended (closed, reset, or timed out): an undecided verdict becomes
/// `TORCLASS_VERDICT_NOT_BITTORRENT`. Writes the final verdict to `*out_verdict`.
///
/// # Safety
/// As for `torclass_flow_feed`.
#[no_mangle]
pub unsafe extern "C" fn torclass_flow_finish(
    flow: *mut torclass_flow,
    out_verdict: *mut torclass_verdict,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_verdict));
        // SAFETY: as documented for the caller.
        let flow = tri!(unsafe { get_mut(flow) });
        let mut classifier = tri!(load(flow));
        classifier.finish();
        store(flow, &classifier);
        // SAFETY: `out_verdict` is not NULL (checked first) and points to writable storage.
        unsafe { out_verdict.write(verdict_of(&classifier)) };
        torclass_result::Ok
    })
}

/// Tell the flow that the stream `direction` sent lost bytes before its next payload (a hole
/// your reassembly could not fill): readers that cannot resume stop, instead of misreading.
///
/// # Safety
/// `flow` must be NULL or point to a `torclass_flow` not used by another thread during the
/// call.
#[no_mangle]
pub unsafe extern "C" fn torclass_flow_gap(
    flow: *mut torclass_flow,
    direction: u8,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        let Some(direction) = crate::verdict::direction(direction) else {
            return torclass_result::InvalidArgument;
        };
        // SAFETY: as documented for the caller.
        let flow = tri!(unsafe { get_mut(flow) });
        let mut classifier = tri!(load(flow));
        classifier.gap(direction);
        store(flow, &classifier);
        torclass_result::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::*;

    fn init(transport: u8) -> torclass_flow {
        let mut f = torclass_flow {
            opaque: [0; TORCLASS_FLOW_SIZE],
        };
        // SAFETY: valid pointer to a local flow.
        let r = unsafe { torclass_flow_init(&mut f, transport, 4) };
        assert_eq!(r, torclass_result::Ok);
        f
    }

    #[test]
    fn a_handshake_in_pieces_is_bittorrent() {
        let mut f = init(TORCLASS_TRANSPORT_TCP);
        // A handshake, then an `interested` message, which confirms it at once.
        let mut hs = [0u8; 73];
        hs[..20].copy_from_slice(b"\x13BitTorrent protocol");
        hs[48..56].copy_from_slice(b"-TR3000-");
        hs[68..].copy_from_slice(&[0, 0, 0, 1, 2]);
        let mut v = torclass_verdict::default();
        let mut meta = torclass_meta::default();
        for piece in hs.chunks(9) {
            // SAFETY: valid pointers and lengths.
            let r = unsafe {
                torclass_flow_feed_meta(&mut f, 0, piece.as_ptr(), piece.len(), &mut meta, &mut v)
            };
            assert_eq!(r, torclass_result::Ok);
        }
        assert_eq!(v.verdict, TORCLASS_VERDICT_BITTORRENT);
        assert_eq!(v.protocol, TORCLASS_PROTOCOL_PEER_WIRE);
        assert_ne!(v.evidence & TORCLASS_EVIDENCE_HANDSHAKE, 0);
        assert_eq!(meta.info_hash_len, 20);
        assert_eq!(&meta.client[0][..12], b"Transmission");
    }

    #[test]
    fn bad_state_is_an_error_and_untouched() {
        let zero = torclass_flow {
            opaque: [0; TORCLASS_FLOW_SIZE],
        };
        let mut v = torclass_verdict::default();
        // SAFETY: valid pointers.
        unsafe {
            assert_eq!(
                torclass_flow_verdict(&zero, &mut v),
                torclass_result::Uninitialized
            );
            let mut f = init(TORCLASS_TRANSPORT_UDP);
            f.opaque[20] ^= 1;
            let before = f;
            assert_eq!(
                torclass_flow_feed(&mut f, 0, b"x".as_ptr(), 1, &mut v),
                torclass_result::CorruptState
            );
            assert_eq!(f, before);
            let mut f = init(TORCLASS_TRANSPORT_TCP);
            f.opaque[2] = 9;
            assert_eq!(torclass_flow_gap(&mut f, 0), torclass_result::AbiMismatch);
            assert_eq!(
                torclass_flow_init(&mut f, 1, 4),
                torclass_result::InvalidArgument
            );
            assert_eq!(
                torclass_flow_gap(&mut f, 2),
                torclass_result::InvalidArgument
            );
        }
    }
}
