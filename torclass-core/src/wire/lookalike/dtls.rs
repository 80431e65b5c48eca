//! DTLS records (RFC 6347 §4.1 for DTLS 1.0 and 1.2; RFC 9147 §4 for DTLS 1.3's plaintext
//! and legacy-format records).
//!
//! A record is a content type, a version, a 16-bit epoch, a 48-bit sequence number and a
//! 16-bit length, then that many bytes; one datagram may carry several records (RFC 6347
//! §4.1.1). [`Dtls::new_checked`] requires every record to have a content type of
//! change_cipher_spec (20), alert (21), handshake (22), application_data (23) or heartbeat
//! (24), the version DTLS 1.0 (`0xfeff`) or 1.2 (`0xfefd`, which DTLS 1.3 also writes), a
//! length that is not zero, and the records to end exactly at the end of the datagram.
//!
//! DTLS 1.3's unified header for encrypted records (RFC 9147 §4, first byte `0b001xxxxx`) has
//! an optional length and a connection id of negotiated length: it is not recognisable alone
//! and is not read.

use super::{check, need, Error};
use crate::wire::bytes::{be_u16, u8_at};

mod field {
    pub const TYPE: usize = 0;
    pub const VERSION: usize = 1;
    pub const EPOCH: usize = 3;
    pub const LENGTH: usize = 11;
    pub const HEADER_LEN: usize = 13;
}

/// DTLS 1.0's record version.
pub const VERSION_1_0: u16 = 0xfeff;
/// DTLS 1.2's record version (also in DTLS 1.3's plaintext records).
pub const VERSION_1_2: u16 = 0xfefd;

/// Records walked at most (64); a 1500-byte datagram holds fewer of the smallest useful ones.
const MAX_RECORDS: usize = 64;

/// One or more DTLS records that fill the datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dtls<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Dtls<T> {
    /// Walk the records; see the module docs.
    ///
    /// # Errors
    /// [`Error::Truncated`] for a cut record, [`Error::Field`] for a content type, version or
    /// length that does not fit, [`Error::Length`] past 64 records.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        let mut offset = 0usize;
        for _ in 0..MAX_RECORDS {
            need(data, offset, field::HEADER_LEN)?;
            let ty = u8_at(data, offset).unwrap_or_default();
            check((20..=24).contains(&ty), "ContentType", offset)?;
            let version = be_u16(data, offset.saturating_add(field::VERSION)).unwrap_or_default();
            check(
                matches!(version, VERSION_1_0 | VERSION_1_2),
                "ProtocolVersion",
                offset.saturating_add(field::VERSION),
            )?;
            let len =
                usize::from(be_u16(data, offset.saturating_add(field::LENGTH)).unwrap_or_default());
            check(len > 0, "length", offset.saturating_add(field::LENGTH))?;
            let body = offset.saturating_add(field::HEADER_LEN);
            need(data, body, len)?;
            offset = body.saturating_add(len);
            if offset == data.len() {
                return Ok(Self { buffer });
            }
        }
        Err(Error::Length {
            consumed: offset,
            len: data.len(),
        })
    }

    /// The first record's content type.
    pub fn content_type(&self) -> u8 {
        u8_at(self.buffer.as_ref(), field::TYPE).unwrap_or_default()
    }

    /// The first record's epoch.
    pub fn epoch(&self) -> u16 {
        be_u16(self.buffer.as_ref(), field::EPOCH).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_walk() {
        let mut r = std::vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3];
        let d = Dtls::new_checked(&r[..]).unwrap();
        assert_eq!((d.content_type(), d.epoch()), (22, 0));
        r.extend_from_slice(&[20, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1]);
        assert!(Dtls::new_checked(&r[..]).is_ok());
        assert!(Dtls::new_checked(&r[..r.len() - 1]).is_err());
        r.push(0);
        assert!(Dtls::new_checked(&r[..]).is_err());
        let tls = [22, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
        assert!(Dtls::new_checked(&tls[..]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100)) {
            if let Ok(d) = Dtls::new_checked(&data[..]) { let _ = (d.content_type(), d.epoch()); }
        }
    }
}
