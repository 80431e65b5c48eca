//! Writes every adversarial-corpus case as a pcap file (Ethernet, microsecond timestamps),
//! for the CLI, tshark or another classifier.
//!
//! ```text
//! corpus-pcaps DIR
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: corpus-pcaps DIR");
        return ExitCode::from(2);
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("corpus-pcaps: cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let cases = torclass_tests::corpus::all();
    for case in &cases {
        let path = dir.join(format!("{}.pcap", case.name));
        let bytes = torclass_tests::corpus::packet::pcap_bytes(&case.trace);
        if let Err(e) = std::fs::write(&path, bytes) {
            eprintln!("corpus-pcaps: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    eprintln!(
        "corpus-pcaps: wrote {} pcaps to {}",
        cases.len(),
        dir.display()
    );
    ExitCode::SUCCESS
}
