//! `torclass block`: an NFQUEUE daemon that drops BitTorrent flows, on the core directly.
//!
//! One thread per queue, each with its own flow table and endpoint cache ([`engine`]), reading
//! packets in batches through libnetfilter_queue ([`nfq`]); the kernel's ruleset ([`ruleset`])
//! queues only the first packets of each connection and handles decided connections by their
//! connection mark; learned peers go to a kernel set ([`peers`]); blocked flows are logged as
//! JSON lines on stdout ([`event`]); counters are served as Prometheus text ([`metrics`]).
//! SIGHUP reloads the policy from the configuration file without touching the queues;
//! SIGINT/SIGTERM decide the packets already queued, unbind the queues (with the queue bypass
//! the kernel then lets traffic through) and exit.

pub mod cidr;
pub mod config;
pub mod engine;
pub mod event;
pub mod metrics;
pub mod nfq;
pub mod peers;
pub mod policy;
pub mod ruleset;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use config::{Config, Settings, Source};
use engine::{Engine, EngineConfig, KnownPeer, Learned};
use metrics::Metrics;
use policy::Policy;

/// Drop BitTorrent flows handed over by the kernel through NFQUEUE.
#[derive(clap::Args, Debug)]
pub struct BlockArgs {
    /// TOML file whose keys are the long flags below (flags given here win); SIGHUP reads it
    /// again.
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the firewall rules this configuration expects (for --firewall) and exit.
    #[arg(long)]
    pub print_ruleset: bool,

    /// Settings.
    #[command(flatten)]
    pub settings: Settings,
}

/// The policy every queue thread follows, replaced on SIGHUP.
struct SharedPolicy {
    generation: AtomicU64,
    policy: Mutex<Arc<Policy>>,
}

impl SharedPolicy {
    fn get(&self) -> Arc<Policy> {
        self.policy
            .lock()
            .map_or_else(|e| e.into_inner().clone(), |p| p.clone())
    }

    fn set(&self, policy: Policy) {
        let mut guard = self
            .policy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = Arc::new(policy);
        self.generation.fetch_add(1, Relaxed);
    }
}

/// Run the daemon (or print its ruleset).
pub fn run(args: BlockArgs) -> ExitCode {
    let source = Source {
        file: args.config.clone(),
        flags: args.settings.clone(),
    };
    let config = match source.load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("torclass block: {e}");
            return ExitCode::from(1);
        }
    };
    if args.print_ruleset {
        print!("{}", ruleset::render(&config));
        return ExitCode::SUCCESS;
    }
    match serve(&source, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("torclass block: {e}");
            ExitCode::from(1)
        }
    }
}

fn describe(config: &Config) -> String {
    let p = &config.policy;
    format!(
        "block {}{}; known peers {:?} (port >= {}); {} allow-listed networks",
        p.rules,
        if p.dry_run {
            " (dry run: log only)"
        } else {
            ""
        },
        p.known_peers,
        p.known_peer_min_port,
        if p.allow.is_empty() { "no" } else { "some" },
    )
}

fn serve(source: &Source, config: Config) -> Result<(), String> {
    let stop = Arc::new(AtomicBool::new(false));
    let hup = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // A second signal while stopping exits at once.
        signal_hook::flag::register_conditional_shutdown(sig, 1, stop.clone())
            .map_err(|e| e.to_string())?;
        signal_hook::flag::register(sig, stop.clone()).map_err(|e| e.to_string())?;
    }
    signal_hook::flag::register(signal_hook::consts::SIGHUP, hup.clone())
        .map_err(|e| e.to_string())?;

    let metrics = Arc::new(Metrics::new(config.queues.numbers()));
    let shared = Arc::new(SharedPolicy {
        generation: AtomicU64::new(0),
        policy: Mutex::new(Arc::new(config.policy.clone())),
    });
    let metrics_server = match config.metrics {
        Some(addr) => {
            let listener = metrics::bind(addr).map_err(|e| e.to_string())?;
            let (m, s) = (metrics.clone(), stop.clone());
            Some(
                std::thread::Builder::new()
                    .name("metrics".into())
                    .spawn(move || metrics::serve(listener, m, s))
                    .map_err(|e| e.to_string())?,
            )
        }
        None => None,
    };
    let (peers_tx, peers_rx) = mpsc::channel::<Vec<KnownPeer>>();
    let exporter = {
        let (m, fw) = (metrics.clone(), config.firewall);
        std::thread::Builder::new()
            .name("known-peers".into())
            .spawn(move || peers::export(fw, peers_rx, m))
            .map_err(|e| e.to_string())?
    };

    // Each queue's inbox of what the others learned.
    let (inboxes_tx, mut inboxes_rx): (Vec<_>, Vec<_>) = config
        .queues
        .numbers()
        .map(|_| mpsc::channel::<Arc<Learned>>())
        .unzip();
    let (ready_tx, ready_rx) = mpsc::channel::<Result<u16, String>>();
    let mut threads = Vec::new();
    let seed = engine::now_ns() ^ u64::from(std::process::id()).rotate_left(32);
    for (i, num) in config.queues.numbers().enumerate() {
        let ec = EngineConfig {
            queue: num,
            flows: config.flows,
            endpoints: config.endpoints,
            tcp_idle_ns: config.tcp_idle.saturating_mul(1_000_000_000),
            udp_idle_ns: config.udp_idle.saturating_mul(1_000_000_000),
            known_peer_timeout_s: config.known_peer_timeout,
            mark_accept: config.mark_accept,
            mark_drop: config.mark_drop,
            seed: seed
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .wrapping_add(u64::from(num)),
        };
        let ctx = QueueThread {
            config: ec,
            fail_closed: config.fail_closed,
            shared: shared.clone(),
            metrics: metrics.clone(),
            stop: stop.clone(),
            peers: peers_tx.clone(),
            others: inboxes_tx
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, tx)| tx.clone())
                .collect(),
            inbox: inboxes_rx.remove(0),
        };
        let ready = ready_tx.clone();
        let t = std::thread::Builder::new()
            .name(format!("queue-{num}"))
            .spawn(move || ctx.run(ready))
            .map_err(|e| e.to_string())?;
        threads.push(t);
    }
    drop((ready_tx, peers_tx, inboxes_tx));
    let mut failure = None;
    for _ in config.queues.numbers() {
        match ready_rx.recv() {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                failure.get_or_insert(e);
            }
            Err(_) => {
                failure.get_or_insert_with(|| "a queue thread failed to start".into());
            }
        }
    }
    if failure.is_none() {
        eprintln!(
            "torclass block {}: serving NFQUEUE {} ({} flows and {} endpoints per queue); {}",
            env!("CARGO_PKG_VERSION"),
            config.queues,
            config.flows,
            config.endpoints,
            describe(&config)
        );
    } else {
        stop.store(true, Relaxed);
    }

    let mut current = config;
    while !stop.load(Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if hup.swap(false, Relaxed) {
            match source.load() {
                Ok(new) => {
                    let restart = current.restart_needed(&new);
                    if !restart.is_empty() {
                        eprintln!("torclass block: reload: {} changed; they take effect at the next start", restart.join(", "));
                    }
                    let (old, now) = (&current.policy, &new.policy);
                    let unexport = (now.dry_run && !old.dry_run)
                        || (now.known_peers == policy::KnownPeers::Off
                            && old.known_peers != policy::KnownPeers::Off);
                    if unexport {
                        if let Err(e) = peers::flush(current.firewall) {
                            metrics.peer_errors.fetch_add(1, Relaxed);
                            eprintln!("torclass block: reload: emptying the known-peer sets: {e}");
                        }
                    }
                    shared.set(new.policy.clone());
                    metrics.reloads.fetch_add(1, Relaxed);
                    eprintln!("torclass block: reloaded: {}", describe(&new));
                    current = Config {
                        policy: new.policy,
                        ..current
                    };
                }
                Err(e) => {
                    metrics.reload_errors.fetch_add(1, Relaxed);
                    eprintln!("torclass block: reload refused, the policy is unchanged: {e}");
                }
            }
        }
    }
    for t in threads {
        let _ = t.join();
    }
    let _ = exporter.join();
    if let Some(m) = metrics_server {
        let _ = m.join();
    }
    for (num, c) in &metrics.queues {
        eprintln!(
            "torclass block: queue {num}: {} packets, {} connections let through, {} dropped, {} errors",
            c.packets.load(Relaxed),
            c.marked_accept.load(Relaxed),
            c.marked_drop.load(Relaxed),
            c.errors.load(Relaxed)
        );
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// What a queue thread needs.
struct QueueThread {
    config: EngineConfig,
    fail_closed: bool,
    shared: Arc<SharedPolicy>,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
    peers: Sender<Vec<KnownPeer>>,
    /// The other queues' inboxes.
    others: Vec<Sender<Arc<Learned>>>,
    /// What the other queues learned.
    inbox: mpsc::Receiver<Arc<Learned>>,
}

impl QueueThread {
    fn run(self, ready: Sender<Result<u16, String>>) {
        let num = self.config.queue;
        let sink: engine::Sink = Box::new(|e| {
            let line = e.json_line();
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
        });
        let mut generation = self.shared.generation.load(Relaxed);
        let engine = Engine::new(self.config, self.shared.get(), self.metrics.clone(), sink);
        let mut queue = match nfq::Queue::open(num, self.fail_closed, engine) {
            Ok(q) => {
                let _ = ready.send(Ok(num));
                q
            }
            Err(e) => {
                let _ = ready.send(Err(e.to_string()));
                return;
            }
        };
        let Some(counters) = self.metrics.queue(num) else {
            return;
        };
        let mut last = nfq::QueueStats::default();
        let mut next_tick = Instant::now();
        while !self.stop.load(Relaxed) {
            if let Err(e) = queue.batch() {
                counters.errors.fetch_add(1, Relaxed);
                eprintln!("torclass block: queue {num}: {e}");
                std::thread::sleep(Duration::from_millis(10));
            }
            let s = queue.stats();
            counters.batches.store(s.batches, Relaxed);
            counters.overruns.store(s.overruns, Relaxed);
            counters.errors.fetch_add(s.errors - last.errors, Relaxed);
            last = s;
            let g = self.shared.generation.load(Relaxed);
            if g != generation {
                generation = g;
                queue.handler().set_policy(self.shared.get());
            }
            if Instant::now() >= next_tick {
                next_tick = Instant::now() + Duration::from_secs(1);
                let now = engine::now_ns();
                let engine = queue.handler();
                let peers = engine.tick(now);
                if !peers.is_empty() {
                    let _ = self.peers.send(peers);
                }
                if !self.others.is_empty() {
                    let learned = engine.learned(now);
                    if !learned.is_empty() {
                        let learned = Arc::new(learned);
                        for tx in &self.others {
                            let _ = tx.send(learned.clone());
                        }
                    }
                    while let Ok(l) = self.inbox.try_recv() {
                        engine.import(&l, now);
                    }
                }
            }
        }
        queue.drain();
    }
}
