//! [`torclass_packet_decode`]: a packet's 5-tuple and TCP flags without a table, so that a
//! daemon needs no header parser of its own (to drop a SYN to a known peer before it is
//! classified, say).

use torclass_core::packet::{decode, Fragment, LinkType};

use crate::boundary::{bytes, out, prefix_len, write_prefix};
use crate::result::torclass_result;
use crate::table::{decode_error, flow_key, torclass_flow_key, TORCLASS_MAX_PACKET_LEN};

/// `torclass_packet_info.tcp_flags`: FIN.
pub const TORCLASS_TCP_FIN: u8 = 0x01;
/// `torclass_packet_info.tcp_flags`: SYN.
pub const TORCLASS_TCP_SYN: u8 = 0x02;
/// `torclass_packet_info.tcp_flags`: RST.
pub const TORCLASS_TCP_RST: u8 = 0x04;
/// `torclass_packet_info.tcp_flags`: ACK.
pub const TORCLASS_TCP_ACK: u8 = 0x10;

const _: () = {
    use torclass_core::packet::TcpFlags;
    assert!(TORCLASS_TCP_FIN == TcpFlags::FIN.0 && TORCLASS_TCP_SYN == TcpFlags::SYN.0);
    assert!(TORCLASS_TCP_RST == TcpFlags::RST.0 && TORCLASS_TCP_ACK == TcpFlags::ACK.0);
};

/// What [`torclass_packet_decode`] read of a packet.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct torclass_packet_info {
    /// Bytes of this struct the library wrote (`sizeof(torclass_packet_info)` of its version).
    pub struct_size: u32,
    /// The TCP header's flag byte (`TORCLASS_TCP_*`: a new connection's first packet has SYN
    /// without ACK); 0 for UDP.
    pub tcp_flags: u8,
    /// 1 if the packet is the first fragment of an IP datagram (its transport header is here,
    /// its payload only in part).
    pub first_fragment: u8,
    /// Zero.
    pub reserved: u16,
    /// Transport payload bytes the IP (and UDP) headers announce (more than the captured
    /// bytes when the capture cut the packet).
    pub payload_len: u32,
    /// The 5-tuple as this packet goes: `src` is its sender. For a flow inside a tunnel
    /// (GRE, IP-in-IP, VXLAN, …) the inner one.
    pub key: torclass_flow_key,
}

/// The size of `torclass_packet_info` in ABI 1 (to its last field): the smallest `info_size`
/// [`torclass_packet_decode`] accepts; fields added later go after it.
const PACKET_INFO_SIZE_ABI1: usize =
    core::mem::offset_of!(torclass_packet_info, key) + core::mem::size_of::<torclass_flow_key>();

/// Decode the headers of one packet (`link_type` as for `torclass_table_process`) and write
/// its 5-tuple, TCP flags and payload length to `*out_info`; `info_size` is
/// `sizeof(torclass_packet_info)`. Nothing is classified and no table is touched: safe from any
/// thread, bounded work, no allocation. Results as for `torclass_table_process`:
/// `TORCLASS_RESULT_UNSUPPORTED_PACKET` for a packet that is not TCP/UDP over IP (or a later IP
/// fragment, which has no transport header), `_MALFORMED_PACKET`, `_UNKNOWN_LINK_TYPE`,
/// `_INVALID_ARGUMENT` over `TORCLASS_MAX_PACKET_LEN`, `_BUFFER_TOO_SMALL` for an `info_size`
/// below this struct (a later library writes `min(info_size, its own sizeof)` bytes and sets
/// `struct_size` to that).
///
/// A new connection (to look its destination up among the known peers before classifying it):
///
/// ```c
/// torclass_packet_info p;
/// if (torclass_packet_decode(TORCLASS_LINK_IP, data, len, &p, sizeof p) == TORCLASS_RESULT_OK &&
///     (p.tcp_flags & (TORCLASS_TCP_SYN | TORCLASS_TCP_ACK)) == TORCLASS_TCP_SYN) { ... }
/// ```
///
/// # Safety
/// `data` must be NULL or point to `len` readable bytes; `out_info` must be NULL or point to
/// `info_size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn torclass_packet_decode(
    link_type: u32,
    data: *const u8,
    len: usize,
    out_info: *mut torclass_packet_info,
    info_size: usize,
) -> torclass_result {
    ffi_boundary!(torclass_result::Panic, {
        tri!(out(out_info));
        if info_size < PACKET_INFO_SIZE_ABI1 {
            return torclass_result::BufferTooSmall;
        }
        if len > TORCLASS_MAX_PACKET_LEN {
            return torclass_result::InvalidArgument;
        }
        let Some(link) = LinkType::from_pcap(link_type) else {
            return torclass_result::UnknownLinkType;
        };
        // SAFETY: the caller guarantees `len` readable bytes at a non-NULL `data`.
        let frame = tri!(unsafe { bytes(data, len) });
        let packet = match decode(link, frame) {
            Ok(p) => p,
            Err(e) => return decode_error(e),
        };
        let info = torclass_packet_info {
            struct_size: prefix_len::<torclass_packet_info>(info_size) as u32,
            tcp_flags: packet.tcp.map_or(0, |t| t.flags.0),
            first_fragment: u8::from(packet.fragment == Fragment::First),
            reserved: 0,
            payload_len: packet.payload_len_on_wire,
            key: flow_key(&packet.key),
        };
        // SAFETY: `out_info` is not NULL (checked first) and points to `info_size` writable
        // bytes; `info` is a local.
        unsafe { write_prefix(out_info, &info, info_size) };
        torclass_result::Ok
    })
}
