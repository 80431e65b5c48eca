//! HTTP `CONNECT` (RFC 9110 §9.3.6): a client asks an HTTP proxy for a tunnel to
//! `host:port`, and a 2xx reply opens it.
//!
//! ```text
//! client: CONNECT host:port HTTP/1.1\r\n        (authority-form, RFC 9112 §3.2.3)
//!         Host: host:port\r\n ...                (any headers)
//!         \r\n
//!                                                (tunnelled bytes from here)
//! proxy:  HTTP/1.1 200 Connection established\r\n
//!         ...headers...\r\n
//!         \r\n
//!                                                (tunnelled bytes from here)
//! ```
//!
//! Both readers stream a byte at a time, so a cut anywhere gives the same result, and read at
//! most [`MAX_HEAD`] bytes. The request line must be exactly `CONNECT`, one space, a host (RFC
//! 1123 name characters, or an IPv6 literal in brackets, at most 255 bytes), `:`, a port
//! 1..=65535, one space and `HTTP/1.0` or `HTTP/1.1`; header lines hold visible characters,
//! spaces, tabs and obs-text; lines end in CRLF or a bare LF (RFC 9112 §2.2). The reply's
//! status line must be `HTTP/1.x`, a space and three digits: 2xx opens the tunnel once its
//! header block ends; any other status is [`Step::Opaque`] (a 407 asking for credentials and
//! the retry that may follow on the same connection are not followed).
//!
//! The request's host and port go to the observer in the
//! [target encoding](super::proxy#the-target-encoding), as a name (an IP literal stays text).

use crate::observer::Observer;
use crate::verdict::Direction;

use super::proxy::{atyp, emit, is_name_byte, offset, Step};

/// The request's method and the space after it.
pub const METHOD: &[u8] = b"CONNECT ";

/// The most bytes of a request's or a reply's head (its line and headers) read.
pub const MAX_HEAD: u16 = 8192;

/// Longest host read, in bytes.
pub const MAX_HOST: u8 = 255;

/// `HTTP/1.` with the space before it (the request line's end).
const VERSION: &[u8] = b" HTTP/1.";

/// Where a request reader is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Request {
    /// `pos` bytes of [`METHOD`] matched.
    Method,
    HostStart,
    /// A name or IPv4 literal.
    Host,
    /// Inside the brackets of an IPv6 literal.
    Host6,
    /// After `]`: `:` must follow.
    Host6End,
    /// `pos` port digits read, their value in `port`.
    Port,
    /// `pos` bytes of [`VERSION`] matched, then the minor version digit.
    Version,
    /// After the version digit: the line's end.
    LineEnd,
    /// After a CR: an LF must follow; `pos` 0 for an empty line.
    Lf,
    /// In a header line, `pos` 0 at its start.
    Header,
}

/// What a byte of a head line may be: visible, space, tab, obs-text.
const fn is_line_byte(b: u8) -> bool {
    matches!(b, b'\t' | 0x20..=0x7e | 0x80..=0xff)
}

/// Streaming reader of a `CONNECT` request (the initiator's side of a connection to an HTTP
/// proxy). Six bytes of state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestReader {
    at: Request,
    pos: u8,
    port: u16,
    /// Bytes of the head read.
    total: u16,
}

impl Default for RequestReader {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestReader {
    /// A reader at the start of a side.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            at: Request::Method,
            pos: 0,
            port: 0,
            total: 0,
        }
    }

    /// While the method is being matched (or when it did not match): the bytes of
    /// [`METHOD`] matched so far, which the side sent before the mismatch. `None` past the
    /// method.
    #[must_use]
    pub fn method_matched(&self) -> Option<&'static [u8]> {
        match self.at {
            Request::Method => METHOD.get(..usize::from(self.pos)),
            _ => None,
        }
    }

    /// Read `payload`, the next bytes of the client's side, handing the target to `observer`.
    pub fn read<O: Observer>(
        &mut self,
        payload: &[u8],
        direction: Direction,
        observer: &mut O,
    ) -> Step {
        for (i, &b) in payload.iter().enumerate() {
            if self.total >= MAX_HEAD {
                return Step::Invalid { at: i };
            }
            let total = self.total.saturating_add(1);
            match self.byte(b, direction, observer) {
                Some(true) => {
                    return Step::Tunnel {
                        consumed: i.saturating_add(1),
                    }
                }
                Some(false) => self.total = total,
                None => return Step::Invalid { at: i },
            }
        }
        Step::NeedMore
    }

    fn byte<O: Observer>(&mut self, b: u8, direction: Direction, observer: &mut O) -> Option<bool> {
        let pos = self.pos;
        let next = pos.saturating_add(1);
        self.at = match self.at {
            Request::Method => {
                if METHOD.get(usize::from(pos)) != Some(&b) {
                    return None;
                }
                self.pos = next;
                if usize::from(next) == METHOD.len() {
                    self.pos = 0;
                    Request::HostStart
                } else {
                    Request::Method
                }
            }
            Request::HostStart => {
                emit(observer, direction, offset::ATYP, &[atyp::NAME]);
                if b == b'[' {
                    Request::Host6
                } else {
                    return self.host_byte(b, direction, observer, Request::Host);
                }
            }
            Request::Host => {
                if b == b':' && pos > 0 {
                    self.pos = 0;
                    Request::Port
                } else {
                    return self.host_byte(b, direction, observer, Request::Host);
                }
            }
            Request::Host6 => match b {
                b']' if pos > 0 => Request::Host6End,
                b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' | b':' | b'.' => {
                    return self.host_byte(b, direction, observer, Request::Host6);
                }
                _ => return None,
            },
            Request::Host6End => {
                self.pos = 0;
                (b == b':').then_some(Request::Port)?
            }
            Request::Port => match b {
                b'0'..=b'9' if pos < 5 => {
                    let port = u32::from(self.port)
                        .saturating_mul(10)
                        .saturating_add(u32::from(b.wrapping_sub(b'0')));
                    self.port = u16::try_from(port).ok()?;
                    self.pos = next;
                    Request::Port
                }
                b' ' if pos > 0 && self.port != 0 => {
                    emit(observer, direction, offset::PORT, &self.port.to_be_bytes());
                    self.pos = 1;
                    Request::Version
                }
                _ => return None,
            },
            Request::Version => match VERSION.get(usize::from(pos)) {
                Some(&v) if v == b => {
                    self.pos = next;
                    Request::Version
                }
                Some(_) => return None,
                None => matches!(b, b'0' | b'1').then_some(Request::LineEnd)?,
            },
            Request::LineEnd => {
                self.pos = 1;
                match b {
                    b'\r' => Request::Lf,
                    b'\n' => {
                        self.pos = 0;
                        Request::Header
                    }
                    _ => return None,
                }
            }
            Request::Lf => {
                if b != b'\n' {
                    return None;
                }
                if pos == 0 {
                    return Some(true);
                }
                self.pos = 0;
                Request::Header
            }
            Request::Header => match b {
                b'\r' => Request::Lf,
                b'\n' if pos == 0 => return Some(true),
                b'\n' => {
                    self.pos = 0;
                    Request::Header
                }
                _ if is_line_byte(b) => {
                    self.pos = 1;
                    Request::Header
                }
                _ => return None,
            },
        };
        Some(false)
    }

    /// A byte of the host, at `pos`; the host continues in `then`.
    fn host_byte<O: Observer>(
        &mut self,
        b: u8,
        direction: Direction,
        observer: &mut O,
        then: Request,
    ) -> Option<bool> {
        let ok = then == Request::Host6 || is_name_byte(b);
        if !ok || self.pos == MAX_HOST {
            return None;
        }
        emit(
            observer,
            direction,
            offset::ADDR.saturating_add(self.pos.into()),
            &[b],
        );
        self.pos = self.pos.saturating_add(1);
        self.at = then;
        Some(false)
    }
}

/// Where a reply reader is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Reply {
    /// `pos` bytes of `HTTP/1.` matched, then the minor version digit.
    Version,
    /// The space before the status.
    Space,
    /// `pos` status digits read, their value in `status`.
    Status,
    /// The reason phrase, to the line's end.
    Reason,
    /// After a CR: an LF must follow; `pos` 0 for an empty line.
    Lf,
    /// In a header line, `pos` 0 at its start.
    Header,
}

/// Streaming reader of a proxy's reply to `CONNECT`. Six bytes of state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyReader {
    at: Reply,
    pos: u8,
    status: u16,
    total: u16,
}

impl Default for ReplyReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplyReader {
    /// A reader at the start of the proxy's side.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            at: Reply::Version,
            pos: 0,
            status: 0,
            total: 0,
        }
    }

    /// Read `payload`, the next bytes of the proxy's side.
    pub fn read(&mut self, payload: &[u8]) -> Step {
        for (i, &b) in payload.iter().enumerate() {
            if self.total >= MAX_HEAD {
                return Step::Invalid { at: i };
            }
            match self.byte(b) {
                Ok(true) => {
                    return Step::Tunnel {
                        consumed: i.saturating_add(1),
                    }
                }
                Ok(false) => self.total = self.total.saturating_add(1),
                Err(true) => return Step::Opaque,
                Err(false) => return Step::Invalid { at: i },
            }
        }
        Step::NeedMore
    }

    /// One byte: `Ok(true)` at the end of a 2xx head, `Err(true)` at the end of another
    /// status, `Err(false)` if it does not fit.
    fn byte(&mut self, b: u8) -> Result<bool, bool> {
        const HTTP1: &[u8] = b"HTTP/1.";
        let pos = self.pos;
        let next = pos.saturating_add(1);
        self.at = match self.at {
            Reply::Version => match HTTP1.get(usize::from(pos)) {
                Some(&v) if v == b => {
                    self.pos = next;
                    Reply::Version
                }
                Some(_) => return Err(false),
                None => matches!(b, b'0' | b'1')
                    .then_some(Reply::Space)
                    .ok_or(false)?,
            },
            Reply::Space => {
                self.pos = 0;
                (b == b' ').then_some(Reply::Status).ok_or(false)?
            }
            Reply::Status => match b {
                b'0'..=b'9' if pos < 3 => {
                    self.status = self
                        .status
                        .saturating_mul(10)
                        .saturating_add(u16::from(b.wrapping_sub(b'0')));
                    self.pos = next;
                    if next == 3 && !(200..300).contains(&self.status) {
                        return Err(true);
                    }
                    Reply::Status
                }
                b' ' if pos == 3 => Reply::Reason,
                b'\r' if pos == 3 => {
                    self.pos = 1;
                    Reply::Lf
                }
                b'\n' if pos == 3 => {
                    self.pos = 0;
                    Reply::Header
                }
                _ => return Err(false),
            },
            Reply::Reason => match b {
                b'\r' => {
                    self.pos = 1;
                    Reply::Lf
                }
                b'\n' => {
                    self.pos = 0;
                    Reply::Header
                }
                _ if is_line_byte(b) => Reply::Reason,
                _ => return Err(false),
            },
            Reply::Lf => {
                if b != b'\n' {
                    return Err(false);
                }
                if pos == 0 {
                    return Ok(true);
                }
                self.pos = 0;
                Reply::Header
            }
            Reply::Header => match b {
                b'\r' => Reply::Lf,
                b'\n' if pos == 0 => return Ok(true),
                b'\n' => {
                    self.pos = 0;
                    Reply::Header
                }
                _ if is_line_byte(b) => {
                    self.pos = 1;
                    Reply::Header
                }
                _ => return Err(false),
            },
        };
        Ok(false)
    }
}

// The readers' parts of `FlowClassifier::to_state` (see `flow/state.rs`).
impl RequestReader {
    /// Encoded bytes.
    pub(crate) const ENCODED_LEN: usize = 6;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.bytes(&[self.at as u8, self.pos]);
        w.u16(self.port);
        w.u16(self.total);
    }

    /// `None` for an unknown position.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let [at, pos] = r.array()?;
        Some(Self {
            at: REQUEST_STATES.get(usize::from(at)).copied()?,
            pos,
            port: r.u16()?,
            total: r.u16()?,
        })
    }
}

impl ReplyReader {
    /// Encoded bytes.
    pub(crate) const ENCODED_LEN: usize = 6;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.bytes(&[self.at as u8, self.pos]);
        w.u16(self.status);
        w.u16(self.total);
    }

    /// `None` for an unknown position.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let [at, pos] = r.array()?;
        Some(Self {
            at: REPLY_STATES.get(usize::from(at)).copied()?,
            pos,
            status: r.u16()?,
            total: r.u16()?,
        })
    }
}

/// Every [`Request`] position, in discriminant order.
const REQUEST_STATES: [Request; 10] = [
    Request::Method,
    Request::HostStart,
    Request::Host,
    Request::Host6,
    Request::Host6End,
    Request::Port,
    Request::Version,
    Request::LineEnd,
    Request::Lf,
    Request::Header,
];

/// Every [`Reply`] position, in discriminant order.
const REPLY_STATES: [Reply; 6] = [
    Reply::Version,
    Reply::Space,
    Reply::Status,
    Reply::Reason,
    Reply::Lf,
    Reply::Header,
];

#[cfg(test)]
mod tests;
