//! SOCKS negotiations on a TCP connection to a proxy: SOCKS 4 (Ying-Da Lee, "SOCKS: A protocol
//! for TCP proxy across firewalls"), SOCKS 4A (its host name extension) and SOCKS 5 (RFC 1928)
//! with username/password authentication (RFC 1929).
//!
//! ```text
//! SOCKS 4/4A client: 04 CD PORT(2) IP(4) USERID.. 00 [HOST.. 00]   (IP 0.0.0.x, x != 0: 4A)
//! SOCKS 4 proxy:     00 CD PORT(2) IP(4)                           (CD 5A granted, 5B-5D refused)
//!
//! SOCKS 5 client:    05 NMETHODS METHODS..                         (RFC 1928 §3)
//!                    [01 ULEN UNAME.. PLEN PASSWD..]               (RFC 1929 §2, method 02)
//!                    05 CMD 00 ATYP DST.ADDR DST.PORT(2)           (§4; ATYP 1, 3 (LEN NAME..), 4)
//! SOCKS 5 proxy:     05 METHOD                                     (§3; FF: none acceptable)
//!                    [01 STATUS]                                   (RFC 1929 §2; 00 success)
//!                    05 REP 00 ATYP BND.ADDR BND.PORT(2)           (§6; REP 00 succeeded)
//! ```
//!
//! Each side is read by its own streaming reader, a byte at a time (a negotiation is a few
//! dozen bytes, at most about 1 KiB with RFC 1929 credentials), so a cut anywhere gives the
//! same result. Every field is checked against the protocol: versions, commands, the reserved
//! byte, address types, lengths, and host names (RFC 1123 characters). A reader stops with
//! [`Step::Tunnel`] at the end of its side's negotiation, [`Step::Opaque`] when the proxy
//! refuses or the ends agree on a method whose stream cannot be read (GSSAPI, RFC 1961, or a
//! private one), and [`Step::Invalid`] at the first byte that does not fit.
//!
//! The client's reader hands the requested endpoint to the observer
//! ([`proxy`](super::proxy#the-target-encoding)). A SOCKS 5 client may send an RFC 1929
//! sub-negotiation only if it offered method 02; a GSSAPI token (also version 01) after a
//! greeting that offered GSSAPI but not 02 is [`Step::Opaque`].

use crate::observer::Observer;
use crate::verdict::Direction;

use super::proxy::{atyp, emit, is_name_byte, offset, Step};

/// The SOCKS 4 version byte of a request.
pub const SOCKS4: u8 = 4;
/// The SOCKS 5 version byte.
pub const SOCKS5: u8 = 5;

/// Longest SOCKS 4 user id or SOCKS 4A host name read, in bytes before its NUL.
pub const MAX_SOCKS4_FIELD: u8 = 255;

/// SOCKS 5 methods (RFC 1928 §3, IANA "SOCKS Methods").
pub mod method {
    /// No authentication required.
    pub const NONE: u8 = 0x00;
    /// GSSAPI (RFC 1961).
    pub const GSSAPI: u8 = 0x01;
    /// Username/password (RFC 1929).
    pub const USERPASS: u8 = 0x02;
    /// No acceptable methods.
    pub const NO_ACCEPTABLE: u8 = 0xFF;
}

/// SOCKS 5 commands (RFC 1928 §4).
pub mod command {
    /// CONNECT.
    pub const CONNECT: u8 = 1;
    /// BIND.
    pub const BIND: u8 = 2;
    /// UDP ASSOCIATE.
    pub const UDP_ASSOCIATE: u8 = 3;
}

/// Where a client's reader is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Client {
    /// SOCKS 5 greeting: version.
    Version5,
    NMethods,
    Methods,
    /// After the greeting: a sub-negotiation (01) or the request (05).
    AfterGreeting,
    AuthUsernameLen,
    AuthUsername,
    AuthPasswordLen,
    AuthPassword,
    /// After the sub-negotiation: the request's version.
    RequestVersion,
    Command,
    Reserved,
    AddressType,
    NameLen,
    Address,
    Port,
    /// SOCKS 4: version.
    Version4,
    Command4,
    Port4,
    Ip4,
    UserId,
    Host,
}

/// Bits of the client reader's `flags`.
mod client_flag {
    /// The greeting offered method 02 (username/password).
    pub const USERPASS: u8 = 1;
    /// The greeting offered method 01 (GSSAPI).
    pub const GSSAPI: u8 = 2;
    /// SOCKS 4: a byte of the first three of the IP was not zero.
    pub const NONZERO: u8 = 4;
    /// SOCKS 4A: a host name follows the user id.
    pub const SOCKS4A: u8 = 8;
    pub const ALL: u8 = 15;
}

/// Streaming reader of the client's side of a SOCKS 4, 4A or 5 negotiation (initiator to
/// proxy). Four bytes of state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientReader {
    at: Client,
    /// Bytes left in the current variable field.
    left: u8,
    /// Bytes read of the current field.
    pos: u8,
    flags: u8,
}

impl ClientReader {
    /// A reader for a side whose first byte is `first` ([`SOCKS4`] or [`SOCKS5`]); `None` for
    /// any other byte.
    #[must_use]
    pub const fn for_first_byte(first: u8) -> Option<Self> {
        let at = match first {
            SOCKS4 => Client::Version4,
            SOCKS5 => Client::Version5,
            _ => return None,
        };
        Some(Self {
            at,
            left: 0,
            pos: 0,
            flags: 0,
        })
    }

    /// True for SOCKS 4 and 4A, false for SOCKS 5.
    #[must_use]
    pub const fn is_socks4(&self) -> bool {
        matches!(
            self.at,
            Client::Version4
                | Client::Command4
                | Client::Port4
                | Client::Ip4
                | Client::UserId
                | Client::Host
        )
    }

    /// Read `payload`, the next bytes of the client's side, handing the target to `observer`.
    pub fn read<O: Observer>(
        &mut self,
        payload: &[u8],
        direction: Direction,
        observer: &mut O,
    ) -> Step {
        for (i, &b) in payload.iter().enumerate() {
            match self.byte(b, direction, observer) {
                Some(true) => {
                    return Step::Tunnel {
                        consumed: i.saturating_add(1),
                    }
                }
                Some(false) => {}
                None if self.at == Client::AfterGreeting
                    && self.flags & client_flag::GSSAPI != 0
                    && b == 1 =>
                {
                    return Step::Opaque
                }
                None => return Step::Invalid { at: i },
            }
        }
        Step::NeedMore
    }

    /// One byte: `Some(true)` at the last byte of the negotiation, `None` if it does not fit.
    fn byte<O: Observer>(&mut self, b: u8, direction: Direction, observer: &mut O) -> Option<bool> {
        let pos = self.pos;
        self.at = match self.at {
            Client::Version5 => (b == SOCKS5).then_some(Client::NMethods)?,
            Client::NMethods => {
                self.left = b;
                (b != 0).then_some(Client::Methods)?
            }
            Client::Methods => {
                match b {
                    method::NO_ACCEPTABLE => return None,
                    method::USERPASS => self.flags |= client_flag::USERPASS,
                    method::GSSAPI => self.flags |= client_flag::GSSAPI,
                    _ => {}
                }
                self.left = self.left.saturating_sub(1);
                if self.left == 0 {
                    Client::AfterGreeting
                } else {
                    Client::Methods
                }
            }
            Client::AfterGreeting => match b {
                SOCKS5 => Client::Command,
                1 if self.flags & client_flag::USERPASS != 0 => Client::AuthUsernameLen,
                _ => return None,
            },
            Client::AuthUsernameLen => {
                self.left = b;
                (b != 0).then_some(Client::AuthUsername)?
            }
            Client::AuthUsername => {
                self.left = self.left.saturating_sub(1);
                if self.left == 0 {
                    Client::AuthPasswordLen
                } else {
                    Client::AuthUsername
                }
            }
            Client::AuthPasswordLen => {
                // RFC 1929 asks for 1..=255 bytes; clients send an empty password too.
                self.left = b;
                if b == 0 {
                    Client::RequestVersion
                } else {
                    Client::AuthPassword
                }
            }
            Client::AuthPassword => {
                self.left = self.left.saturating_sub(1);
                if self.left == 0 {
                    Client::RequestVersion
                } else {
                    Client::AuthPassword
                }
            }
            Client::RequestVersion => (b == SOCKS5).then_some(Client::Command)?,
            Client::Command => {
                matches!(b, command::CONNECT | command::BIND | command::UDP_ASSOCIATE)
                    .then_some(Client::Reserved)?
            }
            Client::Reserved => (b == 0).then_some(Client::AddressType)?,
            Client::AddressType => {
                let (next, left) = match b {
                    atyp::IPV4 => (Client::Address, 4),
                    atyp::IPV6 => (Client::Address, 16),
                    atyp::NAME => (Client::NameLen, 0),
                    _ => return None,
                };
                emit(observer, direction, offset::ATYP, &[b]);
                self.left = left;
                self.pos = 0;
                next
            }
            Client::NameLen => {
                self.left = b;
                (b != 0).then_some(Client::Address)?
            }
            Client::Address => {
                emit(
                    observer,
                    direction,
                    offset::ADDR.saturating_add(pos.into()),
                    &[b],
                );
                self.pos = pos.saturating_add(1);
                self.left = self.left.saturating_sub(1);
                if self.left == 0 {
                    self.pos = 0;
                    Client::Port
                } else {
                    Client::Address
                }
            }
            Client::Port => {
                emit(
                    observer,
                    direction,
                    offset::PORT.saturating_add(pos.into()),
                    &[b],
                );
                self.pos = pos.saturating_add(1);
                if self.pos == 2 {
                    return Some(true);
                }
                Client::Port
            }
            Client::Version4 => (b == SOCKS4).then_some(Client::Command4)?,
            Client::Command4 => {
                self.pos = 0;
                matches!(b, command::CONNECT | command::BIND).then_some(Client::Port4)?
            }
            Client::Port4 => {
                emit(
                    observer,
                    direction,
                    offset::PORT.saturating_add(pos.into()),
                    &[b],
                );
                self.pos = pos.saturating_add(1);
                if self.pos == 2 {
                    self.pos = 0;
                    Client::Ip4
                } else {
                    Client::Port4
                }
            }
            Client::Ip4 => self.ip4(b, direction, observer),
            Client::UserId => {
                if b == 0 {
                    if self.flags & client_flag::SOCKS4A == 0 {
                        return Some(true);
                    }
                    self.pos = 0;
                    Client::Host
                } else {
                    self.pos = (pos < MAX_SOCKS4_FIELD).then(|| pos.saturating_add(1))?;
                    Client::UserId
                }
            }
            Client::Host => {
                if b == 0 {
                    return (pos > 0).then_some(true);
                }
                if !is_name_byte(b) || pos == MAX_SOCKS4_FIELD {
                    return None;
                }
                emit(
                    observer,
                    direction,
                    offset::ADDR.saturating_add(pos.into()),
                    &[b],
                );
                self.pos = pos.saturating_add(1);
                Client::Host
            }
        };
        Some(false)
    }

    /// A byte of a SOCKS 4 request's IP: 0.0.0.x with x != 0 announces a 4A host name, so
    /// leading zeros are handed on only once the address is known not to be that.
    fn ip4<O: Observer>(&mut self, b: u8, direction: Direction, observer: &mut O) -> Client {
        const ZEROS: [u8; 4] = [0; 4];
        let pos = self.pos;
        self.pos = pos.saturating_add(1);
        let nonzero = self.flags & client_flag::NONZERO != 0;
        let at = offset::ADDR.saturating_add(pos.into());
        if pos < 3 {
            if nonzero {
                emit(observer, direction, at, &[b]);
            } else if b != 0 {
                self.flags |= client_flag::NONZERO;
                emit(
                    observer,
                    direction,
                    offset::ADDR,
                    ZEROS.get(..usize::from(pos)).unwrap_or_default(),
                );
                emit(observer, direction, at, &[b]);
            }
            return Client::Ip4;
        }
        if !nonzero && b != 0 {
            self.flags |= client_flag::SOCKS4A;
            emit(observer, direction, offset::ATYP, &[atyp::NAME]);
        } else {
            if !nonzero {
                emit(observer, direction, offset::ADDR, &[0; 3]);
            }
            emit(observer, direction, at, &[b]);
            emit(observer, direction, offset::ATYP, &[atyp::IPV4]);
        }
        self.pos = 0;
        Client::UserId
    }
}

/// Where a proxy's reader is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Server {
    /// SOCKS 5 method selection: version.
    Version5,
    Method,
    AuthVersion,
    AuthStatus,
    ReplyVersion,
    Reply,
    Reserved,
    AddressType,
    NameLen,
    /// The bound address and port: `left` bytes to skip.
    Bound,
    /// SOCKS 4 reply: version (0).
    Version4,
    Code4,
}

/// Streaming reader of the proxy's side of a SOCKS 4, 4A or 5 negotiation. Two bytes of
/// state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerReader {
    at: Server,
    /// Bytes left to skip.
    left: u8,
}

impl ServerReader {
    /// A reader of the proxy's replies to a SOCKS 5 client (`socks4` false) or a SOCKS 4 or
    /// 4A client.
    #[must_use]
    pub const fn new(socks4: bool) -> Self {
        Self {
            at: if socks4 {
                Server::Version4
            } else {
                Server::Version5
            },
            left: 0,
        }
    }

    /// Read `payload`, the next bytes of the proxy's side.
    pub fn read(&mut self, payload: &[u8]) -> Step {
        for (i, &b) in payload.iter().enumerate() {
            match self.byte(b) {
                Ok(false) => {}
                Ok(true) => {
                    return Step::Tunnel {
                        consumed: i.saturating_add(1),
                    }
                }
                Err(true) => return Step::Opaque,
                Err(false) => return Step::Invalid { at: i },
            }
        }
        Step::NeedMore
    }

    /// One byte: `Ok(true)` at the last byte of the negotiation; `Err(true)` for a refusal or
    /// a method that cannot be followed, `Err(false)` for a byte that does not fit.
    fn byte(&mut self, b: u8) -> Result<bool, bool> {
        self.at = match self.at {
            Server::Version5 => (b == SOCKS5).then_some(Server::Method).ok_or(false)?,
            Server::Method => match b {
                method::NONE => Server::ReplyVersion,
                method::USERPASS => Server::AuthVersion,
                _ => return Err(true),
            },
            Server::AuthVersion => (b == 1).then_some(Server::AuthStatus).ok_or(false)?,
            Server::AuthStatus => (b == 0).then_some(Server::ReplyVersion).ok_or(true)?,
            Server::ReplyVersion => (b == SOCKS5).then_some(Server::Reply).ok_or(false)?,
            Server::Reply => match b {
                0 => Server::Reserved,
                1..=8 => return Err(true),
                _ => return Err(false),
            },
            Server::Reserved => (b == 0).then_some(Server::AddressType).ok_or(false)?,
            Server::AddressType => {
                self.left = match b {
                    atyp::IPV4 => 4 + 2,
                    atyp::IPV6 => 16 + 2,
                    atyp::NAME => 0,
                    _ => return Err(false),
                };
                if b == atyp::NAME {
                    Server::NameLen
                } else {
                    Server::Bound
                }
            }
            Server::NameLen => {
                self.left = b.checked_add(2).ok_or(false)?;
                Server::Bound
            }
            Server::Bound => {
                self.left = self.left.saturating_sub(1);
                if self.left == 0 {
                    return Ok(true);
                }
                Server::Bound
            }
            // Version 0 as the protocol says; some proxies echo 4.
            Server::Version4 => matches!(b, 0 | SOCKS4)
                .then_some(Server::Code4)
                .ok_or(false)?,
            Server::Code4 => match b {
                0x5A => {
                    self.left = 6;
                    Server::Bound
                }
                0x5B..=0x5D => return Err(true),
                _ => return Err(false),
            },
        };
        Ok(false)
    }
}

// The readers' parts of `FlowClassifier::to_state` (see `flow/state.rs`).
impl ClientReader {
    /// Encoded bytes.
    pub(crate) const ENCODED_LEN: usize = 4;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.bytes(&[self.at as u8, self.left, self.pos, self.flags]);
    }

    /// `None` for an unknown position or flag.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let [at, left, pos, flags] = r.array()?;
        let at = CLIENT_STATES.get(usize::from(at)).copied()?;
        (flags & !client_flag::ALL == 0).then_some(Self {
            at,
            left,
            pos,
            flags,
        })
    }
}

impl ServerReader {
    /// Encoded bytes.
    pub(crate) const ENCODED_LEN: usize = 2;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.bytes(&[self.at as u8, self.left]);
    }

    /// `None` for an unknown position.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let [at, left] = r.array()?;
        let at = SERVER_STATES.get(usize::from(at)).copied()?;
        Some(Self { at, left })
    }
}

/// Every [`Client`] position, in discriminant order.
const CLIENT_STATES: [Client; 21] = [
    Client::Version5,
    Client::NMethods,
    Client::Methods,
    Client::AfterGreeting,
    Client::AuthUsernameLen,
    Client::AuthUsername,
    Client::AuthPasswordLen,
    Client::AuthPassword,
    Client::RequestVersion,
    Client::Command,
    Client::Reserved,
    Client::AddressType,
    Client::NameLen,
    Client::Address,
    Client::Port,
    Client::Version4,
    Client::Command4,
    Client::Port4,
    Client::Ip4,
    Client::UserId,
    Client::Host,
];

/// Every [`Server`] position, in discriminant order.
const SERVER_STATES: [Server; 12] = [
    Server::Version5,
    Server::Method,
    Server::AuthVersion,
    Server::AuthStatus,
    Server::ReplyVersion,
    Server::Reply,
    Server::Reserved,
    Server::AddressType,
    Server::NameLen,
    Server::Bound,
    Server::Version4,
    Server::Code4,
];

#[cfg(test)]
mod tests;
