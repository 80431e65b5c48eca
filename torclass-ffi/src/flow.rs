//! [`torclass_flow`]: one flow's classification state in memory the caller owns, for daemons
//! that already track connections and reassemble payloads (the payload entry point).
//!
//! Layout of `opaque` (all checked on every call, so any bytes are safe to pass):
//!
//! | bytes | field |
//! |---|---|
//! | 0..2 | magic `"tc"` |
//! | 2 | ABI version |
//! | 3 | mode: bit 7 picked up mid-stream (`torclass_flow_midstream`), bits 0–3 resyncs done; other bits zero |
//! | 4..8 | FNV-1a checksum of bytes 0..4 and the state, little-endian |
//! | 8..92 | `FlowClassifier::to_state` |

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use torclass_core::endpoints::EndpointCache;
use torclass_core::{
    Direction, Endpoint, FlowClassifier, FlowKey, Learning, NoObserver, Observer, Transport,
    Verdict,
};

use crate::boundary::{bytes, get, get_mut, out};
use crate::endpoints::{cache_mut, cache_ref, torclass_endpoints};
use crate::meta::torclass_meta;
use crate::result::torclass_result;
use crate::table::{torclass_flow_key, RawEntries};
use crate::verdict::{direction, torclass_verdict, TORCLASS_TRANSPORT_TCP, TORCLASS_TRANSPORT_UDP};
use crate::version::TORCLASS_ABI_VERSION;

/// Bytes of a [`torclass_flow`].
pub const TORCLASS_FLOW_SIZE: usize = 92;

const HEADER_LEN: usize = 8;
const MAGIC: [u8; 2] = *b"tc";

/// Header byte 3: the flow was picked up mid-stream.
const MIDSTREAM: u8 = 0x80;
/// Header byte 3: how many times a mid-stream flow restarted a side's reading.
const RESYNCS: u8 = 0x0f;
/// Times a mid-stream flow may restart a side's reading at a payload start: the bound a flow
/// table keeps (the core's `table::MIDSTREAM_RESYNCS`), which keeps the chance of a
/// mid-stream rule matching other traffic what was measured.
const MIDSTREAM_RESYNCS: u8 = 8;

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

fn store(flow: &mut torclass_flow, classifier: &FlowClassifier, mode: u8) {
    let state = classifier.to_state();
    let head = [MAGIC[0], MAGIC[1], TORCLASS_ABI_VERSION as u8, mode];
    let sum = checksum(&head, &state);
    flow.opaque[..4].copy_from_slice(&head);
    flow.opaque[4..HEADER_LEN].copy_from_slice(&sum.to_le_bytes());
    flow.opaque[HEADER_LEN..].copy_from_slice(&state);
}

/// The classifier and the mode byte of a flow.
fn load(flow: &torclass_flow) -> Result<(FlowClassifier, u8), torclass_result> {
    let (header, state) = flow.opaque.split_at(HEADER_LEN);
    let (head, sum) = header.split_at(4);
    if head[..2] != MAGIC || head[3] & !(MIDSTREAM | RESYNCS) != 0 {
        return Err(torclass_result::Uninitialized);
    }
    if head[2] != TORCLASS_ABI_VERSION as u8 {
        return Err(torclass_result::AbiMismatch);
    }
    let stored = u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]);
    if stored != checksum(head, state) || head[3] & RESYNCS > MIDSTREAM_RESYNCS {
        return Err(torclass_result::CorruptState);
    }
    let state: &[u8; FlowClassifier::STATE_LEN] = state
        .try_into()
        .map_err(|_| torclass_result::CorruptState)?;
    let classifier = FlowClassifier::from_state(state).ok_or(torclass_result::CorruptState)?;
    Ok((classifier, head[3]))
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
        store(flow, &FlowClassifier::with_family(transport, ipv6), 0);
        torclass_result::Ok
    })
}

/// Load `flow`, restart a mid-stream side that gave up (as a flow table does, at most
/// [`MIDSTREAM_RESYNCS`] times), feed `payload`, store the flow. Returns whether the flow was
/// confirmed alone before ([`FlowClassifier::confirmed_alone`]) and the classifier after. `transport`, if given, must be the flow's.
fn feed_flow<O: Observer>(
    flow: &mut torclass_flow,
    direction: Direction,
    payload: &[u8],
    transport: Option<Transport>,
    observer: &mut O,
) -> Result<(bool, FlowClassifier), torclass_result> {
    let (mut classifier, mut mode) = load(flow)?;
    if transport.is_some_and(|t| t != classifier.transport()) {
        return Err(torclass_result::InvalidArgument);
    }
    let before = classifier.confirmed_alone();
    if mode & MIDSTREAM != 0
        && !payload.is_empty()
        && mode & RESYNCS < MIDSTREAM_RESYNCS
        && classifier.resync(direction)
    {
        mode += 1;
    }
    classifier.feed_with(direction, payload, observer);
    store(flow, &classifier, mode);
    Ok((before, classifier))
}

fn feed_with<O: Observer>(
    flow: *mut torclass_flow,
    dir: u8,
    payload: *const u8,
    len: usize,
    observer: &mut O,
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
    let (_, classifier) = tri!(feed_flow(flow, direction, payload, None, observer));
    // SAFETY: `out_verdict` is not NULL (checked first) and points to writable storage.
    unsafe { out_verdict.write(verdict_of(&classifier)) };
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
        feed_with(flow, direction, payload, len, &mut NoObserver, out_verdict)
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
        let result = feed_with(flow, direction, payload, len, &mut copy, out_verdict);
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
        let (classifier, _) = tri!(load(tri!(unsafe { get(flow) })));
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
        let (mut classifier, mode) = tri!(load(flow));
        classifier.finish();
        store(flow, &classifier, mode);
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
        let (mut classifier, mode) = tri!(load(flow));
        classifier.gap(direction);
        store(flow, &classifier, mode);
        torclass_result::Ok
    })
}

/// The flow was picked up mid-stream: its beginning was missed (the daemon restarted, the
/// engine saw the connection late), so its first bytes are not the start of anything. Call it
/// right after `torclass_flow_init`, before the first payload, as a flow table does for a TCP
/// flow first seen without its SYN. Then:
///
/// - the flow is never measured as an MSE/PE key exchange (its first bytes are no key);
/// - a side whose first byte is `0x00` is read as a run of length-prefixed peer wire messages
///   (a message length's high byte) instead of waiting for a handshake;
/// - a side that stops fitting anything (it began inside a message) is read again from the
///   start of its next payload, at most 8 times per flow, as long as the flow is undecided,
///   as a table does: pass payloads as they arrived (a segment starts where its sender's
///   write, and so usually a message, began), not re-chunked buffers. Once both sides have
///   stopped fitting, the flow is `TORCLASS_VERDICT_NOT_BITTORRENT` and read no more (the
///   core's rule for every flow).
///
/// Verdicts follow the core's mid-stream rules: 3 valid messages with payloads on one side,
/// on both or split over both are only `TORCLASS_CONFIDENCE_LIKELY` (other `<u32
/// length><type>` protocols frame the same way); `_CONFIRMED` needs BEP 10 extension
/// messages, or a rule that confirms from any point (an HTTP tracker
/// announce, a handshake that appears at a payload start). No effect on UDP flows (each
/// datagram is read on its own anyway). `TORCLASS_RESULT_INVALID_ARGUMENT`, the flow
/// unchanged, for a TCP flow that already has a verdict or evidence (picking it up mid-stream
/// then would drop them).
///
/// # Safety
/// `flow` must be NULL or point to a `torclass_flow` not used by another thread during the
/// call.
#[no_mangle]
pub unsafe extern "C" fn torclass_flow_midstream(flow: *mut torclass_flow) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        // SAFETY: as documented for the caller.
        let flow = tri!(unsafe { get_mut(flow) });
        let (mut classifier, mode) = tri!(load(flow));
        if classifier.transport() == Transport::Tcp {
            // The core re-decides from the sides' readers, which would drop a verdict (one
            // that never goes back) or evidence gathered since the start.
            if !matches!(classifier.verdict(), Verdict::Undecided) || classifier.evidence().0 != 0 {
                return torclass_result::InvalidArgument;
            }
            classifier.midstream();
            store(flow, &classifier, mode | MIDSTREAM);
        }
        torclass_result::Ok
    })
}

/// The core key of a C flow key, or INVALID_ARGUMENT.
fn flow_key(key: &torclass_flow_key) -> Result<FlowKey, torclass_result> {
    let transport = match key.transport {
        TORCLASS_TRANSPORT_TCP => Transport::Tcp,
        TORCLASS_TRANSPORT_UDP => Transport::Udp,
        _ => return Err(torclass_result::InvalidArgument),
    };
    let addr = |a: &[u8; 16]| match key.ip_version {
        4 => Ok(IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))),
        6 => Ok(IpAddr::V6(Ipv6Addr::from(*a))),
        _ => Err(torclass_result::InvalidArgument),
    };
    Ok(FlowKey {
        transport,
        src: Endpoint {
            addr: addr(&key.src_addr)?,
            port: key.src_port,
        },
        dst: Endpoint {
            addr: addr(&key.dst_addr)?,
            port: key.dst_port,
        },
    })
}

/// Feed with learning: see [`torclass_flow_feed_learn`].
fn feed_learning<M: Observer>(
    flow: &mut torclass_flow,
    direction: Direction,
    payload: &[u8],
    meta: &mut M,
    cache: &mut EndpointCache<RawEntries>,
    key: &FlowKey,
    now_ns: u64,
) -> Result<FlowClassifier, torclass_result> {
    let sender = match direction {
        Direction::Initiator => key.src.addr,
        _ => key.dst.addr,
    };
    // As a learning table does (`Learning`): the endpoints the payload names, and when the
    // flow becomes confirmed its peers (a proxied stream's: the endpoint asked of the proxy,
    // if the record kept it, never the proxy; a flow confirmed by corroboration: none).
    let mut learning = Learning::new(meta, cache, sender, now_ns);
    let (alone, classifier) =
        feed_flow(flow, direction, payload, Some(key.transport), &mut learning)?;
    learning.confirmed(key, &classifier, alone);
    Ok(classifier)
}

/// `torclass_flow_feed_meta` with an endpoint cache (`torclass_endpoints_init`), for engines
/// that do their own connection tracking: the peer endpoints this payload names (tracker
/// replies, PEX, the DHT, LSD, a port a peer announces for itself) are learned into `cache`
/// at `now_ns` (NANOSECONDS, the clock of the cache's expiries), and when the flow becomes
/// `_CONFIRMED` its peers are (the responder of peer wire, both ends of uTP and the DHT; none
/// when the flow was confirmed only because of what earlier flows taught, such as an MSE/PE key
/// exchange to a learned endpoint), as a flow table learns. Later flows to those peers are recognised with
/// `torclass_flow_corroborate`. `key` is the flow's 5-tuple oriented from its initiator (the
/// side `TORCLASS_DIRECTION_INITIATOR` names); its transport must be the flow's. `meta` may
/// be NULL (nothing extracted for you, the cache still learns). On any error nothing changes.
///
/// # Safety
/// As for `torclass_flow_feed_meta` (with `meta` possibly NULL); `cache` NULL or from
/// `torclass_endpoints_init`, used by this thread only during the call; `key` NULL or a valid
/// `torclass_flow_key`. None of them may overlap.
#[no_mangle]
pub unsafe extern "C" fn torclass_flow_feed_learn(
    flow: *mut torclass_flow,
    direction: u8,
    payload: *const u8,
    len: usize,
    meta: *mut torclass_meta,
    cache: *mut torclass_endpoints,
    key: *const torclass_flow_key,
    now_ns: u64,
    out_verdict: *mut torclass_verdict,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_verdict));
        let Some(dir) = crate::verdict::direction(direction) else {
            return torclass_result::InvalidArgument;
        };
        // SAFETY: NULL is refused; else a valid key (caller contract).
        let key = tri!(flow_key(tri!(unsafe { get(key) })));
        // SAFETY: the caller guarantees `len` readable bytes at a non-NULL `payload`.
        let payload = tri!(unsafe { bytes(payload, len) });
        // SAFETY: as documented for the caller.
        let flow = tri!(unsafe { get_mut(flow) });
        // SAFETY: as documented for the caller.
        let cache = tri!(unsafe { cache_mut(cache) });
        // SAFETY: NULL or a valid, unshared record (every bit pattern is valid).
        let classifier = match unsafe { meta.as_mut() } {
            Some(meta) => {
                let mut copy = *meta;
                let c = tri!(feed_learning(
                    flow, dir, payload, &mut copy, cache, &key, now_ns
                ));
                copy.name_clients();
                *meta = copy;
                c
            }
            None => tri!(feed_learning(
                flow,
                dir,
                payload,
                &mut NoObserver,
                cache,
                &key,
                now_ns
            )),
        };
        // SAFETY: `out_verdict` is not NULL (checked first) and points to writable storage.
        unsafe { out_verdict.write(verdict_of(&classifier)) };
        torclass_result::Ok
    })
}

/// Look both ends of the flow's 5-tuple `key` up in `cache` at `now_ns`: if either is a live
/// learned peer, the flow gets `TORCLASS_EVIDENCE_KNOWN_ENDPOINT`, which confirms the shape
/// of an MSE/PE key exchange (and an MSE first flight nothing answered, at the flow's end)
/// and decides nothing alone. Call it when the connection starts, as a flow table does at a
/// flow's first packet: a daemon can drop the SYN when `out_verdict->evidence` has the bit.
/// Call it again at a later payload of a connection not yet BitTorrent (at each one, or when
/// the cache learned peers since), as a flow table does (late corroboration): a peer learned
/// during the key exchange then confirms it at that payload. Writes the verdict to
/// `*out_verdict`.
///
/// # Safety
/// `flow` as for `torclass_flow_feed`; `cache` NULL or from `torclass_endpoints_init` with no
/// concurrent writer; `key` NULL or a valid `torclass_flow_key`; `out_verdict` NULL or a
/// writable `torclass_verdict`.
#[no_mangle]
pub unsafe extern "C" fn torclass_flow_corroborate(
    flow: *mut torclass_flow,
    cache: *const torclass_endpoints,
    key: *const torclass_flow_key,
    now_ns: u64,
    out_verdict: *mut torclass_verdict,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_verdict));
        // SAFETY: NULL is refused; else a valid key (caller contract).
        let key = tri!(flow_key(tri!(unsafe { get(key) })));
        // SAFETY: as documented for the caller.
        let cache = tri!(unsafe { cache_ref(cache) });
        // SAFETY: as documented for the caller.
        let flow = tri!(unsafe { get_mut(flow) });
        let (mut classifier, mode) = tri!(load(flow));
        if classifier.transport() != key.transport {
            return torclass_result::InvalidArgument;
        }
        // `entry` counts no hit or miss (the core's `Learn::corroborate` does, in the caller's
        // memory): threads that share the cache may corroborate at the same time, so this call
        // must not write it.
        if [key.src, key.dst]
            .into_iter()
            .any(|end| cache.entry(end.into(), now_ns).is_some())
        {
            classifier.known_endpoint();
            store(flow, &classifier, mode);
        }
        // SAFETY: `out_verdict` is not NULL (checked first) and points to writable storage.
        unsafe { out_verdict.write(verdict_of(&classifier)) };
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

    fn feed(f: &mut torclass_flow, dir: u8, bytes: &[u8]) -> torclass_verdict {
        let mut v = torclass_verdict::default();
        // SAFETY: valid pointers and lengths.
        let r = unsafe { torclass_flow_feed(f, dir, bytes.as_ptr(), bytes.len(), &mut v) };
        assert_eq!(r, torclass_result::Ok);
        v
    }

    /// Found by the `ffi_payload` fuzz target: mid-stream pickup of a flow already confirmed
    /// took its verdict back to undecided and dropped its evidence.
    #[test]
    fn a_decided_flow_is_not_picked_up_mid_stream() {
        let mut f = init(TORCLASS_TRANSPORT_TCP);
        // SAFETY: a valid flow.
        let r = unsafe { torclass_flow_midstream(&mut f) };
        assert_eq!(r, torclass_result::Ok);
        feed(&mut f, 0, &haves(4));
        let v = feed(&mut f, 1, &haves(4));
        assert_eq!(v.verdict, TORCLASS_VERDICT_BITTORRENT, "{v:?}");
        let before = f;
        // SAFETY: a valid flow.
        let r = unsafe { torclass_flow_midstream(&mut f) };
        assert_eq!(r, torclass_result::InvalidArgument);
        assert_eq!(f.opaque, before.opaque, "a refused pickup changed the flow");
    }

    /// `have` messages (length 5, id 4): aligned peer wire, as after a missed beginning.
    fn haves(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| [0, 0, 0, 5, 4, 0, 0, 0, i as u8])
            .collect()
    }

    #[test]
    fn midstream_flows_resync_at_a_later_payload_and_stay_likely_on_one_side() {
        // The first payload is the middle of a piece; the next ones start at messages.
        let middle = [0xabu8; 700];
        let mut plain = init(TORCLASS_TRANSPORT_TCP);
        let mut mid = init(TORCLASS_TRANSPORT_TCP);
        // SAFETY: valid pointer.
        let r = unsafe { torclass_flow_midstream(&mut mid) };
        assert_eq!(r, torclass_result::Ok);
        for f in [&mut plain, &mut mid] {
            feed(f, 0, &middle);
        }
        // Without the mid-stream mark the side that began with a piece's middle is given up.
        let v = feed(&mut plain, 0, &haves(4));
        assert_ne!(v.verdict, TORCLASS_VERDICT_BITTORRENT);
        let v = feed(&mut mid, 0, &haves(4));
        assert_eq!(v.verdict, TORCLASS_VERDICT_BITTORRENT);
        assert_eq!(v.protocol, TORCLASS_PROTOCOL_PEER_WIRE);
        assert_eq!(v.confidence, TORCLASS_CONFIDENCE_LIKELY);
        assert_ne!(v.evidence & TORCLASS_EVIDENCE_MESSAGE_FRAMING, 0);
        // The other side's run does not confirm it: framing alone never does.
        let v = feed(&mut mid, 1, &haves(4));
        assert_eq!(v.confidence, TORCLASS_CONFIDENCE_LIKELY);
        // The first side was still searching the piece's bytes for a block header, not given
        // up: the payload that starts like a message was read as one without a restart.
        assert_eq!(mid.opaque[3], MIDSTREAM);
    }

    #[test]
    fn midstream_random_bytes_are_never_confirmed_and_resyncs_are_bounded() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut payload = [0u8; 64];
        for round in 0..200 {
            let mut f = init(TORCLASS_TRANSPORT_TCP);
            // SAFETY: valid pointer.
            let r = unsafe { torclass_flow_midstream(&mut f) };
            assert_eq!(r, torclass_result::Ok);
            for i in 0..40 {
                for b in payload.iter_mut() {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    *b = seed as u8;
                }
                // Every other payload starts like a message length, to tempt the reader.
                if i % 2 == 0 {
                    payload[..3].fill(0);
                }
                let len = 1 + (seed as usize >> 8) % payload.len();
                let v = feed(&mut f, (i % 2) as u8, &payload[..len]);
                assert_ne!(v.confidence, TORCLASS_CONFIDENCE_CONFIRMED, "round {round}");
            }
            assert!(f.opaque[3] & RESYNCS <= MIDSTREAM_RESYNCS);
        }
        let mut f = init(TORCLASS_TRANSPORT_TCP);
        f.opaque[3] = MIDSTREAM | 9;
        let sum = checksum(&f.opaque[..4], &f.opaque[HEADER_LEN..]);
        f.opaque[4..HEADER_LEN].copy_from_slice(&sum.to_le_bytes());
        let mut v = torclass_verdict::default();
        // SAFETY: valid pointers.
        let r = unsafe { torclass_flow_verdict(&f, &mut v) };
        assert_eq!(r, torclass_result::CorruptState);
        f.opaque[3] = 0x40;
        // SAFETY: valid pointers.
        let r = unsafe { torclass_flow_verdict(&f, &mut v) };
        assert_eq!(r, torclass_result::Uninitialized);
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
