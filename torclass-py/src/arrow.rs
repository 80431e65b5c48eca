//! Arrow data handed to Python without copying, through the Arrow C data interface's
//! PyCapsule protocol (`__arrow_c_stream__`, `__arrow_c_schema__`): pyarrow (>= 14), polars,
//! DuckDB and any other consumer import the columns built in Rust in place.
//!
//! arrow-rs makes the C structs (`FFI_ArrowArrayStream`, `FFI_ArrowSchema`); a capsule owns
//! one until the consumer moves it out (it then clears the struct's `release`, so dropping
//! the capsule frees nothing twice). No `unsafe` here.

use std::sync::Mutex;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator};
use arrow_schema::ffi::FFI_ArrowSchema;
use arrow_schema::SchemaRef;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// Batches of one schema, exported once as an Arrow C stream.
#[pyclass(frozen, module = "torclass", name = "ArrowStream")]
pub struct ArrowStream {
    schema: SchemaRef,
    batches: Mutex<Option<Vec<RecordBatch>>>,
}

impl ArrowStream {
    pub(crate) fn new(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        Self {
            schema,
            batches: Mutex::new(Some(batches)),
        }
    }
}

/// `requested_schema` must be absent: the columns have the one schema torclass defines.
fn no_requested_schema(requested: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    match requested {
        Some(r) if !r.is_none() => Err(PyValueError::new_err(
            "torclass tables have one schema (torclass.SCHEMA); cast after importing",
        )),
        _ => Ok(()),
    }
}

#[pymethods]
impl ArrowStream {
    /// The batches as an `arrow_array_stream` capsule (once: a second call raises).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        no_requested_schema(requested_schema)?;
        let batches = self
            .batches
            .lock()
            .map_err(|_| PyRuntimeError::new_err("poisoned"))?
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this stream was consumed already"))?;
        let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), self.schema.clone());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The schema as an `arrow_schema` capsule.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py, &self.schema)
    }
}

/// An Arrow schema for Python: `pyarrow.schema(obj)` imports it.
#[pyclass(frozen, module = "torclass", name = "ArrowSchema")]
pub struct ArrowSchema(pub(crate) SchemaRef);

#[pymethods]
impl ArrowSchema {
    /// The schema as an `arrow_schema` capsule.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py, &self.0)
    }
}

fn schema_capsule<'py>(py: Python<'py>, schema: &SchemaRef) -> PyResult<Bound<'py, PyCapsule>> {
    let ffi = FFI_ArrowSchema::try_from(schema.as_ref())
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    PyCapsule::new_with_value(py, ffi, c"arrow_schema")
}

/// An arrow-rs error as a Python `RuntimeError` (it means a bug: the columns are built to the
/// schema).
pub(crate) fn arrow_error(e: &arrow_schema::ArrowError) -> PyErr {
    PyRuntimeError::new_err(format!("torclass: building Arrow columns failed: {e}"))
}
