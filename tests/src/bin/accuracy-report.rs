//! Writes the accuracy report: torclass over every labelled capture.
//!
//! ```text
//! accuracy-report [--captures DIR] [--out FILE]
//! ```
//!
//! Defaults: the committed captures (`tests/captures`) and `docs/accuracy.md`. `--out -`
//! prints to standard output. A matrix regenerated with `make-captures.sh --matrix --out DIR`
//! is reported with `--captures DIR`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut captures = torclass_tests::captures_dir();
    let mut out = root.join("../docs/accuracy.md");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--captures" | "--out" => match args.next() {
                Some(v) => PathBuf::from(v),
                None => {
                    eprintln!("accuracy-report: {arg} needs a value");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("usage: accuracy-report [--captures DIR] [--out FILE|-]");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("accuracy-report: unknown argument {other}");
                return ExitCode::from(2);
            }
        };
        if arg == "--captures" {
            captures = value;
        } else {
            out = value;
        }
    }
    if !captures.is_dir() {
        eprintln!("accuracy-report: {} is not a directory", captures.display());
        return ExitCode::from(2);
    }
    let name = if captures == torclass_tests::captures_dir() {
        "tests/captures".to_string()
    } else {
        captures.display().to_string()
    };
    let text = torclass_tests::report::markdown(&captures, &name);
    if out == Path::new("-") {
        print!("{text}");
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::write(&out, text) {
        eprintln!("accuracy-report: cannot write {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    eprintln!("accuracy-report: wrote {}", out.display());
    ExitCode::SUCCESS
}
