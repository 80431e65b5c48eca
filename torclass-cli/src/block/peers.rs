//! Known peers into the kernel: the endpoints the queues learned, written to the nftables sets
//! (`nft -f -`) or ipsets (`ipset -exist restore`) of the printed ruleset, with timeouts, so
//! that a new connection to one is dropped at its first packet without reaching user space.
//! One batch per second at most; each endpoint goes in for TCP and for UDP (peers take uTP on
//! their TCP port).

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use super::config::Firewall;
use super::engine::KnownPeer;
use super::metrics::Metrics;
use super::ruleset::{IPSET4, IPSET6, NFT_SET4, NFT_SET6, NFT_TABLE};

/// The commands that add `peers` to the sets of `firewall`, as its batch tool reads them.
pub fn commands(firewall: Firewall, peers: &[KnownPeer]) -> String {
    let mut out = String::new();
    for p in peers {
        for proto in ["tcp", "udp"] {
            let (ip, port, t) = (p.endpoint.ip(), p.endpoint.port(), p.timeout_s);
            let line = match (firewall, p.endpoint) {
                (Firewall::Nft, SocketAddr::V4(_)) => {
                    format!("add element {NFT_TABLE} {NFT_SET4} {{ {ip} . {proto} . {port} timeout {t}s }}\n")
                }
                (Firewall::Nft, SocketAddr::V6(_)) => {
                    format!("add element {NFT_TABLE} {NFT_SET6} {{ {ip} . {proto} . {port} timeout {t}s }}\n")
                }
                (Firewall::Iptables, SocketAddr::V4(_)) => {
                    format!("add {IPSET4} {ip},{proto}:{port} timeout {t}\n")
                }
                (Firewall::Iptables, SocketAddr::V6(_)) => {
                    format!("add {IPSET6} {ip},{proto}:{port} timeout {t}\n")
                }
            };
            out.push_str(&line);
        }
    }
    out
}

/// Empty the known-peer sets (when a reload turns on `--dry-run` or turns known peers off:
/// nothing may stay blocked by them).
pub fn flush(firewall: Firewall) -> Result<(), String> {
    let commands = match firewall {
        Firewall::Nft => {
            format!("flush set {NFT_TABLE} {NFT_SET4}\nflush set {NFT_TABLE} {NFT_SET6}\n")
        }
        Firewall::Iptables => format!("flush {IPSET4}\nflush {IPSET6}\n"),
    };
    apply(firewall, &commands)
}

/// Run the batch tool of `firewall` on `commands`.
fn apply(firewall: Firewall, commands: &str) -> Result<(), String> {
    let mut cmd = match firewall {
        Firewall::Nft => {
            let mut c = Command::new("nft");
            c.args(["-f", "-"]);
            c
        }
        Firewall::Iptables => {
            let mut c = Command::new("ipset");
            c.args(["-exist", "restore"]);
            c
        }
    };
    let name = format!("{:?}", cmd.get_program());
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{name}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(commands.as_bytes())
            .map_err(|e| format!("{name}: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{name}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{name}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Write the peers the queues send to the kernel set until every sender is gone.
pub fn export(firewall: Firewall, rx: Receiver<Vec<KnownPeer>>, metrics: Arc<Metrics>) {
    let mut errors = 0u64;
    loop {
        let mut batch = match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(b) => b,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        while let Ok(more) = rx.try_recv() {
            batch.extend(more);
        }
        if batch.is_empty() {
            continue;
        }
        match apply(firewall, &commands(firewall, &batch)) {
            Ok(()) => {
                metrics
                    .peers_exported
                    .fetch_add(batch.len() as u64, Relaxed);
            }
            Err(e) => {
                metrics.peer_errors.fetch_add(1, Relaxed);
                if errors.is_power_of_two() || errors == 0 {
                    eprintln!(
                        "torclass: known peers not written to the kernel set ({} errors): {e}",
                        errors + 1
                    );
                }
                errors += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_commands() {
        let peers = [
            KnownPeer {
                endpoint: "192.0.2.7:6881".parse().unwrap(),
                timeout_s: 60,
            },
            KnownPeer {
                endpoint: "[2001:db8::7]:51413".parse().unwrap(),
                timeout_s: 5,
            },
        ];
        assert_eq!(
            commands(Firewall::Nft, &peers),
            "add element inet torclass peers4 { 192.0.2.7 . tcp . 6881 timeout 60s }\n\
             add element inet torclass peers4 { 192.0.2.7 . udp . 6881 timeout 60s }\n\
             add element inet torclass peers6 { 2001:db8::7 . tcp . 51413 timeout 5s }\n\
             add element inet torclass peers6 { 2001:db8::7 . udp . 51413 timeout 5s }\n"
        );
        assert_eq!(
            commands(Firewall::Iptables, &peers[..1]),
            "add torclass-peers4 192.0.2.7,tcp:6881 timeout 60\nadd torclass-peers4 192.0.2.7,udp:6881 timeout 60\n"
        );
    }
}
