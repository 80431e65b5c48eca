//! The server name of a TLS ClientHello, read for libtorrent's SSL torrents.
//!
//! An SSL torrent carries a root certificate in its info dictionary, and its peers speak the
//! peer wire inside TLS, over TCP or uTP. libtorrent's manual ("SSL torrents"): "A peer
//! connecting to an SSL torrent MUST provide the SNI TLS extension (server name indication).
//! The server name is the hex encoded info-hash of the torrent to connect to." libtorrent sends
//! exactly 40 lower-case hex digits (a v2 torrent's SHA-256 truncated to 20 bytes, a hybrid's
//! v1 hash), so the client's first flight names the torrent in clear text.
//!
//! Only that form is read. libtorrent's accepting peer (2.0.8, tried in the capture lab)
//! decodes the first 40 characters as hex of either case and ignores the rest, so a modified
//! client may send upper case, more characters or a domain after the digits and still connect;
//! those names are what a TLS client of anything else could send too, and are documented
//! misses (docs/limits.md), not guesses.
//!
//! ```text
//! record      u8 type 22 (handshake) | u16 version 3.x | u16 length 1..=2^14   (RFC 8446 §5.1)
//! handshake   u8 type 1 (client_hello) | u24 length                              (§4)
//! hello       u16 legacy_version | 32 random | u8 len, session id (≤ 32)
//!             | u16 len, cipher suites (even, ≥ 2) | u8 len, compression methods (≥ 1)
//!             | u16 len, extensions                                             (§4.1.2)
//! extension   u16 type | u16 len | data                                         (§4.2)
//! server_name type 0: u16 list len | u8 name type 0 (host_name) | u16 len | name (RFC 6066 §3)
//! ```
//!
//! [`HelloReader`] reads a ClientHello cut into any segments and any number of handshake
//! records (a hello may be fragmented across records, RFC 8446 §5.1), skipping every field but
//! the lengths it needs, and reports whether its one server name is 40 lower-case hex digits,
//! handing the decoded info-hash to the observer as it goes. A DNS name is never one label of
//! 40 hex digits standing alone: it ends in a top-level domain, and no top-level domain is
//! (RFC 1123 §2.1, RFC 3696 §2), so a hello that names one is not addressed to a web or mail
//! server.

use crate::observer::{Field, Observer};
use crate::verdict::Direction;

/// Bytes of a record header (RFC 8446 §5.1).
const RECORD_HEADER: u8 = 5;
/// The largest record payload (RFC 8446 §5.1: "MUST NOT exceed 2^14 bytes").
const MAX_RECORD: u16 = 1 << 14;
/// The server name of an SSL torrent: 40 lower-case hex digits, a 20-byte info-hash.
pub const NAME_LEN: u16 = 40;

/// Where the reader is in the ClientHello; each stage reads a known number of bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Stage {
    Type,
    Length,
    Version,
    Random,
    SessionIdLen,
    SessionId,
    SuitesLen,
    Suites,
    CompressionLen,
    Compression,
    ExtensionsLen,
    ExtType,
    ExtLen,
    ExtData,
    ListLen,
    NameType,
    NameLen,
    Name,
}

impl Stage {
    const ALL: [Self; 18] = [
        Self::Type,
        Self::Length,
        Self::Version,
        Self::Random,
        Self::SessionIdLen,
        Self::SessionId,
        Self::SuitesLen,
        Self::Suites,
        Self::CompressionLen,
        Self::Compression,
        Self::ExtensionsLen,
        Self::ExtType,
        Self::ExtLen,
        Self::ExtData,
        Self::ListLen,
        Self::NameType,
        Self::NameLen,
        Self::Name,
    ];

    /// Stages whose bytes are counted against the extensions' length.
    const fn in_extensions(self) -> bool {
        self as u8 >= Self::ExtType as u8
    }

    /// Stages whose bytes are skipped, not read as a number.
    const fn skips(self) -> bool {
        matches!(
            self,
            Self::Random
                | Self::SessionId
                | Self::Suites
                | Self::Compression
                | Self::ExtData
        )
    }
}

unstable! {
    /// What a chunk of a side that starts with a TLS record made the reader decide.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Step {
        /// All of the chunk was read; the ClientHello goes on.
        NeedMore,
        /// The ClientHello's server name is 40 lower-case hex digits (an SSL torrent's
        /// info-hash).
        InfoHash,
        /// Not a ClientHello, or one without such a name: nothing more to read.
        Other,
    }
}

unstable! {
    /// Reads a TLS ClientHello cut into any pieces, up to its server name; 14 bytes of state.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct HelloReader {
        stage: Stage,
        /// Bytes of the record header read; [`RECORD_HEADER`] inside a record's payload.
        header: u8,
        /// Bytes left in the stage.
        left: u16,
        /// Bytes left in the current record's payload (its length while the header is read).
        record: u16,
        /// Bytes left in the extensions.
        extensions: u16,
        /// The extension's type while its length is read; then the server name extension's
        /// length, then its list's.
        outer: u16,
        /// The number read so far in the stage; in [`Stage::Name`], the pending hex digit.
        value: u32,
    }
}

impl Default for HelloReader {
    fn default() -> Self {
        Self::new()
    }
}

impl HelloReader {
    /// A reader at the first byte of a side.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            stage: Stage::Type,
            header: 0,
            left: 1,
            record: 0,
            extensions: 0,
            outer: 0,
            value: 0,
        }
    }

    /// Read the next chunk of the side; the info-hash goes to `obs` as its digits arrive.
    pub fn read<O: Observer>(&mut self, chunk: &[u8], dir: Direction, obs: &mut O) -> Step {
        let mut rest = chunk;
        while !rest.is_empty() {
            if self.header < RECORD_HEADER {
                let Some((&b, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                if !self.record_header(b) {
                    return Step::Other;
                }
                continue;
            }
            let n = rest.len().min(usize::from(self.record));
            let (payload, tail) = rest.split_at(n);
            rest = tail;
            match self.hello(payload, dir, obs) {
                Step::NeedMore => {}
                done => return done,
            }
            self.record = self.record.saturating_sub(n as u16);
            if self.record == 0 {
                self.header = 0;
            }
        }
        Step::NeedMore
    }

    /// One byte of a record header; false if it is not a handshake record's.
    fn record_header(&mut self, b: u8) -> bool {
        let ok = match self.header {
            0 => b == 22,
            1 => b == 3,
            2 => b <= 4,
            3 => {
                self.record = u16::from(b) << 8;
                true
            }
            _ => {
                self.record |= u16::from(b);
                (1..=MAX_RECORD).contains(&self.record)
            }
        };
        self.header = self.header.saturating_add(1);
        ok
    }

    /// Bytes of the handshake message, all within one record.
    fn hello<O: Observer>(&mut self, mut bytes: &[u8], dir: Direction, obs: &mut O) -> Step {
        while !bytes.is_empty() {
            let take = bytes.len().min(usize::from(self.left));
            let (field, tail) = bytes.split_at(take);
            bytes = tail;
            if self.stage.in_extensions() {
                let Some(left) = self.extensions.checked_sub(take as u16) else {
                    return Step::Other;
                };
                self.extensions = left;
            }
            if self.stage == Stage::Name {
                for &b in field {
                    if !self.name_digit(b, dir, obs) {
                        return Step::Other;
                    }
                    self.left = self.left.saturating_sub(1);
                }
            } else {
                if !self.stage.skips() {
                    for &b in field {
                        self.value = self.value << 8 | u32::from(b);
                    }
                }
                self.left = self.left.saturating_sub(take as u16);
            }
            if self.left == 0 {
                match self.next() {
                    Step::NeedMore => {}
                    done => return done,
                }
            }
        }
        Step::NeedMore
    }

    /// One digit of the server name; false if it is not a lower-case hex digit.
    fn name_digit<O: Observer>(&mut self, b: u8, dir: Direction, obs: &mut O) -> bool {
        let Some(nibble) = hex_digit(b) else {
            return false;
        };
        let at = NAME_LEN.saturating_sub(self.left);
        if at % 2 == 0 {
            self.value = u32::from(nibble);
        } else {
            let byte = (self.value as u8) << 4 | nibble;
            obs.field(dir, Field::InfoHash, u32::from(at / 2), &[byte]);
        }
        true
    }

    /// The stage is complete: check what it read and go on to the next.
    fn next(&mut self) -> Step {
        let v = self.value;
        let len = u16::try_from(v).unwrap_or(u16::MAX);
        let (stage, left) = match self.stage {
            Stage::Type if v == 1 => (Stage::Length, 3),
            // Room for the fixed fields, and no more than a 16-bit length can describe.
            Stage::Length if (41..=0xffff).contains(&v) => (Stage::Version, 2),
            Stage::Version if (0x0300..=0x0304).contains(&v) => (Stage::Random, 32),
            Stage::Random => (Stage::SessionIdLen, 1),
            Stage::SessionIdLen if v == 0 => (Stage::SuitesLen, 2),
            Stage::SessionIdLen if v <= 32 => (Stage::SessionId, len),
            Stage::SessionId => (Stage::SuitesLen, 2),
            Stage::SuitesLen if v >= 2 && v % 2 == 0 => (Stage::Suites, len),
            Stage::Suites => (Stage::CompressionLen, 1),
            Stage::CompressionLen if v >= 1 => (Stage::Compression, len),
            Stage::Compression => (Stage::ExtensionsLen, 2),
            Stage::ExtensionsLen | Stage::ExtData => {
                if self.stage == Stage::ExtensionsLen {
                    self.extensions = len;
                }
                if self.extensions == 0 {
                    return Step::Other;
                }
                (Stage::ExtType, 2)
            }
            Stage::ExtType => {
                self.outer = len;
                (Stage::ExtLen, 2)
            }
            // server_name (RFC 6066 §3): its length waits while the list's is read.
            Stage::ExtLen if self.outer == 0 && len > 0 => {
                self.outer = len;
                (Stage::ListLen, 2)
            }
            Stage::ExtLen if self.outer == 0 => return Step::Other,
            Stage::ExtLen if len > 0 => (Stage::ExtData, len),
            Stage::ExtLen if self.extensions > 0 => (Stage::ExtType, 2),
            // One list fills the extension; its length waits while the entry is read.
            Stage::ListLen if len.checked_add(2) == Some(self.outer) => {
                self.outer = len;
                (Stage::NameType, 1)
            }
            Stage::NameType if v == 0 => (Stage::NameLen, 2),
            // One host name fills the list.
            Stage::NameLen if len == NAME_LEN && len.checked_add(3) == Some(self.outer) => {
                (Stage::Name, NAME_LEN)
            }
            Stage::Name => return Step::InfoHash,
            _ => return Step::Other,
        };
        self.stage = stage;
        self.left = left;
        self.value = 0;
        Step::NeedMore
    }
}

/// The value of a lower-case ASCII hex digit (libtorrent's `to_hex`).
const fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b.wrapping_sub(b'0')),
        b'a'..=b'f' => Some(b.wrapping_sub(b'a').wrapping_add(10)),
        _ => None,
    }
}

// The reader's part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl HelloReader {
    pub(crate) const ENCODED_LEN: usize = 2 + 2 + 2 + 2 + 2 + 4;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u8(self.stage as u8);
        w.u8(self.header);
        w.u16(self.left);
        w.u16(self.record);
        w.u16(self.extensions);
        w.u16(self.outer);
        w.u32(self.value);
    }

    /// `None` for an unknown stage or a header position past the header.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let stage = *Stage::ALL.get(usize::from(r.u8()?))?;
        let header = r.u8_if(|h| h <= RECORD_HEADER)?;
        let left = r.u16()?;
        let record = r.u16()?;
        let extensions = r.u16()?;
        let outer = r.u16()?;
        let value = r.u32()?;
        (left > 0 && record <= MAX_RECORD).then_some(Self {
            stage,
            header,
            left,
            record,
            extensions,
            outer,
            value,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
