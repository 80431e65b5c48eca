//! `torclass classify --interface IFACE` and `--follow FILE`: classify traffic as it arrives,
//! for monitoring without blocking. Records stream as flows are decided and as they end
//! (`--emit`), and a summary is printed when SIGINT or SIGTERM stops the capture. Memory is
//! bounded by the flow table whatever the run's length: records of ended flows are written
//! and forgotten, the summary keeps counts only.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use torclass_capture::{
    Analyzer, AnalyzerConfig, CaptureReader, FlowRecord, FrameOutcome, RecordWriter, Summary,
};
use torclass_core::Verdict;

use crate::Classify;

/// Which records `--emit` streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// When a flow's verdict appears or changes (a `likely` flow later `confirmed` is written
    /// again).
    Decided,
    /// When a flow leaves the table (ended, idle, evicted) and, at the end, every flow still
    /// in it.
    Ended,
}

/// A file that another program is still writing: at its end, wait for more instead of
/// stopping, until `stop` is set.
pub struct Follow {
    file: File,
    path: PathBuf,
    read: u64,
    stop: Arc<AtomicBool>,
}

impl Follow {
    /// Follow `path` from its start.
    pub fn open(path: &Path, stop: Arc<AtomicBool>) -> io::Result<Self> {
        Ok(Self {
            file: File::open(path)?,
            path: path.to_path_buf(),
            read: 0,
            stop,
        })
    }
}

/// How long [`Follow`] sleeps at the end of the file before it looks again.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

impl Read for Follow {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.file.read(buf)?;
            if n > 0 {
                self.read += n as u64;
                return Ok(n);
            }
            if self.stop.load(Relaxed) || buf.is_empty() {
                return Ok(0);
            }
            let len = std::fs::metadata(&self.path)
                .map(|m| m.len())
                .unwrap_or(u64::MAX);
            if len < self.read {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} was truncated while followed (rotated?)",
                        self.path.display()
                    ),
                ));
            }
            std::thread::sleep(FOLLOW_POLL);
        }
    }
}

/// Where live packets come from.
enum Source {
    Interface(pcap::Capture<pcap::Active>, u32),
    File(Box<CaptureReader>),
}

fn open(args: &Classify, stop: &Arc<AtomicBool>) -> Result<Source, String> {
    if let Some(iface) = &args.interface {
        // Not immediate mode: libpcap then waits for packets without a timeout, and a signal
        // could not stop the capture. Packets come in blocks at least every 100 ms.
        let cap = pcap::Capture::from_device(iface.as_str())
            .and_then(|c| {
                c.promisc(true)
                    .snaplen(65535)
                    .timeout(100)
                    .buffer_size(16 << 20)
                    .open()
            })
            .map_err(|e| format!("{iface}: {e}"))?;
        let mut cap = cap;
        if let Some(filter) = &args.bpf {
            cap.filter(filter, true)
                .map_err(|e| format!("--bpf {filter:?}: {e}"))?;
        }
        // libpcap's DLT number: raw IP (a tun device) is DLT_RAW, not the file's LINKTYPE_RAW.
        let dlt = u32::try_from(cap.get_datalink().0).unwrap_or(0);
        let link = match torclass_core::packet::LinkType::from_dlt(dlt) {
            Some(link) => link.to_pcap(),
            None => {
                eprintln!("torclass: unsupported link type {dlt} on {iface}");
                dlt
            }
        };
        return Ok(Source::Interface(cap, link));
    }
    let path = args.follow.as_ref().ok_or("no --interface or --follow")?;
    let follow =
        Follow::open(path, stop.clone()).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader =
        CaptureReader::new(follow, path.display().to_string()).map_err(|e| e.to_string())?;
    Ok(Source::File(Box::new(reader)))
}

/// Run a live classification until SIGINT/SIGTERM (or, with `--follow`, an error).
pub fn run(args: &Classify) -> ExitCode {
    let format = match args.format.text() {
        Ok(format) => format,
        Err(e) => {
            eprintln!("torclass: {e}");
            return ExitCode::from(1);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        if let Err(e) = signal_hook::flag::register(sig, stop.clone()) {
            eprintln!("torclass: {e}");
            return ExitCode::from(1);
        }
    }
    let mut source = match open(args, &stop) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("torclass: {e}");
            return ExitCode::from(1);
        }
    };
    let defaults = AnalyzerConfig::default();
    let config = AnalyzerConfig {
        slots: args.max_flows.max(1),
        endpoints: if args.no_endpoint_cache {
            0
        } else {
            defaults.endpoints
        },
        ..defaults
    };
    let mut live = Live {
        analyzer: Analyzer::new(config),
        last_ns: 0,
        // Standard output is line-buffered: each record goes out as it is written.
        writer: RecordWriter::new(io::stdout(), format),
        summary: Summary::new(),
        decided: args.emit.contains(&Emit::Decided) && !args.summary,
        ended: args.emit.contains(&Emit::Ended) && !args.summary,
    };
    let mut status = ExitCode::SUCCESS;
    let mut next_expire = std::time::Instant::now();
    while !stop.load(Relaxed) {
        let step = match &mut source {
            Source::Interface(cap, link) => match cap.next_packet() {
                Ok(p) => {
                    let ts = i128::from(p.header.ts.tv_sec) * 1_000_000_000
                        + i128::from(p.header.ts.tv_usec) * 1000;
                    live.frame(*link, ts, p.data)
                }
                Err(pcap::Error::TimeoutExpired) => Ok(()),
                Err(e) => Err(e.to_string()),
            },
            Source::File(reader) => match reader.next_packet() {
                Ok(Some(p)) => live.frame(p.link_type, p.ts_nanos, p.data),
                Ok(None) => break,
                Err(e) => Err(e.to_string()),
            },
        };
        if std::time::Instant::now() >= next_expire {
            next_expire = std::time::Instant::now() + Duration::from_secs(1);
            // Live, the clock is the wall clock; a followed file's is its packets' (an old
            // capture followed must not look idle).
            let now = match &source {
                Source::Interface(..) => live.last_ns.max(wall_ns()),
                Source::File(_) => live.last_ns,
            };
            live.expire(now);
        }
        if let Err(e) = step {
            eprintln!("torclass: {e}");
            status = ExitCode::from(2);
            break;
        }
    }
    if let Source::Interface(cap, _) = &mut source {
        if let Ok(s) = cap.stats() {
            eprintln!(
                "torclass: {} packets received, {} dropped by the kernel, {} by the interface",
                s.received, s.dropped, s.if_dropped
            );
        }
    }
    match live.finish(args) {
        Ok(()) => status,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => status,
        Err(e) => {
            eprintln!("torclass: writing output: {e}");
            ExitCode::from(1)
        }
    }
}

/// Fraction of the table the timer visits each second (a full sweep every this many seconds).
const EXPIRE_TICKS: usize = 4;

fn wall_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

struct Live<W: Write> {
    analyzer: Analyzer,
    /// Timestamp of the latest packet, ns.
    last_ns: u64,
    writer: RecordWriter<W>,
    summary: Summary,
    decided: bool,
    ended: bool,
}

impl<W: Write> Live<W> {
    fn frame(&mut self, link: u32, ts: i128, data: &[u8]) -> Result<(), String> {
        self.last_ns = self.last_ns.max(u64::try_from(ts).unwrap_or(0));
        if let FrameOutcome::Flow(o) = self.analyzer.frame(link, ts, data) {
            if self.decided && o.changed && o.verdict != Verdict::Undecided {
                if let Some(r) = self.analyzer.record(o.slot) {
                    self.writer
                        .write(&r)
                        .map_err(|e| format!("writing output: {e}"))?;
                }
            }
        }
        self.ended_flows()
            .map_err(|e| format!("writing output: {e}"))
    }

    fn expire(&mut self, now_ns: u64) {
        let visit = self.analyzer.capacity().div_ceil(EXPIRE_TICKS);
        self.analyzer.expire(now_ns, visit);
    }

    fn ended_flows(&mut self) -> io::Result<()> {
        for r in self.analyzer.take_finished() {
            self.end(&r)?;
        }
        Ok(())
    }

    fn end(&mut self, r: &FlowRecord) -> io::Result<()> {
        self.summary.add(r);
        if self.ended {
            self.writer.write(r)?;
        }
        Ok(())
    }

    fn finish(mut self, args: &Classify) -> io::Result<()> {
        for r in self.analyzer.finish() {
            self.end(&r)?;
        }
        let mut out = self.writer.finish()?;
        out.flush()?;
        drop(out);
        if args.summary {
            let mut stdout = io::stdout().lock();
            match args.format {
                crate::output::OutputFormat::Text(torclass_capture::Format::Jsonl) => {
                    writeln!(stdout, "{}", self.summary.to_json())
                }
                _ => write!(stdout, "{}", self.summary),
            }
        } else {
            eprint!("{}", self.summary);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_waits_for_more_until_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("growing");
        std::fs::write(&path, b"ab").unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let mut f = Follow::open(&path, stop.clone()).unwrap();
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
                file.write_all(b"cd").unwrap();
            })
        };
        let mut buf = [0u8; 4];
        let mut got = Vec::new();
        while got.len() < 4 {
            let n = f.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"abcd");
        writer.join().unwrap();
        stop.store(true, Relaxed);
        assert_eq!(f.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn follow_reports_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rotated");
        std::fs::write(&path, b"abcdef").unwrap();
        let mut f = Follow::open(&path, Arc::new(AtomicBool::new(false))).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(f.read(&mut buf).unwrap(), 6);
        std::fs::write(&path, b"x").unwrap();
        assert!(f
            .read(&mut buf)
            .unwrap_err()
            .to_string()
            .contains("truncated"));
    }
}
