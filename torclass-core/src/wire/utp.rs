//! uTP, the Micro Transport Protocol (BEP 29, "uTorrent transport protocol").
//!
//! Every uTP datagram starts with a 20-byte header (BEP 29, "header format"), all fields
//! big-endian:
//!
//! ```text
//!  0       4       8               16              24              32
//! +-------+-------+---------------+---------------+---------------+
//! | type  | ver   | extension     | connection_id                 |
//! +-------+-------+---------------+---------------+---------------+
//! | timestamp_microseconds                                        |
//! +---------------+---------------+---------------+---------------+
//! | timestamp_difference_microseconds                             |
//! +---------------+---------------+---------------+---------------+
//! | wnd_size                                                      |
//! +---------------+---------------+---------------+---------------+
//! | seq_nr                        | ack_nr                        |
//! +---------------+---------------+---------------+---------------+
//! ```
//!
//! followed by a chain of extensions (BEP 29, "extension"): `extension` names the type of the
//! first one (0 = none); each extension starts with the type of the *next* one and its own
//! length, then `length` bytes. The payload follows the last extension.
//!
//! [`UtpPacket::new_checked`] accepts exactly the datagrams a BEP 29 implementation would parse:
//! version 1, a type in 0..=4, and an extension chain that stays inside the datagram with the
//! lengths real encoders use for the known extensions. It says nothing about whether the
//! datagram is *likely* uTP: the `*_is_plausible` methods do that, one packet at a time, using
//! what libtorrent (`src/utp_stream.cpp`) and libutp (`utp_internal.cpp`, used by Transmission
//! and µTorrent) actually send. Correlating packets (a SYN's connection id and sequence number
//! against the reply) belongs to the flow; [`UtpPacket::answers_syn`] is the per-pair test.

use core::fmt;

use super::bytes::{be_u16, be_u32, u8_at};

mod field {
    pub const TYPE_VER: usize = 0;
    pub const EXTENSION: usize = 1;
    pub const CONNECTION_ID: usize = 2;
    pub const TIMESTAMP: usize = 4;
    pub const TIMESTAMP_DIFFERENCE: usize = 8;
    pub const WND_SIZE: usize = 12;
    pub const SEQ_NR: usize = 16;
    pub const ACK_NR: usize = 18;
    pub const HEADER_LEN: usize = 20;
    /// Each extension starts with the next extension's type and its own length.
    pub const EXTENSION_HEADER_LEN: usize = 2;
}

/// Length of the fixed uTP header.
pub const HEADER_LEN: usize = field::HEADER_LEN;

/// The only uTP version in use (BEP 29: "The current version is 1"). Version 0 was µTorrent's
/// pre-2010 format and is no longer sent.
pub const VERSION: u8 = 1;

/// Longest extension chain accepted. Real encoders send at most two extensions (libtorrent:
/// selective ACK + close reason); the limit bounds the work on hostile input.
pub const MAX_EXTENSIONS: usize = 8;

/// Largest receive window ([`UtpPacket::wnd_size`]) a plausible packet advertises: 16 MiB.
///
/// libtorrent advertises its free receive buffer (0 in a SYN, a few MiB at most otherwise),
/// libutp its `UTP_RCVBUF` (0x10_0000 or 0x38_0000 per the notes in Wireshark's
/// `packet-bt-utp.c`). Look-alikes put arbitrary bytes here, e.g. a DNS query's first name label
/// (`"\x03www"` = 0x0377_7777): a bound this low rejects every label of length ≥ 1.
pub const MAX_PLAUSIBLE_WINDOW: u32 = 16 << 20;

/// The `type` nibble (BEP 29, "type").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `ST_DATA` (0): carries payload.
    Data,
    /// `ST_FIN` (1): the sender's last packet.
    Fin,
    /// `ST_STATE` (2): an ACK without payload; also the reply to a SYN.
    State,
    /// `ST_RESET` (3): terminate the connection forcefully.
    Reset,
    /// `ST_SYN` (4): opens a connection.
    Syn,
    /// Any other value (5..=15). [`UtpPacket::new_checked`] rejects it.
    Unknown(u8),
}

impl From<u8> for PacketType {
    fn from(nibble: u8) -> Self {
        match nibble {
            0 => Self::Data,
            1 => Self::Fin,
            2 => Self::State,
            3 => Self::Reset,
            4 => Self::Syn,
            other => Self::Unknown(other),
        }
    }
}

/// An extension type (BEP 29, "extension"; the close reason is libtorrent's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtensionType {
    /// 1: selective ACK, a bitmask of packets received past `ack_nr + 1`.
    SelectiveAck,
    /// 2: extension bits, 8 bytes; old libutp (µTorrent) sends them, all zero, in its SYN.
    ExtensionBits,
    /// 3: libtorrent's close reason: 2 reserved bytes and a 16-bit reason code
    /// (`utp_socket_impl::parse_close_reason`, sent with FIN and later packets).
    CloseReason,
    /// Any other non-zero type. [`UtpPacket::new_checked`] accepts it if the chain stays in
    /// bounds (a future extension is still uTP); the plausibility checks reject it.
    Unknown(u8),
}

impl ExtensionType {
    /// The extension type for a non-zero type byte; 0 ends the chain.
    #[must_use]
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => None,
            1 => Some(Self::SelectiveAck),
            2 => Some(Self::ExtensionBits),
            3 => Some(Self::CloseReason),
            other => Some(Self::Unknown(other)),
        }
    }

    /// The type byte.
    #[must_use]
    pub const fn byte(self) -> u8 {
        match self {
            Self::SelectiveAck => 1,
            Self::ExtensionBits => 2,
            Self::CloseReason => 3,
            Self::Unknown(b) => b,
        }
    }

    /// Whether `len` is a length real encoders send for this type.
    ///
    /// - selective ACK: at least 1 byte. BEP 29 asks for a multiple of 4 and libutp sends
    ///   exactly 4, but libtorrent sends `ceil(span / 8)` bytes (1, 2, 3, … are all common).
    /// - extension bits: exactly 8.
    /// - close reason: exactly 4 (libtorrent ignores any other length, never sends one).
    /// - unknown types: any length.
    #[must_use]
    pub const fn length_is_valid(self, len: u8) -> bool {
        match self {
            Self::SelectiveAck => len >= 1,
            Self::ExtensionBits => len == 8,
            Self::CloseReason => len == 4,
            Self::Unknown(_) => true,
        }
    }
}

/// One extension of the chain, borrowed from the datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extension<'a> {
    /// Its type.
    pub kind: ExtensionType,
    /// Its bytes (without the two-byte extension header).
    pub data: &'a [u8],
}

impl Extension<'_> {
    /// The 16-bit reason code of a [`ExtensionType::CloseReason`] extension.
    #[must_use]
    pub fn close_reason(&self) -> Option<u16> {
        match self.kind {
            ExtensionType::CloseReason => be_u16(self.data, 2),
            _ => None,
        }
    }
}

/// Why a datagram is not a uTP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The datagram ends before the header or an extension does.
    Truncated {
        /// Bytes needed to read the structure that starts at `offset`.
        required: usize,
        /// Bytes the datagram has.
        available: usize,
        /// Where the cut structure starts (0 for the header).
        offset: usize,
    },
    /// The version nibble is not 1.
    Version(u8),
    /// The type nibble is not 0..=4.
    PacketType(u8),
    /// A known extension has a length no encoder sends.
    ExtensionLength {
        /// The extension type byte.
        kind: u8,
        /// The length byte.
        len: u8,
        /// Offset of the extension header.
        offset: usize,
    },
    /// More than [`MAX_EXTENSIONS`] extensions.
    TooManyExtensions,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated {
                required,
                available,
                offset,
            } => write!(
                f,
                "uTP: truncated at offset {offset}: {required} bytes needed, {available} available"
            ),
            Self::Version(v) => write!(f, "uTP: version {v}, expected 1"),
            Self::PacketType(t) => write!(f, "uTP: unknown packet type {t}"),
            Self::ExtensionLength { kind, len, offset } => write!(
                f,
                "uTP: extension {kind} at offset {offset} has invalid length {len}"
            ),
            Self::TooManyExtensions => write!(f, "uTP: more than {MAX_EXTENSIONS} extensions"),
        }
    }
}

impl core::error::Error for Error {}

/// A read-only view of a uTP packet (BEP 29, "header format").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtpPacket<T: AsRef<[u8]>> {
    buffer: T,
    /// Offset of the payload: 20 plus the extension chain, computed once by `new_checked`.
    payload_offset: usize,
}

impl<T: AsRef<[u8]>> UtpPacket<T> {
    /// Check that `buffer` is a well-formed uTP packet and wrap it.
    ///
    /// # Errors
    /// [`Error::Truncated`] if the header or an extension is cut, [`Error::Version`] unless the
    /// version is 1, [`Error::PacketType`] for types 5..=15, [`Error::ExtensionLength`] for a
    /// known extension with a length no encoder sends, [`Error::TooManyExtensions`] past
    /// [`MAX_EXTENSIONS`].
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let payload_offset = check(buffer.as_ref())?;
        Ok(Self {
            buffer,
            payload_offset,
        })
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn data(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The packet type; never [`PacketType::Unknown`] after `new_checked`.
    pub fn packet_type(&self) -> PacketType {
        PacketType::from(u8_at(self.data(), field::TYPE_VER).unwrap_or_default() >> 4)
    }

    /// The version nibble (always 1 after `new_checked`).
    pub fn version(&self) -> u8 {
        u8_at(self.data(), field::TYPE_VER).unwrap_or_default() & 0x0f
    }

    /// The type of the first extension, or `None` if there is none.
    pub fn extension(&self) -> Option<ExtensionType> {
        ExtensionType::from_byte(u8_at(self.data(), field::EXTENSION).unwrap_or_default())
    }

    /// `connection_id`: in a SYN the id the sender expects replies on; afterwards the
    /// receiver's id (BEP 29, "connection setup").
    pub fn connection_id(&self) -> u16 {
        be_u16(self.data(), field::CONNECTION_ID).unwrap_or_default()
    }

    /// `timestamp_microseconds`: the sender's clock when the packet left.
    pub fn timestamp_us(&self) -> u32 {
        be_u32(self.data(), field::TIMESTAMP).unwrap_or_default()
    }

    /// `timestamp_difference_microseconds`: the one-way delay last measured by the sender
    /// (0 before it has received anything).
    pub fn timestamp_difference_us(&self) -> u32 {
        be_u32(self.data(), field::TIMESTAMP_DIFFERENCE).unwrap_or_default()
    }

    /// `wnd_size`: the sender's advertised receive window in bytes.
    pub fn wnd_size(&self) -> u32 {
        be_u32(self.data(), field::WND_SIZE).unwrap_or_default()
    }

    /// `seq_nr`.
    pub fn seq_nr(&self) -> u16 {
        be_u16(self.data(), field::SEQ_NR).unwrap_or_default()
    }

    /// `ack_nr`: the last sequence number the sender received in order.
    pub fn ack_nr(&self) -> u16 {
        be_u16(self.data(), field::ACK_NR).unwrap_or_default()
    }

    /// The extension chain, in order.
    pub fn extensions(&self) -> Extensions<'_> {
        Extensions {
            data: self.data(),
            next: u8_at(self.data(), field::EXTENSION).unwrap_or_default(),
            offset: field::HEADER_LEN,
        }
    }

    /// Length of the header including the extension chain.
    pub fn header_len(&self) -> usize {
        self.payload_offset
    }

    /// The bytes after the header and extensions.
    pub fn payload(&self) -> &[u8] {
        self.data().get(self.payload_offset..).unwrap_or_default()
    }

    /// True if an extension of an unknown type is present (allowed by `new_checked`,
    /// rejected by every plausibility check).
    pub fn has_unknown_extension(&self) -> bool {
        self.extensions()
            .any(|e| matches!(e.kind, ExtensionType::Unknown(_)))
    }

    /// The close reason code, if libtorrent's close-reason extension is present.
    pub fn close_reason(&self) -> Option<u16> {
        self.extensions().find_map(|e| e.close_reason())
    }

    /// True if the extensions are exactly what real encoders put in a packet of this type:
    /// at most one of each, selective ACK and close reason in data/state/fin packets only,
    /// extension bits in a SYN only, nothing in a RESET, no unknown type.
    fn extensions_are_usual(&self) -> bool {
        let mut seen = [false; 3];
        let ty = self.packet_type();
        for ext in self.extensions() {
            let (slot, allowed) = match ext.kind {
                ExtensionType::SelectiveAck => (0, is_stream_packet(ty)),
                ExtensionType::CloseReason => (1, is_stream_packet(ty)),
                ExtensionType::ExtensionBits => (2, ty == PacketType::Syn),
                ExtensionType::Unknown(_) => return false,
            };
            match seen.get_mut(slot) {
                Some(flag) if allowed && !*flag => *flag = true,
                _ => return false,
            }
        }
        true
    }

    /// Checks shared by every packet type that carries a clock reading and a window:
    /// the timestamp is non-zero (a real microsecond clock reads 0 with probability
    /// 2^-32; zero-filled look-alikes always do), the window is at most
    /// [`MAX_PLAUSIBLE_WINDOW`], and the extensions are usual for the type.
    fn common_is_plausible(&self) -> bool {
        self.timestamp_us() != 0
            && self.wnd_size() <= MAX_PLAUSIBLE_WINDOW
            && self.extensions_are_usual()
    }

    /// True if this is a SYN as libtorrent and libutp send it.
    ///
    /// Checks, with the reason for each:
    /// - type SYN, no payload: neither implementation sends data with its SYN;
    /// - `ack_nr == 0`: both zero it (libtorrent `send_syn`: `h->ack_nr = 0`; libutp
    ///   `utp_connect`: `memset` of the header);
    /// - `timestamp_difference_us == 0`: nothing has been received yet, so the measured delay
    ///   is still 0 in both (this also holds on retransmission);
    /// - [`common_is_plausible`](Self::is_plausible): non-zero timestamp, `wnd_size` at most
    ///   [`MAX_PLAUSIBLE_WINDOW`] (libtorrent sends 0, libutp its receive buffer), and no
    ///   extension except one extension-bits block (old libutp / µTorrent: type 2, 8 zero bytes).
    ///
    /// The connection id and `seq_nr` are random in both implementations and are not checked.
    /// The DNS query whose transaction id starts with 0x41 (the known look-alike) fails on
    /// `ack_nr` (its QCLASS, 1 for IN) and on `wnd_size` (its first name label).
    pub fn syn_is_plausible(&self) -> bool {
        self.packet_type() == PacketType::Syn
            && self.payload().is_empty()
            && self.ack_nr() == 0
            && self.timestamp_difference_us() == 0
            && self.common_is_plausible()
    }

    /// True if this is a STATE (ACK) packet as real encoders send it: no payload (a packet
    /// with payload is DATA in both implementations), plus the common checks (non-zero
    /// timestamp, window bound, only selective-ACK and close-reason extensions, each once).
    ///
    /// `timestamp_difference_us` is not checked: it is normally non-zero but is 0 whenever the
    /// sender's clock difference happens to be, and `ack_nr`/`seq_nr` only mean something next
    /// to the SYN ([`answers_syn`](Self::answers_syn)).
    pub fn state_is_plausible(&self) -> bool {
        self.packet_type() == PacketType::State
            && self.payload().is_empty()
            && self.common_is_plausible()
    }

    /// True if this is a DATA packet as real encoders send it: payload present (both
    /// implementations choose ST_DATA exactly when there is payload), plus the common checks.
    pub fn data_is_plausible(&self) -> bool {
        self.packet_type() == PacketType::Data
            && !self.payload().is_empty()
            && self.common_is_plausible()
    }

    /// True if this is a FIN as real encoders send it: the common checks only (libtorrent
    /// may put the last bytes of the stream in its FIN, so payload is allowed).
    pub fn fin_is_plausible(&self) -> bool {
        self.packet_type() == PacketType::Fin && self.common_is_plausible()
    }

    /// True if this is a RESET as real encoders send it: no payload, no extension and a zero
    /// window (libtorrent `send_reset` and libutp `send_rst` both set `wnd_size = 0`).
    ///
    /// The timestamp is not checked: libutp's `send_rst` leaves it 0.
    pub fn reset_is_plausible(&self) -> bool {
        self.packet_type() == PacketType::Reset
            && self.payload().is_empty()
            && self.extension().is_none()
            && self.wnd_size() == 0
    }

    /// The plausibility check for this packet's type (one of the `*_is_plausible` methods).
    ///
    /// Only a plausible SYN or STATE is evidence on its own, and weak evidence at that; a
    /// plausible DATA, FIN or RESET header is common in other protocols (CAPWAP's DTLS
    /// preamble `01 00 00 00` followed by a DTLS record is a plausible DATA packet) and means
    /// something only inside a flow that already showed a SYN/STATE pair or whose payload is
    /// BitTorrent.
    pub fn is_plausible(&self) -> bool {
        match self.packet_type() {
            PacketType::Syn => self.syn_is_plausible(),
            PacketType::State => self.state_is_plausible(),
            PacketType::Data => self.data_is_plausible(),
            PacketType::Fin => self.fin_is_plausible(),
            PacketType::Reset => self.reset_is_plausible(),
            PacketType::Unknown(_) => false,
        }
    }

    /// True if this packet, sent by the other side, can be the reply to a SYN with
    /// `syn_connection_id` and `syn_seq_nr`: a STATE whose `connection_id` is the SYN's (the
    /// acceptor sends on the id the SYN named) and whose `ack_nr` is the SYN's `seq_nr`
    /// (BEP 29, "connection setup"; libtorrent `utp_socket_impl::incoming_packet`).
    pub fn answers_syn(&self, syn_connection_id: u16, syn_seq_nr: u16) -> bool {
        self.packet_type() == PacketType::State
            && self.connection_id() == syn_connection_id
            && self.ack_nr() == syn_seq_nr
    }
}

/// DATA, FIN and STATE belong to an established stream and may carry ACK information.
fn is_stream_packet(ty: PacketType) -> bool {
    matches!(ty, PacketType::Data | PacketType::Fin | PacketType::State)
}

/// Validate the header and walk the extension chain; returns the payload offset.
fn check(data: &[u8]) -> Result<usize, Error> {
    let type_ver = match u8_at(data, field::TYPE_VER) {
        Some(b) if data.len() >= field::HEADER_LEN => b,
        _ => {
            return Err(Error::Truncated {
                required: field::HEADER_LEN,
                available: data.len(),
                offset: 0,
            })
        }
    };
    if type_ver & 0x0f != VERSION {
        return Err(Error::Version(type_ver & 0x0f));
    }
    if let PacketType::Unknown(t) = PacketType::from(type_ver >> 4) {
        return Err(Error::PacketType(t));
    }
    let mut next = u8_at(data, field::EXTENSION).unwrap_or_default();
    let mut offset = field::HEADER_LEN;
    let mut count = 0usize;
    while let Some(kind) = ExtensionType::from_byte(next) {
        if count == MAX_EXTENSIONS {
            return Err(Error::TooManyExtensions);
        }
        count = count.saturating_add(1);
        let truncated = |required: usize| Error::Truncated {
            required,
            available: data.len().saturating_sub(offset),
            offset,
        };
        let (Some(following), Some(len)) =
            (u8_at(data, offset), u8_at(data, offset.saturating_add(1)))
        else {
            return Err(truncated(field::EXTENSION_HEADER_LEN));
        };
        let total = field::EXTENSION_HEADER_LEN.saturating_add(usize::from(len));
        let end = offset.saturating_add(total);
        if end > data.len() {
            return Err(truncated(total));
        }
        if !kind.length_is_valid(len) {
            return Err(Error::ExtensionLength {
                kind: kind.byte(),
                len,
                offset,
            });
        }
        next = following;
        offset = end;
    }
    Ok(offset)
}

/// Iterator over the extension chain of a checked [`UtpPacket`].
#[derive(Clone, Debug)]
pub struct Extensions<'a> {
    data: &'a [u8],
    next: u8,
    offset: usize,
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Extension<'a>;

    fn next(&mut self) -> Option<Extension<'a>> {
        let kind = ExtensionType::from_byte(self.next)?;
        let following = u8_at(self.data, self.offset)?;
        let len = usize::from(u8_at(self.data, self.offset.saturating_add(1))?);
        let start = self.offset.saturating_add(field::EXTENSION_HEADER_LEN);
        let end = start.saturating_add(len);
        let data = self.data.get(start..end)?;
        self.next = following;
        self.offset = end;
        Some(Extension { kind, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// A header with the given fields, extensions appended as (type, bytes), then payload.
    #[allow(clippy::too_many_arguments)] // one argument per header field reads like BEP 29
    fn packet(
        ty: u8,
        conn: u16,
        ts: u32,
        tdiff: u32,
        wnd: u32,
        seq: u16,
        ack: u16,
        exts: &[(u8, &[u8])],
        payload: &[u8],
    ) -> Vec<u8> {
        let mut v = Vec::new();
        v.push((ty << 4) | 1);
        v.push(exts.first().map_or(0, |e| e.0));
        v.extend_from_slice(&conn.to_be_bytes());
        v.extend_from_slice(&ts.to_be_bytes());
        v.extend_from_slice(&tdiff.to_be_bytes());
        v.extend_from_slice(&wnd.to_be_bytes());
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&ack.to_be_bytes());
        for (i, (_, bytes)) in exts.iter().enumerate() {
            v.push(exts.get(i + 1).map_or(0, |e| e.0));
            v.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
            v.extend_from_slice(bytes);
        }
        v.extend_from_slice(payload);
        v
    }

    /// libtorrent `send_syn`: no extension, wnd 0, ack 0, tdiff 0.
    fn libtorrent_syn() -> Vec<u8> {
        packet(4, 0x3f1c, 0x8e2f_1a07, 0, 0, 0x52c1, 0, &[], &[])
    }

    #[test]
    fn libtorrent_syn_is_plausible() {
        let raw = libtorrent_syn();
        let p = UtpPacket::new_checked(&raw[..]).unwrap();
        assert_eq!(p.packet_type(), PacketType::Syn);
        assert_eq!(p.version(), 1);
        assert_eq!(p.connection_id(), 0x3f1c);
        assert_eq!(p.timestamp_us(), 0x8e2f_1a07);
        assert_eq!(p.timestamp_difference_us(), 0);
        assert_eq!(p.wnd_size(), 0);
        assert_eq!(p.seq_nr(), 0x52c1);
        assert_eq!(p.ack_nr(), 0);
        assert_eq!(p.extension(), None);
        assert_eq!(p.header_len(), 20);
        assert!(p.payload().is_empty());
        assert!(p.syn_is_plausible());
        assert!(p.is_plausible());
        assert!(!p.state_is_plausible());
    }

    #[test]
    fn libutp_syns_are_plausible() {
        // Transmission's libutp: 20 bytes, window = receive buffer (1 MiB).
        let raw = packet(4, 0x1234, 77, 0, 1 << 20, 0x0001, 0, &[], &[]);
        assert!(UtpPacket::new_checked(&raw[..]).unwrap().syn_is_plausible());
        // Old libutp (µTorrent): extension bits, 8 zero bytes.
        let raw = packet(4, 0x1234, 77, 0, 0x0010_0000, 1, 0, &[(2, &[0; 8])], &[]);
        let p = UtpPacket::new_checked(&raw[..]).unwrap();
        assert_eq!(p.extension(), Some(ExtensionType::ExtensionBits));
        assert_eq!(p.header_len(), 30);
        assert!(p.syn_is_plausible());
    }

    #[test]
    fn implausible_syns() {
        let cases: [(&str, Vec<u8>); 7] = [
            ("payload", packet(4, 1, 7, 0, 0, 9, 0, &[], b"x")),
            ("ack_nr", packet(4, 1, 7, 0, 0, 9, 1, &[], &[])),
            ("tdiff", packet(4, 1, 7, 5, 0, 9, 0, &[], &[])),
            ("zero timestamp", packet(4, 1, 0, 0, 0, 9, 0, &[], &[])),
            (
                "window",
                packet(4, 1, 7, 0, MAX_PLAUSIBLE_WINDOW + 1, 9, 0, &[], &[]),
            ),
            (
                "sack in syn",
                packet(4, 1, 7, 0, 0, 9, 0, &[(1, &[0; 4])], &[]),
            ),
            (
                "unknown ext",
                packet(4, 1, 7, 0, 0, 9, 0, &[(9, &[0; 2])], &[]),
            ),
        ];
        for (why, raw) in cases {
            let p = UtpPacket::new_checked(&raw[..]).unwrap();
            assert!(!p.syn_is_plausible(), "{why}");
        }
    }

    #[test]
    fn libtorrent_state_with_sack_and_close_reason() {
        // SACK of 3 bytes (libtorrent sends ceil(span/8)), then close reason 15.
        let raw = packet(
            2,
            0x3f1c,
            0x0102_0304,
            0x0000_1388,
            0x0004_0000,
            0x1000,
            0x52c1,
            &[(1, &[0b101, 0, 0]), (3, &[0, 0, 0, 15])],
            &[],
        );
        let p = UtpPacket::new_checked(&raw[..]).unwrap();
        assert_eq!(p.header_len(), 20 + 5 + 6);
        let exts: Vec<_> = p.extensions().collect();
        assert_eq!(exts.len(), 2);
        assert_eq!(exts[0].kind, ExtensionType::SelectiveAck);
        assert_eq!(exts[0].data, &[0b101, 0, 0]);
        assert_eq!(exts[1].kind, ExtensionType::CloseReason);
        assert_eq!(p.close_reason(), Some(15));
        assert!(p.state_is_plausible());
        assert!(p.answers_syn(0x3f1c, 0x52c1));
        assert!(!p.answers_syn(0x3f1d, 0x52c1));
        assert!(!p.answers_syn(0x3f1c, 0x52c2));
    }

    #[test]
    fn data_fin_reset() {
        let data = packet(
            0,
            9,
            1,
            2,
            65_536,
            3,
            4,
            &[(1, &[1, 2, 3, 4])],
            b"\x13BitTorrent",
        );
        let p = UtpPacket::new_checked(&data[..]).unwrap();
        assert_eq!(p.payload(), b"\x13BitTorrent");
        assert!(p.data_is_plausible());
        let empty_data = packet(0, 9, 1, 2, 65_536, 3, 4, &[], &[]);
        assert!(!UtpPacket::new_checked(&empty_data[..])
            .unwrap()
            .is_plausible());
        let fin = packet(1, 9, 1, 2, 0, 3, 4, &[(3, &[0, 0, 0, 2])], &[]);
        assert!(UtpPacket::new_checked(&fin[..]).unwrap().fin_is_plausible());
        let reset = packet(3, 9, 0, 0, 0, 3, 4, &[], &[]);
        assert!(UtpPacket::new_checked(&reset[..])
            .unwrap()
            .reset_is_plausible());
        let reset_ext = packet(3, 9, 0, 0, 0, 3, 4, &[(1, &[0; 4])], &[]);
        assert!(!UtpPacket::new_checked(&reset_ext[..])
            .unwrap()
            .is_plausible());
        let dup = packet(2, 9, 1, 0, 0, 3, 4, &[(1, &[0; 4]), (1, &[0; 4])], &[]);
        assert!(!UtpPacket::new_checked(&dup[..]).unwrap().is_plausible());
    }

    #[test]
    fn structural_errors() {
        let mut raw = libtorrent_syn();
        raw[0] = 0x42;
        assert_eq!(UtpPacket::new_checked(&raw[..]), Err(Error::Version(2)));
        raw[0] = 0x51;
        assert_eq!(UtpPacket::new_checked(&raw[..]), Err(Error::PacketType(5)));
        let bad_bits = packet(4, 1, 1, 0, 0, 1, 0, &[(2, &[0; 4])], &[]);
        assert_eq!(
            UtpPacket::new_checked(&bad_bits[..]),
            Err(Error::ExtensionLength {
                kind: 2,
                len: 4,
                offset: 20
            })
        );
        let empty_sack = packet(2, 1, 1, 0, 0, 1, 0, &[(1, &[])], &[]);
        assert!(matches!(
            UtpPacket::new_checked(&empty_sack[..]),
            Err(Error::ExtensionLength { kind: 1, .. })
        ));
        let bad_close = packet(1, 1, 1, 0, 0, 1, 0, &[(3, &[0; 2])], &[]);
        assert!(UtpPacket::new_checked(&bad_close[..]).is_err());
        // Unknown extensions are structurally fine but unusual.
        let unknown = packet(2, 1, 1, 0, 0, 1, 0, &[(7, &[1, 2, 3])], &[]);
        let p = UtpPacket::new_checked(&unknown[..]).unwrap();
        assert!(p.has_unknown_extension());
        assert!(!p.is_plausible());
        // A chain of zero-length unknown extensions longer than the limit.
        let many: Vec<(u8, &[u8])> = (0..=MAX_EXTENSIONS).map(|_| (9u8, &[][..])).collect();
        let raw = packet(2, 1, 1, 0, 0, 1, 0, &many, &[]);
        assert_eq!(
            UtpPacket::new_checked(&raw[..]),
            Err(Error::TooManyExtensions)
        );
    }

    #[test]
    fn truncation_at_every_length_is_an_error() {
        let raw = packet(
            2,
            1,
            1,
            0,
            0,
            1,
            0,
            &[(1, &[1, 2, 3, 4]), (3, &[0, 0, 0, 1])],
            &[],
        );
        assert!(UtpPacket::new_checked(&raw[..]).is_ok());
        for len in 0..raw.len() {
            let err = UtpPacket::new_checked(&raw[..len]).unwrap_err();
            assert!(matches!(err, Error::Truncated { .. }), "{len}: {err}");
        }
        assert_eq!(
            UtpPacket::new_checked(&raw[..25]),
            Err(Error::Truncated {
                required: 6,
                available: 5,
                offset: 20
            })
        );
    }

    #[test]
    fn error_display() {
        let e = Error::Truncated {
            required: 20,
            available: 3,
            offset: 0,
        };
        assert_eq!(
            std::format!("{e}"),
            "uTP: truncated at offset 0: 20 bytes needed, 3 available"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..128)) {
            if let Ok(p) = UtpPacket::new_checked(&data[..]) {
                let _ = (p.is_plausible(), p.payload().len(), p.close_reason(), p.extensions().count());
                proptest::prop_assert!(p.header_len() <= data.len());
            }
        }
    }
}
