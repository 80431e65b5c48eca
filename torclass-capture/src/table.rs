//! The human table: fixed-width columns, so rows can be written as flows finish without
//! holding them all. A value wider than its column (an IPv6 endpoint, a long client name)
//! pushes the rest of its row right; columns stay separated by two spaces.

use crate::record::{hex, FlowRecord};
use std::io::{self, Write};
use std::net::IpAddr;

/// Hex digits of the info-hash shown.
const INFO_HASH_PREFIX: usize = 16;

/// Column titles, widths, and whether the column is right-aligned (numbers).
const COLUMNS: [(&str, usize, bool); 13] = [
    ("l4", 3, false),
    ("src:sport", 21, false),
    ("dst:dport", 21, false),
    ("packets", 8, true),
    ("bytes", 11, true),
    ("bytes_out", 11, true),
    ("bytes_in", 11, true),
    ("verdict", 14, false),
    ("protocol", 19, false),
    ("confidence", 10, false),
    ("client", 20, false),
    ("info_hash", INFO_HASH_PREFIX, false),
    ("tunnel", 6, false),
];

/// Write the title line.
pub fn write_table_header(w: &mut impl Write) -> io::Result<()> {
    write_line(w, COLUMNS.map(|(title, _, _)| title.to_owned()))
}

/// Write `record` as one aligned line; unknown values are `-`.
pub fn write_table_row(w: &mut impl Write, record: &FlowRecord) -> io::Result<()> {
    let detection = record.verdict.detection();
    let dash = || "-".to_owned();
    write_line(
        w,
        [
            record.l4.name().to_owned(),
            endpoint(record.src, record.sport),
            endpoint(record.dst, record.dport),
            record.packets.to_string(),
            record.bytes.to_string(),
            record.bytes_out.to_string(),
            record.bytes_in.to_string(),
            record.verdict.name().to_owned(),
            detection.map_or_else(dash, |d| d.protocol.name().to_owned()),
            detection.map_or_else(dash, |d| d.confidence.name().to_owned()),
            record.client.as_deref().map_or_else(dash, printable),
            record
                .info_hash
                .as_deref()
                .map_or_else(dash, |h| hex(h.get(..INFO_HASH_PREFIX / 2).unwrap_or(h))),
            record.tunnel.map_or_else(dash, str::to_owned),
        ],
    )
}

fn write_line(w: &mut impl Write, cells: [String; COLUMNS.len()]) -> io::Result<()> {
    let mut line = String::with_capacity(160);
    for (i, (cell, (_, width, right))) in cells.iter().zip(COLUMNS).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let pad = width.saturating_sub(cell.chars().count());
        if right {
            line.extend(std::iter::repeat_n(' ', pad));
            line.push_str(cell);
        } else {
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    line.truncate(line.trim_end().len());
    line.push('\n');
    w.write_all(line.as_bytes())
}

fn endpoint(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

/// A client name safe for a terminal: control characters become `?`.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
