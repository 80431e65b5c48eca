//! The evidence-strength table: per rule (evidence bit), how often random inputs and the
//! negative flows carry it, measured.

use std::fmt::Write as _;

use torclass_core::Evidence;

use crate::evidence::FamilyResult;

/// Evidence of the negative flows: (evidence, called BitTorrent).
pub type NegativeEvidence = Vec<(Evidence, bool)>;

fn rate(k: u32, n: u32) -> String {
    if k == 0 {
        format!("0 / {n} (< {:.1e} at 95%)", 3.0 / f64::from(n.max(1)))
    } else {
        format!("{k} / {n} ({:.2e})", f64::from(k) / f64::from(n))
    }
}

/// Write the tables.
pub fn write(w: &mut String, random: &[FamilyResult], negatives: &NegativeEvidence) {
    let _ = writeln!(w, "## Evidence strength\n");
    let _ = writeln!(
        w,
        "How often each rule's evidence appears on bytes that are not BitTorrent, measured \
         (`tests/src/evidence.rs`): random inputs made in the test with fixed seeds and fed to \
         a fresh `FlowClassifier` (TCP writes cut at a random point, then `finish()`), and the \
         negative flows of the captures and the corpus (twins and look-alikes) through the \
         flow table with the endpoint cache. Evidence counts whether or not the flow was then \
         called BitTorrent. \"0 / n\" bounds the chance below 3/n (95%).\n"
    );
    let _ = writeln!(
        w,
        "| random inputs | n | evidence set (inputs) | called `likely` | called `confirmed` |\n|---|---|---|---|---|"
    );
    for f in random {
        let bits: Vec<String> = Evidence::NAMED
            .iter()
            .filter_map(|(bit, name)| {
                let k = f.bits[bit.0.trailing_zeros() as usize];
                (k > 0).then(|| format!("`{name}` {k}"))
            })
            .collect();
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} |",
            f.name,
            f.trials,
            if bits.is_empty() {
                "none".into()
            } else {
                bits.join(", ")
            },
            rate(f.likely, f.trials),
            rate(f.confirmed, f.trials)
        );
    }
    let total: u32 = random.iter().map(|f| f.trials).sum();
    let neg = negatives.len() as u32;
    let _ = writeln!(w, "\n### Per rule\n");
    let _ = writeln!(
        w,
        "| evidence (rule) | random inputs with it (all {} families) | worst family | negative flows with it | of them called BitTorrent |\n|---|---|---|---|---|",
        random.len()
    );
    for (bit, name) in Evidence::NAMED {
        let i = bit.0.trailing_zeros() as usize;
        let k: u32 = random.iter().map(|f| f.bits[i]).sum();
        let worst = random
            .iter()
            .filter(|f| f.bits[i] > 0)
            .max_by(|a, b| {
                (f64::from(a.bits[i]) / f64::from(a.trials))
                    .total_cmp(&(f64::from(b.bits[i]) / f64::from(b.trials)))
            })
            .map_or_else(
                || "–".into(),
                |f| format!("{} ({})", rate(f.bits[i], f.trials), f.name),
            );
        let with: Vec<&(Evidence, bool)> =
            negatives.iter().filter(|(e, _)| e.contains(*bit)).collect();
        let called = with.iter().filter(|(_, bt)| *bt).count() as u32;
        let _ = writeln!(
            w,
            "| `{name}` | {} | {worst} | {} | {called} |",
            rate(k, total),
            rate(with.len() as u32, neg),
        );
    }
    let _ = writeln!(w);
}
