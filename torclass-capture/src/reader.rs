//! [`CaptureReader`]: packets out of a pcap or pcapng file, mapped or streamed.
//!
//! A regular file is memory-mapped ([`Map`]) and every record is parsed in place. Anything
//! else is read through one buffer ([`Stream`]): before each record the reader reads the
//! record's length from its header, checks it against [`MAX_RECORD_LEN`] and the snapshot
//! length, and refills (growing the buffer if the record is larger than it) until the whole
//! record is buffered. Both hand the same parser a slice that starts at the record, so they
//! give the same packets and the same errors; a lying length is an error, never a large
//! allocation, and every refill makes progress or reaches the end: the reader cannot hang.

use crate::error::{CaptureError, CaptureErrorKind, Unit};
use crate::input::{Input, Mapped};
use crate::map::Map;
use crate::pcap::{self, PcapFormat};
use crate::pcapng::{self, PcapngState};
use crate::stream::{read_full, Stream};
use crate::time;
use std::fs::File;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::path::Path;

/// The largest record (pcap record header and captured bytes) or pcapng block accepted, and
/// so the largest the buffer grows. A longer one is [`CaptureErrorKind::TooLarge`].
pub const MAX_RECORD_LEN: usize = 16 * 1024 * 1024;

/// How many bytes the record at the front of the input needs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Need {
    /// Its header is incomplete: read at least `len` bytes to learn its length.
    Header { unit: Unit, len: usize },
    /// The whole record or block is `len` bytes.
    Record { unit: Unit, len: usize },
}

/// Where a packet's bytes are in its parsed record, and what its header says.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packet {
    pub(crate) link_type: u32,
    /// `None` for a pcapng simple packet block, which has no timestamp.
    pub(crate) ts_nanos: Option<i128>,
    pub(crate) orig_len: u32,
    /// Offset of the captured bytes from the start of the record.
    pub(crate) start: usize,
    pub(crate) len: usize,
}

/// One captured packet, borrowing the reader's buffer or map until the next call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawPacket<'a> {
    /// The pcap `LINKTYPE_` value of the packet's interface (1 = Ethernet, 101 = raw IP,
    /// 113 = Linux SLL, …), without the FCS bits.
    pub link_type: u32,
    /// Nanoseconds since the Unix epoch: exact for any resolution down to 1 ns (finer
    /// pcapng resolutions are truncated). A pcapng simple packet block has no timestamp and
    /// repeats the previous packet's (0 if none).
    pub ts_nanos: i128,
    /// The captured bytes, starting at the link-layer header.
    pub data: &'a [u8],
    /// The packet's length on the wire; more than `data.len()` if the capture truncated it.
    pub orig_len: u32,
    /// Byte offset of the packet's record or block in the file.
    pub offset: u64,
    /// 0-based packet number in the file.
    pub index: u64,
}

impl RawPacket<'_> {
    /// [`RawPacket::ts_nanos`] as seconds, for convenience (f64: about 0.2 µs of precision
    /// today). A method, not a field: most readers of packets never need it.
    #[must_use]
    pub fn ts(&self) -> f64 {
        time::seconds(self.ts_nanos)
    }
}

/// Which file format a reader found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap format.
    Pcap,
    /// pcapng.
    Pcapng,
}

enum Layout {
    Pcap(PcapFormat),
    Pcapng(PcapngState),
}

/// How [`CaptureReader::open_with`] reads a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadMode {
    /// Map a regular file into memory and parse it in place; stream anything else (a pipe,
    /// `/dev/stdin`, a socket, an empty file), or a file the system will not map.
    #[default]
    Auto,
    /// Always read with `read(2)` through a buffer: safe even if another process truncates
    /// the file while it is read (a mapped file then kills the process with `SIGBUS`).
    Stream,
}

/// A reader of pcap and pcapng captures.
///
/// ```no_run
/// # fn main() -> Result<(), torclass_capture::CaptureError> {
/// let mut reader = torclass_capture::CaptureReader::open("capture.pcapng".as_ref())?;
/// while let Some(packet) = reader.next_packet()? {
///     println!("{} {} {} bytes", packet.index, packet.ts(), packet.data.len());
/// }
/// # Ok(())
/// # }
/// ```
///
/// Memory stays constant. A mapped file costs no buffer: packets borrow the kernel's page
/// cache, and the pages already read are unmapped every few MiB. A stream has one buffer of
/// [`crate::INITIAL_BUFFER_LEN`] bytes that grows only to fit a larger record, up to
/// [`MAX_RECORD_LEN`]. Either keeps at most [`crate::MAX_INTERFACES`] interface descriptions.
/// After an error, or at the end, `next_packet` returns `Ok(None)`.
pub struct CaptureReader {
    name: String,
    input: Input,
    layout: Layout,
    /// Bytes of the record last returned, consumed at the next call.
    pending: usize,
    sequence: Sequence,
    finished: bool,
}

/// How packets are numbered and stamped: the next packet's index, and the last timestamp
/// (for pcapng simple packet blocks, which have none).
#[derive(Clone, Copy, Debug, Default)]
struct Sequence {
    index: u64,
    last_ts_nanos: i128,
}

impl Sequence {
    /// The next [`RawPacket`]: `packet` of the record at the front of `record`, which starts
    /// at file offset `offset`.
    #[inline]
    fn next<'a>(&mut self, packet: Packet, record: &'a [u8], offset: u64) -> RawPacket<'a> {
        let ts_nanos = packet.ts_nanos.unwrap_or(self.last_ts_nanos);
        self.last_ts_nanos = ts_nanos;
        let index = self.index;
        self.index += 1;
        let end = packet.start + packet.len;
        RawPacket {
            link_type: packet.link_type,
            ts_nanos,
            // The record's parser checked the range.
            data: record.get(packet.start..end).unwrap_or_default(),
            orig_len: packet.orig_len,
            offset,
            index,
        }
    }
}

impl CaptureReader {
    /// Open the capture at `path`, memory-mapped if it is a regular file ([`ReadMode::Auto`]).
    /// Errors name the file as `path` displays.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        Self::open_with(path, ReadMode::Auto)
    }

    /// Open the capture at `path`, read as `mode` says. Errors name the file as `path`
    /// displays; both modes give the same packets and the same errors.
    pub fn open_with(path: &Path, mode: ReadMode) -> Result<Self, CaptureError> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| CaptureError::io(&name, 0, e))?;
        match mode {
            ReadMode::Auto => match Map::new(&file) {
                Some(map) if !is_compressed(map.bytes()) => Self::mapped(map, name),
                Some(_) | None => Self::new(file, name),
            },
            ReadMode::Stream => Self::new(file, name),
        }
    }

    /// Read a capture from any byte stream (a file, a pipe, a `Cursor<Vec<u8>>`); `name` is
    /// used in error messages. Reads the file header before returning. With the
    /// `compression` feature, a gzip or zstd stream is decompressed as it is read
    /// (recognised by its magic; byte offsets in errors then count decompressed bytes).
    pub fn new(reader: impl Read + Send + 'static, name: String) -> Result<Self, CaptureError> {
        #[cfg(feature = "compression")]
        let reader = crate::compressed::decompressed(Box::new(reader))
            .map_err(|e| CaptureError::io(&name, 0, e))?;
        let mut reader = reader;
        let (layout, header) = file_header(&mut reader, &name)?;
        let stream = Stream::new(Box::new(reader), header.len() as u64);
        Self::start(Input::Stream(stream), name, layout, &header)
    }

    /// The reader of a mapped file: the header is read from the map's bytes by the same code
    /// as from a stream.
    fn mapped(map: Map, name: String) -> Result<Self, CaptureError> {
        let mut rest = map.bytes();
        let (layout, header) = file_header(&mut rest, &name)?;
        let offset = header.len();
        let input = Input::Mapped(Mapped::new(map, offset));
        Self::start(input, name, layout, &header)
    }

    /// The reader of the records after `header` (the whole file header, already read) in
    /// `input`. A pcapng section header block is parsed here, so that a bad one fails to open.
    fn start(
        input: Input,
        name: String,
        mut layout: Layout,
        header: &[u8],
    ) -> Result<Self, CaptureError> {
        if let Layout::Pcapng(state) = &mut layout {
            state
                .record(header)
                .map_err(|kind| CaptureError::new(&name, 0, kind))?;
        }
        Ok(Self {
            name,
            input,
            layout,
            pending: 0,
            sequence: Sequence::default(),
            finished: false,
        })
    }

    /// The name errors use: the path given to [`CaptureReader::open`], or the name given to
    /// [`CaptureReader::new`].
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The mapped file the packets' bytes lie in, if the reader maps one, for threads that
    /// read them after the reader has moved on ([`crate::ShardedAnalyzer`]); the reader then
    /// leaves the map's pages mapped, for those threads to give back.
    pub(crate) fn share_map(&mut self) -> Option<std::sync::Arc<Map>> {
        match &mut self.input {
            Input::Mapped(mapped) => Some(mapped.share()),
            Input::Stream(_) => None,
        }
    }

    /// Whether the file is pcap or pcapng.
    #[must_use]
    pub fn format(&self) -> CaptureFormat {
        match self.layout {
            Layout::Pcap(_) => CaptureFormat::Pcap,
            Layout::Pcapng(_) => CaptureFormat::Pcapng,
        }
    }

    /// True if the file is memory-mapped, false if it is read as a stream.
    #[must_use]
    pub fn is_mapped(&self) -> bool {
        matches!(self.input, Input::Mapped { .. })
    }

    /// The next packet, `Ok(None)` at the end of the capture. The packet borrows the reader's
    /// buffer or map: drop it before calling again.
    ///
    /// # Errors
    /// A [`CaptureError`] with the byte offset of the bad record. Packets before it were all
    /// returned; [`CaptureError::is_truncated`] tells a file that ends early from one that is
    /// corrupt. After an error the reader is finished.
    pub fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError> {
        if self.finished {
            return Ok(None);
        }
        let next = match self.mapped_pcap_record() {
            Some(packet) => Ok(Some(packet)),
            None => self.next_record(),
        };
        let packet = match next {
            Ok(Some(packet)) => packet,
            Ok(None) => {
                self.finished = true;
                return Ok(None);
            }
            Err(e) => {
                self.finished = true;
                return Err(e);
            }
        };
        let offset = self.input.offset();
        Ok(Some(self.sequence.next(packet, self.input.data(), offset)))
    }

    /// Call `each` with every packet from here to the end of the capture: the packets
    /// [`CaptureReader::next_packet`] gives one at a time, read in one loop (for a mapped pcap
    /// file without the checks and returns of a call per packet).
    ///
    /// # Errors
    /// As [`CaptureReader::next_packet`]: `each` got every packet before the bad record.
    pub fn for_each_packet(
        &mut self,
        mut each: impl FnMut(RawPacket<'_>),
    ) -> Result<(), CaptureError> {
        self.packets_while(|p| {
            each(p);
            ControlFlow::Continue(())
        })
        .map(|_| ())
    }

    /// [`CaptureReader::for_each_packet`] until `each` breaks: `Ok(true)` when it did (the
    /// reader then stands after that packet, and the next call goes on from there), `Ok(false)`
    /// at the end of the capture.
    ///
    /// # Errors
    /// As [`CaptureReader::next_packet`]: `each` got every packet before the bad record.
    #[inline(always)]
    pub fn packets_while(
        &mut self,
        mut each: impl FnMut(RawPacket<'_>) -> ControlFlow<()>,
    ) -> Result<bool, CaptureError> {
        loop {
            if let (Layout::Pcap(format), Input::Mapped(mapped), false) =
                (&self.layout, &mut self.input, self.finished)
            {
                mapped.consume(self.pending);
                self.pending = 0;
                while let Some((packet, len)) = format.whole_record(mapped.data()) {
                    mapped.prefetch_past(len);
                    let offset = mapped.offset();
                    let flow = each(self.sequence.next(packet, mapped.data(), offset));
                    mapped.consume(len);
                    if flow.is_break() {
                        return Ok(true);
                    }
                }
            }
            // The end, an error, a refill or another format: one packet the general way.
            let Some(packet) = self.next_packet()? else {
                return Ok(false);
            };
            if each(packet).is_break() {
                return Ok(true);
            }
        }
    }

    /// The next record of a mapped pcap file when it is whole and valid (nearly always), at
    /// the front of [`Input::data`], without [`CaptureReader::next_record`]'s refills and
    /// dispatch; `None` sends the caller there.
    #[inline]
    fn mapped_pcap_record(&mut self) -> Option<Packet> {
        let (Layout::Pcap(format), Input::Mapped(mapped)) = (&self.layout, &mut self.input) else {
            return None;
        };
        mapped.consume(self.pending);
        self.pending = 0;
        let (packet, len) = format.whole_record(mapped.data())?;
        self.pending = len;
        mapped.prefetch_past(len);
        Some(packet)
    }

    /// The next record that carries a packet, at the front of [`Input::data`]; `None` at a
    /// clean end of file.
    fn next_record(&mut self) -> Result<Option<Packet>, CaptureError> {
        loop {
            self.input.consume(self.pending);
            self.pending = 0;
            let offset = self.input.offset();
            let Some((unit, len)) = self.buffer_record(offset)? else {
                return Ok(None);
            };
            self.pending = len;
            if let Input::Mapped(mapped) = &mut self.input {
                mapped.prefetch_past(len);
            }
            let record = self.input.data().get(..len).unwrap_or_default();
            let step = match &mut self.layout {
                Layout::Pcap(format) => Ok(Some(format.packet(record))),
                Layout::Pcapng(state) => state.record(record),
            };
            let packet = match step {
                Ok(Some(packet)) => packet,
                Ok(None) => continue,
                Err(kind) => return Err(CaptureError::new(&self.name, offset, kind)),
            };
            if packet.start.saturating_add(packet.len) > record.len() {
                let kind = CaptureErrorKind::Malformed { unit };
                return Err(CaptureError::new(&self.name, offset, kind));
            }
            return Ok(Some(packet));
        }
    }

    /// Make sure the whole record at the front of [`Input::data`] is there (refilling a
    /// stream): its unit and length, or `None` at a clean end of file.
    fn buffer_record(&mut self, offset: u64) -> Result<Option<(Unit, usize)>, CaptureError> {
        loop {
            let data = self.input.data();
            let need = match &self.layout {
                Layout::Pcap(format) => format.need(data),
                Layout::Pcapng(state) => state.need(data),
            };
            let need = need.map_err(|kind| CaptureError::new(&self.name, offset, kind))?;
            let available = data.len();
            let (unit, len) = match need {
                Need::Record { unit, len } if available >= len => return Ok(Some((unit, len))),
                Need::Record { unit, len } | Need::Header { unit, len } => (unit, len),
            };
            let stream = match &mut self.input {
                Input::Stream(stream) if !stream.is_exhausted() => stream,
                _ if available == 0 => return Ok(None),
                _ => {
                    let kind = truncated(unit, len, available);
                    return Err(CaptureError::new(&self.name, offset, kind));
                }
            };
            stream
                .refill(len)
                .map_err(|e| CaptureError::io(&self.name, offset, e))?;
        }
    }
}

/// True if `data` (a file's bytes) starts with the magic of a compression this build reads:
/// such a file is streamed through its decoder instead of parsed in place.
fn is_compressed(data: &[u8]) -> bool {
    #[cfg(feature = "compression")]
    return crate::compressed::Compression::of(data).is_some();
    #[cfg(not(feature = "compression"))]
    {
        let _ = data;
        false
    }
}

/// The `u32` at `at` in `data`, in the given byte order; `None` past the end.
pub(crate) fn read_u32(data: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    let bytes = <[u8; 4]>::try_from(bytes).ok()?;
    Some(if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    })
}

/// A problem reading the file header: from the stream, or with the bytes.
enum Fault {
    Io(io::Error),
    Bad(CaptureErrorKind),
}

impl From<io::Error> for Fault {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<CaptureErrorKind> for Fault {
    fn from(kind: CaptureErrorKind) -> Self {
        Self::Bad(kind)
    }
}

/// The format and the whole file header of `reader`; errors name the file `name`.
fn file_header(reader: &mut impl Read, name: &str) -> Result<(Layout, Vec<u8>), CaptureError> {
    read_file_header(reader).map_err(|fault| match fault {
        Fault::Io(e) => CaptureError::io(name, 0, e),
        Fault::Bad(kind) => CaptureError::new(name, 0, kind),
    })
}

/// The format and the whole file header (pcap: 24 bytes; pcapng: the section header block).
fn read_file_header(reader: &mut impl Read) -> Result<(Layout, Vec<u8>), Fault> {
    let mut magic = [0u8; 4];
    let got = read_full(reader, &mut magic)?;
    if got == 0 {
        return Err(CaptureErrorKind::Empty.into());
    }
    if got < magic.len() {
        return Err(truncated(Unit::Magic, magic.len(), got).into());
    }
    let first = u32::from_le_bytes(magic);
    if PcapFormat::is_magic(first) {
        let mut header = [0u8; pcap::HEADER_LEN];
        header[..4].copy_from_slice(&magic);
        read_rest(reader, &mut header, 4, Unit::PcapHeader)?;
        let layout = Layout::Pcap(PcapFormat::from_header(&header));
        return Ok((layout, header.to_vec()));
    }
    if first != pcapng::SHB_TYPE {
        let magic = u32::from_be_bytes(magic);
        return Err(CaptureErrorKind::NotACapture { magic }.into());
    }
    let unit = Unit::PcapngBlock(pcapng::SHB_TYPE);
    let mut header = vec![0u8; pcapng::SHB_PREFIX_LEN];
    header[..4].copy_from_slice(&magic);
    read_rest(reader, &mut header, 4, unit)?;
    let len = match pcapng::section_header(&header)? {
        Need::Record { len, .. } => len,
        Need::Header { .. } => return Err(CaptureErrorKind::Malformed { unit }.into()),
    };
    // `len` is at least 12 and at most MAX_RECORD_LEN.
    header.resize(len, 0);
    read_rest(reader, &mut header, pcapng::SHB_PREFIX_LEN, unit)?;
    Ok((Layout::Pcapng(PcapngState::default()), header))
}

/// Fill `buf` from `filled` on: a truncation error for `unit` if the stream ends first.
fn read_rest(
    reader: &mut impl Read,
    buf: &mut [u8],
    filled: usize,
    unit: Unit,
) -> Result<(), Fault> {
    let got = read_full(reader, buf.get_mut(filled..).unwrap_or_default())?;
    if filled + got < buf.len() {
        return Err(truncated(unit, buf.len(), filled + got).into());
    }
    Ok(())
}

fn truncated(unit: Unit, required: usize, available: usize) -> CaptureErrorKind {
    CaptureErrorKind::Truncated {
        unit,
        required: required as u64,
        available: available as u64,
    }
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("name", &self.name)
            .field("format", &self.format())
            .field("index", &self.sequence.index)
            .field("mapped", &self.is_mapped())
            .field("offset", &self.input.offset())
            .finish_non_exhaustive()
    }
}
