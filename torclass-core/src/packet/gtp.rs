//! GTP-U (3GPP TS 29.281 §5): the G-PDU header, its optional sequence number, N-PDU number and
//! extension headers, on UDP port 2152.

use super::error::DecodeError;
use super::link::be16;
use super::Layer;

/// Field offsets and flags of the GTP-U header (TS 29.281 §5.1).
mod field {
    use core::ops::Range;
    /// Version (3 bits), protocol type, spare, E, S, PN.
    pub const FLAGS: usize = 0;
    /// The message type.
    pub const MESSAGE_TYPE: usize = 1;
    /// Length of everything after the mandatory 8 bytes.
    pub const LENGTH: Range<usize> = 2..4;
    /// The tunnel endpoint identifier.
    pub const TEID: Range<usize> = 4..8;
    /// The mandatory part.
    pub const MIN_LEN: usize = 8;
    /// Sequence number, N-PDU number and next extension header type, present when any of E,
    /// S, PN is set.
    pub const OPTIONAL_LEN: usize = 4;
    /// Where the next extension header type is, in the optional part.
    pub const NEXT_EXTENSION: usize = 11;
    /// Version 1 and protocol type 1 (GTP, not GTP').
    pub const VERSION_PT: u8 = 0x30;
    /// The version and protocol-type bits.
    pub const VERSION_PT_MASK: u8 = 0xF0;
    /// E, S and PN.
    pub const OPTIONAL_FLAGS: u8 = 0x07;
    /// The message type of a G-PDU (a user packet).
    pub const G_PDU: u8 = 255;
}

/// The registered port of GTP-U (TS 29.281 §4.4.2.3).
pub(super) const PORT: u16 = 2152;

/// Extension headers a G-PDU may chain, at most; each takes at least 4 bytes anyway.
const MAX_EXTENSIONS: usize = 16;

/// A G-PDU: its tunnel endpoint identifier and the user packet it carries.
#[derive(Clone, Copy, Debug)]
pub(super) struct GtpU<'a> {
    /// The tunnel endpoint identifier.
    pub(super) teid: u32,
    /// The T-PDU (an IP packet), bounded by the GTP length.
    pub(super) payload: &'a [u8],
    /// The header length with its optional part and extension headers.
    pub(super) header_len: usize,
}

impl<'a> GtpU<'a> {
    /// Read a G-PDU at the start of `bytes`, `at` bytes into the frame. Other messages (echo,
    /// error indication, end marker) and other versions are `Unsupported`.
    pub(super) fn new_checked(bytes: &'a [u8], at: usize) -> Result<Self, DecodeError> {
        let truncated = |required| DecodeError::truncated(Layer::GtpU, at, required, bytes.len());
        let header = bytes
            .get(..field::MIN_LEN)
            .ok_or_else(|| truncated(field::MIN_LEN))?;
        let flags = header.get(field::FLAGS).copied().unwrap_or(0);
        if flags & field::VERSION_PT_MASK != field::VERSION_PT {
            return Err(DecodeError::Unsupported {
                layer: Layer::GtpU,
                field: "version and protocol type",
                value: flags.into(),
            });
        }
        let message = header.get(field::MESSAGE_TYPE).copied().unwrap_or(0);
        if message != field::G_PDU {
            return Err(DecodeError::Unsupported {
                layer: Layer::GtpU,
                field: "message type",
                value: message.into(),
            });
        }
        let length = usize::from(be16(header, field::LENGTH).unwrap_or(0));
        let teid = header
            .get(field::TEID)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_be_bytes);
        let after = bytes.get(field::MIN_LEN..).unwrap_or_default();
        // The length bounds the message (drops padding); a capture cut short keeps what it has.
        let body = after.get(..length).unwrap_or(after);
        let mut header_len = field::MIN_LEN;
        let mut rest = body;
        if flags & field::OPTIONAL_FLAGS != 0 {
            let required = field::MIN_LEN.saturating_add(field::OPTIONAL_LEN);
            let mut next = *bytes
                .get(field::NEXT_EXTENSION)
                .filter(|_| body.len() >= field::OPTIONAL_LEN)
                .ok_or_else(|| truncated(required))?;
            header_len = required;
            rest = body.get(field::OPTIONAL_LEN..).unwrap_or_default();
            // TS 29.281 §5.2.1: each extension header is a length in 4-byte units (never
            // zero), content, and the next type; type 0 ends the chain.
            let mut count = 0usize;
            while next != 0 {
                count = count.saturating_add(1);
                if count > MAX_EXTENSIONS {
                    return Err(DecodeError::Unsupported {
                        layer: Layer::GtpU,
                        field: "extension header count",
                        value: u32::try_from(count).unwrap_or(u32::MAX),
                    });
                }
                let units = *rest
                    .first()
                    .ok_or_else(|| truncated(header_len.saturating_add(1)))?;
                if units == 0 {
                    return Err(DecodeError::Malformed {
                        layer: Layer::GtpU,
                        reason: "extension header length is zero",
                    });
                }
                let len = usize::from(units).saturating_mul(4);
                let ext = rest
                    .get(..len)
                    .ok_or_else(|| truncated(header_len.saturating_add(len)))?;
                next = ext.last().copied().unwrap_or(0);
                rest = rest.get(len..).unwrap_or_default();
                header_len = header_len.saturating_add(len);
            }
        }
        Ok(Self {
            teid,
            payload: rest,
            header_len,
        })
    }
}
