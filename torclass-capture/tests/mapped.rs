//! A memory-mapped capture and the same capture read as a stream give the same packets (every
//! field and byte), the same errors at the same offsets and the same end: on every real
//! capture as pcap, nanosecond pcap and pcapng (copies made with editcap), on every cut of a
//! small one and on corrupted copies of it. And a mapped reader unmaps what it has read.

mod common;

use common::both::{same_bytes, same_file};
use common::captures;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The smallest real capture.
fn small_capture() -> PathBuf {
    captures()
        .into_iter()
        .min_by_key(|p| std::fs::metadata(p).expect("size").len())
        .expect("a capture")
}

/// `capture` rewritten by `editcap -F format` into `dir`, or `None` (with a loud message)
/// when editcap is missing outside CI. In CI (`CI=true`) a missing editcap fails.
fn convert(capture: &Path, format: &str, dir: &Path) -> Option<PathBuf> {
    let name = capture.file_stem().expect("file name").to_string_lossy();
    let out = dir.join(format!("{name}.{format}"));
    match Command::new("editcap")
        .args(["-F", format])
        .arg(capture)
        .arg(&out)
        .status()
    {
        Ok(status) => {
            assert!(
                status.success(),
                "editcap -F {format} {}",
                capture.display()
            );
            Some(out)
        }
        Err(e) if std::env::var_os("CI").is_some_and(|v| v == "true") => {
            panic!("editcap (Debian tshark / wireshark-common) is needed in CI: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: {format} copies: editcap not found ({e}); install tshark");
            None
        }
    }
}

#[test]
fn real_captures_mapped_and_streamed() {
    let dir = tempfile::tempdir().expect("temp dir");
    for capture in captures() {
        let packets = same_file(&capture);
        assert!(packets > 0, "{}", capture.display());
        for format in ["nsecpcap", "pcapng"] {
            if let Some(copy) = convert(&capture, format, dir.path()) {
                assert_eq!(same_file(&copy), packets, "{}", copy.display());
            }
        }
    }
}

/// The smallest capture as pcap and, if editcap is there, as pcapng.
fn small_files() -> &'static [Vec<u8>] {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let capture = small_capture();
        let mut files = vec![std::fs::read(&capture).expect("read")];
        if let Some(copy) = convert(&capture, "pcapng", dir.path()) {
            files.push(std::fs::read(copy).expect("read"));
        }
        files
    })
}

#[test]
fn every_cut() {
    for file in small_files() {
        let whole = same_bytes(file);
        let mut last = 0;
        for cut in 0..file.len() {
            let packets = same_bytes(&file[..cut]);
            assert!(last <= packets && packets <= whole, "cut {cut}");
            last = packets;
        }
    }
}

#[test]
fn every_byte_flipped() {
    for file in small_files() {
        for (at, mask) in (0..file.len()).zip([0xff, 0x80, 0x01].into_iter().cycle()) {
            let mut bad = file.clone();
            bad[at] ^= mask;
            same_bytes(&bad);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Several bytes overwritten, and the file cut somewhere.
    #[test]
    fn corrupted_and_cut(
        which in 0usize..2,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let files = small_files();
        let mut file = files[which % files.len()].clone();
        for (at, byte) in edits {
            let at = at.index(file.len());
            file[at] = byte;
        }
        file.truncate(cut.index(file.len() + 1));
        same_bytes(&file);
    }
}

/// This process's resident file-backed memory, from /proc/self/status.
#[cfg(target_os = "linux")]
fn rss_file_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("RssFile:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .expect("RssFile");
    kib * 1024
}

#[cfg(target_os = "linux")]
#[test]
fn pages_read_are_unmapped() {
    use std::io::Write;
    use torclass_capture::CaptureReader;
    const MIB: usize = 1024 * 1024;
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    let mut bytes = common::pcap_header(false, false, 1, 0);
    let data = vec![0x5a; 60_000];
    while bytes.len() < 64 * MIB {
        common::pcap_record(&mut bytes, false, 1, 0, &data, 60_000);
    }
    file.write_all(&bytes).expect("write");
    drop(bytes);
    let mut reader = CaptureReader::open(file.path()).expect("open");
    assert!(reader.is_mapped());
    let before = rss_file_bytes();
    let mut sum = 0u64;
    let mut peak = 0;
    while let Some(p) = reader.next_packet().expect("read") {
        sum += p.data.iter().map(|&b| u64::from(b)).sum::<u64>();
        if p.index % 64 == 0 {
            peak = peak.max(rss_file_bytes().saturating_sub(before));
        }
    }
    assert!(sum > 0);
    // Every page was read, but at most the last few MiB stay mapped.
    assert!(
        peak < 24 * MIB as u64,
        "resident file pages grew by {peak} bytes"
    );
}
