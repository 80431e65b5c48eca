//! The adversarial corpus: deterministic, generated flows for every evasion class of issue 13,
//! each with a benign twin that must not be called BitTorrent, plus look-alikes of other
//! protocols that the capture lab cannot run and one-sided BitTorrent evidence. Labels are what
//! the generator wrote, never what torclass says.
//!
//! Every case is a [`Trace`] of Ethernet frames: [`run`] feeds it to a fresh
//! [`Analyzer`] (as the CLI reads a capture, endpoint cache on) and compares the flow records
//! with the case's [`FlowExpect`]s; `corpus-pcaps` writes the traces as pcap files.

pub mod benign;
pub mod bt;
pub mod cases;
pub mod crypto;
pub mod packet;
pub mod rng;

use std::net::SocketAddr;

use torclass_capture::{Analyzer, AnalyzerConfig, FlowRecord};
use torclass_core::{Confidence, Verdict};

pub use packet::Trace;

/// What a case is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// An evasion: BitTorrent dressed to escape; must be caught at its level.
    Evasion,
    /// The benign twin of an evasion: the same trick on other traffic; must not be BitTorrent.
    Twin,
    /// BitTorrent seen from one side or briefly: recall of conclusive one-sided evidence.
    Positive,
    /// A non-BitTorrent look-alike that the lab cannot run.
    Negative,
}

impl Role {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Evasion => "evasion",
            Self::Twin => "twin",
            Self::Positive => "positive",
            Self::Negative => "negative",
        }
    }
}

/// What one flow of a case must come out as.
#[derive(Clone, Debug)]
pub struct FlowExpect {
    /// `tcp` or `udp`.
    pub l4: &'static str,
    /// The opener.
    pub a: SocketAddr,
    /// The other side.
    pub b: SocketAddr,
    /// Which flow on this 5-tuple (0 = the first; tuple reuse makes several).
    pub nth: usize,
    /// The BitTorrent protocol (`peer_wire`, …) or `not_bittorrent`.
    pub label: &'static str,
    /// Other protocol names accepted (MSE inside uTP may be named either way).
    pub also: &'static [&'static str],
    /// For BitTorrent labels: the confidence it must reach.
    pub level: Confidence,
    /// For `not_bittorrent`: the verdict must be `not_bittorrent`, not `undecided` (the flow
    /// carried enough to refute it).
    pub decided: bool,
    /// An info-hash the record must carry (a magnet link in content is metadata).
    pub info_hash: Option<[u8; 20]>,
    /// A reference case: this flow must be called at least what that case's first flow is
    /// called (an evasion trick must not lower the verdict of the same exchange done
    /// plainly); `level` is then not required on its own.
    pub like: Option<&'static str>,
    /// False for a flow that is reported but has no requirement of its own.
    pub required: bool,
}

impl FlowExpect {
    /// A BitTorrent flow `label` that must reach `level`.
    pub fn bt(
        l4: &'static str,
        a: SocketAddr,
        b: SocketAddr,
        label: &'static str,
        level: Confidence,
    ) -> Self {
        Self {
            l4,
            a,
            b,
            nth: 0,
            label,
            also: &[],
            level,
            decided: false,
            info_hash: None,
            like: None,
            required: true,
        }
    }

    /// A flow that must not be called BitTorrent.
    pub fn not_bt(l4: &'static str, a: SocketAddr, b: SocketAddr) -> Self {
        Self {
            label: "not_bittorrent",
            ..Self::bt(l4, a, b, "not_bittorrent", Confidence::Likely)
        }
    }

    /// The `n`th flow on the tuple.
    pub fn nth(mut self, n: usize) -> Self {
        self.nth = n;
        self
    }

    /// Also accept these protocol names.
    pub fn also(mut self, also: &'static [&'static str]) -> Self {
        self.also = also;
        self
    }

    /// The verdict must be `not_bittorrent`, not `undecided`.
    pub fn decided(mut self) -> Self {
        self.decided = true;
        self
    }

    /// Reported (counted in the tables) but not required.
    pub fn informational(mut self) -> Self {
        self.required = false;
        self
    }

    /// Must be called at least what case `reference`'s first flow is called.
    pub fn like(mut self, reference: &'static str) -> Self {
        self.like = Some(reference);
        self
    }

    /// The record must carry this info-hash.
    pub fn with_info_hash(mut self, ih: [u8; 20]) -> Self {
        self.info_hash = Some(ih);
        self
    }

    /// True if the label says BitTorrent.
    pub fn is_bittorrent(&self) -> bool {
        self.label != "not_bittorrent"
    }

    /// `l4 a → b` for reports.
    pub fn flow(&self) -> String {
        let n = if self.nth > 0 {
            format!(" (flow {} on the tuple)", self.nth + 1)
        } else {
            String::new()
        };
        format!("{} {} → {}{n}", self.l4, self.a, self.b)
    }
}

/// One generated scenario.
#[derive(Clone, Debug)]
pub struct Case {
    /// Unique name (also the pcap file name).
    pub name: &'static str,
    /// The evasion class of issue 13 (or the kind of look-alike).
    pub class: &'static str,
    /// What the case does, for the evasion table.
    pub what: &'static str,
    /// Evasion, twin, positive or negative.
    pub role: Role,
    /// The case this one is the benign twin of (or the evasion whose twin it is).
    pub twin: Option<&'static str>,
    /// The frames.
    pub trace: Trace,
    /// The flows whose verdicts are checked.
    pub flows: Vec<FlowExpect>,
}

/// A checked flow of a case with torclass's record.
#[derive(Clone, Debug)]
pub struct FlowOutcome {
    /// What was expected.
    pub expect: FlowExpect,
    /// torclass's record of that flow, if it made one.
    pub record: Option<FlowRecord>,
}

impl FlowOutcome {
    /// The protocol and confidence torclass gave, if BitTorrent.
    pub fn detection(&self) -> Option<(&'static str, Confidence)> {
        let d = self.record.as_ref()?.verdict.detection()?;
        Some((d.protocol.name(), d.confidence))
    }

    /// torclass's verdict as `protocol/confidence`, `not_bittorrent`, `undecided` or
    /// `no record`.
    pub fn torclass(&self) -> String {
        match &self.record {
            None => "no record".into(),
            Some(r) => match r.verdict.detection() {
                Some(d) => format!("{}/{}", d.protocol.name(), d.confidence.name()),
                None => r.verdict.name().into(),
            },
        }
    }

    /// True if torclass named the right protocol (at any level).
    pub fn right_protocol(&self) -> bool {
        self.detection()
            .is_some_and(|(p, _)| p == self.expect.label || self.expect.also.contains(&p))
    }

    /// 0 for not BitTorrent (or no record), 1 for Likely, 2 for Confirmed.
    pub fn rank(&self) -> u8 {
        match self.detection() {
            None => 0,
            Some((_, Confidence::Likely)) => 1,
            Some(_) => 2,
        }
    }

    /// Why the outcome fails its expectation, or `None` if it holds. `reference` is the first
    /// flow of the case named by [`FlowExpect::like`].
    pub fn failure(&self, reference: Option<&FlowOutcome>) -> Option<String> {
        let e = &self.expect;
        if !e.required {
            return None;
        }
        let Some(r) = &self.record else {
            return Some("torclass made no record of the flow".into());
        };
        if let (Some(name), Some(reference)) = (e.like, reference) {
            if self.rank() < reference.rank() {
                return Some(format!(
                    "got {}, less than the same exchange without the trick ({name}: {})",
                    self.torclass(),
                    reference.torclass()
                ));
            }
            if self.rank() > 0 && !self.right_protocol() {
                return Some(format!("expected {}, got {}", e.label, self.torclass()));
            }
        } else if e.is_bittorrent() {
            match self.detection() {
                None => {
                    return Some(format!(
                        "expected {}/{} or better, got {}",
                        e.label,
                        e.level.name(),
                        self.torclass()
                    ))
                }
                Some(_) if !self.right_protocol() => {
                    return Some(format!("expected {}, got {}", e.label, self.torclass()))
                }
                Some((_, c)) if c < e.level => {
                    return Some(format!(
                        "expected {}/{}, got {}",
                        e.label,
                        e.level.name(),
                        self.torclass()
                    ))
                }
                _ => {}
            }
        } else {
            if r.verdict.is_bittorrent() {
                return Some(format!("benign flow called {}", self.torclass()));
            }
            if e.decided && r.verdict != Verdict::NotBitTorrent {
                return Some(format!(
                    "expected not_bittorrent (refuted), got {}",
                    self.torclass()
                ));
            }
        }
        if let Some(ih) = e.info_hash {
            if r.info_hash.as_deref() != Some(&ih[..]) {
                return Some("the info-hash of the content is not on the record".into());
            }
        }
        None
    }
}

/// A case's outcome.
#[derive(Clone, Debug)]
pub struct CaseOutcome {
    /// The case (without its frames).
    pub name: &'static str,
    /// Its class.
    pub class: &'static str,
    /// What it does.
    pub what: &'static str,
    /// Its role.
    pub role: Role,
    /// Its twin.
    pub twin: Option<&'static str>,
    /// Every checked flow.
    pub flows: Vec<FlowOutcome>,
}

impl CaseOutcome {
    /// Every failure of the case, one line each; `all` holds the reference cases.
    pub fn failures(&self, all: &[CaseOutcome]) -> Vec<String> {
        self.flows
            .iter()
            .filter_map(|f| {
                let reference = f
                    .expect
                    .like
                    .and_then(|n| all.iter().find(|c| c.name == n))
                    .and_then(|c| c.flows.first());
                f.failure(reference)
                    .map(|why| format!("{} [{}] {}: {why}", self.name, self.class, f.expect.flow()))
            })
            .collect()
    }
}

fn same_flow(r: &FlowRecord, e: &FlowExpect) -> bool {
    let ends = [(r.src, r.sport), (r.dst, r.dport)];
    r.l4.name() == e.l4
        && ends.contains(&(e.a.ip(), e.a.port()))
        && ends.contains(&(e.b.ip(), e.b.port()))
}

/// Classify `trace` as the CLI does (default analyzer, endpoint cache on); every record.
pub fn classify(trace: &Trace) -> Vec<FlowRecord> {
    classify_with(trace, AnalyzerConfig::default())
}

/// Classify `trace` with `config`.
pub fn classify_with(trace: &Trace, config: AnalyzerConfig) -> Vec<FlowRecord> {
    let mut analyzer = Analyzer::new(config);
    for (ts, frame) in &trace.frames {
        analyzer.frame(1, i128::from(*ts), frame);
    }
    analyzer.finish()
}

/// Run one case.
pub fn run(case: &Case) -> CaseOutcome {
    let mut records = classify(&case.trace);
    records.sort_by(|a, b| a.first_ts.total_cmp(&b.first_ts));
    let flows = case
        .flows
        .iter()
        .map(|e| FlowOutcome {
            expect: e.clone(),
            record: records
                .iter()
                .filter(|r| same_flow(r, e))
                .nth(e.nth)
                .cloned(),
        })
        .collect();
    CaseOutcome {
        name: case.name,
        class: case.class,
        what: case.what,
        role: case.role,
        twin: case.twin,
        flows,
    }
}

/// Every case of the corpus, generated (deterministic).
pub fn all() -> Vec<Case> {
    cases::all()
}

/// Every case run.
pub fn run_all() -> Vec<CaseOutcome> {
    all().iter().map(run).collect()
}
