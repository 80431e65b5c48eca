//! The UDP side of [`crate::FlowClassifier`]: each datagram is read on its own and in the
//! flow's context (request/reply correlation).

use crate::observer::Observer;
use crate::verdict::{Confidence, Direction, Evidence, Protocol};

/// What one datagram showed.
pub(crate) struct UdpFound {
    pub evidence: Evidence,
    pub detection: Option<(Protocol, Confidence)>,
    pub refuted: bool,
}

/// Correlation state of a UDP flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UdpState {
    datagrams: u8,
}

impl UdpState {
    pub(crate) const fn new() -> Self {
        Self { datagrams: 0 }
    }

    pub(crate) fn is_done(&self, decided: bool) -> bool {
        decided
    }

    pub(crate) fn feed<O: Observer>(
        &mut self,
        _direction: Direction,
        _payload: &[u8],
        _observer: &mut O,
    ) -> UdpFound {
        self.datagrams = self.datagrams.saturating_add(1);
        UdpFound {
            evidence: Evidence::NONE,
            detection: None,
            refuted: false,
        }
    }
}
