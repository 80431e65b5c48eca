//! `torclass.read_pcap`: flow records out of a pcap or pcapng file as it is read, over
//! [`CaptureReader`] and [`Analyzer`].

use crate::errors::capture_error;
use crate::payload::Payload;
use crate::record::PyFlowRecord;
use crate::source::{Named, Source};
use pyo3::exceptions::{PyRuntimeWarning, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyMemoryView, PyString, PyTuple};
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

/// Where a `read_pcap` iterator reads from: what it reopens when it is unpickled.
enum Origin {
    /// A file, by its path.
    Path(PathBuf),
    /// The bytes of a whole capture (a copy of a mutable buffer).
    Bytes(Py<PyBytes>),
    /// A file object: read once, it cannot be reopened.
    File,
}

/// A binary file object to read, and the name its errors use.
struct FileObject {
    name: String,
    object: Py<PyAny>,
}

impl Origin {
    /// The source to open, with the name errors use (`file`: the object of `Origin::File`).
    fn named(&self, py: Python<'_>, file: Option<FileObject>) -> PyResult<Named> {
        Ok(match (self, file) {
            (Self::Path(path), _) => Named {
                name: path.display().to_string(),
                source: Source::Path(path.clone()),
            },
            (Self::Bytes(bytes), _) => Named {
                name: "<bytes>".to_owned(),
                source: Source::Bytes(Payload::extract(bytes.bind(py), "the capture")?),
            },
            (Self::File, Some(file)) => Named {
                name: file.name,
                source: Source::File(file.object),
            },
            (Self::File, None) => return Err(PyValueError::new_err("no file object to read")),
        })
    }
}

/// How an iterator was set up: what `__reduce__` saves besides its progress.
struct Setup {
    origin: Origin,
    max_flows: usize,
    endpoint_cache: bool,
    mmap: bool,
}

impl Setup {
    fn mode(&self) -> ReadMode {
        if self.mmap {
            ReadMode::Auto
        } else {
            ReadMode::Stream
        }
    }
}

struct Reading {
    /// `None` once the file ended or failed.
    reader: Option<CaptureReader>,
    analyzer: Analyzer,
    ready: VecDeque<FlowRecord>,
    error: Option<CaptureError>,
    /// Packets read from the file so far, and the byte offset of the last one's record.
    packets: u64,
    offset: u64,
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
                        self.packets += 1;
                        self.offset = p.offset;
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
/// Order: a flow that leaves the flow table while the file is read (closed, idle past its
/// timeout by the capture's clock, replaced by a new connection on its tuple, or evicted to
/// make room once `max_flows` flows are tracked: its `end_reason`) is yielded soon after it
/// leaves; every other flow is yielded when the file ends, in the order flows were first seen.
/// The CLI prints the same records sorted in first-seen order.
///
/// If the file is truncated or corrupt part-way, the flows read up to the fault are yielded
/// first, then `CaptureError` is raised (with `.offset` of the fault and `.truncated`).
///
/// It pickles (and copies) part-way when it reads a path or bytes: the pickle holds the
/// path or the bytes, how far the file was read and the flow table's state; unpickled, it
/// reopens the file, passes over the records already read (without classifying them) and
/// goes on as the original would have. A file whose records changed since is a
/// `ValueError`. An iterator over a file object cannot be reopened: `TypeError`.
#[pyclass(frozen, module = "torclass", name = "CaptureIterator")]
pub struct CaptureIterator {
    setup: Setup,
    state: Mutex<Reading>,
}

/// The first item of a pickled `CaptureIterator`'s arguments: their format and its version.
const STATE_MAGIC: &str = "torclass.CaptureIterator/1";

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

    /// Pickle (and `copy`) support, for a path or bytes: `CaptureIterator._from_state(...)`
    /// with the source, the set-up, the packets read and the last one's byte offset, whether
    /// the file ended (and its error is still to be raised), the flow table's state bytes
    /// (as `Classifier` pickles) and the records read but not yielded yet. IP datagrams
    /// being reassembled are not kept: a `RuntimeWarning` says how many are dropped.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let this = slf.get();
        let source = match &this.setup.origin {
            Origin::Path(path) => path.clone().into_pyobject(py)?.into_any(),
            Origin::Bytes(bytes) => bytes.bind(py).clone().into_any(),
            Origin::File => {
                return Err(PyTypeError::new_err(
                    "a read_pcap iterator over a file object cannot be pickled: it cannot \
                     reopen the file; pass a path or bytes, or feed the frames to a \
                     torclass.Classifier, which pickles mid-capture",
                ))
            }
        };
        if let Origin::Path(path) = &this.setup.origin {
            if !path.is_file() {
                return Err(PyTypeError::new_err(format!(
                    "a read_pcap iterator over {} cannot be pickled: it is not a regular \
                     file, so reopening it would not read the same bytes",
                    path.display()
                )));
            }
        }
        // The lock is taken with the GIL released, as in `__next__`.
        let (state, pending, ready, packets, offset, ended, failed) = py.detach(|| {
            let reading = this.lock();
            (
                reading.analyzer.save(),
                // Once the file is read, datagrams still half reassembled never complete.
                if reading.reader.is_some() {
                    reading.analyzer.pending_fragments()
                } else {
                    0
                },
                reading.ready.iter().cloned().collect::<Vec<_>>(),
                reading.packets,
                reading.offset,
                reading.reader.is_none(),
                reading.error.is_some(),
            )
        });
        if pending > 0 {
            let message = format!(
                "pickling a read_pcap iterator drops the {pending} IP datagram(s) it was \
                 reassembling; their later fragments will be counted as later_fragments"
            );
            let message = std::ffi::CString::new(message).unwrap_or_default();
            PyErr::warn(py, &py.get_type::<PyRuntimeWarning>(), &message, 1)?;
        }
        let ready = ready
            .into_iter()
            .map(|r| Py::new(py, PyFlowRecord::from(r)))
            .collect::<PyResult<Vec<_>>>()?;
        let args = (
            STATE_MAGIC,
            source,
            this.setup.max_flows,
            this.setup.endpoint_cache,
            this.setup.mmap,
            packets,
            offset,
            (ended, failed),
            PyBytes::new(py, &state),
            ready,
        )
            .into_pyobject(py)?;
        let rebuild = slf.get_type().getattr("_from_state")?;
        PyTuple::new(py, [rebuild, args.into_any()])
    }

    /// The iterator whose `__reduce__` gave these arguments. Raises `ValueError` if they are
    /// not (another version of torclass, bad state bytes) or if the file's records changed.
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    fn _from_state(
        py: Python<'_>,
        magic: &str,
        source: &Bound<'_, PyAny>,
        max_flows: i64,
        endpoint_cache: bool,
        mmap: bool,
        packets: u64,
        offset: u64,
        ended: (bool, bool),
        state: &[u8],
        ready: Vec<PyRef<'_, PyFlowRecord>>,
    ) -> PyResult<Self> {
        let bad = |why: &str| {
            PyValueError::new_err(format!("not the state of a read_pcap iterator: {why}"))
        };
        if magic != STATE_MAGIC {
            return Err(bad(&format!(
                "{magic:?}, this torclass reads {STATE_MAGIC:?}"
            )));
        }
        let origin = if let Ok(bytes) = source.cast::<PyBytes>() {
            Origin::Bytes(bytes.clone().unbind())
        } else {
            Origin::Path(source.extract()?)
        };
        let setup = Setup {
            origin,
            max_flows: self::max_flows(max_flows)?,
            endpoint_cache,
            mmap,
        };
        let config = analyzer_config(setup.max_flows, endpoint_cache);
        let analyzer = py
            .detach(|| {
                let mut analyzer = Analyzer::new(config);
                analyzer.restore(state).map(|()| analyzer)
            })
            .map_err(|e| bad(&e.to_string()))?;
        let ready = ready.iter().map(|r| r.record().clone()).collect();
        let (ended, failed) = ended;
        let reader = if ended && !failed {
            // Read to its end and every error raised: nothing to reopen.
            None
        } else {
            let named = setup.origin.named(py, None)?;
            let mode = setup.mode();
            Some(
                py.detach(|| skip(named, mode, packets, offset))
                    .map_err(|e| e.into_err())?,
            )
        };
        Ok(Self {
            setup,
            state: Mutex::new(Reading {
                reader,
                analyzer,
                ready,
                error: None,
                packets,
                offset,
            }),
        })
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

/// Why reopening a pickled iterator's capture failed.
enum Reopen {
    Capture(CaptureError),
    Changed(String),
}

impl Reopen {
    fn into_err(self) -> PyErr {
        match self {
            Self::Capture(e) => capture_error(&e),
            Self::Changed(why) => PyValueError::new_err(why),
        }
    }
}

/// Open `named` and pass over its first `packets` packets, the last of which must be the
/// record at `offset`: the reader then stands where the pickled iterator's stood.
fn skip(named: Named, mode: ReadMode, packets: u64, offset: u64) -> Result<CaptureReader, Reopen> {
    let name = named.name.clone();
    let mut reader = named.open(mode).map_err(Reopen::Capture)?;
    let changed = |what: String| {
        Reopen::Changed(format!(
            "{name} changed since the read_pcap iterator was pickled: {what}"
        ))
    };
    let mut last = None;
    for n in 0..packets {
        match reader.next_packet() {
            Ok(Some(p)) => last = Some(p.offset),
            Ok(None) => return Err(changed(format!("it has {n} packets, not {packets}"))),
            Err(e) => return Err(changed(format!("packet {n} cannot be read: {e}"))),
        }
    }
    match last {
        Some(at) if at != offset => Err(changed(format!(
            "packet {packets} is at byte {at}, not {offset}"
        ))),
        _ => Ok(reader),
    }
}

/// A `read_pcap` source: a path, the bytes of a whole capture or a binary file object.
fn origin(source: &Bound<'_, PyAny>) -> PyResult<(Origin, Option<FileObject>)> {
    let py = source.py();
    if let Ok(bytes) = source.cast::<PyBytes>() {
        return Ok((Origin::Bytes(bytes.clone().unbind()), None));
    }
    if source.is_instance_of::<PyByteArray>() || source.is_instance_of::<PyMemoryView>() {
        // One copy, kept as `bytes`: what the iterator reads is what it pickles.
        let copy = Payload::extract(source, "the capture")?;
        return Ok((
            Origin::Bytes(PyBytes::new(py, copy.as_slice()).unbind()),
            None,
        ));
    }
    if !source.is_instance_of::<PyString>() && source.hasattr("read")? {
        let name = source
            .getattr("name")
            .ok()
            .and_then(|n| n.extract::<String>().ok())
            .unwrap_or_else(|| "<file>".to_owned());
        let object = source.clone().unbind();
        return Ok((Origin::File, Some(FileObject { name, object })));
    }
    match source.extract::<PathBuf>() {
        Ok(path) => Ok((Origin::Path(path), None)),
        Err(_) => {
            let what = source.get_type().name()?;
            Err(PyTypeError::new_err(format!(
                "read_pcap reads a path, the bytes of a capture or a binary file object, \
                 not {what}"
            )))
        }
    }
}

/// Read the pcap or pcapng capture `source` (a path, the bytes of a whole capture, or a
/// binary file object such as `open(p, "rb")` or `io.BytesIO`; gzip and zstd recognised by
/// their magic) and yield one `FlowRecord` per flow as it is read (see `CaptureIterator` for
/// the order and for pickling). The capture is read in chunks with the GIL released; Ctrl-C
/// interrupts between chunks. Memory stays constant: a flow table of `max_flows` slots, and
/// a regular file is memory-mapped and read in place (its pages are given back as they are
/// read); with `mmap=False`, or for a pipe, it is read with one buffer. Turn the map off for
/// a file another process may truncate while it is read (the OS would stop the process with
/// SIGBUS).
///
/// `endpoint_cache` (on by default, as in the CLI) learns peer endpoints from tracker replies,
/// PEX, the DHT and LSD, and hosts with confirmed BitTorrent activity, and recognises later
/// flows to those peers and from those hosts (encrypted ones included).
///
/// Raises `OSError` (`FileNotFoundError`, …) if the file cannot be opened, `CaptureError`
/// if it is not a capture (here) or is corrupt or truncated (while iterating, after the flows
/// read so far), `TypeError` for anything that is not a source.
#[pyfunction]
// max_flows: 1 << 16 by default, as the CLI's `--max-flows`.
#[pyo3(signature = (source, *, max_flows = 65_536, endpoint_cache = true, mmap = true))]
pub(crate) fn read_pcap(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    max_flows: i64,
    endpoint_cache: bool,
    mmap: bool,
) -> PyResult<CaptureIterator> {
    let max_flows = self::max_flows(max_flows)?;
    let (origin, file) = origin(source)?;
    let setup = Setup {
        origin,
        max_flows,
        endpoint_cache,
        mmap,
    };
    let named = setup.origin.named(py, file)?;
    let mode = setup.mode();
    let opened = py.detach(|| {
        named.open(mode).map(|reader| Reading {
            reader: Some(reader),
            analyzer: Analyzer::new(analyzer_config(max_flows, endpoint_cache)),
            ready: VecDeque::new(),
            error: None,
            packets: 0,
            offset: 0,
        })
    });
    match opened {
        Ok(reading) => Ok(CaptureIterator {
            setup,
            state: Mutex::new(reading),
        }),
        Err(e) => Err(capture_error(&e)),
    }
}
