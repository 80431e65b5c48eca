//! The classic pcap format: a 24-byte file header, then records of a 16-byte header and the
//! captured bytes.
//!
//! Both byte orders and both timestamp precisions (microsecond magic `0xa1b2c3d4`,
//! nanosecond magic `0xa1b23c4d`), plus the little-endian "modified" format (`0xa1b2cd34`,
//! 24-byte record headers) that pcap-parser reads.

use crate::error::{CaptureErrorKind, Unit};
use crate::reader::{Need, Packet, MAX_RECORD_LEN};
use crate::time;
use pcap_parser::pcap::LegacyPcapBlock;

mod field {
    /// Length of the file header.
    pub const HEADER_LEN: usize = 24;
    /// Offset of the snapshot length in the file header.
    pub const SNAPLEN: usize = 16;
    /// Offset of the link type in the file header.
    pub const LINKTYPE: usize = 20;
    /// Offset of the captured length in a record header.
    pub const CAPLEN: usize = 8;
    /// Length of a record header.
    pub const RECORD_HEADER_LEN: usize = 16;
    /// Length of a record header in the modified format.
    pub const MODIFIED_RECORD_HEADER_LEN: usize = 24;
}

pub(crate) use field::HEADER_LEN;

/// The magic numbers, as the first four bytes read little-endian.
mod magic {
    pub const MICROS: u32 = 0xa1b2_c3d4;
    pub const NANOS: u32 = 0xa1b2_3c4d;
    pub const MODIFIED: u32 = 0xa1b2_cd34;
    pub const MICROS_SWAPPED: u32 = 0xd4c3_b2a1;
    pub const NANOS_SWAPPED: u32 = 0x4d3c_b2a1;
}

/// What the file header says about every record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PcapFormat {
    big_endian: bool,
    nanoseconds: bool,
    modified: bool,
    link_type: u32,
    snaplen: u32,
}

impl PcapFormat {
    /// True if `first` (the first four bytes, little-endian) is a pcap magic.
    pub(crate) fn is_magic(first: u32) -> bool {
        matches!(
            first,
            magic::MICROS
                | magic::NANOS
                | magic::MODIFIED
                | magic::MICROS_SWAPPED
                | magic::NANOS_SWAPPED
        )
    }

    /// The format of a complete file header whose magic passed [`PcapFormat::is_magic`].
    pub(crate) fn from_header(header: &[u8; HEADER_LEN]) -> Self {
        let first = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let big_endian = matches!(first, magic::MICROS_SWAPPED | magic::NANOS_SWAPPED);
        let read = |at: usize| {
            let b = [header[at], header[at + 1], header[at + 2], header[at + 3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        Self {
            big_endian,
            nanoseconds: matches!(first, magic::NANOS | magic::NANOS_SWAPPED),
            modified: first == magic::MODIFIED,
            // The upper 16 bits may carry FCS information (libpcap's LT_LINKTYPE).
            link_type: read(field::LINKTYPE) & 0xffff,
            snaplen: read(field::SNAPLEN),
        }
    }

    fn record_header_len(&self) -> usize {
        if self.modified {
            field::MODIFIED_RECORD_HEADER_LEN
        } else {
            field::RECORD_HEADER_LEN
        }
    }

    /// How many bytes the record at the start of `data` needs.
    pub(crate) fn need(&self, data: &[u8]) -> Result<Need, CaptureErrorKind> {
        let header_len = self.record_header_len();
        let Some(caplen) = data.get(field::CAPLEN..field::CAPLEN + 4) else {
            return Ok(Need::Header {
                unit: Unit::PcapRecord,
                len: header_len,
            });
        };
        let caplen = [caplen[0], caplen[1], caplen[2], caplen[3]];
        let caplen = if self.big_endian {
            u32::from_be_bytes(caplen)
        } else {
            u32::from_le_bytes(caplen)
        };
        let len = u64::from(caplen) + header_len as u64;
        if len > MAX_RECORD_LEN as u64 {
            return Err(CaptureErrorKind::TooLarge {
                unit: Unit::PcapRecord,
                length: len,
                max: MAX_RECORD_LEN as u64,
            });
        }
        if self.snaplen != 0 && caplen > self.snaplen {
            return Err(CaptureErrorKind::CaplenExceedsSnaplen {
                caplen,
                snaplen: self.snaplen,
            });
        }
        Ok(Need::Record {
            unit: Unit::PcapRecord,
            // Bounded by MAX_RECORD_LEN above.
            len: len as usize,
        })
    }

    /// The packet in a record pcap-parser has parsed.
    pub(crate) fn packet(&self, block: &LegacyPcapBlock<'_>) -> Packet {
        Packet {
            link_type: self.link_type,
            ts_nanos: Some(time::pcap_nanos(
                block.ts_sec,
                block.ts_usec,
                self.nanoseconds,
            )),
            orig_len: block.origlen,
            start: self.record_header_len(),
            len: block.data.len(),
        }
    }
}
