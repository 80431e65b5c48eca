//! Invariant 3 on the adversarial corpus, through the whole analyzer (decoder, flow table,
//! classifier): every case's TCP payloads cut into 7-byte segments give every checked flow the
//! same verdict as the case as generated. Segments that rely on the IP layer or on their own
//! boundaries (fragments, urgent data) are left as they are by the cut; the swapped-halves,
//! last-first and overlap cases are not cut at all: cutting each reordered segment again would
//! turn one swap per write (or 17 segments) into dozens of out-of-order segments, more than the
//! table's bounded reorder store holds (a limit of the design, documented with the table, not
//! a segmentation dependence), and cutting a held copy and the copy that covers it into equal
//! pieces makes them equal copies, of which the receiver keeps the first (Linux's
//! `tcp_data_queue_ofo`: the trick is its segments' boundaries). Nor is the fake-first case:
//! its real bytes are read again because they come in one segment that covers all the junk
//! (`FlowClassifier::reread`); cut, each piece is only a duplicate of part of what was read
//! (a known limit, docs/limits.md).

use torclass_tests::corpus::{self, packet, Trace};

fn verdicts(case: &corpus::Case, trace: &Trace) -> Vec<String> {
    let mut records = corpus::classify(trace);
    records.sort_by(|a, b| a.first_ts.total_cmp(&b.first_ts));
    case.flows
        .iter()
        .map(|e| {
            let ends = |r: &torclass_capture::FlowRecord| {
                let v = [(r.src, r.sport), (r.dst, r.dport)];
                r.l4.name() == e.l4
                    && v.contains(&(e.a.ip(), e.a.port()))
                    && v.contains(&(e.b.ip(), e.b.port()))
            };
            records
                .iter()
                .filter(|r| ends(r))
                .nth(e.nth)
                .map_or_else(|| "no record".to_string(), |r| r.verdict.to_string())
        })
        .collect()
}

#[test]
fn cutting_tcp_payloads_into_7_byte_segments_changes_no_verdict() {
    let mut differ = Vec::new();
    let mut cut_cases = 0;
    for case in corpus::all() {
        let tricks = [
            "halves-swapped",
            "reversed-17",
            "overlap-replace",
            "fake-first",
        ];
        if tricks.iter().any(|t| case.name.contains(t)) {
            continue;
        }
        let cut = packet::resegment(&case.trace, 7);
        if cut.frames.len() == case.trace.frames.len() {
            continue;
        }
        cut_cases += 1;
        let (whole, pieces) = (verdicts(&case, &case.trace), verdicts(&case, &cut));
        if whole != pieces {
            differ.push(format!(
                "{}: as generated {whole:?}, in 7-byte segments {pieces:?}",
                case.name
            ));
        }
    }
    assert!(
        cut_cases >= 40,
        "only {cut_cases} cases have TCP payloads to cut"
    );
    assert!(differ.is_empty(), "\n{}", differ.join("\n"));
}
