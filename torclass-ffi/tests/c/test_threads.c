/* Tables on several threads at once, one table per thread, with payloads that make the
 * library search bytes (HTTP tracker requests, handshakes): run under helgrind with
 * torclass.supp, it checks that libtorclass shares nothing between tables but memchr's
 * function-pointer cache. Written in C89 with POSIX threads, so it also checks that the
 * header is C89. */
#include <torclass.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define PACKETS 200

static size_t packet(unsigned char *out, unsigned char host, unsigned short sport, const char *payload) {
  size_t len = strlen(payload), total = 40 + len;
  memset(out, 0, 40);
  out[0] = 0x45;
  out[2] = (unsigned char)(total >> 8);
  out[3] = (unsigned char)total;
  out[8] = 64;
  out[9] = 6;
  out[12] = 10; out[15] = host;
  out[16] = 10; out[19] = 200;
  out[20] = (unsigned char)(sport >> 8); out[21] = (unsigned char)sport;
  out[23] = 80;
  out[32] = 0x50;
  out[33] = 0x18;
  memcpy(out + 40, payload, len);
  return total;
}

static void *run(void *arg) {
  static const char *const payloads[] = {
      "GET /announce?info_hash=%12%34%56%78%9a%bc%de%f0%12%34%56%78%9a%bc%de%f0%12%34%56%78"
      "&peer_id=-TR3000-abcdefghijkl&port=51413&uploaded=0&downloaded=0&left=0 HTTP/1.1\r\n"
      "Host: tracker\r\n\r\n",
      "GET /index.html HTTP/1.1\r\nHost: example.org\r\nUser-Agent: curl\r\n\r\n",
  };
  unsigned char host = (unsigned char)(size_t)arg;
  size_t need = torclass_table_size(256);
  void *mem = malloc(need);
  torclass_table *t;
  unsigned char buf[512];
  int i, bittorrent = 0;
  if (!mem || torclass_table_init(mem, need, 256, host, NULL, &t) != TORCLASS_RESULT_OK) {
    free(mem);
    return (void *)1;
  }
  for (i = 0; i < PACKETS; i++) {
    torclass_packet_result res;
    size_t n = packet(buf, host, (unsigned short)(10000 + i), payloads[i % 2]);
    if (torclass_table_process(t, TORCLASS_LINK_IP, buf, n, (uint64_t)i * 1000000u, &res) !=
        TORCLASS_RESULT_OK) {
      free(mem);
      return (void *)1;
    }
    bittorrent += res.verdict.verdict == TORCLASS_VERDICT_BITTORRENT;
  }
  free(mem);
  return bittorrent == PACKETS / 2 ? NULL : (void *)1;
}

int main(void) {
  pthread_t threads[THREADS];
  int i, failed = 0;
  for (i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, run, (void *)(size_t)(i + 1));
  for (i = 0; i < THREADS; i++) {
    void *r;
    pthread_join(threads[i], &r);
    failed += r != NULL;
  }
  if (failed) {
    fprintf(stderr, "%d threads failed\n", failed);
    return 1;
  }
  printf("%d threads, %d packets each: ok\n", THREADS, PACKETS);
  return 0;
}
