//! VXLAN (RFC 7348 §5): an 8-byte header on UDP port 4789 (or 8472, Linux's default), then
//! an Ethernet frame.

use nom::bytes::complete::take;
use nom::number::complete::{be_u24, be_u8};
use nom::Parser;

use super::error::DecodeError;
use super::Layer;

/// Flags (byte 0, only I defined), 3 reserved bytes, the 24-bit VXLAN network identifier,
/// a reserved byte.
mod field {
    /// The I flag ("the VNI is valid"), which RFC 7348 requires set.
    pub const I: u8 = 0x08;
    /// VXLAN-GPE's P flag (draft-ietf-nvo3-vxlan-gpe §3.2): the last reserved byte before the
    /// VNI is a next-protocol number.
    pub const P: u8 = 0x04;
    /// VXLAN-GPE's next protocol for an Ethernet frame.
    pub const NEXT_ETHERNET: u8 = 3;
    /// The header length.
    pub const LEN: usize = 8;
}

/// The IANA port of VXLAN (RFC 7348 §5).
pub(super) const PORT: u16 = 4789;

/// The port the Linux kernel uses when `ip link add … type vxlan` names none (and flannel's):
/// the port of the pre-standard drafts. Not registered for VXLAN, so the header must be
/// exactly RFC 7348's (flags 0x08, reserved fields zero), or VXLAN-GPE's for an Ethernet frame
/// (flags 0x0C, next protocol 3: what scapy writes by default).
pub(super) const LINUX_PORT: u16 = 8472;

/// A VXLAN header with the I flag set.
#[derive(Clone, Copy, Debug)]
pub(super) struct Vxlan<'a> {
    vni: u32,
    payload: &'a [u8],
}

impl<'a> Vxlan<'a> {
    /// Check the VXLAN header at the start of `bytes`, `at` bytes into the frame: the I flag
    /// set and, if `strict`, every other bit of the flags and reserved fields clear but a
    /// VXLAN-GPE next protocol of Ethernet (RFC 7348 has receivers ignore them: extensions
    /// such as VXLAN-GBP use them on port 4789).
    pub(super) fn new_checked(
        bytes: &'a [u8],
        at: usize,
        strict: bool,
    ) -> Result<Self, DecodeError> {
        let (payload, (flags, reserved, vni, last)) = (be_u8::<_, ()>, take(3usize), be_u24, be_u8)
            .parse(bytes)
            .map_err(|_| DecodeError::truncated(Layer::Vxlan, at, field::LEN, bytes.len()))?;
        if flags & field::I == 0 {
            return Err(DecodeError::Malformed {
                layer: Layer::Vxlan,
                reason: "I flag (valid VNI) not set",
            });
        }
        // The third reserved byte: 0 in VXLAN, the next protocol (Ethernet) in VXLAN-GPE.
        let next = match flags {
            field::I => Some(0),
            f if f == field::I | field::P => Some(field::NEXT_ETHERNET),
            _ => None,
        };
        if strict && (next.is_none_or(|n| reserved != [0, 0, n]) || last != 0) {
            return Err(DecodeError::Malformed {
                layer: Layer::Vxlan,
                reason: "flags other than I or reserved bits set",
            });
        }
        Ok(Self { vni, payload })
    }

    /// The VXLAN network identifier.
    pub(super) fn vni(&self) -> u32 {
        self.vni
    }

    /// The inner Ethernet frame.
    pub(super) fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The header length.
    pub(super) const fn header_len(&self) -> usize {
        field::LEN
    }
}
