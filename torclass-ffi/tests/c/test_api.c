/* C tests of libtorclass: sizes, versions, every bad input, flows kept in caller memory and
 * copied with memcpy, and the real captures in tests/captures (read with libpcap) fed through
 * the table API and checked against their labels.
 * Usage: test_api CAPTURES_DIR */
#define _DEFAULT_SOURCE /* u_int and friends in pcap.h under -std=c11 */
#include <torclass.h>

#include <pcap/pcap.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(sizeof(torclass_flow) == TORCLASS_FLOW_SIZE, "flow size");
_Static_assert(alignof(torclass_flow) == 1, "flow alignment");
_Static_assert(sizeof(torclass_verdict) == 8, "verdict size");
_Static_assert(sizeof(torclass_result) == 4, "result size");
_Static_assert(TORCLASS_TABLE_ALIGN <= alignof(max_align_t), "malloc'd tables are aligned");

static int failures;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                              \
    }                                                                          \
  } while (0)

#define CHECK_RESULT(call, want)                                                    \
  do {                                                                              \
    torclass_result r_ = (call);                                                    \
    if (r_ != (want)) {                                                             \
      fprintf(stderr, "%s:%d: %s returned %u (%s), want %s\n", __FILE__, __LINE__, \
              #call, (unsigned)r_, torclass_result_message(r_), #want);            \
      failures++;                                                                   \
    }                                                                               \
  } while (0)

static const uint8_t HANDSHAKE_PREFIX[] = "\x13" "BitTorrent protocol";

static void test_versions(void) {
  char want[64];
  snprintf(want, sizeof want, "torclass/%d.%d.%d", TORCLASS_VERSION_MAJOR,
           TORCLASS_VERSION_MINOR, TORCLASS_VERSION_PATCH);
  CHECK(strcmp(torclass_version(), want) == 0);
  CHECK(torclass_abi_version() == TORCLASS_ABI_VERSION);
  CHECK(strcmp(torclass_result_message(TORCLASS_RESULT_OK), "ok") == 0);
  CHECK(strstr(torclass_result_message(12345), "unknown") != NULL);
  CHECK(torclass_result_message(UINT32_MAX) != NULL);
  CHECK(torclass_version_number() ==
        (uint32_t)(TORCLASS_VERSION_MAJOR * 10000 + TORCLASS_VERSION_MINOR * 100 + TORCLASS_VERSION_PATCH));
  CHECK(strcmp(torclass_result_name(TORCLASS_RESULT_FRAGMENT_HELD), "fragment_held") == 0);
  CHECK(torclass_result_name(12345) == NULL);
  CHECK(strcmp(torclass_protocol_name(TORCLASS_PROTOCOL_PEER_WIRE_ENCRYPTED), "peer_wire_encrypted") == 0);
  CHECK(strcmp(torclass_verdict_name(TORCLASS_VERDICT_NOT_BITTORRENT), "not_bittorrent") == 0);
  CHECK(strcmp(torclass_confidence_name(TORCLASS_CONFIDENCE_CONFIRMED), "confirmed") == 0);
  CHECK(strcmp(torclass_evidence_name(TORCLASS_EVIDENCE_KNOWN_ENDPOINT), "known_endpoint") == 0);
  CHECK(strcmp(torclass_evidence_name(TORCLASS_EVIDENCE_TLS_INFO_HASH), "tls_info_hash") == 0);
  CHECK(torclass_evidence_name(TORCLASS_EVIDENCE_HANDSHAKE | TORCLASS_EVIDENCE_FAST_BIT) == NULL);
  CHECK(strcmp(torclass_end_reason_name(TORCLASS_END_DRAINED), "drained") == 0);
  CHECK(strcmp(torclass_source_name(TORCLASS_SOURCE_TRACKER), "tracker") == 0);
  CHECK(torclass_source_name(0) == NULL);
  uint32_t link = 0;
  CHECK_RESULT(torclass_link_type_from_dlt(12, &link), TORCLASS_RESULT_OK);
  CHECK(link == TORCLASS_LINK_IP);
  CHECK_RESULT(torclass_link_type_from_dlt(14, &link), TORCLASS_RESULT_OK);
  CHECK(link == TORCLASS_LINK_IP);
  CHECK_RESULT(torclass_link_type_from_dlt(DLT_EN10MB, &link), TORCLASS_RESULT_OK);
  CHECK(link == TORCLASS_LINK_ETHERNET);
  CHECK_RESULT(torclass_link_type_from_dlt(DLT_IEEE802_11_RADIO, &link), TORCLASS_RESULT_OK);
  CHECK(link == DLT_IEEE802_11_RADIO);
  CHECK_RESULT(torclass_link_type_from_dlt(DLT_USER0, &link), TORCLASS_RESULT_UNKNOWN_LINK_TYPE);
}

static void handshake(uint8_t out[68], const char *peer_id) {
  memset(out, 0, 68);
  memcpy(out, HANDSHAKE_PREFIX, 20);
  out[25] = 0x10;
  for (int i = 0; i < 20; i++) out[28 + i] = (uint8_t)(0xa0 + i);
  memcpy(out + 48, peer_id, 20);
}

/* Flows live in the caller's structs, are copied with memcpy, and survive garbage. */
static void test_flow_api(void) {
  struct conn { int id; torclass_flow flow; torclass_meta meta; } conns[3];
  torclass_verdict v;
  uint8_t hs[68];
  handshake(hs, "-TR3000-abcdefghijkl");

  CHECK_RESULT(torclass_flow_init(&conns[0].flow, TORCLASS_TRANSPORT_TCP, 4), TORCLASS_RESULT_OK);
  memset(&conns[0].meta, 0, sizeof conns[0].meta);
  /* The handshake in 1-byte pieces: held until what follows can refute it. */
  for (size_t i = 0; i < sizeof hs; i++)
    CHECK_RESULT(torclass_flow_feed_meta(&conns[0].flow, TORCLASS_DIRECTION_INITIATOR, hs + i, 1,
                                         &conns[0].meta, &v),
                 TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_UNDECIDED);
  CHECK(conns[0].meta.info_hash_len == 20 && conns[0].meta.info_hash[0] == 0xa0);
  CHECK(conns[0].meta.peer_id_len[0] == 20);
  CHECK(strcmp((const char *)conns[0].meta.client[0], "Transmission 3.00") == 0);

  /* memcpy the flow elsewhere; the copy goes on independently. */
  memcpy(&conns[1], &conns[0], sizeof conns[0]);
  CHECK_RESULT(torclass_flow_feed(&conns[1].flow, TORCLASS_DIRECTION_RESPONDER, hs, sizeof hs, &v),
               TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_BITTORRENT);
  CHECK(v.protocol == TORCLASS_PROTOCOL_PEER_WIRE);
  CHECK(v.confidence == TORCLASS_CONFIDENCE_CONFIRMED);
  CHECK(v.evidence & TORCLASS_EVIDENCE_HANDSHAKE_REPLY);
  CHECK(v.evidence & TORCLASS_EVIDENCE_EXTENSION_BIT);
  CHECK_RESULT(torclass_flow_verdict(&conns[0].flow, &v), TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_UNDECIDED);
  /* Nothing more before the end of the flow: the handshake stands. */
  CHECK_RESULT(torclass_flow_finish(&conns[0].flow, &v), TORCLASS_RESULT_OK);
  CHECK(v.confidence == TORCLASS_CONFIDENCE_CONFIRMED);

  /* A flow at an odd address (alignment 1). */
  uint8_t raw[TORCLASS_FLOW_SIZE + 1];
  torclass_flow *odd = (torclass_flow *)(void *)(raw + 1);
  CHECK_RESULT(torclass_flow_init(odd, TORCLASS_TRANSPORT_UDP, 6), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_flow_feed(odd, 0, (const uint8_t *)"hello", 5, &v), TORCLASS_RESULT_OK);

  /* Non-BitTorrent text, then the end of the flow. */
  CHECK_RESULT(torclass_flow_init(&conns[2].flow, TORCLASS_TRANSPORT_TCP, 4), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_flow_feed(&conns[2].flow, 1, (const uint8_t *)"SSH-2.0-OpenSSH_9.2\r\n", 21, &v),
               TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_UNDECIDED);
  CHECK_RESULT(torclass_flow_gap(&conns[2].flow, 1), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_flow_finish(&conns[2].flow, &v), TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_NOT_BITTORRENT);
  CHECK_RESULT(torclass_flow_feed(&conns[2].flow, 0, NULL, 0, &v), TORCLASS_RESULT_OK);
}

static void test_flow_bad_input(void) {
  torclass_flow f, before;
  torclass_verdict v, untouched;
  torclass_meta meta;
  memset(&meta, 0, sizeof meta);
  memset(&untouched, 0x5a, sizeof untouched);
  v = untouched;

  CHECK_RESULT(torclass_flow_init(NULL, TORCLASS_TRANSPORT_TCP, 4), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_flow_init(&f, 1, 4), TORCLASS_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(torclass_flow_init(&f, TORCLASS_TRANSPORT_TCP, 5), TORCLASS_RESULT_INVALID_ARGUMENT);

  /* Zeroed, uninitialised-looking and garbage state. */
  memset(&f, 0, sizeof f);
  CHECK_RESULT(torclass_flow_feed(&f, 0, (const uint8_t *)"x", 1, &v), TORCLASS_RESULT_UNINITIALIZED);
  memset(&f, 0xa5, sizeof f);
  CHECK_RESULT(torclass_flow_verdict(&f, &v), TORCLASS_RESULT_UNINITIALIZED);
  srand(7);
  int refused = 0;
  for (int round = 0; round < 20000; round++) {
    for (size_t i = 0; i < sizeof f.opaque; i++) f.opaque[i] = (uint8_t)rand();
    if (round % 2) { f.opaque[0] = 't'; f.opaque[1] = 'c'; f.opaque[2] = TORCLASS_ABI_VERSION; f.opaque[3] = 0; }
    torclass_result r = torclass_flow_feed(&f, 0, (const uint8_t *)"x", 1, &v);
    refused += r != TORCLASS_RESULT_OK;
  }
  CHECK(refused == 20000);
  CHECK(memcmp(&v, &untouched, sizeof v) == 0); /* out-params untouched on failure */

  /* Each single-bit flip of a valid state is caught; the state is left as it was. */
  CHECK_RESULT(torclass_flow_init(&f, TORCLASS_TRANSPORT_TCP, 4), TORCLASS_RESULT_OK);
  for (size_t bit = 0; bit < 8 * sizeof f.opaque; bit++) {
    torclass_flow g = f;
    g.opaque[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    before = g;
    torclass_result r = torclass_flow_feed(&g, 0, HANDSHAKE_PREFIX, 20, &v);
    CHECK(r == TORCLASS_RESULT_UNINITIALIZED || r == TORCLASS_RESULT_CORRUPT_STATE ||
          r == TORCLASS_RESULT_ABI_MISMATCH);
    CHECK(memcmp(&g, &before, sizeof g) == 0);
  }

  /* NULL pointers, bad directions, huge lengths. */
  CHECK_RESULT(torclass_flow_feed(NULL, 0, (const uint8_t *)"x", 1, &v), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_flow_feed(&f, 0, NULL, 1, &v), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_flow_feed(&f, 0, (const uint8_t *)"x", 1, NULL), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_flow_feed(&f, 2, (const uint8_t *)"x", 1, &v), TORCLASS_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(torclass_flow_feed(&f, 0, (const uint8_t *)"x", SIZE_MAX, &v), TORCLASS_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(torclass_flow_feed(&f, 0, (const uint8_t *)"x", (size_t)PTRDIFF_MAX + 1, &v),
               TORCLASS_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(torclass_flow_feed_meta(&f, 0, (const uint8_t *)"x", 1, NULL, &v), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_flow_verdict(NULL, &v), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_flow_finish(&f, NULL), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_flow_gap(&f, 7), TORCLASS_RESULT_INVALID_ARGUMENT);
  CHECK(memcmp(&v, &untouched, sizeof v) == 0);
}

static void test_table_bad_input(void) {
  torclass_table *t = NULL;
  torclass_packet_result res;
  size_t need = torclass_table_size(16);
  CHECK(need > 0);
  CHECK(torclass_table_size(0) == 0);
  unsigned char *mem = aligned_alloc(TORCLASS_TABLE_ALIGN, need + 64);
  CHECK(mem != NULL);

  CHECK_RESULT(torclass_table_init(NULL, need, 16, 1, NULL, &t), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_table_init(mem, need, 16, 1, NULL, NULL), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_table_init(mem, need, 0, 1, NULL, &t), TORCLASS_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(torclass_table_init(mem, need, UINT32_MAX, 1, NULL, &t),
               sizeof(size_t) == 8 ? TORCLASS_RESULT_BUFFER_TOO_SMALL : TORCLASS_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(torclass_table_init(mem, need - 1, 16, 1, NULL, &t), TORCLASS_RESULT_BUFFER_TOO_SMALL);
  CHECK_RESULT(torclass_table_init(mem + 1, need, 16, 1, NULL, &t), TORCLASS_RESULT_MISALIGNED);
  CHECK(t == NULL);

  /* Zeroed and garbage memory is refused. */
  memset(mem, 0, need);
  CHECK_RESULT(torclass_table_process((torclass_table *)(void *)mem, TORCLASS_LINK_IP,
                                      (const uint8_t *)"E", 1, 0, &res),
               TORCLASS_RESULT_UNINITIALIZED);
  memset(mem, 0xa5, need);
  CHECK_RESULT(torclass_table_process((torclass_table *)(void *)mem, TORCLASS_LINK_IP,
                                      (const uint8_t *)"E", 1, 0, &res),
               TORCLASS_RESULT_UNINITIALIZED);
  CHECK_RESULT(torclass_table_process((torclass_table *)(void *)(mem + 1), TORCLASS_LINK_IP,
                                      (const uint8_t *)"E", 1, 0, &res),
               TORCLASS_RESULT_MISALIGNED);

  torclass_table_config cfg;
  CHECK_RESULT(torclass_table_default_config(&cfg), TORCLASS_RESULT_OK);
  CHECK(cfg.tcp_idle_ns > 0);
  CHECK(cfg.struct_size == sizeof cfg);
  cfg.struct_size = 4;
  CHECK_RESULT(torclass_table_init(mem, need, 16, 42, &cfg, &t), TORCLASS_RESULT_INVALID_ARGUMENT);
  /* The first ABI 1 struct, to its last field (a later header may add fields after it). */
  cfg.struct_size = (uint32_t)(offsetof(torclass_table_config, learn_endpoints) + sizeof cfg.learn_endpoints);
  CHECK_RESULT(torclass_table_init(mem, need, 16, 42, &cfg, &t), TORCLASS_RESULT_OK);
  cfg.struct_size--;
  CHECK_RESULT(torclass_table_init(mem, need, 16, 42, &cfg, &t), TORCLASS_RESULT_INVALID_ARGUMENT);
  cfg.struct_size = sizeof cfg;
  CHECK_RESULT(torclass_table_init(mem, need, 16, 42, &cfg, &t), TORCLASS_RESULT_OK);
  CHECK((void *)t == (void *)mem);

  /* A table copied elsewhere is refused (it holds its own address). */
  unsigned char *copy = aligned_alloc(TORCLASS_TABLE_ALIGN, need);
  memcpy(copy, mem, need);
  CHECK_RESULT(torclass_table_process((torclass_table *)(void *)copy, TORCLASS_LINK_IP,
                                      (const uint8_t *)"E", 1, 0, &res),
               TORCLASS_RESULT_UNINITIALIZED);
  free(copy);

  /* Bad packets. */
  static const uint8_t garbage[64] = {0x45, 0xff, 0xff};
  CHECK_RESULT(torclass_table_process(t, 9999, garbage, sizeof garbage, 0, &res), TORCLASS_RESULT_UNKNOWN_LINK_TYPE);
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, garbage, 1, 0, &res),
               TORCLASS_RESULT_MALFORMED_PACKET);
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, NULL, 0, 0, &res), TORCLASS_RESULT_MALFORMED_PACKET);
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, NULL, 20, 0, &res), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, garbage, SIZE_MAX, 0, &res), TORCLASS_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, garbage, TORCLASS_MAX_PACKET_LEN + 1, 0, &res),
               TORCLASS_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, garbage, sizeof garbage, 0, NULL),
               TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_table_process(NULL, TORCLASS_LINK_IP, garbage, sizeof garbage, 0, &res),
               TORCLASS_RESULT_NULL_PARAMETER);
  /* ICMP echo over IPv4: nothing to classify. */
  static const uint8_t icmp[28] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0};
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, icmp, sizeof icmp, 0, &res),
               TORCLASS_RESULT_UNSUPPORTED_PACKET);
  /* Random packets of random lengths and link types never crash. */
  uint8_t buf[256];
  for (int round = 0; round < 20000; round++) {
    size_t len = (size_t)rand() % sizeof buf;
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)rand();
    if (len > 0) buf[0] = (uint8_t)((round & 1) ? 0x45 : 0x60);
    static const uint32_t links[] = {0, 1, 101, 108, 113, 228, 229, 276, 2, 12};
    torclass_result r = torclass_table_process(t, links[round % 10], buf, len, (uint64_t)round, &res);
    CHECK(r != TORCLASS_RESULT_PANIC);
  }

  torclass_meta meta;
  torclass_flow_key key;
  torclass_verdict v;
  CHECK_RESULT(torclass_table_meta(t, 1000000, &meta), TORCLASS_RESULT_NOT_FOUND);
  CHECK_RESULT(torclass_table_flow_key(t, 1000000, &key), TORCLASS_RESULT_NOT_FOUND);
  CHECK_RESULT(torclass_table_flow_verdict(t, 1000000, &v), TORCLASS_RESULT_NOT_FOUND);
  CHECK_RESULT(torclass_table_meta(t, 0, NULL), TORCLASS_RESULT_NULL_PARAMETER);
  size_t expired = 0;
  CHECK_RESULT(torclass_table_expire(t, UINT64_MAX, &expired), TORCLASS_RESULT_OK);
  torclass_table_stats stats;
  CHECK_RESULT(torclass_table_get_stats(t, &stats, offsetof(torclass_table_stats, clock_unit) - 1),
               TORCLASS_RESULT_BUFFER_TOO_SMALL);
  CHECK_RESULT(torclass_table_get_stats(t, &stats, sizeof stats), TORCLASS_RESULT_OK);
  CHECK(stats.struct_size == sizeof stats && stats.capacity == 16);
  CHECK(stats.results[TORCLASS_RESULT_UNSUPPORTED_PACKET] >= 1);
  CHECK(stats.results[TORCLASS_RESULT_OK] == stats.packets);
  torclass_flow_info info;
  CHECK_RESULT(torclass_table_flow_info(t, 0, &info, sizeof info), TORCLASS_RESULT_NOT_FOUND);
  CHECK_RESULT(torclass_table_finish(t, 0, NULL), TORCLASS_RESULT_NOT_FOUND);
  CHECK_RESULT(torclass_table_remove(t, UINT64_MAX), TORCLASS_RESULT_NOT_FOUND);
  torclass_endpoint ep = {0};
  CHECK_RESULT(torclass_table_endpoint_query(t, &ep, 0, NULL), TORCLASS_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(torclass_table_endpoint_insert(t, NULL, 0), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_table_endpoint_next(t, NULL, 0, &ep), TORCLASS_RESULT_NULL_PARAMETER);
  free(mem);
}

/* An IPv4 TCP packet 10.0.0.a:sport -> 10.0.0.b:dport; returns its length. */
static size_t tcp4(uint8_t *out, uint8_t a, uint16_t sport, uint8_t b, uint16_t dport, uint8_t flags,
                   uint32_t seq, const uint8_t *payload, size_t len) {
  size_t total = 40 + len;
  memset(out, 0, 40);
  out[0] = 0x45;
  out[2] = (uint8_t)(total >> 8);
  out[3] = (uint8_t)total;
  out[6] = 0x40; /* DF */
  out[8] = 64;
  out[9] = 6;
  out[12] = 10; out[15] = a;
  out[16] = 10; out[19] = b;
  out[20] = (uint8_t)(sport >> 8); out[21] = (uint8_t)sport;
  out[22] = (uint8_t)(dport >> 8); out[23] = (uint8_t)dport;
  out[24] = (uint8_t)(seq >> 24); out[25] = (uint8_t)(seq >> 16); out[26] = (uint8_t)(seq >> 8); out[27] = (uint8_t)seq;
  out[32] = 0x50;
  out[33] = flags;
  out[34] = 0xff;
  if (len) memcpy(out + 40, payload, len);
  return total;
}

struct ended { int count; int reasons[8]; torclass_flow_info last; torclass_table *table; };

static void on_end(void *user, const torclass_flow_info *info) {
  struct ended *e = user;
  e->count++;
  if (info->end_reason < 8) e->reasons[info->end_reason]++;
  e->last = *info;
  /* Calling back into the same table is refused, never corrupting it. */
  torclass_table_stats s;
  CHECK_RESULT(torclass_table_get_stats(e->table, &s, sizeof s), TORCLASS_RESULT_BUSY);
}

/* Flow-end events, handles that detect slot reuse, finish/remove, the endpoint cache and
 * held fragments, on hand-made packets. */
static void test_lifecycle(void) {
  const uint64_t S = 1000000000u;
  size_t need = torclass_table_size(64);
  void *mem = aligned_alloc(TORCLASS_TABLE_ALIGN, need);
  torclass_table *t;
  CHECK_RESULT(torclass_table_init(mem, need, 64, 7, NULL, &t), TORCLASS_RESULT_OK);
  struct ended e;
  memset(&e, 0, sizeof e);
  e.table = t;
  CHECK_RESULT(torclass_table_set_flow_end(t, on_end, &e), TORCLASS_RESULT_OK);

  /* A known peer, inserted by the daemon: a SYN to it shows KNOWN_ENDPOINT at once. */
  torclass_endpoint peer = {0};
  peer.ip_version = 4;
  peer.addr[0] = 10; peer.addr[3] = 9;
  peer.port = 51413;
  peer.source = TORCLASS_SOURCE_TRACKER;
  peer.expires_ns = 100 * S;
  CHECK_RESULT(torclass_table_endpoint_insert(t, &peer, 1 * S), TORCLASS_RESULT_OK);
  torclass_endpoint got;
  CHECK_RESULT(torclass_table_endpoint_query(t, &peer, 2 * S, &got), TORCLASS_RESULT_OK);
  CHECK(got.source == TORCLASS_SOURCE_TRACKER && got.expires_ns == 100 * S && got.port == 51413);
  CHECK_RESULT(torclass_table_endpoint_query(t, &peer, 200 * S, &got), TORCLASS_RESULT_NOT_FOUND);
  size_t cursor = 0;
  int listed = 0;
  while (torclass_table_endpoint_next(t, &cursor, 2 * S, &got) == TORCLASS_RESULT_OK) listed++;
  CHECK(listed == 1);
  uint8_t pkt[256];
  torclass_packet_result res;
  size_t n = tcp4(pkt, 1, 40000, 9, 51413, 0x02, 1000, NULL, 0);
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, pkt, n, 3 * S, &res), TORCLASS_RESULT_OK);
  CHECK(res.new_flow && res.verdict.verdict == TORCLASS_VERDICT_UNDECIDED);
  CHECK(res.verdict.evidence & TORCLASS_EVIDENCE_KNOWN_ENDPOINT);
  CHECK(res.handle != 0);
  uint64_t known = res.handle;

  /* A handshake flow: finish by handle, then remove; the callback sees the final verdict. */
  uint8_t hs[68];
  handshake(hs, "-TR3000-abcdefghijkl");
  n = tcp4(pkt, 2, 40001, 3, 6881, 0x18, 1, hs, sizeof hs);
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, pkt, n, 4 * S, &res), TORCLASS_RESULT_OK);
  uint64_t handle = res.handle;
  torclass_flow_info info;
  CHECK_RESULT(torclass_table_flow_info(t, handle, &info, sizeof info), TORCLASS_RESULT_OK);
  CHECK(info.struct_size == sizeof info && info.end_reason == 0 && info.packets[0] == 1);
  {
    size_t abi1 = offsetof(torclass_flow_info, meta) + sizeof info.meta;
    torclass_flow_info small;
    CHECK_RESULT(torclass_table_flow_info(t, handle, &small, abi1 - 1), TORCLASS_RESULT_BUFFER_TOO_SMALL);
    CHECK_RESULT(torclass_table_flow_info(t, handle, &small, abi1), TORCLASS_RESULT_OK);
    CHECK(small.struct_size == abi1 && small.packets[0] == 1);
  }
  CHECK(info.bytes[0] == sizeof hs && info.first_ns == 4 * S && info.slot == res.slot);
  CHECK(info.meta.peer_id_len[0] == 20 && !strncmp((const char *)info.meta.client[0], "Transmission", 12));
  torclass_verdict v;
  CHECK_RESULT(torclass_table_finish(t, handle, &v), TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_BITTORRENT); /* a lone handshake, judged by finish */
  CHECK_RESULT(torclass_table_remove(t, handle), TORCLASS_RESULT_OK);
  CHECK(e.count == 1 && e.reasons[TORCLASS_END_REMOVED] == 1 && e.last.handle == handle);
  CHECK(e.last.verdict.verdict == TORCLASS_VERDICT_BITTORRENT);
  CHECK(e.last.verdict.protocol == TORCLASS_PROTOCOL_PEER_WIRE);
  /* The handle is stale now, even once another flow takes the slot. */
  CHECK_RESULT(torclass_table_flow_info(t, handle, &info, sizeof info), TORCLASS_RESULT_NOT_FOUND);
  CHECK_RESULT(torclass_table_remove(t, handle), TORCLASS_RESULT_NOT_FOUND);
  n = tcp4(pkt, 2, 40001, 3, 6881, 0x02, 5, NULL, 0);
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, pkt, n, 5 * S, &res), TORCLASS_RESULT_OK);
  CHECK(res.handle != handle);
  CHECK_RESULT(torclass_table_flow_info(t, handle, &info, sizeof info), TORCLASS_RESULT_NOT_FOUND);

  /* Idle flows expire through the callback; the known-peer flow too. */
  size_t expired = 0;
  CHECK_RESULT(torclass_table_expire(t, 5 * S + 700 * S, &expired), TORCLASS_RESULT_OK);
  CHECK(expired == 2 && e.reasons[TORCLASS_END_IDLE] == 2);
  CHECK_RESULT(torclass_table_flow_info(t, known, &info, sizeof info), TORCLASS_RESULT_NOT_FOUND);

  /* A first IPv4 fragment is held; the flow appears when the datagram completes. */
  static const uint8_t udp_payload[16] = "d1:ad2:id20:abc";
  uint8_t frag[64];
  memset(frag, 0, sizeof frag);
  frag[0] = 0x45; frag[3] = 20 + 16; frag[5] = 0x77; frag[6] = 0x20; /* MF */
  frag[8] = 64; frag[9] = 17; frag[12] = 10; frag[15] = 4; frag[16] = 10; frag[19] = 5;
  frag[20] = 0x1a; frag[21] = 0xe1; frag[22] = 0x1a; frag[23] = 0xe1; frag[25] = 8 + 16;
  memcpy(frag + 28, udp_payload, 8);
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, frag, 36, 800 * S, &res),
               TORCLASS_RESULT_FRAGMENT_HELD);
  frag[6] = 0; frag[7] = 1; /* offset 8 bytes, last */
  frag[3] = 20 + 8;
  memcpy(frag + 20, udp_payload + 8, 8);
  CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, frag, 28, 800 * S, &res), TORCLASS_RESULT_OK);
  CHECK(res.new_flow && res.transport == TORCLASS_TRANSPORT_UDP);

  CHECK_RESULT(torclass_table_endpoint_forget(t, &peer), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_table_endpoint_forget(t, &peer), TORCLASS_RESULT_NOT_FOUND);
  torclass_table_stats s;
  CHECK_RESULT(torclass_table_get_stats(t, &s, sizeof s), TORCLASS_RESULT_OK);
  CHECK(s.results[TORCLASS_RESULT_FRAGMENT_HELD] == 1 && s.live_flows == 1 && s.flows == 4);
  CHECK(s.bittorrent[TORCLASS_PROTOCOL_PEER_WIRE] == 1 && s.endpoint_hits >= 1);
  CHECK_RESULT(torclass_table_drain(t), TORCLASS_RESULT_OK);
  CHECK(e.reasons[TORCLASS_END_DRAINED] == 1 && e.count == 4);
  CHECK_RESULT(torclass_table_get_stats(t, &s, sizeof s), TORCLASS_RESULT_OK);
  CHECK(s.live_flows == 0 && s.removed == 2 && s.bittorrent[TORCLASS_PROTOCOL_PEER_WIRE] == 1);
  CHECK(s.not_bittorrent == 3);
  free(mem);
}

/* The payload entry point with a standalone endpoint cache: a confirmed peer wire flow
 * teaches its responder, a later flow to it is corroborated at its start; mid-stream pickup. */
static void test_payload_cache(void) {
  const uint64_t S = 1000000000u;
  /* Bad memory is refused. */
  torclass_endpoints *c;
  CHECK(torclass_endpoints_size(0) == 0);
  size_t need = torclass_endpoints_size(64);
  CHECK(need >= 64 * 32);
  void *mem = aligned_alloc(TORCLASS_TABLE_ALIGN, need);
  CHECK_RESULT(torclass_endpoints_init(mem, need - 1, 64, 1, 0, &c), TORCLASS_RESULT_BUFFER_TOO_SMALL);
  CHECK_RESULT(torclass_endpoints_init((char *)mem + 1, need, 64, 1, 0, &c), TORCLASS_RESULT_MISALIGNED);
  CHECK_RESULT(torclass_endpoints_init(NULL, need, 64, 1, 0, &c), TORCLASS_RESULT_NULL_PARAMETER);
  memset(mem, 0, need);
  torclass_endpoint ep = {0};
  CHECK_RESULT(torclass_endpoints_query((torclass_endpoints *)mem, &ep, 0, NULL), TORCLASS_RESULT_UNINITIALIZED);
  CHECK_RESULT(torclass_endpoints_init(mem, need, 64, 1, 0, &c), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_endpoints_query(c, &ep, 0, NULL), TORCLASS_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(torclass_endpoints_insert(c, NULL, 0), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_endpoints_next(c, NULL, 0, &ep), TORCLASS_RESULT_NULL_PARAMETER);

  /* A flow 10.0.0.1:40000 -> 10.0.0.2:6881 confirmed by both handshakes. */
  torclass_flow_key key = {0};
  key.ip_version = 4;
  key.transport = TORCLASS_TRANSPORT_TCP;
  key.src_port = 40000;
  key.dst_port = 6881;
  key.src_addr[0] = 10; key.src_addr[3] = 1;
  key.dst_addr[0] = 10; key.dst_addr[3] = 2;
  uint8_t hs[68];
  handshake(hs, "-TR3000-abcdefghijkl");
  torclass_flow f;
  torclass_meta meta;
  torclass_verdict v;
  memset(&meta, 0, sizeof meta);
  CHECK_RESULT(torclass_flow_init(&f, TORCLASS_TRANSPORT_TCP, 4), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_flow_corroborate(&f, c, &key, 1 * S, &v), TORCLASS_RESULT_OK);
  CHECK(!(v.evidence & TORCLASS_EVIDENCE_KNOWN_ENDPOINT));
  key.transport = TORCLASS_TRANSPORT_UDP; /* not the flow's transport */
  CHECK_RESULT(torclass_flow_feed_learn(&f, 0, hs, sizeof hs, &meta, c, &key, 1 * S, &v),
               TORCLASS_RESULT_INVALID_ARGUMENT);
  key.transport = TORCLASS_TRANSPORT_TCP;
  CHECK_RESULT(torclass_flow_feed_learn(&f, 0, hs, sizeof hs, &meta, c, NULL, 1 * S, &v),
               TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_flow_feed_learn(&f, 0, hs, sizeof hs, &meta, c, &key, 1 * S, &v), TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_UNDECIDED && meta.peer_id_len[0] == 20);
  CHECK_RESULT(torclass_flow_feed_learn(&f, 1, hs, sizeof hs, NULL, c, &key, 2 * S, &v), TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_BITTORRENT && v.confidence == TORCLASS_CONFIDENCE_CONFIRMED);
  /* Its responder is a known peer now (not the initiator: its port is ephemeral). */
  torclass_endpoint peer = {0}, got;
  peer.ip_version = 4;
  memcpy(peer.addr, key.dst_addr, 4);
  peer.port = 6881;
  CHECK_RESULT(torclass_endpoints_query(c, &peer, 3 * S, &got), TORCLASS_RESULT_OK);
  CHECK(got.source == TORCLASS_SOURCE_FLOW && got.expires_ns == 2 * S + 1800 * S);
  memcpy(peer.addr, key.src_addr, 4);
  peer.port = 40000;
  CHECK_RESULT(torclass_endpoints_query(c, &peer, 3 * S, &got), TORCLASS_RESULT_NOT_FOUND);
  /* A new connection to it, from another host: KNOWN_ENDPOINT at its start. */
  key.src_addr[3] = 7;
  CHECK_RESULT(torclass_flow_init(&f, TORCLASS_TRANSPORT_TCP, 4), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_flow_corroborate(&f, c, &key, 4 * S, &v), TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_UNDECIDED && (v.evidence & TORCLASS_EVIDENCE_KNOWN_ENDPOINT));
  /* A datagram shaped like a uTP SYN (BEP 29) from 10.0.0.9:7777 to it: confirmed because the
     peer is known, so it teaches nothing (a game's first datagram can have that shape). */
  static const uint8_t syn[20] = {0x41, 0, 0x50, 0, 0x12, 0x34, 0x56, 0x78, 0, 0,
                                  0,    0, 0,    0x10, 0, 0,  0,    9,    0, 0};
  torclass_flow_key game = key;
  game.transport = TORCLASS_TRANSPORT_UDP;
  game.src_addr[3] = 9;
  game.src_port = 7777;
  CHECK_RESULT(torclass_flow_init(&f, TORCLASS_TRANSPORT_UDP, 4), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_flow_corroborate(&f, c, &game, 4 * S, &v), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_flow_feed_learn(&f, 0, syn, sizeof syn, NULL, c, &game, 4 * S, &v), TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_BITTORRENT && v.confidence == TORCLASS_CONFIDENCE_CONFIRMED);
  memcpy(peer.addr, game.src_addr, 4);
  peer.port = 7777;
  CHECK_RESULT(torclass_endpoints_query(c, &peer, 4 * S, &got), TORCLASS_RESULT_NOT_FOUND);
  CHECK_RESULT(torclass_flow_init(&f, TORCLASS_TRANSPORT_TCP, 4), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_flow_corroborate(&f, c, &key, 4000 * S, &v), TORCLASS_RESULT_OK); /* expired */
  CHECK(!(v.evidence & TORCLASS_EVIDENCE_KNOWN_ENDPOINT));
  /* Insert, list, forget. */
  peer.port = 51413;
  peer.source = TORCLASS_SOURCE_DHT;
  peer.expires_ns = 100 * S;
  CHECK_RESULT(torclass_endpoints_insert(c, &peer, 5 * S), TORCLASS_RESULT_OK);
  size_t cursor = 0;
  int listed = 0;
  while (torclass_endpoints_next(c, &cursor, 6 * S, &got) == TORCLASS_RESULT_OK) listed++;
  CHECK(listed == 2);
  CHECK_RESULT(torclass_endpoints_forget(c, &peer), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_endpoints_forget(c, &peer), TORCLASS_RESULT_NOT_FOUND);
  /* A copied cache is refused. */
  void *copy = aligned_alloc(TORCLASS_TABLE_ALIGN, need);
  memcpy(copy, mem, need);
  CHECK_RESULT(torclass_endpoints_query((torclass_endpoints *)copy, &peer, 0, NULL), TORCLASS_RESULT_UNINITIALIZED);
  free(copy);
  free(mem);

  /* Mid-stream: the first payload is the middle of a piece, the next starts at messages. */
  uint8_t middle[700], haves[36];
  memset(middle, 0xab, sizeof middle);
  for (int i = 0; i < 4; i++) {
    static const uint8_t have[9] = {0, 0, 0, 5, 4, 0, 0, 0, 0};
    memcpy(haves + 9 * i, have, 9);
    haves[9 * i + 8] = (uint8_t)i;
  }
  CHECK_RESULT(torclass_flow_init(&f, TORCLASS_TRANSPORT_TCP, 4), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_flow_midstream(&f), TORCLASS_RESULT_OK);
  CHECK_RESULT(torclass_flow_feed(&f, 0, middle, sizeof middle, &v), TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_UNDECIDED);
  CHECK_RESULT(torclass_flow_feed(&f, 0, haves, sizeof haves, &v), TORCLASS_RESULT_OK);
  CHECK(v.verdict == TORCLASS_VERDICT_BITTORRENT && v.confidence == TORCLASS_CONFIDENCE_LIKELY);
  CHECK_RESULT(torclass_flow_feed(&f, 1, haves, sizeof haves, &v), TORCLASS_RESULT_OK);
  CHECK(v.confidence == TORCLASS_CONFIDENCE_LIKELY && v.protocol == TORCLASS_PROTOCOL_PEER_WIRE);
  CHECK_RESULT(torclass_flow_midstream(&f), TORCLASS_RESULT_INVALID_ARGUMENT); /* decided: refused */
  CHECK_RESULT(torclass_flow_midstream(NULL), TORCLASS_RESULT_NULL_PARAMETER);
}

/* A packet's headers without a table. */
static void test_packet_decode(void) {
  uint8_t pkt[128];
  torclass_packet_info p;
  size_t n = tcp4(pkt, 1, 40000, 9, 51413, 0x02, 1000, NULL, 0);
  CHECK_RESULT(torclass_packet_decode(TORCLASS_LINK_IP, pkt, n, &p, sizeof p), TORCLASS_RESULT_OK);
  CHECK(p.struct_size == sizeof p && p.tcp_flags == TORCLASS_TCP_SYN && p.payload_len == 0 && !p.first_fragment);
  CHECK(p.key.ip_version == 4 && p.key.transport == TORCLASS_TRANSPORT_TCP);
  CHECK(p.key.src_port == 40000 && p.key.dst_port == 51413 && p.key.dst_addr[0] == 10 && p.key.dst_addr[3] == 9);
  n = tcp4(pkt, 9, 51413, 1, 40000, 0x18, 1, (const uint8_t *)"hello", 5);
  CHECK_RESULT(torclass_packet_decode(TORCLASS_LINK_IP, pkt, n, &p, sizeof p), TORCLASS_RESULT_OK);
  CHECK(p.tcp_flags == (TORCLASS_TCP_ACK | 0x08) && p.payload_len == 5 && p.key.src_port == 51413);
  CHECK_RESULT(torclass_packet_decode(TORCLASS_LINK_IP, pkt, n, &p, sizeof p - 1), TORCLASS_RESULT_BUFFER_TOO_SMALL);
  CHECK_RESULT(torclass_packet_decode(TORCLASS_LINK_IP, pkt, n, NULL, sizeof p), TORCLASS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(torclass_packet_decode(TORCLASS_LINK_IP, pkt, 30, &p, sizeof p), TORCLASS_RESULT_MALFORMED_PACKET);
  CHECK_RESULT(torclass_packet_decode(9999, pkt, n, &p, sizeof p), TORCLASS_RESULT_UNKNOWN_LINK_TYPE);
  CHECK_RESULT(torclass_packet_decode(TORCLASS_LINK_IP, pkt, SIZE_MAX, &p, sizeof p), TORCLASS_RESULT_INVALID_ARGUMENT);
  static const uint8_t icmp[28] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0};
  CHECK_RESULT(torclass_packet_decode(TORCLASS_LINK_IP, icmp, sizeof icmp, &p, sizeof p),
               TORCLASS_RESULT_UNSUPPORTED_PACKET);
}

/* Timestamps in the wrong unit: torclass_clock_unit names them, and a table reports the unit
 * of its first timestamp in its stats. The stats struct grows at its end: a program built
 * against the first ABI 1 header (up to endpoint_misses) still gets its fields. */
static void test_clock_unit(void) {
  const uint64_t now = (uint64_t)time(NULL);
  CHECK(torclass_clock_unit(now) == TORCLASS_CLOCK_SECONDS);
  CHECK(torclass_clock_unit(now * 1000u + 123) == TORCLASS_CLOCK_MILLISECONDS);
  CHECK(torclass_clock_unit(now * 1000000u) == TORCLASS_CLOCK_MICROSECONDS);
  CHECK(torclass_clock_unit(now * 1000000000u) == TORCLASS_CLOCK_NANOSECONDS);
  CHECK(torclass_clock_unit(0) == TORCLASS_CLOCK_NANOSECONDS);
  struct timespec mono;
  clock_gettime(CLOCK_MONOTONIC, &mono);
  CHECK(torclass_clock_unit((uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec) ==
        TORCLASS_CLOCK_NANOSECONDS);

  static const uint64_t clocks[][2] = {{0, TORCLASS_CLOCK_MILLISECONDS},
                                       {1, TORCLASS_CLOCK_NANOSECONDS},
                                       {2, TORCLASS_CLOCK_SECONDS}};
  for (size_t i = 0; i < sizeof clocks / sizeof *clocks; i++) {
    uint64_t first = clocks[i][0] == 0 ? now * 1000u : clocks[i][0] == 1 ? 5000000000u : now;
    size_t need = torclass_table_size(16);
    void *mem = aligned_alloc(TORCLASS_TABLE_ALIGN, need);
    torclass_table *t;
    CHECK_RESULT(torclass_table_init(mem, need, 16, 1, NULL, &t), TORCLASS_RESULT_OK);
    torclass_table_stats s;
    CHECK_RESULT(torclass_table_get_stats(t, &s, sizeof s), TORCLASS_RESULT_OK);
    CHECK(s.clock_unit == TORCLASS_CLOCK_NANOSECONDS); /* nothing checked yet */
    uint8_t pkt[64];
    torclass_packet_result res;
    size_t n = tcp4(pkt, 1, 1000, 2, 80, 0x02, 1, NULL, 0);
    CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, pkt, n, first, &res), TORCLASS_RESULT_OK);
    /* Only the first timestamp is checked. */
    CHECK_RESULT(torclass_table_process(t, TORCLASS_LINK_IP, pkt, n, now * 1000000000u, &res),
                 TORCLASS_RESULT_OK);
    CHECK_RESULT(torclass_table_get_stats(t, &s, sizeof s), TORCLASS_RESULT_OK);
    CHECK(s.clock_unit == clocks[i][1] && s.struct_size == sizeof s);
    /* The first ABI 1 stats struct: only its bytes are written. */
    memset(&s, 0xab, sizeof s);
    size_t old = offsetof(torclass_table_stats, clock_unit);
    CHECK_RESULT(torclass_table_get_stats(t, &s, old), TORCLASS_RESULT_OK);
    CHECK(s.struct_size == old && s.capacity == 16 && s.clock_unit == 0xabababab);
    free(mem);
  }
}

/* Real captures: every labelled flow gets the label's verdict. */
struct label { char l4[4], a[64], b[64], label[32]; unsigned aport, bport; int also, payload; };

static int load_labels(const char *path, struct label *out, int max) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[1024];
  int n = 0;
  while (n < max && fgets(line, sizeof line, f)) {
    struct label *l = &out[n];
    if (sscanf(line, "{\"l4\":\"%3[a-z]\",\"a\":\"%63[^\"]\",\"aport\":%u,\"b\":\"%63[^\"]\",\"bport\":%u,\"label\":\"%31[^\"]\"",
               l->l4, l->a, &l->aport, l->b, &l->bport, l->label) != 6) {
      fprintf(stderr, "%s: cannot read label line: %s", path, line);
      failures++;
      continue;
    }
    l->also = strstr(line, "\"also\"") != NULL;
    l->payload = strstr(line, "\"payload\":false") == NULL;
    n++;
  }
  fclose(f);
  return n;
}

static const char *PROTOCOLS[] = {"", "peer_wire", "peer_wire_encrypted", "utp", "dht",
                                  "udp_tracker", "http_tracker", "lsd", "magnet"};

static void addr_text(const torclass_flow_key *k, const uint8_t *addr, char *out, size_t n) {
  if (k->ip_version == 4) snprintf(out, n, "%u.%u.%u.%u", addr[0], addr[1], addr[2], addr[3]);
  else snprintf(out, n, "v6");
}

static void test_capture(const char *dir, const char *name) {
  char pcap_path[512], labels_path[512], err[PCAP_ERRBUF_SIZE];
  snprintf(pcap_path, sizeof pcap_path, "%s/%s.pcap", dir, name);
  snprintf(labels_path, sizeof labels_path, "%s/%s.labels.jsonl", dir, name);
  struct label labels[64];
  int nlabels = load_labels(labels_path, labels, 64);
  pcap_t *p = pcap_open_offline(pcap_path, err);
  if (!p || nlabels < 0) {
    fprintf(stderr, "%s: cannot open: %s\n", name, err);
    failures++;
    return;
  }
  int dlt = pcap_datalink(p);
  uint32_t link = 9999;
  CHECK_RESULT(torclass_link_type_from_dlt((uint32_t)dlt, &link), TORCLASS_RESULT_OK);
  uint32_t capacity = 4096;
  size_t need = torclass_table_size(capacity);
  void *mem = aligned_alloc(TORCLASS_TABLE_ALIGN, need);
  torclass_table *t;
  CHECK_RESULT(torclass_table_init(mem, need, capacity, 0x1234, NULL, &t), TORCLASS_RESULT_OK);
  struct pcap_pkthdr *h;
  const u_char *data;
  long packets = 0, ok = 0;
  while (pcap_next_ex(p, &h, &data) == 1) {
    torclass_packet_result res;
    uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * 1000u;
    torclass_result r = torclass_table_process(t, link, data, h->caplen, ts, &res);
    CHECK(r != TORCLASS_RESULT_PANIC && r != TORCLASS_RESULT_UNKNOWN_LINK_TYPE);
    packets++;
    ok += r == TORCLASS_RESULT_OK;
  }
  pcap_close(p);
  int checked = 0;
  for (int i = 0; i < nlabels; i++) {
    struct label *l = &labels[i];
    if (!l->payload) continue;
    int found = 0;
    for (uint32_t s = 0; s < capacity && !found; s++) {
      torclass_flow_key k;
      if (torclass_table_flow_key(t, s, &k) != TORCLASS_RESULT_OK) continue;
      char src[64], dst[64];
      addr_text(&k, k.src_addr, src, sizeof src);
      addr_text(&k, k.dst_addr, dst, sizeof dst);
      int fwd = !strcmp(src, l->a) && !strcmp(dst, l->b) && k.src_port == l->aport && k.dst_port == l->bport;
      int rev = !strcmp(src, l->b) && !strcmp(dst, l->a) && k.src_port == l->bport && k.dst_port == l->aport;
      if (!fwd && !rev) continue;
      found = 1;
      torclass_verdict v;
      CHECK_RESULT(torclass_table_flow_verdict(t, s, &v), TORCLASS_RESULT_OK);
      int right;
      if (!strcmp(l->label, "not_bittorrent")) right = v.verdict != TORCLASS_VERDICT_BITTORRENT;
      else right = v.verdict == TORCLASS_VERDICT_BITTORRENT &&
                   (l->also || (v.protocol < 9 && !strcmp(PROTOCOLS[v.protocol], l->label)));
      if (!right) {
        fprintf(stderr, "%s: %s %s:%u -> %s:%u labelled %s: verdict %u protocol %u\n", name, l->l4,
                l->a, l->aport, l->b, l->bport, l->label, v.verdict, v.protocol);
        failures++;
      }
      /* Encrypted peer wire is confirmed by the endpoints the tracker replies taught the table. */
      if (!strcmp(l->label, "peer_wire_encrypted") && v.confidence != TORCLASS_CONFIDENCE_CONFIRMED) {
        fprintf(stderr, "%s: encrypted flow %s:%u -> %s:%u not confirmed\n", name, l->a, l->aport, l->b,
                l->bport);
        failures++;
      }
      if (v.verdict == TORCLASS_VERDICT_BITTORRENT && !strcmp(l->label, "dht")) {
        torclass_meta m;
        CHECK_RESULT(torclass_table_meta(t, s, &m), TORCLASS_RESULT_OK);
        CHECK(m.dht_node_id_len[0] == 20 || m.dht_node_id_len[1] == 20);
      }
      if (v.verdict == TORCLASS_VERDICT_BITTORRENT && !strcmp(l->label, "peer_wire")) {
        torclass_meta m;
        CHECK_RESULT(torclass_table_meta(t, s, &m), TORCLASS_RESULT_OK);
        CHECK(m.info_hash_len == 20 || m.info_hash_len == 32);
      }
      checked++;
    }
    if (!found) {
      fprintf(stderr, "%s: labelled flow %s:%u -> %s:%u not in the table\n", name, l->a, l->aport, l->b, l->bport);
      failures++;
    }
  }
  /* Every flow leaves through the callback exactly once, with the final verdict. */
  struct ended e;
  memset(&e, 0, sizeof e);
  e.table = t;
  CHECK_RESULT(torclass_table_set_flow_end(t, on_end, &e), TORCLASS_RESULT_OK);
  torclass_table_stats st;
  CHECK_RESULT(torclass_table_get_stats(t, &st, sizeof st), TORCLASS_RESULT_OK);
  uint64_t live = st.live_flows;
  CHECK(st.clock_unit == TORCLASS_CLOCK_NANOSECONDS); /* pcap times as nanoseconds */
  CHECK_RESULT(torclass_table_drain(t), TORCLASS_RESULT_OK);
  CHECK((uint64_t)e.count == live && (uint64_t)e.reasons[TORCLASS_END_DRAINED] == live);
  printf("%-14s %6ld packets (%ld classified), %d labelled flows checked, %d flows drained\n", name,
         packets, ok, checked, e.count);
  free(mem);
}

int main(int argc, char **argv) {
  test_versions();
  test_flow_api();
  test_flow_bad_input();
  test_table_bad_input();
  test_lifecycle();
  test_clock_unit();
  test_payload_cache();
  test_packet_decode();
  if (argc > 1) {
    static const char *captures[] = {"tcp-plain", "tcp-negative", "http-magnet", "dht-magnet",
                                     "udp-tracker", "utp-only", "lsd", "udp-negative", "tcp-encrypted"};
    for (size_t i = 0; i < sizeof captures / sizeof *captures; i++) test_capture(argv[1], captures[i]);
  }
  if (failures) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  printf("all C API checks passed\n");
  return 0;
}
