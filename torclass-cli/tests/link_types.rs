//! `torclass classify` on a capture of a link type torclass does not read says so on stderr,
//! with one thread and two, and exits 0 (a warning: the file itself is sound).

use std::process::Command;

/// A pcap file of `link` holding one 60-byte frame.
fn pcap(link: u32) -> Vec<u8> {
    let mut f = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    for v in [0, 0, 65535, link, 1_700_000_000, 0, 60, 60] {
        f.extend_from_slice(&u32::to_le_bytes(v));
    }
    f.extend_from_slice(&[0; 60]);
    f
}

#[test]
fn unsupported_link_types_are_named_on_stderr() {
    let dir = std::env::temp_dir().join(format!("torclass-link-types-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let user0 = dir.join("user0.pcap");
    std::fs::write(&user0, pcap(147)).unwrap();
    let ppp = dir.join("ppp.pcap");
    std::fs::write(&ppp, pcap(9)).unwrap();
    for threads in ["1", "2"] {
        let out = Command::new(env!("CARGO_BIN_EXE_torclass"))
            .args([
                "classify",
                "--no-progress",
                "--summary",
                "--threads",
                threads,
            ])
            .args([&user0, &ppp])
            .output()
            .expect("run torclass");
        assert!(out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr,
            format!(
                "torclass: unsupported link type 147 in {}\n",
                user0.display()
            ),
            "--threads {threads}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
