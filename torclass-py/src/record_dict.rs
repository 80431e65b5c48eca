//! A [`FlowRecord`] from its dict (`FlowRecord(d)`): the keys and values `to_dict()` gives
//! (every value checked, with an error that names the key), so records can be rebuilt, made
//! by hand, and pickled (`__reduce__` passes the dict plus the exact `first_ns`/`last_ns`).

use std::net::IpAddr;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use torclass_capture::{FlowRecord, Id, COLUMNS};
use torclass_core::packet::TunnelKind;
use torclass_core::table::EndReason;
use torclass_core::verdict::{Confidence, Detection, Evidence, Protocol, Verdict};

use crate::names;

/// Keys a record dict may have besides [`COLUMNS`]: the exact times and the end reason
/// (`__reduce__` adds them) and the extra columns of a `flows_table` row, which the record does not keep.
const OTHER_KEYS: [&str; 5] = ["first_ns", "last_ns", "end_reason", "duration", "file"];

fn bad(key: &str, what: &str) -> PyErr {
    PyValueError::new_err(format!("FlowRecord: {key} must be {what}"))
}

/// The value of `key`, `None` if missing or `None` (or pandas' missing values).
fn get<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Some(v) = d.get_item(key)? else {
        return Ok(None);
    };
    if v.is_none() {
        return Ok(None);
    }
    // pandas.NA, NaT and float NaN are "missing" in a DataFrame row.
    let missing = match v.extract::<f64>() {
        Ok(f) => f.is_nan(),
        Err(_) => {
            let name = v.get_type().name()?.to_string();
            name == "NAType" || name == "NaTType"
        }
    };
    Ok((!missing).then_some(v))
}

fn text(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Option<String>> {
    get(d, key)?
        .map(|v| {
            v.extract::<String>()
                .map_err(|_| PyTypeError::new_err(format!("FlowRecord: {key} must be a str")))
        })
        .transpose()
}

fn required_text(d: &Bound<'_, PyDict>, key: &str) -> PyResult<String> {
    text(d, key)?.ok_or_else(|| PyValueError::new_err(format!("FlowRecord: {key} is required")))
}

fn int<T: for<'a, 'py> FromPyObject<'a, 'py>>(
    d: &Bound<'_, PyDict>,
    key: &str,
    what: &str,
) -> PyResult<Option<T>> {
    get(d, key)?
        .map(|v| v.extract::<T>().map_err(|_| bad(key, what)))
        .transpose()
}

fn hex_bytes(d: &Bound<'_, PyDict>, key: &str, lens: &[usize]) -> PyResult<Option<Id>> {
    let Some(t) = text(d, key)? else {
        return Ok(None);
    };
    let what = "lowercase or uppercase hex of 20 or 32 bytes";
    if !lens.contains(&t.len()) || !t.is_ascii() {
        return Err(bad(key, what));
    }
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&t[i..i + 2], 16).map_err(|_| bad(key, what)))
        .collect::<PyResult<Id>>()
        .map(Some)
}

/// The bytes of a peer id written by `peer_id_text`: `\\` is `\`, `\xNN` a byte, anything
/// else printable ASCII.
fn peer_id_bytes(t: &str) -> Option<Id> {
    let mut out = Id::new();
    let b = t.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' if b.get(i + 1) == Some(&b'\\') => {
                out.push(b'\\');
                i += 2;
            }
            b'\\' if b.get(i + 1) == Some(&b'x') => {
                let hex = std::str::from_utf8(b.get(i + 2..i + 4)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 4;
            }
            0x20..=0x7e if c != b'\\' => {
                out.push(c);
                i += 1;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A time in seconds (float or int) or a datetime (pandas `Timestamp` keeps nanoseconds) as
/// nanoseconds since the epoch.
fn time_ns(v: &Bound<'_, PyAny>, key: &str) -> PyResult<i64> {
    if let Ok(value) = v.getattr("value") {
        if v.hasattr("tz_localize")? {
            return value.extract::<i64>().map_err(|_| bad(key, "a time"));
        }
    }
    let seconds = if v.hasattr("timestamp")? {
        v.call_method0("timestamp")?.extract::<f64>()?
    } else {
        v.extract::<f64>()
            .map_err(|_| bad(key, "seconds since the epoch (float) or a datetime"))?
    };
    if !(seconds.is_finite() && (0.0..9.2e9).contains(&seconds)) {
        return Err(bad(key, "a time from 1970 to 2262"));
    }
    Ok((seconds * 1e9).round() as i64)
}

/// Build a record from `d` (see the module docs).
pub(crate) fn from_dict(d: &Bound<'_, PyDict>) -> PyResult<FlowRecord> {
    for key in d.keys() {
        let key = key
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("FlowRecord: the dict's keys must be str"))?;
        let key = key.to_str()?;
        if !COLUMNS.contains(&key) && !OTHER_KEYS.contains(&key) {
            return Err(PyValueError::new_err(format!(
                "FlowRecord: unknown key {key:?} (the keys are torclass.COLUMNS)"
            )));
        }
    }
    let l4 = names::transport(&required_text(d, "l4")?)?;
    let address = |key: &str| -> PyResult<IpAddr> {
        required_text(d, key)?
            .parse()
            .map_err(|_| bad(key, "an IPv4 or IPv6 address"))
    };
    let port = |key: &str| -> PyResult<u16> {
        int::<u16>(d, key, "a port (0-65535)")?
            .ok_or_else(|| PyValueError::new_err(format!("FlowRecord: {key} is required")))
    };
    let mut r = FlowRecord::new(
        l4,
        address("src")?,
        port("sport")?,
        address("dst")?,
        port("dport")?,
    );
    let exact = |key: &str| int::<i64>(d, key, "nanoseconds since the epoch (int)");
    let first = match (exact("first_ns")?, get(d, "first_ts")?) {
        (Some(ns), _) => ns,
        (None, Some(v)) => time_ns(&v, "first_ts")?,
        (None, None) => 0,
    };
    let last = match (exact("last_ns")?, get(d, "last_ts")?) {
        (Some(ns), _) => ns,
        (None, Some(v)) => time_ns(&v, "last_ts")?,
        (None, None) => first,
    };
    let (Ok(first), Ok(last)) = (u64::try_from(first), u64::try_from(last)) else {
        return Err(bad("first_ts and last_ts", "at or after 1970"));
    };
    r.set_times(first, last);
    r.packets = int(d, "packets", "a count (int >= 0)")?.unwrap_or(0);
    r.bytes = int(d, "bytes", "a count (int >= 0)")?.unwrap_or(0);
    r.packets_out = int(d, "packets_out", "a count (int >= 0)")?.unwrap_or(0);
    r.bytes_out = int(d, "bytes_out", "a count (int >= 0)")?.unwrap_or(0);
    r.packets_in = int(d, "packets_in", "a count (int >= 0)")?.unwrap_or(0);
    r.bytes_in = int(d, "bytes_in", "a count (int >= 0)")?.unwrap_or(0);
    r.end_reason = match text(d, "end_reason")? {
        None => None,
        Some(name) => Some(
            EndReason::ALL
                .into_iter()
                .find(|e| e.name() == name)
                .ok_or_else(|| {
                    bad(
                        "end_reason",
                        "evicted, idle, closed, reused, removed or drained",
                    )
                })?,
        ),
    };
    let verdict = text(d, "verdict")?.unwrap_or_else(|| "undecided".to_owned());
    let protocol = text(d, "protocol")?;
    let confidence = text(d, "confidence")?;
    let evidence: Vec<String> = match get(d, "evidence")? {
        None => Vec::new(),
        Some(v) => v
            .try_iter()
            .map_err(|_| bad("evidence", "a list of evidence names"))?
            .map(|name| {
                name?
                    .extract::<String>()
                    .map_err(|_| bad("evidence", "a list of str"))
            })
            .collect::<PyResult<_>>()?,
    };
    let mut bits = Evidence::NONE;
    for name in &evidence {
        let (bit, _) = Evidence::NAMED
            .iter()
            .find(|(_, n)| n == name)
            .ok_or_else(|| bad("evidence", &format!("evidence names; {name:?} is not one")))?;
        bits.insert(*bit);
    }
    // Evidence is on every record, whatever the verdict (a magnet link in a web page).
    r.evidence = bits;
    r.verdict = match verdict.as_str() {
        "bittorrent" => {
            let protocol = protocol
                .as_deref()
                .and_then(Protocol::from_name)
                .ok_or_else(|| {
                    bad(
                        "protocol",
                        "a BitTorrent protocol name for a bittorrent verdict",
                    )
                })?;
            let confidence = match confidence.as_deref() {
                Some("likely") => Confidence::Likely,
                Some("confirmed") => Confidence::Confirmed,
                _ => {
                    return Err(bad(
                        "confidence",
                        "'likely' or 'confirmed' for a bittorrent verdict",
                    ))
                }
            };
            Verdict::BitTorrent(Detection::new(protocol, confidence, bits))
        }
        "not_bittorrent" | "undecided" => {
            if protocol.is_some() || confidence.is_some() {
                return Err(bad(
                    "protocol and confidence",
                    &format!("empty for a {verdict} verdict"),
                ));
            }
            if verdict == "undecided" {
                Verdict::Undecided
            } else {
                Verdict::NotBitTorrent
            }
        }
        _ => {
            return Err(bad(
                "verdict",
                "'bittorrent', 'not_bittorrent' or 'undecided'",
            ))
        }
    };
    r.info_hash = hex_bytes(d, "info_hash", &[40, 64])?;
    r.peer_id = text(d, "peer_id")?
        .map(|t| {
            peer_id_bytes(&t)
                .ok_or_else(|| bad("peer_id", "printable text with other bytes as \\xNN"))
        })
        .transpose()?;
    r.client = text(d, "client")?;
    r.dht_node_id = hex_bytes(d, "dht_node_id", &[40])?;
    r.decided_at_packet = int(d, "decided_at_packet", "a packet number (int >= 1)")?;
    r.tunnel = text(d, "tunnel")?
        .map(|t| {
            TunnelKind::from_name(&t)
                .map(TunnelKind::name)
                .ok_or_else(|| bad("tunnel", "a tunnel name such as 'gre' or 'vxlan'"))
        })
        .transpose()?;
    r.tunnel_dst = text(d, "tunnel_dst")?;
    Ok(r)
}
