//! VXLAN (RFC 7348 §5): an 8-byte header on UDP port 4789, then an Ethernet frame.

use super::error::DecodeError;
use super::Layer;

/// Field offsets of the VXLAN header.
mod field {
    use core::ops::Range;
    /// Flags: only I (0x08, "the VNI is valid") is defined.
    pub const FLAGS: usize = 0;
    /// The I flag, which RFC 7348 requires set.
    pub const I: u8 = 0x08;
    /// The 24-bit VXLAN network identifier.
    pub const VNI: Range<usize> = 4..7;
    /// The header length.
    pub const LEN: usize = 8;
}

/// The IANA port of VXLAN (RFC 7348 §5).
pub(super) const PORT: u16 = 4789;

/// A VXLAN header with the I flag set.
#[derive(Clone, Copy, Debug)]
pub(super) struct Vxlan<'a> {
    bytes: &'a [u8],
}

impl<'a> Vxlan<'a> {
    /// Check the VXLAN header at the start of `bytes`, `at` bytes into the frame.
    pub(super) fn new_checked(bytes: &'a [u8], at: usize) -> Result<Self, DecodeError> {
        if bytes.len() < field::LEN {
            return Err(DecodeError::truncated(
                Layer::Vxlan,
                at,
                field::LEN,
                bytes.len(),
            ));
        }
        if bytes.get(field::FLAGS).is_none_or(|f| f & field::I == 0) {
            return Err(DecodeError::Malformed {
                layer: Layer::Vxlan,
                reason: "I flag (valid VNI) not set",
            });
        }
        Ok(Self { bytes })
    }

    /// The VXLAN network identifier.
    pub(super) fn vni(&self) -> u32 {
        self.bytes
            .get(field::VNI)
            .map_or(0, |b| b.iter().fold(0, |n, &x| n << 8 | u32::from(x)))
    }

    /// The inner Ethernet frame.
    pub(super) fn payload(&self) -> &'a [u8] {
        self.bytes.get(field::LEN..).unwrap_or_default()
    }

    /// The header length.
    pub(super) const fn header_len(&self) -> usize {
        field::LEN
    }
}
