//! [`Format`] and [`RecordWriter`]: records out in the format a user chose.

use crate::csv::{write_csv_header, write_csv_row};
use crate::jsonl::write_jsonl;
use crate::record::FlowRecord;
use crate::table::{write_table_header, write_table_row};
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

/// An output format for flow records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// One JSON object per line: the contract other tools read.
    Jsonl,
    /// A header line, then comma-separated values.
    Csv,
}

impl Format {
    /// Every format.
    pub const ALL: [Self; 3] = [Self::Table, Self::Jsonl, Self::Csv];

    /// The name a user types: `table`, `jsonl` or `csv`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Table => "table",
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is none of `table`, `jsonl`, `csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown format {:?} (expected table, jsonl or csv)",
            self.0
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// Writes records one at a time in a [`Format`], with the header line (CSV, table) before
/// the first record, or at [`RecordWriter::finish`] if there was none.
#[derive(Debug)]
pub struct RecordWriter<W: Write> {
    out: W,
    format: Format,
    header_written: bool,
}

impl<W: Write> RecordWriter<W> {
    /// A writer of `format` records to `out`. Nothing is written yet.
    pub fn new(out: W, format: Format) -> Self {
        Self {
            out,
            format,
            header_written: false,
        }
    }

    /// The format being written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Write one record (after the header, the first time).
    pub fn write(&mut self, record: &FlowRecord) -> io::Result<()> {
        self.header()?;
        match self.format {
            Format::Table => write_table_row(&mut self.out, record),
            Format::Jsonl => write_jsonl(&mut self.out, record),
            Format::Csv => write_csv_row(&mut self.out, record),
        }
    }

    /// Write the header if no record was written, flush, and give back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.header()?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.header_written = true;
            match self.format {
                Format::Table => write_table_header(&mut self.out)?,
                Format::Csv => write_csv_header(&mut self.out)?,
                Format::Jsonl => {}
            }
        }
        Ok(())
    }
}
