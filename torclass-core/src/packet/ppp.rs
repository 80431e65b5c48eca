//! PPP framing: the protocol field (RFC 1661 §2), the HDLC-like address and control bytes
//! (RFC 1662 §3.1) and Cisco HDLC (RFC 1547 §4.3.1), as `LINKTYPE_PPP`, `LINKTYPE_PPP_HDLC`
//! and `LINKTYPE_C_HDLC` captures hold them and as PPPoE carries the protocol field.

use super::error::DecodeError;
use super::link::{be16, IpVersion};
use super::Layer;

/// PPP protocol numbers that carry IP (IANA "PPP DLL Protocol Numbers").
mod protocol {
    /// Internet Protocol version 4.
    pub const IPV4: u16 = 0x0021;
    /// Internet Protocol version 6.
    pub const IPV6: u16 = 0x0057;
}

/// The HDLC-like framing of RFC 1662 §3.1, in front of the protocol field unless the peers
/// negotiated address-and-control-field compression (RFC 1661 §6.6).
mod hdlc {
    /// The all-stations address.
    pub const ADDRESS: u8 = 0xFF;
    /// Unnumbered information with the poll/final bit clear.
    pub const CONTROL: u8 = 0x03;
}

/// Cisco HDLC (RFC 1547 §4.3.1; <https://www.tcpdump.org/linktypes/LINKTYPE_C_HDLC.html>):
/// an address byte, a control byte of zero, then an ethertype.
mod cisco {
    /// Unicast address.
    pub const UNICAST: u8 = 0x0F;
    /// Broadcast address.
    pub const BROADCAST: u8 = 0x8F;
    /// The header length.
    pub const LEN: usize = 4;
}

/// What a PPP link frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Frame<'a> {
    /// An IP packet of this version, starting this many bytes into the frame.
    Ip(IpVersion, &'a [u8], usize),
    /// A Cisco HDLC frame (read it with [`cisco_hdlc`]).
    Cisco,
}

/// The protocol field at the start of `bytes` and its length: two bytes, or one when the
/// peers negotiated protocol-field compression (RFC 1661 §6.5: protocol numbers have an even
/// first byte, so a compressed field is an odd one). `None` if `bytes` does not hold it.
pub(super) fn protocol_field(bytes: &[u8]) -> Option<(u16, usize)> {
    let first = *bytes.first()?;
    if first & 1 == 1 {
        Some((u16::from(first), 1))
    } else {
        be16(bytes, 0..2).map(|p| (p, 2))
    }
}

/// The IP version a PPP protocol number announces (`Unsupported` at `layer` for others).
pub(super) fn ip_version(number: u16, layer: Layer) -> Result<IpVersion, DecodeError> {
    match number {
        protocol::IPV4 => Ok(IpVersion::V4),
        protocol::IPV6 => Ok(IpVersion::V6),
        other => Err(DecodeError::Unsupported {
            layer,
            field: "PPP protocol",
            value: other.into(),
        }),
    }
}

/// Read a PPP frame: the optional `0xFF 0x03` of RFC 1662 and the protocol field; with
/// `cisco`, a frame starting with a Cisco HDLC address (0x0F, 0x8F) is Cisco HDLC instead
/// (`LINKTYPE_PPP_HDLC` holds both).
pub(super) fn frame(bytes: &[u8], cisco: bool) -> Result<Frame<'_>, DecodeError> {
    let truncated = |required| DecodeError::truncated(Layer::Link, 0, required, bytes.len());
    match bytes.first().copied() {
        None => Err(truncated(1)),
        Some(cisco::UNICAST | cisco::BROADCAST) if cisco => Ok(Frame::Cisco),
        Some(hdlc::ADDRESS) => {
            // 0xFF is never a protocol field's first byte (0x00FF is reserved, RFC 1661 §2).
            let control = *bytes.get(1).ok_or_else(|| truncated(2))?;
            if control != hdlc::CONTROL {
                return Err(DecodeError::Malformed {
                    layer: Layer::Link,
                    reason: "PPP control field is not 0x03 (RFC 1662)",
                });
            }
            ip(bytes.get(2..).unwrap_or_default(), 2)
        }
        Some(_) => ip(bytes, 0),
    }
}

/// The IP packet behind the protocol field at the start of `bytes`, `at` bytes into the frame.
fn ip(bytes: &[u8], at: usize) -> Result<Frame<'_>, DecodeError> {
    let (number, len) = protocol_field(bytes).ok_or_else(|| {
        DecodeError::truncated(
            Layer::Link,
            0,
            at.saturating_add(2),
            at.saturating_add(bytes.len()),
        )
    })?;
    let version = ip_version(number, Layer::Link)?;
    Ok(Frame::Ip(
        version,
        bytes.get(len..).unwrap_or_default(),
        at.saturating_add(len),
    ))
}

/// A Cisco HDLC frame: address (unicast or broadcast), control (zero), ethertype. The
/// ethertype, the bytes after it and where they start.
pub(super) fn cisco_hdlc(bytes: &[u8]) -> Result<(u16, &[u8], usize), DecodeError> {
    let (header, rest) = bytes
        .split_first_chunk::<{ cisco::LEN }>()
        .ok_or_else(|| DecodeError::truncated(Layer::Link, 0, cisco::LEN, bytes.len()))?;
    let [address, control, ..] = *header;
    if address != cisco::UNICAST && address != cisco::BROADCAST {
        return Err(DecodeError::Malformed {
            layer: Layer::Link,
            reason: "Cisco HDLC address is neither 0x0F nor 0x8F",
        });
    }
    if control != 0 {
        return Err(DecodeError::Malformed {
            layer: Layer::Link,
            reason: "Cisco HDLC control field is not zero",
        });
    }
    Ok((be16(header, 2..4).unwrap_or(0), rest, cisco::LEN))
}
