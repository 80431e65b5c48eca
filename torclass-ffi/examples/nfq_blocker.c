/* nfq_blocker: an NFQUEUE daemon that drops BitTorrent flows with libtorclass.
 *
 * Every packet the kernel queues is classified with a torclass flow table (one table per queue,
 * one thread per queue: the kernel keeps a connection on one queue). A flow classified as
 * BitTorrent (at the chosen confidence) has its packet dropped and a conntrack mark set, so the
 * kernel drops the rest of the flow without asking; a flow classified as not BitTorrent, once
 * torclass has finished reading it, is marked so the kernel accepts the rest of it. Everything
 * else is accepted. Each decision is logged with the 5-tuple, protocol and info-hash.
 *
 * Flow-end log: the table hands every flow that leaves it to a callback
 * (torclass_table_set_flow_end), finished, with its final verdict: one line per flow
 * (action=end) with why it ended, its verdict, packets and bytes per side, the packet that
 * decided it, its duration, info-hash and client. BitTorrent flows are always logged, others
 * with -v. At exit the tables are drained, so the flows still in them are logged too.
 *
 * Known peers: the table learns BitTorrent peer endpoints (the peers of confirmed flows, and
 * those named by tracker replies, PEX, the DHT and LSD). A TCP SYN to a known peer is dropped
 * before it is classified (torclass_packet_decode, torclass_table_endpoint_query), so a client
 * cannot reconnect, encrypted or not, to a peer it was caught with (action=drop-known-peer).
 * The daemon parses no header itself. By default only peers learned from confirmed flows, on
 * ports >= 1024, count (-k flows): with -k all, anyone who can send a tracker reply or a PEX
 * message through the router could get any address:port blocked for every user.
 *
 * Flow lifecycle: each queue thread expires its table every second (torclass_table_expire), so
 * idle flows and closed ones (FIN both ways or RST, after a 10 s linger for late packets) leave
 * it. A new connection on an old 5-tuple is a new flow: a SYN after the old connection closed,
 * or any packet after the old flow's idle timeout, starts a fresh classification (conntrack
 * gives such a connection a new entry too, so its mark starts clear).
 *
 * Confidence: by default only `confirmed` BitTorrent is dropped, the setting an operator should
 * run: `confirmed` is measured never to be wrong (docs/accuracy.md), while `likely` is a guess
 * (one side's bytes fit) that also catches some other traffic.
 *
 * The conntrack mark is set with NF_REPEAT: the packet goes back through the chain carrying a
 * packet mark, and these rules (the order matters) save it to conntrack and act on it:
 *
 *   iptables -A FORWARD -m connmark --mark 0x70c1 -j DROP
 *   iptables -A FORWARD -m connmark --mark 0x70c0 -j ACCEPT
 *   iptables -A FORWARD -m mark --mark 0x70c0/0xfffe -j CONNMARK --save-mark
 *   iptables -A FORWARD -m mark --mark 0x70c1 -j DROP
 *   iptables -A FORWARD -m mark --mark 0x70c0 -j ACCEPT
 *   iptables -A FORWARD -j NFQUEUE --queue-num 0 --queue-bypass
 *
 * Build: cc -O2 -Wall -Wextra -Werror nfq_blocker.c $(pkg-config --cflags --libs torclass)
 *        $(pkg-config --cflags --libs libnetfilter_queue) -lpthread
 * Usage: nfq_blocker [-q QUEUE]... [-c likely|confirmed] [-k flows|all|off] [-n FLOWS] [-f] [-v]
 *   -q QUEUE   queue number to serve (repeat for several queues, one thread each; default 0)
 *   -c LEVEL   confidence to act on (default confirmed; likely also drops guesses)
 *   -k KNOWN   SYNs to drop: to peers learned from confirmed flows (flows, the default), to any
 *              learned peer (all), or none (off)
 *   -n FLOWS   flow table capacity per queue (default 65536)
 *   -f         fail open: the kernel accepts packets when the queue is full
 *   -v         also log the first packet of each flow (action=accept-new), verdict changes,
 *              flows accepted for good, and the end of every flow (not only BitTorrent ones)
 */
#define _GNU_SOURCE
#include <torclass.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MARK_ACCEPT 0x70c0u
#define MARK_DROP 0x70c1u
#define MAX_QUEUES 16
/* How often each queue thread expires its table (the receive timeout is shorter). */
#define EXPIRE_EVERY_NS 1000000000ull

static atomic_int stopping;
static int act_confidence = TORCLASS_CONFIDENCE_CONFIRMED;
enum known { KNOWN_OFF, KNOWN_FLOWS, KNOWN_ALL };
static enum known known_peers = KNOWN_FLOWS;
static uint32_t capacity = 65536;
static int fail_open;
static int verbose;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

struct queue {
  uint16_t num;
  pthread_t thread;
  torclass_table *table;
  void *mem;
  struct nfq_q_handle *qh;
  unsigned long packets, dropped, accepted, errors, expired, known_dropped, ended;
};

/* A name function's answer, or "-" for a number it does not name (0: no protocol). */
static const char *or_dash(const char *name) { return name ? name : "-"; }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The 5-tuple, info-hash and client of a flow, as text. */
struct flow_text {
  char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], hash[65];
  const char *proto, *client;
};

static void flow_text(const torclass_flow_key *key, const torclass_meta *meta, struct flow_text *t) {
  int af = key->ip_version == 6 ? AF_INET6 : AF_INET;
  if (!inet_ntop(af, key->src_addr, t->src, sizeof t->src)) strcpy(t->src, "?");
  if (!inet_ntop(af, key->dst_addr, t->dst, sizeof t->dst)) strcpy(t->dst, "?");
  t->proto = key->transport == TORCLASS_TRANSPORT_UDP ? "udp" : "tcp";
  strcpy(t->hash, "-");
  if (meta->info_hash_len == 20 || meta->info_hash_len == 32)
    for (int i = 0; i < meta->info_hash_len; i++) snprintf(t->hash + 2 * i, 3, "%02x", meta->info_hash[i]);
  t->client = "-";
  for (int d = 0; d < 2; d++)
    if (meta->client[d][0]) { t->client = (const char *)meta->client[d]; break; }
}

static void log_decision(struct queue *q, const torclass_packet_result *res, const char *action) {
  torclass_flow_info info;
  struct flow_text t;
  /* Everything the table knows of the flow, by its handle (torclass_table_flow_key and
   * torclass_table_meta give the same by slot). */
  if (torclass_table_flow_info(q->table, res->handle, &info, sizeof info) != TORCLASS_RESULT_OK)
    memset(&info, 0, sizeof info);
  flow_text(&info.key, &info.meta, &t);
  pthread_mutex_lock(&log_lock);
  printf("queue=%u action=%s proto=%s src=%s:%u dst=%s:%u verdict=%u protocol=%s confidence=%u "
         "evidence=0x%06x info_hash=%s client=\"%s\"\n",
         q->num, action, t.proto, t.src, info.key.src_port, t.dst, info.key.dst_port,
         res->verdict.verdict, or_dash(torclass_protocol_name(res->verdict.protocol)),
         res->verdict.confidence, res->verdict.evidence, t.hash, t.client);
  fflush(stdout);
  pthread_mutex_unlock(&log_lock);
}

/* The flow-end callback: called from inside torclass_table_process, _expire and _drain with
 * every flow that leaves the table, its verdict final. It must not call torclass on the same
 * table (that would return TORCLASS_RESULT_BUSY); `info` lives for the call. */
static void on_flow_end(void *user, const torclass_flow_info *info) {
  struct queue *q = user;
  q->ended++;
  const torclass_verdict *v = &info->verdict;
  if (v->verdict != TORCLASS_VERDICT_BITTORRENT && !verbose) return;
  struct flow_text t;
  flow_text(&info->key, &info->meta, &t);
  pthread_mutex_lock(&log_lock);
  printf("queue=%u action=end reason=%s proto=%s src=%s:%u dst=%s:%u verdict=%s protocol=%s "
         "confidence=%s evidence=0x%06x packets=%u/%u bytes=%llu/%llu decided_at=%u duration_ms=%llu "
         "info_hash=%s client=\"%s\"\n",
         q->num, or_dash(torclass_end_reason_name(info->end_reason)), t.proto, t.src, info->key.src_port,
         t.dst, info->key.dst_port, or_dash(torclass_verdict_name(v->verdict)),
         or_dash(torclass_protocol_name(v->protocol)), or_dash(torclass_confidence_name(v->confidence)),
         v->evidence, info->packets[0], info->packets[1], (unsigned long long)info->bytes[0],
         (unsigned long long)info->bytes[1], info->decided_at_packet,
         (unsigned long long)((info->last_ns - info->first_ns) / 1000000u), t.hash, t.client);
  fflush(stdout);
  pthread_mutex_unlock(&log_lock);
}

/* A SYN to a known peer (see -k): drop it before it takes a flow slot. The headers are read by
 * torclass_packet_decode; its endpoint is looked up in the table's cache of learned peers. */
static int known_peer_syn(struct queue *q, const unsigned char *data, int len, uint64_t now) {
  torclass_packet_info p;
  torclass_endpoint dst, known;
  if (known_peers == KNOWN_OFF ||
      torclass_packet_decode(TORCLASS_LINK_IP, data, (size_t)len, &p, sizeof p) != TORCLASS_RESULT_OK ||
      (p.tcp_flags & (TORCLASS_TCP_SYN | TORCLASS_TCP_ACK)) != TORCLASS_TCP_SYN)
    return 0;
  memset(&dst, 0, sizeof dst);
  dst.ip_version = p.key.ip_version;
  memcpy(dst.addr, p.key.dst_addr, sizeof dst.addr);
  dst.port = p.key.dst_port;
  if (torclass_table_endpoint_query(q->table, &dst, now, &known) != TORCLASS_RESULT_OK) return 0;
  if (known_peers == KNOWN_FLOWS && (known.source != TORCLASS_SOURCE_FLOW || known.port < 1024)) return 0;
  struct flow_text t;
  torclass_meta none;
  memset(&none, 0, sizeof none);
  flow_text(&p.key, &none, &t);
  pthread_mutex_lock(&log_lock);
  printf("queue=%u action=drop-known-peer proto=tcp src=%s:%u dst=%s:%u source=%s expires_in=%llus\n", q->num,
         t.src, p.key.src_port, t.dst, p.key.dst_port, or_dash(torclass_source_name(known.source)),
         (unsigned long long)((known.expires_ns - now) / 1000000000u));
  fflush(stdout);
  pthread_mutex_unlock(&log_lock);
  return 1;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *arg) {
  (void)msg;
  struct queue *q = arg;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  unsigned char *data = NULL;
  int len = nfq_get_payload(nfa, &data);
  q->packets++;
  uint64_t now = now_ns();
  if (len >= 0 && known_peer_syn(q, data, len, now)) {
    q->known_dropped++;
    return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
  }
  torclass_packet_result res;
  torclass_result r = len >= 0 ? torclass_table_process(q->table, TORCLASS_LINK_IP, data, (size_t)len, now, &res)
                               : TORCLASS_RESULT_MALFORMED_PACKET;
  if (r != TORCLASS_RESULT_OK) {
    /* Not TCP/UDP, a fragment held for reassembly, or broken headers: not ours to judge. */
    if (r != TORCLASS_RESULT_UNSUPPORTED_PACKET && r != TORCLASS_RESULT_FRAGMENT_HELD) q->errors++;
    q->accepted++;
    return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
  }
  const torclass_verdict *v = &res.verdict;
  /* A tracker request decides its flow at once, but it still goes out: the tracker's reply is
   * read (the peers it names go to the endpoint cache, which confirms encrypted flows to them)
   * and dropped, so the client learns no peers either way. */
  torclass_packet_info p;
  int hold = v->protocol == TORCLASS_PROTOCOL_HTTP_TRACKER &&
             (res.direction == TORCLASS_DIRECTION_INITIATOR ||
              torclass_packet_decode(TORCLASS_LINK_IP, data, (size_t)len, &p, sizeof p) != TORCLASS_RESULT_OK ||
              p.payload_len == 0);
  if (v->verdict == TORCLASS_VERDICT_BITTORRENT && v->confidence >= act_confidence && !hold) {
    q->dropped++;
    log_decision(q, &res, "drop");
    /* Back through the chain with the mark: saved to conntrack, then dropped. */
    return nfq_set_verdict2(qh, id, NF_REPEAT, MARK_DROP, 0, NULL);
  }
  q->accepted++;
  if (v->verdict == TORCLASS_VERDICT_NOT_BITTORRENT && v->finished) {
    if (verbose) log_decision(q, &res, "accept-flow");
    return nfq_set_verdict2(qh, id, NF_REPEAT, MARK_ACCEPT, 0, NULL);
  }
  if (verbose && (res.changed || res.new_flow)) log_decision(q, &res, res.new_flow ? "accept-new" : "accept");
  return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
}

static void *serve(void *arg) {
  struct queue *q = arg;
  struct nfq_handle *h = nfq_open();
  if (!h) {
    perror("nfq_open");
    exit(1);
  }
  q->qh = nfq_create_queue(h, q->num, on_packet, q);
  if (!q->qh) {
    fprintf(stderr, "nfq_create_queue %u: %s\n", q->num, strerror(errno));
    exit(1);
  }
  if (nfq_set_mode(q->qh, NFQNL_COPY_PACKET, 0xffff) < 0) perror("nfq_set_mode");
  nfq_set_queue_maxlen(q->qh, 4096);
  if (fail_open && nfq_set_queue_flags(q->qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0)
    perror("fail-open");
  int fd = nfq_fd(h);
  int rcvbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  static __thread char buf[0x10000 + 4096] __attribute__((aligned));
  uint64_t last_expire = now_ns();
  while (!atomic_load(&stopping)) {
    uint64_t now = now_ns();
    if (now - last_expire >= EXPIRE_EVERY_NS) {
      /* Idle and closed flows leave the table on this timer, not only when a slot is needed. */
      size_t gone = 0;
      if (torclass_table_expire(q->table, now, &gone) == TORCLASS_RESULT_OK) q->expired += gone;
      last_expire = now;
    }
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == ENOBUFS) { /* the kernel dropped (or, fail-open, accepted) some: go on */
        q->errors++;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      perror("recv");
      break;
    }
    nfq_handle_packet(h, buf, (int)n);
  }
  /* The flows still in the table end now: each is logged by the flow-end callback. */
  torclass_table_drain(q->table);
  nfq_destroy_queue(q->qh);
  nfq_close(h);
  return NULL;
}

static void on_signal(int sig) {
  (void)sig;
  atomic_store(&stopping, 1);
}

int main(int argc, char **argv) {
  struct queue queues[MAX_QUEUES];
  int nq = 0, opt;
  memset(queues, 0, sizeof queues);
  while ((opt = getopt(argc, argv, "q:c:k:n:fv")) != -1) {
    switch (opt) {
      case 'q':
        if (nq == MAX_QUEUES) { fprintf(stderr, "at most %d queues\n", MAX_QUEUES); return 2; }
        queues[nq++].num = (uint16_t)strtoul(optarg, NULL, 10);
        break;
      case 'c':
        if (!strcmp(optarg, "likely")) act_confidence = TORCLASS_CONFIDENCE_LIKELY;
        else if (!strcmp(optarg, "confirmed")) act_confidence = TORCLASS_CONFIDENCE_CONFIRMED;
        else { fprintf(stderr, "-c likely|confirmed\n"); return 2; }
        break;
      case 'k':
        if (!strcmp(optarg, "flows")) known_peers = KNOWN_FLOWS;
        else if (!strcmp(optarg, "all")) known_peers = KNOWN_ALL;
        else if (!strcmp(optarg, "off")) known_peers = KNOWN_OFF;
        else { fprintf(stderr, "-k flows|all|off\n"); return 2; }
        break;
      case 'n': capacity = (uint32_t)strtoul(optarg, NULL, 10); break;
      case 'f': fail_open = 1; break;
      case 'v': verbose = 1; break;
      default:
        fprintf(stderr, "usage: %s [-q QUEUE]... [-c likely|confirmed] [-k flows|all|off] [-n FLOWS] [-f] [-v]\n",
                argv[0]);
        return 2;
    }
  }
  if (nq == 0) nq = 1;
  if (torclass_abi_version() != TORCLASS_ABI_VERSION) {
    fprintf(stderr, "libtorclass ABI %u, compiled against %u\n", torclass_abi_version(), TORCLASS_ABI_VERSION);
    return 1;
  }
  /* torclass takes nanoseconds: a clock in another unit would stretch every timeout. */
  if (torclass_clock_unit(now_ns()) != TORCLASS_CLOCK_NANOSECONDS) {
    fprintf(stderr, "the clock is not in nanoseconds\n");
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  srand((unsigned)now_ns());
  for (int i = 0; i < nq; i++) {
    size_t need = torclass_table_size(capacity);
    queues[i].mem = need ? aligned_alloc(TORCLASS_TABLE_ALIGN, (need + 7) & ~(size_t)7) : NULL;
    uint64_t seed = ((uint64_t)rand() << 32) ^ (uint64_t)rand() ^ now_ns();
    torclass_result r = torclass_table_init(queues[i].mem, need, capacity, seed, NULL, &queues[i].table);
    if (r != TORCLASS_RESULT_OK) {
      fprintf(stderr, "torclass_table_init: %s\n", torclass_result_message(r));
      return 1;
    }
    torclass_table_set_flow_end(queues[i].table, on_flow_end, &queues[i]);
  }
  static const char *known_names[] = {"off", "flows", "all"};
  printf("nfq_blocker %s: %d queue(s), %u flows each, acting on %s, known peers %s%s\n", torclass_version(), nq,
         capacity, act_confidence == TORCLASS_CONFIDENCE_LIKELY ? "likely" : "confirmed",
         known_names[known_peers], fail_open ? ", fail-open" : "");
  fflush(stdout);
  for (int i = 0; i < nq; i++) pthread_create(&queues[i].thread, NULL, serve, &queues[i]);
  for (int i = 0; i < nq; i++) pthread_join(queues[i].thread, NULL);
  for (int i = 0; i < nq; i++) {
    torclass_table_stats st;
    memset(&st, 0, sizeof st);
    torclass_table_get_stats(queues[i].table, &st, sizeof st);
    unsigned long long bittorrent = 0;
    for (int p = 0; p < TORCLASS_PROTOCOL_COUNT; p++) bittorrent += st.bittorrent[p];
    printf("queue=%u flows=%llu ended=%lu bittorrent_flows=%llu endpoints=%llu known_peer_syns=%lu\n",
           queues[i].num, (unsigned long long)st.flows, queues[i].ended, bittorrent,
           (unsigned long long)st.endpoints, queues[i].known_dropped);
    printf("queue=%u packets=%lu dropped=%lu accepted=%lu errors=%lu expired=%lu\n", queues[i].num,
           queues[i].packets, queues[i].dropped, queues[i].accepted, queues[i].errors, queues[i].expired);
    free(queues[i].mem);
  }
  return 0;
}
