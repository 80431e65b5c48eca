//! The accuracy report (`docs/accuracy.md`): torclass over every labelled capture, as a
//! deterministic Markdown document, so a test can tell when the committed report is stale.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use torclass_capture::{AnalyzerConfig, CaptureReader};
use torclass_core::endpoints::{CacheConfig, CacheEntry, EndpointCache};
use torclass_core::packet::{self, LinkType};
use torclass_core::table::{FlowTable, Slot, TableConfig};
use torclass_core::{Confidence, Metadata};

use crate::corpus::{self, CaseOutcome};
use crate::evidence::{self, FlowEvidence};
use crate::{compare_with, flow_id, labelled_captures_in, labels, FlowId, Outcome};

mod evasions;
mod operating_point;
mod strength;

/// Random inputs per family in the evidence-strength table.
pub const RANDOM_TRIALS: u32 = 10_000;

/// Labels of BitTorrent sent in the clear (recall must be 100%).
const PLAINTEXT: &[&str] = &[
    "peer_wire",
    "utp",
    "dht",
    "udp_tracker",
    "http_tracker",
    "lsd",
];

/// One labelled flow of one capture, with what torclass made of it.
#[derive(Clone, Debug)]
pub struct FlowResult {
    /// Label, program, tshark verdict and torclass's record (endpoint cache on).
    pub outcome: Outcome,
    /// The protocol and confidence torclass gave with the endpoint cache off.
    pub without_cache: Option<(&'static str, Confidence)>,
    /// Packets of the flow (both directions) when torclass first said Likely or more.
    pub likely_at: Option<u64>,
    /// Packets of the flow when torclass first said Confirmed.
    pub confirmed_at: Option<u64>,
    /// `src:sport -> dst:dport` as labelled (initiator first).
    pub flow: String,
}

impl FlowResult {
    /// True if the label says BitTorrent.
    pub fn is_bittorrent(&self) -> bool {
        self.outcome.label.label != "not_bittorrent"
    }

    /// True if the flow carried payload (flows without any are not counted).
    pub fn counts(&self) -> bool {
        self.outcome.label.payload || self.outcome.record.as_ref().is_some_and(|r| r.bytes > 0)
    }

    /// torclass's verdict as `protocol/confidence`, or `not_bittorrent` / `undecided`.
    pub fn torclass(&self) -> String {
        match &self.outcome.record {
            None => "not seen".into(),
            Some(r) => match r.verdict.detection() {
                Some(d) => format!("{}/{}", d.protocol.name(), d.confidence.name()),
                None => r.verdict.name().into(),
            },
        }
    }

    /// The confidence torclass reached, if it said BitTorrent.
    pub fn confidence(&self) -> Option<Confidence> {
        self.outcome
            .record
            .as_ref()
            .and_then(|r| r.verdict.detection())
            .map(|d| d.confidence)
    }
}

/// Every labelled flow of every capture in `dir` (sorted by capture, then first packet).
pub fn evaluate(dir: &Path) -> Vec<(String, Vec<FlowResult>)> {
    labelled_captures_in(dir)
        .iter()
        .map(|pcap| {
            let name = pcap
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, evaluate_capture(pcap))
        })
        .collect()
}

fn evaluate_capture(pcap: &Path) -> Vec<FlowResult> {
    let (outcomes, _) = compare_with(pcap, AnalyzerConfig::default());
    let no_cache = AnalyzerConfig {
        endpoints: 0,
        hosts: 0,
        ..AnalyzerConfig::default()
    };
    let without: HashMap<FlowId, (&'static str, Confidence)> = compare_with(pcap, no_cache)
        .0
        .into_iter()
        .filter_map(|o| {
            let r = o.record.as_ref()?;
            let d = r.verdict.detection()?;
            Some((crate::record_id(r), (d.protocol.name(), d.confidence)))
        })
        .collect();
    let reached = packets_to_decide(pcap);
    outcomes
        .into_iter()
        .map(|o| {
            let id = o.record.as_ref().map(crate::record_id);
            let (likely_at, confirmed_at) = id
                .as_ref()
                .and_then(|id| reached.get(id).copied())
                .unwrap_or((None, None));
            let flow = format!(
                "{} {}:{} → {}:{}",
                o.label.l4,
                bracket(&o.label.a.0.to_string()),
                o.label.a.1,
                bracket(&o.label.b.0.to_string()),
                o.label.b.1
            );
            FlowResult {
                without_cache: id.and_then(|id| without.get(&id).copied()),
                outcome: o,
                likely_at,
                confirmed_at,
                flow,
            }
        })
        .collect()
}

fn bracket(ip: &str) -> String {
    if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    }
}

/// For every flow of `pcap`: the flow's packet count when torclass first said Likely (or
/// more) and when it first said Confirmed, with the endpoint cache on (as the Analyzer runs).
fn packets_to_decide(pcap: &Path) -> HashMap<FlowId, (Option<u64>, Option<u64>)> {
    let config = AnalyzerConfig::default();
    let slots = vec![Slot::<Metadata>::default(); 1 << 14].into_boxed_slice();
    let mut table = FlowTable::new(slots, TableConfig::default());
    let entries = vec![CacheEntry::default(); config.endpoints].into_boxed_slice();
    let mut cache = EndpointCache::new(entries, CacheConfig::default());
    let mut by_number: HashMap<u64, (FlowId, Option<u64>, Option<u64>)> = HashMap::new();
    let Ok(mut reader) = CaptureReader::open(pcap) else {
        return HashMap::new();
    };
    while let Ok(Some(raw)) = reader.next_packet() {
        let Some(link) = LinkType::from_pcap(raw.link_type) else {
            continue;
        };
        let Ok(p) = packet::decode(link, raw.data) else {
            continue;
        };
        let now = u64::try_from(raw.ts_nanos).unwrap_or(0);
        let Ok(o) = table.process_learning(&p, now, &mut cache, |_| {}) else {
            continue;
        };
        let Some(d) = o.verdict.detection() else {
            continue;
        };
        let Some(slot) = table.get(o.slot) else {
            continue;
        };
        let key = slot.key();
        let n = u64::from(slot.packets());
        let entry = by_number.entry(slot.number()).or_insert_with(|| {
            let id = flow_id(
                key.transport.name(),
                (key.src.addr, key.src.port),
                (key.dst.addr, key.dst.port),
            );
            (id, None, None)
        });
        entry.1.get_or_insert(n);
        if d.confidence == Confidence::Confirmed {
            entry.2.get_or_insert(n);
        }
    }
    by_number
        .into_values()
        .map(|(id, likely, confirmed)| (id, (likely, confirmed)))
        .collect()
}

/// tshark's dissector names mapped to torclass's protocol names.
fn tshark_protocols(tshark: &str) -> BTreeSet<&'static str> {
    tshark
        .split(',')
        .filter_map(|name| match name {
            "bittorrent" => Some("peer_wire"),
            "bt-dht" => Some("dht"),
            "bt-utp" => Some("utp"),
            "lsd" | "bt-lsd" => Some("lsd"),
            _ => None,
        })
        .collect()
}

/// True if tshark and torclass agree on whether the flow is BitTorrent and which part.
fn tshark_agrees(r: &FlowResult) -> bool {
    let theirs = tshark_protocols(&r.outcome.label.tshark);
    match r.outcome.protocol() {
        None => theirs.is_empty(),
        Some(p) => theirs.contains(p),
    }
}

/// Why tshark and torclass disagree on a flow.
fn disagreement_reason(r: &FlowResult) -> &'static str {
    let label = r.outcome.label.label.as_str();
    let first = r.outcome.label.tshark.split(',').next().unwrap_or("-");
    if !r.outcome.correct() {
        return "torclass is wrong here (see the misses above)";
    }
    match (label, first) {
        ("peer_wire_encrypted", "bittorrent") => {
            "tshark dissects TCP ports 6881–6889 as BitTorrent whatever the bytes: these are \
             MSE/PE (RC4) bytes, not BEP 3 messages"
        }
        ("peer_wire_encrypted", _) => "tshark has no MSE/PE dissector",
        ("http_tracker", _) => {
            "tshark sees HTTP; it has no notion of a tracker announce (GET /announce?info_hash=…)"
        }
        ("udp_tracker", _) => "tshark 4.0 has no BEP 15 (UDP tracker) dissector",
        ("utp", _) => {
            "tshark needs its bt_utp_udp heuristic, which does not take every uTP flow \
             (e.g. a SYN without a reply)"
        }
        ("dht", _) => "tshark's bt-dht heuristic did not take this flow",
        ("lsd", _) => "tshark has no dissector for this LSD flow",
        ("peer_wire", _) => {
            "tshark dissects BitTorrent by port (6881–6889) or by its heuristic on the first \
             packet; this flow escaped both"
        }
        ("not_bittorrent", "bittorrent") => {
            "tshark calls it BitTorrent by port alone; torclass reads the bytes"
        }
        _ => "tshark and torclass name the flow differently",
    }
}

fn median(v: &mut [u64]) -> String {
    v.sort_unstable();
    v.get(v.len() / 2)
        .map_or_else(|| "–".into(), ToString::to_string)
}

pub(crate) fn pct(ok: usize, n: usize) -> String {
    if n == 0 {
        "–".into()
    } else {
        format!("{:.1}%", 100.0 * ok as f64 / n as f64)
    }
}

/// Client names of a flow's program (`initiator->responder`).
fn clients(program: &str) -> Vec<&str> {
    let mut v: Vec<&str> = program.split("->").collect();
    v.dedup();
    v
}

/// The whole report for the captures in `dir`, as Markdown.
pub fn markdown(dir: &Path, dir_name: &str) -> String {
    let captures = evaluate(dir);
    let all: Vec<&FlowResult> = captures
        .iter()
        .flat_map(|(_, v)| v.iter())
        .filter(|r| r.counts())
        .collect();
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# torclass accuracy on real traffic\n");
    let _ = writeln!(
        w,
        "Generated by `cargo run -p torclass-tests --bin accuracy-report` from the {} labelled \
         captures in `{dir_name}` ({} flows with payload). Do not edit by hand: \
         `tests/tests/accuracy_report.rs` fails when this file no longer matches the captures. \
         Labels are ground truth from the capture lab's scenarios (`tests/captures/README.md`), \
         never from torclass; the `tshark` column is tshark 4.0's dissector verdict for the \
         same flow. Flows without a payload byte are not counted. torclass runs as the CLI \
         does (endpoint cache on) unless a table says otherwise. Matrix-only scenarios \
         (`make-captures.sh --matrix`, not committed) are reported with `--captures DIR`; \
         the known misses they show are listed in `tests/captures/README.md`.\n",
        captures.len(),
        all.len()
    );

    let cases = corpus::all();
    let corpus_outcomes: Vec<CaseOutcome> = cases.iter().map(corpus::run).collect();
    summary(w, &all);
    operating_point::write(w, &operating_point::labelled(&all, &corpus_outcomes));
    evasions::write(w, &corpus_outcomes);
    let negatives = negative_evidence(dir, &cases);
    strength::write(w, &evidence::random_inputs(RANDOM_TRIALS), &negatives);
    capture_table(w, &captures);
    recall_by_label(w, &all);
    recall_by_client(w, &all);
    false_positives(w, &all);
    packets_needed(w, &all);
    encrypted(w, &all);
    misses(w, &captures);
    disagreements(w, &captures);
    out
}

/// Evidence and BitTorrent-ness of every negative flow: the captures' `not_bittorrent` flows
/// and the corpus's benign flows.
fn negative_evidence(dir: &Path, cases: &[corpus::Case]) -> strength::NegativeEvidence {
    let mut out = Vec::new();
    for pcap in labelled_captures_in(dir) {
        let truth = labels(&pcap);
        for f in evidence::capture_evidence(&pcap) {
            if truth
                .get(&f.id)
                .is_some_and(|l| l.label == "not_bittorrent")
            {
                out.push((f.evidence, f.verdict.is_bittorrent()));
            }
        }
    }
    for case in cases {
        let flows: Vec<FlowEvidence> =
            evidence::flow_evidence(case.trace.frames.iter().map(|(t, f)| (1, *t, f.as_slice())));
        for e in case.flows.iter().filter(|e| !e.is_bittorrent()) {
            let id = flow_id(e.l4, (e.a.ip(), e.a.port()), (e.b.ip(), e.b.port()));
            if let Some(f) = flows.iter().filter(|f| f.id == id).nth(e.nth) {
                out.push((f.evidence, f.verdict.is_bittorrent()));
            }
        }
    }
    out
}

fn summary(w: &mut String, all: &[&FlowResult]) {
    let count = |pred: &dyn Fn(&FlowResult) -> bool| {
        let n = all.iter().filter(|r| pred(r)).count();
        let ok = all
            .iter()
            .filter(|r| pred(r) && r.outcome.correct())
            .count();
        (ok, n)
    };
    let (pt_ok, pt) = count(&|r| {
        PLAINTEXT.contains(&r.outcome.label.label.as_str()) && !r.outcome.label.proxied()
    });
    let (enc_ok, enc) =
        count(&|r| r.outcome.label.label == "peer_wire_encrypted" && !r.outcome.label.proxied());
    let (px_ok, px) = count(&|r| r.is_bittorrent() && r.outcome.label.proxied());
    let neg: Vec<&&FlowResult> = all.iter().filter(|r| !r.is_bittorrent()).collect();
    let fp_likely = neg
        .iter()
        .filter(|r| r.confidence().is_some_and(|c| c != Confidence::Confirmed))
        .count();
    let fp_confirmed = neg
        .iter()
        .filter(|r| r.confidence() == Some(Confidence::Confirmed))
        .count();
    let _ = writeln!(w, "## Summary\n");
    let _ = writeln!(w, "| measure | result | required |\n|---|---|---|");
    let _ = writeln!(
        w,
        "| plaintext BitTorrent flows recognised (right protocol) | {pt_ok} / {pt} ({}) | 100% |",
        pct(pt_ok, pt)
    );
    let _ = writeln!(
        w,
        "| encrypted (MSE/PE) peer-wire flows recognised | {enc_ok} / {enc} ({}) | ≥ 95% |",
        pct(enc_ok, enc)
    );
    let _ = writeln!(
        w,
        "| BitTorrent on client-to-proxy legs (SOCKS, HTTP CONNECT, forward proxy) recognised | \
         {px_ok} / {px} ({}) | 100% |",
        pct(px_ok, px)
    );
    let _ = writeln!(
        w,
        "| non-BitTorrent flows called BitTorrent, Confirmed | {fp_confirmed} / {} | 0 |",
        neg.len()
    );
    let _ = writeln!(
        w,
        "| non-BitTorrent flows called BitTorrent, Likely | {fp_likely} / {} | 0 |\n",
        neg.len()
    );
}

fn capture_table(w: &mut String, captures: &[(String, Vec<FlowResult>)]) {
    let _ = writeln!(w, "## Captures\n");
    let _ = writeln!(
        w,
        "| capture | flows | BitTorrent | not BitTorrent | right | IPv6 flows |\n|---|---|---|---|---|---|"
    );
    for (name, flows) in captures {
        let counted: Vec<&FlowResult> = flows.iter().filter(|r| r.counts()).collect();
        let bt = counted.iter().filter(|r| r.is_bittorrent()).count();
        let right = counted.iter().filter(|r| r.outcome.correct()).count();
        let v6 = counted
            .iter()
            .filter(|r| r.outcome.label.a.0.is_ipv6())
            .count();
        let _ = writeln!(
            w,
            "| `{name}` | {} | {bt} | {} | {right} | {v6} |",
            counted.len(),
            counted.len() - bt
        );
    }
    let _ = writeln!(w);
}

fn recall_by_label(w: &mut String, all: &[&FlowResult]) {
    let mut by: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for r in all.iter().filter(|r| r.is_bittorrent()) {
        let e = by.entry(r.outcome.label.label.as_str()).or_default();
        e.0 += 1;
        if r.outcome.correct() {
            e.1 += 1;
            if r.confidence() == Some(Confidence::Confirmed) {
                e.2 += 1;
            }
        }
    }
    let _ = writeln!(w, "## Recall per protocol\n");
    let _ = writeln!(
        w,
        "| label | flows | recognised | recall | of them Confirmed |\n|---|---|---|---|---|"
    );
    for (label, (n, ok, confirmed)) in &by {
        let _ = writeln!(
            w,
            "| `{label}` | {n} | {ok} | {} | {confirmed} |",
            pct(*ok, *n)
        );
    }
    let _ = writeln!(w);
}

fn recall_by_client(w: &mut String, all: &[&FlowResult]) {
    let mut by_client: BTreeMap<&str, (usize, usize, BTreeSet<&str>)> = BTreeMap::new();
    let mut by_pair: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for r in all.iter().filter(|r| r.is_bittorrent()) {
        let ok = r.outcome.correct();
        for c in clients(&r.outcome.label.program) {
            let e = by_client.entry(c).or_default();
            e.0 += 1;
            e.1 += usize::from(ok);
            e.2.insert(r.outcome.label.label.as_str());
        }
        let e = by_pair
            .entry((
                r.outcome.label.program.as_str(),
                r.outcome.label.label.as_str(),
            ))
            .or_default();
        e.0 += 1;
        e.1 += usize::from(ok);
    }
    let _ = writeln!(w, "## Recall per client\n");
    let _ = writeln!(
        w,
        "A flow counts for both of its programs (initiator and responder).\n"
    );
    let _ = writeln!(
        w,
        "| program | flows | recognised | recall | labels seen |\n|---|---|---|---|---|"
    );
    for (client, (n, ok, labels)) in &by_client {
        let labels: Vec<String> = labels.iter().map(|l| format!("`{l}`")).collect();
        let _ = writeln!(
            w,
            "| {client} | {n} | {ok} | {} | {} |",
            pct(*ok, *n),
            labels.join(" ")
        );
    }
    let _ = writeln!(w, "\n### Per pair (initiator → responder) and protocol\n");
    let _ = writeln!(
        w,
        "| initiator → responder | label | flows | recognised |\n|---|---|---|---|"
    );
    for ((program, label), (n, ok)) in &by_pair {
        let _ = writeln!(
            w,
            "| {} | `{label}` | {n} | {ok} |",
            program.replace("->", " → ")
        );
    }
    let _ = writeln!(w);
}

fn false_positives(w: &mut String, all: &[&FlowResult]) {
    let mut by: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for r in all.iter().filter(|r| !r.is_bittorrent()) {
        let e = by.entry(r.outcome.label.program.as_str()).or_default();
        e.0 += 1;
        match r.confidence() {
            Some(Confidence::Confirmed) => e.2 += 1,
            Some(_) => e.1 += 1,
            None => {}
        }
    }
    let _ = writeln!(w, "## False positives per negative program\n");
    let _ = writeln!(
        w,
        "| program (client → server) | flows | called BitTorrent, Likely | Confirmed |\n|---|---|---|---|"
    );
    for (program, (n, likely, confirmed)) in &by {
        let _ = writeln!(
            w,
            "| {} | {n} | {likely} | {confirmed} |",
            program.replace("->", " → ")
        );
    }
    let _ = writeln!(w);
}

fn packets_needed(w: &mut String, all: &[&FlowResult]) {
    let mut by: BTreeMap<&str, (Vec<u64>, Vec<u64>, usize)> = BTreeMap::new();
    for r in all
        .iter()
        .filter(|r| r.is_bittorrent() && r.outcome.correct())
    {
        let e = by.entry(r.outcome.label.label.as_str()).or_default();
        e.2 += 1;
        e.0.extend(r.likely_at);
        e.1.extend(r.confirmed_at);
    }
    let _ = writeln!(w, "## Packets needed to decide\n");
    let _ = writeln!(
        w,
        "Packets of the flow, both directions and TCP handshake included, until torclass first \
         said Likely (or more) and until it said Confirmed; recognised flows only.\n"
    );
    let _ = writeln!(
        w,
        "| label | flows | to Likely: median | max | to Confirmed: median | max | flows Confirmed |\n|---|---|---|---|---|---|---|"
    );
    for (label, (likely, confirmed, n)) in &mut by {
        let max = |v: &[u64]| {
            v.iter()
                .copied()
                .max()
                .map_or_else(|| "–".into(), |m| m.to_string())
        };
        let _ = writeln!(
            w,
            "| `{label}` | {n} | {} | {} | {} | {} | {} |",
            median(likely),
            max(likely),
            median(confirmed),
            max(confirmed),
            confirmed.len()
        );
    }
    let _ = writeln!(w);
}

fn encrypted(w: &mut String, all: &[&FlowResult]) {
    let enc: Vec<&&FlowResult> = all
        .iter()
        .filter(|r| r.outcome.label.label == "peer_wire_encrypted")
        .collect();
    let neg: Vec<&&FlowResult> = all.iter().filter(|r| !r.is_bittorrent()).collect();
    let with = enc
        .iter()
        .filter(|r| r.outcome.protocol() == Some("peer_wire_encrypted"))
        .count();
    let with_confirmed = enc
        .iter()
        .filter(|r| {
            r.outcome.protocol() == Some("peer_wire_encrypted")
                && r.confidence() == Some(Confidence::Confirmed)
        })
        .count();
    let without = enc
        .iter()
        .filter(|r| {
            r.without_cache
                .is_some_and(|(p, _)| p == "peer_wire_encrypted")
        })
        .count();
    let without_confirmed = enc
        .iter()
        .filter(|r| r.without_cache == Some(("peer_wire_encrypted", Confidence::Confirmed)))
        .count();
    let fp_with = neg
        .iter()
        .filter(|r| r.outcome.protocol().is_some())
        .count();
    let fp_without = neg.iter().filter(|r| r.without_cache.is_some()).count();
    let _ = writeln!(
        w,
        "## Encrypted peer wire, with and without the endpoint cache\n"
    );
    let _ = writeln!(
        w,
        "| endpoint cache | MSE/PE flows | recognised | recall | Confirmed | negative flows called BitTorrent |\n|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        w,
        "| on (default) | {} | {with} | {} | {with_confirmed} | {fp_with} / {} |",
        enc.len(),
        pct(with, enc.len()),
        neg.len()
    );
    let _ = writeln!(
        w,
        "| off (`--no-endpoint-cache`) | {} | {without} | {} | {without_confirmed} | {fp_without} / {} |\n",
        enc.len(),
        pct(without, enc.len()),
        neg.len()
    );
}

fn misses(w: &mut String, captures: &[(String, Vec<FlowResult>)]) {
    let _ = writeln!(w, "## Misses\n");
    let mut any = false;
    for (name, flows) in captures {
        for r in flows.iter().filter(|r| r.counts() && !r.outcome.correct()) {
            if !any {
                let _ = writeln!(
                    w,
                    "| capture | flow | program | label | torclass |\n|---|---|---|---|---|"
                );
                any = true;
            }
            let _ = writeln!(
                w,
                "| `{name}` | {} | {} | `{}` | {} |",
                r.flow,
                r.outcome.label.program.replace("->", " → "),
                r.outcome.label.label,
                r.torclass()
            );
        }
    }
    if !any {
        let _ = writeln!(w, "None: every labelled flow got the right verdict.");
    }
    let _ = writeln!(w);
}

fn disagreements(w: &mut String, captures: &[(String, Vec<FlowResult>)]) {
    let mut groups: BTreeMap<(&str, String, String, &str), Vec<String>> = BTreeMap::new();
    for (name, flows) in captures {
        for r in flows.iter().filter(|r| r.counts() && !tshark_agrees(r)) {
            let torclass = r.outcome.protocol().unwrap_or("not_bittorrent").to_string();
            groups
                .entry((
                    r.outcome.label.label.as_str(),
                    r.outcome.label.tshark.clone(),
                    torclass,
                    disagreement_reason(r),
                ))
                .or_default()
                .push(format!("`{name}` {}", r.flow));
        }
    }
    let _ = writeln!(w, "## Where tshark and torclass disagree\n");
    let _ = writeln!(
        w,
        "tshark's verdict is the dissector above TCP/UDP for the flow's payload frames, most \
         frequent first (`-` = not dissected), run with `--enable-heuristic bt_utp_udp`. \
         `bittorrent`, `bt-dht`, `bt-utp` and `lsd` count as tshark saying BitTorrent; a flow is \
         listed when that does not match torclass's protocol.\n"
    );
    let _ = writeln!(
        w,
        "| label | tshark | torclass | flows | reason |\n|---|---|---|---|---|"
    );
    for ((label, tshark, torclass, reason), flows) in &groups {
        let _ = writeln!(
            w,
            "| `{label}` | `{tshark}` | `{torclass}` | {} | {reason} |",
            flows.len()
        );
    }
    let _ = writeln!(w, "\n<details><summary>Every such flow</summary>\n");
    let _ = writeln!(
        w,
        "| capture and flow | label | tshark | torclass |\n|---|---|---|---|"
    );
    for ((label, tshark, torclass, _), flows) in &groups {
        for f in flows {
            let _ = writeln!(w, "| {f} | `{label}` | `{tshark}` | `{torclass}` |");
        }
    }
    let _ = writeln!(w, "\n</details>");
}
