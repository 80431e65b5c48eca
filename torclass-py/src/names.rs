//! Strings at the boundary, enums inside: `"tcp"`/`"udp"` and `"initiator"`/`"responder"`,
//! the same names as the JSON-lines record.

use pyo3::exceptions::PyValueError;
use pyo3::PyResult;
use torclass_core::{Direction, Transport};

/// The transport named `name`.
pub(crate) fn transport(name: &str) -> PyResult<Transport> {
    [Transport::Tcp, Transport::Udp]
        .into_iter()
        .find(|t| t.name() == name)
        .ok_or_else(|| {
            PyValueError::new_err(format!("transport must be 'tcp' or 'udp', not {name:?}"))
        })
}

/// The direction named `name`.
pub(crate) fn direction(name: &str) -> PyResult<Direction> {
    [Direction::Initiator, Direction::Responder]
        .into_iter()
        .find(|d| d.name() == name)
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "direction must be 'initiator' or 'responder', not {name:?}"
            ))
        })
}
