//! The SOCKS 5 UDP request header (RFC 1928 §7): what wraps every datagram between a client
//! and its proxy's UDP relay after a UDP ASSOCIATE, in both directions.
//!
//! ```text
//! +----+------+------+----------+----------+----------+
//! |RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
//! +----+------+------+----------+----------+----------+
//! | 2  |  1   |  1   | Variable |    2     | Variable |
//! +----+------+------+----------+----------+----------+
//! ```
//!
//! Nothing but the relay's port says a datagram is wrapped, so [`UdpHeader::new_checked`] is
//! strict: `RSV` must be zero, `ATYP` 1, 3 or 4, a name (type 3) 1..=255 bytes of RFC 1123
//! host name characters, and the header must leave a payload. On uniformly random bytes
//! that accepts about 3 in 2^32 datagrams (`RSV`, `FRAG` 0 and `ATYP`), before the payload
//! itself has to pass a BitTorrent reader; the measurement is in the UDP tests. A datagram
//! with `FRAG` ≠ 0 is part of a fragmented one (§7) and is not read.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use nom::bytes::complete::take;
use nom::multi::length_data;
use nom::number::complete::{be_u16, be_u8};
use nom::{IResult, Parser};

use super::bytes;
use super::proxy::{atyp, is_name_byte, Target};

mod field {
    pub const FRAG: usize = 2;
    pub const ATYP: usize = 3;
    pub const ADDR: usize = 4;
}

/// Why a datagram is not SOCKS 5 UDP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Shorter than the header it announces, or no payload after it.
    Truncated {
        /// Bytes the header and at least one payload byte need.
        required: usize,
        /// Bytes the datagram has.
        available: usize,
    },
    /// `RSV` is not zero.
    Reserved(u16),
    /// `ATYP` is not 1, 3 or 4.
    AddressType(u8),
    /// A host name that is empty or holds a byte no host name has, at this offset.
    Name {
        /// Offset of the bad byte (of the length byte for an empty name).
        offset: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated {
                required,
                available,
            } => write!(
                f,
                "SOCKS 5 UDP: header and payload need {required} bytes, datagram has {available}"
            ),
            Self::Reserved(v) => write!(f, "SOCKS 5 UDP: reserved field is {v:#06x}, not 0"),
            Self::AddressType(t) => write!(f, "SOCKS 5 UDP: unknown address type {t}"),
            Self::Name { offset } => {
                write!(f, "SOCKS 5 UDP: bad host name byte at offset {offset}")
            }
        }
    }
}

impl core::error::Error for Error {}

/// A checked SOCKS 5 UDP datagram: header and payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpHeader<T: AsRef<[u8]>> {
    buffer: T,
    /// Header length: where the payload starts.
    len: usize,
}

impl<T: AsRef<[u8]>> UdpHeader<T> {
    /// Check `buffer` as RFC 1928 §7 asks (see the module documentation).
    ///
    /// # Errors
    /// [`Error`] says which field does not fit.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        let truncated = |required: usize| Error::Truncated {
            required,
            available: data.len(),
        };
        let (rest, (rsv, _frag, kind)) = (be_u16::<_, ()>, be_u8, be_u8)
            .parse(data)
            .map_err(|_| truncated(field::ADDR))?;
        if rsv != 0 {
            return Err(Error::Reserved(rsv));
        }
        let address: IResult<&[u8], &[u8], ()> = match kind {
            atyp::IPV4 => take(4usize).parse(rest),
            atyp::IPV6 => take(16usize).parse(rest),
            atyp::NAME => length_data(be_u8).parse(rest),
            other => return Err(Error::AddressType(other)),
        };
        let start = field::ADDR.saturating_add(usize::from(kind == atyp::NAME));
        let Ok((after, address)) = address else {
            // A name as long as it claims; an address with its port and one payload byte.
            let required = match kind {
                atyp::NAME => rest.first().map_or(0, |&n| usize::from(n)),
                atyp::IPV4 => 7,
                _ => 19,
            };
            return Err(truncated(start.saturating_add(required)));
        };
        if kind == atyp::NAME {
            if address.is_empty() {
                return Err(Error::Name {
                    offset: field::ADDR,
                });
            }
            if let Some(bad) = address.iter().position(|b| !is_name_byte(*b)) {
                return Err(Error::Name {
                    offset: start.saturating_add(bad),
                });
            }
        }
        let (payload, _port) = be_u16::<_, ()>(after)
            .map_err(|_| truncated(data.len().saturating_sub(after.len()).saturating_add(3)))?;
        if payload.is_empty() {
            return Err(truncated(data.len().saturating_add(1)));
        }
        let len = data.len().saturating_sub(payload.len());
        Ok(Self { buffer, len })
    }

    /// `FRAG`: 0 for a whole datagram, else its fragment number (high bit: the last one).
    #[must_use]
    pub fn frag(&self) -> u8 {
        bytes::u8_at(self.buffer.as_ref(), field::FRAG).unwrap_or(0)
    }

    /// The header's length: 10 bytes for IPv4, 22 for IPv6, 7 + the name's for a name.
    #[must_use]
    pub const fn header_len(&self) -> usize {
        self.len
    }

    /// The endpoint the datagram is sent to (client to relay) or came from (relay to
    /// client).
    #[must_use]
    pub fn target(&self) -> Target<'_> {
        let data = self.buffer.as_ref();
        let port = bytes::be_u16(data, self.len.saturating_sub(2)).unwrap_or(0);
        match bytes::u8_at(data, field::ATYP) {
            Some(atyp::IPV4) => {
                let a: [u8; 4] = bytes::array(data, field::ADDR).unwrap_or_default();
                Target::Addr(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(a)), port))
            }
            Some(atyp::IPV6) => {
                let a: [u8; 16] = bytes::array(data, field::ADDR).unwrap_or_default();
                Target::Addr(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(a)), port))
            }
            _ => Target::Name(
                data.get(field::ADDR.saturating_add(1)..self.len.saturating_sub(2))
                    .unwrap_or_default(),
                port,
            ),
        }
    }

    /// The address bytes of the header (4, 16, or the name), borrowed.
    #[must_use]
    pub fn address(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let start = match bytes::u8_at(data, field::ATYP) {
            Some(atyp::NAME) => field::ADDR.saturating_add(1),
            _ => field::ADDR,
        };
        data.get(start..self.len.saturating_sub(2))
            .unwrap_or_default()
    }

    /// `ATYP`.
    #[must_use]
    pub fn address_type(&self) -> u8 {
        bytes::u8_at(self.buffer.as_ref(), field::ATYP).unwrap_or(0)
    }

    /// `DST.PORT`.
    #[must_use]
    pub fn port(&self) -> u16 {
        bytes::be_u16(self.buffer.as_ref(), self.len.saturating_sub(2)).unwrap_or(0)
    }

    /// The wrapped datagram (never empty).
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(self.len..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn ipv4_ipv6_and_names() {
        let d = [0, 0, 0, 1, 10, 77, 0, 2, 0x1a, 0xe1, b'd', b'1'];
        let h = UdpHeader::new_checked(&d[..]).unwrap();
        assert_eq!(h.frag(), 0);
        assert_eq!(h.header_len(), 10);
        assert_eq!(h.payload(), b"d1");
        assert_eq!(h.port(), 6881);
        assert_eq!(h.address(), &[10, 77, 0, 2]);
        assert_eq!(
            h.target().socket_addr(),
            Some("10.77.0.2:6881".parse().unwrap())
        );
        let mut v6 = [0u8; 23];
        v6[3] = 4;
        v6[19] = 1;
        v6[21] = 80;
        v6[22] = b'x';
        let h = UdpHeader::new_checked(&v6[..]).unwrap();
        assert_eq!(h.header_len(), 22);
        assert_eq!(h.target().socket_addr(), Some("[::1]:80".parse().unwrap()));
        let n = b"\x00\x00\x00\x03\x07example\x00\x35q";
        let h = UdpHeader::new_checked(&n[..]).unwrap();
        assert_eq!(h.target(), Target::Name(b"example", 53));
        assert_eq!(h.payload(), b"q");
    }

    #[test]
    fn strict() {
        let ok = [0, 0, 0, 1, 10, 77, 0, 2, 0x1a, 0xe1, b'd'];
        assert_eq!(
            UdpHeader::new_checked(&ok[..10]),
            Err(Error::Truncated {
                required: 11,
                available: 10
            })
        );
        let mut bad = ok;
        bad[1] = 1;
        assert_eq!(UdpHeader::new_checked(&bad[..]), Err(Error::Reserved(1)));
        let mut bad = ok;
        bad[3] = 2;
        assert_eq!(UdpHeader::new_checked(&bad[..]), Err(Error::AddressType(2)));
        assert_eq!(
            UdpHeader::new_checked(&b"\x00\x00\x00\x03\x00\x00\x35q"[..]),
            Err(Error::Name { offset: 4 })
        );
        assert_eq!(
            UdpHeader::new_checked(&b"\x00\x00\x00\x03\x02a\x01\x00\x35q"[..]),
            Err(Error::Name { offset: 6 })
        );
        assert!(matches!(
            UdpHeader::new_checked(&b"\x00\x00\x00\x03\x09ab"[..]),
            Err(Error::Truncated { .. })
        ));
        let mut frag = ok;
        frag[2] = 0x81;
        assert_eq!(UdpHeader::new_checked(&frag[..]).unwrap().frag(), 0x81);
        for e in [
            Error::Reserved(3),
            Error::AddressType(9),
            Error::Name { offset: 5 },
            Error::Truncated {
                required: 4,
                available: 1,
            },
        ] {
            assert!(!e.to_string().is_empty());
        }
    }
}
