//! Shared helpers of the cross-crate tests: the labelled real captures in `tests/captures/`
//! and the comparison of torclass's records with their labels.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use torclass_capture::{Analyzer, AnalyzerConfig, CaptureReader, FlowRecord};

pub mod corpus;
pub mod evidence;
pub mod report;

/// The directory of the committed captures.
pub fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

/// Every committed capture that has a label file, sorted by name.
pub fn labelled_captures() -> Vec<PathBuf> {
    labelled_captures_in(&captures_dir())
}

/// Every capture in `dir` that has a label file, sorted by name.
pub fn labelled_captures_in(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the captures directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .filter(|p| p.with_extension("labels.jsonl").exists())
        .collect();
    all.sort();
    all
}

/// A flow's identity: transport and its two endpoints, unordered.
pub type FlowId = (String, (IpAddr, u16), (IpAddr, u16));

pub(crate) fn flow_id(l4: &str, a: (IpAddr, u16), b: (IpAddr, u16)) -> FlowId {
    if a <= b {
        (l4.to_string(), a, b)
    } else {
        (l4.to_string(), b, a)
    }
}

/// One line of a `.labels.jsonl` file: ground truth from the scenario that made the capture.
#[derive(Clone, Debug)]
pub struct Label {
    /// `tcp` or `udp`.
    pub l4: String,
    /// The side that opened the flow.
    pub a: (IpAddr, u16),
    /// The other side.
    pub b: (IpAddr, u16),
    /// `peer_wire`, `dht`, …, or `not_bittorrent`.
    pub label: String,
    /// Other protocols the flow also carries (one UDP socket carries uTP and the DHT).
    pub also: Vec<String>,
    /// Which programs made the flow.
    pub program: String,
    /// tshark's dissector verdict, as a cross-check.
    pub tshark: String,
    /// False when the flow carried no payload.
    pub payload: bool,
    /// BitTorrent metadata the flow's content carries without being BitTorrent (`magnet`:
    /// a magnet URI in a web page); its `info_hash` must be on the record.
    pub content: Option<String>,
    /// The info-hash (40 hex digits) that content names.
    pub info_hash: Option<String>,
    /// The tunnel or proxy the flow runs in: an encapsulation (`gre`, `vxlan`, …) or, for a
    /// client-to-proxy leg, how it reaches the proxy (`socks4`, `socks5`, `http_connect`,
    /// `http_proxy`).
    pub tunnel: Option<String>,
}

/// Proxy kinds of [`Label::tunnel`]: client-to-proxy legs, which the classifier reads past
/// their negotiation (issue 14); the accuracy test counts them per proxy kind.
pub const PROXY_TUNNELS: [&str; 4] = ["socks4", "socks5", "http_connect", "http_proxy"];

impl Label {
    /// A client-to-proxy leg (see [`PROXY_TUNNELS`]).
    pub fn proxied(&self) -> bool {
        self.tunnel
            .as_deref()
            .is_some_and(|t| PROXY_TUNNELS.contains(&t))
    }
}

/// The labels of a capture by flow.
pub fn labels(pcap: &Path) -> HashMap<FlowId, Label> {
    let text = std::fs::read_to_string(pcap.with_extension("labels.jsonl")).expect("labels");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("label json");
            let ep = |ip: &str, port: &str| -> (IpAddr, u16) {
                (
                    v[ip].as_str().and_then(|s| s.parse().ok()).expect("ip"),
                    v[port]
                        .as_u64()
                        .and_then(|p| u16::try_from(p).ok())
                        .expect("port"),
                )
            };
            let l4 = v["l4"].as_str().expect("l4").to_string();
            let (a, b) = (ep("a", "aport"), ep("b", "bport"));
            let id = flow_id(&l4, a, b);
            let strings = |k: &str| -> Vec<String> {
                v[k].as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let label = Label {
                l4,
                a,
                b,
                label: v["label"].as_str().expect("label").to_string(),
                also: strings("also"),
                program: v["program"].as_str().unwrap_or("").to_string(),
                tshark: v["tshark"].as_str().unwrap_or("").to_string(),
                payload: v["payload"].as_bool().unwrap_or(true),
                content: v["content"].as_str().map(String::from),
                info_hash: v["info_hash"].as_str().map(String::from),
                tunnel: v["tunnel"].as_str().map(String::from),
            };
            (id, label)
        })
        .collect()
}

/// Classify a capture with the default analyzer; every flow's record.
pub fn classify(pcap: &Path) -> Vec<FlowRecord> {
    classify_with(pcap, AnalyzerConfig::default())
}

/// Classify a capture with `config`; every flow's record.
pub fn classify_with(pcap: &Path, config: AnalyzerConfig) -> Vec<FlowRecord> {
    let mut reader = CaptureReader::open(pcap).expect("open capture");
    let mut analyzer = Analyzer::new(config);
    analyzer.read(&mut reader, |_| {}).expect("read capture");
    analyzer.finish()
}

/// The identity of a record's flow.
pub fn record_id(r: &FlowRecord) -> FlowId {
    flow_id(r.l4.name(), (r.src, r.sport), (r.dst, r.dport))
}

/// How one labelled flow came out.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The capture it is in.
    pub capture: String,
    /// Its label.
    pub label: Label,
    /// torclass's record, if torclass saw the flow.
    pub record: Option<FlowRecord>,
}

impl Outcome {
    /// The protocol name torclass gave, if it said BitTorrent.
    pub fn protocol(&self) -> Option<&'static str> {
        self.record
            .as_ref()
            .and_then(|r| r.verdict.detection())
            .map(|d| d.protocol.name())
    }

    /// True if torclass's verdict agrees with the label (protocol included), and the record
    /// carries the info-hash of the flow's content, if the label names one.
    pub fn correct(&self) -> bool {
        if let Some(want) = &self.label.info_hash {
            let got = self
                .record
                .as_ref()
                .and_then(|r| r.info_hash.as_deref())
                .map(torclass_capture::hex);
            if got.as_deref() != Some(want.as_str()) {
                return false;
            }
        }
        match (self.label.label.as_str(), self.protocol()) {
            ("not_bittorrent", p) => p.is_none(),
            (want, Some(got)) => got == want || self.label.also.iter().any(|a| a == got),
            (_, None) => false,
        }
    }
}

/// Every labelled flow of `pcap` with torclass's record, and the records torclass made of
/// flows with payload that have no label.
pub fn compare(pcap: &Path) -> (Vec<Outcome>, Vec<FlowRecord>) {
    compare_with(pcap, AnalyzerConfig::default())
}

/// [`compare`] with an analyzer set up by `config`.
pub fn compare_with(pcap: &Path, config: AnalyzerConfig) -> (Vec<Outcome>, Vec<FlowRecord>) {
    let labels = labels(pcap);
    let mut records: HashMap<FlowId, FlowRecord> = HashMap::new();
    for r in classify_with(pcap, config) {
        records.insert(record_id(&r), r);
    }
    let capture = pcap
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut outcomes: Vec<Outcome> = labels
        .iter()
        .map(|(id, label)| Outcome {
            capture: capture.clone(),
            label: label.clone(),
            record: records.get(id).cloned(),
        })
        .collect();
    outcomes.sort_by(|a, b| {
        let key = |o: &Outcome| {
            (
                o.record.as_ref().map(|r| (r.first_ts * 1e6) as i64),
                o.label.l4.clone(),
                o.label.a,
                o.label.b,
            )
        };
        key(a).cmp(&key(b))
    });
    let unlabelled = records
        .into_iter()
        .filter(|(id, r)| !labels.contains_key(id) && r.bytes > 0)
        .map(|(_, r)| r)
        .collect();
    (outcomes, unlabelled)
}
