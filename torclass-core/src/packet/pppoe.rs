//! PPPoE session stage (RFC 2516 §4, §6): the 6-byte PPPoE header and the PPP protocol field
//! (RFC 1661 §2, two bytes, or one under protocol-field compression; read by `ppp.rs`).

use super::error::DecodeError;
use super::link::{be16, IpVersion};
use super::ppp;
use super::Layer;

/// Field offsets of the PPPoE header.
mod field {
    use core::ops::Range;
    /// Version (high nibble) and type (low nibble), both 1.
    pub const VER_TYPE: usize = 0;
    /// The code: 0x00 in the session stage.
    pub const CODE: usize = 1;
    /// The session id.
    pub const SESSION: Range<usize> = 2..4;
    /// The length of the PPP payload (protocol field included).
    pub const LENGTH: Range<usize> = 4..6;
    /// The header length.
    pub const LEN: usize = 6;
    /// `VER_TYPE` of RFC 2516.
    pub const VER_TYPE_1_1: u8 = 0x11;
}

/// A PPPoE session packet: its session id, and the IP packet it carries.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pppoe<'a> {
    /// The session id.
    pub(super) session: u16,
    /// Which IP version the PPP protocol field names.
    pub(super) version: IpVersion,
    /// The IP packet, bounded by the PPPoE length.
    pub(super) payload: &'a [u8],
    /// The PPPoE header and PPP protocol field's length.
    pub(super) header_len: usize,
}

impl<'a> Pppoe<'a> {
    /// Read the PPPoE session header at the start of `bytes`, `at` bytes into the frame.
    pub(super) fn new_checked(bytes: &'a [u8], at: usize) -> Result<Self, DecodeError> {
        let truncated = |required| DecodeError::truncated(Layer::Pppoe, at, required, bytes.len());
        let header = bytes
            .get(..field::LEN)
            .ok_or_else(|| truncated(field::LEN))?;
        if header.get(field::VER_TYPE) != Some(&field::VER_TYPE_1_1) {
            return Err(DecodeError::Malformed {
                layer: Layer::Pppoe,
                reason: "version and type are not 1",
            });
        }
        let code = header.get(field::CODE).copied().unwrap_or(0);
        if code != 0 {
            return Err(DecodeError::Unsupported {
                layer: Layer::Pppoe,
                field: "session-stage code",
                value: code.into(),
            });
        }
        let session = be16(header, field::SESSION).unwrap_or(0);
        let length = usize::from(be16(header, field::LENGTH).unwrap_or(0));
        let after = bytes.get(field::LEN..).unwrap_or_default();
        // The length bounds the PPP payload (drops Ethernet padding); a capture cut short
        // inside it keeps what it has.
        let body = after.get(..length).unwrap_or(after);
        let (protocol, field_len) = ppp::protocol_field(body).ok_or_else(|| {
            truncated(field::LEN.saturating_add(if body.is_empty() { 1 } else { 2 }))
        })?;
        let version = ppp::ip_version(protocol, Layer::Pppoe)?;
        Ok(Self {
            session,
            version,
            payload: body.get(field_len..).unwrap_or_default(),
            header_len: field::LEN.saturating_add(field_len),
        })
    }
}
