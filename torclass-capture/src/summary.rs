//! [`Summary`]: flows, packets and bytes per verdict, and per protocol for BitTorrent.

use crate::jsonl::push_string;
use crate::record::FlowRecord;
use std::fmt;
use torclass_core::verdict::{Protocol, Verdict};

/// Flows, packets and payload bytes of a set of flows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Flows.
    pub flows: u64,
    /// Packets of those flows.
    pub packets: u64,
    /// Transport payload bytes of those flows (as [`FlowRecord::bytes`]).
    pub bytes: u64,
}

impl Counts {
    fn add(&mut self, other: Self) {
        self.flows = self.flows.saturating_add(other.flows);
        self.packets = self.packets.saturating_add(other.packets);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }

    fn json(self, out: &mut String) {
        out.push_str(&format!(
            "{{\"flows\":{},\"packets\":{},\"bytes\":{}}}",
            self.flows, self.packets, self.bytes
        ));
    }
}

/// Counts per verdict: BitTorrent by each [`Protocol`], not BitTorrent, undecided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    by_protocol: [Counts; Protocol::ALL.len()],
    not_bittorrent: Counts,
    undecided: Counts,
}

impl Summary {
    /// No flows yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one flow.
    pub fn add(&mut self, record: &FlowRecord) {
        let counts = Counts {
            flows: 1,
            packets: record.packets,
            bytes: record.bytes,
        };
        let slot = match record.verdict {
            Verdict::BitTorrent(d) => Protocol::ALL
                .iter()
                .position(|p| *p == d.protocol)
                .and_then(|i| self.by_protocol.get_mut(i)),
            Verdict::NotBitTorrent => Some(&mut self.not_bittorrent),
            Verdict::Undecided => Some(&mut self.undecided),
        };
        // Protocol::ALL lists every protocol, so there is always a slot.
        if let Some(slot) = slot {
            slot.add(counts);
        }
    }

    /// BitTorrent flows of `protocol`.
    #[must_use]
    pub fn protocol(&self, protocol: Protocol) -> Counts {
        Protocol::ALL
            .iter()
            .zip(self.by_protocol)
            .find(|(p, _)| **p == protocol)
            .map(|(_, c)| c)
            .unwrap_or_default()
    }

    /// All BitTorrent flows.
    #[must_use]
    pub fn bittorrent(&self) -> Counts {
        let mut all = Counts::default();
        for c in self.by_protocol {
            all.add(c);
        }
        all
    }

    /// Flows found not to be BitTorrent.
    #[must_use]
    pub fn not_bittorrent(&self) -> Counts {
        self.not_bittorrent
    }

    /// Flows still undecided.
    #[must_use]
    pub fn undecided(&self) -> Counts {
        self.undecided
    }

    /// Every flow.
    #[must_use]
    pub fn total(&self) -> Counts {
        let mut all = self.bittorrent();
        all.add(self.not_bittorrent);
        all.add(self.undecided);
        all
    }

    /// The summary as one JSON object (no newline): `{"summary":{"flows":…,"packets":…,
    /// "bytes":…,"bittorrent":{…,"protocols":{"peer_wire":{…},…}},"not_bittorrent":{…},
    /// "undecided":{…}}}`. Every protocol is listed, with zeros if it has no flows.
    #[must_use]
    pub fn to_json(&self) -> String {
        let total = self.total();
        let mut out = format!(
            "{{\"summary\":{{\"flows\":{},\"packets\":{},\"bytes\":{},\"bittorrent\":",
            total.flows, total.packets, total.bytes
        );
        let bt = self.bittorrent();
        out.push_str(&format!(
            "{{\"flows\":{},\"packets\":{},\"bytes\":{},\"protocols\":{{",
            bt.flows, bt.packets, bt.bytes
        ));
        for (i, (p, c)) in Protocol::ALL.iter().zip(self.by_protocol).enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_string(&mut out, p.name());
            out.push(':');
            c.json(&mut out);
        }
        out.push_str("}},\"not_bittorrent\":");
        self.not_bittorrent.json(&mut out);
        out.push_str(",\"undecided\":");
        self.undecided.json(&mut out);
        out.push_str("}}");
        out
    }
}

impl fmt::Display for Summary {
    /// A small aligned table: one row per BitTorrent protocol seen (or one `bittorrent` row
    /// of zeros), then `not_bittorrent`, `undecided` and `total`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = |f: &mut fmt::Formatter<'_>, verdict: &str, protocol: &str, c: Counts| {
            writeln!(
                f,
                "{verdict:<14}  {protocol:<19}  {:>7}  {:>10}  {:>13}",
                c.flows, c.packets, c.bytes
            )
        };
        writeln!(
            f,
            "{:<14}  {:<19}  {:>7}  {:>10}  {:>13}",
            "verdict", "protocol", "flows", "packets", "bytes"
        )?;
        let mut any = false;
        for (p, c) in Protocol::ALL.iter().zip(self.by_protocol) {
            if c.flows > 0 {
                any = true;
                row(f, "bittorrent", p.name(), c)?;
            }
        }
        if !any {
            row(f, "bittorrent", "-", Counts::default())?;
        }
        row(f, "not_bittorrent", "-", self.not_bittorrent)?;
        row(f, "undecided", "-", self.undecided)?;
        row(f, "total", "", self.total())
    }
}
