//! `torclass.Classifier`: whole packets in (a link-layer frame, its link type and time), flows
//! out, for packets that come from scapy, dpkt, pyshark or a socket rather than a file.

use crate::capture::{analyzer_config, max_flows, stats_dict};
use crate::payload::Payload;
use crate::record::PyFlowRecord;
use pyo3::exceptions::{PyRuntimeWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
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
/// threads. It pickles and copies mid-capture (`__reduce__`): the copy goes on as the original
/// would.
#[pyclass(frozen, module = "torclass", name = "Classifier")]
pub struct PyClassifier {
    analyzer: Mutex<Analyzer>,
    max_flows: usize,
    endpoint_cache: bool,
}

/// First bytes of a `Classifier`'s state: magic, version, then `max_flows` (`u64`,
/// little-endian), `endpoint_cache` (one byte) and torclass-capture's `Analyzer::save`.
const STATE_MAGIC: &[u8] = b"torclass.Classifier";
const STATE_VERSION: u8 = 1;

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
            max_flows: slots,
            endpoint_cache,
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
            let mut known = LinkType::ALL.map(LinkType::to_pcap);
            known.sort_unstable();
            let known: Vec<String> = known.iter().map(u32::to_string).collect();
            return Err(PyValueError::new_err(format!(
                "link type {link_type} is not one torclass reads ({})",
                known.join(", ")
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

    /// Pickle (and `copy`) support: the classifier's state as bytes,
    /// `Classifier._from_state(state)`: the flow table's live flows (5-tuple, classifier
    /// state, metadata, counters, TCP tracking and held out-of-order segments), the endpoint
    /// and host caches, the packet counters and the records not taken yet. IP datagrams being
    /// reassembled are not kept: a `RuntimeWarning` says how many are dropped.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let this = slf.get();
        let (bytes, pending) = {
            let analyzer = this.lock();
            (analyzer.save(), analyzer.pending_fragments())
        };
        if pending > 0 {
            let message = format!(
                "pickling a Classifier drops the {pending} IP datagram(s) it was reassembling; \
                 their later fragments will be counted as later_fragments"
            );
            let message = std::ffi::CString::new(message).unwrap_or_default();
            PyErr::warn(py, &py.get_type::<PyRuntimeWarning>(), &message, 1)?;
        }
        let mut state = Vec::with_capacity(bytes.len() + 10);
        state.extend_from_slice(STATE_MAGIC);
        state.push(STATE_VERSION);
        state.extend_from_slice(&(this.max_flows as u64).to_le_bytes());
        state.push(u8::from(this.endpoint_cache));
        state.extend_from_slice(&bytes);
        let rebuild = slf.get_type().getattr("_from_state")?;
        let args = PyTuple::new(py, [PyBytes::new(py, &state)])?;
        PyTuple::new(py, [rebuild, args.into_any()])
    }

    /// The classifier whose `__reduce__` gave `state`. Raises `ValueError` for any other
    /// bytes (another version of torclass, corrupted or truncated bytes).
    #[staticmethod]
    fn _from_state(py: Python<'_>, state: &[u8]) -> PyResult<Self> {
        let bad = |why: &str| {
            PyValueError::new_err(format!("not the state of a torclass.Classifier: {why}"))
        };
        let (head, rest) = state
            .split_at_checked(STATE_MAGIC.len() + 1 + 8 + 1)
            .ok_or_else(|| bad("too short"))?;
        let (magic, head) = head.split_at(STATE_MAGIC.len());
        if magic != STATE_MAGIC {
            return Err(bad("wrong magic"));
        }
        let [version, m0, m1, m2, m3, m4, m5, m6, m7, cache] =
            <[u8; 10]>::try_from(head).map_err(|_| bad("too short"))?;
        if version != STATE_VERSION {
            return Err(bad(&format!(
                "state version {version}, this torclass reads version {STATE_VERSION}"
            )));
        }
        let slots = i64::try_from(u64::from_le_bytes([m0, m1, m2, m3, m4, m5, m6, m7]))
            .map_err(|_| bad("max_flows out of range"))?;
        let endpoint_cache = match cache {
            0 => false,
            1 => true,
            _ => return Err(bad("invalid endpoint_cache flag")),
        };
        let clf = Self::new(slots, endpoint_cache).map_err(|e| bad(&e.to_string()))?;
        py.detach(|| clf.lock().restore(rest))
            .map_err(|e| bad(&e.to_string()))?;
        Ok(clf)
    }

    /// Packet counters: `frames`, `classified`, `later_fragments`, `unsupported`, `malformed`.
    fn packet_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.lock().packet_stats();
        stats_dict(py, &s)
    }
}
