//! Teredo: IPv6 packets carried in UDP (RFC 4380 §5.1.1, §5.2).
//!
//! A Teredo datagram is an IPv6 packet (RFC 8200 §3: version 6, a 16-bit payload length, the
//! next header, the hop limit and two addresses), optionally preceded by an authentication
//! indicator (`00 01`, client id length, authentication value length, the client id, the
//! value, an 8-byte nonce and a confirmation byte) and/or an origin indication (`00 00`, an
//! obfuscated port and IPv4 address, 8 bytes). [`Teredo::new_checked`] walks the optional
//! parts and requires the IPv6 payload length to match the rest of the datagram exactly, a
//! next header a Teredo peer sends (no next header, ICMPv6, TCP, UDP or an extension header),
//! a non-zero hop limit, and the Teredo prefix `2001:0000::/32` (§2.6) or a link-local or
//! link-scope multicast address (the router solicitations and advertisements of qualification,
//! §5.2.1) as the source or the destination; a bubble is an IPv6 header with payload length 0
//! and next header 59.
//!
//! nDPI excluded UDP port 3544 from its BitTorrent rules after Teredo was called BitTorrent
//! (ntop/nDPI #74); this recogniser needs no port.

use super::{check, need, Error};
use crate::wire::bytes::{be_u16, be_u32, u8_at};

const IPV6_HEADER_LEN: usize = 40;
const ORIGIN_LEN: usize = 8;

/// A Teredo-encapsulated IPv6 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Teredo<T: AsRef<[u8]>> {
    buffer: T,
    ipv6: usize,
}

impl<T: AsRef<[u8]>> Teredo<T> {
    /// Walk the indicators and check the IPv6 header's length.
    ///
    /// # Errors
    /// [`Error::Truncated`] when an indicator or the IPv6 header is cut, [`Error::Field`] for
    /// another IP version, [`Error::Length`] when the payload length is not the rest.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        let mut offset = 0usize;
        if be_u16(data, offset) == Some(0x0001) {
            need(data, offset, 4)?;
            let id = usize::from(u8_at(data, offset.saturating_add(2)).unwrap_or_default());
            let auth = usize::from(u8_at(data, offset.saturating_add(3)).unwrap_or_default());
            let len = 4usize
                .saturating_add(id)
                .saturating_add(auth)
                .saturating_add(9);
            need(data, offset, len)?;
            offset = offset.saturating_add(len);
        }
        if be_u16(data, offset) == Some(0x0000) {
            need(data, offset, ORIGIN_LEN)?;
            offset = offset.saturating_add(ORIGIN_LEN);
        }
        need(data, offset, IPV6_HEADER_LEN)?;
        let version = u8_at(data, offset).unwrap_or_default() >> 4;
        check(version == 6, "Version", offset)?;
        let next = u8_at(data, offset.saturating_add(6)).unwrap_or_default();
        check(
            matches!(next, 0 | 6 | 17 | 43 | 44 | 50 | 51 | 58 | 59 | 60),
            "Next Header",
            offset.saturating_add(6),
        )?;
        check(
            u8_at(data, offset.saturating_add(7)) != Some(0),
            "Hop Limit",
            offset.saturating_add(7),
        )?;
        let teredo = |at: usize| {
            let prefix = be_u32(data, offset.saturating_add(at)).unwrap_or_default();
            prefix == 0x2001_0000 || prefix >> 22 == 0x3fa || prefix >> 16 == 0xff02
        };
        check(teredo(8) || teredo(24), "Address", offset.saturating_add(8))?;
        let payload = usize::from(be_u16(data, offset.saturating_add(4)).unwrap_or_default());
        let end = offset
            .saturating_add(IPV6_HEADER_LEN)
            .saturating_add(payload);
        if end != data.len() {
            return Err(Error::Length {
                consumed: end,
                len: data.len(),
            });
        }
        Ok(Self {
            buffer,
            ipv6: offset,
        })
    }

    /// The encapsulated IPv6 packet.
    pub fn ipv6_packet(&self) -> &[u8] {
        self.buffer.as_ref().get(self.ipv6..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn bubble() -> Vec<u8> {
        let mut b = std::vec![0x60, 0, 0, 0, 0, 0, 59, 21];
        b.extend_from_slice(&[0x20, 0x01, 0, 0]);
        b.extend_from_slice(&[3; 28]);
        b
    }

    #[test]
    fn bubble_origin_and_auth() {
        let b = bubble();
        assert_eq!(Teredo::new_checked(&b[..]).unwrap().ipv6_packet().len(), 40);
        let mut origin = std::vec![0, 0, 0x12, 0x34, 1, 2, 3, 4];
        origin.extend_from_slice(&b);
        assert!(Teredo::new_checked(&origin[..]).is_ok());
        let mut auth = std::vec![0, 1, 0, 0];
        auth.extend_from_slice(&[9; 8]);
        auth.push(0);
        auth.extend_from_slice(&origin);
        assert_eq!(
            Teredo::new_checked(&auth[..]).unwrap().ipv6_packet()[0],
            0x60
        );
        let mut long = b.clone();
        long.push(0);
        assert!(Teredo::new_checked(&long[..]).is_err());
        let mut v4 = b.clone();
        v4[0] = 0x45;
        assert!(Teredo::new_checked(&v4[..]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100)) {
            if let Ok(t) = Teredo::new_checked(&data[..]) { let _ = t.ipv6_packet().len(); }
        }
    }
}
