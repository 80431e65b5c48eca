//! VXLAN (RFC 7348 §5): an 8-byte header on UDP port 4789, then an Ethernet frame.

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
    /// The header length.
    pub const LEN: usize = 8;
}

/// The IANA port of VXLAN (RFC 7348 §5).
pub(super) const PORT: u16 = 4789;

/// A VXLAN header with the I flag set.
#[derive(Clone, Copy, Debug)]
pub(super) struct Vxlan<'a> {
    vni: u32,
    payload: &'a [u8],
}

impl<'a> Vxlan<'a> {
    /// Check the VXLAN header at the start of `bytes`, `at` bytes into the frame.
    pub(super) fn new_checked(bytes: &'a [u8], at: usize) -> Result<Self, DecodeError> {
        let (payload, (flags, _, vni, _)) = (be_u8::<_, ()>, take(3usize), be_u24, be_u8)
            .parse(bytes)
            .map_err(|_| DecodeError::truncated(Layer::Vxlan, at, field::LEN, bytes.len()))?;
        if flags & field::I == 0 {
            return Err(DecodeError::Malformed {
                layer: Layer::Vxlan,
                reason: "I flag (valid VNI) not set",
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
