//! The evasion table: every corpus case, what it does, what it must reach and what torclass
//! said, next to its benign twin's verdict.

use std::fmt::Write as _;

use crate::corpus::{CaseOutcome, FlowOutcome, Role};

fn required(f: &FlowOutcome) -> String {
    let e = &f.expect;
    if !e.required {
        "(reference)".into()
    } else if let Some(like) = e.like {
        format!("≥ `{like}`")
    } else if e.is_bittorrent() {
        format!("`{}`/{}", e.label, e.level.name())
    } else if e.decided {
        "`not_bittorrent` (refuted)".into()
    } else {
        "not BitTorrent".into()
    }
}

fn verdicts(c: &CaseOutcome) -> String {
    c.flows
        .iter()
        .map(|f| {
            let mark = if f.failure(None).is_some() && f.expect.like.is_none() {
                " ✗"
            } else {
                ""
            };
            format!("{}{mark}", f.torclass())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Write the evasion table and the look-alike table.
pub fn write(w: &mut String, corpus: &[CaseOutcome]) {
    let _ = writeln!(w, "## Evasions\n");
    let _ = writeln!(
        w,
        "The adversarial corpus (`tests/src/corpus`, run by `tests/tests/corpus.rs`): each \
         evasion class of issue 13 as generated flows (real MSE/PE key exchanges with \
         Diffie-Hellman and RC4, real message formats), and for each a benign twin that uses \
         the same trick on other traffic. Where a case has several flows (the DHT activity \
         that makes a host a BitTorrent host, a second connection on the same 5-tuple), the \
         verdicts are listed in order. `≥ case` means: at least what torclass says of that \
         case (the same exchange without the trick). ✗ marks a verdict below its \
         requirement.\n"
    );
    let _ = writeln!(
        w,
        "| class | case | what it does | required | torclass | benign twin | twin's verdict |\n|---|---|---|---|---|---|---|"
    );
    for c in corpus.iter().filter(|c| c.role == Role::Evasion) {
        let req: Vec<String> = c.flows.iter().map(required).collect();
        let twin = c.twin.and_then(|t| corpus.iter().find(|x| x.name == t));
        let _ = writeln!(
            w,
            "| {} | `{}` | {} | {} | {} | {} | {} |",
            c.class,
            c.name,
            c.what,
            req.join("; "),
            verdicts(c),
            twin.map_or_else(|| "–".into(), |t| format!("`{}`: {}", t.name, t.what)),
            twin.map_or_else(|| "–".into(), verdicts),
        );
    }
    let _ = writeln!(w, "\n### Twins, look-alikes and one-sided evidence\n");
    let _ = writeln!(
        w,
        "| kind | case | what it is | required | torclass |\n|---|---|---|---|---|"
    );
    for c in corpus.iter().filter(|c| c.role != Role::Evasion) {
        let req: Vec<String> = c.flows.iter().map(required).collect();
        let _ = writeln!(
            w,
            "| {} ({}) | `{}` | {} | {} | {} |",
            c.role.name(),
            c.class,
            c.name,
            c.what,
            req.join("; "),
            verdicts(c)
        );
    }
    let _ = writeln!(w);
}
