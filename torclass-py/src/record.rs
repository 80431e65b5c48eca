//! `torclass.FlowRecord`: one flow of a capture, with exactly the keys and values of the
//! JSON-lines record. Every value comes from [`torclass_capture::FlowRecord::values`], the code
//! the CLI's JSON lines, CSV and table use, so a DataFrame reads like the CLI output.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use torclass_capture::{ts_text, write_jsonl, FlowRecord, Value, COLUMNS};

/// `value` as Python: `None`, `str`, `int`, `float` (the 6-decimal value JSON lines write) or a
/// list of evidence names.
fn to_py<'py>(py: Python<'py>, value: Value<'_>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Text(s) => s.into_pyobject(py)?.into_any(),
        Value::Int(n) => n.into_pyobject(py)?.into_any(),
        Value::Ts(ts) => ts_text(ts)
            .and_then(|s| s.parse::<f64>().ok())
            .into_pyobject(py)?,
        Value::Names(evidence) => PyList::new(py, evidence.names())?.into_any(),
    })
}

/// The value of the record's `key` (one of [`COLUMNS`]).
pub(crate) fn field<'py>(
    py: Python<'py>,
    record: &FlowRecord,
    key: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let value = COLUMNS
        .iter()
        .zip(record.values())
        .find_map(|(k, v)| (*k == key).then_some(v))
        .unwrap_or(Value::Null);
    to_py(py, value)
}

/// A dict of the record's `keys`, in [`COLUMNS`] order.
pub(crate) fn dict<'py>(
    py: Python<'py>,
    record: &FlowRecord,
    keys: &[&str],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (key, value) in COLUMNS.iter().zip(record.values()) {
        if keys.contains(key) {
            d.set_item(*key, to_py(py, value)?)?;
        }
    }
    Ok(d)
}

/// One flow of a capture: its 5-tuple, times, counts and classification.
///
/// Attributes have the names and values of the JSON-lines record (`torclass classify
/// --format jsonl`): strings for `l4`, `verdict`, `protocol`, `confidence`; a list of names for
/// `evidence`; lowercase hex for `info_hash` and `dht_node_id`; `tunnel` (`gre`, `vxlan`, …)
/// and `tunnel_dst` (the outer endpoints and tunnel id) for a tunnelled flow; `peer_id` as
/// printable text with other bytes written `\xNN`; `None` for what is unknown.
#[pyclass(frozen, eq, module = "torclass", name = "FlowRecord")]
pub struct PyFlowRecord {
    record: FlowRecord,
}

/// Equal when every column, the exact times and the end reason are: what `to_dict()` shows
/// (the detection's own evidence and the flow's are one `evidence` list there).
impl PartialEq for PyFlowRecord {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.record, &other.record);
        a.values() == b.values()
            && (a.first_ns, a.last_ns, a.end_reason) == (b.first_ns, b.last_ns, b.end_reason)
    }
}

impl From<FlowRecord> for PyFlowRecord {
    fn from(record: FlowRecord) -> Self {
        Self { record }
    }
}

impl PyFlowRecord {
    /// The record.
    pub(crate) fn record(&self) -> &FlowRecord {
        &self.record
    }
}

/// The `#[pymethods]` block: one getter per column, then `body`.
macro_rules! methods {
    ([$($name:ident),* $(,)?] $($body:tt)*) => {
        #[pymethods]
        impl PyFlowRecord {
            $(
                #[doc = concat!("The record's `", stringify!($name), "`.")]
                #[getter]
                fn $name<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    field(py, &self.record, stringify!($name))
                }
            )*
            $($body)*
        }
    };
}

methods!(
    [
        l4,
        src,
        sport,
        dst,
        dport,
        first_ts,
        last_ts,
        packets,
        bytes,
        packets_out,
        bytes_out,
        packets_in,
        bytes_in,
        verdict,
        protocol,
        confidence,
        evidence,
        info_hash,
        peer_id,
        client,
        dht_node_id,
        decided_at_packet,
        tunnel,
        tunnel_dst,
    ]

    /// A record from its dict: the keys of `to_dict()` (`torclass.COLUMNS`); `l4`, `src`,
    /// `sport`, `dst` and `dport` are required, the others default to nothing known (an
    /// undecided flow of 0 packets). `first_ts`/`last_ts` may be seconds or datetimes;
    /// `first_ns`/`last_ns` (exact nanoseconds) win over them. The `duration` and `file` of a
    /// `flows_table` row are accepted and not kept. Raises `ValueError` or `TypeError` naming
    /// the key at fault.
    #[new]
    fn new(fields: &Bound<'_, PyDict>) -> PyResult<Self> {
        crate::record_dict::from_dict(fields).map(Self::from)
    }

    /// Pickle (and `copy`) support: the record's dict with its exact times.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let record = &slf.get().record;
        let d = dict(py, record, &COLUMNS)?;
        d.set_item("first_ns", record.first_ns)?;
        d.set_item("last_ns", record.last_ns)?;
        d.set_item("end_reason", record.end_reason.map(|r| r.name()))?;
        PyTuple::new(py, [slf.get_type().into_any(), PyTuple::new(py, [d])?.into_any()])
    }

    /// Why the flow left the flow table before the capture ended (`"evicted"`, `"idle"`,
    /// `"closed"`, `"reused"`), or `None` for a flow still open at the end. Not a column of
    /// the record.
    #[getter]
    fn end_reason(&self) -> Option<&'static str> {
        self.record.end_reason.map(|r| r.name())
    }

    /// The record as a dict with exactly the keys of the JSON-lines record, in its order.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict(py, &self.record, &COLUMNS)
    }

    /// The record's JSON-lines form (one line, without the newline), byte for byte what
    /// `torclass classify --format jsonl` writes.
    fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(512);
        // Writing to a Vec cannot fail.
        let _ = write_jsonl(&mut out, &self.record);
        let mut line = String::from_utf8_lossy(&out).into_owned();
        line.truncate(line.trim_end().len());
        line
    }

    fn __repr__(&self) -> String {
        let r = &self.record;
        format!(
            "<FlowRecord {} {}:{} -> {}:{} {} packets {} bytes: {}>",
            r.l4.name(),
            r.src,
            r.sport,
            r.dst,
            r.dport,
            r.packets,
            r.bytes,
            r.verdict
        )
    }
);
