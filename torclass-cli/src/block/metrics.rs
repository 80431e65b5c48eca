//! [`Metrics`]: the blocker's counters, written by the queue threads with relaxed atomics and
//! served as Prometheus text (exposition format 0.0.4) on a local address.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use torclass_core::{Confidence, Protocol};

const PROTOCOLS: usize = Protocol::ALL.len();

/// One counter of [`QueueCounters`].
type Field = &'static dyn Fn(&QueueCounters) -> &AtomicU64;

/// Index of `p` in [`Protocol::ALL`].
pub fn protocol_index(p: Protocol) -> usize {
    Protocol::ALL.iter().position(|q| *q == p).unwrap_or(0)
}

/// Counters of one queue.
#[derive(Debug, Default)]
pub struct QueueCounters {
    /// Packets read from the queue.
    pub packets: AtomicU64,
    /// Their IP bytes.
    pub bytes: AtomicU64,
    /// Packets accepted.
    pub accepted: AtomicU64,
    /// Packets accepted with the accept mark: the kernel lets the rest of the connection
    /// through.
    pub marked_accept: AtomicU64,
    /// Packets dropped with the drop mark: the kernel drops the rest of the connection.
    pub marked_drop: AtomicU64,
    /// Packets of allow-listed flows.
    pub allowed: AtomicU64,
    /// Packets that are not TCP or UDP over IP, or later IP fragments.
    pub unsupported: AtomicU64,
    /// Packets with broken headers.
    pub malformed: AtomicU64,
    /// BitTorrent verdicts reached (a flow counts once per protocol and confidence it
    /// reaches).
    pub detections: [[AtomicU64; 2]; PROTOCOLS],
    /// Flows blocked (or logged with `--dry-run`), by protocol.
    pub blocked: [AtomicU64; PROTOCOLS],
    /// Flows decided not BitTorrent.
    pub not_bittorrent: AtomicU64,
    /// Flows in the table now.
    pub flows: AtomicU64,
    /// Slots of the table.
    pub slots: AtomicU64,
    /// Flows created.
    pub flows_created: AtomicU64,
    /// Flows replaced before their idle timeout (table pressure).
    pub flows_evicted: AtomicU64,
    /// Flows ended by their timeout (idle, or closed by FIN/RST and lingered).
    pub flows_expired: AtomicU64,
    /// Flows ended by a new connection on their tuple.
    pub flows_reused: AtomicU64,
    /// Hosts with conclusive BitTorrent activity in the last minutes (corroborate their
    /// encrypted flows).
    pub bittorrent_hosts: AtomicU64,
    /// Endpoints in the cache now.
    pub endpoints: AtomicU64,
    /// Endpoints learned.
    pub endpoints_learned: AtomicU64,
    /// Batch verdicts sent.
    pub batches: AtomicU64,
    /// Socket overruns (ENOBUFS).
    pub overruns: AtomicU64,
    /// Errors: verdicts refused, packets without header, handler failures.
    pub errors: AtomicU64,
}

impl QueueCounters {
    /// Count a BitTorrent verdict reached.
    pub fn detection(&self, p: Protocol, c: Confidence) {
        let c = usize::from(c == Confidence::Confirmed);
        if let Some(n) = self
            .detections
            .get(protocol_index(p))
            .and_then(|row| row.get(c))
        {
            n.fetch_add(1, Relaxed);
        }
    }

    /// Count a blocked flow.
    pub fn blocked(&self, p: Protocol) {
        if let Some(n) = self.blocked.get(protocol_index(p)) {
            n.fetch_add(1, Relaxed);
        }
    }
}

/// Every counter of the daemon.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Per queue, with its number.
    pub queues: Vec<(u16, QueueCounters)>,
    /// Known peers written to the kernel set.
    pub peers_exported: AtomicU64,
    /// Failed writes to the kernel set.
    pub peer_errors: AtomicU64,
    /// Configuration reloads.
    pub reloads: AtomicU64,
    /// Reloads refused (bad file): the old policy stays.
    pub reload_errors: AtomicU64,
}

/// One line of `/proc/net/netfilter/nfnetlink_queue`: the kernel's view of a queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelQueue {
    /// Queue number.
    pub queue: u16,
    /// Packets waiting for a verdict.
    pub waiting: u64,
    /// Packets the kernel dropped (or, fail-open, accepted) because the queue was full.
    pub queue_dropped: u64,
    /// Packets the kernel could not deliver to the socket (its buffer was full).
    pub user_dropped: u64,
}

/// The kernel's queues, from the text of `/proc/net/netfilter/nfnetlink_queue` (fields:
/// queue, peer port id, waiting, copy mode, copy range, queue dropped, user dropped, last id,
/// 1).
pub fn kernel_queues(text: &str) -> Vec<KernelQueue> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<u64> = line
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            Some(KernelQueue {
                queue: u16::try_from(*f.first()?).ok()?,
                waiting: *f.get(2)?,
                queue_dropped: *f.get(5)?,
                user_dropped: *f.get(6)?,
            })
        })
        .collect()
}

impl Metrics {
    /// Counters for `queues`.
    pub fn new(queues: impl IntoIterator<Item = u16>) -> Self {
        Self {
            queues: queues
                .into_iter()
                .map(|q| (q, QueueCounters::default()))
                .collect(),
            ..Self::default()
        }
    }

    /// The counters of queue `num`.
    pub fn queue(&self, num: u16) -> Option<&QueueCounters> {
        // Queues are consecutive: index by the distance from the first.
        let first = self.queues.first()?.0;
        let (q, c) = self.queues.get(usize::from(num.checked_sub(first)?))?;
        (*q == num).then_some(c)
    }

    /// Prometheus text of every counter, with the kernel's `queues`.
    pub fn render(&self, kernel: &[KernelQueue]) -> String {
        let mut out = String::with_capacity(8192);
        let mut family =
            |name: &str, kind: &str, help: &str, rows: &mut dyn Iterator<Item = (String, u64)>| {
                let _ = writeln!(
                    out,
                    "# HELP torclass_{name} {help}\n# TYPE torclass_{name} {kind}"
                );
                for (labels, v) in rows {
                    let _ = writeln!(out, "torclass_{name}{labels} {v}");
                }
            };
        let per_queue = |f: &dyn Fn(&QueueCounters) -> &AtomicU64| -> Vec<(String, u64)> {
            self.queues
                .iter()
                .map(|(q, c)| (format!("{{queue=\"{q}\"}}"), f(c).load(Relaxed)))
                .collect()
        };
        let counters: [(&str, &str, &str, Field); 19] = [
            (
                "packets_total",
                "counter",
                "Packets read from the queue.",
                &|c| &c.packets,
            ),
            (
                "bytes_total",
                "counter",
                "IP bytes of the packets read.",
                &|c| &c.bytes,
            ),
            (
                "allowed_packets_total",
                "counter",
                "Packets of allow-listed flows.",
                &|c| &c.allowed,
            ),
            (
                "unsupported_packets_total",
                "counter",
                "Packets not TCP or UDP over IP, or later fragments.",
                &|c| &c.unsupported,
            ),
            (
                "malformed_packets_total",
                "counter",
                "Packets with broken headers.",
                &|c| &c.malformed,
            ),
            (
                "not_bittorrent_flows_total",
                "counter",
                "Flows decided not BitTorrent.",
                &|c| &c.not_bittorrent,
            ),
            ("flows", "gauge", "Flows in the table.", &|c| &c.flows),
            ("flow_slots", "gauge", "Slots of the flow table.", &|c| {
                &c.slots
            }),
            ("flows_created_total", "counter", "Flows created.", &|c| {
                &c.flows_created
            }),
            (
                "flows_evicted_total",
                "counter",
                "Flows replaced before their idle timeout (table pressure).",
                &|c| &c.flows_evicted,
            ),
            (
                "flows_expired_total",
                "counter",
                "Flows ended by their timeout (idle, or closed by FIN/RST).",
                &|c| &c.flows_expired,
            ),
            (
                "flows_reused_total",
                "counter",
                "Flows ended by a new connection on their tuple.",
                &|c| &c.flows_reused,
            ),
            (
                "bittorrent_hosts",
                "gauge",
                "Hosts with conclusive BitTorrent activity in the last minutes.",
                &|c| &c.bittorrent_hosts,
            ),
            ("endpoints", "gauge", "Peer endpoints in the cache.", &|c| {
                &c.endpoints
            }),
            (
                "endpoints_learned_total",
                "counter",
                "Peer endpoints learned.",
                &|c| &c.endpoints_learned,
            ),
            (
                "verdict_batches_total",
                "counter",
                "Batch verdicts sent.",
                &|c| &c.batches,
            ),
            (
                "socket_overruns_total",
                "counter",
                "Times the queue socket overran (ENOBUFS).",
                &|c| &c.overruns,
            ),
            (
                "errors_total",
                "counter",
                "Verdicts refused by the kernel, packets without header, handler failures.",
                &|c| &c.errors,
            ),
            (
                "marked_drop_packets_total",
                "counter",
                "Packets dropped with the drop mark (the kernel drops the rest of the connection).",
                &|c| &c.marked_drop,
            ),
        ];
        for (name, kind, help, f) in counters {
            family(name, kind, help, &mut per_queue(f).into_iter());
        }
        let verdicts = self.queues.iter().flat_map(|(q, c)| {
            [
                ("accept", &c.accepted),
                ("accept_connection", &c.marked_accept),
                ("drop_connection", &c.marked_drop),
            ]
            .map(|(v, n)| {
                (
                    format!("{{queue=\"{q}\",verdict=\"{v}\"}}"),
                    n.load(Relaxed),
                )
            })
        });
        family(
            "verdicts_total",
            "counter",
            "Verdicts by kind.",
            &mut verdicts.collect::<Vec<_>>().into_iter(),
        );
        let detections = self.queues.iter().flat_map(|(q, c)| {
            Protocol::ALL
                .iter()
                .zip(&c.detections)
                .flat_map(move |(p, row)| {
                    [Confidence::Likely, Confidence::Confirmed]
                        .iter()
                        .zip(row)
                        .map(move |(conf, n)| {
                            (
                                format!(
                                    "{{queue=\"{q}\",protocol=\"{}\",confidence=\"{}\"}}",
                                    p.name(),
                                    conf.name()
                                ),
                                n.load(Relaxed),
                            )
                        })
                })
        });
        family(
            "detections_total",
            "counter",
            "BitTorrent verdicts reached, by protocol and confidence.",
            &mut detections.collect::<Vec<_>>().into_iter(),
        );
        let blocked = self.queues.iter().flat_map(|(q, c)| {
            Protocol::ALL.iter().zip(&c.blocked).map(move |(p, n)| {
                (
                    format!("{{queue=\"{q}\",protocol=\"{}\"}}", p.name()),
                    n.load(Relaxed),
                )
            })
        });
        family(
            "blocked_flows_total",
            "counter",
            "Flows blocked (or logged by --dry-run), by protocol.",
            &mut blocked.collect::<Vec<_>>().into_iter(),
        );
        let ours: Vec<&KernelQueue> = kernel
            .iter()
            .filter(|k| self.queue(k.queue).is_some())
            .collect();
        let kq = |f: fn(&KernelQueue) -> u64| {
            ours.iter()
                .map(move |k| (format!("{{queue=\"{}\"}}", k.queue), f(k)))
                .collect::<Vec<_>>()
        };
        family(
            "queue_waiting",
            "gauge",
            "Packets waiting in the kernel queue.",
            &mut kq(|k| k.waiting).into_iter(),
        );
        family(
            "queue_dropped_total",
            "counter",
            "Packets the kernel could not queue (queue full): dropped, or accepted when fail-open.",
            &mut kq(|k| k.queue_dropped).into_iter(),
        );
        family(
            "queue_user_dropped_total",
            "counter",
            "Packets the kernel could not deliver (socket buffer full).",
            &mut kq(|k| k.user_dropped).into_iter(),
        );
        let global = |n: &AtomicU64| std::iter::once((String::new(), n.load(Relaxed)));
        family(
            "known_peers_exported_total",
            "counter",
            "Known peers written to the kernel set.",
            &mut global(&self.peers_exported),
        );
        family(
            "known_peer_errors_total",
            "counter",
            "Failed writes to the kernel set.",
            &mut global(&self.peer_errors),
        );
        family(
            "reloads_total",
            "counter",
            "Configuration reloads (SIGHUP).",
            &mut global(&self.reloads),
        );
        family(
            "reload_errors_total",
            "counter",
            "Reloads refused: the old policy stays.",
            &mut global(&self.reload_errors),
        );
        out
    }
}

/// Serve `metrics` on `listener` until `stop` is set: `GET /metrics` (or any path) answers the
/// Prometheus text; one connection at a time, each bounded to 2 s.
pub fn serve(listener: TcpListener, metrics: Arc<Metrics>, stop: Arc<AtomicBool>) {
    let _ = listener.set_nonblocking(true);
    while !stop.load(Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = answer(stream, &metrics);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(100))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn answer(stream: TcpStream, metrics: &Metrics) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    // The request line and headers, up to the blank line (at most 64 lines).
    for _ in 0..64 {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
    }
    let kernel = std::fs::read_to_string("/proc/net/netfilter/nfnetlink_queue").unwrap_or_default();
    let body = metrics.render(&kernel_queues(&kernel));
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Bind the metrics address.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr).map_err(|e| io::Error::new(e.kind(), format!("metrics on {addr}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_queue_lines() {
        let text = "    0  12345     3 2 65535     7     9   100  1\n    1  0 0 2 65535 0 0 0 1\n";
        let q = kernel_queues(text);
        assert_eq!(q.len(), 2);
        assert_eq!(
            q[0],
            KernelQueue {
                queue: 0,
                waiting: 3,
                queue_dropped: 7,
                user_dropped: 9
            }
        );
    }

    #[test]
    fn render_is_prometheus_text() {
        let m = Metrics::new([0, 1]);
        let q0 = m.queue(0).unwrap();
        q0.packets.fetch_add(5, Relaxed);
        q0.detection(Protocol::Dht, Confidence::Confirmed);
        q0.blocked(Protocol::Dht);
        let text = m.render(&[KernelQueue {
            queue: 1,
            waiting: 2,
            queue_dropped: 3,
            user_dropped: 4,
        }]);
        assert!(text.contains("torclass_packets_total{queue=\"0\"} 5\n"));
        assert!(text.contains(
            "torclass_detections_total{queue=\"0\",protocol=\"dht\",confidence=\"confirmed\"} 1\n"
        ));
        assert!(text.contains("torclass_blocked_flows_total{queue=\"0\",protocol=\"dht\"} 1\n"));
        assert!(text.contains("torclass_queue_dropped_total{queue=\"1\"} 3\n"));
        for line in text.lines() {
            assert!(
                line.starts_with("# HELP torclass_")
                    || line.starts_with("# TYPE torclass_")
                    || line.starts_with("torclass_"),
                "{line}"
            );
        }
    }

    #[test]
    fn serves_http() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let m = Arc::new(Metrics::new([7]));
        let server = {
            let (m, stop) = (m.clone(), stop.clone());
            std::thread::spawn(move || serve(listener, m, stop))
        };
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut body = String::new();
        io::Read::read_to_string(&mut s, &mut body).unwrap();
        assert!(body.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(body.contains("torclass_packets_total{queue=\"7\"} 0"));
        stop.store(true, Relaxed);
        server.join().unwrap();
    }
}
