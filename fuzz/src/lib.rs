//! Helpers shared by the fuzz targets: cutting a byte string into segments from a seed, and
//! the record format of the flow targets.

/// Cut `data` into segments whose lengths follow a small generator seeded by `seed`: the same
/// seed gives the same cuts, and seeds 0 and 255 give one-byte and whole segments.
pub fn segments(data: &[u8], seed: u8) -> impl Iterator<Item = &[u8]> {
    let mut state = u32::from(seed) | 0x100;
    let mut rest = data;
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = match seed {
            0 => 1,
            255 => rest.len(),
            _ => {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                1 + (state as usize % 64)
            }
        };
        let (head, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        Some(head)
    })
}

/// One payload of a flow record stream: who sent it, and its bytes.
pub struct Record<'a> {
    /// False for the initiator, true for the responder.
    pub responder: bool,
    /// The payload.
    pub bytes: &'a [u8],
}

/// Read the flow record stream: each record is a byte whose low bit is the direction, a
/// little-endian `u16` length, and that many bytes (the last record may be short). The seed
/// generator writes the real captures' flows in this format.
pub fn records(data: &[u8]) -> impl Iterator<Item = Record<'_>> {
    tagged(data).map(|(head, bytes)| Record {
        responder: head & 1 == 1,
        bytes,
    })
}

/// The records of [`records`] with their whole first byte, for targets that put more than
/// the direction in it.
pub fn tagged(data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut rest = data;
    core::iter::from_fn(move || {
        let (&head, tail) = rest.split_first()?;
        let (len, tail) = match tail {
            [a, b, tail @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), tail),
            _ => (0, &[][..]),
        };
        let (bytes, tail) = tail.split_at(len.min(tail.len()));
        rest = tail;
        Some((head, bytes))
    })
}
