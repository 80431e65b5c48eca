//! Where `torclass classify` writes records: the text formats (table, JSON lines, CSV) to
//! stdout or a file, or Parquet (the Arrow schema the Python module uses) to a file.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::str::FromStr;

use torclass_capture::{FlowRecord, Format, RecordWriter};

/// A format `--format` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// `table`, `jsonl` or `csv`.
    Text(Format),
    /// `parquet`: needs `--output`.
    #[cfg(feature = "parquet")]
    Parquet,
}

impl OutputFormat {
    /// The text format, for outputs that stream records as they come (live capture);
    /// Parquet, a file written at the end, is refused there with this error.
    pub fn text(self) -> Result<Format, &'static str> {
        match self {
            Self::Text(format) => Ok(format),
            #[cfg(feature = "parquet")]
            Self::Parquet => {
                Err("--format parquet reads files; use jsonl or csv with --interface and --follow")
            }
        }
    }
}

impl FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        #[cfg(feature = "parquet")]
        if s == "parquet" {
            return Ok(Self::Parquet);
        }
        s.parse::<Format>().map(Self::Text).map_err(|e| {
            let parquet = if cfg!(feature = "parquet") {
                ", or parquet"
            } else {
                ""
            };
            format!("{e}{parquet}")
        })
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(format) => format.fmt(f),
            #[cfg(feature = "parquet")]
            Self::Parquet => f.write_str("parquet"),
        }
    }
}

/// Records out, in the chosen format.
pub enum Sink {
    /// A text format.
    Text(RecordWriter<BufWriter<Box<dyn Write>>>),
    /// A Parquet file (boxed: the writer holds a row group's column builders).
    #[cfg(feature = "parquet")]
    Parquet(Box<torclass_capture::ParquetWriter<BufWriter<File>>>),
}

/// An error that stops the output.
pub type SinkError = Box<dyn std::error::Error>;

impl Sink {
    /// A sink of `format` to `output` (created or truncated), or to stdout.
    pub fn new(format: OutputFormat, output: Option<&Path>) -> Result<Self, SinkError> {
        let create = |path: &Path| {
            File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
        };
        match format {
            OutputFormat::Text(format) => {
                let out: Box<dyn Write> = match output {
                    Some(path) => Box::new(create(path)?),
                    None => Box::new(io::stdout().lock()),
                };
                Ok(Self::Text(RecordWriter::new(BufWriter::new(out), format)))
            }
            #[cfg(feature = "parquet")]
            OutputFormat::Parquet => {
                let path = output.ok_or("--format parquet needs --output FILE")?;
                let writer = torclass_capture::ParquetWriter::new(BufWriter::new(create(path)?))?;
                Ok(Self::Parquet(Box::new(writer)))
            }
        }
    }

    /// Write one record read from the capture named `file`.
    pub fn write(&mut self, record: &FlowRecord, file: &str) -> Result<(), SinkError> {
        match self {
            Self::Text(writer) => writer.write(record)?,
            #[cfg(feature = "parquet")]
            Self::Parquet(writer) => writer.write(record, file)?,
        }
        #[cfg(not(feature = "parquet"))]
        let _ = file;
        Ok(())
    }

    /// Finish the output (headers of an empty table or CSV, Parquet's footer) and flush.
    pub fn finish(self) -> Result<(), SinkError> {
        match self {
            Self::Text(writer) => writer.finish()?.flush()?,
            #[cfg(feature = "parquet")]
            Self::Parquet(writer) => writer.finish()?.flush()?,
        }
        Ok(())
    }
}

/// True if `e` is a closed pipe (`torclass ... | head`): not an error.
pub fn is_broken_pipe(e: &SinkError) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
