//! `torclass.read_pcap`: flow records out of a pcap or pcapng file as it is read, over
//! [`CaptureReader`] and [`Analyzer`].

use crate::errors::capture_error;
use crate::record::PyFlowRecord;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use torclass_capture::{
    Analyzer, AnalyzerConfig, CaptureError, CaptureReader, FlowRecord, ReadMode,
};

/// Packets read per step with the GIL released; signals (Ctrl-C) are checked between steps.
const CHUNK_PACKETS: u64 = 8192;

/// The analyzer set-up of `read_pcap` and `Classifier`: the CLI's, with `max_flows` slots and
/// the endpoint cache on or off (`--no-endpoint-cache`).
pub(crate) fn analyzer_config(max_flows: usize, endpoint_cache: bool) -> AnalyzerConfig {
    let defaults = AnalyzerConfig::default();
    AnalyzerConfig {
        slots: max_flows,
        endpoints: if endpoint_cache {
            defaults.endpoints
        } else {
            0
        },
        hosts: if endpoint_cache { defaults.hosts } else { 0 },
        ..defaults
    }
}

/// `max_flows` as a slot count: at least 1, and small enough to allocate (2^26 slots of
/// 384 bytes is 24 GiB), with a `ValueError` that says so.
pub(crate) fn max_flows(value: i64) -> PyResult<usize> {
    const MOST: i64 = 1 << 26;
    if (1..=MOST).contains(&value) {
        Ok(usize::try_from(value).unwrap_or(1))
    } else {
        Err(pyo3::exceptions::PyValueError::new_err(format!(
            "max_flows must be from 1 to {MOST} (flows tracked at once), not {value}"
        )))
    }
}

/// What one step of reading gave.
enum Step {
    Record(Box<FlowRecord>),
    /// The step read packets but no flow finished: read on.
    More,
    Failed(CaptureError),
    End,
}

struct Reading {
    /// `None` once the file ended or failed.
    reader: Option<CaptureReader>,
    analyzer: Analyzer,
    ready: VecDeque<FlowRecord>,
    error: Option<CaptureError>,
}

impl Reading {
    fn step(&mut self) -> Step {
        if let Some(record) = self.ready.pop_front() {
            return Step::Record(Box::new(record));
        }
        if let Some(reader) = &mut self.reader {
            let mut read = 0;
            let ended = loop {
                if read == CHUNK_PACKETS {
                    break None;
                }
                match reader.next_packet() {
                    Ok(Some(p)) => {
                        self.analyzer.frame(p.link_type, p.ts_nanos, p.data);
                        read += 1;
                    }
                    Ok(None) => break Some(None),
                    Err(e) => break Some(Some(e)),
                }
            };
            match ended {
                None => self.ready.extend(self.analyzer.take_finished()),
                Some(error) => {
                    self.reader = None;
                    self.error = error;
                    self.ready.extend(self.analyzer.finish());
                }
            }
            return match self.ready.pop_front() {
                Some(record) => Step::Record(Box::new(record)),
                None => Step::More,
            };
        }
        match self.error.take() {
            Some(e) => Step::Failed(e),
            None => Step::End,
        }
    }
}

/// An iterator of the flow records of one capture, reading the file as it goes.
///
/// Order: a flow that leaves the flow table while the file is read (evicted to make room for
/// new flows, which only happens once `max_flows` flows are tracked) is yielded soon after it
/// leaves; every other flow is yielded when the file ends, in the order flows were first
/// seen. With fewer than `max_flows` flows at once, that is first-seen order, as the CLI.
///
/// If the file is truncated or corrupt part-way, the flows read up to the fault are yielded
/// first, then `CaptureError` is raised (with `.offset` of the fault and `.truncated`).
#[pyclass(frozen, module = "torclass", name = "CaptureIterator")]
pub struct CaptureIterator {
    state: Mutex<Reading>,
}

impl CaptureIterator {
    fn lock(&self) -> MutexGuard<'_, Reading> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[pymethods]
impl CaptureIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// An iterator reads an open (often memory-mapped) file: it does not pickle; say what
    /// does.
    fn __reduce__(&self) -> PyResult<()> {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "a read_pcap iterator reads an open capture file and cannot be pickled; \
             pickle its records, or feed the frames to a torclass.Classifier, which pickles \
             mid-capture",
        ))
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyFlowRecord>> {
        loop {
            // The lock is taken with the GIL released: a thread waiting for it never holds
            // the GIL that the thread reading needs to return.
            match py.detach(|| self.lock().step()) {
                Step::Record(r) => return Ok(Some((*r).into())),
                Step::More => py.check_signals()?,
                Step::Failed(e) => return Err(capture_error(&e)),
                Step::End => return Ok(None),
            }
        }
    }

    /// Packet counters so far: `frames`, `classified`, `later_fragments`, `unsupported`,
    /// `malformed`.
    fn packet_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = py.detach(|| self.lock().analyzer.packet_stats());
        stats_dict(py, &s)
    }
}

pub(crate) fn stats_dict<'py>(
    py: Python<'py>,
    s: &torclass_capture::PacketStats,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("frames", s.frames)?;
    d.set_item("classified", s.classified)?;
    d.set_item("later_fragments", s.later_fragments)?;
    d.set_item("unsupported", s.unsupported)?;
    d.set_item("malformed", s.malformed)?;
    Ok(d)
}

/// Read the pcap or pcapng file at `path` and yield one `FlowRecord` per flow as the file is
/// read (see `CaptureIterator` for the order). The file is read in chunks with the GIL
/// released; Ctrl-C interrupts between chunks. Memory stays constant: a flow table of
/// `max_flows` slots, and a regular file is memory-mapped and read in place (its pages are
/// given back as they are read); with `mmap=False`, or for a pipe, it is read with one buffer.
/// Turn the map off for a file another process may truncate while it is read (the OS would
/// stop the process with SIGBUS).
///
/// `endpoint_cache` (on by default, as in the CLI) learns peer endpoints from tracker replies,
/// PEX, the DHT and LSD, and hosts with confirmed BitTorrent activity, and recognises later
/// flows to those peers and from those hosts (encrypted ones included).
///
/// Raises `OSError` (`FileNotFoundError`, …) if the file cannot be opened, `CaptureError`
/// if it is not a capture (here) or is corrupt or truncated (while iterating, after the flows
/// read so far).
#[pyfunction]
// max_flows: 1 << 16 by default, as the CLI's `--max-flows`.
#[pyo3(signature = (path, *, max_flows = 65_536, endpoint_cache = true, mmap = true))]
pub(crate) fn read_pcap(
    py: Python<'_>,
    path: PathBuf,
    max_flows: i64,
    endpoint_cache: bool,
    mmap: bool,
) -> PyResult<CaptureIterator> {
    let max_flows = self::max_flows(max_flows)?;
    let mode = if mmap {
        ReadMode::Auto
    } else {
        ReadMode::Stream
    };
    let opened = py.detach(|| {
        CaptureReader::open_with(&path, mode).map(|reader| Reading {
            reader: Some(reader),
            analyzer: Analyzer::new(analyzer_config(max_flows, endpoint_cache)),
            ready: VecDeque::new(),
            error: None,
        })
    });
    match opened {
        Ok(reading) => Ok(CaptureIterator {
            state: Mutex::new(reading),
        }),
        Err(e) => Err(capture_error(&e)),
    }
}
