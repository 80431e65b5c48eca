//! Compact peer entries (BEP 23; IPv6 form BEP 7): 4 or 16 address bytes then a big-endian
//! port, back to back in one string. Trackers, PEX (BEP 11) and the DHT (BEP 5 `values`) use it.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Bytes per IPv4 entry.
pub const V4_LEN: usize = 6;
/// Bytes per IPv6 entry.
pub const V6_LEN: usize = 18;

/// Decode one entry of 6 or 18 bytes.
#[must_use]
pub fn entry(bytes: &[u8]) -> Option<SocketAddr> {
    let (addr, port) = bytes.split_at_checked(bytes.len().checked_sub(2)?)?;
    let port = u16::from_be_bytes(<[u8; 2]>::try_from(port).ok()?);
    let ip = match addr.len() {
        4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(addr).ok()?)),
        16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(addr).ok()?)),
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The whole entries inside `piece`, a part of a compact string that starts `offset` bytes into
/// it. Entries cut by the piece's edges are skipped: the caller keeps no buffer to join them.
pub fn entries(piece: &[u8], offset: u32, v6: bool) -> impl Iterator<Item = SocketAddr> + '_ {
    let size = if v6 { V6_LEN } else { V4_LEN };
    let into_entry = (offset as usize).checked_rem(size).unwrap_or(0);
    let skip = size.wrapping_sub(into_entry).checked_rem(size).unwrap_or(0);
    piece
        .get(skip..)
        .unwrap_or_default()
        .chunks_exact(size)
        .filter_map(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    #[test]
    fn decodes_and_aligns() {
        let list = b"\x0a\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\xc8\xd5";
        let all: Vec<_> = entries(list, 0, false).collect();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].to_string(), "10.0.0.1:6881");
        assert_eq!(all[1].to_string(), "10.0.0.2:51413");
        let later: Vec<_> = entries(&list[3..], 3, false).collect();
        assert_eq!(later, [all[1]]);
        let v6 = [[0u8; 15].as_slice(), &[1, 0x1a, 0xe1]].concat();
        assert_eq!(
            entries(&v6, 0, true).next().map(|e| e.to_string()),
            Some(String::from("[::1]:6881"))
        );
        assert_eq!(entry(b"abc"), None);
    }
}
