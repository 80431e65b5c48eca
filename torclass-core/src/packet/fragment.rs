//! [`IpFragment`]: one fragment of an IPv4 (RFC 791 §2.3, §3.2) or IPv6 (RFC 8200 §4.5)
//! datagram, as [`fragment`](super::fragment) finds it, for a reassembler.

use core::net::IpAddr;

use super::tunnel::Tunnel;

/// What identifies the datagram a fragment belongs to: RFC 791 §3.2 (source, destination,
/// protocol, identification) and RFC 8200 §4.5 (source, destination, identification).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FragmentKey {
    /// The sender.
    pub src: IpAddr,
    /// The receiver.
    pub dst: IpAddr,
    /// The identification: 16 bits for IPv4, 32 for IPv6.
    pub id: u32,
    /// The IPv4 protocol, or the IPv6 fragment header's next header (which may be an
    /// extension header of the fragmentable part).
    pub protocol: u8,
}

/// One fragment, borrowing its data from the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpFragment<'a> {
    /// The datagram it belongs to.
    pub key: FragmentKey,
    /// Where its data goes in the datagram's fragmentable part, in bytes (a multiple of 8).
    pub offset: u32,
    /// More fragments follow (the MF flag / M flag).
    pub more: bool,
    /// Its data: the bytes after the IPv4 header (with options) or after the IPv6 fragment
    /// header, bounded by the IP length.
    pub data: &'a [u8],
    /// Whether the capture holds all of the data the IP header announces; a fragment cut by
    /// the snapshot length cannot be reassembled.
    pub whole: bool,
    /// The encapsulation it arrived in, as on [`Packet::tunnel`](super::Packet::tunnel).
    pub tunnel: Option<Tunnel>,
}
