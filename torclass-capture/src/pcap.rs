//! The classic pcap format: a 24-byte file header, then records of a 16-byte header and the
//! captured bytes.
//!
//! Both byte orders and both timestamp precisions (microsecond magic `0xa1b2c3d4`,
//! nanosecond magic `0xa1b23c4d`), plus the little-endian "modified" format (`0xa1b2cd34`,
//! 24-byte record headers).

use crate::error::{CaptureErrorKind, Unit};
use crate::reader::{read_u32, Need, Packet, MAX_RECORD_LEN};
use crate::time;

mod field {
    /// Length of the file header.
    pub const HEADER_LEN: usize = 24;
    /// Offset of the snapshot length in the file header.
    pub const SNAPLEN: usize = 16;
    /// Offset of the link type in the file header.
    pub const LINKTYPE: usize = 20;
    /// Offsets in a record header: the timestamp's seconds and fraction (micro- or
    /// nanoseconds), the captured length and the original length.
    pub const TS_SEC: usize = 0;
    pub const TS_FRACTION: usize = 4;
    pub const CAPLEN: usize = 8;
    pub const ORIG_LEN: usize = 12;
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
        let read = |at| read_u32(header, at, big_endian).unwrap_or_default();
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
        let Some(caplen) = read_u32(data, field::CAPLEN, self.big_endian) else {
            return Ok(Need::Header {
                unit: Unit::PcapRecord,
                len: header_len,
            });
        };
        Ok(Need::Record {
            unit: Unit::PcapRecord,
            len: self.record_len(caplen)?,
        })
    }

    /// The length of a record whose header says `caplen`, if the limits allow it.
    fn record_len(&self, caplen: u32) -> Result<usize, CaptureErrorKind> {
        let len = u64::from(caplen) + self.record_header_len() as u64;
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
        // Bounded by MAX_RECORD_LEN above.
        Ok(len as usize)
    }

    /// The packet of the record at the start of `data` and the record's length, if the whole
    /// record is there and its lengths pass; `None` otherwise, for the reader's general path
    /// (`need`, refill, `packet`) to read it or report what is wrong. The reader takes this
    /// way for nearly every record of a mapped file.
    #[inline]
    pub(crate) fn whole_record(&self, data: &[u8]) -> Option<(Packet, usize)> {
        let caplen = read_u32(data, field::CAPLEN, self.big_endian)?;
        let len = self.record_len(caplen).ok()?;
        Some((self.packet(data.get(..len)?), len))
    }

    /// The packet in `record`, a whole record of the length [`PcapFormat::need`] gave.
    pub(crate) fn packet(&self, record: &[u8]) -> Packet {
        let read = |at| read_u32(record, at, self.big_endian).unwrap_or_default();
        let start = self.record_header_len();
        Packet {
            link_type: self.link_type,
            ts_nanos: Some(time::pcap_nanos(
                read(field::TS_SEC),
                read(field::TS_FRACTION),
                self.nanoseconds,
            )),
            orig_len: read(field::ORIG_LEN),
            start,
            // The captured length, as `need` read it.
            len: record.len().saturating_sub(start),
        }
    }
}
