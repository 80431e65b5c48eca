//! The radiotap header (<https://www.radiotap.org/>; `LINKTYPE_IEEE802_11_RADIOTAP`, and Linux
//! cooked captures of `ARPHRD_IEEE80211_RADIOTAP` devices) in front of an 802.11 frame.
//!
//! Of its fields only Flags (<https://www.radiotap.org/fields/Flags.html>) is read: the frame
//! ends with a 4-byte FCS (dropped), has padding after its MAC header (skipped), or failed
//! its FCS check (malformed: its bytes cannot be trusted).

use super::error::DecodeError;
use super::Layer;

/// Fields of the radiotap header (little-endian).
mod field {
    use core::ops::Range;
    /// The header length, all fields included.
    pub const LEN: Range<usize> = 2..4;
    /// Version 0, pad, length, the first presence bitmap.
    pub const MIN_LEN: usize = 8;
    /// The first presence bitmap.
    pub const PRESENT: usize = 4;
    /// Presence bit: TSFT (8 bytes, aligned to 8).
    pub const TSFT: u32 = 1 << 0;
    /// Presence bit: Flags (1 byte).
    pub const FLAGS: u32 = 1 << 1;
    /// Presence bit: another bitmap follows.
    pub const EXT: u32 = 1 << 31;
    /// Flags: the frame ends with its FCS.
    pub const FCS_AT_END: u8 = 0x10;
    /// Flags: padding between the 802.11 header and its payload, to a 32-bit boundary.
    pub const DATA_PAD: u8 = 0x20;
    /// Flags: the frame failed its FCS check.
    pub const BAD_FCS: u8 = 0x40;
    /// The FCS length.
    pub const FCS_LEN: usize = 4;
}

/// The 802.11 frame behind a radiotap header.
#[derive(Clone, Copy, Debug)]
pub(super) struct Radiotap<'a> {
    /// The 802.11 frame, without its FCS.
    pub(super) frame: &'a [u8],
    /// Where `frame` starts in the captured frame.
    pub(super) offset: usize,
    /// The MAC header is padded to a multiple of 4 bytes.
    pub(super) padded: bool,
}

impl<'a> Radiotap<'a> {
    /// Read the radiotap header at the start of `bytes`, `at` bytes into the captured frame.
    pub(super) fn new_checked(bytes: &'a [u8], at: usize) -> Result<Self, DecodeError> {
        let truncated =
            |required| DecodeError::truncated(Layer::Radiotap, at, required, bytes.len());
        let header = bytes
            .first_chunk::<{ field::MIN_LEN }>()
            .ok_or_else(|| truncated(field::MIN_LEN))?;
        if header.first() != Some(&0) {
            return Err(DecodeError::Unsupported {
                layer: Layer::Radiotap,
                field: "version",
                value: header.first().copied().unwrap_or(0).into(),
            });
        }
        let len = usize::from(le16(header, field::LEN));
        let fields = bytes.get(..len).ok_or_else(|| truncated(len))?;
        if len < field::MIN_LEN {
            return Err(DecodeError::Malformed {
                layer: Layer::Radiotap,
                reason: "length below the 8-byte header",
            });
        }
        let present = le32(fields, field::PRESENT).unwrap_or(0);
        // Fields start after the last presence bitmap; each bitmap takes 4 of the `len` bytes.
        let mut cursor = field::PRESENT;
        let mut word = present;
        while word & field::EXT != 0 {
            cursor = cursor.saturating_add(4);
            word = le32(fields, cursor).ok_or_else(|| malformed("presence bitmaps overrun"))?;
        }
        cursor = cursor.saturating_add(4);
        let mut flags = 0;
        if present & field::FLAGS != 0 {
            if present & field::TSFT != 0 {
                cursor = cursor.next_multiple_of(8).saturating_add(8);
            }
            flags = *fields
                .get(cursor)
                .ok_or_else(|| malformed("flags field overruns the header"))?;
        }
        if flags & field::BAD_FCS != 0 {
            return Err(malformed("frame failed its FCS check"));
        }
        let mut frame = bytes.get(len..).unwrap_or_default();
        if flags & field::FCS_AT_END != 0 {
            frame = frame
                .get(..frame.len().saturating_sub(field::FCS_LEN))
                .unwrap_or_default();
        }
        Ok(Self {
            frame,
            offset: at.saturating_add(len),
            padded: flags & field::DATA_PAD != 0,
        })
    }
}

/// A [`DecodeError::Malformed`] radiotap header.
fn malformed(reason: &'static str) -> DecodeError {
    DecodeError::Malformed {
        layer: Layer::Radiotap,
        reason,
    }
}

/// The little-endian u16 at `range` of the 8-byte header.
fn le16(header: &[u8; field::MIN_LEN], range: core::ops::Range<usize>) -> u16 {
    header
        .get(range)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u16::from_le_bytes)
}

/// The little-endian u32 at `at`, if `bytes` holds it.
fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at.saturating_add(4))
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
}
