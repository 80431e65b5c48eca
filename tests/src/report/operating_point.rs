//! The operating-point table: recall and false positives at `likely` and at `confirmed`, per
//! protocol and overall, over the labelled captures and the corpus.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use torclass_core::Confidence;

use super::{pct, FlowResult};
use crate::corpus::CaseOutcome;

/// One labelled flow, from a capture or the corpus.
pub struct Labelled {
    /// `captures` or `corpus`.
    pub source: &'static str,
    /// Ground truth.
    pub label: String,
    /// Other protocol names that count as right.
    pub also: Vec<String>,
    /// What torclass said, if BitTorrent.
    pub detection: Option<(&'static str, Confidence)>,
}

impl Labelled {
    fn right(&self) -> bool {
        self.detection
            .is_some_and(|(p, _)| p == self.label || self.also.iter().any(|a| a == p))
    }

    fn confirmed(&self) -> bool {
        self.detection
            .is_some_and(|(_, c)| c == Confidence::Confirmed)
    }
}

/// Every labelled flow of the captures (client-to-proxy legs included) and the corpus.
pub fn labelled(all: &[&FlowResult], corpus: &[CaseOutcome]) -> Vec<Labelled> {
    let mut v: Vec<Labelled> = all
        .iter()
        .map(|r| Labelled {
            source: "captures",
            label: r.outcome.label.label.clone(),
            also: r.outcome.label.also.clone(),
            detection: r
                .outcome
                .record
                .as_ref()
                .and_then(|rec| rec.verdict.detection())
                .map(|d| (d.protocol.name(), d.confidence)),
        })
        .collect();
    for c in corpus {
        for f in &c.flows {
            v.push(Labelled {
                source: "corpus",
                label: f.expect.label.to_string(),
                also: f.expect.also.iter().map(|s| s.to_string()).collect(),
                detection: f.detection(),
            });
        }
    }
    v
}

/// Recall (BitTorrent) or false-positive (negative) counts of `flows`: (n, at Likely or
/// better, at Confirmed).
fn counts<'a>(flows: impl Iterator<Item = &'a Labelled>) -> (usize, usize, usize) {
    let (mut n, mut likely, mut confirmed) = (0, 0, 0);
    for f in flows {
        n += 1;
        let hit = if f.label == "not_bittorrent" {
            f.detection.is_some()
        } else {
            f.right()
        };
        if hit {
            likely += 1;
            if f.confirmed() {
                confirmed += 1;
            }
        }
    }
    (n, likely, confirmed)
}

/// Write the table.
pub fn write(w: &mut String, flows: &[Labelled]) {
    let _ = writeln!(w, "## Operating points\n");
    let _ = writeln!(
        w,
        "Every labelled flow of the captures and of the adversarial corpus (`tests/src/corpus`, \
         see \"Evasions\" below), at the two levels an operator can act on. For BitTorrent \
         labels: flows found with the right protocol at `likely` or better, and at `confirmed`. \
         For `not_bittorrent`: flows called BitTorrent at `likely` or better (false positives), \
         and at `confirmed`. The corpus is adversarial by design (evasions, look-alikes), so its \
         rates are worst cases, not traffic shares. Client-to-proxy legs (SOCKS, HTTP CONNECT, \
         forward proxy) count like any flow.\n"
    );
    let _ = writeln!(
        w,
        "| measure | captures | corpus | all | required |\n|---|---|---|---|---|"
    );
    let src = |s: &'static str| move |f: &&Labelled| s == "all" || f.source == s;
    let bt = |f: &&Labelled| f.label != "not_bittorrent";
    let neg = |f: &&Labelled| f.label == "not_bittorrent";
    let cell = |ok: usize, n: usize| format!("{ok} / {n} ({})", pct(ok, n));
    let mut rows: Vec<(&str, Vec<String>, &str)> = Vec::new();
    let mut recall_l = Vec::new();
    let mut recall_c = Vec::new();
    let mut fp_l = Vec::new();
    let mut fp_c = Vec::new();
    for s in ["captures", "corpus", "all"] {
        let (n, l, c) = counts(flows.iter().filter(src(s)).filter(bt));
        recall_l.push(cell(l, n));
        recall_c.push(cell(c, n));
        let (n, l, c) = counts(flows.iter().filter(src(s)).filter(neg));
        fp_l.push(cell(l, n));
        fp_c.push(cell(c, n));
    }
    rows.push(("BitTorrent found, `confirmed`", recall_c, "≥ 99%"));
    rows.push(("BitTorrent found, `likely` or better", recall_l, "–"));
    rows.push(("non-BitTorrent called BitTorrent, `confirmed`", fp_c, "0"));
    rows.push((
        "non-BitTorrent called BitTorrent, `likely` or better",
        fp_l,
        "≤ 0.1%",
    ));
    for (name, cells, req) in rows {
        let _ = writeln!(w, "| {name} | {} | {req} |", cells.join(" | "));
    }
    let _ = writeln!(w, "\n### Per protocol (captures and corpus together)\n");
    let _ = writeln!(
        w,
        "| label | flows | `likely` or better | rate | `confirmed` | rate |\n|---|---|---|---|---|---|"
    );
    let mut labels: BTreeMap<&str, ()> = BTreeMap::new();
    for f in flows {
        labels.insert(f.label.as_str(), ());
    }
    for label in labels.keys() {
        let (n, l, c) = counts(flows.iter().filter(|f| f.label == *label));
        let kind = if *label == "not_bittorrent" {
            " (false positives)"
        } else {
            ""
        };
        let _ = writeln!(
            w,
            "| `{label}`{kind} | {n} | {l} | {} | {c} | {} |",
            pct(l, n),
            pct(c, n)
        );
    }
    let (n, l, c) = counts(flows.iter().filter(|f| f.label != "not_bittorrent"));
    let _ = writeln!(
        w,
        "| all BitTorrent | {n} | {l} | {} | {c} | {} |\n",
        pct(l, n),
        pct(c, n)
    );
}
