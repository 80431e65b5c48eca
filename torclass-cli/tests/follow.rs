//! `torclass classify --follow`: a capture read as it grows gives the flows `classify FILE`
//! gives, and SIGTERM ends the run with a summary.

#![cfg(feature = "live")]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/captures")
        .join(name)
}

fn flows(jsonl: &str) -> Vec<String> {
    let mut v: Vec<String> = jsonl
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            format!(
                "{} {}:{} {}:{} {} {}",
                r["l4"], r["src"], r["sport"], r["dst"], r["dport"], r["verdict"], r["protocol"]
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn follow_reads_a_growing_capture_until_sigterm() {
    let src = std::fs::read(capture("tcp-plain.pcap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("growing.pcap");
    // The first half now, the rest while torclass follows.
    let half = src.len() / 2;
    std::fs::write(&path, &src[..half]).unwrap();
    let bin = env!("CARGO_BIN_EXE_torclass");
    let mut child = Command::new(bin)
        .args(["classify", "--follow"])
        .arg(&path)
        .args(["--format", "jsonl", "--emit", "ended"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&src[half..])
        .unwrap();
    // Let it read the rest, then stop it as an operator would.
    std::thread::sleep(Duration::from_millis(1500));
    let t0 = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "SIGTERM took {:?}",
        t0.elapsed()
    );
    assert!(status.success(), "{status}");
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("total"), "no summary on stderr: {err}");
    let whole = Command::new(bin)
        .arg("classify")
        .arg(capture("tcp-plain.pcap"))
        .args(["--format", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(
        flows(&out),
        flows(&String::from_utf8(whole.stdout).unwrap())
    );
}
