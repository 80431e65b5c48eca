//! `torclass.flows_table`'s compiled part: captures read into Arrow columns of
//! torclass-capture's [`schema`], on `threads` threads with the GIL released, each thread
//! taking the next capture; the batches go to Python through the C stream interface
//! ([`ArrowStream`]) without a copy.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use arrow_array::RecordBatch;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use torclass_capture::{
    schema, Analyzer, CaptureError, CaptureReader, FlowColumns, FlowRecord, PacketStats, ReadMode,
};

use crate::arrow::{arrow_error, ArrowStream};
use crate::capture::{analyzer_config, max_flows as slots};
use crate::errors::capture_error;
use crate::source::Named;

/// Packets read between two looks at the cancel flag and at the flows that left the table.
const CHUNK_PACKETS: u64 = 8192;
/// Rows of one batch: a capture with more flows gives several batches.
const BATCH_ROWS: usize = 1 << 16;

/// What reading one capture gave.
struct Read {
    batches: Vec<RecordBatch>,
    format: Option<&'static str>,
    stats: PacketStats,
    flows: u64,
    error: Option<CaptureError>,
}

/// How `flows_table` treats a capture that cannot be opened or is damaged.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnError {
    Raise,
    Keep,
    Skip,
}

struct Reading<'a> {
    config: torclass_capture::AnalyzerConfig,
    mode: ReadMode,
    cancel: &'a AtomicBool,
}

impl Reading<'_> {
    fn read(&self, source: Named) -> Result<Read, arrow_schema::ArrowError> {
        let name = source.name.clone();
        let mut read = Read {
            batches: Vec::new(),
            format: None,
            stats: PacketStats::default(),
            flows: 0,
            error: None,
        };
        let mut reader = match source.open(self.mode) {
            Ok(reader) => reader,
            Err(e) => {
                read.error = Some(e);
                return Ok(read);
            }
        };
        read.format = Some(match reader.format() {
            torclass_capture::CaptureFormat::Pcap => "pcap",
            torclass_capture::CaptureFormat::Pcapng => "pcapng",
        });
        let mut analyzer = Analyzer::new(self.config);
        let mut columns = FlowColumns::new();
        loop {
            match self.chunk(&mut reader, &mut analyzer) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    read.error = Some(e);
                    break;
                }
            }
            if self.cancel.load(Ordering::Relaxed) {
                return Ok(read);
            }
            for record in analyzer.take_finished() {
                add(&mut read, &mut columns, &record, &name)?;
            }
        }
        // The flows still open become rows one at a time: their records are never all held
        // at once beside the flow table (at 65,536 open flows, that was 45 MB more at the peak);
        // the caches and the reassembler go first.
        analyzer.free_classifying_state();
        let mut failed = Ok(());
        analyzer.finish_each(|record| {
            if failed.is_ok() {
                failed = add(&mut read, &mut columns, &record, &name);
            }
        });
        failed?;
        read.stats = analyzer.packet_stats();
        // The flow table goes before the last batch is made.
        drop(analyzer);
        if !columns.is_empty() || read.batches.is_empty() {
            read.batches.push(columns.finish()?);
        }
        Ok(read)
    }

    /// Read up to [`CHUNK_PACKETS`]: `Ok(false)` at the end of the capture.
    fn chunk(
        &self,
        reader: &mut CaptureReader,
        analyzer: &mut Analyzer,
    ) -> Result<bool, CaptureError> {
        for _ in 0..CHUNK_PACKETS {
            match reader.next_packet()? {
                Some(p) => {
                    analyzer.frame(p.link_type, p.ts_nanos, p.data);
                }
                None => return Ok(false),
            }
        }
        Ok(true)
    }
}

/// Add `record` to `columns`, cutting a batch every [`BATCH_ROWS`] rows.
fn add(
    read: &mut Read,
    columns: &mut FlowColumns,
    record: &FlowRecord,
    name: &str,
) -> Result<(), arrow_schema::ArrowError> {
    columns.push(record, name);
    read.flows += 1;
    if columns.len() >= BATCH_ROWS {
        read.batches.push(columns.finish()?);
    }
    Ok(())
}

/// Read `sources` (`(kind, name, object)` items, see `source.rs`) into Arrow batches.
/// Returns the stream of batches and one status dict per source, in order.
#[pyfunction]
#[pyo3(signature = (sources, *, threads, on_error, max_flows, endpoint_cache, mmap))]
pub(crate) fn read_tables<'py>(
    py: Python<'py>,
    sources: &Bound<'py, PyList>,
    threads: usize,
    on_error: &str,
    max_flows: i64,
    endpoint_cache: bool,
    mmap: bool,
) -> PyResult<(ArrowStream, Bound<'py, PyList>)> {
    let on_error = match on_error {
        "raise" => OnError::Raise,
        "keep" => OnError::Keep,
        "skip" => OnError::Skip,
        other => {
            return Err(PyValueError::new_err(format!(
                "on_error must be 'raise', 'keep' or 'skip', not {other:?}"
            )))
        }
    };
    let named = sources
        .iter()
        .map(|item| Named::extract(&item))
        .collect::<PyResult<Vec<_>>>()?;
    let names: Vec<String> = named.iter().map(|n| n.name.clone()).collect();
    let count = named.len();
    let threads = threads.clamp(1, count.max(1));
    let queue: Vec<Mutex<Option<Named>>> = named.into_iter().map(|n| Mutex::new(Some(n))).collect();
    let results: Vec<Mutex<Option<Result<Read, arrow_schema::ArrowError>>>> =
        (0..count).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let reading = Reading {
        config: analyzer_config(slots(max_flows)?, endpoint_cache),
        mode: if mmap {
            ReadMode::Auto
        } else {
            ReadMode::Stream
        },
        cancel: &cancel,
    };
    let interrupted = py.detach(|| {
        let (done, finished) = mpsc::channel::<()>();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let done = done.clone();
                let (queue, results, next, reading) = (&queue, &results, &next, &reading);
                scope.spawn(move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(slot) = queue.get(i) else { break };
                        let Some(source) = slot.lock().ok().and_then(|mut s| s.take()) else {
                            continue;
                        };
                        let read = reading.read(source);
                        if let Some(out) = results.get(i) {
                            if let Ok(mut out) = out.lock() {
                                *out = Some(read);
                            }
                        }
                        if reading.cancel.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                    let _ = done.send(());
                });
            }
            drop(done);
            // Wake every 100 ms to let Ctrl-C (or any signal handler) interrupt the read.
            let mut interrupted = None;
            loop {
                match finished.recv_timeout(Duration::from_millis(100)) {
                    Ok(()) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if interrupted.is_none() {
                            if let Err(e) = Python::attach(|py| py.check_signals()) {
                                cancel.store(true, Ordering::Relaxed);
                                interrupted = Some(e);
                            }
                        }
                    }
                }
            }
            interrupted
        })
    });
    if let Some(e) = interrupted {
        return Err(e);
    }
    // A signal that arrived after the last wake (a read shorter than 100 ms, or the last
    // stretch of a long one) is raised here, by this call, not by whatever Python runs next.
    py.check_signals()?;
    let mut batches = Vec::new();
    let status = PyList::empty(py);
    for (name, result) in names.iter().zip(results) {
        let read = result
            .into_inner()
            .ok()
            .flatten()
            .ok_or_else(|| PyValueError::new_err(format!("{name}: not read")))?
            .map_err(|e| arrow_error(&e))?;
        if let Some(e) = &read.error {
            if on_error == OnError::Raise {
                return Err(capture_error(e));
            }
        }
        status.append(status_dict(py, name, &read)?)?;
        if !(on_error == OnError::Skip && read.error.is_some()) {
            batches.extend(read.batches);
        }
    }
    if batches.is_empty() {
        // An empty batch still carries the dictionaries of the small vocabularies, so an
        // empty table converts to the same categories as a full one.
        batches.push(FlowColumns::new().finish().map_err(|e| arrow_error(&e))?);
    }
    Ok((ArrowStream::new(schema(), batches), status))
}

fn status_dict<'py>(py: Python<'py>, name: &str, read: &Read) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("file", name)?;
    d.set_item("format", read.format)?;
    let s = read.stats;
    d.set_item("frames", s.frames)?;
    d.set_item("classified", s.classified)?;
    d.set_item("later_fragments", s.later_fragments)?;
    d.set_item("unsupported", s.unsupported)?;
    d.set_item("malformed", s.malformed)?;
    d.set_item("unknown_link_type", s.unknown_link_type)?;
    d.set_item("flows", read.flows)?;
    d.set_item("error", read.error.as_ref().map(ToString::to_string))?;
    d.set_item("offset", read.error.as_ref().map(|e| e.offset))?;
    d.set_item(
        "truncated",
        read.error.as_ref().map(CaptureError::is_truncated),
    )?;
    Ok(d)
}
