"""Scripted clients for `games_real.sh` (negative-games-real): run in the client namespace.

What a server browser and a first connection send, written from each protocol's description:
ioquake3's connectionless queries (code/client/cl_main.c: getinfo, getstatus, getchallenge);
Minetest's connection set-up (doc/protocol.txt, src/network/connection.cpp: an empty reliable
packet to get a peer id, TOSERVER_INIT, acknowledgements, reliable pings); Mumble's legacy
UDP server ping and its TLS control channel (docs/dev/network-protocol: Version,
Authenticate, Ping messages framed as 16-bit type and 32-bit length). The servers are the real
Debian programs; their answers are theirs."""
import random
import select
import socket
import ssl
import struct
import time

SRV = "10.78.2.1"
rng = random.Random(7)

def recv_all(s, t):
    out = []
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.time()))
        if not r:
            break
        try:
            out.append(s.recvfrom(65535)[0])
        except OSError:
            break
    return out

def ioq3():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    oob = b"\xff\xff\xff\xff"
    for i in range(6):
        s.sendto(oob + b"getinfo xxx%d" % i, (SRV, 27960)); recv_all(s, 0.2)
        s.sendto(oob + b"getstatus", (SRV, 27960)); recv_all(s, 0.2)
        if i % 2 == 0:
            s.sendto(oob + b"getchallenge %d openarena" % rng.randrange(1 << 31), (SRV, 27960))
            recv_all(s, 0.2)
        time.sleep(0.6)
    s.close()

def minetest():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pid = b"\x4f\x45\x74\x03"
    a = (SRV, 30000)
    s.sendto(pid + b"\x00\x00\x00\x03" + struct.pack(">H", 65500) + b"\x01", a)
    peer = 0
    seq = {0: 65501, 1: 65500, 2: 65500}
    def handle(pkts):
        nonlocal peer
        for p in pkts:
            if len(p) < 8 or p[:4] != pid:
                continue
            chan, typ = p[6], p[7]
            if typ == 3:
                s_ = struct.unpack(">H", p[8:10])[0]
                s.sendto(pid + struct.pack(">HBBBH", peer, chan, 0, 0, s_), a)
                inner = p[10:]
                if inner[:2] == b"\x00\x01":
                    peer = struct.unpack(">H", inner[2:4])[0]
    handle(recv_all(s, 0.5))
    name = b"gamer"
    init = b"\x00\x02" + struct.pack(">BHHH", 29, 0, 37, 41) + struct.pack(">H", len(name)) + name
    s.sendto(pid + struct.pack(">HBB", peer, 1, 1) + init, a)
    handle(recv_all(s, 0.5))
    for i in range(8):
        # CONTROLTYPE_PING as the client sends it to keep the peer alive
        s.sendto(pid + struct.pack(">HBBHBB", peer, 0, 3, seq[0], 0, 2), a)
        seq[0] += 1
        handle(recv_all(s, 0.7))
    s.sendto(pid + struct.pack(">HBBB", peer, 0, 0, 3), a)  # CONTROLTYPE_DISCO
    s.close()

def mumble_tcp():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((SRV, 64738))
    s = ctx.wrap_socket(raw)
    def msg(t, body):
        s.sendall(struct.pack(">HI", t, len(body)) + body)
    def pbstr(tag, v):
        return bytes([tag]) + bytes([len(v)]) + v
    def varint(v):
        out = b""
        while True:
            b = v & 0x7F; v >>= 7
            out += bytes([b | (0x80 if v else 0)])
            if not v: return out
    msg(0, b"\x08" + varint(0x10304) + pbstr(0x12, b"1.3.4") + pbstr(0x1a, b"X11")
        + pbstr(0x22, b"Debian GNU/Linux 12"))
    msg(2, pbstr(0x0a, b"gamer") + b"\x28\x01")
    s.settimeout(0.3)
    end = time.time() + 5
    n = 0
    while time.time() < end:
        try:
            s.recv(65535)
        except (socket.timeout, ssl.SSLError):
            pass
        if time.time() > end - 5 + n:
            msg(3, b"\x08" + varint(int(time.time() * 1000)) + b"\x10\x05\x18\x00")
            n += 1
    s.close()

def mumble_udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(6):
        s.sendto(b"\x00\x00\x00\x00" + struct.pack(">Q", rng.randrange(1 << 64)), (SRV, 64738))
        recv_all(s, 0.3)
        time.sleep(0.7)
    s.close()

if __name__ == "__main__":
    for f in (ioq3, minetest, mumble_udp, mumble_tcp):
        f()
        time.sleep(1)
