//! The CSV form: a header line of [`COLUMNS`], then one line per record.
//!
//! Fields are quoted as RFC 4180 says (a field holding `,`, `"`, CR or LF is enclosed in
//! quotes, its quotes doubled); `null` is an empty field; evidence names are joined with `|`.
//! Lines end with `\n`.

use crate::record::{ts_text, FlowRecord, Value, COLUMNS};
use std::io::{self, Write};

/// Write the header line.
pub fn write_csv_header(w: &mut impl Write) -> io::Result<()> {
    let mut line = COLUMNS.join(",");
    line.push('\n');
    w.write_all(line.as_bytes())
}

/// Write `record` as one CSV line.
pub fn write_csv_row(w: &mut impl Write, record: &FlowRecord) -> io::Result<()> {
    let mut line = String::with_capacity(256);
    for (i, value) in record.values().iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        match value {
            Value::Null => {}
            Value::Text(s) => push_field(&mut line, s),
            Value::Int(n) => line.push_str(&n.to_string()),
            Value::Ts(ts) => line.push_str(ts_text(*ts).as_deref().unwrap_or_default()),
            Value::Names(evidence) => {
                push_field(&mut line, &evidence.names().collect::<Vec<_>>().join("|"));
            }
        }
    }
    line.push('\n');
    w.write_all(line.as_bytes())
}

fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut out = String::new();
        for f in ["plain", "a,b", "say \"hi\"", "two\nlines", "cr\r"] {
            push_field(&mut out, f);
            out.push(';');
        }
        assert_eq!(
            out,
            "plain;\"a,b\";\"say \"\"hi\"\"\";\"two\nlines\";\"cr\r\";"
        );
    }
}
