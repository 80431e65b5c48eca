//! `torclass.Verdict`: the classification of one payload or flow so far.

use crate::record;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::net::{IpAddr, Ipv4Addr};
use torclass_capture::FlowRecord;
use torclass_core::{Transport, Verdict};

/// The keys of the JSON-lines record a verdict fills.
pub(crate) const KEYS: [&str; 4] = ["verdict", "protocol", "confidence", "evidence"];

/// A flow's classification: `verdict` is `"bittorrent"`, `"not_bittorrent"` or
/// `"undecided"` (feed more bytes); for BitTorrent, `protocol`, `confidence` and `evidence`
/// say which protocol, how sure and why. `bool(v)` is true only for BitTorrent.
#[pyclass(frozen, eq, hash, module = "torclass", name = "Verdict")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyVerdict(pub(crate) Verdict);

impl PyVerdict {
    /// A record holding only this verdict, to read its fields the way records are written.
    fn record(&self) -> FlowRecord {
        let nowhere = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let mut r = FlowRecord::new(Transport::Tcp, nowhere, 0, nowhere, 0);
        r.verdict = self.0;
        r
    }
}

#[pymethods]
impl PyVerdict {
    /// A verdict from its dict's values: `Verdict("bittorrent", "peer_wire", "confirmed",
    /// ["handshake"])`, `Verdict("not_bittorrent")`; `Verdict(**v.to_dict())` rebuilds `v`.
    #[new]
    #[pyo3(signature = (verdict = "undecided", protocol = None, confidence = None, evidence = Vec::new()))]
    fn new(
        verdict: &str,
        protocol: Option<String>,
        confidence: Option<String>,
        evidence: Vec<String>,
    ) -> PyResult<Self> {
        let fields = [
            ("l4", Some("tcp".to_owned())),
            ("src", Some("0.0.0.0".to_owned())),
            ("dst", Some("0.0.0.0".to_owned())),
            ("verdict", Some(verdict.to_owned())),
            ("protocol", protocol),
            ("confidence", confidence),
        ];
        Python::attach(|py| {
            let d = PyDict::new(py);
            for (k, v) in fields {
                d.set_item(k, v)?;
            }
            d.set_item("sport", 0)?;
            d.set_item("dport", 0)?;
            d.set_item("evidence", evidence)?;
            let record = crate::record_dict::from_dict(&d).map_err(|e| {
                PyValueError::new_err(e.to_string().replace("FlowRecord", "Verdict"))
            })?;
            Ok(Self(record.verdict))
        })
    }

    /// Pickle (and `copy`) support: `Verdict(verdict, protocol, confidence, evidence)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let v = slf.get();
        let evidence = record::field(py, &v.record(), "evidence")?;
        let args = (v.verdict(), v.protocol(), v.confidence(), evidence).into_pyobject(py)?;
        PyTuple::new(py, [slf.get_type().into_any(), args.into_any()])
    }

    /// `"bittorrent"`, `"not_bittorrent"` or `"undecided"`.
    #[getter]
    fn verdict(&self) -> &'static str {
        self.0.name()
    }

    /// The BitTorrent protocol (`"peer_wire"`, `"peer_wire_encrypted"`, `"utp"`, `"dht"`,
    /// `"udp_tracker"`, `"http_tracker"`, `"lsd"`, `"magnet"`), or `None`.
    #[getter]
    fn protocol(&self) -> Option<&'static str> {
        self.0.detection().map(|d| d.protocol.name())
    }

    /// `"likely"` or `"confirmed"` for BitTorrent, else `None`.
    #[getter]
    fn confidence(&self) -> Option<&'static str> {
        self.0.detection().map(|d| d.confidence.name())
    }

    /// The names of what was seen (`"handshake"`, …); empty unless BitTorrent.
    #[getter]
    fn evidence<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        record::field(py, &self.record(), "evidence")
    }

    /// True if the verdict is BitTorrent.
    #[getter]
    fn is_bittorrent(&self) -> bool {
        self.0.is_bittorrent()
    }

    /// The verdict's keys of the JSON-lines record: `verdict`, `protocol`, `confidence`,
    /// `evidence`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        record::dict(py, &self.record(), &KEYS)
    }

    fn __bool__(&self) -> bool {
        self.0.is_bittorrent()
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        match self.0.detection() {
            Some(d) => format!(
                "<Verdict bittorrent protocol={} confidence={} evidence=[{}]>",
                d.protocol.name(),
                d.confidence.name(),
                d.evidence.names().collect::<Vec<_>>().join(", ")
            ),
            None => format!("<Verdict {}>", self.0.name()),
        }
    }
}
