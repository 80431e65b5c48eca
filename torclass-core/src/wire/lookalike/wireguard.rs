//! WireGuard messages (the WireGuard paper, "WireGuard: Next Generation Kernel Network
//! Tunnel", §5.4.2–§5.4.7).
//!
//! Every message starts with a one-byte type and three reserved zero bytes. The handshake
//! messages have fixed sizes — initiation (1) 148 bytes, response (2) 92, cookie reply (3)
//! 64 — and a transport data message (4) is a 16-byte header (type, reserved, receiver index,
//! counter) plus the encrypted packet padded to 16 bytes (§5.4.6) plus the 16-byte tag, so at
//! least 32 bytes (a keepalive) and a multiple of 16. [`WireGuard::new_checked`] checks exactly
//! that.
//!
//! The look-alike: `01 00 00 00` is a uTP DATA header with no extension and connection id 0.

use super::{check, need, Error};
use crate::wire::bytes::{be_u32, u8_at};

/// Message types and their lengths (0 for transport data, whose length varies).
const SIZES: [(u8, usize); 4] = [(1, 148), (2, 92), (3, 64), (4, 0)];
const DATA_MIN_LEN: usize = 32;

/// A WireGuard message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireGuard<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> WireGuard<T> {
    /// Check the type, the reserved bytes and the length.
    ///
    /// # Errors
    /// [`Error::Truncated`] below 4 bytes, [`Error::Field`] for another type or non-zero
    /// reserved bytes, [`Error::Length`] for a length the type does not have.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        need(data, 0, 4)?;
        let ty = u8_at(data, 0).unwrap_or_default();
        let size = SIZES.iter().find(|(t, _)| *t == ty).map(|(_, s)| *s);
        check(size.is_some(), "type", 0)?;
        check(
            be_u32(data, 0).unwrap_or_default() & 0x00ff_ffff == 0,
            "reserved",
            1,
        )?;
        let ok = match size {
            Some(0) => data.len() >= DATA_MIN_LEN && data.len() % 16 == 0,
            Some(n) => data.len() == n,
            None => false,
        };
        if !ok {
            return Err(Error::Length {
                consumed: size.unwrap_or_default(),
                len: data.len(),
            });
        }
        Ok(Self { buffer })
    }

    /// The message type (1–4).
    pub fn message_type(&self) -> u8 {
        u8_at(self.buffer.as_ref(), 0).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        for (ty, len) in [(1u8, 148usize), (2, 92), (3, 64), (4, 32), (4, 1440)] {
            let mut m = std::vec![0u8; len];
            m[0] = ty;
            assert_eq!(WireGuard::new_checked(&m[..]).unwrap().message_type(), ty);
            m.push(0);
            assert!(WireGuard::new_checked(&m[..]).is_err());
        }
        let mut reserved = std::vec![0u8; 148];
        reserved[0] = 1;
        reserved[2] = 1;
        assert!(WireGuard::new_checked(&reserved[..]).is_err());
        assert!(WireGuard::new_checked(&[5u8; 64][..]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            if let Ok(w) = WireGuard::new_checked(&data[..]) { let _ = w.message_type(); }
        }
    }
}
