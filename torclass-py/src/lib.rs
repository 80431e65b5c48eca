//! # torclass-py
//!
//! The compiled part of the `torclass` Python package, `torclass._torclass`. The package
//! (`python/torclass/`) re-exports it with the exceptions and `flows_dataframe`.
//!
//! Three levels, one vocabulary (the JSON-lines record's names and values):
//! `classify` one payload, `flow::PyFlow` one flow payload by payload, and
//! `capture::read_pcap` or `classifier::PyClassifier` for whole captures or packets, and
//! `table::read_tables`: whole captures as Arrow columns (torclass-capture's schema),
//! handed to pyarrow through the Arrow C data interface.
//! Classification and records are torclass-core's and torclass-capture's; this crate only
//! converts at the boundary.
#![forbid(unsafe_code)]

mod arrow;
mod capture;
mod classifier;
mod errors;
mod flow;
mod names;
mod notices;
mod packets;
mod payload;
mod record;
mod record_dict;
mod source;
mod table;
mod verdict;

use payload::Payload;
use pyo3::prelude::*;
use verdict::PyVerdict;

/// Classify one payload on its own: the first payload of a new flow, sent by its initiator
/// (a TCP segment's bytes, or one UDP datagram). Returns a `Verdict`; `"undecided"` means one
/// payload was not enough (use a `Flow` and feed more).
///
/// `payload` is bytes, bytearray or memoryview (`bytes` is read in place, mutable buffers are
/// copied first). The GIL is held: the work is bounded and short.
#[pyfunction]
#[pyo3(signature = (payload, transport = "tcp"))]
fn classify(payload: &Bound<'_, PyAny>, transport: &str) -> PyResult<PyVerdict> {
    let transport = names::transport(transport)?;
    let payload = Payload::extract(payload, "payload")?;
    Ok(flow::classify_one(transport, payload.as_slice()))
}

/// Classify each payload of an iterable on its own, as `classify` does; returns a list of
/// `Verdict`s in the same order. The payloads are taken under the GIL (`bytes` without a
/// copy), then classified with the GIL released.
#[pyfunction]
#[pyo3(signature = (payloads, transport = "tcp"))]
fn classify_many(
    py: Python<'_>,
    payloads: &Bound<'_, PyAny>,
    transport: &str,
) -> PyResult<Vec<PyVerdict>> {
    let transport = names::transport(transport)?;
    let items = payloads
        .try_iter()?
        .map(|item| Payload::extract(&item?, "each payload"))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(py.detach(|| {
        items
            .iter()
            .map(|p| flow::classify_one(transport, p.as_slice()))
            .collect()
    }))
}

/// The compiled module.
#[pymodule(gil_used = false)]
mod _torclass {
    #[pymodule_export]
    use super::arrow::{ArrowSchema, ArrowStream};
    #[pymodule_export]
    use super::capture::{read_pcap, CaptureIterator};
    #[pymodule_export]
    use super::classifier::PyClassifier;
    #[pymodule_export]
    use super::flow::PyFlow;
    #[pymodule_export]
    use super::notices::match_flow_rows;
    #[pymodule_export]
    use super::packets::read_packets;
    #[pymodule_export]
    use super::record::PyFlowRecord;
    #[pymodule_export]
    use super::table::read_tables;
    #[pymodule_export]
    use super::verdict::PyVerdict;
    #[pymodule_export]
    use super::{classify, classify_many};
    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add("FLOW_STATE_SIZE", torclass_core::FlowClassifier::SIZE)?;
        m.add("COLUMNS", torclass_capture::COLUMNS.to_vec())?;
        m.add(
            "ARROW_SCHEMA",
            super::arrow::ArrowSchema(torclass_capture::schema()),
        )?;
        Ok(())
    }
}
