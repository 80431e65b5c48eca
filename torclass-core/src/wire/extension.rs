//! Extended messages (BEP 10): the extension handshake, PEX (BEP 11) and ut_metadata (BEP 9).
//!
//! An extended message is peer wire message 20 whose payload is `<ext id: u8><bencoded dict>`.
//! Ext id 0 is the extension handshake: its `m` dictionary maps extension names to the ids the
//! *sender* wants to receive them under, `v` names the client and `p` is its listen port.
//! Every other ext id means whatever the *receiver* advertised, so recognising a PEX message
//! needs the other side's handshake ([`ExtIds`]).
//!
//! The payload is read with the streaming [`Tokenizer`]; what is being read is kept in one byte
//! ([`Path`]), so nothing is buffered.

use super::bencode::{key_hash, Event, Tokenizer};
use super::compact;
use super::message::Context;
use crate::observer::{EndpointSource, Field, Number, Observer};
use crate::verdict::Evidence;

/// The ids a side advertised for the extensions torclass reads (0: not advertised).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtIds {
    /// Id for `ut_pex` (BEP 11).
    pub pex: u8,
    /// Id for `ut_metadata` (BEP 9).
    pub metadata: u8,
}

/// Which extended message is being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Ext id 0: the extension handshake.
    Handshake = 0,
    /// The receiver's `ut_pex` id.
    Pex = 1,
    /// The receiver's `ut_metadata` id.
    Metadata = 2,
    /// Anything else: skipped.
    Other = 3,
}

impl Kind {
    /// The kind of a message with `ext_id`, given the ids its receiver advertised.
    #[must_use]
    pub fn of(ext_id: u8, receiver: ExtIds) -> Self {
        match ext_id {
            0 => Self::Handshake,
            id if id == receiver.pex => Self::Pex,
            id if id == receiver.metadata => Self::Metadata,
            _ => Self::Other,
        }
    }
}

// Top-level keys of interest, stored in bits 2..=4 of a Path.
const TOP_NONE: u8 = 0;
const TOP_M: u8 = 1;
const TOP_V: u8 = 2;
const TOP_P: u8 = 3;
const TOP_ADDED: u8 = 4;
const TOP_ADDED6: u8 = 5;
const TOP_DROPPED: u8 = 6;
const TOP_MSG_TYPE: u8 = 7;
// Keys inside `m`, stored in bits 5..=6.
const M_PEX: u8 = 1;
const M_METADATA: u8 = 2;
const M_OTHER: u8 = 3;
// Bit 5 in PEX and metadata messages: a key that makes the message what it claims was seen.
const SEEN: u8 = 1 << 5;

const K_M: (u16, u8) = (key_hash(b"m"), 1);
const K_V: (u16, u8) = (key_hash(b"v"), 1);
const K_P: (u16, u8) = (key_hash(b"p"), 1);
const K_ADDED: (u16, u8) = (key_hash(b"added"), 5);
const K_ADDED6: (u16, u8) = (key_hash(b"added6"), 6);
const K_DROPPED: (u16, u8) = (key_hash(b"dropped"), 7);
const K_DROPPED6: (u16, u8) = (key_hash(b"dropped6"), 8);
const K_MSG_TYPE: (u16, u8) = (key_hash(b"msg_type"), 8);
const K_UT_PEX: (u16, u8) = (key_hash(b"ut_pex"), 6);
const K_UT_METADATA: (u16, u8) = (key_hash(b"ut_metadata"), 11);

/// What part of an extended message is being read, in one byte: the [`Kind`] in bits 0..=1,
/// the current top-level key in bits 2..=4, the current `m` key (or the SEEN flag) in bits
/// 5..=6; bit 7 marks the two states outside a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Path(u8);

impl Path {
    /// Not in an extended message.
    pub const IDLE: Self = Self(0x80);
    /// Waiting for the ext id byte.
    pub const EXT_ID: Self = Self(0x81);
    /// The payload was malformed; the rest of it is skipped.
    const FAILED: Self = Self(0x82);

    /// The start of a payload of `kind`.
    #[must_use]
    pub const fn start(kind: Kind) -> Self {
        Self(kind as u8)
    }

    const fn kind(self) -> Kind {
        match self.0 & 3 {
            0 => Kind::Handshake,
            1 => Kind::Pex,
            2 => Kind::Metadata,
            _ => Kind::Other,
        }
    }

    const fn top(self) -> u8 {
        (self.0 >> 2) & 7
    }

    const fn inner(self) -> u8 {
        (self.0 >> 5) & 3
    }

    const fn with_top(self, top: u8) -> Self {
        let keep = (self.0 & 3) | (self.0 & self.seen_mask());
        Self(keep | ((top & 7) << 2))
    }

    const fn seen_mask(self) -> u8 {
        // In handshakes bits 5..=6 hold the `m` key; elsewhere bit 5 is the SEEN flag.
        match self.kind() {
            Kind::Handshake => 0,
            _ => SEEN,
        }
    }

    const fn with_inner(self, inner: u8) -> Self {
        Self((self.0 & !(3 << 5)) | ((inner & 3) << 5))
    }
}

/// Feed payload bytes of the current extended message; returns the new path.
pub fn feed<O: Observer>(
    path: Path,
    tok: &mut Tokenizer,
    body: &[u8],
    cx: &mut Context<'_, O>,
) -> Path {
    if path.0 & 0x80 != 0 || path.kind() == Kind::Other {
        return path;
    }
    let mut p = path;
    let result = tok.feed(body, |event| p = on_event(p, event, cx));
    if result.is_err() {
        Path::FAILED
    } else {
        p
    }
}

/// The message ended: grant the evidence a complete payload earns.
pub fn finish<O: Observer>(path: Path, tok: &Tokenizer, cx: &mut Context<'_, O>) {
    if path.0 & 0x80 != 0 || !tok.is_done() {
        return;
    }
    match path.kind() {
        Kind::Handshake => cx.evidence |= Evidence::EXTENSION_HANDSHAKE,
        Kind::Pex if path.0 & SEEN != 0 => cx.evidence |= Evidence::PEX_MESSAGE,
        Kind::Metadata if path.0 & SEEN != 0 => cx.evidence |= Evidence::METADATA_MESSAGE,
        _ => {}
    }
}

fn top_key(kind: Kind, key: (u16, u8)) -> u8 {
    match kind {
        Kind::Handshake if key == K_M => TOP_M,
        Kind::Handshake if key == K_V => TOP_V,
        Kind::Handshake if key == K_P => TOP_P,
        Kind::Pex if key == K_ADDED => TOP_ADDED,
        Kind::Pex if key == K_ADDED6 => TOP_ADDED6,
        Kind::Pex if key == K_DROPPED || key == K_DROPPED6 => TOP_DROPPED,
        Kind::Metadata if key == K_MSG_TYPE => TOP_MSG_TYPE,
        _ => TOP_NONE,
    }
}

fn on_event<O: Observer>(p: Path, event: Event<'_>, cx: &mut Context<'_, O>) -> Path {
    let kind = p.kind();
    match event {
        Event::Key {
            hash,
            len,
            depth: 1,
        } => {
            let top = top_key(kind, (hash, len));
            let p = p.with_top(top);
            if matches!(top, TOP_ADDED | TOP_ADDED6 | TOP_DROPPED) {
                Path(p.0 | SEEN)
            } else {
                p
            }
        }
        Event::Key {
            hash,
            len,
            depth: 2,
        } if kind == Kind::Handshake && p.top() == TOP_M => {
            let inner = match (hash, len) {
                k if k == K_UT_PEX => M_PEX,
                k if k == K_UT_METADATA => M_METADATA,
                _ => M_OTHER,
            };
            p.with_inner(inner)
        }
        Event::Int { value, depth: 2 } if kind == Kind::Handshake && p.top() == TOP_M => {
            if let Ok(id) = u8::try_from(value) {
                match p.inner() {
                    M_PEX => {
                        cx.sender_ids.pex = id;
                        cx.evidence |= Evidence::UT_PEX;
                    }
                    M_METADATA => {
                        cx.sender_ids.metadata = id;
                        cx.evidence |= Evidence::UT_METADATA;
                    }
                    _ => {}
                }
            }
            p
        }
        Event::Int { value, depth: 1 } => {
            match p.top() {
                TOP_P if kind == Kind::Handshake && (1..=65535).contains(&value) => {
                    cx.observer
                        .number(cx.direction, Number::ListenPort, value.unsigned_abs());
                }
                TOP_MSG_TYPE if (0..=2).contains(&value) => return Path(p.0 | SEEN),
                _ => {}
            }
            p
        }
        Event::Str {
            piece,
            key: false,
            offset,
            depth: 1,
            ..
        } if kind == Kind::Handshake && p.top() == TOP_V => {
            cx.observer
                .field(cx.direction, Field::ClientName, offset, piece);
            p
        }
        Event::Str {
            piece,
            key: false,
            offset,
            depth: 1,
            ..
        } if kind == Kind::Pex && matches!(p.top(), TOP_ADDED | TOP_ADDED6) => {
            for peer in compact::entries(piece, offset, p.top() == TOP_ADDED6) {
                cx.observer.endpoint(EndpointSource::Pex, peer);
            }
            p
        }
        _ => p,
    }
}

// The extension state's part of `FlowClassifier::to_state` (see `flow/state.rs`).
impl ExtIds {
    pub(crate) const ENCODED_LEN: usize = 2;

    pub(crate) fn encode(&self, w: &mut crate::codec::StateWriter<'_>) {
        w.u8(self.pex);
        w.u8(self.metadata);
    }

    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        Some(Self {
            pex: r.u8()?,
            metadata: r.u8()?,
        })
    }
}

impl Path {
    pub(crate) fn encode(self, w: &mut crate::codec::StateWriter<'_>) {
        w.u8(self.0);
    }

    /// `None` unless the byte is a payload position (7 bits) or one of the three markers.
    pub(crate) fn decode(r: &mut crate::codec::StateReader<'_>) -> Option<Self> {
        let v = r.u8_if(|v| v < Self::IDLE.0 || v <= Self::FAILED.0)?;
        Some(Self(v))
    }
}
