//! The JSON-lines form: one object per line, keys in [`COLUMNS`] order.

use crate::record::{ts_text, FlowRecord, Value, COLUMNS};
use std::io::{self, Write};

/// Write `record` as one JSON object and a newline.
///
/// ```
/// use std::net::Ipv4Addr;
/// use torclass_capture::{write_jsonl, FlowRecord};
/// use torclass_core::Transport;
///
/// let r = FlowRecord::new(Transport::Udp, Ipv4Addr::new(10, 0, 0, 1).into(), 6881,
///                         Ipv4Addr::new(10, 0, 0, 2).into(), 6881);
/// let mut out = Vec::new();
/// write_jsonl(&mut out, &r).unwrap();
/// assert!(out.starts_with(br#"{"l4":"udp","src":"10.0.0.1","sport":6881,"#));
/// ```
pub fn write_jsonl(w: &mut impl Write, record: &FlowRecord) -> io::Result<()> {
    let mut line = String::with_capacity(512);
    line.push('{');
    for (i, (key, value)) in COLUMNS.iter().zip(record.values()).enumerate() {
        if i > 0 {
            line.push(',');
        }
        push_string(&mut line, key);
        line.push(':');
        push_value(&mut line, &value);
    }
    line.push_str("}\n");
    w.write_all(line.as_bytes())
}

fn push_value(out: &mut String, value: &Value<'_>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Text(s) => push_string(out, s),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Ts(ts) => out.push_str(ts_text(*ts).as_deref().unwrap_or("null")),
        Value::Names(evidence) => {
            out.push('[');
            for (i, name) in evidence.names().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_string(out, name);
            }
            out.push(']');
        }
    }
}

/// `s` as a JSON string (RFC 8259): quotes, backslashes and control characters escaped.
pub(crate) fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        push_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }
}
