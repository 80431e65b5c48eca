//! MPLS label stacks (RFC 3032 §2.1) and what is under them: IPv4 or IPv6 by the first
//! nibble, or an Ethernet pseudowire behind a control word (RFC 4385 §3, RFC 4448 §3).

use super::error::DecodeError;
use super::link::IpVersion;
use super::Layer;

/// A label stack entry.
mod entry {
    /// Its length.
    pub const LEN: usize = 4;
    /// The bottom-of-stack bit, in byte 2.
    pub const BOTTOM: u8 = 0x01;
    /// The pseudowire control word's length (RFC 4385).
    pub const CONTROL_WORD_LEN: usize = 4;
}

/// Labels a stack may have; a longer stack is `Unsupported`.
pub(super) const MAX_LABELS: usize = 16;

/// What an MPLS stack carries.
#[derive(Clone, Copy, Debug)]
pub(super) enum Payload {
    /// An IP packet of this version (first nibble 4 or 6).
    Ip(IpVersion),
    /// An Ethernet frame after a pseudowire control word (first nibble 0).
    Ethernet,
}

/// A label stack: the bottom label and what follows it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Mpls<'a> {
    /// The label of the bottom entry (the VPN or pseudowire label).
    pub(super) bottom_label: u32,
    /// What follows the stack.
    pub(super) kind: Payload,
    /// The bytes after the stack (and after the control word for [`Payload::Ethernet`]).
    pub(super) payload: &'a [u8],
    /// The stack's length (and the control word's).
    pub(super) header_len: usize,
}

impl<'a> Mpls<'a> {
    /// Read the label stack at the start of `bytes`, `at` bytes into the frame.
    pub(super) fn new_checked(bytes: &'a [u8], at: usize) -> Result<Self, DecodeError> {
        let mut rest = bytes;
        let mut header_len = 0usize;
        for _ in 0..MAX_LABELS {
            let (label, after) = rest.split_first_chunk::<{ entry::LEN }>().ok_or_else(|| {
                DecodeError::truncated(
                    Layer::Mpls,
                    at.saturating_add(header_len),
                    entry::LEN,
                    rest.len(),
                )
            })?;
            rest = after;
            header_len = header_len.saturating_add(entry::LEN);
            let [a, b, c, _ttl] = *label;
            if c & entry::BOTTOM == 0 {
                continue;
            }
            let bottom_label = u32::from(a) << 12 | u32::from(b) << 4 | u32::from(c >> 4);
            let nibble = rest.first().map(|x| x >> 4);
            let (kind, skip) = match nibble {
                Some(4) => (Payload::Ip(IpVersion::V4), 0),
                Some(6) => (Payload::Ip(IpVersion::V6), 0),
                Some(0) => (Payload::Ethernet, entry::CONTROL_WORD_LEN),
                Some(other) => {
                    return Err(DecodeError::Unsupported {
                        layer: Layer::Mpls,
                        field: "payload first nibble",
                        value: other.into(),
                    })
                }
                None => {
                    return Err(DecodeError::truncated(
                        Layer::Mpls,
                        at.saturating_add(header_len),
                        1,
                        0,
                    ))
                }
            };
            let payload = rest.get(skip..).ok_or_else(|| {
                DecodeError::truncated(Layer::Mpls, at.saturating_add(header_len), skip, rest.len())
            })?;
            return Ok(Self {
                bottom_label,
                kind,
                payload,
                header_len: header_len.saturating_add(skip),
            });
        }
        Err(DecodeError::Unsupported {
            layer: Layer::Mpls,
            field: "label stack depth",
            value: u32::try_from(MAX_LABELS.saturating_add(1)).unwrap_or(u32::MAX),
        })
    }
}
