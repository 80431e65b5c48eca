"""Small stdlib servers and clients for the capture lab's non-BitTorrent traffic.

Run with /usr/bin/python3 inside a lab namespace (`ip netns exec NS ...`).

    lab_servers.py gzip-http IP PORT       HTTP/1.1 server whose every answer is a
                                           gzip-encoded HTML page
    lab_servers.py ntp-client SERVER [N]   N client-mode NTP (RFC 5905) requests to SERVER:123
    lab_servers.py tracker IP PORT         a minimal HTTP BitTorrent tracker (announce only) on
                                           IPv4 or IPv6, answering compact "peers" (BEP 23)
                                           and "peers6" (BEP 7); opentracker in Debian is
                                           built IPv4-only
    lab_servers.py rtp-send IP PORT SECS   an RTP (RFC 3550) G.711 u-law audio stream, 50
                                           packets a second, with RTCP sender reports to PORT+1
"""

import gzip
import http.server
import ipaddress
import math
import random
import socket
import struct
import sys
import time
import urllib.parse

NTP_EPOCH = 2208988800  # seconds from 1900-01-01 to 1970-01-01


def gzip_http(ip, port):
    page = ("<!doctype html><html><head><title>lab</title></head><body>"
            + "".join(f"<p>line {i}: the quick brown fox jumps over the lazy dog</p>\n"
                      for i in range(400))
            + "</body></html>\n").encode()
    body = gzip.compress(page)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    http.server.ThreadingHTTPServer((ip, int(port)), Handler).serve_forever()


def ntp_timestamp(t):
    seconds = int(t) + NTP_EPOCH
    fraction = int((t - int(t)) * (1 << 32)) & 0xFFFFFFFF
    return struct.pack("!II", seconds & 0xFFFFFFFF, fraction)


def ntp_client(server, count):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2)
    for _ in range(count):
        request = struct.pack("!BBbb", (4 << 3) | 3, 0, 6, -20) + bytes(36) + ntp_timestamp(time.time())
        sock.sendto(request, (server, 123))
        reply, _ = sock.recvfrom(512)
        seconds, fraction = struct.unpack("!II", reply[40:48])
        print(f"server time {seconds - NTP_EPOCH + fraction / (1 << 32):.6f}", flush=True)
        time.sleep(0.5)


def bencode(value):
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, dict):
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in sorted(value.items())) + b"e"
    raise TypeError(type(value))


def tracker(ip, port):
    swarms = {}  # info_hash -> {(address, port): last announce time}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            # latin-1 keeps the percent-encoded binary info_hash byte for byte
            query = urllib.parse.parse_qs(url.query, keep_blank_values=True, encoding="latin-1")
            info_hash = query.get("info_hash", [""])[0].encode("latin-1")
            if url.path != "/announce" or len(info_hash) != 20 or "port" not in query:
                body = bencode({b"failure reason": b"bad announce"})
            else:
                host = self.client_address[0].removeprefix("::ffff:")
                peer = (ipaddress.ip_address(host), int(query["port"][0]))
                swarm = swarms.setdefault(info_hash, {})
                if query.get("event", [""])[0] == "stopped":
                    swarm.pop(peer, None)
                else:
                    swarm[peer] = time.time()
                others = [p for p in swarm if p != peer]
                v4 = b"".join(a.packed + struct.pack("!H", n) for a, n in others if a.version == 4)
                v6 = b"".join(a.packed + struct.pack("!H", n) for a, n in others if a.version == 6)
                body = bencode({b"interval": 30, b"complete": 0, b"incomplete": len(swarm),
                                b"peers": v4, b"peers6": v6})
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in ip else socket.AF_INET

    Server((ip, int(port)), Handler).serve_forever()


def rtp_send(ip, port, seconds):
    """20 ms G.711 u-law frames of a 440 Hz tone (payload type 0), RTCP SR every second."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    rtp = socket.socket(family, socket.SOCK_DGRAM)
    rtcp = socket.socket(family, socket.SOCK_DGRAM)
    ssrc = random.getrandbits(32)
    seq = random.getrandbits(16)
    stamp = random.getrandbits(32)

    def ulaw(sample):
        sign = 0x80 if sample < 0 else 0
        magnitude = min(abs(sample), 32635) + 132
        exponent = max(0, magnitude.bit_length() - 8)
        mantissa = (magnitude >> (exponent + 3)) & 0x0F
        return ~(sign | (exponent << 4) | mantissa) & 0xFF

    sent = octets = 0
    start = time.time()
    for frame in range(int(float(seconds) * 50)):
        samples = bytes(ulaw(int(12000 * math.sin(2 * math.pi * 440 * (frame * 160 + i) / 8000)))
                        for i in range(160))
        header = struct.pack("!BBHII", 0x80, 0x80 if frame == 0 else 0x00,
                             (seq + frame) & 0xFFFF, (stamp + frame * 160) & 0xFFFFFFFF, ssrc)
        rtp.sendto(header + samples, (ip, int(port)))
        sent += 1
        octets += len(samples)
        if frame % 50 == 49:
            sr = struct.pack("!BBHI", 0x80, 200, 6, ssrc) + ntp_timestamp(time.time()) + \
                struct.pack("!III", (stamp + frame * 160) & 0xFFFFFFFF, sent, octets)
            rtcp.sendto(sr, (ip, int(port) + 1))
        time.sleep(max(0.0, start + (frame + 1) * 0.02 - time.time()))


def socks_dns(proxy, port, server, count):
    """DNS A queries for lab.test to SERVER:53 through a SOCKS5 UDP relay (RFC 1928 §7: UDP
    ASSOCIATE on a TCP control connection, then datagrams with the SOCKS UDP header)."""
    ctl = socket.create_connection((proxy, int(port)), timeout=5)
    ctl.sendall(b"\x05\x01\x00")
    if ctl.recv(2) != b"\x05\x00":
        sys.exit("socks-dns: no-auth method refused")
    ctl.sendall(b"\x05\x03\x00\x01" + bytes(4) + bytes(2))
    reply = ctl.recv(10)
    if len(reply) < 10 or reply[1] != 0:
        sys.exit(f"socks-dns: UDP ASSOCIATE refused: {reply!r}")
    relay = (socket.inet_ntoa(reply[4:8]), struct.unpack("!H", reply[8:10])[0])
    if relay[0] == "0.0.0.0":
        relay = (proxy, relay[1])
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.settimeout(3)
    header = b"\x00\x00\x00\x01" + socket.inet_aton(server) + struct.pack("!H", 53)
    for i in range(int(count)):
        qname = b"".join(bytes([len(p)]) + p for p in b"lab.test".split(b".")) + b"\x00"
        query = struct.pack("!HHHHHH", 0x5000 + i, 0x0100, 1, 0, 0, 0) + qname + b"\x00\x01\x00\x01"
        udp.sendto(header + query, relay)
        answer, _ = udp.recvfrom(2048)
        print(f"socks-dns: answer {i} of {len(answer)} bytes", flush=True)
        time.sleep(0.3)
    ctl.close()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gzip-http":
        gzip_http(*args)
    elif cmd == "ntp-client":
        ntp_client(args[0], int(args[1]) if len(args) > 1 else 4)
    elif cmd == "tracker":
        tracker(*args)
    elif cmd == "rtp-send":
        rtp_send(*args)
    elif cmd == "socks-dns":
        socks_dns(*args)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
