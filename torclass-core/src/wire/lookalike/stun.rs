//! STUN (RFC 8489 §5, §14) and TURN ChannelData (RFC 8656 §12.4) messages.
//!
//! A STUN message is a 20-byte header — two zero bits, a 14-bit message type, a 16-bit length
//! of what follows (a multiple of 4), the magic cookie `0x2112A442`, a 96-bit transaction id —
//! then attributes, each a type, a length and a value padded to 4 bytes (§14).
//! [`Stun::new_checked`] requires the cookie (RFC 3489's classic STUN has none and is not
//! recognised), the length to match the datagram and the attributes to fill it exactly.
//!
//! A TURN ChannelData message is a channel number in `0x4000..=0x4FFF` (RFC 8656 §12; RFC
//! 5766 allowed up to `0x7FFF`, which is accepted too), a 16-bit length and that many bytes of
//! application data, padded over UDP to a multiple of 4 or not at all (§12.5).
//! [`ChannelData::new_checked`] requires the datagram to be exactly that long. Channel numbers
//! `0x41xx` make the first byte a uTP SYN's (`0x41`): the known look-alike.

use super::{check, need, Error};
use crate::wire::bytes::{be_u16, be_u32};

mod field {
    pub const TYPE: usize = 0;
    pub const LENGTH: usize = 2;
    pub const COOKIE: usize = 4;
    pub const HEADER_LEN: usize = 20;
    pub const CHANNEL_HEADER_LEN: usize = 4;
}

/// The magic cookie (RFC 8489 §5).
pub const MAGIC_COOKIE: u32 = 0x2112_a442;

/// A STUN or TURN message with the magic cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stun<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Stun<T> {
    /// Check the header and walk the attributes.
    ///
    /// # Errors
    /// [`Error::Truncated`] below 20 bytes or for a cut attribute, [`Error::Field`] for the
    /// leading bits, cookie or length, [`Error::Length`] when the attributes do not end
    /// where the datagram does.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        need(data, 0, field::HEADER_LEN)?;
        let ty = be_u16(data, field::TYPE).unwrap_or_default();
        check(ty & 0xc000 == 0, "Message Type", field::TYPE)?;
        check(
            be_u32(data, field::COOKIE) == Some(MAGIC_COOKIE),
            "Magic Cookie",
            field::COOKIE,
        )?;
        let length = usize::from(be_u16(data, field::LENGTH).unwrap_or_default());
        check(
            length % 4 == 0 && length == data.len().saturating_sub(field::HEADER_LEN),
            "Message Length",
            field::LENGTH,
        )?;
        let mut offset = field::HEADER_LEN;
        while offset < data.len() {
            need(data, offset, 4)?;
            let len = usize::from(be_u16(data, offset.saturating_add(2)).unwrap_or_default());
            let padded = len.saturating_add(3) & !3;
            need(data, offset.saturating_add(4), padded)?;
            offset = offset.saturating_add(4).saturating_add(padded);
        }
        Ok(Self { buffer })
    }

    /// The message type: class and method (RFC 8489 §5).
    pub fn message_type(&self) -> u16 {
        be_u16(self.buffer.as_ref(), field::TYPE).unwrap_or_default()
    }
}

/// A TURN ChannelData message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelData<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ChannelData<T> {
    /// Check the channel number and that the length fills the datagram (with or without
    /// padding to 4 bytes).
    ///
    /// # Errors
    /// [`Error::Truncated`] below 4 bytes or when the data is cut, [`Error::Field`] for a
    /// channel number outside `0x4000..=0x7FFF`, [`Error::Length`] for bytes beyond the
    /// padding.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        need(data, 0, field::CHANNEL_HEADER_LEN)?;
        let channel = be_u16(data, 0).unwrap_or_default();
        check((0x4000..=0x7fff).contains(&channel), "Channel Number", 0)?;
        let len = usize::from(be_u16(data, 2).unwrap_or_default());
        need(data, field::CHANNEL_HEADER_LEN, len)?;
        let exact = field::CHANNEL_HEADER_LEN.saturating_add(len);
        let padded = exact.saturating_add(3) & !3;
        if data.len() != exact && data.len() != padded {
            return Err(Error::Length {
                consumed: exact,
                len: data.len(),
            });
        }
        Ok(Self { buffer })
    }

    /// The channel number.
    pub fn channel(&self) -> u16 {
        be_u16(self.buffer.as_ref(), 0).unwrap_or_default()
    }

    /// The application data.
    pub fn data(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let len = usize::from(be_u16(data, 2).unwrap_or_default());
        data.get(field::CHANNEL_HEADER_LEN..field::CHANNEL_HEADER_LEN.saturating_add(len))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_request_and_response() {
        let mut req = std::vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
        req.extend_from_slice(&[7; 12]);
        assert_eq!(Stun::new_checked(&req[..]).unwrap().message_type(), 1);
        let mut resp = std::vec![0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42];
        resp.extend_from_slice(&[7; 12]);
        resp.extend_from_slice(&[0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 1, 2, 3, 4]);
        assert!(Stun::new_checked(&resp[..]).is_ok());
        let mut bad = resp.clone();
        bad[3] = 0x10;
        assert!(Stun::new_checked(&bad[..]).is_err());
        bad = resp.clone();
        bad[23] = 0x09; // attribute longer than the message
        assert!(Stun::new_checked(&bad[..]).is_err());
        bad = req.clone();
        bad[4] = 0;
        assert!(Stun::new_checked(&bad[..]).is_err());
    }

    #[test]
    fn channel_data() {
        let mut m = std::vec![0x41, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5];
        let c = ChannelData::new_checked(&m[..]).unwrap();
        assert_eq!((c.channel(), c.data()), (0x4100, &[1, 2, 3, 4, 5][..]));
        m.extend_from_slice(&[0, 0, 0]);
        assert!(ChannelData::new_checked(&m[..]).is_ok());
        m.push(0);
        assert!(ChannelData::new_checked(&m[..]).is_err());
        assert!(ChannelData::new_checked(&[0x3f, 0, 0, 0][..]).is_err());
        assert!(ChannelData::new_checked(&[0x40, 0, 0, 4, 1][..]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)) {
            if let Ok(s) = Stun::new_checked(&data[..]) { let _ = s.message_type(); }
            if let Ok(c) = ChannelData::new_checked(&data[..]) { let _ = (c.channel(), c.data()); }
        }
    }
}
