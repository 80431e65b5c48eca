//! The UDP tracker protocol (BEP 15) with BEP 41 announce options.
//!
//! Seven datagram forms, all big-endian (BEP 15, "connect", "announce", "scrape", "errors"):
//!
//! | form              | layout                                                              | length        |
//! |-------------------|---------------------------------------------------------------------|---------------|
//! | connect request   | `protocol_id:u64 = 0x41727101980, action:u32 = 0, transaction_id:u32` | 16            |
//! | connect response  | `action:u32 = 0, transaction_id:u32, connection_id:u64`             | 16            |
//! | announce request  | `connection_id:u64, action:u32 = 1, transaction_id:u32, info_hash[20], peer_id[20], downloaded:u64, left:u64, uploaded:u64, event:u32, ip:u32, key:u32, num_want:i32, port:u16`, then BEP 41 options | ≥ 98 |
//! | announce response | `action:u32 = 1, transaction_id:u32, interval:u32, leechers:u32, seeders:u32`, then peers (6 bytes each over IPv4, 18 over IPv6) | 20 + 6n / 18n |
//! | scrape request    | `connection_id:u64, action:u32 = 2, transaction_id:u32, info_hash[20] × n` | 16 + 20n, n ≥ 1 |
//! | scrape response   | `action:u32 = 2, transaction_id:u32, (seeders:u32, completed:u32, leechers:u32) × n` | 8 + 12n, n ≥ 1 |
//! | error             | `action:u32 = 3, transaction_id:u32, message`                         | ≥ 8           |
//!
//! ## Telling requests from responses
//!
//! Nothing in a datagram says which side sent it. With a [`Direction`] hint, the initiator of
//! the flow is taken to be the client ([`parse`] reads its datagrams as requests and the
//! responder's as responses). Without one, [`parse`] uses this rule: a response starts with a
//! 32-bit action in 0..=3, so its first three bytes are zero; a request starts with the 64-bit
//! connection id the tracker chose at random (or the protocol id, whose first bytes are
//! `00 00 04 17`). A datagram whose first four bytes are an action is read as a response, and
//! as a request only if it is not a valid response. A real request is misread only when the
//! upper 32 bits of a random connection id are 0..=3, a chance of 2^-30.
//!
//! The peer size in an announce response depends on the address family the tracker was
//! reached over (BEP 15, "IPv6"), which only the flow knows: pass it as [`AddressFamily`].

use core::fmt;
use core::net::{IpAddr, Ipv4Addr};

use super::bytes::{array, be_u16, be_u32, be_u64, u8_at};
use super::compact;
use crate::Direction;

mod field {
    // Requests.
    pub const CONNECTION_ID: usize = 0;
    pub const REQUEST_ACTION: usize = 8;
    pub const REQUEST_TRANSACTION_ID: usize = 12;
    pub const INFO_HASH: usize = 16;
    pub const PEER_ID: usize = 36;
    pub const DOWNLOADED: usize = 56;
    pub const LEFT: usize = 64;
    pub const UPLOADED: usize = 72;
    pub const EVENT: usize = 80;
    pub const IP: usize = 84;
    pub const KEY: usize = 88;
    pub const NUM_WANT: usize = 92;
    pub const PORT: usize = 96;
    pub const ANNOUNCE_REQUEST_LEN: usize = 98;
    pub const CONNECT_LEN: usize = 16;
    pub const SCRAPE_REQUEST_HEADER_LEN: usize = 16;
    pub const INFO_HASH_LEN: usize = 20;
    // Responses.
    pub const ACTION: usize = 0;
    pub const TRANSACTION_ID: usize = 4;
    pub const CONNECT_CONNECTION_ID: usize = 8;
    pub const INTERVAL: usize = 8;
    pub const LEECHERS: usize = 12;
    pub const SEEDERS: usize = 16;
    pub const ANNOUNCE_RESPONSE_HEADER_LEN: usize = 20;
    pub const SCRAPE_RESPONSE_HEADER_LEN: usize = 8;
    pub const SCRAPE_ENTRY_LEN: usize = 12;
    pub const ERROR_HEADER_LEN: usize = 8;
}

/// The magic connection id of a connect request (BEP 15, "connect").
pub const PROTOCOL_ID: u64 = 0x0417_2710_1980;

/// The `action` field (BEP 15, "actions").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// 0.
    Connect,
    /// 1.
    Announce,
    /// 2.
    Scrape,
    /// 3 (responses only).
    Error,
    /// Anything else.
    Unknown(u32),
}

impl From<u32> for Action {
    fn from(value: u32) -> Self {
        match value {
            0 => Self::Connect,
            1 => Self::Announce,
            2 => Self::Scrape,
            3 => Self::Error,
            other => Self::Unknown(other),
        }
    }
}

/// The `event` of an announce request (BEP 15, "announce").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// 0: a regular announce.
    None,
    /// 1: the download completed.
    Completed,
    /// 2: the download started.
    Started,
    /// 3: the download stopped.
    Stopped,
    /// Any other value.
    Unknown(u32),
}

impl From<u32> for Event {
    fn from(value: u32) -> Self {
        match value {
            0 => Self::None,
            1 => Self::Completed,
            2 => Self::Started,
            3 => Self::Stopped,
            other => Self::Unknown(other),
        }
    }
}

/// The address family the tracker was reached over; it decides the peer size in an announce
/// response: 6 bytes (IPv4 + port) or 18 bytes (IPv6 + port).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddressFamily {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl AddressFamily {
    const fn peer_len(self) -> usize {
        match self {
            Self::V4 => compact::V4_LEN,
            Self::V6 => compact::V6_LEN,
        }
    }
}

/// Why a datagram is not a UDP tracker message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Shorter than the smallest message of its kind.
    Truncated {
        /// Bytes the form needs at least.
        required: usize,
        /// Bytes the datagram has.
        available: usize,
    },
    /// The length does not fit the message form of `action` (e.g. a peer list that is not a
    /// whole number of entries, or a connect message that is not 16 bytes).
    Length {
        /// The action read from the datagram.
        action: Action,
        /// The datagram's length.
        len: usize,
    },
    /// The action is not one the form allows (e.g. 3 in a request, or > 3).
    Action(Action),
    /// A connect request whose connection id is not [`PROTOCOL_ID`].
    ProtocolId(u64),
    /// A BEP 41 option in an announce request runs past the datagram.
    Option {
        /// Offset of the option's type byte.
        offset: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated {
                required,
                available,
            } => write!(
                f,
                "UDP tracker: truncated: {required} bytes needed, {available} available"
            ),
            Self::Length { action, len } => {
                write!(
                    f,
                    "UDP tracker: {len} bytes do not fit a {action:?} message"
                )
            }
            Self::Action(action) => write!(f, "UDP tracker: unexpected action {action:?}"),
            Self::ProtocolId(id) => {
                write!(f, "UDP tracker: connect request with protocol id {id:#x}")
            }
            Self::Option { offset } => {
                write!(f, "UDP tracker: BEP 41 option at offset {offset} is cut")
            }
        }
    }
}

impl core::error::Error for Error {}

/// A parsed UDP tracker datagram; every variant borrows from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// Connect request (client → tracker).
    ConnectRequest {
        /// Chosen by the client, echoed in the response.
        transaction_id: u32,
    },
    /// Connect response (tracker → client).
    ConnectResponse {
        /// Echo of the request's.
        transaction_id: u32,
        /// The id the client uses in its next requests.
        connection_id: u64,
    },
    /// Announce request (client → tracker).
    AnnounceRequest(AnnounceRequest<'a>),
    /// Announce response (tracker → client).
    AnnounceResponse(AnnounceResponse<'a>),
    /// Scrape request (client → tracker).
    ScrapeRequest(ScrapeRequest<'a>),
    /// Scrape response (tracker → client).
    ScrapeResponse(ScrapeResponse<'a>),
    /// Error (tracker → client).
    Error(ErrorResponse<'a>),
}

impl<'a> Message<'a> {
    /// The transaction id, present in every form.
    #[must_use]
    pub fn transaction_id(&self) -> u32 {
        match self {
            Self::ConnectRequest { transaction_id }
            | Self::ConnectResponse { transaction_id, .. } => *transaction_id,
            Self::AnnounceRequest(m) => m.transaction_id(),
            Self::AnnounceResponse(m) => m.transaction_id(),
            Self::ScrapeRequest(m) => m.transaction_id(),
            Self::ScrapeResponse(m) => m.transaction_id(),
            Self::Error(m) => m.transaction_id(),
        }
    }

    /// The connection id: issued by a connect response, or quoted by an announce or scrape
    /// request. `None` for the other forms.
    #[must_use]
    pub fn connection_id(&self) -> Option<u64> {
        match self {
            Self::ConnectResponse { connection_id, .. } => Some(*connection_id),
            Self::AnnounceRequest(m) => Some(m.connection_id()),
            Self::ScrapeRequest(m) => Some(m.connection_id()),
            _ => None,
        }
    }

    /// The action of this form.
    #[must_use]
    pub fn action(&self) -> Action {
        match self {
            Self::ConnectRequest { .. } | Self::ConnectResponse { .. } => Action::Connect,
            Self::AnnounceRequest(_) | Self::AnnounceResponse(_) => Action::Announce,
            Self::ScrapeRequest(_) | Self::ScrapeResponse(_) => Action::Scrape,
            Self::Error(_) => Action::Error,
        }
    }

    /// True for the forms a client sends.
    #[must_use]
    pub fn is_request(&self) -> bool {
        matches!(
            self,
            Self::ConnectRequest { .. } | Self::AnnounceRequest(_) | Self::ScrapeRequest(_)
        )
    }

    /// The info-hash of an announce request.
    #[must_use]
    pub fn info_hash(&self) -> Option<&'a [u8; 20]> {
        match self {
            Self::AnnounceRequest(m) => Some(m.info_hash()),
            _ => None,
        }
    }
}

/// Parse one datagram; `sender` is the side of the flow that sent it, if known
/// ([`Direction::Initiator`] = the client). See the module docs for the rule without a hint.
///
/// # Errors
/// The error of the form the datagram was read as (see [`parse_request`], [`parse_response`]).
pub fn parse(
    datagram: &[u8],
    sender: Option<Direction>,
    family: AddressFamily,
) -> Result<Message<'_>, Error> {
    match sender {
        Some(Direction::Initiator) => parse_request(datagram),
        Some(Direction::Responder) => parse_response(datagram, family),
        None => {
            let starts_with_action = be_u32(datagram, field::ACTION).is_some_and(|a| a <= 3);
            if starts_with_action {
                parse_response(datagram, family).or_else(|e| parse_request(datagram).map_err(|_| e))
            } else {
                parse_request(datagram)
            }
        }
    }
}

/// Parse a datagram sent by a client: a connect, announce or scrape request.
///
/// # Errors
/// [`Error::Truncated`] below 16 bytes (or 98 for an announce), [`Error::ProtocolId`] for a
/// connect request without the magic, [`Error::Length`] for a connect request that is not 16
/// bytes or a scrape request that is not 16 + 20n, [`Error::Action`] for actions other than
/// 0..=2, [`Error::Option`] for a cut BEP 41 option.
pub fn parse_request(datagram: &[u8]) -> Result<Message<'_>, Error> {
    let (Some(connection_id), Some(action), Some(transaction_id)) = (
        be_u64(datagram, field::CONNECTION_ID),
        be_u32(datagram, field::REQUEST_ACTION),
        be_u32(datagram, field::REQUEST_TRANSACTION_ID),
    ) else {
        return Err(truncated(field::CONNECT_LEN, datagram));
    };
    let action = Action::from(action);
    match action {
        Action::Connect => {
            if connection_id != PROTOCOL_ID {
                return Err(Error::ProtocolId(connection_id));
            }
            if datagram.len() != field::CONNECT_LEN {
                return Err(length(action, datagram));
            }
            Ok(Message::ConnectRequest { transaction_id })
        }
        Action::Announce => AnnounceRequest::new_checked(datagram).map(Message::AnnounceRequest),
        Action::Scrape => ScrapeRequest::new_checked(datagram).map(Message::ScrapeRequest),
        Action::Error | Action::Unknown(_) => Err(Error::Action(action)),
    }
}

/// Parse a datagram sent by a tracker reached over `family`.
///
/// # Errors
/// [`Error::Truncated`] below 8 bytes (16 for connect, 20 for announce), [`Error::Length`]
/// for a connect response that is not 16 bytes, a peer list that is not whole entries or a
/// scrape response that is not 8 + 12n (n ≥ 1), [`Error::Action`] for actions above 3.
pub fn parse_response(datagram: &[u8], family: AddressFamily) -> Result<Message<'_>, Error> {
    let (Some(action), Some(transaction_id)) = (
        be_u32(datagram, field::ACTION),
        be_u32(datagram, field::TRANSACTION_ID),
    ) else {
        return Err(truncated(field::ERROR_HEADER_LEN, datagram));
    };
    let action = Action::from(action);
    match action {
        Action::Connect => {
            let Some(connection_id) = be_u64(datagram, field::CONNECT_CONNECTION_ID) else {
                return Err(truncated(field::CONNECT_LEN, datagram));
            };
            if datagram.len() != field::CONNECT_LEN {
                return Err(length(action, datagram));
            }
            Ok(Message::ConnectResponse {
                transaction_id,
                connection_id,
            })
        }
        Action::Announce => {
            AnnounceResponse::new_checked(datagram, family).map(Message::AnnounceResponse)
        }
        Action::Scrape => ScrapeResponse::new_checked(datagram).map(Message::ScrapeResponse),
        Action::Error => Ok(Message::Error(ErrorResponse { data: datagram })),
        Action::Unknown(_) => Err(Error::Action(action)),
    }
}

/// True if `datagram` is a connect request: 16 bytes, the protocol id, action 0 — the
/// strongest single-datagram evidence BEP 15 offers.
#[must_use]
pub fn is_connect_request(datagram: &[u8]) -> bool {
    matches!(parse_request(datagram), Ok(Message::ConnectRequest { .. }))
}

fn truncated(required: usize, datagram: &[u8]) -> Error {
    Error::Truncated {
        required,
        available: datagram.len(),
    }
}

fn length(action: Action, datagram: &[u8]) -> Error {
    Error::Length {
        action,
        len: datagram.len(),
    }
}

/// An announce request (BEP 15, "announce"), with BEP 41 options after byte 98.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnnounceRequest<'a> {
    data: &'a [u8],
}

impl<'a> AnnounceRequest<'a> {
    /// Check the length, the action and the option chain.
    ///
    /// # Errors
    /// [`Error::Truncated`] below 98 bytes, [`Error::Action`] unless the action is 1,
    /// [`Error::Option`] if a BEP 41 option runs past the datagram.
    pub fn new_checked(data: &'a [u8]) -> Result<Self, Error> {
        if data.len() < field::ANNOUNCE_REQUEST_LEN {
            return Err(truncated(field::ANNOUNCE_REQUEST_LEN, data));
        }
        let action = Action::from(be_u32(data, field::REQUEST_ACTION).unwrap_or_default());
        if action != Action::Announce {
            return Err(Error::Action(action));
        }
        let view = Self { data };
        let mut options = view.options();
        for _ in options.by_ref() {}
        match options.error {
            Some(offset) => Err(Error::Option { offset }),
            None => Ok(view),
        }
    }

    /// The connection id from the connect response.
    #[must_use]
    pub fn connection_id(&self) -> u64 {
        be_u64(self.data, field::CONNECTION_ID).unwrap_or_default()
    }

    /// The transaction id.
    #[must_use]
    pub fn transaction_id(&self) -> u32 {
        be_u32(self.data, field::REQUEST_TRANSACTION_ID).unwrap_or_default()
    }

    /// The info-hash (for a BEP 52 v2 torrent, the first 20 bytes of the SHA-256 hash).
    #[must_use]
    pub fn info_hash(&self) -> &'a [u8; 20] {
        hash_at(self.data, field::INFO_HASH)
    }

    /// The client's peer id.
    #[must_use]
    pub fn peer_id(&self) -> &'a [u8; 20] {
        hash_at(self.data, field::PEER_ID)
    }

    /// Bytes downloaded.
    #[must_use]
    pub fn downloaded(&self) -> u64 {
        be_u64(self.data, field::DOWNLOADED).unwrap_or_default()
    }

    /// Bytes left.
    #[must_use]
    pub fn left(&self) -> u64 {
        be_u64(self.data, field::LEFT).unwrap_or_default()
    }

    /// Bytes uploaded.
    #[must_use]
    pub fn uploaded(&self) -> u64 {
        be_u64(self.data, field::UPLOADED).unwrap_or_default()
    }

    /// The event.
    #[must_use]
    pub fn event(&self) -> Event {
        Event::from(be_u32(self.data, field::EVENT).unwrap_or_default())
    }

    /// The IPv4 address the client asks the tracker to use (0 = the sender's).
    #[must_use]
    pub fn ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(be_u32(self.data, field::IP).unwrap_or_default())
    }

    /// The key.
    #[must_use]
    pub fn key(&self) -> u32 {
        be_u32(self.data, field::KEY).unwrap_or_default()
    }

    /// Peers wanted (-1 = the tracker's default).
    #[must_use]
    pub fn num_want(&self) -> i32 {
        i32::from_be_bytes(array(self.data, field::NUM_WANT).unwrap_or_default())
    }

    /// The client's listening port.
    #[must_use]
    pub fn port(&self) -> u16 {
        be_u16(self.data, field::PORT).unwrap_or_default()
    }

    /// The BEP 41 options after byte 98, up to an end-of-options option.
    #[must_use]
    pub fn options(&self) -> Options<'a> {
        Options {
            data: self.data,
            offset: field::ANNOUNCE_REQUEST_LEN,
            error: None,
        }
    }

    /// True if the fields hold values real clients send: a known event and `num_want ≥ -1`.
    #[must_use]
    pub fn is_plausible(&self) -> bool {
        !matches!(self.event(), Event::Unknown(_)) && self.num_want() >= -1
    }

    /// True if the peer id follows a client convention (BEP 20): a client
    /// [`crate::Client::from_peer_id`] names, or any Azureus-style prefix `-XXvvvv-` (two
    /// letters, four letters or digits). Random bytes have such a prefix about once in 2^29;
    /// zero padding (an EDNS query read as an announce) never.
    #[must_use]
    pub fn peer_id_is_conventional(&self) -> bool {
        let id = self.peer_id();
        let azureus = matches!(id, [b'-', a, b, v @ .., b'-', _, _, _, _, _, _, _, _, _, _, _, _]
            if a.is_ascii_alphabetic() && b.is_ascii_alphabetic()
                && v.len() == 4 && v.iter().all(u8::is_ascii_alphanumeric));
        azureus || crate::Client::from_peer_id(id).is_some()
    }
}

/// A 20-byte hash at `offset` of a checked view (all zeros cannot happen after the length
/// check, but the fallback keeps the accessor total).
fn hash_at(data: &[u8], offset: usize) -> &[u8; 20] {
    const ZERO: [u8; 20] = [0; 20];
    offset
        .checked_add(field::INFO_HASH_LEN)
        .and_then(|end| data.get(offset..end))
        .and_then(|s| <&[u8; 20]>::try_from(s).ok())
        .unwrap_or(&ZERO)
}

/// A BEP 41 option of an announce request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnounceOption<'a> {
    /// 0x1: no operation (padding).
    Nop,
    /// 0x2: part of the announce URL's path and query; several are concatenated.
    UrlData(&'a [u8]),
    /// Any other type (≥ 0x3), skipped by its length byte.
    Unknown {
        /// The type byte.
        kind: u8,
        /// The option's bytes.
        data: &'a [u8],
    },
}

/// Iterator over the BEP 41 options of an [`AnnounceRequest`]: type 0x0 ends the list (bytes
/// after it are ignored), 0x1 is a single byte, every other type has a length byte
/// (BEP 41; libtorrent `send_udp_announce` writes one URLData option).
#[derive(Clone, Debug)]
pub struct Options<'a> {
    data: &'a [u8],
    offset: usize,
    error: Option<usize>,
}

impl<'a> Iterator for Options<'a> {
    type Item = AnnounceOption<'a>;

    fn next(&mut self) -> Option<AnnounceOption<'a>> {
        let kind = u8_at(self.data, self.offset)?;
        let start = self.offset;
        match kind {
            0 => {
                self.offset = self.data.len();
                None
            }
            1 => {
                self.offset = start.saturating_add(1);
                Some(AnnounceOption::Nop)
            }
            _ => {
                let body = start.saturating_add(2);
                let option = u8_at(self.data, start.saturating_add(1))
                    .map(|len| body.saturating_add(usize::from(len)))
                    .and_then(|end| Some((self.data.get(body..end)?, end)));
                let Some((bytes, end)) = option else {
                    self.error = Some(start);
                    self.offset = self.data.len();
                    return None;
                };
                self.offset = end;
                Some(if kind == 2 {
                    AnnounceOption::UrlData(bytes)
                } else {
                    AnnounceOption::Unknown { kind, data: bytes }
                })
            }
        }
    }
}

/// An announce response (BEP 15, "announce").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnnounceResponse<'a> {
    data: &'a [u8],
    family: AddressFamily,
}

impl<'a> AnnounceResponse<'a> {
    /// Check the action and that the peer list is whole entries of `family`.
    ///
    /// # Errors
    /// [`Error::Truncated`] below 20 bytes, [`Error::Action`] unless the action is 1,
    /// [`Error::Length`] if the peer list is not a multiple of 6 (IPv4) or 18 (IPv6) bytes.
    pub fn new_checked(data: &'a [u8], family: AddressFamily) -> Result<Self, Error> {
        if data.len() < field::ANNOUNCE_RESPONSE_HEADER_LEN {
            return Err(truncated(field::ANNOUNCE_RESPONSE_HEADER_LEN, data));
        }
        let action = Action::from(be_u32(data, field::ACTION).unwrap_or_default());
        if action != Action::Announce {
            return Err(Error::Action(action));
        }
        let peers = data
            .len()
            .saturating_sub(field::ANNOUNCE_RESPONSE_HEADER_LEN);
        if peers.checked_rem(family.peer_len()) != Some(0) {
            return Err(length(action, data));
        }
        Ok(Self { data, family })
    }

    /// The transaction id.
    #[must_use]
    pub fn transaction_id(&self) -> u32 {
        be_u32(self.data, field::TRANSACTION_ID).unwrap_or_default()
    }

    /// Seconds until the next announce.
    #[must_use]
    pub fn interval(&self) -> u32 {
        be_u32(self.data, field::INTERVAL).unwrap_or_default()
    }

    /// Peers still downloading.
    #[must_use]
    pub fn leechers(&self) -> u32 {
        be_u32(self.data, field::LEECHERS).unwrap_or_default()
    }

    /// Peers with the whole torrent.
    #[must_use]
    pub fn seeders(&self) -> u32 {
        be_u32(self.data, field::SEEDERS).unwrap_or_default()
    }

    /// The peers, as `(address, port)`.
    #[must_use]
    pub fn peers(&self) -> Peers<'a> {
        Peers::new(
            self.data
                .get(field::ANNOUNCE_RESPONSE_HEADER_LEN..)
                .unwrap_or_default(),
            self.family,
        )
    }
}

/// Iterator over compact peers: 4-byte IPv4 or 16-byte IPv6 address, then a 2-byte port
/// (BEP 15 announce responses, BEP 23 and BEP 7 compact forms, BEP 5 `values`).
#[derive(Clone, Debug)]
pub struct Peers<'a> {
    chunks: core::slice::ChunksExact<'a, u8>,
}

impl<'a> Peers<'a> {
    /// Compact peers of `family` in `data`; a trailing partial entry is not yielded.
    #[must_use]
    pub fn new(data: &'a [u8], family: AddressFamily) -> Self {
        Self {
            chunks: data.chunks_exact(family.peer_len()),
        }
    }
}

impl Iterator for Peers<'_> {
    type Item = (IpAddr, u16);

    fn next(&mut self) -> Option<(IpAddr, u16)> {
        let peer = compact::entry(self.chunks.next()?)?;
        Some((peer.ip(), peer.port()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

impl ExactSizeIterator for Peers<'_> {}

/// A scrape request (BEP 15, "scrape").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScrapeRequest<'a> {
    data: &'a [u8],
}

impl<'a> ScrapeRequest<'a> {
    /// Check the action and that the rest is one or more whole info-hashes.
    ///
    /// # Errors
    /// [`Error::Truncated`] below 36 bytes, [`Error::Action`] unless the action is 2,
    /// [`Error::Length`] unless the length is 16 + 20n.
    pub fn new_checked(data: &'a [u8]) -> Result<Self, Error> {
        let min = field::SCRAPE_REQUEST_HEADER_LEN.saturating_add(field::INFO_HASH_LEN);
        if data.len() < min {
            return Err(truncated(min, data));
        }
        let action = Action::from(be_u32(data, field::REQUEST_ACTION).unwrap_or_default());
        if action != Action::Scrape {
            return Err(Error::Action(action));
        }
        let hashes = data.len().saturating_sub(field::SCRAPE_REQUEST_HEADER_LEN);
        if hashes.checked_rem(field::INFO_HASH_LEN) != Some(0) {
            return Err(length(action, data));
        }
        Ok(Self { data })
    }

    /// The connection id from the connect response.
    #[must_use]
    pub fn connection_id(&self) -> u64 {
        be_u64(self.data, field::CONNECTION_ID).unwrap_or_default()
    }

    /// The transaction id.
    #[must_use]
    pub fn transaction_id(&self) -> u32 {
        be_u32(self.data, field::REQUEST_TRANSACTION_ID).unwrap_or_default()
    }

    /// The info-hashes asked about.
    pub fn info_hashes(&self) -> impl Iterator<Item = &'a [u8; 20]> + 'a {
        self.data
            .get(field::SCRAPE_REQUEST_HEADER_LEN..)
            .unwrap_or_default()
            .chunks_exact(field::INFO_HASH_LEN)
            .filter_map(|c| <&[u8; 20]>::try_from(c).ok())
    }
}

/// One torrent's counts in a scrape response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScrapeEntry {
    /// Peers with the whole torrent.
    pub seeders: u32,
    /// Completed downloads.
    pub completed: u32,
    /// Peers still downloading.
    pub leechers: u32,
}

/// A scrape response (BEP 15, "scrape").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScrapeResponse<'a> {
    data: &'a [u8],
}

impl<'a> ScrapeResponse<'a> {
    /// Check the action and that the rest is one or more whole 12-byte entries.
    ///
    /// # Errors
    /// [`Error::Truncated`] below 20 bytes, [`Error::Action`] unless the action is 2,
    /// [`Error::Length`] unless the length is 8 + 12n.
    pub fn new_checked(data: &'a [u8]) -> Result<Self, Error> {
        let min = field::SCRAPE_RESPONSE_HEADER_LEN.saturating_add(field::SCRAPE_ENTRY_LEN);
        if data.len() < min {
            return Err(truncated(min, data));
        }
        let action = Action::from(be_u32(data, field::ACTION).unwrap_or_default());
        if action != Action::Scrape {
            return Err(Error::Action(action));
        }
        let entries = data.len().saturating_sub(field::SCRAPE_RESPONSE_HEADER_LEN);
        if entries.checked_rem(field::SCRAPE_ENTRY_LEN) != Some(0) {
            return Err(length(action, data));
        }
        Ok(Self { data })
    }

    /// The transaction id.
    #[must_use]
    pub fn transaction_id(&self) -> u32 {
        be_u32(self.data, field::TRANSACTION_ID).unwrap_or_default()
    }

    /// The entries, in the order of the request's info-hashes.
    pub fn entries(&self) -> impl Iterator<Item = ScrapeEntry> + 'a {
        self.data
            .get(field::SCRAPE_RESPONSE_HEADER_LEN..)
            .unwrap_or_default()
            .chunks_exact(field::SCRAPE_ENTRY_LEN)
            .map(|c| ScrapeEntry {
                seeders: be_u32(c, 0).unwrap_or_default(),
                completed: be_u32(c, 4).unwrap_or_default(),
                leechers: be_u32(c, 8).unwrap_or_default(),
            })
    }
}

/// An error response (BEP 15, "errors").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorResponse<'a> {
    data: &'a [u8],
}

impl<'a> ErrorResponse<'a> {
    /// The transaction id.
    #[must_use]
    pub fn transaction_id(&self) -> u32 {
        be_u32(self.data, field::TRANSACTION_ID).unwrap_or_default()
    }

    /// The message text (not NUL-terminated; may be empty).
    #[must_use]
    pub fn message(&self) -> &'a [u8] {
        self.data.get(field::ERROR_HEADER_LEN..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv6Addr;
    use std::vec::Vec;

    const TXID: u32 = 0x1a2b_3c4d;
    const CONN: u64 = 0x9b2c_e4f1_0a55_7d03;
    const HASH: [u8; 20] =
        *b"\x12\x34\x56\x78\x9a\xbc\xde\xf0\x12\x34\x56\x78\x9a\xbc\xde\xf0\x12\x34\x56\x78";

    fn connect_request() -> Vec<u8> {
        let mut v = PROTOCOL_ID.to_be_bytes().to_vec();
        v.extend_from_slice(&0u32.to_be_bytes());
        v.extend_from_slice(&TXID.to_be_bytes());
        v
    }

    fn connect_response() -> Vec<u8> {
        let mut v = 0u32.to_be_bytes().to_vec();
        v.extend_from_slice(&TXID.to_be_bytes());
        v.extend_from_slice(&CONN.to_be_bytes());
        v
    }

    /// libtorrent `send_udp_announce` with URLData "/announce".
    fn announce_request(url: &[u8]) -> Vec<u8> {
        let mut v = CONN.to_be_bytes().to_vec();
        v.extend_from_slice(&1u32.to_be_bytes());
        v.extend_from_slice(&TXID.to_be_bytes());
        v.extend_from_slice(&HASH);
        v.extend_from_slice(b"-qB4630-abcdefghijkl");
        v.extend_from_slice(&0u64.to_be_bytes());
        v.extend_from_slice(&1_048_576u64.to_be_bytes());
        v.extend_from_slice(&0u64.to_be_bytes());
        v.extend_from_slice(&2u32.to_be_bytes()); // started
        v.extend_from_slice(&0u32.to_be_bytes());
        v.extend_from_slice(&0xdead_beefu32.to_be_bytes());
        v.extend_from_slice(&200i32.to_be_bytes());
        v.extend_from_slice(&6881u16.to_be_bytes());
        if !url.is_empty() {
            v.push(2);
            v.push(u8::try_from(url.len()).unwrap());
            v.extend_from_slice(url);
        }
        v
    }

    fn announce_response(peers: &[u8]) -> Vec<u8> {
        let mut v = 1u32.to_be_bytes().to_vec();
        v.extend_from_slice(&TXID.to_be_bytes());
        v.extend_from_slice(&1800u32.to_be_bytes());
        v.extend_from_slice(&3u32.to_be_bytes());
        v.extend_from_slice(&7u32.to_be_bytes());
        v.extend_from_slice(peers);
        v
    }

    #[test]
    fn connect_exchange() {
        let req = connect_request();
        assert_eq!(
            parse(&req, None, AddressFamily::V4),
            Ok(Message::ConnectRequest {
                transaction_id: TXID
            })
        );
        assert!(is_connect_request(&req));
        let resp = connect_response();
        let m = parse(&resp, None, AddressFamily::V4).unwrap();
        assert_eq!(
            m,
            Message::ConnectResponse {
                transaction_id: TXID,
                connection_id: CONN
            }
        );
        assert_eq!(m.connection_id(), Some(CONN));
        assert!(!m.is_request());
        // A connect request with one extra byte, or without the magic, is not one.
        let mut long = req.clone();
        long.push(0);
        assert!(!is_connect_request(&long));
        let mut magic = req.clone();
        magic[7] ^= 1;
        assert!(matches!(parse_request(&magic), Err(Error::ProtocolId(_))));
    }

    #[test]
    fn announce_request_with_bep41_url() {
        let raw = announce_request(b"/announce?passkey=abc");
        let m = parse(&raw, Some(Direction::Initiator), AddressFamily::V4).unwrap();
        assert_eq!(parse(&raw, None, AddressFamily::V4), Ok(m));
        let Message::AnnounceRequest(a) = m else {
            panic!("not an announce: {m:?}")
        };
        assert_eq!(m.info_hash(), Some(&HASH));
        assert_eq!(m.transaction_id(), TXID);
        assert_eq!(a.connection_id(), CONN);
        assert_eq!(a.peer_id(), b"-qB4630-abcdefghijkl");
        assert_eq!(a.left(), 1_048_576);
        assert_eq!(a.event(), Event::Started);
        assert_eq!(a.ip(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(a.key(), 0xdead_beef);
        assert_eq!(a.num_want(), 200);
        assert_eq!(a.port(), 6881);
        assert!(a.is_plausible());
        let opts: Vec<_> = a.options().collect();
        assert_eq!(opts, [AnnounceOption::UrlData(b"/announce?passkey=abc")]);
        // Plain 98 bytes; NOP then end of options then junk.
        let plain = announce_request(b"");
        assert_eq!(plain.len(), 98);
        assert!(parse_request(&plain).is_ok());
        let mut padded = plain.clone();
        padded.extend_from_slice(&[1, 0, 0xff, 0xff]);
        let Ok(Message::AnnounceRequest(a)) = parse_request(&padded) else {
            panic!()
        };
        assert_eq!(a.options().collect::<Vec<_>>(), [AnnounceOption::Nop]);
        // A cut option.
        let mut cut = plain;
        cut.extend_from_slice(&[2, 9, b'/']);
        assert_eq!(parse_request(&cut), Err(Error::Option { offset: 98 }));
    }

    #[test]
    fn announce_response_peers_v4_and_v6() {
        let v4 = announce_response(&[10, 0, 0, 1, 0x1a, 0xe1, 192, 168, 1, 2, 0xc8, 0xd5]);
        let Ok(Message::AnnounceResponse(r)) = parse(&v4, None, AddressFamily::V4) else {
            panic!()
        };
        assert_eq!(r.interval(), 1800);
        assert_eq!(r.leechers(), 3);
        assert_eq!(r.seeders(), 7);
        let peers: Vec<_> = r.peers().collect();
        assert_eq!(
            peers,
            [
                (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 6881),
                (IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2)), 51413)
            ]
        );
        let mut p6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)
            .octets()
            .to_vec();
        p6.extend_from_slice(&6881u16.to_be_bytes());
        let v6 = announce_response(&p6);
        let Ok(Message::AnnounceResponse(r)) = parse_response(&v6, AddressFamily::V6) else {
            panic!()
        };
        assert_eq!(r.peers().len(), 1);
        assert_eq!(
            r.peers().next(),
            Some((
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
                6881
            ))
        );
        // 12 bytes of peers are not whole IPv6 entries; 18 bytes are three IPv4 entries, which
        // is why the flow must say which family the tracker was reached over.
        assert!(matches!(
            parse_response(&v4, AddressFamily::V6),
            Err(Error::Length { .. })
        ));
        assert!(parse_response(&v6, AddressFamily::V4).is_ok());
        // No peers at all is fine.
        assert!(parse_response(&announce_response(&[]), AddressFamily::V4).is_ok());
    }

    #[test]
    fn scrape_and_error() {
        let mut req = CONN.to_be_bytes().to_vec();
        req.extend_from_slice(&2u32.to_be_bytes());
        req.extend_from_slice(&TXID.to_be_bytes());
        req.extend_from_slice(&HASH);
        req.extend_from_slice(&[0xab; 20]);
        let Ok(Message::ScrapeRequest(s)) = parse(&req, None, AddressFamily::V4) else {
            panic!()
        };
        assert_eq!(s.info_hashes().collect::<Vec<_>>(), [&HASH, &[0xab; 20]]);
        let mut resp = 2u32.to_be_bytes().to_vec();
        resp.extend_from_slice(&TXID.to_be_bytes());
        for n in [5u32, 100, 2] {
            resp.extend_from_slice(&n.to_be_bytes());
        }
        let Ok(Message::ScrapeResponse(s)) = parse(&resp, None, AddressFamily::V4) else {
            panic!()
        };
        assert_eq!(
            s.entries().collect::<Vec<_>>(),
            [ScrapeEntry {
                seeders: 5,
                completed: 100,
                leechers: 2
            }]
        );
        let mut err = 3u32.to_be_bytes().to_vec();
        err.extend_from_slice(&TXID.to_be_bytes());
        err.extend_from_slice(b"torrent not registered");
        let Ok(Message::Error(e)) = parse(&err, None, AddressFamily::V4) else {
            panic!()
        };
        assert_eq!(e.message(), b"torrent not registered");
        assert_eq!(Message::Error(e).transaction_id(), TXID);
        // An error can never be a request.
        assert!(parse(&err, Some(Direction::Initiator), AddressFamily::V4).is_err());
    }

    #[test]
    fn truncation_at_every_length_is_an_error() {
        // Each form with the prefix lengths that are themselves valid messages: the 98-byte
        // announce without options, the 20-byte announce response without peers.
        let forms: [(Vec<u8>, Option<Direction>, Option<usize>); 4] = [
            (connect_request(), Some(Direction::Initiator), None),
            (connect_response(), Some(Direction::Responder), None),
            (
                announce_request(b"/a"),
                Some(Direction::Initiator),
                Some(98),
            ),
            (
                announce_response(&[1, 2, 3, 4, 5, 6]),
                Some(Direction::Responder),
                Some(20),
            ),
        ];
        for (raw, dir, valid_prefix) in forms {
            assert!(parse(&raw, dir, AddressFamily::V4).is_ok());
            for len in 0..raw.len() {
                if Some(len) == valid_prefix {
                    continue;
                }
                assert!(
                    parse(&raw[..len], dir, AddressFamily::V4).is_err(),
                    "{len} of {raw:?}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            for dir in [None, Some(Direction::Initiator), Some(Direction::Responder)] {
                for family in [AddressFamily::V4, AddressFamily::V6] {
                    if let Ok(m) = parse(&data, dir, family) {
                        let _ = (m.transaction_id(), m.connection_id(), m.info_hash());
                        match m {
                            Message::AnnounceRequest(a) => { let _ = a.options().count(); }
                            Message::AnnounceResponse(a) => { let _ = a.peers().count(); }
                            Message::ScrapeRequest(s) => { let _ = s.info_hashes().count(); }
                            Message::ScrapeResponse(s) => { let _ = s.entries().count(); }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
}
