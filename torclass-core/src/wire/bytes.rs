//! Bounds-checked big-endian reads shared by the fixed-layout views (uTP, BEP 15).
//!
//! Every function returns `None` instead of panicking when the field does not fit.

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
