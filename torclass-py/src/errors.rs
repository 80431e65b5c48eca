//! Rust errors as Python exceptions. The classes are defined in `torclass/_errors.py` (so
//! `CaptureError` can derive from both `TorclassError` and `ValueError`) and imported here.

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use std::error::Error as _;
use std::io;
use torclass_capture::{CaptureError, CaptureErrorKind};

/// The Python classes.
mod py {
    pyo3::import_exception!(torclass._errors, CaptureError);
}

/// A capture error as Python sees it: `OSError` (`FileNotFoundError`, …) when the file cannot
/// be opened or read, as `open()` raises it; `torclass.CaptureError` (a `TorclassError` and a
/// `ValueError`) with `.path`, `.offset` and `.truncated` when its contents are wrong.
pub(crate) fn capture_error(e: &CaptureError) -> PyErr {
    if let CaptureErrorKind::Io(kind) = e.kind {
        let source = e.source().and_then(|s| s.downcast_ref::<io::Error>());
        if let Some(errno) = source.and_then(io::Error::raw_os_error) {
            // OSError(errno, strerror, filename) picks the subclass (FileNotFoundError, …).
            let text = io::Error::from_raw_os_error(errno).to_string();
            let text = text
                .split(" (os error")
                .next()
                .unwrap_or_default()
                .to_owned();
            return PyOSError::new_err((errno, text, e.path.clone()));
        }
        return io::Error::new(kind, e.to_string()).into();
    }
    py::CaptureError::new_err((e.to_string(), e.path.clone(), e.offset, e.is_truncated()))
}
