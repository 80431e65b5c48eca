//! IKE messages over UDP 500 and 4500: ISAKMP for IKEv1 (RFC 2408 §3.1, RFC 2409) and IKEv2
//! (RFC 7296 §3.1–§3.2), with RFC 3948's four-byte non-ESP marker on the NAT traversal port.
//!
//! The header is 28 bytes: the initiator's and the responder's SPI (8 bytes each), the first
//! payload's type, the version (major 1 or 2 in the high nibble, minor 0), the exchange type,
//! flags, a message id and the length of the whole message. [`Ike::new_checked`] checks the
//! version byte, an exchange type of that version, the length (the datagram, less the marker)
//! and, unless the payloads are encrypted as a whole (IKEv1's encryption flag), the chain of
//! generic payload headers: each names the next payload's type, is at least 4 bytes long and
//! the chain ends, with type 0, exactly at the end of the message; IKEv2's Encrypted payload
//! (and its fragment) must be the last one.
//!
//! The look-alike: the responder SPI's first four bytes are BEP 15's action field, so an IKE
//! message of 16 + 20n bytes whose responder SPI starts `00 00 00 02` has the shape of a scrape
//! request (strongSwan's INVALID_MAJOR_VERSION notify answering nmap's RPC probe is one).

use super::{check, need, Error};
use crate::wire::bytes::{be_u16, be_u32, u8_at};

mod field {
    pub const NEXT_PAYLOAD: usize = 16;
    pub const VERSION: usize = 17;
    pub const EXCHANGE: usize = 18;
    pub const FLAGS: usize = 19;
    pub const LENGTH: usize = 24;
    pub const HEADER_LEN: usize = 28;
    pub const NON_ESP_MARKER: usize = 4;
}

/// IKEv1's encryption flag (RFC 2408 §3.1): the payloads after the header are encrypted.
const V1_ENCRYPTED: u8 = 0x01;
/// IKEv2's Encrypted and Encrypted Fragment payloads (RFC 7296 §3.14, RFC 7383 §2.5).
const V2_ENCRYPTED: [u8; 2] = [46, 53];

/// A payload type the version defines: IKEv1 1–20 (RFC 2408, RFC 3947's NAT-D and NAT-OA)
/// and IKEv2 33–54 (IANA's IKEv2 Payload Types), or a private one (128 and up).
fn payload_type(version: u8, ty: u8) -> bool {
    ty >= 128
        || match version {
            1 => (1..=21).contains(&ty),
            _ => (33..=54).contains(&ty),
        }
}

/// An exchange type the version defines: IKEv1 1–5, 32 (Quick Mode) and 33 (New Group Mode);
/// IKEv2 34–44 (IKE_SA_INIT to IKE_FOLLOWUP_KE), or a private one (240 and up).
fn exchange_type(version: u8, ty: u8) -> bool {
    ty >= 240
        || match version {
            1 => matches!(ty, 1..=5 | 32 | 33),
            _ => (34..=44).contains(&ty),
        }
}

/// An IKE message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ike<T: AsRef<[u8]>> {
    buffer: T,
    start: usize,
}

impl<T: AsRef<[u8]>> Ike<T> {
    /// Check the header and the payload chain, with or without a non-ESP marker.
    ///
    /// # Errors
    /// [`Error::Truncated`] below a header, [`Error::Field`] for a version, exchange type or
    /// payload type the specifications do not define or a payload shorter than its header,
    /// [`Error::Length`] when the length field or the chain does not end at the datagram's end.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        let marked = be_u32(data, 0) == Some(0) && data.len() >= field::NON_ESP_MARKER;
        let start = if marked { field::NON_ESP_MARKER } else { 0 };
        let message = data.get(start..).unwrap_or_default();
        need(message, 0, field::HEADER_LEN)?;
        let version = match u8_at(message, field::VERSION) {
            Some(0x10) => 1,
            Some(0x20) => 2,
            _ => {
                return Err(Error::Field {
                    field: "version",
                    offset: start.saturating_add(field::VERSION),
                })
            }
        };
        let byte = |at| u8_at(message, at).unwrap_or_default();
        check(
            exchange_type(version, byte(field::EXCHANGE)),
            "exchange type",
            start.saturating_add(field::EXCHANGE),
        )?;
        let length = be_u32(message, field::LENGTH).unwrap_or_default();
        if usize::try_from(length).ok() != Some(message.len()) {
            return Err(Error::Length {
                consumed: usize::try_from(length).unwrap_or(usize::MAX),
                len: message.len(),
            });
        }
        if version == 1 && byte(field::FLAGS) & V1_ENCRYPTED != 0 {
            return Ok(Self { buffer, start });
        }
        walk(message, version, start)?;
        Ok(Self { buffer, start })
    }

    /// The IKE major version, 1 or 2.
    pub fn version(&self) -> u8 {
        u8_at(
            self.buffer.as_ref(),
            self.start.saturating_add(field::VERSION),
        )
        .unwrap_or_default()
            >> 4
    }

    /// The exchange type.
    pub fn exchange_type(&self) -> u8 {
        u8_at(
            self.buffer.as_ref(),
            self.start.saturating_add(field::EXCHANGE),
        )
        .unwrap_or_default()
    }

    /// True if the message follows RFC 3948's non-ESP marker.
    pub fn nat_traversal(&self) -> bool {
        self.start != 0
    }
}

/// Walk the generic payload headers from the header's next-payload field to the message end.
fn walk(message: &[u8], version: u8, start: usize) -> Result<(), Error> {
    let mut next = u8_at(message, field::NEXT_PAYLOAD).unwrap_or_default();
    let mut at = field::HEADER_LEN;
    while next != 0 {
        check(
            payload_type(version, next),
            "next payload",
            start.saturating_add(at),
        )?;
        need(message, at, 4)?;
        let len = usize::from(be_u16(message, at.saturating_add(2)).unwrap_or_default());
        check(
            len >= 4,
            "payload length",
            start.saturating_add(at).saturating_add(2),
        )?;
        let end = at.saturating_add(len);
        if end > message.len()
            || (version == 2 && V2_ENCRYPTED.contains(&next) && end != message.len())
        {
            return Err(Error::Length {
                consumed: end,
                len: message.len(),
            });
        }
        next = u8_at(message, at).unwrap_or_default();
        at = end;
    }
    if at == message.len() {
        Ok(())
    } else {
        Err(Error::Length {
            consumed: at,
            len: message.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// strongSwan's answer to nmap's RPC probe on UDP 500 (nmap-service-probes, `match
    /// isakmp` under `RPCCheck`): an IKEv2 INFORMATIONAL response with an
    /// INVALID_MAJOR_VERSION notify, echoing the probe's first 16 bytes as the SPIs.
    const STRONGSWAN_NOTIFY: [u8; 36] = [
        0x72, 0xfe, 0x1d, 0x13, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0x01, 0x86, 0xa0, 0x29, 0x20, 0x25,
        0x20, 0, 0, 0, 0, 0, 0, 0, 0x24, 0, 0, 0, 0x08, 0, 0, 0, 0x05,
    ];

    /// An IKEv1 Main Mode first message: a header and an SA payload of 12 bytes.
    fn main_mode() -> std::vec::Vec<u8> {
        let mut m = std::vec![0x11u8; 8];
        m.extend([0u8; 8]);
        m.extend([1, 0x10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 40]);
        m.extend([0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 1]);
        m
    }

    #[test]
    fn strongswan_notify_is_ike_v2() {
        let ike = Ike::new_checked(&STRONGSWAN_NOTIFY[..]).unwrap();
        assert_eq!(
            (ike.version(), ike.exchange_type(), ike.nat_traversal()),
            (2, 37, false)
        );
    }

    #[test]
    fn main_mode_with_and_without_the_non_esp_marker() {
        let m = main_mode();
        assert_eq!(Ike::new_checked(&m[..]).unwrap().version(), 1);
        let mut natt = std::vec![0u8; 4];
        natt.extend(&m);
        assert!(Ike::new_checked(&natt[..]).unwrap().nat_traversal());
    }

    #[test]
    fn broken_headers_and_chains_are_refused() {
        let m = main_mode();
        for (at, value) in [
            (17, 0x30u8),
            (18, 34),
            (27, 41),
            (16, 33),
            (31, 13),
            (31, 3),
        ] {
            let mut bad = m.clone();
            bad[at] = value;
            assert!(Ike::new_checked(&bad[..]).is_err(), "byte {at} = {value}");
        }
        let mut longer = m.clone();
        longer.push(0);
        assert!(Ike::new_checked(&longer[..]).is_err());
        assert!(Ike::new_checked(&m[..27]).is_err());
        let mut encrypted = m;
        encrypted[19] = V1_ENCRYPTED;
        encrypted[31] = 3;
        assert!(Ike::new_checked(&encrypted[..]).is_ok());
    }

    #[test]
    fn an_ikev2_encrypted_payload_must_be_last() {
        let mut m = STRONGSWAN_NOTIFY.to_vec();
        m[16] = 46;
        assert!(Ike::new_checked(&m[..]).is_ok());
        m[28] = 41;
        m[31] = 4;
        assert!(Ike::new_checked(&m[..]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            if let Ok(ike) = Ike::new_checked(&data[..]) {
                let _ = (ike.version(), ike.exchange_type(), ike.nat_traversal());
            }
        }
    }
}
