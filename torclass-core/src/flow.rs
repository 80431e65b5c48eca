//! [`FlowClassifier`]: the per-flow state machine.
//!
//! A TCP flow is two byte streams ("sides"). Each side carries two independent readers:
//!
//! - the **flights** of a possible MSE/PE key exchange (`mse::Flights`), measured on every
//!   side whatever its bytes look like, from its first byte (a key may start with any byte);
//! - one **cleartext reader**, picked by the first byte of the side or of the next HTTP message:
//!
//! | byte | reader | evidence |
//! |---|---|---|
//! | `0x13` | `handshake::Reader`, then `message::Reader` | BEP 3 handshake, reserved bits, BEP 10 |
//! | `0x00` (start of a side picked up mid-stream) | `message::Reader` | `FRAMING_RUN` valid messages |
//! | other (side picked up mid-stream) | `message::BlockFinder` over the first `RESYNC_WINDOW` bytes, then `message::Reader` from the 16 KiB block's piece header found | `FRAMING_RUN` valid messages |
//! | `G` | `http_tracker::RequestReader`, then `http::Framer` | tracker announce/scrape |
//! | other `A`–`Z` | `http::Framer`: any request or response; a `d` body goes to `http_tracker::ReplyReader` | bencoded tracker reply |
//! | CR, LF | skipped before a message (RFC 9112 §2.2) | |
//! | other text | `magnet::Scanner` and `handshake::Finder` | magnet URI (metadata), handshake after text |
//! | `0x16` (a side's first byte) | `tls::HelloReader` | an SSL torrent's info-hash as the ClientHello's server name |
//! | anything else | none (the flights still measure it) | |
//!
//! After a complete HTTP message (its body skipped by `Content-Length` or chunked framing) the
//! next byte picks again: a keep-alive connection may carry a decoy request before an announce,
//! or a handshake after HTTP. A side that started as text is also searched for a handshake
//! prefix in its first `TEXT_HANDSHAKE_WINDOW` bytes, outside declared bodies, as long as
//! it is text (no control byte but the handshake's own `0x13`); binary sides never are (a
//! capture file sent over FTP holds handshakes).
//!
//! Readers keep only counters and a few bytes, so any cut of the streams into segments gives
//! the same verdict (invariant 3), and each side is read for at most `SIDE_BUDGET` bytes
//! (invariant 4). A proxy reader in front of these (SOCKS, HTTP CONNECT) can restart a side at
//! the first byte after its preamble by giving it a fresh side state: the first-byte dispatch
//! and the flights both start from there.
//!
//! ## Confidence
//! `Confirmed` means conclusive: a rule reaches it only if its chance of matching
//! non-BitTorrent bytes is negligible, measured in the tests (`flow/chance.rs`,
//! `wire/mse/tests.rs`, `wire/handshake.rs`) on seeded random inputs and on every TCP flow of
//! the committed captures labelled `not_bittorrent`; the figures are below. `Likely` is a
//! guess, given only once the guess had a chance to be refuted (the other side's reply, the
//! same side's next bytes, or the flow's end). Confirmed is never delayed.
//!
//! | rule | level | chance match measured |
//! |---|---|---|
//! | complete handshake, then a valid message, the other side speaking, or the flow's end | Confirmed | prefix: 2^-160 per offset, none in 16 MiB of random bytes; in the 170 sides of the 85 negative TCP flows, only the file that begins with one (the benign twin); a valid message after it on random bytes: 6.0·10^-7 exactly, none of 10^5 sampled |
//! | the same after CR/LF, HTTP messages, or a text prefix (then a valid message) | Confirmed | none of 5·10^4 random text streams with `0x13` sprinkled in |
//! | announce with 20-byte `info_hash`, 20-byte `peer_id`, port; scrape with 20-byte `info_hash` | Confirmed | none of 5·10^4 random query strings; no negative flow |
//! | weaker request and a bencoded tracker reply | Confirmed | — (both sides) |
//! | announce request cut by the capture inside or after its `info_hash` under a path whose last segment starts with `announce` or `scrape` (`http_tracker::RequestReader::cut`) | Confirmed | 24 fixed bytes; no negative flow or corpus twin at any snapshot length of 64–256 bytes |
//! | a bencoded announce reply with `interval` and `peers` (BEP 23's length or BEP 3's list) at its top level, alone (`http_tracker::ReplyReader::conclusive`: a mirror port with the tracker's side only; after a request that is not a tracker's, a page shaped as one, it is `likely` at the end) | Confirmed | `tracker_reply` on none of 3.1·10^5 random inputs nor the negative flows (docs/accuracy.md); a `.torrent` file over HTTP has neither key |
//! | weaker request and nothing else until the end; a bencoded tracker reply with only `failure reason` or `files` after any request, and the flow's end | Likely | no negative flow |
//! | `FRAMING_RUN` messages mid-stream (one side, split, or both) and one more message or the flow's end / with extension messages | Likely / Confirmed | none of 2·10^4 random streams gets past its third header; of the messages that count without a handshake (`message::Context::runs_need_payloads`), none of 3·10^4 random mid-stream `<u32 length><type><body>` flows (types 0–23) and chunked transfers (`<u32><type><u64 offset>`, 8/32 KiB) makes a run (85 and 1,083 did when every valid message counted); framing alone is what `<u32 length><type>` protocols (Riak's PBC API, protobuf with 4-byte lengths) share, so it is never conclusive |
//! | the same from a 16 KiB block's piece header found in a mid-stream side | as above | the header: 2^-40 per offset, none in 2,000 random mid-stream flows of up to 32 KiB a side; after a planted header, none of 5,000 random sides completes the run |
//! | a 16 KiB block (length 16393, id 7, index below 2^24, `begin` a multiple of 2^14 below 64 MiB) followed at once by a valid message header, on a mid-stream side | Confirmed | header, index and `begin` on random bytes: 2^-68 per offset; the next header after a planted block on random bytes: about 2^-21, none in 2·10^4 random sides (`block_transfer` in docs/accuracy.md); a file transfer framed `<u32 16393><7><u64 offset><16 KiB>` matches while its offsets are below 64 MiB (a documented limit) |
//! | two Azureus Messaging Protocol frames in a row (Vuze, BiglyBT; no other message or keep-alive between) whose ids are whole ids BiglyBT registers (`message::AZ_IDS`, 29) and whose version bytes are 1, 2 or 0x12, on a mid-stream side (`message_framing` from the reader) | Confirmed | after a frame's length on random bytes, a known frame: 2^-93.4 exactly (`00 00 00 n`, an exact id of 7–17 bytes, 3 of 256 version bytes), and after a planted known frame none of 10^5 random tails confirms; none of 5·10^4 random mid-stream flows of 2–6 such frames a side confirms: random ids, random `A`–`Z`/`_` ids, `AZ_`/`BT_` with random names, names recombined from BiglyBT's words, BiglyBT's ids one byte off (`tests/src/evidence.rs`; the frames that keep an `AZ_`/`BT_` prefix are a framing run, `Likely`); a protocol that frames messages the same way under the same names is Vuze's (docs/limits.md) |
//! | MSE shape alone | none (`mse_shape` evidence) | random bytes are the shape by design (obfs4, Shadowsocks, Telegram, eMule's protocol obfuscation and I2P NTCP2 share it: 26 flows of `negative-p2plike`, `negative-i2p`, `negative-rand-real` and `negative-vmess-real`); no other negative TCP flow reached both first flights in range unrefuted; a genuine exchange is refuted with probability about 2·10^-5 (0 of 3·10^4 sampled) |
//! | MSE shape with corroboration; cleartext handshake after the exchange | Confirmed | no negative flow but those random from their first byte (the shape's documented limit, `flow/chance.rs`), with or without `bittorrent_host`; the handshake: as above |
//! | unanswered first flight in range, to a known peer endpoint / from a BitTorrent host | Confirmed / Likely | the flight must hold a key's set bits (`mse::KEY_ONES`: a random key misses with probability 5.7·10^-7) and be neither text nor length-framed; no negative flow, with `known_endpoint` or `bittorrent_host` (nmap's binary database probes to a closed service in `negative-probes`, six of which were before the set-bit test) |
//! | a TLS ClientHello whose one server name is 40 lower-case hex digits (libtorrent's SSL torrents) | Confirmed | the name alone: (16/38)^40 ≈ 2^-50 of 40-character names of DNS's alphabet; none of 10^4 hellos naming random `[0-9a-z.-]` strings (half of them 40 long) or 10^4 naming 40 hex digits spoiled by one character (upper case included), one more or a domain after them; no negative flow (`negative-tls-sni`: curl and OpenSSL naming a host, nothing, `<40 hex>.example.com`, 39 or 41 digits, 40 upper-case digits) (`tls_info_hash` in docs/accuracy.md) |
//!
//! - **Peer wire**: a complete 68-byte handshake is `Confirmed` unless what follows on its side
//!   refutes it: the next bytes must frame as a valid peer wire message (keep-alives may come
//!   first; Vuze and BiglyBT peers switch to Azureus Messaging Protocol frames, read as
//!   messages too, see `wire::message`), or the side must send nothing more before the other
//!   side speaks or the flow ends.
//!   A file that starts with a handshake and goes on with its own bytes is not BitTorrent.
//!   A handshake found by the text search needs a valid message after it.
//! - **Mid-stream peer wire** (no handshake seen): only on a flow picked up mid-stream
//!   ([`FlowClassifier::midstream`]; a side seen from its first byte must open with a
//!   handshake), `FRAMING_RUN` valid messages on one side, on both, or split across both are
//!   `Likely`; extension messages (a BEP 10 handshake, PEX, ut_metadata) and a block transfer
//!   (below) confirm. Framing alone never does: many protocols frame messages as
//!   `<u32 big-endian length><type byte><body>`, and with small type numbers their messages are
//!   valid peer wire messages (Riak's Protocol Buffers API pings are BEP 3's unchoke and
//!   interested). So without a handshake only messages as clients send them count toward the
//!   run (`message::Context::runs_need_payloads`): a message without a payload or a bitfield
//!   only first; a piece only as a 16 KiB block whose `begin` fits (every client requests
//!   16 KiB blocks; a side that uploads them is a block transfer anyway); a request, cancel or
//!   reject only with a block length below 128 KiB (BEP 3: clients close connections that ask
//!   for more than 16 KiB); an extended message only with a bencoded dictionary after its ext
//!   id. What is left for framing alone are idle sides: haves, requests, choking and interest,
//!   extension messages. The run alone is `Likely` once it stood its chance to be refuted:
//!   one more valid message after it (either side), or the flow's end. A second bitfield on a
//!   side (BEP 3: a bitfield "is only ever sent as the first message") refutes the framing of
//!   both sides (`message::Step::Refuted`): then no run counts, with or without extension
//!   messages. A protocol whose messages are exactly BEP 3's idle ones (acks shaped as haves
//!   with indices below 2^24) is still `Likely`, even if its framing fails later
//!   (docs/limits.md).
//!   **Azureus frames** (Vuze and BiglyBT peers that both set the AZ messaging bit speak
//!   `<u32 length><u32 id length><id><version><payload>`): two in a row whose ids are, byte for
//!   byte, ids BiglyBT and Vuze register (`message::AZ_IDS`: `BT_PIECE`, `AZ_HAVE`, …) with a
//!   version byte they write (1, 2, or 0x12: version 2 with padding) confirm, one side
//!   suffices. The reader matches an id against the list a byte at a time (an index into the
//!   sorted list and its position, in the header state and id byte it already has) and sets
//!   [`Evidence::MESSAGE_FRAMING`] itself only for this rule; frames whose ids merely start
//!   `AZ_` or `BT_` are framing, as before. Two frames rather than one: one exact id could be
//!   a string in other bytes that happen to frame; two in a row, each length leading to the
//!   next header, is what Vuze's encoder writes. The random families measure names
//!   that share the prefix, the vocabulary or all but one byte (none confirms); what is left is
//!   a stream that carries Vuze frames byte for byte (a dump of such traffic sent as a file),
//!   the block transfer rule's limit too.
//!   A side picked up inside a piece transfer (the usual case for the uploading side of a
//!   capture that began late: a 16 KiB block spans a dozen segments) is read from the next
//!   block's piece header (`00 00 40 09 07`), at most one block away.
//!   A **block transfer** is conclusive on its own, one side suffices (the uploader's, with
//!   asymmetric routing): a piece message carrying a 16 KiB block (length exactly 16393, id 7,
//!   an index whose first byte is zero, a `begin` that is a multiple of 16 KiB below
//!   `message::MAX_BLOCK_BEGIN`, 64 MiB) followed at once by a valid message header (not a
//!   keep-alive; a piece index's first byte included), [`Evidence::BLOCK_TRANSFER`]. Every
//!   current client requests 16 KiB blocks, aligned in power-of-two pieces; a `<u32
//!   length><type>` protocol would need 16 KiB chunks with the same 8-byte prefix, type 7 and
//!   a 16 KiB-aligned offset below 64 MiB, and the next message's header valid peer wire
//!   (measured in `tests/src/evidence.rs`). Such a protocol exists in principle: a file
//!   transfer framed `<u32 length><type 7><u64 offset><16 KiB chunk>` is BEP 3's piece
//!   message under another name in the first 64 MiB of a file (docs/limits.md). Requiring
//!   two blocks, or a `request` the other way, would not tell it apart (its next chunk is a
//!   second block; the uploader's side alone has no requests), so one block decides.
//! - **HTTP tracker**: an announce with a 20-byte `info_hash`, a 20-byte `peer_id` and a port,
//!   or a scrape with a 20-byte `info_hash`, is `Confirmed` on its own
//!   (`http_tracker::RequestReader::conclusive`); a weaker request (an `info_hash` and other
//!   announce parameters) is confirmed by a bencoded tracker reply, and `Likely` if the flow
//!   ends without any reply. A tracker reply after a request the reader could not read (or
//!   none captured) is `Likely` at the flow's end: a client alone can make its request
//!   unreadable, the tracker's reply it cannot (the reply's `peers` must have BEP 23's length,
//!   6 or 18 bytes a peer, or be BEP 3's list). A gzip-encoded reply is not read (nothing is decompressed): the
//!   request alone decides.
//! - **Encrypted peer wire**: the MSE/PE shape (`mse`: both first flights 96–608 bytes, the
//!   initiator's second flight at least 56 bytes with random first bytes, no look-alike's
//!   structure) is no verdict on its own: random bytes, obfs4, Shadowsocks, Telegram's
//!   obfuscated2 share it. A flow with the shape whose responder's second flight did not
//!   refute it ends `NotBitTorrent` with [`Evidence::MSE_SHAPE`] for the analyst. The shape is
//!   `Confirmed` with corroboration, [`FlowClassifier::known_endpoint`] or
//!   [`FlowClassifier::bittorrent_host`] (documented limit: a fully random protocol from a host
//!   with BitTorrent activity cannot be told from MSE), and so is a cleartext handshake in the
//!   responder's second flight after the exchange (plaintext selected). An initiator's first
//!   flight in range that nothing answered before the flow ended is `Confirmed` (an unanswered
//!   MSE attempt) only to a known peer endpoint, `Likely` from a BitTorrent host, and never if
//!   the flight is text or length-framed (3 of 2·10^5 random keys are). Flows picked up mid-stream
//!   ([`FlowClassifier::midstream`]) or with a gap in their first flights are never measured.
//!   Corroboration may come at any time, not only when the flow starts: a flow that ended its
//!   reading `NotBitTorrent` with the shape becomes `Confirmed` when it comes, and a flow
//!   table asks again while [`FlowClassifier::awaits_corroboration`] (late corroboration, see
//!   [`crate::table`]). It never confirms anything else: a flow whose flights were refuted, or
//!   that is not shaped like a key exchange, stays what its bytes make it.
//! - **SSL torrents** (libtorrent): a torrent with a root certificate in its info dictionary
//!   is only spoken over TLS, and the connecting peer must name the torrent's info-hash, in
//!   hex, as the ClientHello's server name (`wire::tls`). A side that opens with a TLS
//!   handshake record is read up to that name: 40 lower-case hex digits, the one name of the
//!   extension, confirm at once ([`Evidence::TLS_INFO_HASH`],
//!   [`Protocol::PeerWireEncrypted`]) and the info-hash goes to the observer. No DNS name is
//!   40 hex digits without a dot (it would need a hex top-level domain), so a web, mail or VPN
//!   client never sends one. A modified client that sends another form libtorrent's peer
//!   accepts (upper case, more characters, a domain after the digits) is not confirmed: those
//!   forms are open to anyone (docs/limits.md). The same hello in a uTP DATA payload adds the
//!   evidence to the uTP flow.
//! - **Magnet URIs** are metadata, not a verdict: a web page, a chat message or a mail that
//!   mentions a magnet link is not BitTorrent traffic, and the default policy acts on verdicts.
//!   The URI's info-hash goes to the observer and [`Evidence::MAGNET_URI`] stays in
//!   [`FlowClassifier::evidence`]; the verdict is what the rest of the flow says.
//!   [`Protocol::Magnet`] keeps its number for the ABI but no flow gets it any more.
//!
//! A UDP flow is read datagram by datagram, see [`crate::udp`] for its rules.
//!
//! A verdict, once BitTorrent, never goes back; its protocol is the first one recognised and
//! only its confidence and evidence grow.

use crate::observer::{NoObserver, Observer};
use crate::packet::TunnelKind;
use crate::udp::{Phase, UdpState};
use crate::verdict::{Confidence, Detection, Direction, Evidence, Protocol, Transport, Verdict};
use crate::wire::extension::ExtIds;
use crate::wire::{handshake, http, http_tracker, magnet, message, mse, tls};

unstable! {
    /// Valid peer wire messages (keep-alives excluded) a side must send, without a handshake, to
    /// count as peer wire. Chosen from measurement: no non-BitTorrent stream in the negative
    /// captures or random data gets past its first header (see the `framing_false_positives` test).
    pub const FRAMING_RUN: u8 = 3;
}

unstable! {
    /// Messages read on each side (after its handshake, or from where a mid-stream pickup began):
    /// enough for the [`FRAMING_RUN`] and the extension handshakes. The side stops at the end of
    /// that message, at the same stream byte however the stream is cut.
    pub const FOLLOW_MESSAGES: u8 = 16;
}

unstable! {
    /// Bytes at the start of a side picked up mid-stream ([`FlowClassifier::midstream`]) in
    /// which the header of a 16 KiB piece message ([`message::BLOCK_HEADER`]) is looked for
    /// when the side does not start at a message boundary: one block message (16,397 bytes)
    /// and room for the small messages sent between blocks.
    pub const RESYNC_WINDOW: u32 = 24 * 1024;
}

unstable! {
    /// Bytes of a cleartext side scanned for a magnet URI.
    pub const TEXT_SCAN_LIMIT: u32 = 64 * 1024;
}

unstable! {
    /// Bytes at the start of a side that began as text within which a handshake prefix is looked
    /// for (outside HTTP bodies): room for an HTTP-looking request line and a few headers.
    pub const TEXT_HANDSHAKE_WINDOW: u32 = 512;
}

unstable! {
    /// The most bytes each side of a TCP flow is read by its cleartext reader before it is
    /// decided or given up (invariant 4): the handshake and [`FOLLOW_MESSAGES`] messages of at
    /// most [`message::MAX_LEN`] bytes, each after at most [`message::MAX_KEEPALIVES`] keep-alives
    /// (only headers and extension payloads are parsed; the rest is skipped by length). HTTP
    /// messages on a keep-alive connection are read (heads parsed, bodies skipped by length and
    /// scanned for magnet URIs in the first [`TEXT_SCAN_LIMIT`] bytes) up to the same budget. The
    /// flights of the key exchange read at most [`mse::MAX_FLIGHT`] bytes, then the second flights'
    /// samples and [`mse::PLAINTEXT_WINDOW`] bytes.
    #[allow(clippy::arithmetic_side_effects)] // a constant: an overflow fails the build
    pub const SIDE_BUDGET: u64 = FOLLOW_MESSAGES as u64
        * (message::MAX_LEN as u64 + 4 + 4 * message::MAX_KEEPALIVES as u64)
        + 68;
}

/// [`SIDE_BUDGET`] as a stream offset.
const BUDGET: u32 = {
    assert!(SIDE_BUDGET <= u32::MAX as u64);
    SIDE_BUDGET as u32
};

/// What one direction's cleartext bytes are read as. An explicit tag byte (rather than a niche
/// in a reader's fields) keeps the per-payload tests of the variant to one comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Reader {
    /// At the start of the side: the next byte picks.
    Start,
    /// At the start of a side picked up mid-stream ([`FlowClassifier::midstream`]) or read
    /// again after a resync: as `Start`, and a zero byte (a length prefix's first) starts the
    /// peer wire message reader. A side seen from its first byte never starts with a message:
    /// BEP 3 puts the handshake first.
    Resume,
    /// After a complete HTTP message: the next byte picks the next message's reader.
    Next,
    Handshake(handshake::Reader),
    Messages(message::Reader),
    Request(http_tracker::RequestReader),
    Reply(http_tracker::ReplyReader),
    Http(http::Framer),
    /// Text: the magnet scan (and whether it found one), the handshake search.
    Text(magnet::Scanner, bool, handshake::Finder),
    /// A side that opened with a TLS handshake record: its ClientHello's server name.
    Tls(tls::HelloReader),
    /// A proxy negotiation in front of the side's readers ([`proxy`]).
    Proxy(proxy::Negotiation),
    /// A side picked up mid-stream: its first byte picks as at [`Reader::Start`] if it can
    /// start a message, a handshake or an HTTP message (the flag: no byte read yet);
    /// otherwise the side's first [`RESYNC_WINDOW`] bytes are searched for a 16 KiB block's
    /// piece header, where the messages are read from.
    Resync(message::BlockFinder, bool),
    /// Nothing more to read; the number of valid peer wire messages the side had sent
    /// (saturating), kept for the mid-stream rule that counts messages across both sides.
    Done(u8),
    /// Nothing more to read: the side's handshake was cut after `handshake::CUT_PREFIX_MIN`
    /// bytes of its prefix by a gap
    /// (a capture's snapshot length, [`FlowClassifier::gap`]).
    Cut,
    /// Nothing more to read: the side, read mid-stream, sent messages in an order BEP 3
    /// forbids ([`message::Step::Refuted`]), so the flow's framing is no evidence on either
    /// side. Never read again ([`FlowClassifier::resync`]).
    Refuted,
}

/// One direction of a TCP flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Side {
    reader: Reader,
    /// Bytes of the side read so far (saturating): the stream offset of the next byte.
    sent: u32,
    flights: mse::Flights,
}

impl Side {
    const fn new() -> Self {
        Self {
            reader: Reader::Start,
            sent: 0,
            flights: mse::Flights::new(),
        }
    }

    /// True when the side can add nothing: its reader is done and its flights too.
    fn exhausted(&self, direction: Direction) -> bool {
        matches!(self.reader, Reader::Done(_) | Reader::Refuted | Reader::Cut)
            && self.flights.is_done(direction)
    }
}

// Per-side flags.
/// The side sent a complete 68-byte handshake.
const HANDSHAKE: u8 = 1;
/// ... found by the search of a text side: only a valid message after it clears it.
const SCANNED: u8 = 2;
/// The handshake passed its refutation chance.
const CLEARED: u8 = 4;
/// ... found in the responder's second MSE flight (it counts as MSE evidence only).
const FROM_MSE: u8 = 8;
/// [`FRAMING_RUN`] valid messages from a side read mid-stream.
const FRAMED: u8 = 16;
/// The side started with a peer wire message (mid-stream pickup).
const MIDSTREAM: u8 = 32;
/// A tracker request (initiator) or reply (responder).
const TRACKER: u8 = 64;
/// A conclusive tracker request or reply.
const CONCLUSIVE: u8 = 128;

// Flow states.
const UNDECIDED: u8 = 0;
const BITTORRENT: u8 = 1;
const NOT_BITTORRENT: u8 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inner {
    Tcp { sides: [Side; 2], ids: [ExtIds; 2] },
    Udp(UdpState),
}

/// The classification state of one flow: a fixed [`FlowClassifier::SIZE`] bytes, no buffers.
///
/// Feed it one flow's payloads (TCP bytes in stream order, split anywhere; UDP datagrams one
/// by one) with the side that sent them; the verdict never depends on how the bytes were cut.
/// Call [`FlowClassifier::finish`] when the flow ends.
///
/// ```
/// use torclass_core::{Direction, FlowClassifier, Transport, Verdict};
///
/// let mut flow = FlowClassifier::new(Transport::Tcp);
/// let request = b"GET /index.html HTTP/1.1\r\nHost: example.org\r\n\r\n";
/// for byte in request.chunks(1) {
///     flow.feed(Direction::Initiator, byte);
/// }
/// flow.feed(Direction::Responder, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
/// assert_eq!(flow.finish(), Verdict::NotBitTorrent);
/// assert!(FlowClassifier::SIZE <= 96);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowClassifier {
    inner: Inner,
    evidence: Evidence,
    flags: [u8; 2],
    state: u8,
    protocol: Option<Protocol>,
    confidence: Confidence,
    /// [`FlowClassifier::is_done`], kept up to date by every method that changes the state.
    done: bool,
    /// The proxy negotiation the flow opened with, if any ([`proxy`]).
    proxy: proxy::ProxyState,
    /// Only rules that need corroboration confirm the flow ([`FlowClassifier::confirmed_alone`]).
    corroborated: bool,
}

const _: () = assert!(
    FlowClassifier::SIZE <= 96,
    "per-flow state must stay within 96 bytes"
);

impl FlowClassifier {
    /// Bytes of per-flow state.
    pub const SIZE: usize = core::mem::size_of::<Self>();

    /// A classifier for a new flow over IPv4.
    #[must_use]
    pub const fn new(transport: Transport) -> Self {
        Self::with_family(transport, false)
    }

    /// A classifier for a new flow; `ipv6` tells a UDP flow how long tracker peer entries are.
    #[must_use]
    pub const fn with_family(transport: Transport, ipv6: bool) -> Self {
        let inner = match transport {
            Transport::Udp => Inner::Udp(UdpState::new(ipv6)),
            Transport::Tcp => Inner::Tcp {
                sides: [Side::new(), Side::new()],
                ids: [
                    ExtIds {
                        pex: 0,
                        metadata: 0,
                    },
                    ExtIds {
                        pex: 0,
                        metadata: 0,
                    },
                ],
            },
        };
        Self {
            inner,
            evidence: Evidence::NONE,
            flags: [0; 2],
            state: UNDECIDED,
            protocol: None,
            confidence: Confidence::Likely,
            done: false,
            proxy: proxy::ProxyState::NONE,
            corroborated: false,
        }
    }

    /// The proxy the flow was read through, if any: a SOCKS 5 UDP relay flow
    /// ([`TunnelKind::Socks5`]), or a TCP connection to a SOCKS or HTTP `CONNECT` proxy whose
    /// client negotiation ended (the tunnelled stream is what the verdict is about).
    #[must_use]
    pub const fn proxy(&self) -> Option<TunnelKind> {
        match &self.inner {
            Inner::Udp(udp) if udp.socks() => Some(TunnelKind::Socks5),
            Inner::Udp(_) => None,
            Inner::Tcp { .. } => self.proxy.kind(),
        }
    }

    /// The transport this classifier reads.
    #[must_use]
    pub const fn transport(&self) -> Transport {
        match self.inner {
            Inner::Tcp { .. } => Transport::Tcp,
            Inner::Udp(_) => Transport::Udp,
        }
    }

    /// The verdict so far.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        match (self.state, self.protocol) {
            (BITTORRENT, Some(protocol)) => Verdict::BitTorrent(Detection {
                protocol,
                confidence: self.confidence,
                evidence: self.evidence,
            }),
            (NOT_BITTORRENT, _) => Verdict::NotBitTorrent,
            _ => Verdict::Undecided,
        }
    }

    /// The evidence gathered so far, also while the verdict is undecided or not BitTorrent
    /// (a magnet URI in a web page, for instance).
    #[must_use]
    pub const fn evidence(&self) -> Evidence {
        self.evidence
    }

    /// True when feeding more bytes can change nothing: the verdict is final and nothing more
    /// is read. A flow table skips such flows after its lookup.
    #[must_use]
    pub const fn is_done(&self) -> bool {
        self.done
    }

    /// What [`FlowClassifier::is_done`] says, computed.
    fn compute_done(&self) -> bool {
        match &self.inner {
            Inner::Tcp { sides: [a, b], .. } => {
                self.state != UNDECIDED
                    && a.exhausted(Direction::Initiator)
                    && b.exhausted(Direction::Responder)
            }
            Inner::Udp(udp) => udp.is_done(
                self.state == BITTORRENT,
                self.confidence == Confidence::Confirmed,
            ),
        }
    }

    /// Feed the next payload sent by `direction`: a TCP segment's bytes in stream order, or
    /// one UDP datagram.
    pub fn feed(&mut self, direction: Direction, payload: &[u8]) -> Verdict {
        self.feed_with(direction, payload, &mut NoObserver)
    }

    /// [`FlowClassifier::feed`], handing extracted fields to `observer`.
    pub fn feed_with<O: Observer>(
        &mut self,
        direction: Direction,
        payload: &[u8],
        observer: &mut O,
    ) -> Verdict {
        self.feed_payload(direction, payload, false, observer)
    }

    /// [`FlowClassifier::feed_with`] for a UDP datagram whose end the capture cut (a snapshot
    /// length shorter than the datagram): it is read as far as it goes, and the start of a
    /// KRPC message (its `a` or `r` dictionary with a complete 20-byte `id`,
    /// `wire::krpc::cut_start`) is conclusive there, as a whole one is. For TCP, a segment the
    /// capture cut is a gap after its bytes ([`FlowClassifier::gap`]), and this is
    /// `feed_with`.
    pub fn feed_cut_with<O: Observer>(
        &mut self,
        direction: Direction,
        payload: &[u8],
        observer: &mut O,
    ) -> Verdict {
        self.feed_payload(direction, payload, true, observer)
    }

    fn feed_payload<O: Observer>(
        &mut self,
        direction: Direction,
        payload: &[u8],
        cut: bool,
        observer: &mut O,
    ) -> Verdict {
        if payload.is_empty() || self.is_done() {
            return self.verdict();
        }
        if self.skip_bulk(direction, payload.len()) {
            return self.verdict();
        }
        match &mut self.inner {
            Inner::Tcp { sides, ids } => {
                if let (Direction::Initiator, Some(&first)) = (direction, payload.first()) {
                    proxy::start(sides, &mut self.proxy, first);
                }
                let before = digest(sides, self.flags, self.evidence);
                let other = direction.reverse();
                // Negotiation bytes end no one's turn (see `proxy`).
                let speaking = sides.get(direction.index()).is_some_and(proxy::negotiating);
                if let (false, Some(side), Some(f)) = (
                    speaking,
                    sides.get_mut(other.index()),
                    self.flags.get_mut(other.index()),
                ) {
                    side.flights.close(other);
                    *f |= turn_over(side, *f);
                }
                let cx = SideContext {
                    direction,
                    flags: self.flags,
                };
                let found = if speaking {
                    proxy::read(sides, ids, &mut self.proxy, &cx, payload, observer)
                } else {
                    read_side(sides, ids, &cx, payload, observer)
                };
                self.evidence |= found.evidence;
                if let Some(f) = self.flags.get_mut(direction.index()) {
                    *f |= found.flags;
                }
                if let Some(f) = self.flags.get_mut(other.index()) {
                    *f |= found.other;
                }
                // Most payloads (bulk data, skipped bodies) change nothing the rules read.
                let changed = digest(sides, self.flags, self.evidence) != before;
                // The message reader sets `message_framing` itself only for two Azureus frames
                // with known ids in a row on a side read mid-stream (`message::AZ_IDS`):
                // conclusive (the flow's framing runs set it in `decide_midstream`).
                if found.evidence.contains(Evidence::MESSAGE_FRAMING) {
                    self.detect(Protocol::PeerWire, Confidence::Confirmed);
                }
                if changed {
                    self.decide_tcp(false);
                }
            }
            Inner::Udp(udp) => {
                let phase = match (self.state, self.confidence) {
                    (BITTORRENT, Confidence::Confirmed) => Phase::Confirmed,
                    (BITTORRENT, _) => Phase::Likely,
                    (NOT_BITTORRENT, _) => Phase::Refuted,
                    _ => Phase::Undecided,
                };
                let found = udp.feed(direction, payload, cut, self.evidence, phase, observer);
                self.evidence |= found.evidence;
                if let Some((protocol, confidence)) = found.detection {
                    self.detect_by(protocol, confidence, found.corroborated);
                } else if found.refuted && self.state == UNDECIDED {
                    self.state = NOT_BITTORRENT;
                }
            }
        }
        self.done = self.compute_done();
        self.verdict()
    }

    /// The fast path of [`FlowClassifier::feed_with`] for bulk data: `len` bytes from
    /// `direction` that fall inside the body of a peer wire message (not an extended one) that
    /// goes on past them, with both sides' flights done and the side within its budget. The
    /// full path would only count them, close the other side's flight and end its turn:
    /// that is done here, the same way, without the readers' dispatch. False when the payload
    /// needs the full path (nothing changed then).
    #[inline]
    fn skip_bulk(&mut self, direction: Direction, len: usize) -> bool {
        let Inner::Tcp { sides, .. } = &mut self.inner else {
            return false;
        };
        let (i, o) = (direction.index(), direction.reverse().index());
        let [a, b] = sides;
        let (side, other) = if i == 0 { (a, b) } else { (b, a) };
        let Ok(n) = u32::try_from(len) else {
            return false;
        };
        let within = side.sent.checked_add(n).is_some_and(|end| end < BUDGET);
        let flights_done =
            side.flights.is_done(direction) && other.flights.is_done(direction.reverse());
        let Reader::Messages(reader) = &mut side.reader else {
            return false;
        };
        if !within || !flights_done || !reader.skip_in_body(len) {
            return false;
        }
        side.sent = side.sent.saturating_add(n);
        let count = reader.count();
        other.flights.close(direction.reverse());
        let before = self.flags;
        let own = before.get(i).copied().unwrap_or(0);
        if let Some(theirs) = self.flags.get_mut(o) {
            *theirs |= turn_over(other, *theirs);
        }
        let mut earned = 0;
        if count >= 1 && own & (HANDSHAKE | FROM_MSE) == HANDSHAKE {
            earned |= CLEARED;
        }
        if count >= FRAMING_RUN && own & MIDSTREAM != 0 {
            earned |= FRAMED;
        }
        if let Some(f) = self.flags.get_mut(i) {
            *f |= earned;
        }
        if self.flags != before {
            self.decide_tcp(false);
            self.done = self.compute_done();
        }
        true
    }

    /// The flow ended (both sides closed, a reset, or it was evicted idle): open flights are
    /// closed and judged (an MSE attempt nothing answered, a second flight that never came),
    /// a handshake followed by nothing is cleared, a one-sided guess that nothing refuted (TCP
    /// or UDP) becomes `Likely`, and a verdict still undecided becomes
    /// [`Verdict::NotBitTorrent`], since no more bytes will come.
    pub fn finish(&mut self) -> Verdict {
        if self.state == UNDECIDED {
            if let Inner::Udp(udp) = &mut self.inner {
                if let Some((protocol, confidence)) = udp.finish() {
                    self.detect(protocol, confidence);
                }
            }
        }
        let open = !(self.state == BITTORRENT && self.confidence == Confidence::Confirmed);
        if let (true, Inner::Tcp { sides, .. }) = (open, &mut self.inner) {
            for direction in [Direction::Initiator, Direction::Responder] {
                if let (Some(side), Some(f)) = (
                    sides.get_mut(direction.index()),
                    self.flags.get_mut(direction.index()),
                ) {
                    side.flights.close(direction);
                    *f |= turn_over(side, *f);
                }
            }
            self.decide_tcp(true);
        }
        if self.state == UNDECIDED {
            self.state = NOT_BITTORRENT;
        }
        self.done = self.compute_done();
        self.verdict()
    }

    /// For a flow picked up mid-stream: if `direction`'s side gave up and the flow is still
    /// undecided or only `Likely` (framing alone), read it again from the start of the next
    /// payload, which is where a sender's next write (and so, usually, its next message)
    /// begins, or search it for a block's piece header as [`FlowClassifier::midstream`] does;
    /// a side still searching reads the next payload as a message if it starts like one.
    /// Returns true if the side was restarted (not for a side still searching). Segment starts
    /// are the only alignment a late start offers, so the verdict of a flow picked up
    /// mid-stream depends on them; a stream seen from its first byte never needs this.
    pub fn resync(&mut self, direction: Direction) -> bool {
        let likely = self.state == BITTORRENT && self.confidence == Confidence::Likely;
        if self.state != UNDECIDED && !likely {
            return false;
        }
        let Inner::Tcp { sides, .. } = &mut self.inner else {
            return false;
        };
        match sides.get_mut(direction.index()) {
            Some(side) if matches!(side.reader, Reader::Done(_)) => {
                side.reader = Reader::Resync(message::BlockFinder::new(), true);
                self.done = false;
                true
            }
            // Still searching for a block's header: the payload is read as a message if it
            // starts like one, and searched on otherwise (nothing restarted).
            Some(Side {
                reader: Reader::Resync(_, fresh),
                ..
            }) => {
                *fresh = true;
                false
            }
            _ => false,
        }
    }

    /// `direction`'s first bytes came again, `behind` bytes behind the next stream byte (a
    /// retransmission from the side's first byte that covers all it sent so far): if the flow
    /// is still undecided, was seen from its start, the other side has sent nothing yet and
    /// no proxy negotiation is under way, forget what the side read and read it again from
    /// there, as a fresh side (whose MSE/PE flights stay refuted if they were: a gap refutes
    /// them, and the bytes after a gap are no key exchange). Returns true if the side was
    /// restarted. The other side's silence keeps turns as they were: a spurious
    /// retransmission after a reply is only a duplicate.
    ///
    /// A receiver keeps the first copy of a byte it accepted, but a sensor cannot see what
    /// the receiver accepted: a segment with a bad checksum or too low a TTL (an evasion tool's
    /// "fake" packet) never reaches it, and the real bytes then come as a retransmission. Read
    /// again, the real bytes decide the flow; the same bytes again give the same verdict.
    pub fn reread(&mut self, direction: Direction, behind: u32) -> bool {
        let midstream = (self.flags[0] | self.flags[1]) & MIDSTREAM != 0;
        if self.state != UNDECIDED || midstream {
            return false;
        }
        let Inner::Tcp { sides, ids } = &mut self.inner else {
            return false;
        };
        let i = direction.index();
        let other_silent = sides.get(i ^ 1).is_some_and(|o| o.sent == 0);
        if sides.iter().any(proxy::negotiating) || !other_silent {
            return false;
        }
        match sides.get_mut(i) {
            Some(side) if side.sent == behind && behind > 0 => {
                let refuted = side.flights.refuted();
                *side = Side::new();
                if refuted {
                    side.flights.refute();
                }
            }
            _ => return false,
        }
        if let (Some(f), Some(ids)) = (self.flags.get_mut(i), ids.get_mut(i)) {
            *f = 0;
            *ids = ExtIds::default();
        }
        self.done = self.compute_done();
        true
    }

    /// The flow was picked up mid-stream (its TCP SYN was not seen): its first bytes are not
    /// the start of anything, so it is never measured as an MSE/PE key exchange, and a side
    /// that starts with a zero byte is read as peer wire messages (the mid-stream rule; a flow
    /// seen from its start must open with a handshake). A flow table calls this when it
    /// creates such a flow, before its first payload. No effect on UDP flows.
    ///
    /// A side that then starts with a byte no peer wire message, handshake or HTTP message
    /// starts with (a capture that began inside a piece transfer) is searched for the next
    /// 16 KiB block's piece header in its first `RESYNC_WINDOW` bytes, and its messages are
    /// read from there.
    pub fn midstream(&mut self) {
        if let Inner::Tcp { sides, .. } = &mut self.inner {
            for side in sides.iter_mut() {
                side.flights.refute();
                if side.sent == 0 && side.reader == Reader::Start {
                    side.reader = Reader::Resync(message::BlockFinder::new(), true);
                }
            }
            self.decide_tcp(false);
            self.done = self.compute_done();
        }
    }

    /// The flow's peer is an endpoint learned from earlier BitTorrent traffic (an
    /// [`crate::endpoints`]-style cache hit): adds [`Evidence::KNOWN_ENDPOINT`], which confirms
    /// the shape of an MSE key exchange, and an MSE first flight nothing answered at the
    /// flow's end (see the module documentation).
    pub fn known_endpoint(&mut self) -> Verdict {
        self.corroborate(Evidence::KNOWN_ENDPOINT)
    }

    /// An end of the flow is a host with conclusive BitTorrent activity in the last minutes (a
    /// [`crate::hosts::HostCache`] hit): adds [`Evidence::BITTORRENT_HOST`], which, like
    /// [`FlowClassifier::known_endpoint`], confirms the shape of an MSE key exchange (but not
    /// an unanswered first flight: any connection of a host may go unanswered). Alone it
    /// decides nothing: ordinary flows between BitTorrent hosts (web, SSH, DNS) stay what they
    /// are.
    pub fn bittorrent_host(&mut self) -> Verdict {
        self.corroborate(Evidence::BITTORRENT_HOST)
    }

    /// True if the flow is `Confirmed` by a rule conclusive on its own bytes; false while it is
    /// not `Confirmed`, or while only rules that need corroboration from other flows
    /// ([`FlowClassifier::known_endpoint`], [`FlowClassifier::bittorrent_host`]) confirm it: the
    /// shape of an MSE/PE key exchange, an MSE first flight nothing answered (TCP), a run of
    /// MSE-shaped uTP DATA, a lone plausible uTP SYN (UDP). A flow confirmed by corroboration
    /// is BitTorrent because of what earlier flows taught, so it teaches nothing in turn
    /// ([`crate::Learning::confirmed`]) until a conclusive rule matches too (a cleartext
    /// handshake after the key exchange, an SSL torrent's info-hash, a uTP reply to the SYN):
    /// one corroboration of a random protocol (eMule's obfuscation, I2P's NTCP2, a game's first
    /// datagram shaped like a SYN) must not make its peer a learned endpoint or host, and
    /// every later flow to that peer, from any host, conclusive.
    #[must_use]
    #[inline]
    pub fn confirmed_alone(&self) -> bool {
        !self.corroborated && self.state == BITTORRENT && self.confidence == Confidence::Confirmed
    }

    /// True while corroboration ([`FlowClassifier::known_endpoint`],
    /// [`FlowClassifier::bittorrent_host`]) could still confirm the flow: a TCP flow that is
    /// not BitTorrent and has none yet, whose MSE/PE flights nothing refuted (a key exchange
    /// under way or complete, or a first flight that may go unanswered) or that still
    /// negotiates with a proxy (the tunnelled stream's flights start afresh). A flow table
    /// asks its learner again for such a flow whenever the learner learned something new (late
    /// corroboration, see [`crate::table`]); for any other flow corroboration changes nothing.
    /// Once false it stays false: a verdict, evidence and a refutation are kept, and a side
    /// restarts its flights only when its proxy negotiation ends.
    #[must_use]
    pub fn awaits_corroboration(&self) -> bool {
        let Inner::Tcp { sides: [a, b], .. } = &self.inner else {
            return false;
        };
        let corroborated = Evidence::KNOWN_ENDPOINT.0 | Evidence::BITTORRENT_HOST.0;
        let measured = !a.flights.refuted() && !b.flights.refuted();
        self.state != BITTORRENT
            && self.evidence.0 & corroborated == 0
            && (measured || proxy::negotiating(a) || proxy::negotiating(b))
    }

    /// True if corroboration could decide the flow now, while it
    /// [awaits it](FlowClassifier::awaits_corroboration): the MSE/PE exchange's shape is there
    /// (both first flights and the initiator's second in range), or the initiator sent a first
    /// flight that nothing answered yet (judged when the flow ends, so any of its packets may
    /// be its last). Otherwise an ask finds nothing to confirm (a key exchange under way is
    /// asked when its shape completes): a flow table asks again only for such flows.
    #[must_use]
    pub fn corroboration_decides(&self) -> bool {
        let Inner::Tcp { sides: [a, b], .. } = &self.inner else {
            return false;
        };
        let (fa, fb) = (&a.flights, &b.flights);
        (a.sent > 0 && b.sent == 0) || (fa.first_fits() && fb.first_fits() && fa.second_fits())
    }

    fn corroborate(&mut self, evidence: Evidence) -> Verdict {
        self.evidence |= evidence;
        if let Inner::Tcp { .. } = self.inner {
            self.decide_tcp(false);
        }
        self.done = self.compute_done();
        self.verdict()
    }

    /// Tell the classifier that the stream sent by `direction` lost bytes before the next
    /// payload (a gap the flow table could not fill, or a segment the capture's snapshot
    /// length cut). Readers that cannot resume after a hole stop; the text scans restart;
    /// flights still being measured are refuted. A tracker request cut there is judged as far
    /// as it went (`http_tracker::RequestReader::cut`): captures with a short snapshot length
    /// cut every announce's request line, after its `info_hash`, `peer_id` and `port`. So is a
    /// handshake cut after [`handshake::CUT_PREFIX_MIN`] bytes of its prefix (`\x13BitTo`;
    /// a 64-byte snapshot leaves 6 to 10): it counts as the side's handshake but is never
    /// cleared on its own (a file that begins with one may follow), so only a handshake from
    /// each side confirms the flow.
    pub fn gap(&mut self, direction: Direction) {
        if let Inner::Tcp { sides, .. } = &mut self.inner {
            if let Some(side) = sides.get_mut(direction.index()) {
                let flags = self.flags.get_mut(direction.index());
                match (&side.reader, flags) {
                    (Reader::Request(request), Some(f)) => {
                        if let Some(conclusive) = request.cut() {
                            *f |= if conclusive {
                                TRACKER | CONCLUSIVE
                            } else {
                                TRACKER
                            };
                            self.evidence |= Evidence::TRACKER_ANNOUNCE;
                        }
                    }
                    (Reader::Handshake(handshake), Some(f)) if handshake.has_cut_prefix() => {
                        *f |= HANDSHAKE;
                        self.evidence |= Evidence::HANDSHAKE;
                        side.reader = Reader::Cut;
                    }
                    _ => {}
                }
                side.reader = match side.reader {
                    Reader::Start => Reader::Start,
                    Reader::Resume => Reader::Resume,
                    Reader::Resync(_, fresh) => Reader::Resync(message::BlockFinder::new(), fresh),
                    Reader::Text(_, found, _) => {
                        Reader::Text(magnet::Scanner::new(), found, handshake::Finder::new())
                    }
                    Reader::Refuted => Reader::Refuted,
                    Reader::Cut => Reader::Cut,
                    _ => Reader::Done(0),
                };
                if !side.flights.is_done(direction) {
                    side.flights.refute();
                }
            }
            self.decide_tcp(false);
            self.done = self.compute_done();
        }
    }

    fn detect(&mut self, protocol: Protocol, confidence: Confidence) {
        self.detect_by(protocol, confidence, false);
    }

    /// [`FlowClassifier::detect`] by a rule that needed corroboration (`corroborated`) or not
    /// ([`FlowClassifier::confirmed_alone`]): a flow that corroboration confirmed is confirmed
    /// alone once a rule that needs none matches too.
    fn detect_by(&mut self, protocol: Protocol, confidence: Confidence, corroborated: bool) {
        let was_confirmed = self.state == BITTORRENT && self.confidence == Confidence::Confirmed;
        if self.state != BITTORRENT {
            self.state = BITTORRENT;
            self.protocol = Some(protocol);
            self.confidence = confidence;
        } else if confidence > self.confidence {
            self.confidence = confidence;
        }
        if confidence == Confidence::Confirmed {
            self.corroborated = corroborated && (self.corroborated || !was_confirmed);
        }
    }

    /// Apply the rules of the module documentation to what the sides found; `finishing` at
    /// the flow's end.
    fn decide_tcp(&mut self, finishing: bool) {
        let Inner::Tcp {
            sides: [sa, sb], ..
        } = &mut self.inner
        else {
            return;
        };
        // While a side negotiates with a proxy, no flight rule applies (see `proxy`).
        let negotiating = proxy::negotiating(sa) || proxy::negotiating(sb);
        // One side's refutation ends the measurement of both: the exchange needs both.
        let (fa, fb) = (&sa.flights, &sb.flights);
        if !negotiating
            && (fa.refuted() != fb.refuted() || (fa.length_framed() && fb.length_framed()))
        {
            sa.flights.refute();
            sb.flights.refute();
        }
        let (sa, sb) = (*sa, *sb);
        let [a, b] = self.flags;
        let any = a | b;
        if a & HANDSHAKE != 0 && b & HANDSHAKE != 0 {
            self.evidence |= Evidence::HANDSHAKE_REPLY;
        }
        // A handshake each way, one of them cut by the capture in or after its prefix (`gap`): peer
        // wire, as two complete ones are once either side's turn ends.
        let cut = matches!(sa.reader, Reader::Cut) || matches!(sb.reader, Reader::Cut);
        if cut && (a & b) & HANDSHAKE != 0 && (a | b) & FROM_MSE == 0 {
            self.detect(Protocol::PeerWire, Confidence::Confirmed);
        }
        if !negotiating {
            self.decide_mse(&sa, &sb, finishing);
        }
        if any & CLEARED != 0 {
            self.detect(Protocol::PeerWire, Confidence::Confirmed);
        }
        if self.evidence.contains(Evidence::TLS_INFO_HASH) {
            self.detect(Protocol::PeerWireEncrypted, Confidence::Confirmed);
        }
        self.decide_midstream(&sa, &sb, finishing);
        if any & CONCLUSIVE != 0 || (a & TRACKER != 0 && b & TRACKER != 0) {
            self.detect(Protocol::HttpTracker, Confidence::Confirmed);
        } else if finishing
            && ((a & TRACKER != 0 && sb.sent == 0)
                || (b & TRACKER != 0
                    && (sa.sent == 0 || self.evidence.contains(Evidence::TRACKER_REPLY))))
        {
            // A weaker request that nothing contradicted, or a tracker reply: picked up alone,
            // or after a request the reader could not read (cut by the capture, or made
            // unreadable on purpose by a client that hides its announce). Side `a` has no
            // tracker flag here, so the reply is the responder's.
            self.detect(Protocol::HttpTracker, Confidence::Likely);
        }
        if self.state == UNDECIDED
            && sa.exhausted(Direction::Initiator)
            && sb.exhausted(Direction::Responder)
        {
            self.state = NOT_BITTORRENT;
        }
    }

    /// The MSE/PE rules (module documentation) over both sides' flights.
    fn decide_mse(&mut self, sa: &Side, sb: &Side, finishing: bool) {
        let (fa, fb) = (&sa.flights, &sb.flights);
        if fa.refuted() || fb.refuted() {
            return;
        }
        let host = Evidence::KNOWN_ENDPOINT.0 | Evidence::BITTORRENT_HOST.0;
        let corroborated = self.evidence.0 & host != 0;
        let exchange = fa.first_fits() && fb.first_fits() && fa.second_fits();
        if exchange && fb.found_handshake() {
            self.evidence |= Evidence::MSE_SHAPE | Evidence::MSE_PLAINTEXT;
            self.detect(Protocol::PeerWireEncrypted, Confidence::Confirmed);
            return;
        }
        if exchange && corroborated {
            self.evidence |= Evidence::MSE_SHAPE;
            self.detect_by(Protocol::PeerWireEncrypted, Confidence::Confirmed, true);
            return;
        }
        // Alone, the shape is no verdict (random bytes, obfs4, Shadowsocks share it): it is
        // recorded for the analyst once the responder's second flight had its chance to refute
        // it. At the flow's end every open flight is closed: a responder with a first flight
        // but neither a second one nor a refutation sent nothing more.
        if exchange && (fb.second_fits() || finishing) {
            self.evidence |= Evidence::MSE_SHAPE;
            return;
        }
        // An attempt nothing answered, never one of text (an HTTP request) or a length-prefixed
        // message (a DNS query over TCP): to a peer endpoint learned from BitTorrent traffic it
        // is confirmed; from a BitTorrent host it is only a guess (any of that host's
        // connections may go unanswered).
        if finishing && sb.sent == 0 && fa.first_fits() && !fa.unlike_key() && !fa.length_framed() {
            if self.evidence.0 & Evidence::KNOWN_ENDPOINT.0 != 0 {
                self.evidence |= Evidence::MSE_UNANSWERED;
                self.detect_by(Protocol::PeerWireEncrypted, Confidence::Confirmed, true);
            } else if corroborated {
                self.evidence |= Evidence::MSE_UNANSWERED;
                self.detect(Protocol::PeerWireEncrypted, Confidence::Likely);
            }
        }
    }

    /// Peer wire messages read mid-stream, without a handshake. The framing run alone is a
    /// guess, given once it stood its chance to be refuted: one more valid message after it
    /// (either side), or the flow's end. With extension messages it confirms at once.
    fn decide_midstream(&mut self, sa: &Side, sb: &Side, finishing: bool) {
        let [a, b] = self.flags;
        if (a | b) & MIDSTREAM == 0 {
            return;
        }
        // A 16 KiB block and the message after it (`message::Context::blocks`): conclusive.
        if self.evidence.contains(Evidence::BLOCK_TRANSFER) {
            self.detect(Protocol::PeerWire, Confidence::Confirmed);
        }
        let Some(messages) = framing_run(sa, sb, self.flags) else {
            return;
        };
        self.evidence |= Evidence::MESSAGE_FRAMING;
        let extra = self.evidence.0
            & (Evidence::EXTENSION_HANDSHAKE.0
                | Evidence::PEX_MESSAGE.0
                | Evidence::METADATA_MESSAGE.0)
            != 0;
        if (framed(a) || framed(b)) && extra {
            self.detect(Protocol::PeerWire, Confidence::Confirmed);
        } else if finishing || messages > FRAMING_RUN {
            self.detect(Protocol::PeerWire, Confidence::Likely);
        }
    }
}

/// The valid messages of both sides if the mid-stream framing rule's run is there (module
/// documentation): [`FRAMING_RUN`] valid messages on a side read mid-stream, or split across
/// two such sides (at least one on each); never once a side broke BEP 3's order
/// ([`Reader::Refuted`]).
fn framing_run(sa: &Side, sb: &Side, flags: [u8; 2]) -> Option<u8> {
    let [a, b] = flags;
    let messages = |side: &Side| match side.reader {
        Reader::Messages(reader) => Some(reader.count()),
        Reader::Done(count) => Some(count),
        Reader::Refuted => None,
        _ => Some(0),
    };
    let (x, y) = (messages(sa)?, messages(sb)?);
    let split = a & MIDSTREAM != 0
        && b & MIDSTREAM != 0
        && x >= 1
        && y >= 1
        && x.saturating_add(y) >= FRAMING_RUN;
    (framed(a) || framed(b) || split).then_some(x.saturating_add(y))
}

/// True for the flags of a side read mid-stream that sent a run of its own.
const fn framed(flags: u8) -> bool {
    flags & MIDSTREAM != 0 && flags & FRAMED != 0
}

/// Everything [`FlowClassifier::decide_tcp`] reads of a TCP flow (but for what only the flow's
/// end reads): if it did not change, neither does the decision.
fn digest(sides: &[Side; 2], flags: [u8; 2], evidence: Evidence) -> (u32, [u8; 2], [u16; 2]) {
    let midstream = (flags[0] | flags[1]) & MIDSTREAM != 0;
    let side = |side: &Side| {
        // Message counts matter to the mid-stream rules only.
        let messages = match side.reader {
            Reader::Messages(r) if midstream => r.count(),
            Reader::Done(count) if midstream => count,
            _ => 0,
        };
        let done = u8::from(matches!(
            side.reader,
            Reader::Done(_) | Reader::Refuted | Reader::Cut
        )) << 7;
        let negotiating = u8::from(proxy::negotiating(side)) << 6;
        u16::from_le_bytes([messages, side.flights.status() | done | negotiating])
    };
    let [a, b] = sides;
    (evidence.0, flags, [side(a), side(b)])
}

/// The other side spoke, or the flow ended: `side`'s turn is over. A handshake followed by
/// nothing (or only keep-alives) passed its refutation chance: the flags that earns.
fn turn_over(side: &Side, flags: u8) -> u8 {
    let waiting = flags & (HANDSHAKE | SCANNED | FROM_MSE | CLEARED) == HANDSHAKE;
    match side.reader {
        Reader::Messages(r) if waiting && r.count() == 0 && r.at_boundary() => CLEARED,
        _ => 0,
    }
}

/// What reading one payload found.
struct Found {
    evidence: Evidence,
    flags: u8,
    /// Flags the other side earned (its turn ended when a tunnelled stream began).
    other: u8,
}

/// An observer that passes everything on but the peer endpoints: those of a tracker reply that
/// answers no tracker request on its flow.
struct Unasked<'a, O: Observer>(&'a mut O);

impl<O: Observer> Observer for Unasked<'_, O> {
    fn field(
        &mut self,
        direction: Direction,
        field: crate::observer::Field,
        offset: u32,
        bytes: &[u8],
    ) {
        self.0.field(direction, field, offset, bytes);
    }

    fn number(&mut self, direction: Direction, number: crate::observer::Number, value: u64) {
        self.0.number(direction, number, value);
    }

    fn proxy_peer(&self) -> Option<core::net::SocketAddr> {
        self.0.proxy_peer()
    }
}

/// What [`read_side`] needs to know of the flow.
struct SideContext {
    direction: Direction,
    /// Both sides' flags before this payload.
    flags: [u8; 2],
}

fn read_side<O: Observer>(
    sides: &mut [Side; 2],
    ids: &mut [ExtIds; 2],
    cx: &SideContext,
    payload: &[u8],
    observer: &mut O,
) -> Found {
    let direction = cx.direction;
    let i = direction.index();
    let mut found = Found {
        evidence: Evidence::NONE,
        flags: 0,
        other: 0,
    };
    // The flights first: a cleartext handshake in the responder's second flight, after a key
    // exchange whose other flights fit, is read from its prefix's end on.
    let initiator_ready = sides.first().is_some_and(|a| {
        a.flights.first_fits() && a.flights.second_fits() && !a.flights.length_framed()
    });
    let other_silent = sides
        .get(direction.reverse().index())
        .is_some_and(|o| o.sent == 0);
    let Some(side) = sides.get_mut(i) else {
        return found;
    };
    let offset = side.sent;
    side.sent = side
        .sent
        .saturating_add(u32::try_from(payload.len()).unwrap_or(u32::MAX));
    let plaintext = side
        .flights
        .read(payload, direction)
        .filter(|_| initiator_ready && side.flights.first_fits());
    let budget = |at: u32| usize::try_from(BUDGET.saturating_sub(at)).unwrap_or(usize::MAX);
    let mut reading = Reading {
        side,
        ids,
        direction,
        flags: cx.flags.get(i).copied().unwrap_or(0),
        other_flags: cx
            .flags
            .get(direction.reverse().index())
            .copied()
            .unwrap_or(0),
        other_silent,
        found: &mut found,
        observer,
    };
    match plaintext {
        Some(at) => {
            let (head, tail) = payload.split_at(at.min(payload.len()));
            reading.read(head.get(..budget(offset)).unwrap_or(head), offset);
            reading.side.reader = Reader::Handshake(handshake::Reader::at(20));
            reading.found.flags |= FROM_MSE;
            reading.found.evidence |= Evidence::HANDSHAKE;
            let tail_offset = offset.saturating_add(u32::try_from(at).unwrap_or(u32::MAX));
            reading.read(tail.get(..budget(tail_offset)).unwrap_or(tail), tail_offset);
        }
        None => reading.read(payload.get(..budget(offset)).unwrap_or(payload), offset),
    }
    if reading.side.sent >= BUDGET {
        reading.side.reader = match reading.side.reader {
            Reader::Messages(r) => Reader::Done(r.count()),
            Reader::Done(count) => Reader::Done(count),
            Reader::Refuted => Reader::Refuted,
            Reader::Cut => Reader::Cut,
            _ => Reader::Done(0),
        };
    }
    found
}

/// One side's cleartext reader at work on one payload.
struct Reading<'a, O: Observer> {
    side: &'a mut Side,
    ids: &'a mut [ExtIds; 2],
    direction: Direction,
    /// The side's flags before this payload.
    flags: u8,
    /// The other side's flags before this payload.
    other_flags: u8,
    /// The other side sent nothing before this payload (one direction of a connection).
    other_silent: bool,
    found: &'a mut Found,
    observer: &'a mut O,
}

impl<O: Observer> Reading<'_, O> {
    /// Read `payload`, whose first byte is at stream offset `offset` of the side.
    #[inline(always)]
    fn read(&mut self, payload: &[u8], offset: u32) {
        let mut rest = payload;
        while !rest.is_empty() {
            let at = offset.saturating_add(
                u32::try_from(payload.len().saturating_sub(rest.len())).unwrap_or(u32::MAX),
            );
            rest = self.step(rest, at);
        }
    }

    /// A handshake starts here (its prefix read by someone else unless `from_start`).
    fn handshake_at(&mut self, at: u32, from_start: bool) {
        self.side.reader = Reader::Handshake(if from_start {
            handshake::Reader::default()
        } else {
            self.found.evidence |= Evidence::HANDSHAKE;
            handshake::Reader::at(20)
        });
        if at > if from_start { 0 } else { 20 } {
            self.found.evidence |= Evidence::LATE_HANDSHAKE;
        }
    }

    /// Read from the start of `rest` (at stream offset `at`); what is left to read.
    fn step<'p>(&mut self, rest: &'p [u8], at: u32) -> &'p [u8] {
        let Some(&first) = rest.first() else {
            return rest;
        };
        let direction = self.direction;
        let side_flags = self.flags | self.found.flags;
        let after = |n: usize| rest.get(n..).unwrap_or_default();
        match &mut self.side.reader {
            // Read by `proxy::read`, never here.
            Reader::Proxy(_) => &[],
            Reader::Start | Reader::Resume | Reader::Next => {
                let resumed = matches!(self.side.reader, Reader::Resume);
                let opens = matches!(self.side.reader, Reader::Start);
                if matches!(first, b'\r' | b'\n') {
                    let run = rest
                        .iter()
                        .position(|&b| !matches!(b, b'\r' | b'\n'))
                        .unwrap_or(rest.len());
                    return after(run);
                }
                self.side.reader = match first {
                    0x13 => {
                        // On a side picked up mid-stream no handshake is late: where its stream
                        // began is unknown.
                        self.handshake_at(if resumed { 0 } else { at }, true);
                        return rest;
                    }
                    0x00 if resumed => {
                        self.found.flags |= MIDSTREAM;
                        Reader::Messages(message::Reader::new())
                    }
                    b'G' => Reader::Request(http_tracker::RequestReader::new()),
                    b'A'..=b'Z' => Reader::Http(http::Framer::new()),
                    b'\t' | 0x20..=0x7e => {
                        Reader::Text(magnet::Scanner::new(), false, handshake::Finder::new())
                    }
                    0x16 if opens => Reader::Tls(tls::HelloReader::new()),
                    _ => Reader::Done(0),
                };
                rest
            }
            Reader::Resync(finder, fresh) => {
                if *fresh && matches!(first, 0x00 | 0x13 | b'A'..=b'Z') {
                    self.side.reader = Reader::Resume;
                    return rest;
                }
                *fresh = false;
                let window = rest.get(..room(RESYNC_WINDOW, at)).unwrap_or(rest);
                let Some(end) = finder.find(window) else {
                    if window.len() < rest.len() || window.is_empty() {
                        self.side.reader = Reader::Done(0);
                    }
                    return &[];
                };
                // A block's piece message starts 5 bytes before `end` (in this payload or
                // partly in earlier ones): its header is constant, so the message reader is
                // given it whole and goes on after it.
                self.found.flags |= MIDSTREAM;
                self.side.reader = Reader::Messages(message::Reader::new());
                let header_at = at
                    .saturating_add(u32::try_from(end).unwrap_or(u32::MAX))
                    .saturating_sub(5);
                self.step(&message::BLOCK_HEADER, header_at);
                after(end)
            }
            Reader::Handshake(reader) => {
                let observer = &mut *self.observer;
                let found = &mut *self.found;
                let step = reader.read(rest, |part| match part {
                    handshake::Part::Prefix => found.evidence |= Evidence::HANDSHAKE,
                    handshake::Part::Reserved(e) => found.evidence |= e,
                    handshake::Part::InfoHash { offset, bytes } => {
                        observer.field(direction, crate::observer::Field::InfoHash, offset, bytes);
                    }
                    handshake::Part::PeerId { offset, bytes } => {
                        observer.field(direction, crate::observer::Field::PeerId, offset, bytes);
                    }
                });
                match step {
                    handshake::Step::NeedMore => &[],
                    handshake::Step::Complete { consumed } => {
                        self.found.flags |= HANDSHAKE;
                        self.side.reader = Reader::Messages(message::Reader::new());
                        after(consumed)
                    }
                    handshake::Step::Invalid => {
                        self.side.reader = Reader::Done(0);
                        &[]
                    }
                }
            }
            Reader::Messages(reader) => {
                let i = direction.index();
                let receiver_ids = self
                    .ids
                    .get(direction.reverse().index())
                    .copied()
                    .unwrap_or_default();
                let mut cx = message::Context {
                    direction,
                    receiver_ids,
                    sender_ids: self.ids.get(i).copied().unwrap_or_default(),
                    evidence: Evidence::NONE,
                    stop_after: FOLLOW_MESSAGES,
                    runs_need_payloads: side_flags & MIDSTREAM != 0,
                    blocks: side_flags & MIDSTREAM != 0,
                    observer: &mut *self.observer,
                };
                let step = reader.read(rest, &mut cx);
                self.found.evidence |= cx.evidence;
                if let Some(slot) = self.ids.get_mut(i) {
                    *slot = cx.sender_ids;
                }
                let count = reader.count();
                if count >= 1 && side_flags & (HANDSHAKE | FROM_MSE) == HANDSHAKE {
                    self.found.flags |= CLEARED;
                }
                if count >= FRAMING_RUN && side_flags & MIDSTREAM != 0 {
                    self.found.flags |= FRAMED;
                }
                match step {
                    message::Step::NeedMore => {}
                    message::Step::Refuted => self.side.reader = Reader::Refuted,
                    message::Step::Invalid | message::Step::Limit => {
                        self.side.reader = Reader::Done(count);
                    }
                }
                &[]
            }
            Reader::Request(reader) => match reader.read(rest, direction, self.observer) {
                http_tracker::Step::NeedMore => &[],
                http_tracker::Step::Tracker { .. } => {
                    self.found.flags |= TRACKER;
                    if reader.conclusive() {
                        self.found.flags |= CONCLUSIVE;
                    }
                    self.found.evidence |= Evidence::TRACKER_ANNOUNCE;
                    self.side.reader = Reader::Done(0);
                    &[]
                }
                http_tracker::Step::Invalid { consumed } => {
                    let last = consumed.checked_sub(1).and_then(|n| rest.get(n)).copied();
                    self.side.reader = Reader::Http(http::Framer::after_request_line(last));
                    after(consumed)
                }
            },
            // A bencoded reply names peers to learn only after a tracker request the other
            // side sent on this flow (BEP 3: a tracker's reply answers an announce), as a BEP 15
            // reply must answer a pending request: any web server can answer any request with
            // `d5:peers6:...e`, and the endpoints it names would corroborate later random-looking
            // flows to them, from any host. Its fields are still observed.
            Reader::Reply(reader) => match if self.other_flags & TRACKER != 0 {
                reader.read(rest, self.observer)
            } else {
                reader.read(rest, &mut Unasked(&mut *self.observer))
            } {
                http_tracker::Step::NeedMore => &[],
                http_tracker::Step::Tracker { done } => {
                    self.found.flags |= TRACKER;
                    // Alone (a mirror port: nothing of the other side) or after a tracker
                    // request; a reply to another request (`GET /`) is a page shaped as one,
                    // which would make its visitor a BitTorrent host.
                    let asked = self.other_flags & TRACKER != 0 || self.other_silent;
                    if asked && reader.conclusive() {
                        self.found.flags |= CONCLUSIVE;
                    }
                    self.found.evidence |= Evidence::TRACKER_REPLY;
                    if done {
                        self.side.reader = Reader::Done(0);
                    }
                    &[]
                }
                http_tracker::Step::Invalid { .. } => {
                    self.side.reader = Reader::Done(0);
                    &[]
                }
            },
            Reader::Http(framer) => {
                let magnet = room(TEXT_SCAN_LIMIT, at);
                let step = framer.read(rest, magnet, direction, self.observer);
                if framer.found_magnet() {
                    self.found.evidence |= Evidence::MAGNET_URI;
                }
                let framer = *framer;
                match step {
                    http::Step::NeedMore => &[],
                    http::Step::End { consumed } => {
                        self.side.reader = Reader::Next;
                        after(consumed)
                    }
                    http::Step::Invalid {
                        consumed,
                        head: true,
                    } => {
                        self.side.reader = Reader::Text(
                            framer.scanner(),
                            framer.found_magnet(),
                            handshake::Finder::new(),
                        );
                        after(consumed)
                    }
                    http::Step::Invalid { head: false, .. } => {
                        self.side.reader = Reader::Done(0);
                        &[]
                    }
                    http::Step::Bencoded { consumed } => {
                        self.side.reader = Reader::Reply(http_tracker::ReplyReader::at_body());
                        after(consumed)
                    }
                }
            }
            Reader::Text(scanner, magnet_found, finder) => {
                // Text ends at its first control byte (other than a handshake's 0x13): from
                // there on the side is binary, and a binary side is never searched.
                let text = rest
                    .iter()
                    .position(|&b| is_control(b) && b != 0x13)
                    .unwrap_or(rest.len());
                let window = rest
                    .get(..room(TEXT_HANDSHAKE_WINDOW, at).min(text))
                    .unwrap_or_default();
                let handshake = finder.find(window);
                let scanned = rest.get(..handshake.unwrap_or(text)).unwrap_or_default();
                if !*magnet_found {
                    let part = scanned.get(..room(TEXT_SCAN_LIMIT, at)).unwrap_or(scanned);
                    if scanner.scan(part, direction, self.observer) == magnet::Step::Found {
                        *magnet_found = true;
                        self.found.evidence |= Evidence::MAGNET_URI;
                    }
                }
                if let Some(consumed) = handshake {
                    self.found.flags |= SCANNED;
                    let end = at.saturating_add(u32::try_from(consumed).unwrap_or(u32::MAX));
                    self.handshake_at(end, false);
                    return after(consumed);
                }
                let end = at.saturating_add(u32::try_from(rest.len()).unwrap_or(u32::MAX));
                let scans_over =
                    end >= TEXT_HANDSHAKE_WINDOW && (*magnet_found || end >= TEXT_SCAN_LIMIT);
                if text < rest.len() || scans_over {
                    self.side.reader = Reader::Done(0);
                }
                &[]
            }
            Reader::Tls(reader) => {
                match reader.read(rest, direction, self.observer) {
                    tls::Step::NeedMore => {}
                    tls::Step::InfoHash => {
                        self.found.evidence |= Evidence::TLS_INFO_HASH;
                        self.side.reader = Reader::Done(0);
                    }
                    tls::Step::Other => self.side.reader = Reader::Done(0),
                }
                &[]
            }
            Reader::Done(_) | Reader::Refuted | Reader::Cut => &[],
        }
    }
}

/// A control byte other than tab, CR and LF: never in text.
const fn is_control(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f
}

/// Bytes from stream offset `at` up to `limit`.
fn room(limit: u32, at: u32) -> usize {
    usize::try_from(limit.saturating_sub(at)).unwrap_or(usize::MAX)
}

mod proxy;
pub(crate) mod state;

#[cfg(test)]
mod chance;
#[cfg(test)]
mod tests;
