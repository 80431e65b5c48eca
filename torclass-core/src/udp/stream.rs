//! One uTP connection's packets, followed without its SYN (BEP 29, "connection setup" and
//! "packet sizes"): what each direction last sent, whether it acknowledged the other, and how
//! long a run of DATA it sent in sequence.
//!
//! The two directions of a uTP connection use connection ids one apart (the initiator sends on
//! the SYN's id + 1, the acceptor on the SYN's id), and each one's `ack_nr` trails the other's
//! `seq_nr` by at most the packets in flight. [`UtpSide::see`] records a packet and marks
//! which `ack_nr`s are coherent with the other direction; two directions that both are make a
//! connection when one of them sent only packets an implementation sends (a peer may set odd
//! timestamps or windows in its own packets, not in its peer's) and one of them sent twice on
//! its connection id (a counter in the id field is one apart from one datagram to the next).
//! A zero `ack_nr` acknowledging a zero `seq_nr` is no evidence (zeroed fields), and a side
//! that changes its connection id starts a new connection: what either side acknowledged is
//! over. Whichever direction speaks first, the second one's first packet can tell: each side
//! keeps its last `ack_nr` too.

use crate::wire::utp::{PacketType, UtpPacket};

/// Most packets an acknowledgement may trail the other direction's last `seq_nr` by: a
/// window of this many packets in flight (1.4 MB of 1400-byte packets).
pub const ACK_BEHIND: u16 = 1024;

/// Most packets an acknowledgement may lead the last `seq_nr` seen the other way (packets the
/// capture missed).
pub const ACK_AHEAD: u16 = 16;

/// Largest step between consecutive DATA `seq_nr`s of a run (lost or reordered packets).
pub const RUN_STEP: u16 = 16;

// Bits of `UtpSide::flags`.
/// The side sent a DATA, STATE or FIN: `id` and `seq` are set.
const KNOWN: u8 = 1;
/// The side acknowledged the other side's `seq_nr` on a connection id one apart.
const ACKED: u8 = 2;
/// The side's first DATA payload on a connection was measured as an MSE flight.
const MEASURED: u8 = 4;
/// That payload fits an MSE key exchange flight.
const MSE_FITS: u8 = 8;
/// The side sent a packet no implementation sends ([`UtpPacket::is_plausible`] false) on its
/// connection id.
const ODD: u8 = 16;
/// The side's last two packets had the same connection id (a connection, not a counter).
const STABLE: u8 = 32;
const ALL_FLAGS: u8 = KNOWN | ACKED | MEASURED | MSE_FITS | ODD | STABLE;

/// What one direction of a UDP flow last sent as uTP (8 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UtpSide {
    /// Connection id of the last DATA, STATE or FIN.
    id: u16,
    /// Its `seq_nr`.
    seq: u16,
    /// Its `ack_nr`.
    ack: u16,
    /// DATA packets in sequence on `id` (saturating at `u8::MAX`).
    run: u8,
    flags: u8,
}

/// True if `ack`, sent on connection id `id`, acknowledges a side whose last packet had
/// connection id `other_id` and `seq_nr` `other_seq`. Both zero is no evidence: zeroed
/// fields are what structured look-alikes carry, and a real `seq_nr` (random at the start,
/// libtorrent and libutp) is 0 once in 2^16 packets.
fn coherent(id: u16, ack: u16, other_id: u16, other_seq: u16) -> bool {
    let paired = id == other_id.wrapping_add(1) || other_id == id.wrapping_add(1);
    paired
        && (ack, other_seq) != (0, 0)
        && (other_seq.wrapping_sub(ack) <= ACK_BEHIND || ack.wrapping_sub(other_seq) <= ACK_AHEAD)
}

impl UtpSide {
    /// A side that sent no uTP yet.
    pub(crate) const NEW: Self = Self {
        id: 0,
        seq: 0,
        ack: 0,
        run: 0,
        flags: 0,
    };

    /// Record `packet` (a DATA, STATE or FIN) sent by `sides[mine]`, and mark each side
    /// whose latest `ack_nr` acknowledges the other's latest `seq_nr` on a connection id one
    /// apart: this packet against the other side's last, and the other side's last against
    /// this one (the other side may have spoken first).
    pub(crate) fn see<T: AsRef<[u8]>>(sides: &mut [Self; 2], mine: usize, packet: &UtpPacket<T>) {
        let (id, seq, ack) = (packet.connection_id(), packet.seq_nr(), packet.ack_nr());
        let Some(other) = sides.get(mine ^ 1).copied() else {
            return;
        };
        let Some(side) = sides.get_mut(mine) else {
            return;
        };
        let known = other.flags & KNOWN != 0;
        let same = side.flags & KNOWN != 0 && id == side.id;
        if same {
            side.flags |= STABLE;
        } else if side.flags & KNOWN != 0 {
            // A new connection id from this side: a new connection (BEP 29 keeps a
            // connection's ids for its life), so what either side acknowledged is over.
            side.flags &= !(ACKED | STABLE | ODD);
            if let Some(other) = sides.get_mut(mine ^ 1) {
                other.flags &= !ACKED;
            }
        }
        let Some(side) = sides.get_mut(mine) else {
            return;
        };
        if known && coherent(id, ack, other.id, other.seq) {
            side.flags |= ACKED;
        }
        let step = seq.wrapping_sub(side.seq);
        if packet.packet_type() == PacketType::Data {
            side.run = match (same, step) {
                (true, 0) => side.run.max(1),
                (true, s) if s <= RUN_STEP => side.run.saturating_add(1),
                _ => 1,
            };
        } else if !same {
            side.run = 0;
        }
        side.id = id;
        side.seq = seq;
        side.ack = ack;
        side.flags |= KNOWN;
        if !packet.is_plausible() {
            side.flags |= ODD;
        }
        if known && coherent(other.id, other.ack, id, seq) {
            if let Some(other) = sides.get_mut(mine ^ 1) {
                other.flags |= ACKED;
            }
        }
    }

    /// True if this side acknowledged the other coherently at least once.
    pub(crate) fn acked(&self) -> bool {
        self.flags & ACKED != 0
    }

    /// True if every packet this side sent on its connection id is one an implementation
    /// sends.
    pub(crate) fn plausible(&self) -> bool {
        self.flags & (KNOWN | ODD) == KNOWN
    }

    /// True if this side's last two packets were on the same connection id.
    pub(crate) fn stable(&self) -> bool {
        self.flags & STABLE != 0
    }

    /// DATA packets in sequence on the side's current connection id.
    pub(crate) fn run(&self) -> u8 {
        self.run
    }

    /// Measure the side's first DATA payload on a connection as an MSE flight (once);
    /// returns true if the side's measured flight fits.
    pub(crate) fn measure(&mut self, payload: &[u8]) -> bool {
        if self.flags & MEASURED == 0 {
            self.flags |= MEASURED;
            let mut shape = crate::wire::mse::Shape::new();
            shape.read(payload);
            shape.close_flight();
            if shape.fit() == crate::wire::mse::ShapeFit::Fits {
                self.flags |= MSE_FITS;
            }
        }
        self.flags & MSE_FITS != 0
    }

    pub(crate) const ENCODED_LEN: usize = 8;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u16(self.id);
        w.u16(self.seq);
        w.u16(self.ack);
        w.u8(self.run);
        w.u8(self.flags);
    }

    /// `None` for an unknown flag bit.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        Some(Self {
            id: r.u16()?,
            seq: r.u16()?,
            ack: r.u16()?,
            run: r.u8()?,
            flags: r.u8_if(|f| f & !ALL_FLAGS == 0)?,
        })
    }
}
