//! GENEVE (RFC 8926 §3.4): an 8-byte header and its options on UDP port 6081, then an
//! Ethernet frame or an IP packet.

use super::error::DecodeError;
use super::link::{be16, IpVersion};
use super::Layer;

/// Fields of the GENEVE header.
mod field {
    use core::ops::Range;
    /// Version (2 bits) and options length (6 bits, in 4-byte words).
    pub const VER_OPT_LEN: usize = 0;
    /// O (control packet), C (critical options), reserved.
    pub const FLAGS: usize = 1;
    /// The protocol type of the payload (an ethertype).
    pub const PROTOCOL: Range<usize> = 2..4;
    /// The 24-bit virtual network identifier, then a reserved byte.
    pub const VNI: Range<usize> = 4..8;
    /// The fixed header.
    pub const LEN: usize = 8;
    /// The version bits of [`VER_OPT_LEN`].
    pub const VERSION_MASK: u8 = 0xC0;
    /// The options length bits of [`VER_OPT_LEN`].
    pub const OPT_LEN_MASK: u8 = 0x3F;
    /// The O bit: a control message between tunnel endpoints, not a tenant's packet.
    pub const CONTROL: u8 = 0x80;
}

/// GENEVE protocol types read here (ethertypes).
mod protocol {
    /// Transparent Ethernet bridging: an Ethernet frame.
    pub const ETHERNET: u16 = 0x6558;
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// IPv6.
    pub const IPV6: u16 = 0x86DD;
}

/// The IANA port of GENEVE (RFC 8926 §3.3).
pub(super) const PORT: u16 = 6081;

/// What a GENEVE packet carries.
#[derive(Clone, Copy, Debug)]
pub(super) enum Payload {
    /// An Ethernet frame.
    Ethernet,
    /// An IP packet of this version.
    Ip(IpVersion),
}

/// A version 0 GENEVE header of a tenant's packet.
#[derive(Clone, Copy, Debug)]
pub(super) struct Geneve<'a> {
    /// The virtual network identifier.
    pub(super) vni: u32,
    /// What the payload is.
    pub(super) kind: Payload,
    /// The payload, after the options.
    pub(super) payload: &'a [u8],
    /// The header length with its options.
    pub(super) header_len: usize,
}

impl<'a> Geneve<'a> {
    /// Check the GENEVE header at the start of `bytes`, `at` bytes into the frame: version 0,
    /// the options inside the datagram, not a control packet, a protocol type read here.
    pub(super) fn new_checked(bytes: &'a [u8], at: usize) -> Result<Self, DecodeError> {
        let header = bytes
            .first_chunk::<{ field::LEN }>()
            .ok_or_else(|| DecodeError::truncated(Layer::Geneve, at, field::LEN, bytes.len()))?;
        let ver_opt = header.get(field::VER_OPT_LEN).copied().unwrap_or(0);
        if ver_opt & field::VERSION_MASK != 0 {
            return Err(DecodeError::Unsupported {
                layer: Layer::Geneve,
                field: "version",
                value: (ver_opt >> 6).into(),
            });
        }
        let header_len = usize::from(ver_opt & field::OPT_LEN_MASK)
            .saturating_mul(4)
            .saturating_add(field::LEN);
        let payload = bytes
            .get(header_len..)
            .ok_or_else(|| DecodeError::truncated(Layer::Geneve, at, header_len, bytes.len()))?;
        let flags = header.get(field::FLAGS).copied().unwrap_or(0);
        if flags & field::CONTROL != 0 {
            return Err(DecodeError::Unsupported {
                layer: Layer::Geneve,
                field: "control packet (O) flag",
                value: flags.into(),
            });
        }
        let kind = match be16(header, field::PROTOCOL).unwrap_or(0) {
            protocol::ETHERNET => Payload::Ethernet,
            protocol::IPV4 => Payload::Ip(IpVersion::V4),
            protocol::IPV6 => Payload::Ip(IpVersion::V6),
            other => {
                return Err(DecodeError::Unsupported {
                    layer: Layer::Geneve,
                    field: "protocol type",
                    value: other.into(),
                })
            }
        };
        let vni = header
            .get(field::VNI)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_be_bytes)
            >> 8;
        Ok(Self {
            vni,
            kind,
            payload,
            header_len,
        })
    }
}
