//! `torclass.match_notices`'s compiled part: torclass-capture's [`read_notices`] and
//! [`match_notices`], the code `torclass match` runs, over flows given as columns.

use std::net::IpAddr;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use torclass_capture::{format_time, hex, match_notices, read_notices, MatchFlow};

/// One flow as `match_notices` passes it: `(src, sport, dst, dport, first_ns, last_ns,
/// bittorrent, info_hash)`.
type FlowRow = (String, u16, String, u16, i64, i64, bool, Option<String>);

/// One match: `(notice, kind, flow, info_hash_seen)`.
type MatchRow = (usize, &'static str, usize, bool);

/// Match the notice file `text` (CSV, torclass-capture's notice format) against `flows`.
/// Returns one dict per notice (`line`, `id`, `address`, `port`, `time`,
/// `notice_info_hash`, `tolerance`, `result`) and the matches as `(notice, kind, flow,
/// info_hash_seen)` with `kind` `"endpoint"` or `"same_address"` and `flow` an index into
/// `flows`.
#[pyfunction]
pub(crate) fn match_flow_rows<'py>(
    py: Python<'py>,
    text: &str,
    tolerance_ns: i64,
    flows: Vec<FlowRow>,
) -> PyResult<(Bound<'py, PyList>, Vec<MatchRow>)> {
    let notices =
        read_notices(text, tolerance_ns).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let parsed = flows
        .iter()
        .map(
            |(src, sport, dst, dport, first_ns, last_ns, bittorrent, info_hash)| {
                let addr = |t: &str| {
                    t.parse::<IpAddr>().map_err(|_| {
                        PyValueError::new_err(format!("flow address {t:?} is not an IP address"))
                    })
                };
                let info_hash = info_hash
                    .as_deref()
                    .map(|h| {
                        (0..h.len())
                            .step_by(2)
                            .map(|i| h.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
                            .collect::<Option<Vec<u8>>>()
                            .ok_or_else(|| {
                                PyValueError::new_err(format!("info_hash {h:?} is not hex"))
                            })
                    })
                    .transpose()?;
                Ok((
                    addr(src)?,
                    *sport,
                    addr(dst)?,
                    *dport,
                    *first_ns,
                    *last_ns,
                    *bittorrent,
                    info_hash,
                ))
            },
        )
        .collect::<PyResult<Vec<_>>>()?;
    let views: Vec<MatchFlow<'_>> = parsed
        .iter()
        .map(
            |(src, sport, dst, dport, first_ns, last_ns, bittorrent, info_hash)| MatchFlow {
                src: *src,
                sport: *sport,
                dst: *dst,
                dport: *dport,
                first_ns: *first_ns,
                last_ns: *last_ns,
                bittorrent: *bittorrent,
                info_hash: info_hash.as_deref(),
            },
        )
        .collect();
    let found = py.detach(|| match_notices(&notices, &views));
    let rows = PyList::empty(py);
    let mut matches = Vec::new();
    for (notice, m) in notices.iter().zip(&found) {
        let d = PyDict::new(py);
        d.set_item("line", notice.line)?;
        d.set_item("id", notice.id.as_deref())?;
        d.set_item("address", notice.address.to_string())?;
        d.set_item("port", notice.port)?;
        d.set_item("time", format_time(notice.time_ns))?;
        d.set_item("time_ns", notice.time_ns)?;
        d.set_item("notice_info_hash", notice.info_hash.as_deref().map(hex))?;
        d.set_item("tolerance", notice.tolerance_ns as f64 / 1e9)?;
        d.set_item("result", m.result.name())?;
        rows.append(d)?;
        matches.extend(
            m.flows
                .iter()
                .map(|f| (m.notice, "endpoint", f.flow, f.info_hash_seen)),
        );
        matches.extend(
            m.same_address
                .iter()
                .map(|i| (m.notice, "same_address", *i, true)),
        );
    }
    Ok((rows, matches))
}
