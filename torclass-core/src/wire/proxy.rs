//! What the proxy negotiation readers (`socks` and
//! `http_connect`) share: the `Step` they report after each payload,
//! and how they hand the endpoint the client asked the proxy for to an [`Observer`].
//!
//! ## The target encoding
//! The readers hand the requested endpoint to [`Observer::field`] as
//! [`Field::ProxyTarget`], piece by piece at the piece's offset (like every field), in one
//! encoding whatever the proxy protocol:
//!
//! | offset | bytes | value |
//! |---|---|---|
//! | 0 | 1 | address type, as SOCKS 5 numbers it (RFC 1928 §4): 1 IPv4, 3 a name, 4 IPv6 |
//! | 1 | 2 | port, big-endian |
//! | 3 | 4, 16 or the name's length | the address, or the host name as the client wrote it (HTTP `CONNECT` always writes a name: an IP literal is text, without an IPv6 literal's brackets) |
//!
//! [`Target`] reads it back. The port comes before the address so that a collector that keeps
//! only a prefix of a long host name still has the port.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::observer::{Field, Observer};
use crate::verdict::Direction;

use super::bytes;

unstable! {
    /// What one side of a proxy negotiation did with a payload.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Step {
        /// The negotiation goes on: the whole payload was read.
        NeedMore,
        /// This side's negotiation ended `consumed` bytes into the payload: the tunnelled stream
        /// starts at the next byte.
        Tunnel {
            /// Bytes of the payload that belong to the negotiation.
            consumed: usize,
        },
        /// A negotiation, but what follows cannot be read: the proxy refused the request, or the
        /// two ends agreed on a method that protects the stream (SOCKS 5 GSSAPI, RFC 1961) or that
        /// is not public. Nothing more is read on this side.
        Opaque,
        /// Not this protocol: the byte `at` of the payload cannot be part of the negotiation.
        Invalid {
            /// Offset in the payload of the first byte that does not fit.
            at: usize,
        },
    }
}

/// Address types of the target encoding (RFC 1928 §4).
pub mod atyp {
    /// IPv4 address, 4 bytes.
    pub const IPV4: u8 = 1;
    /// A host name (in SOCKS 5, preceded by its length).
    pub const NAME: u8 = 3;
    /// IPv6 address, 16 bytes.
    pub const IPV6: u8 = 4;
}

/// Offsets of the target encoding (module documentation).
pub(crate) mod offset {
    /// The address type.
    pub const ATYP: u32 = 0;
    /// The port.
    pub const PORT: u32 = 1;
    /// The address or name.
    pub const ADDR: u32 = 3;
}

/// Hands `bytes` of the target, at `offset` of its encoding, to `observer`.
pub(crate) fn emit<O: Observer>(observer: &mut O, direction: Direction, offset: u32, bytes: &[u8]) {
    observer.field(direction, Field::ProxyTarget, offset, bytes);
}

/// A byte a host name may hold (RFC 1123 labels, plus `_` as DNS names carry in practice, and
/// the characters of IPv4 literals).
pub(crate) const fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')
}

/// The endpoint a client asked a proxy for, read back from its encoding (module
/// documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// An address and port.
    Addr(SocketAddr),
    /// A host name (or, from HTTP `CONNECT`, an IP literal written as text) and port.
    Name(&'a [u8], u16),
}

impl<'a> Target<'a> {
    /// Read an encoded target; `None` if `encoded` is too short for its address type or the
    /// type is unknown. A name may have been cut by whoever collected it.
    #[must_use]
    pub fn parse(encoded: &'a [u8]) -> Option<Self> {
        let port = bytes::be_u16(encoded, 1)?;
        let addr = encoded.get(3..)?;
        match bytes::u8_at(encoded, 0)? {
            atyp::IPV4 => {
                let a: [u8; 4] = bytes::array(addr, 0)?;
                Some(Self::Addr(SocketAddr::new(Ipv4Addr::from(a).into(), port)))
            }
            atyp::IPV6 => {
                let a: [u8; 16] = bytes::array(addr, 0)?;
                Some(Self::Addr(SocketAddr::new(Ipv6Addr::from(a).into(), port)))
            }
            atyp::NAME if !addr.is_empty() => Some(Self::Name(addr, port)),
            _ => None,
        }
    }

    /// The target as a socket address: an address, or a name that is an IP literal.
    #[must_use]
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        match *self {
            Self::Addr(a) => Some(a),
            Self::Name(name, port) => {
                let ip: IpAddr = core::str::from_utf8(name).ok()?.parse().ok()?;
                Some(SocketAddr::new(ip, port))
            }
        }
    }
}

/// `HOST:PORT`, IPv6 in brackets, non-printable bytes of a name escaped as `\xNN`.
impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Addr(a) => write!(f, "{a}"),
            Self::Name(name, port) => {
                let v6 = name.contains(&b':');
                if v6 {
                    f.write_str("[")?;
                }
                for &b in name {
                    if b.is_ascii_graphic() {
                        write!(f, "{}", char::from(b))?;
                    } else {
                        write!(f, "\\x{b:02x}")?;
                    }
                }
                if v6 {
                    f.write_str("]")?;
                }
                write!(f, ":{port}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn targets_read_back_and_print() {
        let v4 = [1, 0x1a, 0xe1, 10, 77, 0, 2];
        let t = Target::parse(&v4).unwrap();
        assert_eq!(t.to_string(), "10.77.0.2:6881");
        assert_eq!(t.socket_addr(), Some("10.77.0.2:6881".parse().unwrap()));
        let mut v6 = [0u8; 19];
        v6[0] = 4;
        v6[2] = 80;
        v6[18] = 1;
        assert_eq!(Target::parse(&v6).unwrap().to_string(), "[::1]:80");
        let name = b"\x03\x1a\xe1tracker.example";
        let t = Target::parse(name).unwrap();
        assert_eq!(t.to_string(), "tracker.example:6881");
        assert_eq!(t.socket_addr(), None);
        let literal = b"\x03\x00\x50::1";
        let t = Target::parse(literal).unwrap();
        assert_eq!(t.to_string(), "[::1]:80");
        assert_eq!(t.socket_addr(), Some("[::1]:80".parse().unwrap()));
        assert_eq!(Target::parse(b"\x03\x00\x50"), None);
        assert_eq!(Target::parse(&v4[..6]), None);
        assert_eq!(Target::parse(b"\x02\x00\x50abcd"), None);
        assert_eq!(
            Target::parse(b"\x03\x00\x50a\x01").unwrap().to_string(),
            "a\\x01:80"
        );
    }
}
