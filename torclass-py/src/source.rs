//! Where `flows_table` and `packets` read a capture from: a path, the bytes of a whole
//! capture (`bytes`, `bytearray`, `memoryview`), or a binary file object (`open(p, "rb")`,
//! `io.BytesIO`, an fsspec/S3 file: anything with `read(n)` returning bytes). gzip and zstd
//! are recognised by their magic in all three (torclass-capture's `compression`).
//!
//! The Python package (`torclass/_sources.py`) expands globs, directories and lists into
//! `(kind, name, object)` items; this module opens one item.

use std::io::{self, Cursor, Read};
use std::path::PathBuf;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;
use torclass_capture::{CaptureError, CaptureReader, ReadMode};

use crate::payload::Payload;

/// One capture to read.
pub(crate) enum Source {
    /// A file: opened, memory-mapped or streamed as `mode` says.
    Path(PathBuf),
    /// A whole capture in memory (`bytes` borrowed, mutable buffers copied once).
    Bytes(Payload),
    /// A binary file object, read `read(n)` by `read(n)` (each call takes the GIL).
    File(Py<PyAny>),
}

/// A source and the name its rows and errors carry (the `file` column).
pub(crate) struct Named {
    pub(crate) name: String,
    pub(crate) source: Source,
}

impl Named {
    /// Read one `(kind, name, object)` item of `_sources.py`.
    pub(crate) fn extract(item: &Bound<'_, PyAny>) -> PyResult<Self> {
        let (kind, name, object): (String, String, Bound<'_, PyAny>) = item.extract()?;
        let source = match kind.as_str() {
            "path" => Source::Path(PathBuf::from(&name)),
            "bytes" => Source::Bytes(Payload::extract(&object, "a capture's bytes")?),
            "file" => {
                if !object.hasattr("read")? {
                    return Err(PyTypeError::new_err(format!(
                        "{name}: a file object needs a read() method"
                    )));
                }
                Source::File(object.unbind())
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown source kind {other:?} (path, bytes or file)"
                )))
            }
        };
        Ok(Self { name, source })
    }

    /// Open the capture (reads its header); call without the GIL.
    pub(crate) fn open(self, mode: ReadMode) -> Result<CaptureReader, CaptureError> {
        match self.source {
            Source::Path(path) => CaptureReader::open_with(&path, mode),
            Source::Bytes(bytes) => CaptureReader::new(Cursor::new(bytes), self.name),
            Source::File(file) => CaptureReader::new(PyFile { file }, self.name),
        }
    }
}

/// A Python binary file object as a [`Read`]: each read takes the GIL for one `read(n)`.
struct PyFile {
    file: Py<PyAny>,
}

impl Read for PyFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        Python::attach(|py| {
            let chunk = self
                .file
                .call_method1(py, "read", (buf.len(),))
                .map_err(|e| io::Error::other(format!("read() raised {e}")))?;
            let chunk = chunk.bind(py);
            if chunk.is_none() {
                // A non-blocking raw stream with nothing ready: there is no more to wait for.
                return Ok(0);
            }
            if chunk.is_instance_of::<PyString>() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "read() returned str: open the file in binary mode ('rb')",
                ));
            }
            let bytes = Payload::extract(chunk, "read()'s result")
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            let bytes = bytes.as_slice();
            if bytes.len() > buf.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("read({}) returned {} bytes", buf.len(), bytes.len()),
                ));
            }
            buf[..bytes.len()].copy_from_slice(bytes);
            Ok(bytes.len())
        })
    }
}
