//! `torclass`: tells which flows of a capture are BitTorrent, and which part of it.

#[cfg(all(feature = "block", target_os = "linux"))]
mod block;
#[cfg(feature = "live")]
mod live;
mod matching;
mod output;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use torclass_capture::{
    Analyzer, AnalyzerConfig, CaptureError, CaptureReader, FlowRecord, Format, ReadMode,
    ShardedAnalyzer, Summary, SLOT_SIZE,
};

use output::{OutputFormat, Sink};

/// Classify BitTorrent traffic (peer wire, MSE, uTP, DHT, trackers, LSD, magnet links) in
/// packet captures.
#[derive(Parser)]
#[command(name = "torclass", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Classify every flow of pcap or pcapng files.
    ///
    /// Reads Ethernet (with 802.1Q/802.1ad tags), Linux SLL and SLL2, raw IPv4/IPv6, BSD
    /// loopback, PPP, Cisco HDLC, 802.11 and radiotap captures, microsecond or nanosecond,
    /// either byte order (another link type is named on stderr); flows inside GRE, ERSPAN,
    /// IP-in-IP, VXLAN, GENEVE, Teredo, PPPoE, GTP-U and MPLS are classified as the inner flow
    /// (the record's `tunnel` and `tunnel_dst` say which tunnel), and IP fragments are
    /// reassembled. Prints one record per flow in the order flows were first seen. A corrupt or
    /// truncated file is reported on stderr with its byte offset, the flows read before the
    /// damage are still printed, and the exit status is 2. Exit status 1 means bad usage or an
    /// unreadable file.
    Classify(Classify),
    /// Match infringement notices (address, port, UTC time, optional info-hash) against
    /// the flows of captures.
    ///
    /// For each notice of the CSV file: the flows of its endpoint active within its time
    /// window, whether its info-hash was seen, by which protocol and evidence, or that nothing
    /// matches. The notice file's format is in torclass-py/README.md ("Notice files").
    Match(matching::Match),
    /// Drop BitTorrent flows on a router or VPN server (NFQUEUE).
    ///
    /// Serves the kernel's NFQUEUE queues: the first packets of each connection are
    /// classified, BitTorrent flows at the policy's confidence are dropped and logged as one
    /// JSON line each on stdout, decided connections are handed back to the kernel by their
    /// connection mark. `--print-ruleset` prints the firewall rules it expects. SIGHUP reloads
    /// the configuration file's policy; SIGINT/SIGTERM stop it cleanly (with the queue bypass,
    /// traffic then flows uninspected). Needs CAP_NET_ADMIN.
    #[cfg(all(feature = "block", target_os = "linux"))]
    Block(Box<block::BlockArgs>),
}

#[derive(Parser)]
struct Classify {
    /// Capture files to read (pcap or pcapng).
    #[arg(required_unless_present_any = ["interface", "follow"], value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Capture live on this interface (libpcap; needs CAP_NET_RAW) instead of reading files:
    /// records stream as flows are decided and end (--emit), a summary is printed on SIGINT or
    /// SIGTERM, memory stays bounded by --max-flows.
    #[cfg(feature = "live")]
    #[arg(long, short, value_name = "IFACE", conflicts_with_all = ["files", "follow", "threads"])]
    interface: Option<String>,

    /// With --interface: a capture filter (BPF syntax, as tcpdump's), e.g. "tcp or udp".
    #[cfg(feature = "live")]
    #[arg(long, value_name = "FILTER", requires = "interface")]
    bpf: Option<String>,

    /// Read a capture another program is still writing (e.g. tcpdump -U -w FILE), waiting at
    /// its end for more, as with --interface, until SIGINT or SIGTERM.
    #[cfg(feature = "live")]
    #[arg(long, value_name = "FILE", conflicts_with_all = ["files", "threads"])]
    follow: Option<PathBuf>,

    /// With --interface or --follow: which records to write as they happen: `decided` (a
    /// verdict appears or changes), `ended` (a flow leaves the table, and every flow at the
    /// end), or both.
    #[cfg(feature = "live")]
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "decided,ended",
        value_name = "EVENTS"
    )]
    emit: Vec<live::Emit>,

    /// Output format: `table` (aligned columns), `jsonl` (one JSON object per flow, the record
    /// every torclass tool reads), `csv` (same columns as jsonl) or `parquet` (the Arrow
    /// schema of the Python module's tables, with a `file` column; needs --output).
    #[arg(long, short, default_value = "table", value_parser = parse_format)]
    format: OutputFormat,

    /// Write the records to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Print only counts of flows, packets and bytes per verdict and protocol.
    #[arg(long)]
    summary: bool,

    /// Most flows tracked at once. The table starts with 1,024 slots and grows fourfold as
    /// flows need room, up to N; once that full, idle and non-BitTorrent flows are replaced first.
    /// Memory is at most about N times the slot size (shown by --verbose).
    #[arg(long, default_value_t = 1 << 16, value_name = "N")]
    max_flows: usize,

    /// Do not learn across flows: neither peer endpoints (from tracker replies, PEX, the DHT,
    /// LSD and confirmed flows) nor BitTorrent hosts (hosts with confirmed BitTorrent
    /// activity). Learning lets later (e.g. encrypted) flows to those peers and from those
    /// hosts be recognised.
    #[arg(long)]
    no_endpoint_cache: bool,

    /// Never show a progress bar (one is shown on stderr for large files when stderr is a
    /// terminal).
    #[arg(long)]
    no_progress: bool,

    /// Read files with read(2) instead of mapping them into memory. Mapping is faster, but if
    /// another program truncates a file while torclass reads it, torclass is killed by
    /// SIGBUS; use this for captures still being written or rotated. Pipes and other
    /// non-regular files are always read this way.
    #[arg(long)]
    no_mmap: bool,

    /// Do not reassemble IP fragments (RFC 791, RFC 8200): first fragments are then classified
    /// from the part of the payload they carry and later ones only counted. Reassembly keeps
    /// up to 64 datagrams of up to 64 KiB at once (4 MiB per thread).
    #[arg(long)]
    no_reassembly: bool,

    /// Print packet and table counters on stderr at the end.
    #[arg(long, short)]
    verbose: bool,

    /// Classify on N threads, flows shared out by a hash of their 5-tuple (each thread has
    /// its own table of max-flows/N slots and endpoint cache), while this thread reads the
    /// file once and hands them windows of frames; the output is the same as with one thread
    /// unless tables fill up or a verdict rests on a peer endpoint learned by another thread
    /// (add --no-endpoint-cache for output identical to one thread).
    #[arg(long, default_value_t = 1, value_name = "N")]
    threads: usize,
}

fn parse_format(s: &str) -> Result<OutputFormat, String> {
    s.parse()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Classify(args) => classify(&args),
        Command::Match(args) => matching::run(&args),
        #[cfg(all(feature = "block", target_os = "linux"))]
        Command::Block(args) => block::run(*args),
    }
}

/// Show a progress bar for files above this size.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

fn progress_bar(args: &Classify, path: &std::path::Path) -> Option<ProgressBar> {
    if args.no_progress || !io::stderr().is_terminal() {
        return None;
    }
    let len = std::fs::metadata(path).ok()?.len();
    (len >= PROGRESS_MIN_BYTES).then(|| {
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(path.display().to_string());
        bar
    })
}

fn classify(args: &Classify) -> ExitCode {
    #[cfg(feature = "live")]
    if args.interface.is_some() || args.follow.is_some() {
        return live::run(args);
    }
    let mut writer = match Sink::new(args.format, args.output.as_deref()) {
        Ok(writer) => writer,
        Err(e) => {
            eprintln!("torclass: {e}");
            return ExitCode::from(1);
        }
    };
    let mut summary = Summary::new();
    let mut status = ExitCode::SUCCESS;
    for path in &args.files {
        let defaults = AnalyzerConfig::default();
        let config = AnalyzerConfig {
            slots: args.max_flows.max(1),
            endpoints: if args.no_endpoint_cache {
                0
            } else {
                defaults.endpoints
            },
            hosts: if args.no_endpoint_cache {
                0
            } else {
                defaults.hosts
            },
            fragment_slots: if args.no_reassembly {
                0
            } else {
                defaults.fragment_slots
            },
            ..defaults
        };
        let bar = progress_bar(args, path);
        let records = if args.threads > 1 {
            read_sharded(args, path, config, bar.as_ref())
        } else {
            read_one(args, path, config, bar.as_ref(), &mut summary)
        };
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let records = match records {
            Ok((records, error, unknown_link_type)) => {
                if let Some(link) = unknown_link_type {
                    eprintln!(
                        "torclass: unsupported link type {link} in {}",
                        path.display()
                    );
                }
                if let Some(e) = error {
                    eprintln!("torclass: {e}");
                    status = ExitCode::from(2);
                }
                records
            }
            Err(e) => {
                eprintln!("torclass: {e}");
                if status == ExitCode::SUCCESS || !e.is_truncated() {
                    status = ExitCode::from(if e.is_truncated() { 2 } else { 1 });
                }
                continue;
            }
        };
        let name = path.display().to_string();
        for record in records {
            summary.add(&record);
            if !args.summary {
                if let Err(e) = writer.write(&record, &name) {
                    return output_error(&e);
                }
            }
        }
    }
    let written = if args.summary {
        let mut out = io::stdout().lock();
        match args.format {
            OutputFormat::Text(Format::Jsonl) => writeln!(out, "{}", summary.to_json()),
            _ => write!(out, "{summary}"),
        }
        .map_err(Into::into)
    } else {
        writer.finish()
    };
    match written {
        Ok(()) => status,
        Err(e) => output_error(&e),
    }
}

/// Records of one file, the error that cut it short and the first link type torclass does not
/// read that it holds, if any.
type Read = Result<(Vec<FlowRecord>, Option<CaptureError>, Option<u32>), CaptureError>;

/// Packets read between two counts of evicted flows into the summary (with `--summary`, so
/// that memory does not grow with the number of flows).
const SUMMARY_DRAIN: u64 = 1 << 16;

fn read_one(
    args: &Classify,
    path: &std::path::Path,
    config: AnalyzerConfig,
    bar: Option<&ProgressBar>,
    summary: &mut Summary,
) -> Read {
    let mut reader = CaptureReader::open_with(path, read_mode(args))?;
    let mut analyzer = Analyzer::new(config);
    let read = reader.for_each_packet(|p| {
        analyzer.frame(p.link_type, p.ts_nanos, p.data);
        if p.index % SUMMARY_DRAIN == 0 {
            if let Some(bar) = bar {
                bar.set_position(p.offset);
            }
            if args.summary {
                analyzer.take_finished().iter().for_each(|r| summary.add(r));
            }
        }
    });
    let error = read.err();
    // The table's counters after the flows ended, as --threads gives them.
    let records = analyzer.finish();
    if args.verbose {
        eprintln!(
            "torclass: {}: {:?}; {:?}; {:?}; {:?}; slot size {} bytes",
            path.display(),
            analyzer.packet_stats(),
            analyzer.table_stats(),
            analyzer.cache_stats(),
            analyzer.reassembly_stats(),
            SLOT_SIZE
        );
    }
    Ok((records, error, analyzer.packet_stats().unknown_link_type))
}

fn read_sharded(
    args: &Classify,
    path: &std::path::Path,
    config: AnalyzerConfig,
    bar: Option<&ProgressBar>,
) -> Read {
    let sharded = ShardedAnalyzer::new(config, args.threads).read_mode(read_mode(args));
    let out = sharded.read_file(path, |offset| {
        if let Some(bar) = bar {
            bar.set_position(offset);
        }
    })?;
    if args.verbose {
        eprintln!(
            "torclass: {}: {:?}; {:?}; {} threads; slot size {} bytes",
            path.display(),
            out.packets,
            out.table,
            sharded.threads(),
            SLOT_SIZE
        );
    }
    Ok((out.records, out.error, out.packets.unknown_link_type))
}

fn read_mode(args: &Classify) -> ReadMode {
    if args.no_mmap {
        ReadMode::Stream
    } else {
        ReadMode::Auto
    }
}

fn output_error(e: &output::SinkError) -> ExitCode {
    if output::is_broken_pipe(e) {
        return ExitCode::SUCCESS;
    }
    eprintln!("torclass: writing output: {e}");
    ExitCode::from(1)
}
