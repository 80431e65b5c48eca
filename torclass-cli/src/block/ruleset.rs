//! The firewall rules `torclass block` expects, printed by `--print-ruleset` for nftables or
//! for iptables-legacy with ipset. Both do the same, in this order, for forwarded packets:
//!
//! 1. a connection with the drop mark is dropped, one with the accept mark let through (the
//!    fast path: decided connections never reach user space again);
//! 2. a packet the daemon sent back (`NF_REPEAT`) with one of the marks has it saved to its
//!    connection, and is dropped or let through;
//! 3. the first packet of a new connection to a known peer (the sets the daemon fills) is
//!    dropped;
//! 4. a TCP connection past its first `inspect-packets` packets (both directions) is let
//!    through; a UDP one too, except one packet in `udp-sample` (UDP is never given up for
//!    good);
//! 5. everything else TCP or UDP goes to the queues, with the queue bypass (fail open) unless
//!    `fail-closed`.
//!
//! The iptables form uses the mangle table, so the operator's filter rules still apply to
//! every packet the daemon accepts.

use std::fmt::Write as _;

use super::config::{Config, Firewall};

/// The nftables table.
pub const NFT_TABLE: &str = "inet torclass";
/// The nftables set of known IPv4 peers.
pub const NFT_SET4: &str = "peers4";
/// The nftables set of known IPv6 peers.
pub const NFT_SET6: &str = "peers6";
/// The ipset of known IPv4 peers.
pub const IPSET4: &str = "torclass-peers4";
/// The ipset of known IPv6 peers.
pub const IPSET6: &str = "torclass-peers6";
/// Entries of each known-peer set.
const SET_SIZE: u32 = 262_144;

/// The ruleset for `config.firewall`.
pub fn render(config: &Config) -> String {
    match config.firewall {
        Firewall::Nft => nft(config),
        Firewall::Iptables => iptables(config),
    }
}

fn header(config: &Config, out: &mut String) {
    let _ = writeln!(
        out,
        "# torclass block: queues {}, the first {} packets of each connection inspected, then \
         one UDP packet in {}; {}.",
        config.queues,
        config.inspect_packets,
        config.udp_sample,
        if config.fail_closed {
            "fail closed: traffic stops while the daemon is down"
        } else {
            "fail open: traffic flows while the daemon is down"
        }
    );
    let _ = writeln!(
        out,
        "# Marks: 0x{:x} decided (let through), 0x{:x} blocked (dropped); they must not clash \
         with marks of your own.",
        config.mark_accept, config.mark_drop
    );
}

/// The nftables ruleset (`nft -f FILE`; loading it again replaces it).
pub fn nft(config: &Config) -> String {
    let (a, d) = (config.mark_accept, config.mark_drop);
    let mut out = String::new();
    header(config, &mut out);
    out.push_str(
        "# Needs connection accounting for `ct packets`: sysctl -w net.netfilter.nf_conntrack_acct=1\n\
         # (and the same line in /etc/sysctl.d/ to keep it). Remove with: nft delete table inet torclass\n",
    );
    let _ = writeln!(
        out,
        "table {NFT_TABLE}\ndelete table {NFT_TABLE}\ntable {NFT_TABLE} {{"
    );
    for (set, ty) in [(NFT_SET4, "ipv4_addr"), (NFT_SET6, "ipv6_addr")] {
        let _ = writeln!(
            out,
            "    set {set} {{\n        type {ty} . inet_proto . inet_service\n        flags timeout\n        size {SET_SIZE}\n    }}"
        );
    }
    let queue = if config.queues.first == config.queues.last {
        config.queues.first.to_string()
    } else {
        format!("{}-{}", config.queues.first, config.queues.last)
    };
    let bypass = if config.fail_closed { "" } else { " bypass" };
    let n = config.inspect_packets;
    let _ = writeln!(out, "    chain forward {{");
    let _ = writeln!(
        out,
        "        type filter hook forward priority filter - 10; policy accept;"
    );
    let _ = writeln!(out, "        ct mark 0x{d:x} drop");
    let _ = writeln!(out, "        ct mark 0x{a:x} accept");
    let _ = writeln!(out, "        meta mark 0x{d:x} ct mark set 0x{d:x} drop");
    let _ = writeln!(out, "        meta mark 0x{a:x} ct mark set 0x{a:x} accept");
    let _ = writeln!(out, "        meta l4proto != {{ tcp, udp }} accept");
    let _ = writeln!(
        out,
        "        ct state new ip daddr . meta l4proto . th dport @{NFT_SET4} drop"
    );
    let _ = writeln!(
        out,
        "        ct state new ip6 daddr . meta l4proto . th dport @{NFT_SET6} drop"
    );
    let _ = writeln!(out, "        meta l4proto tcp ct packets > {n} accept");
    if config.udp_sample > 1 {
        let _ = writeln!(
            out,
            "        meta l4proto udp ct packets > {n} numgen random mod {} != 0 accept",
            config.udp_sample
        );
    } else if config.udp_sample == 0 {
        let _ = writeln!(out, "        meta l4proto udp ct packets > {n} accept");
    }
    let _ = writeln!(out, "        queue num {queue}{bypass}");
    out.push_str("    }\n}\n");
    out
}

/// The iptables-legacy ruleset: a shell script (run it again to replace it).
pub fn iptables(config: &Config) -> String {
    let (a, d) = (config.mark_accept, config.mark_drop);
    let mut out = String::from("#!/bin/sh\n");
    header(config, &mut out);
    out.push_str(
        "# iptables-legacy and ip6tables-legacy, mangle table, known peers in ipsets (the\n\
         # ipset package). iptables-nft works too. Remove with:\n\
         #   for t in iptables-legacy ip6tables-legacy; do $t -t mangle -D FORWARD -j TORCLASS;\n\
         #     $t -t mangle -F TORCLASS; $t -t mangle -X TORCLASS; done; ipset destroy torclass-peers4;\n\
         #   ipset destroy torclass-peers6\nset -e\n",
    );
    let _ = writeln!(
        out,
        "ipset -exist create {IPSET4} hash:ip,port family inet timeout 1800 maxelem {SET_SIZE}"
    );
    let _ = writeln!(
        out,
        "ipset -exist create {IPSET6} hash:ip,port family inet6 timeout 1800 maxelem {SET_SIZE}"
    );
    let queue = if config.queues.first == config.queues.last {
        format!("--queue-num {}", config.queues.first)
    } else {
        format!(
            "--queue-balance {}:{}",
            config.queues.first, config.queues.last
        )
    };
    let bypass = if config.fail_closed {
        ""
    } else {
        " --queue-bypass"
    };
    let first_uninspected = u64::from(config.inspect_packets) + 1;
    let past = format!("-m connbytes --connbytes {first_uninspected}: --connbytes-dir both --connbytes-mode packets");
    for (ipt, set) in [("iptables-legacy", IPSET4), ("ip6tables-legacy", IPSET6)] {
        let r = format!("{ipt} -t mangle -A TORCLASS");
        let _ = writeln!(
            out,
            "{ipt} -t mangle -N TORCLASS 2>/dev/null || {ipt} -t mangle -F TORCLASS"
        );
        let _ = writeln!(out, "{ipt} -t mangle -C FORWARD -j TORCLASS 2>/dev/null || {ipt} -t mangle -I FORWARD -j TORCLASS");
        let _ = writeln!(out, "{r} -m connmark --mark 0x{d:x} -j DROP");
        let _ = writeln!(out, "{r} -m connmark --mark 0x{a:x} -j RETURN");
        let _ = writeln!(
            out,
            "{r} -m mark --mark 0x{d:x} -j CONNMARK --set-mark 0x{d:x}"
        );
        let _ = writeln!(out, "{r} -m mark --mark 0x{d:x} -j DROP");
        let _ = writeln!(
            out,
            "{r} -m mark --mark 0x{a:x} -j CONNMARK --set-mark 0x{a:x}"
        );
        let _ = writeln!(out, "{r} -m mark --mark 0x{a:x} -j RETURN");
        for proto in ["tcp", "udp"] {
            let _ = writeln!(out, "{r} -p {proto} -m conntrack --ctstate NEW -m set --match-set {set} dst,dst -j DROP");
        }
        let _ = writeln!(out, "{r} -p tcp {past} -j RETURN");
        match config.udp_sample {
            0 => {
                let _ = writeln!(out, "{r} -p udp {past} -j RETURN");
            }
            1 => {}
            n => {
                let keep = 1.0 - 1.0 / f64::from(n);
                let _ = writeln!(out, "{r} -p udp {past} -m statistic --mode random --probability {keep:.6} -j RETURN");
            }
        }
        for proto in ["tcp", "udp"] {
            let _ = writeln!(out, "{r} -p {proto} -j NFQUEUE {queue}{bypass}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::config::Settings;

    fn config(toml: &str) -> Config {
        Settings::from_toml(toml).unwrap().resolve().unwrap()
    }

    #[test]
    fn nft_default() {
        let text = nft(&config(""));
        assert!(text.contains("queue num 0 bypass\n"));
        assert!(text.contains("meta l4proto tcp ct packets > 32 accept\n"));
        assert!(
            text.contains("meta l4proto udp ct packets > 32 numgen random mod 16 != 0 accept\n")
        );
        assert!(text.contains("ct mark 0x70c1 drop\n        ct mark 0x70c0 accept\n"));
        assert!(text.contains("ct state new ip daddr . meta l4proto . th dport @peers4 drop\n"));
    }

    #[test]
    fn nft_queues_and_fail_closed() {
        let text = nft(&config(
            "queue = \"2:5\"\nfail-closed = true\nudp-sample = 0\ninspect-packets = 8",
        ));
        assert!(text.contains("queue num 2-5\n"));
        assert!(text.contains("meta l4proto udp ct packets > 8 accept\n"));
        assert!(text.contains("fail closed"));
    }

    #[test]
    fn iptables_default() {
        let text = iptables(&config("queue = \"0:3\""));
        assert!(text.starts_with("#!/bin/sh\n"));
        assert!(text.contains("iptables-legacy -t mangle -A TORCLASS -p tcp -j NFQUEUE --queue-balance 0:3 --queue-bypass\n"));
        assert!(text.contains("ip6tables-legacy -t mangle -A TORCLASS -p udp -m conntrack --ctstate NEW -m set --match-set torclass-peers6 dst,dst -j DROP\n"));
        assert!(text.contains("-p tcp -m connbytes --connbytes 33: --connbytes-dir both --connbytes-mode packets -j RETURN\n"));
        assert!(text.contains("-m statistic --mode random --probability 0.937500 -j RETURN\n"));
        let closed = iptables(&config("fail-closed = true"));
        assert!(!closed.contains("--queue-bypass"));
        assert!(closed.contains("NFQUEUE --queue-num 0\n"));
    }
}
