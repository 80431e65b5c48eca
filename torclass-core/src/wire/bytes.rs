//! Small byte helpers shared by the wire readers: bounds-checked big-endian reads for the
//! fixed-layout views (uTP, BEP 15) and the hex digit of the text formats (magnet URIs, HTTP
//! percent-encoding, peer id versions).
//!
//! Every function returns `None` instead of panicking when the field does not fit.

/// The value of one hex digit, either case.
pub(crate) const fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b.wrapping_sub(b'0')),
        b'a'..=b'f' => Some(b.wrapping_sub(b'a').wrapping_add(10)),
        b'A'..=b'F' => Some(b.wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

/// A fixed-size array copied from `data[offset..offset + N]`.
pub(crate) fn array<const N: usize>(data: &[u8], offset: usize) -> Option<[u8; N]> {
    let end = offset.checked_add(N)?;
    data.get(offset..end)?.try_into().ok()
}

/// The byte at `offset`.
pub(crate) fn u8_at(data: &[u8], offset: usize) -> Option<u8> {
    data.get(offset).copied()
}

/// The big-endian `u16` at `offset`.
pub(crate) fn be_u16(data: &[u8], offset: usize) -> Option<u16> {
    array(data, offset).map(u16::from_be_bytes)
}

/// The big-endian `u32` at `offset`.
pub(crate) fn be_u32(data: &[u8], offset: usize) -> Option<u32> {
    array(data, offset).map(u32::from_be_bytes)
}

/// The big-endian `u64` at `offset`.
pub(crate) fn be_u64(data: &[u8], offset: usize) -> Option<u64> {
    array(data, offset).map(u64::from_be_bytes)
}
