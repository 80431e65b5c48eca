//! [`CaptureError`]: what went wrong reading a capture, in which file, at which byte.

use std::{error, fmt, io};

/// The part of a capture file an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// The first four bytes of a capture, which tell pcap from pcapng.
    Magic,
    /// The 24-byte pcap file header.
    PcapHeader,
    /// A pcap packet record (record header and captured bytes).
    PcapRecord,
    /// The type and length at the start of a pcapng block.
    PcapngBlockHeader,
    /// A pcapng block, by block type.
    PcapngBlock(u32),
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Magic => f.write_str("file magic"),
            Self::PcapHeader => f.write_str("pcap file header"),
            Self::PcapRecord => f.write_str("packet record"),
            Self::PcapngBlockHeader => f.write_str("pcapng block header"),
            Self::PcapngBlock(block_type) => match crate::pcapng::block_name(block_type) {
                Some(name) => write!(f, "pcapng {name} block"),
                None => write!(f, "pcapng block of type 0x{block_type:08x}"),
            },
        }
    }
}

/// What went wrong. Every variant says where (the [`CaptureError::offset`]) and how much.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaptureErrorKind {
    /// Opening or reading the file failed; [`error::Error::source`] has the I/O error.
    Io(io::ErrorKind),
    /// The file has no bytes at all.
    Empty,
    /// The first four bytes are no pcap or pcapng magic; `magic` is them read big-endian,
    /// so its hex digits are the bytes in file order.
    NotACapture {
        /// The first four bytes.
        magic: u32,
    },
    /// The file ends inside a header, record or block. The records before it were returned;
    /// see [`CaptureError::is_truncated`].
    Truncated {
        /// What the file ends inside.
        unit: Unit,
        /// Bytes that `unit` needs, counted from [`CaptureError::offset`].
        required: u64,
        /// Bytes left in the file from [`CaptureError::offset`].
        available: u64,
    },
    /// A record or block claims more bytes than the reader accepts
    /// ([`crate::MAX_RECORD_LEN`]).
    TooLarge {
        /// The record or block.
        unit: Unit,
        /// Its length in bytes, headers included.
        length: u64,
        /// The largest length accepted.
        max: u64,
    },
    /// A packet holds more captured bytes than its snapshot length allows.
    CaplenExceedsSnaplen {
        /// Captured bytes in the record.
        caplen: u32,
        /// The file's (pcap) or interface's (pcapng) snapshot length.
        snaplen: u32,
    },
    /// A pcapng block length below 12 bytes or not a multiple of 4.
    BadBlockLength {
        /// The block's type.
        block_type: u32,
        /// The length it declares.
        length: u32,
    },
    /// A pcapng section header whose byte-order magic is neither 0x1A2B3C4D nor its swap.
    BadByteOrderMagic {
        /// The four bytes after the block length, read big-endian.
        magic: u32,
    },
    /// A pcapng packet names an interface no interface description block declared.
    UnknownInterface {
        /// The interface id in the packet.
        interface: u32,
        /// Interfaces declared in the current section.
        declared: u32,
    },
    /// More interface description blocks in one section than the reader keeps
    /// ([`crate::MAX_INTERFACES`]).
    TooManyInterfaces {
        /// The largest number accepted.
        max: u32,
    },
    /// The header, record or block is inconsistent (for example a packet longer than its
    /// block, or lengths that disagree).
    Malformed {
        /// The part that is inconsistent.
        unit: Unit,
    },
}

impl fmt::Display for CaptureErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Io(kind) => write!(f, "read error: {kind}"),
            Self::Empty => f.write_str("empty file (no pcap or pcapng header)"),
            Self::NotACapture { magic } => {
                write!(f, "not a pcap or pcapng file (magic 0x{magic:08x})")
            }
            Self::Truncated {
                unit,
                required,
                available,
            } => write!(
                f,
                "truncated {unit} (need {required} bytes, {available} left)"
            ),
            Self::TooLarge { unit, length, max } => {
                write!(
                    f,
                    "{unit} of {length} bytes is larger than the {max}-byte limit"
                )
            }
            Self::CaplenExceedsSnaplen { caplen, snaplen } => write!(
                f,
                "packet of {caplen} captured bytes exceeds the snapshot length {snaplen}"
            ),
            Self::BadBlockLength { block_type, length } => write!(
                f,
                "{} declares length {length} (must be at least 12 and a multiple of 4)",
                Unit::PcapngBlock(block_type)
            ),
            Self::BadByteOrderMagic { magic } => write!(
                f,
                "pcapng section header with bad byte-order magic 0x{magic:08x}"
            ),
            Self::UnknownInterface {
                interface,
                declared,
            } => write!(
                f,
                "packet on interface {interface}, but the section declares {declared} interface(s)"
            ),
            Self::TooManyInterfaces { max } => {
                write!(f, "more than {max} interfaces in one pcapng section")
            }
            Self::Malformed { unit } => write!(f, "malformed {unit}"),
        }
    }
}

/// An error reading a capture: the file's name, the byte offset of the header, record or
/// block at fault, and what is wrong with it.
///
/// `Display` reads `capture.pcap: byte 4096: truncated packet record (need 1530 bytes, 310 left)`.
#[derive(Debug)]
pub struct CaptureError {
    /// The name the capture was opened with (its path, or the name given to
    /// [`crate::CaptureReader::new`]).
    pub path: String,
    /// Byte offset in the file of the header, record or block at fault.
    pub offset: u64,
    /// What went wrong.
    pub kind: CaptureErrorKind,
    source: Option<io::Error>,
}

impl CaptureError {
    pub(crate) fn new(path: &str, offset: u64, kind: CaptureErrorKind) -> Self {
        Self {
            path: path.to_owned(),
            offset,
            kind,
            source: None,
        }
    }

    pub(crate) fn io(path: &str, offset: u64, source: io::Error) -> Self {
        Self {
            path: path.to_owned(),
            offset,
            kind: CaptureErrorKind::Io(source.kind()),
            source: Some(source),
        }
    }

    /// True if the file ends early: every packet before [`CaptureError::offset`] was read,
    /// and a caller may report what it has before failing.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        matches!(self.kind, CaptureErrorKind::Truncated { .. })
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: byte {}: ", self.path, self.offset)?;
        match &self.source {
            Some(source) => write!(f, "{source}"),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn error::Error + 'static))
    }
}
