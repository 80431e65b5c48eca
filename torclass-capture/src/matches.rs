//! The forms of [`match_notices`](crate::match_notices)'s results that `torclass match`
//! writes: JSON lines (one object per notice, its flows inside) and CSV (one row per notice
//! and flow, or one row for a notice nothing matched).
//!
//! A flow is written as its JSON-lines record (or CSV row) with two keys first: `file`, the
//! capture it was read from, and `info_hash_seen`.

use std::io::{self, Write};

use crate::csv::write_csv_row;
use crate::jsonl::{push_string, write_jsonl};
use crate::notice::{format_time, Notice, NoticeMatch};
use crate::record::{hex, FlowRecord, COLUMNS};

/// A flow of a match with the name of its capture.
#[derive(Clone, Copy, Debug)]
pub struct NamedFlow<'a> {
    /// The capture the flow was read from.
    pub file: &'a str,
    /// The flow.
    pub record: &'a FlowRecord,
}

/// The notice's own columns, first in both forms.
const NOTICE_COLUMNS: [&str; 8] = [
    "line",
    "id",
    "address",
    "port",
    "time",
    "notice_info_hash",
    "tolerance",
    "result",
];

/// Write one notice's result as a JSON object and a newline:
/// `{"line":2,"id":…,"address":…,"port":…,"time":"…Z","notice_info_hash":…,"tolerance":60.0,
/// "result":"info_hash_seen","flows":[{"file":…,"info_hash_seen":true,<record keys>}],
/// "same_address":[…]}`. `flow(i)` is the flow at index `i` of the slice that was matched.
pub fn write_match_jsonl<'a>(
    w: &mut impl Write,
    notice: &Notice,
    found: &NoticeMatch,
    flow: impl Fn(usize) -> Option<NamedFlow<'a>>,
) -> io::Result<()> {
    let mut out = String::with_capacity(256);
    out.push('{');
    for (i, (key, value)) in NOTICE_COLUMNS
        .iter()
        .zip(notice_fields(notice, found))
        .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        push_string(&mut out, key);
        out.push(':');
        match (i, value) {
            (_, None) => out.push_str("null"),
            (0 | 3 | 6, Some(v)) => out.push_str(&v),
            (_, Some(v)) => push_string(&mut out, &v),
        }
    }
    let lists = [
        (
            "flows",
            found
                .flows
                .iter()
                .map(|f| (f.flow, Some(f.info_hash_seen)))
                .collect::<Vec<_>>(),
        ),
        (
            "same_address",
            found
                .same_address
                .iter()
                .map(|i| (*i, Some(true)))
                .collect(),
        ),
    ];
    for (name, flows) in lists {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":[");
        let mut first = true;
        for (i, seen) in flows {
            let Some(named) = flow(i) else { continue };
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str("{\"file\":");
            push_string(&mut out, named.file);
            out.push_str(",\"info_hash_seen\":");
            out.push_str(if seen == Some(true) { "true" } else { "false" });
            let mut record = Vec::with_capacity(512);
            write_jsonl(&mut record, named.record)?;
            let record = String::from_utf8_lossy(&record);
            // The record's object without its `{` and newline: its keys follow ours.
            out.push(',');
            out.push_str(record.trim_end().trim_start_matches('{'));
        }
        out.push(']');
    }
    out.push_str("}\n");
    w.write_all(out.as_bytes())
}

/// Write the CSV header line: the notice's columns, `match` (`endpoint`, `same_address`, or
/// empty when nothing matched), `file`, `info_hash_seen`, then the record's columns.
pub fn write_match_csv_header(w: &mut impl Write) -> io::Result<()> {
    let mut line = NOTICE_COLUMNS.join(",");
    line.push_str(",match,file,info_hash_seen,");
    line.push_str(&COLUMNS.join(","));
    line.push('\n');
    w.write_all(line.as_bytes())
}

/// Write one notice's result as CSV: a row per flow, or one row with empty flow columns if
/// nothing matched.
pub fn write_match_csv<'a>(
    w: &mut impl Write,
    notice: &Notice,
    found: &NoticeMatch,
    flow: impl Fn(usize) -> Option<NamedFlow<'a>>,
) -> io::Result<()> {
    let mut prefix = String::with_capacity(128);
    for (i, value) in notice_fields(notice, found).into_iter().enumerate() {
        if i > 0 {
            prefix.push(',');
        }
        prefix.push_str(&csv_field(value.as_deref().unwrap_or_default()));
    }
    let rows = found
        .flows
        .iter()
        .map(|f| ("endpoint", f.flow, f.info_hash_seen))
        .chain(
            found
                .same_address
                .iter()
                .map(|i| ("same_address", *i, true)),
        );
    let mut wrote = false;
    for (kind, i, seen) in rows {
        let Some(named) = flow(i) else { continue };
        let mut line = format!("{prefix},{kind},{},{seen},", csv_field(named.file));
        let mut record = Vec::with_capacity(256);
        write_csv_row(&mut record, named.record)?;
        line.push_str(&String::from_utf8_lossy(&record));
        w.write_all(line.as_bytes())?;
        wrote = true;
    }
    if !wrote {
        let empty = ",".repeat(COLUMNS.len() + 2);
        w.write_all(format!("{prefix},{empty}\n").as_bytes())?;
    }
    Ok(())
}

/// The values of [`NOTICE_COLUMNS`] as text (`None` is null).
fn notice_fields(notice: &Notice, found: &NoticeMatch) -> [Option<String>; 8] {
    [
        Some(notice.line.to_string()),
        notice.id.clone(),
        Some(notice.address.to_string()),
        Some(notice.port.to_string()),
        Some(format_time(notice.time_ns)),
        notice.info_hash.as_deref().map(hex),
        Some(format!("{:.3}", notice.tolerance_ns as f64 / 1e9)),
        Some(found.result.name().to_owned()),
    ]
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::{match_notices, read_notices, MatchFlow};
    use std::net::Ipv4Addr;
    use torclass_core::verdict::Transport;

    #[test]
    fn both_forms_name_the_notice_and_its_flows() {
        let notices = read_notices(
            "id,address,port,time\n\"a,b\",10.0.0.1,6881,1700000000\nn2,10.0.0.3,1,0\n",
            1,
        )
        .unwrap();
        let mut r = FlowRecord::new(
            Transport::Tcp,
            Ipv4Addr::new(10, 0, 0, 1).into(),
            6881,
            Ipv4Addr::new(10, 0, 0, 2).into(),
            50000,
        );
        r.set_times(1_700_000_000_000_000_000, 1_700_000_001_000_000_000);
        let records = [r];
        let flows: Vec<MatchFlow<'_>> = records.iter().map(MatchFlow::from).collect();
        let found = match_notices(&notices, &flows);
        let named = |i: usize| {
            records.get(i).map(|record| NamedFlow {
                file: "x.pcap",
                record,
            })
        };
        let mut json = Vec::new();
        for (n, m) in notices.iter().zip(&found) {
            write_match_jsonl(&mut json, n, m, named).unwrap();
        }
        let json = String::from_utf8(json).unwrap();
        let lines: Vec<serde_json::Value> = json
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["id"], "a,b");
        assert_eq!(lines[0]["time"], "2023-11-14T22:13:20.000000000Z");
        assert_eq!(lines[0]["result"], "not_bittorrent");
        assert_eq!(lines[0]["flows"][0]["file"], "x.pcap");
        assert_eq!(lines[0]["flows"][0]["dport"], 50000);
        assert_eq!(lines[1]["result"], "no_flow");
        assert_eq!(lines[1]["flows"], serde_json::json!([]));

        let mut csv = Vec::new();
        write_match_csv_header(&mut csv).unwrap();
        for (n, m) in notices.iter().zip(&found) {
            write_match_csv(&mut csv, n, m, named).unwrap();
        }
        let csv = String::from_utf8(csv).unwrap();
        let widths: Vec<usize> = csv
            .lines()
            .map(|l| l.replace("\"a,b\"", "ab").split(',').count())
            .collect();
        assert_eq!(widths, [NOTICE_COLUMNS.len() + 3 + COLUMNS.len(); 3]);
        assert!(csv
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("2,\"a,b\",10.0.0.1,6881,"));
    }
}
