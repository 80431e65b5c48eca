//! [`Policy`]: what the blocker acts on — a confidence level per protocol, the networks it never
//! touches, and whether it only logs.

use std::fmt;
use std::net::IpAddr;

use torclass_core::{Confidence, Detection, Protocol};

use super::cidr::Networks;

/// The least confidence at which a protocol is blocked, or never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Never blocked.
    Off,
    /// Blocked at this confidence or above.
    At(Confidence),
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::At(c) => c.name(),
        }
    }
}

/// Why a `--block` rule did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError(String);

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Protocol::ALL.iter().map(|p| p.name()).collect();
        write!(
            f,
            "{}: expected PROTOCOL=LEVEL with PROTOCOL `all` or one of {} and LEVEL \
             `confirmed`, `likely` or `off`",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for RuleError {}

/// Protocol × confidence: the level each protocol is blocked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockRules([Level; Protocol::ALL.len()]);

impl Default for BlockRules {
    /// `all=confirmed`: what an operator may block on (design: "Confidence is a contract").
    fn default() -> Self {
        Self([Level::At(Confidence::Confirmed); Protocol::ALL.len()])
    }
}

impl BlockRules {
    /// The default, changed by `rules` in order (`all=LEVEL` sets every protocol, a later rule
    /// wins).
    pub fn parse<S: AsRef<str>>(rules: &[S]) -> Result<Self, RuleError> {
        let mut out = Self::default();
        for rule in rules.iter().flat_map(|r| r.as_ref().split(',')) {
            let rule = rule.trim();
            if rule.is_empty() {
                continue;
            }
            let err = || RuleError(rule.to_string());
            let (name, level) = rule.split_once('=').ok_or_else(err)?;
            let level = match level.trim() {
                "off" => Level::Off,
                "likely" => Level::At(Confidence::Likely),
                "confirmed" => Level::At(Confidence::Confirmed),
                _ => return Err(err()),
            };
            match name.trim() {
                "all" => out.0 = [level; Protocol::ALL.len()],
                name => {
                    let p = Protocol::from_name(name).ok_or_else(err)?;
                    *out.slot(p) = level;
                }
            }
        }
        Ok(out)
    }

    fn slot(&mut self, p: Protocol) -> &mut Level {
        let i = Protocol::ALL.iter().position(|q| *q == p).unwrap_or(0);
        &mut self.0[i]
    }

    /// The level `p` is blocked at.
    pub fn level(&self, p: Protocol) -> Level {
        Protocol::ALL
            .iter()
            .position(|q| *q == p)
            .and_then(|i| self.0.get(i).copied())
            .unwrap_or(Level::Off)
    }

    /// True when a flow with this detection is blocked.
    pub fn blocks(&self, d: &Detection) -> bool {
        match self.level(d.protocol) {
            Level::Off => false,
            Level::At(c) => d.confidence >= c,
        }
    }
}

impl fmt::Display for BlockRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in Protocol::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}={}", p.name(), self.level(*p).name())?;
        }
        Ok(())
    }
}

/// Which learned peer endpoints go to the kernel's known-peer set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KnownPeers {
    /// None: every connection reaches the queue.
    Off,
    /// Endpoints seen speaking BitTorrent in a flow the blocker blocked (a peer wire, uTP or
    /// DHT flow). Safe: a hostile tracker or PEX message cannot name them.
    Flows,
    /// Also endpoints named by trackers, PEX, the DHT and LSD. Catches the first encrypted
    /// connection to a peer, but anyone who can send such a message can have a service's
    /// address:port blocked for every user until the entry times out.
    All,
}

/// What the blocker acts on; swapped whole on SIGHUP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Protocol × confidence.
    pub rules: BlockRules,
    /// Log what would be blocked, block nothing.
    pub dry_run: bool,
    /// Flows with either end in these networks are never inspected or blocked.
    pub allow: Networks,
    /// The networks of the users (a VPN's address pool): a blocked flow's end inside them is
    /// logged as its `user`.
    pub users: Networks,
    /// Learned endpoints exported to the kernel set.
    pub known_peers: KnownPeers,
    /// Endpoints with a lower port are never exported (services live there).
    pub known_peer_min_port: u16,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            rules: BlockRules::default(),
            dry_run: false,
            allow: Networks::default(),
            users: Networks::default(),
            known_peers: KnownPeers::Flows,
            known_peer_min_port: 1024,
        }
    }
}

impl Policy {
    /// True when a flow between `a` and `b` is allow-listed.
    pub fn allowed(&self, a: IpAddr, b: IpAddr) -> bool {
        self.allow.contains(a) || self.allow.contains(b)
    }

    /// The user of a flow from `src` to `dst`: the end inside the user networks, else `src`.
    pub fn user(&self, src: IpAddr, dst: IpAddr) -> IpAddr {
        if !self.users.contains(src) && self.users.contains(dst) {
            dst
        } else {
            src
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use torclass_core::Evidence;

    fn d(protocol: Protocol, confidence: Confidence) -> Detection {
        Detection::new(protocol, confidence, Evidence::NONE)
    }

    #[test]
    fn default_blocks_confirmed_only() {
        let r = BlockRules::default();
        for p in Protocol::ALL {
            assert!(r.blocks(&d(p, Confidence::Confirmed)));
            assert!(!r.blocks(&d(p, Confidence::Likely)));
        }
    }

    #[test]
    fn rules_apply_in_order() {
        let r = BlockRules::parse(&["all=off", "dht=likely,utp=confirmed"]).unwrap();
        assert!(r.blocks(&d(Protocol::Dht, Confidence::Likely)));
        assert!(!r.blocks(&d(Protocol::Utp, Confidence::Likely)));
        assert!(r.blocks(&d(Protocol::Utp, Confidence::Confirmed)));
        assert!(!r.blocks(&d(Protocol::PeerWire, Confidence::Confirmed)));
        let r = BlockRules::parse(&["lsd=off", "all=likely"]).unwrap();
        assert!(r.blocks(&d(Protocol::Lsd, Confidence::Likely)));
        assert_eq!(
            BlockRules::parse(&[r.to_string()]).unwrap(),
            r,
            "Display reads back"
        );
    }

    #[test]
    fn bad_rules_are_errors() {
        for bad in ["dht", "dht=maybe", "bittorrent=off", "=off"] {
            let e = BlockRules::parse(&[bad]).unwrap_err();
            assert!(e.to_string().contains("PROTOCOL=LEVEL"), "{e}");
        }
    }

    #[test]
    fn allow_list_and_user() {
        let p = Policy {
            allow: Networks::new(vec!["192.0.2.0/24".parse().unwrap()]),
            users: Networks::new(vec!["10.8.0.0/16".parse().unwrap()]),
            ..Policy::default()
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(p.allowed(ip("10.8.0.2"), ip("192.0.2.9")));
        assert!(!p.allowed(ip("10.8.0.2"), ip("198.51.100.1")));
        assert_eq!(p.user(ip("198.51.100.1"), ip("10.8.0.2")), ip("10.8.0.2"));
        assert_eq!(p.user(ip("10.8.0.3"), ip("198.51.100.1")), ip("10.8.0.3"));
        assert_eq!(
            p.user(ip("198.51.100.1"), ip("198.51.100.2")),
            ip("198.51.100.1")
        );
    }
}
