//! IEEE 802.11 data frames (IEEE Std 802.11-2020 §9.2–9.3.2) and the 802.2 LLC/SNAP header
//! that carries their ethertype (RFC 1042, IEEE 802.1H), as `LINKTYPE_IEEE802_11` and the
//! frame behind a radiotap header hold them.
//!
//! Only unprotected data frames with an MSDU are read: management and control frames, null
//! (no-data) frames, protected (WEP/TKIP/CCMP) frames, A-MSDUs and fragments after the first
//! are unsupported. Whether a `LINKTYPE_IEEE802_11` frame ends with its FCS is not recorded:
//! the IP length bounds the payload, so four trailing bytes change nothing.

use super::error::DecodeError;
use super::link::be16;
use super::Layer;

/// Fields of the MAC header (§9.2.3) and the LLC/SNAP header behind it.
mod field {
    /// Frame control: byte 0 holds the protocol version (bits 0–1), type (2–3) and subtype
    /// (4–7), byte 1 the flags. The type and version bits of byte 0:
    pub const TYPE_VERSION_MASK: u8 = 0x0F;
    /// Type 2 (data), protocol version 0.
    pub const DATA_V0: u8 = 0x08;
    /// Subtype bit: QoS data (a QoS control field follows the addresses).
    pub const SUBTYPE_QOS: u8 = 0x80;
    /// Subtype bit: no data (null function).
    pub const SUBTYPE_NO_DATA: u8 = 0x40;
    /// Flags: to the distribution system.
    pub const TO_DS: u8 = 0x01;
    /// Flags: from the distribution system (with `TO_DS`: four addresses).
    pub const FROM_DS: u8 = 0x02;
    /// Flags: the frame body is encrypted.
    pub const PROTECTED: u8 = 0x40;
    /// Flags: +HTC (QoS data frames: a 4-byte HT control field follows QoS control).
    pub const ORDER: u8 = 0x80;
    /// Frame control, duration, three addresses, sequence control.
    pub const BASE_LEN: usize = 24;
    /// The fourth address.
    pub const ADDR4_LEN: usize = 6;
    /// QoS control.
    pub const QOS_LEN: usize = 2;
    /// HT control.
    pub const HT_LEN: usize = 4;
    /// Sequence control (little-endian; the fragment number in its low 4 bits).
    pub const SEQUENCE: usize = 22;
    /// The fragment number bits of the sequence control's first byte.
    pub const FRAGMENT_MASK: u8 = 0x0F;
    /// In the first byte of QoS control: an A-MSDU follows.
    pub const AMSDU: u8 = 0x80;
    /// DSAP, SSAP, control and OUI of an RFC 1042 SNAP header.
    pub const SNAP_RFC1042: [u8; 6] = [0xAA, 0xAA, 0x03, 0, 0, 0];
    /// DSAP, SSAP, control and OUI of an IEEE 802.1H bridge-tunnel SNAP header.
    pub const SNAP_BRIDGE_TUNNEL: [u8; 6] = [0xAA, 0xAA, 0x03, 0, 0, 0xF8];
    /// The SNAP header with its ethertype.
    pub const SNAP_LEN: usize = 8;
}

/// An unprotected 802.11 data frame's MSDU: its ethertype, the bytes after it, and where they
/// start in the captured frame.
#[derive(Clone, Copy, Debug)]
pub(super) struct Data<'a> {
    /// The SNAP header's ethertype.
    pub(super) ethertype: u16,
    /// What follows the ethertype.
    pub(super) payload: &'a [u8],
    /// Where `payload` starts in the captured frame.
    pub(super) offset: usize,
}

impl<'a> Data<'a> {
    /// Read the data frame at the start of `bytes`, `at` bytes into the captured frame. With
    /// `padded` (radiotap's "data pad" flag) the MAC header is padded to a multiple of 4 bytes.
    pub(super) fn new_checked(
        bytes: &'a [u8],
        at: usize,
        padded: bool,
    ) -> Result<Self, DecodeError> {
        let truncated =
            |required| DecodeError::truncated(Layer::Ieee80211, at, required, bytes.len());
        let [kind, flags] = *bytes.first_chunk::<2>().ok_or_else(|| truncated(2))?;
        if kind & field::TYPE_VERSION_MASK != field::DATA_V0 {
            return Err(unsupported("frame type and version", kind));
        }
        if kind & field::SUBTYPE_NO_DATA != 0 {
            return Err(unsupported("data subtype (no data)", kind >> 4));
        }
        if flags & field::PROTECTED != 0 {
            return Err(unsupported("protected frame flag", flags));
        }
        let qos = kind & field::SUBTYPE_QOS != 0;
        let four = flags & (field::TO_DS | field::FROM_DS) == field::TO_DS | field::FROM_DS;
        let mut len = field::BASE_LEN;
        if four {
            len = len.saturating_add(field::ADDR4_LEN);
        }
        let qos_at = len;
        if qos {
            len = len.saturating_add(field::QOS_LEN);
            if flags & field::ORDER != 0 {
                len = len.saturating_add(field::HT_LEN);
            }
        }
        let header = bytes.get(..len).ok_or_else(|| truncated(len))?;
        let fragment = header
            .get(field::SEQUENCE)
            .map_or(0, |s| s & field::FRAGMENT_MASK);
        if fragment != 0 {
            return Err(unsupported("fragment number", fragment));
        }
        if qos && header.get(qos_at).is_some_and(|q| q & field::AMSDU != 0) {
            return Err(unsupported("A-MSDU present flag", field::AMSDU));
        }
        if padded {
            len = len.next_multiple_of(4);
        }
        let snap_end = len.saturating_add(field::SNAP_LEN);
        let snap = bytes
            .get(len..snap_end)
            .ok_or_else(|| truncated(snap_end))?;
        let (llc, ethertype) = snap
            .split_first_chunk::<6>()
            .ok_or_else(|| truncated(snap_end))?;
        if *llc != field::SNAP_RFC1042 && *llc != field::SNAP_BRIDGE_TUNNEL {
            return Err(DecodeError::Unsupported {
                layer: Layer::Ieee80211,
                field: "LLC header (not SNAP)",
                value: be16(llc, 0..2).map_or(0, u32::from),
            });
        }
        Ok(Self {
            ethertype: be16(ethertype, 0..2).unwrap_or(0),
            payload: bytes.get(snap_end..).unwrap_or_default(),
            offset: at.saturating_add(snap_end),
        })
    }
}

/// An [`DecodeError::Unsupported`] 802.11 `field` holding `value`.
fn unsupported(field: &'static str, value: u8) -> DecodeError {
    DecodeError::Unsupported {
        layer: Layer::Ieee80211,
        field,
        value: value.into(),
    }
}
