//! `torclass match --notices notices.csv CAPTURES...`: infringement notices against captures,
//! over torclass-capture's [`read_notices`] and [`match_notices`].
//!
//! Only the flows of the notices' addresses are kept while the captures are read, so memory
//! grows with the flows of those hosts, not with the captures.

use std::collections::HashSet;
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use torclass_capture::{
    match_notices, read_notices, write_match_csv, write_match_csv_header, write_match_jsonl,
    Analyzer, AnalyzerConfig, CaptureReader, FlowRecord, MatchFlow, NamedFlow, ReadMode,
};

/// The arguments of `torclass match`.
#[derive(Parser)]
pub struct Match {
    /// The notice file: CSV with a header naming `address`, `port` and `time` (UTC, RFC 3339
    /// or seconds since the epoch), and optionally `info_hash`, `tolerance` (seconds) and `id`.
    #[arg(long, value_name = "CSV")]
    notices: PathBuf,

    /// Capture files to read (pcap or pcapng, gzip or zstd compressed or not).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Output: `jsonl` (one object per notice with its flows) or `csv` (one row per notice
    /// and flow).
    #[arg(long, short, value_enum, default_value_t = MatchFormat::Jsonl)]
    format: MatchFormat,

    /// Seconds either side of a notice's time, for notices without a `tolerance` column.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    tolerance: f64,

    /// Most flows tracked at once (as `classify --max-flows`).
    #[arg(long, default_value_t = 1 << 16, value_name = "N")]
    max_flows: usize,

    /// Do not learn peer endpoints (as `classify --no-endpoint-cache`).
    #[arg(long)]
    no_endpoint_cache: bool,

    /// Read files with read(2) instead of mapping them (as `classify --no-mmap`).
    #[arg(long)]
    no_mmap: bool,
}

/// The output forms of `torclass match`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MatchFormat {
    /// One JSON object per notice.
    Jsonl,
    /// One CSV row per notice and flow.
    Csv,
}

/// Run `torclass match`: exit status 0, 2 if a capture was damaged (the flows before the
/// damage are matched), 1 for a bad notice file, bad arguments or an unreadable capture.
pub fn run(args: &Match) -> ExitCode {
    if !(args.tolerance.is_finite() && (0.0..1e9).contains(&args.tolerance)) {
        eprintln!("torclass: --tolerance must be a number of seconds from 0 to 10^9");
        return ExitCode::from(1);
    }
    let text = match std::fs::read_to_string(&args.notices) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("torclass: {}: {e}", args.notices.display());
            return ExitCode::from(1);
        }
    };
    let tolerance_ns = (args.tolerance * 1e9).round() as i64;
    let notices = match read_notices(&text, tolerance_ns) {
        Ok(notices) => notices,
        Err(e) => {
            eprintln!("torclass: {}: {e}", args.notices.display());
            return ExitCode::from(1);
        }
    };
    let addresses: HashSet<IpAddr> = notices.iter().map(|n| n.address).collect();
    let mut status = ExitCode::SUCCESS;
    let mut kept: Vec<(usize, FlowRecord)> = Vec::new();
    for (index, path) in args.files.iter().enumerate() {
        let mode = if args.no_mmap {
            ReadMode::Stream
        } else {
            ReadMode::Auto
        };
        let mut reader = match CaptureReader::open_with(path, mode) {
            Ok(reader) => reader,
            Err(e) => {
                eprintln!("torclass: {e}");
                status = ExitCode::from(1);
                continue;
            }
        };
        let mut analyzer = Analyzer::new(config(args));
        let mut keep = |records: Vec<FlowRecord>| {
            let relevant = records
                .into_iter()
                .filter(|r| addresses.contains(&r.src) || addresses.contains(&r.dst));
            kept.extend(relevant.map(|r| (index, r)));
        };
        loop {
            match reader.next_packet() {
                Ok(Some(p)) => {
                    analyzer.frame(p.link_type, p.ts_nanos, p.data);
                    if p.index % (1 << 16) == 0 {
                        keep(analyzer.take_finished());
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    eprintln!("torclass: {e}");
                    if status == ExitCode::SUCCESS {
                        status = ExitCode::from(2);
                    }
                    break;
                }
            }
        }
        keep(analyzer.finish());
    }
    let flows: Vec<MatchFlow<'_>> = kept.iter().map(|(_, r)| MatchFlow::from(r)).collect();
    let found = match_notices(&notices, &flows);
    let names: Vec<String> = args.files.iter().map(|p| p.display().to_string()).collect();
    let named = |i: usize| {
        let (file, record) = kept.get(i)?;
        Some(NamedFlow {
            file: names.get(*file)?,
            record,
        })
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let written = (|| {
        if args.format == MatchFormat::Csv {
            write_match_csv_header(&mut out)?;
        }
        for (notice, m) in notices.iter().zip(&found) {
            match args.format {
                MatchFormat::Jsonl => write_match_jsonl(&mut out, notice, m, named)?,
                MatchFormat::Csv => write_match_csv(&mut out, notice, m, named)?,
            }
        }
        out.flush()
    })();
    match written {
        Ok(()) => status,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => status,
        Err(e) => {
            eprintln!("torclass: writing output: {e}");
            ExitCode::from(1)
        }
    }
}

fn config(args: &Match) -> AnalyzerConfig {
    let defaults = AnalyzerConfig::default();
    AnalyzerConfig {
        slots: args.max_flows.max(1),
        endpoints: if args.no_endpoint_cache {
            0
        } else {
            defaults.endpoints
        },
        ..defaults
    }
}
