//! `torclass classify --no-mmap` (read(2)) prints what the default (a memory map) prints: the
//! same records on every real capture, with one thread and two, and the same message and exit
//! status for a truncated file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/captures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/captures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no captures in {}", dir.display());
    files
}

fn classify(args: &[&str], files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torclass"))
        .arg("classify")
        .args(["--format", "jsonl", "--no-progress"])
        .args(args)
        .args(files)
        .output()
        .expect("run torclass")
}

#[test]
fn same_records_with_and_without_mmap() {
    let files = captures();
    for threads in ["1", "2"] {
        let mapped = classify(&["--threads", threads], &files);
        let streamed = classify(&["--threads", threads, "--no-mmap"], &files);
        assert!(mapped.status.success(), "{mapped:?}");
        assert_eq!(mapped.status, streamed.status);
        assert!(!mapped.stdout.is_empty());
        assert_eq!(mapped.stdout, streamed.stdout, "--threads {threads}");
        assert_eq!(mapped.stderr, streamed.stderr, "--threads {threads}");
    }
}

#[test]
fn same_error_for_a_truncated_file_with_and_without_mmap() {
    let capture = &captures()[0];
    let bytes = std::fs::read(capture).expect("read capture");
    let dir = tempfile::tempdir().expect("temp dir");
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let files = [cut];
    let mapped = classify(&[], &files);
    let streamed = classify(&["--no-mmap"], &files);
    assert_eq!(mapped.status.code(), Some(2), "{mapped:?}");
    assert_eq!(streamed.status.code(), Some(2), "{streamed:?}");
    let stderr = String::from_utf8_lossy(&mapped.stderr);
    assert!(stderr.contains("truncated packet record"), "{stderr}");
    assert_eq!(mapped.stderr, streamed.stderr);
    assert_eq!(mapped.stdout, streamed.stdout);
}
