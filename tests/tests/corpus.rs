//! The adversarial corpus (`tests/src/corpus`): every evasion class of issue 13 is caught at
//! the level docs/accuracy.md gives, every benign twin and look-alike is not called
//! BitTorrent, and conclusive one-sided evidence is confirmed. Expectations are ground truth
//! from the generator, never torclass's output of the day.

use torclass_tests::corpus::{self, Role};

#[test]
fn every_corpus_case_meets_its_expectation() {
    let outcomes = corpus::run_all();
    assert!(
        outcomes.len() >= 60,
        "the corpus shrank to {} cases",
        outcomes.len()
    );
    let mut failures = Vec::new();
    for o in &outcomes {
        for f in &o.flows {
            println!(
                "{:9} {:40} {:48} expected {:22} got {}",
                o.role.name(),
                o.name,
                f.expect.flow(),
                if f.expect.is_bittorrent() {
                    format!("{}/{}", f.expect.label, f.expect.level.name())
                } else {
                    f.expect.label.to_string()
                },
                f.torclass()
            );
        }
        failures.extend(o.failures(&outcomes));
    }
    assert!(
        failures.is_empty(),
        "\n{} corpus failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_evasion_has_a_benign_twin_and_back() {
    let cases = corpus::all();
    for c in cases.iter().filter(|c| c.role == Role::Evasion) {
        let twin = c.twin.unwrap_or_else(|| panic!("{} has no twin", c.name));
        let t = cases
            .iter()
            .find(|t| t.name == twin)
            .unwrap_or_else(|| panic!("{}: twin {twin} is not a case", c.name));
        assert!(
            t.flows.iter().any(|f| !f.is_bittorrent()),
            "{}: twin {twin} has no benign flow",
            c.name
        );
    }
    for c in cases.iter().filter(|c| c.role == Role::Twin) {
        let of = c
            .twin
            .unwrap_or_else(|| panic!("twin {} names no evasion", c.name));
        assert!(
            cases.iter().any(|e| e.name == of),
            "twin {}: {of} is not a case",
            c.name
        );
    }
}

#[test]
fn the_corpus_is_deterministic() {
    let a = corpus::all();
    let b = corpus::all();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            x.trace.frames, y.trace.frames,
            "{} differs between two runs",
            x.name
        );
    }
}
