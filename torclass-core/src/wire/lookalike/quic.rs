//! QUIC packet headers (RFC 9000 §17, RFC 8999 invariants, RFC 9369 for version 2).
//!
//! A long header (RFC 9000 §17.2) starts with a byte whose top bit is set, then a 32-bit
//! version, the destination and source connection ids with their lengths, and a per-type
//! remainder. [`LongHeader::new_checked`] accepts:
//! - Version Negotiation (version 0, §17.2.1): connection ids of at most 255 bytes (RFC 8999)
//!   and a non-empty list of 4-byte versions filling the rest;
//! - versions 1 (RFC 9000), 2 (`0x6b3343cf`, RFC 9369), the IETF drafts `0xff00001d..=
//!   0xff000022` and the reserved greasing versions `0x?a?a?a?a` (§15): fixed bit set (§17.2),
//!   connection ids of at most 20 bytes (§17.2), and for Initial, 0-RTT and Handshake packets
//!   a token length (Initial only) and a Length field, both variable-length integers (§16),
//!   whose packet number and payload fit in the datagram and are long enough for header
//!   protection's sample (§5.4.2 of RFC 9001: 4 + 16 bytes); a Retry (§17.2.5) needs its
//!   16-byte integrity tag.
//!
//! Bytes after the first packet are not read (coalesced packets, §12.2): the first is
//! already fixed by its version.
//!
//! The short header (§17.3) of 1-RTT packets carries no version and a connection id of a
//! length only the endpoints know: one datagram alone cannot be told from random bytes whose
//! first byte is `0b01xxxxxx` (which includes `0x41`, a uTP SYN). A run of them repeats its
//! destination connection id in every datagram of one direction; [`short_header_id`] gives a
//! fingerprint of its first 8 bytes for a flow to compare.

use super::{check, need, Error};
use crate::wire::bytes::{be_u32, u8_at};

mod field {
    pub const FIRST: usize = 0;
    pub const VERSION: usize = 1;
    pub const DCID_LEN: usize = 5;
    pub const DCID: usize = 6;
}

/// QUIC version 1 (RFC 9000).
pub const VERSION_1: u32 = 1;
/// QUIC version 2 (RFC 9369).
pub const VERSION_2: u32 = 0x6b33_43cf;
/// Longest connection id in versions 1 and 2 (RFC 9000 §17.2).
pub const MAX_CID_LEN: u8 = 20;
/// Header protection samples 16 bytes starting 4 bytes after the packet number's start
/// (RFC 9001 §5.4.2), so a protected packet has at least this many bytes after its Length.
pub const MIN_PROTECTED_LEN: u64 = 4 + 16;
/// Retry integrity tag (RFC 9001 §5.8).
const RETRY_TAG_LEN: usize = 16;

/// The packet types of the long header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// Version Negotiation (version 0).
    VersionNegotiation,
    /// Initial.
    Initial,
    /// 0-RTT.
    ZeroRtt,
    /// Handshake.
    Handshake,
    /// Retry.
    Retry,
}

/// A checked QUIC long header packet (the first in its datagram).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongHeader<T: AsRef<[u8]>> {
    buffer: T,
    packet_type: PacketType,
}

impl<T: AsRef<[u8]>> LongHeader<T> {
    /// Check the first packet's long header; see the module docs.
    ///
    /// # Errors
    /// [`Error::Field`] for a short header, an unknown version, a clear fixed bit or a
    /// connection id too long; [`Error::Truncated`] when a field or the packet does not fit.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let packet_type = check_long(buffer.as_ref())?;
        Ok(Self {
            buffer,
            packet_type,
        })
    }

    /// The version field.
    pub fn version(&self) -> u32 {
        be_u32(self.buffer.as_ref(), field::VERSION).unwrap_or_default()
    }

    /// The packet type.
    pub fn packet_type(&self) -> PacketType {
        self.packet_type
    }

    /// The destination connection id.
    pub fn dcid(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let len = usize::from(u8_at(data, field::DCID_LEN).unwrap_or_default());
        data.get(field::DCID..field::DCID.saturating_add(len))
            .unwrap_or_default()
    }
}

/// A version this module knows the layout of (not Version Negotiation).
fn version_is_known(version: u32) -> bool {
    matches!(version, VERSION_1 | VERSION_2 | 0xff00_001d..=0xff00_0022)
        || version & 0x0f0f_0f0f == 0x0a0a_0a0a
}

fn check_long(data: &[u8]) -> Result<PacketType, Error> {
    need(data, 0, field::DCID)?;
    let first = u8_at(data, field::FIRST).unwrap_or_default();
    check(first & 0x80 != 0, "Header Form", field::FIRST)?;
    let version = be_u32(data, field::VERSION).unwrap_or_default();
    let negotiation = version == 0;
    check(
        negotiation || version_is_known(version),
        "Version",
        field::VERSION,
    )?;
    check(negotiation || first & 0x40 != 0, "Fixed Bit", field::FIRST)?;
    let max_cid = if negotiation { u8::MAX } else { MAX_CID_LEN };
    let mut offset = field::DCID_LEN;
    for name in [
        "Destination Connection ID Length",
        "Source Connection ID Length",
    ] {
        need(data, offset, 1)?;
        let len = u8_at(data, offset).unwrap_or_default();
        check(len <= max_cid, name, offset)?;
        need(data, offset.saturating_add(1), usize::from(len))?;
        offset = offset.saturating_add(1).saturating_add(usize::from(len));
    }
    if negotiation {
        let rest = data.len().saturating_sub(offset);
        check(rest >= 4 && rest % 4 == 0, "Supported Version", offset)?;
        return Ok(PacketType::VersionNegotiation);
    }
    let bits = (first >> 4) & 0x03;
    let packet_type = match (version == VERSION_2, bits) {
        (false, 0) | (true, 1) => PacketType::Initial,
        (false, 1) | (true, 2) => PacketType::ZeroRtt,
        (false, 2) | (true, 3) => PacketType::Handshake,
        _ => PacketType::Retry,
    };
    match packet_type {
        PacketType::Retry => {
            need(data, offset, RETRY_TAG_LEN)?;
        }
        _ => {
            if packet_type == PacketType::Initial {
                let (token, at) = varint(data, offset)?;
                let token = usize::try_from(token).unwrap_or(usize::MAX);
                need(data, at, token)?;
                offset = at.saturating_add(token);
            }
            let (length, at) = varint(data, offset)?;
            check(length >= MIN_PROTECTED_LEN, "Length", offset)?;
            need(data, at, usize::try_from(length).unwrap_or(usize::MAX))?;
        }
    }
    Ok(packet_type)
}

/// A variable-length integer (RFC 9000 §16) at `offset`: its value and the offset after it.
fn varint(data: &[u8], offset: usize) -> Result<(u64, usize), Error> {
    need(data, offset, 1)?;
    let first = u8_at(data, offset).unwrap_or_default();
    let len = 1usize << (first >> 6);
    need(data, offset, len)?;
    let mut value = u64::from(first & 0x3f);
    for i in 1..len {
        value = (value << 8) | u64::from(u8_at(data, offset.saturating_add(i)).unwrap_or_default());
    }
    Ok((value, offset.saturating_add(len)))
}

/// For a datagram that can be a 1-RTT short header packet (first byte `0b01xxxxxx`, at
/// least 1 + 8 + 1 + 16 bytes: an 8-byte connection id, a packet number and the AEAD tag), a
/// 16-bit fingerprint of the 8 bytes after the first: equal in every packet one endpoint
/// sends on one connection id. `None` for anything else.
#[must_use]
pub fn short_header_id(datagram: &[u8]) -> Option<u16> {
    let first = *datagram.first()?;
    if first & 0xc0 != 0x40 || datagram.len() < 26 {
        return None;
    }
    let id = datagram.get(1..9)?;
    Some(
        id.iter()
            .fold(0x9dc5u16, |h, b| (h ^ u16::from(*b)).wrapping_mul(0x0193)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// RFC 9001 Appendix A.2's client Initial header, then protected bytes to 1200.
    fn initial() -> Vec<u8> {
        let mut p = std::vec![
            0xc0, 0x00, 0x00, 0x00, 0x01, 0x08, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08,
            0x00, 0x00, 0x44, 0x9e,
        ];
        p.resize(1200, 0x5a);
        p
    }

    #[test]
    fn rfc9001_initial() {
        let p = initial();
        let h = LongHeader::new_checked(&p[..]).unwrap();
        assert_eq!(h.version(), VERSION_1);
        assert_eq!(h.packet_type(), PacketType::Initial);
        assert_eq!(h.dcid(), &[0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08]);
        // Length 0x449e = 1182 bytes must fit.
        assert!(LongHeader::new_checked(&p[..1199]).is_err());
        let mut v = p.clone();
        v[4] = 3;
        assert!(LongHeader::new_checked(&v[..]).is_err());
        let mut fixed = p.clone();
        fixed[0] = 0x80;
        assert!(LongHeader::new_checked(&fixed[..]).is_err());
    }

    #[test]
    fn negotiation_retry_handshake_v2() {
        let vn = [
            0x80, 0, 0, 0, 0, 4, 1, 2, 3, 4, 0, 0, 0, 0, 1, 0x6b, 0x33, 0x43, 0xcf,
        ];
        assert_eq!(
            LongHeader::new_checked(&vn[..]).unwrap().packet_type(),
            PacketType::VersionNegotiation
        );
        assert!(LongHeader::new_checked(&vn[..vn.len() - 1]).is_err());
        let mut retry = std::vec![0xf0, 0, 0, 0, 1, 0, 0];
        retry.extend_from_slice(&[9; 20]);
        assert_eq!(
            LongHeader::new_checked(&retry[..]).unwrap().packet_type(),
            PacketType::Retry
        );
        let mut hs = std::vec![0xf0, 0x6b, 0x33, 0x43, 0xcf, 0, 0, 0x40, 0x20];
        hs.extend_from_slice(&[1; 0x20]);
        assert_eq!(
            LongHeader::new_checked(&hs[..]).unwrap().packet_type(),
            PacketType::Handshake
        );
        hs[8] = 0x10;
        assert!(
            LongHeader::new_checked(&hs[..]).is_err(),
            "too short to protect"
        );
    }

    #[test]
    fn short_header_fingerprint() {
        let mut a = std::vec![0x41u8; 40];
        a[1..9].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let mut b = a.clone();
        b[0] = 0x5d;
        b[20] = 0;
        assert_eq!(short_header_id(&a), short_header_id(&b));
        assert!(short_header_id(&a).is_some());
        assert_eq!(short_header_id(&a[..25]), None);
        a[0] = 0x81;
        assert_eq!(short_header_id(&a), None);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100)) {
            if let Ok(h) = LongHeader::new_checked(&data[..]) {
                let _ = (h.version(), h.packet_type(), h.dcid().len());
            }
            let _ = short_header_id(&data);
        }
    }
}
