//! `torclass.Classifier`: whole packets in (a link-layer frame, its link type and time), flows
//! out, for packets that come from scapy, dpkt, pyshark or a socket rather than a file.

use crate::capture::{analyzer_config, max_flows, stats_dict};
use crate::payload::Payload;
use crate::record::PyFlowRecord;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::{Mutex, MutexGuard, PoisonError};
use torclass_capture::{Analyzer, FrameOutcome};
use torclass_core::packet::LinkType;

/// Classifies whole packets into flows, over the same flow table `read_pcap` uses.
///
/// `feed(frame, link_type, ts)` takes one captured frame starting at its link-layer header
/// (`bytes(pkt)` in scapy, the `buf` dpkt yields, `pkt.get_raw_packet()` in pyshark),
/// its pcap `LINKTYPE_*` number (1 Ethernet, 101 raw IP, 113 Linux cooked, 276 Linux cooked
/// v2, 0 BSD loopback, 228/229 IPv4/IPv6) and its capture time in seconds. `max_flows` and
/// `endpoint_cache` are as in `read_pcap`. A lock makes a `Classifier` safe to share between
/// threads.
#[pyclass(frozen, module = "torclass", name = "Classifier")]
pub struct PyClassifier {
    analyzer: Mutex<Analyzer>,
}

impl PyClassifier {
    fn lock(&self) -> MutexGuard<'_, Analyzer> {
        self.analyzer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[pymethods]
impl PyClassifier {
    #[new]
    // max_flows: 1 << 16 by default, as `read_pcap` and the CLI.
    #[pyo3(signature = (*, max_flows = 65_536, endpoint_cache = true))]
    fn new(max_flows: i64, endpoint_cache: bool) -> PyResult<Self> {
        let slots = self::max_flows(max_flows)?;
        Ok(Self {
            analyzer: Mutex::new(Analyzer::new(analyzer_config(slots, endpoint_cache))),
        })
    }

    /// Classify one frame. Returns the record of the frame's flow after it (its verdict so
    /// far), or `None` for a frame that is not TCP or UDP over IP, a later IP fragment, or a
    /// truncated or malformed frame (counted in `packet_stats()`).
    #[pyo3(signature = (frame, link_type = 1, ts = 0.0))]
    fn feed(
        &self,
        frame: &Bound<'_, PyAny>,
        link_type: u32,
        ts: f64,
    ) -> PyResult<Option<PyFlowRecord>> {
        if LinkType::from_pcap(link_type).is_none() {
            return Err(PyValueError::new_err(format!(
                "link type {link_type} is not one torclass reads \
                 (0, 1, 101, 108, 113, 228, 229, 276)"
            )));
        }
        if !ts.is_finite() {
            return Err(PyValueError::new_err(format!(
                "ts must be a finite time in seconds, not {ts}"
            )));
        }
        let ts_nanos = (ts * 1e9) as i128;
        let frame = Payload::extract(frame, "frame")?;
        let mut analyzer = self.lock();
        Ok(
            match analyzer.frame(link_type, ts_nanos, frame.as_slice()) {
                FrameOutcome::Flow(outcome) => {
                    analyzer.record(outcome.slot).map(PyFlowRecord::from)
                }
                _ => None,
            },
        )
    }

    /// Records of flows that left the flow table to make room since the last call, in the
    /// order they were first seen.
    fn take_finished(&self) -> Vec<PyFlowRecord> {
        let finished = self.lock().take_finished();
        finished.into_iter().map(PyFlowRecord::from).collect()
    }

    /// Every flow's record (those not taken yet), in the order flows were first seen; the
    /// classifier starts empty again.
    fn finish(&self) -> Vec<PyFlowRecord> {
        let finished = self.lock().finish();
        finished.into_iter().map(PyFlowRecord::from).collect()
    }

    /// A `Classifier` is not picklable: say why and what to pickle instead.
    fn __reduce__(&self) -> PyResult<()> {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "a Classifier (a flow table of max_flows slots mid-capture) cannot be pickled; \
             pickle its records (take_finished(), finish()) or a Flow instead",
        ))
    }

    /// Packet counters: `frames`, `classified`, `later_fragments`, `unsupported`, `malformed`.
    fn packet_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.lock().packet_stats();
        stats_dict(py, &s)
    }
}
