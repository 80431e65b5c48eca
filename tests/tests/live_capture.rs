//! Real clients, regenerated now: runs the capture lab (network namespaces, real BitTorrent
//! clients from Debian, tcpdump) for a few scenarios into a temporary directory and checks
//! torclass against the fresh labels. Needs root; outside CI it skips with a loud reason, in CI
//! (CI=true) it fails if it cannot run.

use std::path::Path;
use std::process::Command;

/// Scenarios regenerated here: plaintext TCP peer wire with an HTTP tracker, the DHT with a
/// magnet link (uTP + KRPC + ut_metadata), peer wire, uTP and HTTP inside VXLAN, and the two
/// negative scenarios with the most look-alikes (DNS to UDP 443, TLS with a long chain, magnet
/// links in a page, a mail and IRC, a file that begins with a handshake, random bytes;
/// Shadowsocks, obfs4, OpenVPN, SIP, TURN). One run of the lab, about two and a half minutes.
const SCENARIOS: &[&str] = &[
    "tcp-plain",
    "dht-magnet",
    "tunnel-vxlan",
    "negative-services",
    "negative-tunnels",
];

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn freshly_captured_real_clients_are_classified_right() {
    if !is_root() {
        assert!(!in_ci(), "live capture test needs root in CI");
        eprintln!(
            "\n*** SKIPPED live_capture: needs root (network namespaces, real clients) ***\n"
        );
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("torclass-live-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("temp dir");
    let status = Command::new("bash")
        .arg(root.join("captures/make-captures.sh"))
        .arg("--out")
        .arg(&out)
        .args(SCENARIOS)
        .status()
        .expect("run make-captures.sh");
    assert!(status.success(), "the capture lab failed: {status}");
    let mut failures = Vec::new();
    for scenario in SCENARIOS {
        let pcap = out.join(format!("{scenario}.pcap"));
        let (outcomes, unlabelled) = torclass_tests::compare(&pcap);
        assert!(!outcomes.is_empty(), "{scenario}: no labelled flows");
        for o in outcomes {
            let real = o.label.payload || o.record.as_ref().is_some_and(|r| r.bytes > 0);
            if real && !o.correct() && o.label.label != "peer_wire_encrypted" {
                failures.push(format!(
                    "{scenario}: {} labelled {} got {:?}",
                    o.label.program,
                    o.label.label,
                    o.record.map(|r| r.verdict)
                ));
            }
        }
        for r in unlabelled {
            failures.push(format!(
                "{scenario}: unlabelled flow {}:{} -> {}:{}",
                r.src, r.sport, r.dst, r.dport
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
