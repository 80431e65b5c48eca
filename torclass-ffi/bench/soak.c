/* Soak of libtorclass's table API (not a test: scripts/soak.sh runs it).
 *
 *   soak CAPACITY [EXPIRE_EVERY_S] < capture.pcap > summary.json
 *
 * Reads a legacy pcap stream (any LINKTYPE torclass reads, micro- or nanosecond timestamps,
 * either byte order) on stdin and classifies every frame with torclass_table_process in one
 * table of CAPACITY slots, in memory this program allocates and touches once, before the first
 * packet. The capture's clock drives idle eviction; torclass_table_expire runs every
 * EXPIRE_EVERY_S seconds of it (default 30, 0: never).
 *
 * The program keeps its own view of every slot (a flow is there or not, its packets, its last
 * verdict), so that each flow the table creates is reported exactly once: when a new flow
 * takes its slot (evicted), when torclass_table_expire frees it (expired), or at the end (still
 * in the table). It checks that this agrees with torclass_table_get_stats: flows created =
 * flows reported, evicted + expired = evicted_active + evicted_idle, packets classified =
 * packets counted into the reported flows.
 *
 * stdout: the summary in the shape of `torclass classify --summary --format jsonl` (flows and
 * packets per verdict and protocol), plus an "ffi" object with the counters and RSS.
 * stderr: a progress line with VmRSS every second, and at the end the table's counters as
 * `TableStats { flows: .., evicted_active: .., evicted_idle: .. }` (what scripts/soak.sh
 * reads). Exit status 1 when a check fails, 2 on bad input. */
#define _POSIX_C_SOURCE 200809L
#include <torclass.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEED 0x746f72636c617373ull

/* What this program knows of one slot. */
struct slot {
  uint32_t packets; /* 0: no flow in the slot */
  uint8_t verdict;  /* TORCLASS_VERDICT_* of the last packet */
  uint8_t protocol; /* TORCLASS_PROTOCOL_* when BitTorrent */
};

struct counts {
  uint64_t flows, packets;
};

static struct counts by_protocol[TORCLASS_PROTOCOL_MAGNET + 1];
static struct counts not_bittorrent, undecided;
static uint64_t reported, evicted, expired, remaining, failures;

static const char *PROTOCOL_NAMES[] = {
    "", "peer_wire", "peer_wire_encrypted", "utp", "dht", "udp_tracker", "http_tracker", "lsd",
    "magnet"};

static void report(struct slot *s) {
  struct counts *c = s->verdict == TORCLASS_VERDICT_BITTORRENT ? &by_protocol[s->protocol]
                     : s->verdict == TORCLASS_VERDICT_NOT_BITTORRENT ? &not_bittorrent
                                                                     : &undecided;
  c->flows++;
  c->packets += s->packets;
  reported++;
  s->packets = 0;
}

static void fail(const char *what, uint64_t got, uint64_t want) {
  fprintf(stderr, "soak: FAIL %s: %" PRIu64 ", want %" PRIu64 "\n", what, got, want);
  failures++;
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  fclose(f);
  return kib;
}

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint32_t get32(const uint8_t *p, int swap) {
  uint32_t v;
  memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}

/* After torclass_table_expire freed `n` flows: find them (slots this program holds that the
 * table no longer does) and report them. */
static void reconcile(const torclass_table *table, struct slot *slots, uint32_t capacity,
                      size_t n) {
  size_t found = 0;
  for (uint32_t i = 0; i < capacity; i++) {
    if (!slots[i].packets) continue;
    torclass_verdict v;
    torclass_result r = torclass_table_flow_verdict(table, i, &v);
    if (r == TORCLASS_RESULT_NOT_FOUND) {
      if (slots[i].verdict == TORCLASS_VERDICT_UNDECIDED) /* expiry finishes the flow */
        slots[i].verdict = TORCLASS_VERDICT_NOT_BITTORRENT;
      report(&slots[i]);
      found++;
    } else if (r != TORCLASS_RESULT_OK) {
      fail("torclass_table_flow_verdict result", r, TORCLASS_RESULT_OK);
    }
  }
  if (found != n) fail("flows found expired", found, n);
  expired += found;
}

static void print_counts(const char *name, struct counts c, const char *sep) {
  printf("\"%s\":{\"flows\":%" PRIu64 ",\"packets\":%" PRIu64 "}%s", name, c.flows, c.packets,
         sep);
}

int main(int argc, char **argv) {
  char *end = "", *end2 = "";
  unsigned long capacity = argc >= 2 ? strtoul(argv[1], &end, 10) : 0;
  unsigned long expire_s = argc == 3 ? strtoul(argv[2], &end2, 10) : 30;
  if (argc < 2 || argc > 3 || *end || *end2 || capacity == 0 || capacity > UINT32_MAX) {
    fprintf(stderr, "usage: soak CAPACITY [EXPIRE_EVERY_S] < capture.pcap\n");
    return 2;
  }
  uint64_t expire_every_ns = (uint64_t)expire_s * 1000000000ull;
  static char inbuf[1 << 20];
  setvbuf(stdin, inbuf, _IOFBF, sizeof inbuf);
  uint8_t head[24];
  if (fread(head, 1, 24, stdin) != 24) {
    fprintf(stderr, "soak: no pcap header on stdin\n");
    return 2;
  }
  uint32_t magic;
  memcpy(&magic, head, 4);
  int swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
  int nanos = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
  if (!swap && !nanos && magic != 0xa1b2c3d4u) {
    fprintf(stderr, "soak: not a legacy pcap stream (magic %08" PRIx32 ")\n", magic);
    return 2;
  }
  uint32_t link = get32(head + 20, swap) & 0x0fffffffu;

  double t0 = seconds();
  size_t size = torclass_table_size((uint32_t)capacity);
  void *mem = aligned_alloc(TORCLASS_TABLE_ALIGN, (size + 4095) / 4096 * 4096);
  struct slot *slots = malloc(capacity * sizeof *slots);
  if (!size || !mem || !slots) {
    fprintf(stderr, "soak: cannot allocate %zu bytes for %lu slots\n", size, capacity);
    return 2;
  }
  /* Touch everything now (a plain memset may become a calloc that maps pages on first use):
   * resident memory must stay flat from here on. */
  memset(slots, 0, capacity * sizeof *slots);
  for (size_t i = 0; i < capacity * sizeof *slots; i += 4096) ((volatile char *)slots)[i] = 0;
  torclass_table *table;
  torclass_result r = torclass_table_init(mem, size, (uint32_t)capacity, SEED, NULL, &table);
  if (r != TORCLASS_RESULT_OK) {
    fprintf(stderr, "soak: torclass_table_init: %s\n", torclass_result_message(r));
    return 2;
  }
  long rss_start = rss_kib(), rss_max = rss_start;
  fprintf(stderr, "soak: %lu slots, %zu bytes of table; set up in %.2f s; rss %ld KiB\n",
          capacity, size, seconds() - t0, rss_start);

  static uint8_t frame[TORCLASS_MAX_PACKET_LEN];
  uint64_t frames = 0, classified = 0, created = 0, live = 0, live_max = 0;
  uint64_t errors[TORCLASS_RESULT_PANIC + 1] = {0};
  uint64_t last_expire = 0, first_ts = 0, last_ts = 0;
  double start = seconds(), next_print = start + 1;
  for (;;) {
    uint8_t rec[16];
    size_t got = fread(rec, 1, 16, stdin);
    if (got == 0) break;
    if (got != 16) {
      fprintf(stderr, "soak: truncated record header after %" PRIu64 " frames\n", frames);
      return 2;
    }
    uint32_t caplen = get32(rec + 8, swap);
    if (caplen > sizeof frame || fread(frame, 1, caplen, stdin) != caplen) {
      fprintf(stderr, "soak: bad or truncated record %" PRIu64 " (%" PRIu32 " bytes)\n", frames,
              caplen);
      return 2;
    }
    uint64_t ts = (uint64_t)get32(rec, swap) * 1000000000ull +
                  (uint64_t)get32(rec + 4, swap) * (nanos ? 1u : 1000u);
    if (!frames) first_ts = last_expire = ts;
    last_ts = ts;
    frames++;

    torclass_packet_result res;
    r = torclass_table_process(table, link, frame, caplen, ts, &res);
    if (r != TORCLASS_RESULT_OK) {
      errors[r <= TORCLASS_RESULT_PANIC ? r : TORCLASS_RESULT_PANIC]++;
      if (r == TORCLASS_RESULT_PANIC) fail("torclass_table_process result", r, 0);
      continue;
    }
    classified++;
    if (res.slot >= capacity) {
      fail("slot", res.slot, capacity);
      continue;
    }
    struct slot *s = &slots[res.slot];
    if (res.new_flow) {
      if (s->packets) {
        report(s);
        evicted++;
        live--;
      }
      created++;
      if (++live > live_max) live_max = live;
    } else if (!s->packets) {
      fail("packet of a flow this program never saw created, slot", res.slot, 0);
      continue;
    }
    s->packets++;
    s->verdict = res.verdict.verdict;
    s->protocol = res.verdict.protocol <= TORCLASS_PROTOCOL_MAGNET ? res.verdict.protocol : 0;

    if (expire_every_ns && ts > last_expire && ts - last_expire >= expire_every_ns) {
      size_t n = 0;
      r = torclass_table_expire(table, ts, &n);
      if (r != TORCLASS_RESULT_OK) fail("torclass_table_expire result", r, 0);
      if (n) {
        uint64_t before = expired;
        reconcile(table, slots, (uint32_t)capacity, n);
        live -= expired - before;
      }
      last_expire = ts;
    }
    if ((frames & 4095) == 0 && seconds() >= next_print) {
      long rss = rss_kib();
      if (rss > rss_max) rss_max = rss;
      fprintf(stderr,
              "soak: %.0f s: %" PRIu64 " packets, %" PRIu64 " flows created, %" PRIu64
              " in the table, %" PRIu64 " evicted, %" PRIu64 " expired; rss %ld KiB\n",
              seconds() - start, frames, created, live, evicted, expired, rss);
      next_print += 1;
    }
  }
  double elapsed = seconds() - start;

  for (uint32_t i = 0; i < capacity; i++) {
    if (!slots[i].packets) continue;
    torclass_verdict v;
    r = torclass_table_flow_verdict(table, i, &v);
    if (r != TORCLASS_RESULT_OK) fail("a flow this program holds is not in the table, slot", i, 0);
    else if (v.verdict != slots[i].verdict) fail("verdict read back, slot", i, slots[i].verdict);
    report(&slots[i]);
    remaining++;
  }
  torclass_table_stats st;
  r = torclass_table_get_stats(table, &st, sizeof st);
  if (r != TORCLASS_RESULT_OK) fail("torclass_table_get_stats result", r, 0);
  long rss_end = rss_kib();
  if (rss_end > rss_max) rss_max = rss_end;

  uint64_t packets = 0;
  struct counts bt = {0, 0};
  for (int p = 1; p <= TORCLASS_PROTOCOL_MAGNET; p++) {
    bt.flows += by_protocol[p].flows;
    bt.packets += by_protocol[p].packets;
  }
  packets = bt.packets + not_bittorrent.packets + undecided.packets;
  if (st.flows != created) fail("flows created (stats) vs seen new", st.flows, created);
  if (reported != created) fail("flows reported vs created", reported, created);
  if (evicted + expired != st.evicted_active + st.evicted_idle + st.reused)
    fail("flows evicted + expired vs stats", evicted + expired,
         st.evicted_active + st.evicted_idle + st.reused);
  if (remaining != live) fail("flows left in the table", remaining, live);
  if (packets != classified) fail("packets in reported flows vs classified", packets, classified);

  printf("{\"summary\":{\"flows\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"bittorrent\":{\"flows\":%" PRIu64
         ",\"packets\":%" PRIu64 ",\"protocols\":{",
         reported, packets, bt.flows, bt.packets);
  for (int p = 1; p <= TORCLASS_PROTOCOL_MAGNET; p++)
    print_counts(PROTOCOL_NAMES[p], by_protocol[p], p < TORCLASS_PROTOCOL_MAGNET ? "," : "");
  printf("}},");
  print_counts("not_bittorrent", not_bittorrent, ",");
  print_counts("undecided", undecided, "");
  printf("},\"ffi\":{\"slots\":%lu,\"table_bytes\":%zu,\"frames\":%" PRIu64
         ",\"classified\":%" PRIu64 ",\"flows_created\":%" PRIu64 ",\"max_flows_in_table\":%" PRIu64
         ",\"evicted\":%" PRIu64 ",\"expired\":%" PRIu64 ",\"in_table_at_end\":%" PRIu64
         ",\"span_s\":%.1f,\"seconds\":%.1f,\"packets_per_s\":%.0f,\"rss_kib\":{\"start\":%ld,"
         "\"max\":%ld,\"end\":%ld},\"errors\":{",
         capacity, size, frames, classified, created, live_max, evicted, expired, remaining,
         (double)(last_ts - first_ts) / 1e9, elapsed,
         elapsed > 0 ? (double)frames / elapsed : 0.0, rss_start, rss_max, rss_end);
  for (int c = 1; c <= TORCLASS_RESULT_PANIC; c++)
    printf("\"%d\":%" PRIu64 "%s", c, errors[c], c < TORCLASS_RESULT_PANIC ? "," : "");
  printf("}}}\n");
  fprintf(stderr,
          "soak: TableStats { flows: %" PRIu64 ", evicted_active: %" PRIu64
          ", evicted_idle: %" PRIu64 ", duplicate_bytes: %" PRIu64 ", gaps: %" PRIu64 " }\n",
          st.flows, st.evicted_active, st.evicted_idle, st.duplicate_bytes, st.gaps);
  fprintf(stderr, "soak: %" PRIu64 " frames in %.1f s; %" PRIu64 " flows; rss %ld..%ld KiB; %s\n",
          frames, elapsed, created, rss_start, rss_max, failures ? "FAILED" : "ok");
  free(slots);
  free(mem);
  return failures ? 1 : 0;
}
