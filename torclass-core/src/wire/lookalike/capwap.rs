//! CAPWAP, the wireless access point control protocol (RFC 5415 §4), as UniFi and other
//! controllers speak it on UDP 5246/5247.
//!
//! Every CAPWAP datagram starts with a preamble byte: version 0 and a type, 0 for a CAPWAP
//! header (§4.3), 1 for a DTLS header (§4.2: three reserved zero bytes, then DTLS records).
//! [`Capwap::new_checked`] accepts:
//! - a DTLS-wrapped packet whose records [`super::dtls::Dtls`] accepts;
//! - a control message (§4.5.1): a CAPWAP header — HLEN of at least 2 words that fits, a
//!   wireless binding id of 0, 1 or 3, the three reserved flag bits zero, not a fragment —
//!   then a message type from the IETF's range (enterprise 0, type 1–26), a sequence number,
//!   a Msg Element Length that counts exactly the bytes after the sequence number (itself
//!   and the flags byte included), the flags byte zero and message elements (§4.6: type,
//!   length, value) that fill the rest;
//! - a data channel keep-alive (§4.4.1: the K flag, then a length and message elements).
//!
//! Data packets carrying 802.11 or 802.3 frames have nothing after the header to check and are
//! not recognised. nDPI excluded the CAPWAP ports from its BitTorrent rules after UniFi
//! traffic was called BitTorrent (commit fd38b752); here, the DTLS-wrapped form `01 00 00 00`
//! followed by a record is a uTP DATA header with connection id 0, and is what this catches.

use super::{check, dtls, need, Error};
use crate::wire::bytes::{be_u16, be_u32, u8_at};

mod field {
    pub const PREAMBLE: usize = 0;
    pub const HLEN: usize = 1;
    pub const FLAGS: usize = 3;
    pub const FRAGMENT_OFFSET: usize = 6;
    pub const DTLS_RECORDS: usize = 4;
}

const TYPE_HEADER: u8 = 0;
const TYPE_DTLS: u8 = 1;
/// Last message type of RFC 5415 §4.5.1.1 (Data Transfer Response is 26).
const LAST_MESSAGE_TYPE: u32 = 26;

/// Which CAPWAP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// DTLS-wrapped (control or data channel).
    Dtls,
    /// A cleartext control message.
    Control,
    /// A data channel keep-alive.
    KeepAlive,
}

/// A CAPWAP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capwap<T: AsRef<[u8]>> {
    buffer: T,
    kind: Kind,
}

impl<T: AsRef<[u8]>> Capwap<T> {
    /// Check the preamble and what it announces; see the module docs.
    ///
    /// # Errors
    /// [`Error::Field`] for another version or type, reserved bits or bytes set, a fragment,
    /// an unknown message type; [`Error::Truncated`] or [`Error::Length`] when lengths do
    /// not add up.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let kind = check_packet(buffer.as_ref())?;
        Ok(Self { buffer, kind })
    }

    /// Which packet.
    pub fn kind(&self) -> Kind {
        self.kind
    }
}

fn check_packet(data: &[u8]) -> Result<Kind, Error> {
    need(data, 0, field::DTLS_RECORDS)?;
    let preamble = u8_at(data, field::PREAMBLE).unwrap_or_default();
    check(preamble >> 4 == 0, "Version", field::PREAMBLE)?;
    match preamble & 0x0f {
        TYPE_DTLS => {
            check(
                be_u32(data, 0).unwrap_or_default() & 0x00ff_ffff == 0,
                "Reserved",
                1,
            )?;
            dtls::Dtls::new_checked(data.get(field::DTLS_RECORDS..).unwrap_or_default())
                .map_err(|e| shift(e, field::DTLS_RECORDS))?;
            Ok(Kind::Dtls)
        }
        TYPE_HEADER => {
            need(data, 0, 8)?;
            let word = be_u32(data, 0).unwrap_or_default();
            let hlen = usize::try_from((word >> 19) & 0x1f)
                .unwrap_or_default()
                .saturating_mul(4);
            let wbid = (word >> 9) & 0x1f;
            let flags = u8_at(data, field::FLAGS).unwrap_or_default();
            check(hlen >= 8, "HLEN", field::HLEN)?;
            need(data, 0, hlen)?;
            check(matches!(wbid, 0 | 1 | 3), "WBID", 2)?;
            check(flags & 0x07 == 0, "Flags", field::FLAGS)?;
            let fragment = flags & 0x80 != 0;
            check(!fragment, "F", field::FLAGS)?;
            check(
                be_u16(data, field::FRAGMENT_OFFSET).unwrap_or_default() == 0,
                "Fragment Offset",
                field::FRAGMENT_OFFSET,
            )?;
            if flags & 0x08 != 0 {
                // K: a keep-alive's message elements after a 2-byte length (§4.4.1).
                need(data, hlen, 2)?;
                let len = usize::from(be_u16(data, hlen).unwrap_or_default());
                let start = hlen.saturating_add(2);
                exact(data, start, len)?;
                elements(data, start)?;
                return Ok(Kind::KeepAlive);
            }
            control(data, hlen)?;
            Ok(Kind::Control)
        }
        _ => Err(Error::Field {
            field: "Type",
            offset: field::PREAMBLE,
        }),
    }
}

/// The control header at `offset` (§4.5.1) and its message elements.
fn control(data: &[u8], offset: usize) -> Result<(), Error> {
    need(data, offset, 8)?;
    let message_type = be_u32(data, offset).unwrap_or_default();
    check(
        (1..=LAST_MESSAGE_TYPE).contains(&message_type),
        "Message Type",
        offset,
    )?;
    let after_seq = offset.saturating_add(5);
    let len = usize::from(be_u16(data, after_seq).unwrap_or_default());
    exact(data, after_seq, len)?;
    check(
        u8_at(data, after_seq.saturating_add(2)) == Some(0),
        "Flags",
        after_seq.saturating_add(2),
    )?;
    elements(data, after_seq.saturating_add(3))
}

/// `len` bytes from `start` must end the datagram.
fn exact(data: &[u8], start: usize, len: usize) -> Result<(), Error> {
    let end = start.saturating_add(len);
    if end == data.len() {
        Ok(())
    } else {
        Err(Error::Length {
            consumed: end,
            len: data.len(),
        })
    }
}

/// Message elements (§4.6: 16-bit type, 16-bit length, value) from `offset` to the end.
fn elements(data: &[u8], mut offset: usize) -> Result<(), Error> {
    while offset < data.len() {
        need(data, offset, 4)?;
        let len = usize::from(be_u16(data, offset.saturating_add(2)).unwrap_or_default());
        need(data, offset.saturating_add(4), len)?;
        offset = offset.saturating_add(4).saturating_add(len);
    }
    Ok(())
}

/// An error of the inner DTLS records, with offsets in the outer datagram.
fn shift(e: Error, by: usize) -> Error {
    match e {
        Error::Truncated {
            required,
            available,
            offset,
        } => Error::Truncated {
            required,
            available,
            offset: offset.saturating_add(by),
        },
        Error::Field { field, offset } => Error::Field {
            field,
            offset: offset.saturating_add(by),
        },
        Error::Length { consumed, len } => Error::Length {
            consumed: consumed.saturating_add(by),
            len: len.saturating_add(by),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// A Discovery Request: HLEN 2, RID 1, WBID 1, then the control header and one element
    /// (Discovery Type, 1 byte).
    fn discovery() -> Vec<u8> {
        let mut p = std::vec![0x00, 0x10, 0x43, 0x00, 0x00, 0x00, 0x00, 0x00];
        p.extend_from_slice(&[0, 0, 0, 1, 7, 0, 8, 0]);
        p.extend_from_slice(&[0, 20, 0, 1, 1]);
        p
    }

    #[test]
    fn control_keepalive_dtls() {
        let d = discovery();
        assert_eq!(Capwap::new_checked(&d[..]).unwrap().kind(), Kind::Control);
        let mut bad_len = d.clone();
        bad_len[14] = 9;
        assert!(Capwap::new_checked(&bad_len[..]).is_err());
        let mut bad_type = d.clone();
        bad_type[11] = 27;
        assert!(Capwap::new_checked(&bad_type[..]).is_err());
        let mut fragment = d.clone();
        fragment[3] = 0x80;
        assert!(Capwap::new_checked(&fragment[..]).is_err());
        let keepalive = [
            0x00, 0x10, 0x42, 0x08, 0, 0, 0, 0, 0, 8, 0, 35, 0, 4, 1, 2, 3, 4,
        ];
        assert_eq!(
            Capwap::new_checked(&keepalive[..]).unwrap().kind(),
            Kind::KeepAlive
        );
        let mut wrapped = std::vec![0x01, 0, 0, 0];
        wrapped.extend_from_slice(&[22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0]);
        assert_eq!(
            Capwap::new_checked(&wrapped[..]).unwrap().kind(),
            Kind::Dtls
        );
        wrapped[2] = 1;
        assert!(Capwap::new_checked(&wrapped[..]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)) {
            if let Ok(c) = Capwap::new_checked(&data[..]) { let _ = c.kind(); }
        }
    }
}
