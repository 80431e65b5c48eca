//! # torclass-capture
//!
//! What every torclass front end (the CLI, the Python module, the benches and the tests) needs
//! besides the classifier itself, in one `std` crate so that torclass-core stays `no_std`:
//!
//! - [`CaptureReader`]: a constant-memory reader of pcap and pcapng files (memory-mapped, or
//!   streamed through one buffer) that lends out one [`RawPacket`] at a time, with
//!   [`CaptureError`]s that name the file and byte.
//! - [`Analyzer`]: frames in, flow records out, over the core's decoder and flow table.
//! - [`FlowRecord`]: the per-flow result, and its forms: JSON lines (the contract every tool
//!   reads), CSV and an aligned table, behind [`RecordWriter`]; and a [`Summary`] of counts.
//! - With the `arrow` feature, `schema()` and `FlowColumns`: the records as Apache Arrow
//!   columns, the one schema of the Python module's tables and (`parquet` feature)
//!   `ParquetWriter`'s files.
//! - With the `compression` feature, gzip and zstd captures, recognised by their magic.
//! - [`read_notices`] and [`match_notices`]: infringement notices (address, port, time,
//!   info-hash) against flows, for `torclass match` and the Python module's `match_notices`.
// Only `map` (the memory map of a capture file) may use `unsafe`.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod analyze;
#[cfg(feature = "arrow")]
mod columns;
#[cfg(feature = "compression")]
mod compressed;
mod csv;
mod error;
mod input;
mod jsonl;
mod map;
mod matches;
mod notice;
#[cfg(feature = "parquet")]
mod parquet;
mod pcap;
mod pcapng;
mod reader;
mod record;
mod shard;
mod stream;
mod summary;
mod table;
mod time;
mod writer;

pub use analyze::{
    client, record, Analyzer, AnalyzerConfig, FrameOutcome, PacketStats, SLOT_SIZE, SWEEP_LAG_NS,
};
#[cfg(feature = "arrow")]
pub use columns::{schema, FlowColumns, EXTRA_COLUMNS};
#[cfg(feature = "compression")]
pub use compressed::{Compression, MAX_ZSTD_WINDOW};
pub use csv::{write_csv_header, write_csv_row};

pub use error::{CaptureError, CaptureErrorKind, Unit};
pub use jsonl::write_jsonl;
pub use matches::{write_match_csv, write_match_csv_header, write_match_jsonl, NamedFlow};
pub use notice::{
    format_time, match_notices, parse_time, read_notices, FlowMatch, MatchFlow, MatchResult,
    Notice, NoticeError, NoticeMatch, DEFAULT_TOLERANCE_NS,
};
#[cfg(feature = "parquet")]
pub use parquet::ParquetWriter;
pub use pcapng::MAX_INTERFACES;
pub use reader::{CaptureFormat, CaptureReader, RawPacket, ReadMode, MAX_RECORD_LEN};
pub use record::{hex, peer_id_text, ts_text, FlowRecord, Id, Value, COLUMNS};
pub use shard::{shard_of, ShardedAnalyzer, ShardedOutput, WINDOW_BYTES, WINDOW_FRAMES};
pub use stream::INITIAL_BUFFER_LEN;
pub use summary::{Counts, Summary};
pub use table::{write_table_header, write_table_row};
pub use writer::{Format, RecordWriter, UnknownFormat};
