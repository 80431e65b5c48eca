//! [`Settings`]: the blocker's flags, which are also the keys of its TOML file, and [`Config`],
//! what they resolve to. A flag given on the command line replaces the file's value; SIGHUP
//! reads the file again and applies the flags again on top.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::cidr::{Cidr, Networks};
use super::policy::{BlockRules, KnownPeers, Policy};

/// Which firewall the printed ruleset and the known-peer set are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Firewall {
    /// nftables: one `inet torclass` table, known peers in its sets.
    Nft,
    /// iptables-legacy and ip6tables-legacy in the mangle table, known peers in ipsets.
    Iptables,
}

/// NFQUEUE queue numbers `first..=last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queues {
    /// The first queue.
    pub first: u16,
    /// The last queue (equal to `first` for one queue).
    pub last: u16,
}

impl Queues {
    /// Every queue number.
    pub fn numbers(&self) -> std::ops::RangeInclusive<u16> {
        self.first..=self.last
    }
}

impl FromStr for Queues {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let err = || format!("{s}: expected a queue number (0-65535) or FIRST:LAST, e.g. 0:3");
        let (a, b) = s.split_once(':').unwrap_or((s, s));
        let first: u16 = a.trim().parse().map_err(|_| err())?;
        let last: u16 = b.trim().parse().map_err(|_| err())?;
        if last < first || last - first >= 64 {
            return Err(format!("{s}: at most 64 queues, FIRST <= LAST"));
        }
        Ok(Self { first, last })
    }
}

impl fmt::Display for Queues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}:{}", self.first, self.last)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Queues {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Spec {
            One(u16),
            Text(String),
        }
        match Spec::deserialize(d)? {
            Spec::One(n) => Ok(Self { first: n, last: n }),
            Spec::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

fn parse_mark(s: &str) -> Result<u32, String> {
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed
        .ok()
        .filter(|m| *m != 0)
        .ok_or_else(|| format!("{s}: expected a non-zero 32-bit mark, e.g. 0x70c1"))
}

/// The blocker's settings: each flag is also a key of the TOML file (`--dry-run` is
/// `dry-run = true`, repeatable flags are arrays).
#[derive(clap::Args, serde::Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Settings {
    /// NFQUEUE queue, or FIRST:LAST for several (one thread, flow table and endpoint cache
    /// each; the kernel's queue balancing keeps a connection on one queue) [default: 0]
    #[arg(long, value_name = "N|FIRST:LAST")]
    pub queue: Option<Queues>,

    /// What to block, PROTOCOL=LEVEL (comma-separated or repeated; later rules win):
    /// PROTOCOL is `all` or peer_wire, peer_wire_encrypted, utp, dht, udp_tracker,
    /// http_tracker, lsd, magnet; LEVEL is confirmed, likely or off [default: all=confirmed]
    #[arg(long, value_name = "PROTOCOL=LEVEL")]
    pub block: Vec<String>,

    /// Block nothing: log the flows that would be blocked and let them through.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub dry_run: Option<bool>,

    /// Never inspect or block a flow with either end in this network (repeatable).
    #[arg(long, value_name = "CIDR")]
    pub allow: Vec<String>,

    /// The users' networks (a VPN's address pool): a blocked flow's end inside them is logged
    /// as its `user` (repeatable) [default: the flow's initiator]
    #[arg(long, value_name = "CIDR")]
    pub users: Vec<String>,

    /// Flow table slots per queue: the most flows tracked at once [default: 65536]
    #[arg(long, value_name = "N")]
    pub flows: Option<usize>,

    /// Endpoint cache entries per queue (32 bytes each) [default: 65536]
    #[arg(long, value_name = "N")]
    pub endpoints: Option<usize>,

    /// Seconds an open TCP flow is kept without a packet [default: 300]
    #[arg(long, value_name = "SECONDS")]
    pub tcp_idle: Option<u64>,

    /// Seconds a UDP flow is kept without a packet [default: 120]
    #[arg(long, value_name = "SECONDS")]
    pub udp_idle: Option<u64>,

    /// Learned peer endpoints to put in the kernel's known-peer set, where a new connection to
    /// one is dropped at its first packet [default: flows]
    #[arg(long, value_name = "WHICH")]
    pub known_peers: Option<KnownPeers>,

    /// Endpoints with a port below this never go to the known-peer set [default: 1024]
    #[arg(long, value_name = "PORT")]
    pub known_peer_min_port: Option<u16>,

    /// Seconds a known peer stays in the kernel set [default: 1800, the endpoint cache's]
    #[arg(long, value_name = "SECONDS")]
    pub known_peer_timeout: Option<u64>,

    /// The firewall: `nft` (nftables) or `iptables` (iptables-legacy with ipset), for
    /// --print-ruleset and the known-peer set [default: nft]
    #[arg(long, value_name = "KIND")]
    pub firewall: Option<Firewall>,

    /// Fail closed: the kernel drops packets while the daemon is down or its queue is full
    /// (the printed ruleset has no queue bypass) [default: fail open]
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub fail_closed: Option<bool>,

    /// Packets of a connection (both directions) that reach the daemon before the kernel
    /// stops queueing it (ruleset) [default: 32]
    #[arg(long, value_name = "N")]
    pub inspect_packets: Option<u32>,

    /// After those, one UDP packet in N still reaches the daemon (UDP is never given up for
    /// good); 0 for none (ruleset) [default: 16]
    #[arg(long, value_name = "N")]
    pub udp_sample: Option<u32>,

    /// Connection mark of decided connections the kernel lets through [default: 0x70c0]
    #[arg(long, value_name = "MARK", value_parser = parse_mark)]
    pub mark_accept: Option<u32>,

    /// Connection mark of blocked connections the kernel drops [default: 0x70c1]
    #[arg(long, value_name = "MARK", value_parser = parse_mark)]
    pub mark_drop: Option<u32>,

    /// Serve Prometheus counters on this address (`off` for none) [default: 127.0.0.1:9877]
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,
}

/// What the settings resolve to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The queues served.
    pub queues: Queues,
    /// The policy (reloaded on SIGHUP).
    pub policy: Policy,
    /// Flow table slots per queue.
    pub flows: usize,
    /// Endpoint cache entries per queue.
    pub endpoints: usize,
    /// Idle timeouts, seconds.
    pub tcp_idle: u64,
    /// Idle timeout of UDP flows, seconds.
    pub udp_idle: u64,
    /// Seconds a known peer stays in the kernel set.
    pub known_peer_timeout: u64,
    /// The firewall.
    pub firewall: Firewall,
    /// No queue bypass, no fail-open.
    pub fail_closed: bool,
    /// Packets queued per connection.
    pub inspect_packets: u32,
    /// One UDP packet in N queued after those (0: none).
    pub udp_sample: u32,
    /// Connection mark of accepted connections.
    pub mark_accept: u32,
    /// Connection mark of blocked connections.
    pub mark_drop: u32,
    /// Metrics address.
    pub metrics: Option<SocketAddr>,
}

/// A setting that does not make sense, or a file that cannot be read.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Settings {
    /// The settings of the TOML file at `path`.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))
    }

    /// The settings of a TOML document.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// `self` with every setting `over` gives replacing ours.
    pub fn overridden_by(self, over: &Settings) -> Settings {
        fn list(ours: Vec<String>, theirs: &[String]) -> Vec<String> {
            if theirs.is_empty() {
                ours
            } else {
                theirs.to_vec()
            }
        }
        Settings {
            queue: over.queue.or(self.queue),
            block: list(self.block, &over.block),
            dry_run: over.dry_run.or(self.dry_run),
            allow: list(self.allow, &over.allow),
            users: list(self.users, &over.users),
            flows: over.flows.or(self.flows),
            endpoints: over.endpoints.or(self.endpoints),
            tcp_idle: over.tcp_idle.or(self.tcp_idle),
            udp_idle: over.udp_idle.or(self.udp_idle),
            known_peers: over.known_peers.or(self.known_peers),
            known_peer_min_port: over.known_peer_min_port.or(self.known_peer_min_port),
            known_peer_timeout: over.known_peer_timeout.or(self.known_peer_timeout),
            firewall: over.firewall.or(self.firewall),
            fail_closed: over.fail_closed.or(self.fail_closed),
            inspect_packets: over.inspect_packets.or(self.inspect_packets),
            udp_sample: over.udp_sample.or(self.udp_sample),
            mark_accept: over.mark_accept.or(self.mark_accept),
            mark_drop: over.mark_drop.or(self.mark_drop),
            metrics: over.metrics.clone().or(self.metrics),
        }
    }

    /// The configuration these settings give, defaults filled in.
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        let nets = |list: &[String]| -> Result<Networks, ConfigError> {
            list.iter()
                .flat_map(|s| s.split(','))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<Cidr>().map_err(|e| ConfigError(e.to_string())))
                .collect::<Result<Vec<_>, _>>()
                .map(Networks::new)
        };
        let rules = BlockRules::parse(&self.block).map_err(|e| ConfigError(e.to_string()))?;
        let defaults = Policy::default();
        let policy = Policy {
            rules,
            dry_run: self.dry_run.unwrap_or(false),
            allow: nets(&self.allow)?,
            users: nets(&self.users)?,
            known_peers: self.known_peers.unwrap_or(defaults.known_peers),
            known_peer_min_port: self
                .known_peer_min_port
                .unwrap_or(defaults.known_peer_min_port),
        };
        let metrics =
            match self.metrics.as_deref().map(str::trim) {
                Some("off" | "") => None,
                Some(addr) => Some(addr.parse().map_err(|_| {
                    ConfigError(format!("metrics: {addr}: expected IP:PORT or off"))
                })?),
                None => Some(SocketAddr::from(([127, 0, 0, 1], 9877))),
            };
        let config = Config {
            queues: self.queue.unwrap_or(Queues { first: 0, last: 0 }),
            policy,
            flows: self.flows.unwrap_or(1 << 16),
            endpoints: self.endpoints.unwrap_or(1 << 16),
            tcp_idle: self.tcp_idle.unwrap_or(300),
            udp_idle: self.udp_idle.unwrap_or(120),
            known_peer_timeout: self.known_peer_timeout.unwrap_or(1800),
            firewall: self.firewall.unwrap_or(Firewall::Nft),
            fail_closed: self.fail_closed.unwrap_or(false),
            inspect_packets: self.inspect_packets.unwrap_or(32),
            udp_sample: self.udp_sample.unwrap_or(16),
            mark_accept: self.mark_accept.unwrap_or(0x70c0),
            mark_drop: self.mark_drop.unwrap_or(0x70c1),
            metrics,
        };
        if config.flows == 0 {
            return Err(ConfigError("flows: must be at least 1".into()));
        }
        if config.mark_accept == config.mark_drop {
            return Err(ConfigError("mark-accept and mark-drop must differ".into()));
        }
        if config.inspect_packets == 0 {
            return Err(ConfigError("inspect-packets: must be at least 1".into()));
        }
        Ok(config)
    }
}

/// Where the settings come from: the file (if any) under the command line's flags.
#[derive(Clone, Debug)]
pub struct Source {
    /// The TOML file.
    pub file: Option<PathBuf>,
    /// The flags given on the command line.
    pub flags: Settings,
}

impl Source {
    /// Read the file (again) and resolve.
    pub fn load(&self) -> Result<Config, ConfigError> {
        let base = match &self.file {
            Some(path) => Settings::from_file(path)?,
            None => Settings::default(),
        };
        base.overridden_by(&self.flags).resolve()
    }
}

impl Config {
    /// The settings a running daemon cannot change without a restart, named, when `new`
    /// changes them.
    pub fn restart_needed(&self, new: &Config) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let mut check = |changed: bool, key| {
            if changed {
                keys.push(key);
            }
        };
        check(self.queues != new.queues, "queue");
        check(self.flows != new.flows, "flows");
        check(self.endpoints != new.endpoints, "endpoints");
        check(self.tcp_idle != new.tcp_idle, "tcp-idle");
        check(self.udp_idle != new.udp_idle, "udp-idle");
        check(self.firewall != new.firewall, "firewall");
        check(self.fail_closed != new.fail_closed, "fail-closed");
        check(self.mark_accept != new.mark_accept, "mark-accept");
        check(self.mark_drop != new.mark_drop, "mark-drop");
        check(self.metrics != new.metrics, "metrics");
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use torclass_core::{Confidence, Protocol};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn flags(args: &[&str]) -> Settings {
        Cli::parse_from(std::iter::once("block").chain(args.iter().copied())).settings
    }

    #[test]
    fn defaults() {
        let c = Settings::default().resolve().unwrap();
        assert_eq!(c.queues, Queues { first: 0, last: 0 });
        assert_eq!(c.policy, Policy::default());
        assert_eq!(c.firewall, Firewall::Nft);
        assert!(!c.fail_closed);
        assert_eq!(c.metrics, Some("127.0.0.1:9877".parse().unwrap()));
    }

    #[test]
    fn file_keys_are_the_flags() {
        let file = Settings::from_toml(
            r#"
            queue = "2:5"
            block = ["all=confirmed", "dht=likely"]
            dry-run = true
            allow = ["192.0.2.0/24"]
            users = ["10.8.0.0/16"]
            flows = 1000
            known-peers = "all"
            known-peer-min-port = 2000
            firewall = "iptables"
            fail-closed = true
            inspect-packets = 20
            udp-sample = 0
            mark-accept = 0x10
            mark-drop = 0x11
            metrics = "off"
            "#,
        )
        .unwrap();
        let from_flags = flags(&[
            "--queue",
            "2:5",
            "--block",
            "all=confirmed",
            "--block",
            "dht=likely",
            "--dry-run",
            "--allow",
            "192.0.2.0/24",
            "--users",
            "10.8.0.0/16",
            "--flows",
            "1000",
            "--known-peers",
            "all",
            "--known-peer-min-port",
            "2000",
            "--firewall",
            "iptables",
            "--fail-closed",
            "--inspect-packets",
            "20",
            "--udp-sample",
            "0",
            "--mark-accept",
            "0x10",
            "--mark-drop",
            "17",
            "--metrics",
            "off",
        ]);
        let a = file.resolve().unwrap();
        assert_eq!(a, from_flags.resolve().unwrap());
        assert_eq!(a.queues, Queues { first: 2, last: 5 });
        assert!(a.policy.dry_run);
        assert!(a.policy.rules.blocks(&torclass_core::Detection::new(
            Protocol::Dht,
            Confidence::Likely,
            torclass_core::Evidence::NONE
        )));
        assert_eq!(a.mark_drop, 0x11);
        assert_eq!(a.metrics, None);
    }

    #[test]
    fn flags_replace_file_values() {
        let file =
            Settings::from_toml("dry-run = true\nallow = [\"192.0.2.0/24\"]\nqueue = 3").unwrap();
        let merged = file.overridden_by(&flags(&["--dry-run=false", "--queue", "1"]));
        let c = merged.resolve().unwrap();
        assert!(!c.policy.dry_run);
        assert_eq!(c.queues, Queues { first: 1, last: 1 });
        assert!(c.policy.allow.contains("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn errors_name_the_setting() {
        assert!(
            Settings::from_toml("dry_run = true").is_err(),
            "unknown key"
        );
        assert!(Settings::from_toml("queue = \"3:1\"").is_err());
        let bad = |args: &[&str]| flags(args).resolve().unwrap_err().to_string();
        assert!(bad(&["--allow", "10.0.0.1/8"]).contains("10.0.0.1/8"));
        assert!(bad(&["--block", "dht=sometimes"]).contains("PROTOCOL=LEVEL"));
        assert!(bad(&["--metrics", "localhost"]).contains("metrics"));
        assert!(bad(&["--mark-accept", "5", "--mark-drop", "5"]).contains("differ"));
    }

    #[test]
    fn the_shipped_file_is_the_defaults_for_a_vpn() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dist/block.toml");
        let shipped = Settings::from_file(&path).unwrap().resolve().unwrap();
        let defaults = flags(&["--users", "10.8.0.0/16"]).resolve().unwrap();
        assert_eq!(shipped, defaults, "dist/block.toml states the defaults");
    }

    #[test]
    fn restart_keys() {
        let a = Settings::default().resolve().unwrap();
        let b = flags(&["--dry-run", "--queue", "1"]).resolve().unwrap();
        assert_eq!(a.restart_needed(&b), vec!["queue"]);
    }
}
