//! NTP packets (RFC 5905 §7.3 with RFC 7822 extension fields, and the mode 6 control message
//! of RFC 9327 §2).
//!
//! An NTP packet in modes 1–5 is a 48-byte header — leap indicator, version and mode in the
//! first byte, then stratum, poll and precision — followed by nothing, by extension fields
//! (RFC 7822 §3: a 16-bit type, a 16-bit length of at least 16 that is a multiple of 4, the
//! value), and by an optional MAC (a 32-bit key id and a 16- or 20-byte digest, or the key id
//! alone as a crypto-NAK). [`Ntp::new_checked`] requires version 1–4, stratum at most 16, poll
//! at most 17 (log2 seconds), precision 0 or negative down to -32, and the extensions and MAC
//! to fill the datagram exactly. A mode 6 control message is a 12-byte header with an opcode
//! whose `count` bytes of ASCII data, zero-padded to 4, and an optional MAC fill the datagram.
//!
//! The look-alike: mode 1 (symmetric active) with version 4 makes the first byte `0x21`, a uTP
//! STATE header.

use super::{check, need, Error};
use crate::wire::bytes::{be_u16, u8_at};

mod field {
    pub const FIRST: usize = 0;
    pub const STRATUM: usize = 1;
    pub const POLL: usize = 2;
    pub const PRECISION: usize = 3;
    pub const HEADER_LEN: usize = 48;
    pub const CONTROL_OPCODE: usize = 1;
    pub const CONTROL_COUNT: usize = 10;
    pub const CONTROL_HEADER_LEN: usize = 12;
}

/// MAC lengths after the header and extensions: crypto-NAK, MD5, SHA-1.
const MAC_LENS: [usize; 3] = [4, 4 + 16, 4 + 20];
/// Most data a mode 6 message carries (RFC 9327 §2).
const MAX_CONTROL_DATA: usize = 468;
/// Extension fields walked at most.
const MAX_EXTENSIONS: usize = 16;

/// An NTP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ntp<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ntp<T> {
    /// Check the header and what follows it; see the module docs.
    ///
    /// # Errors
    /// [`Error::Truncated`] below the header, [`Error::Field`] for a value out of range,
    /// [`Error::Length`] when extensions and MAC do not fill the datagram.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        need(data, 0, 1)?;
        let first = u8_at(data, field::FIRST).unwrap_or_default();
        let version = (first >> 3) & 0x07;
        check((1..=4).contains(&version), "VN", field::FIRST)?;
        match first & 0x07 {
            6 => control(data)?,
            1..=5 => header(data)?,
            _ => {
                return Err(Error::Field {
                    field: "Mode",
                    offset: field::FIRST,
                })
            }
        }
        Ok(Self { buffer })
    }

    /// The mode (1–6).
    pub fn mode(&self) -> u8 {
        u8_at(self.buffer.as_ref(), field::FIRST).unwrap_or_default() & 0x07
    }

    /// The version (1–4).
    pub fn version(&self) -> u8 {
        (u8_at(self.buffer.as_ref(), field::FIRST).unwrap_or_default() >> 3) & 0x07
    }
}

fn header(data: &[u8]) -> Result<(), Error> {
    need(data, 0, field::HEADER_LEN)?;
    let byte = |at| u8_at(data, at).unwrap_or(u8::MAX);
    check(byte(field::STRATUM) <= 16, "Stratum", field::STRATUM)?;
    check(byte(field::POLL) <= 17, "Poll", field::POLL)?;
    let precision = byte(field::PRECISION);
    check(
        precision == 0 || precision >= 0xe0,
        "Precision",
        field::PRECISION,
    )?;
    let mut offset = field::HEADER_LEN;
    for _ in 0..=MAX_EXTENSIONS {
        let rest = data.len().saturating_sub(offset);
        if rest == 0 || MAC_LENS.contains(&rest) {
            return Ok(());
        }
        need(data, offset, 16)?;
        let len = usize::from(be_u16(data, offset.saturating_add(2)).unwrap_or_default());
        check(
            len >= 16 && len % 4 == 0,
            "Length",
            offset.saturating_add(2),
        )?;
        need(data, offset, len)?;
        offset = offset.saturating_add(len);
    }
    Err(Error::Length {
        consumed: offset,
        len: data.len(),
    })
}

fn control(data: &[u8]) -> Result<(), Error> {
    need(data, 0, field::CONTROL_HEADER_LEN)?;
    let opcode = u8_at(data, field::CONTROL_OPCODE).unwrap_or_default() & 0x1f;
    check(opcode != 0, "OpCode", field::CONTROL_OPCODE)?;
    let count = usize::from(be_u16(data, field::CONTROL_COUNT).unwrap_or_default());
    check(count <= MAX_CONTROL_DATA, "Count", field::CONTROL_COUNT)?;
    let padded = count.saturating_add(3) & !3;
    let end = field::CONTROL_HEADER_LEN.saturating_add(padded);
    let rest = data.len().saturating_sub(end);
    need(data, field::CONTROL_HEADER_LEN, padded)?;
    // The data is ASCII text (`name=value` lists), the padding zero.
    let body = data.get(field::CONTROL_HEADER_LEN..end).unwrap_or_default();
    let (text, padding) = body.split_at(count.min(body.len()));
    check(
        text.iter()
            .all(|b| b.is_ascii_graphic() || b" \t\r\n".contains(b)),
        "Data",
        field::CONTROL_HEADER_LEN,
    )?;
    check(
        padding.iter().all(|b| *b == 0),
        "Padding",
        field::CONTROL_HEADER_LEN.saturating_add(count),
    )?;
    if rest == 0 || MAC_LENS.contains(&rest) {
        Ok(())
    } else {
        Err(Error::Length {
            consumed: end,
            len: data.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_server_symmetric_control() {
        let mut client = std::vec![0x23, 0, 6, 0xec];
        client.resize(48, 0);
        assert_eq!(Ntp::new_checked(&client[..]).unwrap().mode(), 3);
        let mut mac = client.clone();
        mac.extend_from_slice(&[0; 20]);
        assert!(Ntp::new_checked(&mac[..]).is_ok());
        let mut ext = client.clone();
        ext.extend_from_slice(&[0x01, 0x04, 0x00, 0x24]);
        ext.extend_from_slice(&[7; 32]);
        assert!(Ntp::new_checked(&ext[..]).is_ok());
        ext.push(0);
        assert!(Ntp::new_checked(&ext[..]).is_err());
        let mut symmetric = client.clone();
        symmetric[0] = 0x21;
        assert_eq!(Ntp::new_checked(&symmetric[..]).unwrap().version(), 4);
        for (at, v) in [(0usize, 0x07u8), (0, 0x03), (1, 17), (2, 18), (3, 0x10)] {
            let mut bad = client.clone();
            bad[at] = v;
            assert!(Ntp::new_checked(&bad[..]).is_err(), "{at} {v}");
        }
        let mut readvar = std::vec![0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(Ntp::new_checked(&readvar[..]).is_ok());
        readvar[11] = 5;
        assert!(Ntp::new_checked(&readvar[..]).is_err());
        readvar.extend_from_slice(b"abcde\0\0\0");
        assert!(Ntp::new_checked(&readvar[..]).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120)) {
            if let Ok(n) = Ntp::new_checked(&data[..]) { let _ = (n.mode(), n.version()); }
        }
    }
}
