//! AFS RX packets, the transport of AFS (header as in OpenAFS `src/rx/rx_packet.h` and Linux
//! `net/rxrpc/protocol.h`).
//!
//! Every RX packet starts with a 28-byte header, big-endian: `epoch`, `cid` (connection id,
//! low 2 bits the channel), `callNumber`, `seq`, `serial`, then one byte each of `type`,
//! `flags`, `userStatus` and `securityIndex`, a 16-bit checksum (or spare) and the 16-bit
//! `serviceId`.
//!
//! [`Rx::new_checked`] requires a type of 1–13 (DATA, ACK, BUSY, ABORT, ACKALL, CHALLENGE,
//! RESPONSE, DEBUG, PARAMS and VERSION), no flag bit outside CLIENT_INITIATED, REQUEST_ACK,
//! LAST_PACKET, MORE_PACKETS and JUMBO_PACKET (`0x2f`), a security index of at most 6
//! (none, bcrypt, rxkad, rxkad-enc, rxgk's), an epoch (the initiator's start time in Unix
//! seconds, top bit aside) after 1987, and counters in the range a connection reaches:
//! `callNumber` below 2^24 (calls per channel), `seq` below 2^20 (packets per call), `serial`
//! below 2^28 (packets per connection).
//!
//! The look-alike: `callNumber` is 1 on a channel's first call and sits where BEP 15 puts its
//! action, so RX DATA packets of 98 bytes or more have the shape of an announce request.
//! A BEP 15 request passes these checks by chance about once in 2^27 (its transaction id is
//! `seq`, its info-hash `serial` and the type, flags and index bytes).

use super::{check, need, Error};
use crate::wire::bytes::{be_u16, be_u32, u8_at};

mod field {
    pub const EPOCH: usize = 0;
    pub const CALL_NUMBER: usize = 8;
    pub const SEQ: usize = 12;
    pub const SERIAL: usize = 16;
    pub const TYPE: usize = 20;
    pub const FLAGS: usize = 21;
    pub const SECURITY_INDEX: usize = 23;
    pub const SERVICE_ID: usize = 26;
    pub const HEADER_LEN: usize = 28;
}

/// The epoch is the time the connection's initiator started (Unix seconds; the top bit is a
/// flag): no host started before 1987.
const MIN_EPOCH: u32 = 1 << 29;

/// Flag bits sent on the wire.
const WIRE_FLAGS: u8 = 0x01 | 0x02 | 0x04 | 0x08 | 0x20;

/// A packet with a plausible RX header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rx<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Rx<T> {
    /// Check the header; see the module docs.
    ///
    /// # Errors
    /// [`Error::Truncated`] below 28 bytes, [`Error::Field`] for a value outside the ranges.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        need(data, 0, field::HEADER_LEN)?;
        let word = |at| be_u32(data, at).unwrap_or(u32::MAX);
        let byte = |at| u8_at(data, at).unwrap_or(u8::MAX);
        check((1..=13).contains(&byte(field::TYPE)), "type", field::TYPE)?;
        check(byte(field::FLAGS) & !WIRE_FLAGS == 0, "flags", field::FLAGS)?;
        check(
            byte(field::SECURITY_INDEX) <= 6,
            "securityIndex",
            field::SECURITY_INDEX,
        )?;
        check(
            word(field::EPOCH) & 0x7fff_ffff >= MIN_EPOCH,
            "epoch",
            field::EPOCH,
        )?;
        check(
            word(field::CALL_NUMBER) < 1 << 24,
            "callNumber",
            field::CALL_NUMBER,
        )?;
        check(word(field::SEQ) < 1 << 20, "seq", field::SEQ)?;
        check(word(field::SERIAL) < 1 << 28, "serial", field::SERIAL)?;
        Ok(Self { buffer })
    }

    /// The packet type (1 DATA, 2 ACK, …).
    pub fn packet_type(&self) -> u8 {
        u8_at(self.buffer.as_ref(), field::TYPE).unwrap_or_default()
    }

    /// The service id (1 for the AFS file server, 52 for the volume location server, …).
    pub fn service_id(&self) -> u16 {
        be_u16(self.buffer.as_ref(), field::SERVICE_ID).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_status_call() {
        // A DATA packet of a first call (callNumber 1, seq 1, serial 1), client-initiated,
        // last packet, rxkad, to the file server (service 1), with a 132-byte argument block.
        let mut p = std::vec![0x5f, 0x3a, 0x10, 0x22, 0x9c, 0x41, 0x28, 0x04];
        p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
        p.extend_from_slice(&[1, 0x05, 0, 2, 0, 0, 0, 1]);
        p.extend_from_slice(&[0x11; 132]);
        let rx = Rx::new_checked(&p[..]).unwrap();
        assert_eq!((rx.packet_type(), rx.service_id()), (1, 1));
        assert_eq!(&p[8..12], &[0, 0, 0, 1], "BEP 15's announce action");
        for (at, value) in [(20, 14u8), (21, 0x10), (23, 7), (12, 0x10)] {
            let mut bad = p.clone();
            bad[at] = value;
            assert!(Rx::new_checked(&bad[..]).is_err(), "{at}");
        }
        assert!(Rx::new_checked(&p[..27]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..60)) {
            if let Ok(r) = Rx::new_checked(&data[..]) { let _ = (r.packet_type(), r.service_id()); }
        }
    }
}
