//! GRE (RFC 2784) with the key and sequence number of RFC 2890, and the ERSPAN headers that
//! mirrored frames carry inside it (types II and III, draft-foschiano-erspan-03 §4).

use super::error::DecodeError;
use super::link::be16;
use super::Layer;

/// Field offsets and flags of the GRE header.
mod field {
    use core::ops::Range;
    /// Flags (C, R, K, S, s, Recur) in the first byte.
    pub const FLAGS: usize = 0;
    /// The version in the low 3 bits of the second byte.
    pub const VERSION: usize = 1;
    /// Protocol type: an ethertype.
    pub const PROTOCOL: Range<usize> = 2..4;
    /// The fixed part of the header.
    pub const MIN_LEN: usize = 4;
    /// Checksum present: checksum and reserved1 follow (4 bytes).
    pub const CHECKSUM: u8 = 0x80;
    /// Routing present (RFC 1701 only; RFC 2784 receivers discard it).
    pub const ROUTING: u8 = 0x40;
    /// Key present (RFC 2890 §2.1; 4 bytes after the checksum).
    pub const KEY: u8 = 0x20;
    /// Sequence number present (RFC 2890 §2.2; 4 bytes after the key).
    pub const SEQUENCE: u8 = 0x10;
    /// Strict source route (RFC 1701 only).
    pub const STRICT_ROUTE: u8 = 0x08;
    /// The version mask of [`VERSION`].
    pub const VERSION_MASK: u8 = 0x07;
}

/// Protocol types (ethertypes) GRE carries that the decoder follows.
pub(super) mod protocol {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// IPv6.
    pub const IPV6: u16 = 0x86DD;
    /// Transparent Ethernet bridging: an Ethernet frame (RFC 1701; NVGRE, RFC 7637).
    pub const ETHERNET: u16 = 0x6558;
    /// MPLS unicast (RFC 4023).
    pub const MPLS: u16 = 0x8847;
    /// ERSPAN type I (without a sequence number) and type II (with one).
    pub const ERSPAN_2: u16 = 0x88BE;
    /// ERSPAN type III.
    pub const ERSPAN_3: u16 = 0x22EB;
}

/// Lengths and fields of the ERSPAN headers.
mod erspan {
    /// Type II header: version, VLAN, COS, encapsulation, truncation, session id, index.
    pub const TYPE2_LEN: usize = 8;
    /// Type III header without the platform-specific subheader.
    pub const TYPE3_LEN: usize = 12;
    /// The platform-specific subheader present when the O flag is set.
    pub const TYPE3_SUBHEADER_LEN: usize = 8;
    /// The O flag in the last byte of the type III header.
    pub const TYPE3_O: u8 = 0x01;
    /// The session id: the low 10 bits of bytes 2..4 in both types.
    pub const SESSION_MASK: u16 = 0x03FF;
}

/// A GRE header checked to be whole, version 0 and without RFC 1701 routing.
#[derive(Clone, Copy, Debug)]
pub(super) struct Gre<'a> {
    bytes: &'a [u8],
    header_len: usize,
}

impl<'a> Gre<'a> {
    /// Check the GRE header at the start of `bytes`, `at` bytes into the frame.
    pub(super) fn new_checked(bytes: &'a [u8], at: usize) -> Result<Self, DecodeError> {
        let truncated = |required| DecodeError::truncated(Layer::Gre, at, required, bytes.len());
        let header = bytes
            .get(..field::MIN_LEN)
            .ok_or_else(|| truncated(field::MIN_LEN))?;
        let flags = header.get(field::FLAGS).copied().unwrap_or(0);
        let version = header
            .get(field::VERSION)
            .map_or(0, |v| v & field::VERSION_MASK);
        if flags & (field::ROUTING | field::STRICT_ROUTE) != 0 {
            return Err(DecodeError::Unsupported {
                layer: Layer::Gre,
                field: "routing (RFC 1701)",
                value: flags.into(),
            });
        }
        if version != 0 {
            return Err(DecodeError::Unsupported {
                layer: Layer::Gre,
                field: "version",
                value: version.into(),
            });
        }
        let words = [field::CHECKSUM, field::KEY, field::SEQUENCE]
            .iter()
            .filter(|&&f| flags & f != 0)
            .count();
        let header_len = field::MIN_LEN.saturating_add(words.saturating_mul(4));
        if bytes.len() < header_len {
            return Err(truncated(header_len));
        }
        Ok(Self { bytes, header_len })
    }

    /// The protocol type of the payload (an ethertype).
    pub(super) fn protocol(&self) -> u16 {
        be16(self.bytes, field::PROTOCOL).unwrap_or(0)
    }

    /// The 4-byte word of the optional field `flag`, if present.
    fn optional(&self, flag: u8) -> Option<u32> {
        let flags = *self.bytes.get(field::FLAGS)?;
        if flags & flag == 0 {
            return None;
        }
        let before = [field::CHECKSUM, field::KEY]
            .iter()
            .filter(|&&f| f != flag && f > flag && flags & f != 0)
            .count();
        let at = field::MIN_LEN.saturating_add(before.saturating_mul(4));
        let word = self.bytes.get(at..at.saturating_add(4))?;
        Some(u32::from_be_bytes(word.try_into().ok()?))
    }

    /// The key (RFC 2890 §2.1), if present.
    pub(super) fn key(&self) -> Option<u32> {
        self.optional(field::KEY)
    }

    /// The sequence number (RFC 2890 §2.2), if present.
    pub(super) fn sequence(&self) -> Option<u32> {
        self.optional(field::SEQUENCE)
    }

    /// The header length: 4 bytes plus 4 per optional field.
    pub(super) fn header_len(&self) -> usize {
        self.header_len
    }

    /// What follows the header.
    pub(super) fn payload(&self) -> &'a [u8] {
        self.bytes.get(self.header_len..).unwrap_or_default()
    }
}

/// The mirrored Ethernet frame of an ERSPAN packet whose GRE header is `gre` (payload at `at`
/// in the frame), and its session id: type I has no header (GRE without a sequence number),
/// type II an 8-byte one, type III 12 bytes and an optional 8-byte subheader.
pub(super) fn erspan<'a>(
    gre: &Gre<'a>,
    at: usize,
) -> Result<(&'a [u8], usize, Option<u32>), DecodeError> {
    let payload = gre.payload();
    let header_len = match gre.protocol() {
        protocol::ERSPAN_2 if gre.sequence().is_none() => return Ok((payload, at, None)),
        protocol::ERSPAN_2 => erspan::TYPE2_LEN,
        _ => {
            let o = payload
                .get(erspan::TYPE3_LEN.saturating_sub(1))
                .is_some_and(|b| b & erspan::TYPE3_O != 0);
            if o {
                erspan::TYPE3_LEN.saturating_add(erspan::TYPE3_SUBHEADER_LEN)
            } else {
                erspan::TYPE3_LEN
            }
        }
    };
    let frame = payload
        .get(header_len..)
        .ok_or_else(|| DecodeError::truncated(Layer::Gre, at, header_len, payload.len()))?;
    let session = be16(payload, 2..4).map(|s| u32::from(s & erspan::SESSION_MASK));
    Ok((frame, at.saturating_add(header_len), session))
}
