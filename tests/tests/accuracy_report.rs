//! `docs/accuracy.md` is what `accuracy-report` makes of the committed captures today: a new
//! or regenerated capture, or a change in torclass's verdicts, without regenerating the report
//! fails here.

use std::path::Path;

#[test]
fn docs_accuracy_md_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/accuracy.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let fresh = torclass_tests::report::markdown(&torclass_tests::captures_dir(), "tests/captures");
    if committed != fresh {
        let first = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
        panic!(
            "docs/accuracy.md is stale (first difference at line {}):\n  committed: {:?}\n  now:       {:?}\n\
             regenerate it with `cargo run -p torclass-tests --bin accuracy-report`",
            first + 1,
            committed.lines().nth(first).unwrap_or("<end>"),
            fresh.lines().nth(first).unwrap_or("<end>"),
        );
    }
}
