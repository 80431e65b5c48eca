//! [`FlowRecord`]: one flow's result, the row every torclass tool writes and reads.
//!
//! Its JSON-lines form is the contract (design.md, "The JSON-lines flow record"): the keys
//! of [`COLUMNS`] in that order, unknown values `null`, never missing. CSV uses the same
//! columns in the same order.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::IpAddr;

use smallvec::SmallVec;
use torclass_core::table::EndReason;
use torclass_core::verdict::{Evidence, Transport, Verdict};

/// The record's keys (JSON) and columns (CSV), in order.
pub const COLUMNS: [&str; 24] = [
    "l4",
    "src",
    "sport",
    "dst",
    "dport",
    "first_ts",
    "last_ts",
    "packets",
    "bytes",
    "packets_out",
    "bytes_out",
    "packets_in",
    "bytes_in",
    "verdict",
    "protocol",
    "confidence",
    "evidence",
    "info_hash",
    "peer_id",
    "client",
    "dht_node_id",
    "decided_at_packet",
    "tunnel",
    "tunnel_dst",
];

/// An identifier a record holds (info-hash, peer id, DHT node id): at most 32 bytes, kept
/// inline so that building a record does not allocate for it.
pub type Id = SmallVec<[u8; 32]>;

/// One flow: its 5-tuple, when and how much it was seen, and its classification.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowRecord {
    /// TCP or UDP.
    pub l4: Transport,
    /// The address that sent the flow's first packet.
    pub src: IpAddr,
    /// Its port.
    pub sport: u16,
    /// The other address.
    pub dst: IpAddr,
    /// Its port.
    pub dport: u16,
    /// Timestamp of the first packet, seconds since the epoch.
    pub first_ts: f64,
    /// Timestamp of the last packet, seconds since the epoch.
    pub last_ts: f64,
    /// `first_ts` exactly: nanoseconds since the epoch (the Arrow and Parquet column).
    pub first_ns: i64,
    /// `last_ts` exactly: nanoseconds since the epoch.
    pub last_ns: i64,
    /// Packets seen, both directions.
    pub packets: u64,
    /// Transport payload bytes seen, both directions: TCP or UDP payload only, without any
    /// link, IP or transport header (and TCP retransmissions counted once if the flow table
    /// drops them).
    pub bytes: u64,
    /// Packets sent by `src` (the initiator).
    pub packets_out: u64,
    /// Transport payload bytes sent by `src`, counted as `bytes` is.
    pub bytes_out: u64,
    /// Packets sent by `dst` (the responder).
    pub packets_in: u64,
    /// Transport payload bytes sent by `dst`, counted as `bytes` is.
    pub bytes_in: u64,
    /// The classification; `protocol` and `confidence` come from it.
    pub verdict: Verdict,
    /// What the classifier saw, also in a flow that is not BitTorrent (a magnet URI in a web
    /// page is metadata, not a verdict); a BitTorrent verdict's evidence is included.
    pub evidence: Evidence,
    /// The torrent's info-hash: 20 bytes (v1, SHA-1) or 32 bytes (v2, SHA-256).
    pub info_hash: Option<Id>,
    /// The peer id from a handshake (20 bytes), written printable (see [`peer_id_text`]).
    pub peer_id: Option<Id>,
    /// The client named by the peer id or the extension handshake's `v`.
    pub client: Option<String>,
    /// A DHT node id (20 bytes) seen in the flow.
    pub dht_node_id: Option<Id>,
    /// 1-based number of the flow's packet at which the verdict was first BitTorrent or
    /// not BitTorrent; for a flow called not BitTorrent and BitTorrent later, the packet at
    /// which it became BitTorrent.
    pub decided_at_packet: Option<u64>,
    /// Why the flow left the flow table, if it did before the capture ended (not a column:
    /// the front ends that hand out flows as they end report it).
    pub end_reason: Option<EndReason>,
    /// The encapsulation the flow's first packet came in ([`TunnelKind::name`]: `gre`,
    /// `ipip`, `6in4`, `4in6`, `6in6`, `vxlan`, `geneve`, `teredo`, `pppoe`, `gtp_u`, `mpls`,
    /// `erspan`), or the proxy whose negotiation the classifier read past (`socks4`, `socks5`,
    /// `http_connect`; the record's 5-tuple is then the client-to-proxy leg), or `None` for a
    /// flow straight on the link. The record's 5-tuple is the flow inside an encapsulation.
    ///
    /// [`TunnelKind::name`]: torclass_core::packet::TunnelKind::name
    pub tunnel: Option<&'static str>,
    /// Where the tunnel runs: the outer IP endpoints `SRC -> DST` (`SRC:PORT -> DST:PORT` for
    /// VXLAN and GTP-U, IPv6 in brackets) and the tunnel's identifier (`key N`, `vni N`,
    /// `session N`, `teid N`, `label N`), space-separated; e.g. `10.0.0.1 -> 10.0.0.2 key 7`,
    /// or `session 17` for PPPoE straight on Ethernet. For a proxy: the endpoint the client
    /// asked for, `HOST:PORT` (`10.0.0.2:6881`, `[2001:db8::1]:6881`, `tracker.example:80`;
    /// for a SOCKS 5 UDP relay flow, its first datagram's). `None` without a tunnel. See
    /// [`torclass_core::packet::Tunnel`] and [`torclass_core::wire::proxy::Target`].
    pub tunnel_dst: Option<String>,
}

impl FlowRecord {
    /// A record for a flow with no packets counted yet: timestamps 0, verdict undecided,
    /// nothing known.
    #[must_use]
    pub fn new(l4: Transport, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> Self {
        Self {
            l4,
            src,
            sport,
            dst,
            dport,
            first_ts: 0.0,
            last_ts: 0.0,
            first_ns: 0,
            last_ns: 0,
            packets: 0,
            bytes: 0,
            packets_out: 0,
            bytes_out: 0,
            packets_in: 0,
            bytes_in: 0,
            verdict: Verdict::Undecided,
            evidence: Evidence::NONE,
            info_hash: None,
            peer_id: None,
            client: None,
            dht_node_id: None,
            decided_at_packet: None,
            end_reason: None,
            tunnel: None,
            tunnel_dst: None,
        }
    }

    /// Set both timestamps from nanoseconds since the epoch: the exact `first_ns`/`last_ns`
    /// (saturated at `i64::MAX`, the year 2262) and the seconds `first_ts`/`last_ts`.
    pub fn set_times(&mut self, first_ns: u64, last_ns: u64) {
        self.first_ns = i64::try_from(first_ns).unwrap_or(i64::MAX);
        self.last_ns = i64::try_from(last_ns).unwrap_or(i64::MAX);
        self.first_ts = first_ns as f64 / 1e9;
        self.last_ts = last_ns as f64 / 1e9;
    }

    /// The values of [`COLUMNS`], in order: what every format (JSON lines, CSV, table, the
    /// Python module's `to_dict()`) writes, so they all agree.
    #[must_use]
    pub fn values(&self) -> [Value<'_>; COLUMNS.len()] {
        let detection = self.verdict.detection();
        let text = |s: &'static str| Value::Text(Cow::Borrowed(s));
        [
            text(self.l4.name()),
            Value::Text(Cow::Owned(self.src.to_string())),
            Value::Int(self.sport.into()),
            Value::Text(Cow::Owned(self.dst.to_string())),
            Value::Int(self.dport.into()),
            Value::Ts(self.first_ts),
            Value::Ts(self.last_ts),
            Value::Int(self.packets),
            Value::Int(self.bytes),
            Value::Int(self.packets_out),
            Value::Int(self.bytes_out),
            Value::Int(self.packets_in),
            Value::Int(self.bytes_in),
            text(self.verdict.name()),
            detection.map_or(Value::Null, |d| text(d.protocol.name())),
            detection.map_or(Value::Null, |d| text(d.confidence.name())),
            Value::Names(detection.map_or(self.evidence, |d| d.evidence | self.evidence)),
            hex_value(self.info_hash.as_deref()),
            self.peer_id
                .as_deref()
                .map_or(Value::Null, |id| Value::Text(Cow::Owned(peer_id_text(id)))),
            self.client
                .as_deref()
                .map_or(Value::Null, |c| Value::Text(Cow::Borrowed(c))),
            hex_value(self.dht_node_id.as_deref()),
            self.decided_at_packet.map_or(Value::Null, Value::Int),
            self.tunnel.map_or(Value::Null, text),
            self.tunnel_dst
                .as_deref()
                .map_or(Value::Null, |t| Value::Text(Cow::Borrowed(t))),
        ]
    }
}

/// One field of a record, before a format writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// Unknown: JSON `null`, an empty CSV field.
    Null,
    /// A string.
    Text(Cow<'a, str>),
    /// A count, port or packet number.
    Int(u64),
    /// Seconds since the epoch, written with 6 decimals (`null` if not finite).
    Ts(f64),
    /// Evidence names: a JSON array, or joined with `|` in CSV.
    Names(Evidence),
}

fn hex_value(bytes: Option<&[u8]>) -> Value<'static> {
    bytes.map_or(Value::Null, |b| Value::Text(Cow::Owned(hex(b))))
}

/// Lowercase hex of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A peer id as printable text: bytes 0x20..=0x7e as they are, except `\` written `\\`;
/// every other byte as `\xNN` (lowercase hex). `-TR3000-` ids stay readable and the text
/// still says exactly which bytes were sent.
#[must_use]
pub fn peer_id_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out
}

/// A timestamp with 6 decimals, as every format writes it, or `None` if it is not finite.
#[must_use]
pub fn ts_text(ts: f64) -> Option<String> {
    ts.is_finite().then(|| format!("{ts:.6}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_ids_are_printable_and_exact() {
        assert_eq!(
            peer_id_text(b"-TR3000-abcdefghijkl"),
            "-TR3000-abcdefghijkl"
        );
        assert_eq!(
            peer_id_text(b"a\\b\x00\x7f\xff~ "),
            "a\\\\b\\x00\\x7f\\xff~ "
        );
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0x00, 0xab, 0x10]), "00ab10");
    }

    #[test]
    fn timestamps_have_six_decimals() {
        assert_eq!(
            ts_text(1_700_000_003.5).as_deref(),
            Some("1700000003.500000")
        );
        assert_eq!(ts_text(f64::NAN), None);
    }
}
