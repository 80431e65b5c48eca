//! [`InfoHash`]: a torrent's identity, as handshakes, trackers, the DHT and magnet links name it.

use core::fmt;
use core::str::FromStr;

/// A torrent's info-hash: v1 (BEP 3, SHA-1 of the info dictionary, 20 bytes) or v2 (BEP 52,
/// SHA-256, 32 bytes). `Display` is lowercase hex (40 or 64 digits), as the JSON-lines record
/// writes it; `FromStr` reads 40 or 64 hex digits, or the 32-character base32 form of a v1
/// hash that magnet links may carry (BEP 9, `xt=urn:btih:`), in either case.
///
/// ```
/// use torclass_core::InfoHash;
///
/// let hex: InfoHash = "09fa9e66f74835d6ff7b6671987da2de63b35979".parse().unwrap();
/// let base32: InfoHash = "BH5J4ZXXJA25N733MZYZQ7NC3ZR3GWLZ".parse().unwrap();
/// assert_eq!(hex, base32);
/// assert_eq!(hex.as_bytes()[0], 0x09);
/// assert_eq!(hex.to_string(), "09fa9e66f74835d6ff7b6671987da2de63b35979");
/// assert_eq!(InfoHash::from([0xab; 20]), InfoHash::V1([0xab; 20]));
/// assert!("09fa".parse::<InfoHash>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InfoHash {
    /// A v1 info-hash (SHA-1).
    V1([u8; 20]),
    /// A v2 info-hash (SHA-256); a v2 peer wire handshake carries only its first 20 bytes,
    /// which read as [`InfoHash::V1`].
    V2([u8; 32]),
}

impl InfoHash {
    /// The hash's bytes (20 or 32).
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8] {
        match self {
            Self::V1(bytes) => bytes,
            Self::V2(bytes) => bytes,
        }
    }

    /// The hash of `bytes`: 20 bytes are v1, 32 are v2, any other length is `None`.
    #[must_use]
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        if let Ok(v1) = <[u8; 20]>::try_from(bytes) {
            Some(Self::V1(v1))
        } else {
            <[u8; 32]>::try_from(bytes).ok().map(Self::V2)
        }
    }
}

impl From<[u8; 20]> for InfoHash {
    fn from(bytes: [u8; 20]) -> Self {
        Self::V1(bytes)
    }
}

impl From<[u8; 32]> for InfoHash {
    fn from(bytes: [u8; 32]) -> Self {
        Self::V2(bytes)
    }
}

impl AsRef<[u8]> for InfoHash {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Display for InfoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.as_bytes() {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for InfoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Self::V1(_) => "V1",
            Self::V2(_) => "V2",
        };
        write!(f, "InfoHash::{kind}({self})")
    }
}

/// Why a string is not an [`InfoHash`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InfoHashError {
    /// Not 40 or 64 hex digits, nor 32 base32 characters: the string's length in bytes.
    Length(usize),
    /// The character at byte offset `at` is not a digit of the form its length implies.
    Digit {
        /// Byte offset of the first character that is not a digit.
        at: usize,
    },
}

impl fmt::Display for InfoHashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length(len) => write!(
                f,
                "an info-hash is 40 or 64 hex digits or 32 base32 characters, not {len} bytes"
            ),
            Self::Digit { at } => write!(f, "info-hash: not a digit at byte {at}"),
        }
    }
}

impl core::error::Error for InfoHashError {}

/// The value of hex digit `c`.
const fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c.wrapping_sub(b'0')),
        b'a'..=b'f' => Some(c.wrapping_sub(b'a').wrapping_add(10)),
        b'A'..=b'F' => Some(c.wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

/// The value of base32 digit `c` (RFC 4648 alphabet, either case).
const fn base32(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c.wrapping_sub(b'A')),
        b'a'..=b'z' => Some(c.wrapping_sub(b'a')),
        b'2'..=b'7' => Some(c.wrapping_sub(b'2').wrapping_add(26)),
        _ => None,
    }
}

/// Fill `out` from hex digits `s` (twice as long as `out`).
fn from_hex(s: &[u8], out: &mut [u8]) -> Result<(), InfoHashError> {
    for (i, (byte, pair)) in out.iter_mut().zip(s.chunks_exact(2)).enumerate() {
        let at = i.saturating_mul(2);
        let (Some(&hi), Some(&lo)) = (pair.first(), pair.get(1)) else {
            return Err(InfoHashError::Length(s.len()));
        };
        let hi = hex(hi).ok_or(InfoHashError::Digit { at })?;
        let lo = hex(lo).ok_or(InfoHashError::Digit {
            at: at.saturating_add(1),
        })?;
        *byte = (hi << 4) | lo;
    }
    Ok(())
}

impl FromStr for InfoHash {
    type Err = InfoHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.as_bytes();
        match s.len() {
            40 => {
                let mut out = [0; 20];
                from_hex(s, &mut out)?;
                Ok(Self::V1(out))
            }
            64 => {
                let mut out = [0; 32];
                from_hex(s, &mut out)?;
                Ok(Self::V2(out))
            }
            32 => {
                // 32 × 5 bits = 160 bits: 20 bytes, no padding.
                let mut out = [0u8; 20];
                let mut acc = 0u16;
                let mut bits = 0u8;
                let mut bytes = out.iter_mut();
                for (at, &c) in s.iter().enumerate() {
                    let v = base32(c).ok_or(InfoHashError::Digit { at })?;
                    acc = (acc << 5) | u16::from(v);
                    bits = bits.wrapping_add(5);
                    if bits >= 8 {
                        bits = bits.wrapping_sub(8);
                        if let Some(byte) = bytes.next() {
                            *byte = (acc >> bits) as u8;
                        }
                        acc &= (1u16 << bits).wrapping_sub(1);
                    }
                }
                Ok(Self::V1(out))
            }
            len => Err(InfoHashError::Length(len)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn hex_round_trip_both_versions() {
        let v1 = InfoHash::V1(core::array::from_fn(|i| i as u8 * 13));
        let v2 = InfoHash::V2(core::array::from_fn(|i| 255 - i as u8 * 7));
        for h in [v1, v2] {
            let s = h.to_string();
            assert_eq!(s.len(), h.as_bytes().len() * 2);
            assert_eq!(s, s.to_lowercase());
            assert_eq!(s.parse::<InfoHash>(), Ok(h));
            assert_eq!(s.to_uppercase().parse::<InfoHash>(), Ok(h));
            assert_eq!(InfoHash::from_slice(h.as_bytes()), Some(h));
        }
        assert_eq!(InfoHash::from_slice(&[0; 21]), None);
    }

    #[test]
    fn base32_as_magnet_links_write_it() {
        // The same hash in hex and in base32 (RFC 4648), as two magnet links would carry it.
        let hex: InfoHash = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a".parse().unwrap();
        let b32: InfoHash = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK".parse().unwrap();
        assert_eq!(hex, b32);
        assert_eq!("yex6dqdlxisuvhoj6um3gnnkpqjwpkek".parse(), Ok(hex));
    }

    #[test]
    fn errors_say_where() {
        assert_eq!("ab".parse::<InfoHash>(), Err(InfoHashError::Length(2)));
        let mut s = "0".repeat(40);
        s.replace_range(7..8, "g");
        assert_eq!(s.parse::<InfoHash>(), Err(InfoHashError::Digit { at: 7 }));
        let b = "A".repeat(31) + "1";
        assert_eq!(b.parse::<InfoHash>(), Err(InfoHashError::Digit { at: 31 }));
        assert!(InfoHashError::Length(2).to_string().contains("not 2 bytes"));
        assert_eq!(
            std::format!("{:?}", InfoHash::V1([0xab; 20])),
            std::format!("InfoHash::V1({})", "ab".repeat(20))
        );
    }
}
