"""Small stdlib servers and clients for the capture lab's non-BitTorrent traffic.

Run with /usr/bin/python3 inside a lab namespace (`ip netns exec NS ...`).

    lab_servers.py gzip-http IP PORT       HTTP/1.1 server whose every answer is a
                                           gzip-encoded HTML page
    lab_servers.py ntp-client SERVER [N]   N client-mode NTP (RFC 5905) requests to SERVER:123
"""

import gzip
import http.server
import socket
import struct
import sys
import time

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


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gzip-http":
        gzip_http(*args)
    elif cmd == "ntp-client":
        ntp_client(args[0], int(args[1]) if len(args) > 1 else 4)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
