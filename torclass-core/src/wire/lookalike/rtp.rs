//! RTP (RFC 3550 §5.1) and RTCP (RFC 3550 §6.4–6.6, RFC 4585 §6.1, RFC 3611 §2).
//!
//! RTCP packets start with version 2, a 5-bit count, a packet type and a length in 32-bit words
//! minus one; several are stacked in one datagram (a compound packet, §6.1).
//! [`Rtcp::new_checked`] requires the first packet to be SR (200), RR (201), SDES (202), BYE
//! (203), APP (204), RTPFB (205), PSFB (206) or XR (207), every packet of the compound to have
//! version 2 and a known type, and the lengths to add up to the datagram exactly — or to leave
//! an SRTCP trailer (RFC 3711 §3.4: the 4-byte E-flag and index and a 4-, 10- or 16-byte
//! authentication tag; the packets after the first are then encrypted and not read).
//! SR and RR packets must be long enough for their report count (§6.4.1, §6.4.2).
//!
//! An RTP header (§5.1) has only two fixed bits (version 2); [`Rtp::new_checked`] also checks
//! what the header's own fields imply — the CSRC list and header extension (§5.3.1) fit, the
//! padding count (last byte) fits the payload, and the payload type is not one RTCP's SR/RR
//! would occupy (72–76, RFC 5761 §4) — but random bytes starting `0x80..=0xbf` still pass
//! about a third of the time, so RTP is a weak recogniser ([`super::Lookalike::is_exact`]).
//! No BitTorrent datagram starts with those bytes except a BEP 15 request whose random
//! connection id does, which RTP cannot overrule.

use super::{check, need, Error};
use crate::wire::bytes::{be_u16, u8_at};

mod field {
    pub const FIRST: usize = 0;
    pub const PT: usize = 1;
    pub const LENGTH: usize = 2;
    pub const RTP_HEADER_LEN: usize = 12;
    pub const RTCP_HEADER_LEN: usize = 4;
}

/// An RTP packet whose header fields are consistent with its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rtp<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Rtp<T> {
    /// Check version 2 and that CSRCs, extension and padding fit.
    ///
    /// # Errors
    /// [`Error::Truncated`] when the header, CSRCs or extension do not fit, [`Error::Field`]
    /// for another version, an RTCP payload type or a padding count too large.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        need(data, 0, field::RTP_HEADER_LEN)?;
        let first = u8_at(data, field::FIRST).unwrap_or_default();
        check(first >> 6 == 2, "V", field::FIRST)?;
        let pt = u8_at(data, field::PT).unwrap_or_default() & 0x7f;
        check(!(72..=76).contains(&pt), "PT", field::PT)?;
        let csrc = usize::from(first & 0x0f).saturating_mul(4);
        let mut offset = field::RTP_HEADER_LEN.saturating_add(csrc);
        need(data, offset, 0)?;
        if first & 0x10 != 0 {
            need(data, offset, 4)?;
            let words = usize::from(be_u16(data, offset.saturating_add(2)).unwrap_or_default());
            offset = offset
                .saturating_add(4)
                .saturating_add(words.saturating_mul(4));
            need(data, offset, 0)?;
        }
        if first & 0x20 != 0 {
            let padding = usize::from(data.last().copied().unwrap_or_default());
            check(
                padding >= 1 && padding <= data.len().saturating_sub(offset),
                "padding",
                data.len().saturating_sub(1),
            )?;
        }
        Ok(Self { buffer })
    }

    /// The payload type.
    pub fn payload_type(&self) -> u8 {
        u8_at(self.buffer.as_ref(), field::PT).unwrap_or_default() & 0x7f
    }
}

/// An RTCP compound packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rtcp<T: AsRef<[u8]>> {
    buffer: T,
}

/// SRTCP trailers: E flag and index, then a 4-, 10- or 16-byte tag.
const SRTCP_TRAILERS: [usize; 3] = [4 + 4, 4 + 10, 4 + 16];

impl<T: AsRef<[u8]>> Rtcp<T> {
    /// Walk the compound packet; see the module docs.
    ///
    /// # Errors
    /// [`Error::Truncated`] for a cut header, [`Error::Field`] for a version, packet type or
    /// report count that does not fit, [`Error::Length`] when the packets end neither at the
    /// datagram's end nor before an SRTCP trailer.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        let mut offset = 0usize;
        let mut packets = 0usize;
        loop {
            need(data, offset, field::RTCP_HEADER_LEN)?;
            let first = u8_at(data, offset).unwrap_or_default();
            let pt = u8_at(data, offset.saturating_add(field::PT)).unwrap_or_default();
            let words =
                usize::from(be_u16(data, offset.saturating_add(field::LENGTH)).unwrap_or_default());
            let len = words.saturating_add(1).saturating_mul(4);
            check(first >> 6 == 2, "V", offset)?;
            check(
                (200..=207).contains(&pt),
                "PT",
                offset.saturating_add(field::PT),
            )?;
            let count = usize::from(first & 0x1f);
            let min = match pt {
                200 => 28usize.saturating_add(count.saturating_mul(24)),
                201 => 8usize.saturating_add(count.saturating_mul(24)),
                _ => 4,
            };
            check(len >= min, "length", offset.saturating_add(field::LENGTH))?;
            let end = offset.saturating_add(len);
            packets = packets.saturating_add(1);
            let rest = data.len().saturating_sub(end);
            if end > data.len() {
                return Err(Error::Truncated {
                    required: len,
                    available: data.len().saturating_sub(offset),
                    offset,
                });
            }
            if rest == 0 || (packets == 1 && SRTCP_TRAILERS.contains(&rest)) {
                return Ok(Self { buffer });
            }
            if rest < field::RTCP_HEADER_LEN {
                return Err(Error::Length {
                    consumed: end,
                    len: data.len(),
                });
            }
            offset = end;
        }
    }

    /// The first packet's type (200–207).
    pub fn packet_type(&self) -> u8 {
        u8_at(self.buffer.as_ref(), field::PT).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_report_and_compound() {
        let mut rr = std::vec![0x81, 201, 0, 7];
        rr.extend_from_slice(&[1; 28]);
        assert_eq!(Rtcp::new_checked(&rr[..]).unwrap().packet_type(), 201);
        let mut compound = rr.clone();
        compound.extend_from_slice(&[0x81, 202, 0, 2, 1, 2, 3, 4, 1, 1, b'x', 0]);
        assert!(Rtcp::new_checked(&compound[..]).is_ok());
        let mut srtcp = rr.clone();
        srtcp.extend_from_slice(&[0x80, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
        assert!(Rtcp::new_checked(&srtcp[..]).is_ok());
        let mut bad = rr.clone();
        bad[3] = 6; // too short for one report block
        assert!(Rtcp::new_checked(&bad[..28]).is_err());
        bad = rr.clone();
        bad.push(0);
        assert!(Rtcp::new_checked(&bad[..]).is_err());
    }

    #[test]
    fn rtp_header_fields() {
        let mut p = std::vec![0x80, 0x00, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4];
        p.extend_from_slice(&[0xff; 160]);
        assert_eq!(Rtp::new_checked(&p[..]).unwrap().payload_type(), 0);
        let mut csrc = p.clone();
        csrc[0] = 0x8f; // 15 CSRCs = 60 bytes, fits
        assert!(Rtp::new_checked(&csrc[..]).is_ok());
        assert!(Rtp::new_checked(&csrc[..60]).is_err());
        let mut rtcp_pt = p.clone();
        rtcp_pt[1] = 0xc8; // M + 72: SR
        assert!(Rtp::new_checked(&rtcp_pt[..]).is_err());
        let mut padded = p.clone();
        padded[0] = 0xa0;
        *padded.last_mut().unwrap() = 0;
        assert!(Rtp::new_checked(&padded[..]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100)) {
            if let Ok(p) = Rtp::new_checked(&data[..]) { let _ = p.payload_type(); }
            if let Ok(p) = Rtcp::new_checked(&data[..]) { let _ = p.packet_type(); }
        }
    }
}
