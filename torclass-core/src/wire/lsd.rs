//! Local Service Discovery (BEP 14): `BT-SEARCH` announcements multicast to
//! 239.192.152.143:6771 or \[ff15::efc0:988f\]:6771.
//!
//! ```text
//! BT-SEARCH * HTTP/1.1\r\n
//! Host: <host>\r\n
//! Port: <port>\r\n
//! Infohash: <ihash>\r\n        (one or more)
//! cookie: <cookie>\r\n         (optional)
//! \r\n
//! \r\n
//! ```
//!
//! What real clients send, and what [`LsdAnnounce::parse`] therefore accepts:
//! - libtorrent (`render_lsd_packet`): `Host`, `Port`, one lower-case `Infohash`, `cookie` (hex),
//!   then `\r\n\r\n`;
//! - Transmission (`tr_lpdSendAnnounce`): `Host`, `Port`, one *upper-case* `Infohash`, no
//!   cookie, then `\r\n\r\n`; Transmission 4 and anacrolix/torrent put several `Infohash`
//!   headers in one datagram.
//!
//! So: the request line must be exactly `BT-SEARCH * HTTP/1.1`; header names are matched
//! without regard to case and unknown headers are skipped; values may be surrounded by spaces
//! or tabs; lines end in CRLF (a bare LF is tolerated); the header block must end with an empty
//! line and bytes after it are ignored. `Port` (a decimal 1..=65535) and at least one `Infohash`
//! (40 hex digits, either case) are required; `Host` is exposed but not required, since
//! clients differ in what they put there ([`LsdAnnounce::host_is_multicast_group`] tells).

use core::fmt;

/// The request line (BEP 14).
pub const REQUEST_LINE: &[u8] = b"BT-SEARCH * HTTP/1.1";

/// The `Host` value for IPv4 (BEP 14).
pub const HOST_V4: &[u8] = b"239.192.152.143:6771";

/// The `Host` value for IPv6 (BEP 14).
pub const HOST_V6: &[u8] = b"[ff15::efc0:988f]:6771";

/// The UDP port LSD is multicast to.
pub const PORT: u16 = 6771;

const INFOHASH_HEX_LEN: usize = 40;

/// Why a datagram is not a BEP 14 announcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The datagram does not start with `BT-SEARCH * HTTP/1.1` and a line end.
    RequestLine,
    /// No empty line ends the headers.
    Unterminated,
    /// A header line without a colon.
    HeaderSyntax {
        /// Offset of the line.
        offset: usize,
    },
    /// No `Port` header.
    MissingPort,
    /// A `Port` value that is not a decimal 1..=65535.
    InvalidPort {
        /// Offset of the header line.
        offset: usize,
    },
    /// No `Infohash` header.
    MissingInfohash,
    /// An `Infohash` value that is not 40 hex digits.
    InvalidInfohash {
        /// Offset of the header line.
        offset: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::RequestLine => f.write_str("LSD: not a BT-SEARCH * HTTP/1.1 request line"),
            Self::Unterminated => f.write_str("LSD: no empty line ends the headers"),
            Self::HeaderSyntax { offset } => {
                write!(f, "LSD: header line at offset {offset} has no colon")
            }
            Self::MissingPort => f.write_str("LSD: no Port header"),
            Self::InvalidPort { offset } => {
                write!(f, "LSD: Port header at offset {offset} is not 1..=65535")
            }
            Self::MissingInfohash => f.write_str("LSD: no Infohash header"),
            Self::InvalidInfohash { offset } => {
                write!(
                    f,
                    "LSD: Infohash header at offset {offset} is not 40 hex digits"
                )
            }
        }
    }
}

impl core::error::Error for Error {}

/// A checked BEP 14 announcement, borrowing the datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LsdAnnounce<'a> {
    /// The header lines, from after the request line up to the empty line.
    headers: &'a [u8],
    /// Offset of `headers` in the datagram (for error offsets).
    headers_offset: usize,
    port: u16,
    host: Option<&'a [u8]>,
    cookie: Option<&'a [u8]>,
}

/// The start of an announcement whose datagram a capture cut (a snapshot length shorter than
/// the datagram): the request line `BT-SEARCH * HTTP/1.1` whole with its line end, then header
/// text up to the cut (no control byte but CR, LF and tab, no empty line: the header block
/// had not ended). A 64-byte snapshot keeps the request line of an Ethernet/IPv4 datagram and
/// nothing more (22 bytes), a 96-byte one its `Host` line too. The request line is 22 fixed
/// bytes with its CRLF (2^-176 on random bytes), and `BT-SEARCH` is BEP 14's method alone
/// (SSDP's `M-SEARCH * HTTP/1.1` fails it).
#[must_use]
pub fn cut_start(datagram: &[u8]) -> bool {
    let Some(rest) = datagram.strip_prefix(REQUEST_LINE) else {
        return false;
    };
    let Some(headers) = rest
        .strip_prefix(b"\r\n")
        .or_else(|| rest.strip_prefix(b"\n"))
    else {
        return false;
    };
    let text = headers
        .iter()
        .all(|&b| matches!(b, b'\t' | b'\r' | b'\n' | 0x20..=0x7e));
    let empty_line = headers.starts_with(b"\r\n")
        || headers.starts_with(b"\n")
        || headers.windows(2).any(|w| w == b"\n\n")
        || headers.windows(3).any(|w| w == b"\n\r\n");
    text && !empty_line
}

impl<'a> LsdAnnounce<'a> {
    /// Parse and check one datagram. See the module docs for what is accepted.
    ///
    /// # Errors
    /// The first problem found, in datagram order.
    pub fn parse(datagram: &'a [u8]) -> Result<Self, Error> {
        let mut lines = Lines::new(datagram, 0);
        match lines.next() {
            Some((_, line)) if line == REQUEST_LINE => {}
            _ => return Err(Error::RequestLine),
        }
        let headers_offset = lines.offset;
        let mut port = None;
        let mut host = None;
        let mut cookie = None;
        let mut infohashes = 0usize;
        let headers_end = loop {
            let Some((offset, line)) = lines.next() else {
                return Err(Error::Unterminated);
            };
            if line.is_empty() {
                break offset;
            }
            let (name, value) = split_header(line).ok_or(Error::HeaderSyntax { offset })?;
            if name.eq_ignore_ascii_case(b"port") {
                port = Some(parse_port(value).ok_or(Error::InvalidPort { offset })?);
            } else if name.eq_ignore_ascii_case(b"infohash") {
                decode_infohash(value).ok_or(Error::InvalidInfohash { offset })?;
                infohashes = infohashes.saturating_add(1);
            } else if name.eq_ignore_ascii_case(b"host") {
                host = Some(value);
            } else if name.eq_ignore_ascii_case(b"cookie") {
                cookie = Some(value);
            }
        };
        let port = port.ok_or(Error::MissingPort)?;
        if infohashes == 0 {
            return Err(Error::MissingInfohash);
        }
        Ok(Self {
            headers: datagram
                .get(headers_offset..headers_end)
                .unwrap_or_default(),
            headers_offset,
            port,
            host,
            cookie,
        })
    }

    /// The announcing client's listening port (the last `Port` header).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `Host` value (the last one), trimmed.
    #[must_use]
    pub fn host(&self) -> Option<&'a [u8]> {
        self.host
    }

    /// True if `Host` names one of the BEP 14 multicast groups.
    #[must_use]
    pub fn host_is_multicast_group(&self) -> bool {
        matches!(self.host, Some(h) if h == HOST_V4 || h == HOST_V6)
    }

    /// The `cookie` value (the last one), trimmed: the sender uses it to ignore its own
    /// announcements.
    #[must_use]
    pub fn cookie(&self) -> Option<&'a [u8]> {
        self.cookie
    }

    /// The announced info-hashes, decoded from hex, in datagram order.
    #[must_use]
    pub fn infohashes(&self) -> InfoHashes<'a> {
        InfoHashes {
            lines: Lines::new(self.headers, self.headers_offset),
        }
    }
}

/// Iterator over the `Infohash` headers of an [`LsdAnnounce`].
#[derive(Clone, Debug)]
pub struct InfoHashes<'a> {
    lines: Lines<'a>,
}

impl Iterator for InfoHashes<'_> {
    type Item = [u8; 20];

    fn next(&mut self) -> Option<[u8; 20]> {
        self.lines.by_ref().find_map(|(_, line)| {
            let (name, value) = split_header(line)?;
            if name.eq_ignore_ascii_case(b"infohash") {
                decode_infohash(value)
            } else {
                None
            }
        })
    }
}

/// Lines of `data` with their offsets; the line end (LF, or CRLF) is not part of the line.
/// The last piece is yielded only if it ends with LF.
#[derive(Clone, Debug)]
struct Lines<'a> {
    data: &'a [u8],
    /// Offset of `data` in the datagram.
    base: usize,
    /// Offset (in the datagram) of the next line.
    offset: usize,
}

impl<'a> Lines<'a> {
    fn new(data: &'a [u8], base: usize) -> Self {
        Self {
            data,
            base,
            offset: base,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        let rest = self.data.get(self.offset.checked_sub(self.base)?..)?;
        let lf = memchr::memchr(b'\n', rest)?;
        let line = rest.get(..lf)?;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let start = self.offset;
        self.offset = start.saturating_add(lf).saturating_add(1);
        Some((start, line))
    }
}

/// `name: value` with the value trimmed of spaces and tabs.
fn split_header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr::memchr(b':', line)?;
    let name = trim(line.get(..colon)?);
    let value = trim(line.get(colon.checked_add(1)?..)?);
    Some((name, value))
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// A decimal port 1..=65535 (at most 5 digits, so no overflow).
fn parse_port(value: &[u8]) -> Option<u16> {
    if value.is_empty() || value.len() > 5 {
        return None;
    }
    let mut port: u32 = 0;
    for b in value {
        let digit = char::from(*b).to_digit(10)?;
        port = port.checked_mul(10)?.checked_add(digit)?;
    }
    u16::try_from(port).ok().filter(|p| *p != 0)
}

/// 40 hex digits (either case) to 20 bytes.
fn decode_infohash(value: &[u8]) -> Option<[u8; 20]> {
    if value.len() != INFOHASH_HEX_LEN {
        return None;
    }
    let mut out = [0u8; 20];
    for (byte, pair) in out.iter_mut().zip(value.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        let hi = char::from(*hi).to_digit(16)?;
        let lo = char::from(*lo).to_digit(16)?;
        *byte = u8::try_from((hi << 4) | lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    const HASH: [u8; 20] = [
        0xdc, 0xfc, 0xdc, 0xcf, 0x0e, 0x1e, 0x2e, 0x3e, 0x4e, 0x5e, 0x6e, 0x7e, 0x8e, 0x9e, 0xae,
        0xbe, 0xce, 0xde, 0x31, 0x26,
    ];

    /// libtorrent `render_lsd_packet`.
    /// A datagram the capture cut: the request line whole and header text after it; never
    /// a whole announcement's end, another request line, or binary bytes after it.
    #[test]
    fn the_start_of_a_cut_announcement() {
        for msg in [LIBTORRENT, TRANSMISSION] {
            for cut in 0..msg.len() {
                let want =
                    cut >= REQUEST_LINE.len() + 2 && !msg[..cut].windows(3).any(|w| w == b"\n\r\n");
                assert_eq!(cut_start(&msg[..cut]), want, "cut at {cut}");
            }
        }
        for other in [
            &b"M-SEARCH * HTTP/1.1\r\nHost: 239.255.255.250:1900\r\n"[..],
            b"BT-SEARCH * HTTP/1.0\r\nHost: 239.192.152.143:6771\r\n",
            b"BT-SEARCH * HTTP/1.1",
            b"BT-SEARCH * HTTP/1.1 \r\n",
            b"BT-SEARCH * HTTP/1.1\r\nHost: \x00\x01",
            b"BT-SEARCH * HTTP/1.1\r\n\r\nxx",
        ] {
            assert!(!cut_start(other), "{:?}", core::str::from_utf8(other));
        }
    }

    const LIBTORRENT: &[u8] = b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: dcfcdccf0e1e2e3e4e5e6e7e8e9eaebecede3126\r\ncookie: 5f3a9c1\r\n\r\n\r\n";
    /// Transmission `tr_lpdSendAnnounce`: upper-case hash, no cookie.
    const TRANSMISSION: &[u8] = b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 51413\r\nInfohash: DCFCDCCF0E1E2E3E4E5E6E7E8E9EAEBECEDE3126\r\n\r\n\r\n";

    #[test]
    fn libtorrent_announce() {
        let a = LsdAnnounce::parse(LIBTORRENT).unwrap();
        assert_eq!(a.port(), 6881);
        assert_eq!(a.host(), Some(HOST_V4));
        assert!(a.host_is_multicast_group());
        assert_eq!(a.cookie(), Some(&b"5f3a9c1"[..]));
        assert_eq!(a.infohashes().collect::<Vec<_>>(), [HASH]);
    }

    #[test]
    fn transmission_announce() {
        let a = LsdAnnounce::parse(TRANSMISSION).unwrap();
        assert_eq!(a.port(), 51413);
        assert_eq!(a.cookie(), None);
        assert_eq!(a.infohashes().collect::<Vec<_>>(), [HASH]);
    }

    #[test]
    fn ipv6_several_hashes_case_and_spacing() {
        let raw = b"BT-SEARCH * HTTP/1.1\r\nhost: [ff15::efc0:988f]:6771\r\nPORT:6881 \r\nX-Other: 1\r\ninfohash:\tdcfcdccf0e1e2e3e4e5e6e7e8e9eaebecede3126\r\nINFOHASH: 0000000000000000000000000000000000000001\r\n\r\n";
        let a = LsdAnnounce::parse(raw).unwrap();
        assert!(a.host_is_multicast_group());
        assert_eq!(a.port(), 6881);
        let mut last = [0u8; 20];
        last[19] = 1;
        assert_eq!(a.infohashes().collect::<Vec<_>>(), [HASH, last]);
        // Bare LF line ends.
        let lf = b"BT-SEARCH * HTTP/1.1\nPort: 1\nInfohash: 0000000000000000000000000000000000000001\n\n";
        assert_eq!(LsdAnnounce::parse(lf).map(|a| a.port()), Ok(1));
    }

    #[test]
    fn rejects() {
        let cases: [(&[u8], Error); 8] = [
            (b"M-SEARCH * HTTP/1.1\r\n\r\n", Error::RequestLine),
            (b"BT-SEARCH * HTTP/1.0\r\n\r\n", Error::RequestLine),
            (b"BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n", Error::Unterminated),
            (b"BT-SEARCH * HTTP/1.1\r\nPort 1\r\n\r\n", Error::HeaderSyntax { offset: 22 }),
            (
                b"BT-SEARCH * HTTP/1.1\r\nInfohash: 0000000000000000000000000000000000000001\r\n\r\n",
                Error::MissingPort,
            ),
            (b"BT-SEARCH * HTTP/1.1\r\nPort: 65536\r\n\r\n", Error::InvalidPort { offset: 22 }),
            (b"BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n\r\n", Error::MissingInfohash),
            (
                b"BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: 12345678901234567890\r\n\r\n",
                Error::InvalidInfohash { offset: 31 },
            ),
        ];
        for (raw, err) in cases {
            assert_eq!(
                LsdAnnounce::parse(raw),
                Err(err),
                "{:?}",
                core::str::from_utf8(raw)
            );
        }
        assert_eq!(
            LsdAnnounce::parse(b"BT-SEARCH * HTTP/1.1\r\nPort: 0\r\n\r\n"),
            Err(Error::InvalidPort { offset: 22 })
        );
        assert_eq!(
            LsdAnnounce::parse(b"BT-SEARCH * HTTP/1.1\r\nPort: +1\r\n\r\n"),
            Err(Error::InvalidPort { offset: 22 })
        );
    }

    #[test]
    fn truncation_at_every_length_is_an_error() {
        for raw in [LIBTORRENT, TRANSMISSION] {
            // The shortest valid prefix ends with the first empty line.
            let end = memchr::memmem::find(raw, b"\r\n\r\n").unwrap() + 4;
            for len in 0..end {
                assert!(LsdAnnounce::parse(&raw[..len]).is_err(), "{len}");
            }
            for len in end..=raw.len() {
                assert!(LsdAnnounce::parse(&raw[..len]).is_ok(), "{len}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = LsdAnnounce::parse(&data).map(|a| a.infohashes().count());
            let mut prefixed = LIBTORRENT[..22].to_vec();
            prefixed.extend_from_slice(&data);
            let _ = LsdAnnounce::parse(&prefixed).map(|a| a.infohashes().count());
        }
    }
}
