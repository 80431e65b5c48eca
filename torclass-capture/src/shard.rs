//! [`ShardedAnalyzer`]: one capture classified by several threads, each with its own
//! [`Analyzer`] (and so its own flow table), flows assigned to threads by a hash of their
//! 5-tuple that is the same in both directions.
//!
//! Every thread reads and decodes the whole file (the reads hit the page cache), reassembles
//! every fragmented datagram (fragments carry no ports to tell whose they are) and classifies
//! only its own flows: no packet is copied or sent between threads, and the result does not
//! depend on scheduling. Records are merged in the order flows were first seen in the file, as
//! one thread gives them. Output is identical to one thread's unless a table evicts under
//! pressure or replaces idle flows (those depend on which flows share a table, see
//! [`torclass_core::table`]), or the endpoint cache is on: each thread learns peer endpoints
//! from its own flows only, so a flow recognised by an endpoint another thread learned stays
//! as its own bytes make it, and so with the host cache (set [`AnalyzerConfig::endpoints`] and
//! [`AnalyzerConfig::hosts`] to 0 for identical output).

use std::path::Path;

use torclass_core::packet::{self, FlowKey};
use torclass_core::table::TableStats;

use crate::analyze::{Analyzer, AnalyzerConfig, FrameOutcome, PacketStats};
use crate::{CaptureError, CaptureReader, FlowRecord, ReadMode};

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
    /// The error that stopped reading (the same for every thread), if any: the records are
    /// those of the packets before it.
    pub error: Option<CaptureError>,
}

/// Classifies one capture file on several threads; see the module docs.
#[derive(Clone, Copy, Debug)]
pub struct ShardedAnalyzer {
    config: AnalyzerConfig,
    threads: usize,
    mode: ReadMode,
}

/// One thread's result: records with the file index of each flow's first packet.
struct Shard {
    records: Vec<(u64, FlowRecord)>,
    packets: PacketStats,
    table: TableStats,
    error: Option<CaptureError>,
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
        }
    }

    /// Read files as `mode` says (each thread opens the file with
    /// [`CaptureReader::open_with`]); [`ReadMode::Auto`] unless set.
    #[must_use]
    pub fn read_mode(self, mode: ReadMode) -> Self {
        Self { mode, ..self }
    }

    /// Threads used.
    #[must_use]
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Classify the capture at `path`; `progress` gets the byte offset reached now and then
    /// (from the first thread).
    ///
    /// # Errors
    /// The reader's error when the file cannot be opened; a corrupt or truncated file gives
    /// the records read so far with [`ShardedOutput::error`].
    pub fn read_file(
        &self,
        path: &Path,
        progress: impl FnMut(u64) + Send,
    ) -> Result<ShardedOutput, CaptureError> {
        let mut readers = (0..self.threads)
            .map(|_| CaptureReader::open_with(path, self.mode))
            .collect::<Result<Vec<_>, _>>()?;
        let mut progress = Some(progress);
        let shards: Vec<Shard> = std::thread::scope(|scope| {
            let handles: Vec<_> = readers
                .drain(..)
                .enumerate()
                .map(|(me, reader)| {
                    let report = if me == 0 { progress.take() } else { None };
                    let config = self.config;
                    let threads = self.threads;
                    scope.spawn(move || run_shard(reader, config, me, threads, report))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut out = ShardedOutput::default();
        let mut records = Vec::new();
        for shard in shards {
            records.extend(shard.records);
            out.packets = add_packets(out.packets, shard.packets);
            out.table = out.table + shard.table;
            if out.error.is_none() {
                out.error = shard.error;
            }
        }
        records.sort_by_key(|(first, _)| *first);
        out.records = records.into_iter().map(|(_, r)| r).collect();
        Ok(out)
    }
}

fn run_shard(
    mut reader: CaptureReader,
    config: AnalyzerConfig,
    me: usize,
    threads: usize,
    mut progress: Option<impl FnMut(u64)>,
) -> Shard {
    let mut analyzer = Analyzer::new(config);
    // File index of the first packet of each flow this analyzer created, by creation order.
    let mut first = Vec::new();
    let error = loop {
        let p = match reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break None,
            Err(e) => break Some(e),
        };
        // Frames that are not flows are counted once, by the first thread.
        let outcome = analyzer.frame_where(
            p.link_type,
            p.ts_nanos,
            p.data,
            |key| shard_of(key, threads) == me,
            me == 0,
        );
        if let Some(FrameOutcome::Flow(o)) = outcome {
            if o.new_flow {
                first.push(p.index);
            }
        }
        if p.index % 4096 == 0 {
            if let Some(report) = progress.as_mut() {
                report(p.offset);
            }
        }
    };
    let packets = analyzer.packet_stats();
    let table = analyzer.table_stats();
    // Every flow created gives exactly one record, in creation order.
    let records = first.into_iter().zip(analyzer.finish()).collect();
    Shard {
        records,
        packets,
        table,
        error,
    }
}

fn add_packets(a: PacketStats, b: PacketStats) -> PacketStats {
    PacketStats {
        frames: a.frames + b.frames,
        classified: a.classified + b.classified,
        later_fragments: a.later_fragments + b.later_fragments,
        unsupported: a.unsupported + b.unsupported,
        malformed: a.malformed + b.malformed,
    }
}
