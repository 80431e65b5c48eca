//! Teredo (RFC 4380 §5.1.1): IPv6 packets in UDP over IPv4 to or from port 3544, behind an
//! optional authentication indicator and an optional origin indication.
//!
//! Port 3544 is Teredo's server port; a peer's DHT or uTP datagram may use it too. The inner
//! IPv6 header is what says Teredo: version 6 and a payload length that accounts for the
//! datagram exactly (from the UDP length, so a capture cut short still matches).
//!
//! Bubbles (next header 59, RFC 4380 §2.8) and ICMPv6 (the qualification's router
//! solicitations and advertisements, §5.2.1, and the direct-IPv6 pings) carry no flow to
//! classify: they stay ordinary UDP datagrams, so the client's exchange with its server keeps
//! its own record.

use super::error::DecodeError;
use super::link::be16;
use super::Layer;

/// Fields of the indicators and the IPv6 header behind them.
mod field {
    use core::ops::Range;
    /// The indicator type, in front of an indicator.
    pub const INDICATOR: Range<usize> = 0..2;
    /// Type of the authentication indicator.
    pub const AUTHENTICATION: u16 = 0x0001;
    /// Type of the origin indication.
    pub const ORIGIN: u16 = 0x0000;
    /// Authentication: type, ID-len, AU-len, then the client identifier and the
    /// authentication value, then nonce (8) and confirmation (1).
    pub const AUTH_FIXED: usize = 4 + 8 + 1;
    /// Where ID-len is.
    pub const ID_LEN: usize = 2;
    /// Where AU-len is.
    pub const AU_LEN: usize = 3;
    /// Origin indication: type, obfuscated port, obfuscated IPv4 address.
    pub const ORIGIN_LEN: usize = 8;
    /// The IPv6 header.
    pub const IPV6_LEN: usize = 40;
    /// The IPv6 payload length.
    pub const IPV6_PAYLOAD_LEN: Range<usize> = 4..6;
    /// The IPv6 next header.
    pub const IPV6_NEXT_HEADER: usize = 6;
    /// Next header: ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// Next header: none (a bubble).
    pub const NO_NEXT_HEADER: u8 = 59;
}

/// The Teredo server port (RFC 4380 §5.2.1).
pub(super) const PORT: u16 = 3544;

/// The IPv6 packet in a Teredo datagram.
#[derive(Clone, Copy, Debug)]
pub(super) struct Teredo<'a> {
    /// The IPv6 packet.
    pub(super) packet: &'a [u8],
    /// The indicators' length: where `packet` starts in the UDP payload.
    pub(super) header_len: usize,
}

impl<'a> Teredo<'a> {
    /// Read the UDP payload `bytes` (`on_wire` bytes long before any snapshot-length cut) as
    /// Teredo, `at` bytes into the frame: the indicators, then an IPv6 header whose payload
    /// length ends where the datagram ends.
    pub(super) fn new_checked(
        bytes: &'a [u8],
        on_wire: usize,
        at: usize,
    ) -> Result<Self, DecodeError> {
        let truncated = |required| DecodeError::truncated(Layer::Teredo, at, required, bytes.len());
        let mut header_len = 0;
        if be16(bytes, field::INDICATOR) == Some(field::AUTHENTICATION) {
            let (id, au) = (bytes.get(field::ID_LEN), bytes.get(field::AU_LEN));
            let (Some(&id), Some(&au)) = (id, au) else {
                return Err(truncated(field::AUTH_FIXED));
            };
            header_len = field::AUTH_FIXED
                .saturating_add(id.into())
                .saturating_add(au.into());
        }
        let rest = bytes
            .get(header_len..)
            .ok_or_else(|| truncated(header_len))?;
        if be16(rest, field::INDICATOR) == Some(field::ORIGIN) {
            header_len = header_len.saturating_add(field::ORIGIN_LEN);
        }
        let packet = bytes
            .get(header_len..)
            .ok_or_else(|| truncated(header_len.saturating_add(field::IPV6_LEN)))?;
        if packet.first().is_none_or(|b| b >> 4 != 6) {
            return Err(DecodeError::Malformed {
                layer: Layer::Teredo,
                reason: "not an IPv6 header behind the indicators",
            });
        }
        let declared = be16(packet, field::IPV6_PAYLOAD_LEN)
            .ok_or_else(|| truncated(header_len.saturating_add(field::IPV6_LEN)))?;
        let expected = field::IPV6_LEN
            .saturating_add(header_len)
            .saturating_add(declared.into());
        if expected != on_wire {
            return Err(DecodeError::Malformed {
                layer: Layer::Teredo,
                reason: "IPv6 payload length does not end with the datagram",
            });
        }
        if let Some(&next @ (field::ICMPV6 | field::NO_NEXT_HEADER)) =
            packet.get(field::IPV6_NEXT_HEADER)
        {
            return Err(DecodeError::Unsupported {
                layer: Layer::Teredo,
                field: "IPv6 next header (bubble or ICMPv6)",
                value: next.into(),
            });
        }
        Ok(Self { packet, header_len })
    }
}
