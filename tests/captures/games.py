"""Build `negative-games.pcap`: games, voice, video and streaming sessions beside BitTorrent.

Usage: PYTHON games.py [--out DIR] [--edge]   (PYTHON: a python with scapy 2.8.0 from PyPI)

The traffic an operator's customers run next to BitTorrent and whose binary headers (sequence
numbers, connection ids, timestamps moving in step on both sides) could pass for uTP (BEP 29),
a UDP tracker (BEP 15) or the DHT. Every session is written field by field from the protocol's
specification or the dissector named in its comment; encrypted and random fields come from a
generator seeded with the session's name, timestamps are fixed, so every run gives the same
bytes. Each protocol runs on its usual port and on a random high port, both ways where it
answers, with the packet counts and pacing of a few seconds of a real session.

Hosts: the gamer 10.78.0.2 runs nothing else; 10.78.0.3 is a gamer who also runs a BitTorrent
client: before its sessions it exchanges real DHT messages (BEP 5 `get_peers`, answered with
`values`) with a DHT node 10.78.0.9, labelled `dht`, so torclass knows it for a BitTorrent host,
and in some sessions the `values` name the game server's endpoint (`known`: a learned peer
endpoint, as when the other side of a game also seeds). Servers are 10.78.1.N. Sessions start
130 s apart, so every UDP flow has timed out before the next. Every game flow is labelled
`not_bittorrent`; `probe` names the session.
"""

import argparse
import collections
import hashlib
import os
import random
import struct
import sys

from scapy.all import IP, TCP, UDP, Ether, Raw, conf, wrpcap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import label  # noqa: E402  (write_labels)

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1796432400.0          # 2026-12-05 01:00 UTC
FLOW_GAP = 130.0
GAMER, BT_GAMER, DHT_NODE = "10.78.0.2", "10.78.0.3", "10.78.0.9"
MSS = 1448


def mac(ip):
    return "02:78:%02x:%02x:%02x:%02x" % tuple(int(x) for x in ip.split("."))


class Capture:
    def __init__(self):
        self.frames = []
        self.labels = []
        self.t = T0
        self.isn = 7000
        self.server_no = 0
        self.counts = collections.Counter()

    def frame(self, t, src, dst, l4):
        pkt = Ether(src=mac(src), dst=mac(dst)) / \
            IP(src=src, dst=dst, ttl=64, id=len(self.frames) & 0xFFFF, flags="DF") / l4
        pkt.time = t
        self.frames.append(pkt)

    def server(self):
        self.server_no += 1
        return "10.78.1.%d" % self.server_no

    def udp(self, t, client, cport, server, sport, msgs):
        """msgs: (seconds after t, from_client, bytes)."""
        for dt, from_client, data in sorted(msgs, key=lambda m: m[0]):
            if from_client:
                self.frame(t + dt, client, server, UDP(sport=cport, dport=sport) / Raw(data))
            else:
                self.frame(t + dt, server, client, UDP(sport=sport, dport=cport) / Raw(data))

    def tcp(self, t, client, cport, server, sport, msgs):
        """msgs: (seconds after t, from_client, bytes), in order; a handshake before, a close
        after."""
        cseq, sseq = self.isn, (self.isn + 900001) & 0xFFFFFFFF
        self.isn = (self.isn + 7919 * 65537) & 0xFFFFFFFF
        opts = [("MSS", 1460), ("SAckOK", b""), ("WScale", 7)]
        state = {"c": cseq, "s": sseq}

        def seg(at, from_client, flags, data=b""):
            src, dst, sp, dp = (client, server, cport, sport) if from_client else \
                (server, client, sport, cport)
            me, other = ("c", "s") if from_client else ("s", "c")
            tcp = TCP(sport=sp, dport=dp, seq=state[me], ack=state[other] if "A" in flags else 0,
                      flags=flags, window=502, options=opts if "S" in flags else [])
            self.frame(at, src, dst, tcp / Raw(data) if data else tcp)
            n = len(data) + (1 if ("S" in flags or "F" in flags) else 0)
            state[me] = (state[me] + n) & 0xFFFFFFFF

        seg(t, True, "S")
        seg(t + 0.010, False, "SA")
        seg(t + 0.020, True, "A")
        last = t + 0.020
        for i, (dt, from_client, data) in enumerate(msgs):
            at = max(t + 0.021 + dt, last + 0.0001)
            for off in range(0, len(data), MSS):
                seg(at, from_client, "PA", data[off:off + MSS])
                at += 0.0001
            following = msgs[i + 1][1] if i + 1 < len(msgs) else None
            if following != (not from_client):
                seg(at + 0.010, not from_client, "A")
                at += 0.010
            last = at
        seg(last + 0.5, True, "FA")
        seg(last + 0.51, False, "FA")
        seg(last + 0.52, True, "A")

    def session(self, name, l4, port, msgs, client=GAMER, cport=None, server=None,
                known=False, program=None):
        """One flow, in its own time slot. On BT_GAMER a DHT exchange comes first; `known`
        makes the DHT node name the server's endpoint in its `values`."""
        rng = random.Random("port " + name)
        cport = cport or rng.randrange(49152, 65535)
        server = server or self.server()
        t = self.t
        self.t += FLOW_GAP
        if client == BT_GAMER:
            self.dht(t, name, (server, port) if known else None)
            t += 2.0
        if l4 == "udp":
            self.udp(t, client, cport, server, port, msgs)
        else:
            self.tcp(t, client, cport, server, port, msgs)
        proto = name.split("/")[0]
        self.counts[proto] += 1
        self.labels.append({"l4": l4, "a": client, "aport": cport, "b": server, "bport": port,
                            "label": "not_bittorrent",
                            "program": program or f"{proto}-client->{proto}-server",
                            "probe": name})

    def dht(self, t, name, endpoint):
        """A BEP 5 get_peers query from BT_GAMER's DHT port and the node's response with
        `values` (the game server's endpoint if given, else two random peers)."""
        rng = random.Random("dht " + name)
        own_id, node_id = rng.randbytes(20), rng.randbytes(20)
        info_hash = hashlib.sha1(name.encode()).digest()
        tid = rng.randbytes(2)
        peers = [bytes(map(int, endpoint[0].split("."))) + struct.pack(">H", endpoint[1])] \
            if endpoint else []
        while len(peers) < 2:
            peers.append(bytes([10, 79, rng.randrange(256), rng.randrange(1, 255)])
                         + struct.pack(">H", rng.randrange(1024, 65535)))
        query = b"d1:ad2:id20:" + own_id + b"9:info_hash20:" + info_hash + \
            b"e1:q9:get_peers1:t2:" + tid + b"1:v4:LT\x02\x001:y1:qe"
        values = b"".join(b"6:" + p for p in peers)
        token = rng.randbytes(8)
        nodes = rng.randbytes(26 * 8)
        resp = b"d1:rd2:id20:" + node_id + b"5:nodes208:" + nodes + b"5:token8:" + token + \
            b"6:valuesl" + values + b"ee1:t2:" + tid + b"1:y1:re"
        node_port = rng.randrange(1024, 65535)
        self.udp(t, BT_GAMER, 6881, DHT_NODE, node_port,
                 [(0.0, True, query), (0.045, False, resp)])
        self.labels.append({"l4": "udp", "a": BT_GAMER, "aport": 6881, "b": DHT_NODE,
                            "bport": node_port, "label": "dht",
                            "program": "scapy-dht->scapy-dht", "probe": "dht/" + name})
        self.counts["dht"] += 1


def variants(cap, name, l4, port, build, known_too=True):
    """A protocol's session on its port, on a random high port, from the BitTorrent gamer,
    and (if `known_too`) to an endpoint the DHT named."""
    high = random.Random("high " + name).randrange(20000, 60000)
    cap.session(name + "/usual", l4, port, build(random.Random(name + "/usual")))
    cap.session(name + "/high", l4, high, build(random.Random(name + "/high")))
    cap.session(name + "/bt-host", l4, port, build(random.Random(name + "/bt-host")),
                client=BT_GAMER)
    if known_too:
        cap.session(name + "/known", l4, high, build(random.Random(name + "/known")),
                    client=BT_GAMER, known=True)


# --- Quake III / ioquake3 / OpenArena (ioquake3 code/qcommon/net_chan.c, cl_main.c,
# sv_client.c; Wireshark packet-quake3.c): connectionless packets start with 0xFFFFFFFF and a
# text command; the netchan header is a 32-bit little-endian sequence, the client's 16-bit
# qport, and (protocol 71) the 32-bit challenge; the Huffman-coded message follows.

def quake3(rng):
    oob = b"\xff\xff\xff\xff"
    m = []
    challenge = rng.randrange(1 << 31)
    cchal = rng.randrange(1 << 31)
    m.append((0.0, True, oob + b"getinfo xxx"))
    m.append((0.030, False, oob + b"infoResponse\n\\game\\baseoa\\sv_maxclients\\12\\protocol\\71"
              b"\\clients\\3\\mapname\\oa_dm4\\hostname\\noname\\gametype\\0\\challenge\\xxx"))
    m.append((0.100, True, oob + b"getchallenge %d openarena" % cchal))
    m.append((0.130, False, oob + b"challengeResponse %d %d 71" % (challenge, cchal)))
    m.append((0.200, True, oob + b"connect " + rng.randbytes(rng.randrange(140, 190))))
    m.append((0.230, False, oob + b"connectResponse %d" % challenge))
    qport = rng.randrange(1 << 16)
    cseq, sseq = 1, 1
    t = 0.3
    for i in range(80):
        # client: every frame (~30 ms); server: snapshots at sv_fps 20
        m.append((t, True, struct.pack("<IHI", cseq, qport, challenge ^ cseq)
                  + rng.randbytes(rng.randrange(20, 70))))
        cseq += 1
        if i % 2 == 0:
            size = 900 if i == 0 else rng.randrange(40, 400)
            m.append((t + 0.012, False, struct.pack("<II", sseq, challenge ^ sseq)
                      + rng.randbytes(size)))
            sseq += 1
        t += 0.025
    return m


def quake3_status(rng):
    oob = b"\xff\xff\xff\xff"
    players = b"".join(b'%d %d "player%d"\n' % (rng.randrange(30), rng.randrange(20, 200), i)
                       for i in range(5))
    m = []
    for i in range(3):
        m.append((i * 1.0, True, oob + b"getstatus"))
        m.append((i * 1.0 + 0.03, False, oob + b"statusResponse\n\\sv_hostname\\OA server"
                  b"\\g_gametype\\0\\mapname\\oa_dm4\\protocol\\71\n" + players))
    return m


# --- Source engine (Valve Developer Wiki "Server queries"; Source SDK 2013
# engine/net_chan.cpp CNetChan::SendDatagram / ProcessPacketHeader): A2S_INFO with its
# challenge (S2C_CHALLENGE 'A'), A2S_PLAYER, then netchan packets: 32-bit sequence, 32-bit
# acknowledged sequence, flags, 16-bit checksum, reliable state, payload.

def source(rng):
    oob = b"\xff\xff\xff\xff"
    m = []
    chal = rng.randbytes(4)
    q = oob + b"TSource Engine Query\x00"
    m.append((0.0, True, q))
    m.append((0.02, False, oob + b"A" + chal))
    m.append((0.04, True, q + chal))
    m.append((0.06, False, oob + b"I\x11Valve CS:S server\x00de_dust2\x00cstrike\x00"
              b"Counter-Strike: Source\x00\xf0\x00\x0c\x18\x00dl\x00\x01" + b"7855033\x00"
              + b"\xb1\x87\x69" + rng.randbytes(8) + b"\x00"))
    m.append((0.08, True, oob + b"U\xff\xff\xff\xff"))
    pchal = rng.randbytes(4)
    m.append((0.10, False, oob + b"A" + pchal))
    m.append((0.12, True, oob + b"U" + pchal))
    players = b"".join(bytes([i]) + b"player%d\x00" % i + struct.pack("<if", i * 3, 100.0 + i)
                       for i in range(12))
    m.append((0.14, False, oob + b"D\x0c" + players))
    # connect: challenge, then netchan both ways
    m.append((0.3, True, oob + b"q" + rng.randbytes(4) + b"0000000000\x00"))
    m.append((0.32, False, oob + b"A" + rng.randbytes(4) + rng.randbytes(4) + b"\x02\x00"))
    m.append((0.34, True, oob + b"k" + rng.randbytes(rng.randrange(300, 500))))
    m.append((0.36, False, oob + b"B" + rng.randbytes(4) + b"0000000000\x00"))
    cseq, sseq = 1, 1
    t = 0.4
    for i in range(100):
        # client cmd rate 66: a packet every 15 ms; server updaterate 33
        m.append((t, True, struct.pack("<iiBH", cseq, sseq - 1, 0, rng.randrange(1 << 16))
                  + bytes([cseq & 1]) + rng.randbytes(rng.randrange(30, 90))))
        cseq += 1
        if i % 2 == 1:
            m.append((t + 0.005, False, struct.pack("<iiBH", sseq, cseq - 1, 0,
                                                    rng.randrange(1 << 16))
                      + bytes([sseq & 1]) + rng.randbytes(rng.randrange(60, 600))))
            sseq += 1
        t += 0.015
    return m


# --- RakNet as Minecraft Bedrock speaks it (wiki.vg "Raknet Protocol", Wireshark
# packet-raknet.c): unconnected ping/pong with the offline magic, open connection request and
# reply 1 and 2 (MTU discovery), then frame sets 0x84 with a 24-bit little-endian sequence,
# reliable ordered frames and ACKs 0xC0.

RAKNET_MAGIC = bytes.fromhex("00ffff00fefefefefdfdfdfd12345678")


def raknet(rng):
    m = []
    cguid, sguid = rng.randbytes(8), rng.randbytes(8)
    motd = b"MCPE;Dedicated Server;594;1.20.12;3;10;" + str(rng.randrange(1 << 62)).encode() + \
        b";Bedrock level;Survival;1;19132;19133;"
    for i in range(4):   # the client's server list pings every ~1.5 s
        ts = 1_000_000 + i * 1500
        m.append((i * 1.5, True, b"\x01" + struct.pack(">Q", ts) + RAKNET_MAGIC + cguid))
        m.append((i * 1.5 + 0.02, False, b"\x1c" + struct.pack(">Q", ts) + sguid + RAKNET_MAGIC
                  + struct.pack(">H", len(motd)) + motd))
    t = 6.0
    m.append((t, True, b"\x05" + RAKNET_MAGIC + b"\x0b" + bytes(1492 - 46)))
    m.append((t + 0.02, False, b"\x06" + RAKNET_MAGIC + sguid + b"\x00" + struct.pack(">H", 1400)))
    addr = b"\x04" + bytes(255 - x for x in (10, 78, 1, 3)) + struct.pack(">H", 19132)
    m.append((t + 0.04, True, b"\x07" + RAKNET_MAGIC + addr + struct.pack(">H", 1400) + cguid))
    caddr = b"\x04" + bytes(255 - x for x in (10, 78, 0, 2)) + struct.pack(">H", 50000)
    m.append((t + 0.06, False, b"\x08" + RAKNET_MAGIC + sguid + caddr + struct.pack(">H", 1400)
              + b"\x00"))
    seq = {True: 0, False: 0}
    ridx = {True: 0, False: 0}

    def frameset(from_client, body):
        s = seq[from_client]
        seq[from_client] += 1
        r = ridx[from_client]
        ridx[from_client] += 1
        frame = bytes([0x60]) + struct.pack(">H", len(body) * 8) + struct.pack("<I", r)[:3] + \
            struct.pack("<I", r)[:3] + b"\x00" + body
        return b"\x84" + struct.pack("<I", s)[:3] + frame

    def ack(from_client, n):
        return b"\xc0\x00\x01\x01" + struct.pack("<I", n)[:3]

    t += 0.1
    m.append((t, True, frameset(True, b"\x09" + cguid + rng.randbytes(8) + b"\x00")))
    m.append((t + 0.02, False, ack(False, 0)))
    m.append((t + 0.021, False, frameset(False, b"\x10" + caddr + b"\x00\x00"
                                         + rng.randbytes(60) + rng.randbytes(16))))
    m.append((t + 0.04, True, ack(True, 0)))
    t += 0.1
    for i in range(30):
        # batched, encrypted game packets 0xfe in both directions, acknowledged
        m.append((t, True, frameset(True, b"\xfe" + rng.randbytes(rng.randrange(20, 120)))))
        m.append((t + 0.02, False, ack(False, seq[True] - 1)))
        m.append((t + 0.025, False,
                  frameset(False, b"\xfe" + rng.randbytes(rng.randrange(40, 600)))))
        m.append((t + 0.045, True, ack(True, seq[False] - 1)))
        t += 0.05
    return m


# --- ENet (enet 1.3 include/enet/protocol.h, protocol.c; used by Cube 2, Minetest's
# ancestors, many indie games): a header of the peer id (flags 0x8000 sent time, session bits
# 0x3000) and the 16-bit sent time, then commands: command (0x80 acknowledge), channel, 16-bit
# reliable sequence number and the command's fields, all big-endian.

def enet(rng):
    m = []
    t = 0.0
    csent = rng.randrange(1 << 16)
    ssent = rng.randrange(1 << 16)
    speer, cpeer = rng.randrange(0, 64), rng.randrange(0, 64)

    def hdr(peer, sent):
        return struct.pack(">HH", 0x8000 | peer, sent & 0xFFFF)

    connect = struct.pack(">BBH", 0x82, 0xFF, 1) + struct.pack(
        ">HBBIIIIIIIIII", cpeer, 0xFF, 0xFF, 1400, 32768, 2, 0, 0, 5000, 2, 2,
        rng.randrange(1 << 32), 0)
    m.append((t, True, hdr(0xFFF, csent) + connect))
    verify = struct.pack(">BBH", 0x83, 0xFF, 1) + struct.pack(
        ">HBBIIIIIIIII", speer, 0, 0, 1400, 32768, 2, 0, 0, 5000, 2, 2, 0)
    m.append((t + 0.02, False, hdr(cpeer, ssent) + struct.pack(">BBHHH", 1, 0xFF, 1, 1, csent)
              + verify))
    m.append((t + 0.04, True, hdr(speer, csent + 40) + struct.pack(">BBHHH", 1, 0xFF, 1, 1,
                                                                    ssent)))
    crel, srel = 1, 1
    t = 0.1
    for i in range(50):
        csent += 33
        ssent += 33
        crel += 1
        data = rng.randbytes(rng.randrange(8, 60))
        m.append((t, True, hdr(speer, csent) + struct.pack(">BBHH", 0x86, 0, crel, len(data))
                  + data))
        srel += 1
        data = rng.randbytes(rng.randrange(20, 300))
        m.append((t + 0.015, False, hdr(cpeer, ssent)
                  + struct.pack(">BBHHH", 1, 0, crel, crel, csent & 0xFFFF)
                  + struct.pack(">BBHH", 0x86, 0, srel, len(data)) + data))
        m.append((t + 0.03, True, hdr(speer, csent + 15)
                  + struct.pack(">BBHHH", 1, 0, srel, srel, ssent & 0xFFFF)))
        t += 0.033
    return m


# --- TeamSpeak 3 (the ReSpeak project's TeamSpeak 3 protocol description): the init
# handshake with the plain MAC "TS3INIT1", then encrypted packets: 8-byte MAC, 16-bit packet
# id, 16-bit client id (client to server only), type/flags byte, payload. Voice: type 0,
# 16-bit voice id, codec.

def ts3(rng):
    m = []
    init = b"TS3INIT1"
    ver = struct.pack(">I", 1459504131)
    m.append((0.0, True, init + b"\x00\x65\x00\x00\x88" + ver + b"\x00"
              + struct.pack(">I", 1700000000) + rng.randbytes(4) + bytes(8)))
    m.append((0.03, False, init + b"\x00\x65\x88\x01" + rng.randbytes(16) + rng.randbytes(4)))
    m.append((0.06, True, init + b"\x00\x65\x00\x00\x88" + ver + b"\x02" + rng.randbytes(16)
              + rng.randbytes(4)))
    m.append((0.09, False, init + b"\x00\x65\x88\x03" + rng.randbytes(64) + rng.randbytes(64)
              + struct.pack(">I", 10000) + rng.randbytes(100)))
    m.append((0.15, True, init + b"\x00\x65\x00\x00\x88" + ver + b"\x04" + rng.randbytes(64)
              + rng.randbytes(64) + struct.pack(">I", 10000) + rng.randbytes(100)
              + rng.randbytes(64) + b"clientinitiv alpha=" + rng.randbytes(20).hex().encode()
              + b" omega=" + rng.randbytes(60).hex().encode() + b" ot=1 ip"))
    cid = rng.randrange(1, 200)
    cpid = {0: 0, 2: 0}
    spid = {0: 0, 2: 0}
    t = 0.2
    for i in range(8):  # commands (type 2) and their acks (type 6) both ways
        m.append((t, True, rng.randbytes(8) + struct.pack(">HH", cpid[2], cid) + b"\x02"
                  + rng.randbytes(rng.randrange(50, 400))))
        m.append((t + 0.03, False, rng.randbytes(8) + struct.pack(">H", cpid[2]) + b"\x06"
                  + rng.randbytes(2)))
        cpid[2] += 1
        m.append((t + 0.04, False, rng.randbytes(8) + struct.pack(">H", spid[2]) + b"\x02"
                  + rng.randbytes(rng.randrange(100, 500))))
        m.append((t + 0.06, True, rng.randbytes(8) + struct.pack(">HH", spid[2], cid) + b"\x06"
                  + rng.randbytes(2)))
        spid[2] += 1
        t += 0.08
    vid = 0
    for i in range(100):  # Opus voice every 20 ms, the other talker's voice relayed back
        m.append((t, True, rng.randbytes(8) + struct.pack(">HH", cpid[0], cid) + b"\x80"
                  + struct.pack(">H", vid) + b"\x04" + rng.randbytes(rng.randrange(40, 80))))
        cpid[0] += 1
        vid += 1
        if i % 3:
            m.append((t + 0.011, False, rng.randbytes(8) + struct.pack(">H", spid[0]) + b"\x80"
                      + struct.pack(">HHB", spid[0], cid + 1, 4)
                      + rng.randbytes(rng.randrange(40, 80))))
            spid[0] += 1
        t += 0.02
    return m


# --- QUIC v1 (RFC 9000 §17, RFC 9001; a long video stream): client Initial padded to 1200,
# server Initial and Handshake, then 1-RTT short headers (0x40 | key phase | pn length) with
# the 8-byte destination connection id, almost all from the server.

def quic(rng):
    m = []
    dcid, scid, sdcid = rng.randbytes(8), rng.randbytes(8), rng.randbytes(8)

    def long(first, d, s, size):
        h = bytes([first]) + b"\x00\x00\x00\x01" + bytes([len(d)]) + d + bytes([len(s)]) + s
        if first & 0x30 == 0:
            h += b"\x00"
        body = rng.randbytes(size - len(h) - 2)
        return h + struct.pack(">H", 0x4000 | len(body)) + body

    m.append((0.0, True, long(0xC3, dcid, scid, 1200)))
    m.append((0.03, False, long(0xC1, scid, sdcid, 1200)))
    m.append((0.031, False, long(0xE1, scid, sdcid, 1200)))
    m.append((0.032, False, long(0xE1, scid, sdcid, 900)))
    m.append((0.05, True, long(0xC1, sdcid, scid, 1200)))
    m.append((0.051, True, long(0xE1, sdcid, scid, 100)))
    t = 0.07
    for i in range(40):
        m.append((t, False, bytes([0x40 | (rng.randrange(4) << 3) & 0x18 | 1]) + scid
                  + rng.randbytes(1240)))
        if i % 4 == 3:
            m.append((t + 0.002, True,
                      bytes([0x41]) + sdcid + rng.randbytes(rng.randrange(25, 45))))
        t += 0.004
    return m


# --- WebRTC (RFC 8445 ICE with RFC 5389 STUN, RFC 6347 DTLS 1.2, RFC 3711 SRTP, RFC 3550 RTP):
# ICE connectivity checks, the DTLS-SRTP handshake, then Opus audio and VP8 video SRTP with
# 10-byte auth tags and SRTCP reports, on one 5-tuple (BUNDLE).

def stun(rng, mtype, attrs):
    body = b""
    for at, val in attrs:
        body += struct.pack(">HH", at, len(val)) + val + bytes(-len(val) % 4)
    return struct.pack(">HHI", mtype, len(body), 0x2112A442) + rng.randbytes(12) + body


def dtls(ctype, epoch, seq, body):
    return struct.pack(">BHH", ctype, 0xFEFD, epoch) + seq.to_bytes(6, "big") + \
        struct.pack(">H", len(body)) + body


def webrtc(rng):
    m = []
    ufrag = rng.randbytes(4).hex().encode()
    req = [(0x0006, ufrag + b":" + rng.randbytes(4).hex().encode()), (0xC057, b"\x00\x01\x00\x0a"),
           (0x802A, rng.randbytes(8)), (0x0024, rng.randbytes(4)), (0x0008, rng.randbytes(20)),
           (0x8028, rng.randbytes(4))]
    resp = [(0x0020, b"\x00\x01" + rng.randbytes(6)), (0x0008, rng.randbytes(20)),
            (0x8028, rng.randbytes(4))]
    m.append((0.0, True, stun(rng, 0x0001, req)))
    m.append((0.02, False, stun(rng, 0x0101, resp)))
    m.append((0.03, False, stun(rng, 0x0001, req)))
    m.append((0.05, True, stun(rng, 0x0101, resp)))
    hs = lambda typ, n, size: bytes([typ]) + size.to_bytes(3, "big") + struct.pack(">H", n) + \
        bytes(3) + size.to_bytes(3, "big") + rng.randbytes(size)
    m.append((0.06, True, dtls(22, 0, 0, hs(1, 0, 150))))
    m.append((0.09, False, dtls(22, 0, 0, hs(2, 0, 90)) + dtls(22, 0, 1, hs(11, 1, 400))
              + dtls(22, 0, 2, hs(12, 2, 110)) + dtls(22, 0, 3, hs(13, 3, 20))
              + dtls(22, 0, 4, hs(14, 4, 0))))
    m.append((0.12, True, dtls(22, 0, 1, hs(11, 1, 400)) + dtls(22, 0, 2, hs(16, 2, 66))
              + dtls(22, 0, 3, hs(15, 3, 74)) + dtls(20, 0, 4, b"\x01")
              + dtls(22, 1, 0, rng.randbytes(40))))
    m.append((0.15, False, dtls(20, 0, 5, b"\x01") + dtls(22, 1, 0, rng.randbytes(40))))
    t = 0.2
    ssrc = {(True, 111): rng.randbytes(4), (True, 96): rng.randbytes(4),
            (False, 111): rng.randbytes(4), (False, 96): rng.randbytes(4)}
    seq = {k: rng.randrange(1 << 16) for k in ssrc}
    ts = {k: rng.randrange(1 << 32) for k in ssrc}

    def rtp(from_client, pt, size, marker=False):
        k = (from_client, pt)
        seq[k] = (seq[k] + 1) & 0xFFFF
        ts[k] = (ts[k] + (960 if pt == 111 else 3000)) & 0xFFFFFFFF
        hdr = struct.pack(">BBHI", 0x90, pt | (0x80 if marker else 0), seq[k], ts[k]) + ssrc[k]
        ext = b"\xbe\xde\x00\x01\x10" + rng.randbytes(1) + b"\x00\x00"
        return hdr + ext + rng.randbytes(size) + rng.randbytes(10)

    for i in range(60):
        m.append((t, True, rtp(True, 111, rng.randrange(60, 110))))
        m.append((t + 0.007, False, rtp(False, 111, rng.randrange(60, 110))))
        if i % 3 == 0:
            m.append((t + 0.01, True, rtp(True, 96, rng.randrange(300, 900), i % 6 == 0)))
            m.append((t + 0.012, False, rtp(False, 96, rng.randrange(300, 900), i % 6 == 0)))
        if i % 50 == 0:
            for fc in (True, False):
                m.append((t + 0.015, fc, struct.pack(">BBH", 0x81, 200, 12) + ssrc[(fc, 111)]
                          + rng.randbytes(44) + struct.pack(">I", 0x80000000 | i)
                          + rng.randbytes(10)))
        if i % 30 == 29:   # consent freshness checks
            m.append((t + 0.016, True, stun(rng, 0x0001, req)))
            m.append((t + 0.036, False, stun(rng, 0x0101, resp)))
        t += 0.02
    return m


# --- Discord voice (Discord developer docs "Voice Connections": IP discovery, RTP with the
# transport-encrypted Opus payload and the 4-byte incrementing nonce appended, 5 silence
# frames at the end).

def discord(rng):
    m = []
    ssrc = rng.randrange(1 << 32)
    m.append((0.0, True, struct.pack(">HHI", 1, 70, ssrc) + bytes(64) + b"\x00\x00"))
    m.append((0.03, False, struct.pack(">HHI", 2, 70, ssrc) + b"10.78.0.2".ljust(64, b"\x00")
              + struct.pack(">H", 50004)))
    seq, ts, nonce = rng.randrange(1 << 16), rng.randrange(1 << 32), 0
    other = rng.randrange(1 << 32)
    oseq, ots, ononce = rng.randrange(1 << 16), rng.randrange(1 << 32), 0
    t = 0.5
    for i in range(120):
        seq, ts, nonce = (seq + 1) & 0xFFFF, (ts + 960) & 0xFFFFFFFF, nonce + 1
        m.append((t, True, struct.pack(">BBHII", 0x80, 0x78, seq, ts, ssrc)
                  + rng.randbytes(rng.randrange(40, 120)) + rng.randbytes(16)
                  + struct.pack(">I", nonce)))
        if i % 2 == 0:
            oseq, ots, ononce = (oseq + 1) & 0xFFFF, (ots + 960) & 0xFFFFFFFF, ononce + 1
            m.append((t + 0.009, False, struct.pack(">BBHII", 0x90, 0x78, oseq, ots, other)
                      + b"\xbe\xde\x00\x01" + rng.randbytes(4)
                      + rng.randbytes(rng.randrange(40, 120)) + rng.randbytes(16)
                      + struct.pack(">I", ononce)))
        if i % 100 == 50:
            m.append((t + 0.01, False, struct.pack(">BBHI", 0x81, 201, 7, other)
                      + rng.randbytes(24) + rng.randbytes(16) + struct.pack(">I", ononce)))
        t += 0.02
    return m


# --- SIP (RFC 3261) and RTP/RTCP (RFC 3550, G.711 PCMU payload type 0, 20 ms frames).

def sip(rng):
    call = rng.randbytes(8).hex().encode()
    branch = b"z9hG4bK" + rng.randbytes(5).hex().encode()
    common = (b"Via: SIP/2.0/UDP 10.78.0.2:5060;branch=" + branch + b"\r\nFrom: <sip:alice@"
              b"example.com>;tag=" + rng.randbytes(4).hex().encode() + b"\r\nTo: <sip:bob@"
              b"example.com>\r\nCall-ID: " + call + b"\r\n")
    sdp = b"v=0\r\no=- 1 1 IN IP4 10.78.0.2\r\ns=-\r\nc=IN IP4 10.78.0.2\r\nt=0 0\r\n" \
          b"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
    inv = b"INVITE sip:bob@example.com SIP/2.0\r\n" + common + b"CSeq: 1 INVITE\r\nContact: " \
        b"<sip:alice@10.78.0.2>\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n" \
        % len(sdp) + sdp
    return [(0.0, True, inv),
            (0.05, False, b"SIP/2.0 100 Trying\r\n" + common + b"CSeq: 1 INVITE\r\n"
             b"Content-Length: 0\r\n\r\n"),
            (0.5, False, b"SIP/2.0 180 Ringing\r\n" + common + b"CSeq: 1 INVITE\r\n"
             b"Content-Length: 0\r\n\r\n"),
            (2.0, False, b"SIP/2.0 200 OK\r\n" + common + b"CSeq: 1 INVITE\r\nContent-Type: "
             b"application/sdp\r\nContent-Length: %d\r\n\r\n" % len(sdp) + sdp),
            (2.05, True, b"ACK sip:bob@example.com SIP/2.0\r\n" + common
             + b"CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")]


def rtp_call(rng, pt=0, size=160, step=160, n=100):
    m = []
    sides = {}
    for fc in (True, False):
        sides[fc] = [rng.randrange(1 << 16), rng.randrange(1 << 32), rng.randbytes(4)]
    t = 0.0
    for i in range(n):
        for fc in (True, False):
            s = sides[fc]
            s[0] = (s[0] + 1) & 0xFFFF
            s[1] = (s[1] + step) & 0xFFFFFFFF
            m.append((t + (0 if fc else 0.004), fc, struct.pack(">BBHI", 0x80, pt, s[0], s[1])
                      + s[2] + bytes(rng.randrange(0x70, 0x80) ^ 0x55 for _ in range(size))))
        t += 0.02
    return m


def rtcp_call(rng):
    m = []
    for i in range(6):
        for fc in (True, False):
            ssrc = rng.randbytes(4)
            sr = struct.pack(">BBH", 0x81, 200, 12) + ssrc + rng.randbytes(16) + \
                struct.pack(">II", 50 * i, 8000 * i) + rng.randbytes(24)
            cname = b"\x01\x0ealice@10.78.0.2"
            sdes = struct.pack(">BBH", 0x81, 202, (4 + len(cname) + 3) // 4) + ssrc + cname
            sdes += bytes(-len(sdes) % 4)
            m.append((i * 5.0 + (0 if fc else 0.3), fc, sr + sdes))
    return m


# --- RTMP (Adobe RTMP specification 1.0, §5.2 handshake, §5.3 chunking, §7 commands): C0
# version 3 and a 1536-byte C1 (time, zero, random), S0/S1/S2, C2, then AMF0 `connect`,
# `createStream`, `publish` and audio/video messages in 4096-byte chunks. Flash Player 9+
# clients (librtmp, OBS) put a version at C1's bytes 4..8 and a digest in the random part.

def amf_str(s):
    return b"\x02" + struct.pack(">H", len(s)) + s


def rtmp_chunk(csid, ts, mtype, sid, body, size=4096):
    out = bytes([csid]) + ts.to_bytes(3, "big") + len(body).to_bytes(3, "big") + bytes([mtype]) \
        + struct.pack("<I", sid)
    out += body[:size]
    rest = body[size:]
    while rest:
        out += bytes([0xC0 | csid]) + rest[:size]
        rest = rest[size:]
    return out


def rtmp(rng, fp9=False):
    m = []
    ver = b"\x80\x00\x07\x02" if fp9 else bytes(4)
    c1 = bytes(4) + ver + rng.randbytes(1528)
    s1 = struct.pack(">I", 12345) + (b"\x04\x05\x00\x01" if fp9 else bytes(4)) + rng.randbytes(1528)
    m.append((0.0, True, b"\x03" + c1))
    m.append((0.03, False, b"\x03" + s1 + (rng.randbytes(1536) if fp9 else c1)))
    m.append((0.06, True, rng.randbytes(1536) if fp9 else s1))
    connect = amf_str(b"connect") + b"\x00" + struct.pack(">d", 1) + b"\x03" + \
        b"".join(struct.pack(">H", len(k)) + k + amf_str(v) for k, v in
                 [(b"app", b"live"), (b"type", b"nonprivate"), (b"flashVer", b"FMLE/3.0"),
                  (b"tcUrl", b"rtmp://10.78.1.1/live")]) + b"\x00\x00\x09"
    m.append((0.08, True, rtmp_chunk(2, 0, 1, 0, struct.pack(">I", 4096))
              + rtmp_chunk(3, 0, 20, 0, connect)))
    m.append((0.11, False, rtmp_chunk(2, 0, 5, 0, struct.pack(">I", 2500000))
              + rtmp_chunk(2, 0, 6, 0, struct.pack(">IB", 2500000, 2))
              + rtmp_chunk(2, 0, 1, 0, struct.pack(">I", 4096))
              + rtmp_chunk(3, 0, 20, 0, amf_str(b"_result") + b"\x00" + struct.pack(">d", 1)
                           + b"\x05\x03\x00\x04code" + amf_str(b"NetConnection.Connect.Success")
                           + b"\x00\x00\x09")))
    m.append((0.13, True, rtmp_chunk(3, 0, 20, 0, amf_str(b"createStream") + b"\x00"
                                     + struct.pack(">d", 2) + b"\x05")))
    m.append((0.15, False, rtmp_chunk(3, 0, 20, 0, amf_str(b"_result") + b"\x00"
                                      + struct.pack(">d", 2) + b"\x05\x00" + struct.pack(">d", 1))))
    m.append((0.17, True, rtmp_chunk(4, 0, 20, 1, amf_str(b"publish") + b"\x00"
                                     + struct.pack(">d", 3) + b"\x05" + amf_str(b"stream")
                                     + amf_str(b"live"))))
    m.append((0.19, False, rtmp_chunk(4, 0, 20, 1, amf_str(b"onStatus") + b"\x00"
                                      + struct.pack(">d", 0) + b"\x05\x03\x00\x04code"
                                      + amf_str(b"NetStream.Publish.Start") + b"\x00\x00\x09")))
    t = 0.3
    for i in range(30):
        # FLV video tag body: frame type/codec 0x17/0x27 (AVC), AVC packet type 1, composition
        m.append((t, True, rtmp_chunk(6, i * 33, 9, 1, bytes([0x17 if i % 30 == 0 else 0x27])
                                      + b"\x01\x00\x00\x00"
                                      + rng.randbytes(rng.randrange(300, 1500)))))
        m.append((t + 0.005, True, rtmp_chunk(4, i * 33, 8, 1, b"\xaf\x01"
                                              + rng.randbytes(rng.randrange(150, 400)))))
        if i % 20 == 19:
            m.append((t + 0.01, False, rtmp_chunk(2, 0, 3, 0, struct.pack(">I", i * 6000))))
        t += 0.033
    return m


# --- MPEG transport stream over UDP (ISO/IEC 13818-1 §2.4.3: 188-byte packets with sync byte
# 0x47, 13-bit PID, 4-bit continuity counter; 7 per datagram as IPTV sends them) and the same in
# RTP (RFC 2250, payload type 33).

def mpegts(rng, rtp_wrap=False, n=40):
    m = []
    cc = collections.Counter()
    seq, ts = rng.randrange(1 << 16), rng.randrange(1 << 32)
    ssrc = rng.randbytes(4)
    for i in range(n):
        pkts = b""
        for j in range(7):
            k = i * 7 + j
            pid = 0 if k % 100 == 0 else 0x1000 if k % 100 == 1 else \
                (0x101 if k % 9 == 0 else 0x100)
            pusi = 0x40 if (k % 40 == 0 or pid in (0, 0x1000)) else 0
            pkts += bytes([0x47, pusi | pid >> 8, pid & 0xFF, 0x10 | cc[pid] & 0xF])
            cc[pid] += 1
            pkts += rng.randbytes(184) if pid >= 0x100 else \
                (b"\x00\x00\xb0\x0d\x00\x01\xc1\x00\x00\x00\x01\xf0\x00" + rng.randbytes(4)
                 ).ljust(184, b"\xff")
        if rtp_wrap:
            seq, ts = (seq + 1) & 0xFFFF, (ts + 900) & 0xFFFFFFFF
            pkts = struct.pack(">BBHI", 0x80, 33, seq, ts) + ssrc + pkts
        m.append((i * 0.002, True, pkts))
    return m


# --- Minetest (minetest doc/protocol.txt and src/network/connection.h): protocol id
# 0x4f457403, the sender's 16-bit peer id, channel, then type 0 CONTROL (ack, set peer id,
# ping), 1 ORIGINAL, 3 RELIABLE with a 16-bit sequence number from 65500.

def minetest(rng):
    m = []
    pid = b"\x4f\x45\x74\x03"
    peer = rng.randrange(2, 1000)
    seq = {True: 65500, False: 65500}

    def rel(from_client, inner, chan=0):
        s = seq[from_client]
        seq[from_client] = (s + 1) & 0xFFFF
        me = peer if from_client else 1
        return pid + struct.pack(">HBBH", me, chan, 3, s) + inner

    def ack(from_client, s, chan=0):
        me = peer if from_client else 1
        return pid + struct.pack(">HBBBH", me, chan, 0, 0, s)

    m.append((0.0, True, pid + b"\x00\x00\x00\x03" + struct.pack(">H", 65500) + b"\x01"))
    seq[True] += 1
    m.append((0.02, False, ack(False, 65500)))
    m.append((0.021, False, rel(False, struct.pack(">BBH", 0, 1, peer))))
    m.append((0.04, True, ack(True, 65500)))
    m.append((0.05, True, pid + struct.pack(">HBB", peer, 1, 1) + b"\x00\x02\x1c\x00\x00"
              b"\x00\x25\x00\x29\x00\x06player"))
    m.append((0.08, False, rel(False, b"\x00\x02\x1c\x00\x00\x00\x29\x00\x02" + rng.randbytes(20))))
    t = 0.1
    for i in range(60):
        s = seq[False]
        m.append((t, False, rel(False, b"\x00\x42" + rng.randbytes(rng.randrange(100, 900)))))
        m.append((t + 0.02, True, ack(True, s)))
        if i % 2 == 0:
            m.append((t + 0.03, True, pid + struct.pack(">HBB", peer, 0, 1) + b"\x00\x23"
                      + rng.randbytes(34)))
        t += 0.05
    return m


# --- Mumble (mumble docs/dev/network-protocol: UDP ping; src/crypto/CryptState.cpp): the
# legacy server ping (4 zero bytes and an 8-byte ident; reply version, ident, users, max users,
# bandwidth) and the OCB2-AES128 voice channel: a 4-byte header (the IV's low byte, a 3-byte
# tag) before the encrypted packet, the IV counting up per packet on each side.

def mumble_ping(rng):
    m = []
    for i in range(5):
        ident = rng.randbytes(8)
        m.append((i * 1.0, True, bytes(4) + ident))
        m.append((i * 1.0 + 0.02, False, struct.pack(">I", 0x00010304) + ident
                  + struct.pack(">III", 3, 50, 558000)))
    return m


def mumble_voice(rng):
    m = []
    civ, siv = rng.randrange(256), rng.randrange(256)
    t = 0.0
    for i in range(100):
        civ = (civ + 1) & 0xFF
        m.append((t, True, bytes([civ]) + rng.randbytes(3) + rng.randbytes(rng.randrange(60, 120))))
        if i % 2:
            siv = (siv + 1) & 0xFF
            m.append((t + 0.008, False, bytes([siv]) + rng.randbytes(3)
                      + rng.randbytes(rng.randrange(60, 120))))
        t += 0.02
    return m


# --- NAT-PMP (RFC 6886) and PCP (RFC 6887): address request and UDP mappings renewed.

def natpmp(rng):
    m = []
    ext = bytes([203, 0, 113, rng.randrange(1, 255)])
    for i in range(4):
        ep = struct.pack(">I", 100 + i * 60)
        m.append((i * 2.0, True, b"\x00\x00"))
        m.append((i * 2.0 + 0.002, False, b"\x00\x80\x00\x00" + ep + ext))
        m.append((i * 2.0 + 0.01, True,
                  b"\x00\x01\x00\x00" + struct.pack(">HHI", 3074, 3074, 7200)))
        m.append((i * 2.0 + 0.012, False, b"\x00\x81\x00\x00" + ep
                  + struct.pack(">HHI", 3074, 3074, 7200)))
    return m


def pcp(rng):
    m = []
    nonce = rng.randbytes(12)
    client = bytes(10) + b"\xff\xff" + bytes([10, 78, 0, 2])
    for i in range(4):
        body = nonce + b"\x11\x00\x00\x00" + struct.pack(">HH", 3074, 3074) + bytes(10) + \
            b"\xff\xff" + bytes(4)
        m.append((i * 2.0, True, b"\x02\x01\x00\x00" + struct.pack(">I", 7200) + client + body))
        m.append((i * 2.0 + 0.003, False, b"\x02\x81\x00\x00" + struct.pack(">II", 7200, 100 + i)
                  + bytes(12) + nonce + b"\x11\x00\x00\x00" + struct.pack(">HH", 3074, 3074)
                  + bytes(10) + b"\xff\xff" + bytes([203, 0, 113, 7])))
    return m


# --- CoAP (RFC 7252, RFC 7641 Observe): confirmable GETs with 16-bit message ids and tokens,
# piggybacked ACKs, then non-confirmable notifications with a growing Observe number.

def coap(rng):
    m = []
    mid = rng.randrange(1 << 16)
    token = rng.randbytes(4)
    for i in range(6):
        mid = (mid + 1) & 0xFFFF
        m.append((i * 1.0, True, bytes([0x44, 0x01]) + struct.pack(">H", mid) + token
                  + (b"\x60" + b"\x56sensor" if i == 0 else b"\xb6sensor")))
        m.append((i * 1.0 + 0.01, False, bytes([0x64, 0x45]) + struct.pack(">H", mid) + token
                  + b"\x61" + bytes([i]) + b"\x51\x32\xff" + b'{"t":%d}' % (200 + i)))
    smid = rng.randrange(1 << 16)
    for i in range(20):
        smid = (smid + 1) & 0xFFFF
        m.append((6.0 + i * 0.5, False, bytes([0x54, 0x45]) + struct.pack(">H", smid) + token
                  + b"\x62" + struct.pack(">H", 10 + i) + b"\x51\x32\xff" + b'{"t":%d}' % i))
    return m


# --- DTLS alone (RFC 6347, DTLS 1.2; e.g. a VPN's or a game's data channel): ClientHello,
# HelloVerifyRequest, ClientHello with the cookie, the server's flight, then application data
# records with epoch 1 and a 48-bit sequence counting up on each side.

def dtls_session(rng):
    m = []
    hs = lambda typ, n, size: bytes([typ]) + size.to_bytes(3, "big") + struct.pack(">H", n) + \
        bytes(3) + size.to_bytes(3, "big") + rng.randbytes(size)
    m.append((0.0, True, dtls(22, 0, 0, hs(1, 0, 120))))
    m.append((0.02, False, dtls(22, 0, 0, hs(3, 0, 35))))
    m.append((0.04, True, dtls(22, 0, 1, hs(1, 1, 152))))
    m.append((0.06, False, dtls(22, 0, 1, hs(2, 1, 80)) + dtls(22, 0, 2, hs(11, 2, 700))
              + dtls(22, 0, 3, hs(12, 3, 300)) + dtls(22, 0, 4, hs(14, 4, 0))))
    m.append((0.08, True, dtls(22, 0, 2, hs(16, 2, 66)) + dtls(20, 0, 3, b"\x01")
              + dtls(22, 1, 0, rng.randbytes(40))))
    m.append((0.10, False, dtls(20, 0, 5, b"\x01") + dtls(22, 1, 0, rng.randbytes(40))))
    cs, ss = 1, 1
    t = 0.12
    for i in range(60):
        m.append((t, True, dtls(23, 1, cs, rng.randbytes(rng.randrange(60, 200)))))
        cs += 1
        m.append((t + 0.01, False, dtls(23, 1, ss, rng.randbytes(rng.randrange(100, 1200)))))
        ss += 1
        t += 0.03
    return m


# --- KCP (skywind3000/kcp ikcp.c, ikcp_encode_seg; the ARQ under many mobile games and
# Unity's Mirror kcp2k): a 24-byte little-endian segment header: conv (the same both ways),
# cmd (81 push, 82 ack, 83 window probe, 84 window size), frg, wnd, ts, sn, una, len. A random
# conv starts with a uTP type/version byte and a zero extension byte about once in 2,000.

def kcp(rng, low=None):
    m = []
    conv = rng.randrange(1, 1 << 32)
    if low is not None:  # a conv whose first bytes are uTP's DATA or STATE byte, extension 0
        conv = conv & 0xFFFF0000 | low
    sn = {True: 0, False: 0}
    ts0 = rng.randrange(1 << 20)

    def seg(cmd, frg, wnd, ts, s, una, data=b""):
        return struct.pack("<IBBHIIII", conv, cmd, frg, wnd, ts & 0xFFFFFFFF, s, una,
                           len(data)) + data

    t = 0.0
    for i in range(60):
        now = ts0 + int(t * 1000)
        data = rng.randbytes(rng.randrange(20, 200))
        m.append((t, True, seg(81, 0, 128, now, sn[True], sn[False], data)))
        m.append((t + 0.015, False, seg(82, 0, 256, now, sn[True], sn[False])))
        sn[True] += 1
        data = rng.randbytes(rng.randrange(40, 500))
        m.append((t + 0.016, False, seg(81, 0, 256, now + 16, sn[False], sn[True], data)))
        m.append((t + 0.031, True, seg(82, 0, 128, now + 16, sn[False], sn[True])))
        sn[False] += 1
        t += 0.033
    return m


# --- LiteNetLib (RevenantX/LiteNetLib NetPacket.cs, NetConstants.cs; Unity games): a header
# byte of the packet property (bits 0-4: 0 unreliable, 1 channeled, 2 ack, 3 ping, 4 pong,
# 5 connect request, 6 connect accept, 7 disconnect), the connection number (bits 5-6) and the
# fragment bit; channeled packets carry a 16-bit little-endian sequence and a channel id; acks
# a sequence, channel and a window bitmask; pings a sequence; pongs a sequence and a time.

def litenetlib(rng, conn_no=0):
    m = []
    cn = conn_no << 5
    conn_time = rng.randrange(1 << 62)
    peer_id = rng.randrange(1 << 31)
    m.append((0.0, True, b"\x05" + struct.pack("<iqi", 13, conn_time, peer_id)
              + bytes([10]) + bytes([2, 0]) + bytes([10, 78, 0, 2]) + bytes(8)
              + b"\x0bgame-key"))
    m.append((0.02, False, b"\x06" + struct.pack("<qBiB", conn_time, conn_no, peer_id, 0)))
    seq = {True: 0, False: 0}
    t = 0.05
    for i in range(60):
        for fc in (True, False):
            s = seq[fc]
            seq[fc] = (s + 1) % 32768
            m.append((t + (0 if fc else 0.01), fc, bytes([cn | 1]) + struct.pack("<HB", s, 2)
                      + rng.randbytes(rng.randrange(10, 200) if fc else rng.randrange(50, 600))))
            m.append((t + (0.012 if fc else 0.022), not fc, bytes([cn | 2])
                      + struct.pack("<HB", s // 64 * 64, 2)
                      + (1 << (s % 64 + 1)).to_bytes(8, "little")[:8]
                      if s % 64 < 63 else bytes([cn | 2]) + struct.pack("<HB", s // 64 * 64, 2)
                      + bytes(8)))
        if i % 10 == 0:
            ps = i // 10
            m.append((t + 0.025, True, bytes([cn | 3]) + struct.pack("<H", ps)))
            m.append((t + 0.045, False, bytes([cn | 4]) + struct.pack("<Hq", ps, conn_time + i)))
        t += 0.05
    return m


def litenetlib_syn(rng):
    """LiteNetLib's third connection to a peer (connection number 2: header byte 0x41, uTP's
    SYN byte) whose first reliable message on channel 0 (sequence 0: `41 00 00 00`) is 16 bytes:
    a type hash, zeros, a small field, a zero short. The first datagram is a plausible uTP SYN
    (BEP 29: 20 bytes, no extension, zero `timestamp_difference` and `ack_nr`); a BitTorrent
    host sending it was `Confirmed` uTP on it alone (`--edge` only)."""
    m = [(0.0, True, b"\x41\x00\x00\x00" + rng.randbytes(4) + bytes(8) + b"\x07\x00\x00\x00")]
    m.append((0.02, False, b"\x42\x00\x00\x00" + (2).to_bytes(8, "little")))
    seq = {True: 1, False: 0}
    t = 0.05
    for i in range(40):
        for fc in (True, False):
            m.append((t + (0 if fc else 0.01), fc, bytes([0x41]) + struct.pack("<HB", seq[fc], 0)
                      + rng.randbytes(rng.randrange(10, 200))))
            seq[fc] += 1
        t += 0.05
    return m


# --- Lidgren.Network (lidgren-network-gen3 NetConstants.cs, NetMessageType.cs,
# NetOutgoingMessage.Encode; XNA/MonoGame games): 5-byte header: message type (0 unreliable,
# 1-32 sequenced channels, 34.. reliable), 16-bit little-endian sequence number shifted left
# one with the fragment bit, 16-bit payload length in bits. Ping 129/pong 130.

def lidgren(rng):
    m = []
    m.append((0.0, True, bytes([131, 0, 0]) + struct.pack("<H", 8 * 30) + b"\x07MyGame"
              + rng.randbytes(23)))
    m.append((0.02, False, bytes([132, 0, 0]) + struct.pack("<H", 8 * 30) + b"\x07MyGame"
              + rng.randbytes(23)))
    m.append((0.04, True, bytes([133, 0, 0]) + struct.pack("<H", 8 * 8) + rng.randbytes(8)))
    seq = {True: 0, False: 0}
    t = 0.1
    for i in range(60):
        for fc in (True, False):
            s = seq[fc]
            seq[fc] = (s + 1) % 1024
            data = rng.randbytes(rng.randrange(8, 80) if fc else rng.randrange(30, 400))
            m.append((t + (0 if fc else 0.01), fc, bytes([1]) + struct.pack("<HH", s << 1,
                                                                           len(data) * 8) + data))
        if i % 20 == 0:
            m.append((t + 0.02, True, bytes([129, 0, 0]) + struct.pack("<H", 8) + bytes([i % 256])))
            m.append((t + 0.04, False, bytes([130, 0, 0]) + struct.pack("<H", 40) + bytes([i % 256])
                      + struct.pack("<f", 12.5 + i)))
        t += 0.05
    return m


# --- SteamNetworkingSockets direct UDP (ValveSoftware/GameNetworkingSockets
# steamnetworkingsockets_udp.cpp, steamnetworkingsockets_messages_udp.proto): challenge
# request/reply (lead bytes 32/33) and connect request/OK (34/35), padded to 512 bytes; then
# data packets: lead byte 0x80, the recipient's 32-bit connection id, 16-bit wire sequence
# number (little-endian), the encrypted payload (AES-GCM, 16-byte tag).

def steam_sockets(rng):
    m = []
    cid_c, cid_s = rng.randrange(1 << 32), rng.randrange(1 << 32)
    pad = lambda b: b.ljust(512, b"\x00")
    m.append((0.0, True, pad(b"\x20" + rng.randbytes(24))))
    m.append((0.02, False, pad(b"\x21" + rng.randbytes(30))))
    m.append((0.04, True, pad(b"\x22" + rng.randbytes(250))))
    m.append((0.06, False, pad(b"\x23" + rng.randbytes(250))))
    seq = {True: rng.randrange(1 << 16), False: rng.randrange(1 << 16)}
    t = 0.1
    for i in range(80):
        for fc in (True, False):
            seq[fc] = (seq[fc] + 1) & 0xFFFF
            to = cid_s if fc else cid_c
            m.append((t + (0 if fc else 0.012), fc, struct.pack("<BIH", 0x80, to, seq[fc])
                      + rng.randbytes(rng.randrange(30, 120) if fc else rng.randrange(60, 900))
                      + rng.randbytes(16)))
        t += 0.03
    return m


# --- netcode.io (networkprotocol/netcode STANDARD.md): the connection request (prefix 0,
# "NETCODE 1.02", protocol id, expiry, nonce, 1024-byte encrypted private token), challenge
# and response, then keep-alive and payload packets: a prefix byte (type | sequence bytes << 4),
# the sequence number little-endian in that many bytes, the encrypted body with a 16-byte MAC.

def netcode(rng):
    m = []
    m.append((0.0, True, b"\x00NETCODE 1.02\x00" + struct.pack("<QQ", 0x1122334455667788,
                                                               1796432400 + 30)
              + rng.randbytes(24) + rng.randbytes(1024)))
    seq = {True: 0, False: 0}

    def pkt(fc, typ, body):
        s = seq[fc]
        seq[fc] += 1
        n = max(1, (s.bit_length() + 7) // 8)
        return bytes([typ | n << 4]) + s.to_bytes(n, "little") + rng.randbytes(body) + \
            rng.randbytes(16)

    m.append((0.02, False, pkt(False, 2, 308)))
    m.append((0.04, True, pkt(True, 3, 308)))
    m.append((0.06, False, pkt(False, 6, 8)))
    t = 0.1
    for i in range(80):
        m.append((t, True, pkt(True, 5, rng.randrange(20, 120))))
        m.append((t + 0.01, False, pkt(False, 5, rng.randrange(40, 900))))
        t += 0.033
    return m


# --- Gaffer-style game netcode ("Reliability and Congestion Avoidance over UDP", Glenn
# Fiedler; the pattern of many in-house game protocols): a 32-bit protocol id, 16-bit
# sequence, 16-bit ack of the other side's latest sequence, a 32-bit ack bitfield, then the
# game state.

def gaffer(rng):
    m = []
    proto = rng.randbytes(4)
    seq = {True: 0, False: 0}
    t = 0.0
    for i in range(80):
        for fc in (True, False):
            s = seq[fc]
            seq[fc] = (s + 1) & 0xFFFF
            other = (seq[not fc] - 1) & 0xFFFF
            m.append((t + (0 if fc else 0.01), fc, proto + struct.pack(">HHI", s, other, 0xFFFFFFFF)
                      + rng.randbytes(rng.randrange(16, 100) if fc else rng.randrange(60, 600))))
        t += 0.033
    return m


# --- Valve/Riot-like game UDP with a 20-byte header: a 16-bit connection id that differs by
# one between the directions (the server picks id+1 for its replies, as some engines do), 32-bit
# sequence and ack counters moving in step, a 32-bit timestamp and a 32-bit ack mask; the
# encrypted game state after it. Not any one game's format: the worst case of the family for
# uTP's rules (constant ids one apart, acknowledgments, timestamps).

def twenty(rng):
    m = []
    cid = rng.randrange(1 << 15) * 2
    seq = {True: rng.randrange(1 << 20), False: rng.randrange(1 << 20)}
    last = dict(seq)
    t = 0.0
    base = rng.randrange(1 << 30)
    for i in range(80):
        for fc in (True, False):
            seq[fc] += 1
            last[fc] = seq[fc]
            ident = cid if fc else cid + 1
            m.append((t + (0 if fc else 0.01), fc, struct.pack(">HHIIII", 0x5247, ident, seq[fc],
                                                              last[not fc],
                                                              base + int(t * 1e6) & 0xFFFFFFFF,
                                                              0xFFFFFFFF)
                      + rng.randbytes(rng.randrange(30, 200) if fc else rng.randrange(60, 800))))
        t += 0.03
    return m


# --- Zoom media (the Princeton-Cabernet/zoom-analysis Wireshark dissector, zoom.lua): to and
# from Zoom's servers (UDP 8801) an 8-byte SFU header (type 5, 16-bit sequence, direction byte
# 0 to Zoom / 4 from Zoom) around the media encapsulation; peer to peer the media encapsulation
# alone: type (15 audio, 16 video, 33-35 RTCP), a 16-bit sequence at 9 and a 32-bit timestamp
# at 11, the RTP packet at 19 (audio) or 24 (video), its payload encrypted.

def zoom(rng, sfu=True):
    m = []
    state = {}
    for fc in (True, False):
        state[fc] = {"outer": rng.randrange(1 << 16), "seq": rng.randrange(1 << 16),
                     "ts": rng.randrange(1 << 32), "rseq": rng.randrange(1 << 16),
                     "ssrc": rng.randbytes(4), "vseq": rng.randrange(1 << 16),
                     "vssrc": rng.randbytes(4), "frame": rng.randrange(1 << 16),
                     "fill": rng.randbytes(8)}

    def media(fc, kind):
        st = state[fc]
        if kind == 16:
            st["vseq"] = (st["vseq"] + 1) & 0xFFFF
            st["frame"] = (st["frame"] + 1) & 0xFFFF
            rtp = struct.pack(">BBHI", 0x90, 98, st["vseq"], st["ts"]) + st["vssrc"] + \
                rng.randbytes(rng.randrange(200, 900))
            inner = bytes([16]) + st["fill"] + struct.pack(">HI", st["seq"], st["ts"]) + \
                st["fill"][:5] + b"\x02" + struct.pack(">HB", st["frame"], 1) + rtp
        elif kind == 33:
            rtcp = struct.pack(">BBH", 0x80, 200, 6) + st["ssrc"] + rng.randbytes(20)
            inner = bytes([33]) + st["fill"] + struct.pack(">HI", st["seq"], st["ts"]) + \
                st["fill"][:1] + rtcp
        else:
            st["rseq"] = (st["rseq"] + 1) & 0xFFFF
            rtp = struct.pack(">BBHI", 0x90, 112, st["rseq"], st["ts"]) + st["ssrc"] + \
                rng.randbytes(rng.randrange(40, 120))
            inner = bytes([15]) + st["fill"] + struct.pack(">HI", st["seq"], st["ts"]) + \
                st["fill"][:4] + rtp
        st["seq"] = (st["seq"] + 1) & 0xFFFF
        st["ts"] = (st["ts"] + 960) & 0xFFFFFFFF
        if not sfu:
            return inner
        st["outer"] = (st["outer"] + 1) & 0xFFFF
        return b"\x05" + struct.pack(">H", st["outer"]) + st["fill"][:4] + \
            (b"\x00" if fc else b"\x04") + inner

    t = 0.0
    for i in range(60):
        for fc in (True, False):
            m.append((t + (0 if fc else 0.006), fc, media(fc, 15)))
            if i % 2 == 0:
                m.append((t + (0.002 if fc else 0.008), fc, media(fc, 16)))
            if i % 40 == 0:
                m.append((t + (0.003 if fc else 0.009), fc, media(fc, 33)))
        t += 0.02
    return m


# --- SRT, Secure Reliable Transport (draft-sharabayko-srt-01 §3, Haivision's libsrt): a
# 16-byte header: data packets (first bit 0) carry a 31-bit sequence number, a message number,
# a timestamp in microseconds and the peer's socket id; control packets (first bit 1) a type
# (0 handshake, 1 keep-alive, 2 ACK, 6 ACKACK); the caller's induction and conclusion
# handshakes, then a live MPEG-TS stream of 1316-byte payloads acknowledged every 10 ms.

def srt(rng):
    m = []
    csock, ssock = rng.randrange(1 << 30), rng.randrange(1 << 30)
    isn = rng.randrange(1 << 31)
    cookie = rng.randrange(1 << 32)
    ip = bytes([10, 78, 0, 2]) + bytes(12)

    def ctrl(ctype, info, ts, dest, body):
        return struct.pack(">HHIII", 0x8000 | ctype, 0, info, ts, dest) + body

    def hs(version, ext, hstype, sock, ck, extra=b""):
        return struct.pack(">IHHIIIiII", version, 0, ext, isn, 1500, 8192, hstype, sock, ck) + \
            ip + extra

    m.append((0.0, True, ctrl(0, 0, 10, 0, hs(4, 2, 1, csock, 0))))
    m.append((0.02, False, ctrl(0, 0, 20, csock, hs(5, 0x4A17, 1, ssock, cookie))))
    hsreq = struct.pack(">HHIII", 1, 3, 0x010503, 0xBF, (120 << 16) | 120)
    m.append((0.04, True, ctrl(0, 0, 40000, 0, hs(5, 5, -1, csock, cookie, hsreq))))
    m.append((0.06, False, ctrl(0, 0, 40020, csock, hs(5, 1, -1, ssock, 0, struct.pack(
        ">HHIII", 2, 3, 0x010503, 0xBF, (120 << 16) | 120)))))
    seq, msg = isn, 1
    ack_no = 1
    t = 0.1
    for i in range(60):
        ts = int(t * 1e6)
        m.append((t, True, struct.pack(">IIII", seq, 0xC0000000 | msg, ts, ssock)
                  + b"\x47" + rng.randbytes(1315)))
        seq = (seq + 1) & 0x7FFFFFFF
        msg += 1
        if i % 5 == 4:
            m.append((t + 0.003, False, ctrl(2, ack_no, ts + 3000, csock, struct.pack(
                ">IIIIIII", seq, 20000, 5000, 8000, 500, 100000, 90000))))
            m.append((t + 0.006, True, ctrl(6, ack_no, ts + 6000, ssock, b"")))
            ack_no += 1
        t += 0.002
    return m


# --- TURN relay for WebRTC (RFC 8656: Allocate with the long-term credential's 401,
# CreatePermission, ChannelBind; then ChannelData: 16-bit channel number 0x4000-0x4FFF,
# 16-bit length, the data padded to 4 bytes), carrying SRTP both ways on one channel. libwebrtc
# picks the channel number at random in the range.

def turn(rng, channel=None):
    m = []
    channel = channel if channel is not None else rng.randrange(0x4000, 0x5000)
    realm = (0x0014, b"example.org")
    m.append((0.0, True, stun(rng, 0x0003, [(0x0019, b"\x11\x00\x00\x00")])))
    m.append((0.02, False, stun(rng, 0x0113, [(0x0009, b"\x00\x00\x04\x01Unauthorized"), realm,
                                              (0x0015, rng.randbytes(8).hex().encode())])))
    auth = [(0x0006, b"alice"), realm, (0x0015, rng.randbytes(8).hex().encode()),
            (0x0008, rng.randbytes(20))]
    m.append((0.04, True, stun(rng, 0x0003, [(0x0019, b"\x11\x00\x00\x00")] + auth)))
    m.append((0.06, False, stun(rng, 0x0103, [(0x0016, b"\x00\x01" + rng.randbytes(6)),
                                              (0x0020, b"\x00\x01" + rng.randbytes(6)),
                                              (0x000D, b"\x00\x00\x02\x58"),
                                              (0x0008, rng.randbytes(20))])))
    peer = (0x0012, b"\x00\x01" + rng.randbytes(6))
    m.append((0.08, True, stun(rng, 0x0008, [peer] + auth)))
    m.append((0.10, False, stun(rng, 0x0108, [(0x0008, rng.randbytes(20))])))
    m.append((0.12, True, stun(rng, 0x0009, [(0x000C, struct.pack(">HH", channel, 0)), peer]
                               + auth)))
    m.append((0.14, False, stun(rng, 0x0109, [(0x0008, rng.randbytes(20))])))
    seqs = {True: rng.randrange(1 << 16), False: rng.randrange(1 << 16)}
    ssrc = {True: rng.randbytes(4), False: rng.randbytes(4)}
    t = 0.2
    for i in range(100):
        for fc in (True, False):
            seqs[fc] = (seqs[fc] + 1) & 0xFFFF
            data = struct.pack(">BBHI", 0x80, 111, seqs[fc], i * 960) + ssrc[fc] + \
                rng.randbytes(rng.randrange(60, 110)) + rng.randbytes(10)
            m.append((t + (0 if fc else 0.008), fc, struct.pack(">HH", channel, len(data)) + data
                      + bytes(-len(data) % 4)))
        t += 0.02
    return m


# --- Minecraft Java edition (wiki.vg "Protocol", "Server List Ping", "Protocol Encryption",
# "Query"): TCP packets framed by a VarInt length and a VarInt id: the handshake (protocol
# version, address, port, next state), the server list status request and JSON response and a
# ping/pong; a login: login start, the server's encryption request (1024-bit RSA key, verify
# token), the client's encryption response, then everything AES-CFB8 encrypted (random bytes).
# The UDP query is GameSpy 4's: 0xFE 0xFD, type (9 handshake, 0 stat), session id, challenge.

def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        out += bytes([b | (0x80 if v else 0)])
        if not v:
            return out


def mc_packet(pid, body):
    inner = varint(pid) + body
    return varint(len(inner)) + inner


def mc_string(text):
    return varint(len(text)) + text


def minecraft_status(rng):
    hs = mc_packet(0, varint(763) + mc_string(b"mc.example.org") + struct.pack(">H", 25565)
                   + varint(1))
    status = (b'{"version":{"name":"1.20.1","protocol":763},"players":{"max":20,"online":3},'
              b'"description":{"text":"A Minecraft Server"},"favicon":"data:image/png;base64,'
              + rng.randbytes(1500).hex().encode() + b'"}')
    token = rng.randbytes(8)
    return [(0.0, True, hs + mc_packet(0, b"")),
            (0.02, False, mc_packet(0, mc_string(status))),
            (0.03, True, mc_packet(1, token)),
            (0.05, False, mc_packet(1, token))]


def minecraft_login(rng):
    m = []
    hs = mc_packet(0, varint(763) + mc_string(b"mc.example.org") + struct.pack(">H", 25565)
                   + varint(2))
    m.append((0.0, True, hs + mc_packet(0, mc_string(b"gamer") + b"\x01" + rng.randbytes(16))))
    key = b"\x30\x81\x9f" + rng.randbytes(159)
    m.append((0.03, False, mc_packet(1, mc_string(b"") + varint(len(key)) + key + varint(4)
                                     + rng.randbytes(4))))
    m.append((0.2, True, mc_packet(1, varint(128) + rng.randbytes(128) + varint(128)
                                   + rng.randbytes(128))))
    t = 0.25
    m.append((t, False, rng.randbytes(rng.randrange(30, 60))))   # set compression, login success
    for i in range(40):   # chunks and entity updates down, movement up: all encrypted
        m.append((t + 0.01, False, rng.randbytes(rng.randrange(200, 4000))))
        m.append((t + 0.03, True, rng.randbytes(rng.randrange(20, 60))))
        t += 0.05
    return m


def minecraft_query(rng):
    m = []
    sid = rng.randrange(1 << 32) & 0x0F0F0F0F
    for i in range(3):
        challenge = str(rng.randrange(1 << 31)).encode()
        m.append((i * 5.0, True, b"\xfe\xfd\x09" + struct.pack(">I", sid)))
        m.append((i * 5.0 + 0.01, False, b"\x09" + struct.pack(">I", sid) + challenge + b"\x00"))
        m.append((i * 5.0 + 0.02, True, b"\xfe\xfd\x00" + struct.pack(">I", sid)
                  + struct.pack(">i", int(challenge)) + b"\x00\x00\x00\x00"))
        m.append((i * 5.0 + 0.03, False, b"\x00" + struct.pack(">I", sid) + b"splitnum\x00\x80\x00"
                  + b"hostname\x00A Minecraft Server\x00gametype\x00SMP\x00game_id\x00MINECRAFT"
                  b"\x00version\x001.20.1\x00plugins\x00\x00map\x00world\x00numplayers\x003\x00"
                  b"maxplayers\x0020\x00hostport\x0025565\x00hostip\x0010.78.1.1\x00\x00"
                  b"\x01player_\x00\x00alice\x00bob\x00carol\x00\x00"))
    return m


# --- Battle.net v1 (BNCS, as Warcraft III and Diablo II speak it on TCP 6112; the BNETDocs
# packet descriptions at bnetdocs.org): a protocol byte 0x01,
# then messages `0xFF id u16-length-LE body`: SID_AUTH_INFO, SID_PING, SID_AUTH_CHECK
# (CD-key hashes), SID_ENTERCHAT, chat events and game list queries.

def bnet(rng):
    m = []

    def msg(mid, body):
        return bytes([0xFF, mid]) + struct.pack("<H", len(body) + 4) + body

    m.append((0.0, True, b"\x01" + msg(0x50, struct.pack("<I", 0) + b"68XIPX3W" + struct.pack(
        "<IIIii", 28, 0, 0, -60, 1033) + b"USA\x00United States\x00")))
    m.append((0.05, False, msg(0x25, rng.randbytes(4))))
    m.append((0.051, False, msg(0x50, struct.pack("<III", 0, rng.randrange(1 << 32), 0)
                                 + struct.pack("<Q", 0x01D0000000000000) + b"ver-IX86-1.mpq\x00"
                                 + b"A=3845581634 B=880823580 C=1363937103 4 A=A-S B=B-C C=C-A"
                                 + b" A=A^B\x00" + rng.randbytes(128))))
    m.append((0.1, True, msg(0x25, rng.randbytes(4))))
    m.append((0.2, True, msg(0x51, rng.randbytes(4) + struct.pack("<III", 0x011A0001,
                                                                   rng.randrange(1 << 32), 2)
                              + b"\x00\x00\x00\x00" + (struct.pack("<III", 26, 0x12, 0)
                                                       + rng.randbytes(24)) * 2
                              + b"war3.exe 03/18/11 20:03:55 471040\x00gamer\x00")))
    m.append((0.3, False, msg(0x51, struct.pack("<I", 0) + b"\x00")))
    m.append((0.4, True, msg(0x0A, b"gamer\x00\x00")))
    m.append((0.45, False, msg(0x0A, b"gamer\x00PX3W 1 0 0 0\x00gamer\x00")))
    t = 0.5
    for i in range(20):
        m.append((t, False, msg(0x0F, struct.pack("<IIII", 5, 0, 0, 0) + b"\x00\x00\x00\x00"
                                 + struct.pack("<II", 0, 0) + b"someone\x00"
                                 + b"message %d\x00" % i)))
        if i % 5 == 0:
            m.append((t + 0.01, True, msg(0x09, struct.pack("<HHII", 0, 0, 0, 0)
                                          + b"\x00\x00")))
            m.append((t + 0.02, False, msg(0x09, struct.pack("<I", 0) + rng.randbytes(200))))
        t += 0.3
    return m


# --- RTSP with RTP interleaved on the TCP connection (RFC 2326 §10.12: `$`, channel, 16-bit
# length): OPTIONS, DESCRIBE with SDP, SETUP with `interleaved=0-1`, PLAY, then H.264 RTP on
# channel 0 and RTCP on channel 1, as IP cameras stream to NVRs.

def rtsp(rng):
    m = []
    url = b"rtsp://10.78.1.1:554/stream1"
    sess = str(rng.randrange(1 << 31)).encode()
    sdp = (b"v=0\r\no=- 1 1 IN IP4 10.78.1.1\r\ns=Camera\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n"
           b"a=rtpmap:96 H264/90000\r\na=control:track1\r\n")
    reqs = [(b"OPTIONS " + url + b" RTSP/1.0\r\nCSeq: 1\r\n\r\n",
             b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN"
             b"\r\n\r\n"),
            (b"DESCRIBE " + url + b" RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n",
             b"RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: "
             + str(len(sdp)).encode() + b"\r\n\r\n" + sdp),
            (b"SETUP " + url + b"/track1 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;"
             b"interleaved=0-1\r\n\r\n",
             b"RTSP/1.0 200 OK\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n"
             b"Session: " + sess + b";timeout=60\r\n\r\n"),
            (b"PLAY " + url + b" RTSP/1.0\r\nCSeq: 4\r\nSession: " + sess + b"\r\n\r\n",
             b"RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: " + sess + b"\r\nRange: npt=0.000-\r\n\r\n")]
    t = 0.0
    for q, a in reqs:
        m.append((t, True, q))
        m.append((t + 0.01, False, a))
        t += 0.03
    seq, ts, ssrc = rng.randrange(1 << 16), rng.randrange(1 << 32), rng.randbytes(4)
    for i in range(60):
        seq = (seq + 1) & 0xFFFF
        if i % 3 == 0:
            ts = (ts + 3000) & 0xFFFFFFFF
        rtp = struct.pack(">BBHI", 0x80, 96 | (0x80 if i % 3 == 2 else 0), seq, ts) + ssrc + \
            bytes([0x7C, 0x85 if i % 30 == 0 else 0x01]) + rng.randbytes(rng.randrange(300, 1400))
        m.append((t, False, b"$\x00" + struct.pack(">H", len(rtp)) + rtp))
        if i % 30 == 29:
            rr = struct.pack(">BBH", 0x81, 201, 7) + rng.randbytes(4) + ssrc + rng.randbytes(20)
            m.append((t + 0.005, True, b"$\x01" + struct.pack(">H", len(rr)) + rr))
        t += 0.011
    return m


def add_all(cap):
    variants(cap, "quake3", "udp", 27960, quake3)
    variants(cap, "quake3-status", "udp", 27960, quake3_status, known_too=False)
    variants(cap, "source", "udp", 27015, source)
    variants(cap, "raknet", "udp", 19132, raknet)
    variants(cap, "enet", "udp", 28785, enet)
    variants(cap, "ts3", "udp", 9987, ts3)
    variants(cap, "quic", "udp", 443, quic)
    variants(cap, "webrtc", "udp", 3478, webrtc)
    variants(cap, "discord", "udp", 50004, discord)
    variants(cap, "sip", "udp", 5060, sip, known_too=False)
    variants(cap, "rtp", "udp", 40000, rtp_call)
    variants(cap, "rtp-g722", "udp", 16384, lambda r: rtp_call(r, pt=9, size=160), known_too=False)
    variants(cap, "rtcp", "udp", 40001, rtcp_call, known_too=False)
    variants(cap, "rtmp", "tcp", 1935, rtmp)
    variants(cap, "rtmp-fp9", "tcp", 1935, lambda r: rtmp(r, fp9=True))
    variants(cap, "mpegts", "udp", 1234, mpegts, known_too=False)
    variants(cap, "mpegts-rtp", "udp", 5004, lambda r: mpegts(r, rtp_wrap=True), known_too=False)
    variants(cap, "minetest", "udp", 30000, minetest)
    variants(cap, "mumble-ping", "udp", 64738, mumble_ping, known_too=False)
    variants(cap, "mumble-voice", "udp", 64738, mumble_voice)
    variants(cap, "natpmp", "udp", 5351, natpmp, known_too=False)
    variants(cap, "pcp", "udp", 5351, pcp, known_too=False)
    variants(cap, "coap", "udp", 5683, coap, known_too=False)
    variants(cap, "dtls", "udp", 4433, dtls_session)
    variants(cap, "kcp", "udp", 7777, kcp)
    variants(cap, "kcp-conv01", "udp", 7777, lambda r: kcp(r, 0x0001))
    variants(cap, "kcp-conv21", "udp", 7777, lambda r: kcp(r, 0x0021))
    variants(cap, "litenetlib", "udp", 9050, litenetlib)
    variants(cap, "litenetlib-conn1", "udp", 9050, lambda r: litenetlib(r, 1), known_too=False)
    variants(cap, "litenetlib-conn2", "udp", 9050, lambda r: litenetlib(r, 2), known_too=False)
    variants(cap, "lidgren", "udp", 14242, lidgren)
    variants(cap, "steam-sockets", "udp", 27015, steam_sockets)
    variants(cap, "netcode", "udp", 40000, netcode)
    variants(cap, "gaffer", "udp", 30000, gaffer)
    variants(cap, "twenty", "udp", 5000, twenty)
    variants(cap, "zoom", "udp", 8801, zoom)
    variants(cap, "zoom-p2p", "udp", 52000, lambda r: zoom(r, sfu=False))
    variants(cap, "srt", "udp", 9000, srt)
    variants(cap, "turn", "udp", 3478, turn)
    variants(cap, "turn-4100", "udp", 3478, lambda r: turn(r, 0x4100), known_too=False)
    variants(cap, "turn-4121", "udp", 3478, lambda r: turn(r, 0x4121), known_too=False)
    variants(cap, "minecraft-status", "tcp", 25565, minecraft_status, known_too=False)
    variants(cap, "minecraft", "tcp", 25565, minecraft_login)
    variants(cap, "minecraft-query", "udp", 25565, minecraft_query, known_too=False)
    variants(cap, "bnet", "tcp", 6112, bnet)
    variants(cap, "rtsp", "tcp", 554, rtsp)


def add_edge(cap):
    """Sessions whose single datagrams match a BitTorrent guess rule: `tests/tests/udp_rules.rs`
    allows none in a committed capture, so they go to `negative-games-edge` (`--edge`), not
    committed; the core's unit tests hold their bytes."""
    variants(cap, "lnl-syn", "udp", 9050, litenetlib_syn)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--edge", action="store_true",
                    help="write negative-games-edge (guess-matching sessions), not committed")
    args = ap.parse_args()
    conf.verb = 0
    cap = Capture()
    if args.edge:
        add_edge(cap)
    else:
        add_all(cap)
    name = "negative-games-edge" if args.edge else "negative-games"
    pcap = os.path.join(args.out, name + ".pcap")
    cap.frames.sort(key=lambda p: p.time)
    wrpcap(pcap, cap.frames, linktype=1)
    label.write_labels(pcap, cap.labels, os.path.join(args.out, name + ".labels.jsonl"))
    print(f"{pcap}: {len(cap.labels)} flows, {len(cap.frames)} frames, "
          f"{os.path.getsize(pcap)} bytes; per protocol {dict(cap.counts)}", file=sys.stderr)


if __name__ == "__main__":
    main()
