//! [`ShardedAnalyzer`]: one capture classified by several threads, each with its own
//! [`Analyzer`] (and so its own flow table), flows assigned to threads by a hash of their
//! 5-tuple that is the same in both directions.
//!
//! # How the work is split
//!
//! The calling thread is the reader: it walks the file's records with one [`CaptureReader`]
//! and hands each window of up to [`WINDOW_FRAMES`] frames (or [`WINDOW_BYTES`] bytes) to the N
//! classifier threads: where each frame lies in the memory-mapped file, or, for a stream (a
//! pipe, a compressed file, `--no-mmap`), a copy of the frames. Each window then goes through two
//! phases, both split between the classifiers:
//!
//! - **Route**: classifier `i` decodes the `i`-th N-th of the window's frames once, and puts
//!   each decoded packet on the list of the classifier whose shard ([`shard_of`]) its flow is.
//!   A frame that is an IP fragment goes on every list (fragments carry no ports to tell
//!   whose they are: every classifier reassembles every datagram and keeps its own, as each
//!   one's reassembler holds the same fragments); a frame that is no flow's packet (another
//!   protocol, an unknown link type, malformed) goes to the first classifier only, which
//!   counts it.
//! - **Classify**: classifier `s` takes the lists addressed to it, from classifier 0 to N−1
//!   (so in file order), and feeds them to its analyzer: decoded packets without decoding
//!   them again ([`Analyzer::decoded_frame`]), fragments and uncounted frames through
//!   [`Analyzer::frame_where`] as before.
//!
//! Each analyzer therefore sees exactly the frames, in exactly the order, that it would see
//! reading the whole file itself and keeping its own flows: the output does not depend on the
//! window size or on scheduling. The lists travel on one channel per pair of classifiers and
//! the windows on one channel per classifier, so a classifier that is done classifying one
//! window goes on routing the next while the others finish (no barrier), and the reader fills
//! the next windows meanwhile ([`WINDOWS`] windows, recycled). Reading (about 320 instructions
//! a frame with the hand-over; a copy for streams adds about 65) is the part that is not
//! split: it bounds the speed-up at about (read + decode + classify) / read, see
//! BENCHMARKS.md.
//!
//! A mapped file's frames are not copied: a window holds their offsets in the map (each checked
//! to be the packet's own bytes, so no `unsafe` here), and the reader leaves the map's pages
//! mapped ([`CaptureReader`] gives them back as it goes when alone); they are given back here
//! when a window comes back from the classifiers, which are then done with everything before
//! its end (windows come back in order), so the resident set stays flat as with one thread.
//!
//! Records are merged in the order flows were first seen in the file, as one thread gives
//! them. Output is identical to one thread's unless a table evicts under pressure or replaces
//! idle flows (those depend on which flows share a table, see [`torclass_core::table`]), or
//! the endpoint cache is on: each thread learns peer endpoints from its own flows only, so a
//! flow recognised by an endpoint another thread learned stays as its own bytes make it, and
//! so with the host cache (set [`AnalyzerConfig::endpoints`] and [`AnalyzerConfig::hosts`] to
//! 0 for identical output).

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

use torclass_core::packet::{self, FlowKey, Fragment, LinkType, TcpInfo, TunnelKind};
use torclass_core::table::TableStats;

use crate::analyze::{Analyzer, AnalyzerConfig, FrameOutcome, PacketStats};
use crate::input::RELEASE;
use crate::map::Map;
use crate::{CaptureError, CaptureReader, FlowRecord, ReadMode};

/// Frames in a window, at most: large enough that the hand-over (a few channel messages per
/// window) costs nothing per frame, small enough that the windows in flight stay in cache.
pub const WINDOW_FRAMES: usize = 4096;

/// Bytes of frames in a window, at most (a window may hold one frame more than this).
pub const WINDOW_BYTES: usize = 2 << 20;

/// Windows in flight: one being read, one or two being routed and classified.
const WINDOWS: usize = 4;

/// The shard (0..`shards`) of the flow of `key`, the same for both directions.
#[must_use]
pub fn shard_of(key: &FlowKey, shards: usize) -> usize {
    if shards <= 1 {
        return 0;
    }
    let word = |e: &packet::Endpoint| {
        let mut h: u64 = u64::from(e.port);
        match e.addr {
            std::net::IpAddr::V4(a) => h ^= u64::from(u32::from(a)) << 16,
            std::net::IpAddr::V6(a) => {
                let x = u128::from(a);
                h ^= (x as u64) ^ ((x >> 64) as u64).rotate_left(16);
            }
        }
        // SplitMix64 finaliser.
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
    };
    // Addition is symmetric: both directions give the same sum.
    let h = word(&key.src).wrapping_add(word(&key.dst)) ^ key.transport as u64;
    let h = (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    ((h >> 32) % shards as u64) as usize
}

/// What a [`ShardedAnalyzer`] read.
#[derive(Debug, Default)]
pub struct ShardedOutput {
    /// Every flow's record, in the order flows were first seen.
    pub records: Vec<FlowRecord>,
    /// Packet counters, summed over the threads.
    pub packets: PacketStats,
    /// Flow table counters, summed over the threads.
    pub table: TableStats,
    /// The error that stopped reading, if any: the records are
    /// those of the packets before it.
    pub error: Option<CaptureError>,
}

/// Classifies one capture file on several threads; see the module docs.
#[derive(Clone, Copy, Debug)]
pub struct ShardedAnalyzer {
    config: AnalyzerConfig,
    threads: usize,
    mode: ReadMode,
    window: usize,
}

/// One classifier's result: records with the file index of each flow's first packet.
#[derive(Default)]
struct Shard {
    records: Vec<(u64, FlowRecord)>,
    packets: PacketStats,
    table: TableStats,
}

impl ShardedAnalyzer {
    /// `threads` analyzers (at least one) sharing `config.slots` flow table slots equally.
    #[must_use]
    pub fn new(config: AnalyzerConfig, threads: usize) -> Self {
        let threads = threads.max(1);
        Self {
            config: AnalyzerConfig {
                slots: config.slots.div_ceil(threads).max(1),
                ..config
            },
            threads,
            mode: ReadMode::Auto,
            window: WINDOW_FRAMES,
        }
    }

    /// Read files as `mode` says ([`CaptureReader::open_with`]); [`ReadMode::Auto`] unless
    /// set.
    #[must_use]
    pub fn read_mode(self, mode: ReadMode) -> Self {
        Self { mode, ..self }
    }

    /// Hand frames to the classifiers in windows of `frames` (at least 1) rather than
    /// [`WINDOW_FRAMES`]: the output is the same, only the speed changes.
    #[must_use]
    pub fn window(self, frames: usize) -> Self {
        Self {
            window: frames.max(1),
            ..self
        }
    }

    /// Classifier threads used (the calling thread reads).
    #[must_use]
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Classify the capture at `path`; `progress` gets the byte offset reached now and then.
    ///
    /// # Errors
    /// The reader's error when the file cannot be opened; a corrupt or truncated file gives
    /// the records read so far with [`ShardedOutput::error`].
    pub fn read_file(
        &self,
        path: &Path,
        progress: impl FnMut(u64) + Send,
    ) -> Result<ShardedOutput, CaptureError> {
        let reader = CaptureReader::open_with(path, self.mode)?;
        Ok(self.read(reader, progress))
    }

    /// Classify every packet of `reader` (on this thread: reading; on `threads` others:
    /// routing and classifying).
    fn read(&self, mut reader: CaptureReader, mut progress: impl FnMut(u64)) -> ShardedOutput {
        let n = self.threads;
        let (recycle, spare) = channel();
        let mut windows = Vec::with_capacity(n);
        let mut inboxes: Vec<Vec<Receiver<Vec<Work>>>> = (0..n).map(|_| Vec::new()).collect();
        let mut outboxes: Vec<Vec<Sender<Vec<Work>>>> = (0..n).map(|_| Vec::new()).collect();
        for inbox in &mut inboxes {
            for outbox in &mut outboxes {
                let (tx, rx) = channel();
                outbox.push(tx);
                inbox.push(rx);
            }
        }
        let reassembly = self.config.fragment_slots > 0 && self.config.fragment_bytes > 0;
        let (shards, error) = std::thread::scope(|scope| {
            let handles: Vec<_> = inboxes
                .into_iter()
                .zip(outboxes)
                .enumerate()
                .map(|(me, (inbox, outbox))| {
                    let (tx, rx) = channel();
                    windows.push(tx);
                    let classifier = Classifier {
                        analyzer: Analyzer::new(self.config),
                        me,
                        threads: n,
                        reassembly,
                        first: Vec::new(),
                    };
                    let recycle = recycle.clone();
                    scope.spawn(move || classifier.run(&rx, &inbox, &outbox, &recycle))
                })
                .collect();
            drop(recycle);
            let error = self.feed(&mut reader, &windows, &spare, &mut progress);
            // The classifiers stop when the windows' channels close.
            drop(windows);
            let shards: Vec<Shard> = handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect();
            (shards, error)
        });
        let mut out = ShardedOutput {
            error,
            ..ShardedOutput::default()
        };
        let mut records = Vec::new();
        for shard in shards {
            records.extend(shard.records);
            out.packets = add_packets(out.packets, shard.packets);
            out.table = out.table + shard.table;
        }
        records.sort_by_key(|(first, _)| *first);
        out.records = records.into_iter().map(|(_, r)| r).collect();
        out
    }

    /// Read `reader` into windows, each sent to every classifier; the error that stopped
    /// reading, if any.
    fn feed(
        &self,
        reader: &mut CaptureReader,
        classifiers: &[Sender<Arc<Window>>],
        spare: &Receiver<Window>,
        progress: &mut impl FnMut(u64),
    ) -> Option<CaptureError> {
        let map = reader.share_map();
        // The map's pages before this offset were given back.
        let mut released = 0;
        let mut made = 0;
        loop {
            // A window the classifiers are done with, else a new one while fewer than
            // WINDOWS exist, else wait for one.
            let mut window = spare.try_recv().ok().unwrap_or_else(|| {
                if made < WINDOWS {
                    made += 1;
                    Window::default()
                } else {
                    spare.recv().unwrap_or_default()
                }
            });
            // Every classifier is done with the map's bytes up to the end of this window
            // (windows come back in order): give back their pages, as a lone reader does.
            if let Some(map) = &window.map {
                map.release_before(&mut released, window.map_end, RELEASE);
            }
            window.map.clone_from(&map);
            window.map_end = 0;
            window.frames.clear();
            window.bytes.clear();
            window.size = 0;
            window.latest = i128::MIN;
            let read = reader.packets_while(|p| {
                if window.frames.is_empty() {
                    window.first = p.index;
                }
                window.push(&p);
                if p.index % 4096 == 0 {
                    progress(p.offset);
                }
                if window.frames.len() >= self.window || window.size >= WINDOW_BYTES {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            let end = match read {
                Ok(true) => None,
                Ok(false) => Some(None),
                Err(e) => Some(Some(e)),
            };
            if let (false, Some((last, others))) =
                (window.frames.is_empty(), classifiers.split_last())
            {
                // The classifiers hold the only references, so that the last one done gives
                // the window back. One that stopped (it panicked) gets nothing more.
                let window = Arc::new(window);
                for classifier in others {
                    let _ = classifier.send(Arc::clone(&window));
                }
                let _ = last.send(window);
            }
            if let Some(error) = end {
                return error;
            }
        }
    }
}

/// Frames copied out of the capture, one after the other.
#[derive(Default)]
struct Window {
    /// File index of the first frame.
    first: u64,
    /// The latest timestamp of its frames: every classifier's clock passes it
    /// ([`Analyzer::saw`]), so that all end the capture at the same time.
    latest: i128,
    /// The mapped file the frames lie in, when the reader maps one: frames are not copied.
    map: Option<Arc<Map>>,
    /// The end of the last of its frames in the map.
    map_end: usize,
    /// Copies of frames that are not in a map (a stream, a pipe, a compressed file).
    bytes: Vec<u8>,
    /// Bytes of its frames, copied or not.
    size: usize,
    frames: Vec<Frame>,
}

/// One frame of a [`Window`]: `start..end` of the mapped file, or of the window's copies.
struct Frame {
    start: usize,
    end: usize,
    /// The bytes are in the window's own buffer.
    copied: bool,
    link_type: u32,
    ts_nanos: i128,
}

impl Window {
    /// Add `p`: where its bytes lie in the mapped file, or a copy of them.
    fn push(&mut self, p: &crate::RawPacket<'_>) {
        let len = p.data.len();
        // The packet's offset in the map, checked: the same bytes at the same address.
        let in_map = self.map.as_deref().and_then(|map| {
            let start = (p.data.as_ptr() as usize).checked_sub(map.bytes().as_ptr() as usize)?;
            let bytes = map.bytes().get(start..start.checked_add(len)?)?;
            (bytes.as_ptr() == p.data.as_ptr()).then_some(start)
        });
        let (start, copied) = match in_map {
            Some(start) => {
                self.map_end = self.map_end.max(start + len);
                (start, false)
            }
            None => {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(p.data);
                (start, true)
            }
        };
        self.frames.push(Frame {
            start,
            end: start + len,
            copied,
            link_type: p.link_type,
            ts_nanos: p.ts_nanos,
        });
        self.size += len;
        self.latest = self.latest.max(p.ts_nanos);
    }

    fn bytes(&self, frame: &Frame) -> &[u8] {
        let all = match (&self.map, frame.copied) {
            (Some(map), false) => map.bytes(),
            _ => &self.bytes,
        };
        all.get(frame.start..frame.end).unwrap_or_default()
    }
}

/// What a classifier gets for one frame of a window (by its position in the window).
enum Work {
    /// A packet that was decoded, for its flow's classifier only.
    Packet(u32, Decoded),
    /// A frame to read with [`Analyzer::frame_where`]: a fragment (every classifier gets
    /// it), or a frame that is no flow's packet (the first classifier only, which counts it).
    Frame(u32),
}

/// A decoded [`packet::Packet`] with its payload as a range of its frame, so that it can be
/// sent to another thread beside the window it borrows from.
struct Decoded {
    key: FlowKey,
    tcp: Option<TcpInfo>,
    fragment: Fragment,
    payload: (usize, usize),
    payload_len_on_wire: u32,
    tunnel: Option<TunnelKind>,
}

impl Decoded {
    fn new(p: &packet::Packet<'_>, frame: &[u8]) -> Self {
        // The payload is a part of the frame (nothing was reassembled).
        let start = (p.payload.as_ptr() as usize).wrapping_sub(frame.as_ptr() as usize);
        Self {
            key: p.key,
            tcp: p.tcp,
            fragment: p.fragment,
            payload: (start, start.wrapping_add(p.payload.len())),
            payload_len_on_wire: p.payload_len_on_wire,
            tunnel: p.tunnel,
        }
    }

    fn packet<'a>(&self, frame: &'a [u8]) -> packet::Packet<'a> {
        packet::Packet {
            key: self.key,
            tcp: self.tcp,
            fragment: self.fragment,
            payload: frame
                .get(self.payload.0..self.payload.1)
                .unwrap_or_default(),
            payload_len_on_wire: self.payload_len_on_wire,
            tunnel: self.tunnel,
        }
    }
}

/// One classifier thread: its analyzer and its place among the others.
struct Classifier {
    analyzer: Analyzer,
    me: usize,
    threads: usize,
    /// Whether the analyzers reassemble fragments (else a first fragment is a packet).
    reassembly: bool,
    /// File index of the first packet of each flow this analyzer created, by creation order.
    first: Vec<u64>,
}

impl Classifier {
    /// Route and classify every window `windows` brings, the lists of the others coming from
    /// `inbox` and this one's going to `outbox` (both by classifier); give each window back
    /// to the reader through `recycle` once every classifier is done with it.
    fn run(
        mut self,
        windows: &Receiver<Arc<Window>>,
        inbox: &[Receiver<Vec<Work>>],
        outbox: &[Sender<Vec<Work>>],
        recycle: &Sender<Window>,
    ) -> Shard {
        'windows: while let Ok(window) = windows.recv() {
            for (list, to) in self.route(&window).into_iter().zip(outbox) {
                // A classifier that stopped (it panicked) gets nothing more.
                let _ = to.send(list);
            }
            for from in inbox {
                let Ok(list) = from.recv() else {
                    break 'windows;
                };
                for work in list {
                    self.classify(&window, work);
                }
            }
            self.analyzer.saw(window.latest);
            if let Some(window) = Arc::into_inner(window) {
                let _ = recycle.send(window);
            }
        }
        let packets = self.analyzer.packet_stats();
        // Every flow created gives exactly one record, in creation order.
        let records = self.first.into_iter().zip(self.analyzer.finish()).collect();
        // After the flows ended: how many of them timed out does not depend on when the
        // sweeps ran (each classifier's clock moves at its own pace).
        let table = self.analyzer.table_stats();
        Shard {
            records,
            packets,
            table,
        }
    }

    /// Decode this classifier's part of `window`: a list of work for each classifier.
    fn route(&self, window: &Window) -> Vec<Vec<Work>> {
        let n = self.threads;
        let count = window.frames.len();
        let part = count * self.me / n..count * (self.me + 1) / n;
        let mut lists: Vec<Vec<Work>> = (0..n)
            .map(|_| Vec::with_capacity(part.len() / n + part.len() / (4 * n) + 16))
            .collect();
        for (at, frame) in window
            .frames
            .iter()
            .enumerate()
            .take(part.end)
            .skip(part.start)
        {
            // A window holds far fewer than 2^32 frames.
            let at = at as u32;
            let bytes = window.bytes(frame);
            let to = match LinkType::from_pcap(frame.link_type) {
                Some(link) => match packet::decode(link, bytes) {
                    Ok(p) if !self.reassembly || p.fragment == Fragment::None => {
                        let to = shard_of(&p.key, n);
                        let decoded = Decoded::new(&p, bytes);
                        if let Some(list) = lists.get_mut(to) {
                            list.push(Work::Packet(at, decoded));
                        }
                        continue;
                    }
                    Ok(_) => None,
                    Err(_) if self.reassembly && packet::fragment(link, bytes).is_some() => None,
                    Err(_) => Some(0),
                },
                None => Some(0),
            };
            match to {
                Some(to) => lists
                    .get_mut(to)
                    .into_iter()
                    .for_each(|l| l.push(Work::Frame(at))),
                None => lists.iter_mut().for_each(|l| l.push(Work::Frame(at))),
            }
        }
        lists
    }

    fn classify(&mut self, window: &Window, work: Work) {
        let at = match &work {
            Work::Packet(at, _) | Work::Frame(at) => *at,
        };
        let Some(frame) = window.frames.get(at as usize) else {
            return;
        };
        let bytes = window.bytes(frame);
        let outcome = match work {
            Work::Packet(_, decoded) => {
                // The link type decoded in `route`.
                let link = LinkType::from_pcap(frame.link_type).unwrap_or(LinkType::Raw);
                let packet = decoded.packet(bytes);
                Some(
                    self.analyzer
                        .decoded_frame(link, frame.ts_nanos, bytes, &packet),
                )
            }
            Work::Frame(_) => {
                let (me, threads) = (self.me, self.threads);
                self.analyzer.frame_where(
                    frame.link_type,
                    frame.ts_nanos,
                    bytes,
                    |key| shard_of(key, threads) == me,
                    me == 0,
                )
            }
        };
        if let Some(FrameOutcome::Flow(o)) = outcome {
            if o.new_flow {
                self.first.push(window.first + u64::from(at));
            }
        }
    }
}

fn add_packets(a: PacketStats, b: PacketStats) -> PacketStats {
    PacketStats {
        frames: a.frames + b.frames,
        classified: a.classified + b.classified,
        later_fragments: a.later_fragments + b.later_fragments,
        unsupported: a.unsupported + b.unsupported,
        malformed: a.malformed + b.malformed,
        unknown_link_type: a.unknown_link_type.or(b.unknown_link_type),
    }
}
