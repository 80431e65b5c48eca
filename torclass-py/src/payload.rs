//! Payloads and frames from Python: `bytes`, `bytearray`, `memoryview` and any other object
//! with the buffer protocol, without copying where that is sound.
//!
//! - `bytes` is immutable: it is borrowed, never copied ([`PyBackedBytes`] keeps it alive).
//! - A C-contiguous `memoryview` over `bytes` (`memoryview(b)[4:]`) borrows the same `bytes`.
//! - Everything else (`bytearray`, a `memoryview` over a `bytearray`, numpy arrays, `mmap`) can
//!   change while it is read, from another thread or, on a free-threaded build, at any moment.
//!   A read-only flag does not prevent that (`memoryview(ba).toreadonly()` still changes with
//!   `ba`), so these are copied once, under the GIL, before any work that may release it.
//!   Nothing is kept after the call returns.

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};

/// The bytes of one payload or frame, owned or borrowed from an immutable `bytes`.
pub(crate) enum Payload {
    /// `bytes[start..end]` of an immutable `bytes` object.
    Shared {
        bytes: PyBackedBytes,
        start: usize,
        end: usize,
    },
    /// A copy of a mutable buffer.
    Owned(Vec<u8>),
}

impl Payload {
    /// The payload's bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Self::Shared { bytes, start, end } => bytes.get(*start..*end).unwrap_or_default(),
            Self::Owned(v) => v,
        }
    }

    /// Read `obj` as a payload; `what` names the argument in the `TypeError`.
    pub(crate) fn extract(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Self> {
        if let Ok(b) = obj.cast::<PyBytes>() {
            let end = b.as_bytes().len();
            return Ok(Self::Shared {
                bytes: PyBackedBytes::from(b.clone()),
                start: 0,
                end,
            });
        }
        if let Ok(b) = obj.cast::<PyByteArray>() {
            return Ok(Self::Owned(b.to_vec()));
        }
        if obj.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(format!(
                "{what} must be bytes, bytearray or memoryview, not str; \
                 encode it first (s.encode()) or pass the raw bytes"
            )));
        }
        let Ok(buffer) = PyBuffer::<u8>::get(obj) else {
            return Err(type_error(obj, what));
        };
        if let Some(shared) = window_of_bytes(obj, &buffer)? {
            return Ok(shared);
        }
        Ok(Self::Owned(buffer.to_vec(obj.py())?))
    }
}

impl AsRef<[u8]> for Payload {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// A `memoryview` that is a contiguous window of an immutable `bytes`: the same bytes,
/// borrowed from the `bytes` object itself (the pointers are only compared, never read).
fn window_of_bytes(obj: &Bound<'_, PyAny>, buffer: &PyBuffer<u8>) -> PyResult<Option<Payload>> {
    if !obj.is_instance_of::<PyMemoryView>() || !buffer.is_c_contiguous() {
        return Ok(None);
    }
    let base = obj.getattr("obj")?;
    let Ok(base) = base.cast::<PyBytes>() else {
        return Ok(None);
    };
    let whole = base.as_bytes();
    let start = (buffer.buf_ptr() as usize).checked_sub(whole.as_ptr() as usize);
    let window = start.and_then(|s| Some((s, s.checked_add(buffer.len_bytes())?)));
    Ok(match window {
        Some((start, end)) if end <= whole.len() => Some(Payload::Shared {
            bytes: PyBackedBytes::from(base.clone()),
            start,
            end,
        }),
        _ => None,
    })
}

fn type_error(obj: &Bound<'_, PyAny>, what: &str) -> PyErr {
    let name = obj
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    PyTypeError::new_err(format!(
        "{what} must be bytes, bytearray or memoryview (a bytes-like object), not {name}; \
         did you mean bytes(pkt)?"
    ))
}
