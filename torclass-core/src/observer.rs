//! What the classifier extracts besides the verdict: info-hash, peer ids, client names, ports,
//! DHT node ids and peer endpoints.
//!
//! The per-flow state keeps none of this (invariant 2): the classifier hands each piece to an
//! [`Observer`] the moment it reads it, borrowed from the caller's payload, with the offset of
//! the piece inside its field, so a field cut across segments is reassembled by whoever wants it.
//! [`Metadata`] is the fixed-size observer most callers use; [`NoObserver`] discards everything.

use core::net::SocketAddr;

use crate::info_hash::InfoHash;
use crate::verdict::Direction;

mod snapshot;

/// A byte field the classifier can extract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Field {
    /// The info-hash: 20 bytes (BEP 3; v2's truncated SHA-256, BEP 52) or 32 (a `urn:btmh:`
    /// magnet, BEP 9).
    InfoHash = 1,
    /// A peer id (20 bytes, BEP 20), from a handshake or a tracker request.
    PeerId = 2,
    /// A client name and version as the client wrote it (BEP 10 `v`, KRPC `v`).
    ClientName = 3,
    /// A DHT node id (20 bytes, BEP 5).
    DhtNodeId = 4,
    /// The endpoint a client asked a proxy for (a SOCKS request, an HTTP `CONNECT`, a SOCKS 5
    /// UDP header), in the encoding [`crate::wire::proxy`] documents.
    ProxyTarget = 5,
}

/// A number the classifier can extract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Number {
    /// The port a peer listens on (BEP 10 `p`, a tracker request's `port`, LSD `Port`).
    ListenPort = 1,
}

/// Where a peer endpoint was learned (for the endpoint cache).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum EndpointSource {
    /// A BEP 11 PEX `added`/`added6` entry.
    Pex = 1,
    /// A tracker reply's peer list (HTTP or UDP).
    Tracker = 2,
    /// A DHT `values` entry or `announce_peer`.
    Dht = 3,
    /// An LSD announcement.
    Lsd = 4,
    /// A port a peer announced for itself (BEP 10 `p`, a tracker request's `port`, LSD
    /// `Port`), at the address it sent from.
    ListenPort = 5,
    /// An endpoint of a flow already confirmed as BitTorrent.
    Flow = 6,
    /// The endpoint a client asked a proxy for: a SOCKS or HTTP `CONNECT` request whose
    /// tunnelled stream was confirmed as BitTorrent, or the destination of a SOCKS 5 UDP
    /// datagram that carried BitTorrent.
    Proxy = 7,
}

impl EndpointSource {
    /// Every source, by number.
    pub const ALL: [Self; 7] = [
        Self::Pex,
        Self::Tracker,
        Self::Dht,
        Self::Lsd,
        Self::ListenPort,
        Self::Flow,
        Self::Proxy,
    ];

    /// The source numbered `number` (its `u8` value), if any.
    #[must_use]
    pub fn from_number(number: u8) -> Option<Self> {
        // `ALL` lists them by number, from 1.
        Self::ALL.get(usize::from(number).checked_sub(1)?).copied()
    }
}

/// Receives what the classifier extracts. Every method has an empty default.
///
/// ```
/// use torclass_core::observer::{Field, Observer};
/// use torclass_core::{Direction, FlowClassifier, Transport};
///
/// /// Keeps the first bytes of each peer id it is shown.
/// #[derive(Default)]
/// struct PeerIds([[u8; 20]; 2]);
///
/// impl Observer for PeerIds {
///     fn field(&mut self, direction: Direction, field: Field, offset: u32, bytes: &[u8]) {
///         if field == Field::PeerId {
///             let id = &mut self.0[direction.index()];
///             for (i, b) in bytes.iter().enumerate() {
///                 if let Some(slot) = id.get_mut(offset as usize + i) {
///                     *slot = *b;
///                 }
///             }
///         }
///     }
/// }
///
/// let mut handshake = b"\x13BitTorrent protocol".to_vec();
/// handshake.extend_from_slice(&[0; 8]);
/// handshake.extend_from_slice(&[0xab; 20]);
/// handshake.extend_from_slice(b"-qB4650-abcdefghijkl");
/// let mut ids = PeerIds::default();
/// FlowClassifier::new(Transport::Tcp).feed_with(Direction::Initiator, &handshake, &mut ids);
/// assert_eq!(&ids.0[0], b"-qB4650-abcdefghijkl");
/// ```
pub trait Observer {
    /// `bytes` of `field`, sent by `direction`, starting at `offset` within the field.
    fn field(&mut self, direction: Direction, field: Field, offset: u32, bytes: &[u8]) {
        let _ = (direction, field, offset, bytes);
    }

    /// A number sent by `direction`.
    fn number(&mut self, direction: Direction, number: Number, value: u64) {
        let _ = (direction, number, value);
    }

    /// A peer endpoint named by the traffic.
    fn endpoint(&mut self, source: EndpointSource, endpoint: SocketAddr) {
        let _ = (source, endpoint);
    }

    /// The endpoint the flow's client asked a proxy for, if this observer kept it
    /// ([`Field::ProxyTarget`]) and it is an address: a flow table learns it as a peer
    /// ([`EndpointSource::Proxy`]) once the tunnelled stream is confirmed as BitTorrent.
    fn proxy_peer(&self) -> Option<SocketAddr> {
        None
    }
}

/// An observer that keeps nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}

/// An observer lent to the classifier: `flow.feed_with(d, bytes, &mut &mut meta)` or, more
/// usefully, one slot of a tuple.
impl<O: Observer + ?Sized> Observer for &mut O {
    fn field(&mut self, direction: Direction, field: Field, offset: u32, bytes: &[u8]) {
        (**self).field(direction, field, offset, bytes);
    }

    fn number(&mut self, direction: Direction, number: Number, value: u64) {
        (**self).number(direction, number, value);
    }

    fn endpoint(&mut self, source: EndpointSource, endpoint: SocketAddr) {
        (**self).endpoint(source, endpoint);
    }

    fn proxy_peer(&self) -> Option<SocketAddr> {
        (**self).proxy_peer()
    }
}

/// Two observers fed the same events, in order: say [`Metadata`] and an
/// [`EndpointCache`](crate::EndpointCache) learner of your own. The first one's
/// [`Observer::proxy_peer`] wins.
impl<A: Observer, B: Observer> Observer for (A, B) {
    fn field(&mut self, direction: Direction, field: Field, offset: u32, bytes: &[u8]) {
        self.0.field(direction, field, offset, bytes);
        self.1.field(direction, field, offset, bytes);
    }

    fn number(&mut self, direction: Direction, number: Number, value: u64) {
        self.0.number(direction, number, value);
        self.1.number(direction, number, value);
    }

    fn endpoint(&mut self, source: EndpointSource, endpoint: SocketAddr) {
        self.0.endpoint(source, endpoint);
        self.1.endpoint(source, endpoint);
    }

    fn proxy_peer(&self) -> Option<SocketAddr> {
        self.0.proxy_peer().or_else(|| self.1.proxy_peer())
    }
}

/// Longest client name [`Metadata`] keeps, in bytes.
pub const CLIENT_NAME_CAP: usize = 48;

/// Bytes of a proxy target [`Metadata`] keeps: its address type, port and up to 29 bytes of
/// address or host name ([`crate::wire::proxy`]); a longer host name is cut.
pub const PROXY_TARGET_CAP: usize = 32;

/// A fixed-size record of one flow's extracted fields; no allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    info_hash: [u8; 32],
    info_hash_len: u8,
    peer_id: [[u8; 20]; 2],
    peer_id_len: [u8; 2],
    client_name: [[u8; CLIENT_NAME_CAP]; 2],
    client_name_len: [u8; 2],
    node_id: [[u8; 20]; 2],
    node_id_len: [u8; 2],
    listen_port: [u16; 2],
    proxy_target: [u8; PROXY_TARGET_CAP],
    proxy_target_len: u8,
}

impl Default for Metadata {
    fn default() -> Self {
        Self::new()
    }
}

/// Copy `bytes` into `dst` at `offset`, growing `len` to cover them; bytes past the end of
/// `dst` are dropped.
fn put(dst: &mut [u8], len: &mut u8, offset: u32, bytes: &[u8]) {
    let start = offset as usize;
    if start >= dst.len() {
        return;
    }
    for (slot, byte) in dst.iter_mut().skip(start).zip(bytes) {
        *slot = *byte;
    }
    let end = start.saturating_add(bytes.len()).min(dst.len());
    if end > usize::from(*len) {
        *len = u8::try_from(end).unwrap_or(u8::MAX);
    }
}

impl Metadata {
    /// An empty record.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            info_hash: [0; 32],
            info_hash_len: 0,
            peer_id: [[0; 20]; 2],
            peer_id_len: [0; 2],
            client_name: [[0; CLIENT_NAME_CAP]; 2],
            client_name_len: [0; 2],
            node_id: [[0; 20]; 2],
            node_id_len: [0; 2],
            listen_port: [0; 2],
            proxy_target: [0; PROXY_TARGET_CAP],
            proxy_target_len: 0,
        }
    }

    /// The info-hash, once all of its 20 (v1) or 32 (v2) bytes were seen.
    #[must_use]
    pub fn info_hash(&self) -> Option<InfoHash> {
        self.info_hash
            .get(..usize::from(self.info_hash_len))
            .and_then(InfoHash::from_slice)
    }

    /// The peer id `direction` sent, once complete.
    #[must_use]
    pub fn peer_id(&self, direction: Direction) -> Option<&[u8; 20]> {
        let i = direction.index();
        match self.peer_id_len.get(i) {
            Some(20) => self.peer_id.get(i),
            _ => None,
        }
    }

    /// The client name `direction` wrote (BEP 10 `v`), possibly cut at [`CLIENT_NAME_CAP`].
    #[must_use]
    pub fn client_name(&self, direction: Direction) -> Option<&[u8]> {
        let i = direction.index();
        let len = usize::from(*self.client_name_len.get(i)?);
        (len > 0)
            .then(|| self.client_name.get(i).and_then(|n| n.get(..len)))
            .flatten()
    }

    /// The DHT node id `direction` sent, once complete.
    #[must_use]
    pub fn dht_node_id(&self, direction: Direction) -> Option<&[u8; 20]> {
        let i = direction.index();
        match self.node_id_len.get(i) {
            Some(20) => self.node_id.get(i),
            _ => None,
        }
    }

    /// The endpoint the client asked a proxy for (a SOCKS 5 UDP flow names the first
    /// datagram's), once its
    /// address type, port and address were seen; a host name may be cut at
    /// [`PROXY_TARGET_CAP`].
    #[must_use]
    pub fn proxy_target(&self) -> Option<crate::wire::proxy::Target<'_>> {
        let bytes = self
            .proxy_target
            .get(..usize::from(self.proxy_target_len))?;
        crate::wire::proxy::Target::parse(bytes)
    }

    /// The listen port `direction` announced, if any.
    #[must_use]
    pub fn listen_port(&self, direction: Direction) -> Option<u16> {
        self.listen_port
            .get(direction.index())
            .copied()
            .filter(|p| *p != 0)
    }
}

impl Observer for Metadata {
    fn field(&mut self, direction: Direction, field: Field, offset: u32, bytes: &[u8]) {
        let i = direction.index();
        match field {
            Field::InfoHash => put(&mut self.info_hash, &mut self.info_hash_len, offset, bytes),
            Field::PeerId => {
                if let (Some(dst), Some(len)) =
                    (self.peer_id.get_mut(i), self.peer_id_len.get_mut(i))
                {
                    put(dst, len, offset, bytes);
                }
            }
            Field::ClientName => {
                if let (Some(dst), Some(len)) =
                    (self.client_name.get_mut(i), self.client_name_len.get_mut(i))
                {
                    // A name at offset 0 is a new one (a KRPC `v` after a BEP 10 `v` on a
                    // uTP tuple): it replaces the old one rather than overwriting its start.
                    if offset == 0 {
                        *len = 0;
                    }
                    put(dst, len, offset, bytes);
                }
            }
            Field::DhtNodeId => {
                if let (Some(dst), Some(len)) =
                    (self.node_id.get_mut(i), self.node_id_len.get_mut(i))
                {
                    put(dst, len, offset, bytes);
                }
            }
            Field::ProxyTarget => put(
                &mut self.proxy_target,
                &mut self.proxy_target_len,
                offset,
                bytes,
            ),
        }
    }

    fn proxy_peer(&self) -> Option<SocketAddr> {
        self.proxy_target()?.socket_addr()
    }

    fn number(&mut self, direction: Direction, number: Number, value: u64) {
        match number {
            Number::ListenPort => {
                if let (Some(slot), Ok(port)) = (
                    self.listen_port.get_mut(direction.index()),
                    u16::try_from(value),
                ) {
                    *slot = port;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_reassembles_split_fields() {
        let mut m = Metadata::new();
        let ih: [u8; 20] = core::array::from_fn(|i| i as u8);
        m.field(Direction::Initiator, Field::InfoHash, 0, &ih[..7]);
        assert_eq!(m.info_hash(), None);
        m.field(Direction::Initiator, Field::InfoHash, 7, &ih[7..]);
        assert_eq!(
            m.info_hash().as_ref().map(crate::InfoHash::as_bytes),
            Some(&ih[..])
        );
        m.field(
            Direction::Responder,
            Field::PeerId,
            0,
            b"-TR3000-abcdefghijkl",
        );
        assert_eq!(
            m.peer_id(Direction::Responder),
            Some(b"-TR3000-abcdefghijkl")
        );
        assert_eq!(m.peer_id(Direction::Initiator), None);
        m.field(Direction::Initiator, Field::ClientName, 0, &[b'x'; 100]);
        assert_eq!(
            m.client_name(Direction::Initiator).map(<[u8]>::len),
            Some(CLIENT_NAME_CAP)
        );
        m.number(Direction::Initiator, Number::ListenPort, 70000);
        assert_eq!(m.listen_port(Direction::Initiator), None);
        m.number(Direction::Initiator, Number::ListenPort, 51413);
        assert_eq!(m.listen_port(Direction::Initiator), Some(51413));
    }

    #[test]
    fn a_new_client_name_replaces_a_longer_one() {
        let mut m = Metadata::new();
        m.field(
            Direction::Initiator,
            Field::ClientName,
            0,
            b"libtorrent/2.0.8.0",
        );
        m.field(Direction::Initiator, Field::ClientName, 0, b"LT\x02\x08");
        assert_eq!(
            m.client_name(Direction::Initiator),
            Some(&b"LT\x02\x08"[..])
        );
    }

    #[test]
    fn hostile_offsets_are_dropped() {
        let mut m = Metadata::new();
        m.field(Direction::Initiator, Field::PeerId, u32::MAX, b"abc");
        assert_eq!(m.peer_id(Direction::Initiator), None);
        m.field(Direction::Initiator, Field::InfoHash, 31, b"abcdef");
        assert_eq!(m.info_hash().map(|h| h.as_bytes().len()), Some(32));
    }
}
