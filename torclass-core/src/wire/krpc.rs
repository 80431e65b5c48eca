//! KRPC, the DHT's message format (BEP 5), with the keys of BEP 32 (`nodes6`, `want`), BEP 33
//! (`scrape`, `noseed`, `BFsd`, `BFpe`), BEP 42 (`ip`), BEP 43 (`ro`), BEP 44 (`get`/`put`:
//! `k`, `sig`, `seq`, `cas`, `salt`, `v`) and BEP 51 (`sample_infohashes`: `samples`, `num`,
//! `interval`), and µTorrent's `vote` query.
//!
//! A KRPC message is one bencoded dictionary per UDP datagram (BEP 5, "KRPC protocol"):
//! `t` (transaction id), `y` (`q` query, `r` response, `e` error), and for a query `q` (the
//! method) and `a` (arguments), for a response `r` (return values), for an error `e`
//! (`[code, message]`). [`Krpc::parse`] feeds the whole datagram to the project's bounded
//! [`bencode::Tokenizer`] once, so every string is a slice of the datagram, and keeps only the
//! offsets of the keys it knows. Keys may come in any order (the spec's sorted order is not
//! required: clients disagree), unknown keys are skipped, a repeated key keeps its last value.
//!
//! What makes a datagram KRPC here: it starts with one complete bencoded dictionary (bytes
//! after it are allowed and not read, as libtorrent's bdecode stops at the end of the value
//! and accepts the message: [`Krpc::trailing_len`]; the work stays bounded by the dictionary);
//! `y` is `q`, `r` or `e`; `t` is a string (any length, zero bytes allowed); a query has a
//! string `q` and a dictionary `a`, a response a dictionary `r`, an error a list `e`
//! starting with an integer; queries and responses carry a 20-byte node `id`. Known keys with a
//! fixed size are checked: `id`, `info_hash`, `target` 20 bytes; `nodes` a multiple of 26,
//! `nodes6` of 38; `ip` 6 or 18; every `values` entry 6 or 18.

use core::fmt;
use core::net::SocketAddr;

use super::bencode::{self, Event, Progress, Tokenizer};
use super::compact;

/// Bytes of a node id, info-hash or target.
pub const ID_LEN: usize = 20;
/// Bytes of one `nodes` entry: id and compact IPv4 address.
pub const NODE_V4_LEN: usize = ID_LEN + compact::V4_LEN;
/// Bytes of one `nodes6` entry: id and compact IPv6 address.
pub const NODE_V6_LEN: usize = ID_LEN + compact::V6_LEN;

/// The `y` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `q`: a query.
    Query,
    /// `r`: a response.
    Response,
    /// `e`: an error.
    Error,
}

/// The `q` key of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method<'a> {
    /// `ping` (BEP 5).
    Ping,
    /// `find_node` (BEP 5).
    FindNode,
    /// `get_peers` (BEP 5; with `scrape` = 1, a BEP 33 scrape).
    GetPeers,
    /// `announce_peer` (BEP 5).
    AnnouncePeer,
    /// `get` (BEP 44).
    Get,
    /// `put` (BEP 44).
    Put,
    /// `sample_infohashes` (BEP 51).
    SampleInfohashes,
    /// `vote`: µTorrent's torrent rating query (arguments `id`, `target`, `vote`), also sent
    /// by MonoTorrent's DHT; no BEP, answered like `get_peers`.
    Vote,
    /// Any other method name.
    Unknown(&'a [u8]),
}

impl<'a> Method<'a> {
    /// The method for a `q` value.
    #[must_use]
    pub fn from_name(name: &'a [u8]) -> Self {
        match name {
            b"ping" => Self::Ping,
            b"find_node" => Self::FindNode,
            b"get_peers" => Self::GetPeers,
            b"announce_peer" => Self::AnnouncePeer,
            b"get" => Self::Get,
            b"put" => Self::Put,
            b"sample_infohashes" => Self::SampleInfohashes,
            b"vote" => Self::Vote,
            other => Self::Unknown(other),
        }
    }
}

/// Why a datagram is not a KRPC message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The bencode itself is malformed or exceeds a tokenizer limit.
    Bencode(bencode::Error),
    /// The datagram ends inside the dictionary.
    Truncated,
    /// The top-level value is not a dictionary.
    NotDict,
    /// A required key is missing or has the wrong bencode type.
    Missing(&'static str),
    /// `y` is not `q`, `r` or `e`.
    InvalidKind,
    /// A known key has a size the BEPs do not allow.
    InvalidLength {
        /// The key.
        key: &'static str,
        /// Its length in bytes.
        len: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Bencode(e) => write!(f, "KRPC: {e}"),
            Self::Truncated => f.write_str("KRPC: the dictionary is cut"),
            Self::NotDict => f.write_str("KRPC: not a dictionary"),
            Self::Missing(key) => write!(f, "KRPC: key {key:?} missing or of the wrong type"),
            Self::InvalidKind => f.write_str("KRPC: y is not q, r or e"),
            Self::InvalidLength { key, len } => {
                write!(f, "KRPC: key {key:?} has invalid length {len}")
            }
        }
    }
}

impl core::error::Error for Error {}

/// A checked KRPC message; every accessor borrows from the datagram.
///
/// ```
/// use torclass_core::wire::krpc::{Kind, Krpc, Method};
///
/// let query = b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e\
///               1:q9:get_peers1:t2:aa1:y1:qe";
/// let msg = Krpc::parse(query).unwrap();
/// assert_eq!(msg.kind(), Some(Kind::Query));
/// assert_eq!(msg.method(), Some(Method::GetPeers));
/// assert_eq!(msg.node_id(), Some(b"abcdefghij0123456789"));
/// assert_eq!(msg.transaction_id(), b"aa");
/// assert!(Krpc::parse(b"GET / HTTP/1.1\r\n").is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Krpc<'a> {
    t: &'a [u8],
    y: &'a [u8],
    q: Option<&'a [u8]>,
    version: Option<&'a [u8]>,
    ip: Option<&'a [u8]>,
    ro: Option<i64>,
    error_code: Option<i64>,
    error_message: Option<&'a [u8]>,
    /// The `a` or `r` dictionary was present.
    body: bool,
    id: Option<&'a [u8]>,
    info_hash: Option<&'a [u8]>,
    target: Option<&'a [u8]>,
    token: Option<&'a [u8]>,
    port: Option<i64>,
    implied_port: Option<i64>,
    nodes: Option<&'a [u8]>,
    nodes6: Option<&'a [u8]>,
    /// The `values` list: the bytes after its `l`, up to the end of the datagram.
    values: Option<&'a [u8]>,
    want: bool,
    scrape: Option<i64>,
    noseed: Option<i64>,
    bf_seeds: Option<&'a [u8]>,
    bf_peers: Option<&'a [u8]>,
    k: Option<&'a [u8]>,
    sig: Option<&'a [u8]>,
    seq: Option<i64>,
    cas: Option<i64>,
    salt: Option<&'a [u8]>,
    /// `v` inside `a`/`r` (BEP 44): the string, or `None` for a container or integer value.
    value: Option<&'a [u8]>,
    samples: Option<&'a [u8]>,
    num: Option<i64>,
    interval: Option<i64>,
    /// Bytes after the dictionary.
    trailing: usize,
}

/// Where the scanner is, for attributing values to keys.
#[derive(Clone, Copy, Default)]
struct Scan<'a> {
    /// The last key read in the top-level dictionary.
    top_key: &'a [u8],
    /// The last key read in the `a`/`r` dictionary.
    body_key: &'a [u8],
    /// Inside the `a`/`r` dictionary (depth 2).
    in_body: bool,
    /// Inside the `e` list (depth 2).
    in_error: bool,
    /// Inside the `values` list of the body (depth 3).
    in_values: bool,
    /// A `values` entry was not a 6- or 18-byte string (its length, 0 for a non-string).
    bad_value: Option<usize>,
    /// The `a`/`r` key named a dictionary (`a` for queries, `r` for responses).
    body_key_top: &'a [u8],
    /// The `e` key held a list.
    error_list: bool,
}

/// The start of a KRPC message whose datagram a capture cut (a snapshot length shorter than
/// the datagram): the captured bytes are valid bencode of one dictionary not yet ended, whose
/// `a` (a query's arguments) or `r` (a response's values) dictionary holds a 20-byte `id`,
/// complete or cut inside its bytes (`2:id20:` then at least one of them, the capture's last).
/// Its kind and the node id's bytes captured (1 to 20), or `None`. libtorrent and most
/// clients sort the keys, so a query starts `d1:ad2:id20:` and a response `d1:rd2:id20:` (or
/// `d2:ip6:…1:rd2:id20:`, BEP 42): the id ends within 32–42 bytes, inside a 96-byte snapshot,
/// and starts at byte 12 of a query, inside a 64-byte one (22 bytes of an Ethernet/IPv4
/// datagram). The id's bytes are any bytes: the evidence is the 12 fixed bytes before them
/// whether the capture kept 1 or 20 of them.
#[must_use]
pub fn cut_start(datagram: &[u8]) -> Option<(Kind, &[u8])> {
    if datagram.first() != Some(&b'd') {
        return None;
    }
    let (mut top, mut body, mut key) = (&b""[..], None, &b""[..]);
    let (mut found, mut cut_id) = (None, None);
    let progress = Tokenizer::new().feed(datagram, |event| match event {
        Event::Str {
            piece,
            key: true,
            depth,
            ..
        } => match depth {
            1 => top = piece,
            2 => key = piece,
            _ => {}
        },
        Event::DictStart { depth: 2 } => {
            body = match top {
                b"a" => Some(Kind::Query),
                b"r" => Some(Kind::Response),
                _ => None,
            };
        }
        Event::End { depth: 2 } => body = None,
        Event::Str {
            piece,
            key: false,
            depth: 2,
            first: true,
            last,
            ..
        } if key == b"id" && found.is_none() => {
            if let Some(kind) = body {
                if last && piece.len() == 20 {
                    found = Some((kind, piece));
                } else if !last && !piece.is_empty() && piece.len() < 20 {
                    // Cut inside the id: its bytes run to the datagram's end.
                    cut_id = Some((kind, piece));
                }
            }
        }
        _ => {}
    });
    if !matches!(progress, Ok(Progress::NeedMore)) {
        return None;
    }
    found.or_else(|| {
        let (kind, id) = cut_id?;
        let start = datagram.len().checked_sub(id.len())?;
        datagram
            .get(..start)?
            .ends_with(b"2:id20:")
            .then_some((kind, id))
    })
}

impl<'a> Krpc<'a> {
    /// Parse one datagram. See the module docs for what is required.
    ///
    /// # Errors
    /// [`Error::Bencode`] or [`Error::Truncated`] for datagrams that do not start with one
    /// complete bencoded value, [`Error::NotDict`], and [`Error::Missing`],
    /// [`Error::InvalidKind`] or [`Error::InvalidLength`] for the KRPC rules.
    pub fn parse(datagram: &'a [u8]) -> Result<Self, Error> {
        if datagram.first() != Some(&b'd') {
            return Err(Error::NotDict);
        }
        let mut msg = Self::default();
        let mut t = None;
        let mut y = None;
        let mut scan = Scan::default();
        let mut tokenizer = Tokenizer::new();
        let progress = tokenizer
            .feed(datagram, |event| {
                msg.on_event(datagram, event, &mut scan, &mut t, &mut y)
            })
            .map_err(Error::Bencode)?;
        match progress {
            Progress::NeedMore => return Err(Error::Truncated),
            Progress::Done { consumed } => {
                msg.trailing = datagram.len().saturating_sub(consumed);
            }
        }
        msg.t = t.ok_or(Error::Missing("t"))?;
        msg.y = y.ok_or(Error::Missing("y"))?;
        if let Some(len) = scan.bad_value {
            return Err(Error::InvalidLength { key: "values", len });
        }
        msg.validate(&scan)?;
        Ok(msg)
    }

    fn on_event(
        &mut self,
        datagram: &'a [u8],
        event: Event<'a>,
        scan: &mut Scan<'a>,
        t: &mut Option<&'a [u8]>,
        y: &mut Option<&'a [u8]>,
    ) {
        match event {
            Event::Str {
                piece,
                key: true,
                depth,
                ..
            } => match depth {
                1 => scan.top_key = piece,
                2 if scan.in_body => scan.body_key = piece,
                _ => {}
            },
            Event::Str {
                piece,
                key: false,
                depth,
                ..
            } => match depth {
                1 => match scan.top_key {
                    b"t" => *t = Some(piece),
                    b"y" => *y = Some(piece),
                    b"q" => self.q = Some(piece),
                    b"v" => self.version = Some(piece),
                    b"ip" => self.ip = Some(piece),
                    _ => {}
                },
                2 if scan.in_body => self.body_string(scan.body_key, piece),
                2 if scan.in_error && self.error_message.is_none() => {
                    self.error_message = Some(piece);
                }
                3 if scan.in_values
                    && piece.len() != compact::V4_LEN
                    && piece.len() != compact::V6_LEN =>
                {
                    scan.bad_value = Some(piece.len());
                }
                _ => {}
            },
            Event::Int { depth: 3, .. }
            | Event::ListStart { depth: 4 }
            | Event::DictStart { depth: 4 }
                if scan.in_values =>
            {
                scan.bad_value = Some(0);
            }
            Event::Int { value, depth } => match depth {
                1 if scan.top_key == b"ro" => self.ro = Some(value),
                2 if scan.in_body => self.body_int(scan.body_key, value),
                2 if scan.in_error && self.error_code.is_none() => self.error_code = Some(value),
                _ => {}
            },
            Event::DictStart { depth: 2 } if matches!(scan.top_key, b"a" | b"r") => {
                scan.in_body = true;
                scan.body_key = b"";
                scan.body_key_top = scan.top_key;
                self.body = true;
            }
            Event::ListStart { depth: 2 } if scan.top_key == b"e" => {
                scan.in_error = true;
                scan.error_list = true;
            }
            Event::ListStart { depth: 3 } if scan.in_body && scan.body_key == b"want" => {
                self.want = true;
            }
            Event::ListStart { depth: 3 } if scan.in_body && scan.body_key == b"values" => {
                scan.in_values = true;
                self.values = rest_from(datagram, scan.body_key);
            }
            Event::End { depth: 2 } => {
                scan.in_body = false;
                scan.in_error = false;
            }
            Event::End { depth: 3 } => scan.in_values = false,
            _ => {}
        }
    }

    fn body_string(&mut self, key: &[u8], piece: &'a [u8]) {
        let slot = match key {
            b"id" => &mut self.id,
            b"info_hash" => &mut self.info_hash,
            b"target" => &mut self.target,
            b"token" => &mut self.token,
            b"nodes" => &mut self.nodes,
            b"nodes6" => &mut self.nodes6,
            b"BFsd" => &mut self.bf_seeds,
            b"BFpe" => &mut self.bf_peers,
            b"k" => &mut self.k,
            b"sig" => &mut self.sig,
            b"salt" => &mut self.salt,
            b"v" => &mut self.value,
            b"samples" => &mut self.samples,
            _ => return,
        };
        *slot = Some(piece);
    }

    fn body_int(&mut self, key: &[u8], value: i64) {
        let slot = match key {
            b"port" => &mut self.port,
            b"implied_port" => &mut self.implied_port,
            b"scrape" => &mut self.scrape,
            b"noseed" => &mut self.noseed,
            b"seq" => &mut self.seq,
            b"cas" => &mut self.cas,
            b"num" => &mut self.num,
            b"interval" => &mut self.interval,
            _ => return,
        };
        *slot = Some(value);
    }

    fn validate(&self, scan: &Scan<'_>) -> Result<(), Error> {
        match self.kind() {
            Some(Kind::Query) => {
                if self.q.is_none() {
                    return Err(Error::Missing("q"));
                }
                if !self.body || scan.body_key_top != b"a" {
                    return Err(Error::Missing("a"));
                }
                self.id.ok_or(Error::Missing("id"))?;
            }
            Some(Kind::Response) => {
                if !self.body || scan.body_key_top != b"r" {
                    return Err(Error::Missing("r"));
                }
                self.id.ok_or(Error::Missing("id"))?;
            }
            Some(Kind::Error) => {
                if !scan.error_list || self.error_code.is_none() {
                    return Err(Error::Missing("e"));
                }
            }
            None => return Err(Error::InvalidKind),
        }
        let exact =
            |key: &'static str, value: Option<&[u8]>, ok: &dyn Fn(usize) -> bool| match value {
                Some(v) if !ok(v.len()) => Err(Error::InvalidLength { key, len: v.len() }),
                _ => Ok(()),
            };
        exact("id", self.id, &|n| n == ID_LEN)?;
        exact("info_hash", self.info_hash, &|n| n == ID_LEN)?;
        exact("target", self.target, &|n| n == ID_LEN)?;
        exact("nodes", self.nodes, &|n| {
            n.checked_rem(NODE_V4_LEN) == Some(0)
        })?;
        exact("nodes6", self.nodes6, &|n| {
            n.checked_rem(NODE_V6_LEN) == Some(0)
        })?;
        exact("ip", self.ip, &|n| {
            n == compact::V4_LEN || n == compact::V6_LEN
        })?;
        Ok(())
    }

    /// `y`: query, response or error.
    #[must_use]
    pub fn kind(&self) -> Option<Kind> {
        match self.y {
            b"q" => Some(Kind::Query),
            b"r" => Some(Kind::Response),
            b"e" => Some(Kind::Error),
            _ => None,
        }
    }

    /// Bytes after the dictionary (not read; libtorrent accepts them too).
    #[must_use]
    pub fn trailing_len(&self) -> usize {
        self.trailing
    }

    /// `t`: the transaction id, echoed by the response (any length, zero bytes allowed).
    #[must_use]
    pub fn transaction_id(&self) -> &'a [u8] {
        self.t
    }

    /// `q`: the method of a query.
    #[must_use]
    pub fn method(&self) -> Option<Method<'a>> {
        match self.kind() {
            Some(Kind::Query) => self.q.map(Method::from_name),
            _ => None,
        }
    }

    /// `id`: the sender's node id (queries and responses).
    #[must_use]
    pub fn node_id(&self) -> Option<&'a [u8; 20]> {
        self.id.and_then(as_id)
    }

    /// `info_hash` (`get_peers`, `announce_peer`).
    #[must_use]
    pub fn info_hash(&self) -> Option<&'a [u8; 20]> {
        self.info_hash.and_then(as_id)
    }

    /// `target` (`find_node`, BEP 44 `get`, BEP 51 `sample_infohashes`).
    #[must_use]
    pub fn target(&self) -> Option<&'a [u8; 20]> {
        self.target.and_then(as_id)
    }

    /// `token` (`get_peers`/`get` responses, `announce_peer`/`put` queries).
    #[must_use]
    pub fn token(&self) -> Option<&'a [u8]> {
        self.token
    }

    /// `port` of `announce_peer`, if it is a valid port number.
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        self.port.and_then(|p| u16::try_from(p).ok())
    }

    /// `implied_port` of `announce_peer`: true if set to a non-zero value.
    #[must_use]
    pub fn implied_port(&self) -> Option<bool> {
        self.implied_port.map(|v| v != 0)
    }

    /// `values`: compact peers of a `get_peers` response (6-byte IPv4 or 18-byte IPv6 entries).
    #[must_use]
    pub fn values(&self) -> Values<'a> {
        Values {
            rest: self.values.unwrap_or_default(),
        }
    }

    /// `nodes`: compact IPv4 nodes (BEP 5).
    #[must_use]
    pub fn nodes(&self) -> Nodes<'a> {
        Nodes {
            chunks: self.nodes.unwrap_or_default().chunks_exact(NODE_V4_LEN),
        }
    }

    /// `nodes6`: compact IPv6 nodes (BEP 32).
    #[must_use]
    pub fn nodes6(&self) -> Nodes<'a> {
        Nodes {
            chunks: self.nodes6.unwrap_or_default().chunks_exact(NODE_V6_LEN),
        }
    }

    /// True if a `want` list is present (BEP 32).
    #[must_use]
    pub fn has_want(&self) -> bool {
        self.want
    }

    /// `e`: the error code and message.
    #[must_use]
    pub fn error(&self) -> Option<(i64, &'a [u8])> {
        match self.kind() {
            Some(Kind::Error) => Some((
                self.error_code.unwrap_or_default(),
                self.error_message.unwrap_or_default(),
            )),
            _ => None,
        }
    }

    /// `v` at the top level: the client version string (BEP 5, e.g. `LT\x01\x02`).
    #[must_use]
    pub fn version(&self) -> Option<&'a [u8]> {
        self.version
    }

    /// `ip` (BEP 42): the requester's address as the responder sees it.
    #[must_use]
    pub fn ip(&self) -> Option<SocketAddr> {
        self.ip.and_then(compact::entry)
    }

    /// `ro` (BEP 43): true if the sender is a read-only node.
    #[must_use]
    pub fn read_only(&self) -> bool {
        self.ro == Some(1)
    }

    /// `scrape` (BEP 33): true for a scrape request.
    #[must_use]
    pub fn scrape(&self) -> bool {
        self.scrape == Some(1)
    }

    /// `noseed` (BEP 33).
    #[must_use]
    pub fn noseed(&self) -> bool {
        self.noseed == Some(1)
    }

    /// `BFsd` and `BFpe` (BEP 33): the seed and peer bloom filters of a scrape response.
    #[must_use]
    pub fn bloom_filters(&self) -> (Option<&'a [u8]>, Option<&'a [u8]>) {
        (self.bf_seeds, self.bf_peers)
    }

    /// BEP 44 mutable item fields: `k` (public key), `sig`, `seq`, `cas`, `salt`.
    #[must_use]
    pub fn mutable_item(&self) -> MutableItem<'a> {
        MutableItem {
            k: self.k,
            sig: self.sig,
            seq: self.seq,
            cas: self.cas,
            salt: self.salt,
        }
    }

    /// `v` inside `a`/`r` (BEP 44 stored value), when it is a string.
    #[must_use]
    pub fn item_value(&self) -> Option<&'a [u8]> {
        self.value
    }

    /// `samples` (BEP 51): concatenated 20-byte info-hashes; a trailing partial one is skipped.
    pub fn samples(&self) -> impl Iterator<Item = &'a [u8; 20]> + 'a {
        self.samples
            .unwrap_or_default()
            .chunks_exact(ID_LEN)
            .filter_map(as_id)
    }

    /// `num` (BEP 51): the number of info-hashes the node stores.
    #[must_use]
    pub fn num(&self) -> Option<i64> {
        self.num
    }

    /// `interval` (BEP 51): seconds before the node should be sampled again.
    #[must_use]
    pub fn interval(&self) -> Option<i64> {
        self.interval
    }
}

/// The BEP 44 fields of a mutable `get` response or `put` query.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MutableItem<'a> {
    /// `k`: the ed25519 public key (32 bytes).
    pub k: Option<&'a [u8]>,
    /// `sig`: the signature (64 bytes).
    pub sig: Option<&'a [u8]>,
    /// `seq`: the sequence number.
    pub seq: Option<i64>,
    /// `cas`: compare-and-swap sequence number.
    pub cas: Option<i64>,
    /// `salt`.
    pub salt: Option<&'a [u8]>,
}

fn as_id(bytes: &[u8]) -> Option<&[u8; 20]> {
    <&[u8; 20]>::try_from(bytes).ok()
}

/// The datagram after `key` (a slice of it): where the key's value starts.
fn rest_from<'a>(datagram: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let start = (key.as_ptr() as usize)
        .checked_sub(datagram.as_ptr() as usize)?
        .checked_add(key.len())?;
    datagram.get(start..)
}

/// A DHT node: its id and address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node<'a> {
    /// The node id.
    pub id: &'a [u8; 20],
    /// Its UDP address.
    pub addr: SocketAddr,
}

/// Iterator over compact node entries (`nodes`, `nodes6`).
#[derive(Clone, Debug)]
pub struct Nodes<'a> {
    chunks: core::slice::ChunksExact<'a, u8>,
}

impl<'a> Iterator for Nodes<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        let chunk = self.chunks.next()?;
        let (id, addr) = chunk.split_at_checked(ID_LEN)?;
        Some(Node {
            id: as_id(id)?,
            addr: compact::entry(addr)?,
        })
    }
}

/// Iterator over the `values` list of a checked message.
///
/// The list was validated by the bencode tokenizer in [`Krpc::parse`] (and every entry is 6
/// or 18 bytes); the iterator only steps over the length prefixes of that list of strings,
/// starting after its `l` and stopping at its `e`.
#[derive(Clone, Debug)]
pub struct Values<'a> {
    /// From the list's `l` (or the next entry) to the end of the datagram.
    rest: &'a [u8],
}

impl Iterator for Values<'_> {
    type Item = SocketAddr;

    fn next(&mut self) -> Option<SocketAddr> {
        let rest = self.rest.strip_prefix(b"l").unwrap_or(self.rest);
        if rest.first() == Some(&b'e') {
            return None;
        }
        let colon = rest.iter().position(|b| *b == b':')?;
        let len: usize = core::str::from_utf8(rest.get(..colon)?)
            .ok()?
            .parse()
            .ok()?;
        let start = colon.checked_add(1)?;
        let end = start.checked_add(len)?;
        let entry = rest.get(start..end)?;
        self.rest = rest.get(end..)?;
        compact::entry(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::vec::Vec;

    const ID: &[u8; 20] = b"abcdefghij0123456789";
    const HASH: &[u8; 20] = b"mnopqrstuvwxyz123456";

    fn parse(raw: &[u8]) -> Krpc<'_> {
        Krpc::parse(raw).unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(raw)))
    }

    use std::string::String;

    /// The BEP 5 examples, verbatim.
    #[test]
    fn bep5_examples() {
        let ping = parse(b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
        assert_eq!(ping.kind(), Some(Kind::Query));
        assert_eq!(ping.method(), Some(Method::Ping));
        assert_eq!(ping.transaction_id(), b"aa");
        assert_eq!(ping.node_id(), Some(ID));
        let pong = parse(b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re");
        assert_eq!(pong.kind(), Some(Kind::Response));
        assert_eq!(pong.node_id(), Some(HASH));
        assert_eq!(pong.method(), None);

        let find = parse(b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe");
        assert_eq!(find.method(), Some(Method::FindNode));
        assert_eq!(find.target(), Some(HASH));

        let get_peers = parse(b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe");
        assert_eq!(get_peers.method(), Some(Method::GetPeers));
        assert_eq!(get_peers.info_hash(), Some(HASH));

        let values = parse(b"d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re");
        assert_eq!(values.token(), Some(&b"aoeusnth"[..]));
        let peers: Vec<_> = values.values().collect();
        assert_eq!(peers.len(), 2);
        assert_eq!(
            peers[0],
            SocketAddr::new(
                IpAddr::V4(Ipv4Addr::new(b'a', b'x', b'j', b'e')),
                u16::from_be_bytes(*b".u")
            )
        );

        let announce = parse(b"d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe");
        assert_eq!(announce.method(), Some(Method::AnnouncePeer));
        assert_eq!(announce.port(), Some(6881));
        assert_eq!(announce.implied_port(), Some(true));

        let error = parse(b"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee");
        assert_eq!(error.kind(), Some(Kind::Error));
        assert_eq!(error.error(), Some((201, &b"A Generic Error Ocurred"[..])));
        assert_eq!(error.node_id(), None);
    }

    fn nodes_response(nodes: &[u8], nodes6: &[u8]) -> Vec<u8> {
        let mut v = b"d2:ip6:\x0a\x00\x00\x01\x1a\xe11:rd2:id20:abcdefghij0123456789".to_vec();
        v.extend_from_slice(std::format!("5:nodes{}:", nodes.len()).as_bytes());
        v.extend_from_slice(nodes);
        v.extend_from_slice(std::format!("6:nodes6{}:", nodes6.len()).as_bytes());
        v.extend_from_slice(nodes6);
        v.extend_from_slice(b"e1:t4:\x00\x00\xff\x011:v4:LT\x02\x001:y1:re");
        v
    }

    #[test]
    fn bep32_bep42_nodes_and_zero_bytes() {
        let mut node = [0u8; 26];
        node[20..].copy_from_slice(&[192, 0, 2, 7, 0x1a, 0xe1]);
        let mut node6 = [0u8; 38];
        node6[20..36].copy_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 9).octets());
        node6[36..].copy_from_slice(&6881u16.to_be_bytes());
        let raw = nodes_response(&node, &node6);
        let m = parse(&raw);
        assert_eq!(m.transaction_id(), b"\x00\x00\xff\x01");
        assert_eq!(m.version(), Some(&b"LT\x02\x00"[..]));
        assert_eq!(m.ip().map(|a| a.to_string()), Some("10.0.0.1:6881".into()));
        let nodes: Vec<_> = m.nodes().collect();
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].id, &[0u8; 20]);
        assert_eq!(nodes[0].addr.to_string(), "192.0.2.7:6881");
        assert_eq!(
            m.nodes6().next().map(|n| n.addr.to_string()),
            Some("[2001:db8::9]:6881".into())
        );
        // A node list that is not whole entries is rejected.
        let bad = nodes_response(&node[..25], &[]);
        assert_eq!(
            Krpc::parse(&bad),
            Err(Error::InvalidLength {
                key: "nodes",
                len: 25
            })
        );
    }

    use std::string::ToString;

    #[test]
    fn bep32_want_bep43_ro_bep33_scrape() {
        let q = parse(b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234566:noseedi1e6:scrapei1e4:wantl2:n42:n6ee1:q9:get_peers2:roi1e1:t2:aa1:y1:qe");
        assert!(q.has_want());
        assert!(q.read_only());
        assert!(q.scrape());
        assert!(q.noseed());
        let mut r = b"d1:rd4:BFpe256:".to_vec();
        r.extend_from_slice(&[0xff; 256]);
        r.extend_from_slice(b"4:BFsd256:");
        r.extend_from_slice(&[0; 256]);
        r.extend_from_slice(b"2:id20:abcdefghij0123456789e1:t2:aa1:y1:re");
        let r = parse(&r);
        let (seeds, peers) = r.bloom_filters();
        assert_eq!(seeds.map(<[u8]>::len), Some(256));
        assert_eq!(peers.map(|p| p[0]), Some(0xff));
    }

    /// A datagram cut by the snapshot length: the start of a query or a response, up to a
    /// complete 20-byte id in `a` or `r`; nothing shorter, nothing else, never a whole message
    /// or broken bencode.
    #[test]
    fn the_start_of_a_cut_message() {
        let query = b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe";
        let response = b"d2:ip6:\x0a\x00\x00\x01\x1a\xe11:rd2:id20:abcdefghij01234567895:nodes0:e1:t2:aa1:y1:re";
        for (msg, kind) in [(&query[..], Kind::Query), (&response[..], Kind::Response)] {
            let id_start = msg.windows(20).position(|w| w == ID).unwrap();
            let id_end = id_start + 20;
            for cut in 1..msg.len() {
                let got = cut_start(&msg[..cut]);
                if cut >= id_end {
                    assert_eq!(got, Some((kind, &ID[..])), "cut at {cut}");
                } else if cut > id_start {
                    // Cut inside the id (a 64-byte snapshot keeps 10 bytes of a query's).
                    assert_eq!(got, Some((kind, &ID[..cut - id_start])), "cut at {cut}");
                } else {
                    assert_eq!(got, None, "cut at {cut}");
                }
            }
            assert_eq!(
                cut_start(msg),
                None,
                "a whole message is parsed, not guessed"
            );
        }
        for other in [
            &b"d1:xd2:id20:abcdefghij0123456789"[..],
            b"d1:ad3:idx20:abcdefghij0123456789",
            b"d1:ad2:id19:abcdefghij012345678",
            b"d1:ai1e2:id20:abcdefghij0123456789",
            b"l1:ad2:id20:abcdefghij0123456789",
            b"d1:ad2:id20:abcdefghij0123456789x",
            // Cut inside an id of another length, or a string under another key.
            b"d1:ad2:id32:abcdefghij",
            b"d1:ad2:id120:abcdefghij",
            b"d1:ad3:xid20:abcdefghij",
            b"d1:ad2:id20:",
            b"d1:xd2:id20:abcdefghij",
        ] {
            assert_eq!(cut_start(other), None, "{:?}", core::str::from_utf8(other));
        }
    }

    #[test]
    fn bep44_get_put_and_bep51_samples() {
        let get = parse(b"d1:ad2:id20:abcdefghij01234567893:seqi4e6:target20:mnopqrstuvwxyz123456e1:q3:get1:t2:aa1:y1:qe");
        assert_eq!(get.method(), Some(Method::Get));
        assert_eq!(get.mutable_item().seq, Some(4));
        let mut put = b"d1:ad3:casi3e2:id20:abcdefghij01234567891:k32:".to_vec();
        put.extend_from_slice(&[7; 32]);
        put.extend_from_slice(b"4:salt6:foobar3:seqi4e3:sig64:");
        put.extend_from_slice(&[9; 64]);
        put.extend_from_slice(b"5:token8:aoeusnth1:v12:Hello World!e1:q3:put1:t2:aa1:y1:qe");
        let put = parse(&put);
        assert_eq!(put.method(), Some(Method::Put));
        let item = put.mutable_item();
        assert_eq!(item.k.map(<[u8]>::len), Some(32));
        assert_eq!(item.sig.map(<[u8]>::len), Some(64));
        assert_eq!(item.salt, Some(&b"foobar"[..]));
        assert_eq!((item.seq, item.cas), (Some(4), Some(3)));
        assert_eq!(put.item_value(), Some(&b"Hello World!"[..]));
        // A BEP 44 value that is itself a dictionary with a "values" key does not leak out.
        let nested = parse(b"d1:rd2:id20:abcdefghij01234567891:vd6:valuesl3:abceee1:t2:aa1:y1:re");
        assert_eq!(nested.values().count(), 0);
        assert_eq!(nested.item_value(), None);
        // A value, or a key the receiver ignores, nested as deep as libtorrent's DHT decodes
        // (10 levels in all): still the query it is.
        let deep = |dicts: usize| {
            [
                &b"d1:ad2:id20:abcdefghij01234567891:v"[..],
                &b"d1:k".repeat(dicts),
                b"li1ee",
                &b"e".repeat(dicts),
                b"e1:q3:put1:t2:aa1:y1:q1:x",
                &b"l".repeat(9),
                &b"e".repeat(9),
                b"e",
            ]
            .concat()
        };
        let ten = deep(7);
        assert_eq!(parse(&ten).method(), Some(Method::Put));
        assert!(Krpc::parse(&deep(8)).is_err());

        let mut samples =
            b"d1:rd2:id20:abcdefghij01234567898:intervali21600e3:numi1500e7:samples40:".to_vec();
        samples.extend_from_slice(HASH);
        samples.extend_from_slice(ID);
        samples.extend_from_slice(b"e1:t2:aa1:y1:re");
        let s = parse(&samples);
        assert_eq!(s.samples().collect::<Vec<_>>(), [HASH, ID]);
        assert_eq!((s.num(), s.interval()), (Some(1500), Some(21600)));
        let q = parse(b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q17:sample_infohashes1:t2:aa1:y1:qe");
        assert_eq!(q.method(), Some(Method::SampleInfohashes));
    }

    #[test]
    fn ipv6_values_and_unknown_method() {
        let mut raw = b"d1:rd2:id20:abcdefghij01234567895:token2:xx6:valuesl18:".to_vec();
        raw.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        raw.extend_from_slice(&[0x1a, 0xe1]);
        raw.extend_from_slice(b"6:\x7f\x00\x00\x01\x00\x50ee1:t2:aa1:y1:re");
        let m = parse(&raw);
        let v: Vec<_> = m.values().map(|a| a.to_string()).collect();
        assert_eq!(v, ["[::1]:6881", "127.0.0.1:80"]);
        let q = parse(b"d1:ad2:id20:abcdefghij0123456789e1:q4:echo1:t1:\x001:y1:qe");
        assert_eq!(q.method(), Some(Method::Unknown(b"echo")));
        let vote = parse(b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:votei3ee1:q4:vote1:t2:aa1:y1:qe");
        assert_eq!(vote.method(), Some(Method::Vote));
        assert_eq!(q.transaction_id(), b"\x00");
        let bad = b"d1:rd2:id20:abcdefghij01234567896:valuesl5:abcdeee1:t2:aa1:y1:re";
        assert_eq!(
            Krpc::parse(bad),
            Err(Error::InvalidLength {
                key: "values",
                len: 5
            })
        );
    }

    #[test]
    fn rejects() {
        let cases: [(&[u8], Error); 9] = [
            (b"l1:ae", Error::NotDict),
            (b"d1:y1:qe", Error::Missing("t")),
            (b"d1:t2:aae", Error::Missing("y")),
            (b"d1:t2:aa1:y1:xe", Error::InvalidKind),
            (
                b"d1:ad2:id20:abcdefghij0123456789e1:t2:aa1:y1:qe",
                Error::Missing("q"),
            ),
            (b"d1:q4:ping1:t2:aa1:y1:qe", Error::Missing("a")),
            (
                b"d1:rd2:id3:abce1:t2:aa1:y1:re",
                Error::InvalidLength { key: "id", len: 3 },
            ),
            (b"d1:rde1:t2:aa1:y1:re", Error::Missing("id")),
            (b"d1:e3:abc1:t2:aa1:y1:ee", Error::Missing("e")),
        ];
        for (raw, err) in cases {
            assert_eq!(
                Krpc::parse(raw),
                Err(err),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
        let ok = b"d1:rd2:id20:abcdefghij0123456789e1:t2:aa1:y1:re";
        assert_eq!(Krpc::parse(ok).unwrap().trailing_len(), 0);
        let mut trailing = ok.to_vec();
        trailing.extend_from_slice(b"x\0\xffd1:");
        let msg = Krpc::parse(&trailing).unwrap();
        assert_eq!(msg.trailing_len(), 6);
        assert_eq!(msg.node_id(), Some(b"abcdefghij0123456789"));
    }

    #[test]
    fn truncation_at_every_length_is_an_error() {
        let raw = nodes_response(&[7u8; 26], &[]);
        assert!(Krpc::parse(&raw).is_ok());
        for len in 0..raw.len() {
            assert!(Krpc::parse(&raw[..len]).is_err(), "{len}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = Krpc::parse(&data).map(|m| (m.values().count(), m.nodes().count(), m.samples().count()));
            let mut prefixed = b"d1:rd2:id20:abcdefghij01234567896:values".to_vec();
            prefixed.extend_from_slice(&data);
            let _ = Krpc::parse(&prefixed).map(|m| m.values().count());
        }
    }
}
