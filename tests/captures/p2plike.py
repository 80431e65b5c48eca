"""Build `negative-p2plike.pcap`: P2P file sharing and overlay protocols that resemble BitTorrent.

Usage: PYTHON p2plike.py [--out DIR] [--limits]   (PYTHON: a python with scapy 2.8.0 from PyPI)

Every flow but the DHT exchange that makes two hosts BitTorrent hosts is `not_bittorrent`.
Each protocol is written field by field from its implementation or specification (the comment
of each builder names it); encrypted and random fields come from generators seeded with the
flow's name, so every run writes the same bytes. The sessions run both ways with the lengths
and message counts real clients send: logins, hellos, searches, source requests and part
transfers of tens to hundreds of packets.

Three parts, in this order in time:

* plain hosts (10.77.3.0/24, no BitTorrent anywhere in the committed captures): eDonkey/eMule
  TCP to a server and between clients, eMule's protocol obfuscation (client to client: a
  4-byte key part and RC4; client to server: a Diffie-Hellman exchange over a 768-bit prime,
  the shape of MSE/PE's first flights), Kad2 over UDP (plain, packed and obfuscated), eDonkey
  server UDP, Gnutella 0.6 and Gnutella2 (TCP and UDP), Xunlei/Thunder, PPStream, Direct
  Connect (hub and client to client), Soulseek (server and peer), libp2p (multistream-select,
  Noise), I2P NTCP2 and SSU2; each on its usual port and on a random high port;
* a real DHT exchange (BEP 5: ping, find_node, get_peers with `values`) between 10.77.4.5 and
  10.77.4.6, and one from 10.77.4.2, labelled `dht`: torclass learns the three as BitTorrent
  hosts and the peers listed in `values` as peer endpoints;
* the same protocols again from the BitTorrent host 10.77.4.2 (to 10.77.4.1 and 10.77.4.3),
  as on a machine that runs a BitTorrent client next to eMule, a Gnutella servent or an I2P
  router.

Corroborated random-looking flows that torclass cannot tell from MSE/PE (a documented limit,
see tests/captures/README.md "negative-p2plike") are written only with `--limits`, into
`negative-p2plike-limits.*` (not committed): from the BitTorrent host, eMule's client-to-server
obfuscation, its client-to-client obfuscation with large paddings, I2P NTCP2 with large
paddings, and obfuscated first messages nothing answered (one of them to the peer endpoint the
DHT listed).
"""

import argparse
import hashlib
import os
import random
import struct
import sys
import zlib

from scapy.all import IP, TCP, UDP, Ether, Raw, conf, wrpcap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import label  # noqa: E402  (write_labels)

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1796432400.0          # 2026-12-05 01:00 UTC
MSS = 1448
RTT = 0.02

PLAIN = {n: f"10.77.3.{n}" for n in range(1, 10)}
BTNET = {n: f"10.77.4.{n}" for n in range(1, 10)}


def mac(ip):
    a, b, c, d = (int(x) for x in ip.split("."))
    return f"02:77:{b:02x}:{c:02x}:00:{d:02x}"


class Capture:
    """Flows between arbitrary endpoints as Ethernet frames, and their labels."""

    def __init__(self):
        self.frames = []
        self.labels = []
        self.t = T0
        self.isn = 7000
        self.ports = random.Random("p2plike ports")

    def high_port(self):
        return self.ports.randrange(20000, 65000)

    def _frame(self, t, src, dst, l4):
        pkt = Ether(src=mac(src), dst=mac(dst)) / \
            IP(src=src, dst=dst, ttl=64, id=len(self.frames) & 0xFFFF, flags="DF") / l4
        pkt.time = t
        self.frames.append(pkt)

    def flow(self, l4, a, aport, b, bport, messages, program, note, label_="not_bittorrent",
             gap=2.0, random_bytes=False):
        """Add one flow from (a, aport) to (b, bport). `messages`: (from_a, bytes) or
        (from_a, bytes, pause) with a pause in seconds before it; a TCP flow gets its
        handshake, segments of at most MSS bytes, the receiver's acks and a FIN exchange."""
        t = self.t
        self.t += gap
        if l4 == "udp":
            for m in messages:
                from_a, data = m[0], m[1]
                t += m[2] if len(m) > 2 else RTT / 2
                src, dst = ((a, aport), (b, bport)) if from_a else ((b, bport), (a, aport))
                self._frame(t, src[0], dst[0], UDP(sport=src[1], dport=dst[1]) / Raw(data))
        else:
            aseq, bseq = self.isn, (self.isn * 7 + 500000) & 0xFFFFFFFF
            self.isn = (self.isn + 7919 * 65537) & 0xFFFFFFFF
            opts = [("MSS", 1460), ("SAckOK", b""), ("WScale", 7)]

            def seg(from_a, flags, data=b""):
                nonlocal aseq, bseq
                src, dst = ((a, aport), (b, bport)) if from_a else ((b, bport), (a, aport))
                seq, ack = (aseq, bseq) if from_a else (bseq, aseq)
                tcp = TCP(sport=src[1], dport=dst[1], seq=seq, ack=ack if "A" in flags else 0,
                          flags=flags, window=502, options=opts if "S" in flags else [])
                self._frame(t, src[0], dst[0], tcp / Raw(data) if data else tcp)
                n = len(data) + (1 if ("S" in flags or "F" in flags) else 0)
                if from_a:
                    aseq = (aseq + n) & 0xFFFFFFFF
                else:
                    bseq = (bseq + n) & 0xFFFFFFFF

            seg(True, "S")
            t += RTT / 2
            seg(False, "SA")
            t += RTT / 2
            seg(True, "A")
            for i, m in enumerate(messages):
                from_a, data = m[0], m[1]
                t += m[2] if len(m) > 2 else 0.001
                for off in range(0, len(data), MSS):
                    seg(from_a, "PA", data[off:off + MSS])
                    t += 0.0002
                nxt = messages[i + 1][0] if i + 1 < len(messages) else None
                if nxt != (not from_a):
                    t += RTT / 2
                    seg(not from_a, "A")
                else:
                    t += RTT / 2
            t += 0.05
            seg(True, "FA")
            t += RTT / 2
            seg(False, "FA")
            t += RTT / 2
            seg(True, "A")
        entry = {"l4": l4, "a": a, "aport": aport, "b": b, "bport": bport,
                 "label": label_, "program": program, "note": note}
        if random_bytes:
            # Random from the first byte: the documented limit of the MSE/PE rule (see the
            # README's "Label files", `limit`).
            entry["limit"] = "random"
        self.labels.append(entry)


def rng(name):
    return random.Random("p2plike " + name)


def rbytes(r, n):
    return bytes(r.getrandbits(8) for _ in range(n))


class RC4:
    def __init__(self, key, drop=0):
        s = list(range(256))
        j = 0
        for i in range(256):
            j = (j + s[i] + key[i % len(key)]) & 0xFF
            s[i], s[j] = s[j], s[i]
        self.s, self.i, self.j = s, 0, 0
        self.crypt(bytes(drop))

    def crypt(self, data):
        s, i, j = self.s, self.i, self.j
        out = bytearray()
        for c in data:
            i = (i + 1) & 0xFF
            j = (j + s[i]) & 0xFF
            s[i], s[j] = s[j], s[i]
            out.append(c ^ s[(s[i] + s[j]) & 0xFF])
        self.i, self.j = i, j
        return bytes(out)


# eDonkey / eMule TCP. Layouts from eMule 0.50a's srchybrid (opcodes.h, BaseClient.cpp
# SendHelloTypePacket, ServerConnect.cpp, SearchList, UploadClient) and aMule's
# src/include/protocol/ed2k/Client2Client/TCP.h and Client2Server/TCP.h: a packet is
# <protocol 1 (0xE3 eDonkey, 0xC5 eMule, 0xD4 packed)><length 4 LE (opcode + payload)><opcode 1>.

ED2K, EMULE, PACKED = 0xE3, 0xC5, 0xD4


def ed2k(proto, opcode, payload=b""):
    return bytes([proto]) + struct.pack("<I", len(payload) + 1) + bytes([opcode]) + payload


def tag_str(tid, s):
    s = s.encode()
    return b"\x02" + struct.pack("<H", 1) + bytes([tid]) + struct.pack("<H", len(s)) + s


def tag_u32(tid, v):
    return b"\x03" + struct.pack("<H", 1) + bytes([tid]) + struct.pack("<I", v)


def tags(*items):
    return struct.pack("<I", len(items)) + b"".join(items)


def hello_tags(r, name):
    return tags(tag_str(0x01, name), tag_u32(0x11, 0x3C),
                tag_u32(0xF9, (4672 << 16) | 4665), tag_u32(0xFA, 0x33E4A51D),
                tag_u32(0xFE, 0x000003DB), tag_u32(0xFB, (0 << 24) | (2 << 17) | (3 << 10) | (3 << 7)))


def ed2k_client_session(r, port_a, big=True):
    """OP_HELLO (after its opcode the user hash's size, 16, as eMule writes it; tshark 4.0
    does not expect that byte and calls the hello malformed) / OP_HELLOANSWER, eMule secure identification, a file request and, if `big`,
    three 180 KiB block requests answered by 10,240-byte OP_SENDINGPART packets."""
    ha, hb = rbytes(r, 16), rbytes(r, 16)
    fhash = rbytes(r, 16)
    server = bytes([10, 77, 3, 1]) + struct.pack("<H", 4661)
    hello = ed2k(ED2K, 0x01, b"\x10" + ha + struct.pack("<IH", r.getrandbits(32), port_a)
                 + hello_tags(r, "http://www.aMule.org") + server)
    answer = ed2k(ED2K, 0x4C, hb + struct.pack("<IH", r.getrandbits(32), 4662)
                  + hello_tags(r, "http://emule-project.net") + server)
    msgs = [(True, hello), (False, answer, 0.03)]
    # Secure identification: OP_SECIDENTSTATE, OP_PUBLICKEY (76-byte RSA key), OP_SIGNATURE.
    msgs += [(True, ed2k(EMULE, 0x87, b"\x01" + rbytes(r, 4))),
             (False, ed2k(EMULE, 0x87, b"\x01" + rbytes(r, 4))),
             (True, ed2k(EMULE, 0x85, b"\x4c" + rbytes(r, 76)) + ed2k(EMULE, 0x86, b"\x30" + rbytes(r, 48))),
             (False, ed2k(EMULE, 0x85, b"\x4c" + rbytes(r, 76)) + ed2k(EMULE, 0x86, b"\x30" + rbytes(r, 48)))]
    parts = 60
    status = struct.pack("<H", parts) + bytes([0xFF] * 7 + [0x0F])
    msgs += [(True, ed2k(ED2K, 0x58, fhash) + ed2k(ED2K, 0x4F, fhash)),
             (False, ed2k(ED2K, 0x59, fhash + struct.pack("<H", 24) + b"ubuntu-24.04-desktop.iso")
              + ed2k(ED2K, 0x50, fhash + status)),
             (True, ed2k(ED2K, 0x54, fhash)),
             (False, ed2k(ED2K, 0x55), 0.4)]
    if big:
        for req in range(1):
            start = req * 3 * 184320
            starts = [start + k * 184320 for k in range(3)]
            ends = [s + 184320 for s in starts]
            msgs.append((True, ed2k(ED2K, 0x47, fhash + struct.pack("<3I", *starts)
                                    + struct.pack("<3I", *ends))))
            for s in starts[:1]:
                for off in range(s, s + 184320, 10240):
                    body = fhash + struct.pack("<II", off, off + 10240) + rbytes(r, 10240)
                    msgs.append((False, ed2k(ED2K, 0x46, body)))
    return msgs


def ed2k_server_session(r, port):
    """OP_LOGINREQUEST, the server's messages, OP_OFFERFILES, a search and source requests."""
    uh = rbytes(r, 16)
    login = ed2k(ED2K, 0x01, uh + struct.pack("<IH", 0, port) + tags(
        tag_str(0x01, "http://www.aMule.org"), tag_u32(0x11, 0x3C),
        tag_u32(0x20, 0x0000031D), tag_u32(0xFB, (2 << 17) | (3 << 10) | (3 << 7))))
    msg = "server version 17.15 (lugdunum)\nWelcome to the eD2k network"
    welcome = (ed2k(ED2K, 0x38, struct.pack("<H", len(msg)) + msg.encode())
               + ed2k(ED2K, 0x40, struct.pack("<II", r.getrandbits(32), 0x00000B19))
               + ed2k(ED2K, 0x34, struct.pack("<II", 182346, 39876455))
               + ed2k(ED2K, 0x41, rbytes(r, 16) + bytes([10, 77, 3, 1]) + struct.pack("<H", 4661)
                      + tags(tag_str(0x01, "eMule Security"), tag_str(0x0B, "www.emule-security.org"))))
    files = []
    for i in range(40):
        name = f"shared-file-{i:03d}.{r.choice(['avi', 'mp3', 'pdf', 'zip'])}"
        files.append(rbytes(r, 16) + struct.pack("<IH", 0xFBFBFBFB, 0xFBFB)
                     + tags(tag_str(0x01, name), tag_u32(0x02, r.randrange(10**5, 10**9))))
    offer = ed2k(ED2K, 0x15, struct.pack("<I", len(files)) + b"".join(files))
    servers = b"".join(bytes([10, 77, 3, 100 + k]) + struct.pack("<H", 4661) for k in range(12))
    msgs = [(True, login), (False, welcome, 0.05), (True, offer + ed2k(ED2K, 0x14)),
            (False, ed2k(ED2K, 0x32, bytes([12]) + servers))]
    query = b"\x01" + struct.pack("<H", 12) + b"linux distro"
    results = []
    for i in range(25):
        results.append(rbytes(r, 16) + struct.pack("<IH", r.getrandbits(32), 4662)
                       + tags(tag_str(0x01, f"linux-distro-{i}.iso"), tag_u32(0x02, r.randrange(10**8, 4 * 10**9)),
                              tag_u32(0x15, r.randrange(1, 400))))
    msgs += [(True, ed2k(ED2K, 0x16, query), 1.5),
             (False, ed2k(ED2K, 0x33, struct.pack("<I", len(results)) + b"".join(results) + b"\x00"))]
    for k in range(4):
        fh = rbytes(r, 16)
        msgs.append((True, ed2k(ED2K, 0x19, fh + struct.pack("<I", r.randrange(10**8, 4 * 10**9))), 0.8))
        srcs = b"".join(struct.pack("<IH", r.getrandbits(32), 4662) for _ in range(r.randrange(3, 30)))
        msgs.append((False, ed2k(ED2K, 0x42, fh + bytes([len(srcs) // 6]) + srcs)))
    msgs.append((False, ed2k(ED2K, 0x34, struct.pack("<II", 182511, 39880012)), 5.0))
    return msgs


# eMule protocol obfuscation: EncryptedStreamSocket.cpp (eMule 0.50a; aMule's copy is the
# same): client to client <marker 1><RandomKeyPart 4> then RC4 of <MagicValue 0x835E6FC4 4>
# <methods 1><preferred 1><PaddingLen 1><padding>, keys MD5(<user hash of B 16><34 or 203>
# <RandomKeyPart 4>), the first 1024 bytes of RC4 discarded; B answers RC4 of <magic 4>
# <method 1><PaddingLen 1><padding>. Padding up to CryptTCPPaddingLength (128 by default).
# Client to server: <marker 1><G^A 96><PaddingLen 1><0-15 bytes> in the clear, the server
# <G^B 96> then RC4 of <magic 4><supported 1><preferred 1><PaddingLen 1><padding>; the client's
# answer (RC4) goes out with its first payload, the login request. g = 2, p = dh768_p, a and b
# of 128 bits, keys MD5(<S 96><34 or 203>).

DH768_P = int("F2BF52C55F587ADD5371A936E886EB3C6217A33EC34CB40DC73A41A643AFFCE721FC28636653"
              "5BDBCE259F2286DA4A91B207CBAA5255D4F61CCEAED45AD5E0747DF77818"
              "28105F340F762387F88B289142FB42688F05150F548B5F436AF70DF3", 16)
MAGIC_SYNC = struct.pack("<I", 0x835E6FC4)


def marker(r):
    while True:
        b = r.getrandbits(8)
        if b not in (ED2K, EMULE, PACKED):
            return bytes([b])


def obfuscate_client(r, plain, user_hash_b, pad_a, pad_b):
    """Client-to-client obfuscation around a plain session (messages as ed2k_client_session)."""
    key_part = rbytes(r, 4)
    send = RC4(hashlib.md5(user_hash_b + b"\x22" + key_part).digest(), 1024)
    recv = RC4(hashlib.md5(user_hash_b + b"\xcb" + key_part).digest(), 1024)
    a1 = marker(r) + key_part + send.crypt(MAGIC_SYNC + b"\x00\x00" + bytes([pad_a]) + rbytes(r, pad_a))
    b1 = recv.crypt(MAGIC_SYNC + b"\x00" + bytes([pad_b]) + rbytes(r, pad_b))
    out = [(True, a1), (False, b1, RTT)]
    for m in plain:
        c = send if m[0] else recv
        out.append((m[0], c.crypt(m[1])) + tuple(m[2:]))
    return out


def obfuscate_server(r, plain):
    """Client-to-server obfuscation (Diffie-Hellman) around a plain server session."""
    a, b = r.getrandbits(128), r.getrandbits(128)
    ga, gb = pow(2, a, DH768_P), pow(2, b, DH768_P)
    s = pow(gb, a, DH768_P).to_bytes(96, "big")
    send = RC4(hashlib.md5(s + b"\x22").digest(), 1024)
    recv = RC4(hashlib.md5(s + b"\xcb").digest(), 1024)
    pad_c = r.randrange(16)
    c1 = marker(r) + ga.to_bytes(96, "big") + bytes([pad_c]) + rbytes(r, pad_c)
    pad_s = r.randrange(16)
    s1 = gb.to_bytes(96, "big") + recv.crypt(MAGIC_SYNC + b"\x00\x00" + bytes([pad_s]) + rbytes(r, pad_s))
    pad_c2 = r.randrange(16)
    first = send.crypt(MAGIC_SYNC + b"\x00" + bytes([pad_c2]) + rbytes(r, pad_c2) + plain[0][1])
    out = [(True, c1), (False, s1, RTT), (True, first)]
    for m in plain[1:]:
        c = send if m[0] else recv
        out.append((m[0], c.crypt(m[1])) + tuple(m[2:]))
    return out


# Kad2 over UDP: aMule src/kademlia/net/KademliaUDPListener.cpp and
# src/include/protocol/kad2/Client2Client/UDP.h: <0xE4 (0xE5: zlib-packed)><opcode><payload>;
# contacts are <id 16><ip 4><udp 2><tcp 2><version 1>. Obfuscated Kad (EncryptedDatagramSocket.cpp):
# <marker 1><RandomKeyPart 2> then RC4 of <magic 0x395F2EC1 4><PaddingLen 1><padding>
# <ReceiverVerifyKey 4><SenderVerifyKey 4> and the packet.

def kad_contact(r):
    return rbytes(r, 16) + bytes([10, 77, r.randrange(1, 255), r.randrange(1, 255)]) + \
        struct.pack("<HHB", 4672, 4662, 8)


def kad_session(r):
    me = rbytes(r, 16)
    hello_tags = bytes([1]) + b"\x09" + struct.pack("<H", 1) + b"\xfc" + struct.pack("<H", 4672)
    msgs = [(True, b"\xe4\x01"),
            (False, b"\xe4\x09" + rbytes(r, 16) + struct.pack("<HBH", 4662, 8, 20)
             + b"".join(kad_contact(r) for _ in range(20))),
            (True, b"\xe4\x11" + me + struct.pack("<HB", 4662, 8) + hello_tags, 0.2),
            (False, b"\xe4\x19" + rbytes(r, 16) + struct.pack("<HB", 4662, 8) + hello_tags)]
    for _ in range(3):
        target = rbytes(r, 16)
        msgs += [(True, b"\xe4\x21" + b"\x0b" + target + rbytes(r, 16), 0.3),
                 (False, b"\xe4\x29" + target + bytes([11]) + b"".join(kad_contact(r) for _ in range(11)))]
    target = rbytes(r, 16)
    results = b"".join(rbytes(r, 16) + b"\x02" + tag_str(0x01, f"song-{i}.mp3") + tag_u32(0x02, r.randrange(10**6, 10**7))
                       for i in range(12))
    packed = zlib.compress(b"\x3b" + me + target + struct.pack("<H", 12) + results)
    msgs += [(True, b"\xe4\x33" + target + struct.pack("<H", 0), 0.5),
             (False, b"\xe5" + packed),
             (True, b"\xe4\x60", 3.0), (False, b"\xe4\x61" + struct.pack("<H", 4672))]
    return msgs


def kad_obfuscated(r, plain):
    out = []
    for m in plain:
        key_part = rbytes(r, 2)
        c = RC4(hashlib.md5(rbytes(r, 16) + key_part).digest())
        pad = r.randrange(16)
        mk = bytes([r.getrandbits(8) & 0xFC | 0x02])  # not 0xE3/0xE4/0xE5/0xC5/0xD4
        body = struct.pack("<I", 0x395F2EC1) + bytes([pad]) + rbytes(r, pad) + rbytes(r, 8) + m[1]
        out.append((m[0], mk + key_part + c.crypt(body)) + tuple(m[2:]))
    return out


def ed2k_server_udp(r):
    """aMule Client2Server/UDP.h: OP_GLOBSERVSTATREQ (0x96, a challenge) and its answer,
    OP_GLOBGETSOURCES2 (0x94) and OP_GLOBFOUNDSOURCES (0x9B)."""
    msgs = []
    for _ in range(3):
        ch = struct.pack("<I", 0x55AA0000 | r.getrandbits(16))
        msgs += [(True, b"\xe3\x96" + ch, 2.0),
                 (False, b"\xe3\x97" + ch + struct.pack("<IIIIIIIHHI", 182346, 39876455, 500000, 10000, 20000,
                                                       0x7FB, 12003, 4665, 4661, r.getrandbits(32)))]
    for _ in range(2):
        fhs = [rbytes(r, 16) for _ in range(5)]
        msgs.append((True, b"\xe3\x94" + b"".join(f + struct.pack("<I", r.randrange(10**8, 10**9)) for f in fhs), 1.0))
        msgs.append((False, b"".join(b"\xe3\x9b" + f + bytes([3]) + rbytes(r, 18) for f in fhs[:3])))
    return msgs


# Gnutella 0.6 (the RFC-Gnutella 0.6 draft; gtk-gnutella's header.c and gmsg.c): a text
# handshake, then descriptors <GUID 16><type 1><TTL 1><hops 1><payload length 4 LE>.

def gnutella_desc(r, kind, payload, ttl=7, hops=0):
    return rbytes(r, 16) + bytes([kind, ttl, hops]) + struct.pack("<I", len(payload)) + payload


def gnutella_tcp(r):
    msgs = [(True, b"GNUTELLA CONNECT/0.6\r\nUser-Agent: gtk-gnutella/1.2.2 (2022-02-25)\r\n"
             b"X-Ultrapeer: False\r\nX-Query-Routing: 0.2\r\nAccept-Encoding: deflate\r\n"
             b"Listen-IP: 10.77.3.2:6346\r\nGGEP: 0.5\r\nPong-Caching: 0.1\r\n\r\n"),
            (False, b"GNUTELLA/0.6 200 OK\r\nUser-Agent: LimeWire/5.5.16\r\nX-Ultrapeer: True\r\n"
             b"X-Ultrapeer-Needed: false\r\nX-Query-Routing: 0.2\r\nX-Try-Ultrapeers: 10.77.3.40:6346,"
             b"10.77.3.41:6346,10.77.3.42:6346\r\n\r\n"),
            (True, b"GNUTELLA/0.6 200 OK\r\n\r\n")]
    msgs.append((True, gnutella_desc(r, 0x00, b"", ttl=1)))
    pongs = b"".join(gnutella_desc(r, 0x01, struct.pack("<H", 6346) + bytes([10, 77, 3, 40 + k])
                                   + struct.pack("<II", r.randrange(1000), r.randrange(10**6)), hops=1)
                     for k in range(6))
    msgs.append((False, pongs))
    # QRP: a RESET then PATCH messages (type 0x30) of the query routing table.
    msgs.append((True, gnutella_desc(r, 0x30, b"\x00" + struct.pack("<I", 65536) + b"\x01", ttl=1)))
    for seq in range(1, 5):
        msgs.append((True, gnutella_desc(r, 0x30, bytes([1, seq, 4, 1, 4]) + zlib.compress(rbytes(r, 64) + bytes(2000)), ttl=1)))
    for q in ("free software", "creative commons music", "public domain film"):
        msgs.append((True, gnutella_desc(r, 0x80, struct.pack("<H", 0) + q.encode() + b"\x00urn:sha1:\x00"), 1.0))
        hits = []
        for _ in range(3):
            files = b"".join(struct.pack("<II", r.randrange(100), r.randrange(10**5, 10**8))
                             + f"{q.replace(' ', '_')}_{k}.ogg".encode() + b"\x00urn:sha1:" + bytes(r.choice(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32)) + b"\x00"
                             for k in range(r.randrange(1, 5)))
            body = bytes([files.count(b"urn:sha1:")]) + struct.pack("<H", 6346) + bytes([10, 77, 3, 50]) + \
                struct.pack("<I", 1000) + files + b"LIME" + b"\x02\x1c\x19" + rbytes(r, 16)
            hits.append(gnutella_desc(r, 0x81, body, hops=2))
        msgs.append((False, b"".join(hits)))
    msgs.append((True, gnutella_desc(r, 0x02, struct.pack("<H", 200) + b"Closing\x00", ttl=1), 2.0))
    return msgs


def gnutella_udp(r):
    msgs = []
    for _ in range(4):
        guid = rbytes(r, 16)
        ping = guid + bytes([0x00, 1, 0]) + struct.pack("<I", 6) + b"\xc3\x83SCP\x40\x01"
        pong = guid + bytes([0x01, 1, 0]) + struct.pack("<I", 14 + 18) + struct.pack("<H", 6346) + \
            bytes([10, 77, 3, 60]) + struct.pack("<II", r.randrange(100), r.randrange(10**5)) + \
            b"\xc3\x82UP\x83\x01\x02\x03" + b"\x85IPP\x46" + rbytes(r, 6) + b"\x00\x00"
        msgs += [(True, ping, 1.0), (False, pong)]
    return msgs


# Direct Connect (NMDC): the protocol as documented on nmdc.sourceforge.io and DC++'s
# NmdcHub.cpp: `$Command args|`, the $Lock/$Key challenge, $MyINFO; client to client
# $MyNick/$Lock then $ADCGET of a file list, answered by $ADCSND and the bz2 bytes.

def dc_hub(r):
    lock = "EXTENDEDPROTOCOL" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_") for _ in range(80))
    key = bytes(r.randrange(32, 127) for _ in range(len(lock)))
    nick = "ubuntu_fan"
    info = f"$MyINFO $ALL {nick} sharing linux isos<++ V:0.868,M:A,H:1/0/0,S:3>$ $100\x01$$53687091200$|"
    users = [f"user{k}" for k in range(40)]
    msgs = [(False, f"$Lock {lock} Pk=PtokaX|$HubName PtokaX lab hub|".encode()),
            (True, b"$Supports UserCommand NoGetINFO NoHello UserIP2 TTHSearch ZPipe0 |$Key " + key
             + f"|$ValidateNick {nick}|".encode()),
            (False, f"$Supports NoHello NoGetINFO UserIP2 ZPipe0 |$Hello {nick}|".encode()),
            (True, f"$Version 1,0091|$GetNickList|{info}".encode()),
            (False, ("".join(f"$MyINFO $ALL {u} desc<++ V:0.868,M:P,H:2/0/0,S:5>$ $10\x01$$"
                             f"{r.randrange(10**9, 10**12)}$|" for u in users)
                     + "$NickList " + "$$".join(users) + "$$|$OpList admin$$|").encode())]
    for k in range(5):
        msgs.append((False, f"<user{k}> hello everyone, anyone has the new release? |".encode(), 2.0))
    msgs.append((True, b"$Search 10.77.3.2:412 F?T?0?9?TTH:" + bytes(r.choice(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(39)) + b"|", 1.0))
    return msgs


def dc_client(r):
    lock = "EXTENDEDPROTOCOL" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(60))
    listing = bytes(r.getrandbits(8) for _ in range(9000))  # bz2 bytes of the file list
    return [(True, f"$MyNick ubuntu_fan|$Lock {lock} Pk=DCPLUSPLUS0.868|".encode()),
            (False, f"$MyNick user7|$Lock {lock[::-1]} Pk=DCPLUSPLUS0.868|$Supports MiniSlots XmlBZList "
             f"ADCGet TTHL TTHF ZLIG |$Direction Upload 19874|$Key ".encode() + bytes(r.randrange(32, 127) for _ in range(76)) + b"|"),
            (True, b"$Supports MiniSlots XmlBZList ADCGet TTHL TTHF ZLIG |$Direction Download 3221|$Key "
             + bytes(r.randrange(32, 127) for _ in range(76)) + b"|$ADCGET file files.xml.bz2 0 -1|"),
            (False, f"$ADCSND file files.xml.bz2 0 {len(listing)}|".encode() + listing)]


# Soulseek: the protocol as museek+ and Nicotine+ implement it (nicotine pynicotine/slskmessages.py):
# server messages <length 4 LE><code 4 LE><fields>, strings <length 4 LE><bytes>; peer init
# messages <length 4 LE><code 1>.

def sstr(s):
    s = s.encode() if isinstance(s, str) else s
    return struct.pack("<I", len(s)) + s


def slsk(code, body):
    return struct.pack("<II", len(body) + 4, code) + body


def soulseek_server(r):
    user, pw = "nicofan", "hunter2"
    md5 = hashlib.md5((user + pw).encode()).hexdigest()
    msgs = [(True, slsk(1, sstr(user) + sstr(pw) + struct.pack("<I", 160) + sstr(md5) + struct.pack("<I", 1))),
            (False, slsk(1, b"\x01" + sstr("Welcome to Soulseek!") + bytes([10, 77, 3, 2])[::-1] + sstr(md5) + b"\x00")),
            (True, slsk(2, struct.pack("<I", 2234)) + slsk(28, struct.pack("<I", 2))
             + slsk(35, struct.pack("<II", 120, 4400)) + slsk(71, b"\x00")),
            (False, slsk(69, struct.pack("<I", 5)) + slsk(104, struct.pack("<I", 1000))
             + slsk(64, struct.pack("<I", 3) + b"".join(sstr(f"room{k}") for k in range(3)) + struct.pack("<I", 3)
                    + b"".join(struct.pack("<I", r.randrange(10, 900)) for _ in range(3))))]
    for k in range(3):
        msgs += [(True, slsk(26, struct.pack("<I", r.getrandbits(32)) + sstr(f"album {k} flac")), 1.0),
                 (False, slsk(18, sstr(f"user{k}") + bytes([10, 77, 3, 70 + k]) + struct.pack("<I", 2234)), 0.2)]
    for _ in range(3):
        msgs += [(True, slsk(32, b""), 4.0)]
    return msgs


def soulseek_peer(r):
    files = b"".join(b"\x01" + sstr(f"@@music\\album\\track{k:02d}.flac") + struct.pack("<Q", r.randrange(10**7, 10**8))
                     + sstr("flac") + struct.pack("<I", 0) for k in range(14))
    resp = zlib.compress(sstr("nicofan") + struct.pack("<I", r.getrandbits(32)) + struct.pack("<I", 14) + files
                         + b"\x01" + struct.pack("<III", 1000, 0, 0))
    return [(True, struct.pack("<IB", 14 + len("peerfan"), 1) + sstr("peerfan") + sstr("P") + struct.pack("<I", r.getrandbits(32))),
            (True, struct.pack("<II", 4 + len(resp), 9) + resp),
            (False, struct.pack("<II", 8, 4) + struct.pack("<I", 0), 0.3),
            (True, struct.pack("<II", 4 + 4 * 3, 40) + struct.pack("<III", 0, 77, 0), 0.2)]


# libp2p: multistream-select 1.0 (github.com/multiformats/multistream-select: uvarint-prefixed
# lines), the Noise XX handshake of libp2p's noise spec (2-byte big-endian lengths: e; e, s,
# payload; s, payload), then yamux (hashicorp/yamux spec.md) frames in Noise transport messages.

def uv(s):
    return bytes([len(s)]) + s


def libp2p(r):
    def noise(n):
        return struct.pack(">H", n) + rbytes(r, n)
    msgs = [(True, uv(b"/multistream/1.0.0\n") + uv(b"/noise\n")),
            (False, uv(b"/multistream/1.0.0\n") + uv(b"/noise\n")),
            (True, noise(32)),
            (False, noise(32 + 48 + 16 + 150)),
            (True, noise(48 + 16 + 150))]
    for _ in range(12):
        msgs += [(True, noise(r.randrange(40, 400)), r.random() * 0.5),
                 (False, noise(r.randrange(40, 1200)))]
    return msgs


# I2P NTCP2 (i2p spec ntcp2.html; i2pd libi2pd/NTCP2.cpp): SessionRequest = X (32, AES-CBC
# obfuscated) + 32-byte ChaChaPoly options frame + padding (i2pd: rand() % (287 - 64)),
# SessionCreated the same, SessionConfirmed 48 + RouterInfo frame; then data frames with a
# SipHash-masked 2-byte length. Every byte looks random.

def ntcp2(r, pad1, pad2):
    msgs = [(True, rbytes(r, 64 + pad1)), (False, rbytes(r, 64 + pad2)),
            (True, rbytes(r, 48 + 16 + r.randrange(450, 900)))]
    for _ in range(10):
        msgs += [(True, rbytes(r, r.randrange(40, 1100)), r.random()),
                 (False, rbytes(r, r.randrange(40, 1600)))]
    return msgs


# I2P SSU2 (i2p spec ssu2.html): long headers of 32 bytes (ChaCha20-masked), a 32-byte key and
# encrypted payload (TokenRequest, Retry, SessionRequest, SessionCreated, SessionConfirmed),
# then data packets with a 16-byte short header; random-looking datagrams both ways.

def ssu2(r):
    sizes = [(True, 88), (False, 96), (True, 150), (False, 180), (True, 1020)]
    msgs = [(a, rbytes(r, n), 0.03) for a, n in sizes]
    for _ in range(10):
        msgs += [(True, rbytes(r, r.randrange(40, 1400)), 0.5), (False, rbytes(r, r.randrange(40, 400)))]
    return msgs


# Xunlei/Thunder: nDPI's thunder.c (a 4-byte little-endian protocol version of 0x30-0x3f,
# then the message; over TCP inside HTTP POSTs of application/octet-stream). Version 0x31
# over UDP starts like a uTP RESET (type 3, version 1) with extension 0 and connection id 0.

def thunder_udp(r):
    msgs = []
    for i in range(8):
        ver = r.choice([0x31, 0x32, 0x36, 0x3b])
        cmd = r.choice([0x01, 0x02, 0x05, 0x0b, 0x21])
        body = struct.pack("<IB", ver, cmd) + struct.pack("<I", r.getrandbits(32)) + sstr(rbytes(r, 16).hex()) \
            + rbytes(r, r.randrange(8, 120))
        reply = struct.pack("<IB", ver, cmd + 1) + struct.pack("<I", r.getrandbits(32)) + rbytes(r, r.randrange(12, 300))
        msgs += [(True, body, 0.4), (False, reply)]
    return msgs


def thunder_tcp(r):
    msgs = []
    for i in range(3):
        body = struct.pack("<IB", 0x3C, 0x04 + i) + struct.pack("<I", r.getrandbits(32)) + rbytes(r, r.randrange(60, 400))
        req = (b"POST / HTTP/1.1\r\nHost: hub5p.sandai.net:80\r\nContent-Type: application/octet-stream\r\n"
               b"Connection: Keep-Alive\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
        rb = struct.pack("<IB", 0x3C, 0x05 + i) + rbytes(r, r.randrange(40, 900))
        resp = (b"HTTP/1.1 200 OK\r\nServer: Xunlei Server 2.0\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Length: %d\r\n\r\n" % len(rb)) + rb
        msgs += [(True, req, 0.3), (False, resp)]
    return msgs


# PPStream over UDP: nDPI's ppstream.c (a little-endian length of the datagram, or of it less 4
# or 6 bytes, then 0x43 and the message; on port 17788).

def ppstream_udp(r):
    msgs = []
    for i in range(10):
        body = bytes([0x43]) + bytes([r.choice([0x00, 0x80, 0x84])]) + rbytes(r, 2) + rbytes(r, r.randrange(12, 200))
        pkt = struct.pack("<H", len(body) + 2) + body
        rb = bytes([0x43, 0x81]) + rbytes(r, r.randrange(20, 600))
        msgs += [(True, pkt, 0.2), (False, struct.pack("<H", len(rb) + 2) + rb)]
    return msgs


# Gnutella2 (the G2 specification on g2.doxu.org / Shareaza's G2Packet.cpp): TCP after a
# `GNUTELLA CONNECT/0.6` handshake accepting application/x-gnutella2, packets <control byte
# (length size, name length, compound flag)><length><name><payload>; over UDP each packet in a
# `GND` datagram header <"GND"><flags><sequence 2><part><count>.

def g2_packet(name, payload=b"", compound=False):
    ln = len(payload)
    lenlen = 0 if ln == 0 else (1 if ln < 256 else 2)
    ctrl = (lenlen << 6) | ((len(name) - 1) << 3) | (0x04 if compound else 0)
    return bytes([ctrl]) + (ln.to_bytes(lenlen, "little") if lenlen else b"") + name + payload


def g2_tcp(r):
    msgs = [(True, b"GNUTELLA CONNECT/0.6\r\nUser-Agent: Shareaza 2.7.10.2\r\nAccept: application/x-gnutella2\r\n"
             b"X-Hub: False\r\nListen-IP: 10.77.3.2:6346\r\n\r\n"),
            (False, b"GNUTELLA/0.6 200 OK\r\nUser-Agent: Shareaza 2.7.10.2\r\nContent-Type: application/x-gnutella2\r\n"
             b"Accept: application/x-gnutella2\r\nX-Hub: True\r\n\r\n"),
            (True, b"GNUTELLA/0.6 200 OK\r\nContent-Type: application/x-gnutella2\r\n\r\n"),
            (True, g2_packet(b"PI") + g2_packet(b"LNI", g2_packet(b"NA", bytes([10, 77, 3, 2]) + struct.pack("<H", 6346))
                                                 + g2_packet(b"GU", rbytes(r, 16)) + g2_packet(b"V", b"RAZA"), True)),
            (False, g2_packet(b"PO") + g2_packet(b"KHL", b"".join(g2_packet(b"NH", bytes([10, 77, 3, 80 + k]) + struct.pack("<H", 6346))
                                                                  for k in range(8)), True))]
    for q in ("ubuntu", "debian netinst", "free music"):
        msgs.append((True, g2_packet(b"Q2", g2_packet(b"DN", q.encode()) + g2_packet(b"UDP", bytes([10, 77, 3, 2]) + struct.pack("<HI", 6346, 0)), True) + rbytes(r, 16), 1.0))
        msgs.append((False, b"".join(g2_packet(b"QH2", g2_packet(b"NA", bytes([10, 77, 3, 90 + k]) + struct.pack("<H", 6346))
                                               + g2_packet(b"H", g2_packet(b"URN", b"sha1\x00" + rbytes(r, 20)) + g2_packet(b"DN", f"{q}-{k}.iso".encode()), True), True)
                                    + rbytes(r, 17) for k in range(4))))
    return msgs


def g2_udp(r):
    msgs = []
    for seq in range(5):
        ping = b"GND" + bytes([0x02]) + struct.pack("<H", seq) + b"\x01\x01" + g2_packet(b"PI", g2_packet(b"UDP", bytes([10, 77, 3, 2]) + struct.pack("<H", 6346)), True)
        pong = b"GND" + bytes([0x02]) + struct.pack("<H", seq) + b"\x01\x01" + g2_packet(b"PO", g2_packet(b"RELAY"), True)
        msgs += [(True, ping, 1.0), (False, pong)]
        msgs += [(True, b"GND" + b"\x00" + struct.pack("<H", seq) + b"\x00\x00", 0.01)]  # acknowledgement
    return msgs


# BEP 5 DHT (the BitTorrent part): KRPC queries and responses with 20-byte node ids.

def benc(x):
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    if isinstance(x, str):
        return benc(x.encode())
    if isinstance(x, list):
        return b"l" + b"".join(benc(v) for v in x) + b"e"
    return b"d" + b"".join(benc(k) + benc(x[k]) for k in sorted(x)) + b"e"


def compact(ip, port):
    return bytes(int(x) for x in ip.split(".")) + struct.pack(">H", port)


def dht_session(r, peers):
    ida, idb = rbytes(r, 20), rbytes(r, 20)
    msgs = []
    tid = 0

    def q(meth, args):
        nonlocal tid
        tid += 1
        return benc({"t": struct.pack(">H", tid), "y": "q", "q": meth, "a": dict(args, id=ida), "v": b"LT\x02\x00"})

    def resp(rr):
        return benc({"t": struct.pack(">H", tid), "y": "r", "r": dict(rr, id=idb)})

    msgs += [(True, q("ping", {})), (False, resp({}))]
    msgs += [(True, q("find_node", {"target": rbytes(r, 20)}), 0.3),
             (False, resp({"nodes": b"".join(rbytes(r, 20) + compact(f"10.77.4.{k}", 6881) for k in range(5, 9))}))]
    ih = rbytes(r, 20)
    msgs += [(True, q("get_peers", {"info_hash": ih}), 0.3),
             (False, resp({"token": rbytes(r, 8), "values": [compact(ip, p) for ip, p in peers]}))]
    return msgs


def build(limits):
    cap = Capture()
    P, B = PLAIN, BTNET

    def ports(usual):
        return [usual, cap.high_port()]

    def plain_set(hosts, tag, limit_pass):
        """Every protocol once on its usual port and once on a random high port, between
        `hosts` (client 2, server 1, peer 3). `limit_pass`: which part to write ('ok' for the
        flows torclass should not call BitTorrent, 'limit' for the documented-limit ones)."""
        c, s, p = hosts[2], hosts[1], hosts[3]
        for i, port in enumerate(ports(4661)):
            name = f"{tag}-ed2k-server-{i}"
            if limit_pass == "ok":
                cap.flow("tcp", c, cap.high_port(), s, port, ed2k_server_session(rng(name), 4662),
                         "amule->ed2k-server", "eDonkey client to server: login, offer files, search, sources")
            obf = obfuscate_server(rng(name + "-obf"), ed2k_server_session(rng(name), 4662))
            if limit_pass == ("limit" if tag == "bt" else "ok"):
                cap.flow("tcp", c, cap.high_port(), s, port, obf, "amule->ed2k-server",
                         "eMule client-to-server obfuscation: Diffie-Hellman (768-bit prime), then RC4",
                         random_bytes=True)
        for i, port in enumerate(ports(4662)):
            name = f"{tag}-ed2k-client-{i}"
            if limit_pass == "ok":
                cap.flow("tcp", c, cap.high_port(), p, port, ed2k_client_session(rng(name), 4662),
                         "amule->emule", "eDonkey/eMule client to client: hello, secure ident, file request, parts")
        for i, port in enumerate(ports(4662)):
            name = f"{tag}-ed2k-client-{i}"
            # Obfuscated: paddings from the default (0-128) range, small and large. With both
            # first messages of 96 bytes or more it is the shape of MSE/PE's first flights.
            for j, (pa, pb) in enumerate([(3, 70), (120, 101), (128, 128)]):
                nm = f"{name}-obf{j}"
                shaped = 12 + pa >= 96 and 6 + pb >= 96
                if limit_pass == ("limit" if tag == "bt" and shaped else "ok"):
                    cap.flow("tcp", c, cap.high_port(), p, port,
                             obfuscate_client(rng(nm), ed2k_client_session(rng(nm + "-plain"), 4662, big=(j == 1)),
                                              rbytes(rng(nm + "-hash"), 16), pa, pb),
                             "amule->emule", f"eMule client-to-client obfuscation (padding {pa}/{pb}), then RC4",
                             random_bytes=True)
        if limit_pass == "ok":
            for i, port in enumerate(ports(4672)):
                cap.flow("udp", c, 4672, p, port, kad_session(rng(f"{tag}-kad-{i}")), "amule->amule",
                         "Kad2: bootstrap, hello, node lookups, packed search result, ping")
                cap.flow("udp", c, 4673 + i, p, port + 1,
                         kad_obfuscated(rng(f"{tag}-kadobf-{i}"), kad_session(rng(f"{tag}-kad-{i}"))),
                         "amule->amule", "obfuscated Kad2 (random marker, key part, RC4)")
            for i, port in enumerate(ports(4665)):
                cap.flow("udp", c, cap.high_port(), s, port, ed2k_server_udp(rng(f"{tag}-srvudp-{i}")),
                         "amule->ed2k-server", "eDonkey server UDP: global status and sources")
            for i, port in enumerate(ports(6346)):
                cap.flow("tcp", c, cap.high_port(), p, port, gnutella_tcp(rng(f"{tag}-gnut-{i}")),
                         "gtk-gnutella->limewire", "Gnutella 0.6 handshake, ping/pong, QRP, queries and hits, bye")
                cap.flow("udp", c, 6346, p, port, gnutella_udp(rng(f"{tag}-gnutudp-{i}")),
                         "gtk-gnutella->limewire", "Gnutella UDP pings and pongs with GGEP")
            for i, port in enumerate(ports(411)):
                cap.flow("tcp", c, cap.high_port(), s, port, dc_hub(rng(f"{tag}-dchub-{i}")),
                         "dc++->ptokax", "Direct Connect hub: $Lock/$Key, $MyINFO, nick list, chat, search")
            for i, port in enumerate(ports(412)):
                cap.flow("tcp", c, cap.high_port(), p, port, dc_client(rng(f"{tag}-dcc-{i}")),
                         "dc++->dc++", "Direct Connect client to client: $MyNick/$Lock, $ADCGET file list")
            for i, port in enumerate(ports(2242)):
                cap.flow("tcp", c, cap.high_port(), s, port, soulseek_server(rng(f"{tag}-slsk-{i}")),
                         "nicotine->soulseek-server", "Soulseek server: login, status, searches, pings")
            for i, port in enumerate(ports(2234)):
                cap.flow("tcp", c, cap.high_port(), p, port, soulseek_peer(rng(f"{tag}-slskp-{i}")),
                         "nicotine->nicotine", "Soulseek peer: PeerInit, search response, transfer request")
            for i, port in enumerate(ports(4001)):
                cap.flow("tcp", c, cap.high_port(), p, port, libp2p(rng(f"{tag}-libp2p-{i}")),
                         "kubo->kubo", "libp2p: multistream-select, Noise XX, yamux in Noise frames")
            for i, port in enumerate(ports(3076)):
                cap.flow("udp", c, cap.high_port(), p, port, thunder_udp(rng(f"{tag}-thunder-{i}")),
                         "xunlei->xunlei", "Xunlei/Thunder UDP (version 0x31-0x3c little-endian, commands)")
            for i, port in enumerate(ports(80)):
                cap.flow("tcp", c, cap.high_port(), s, port, thunder_tcp(rng(f"{tag}-thundert-{i}")),
                         "xunlei->hub5p", "Xunlei/Thunder binary messages in HTTP POSTs")
            for i, port in enumerate(ports(17788)):
                cap.flow("udp", c, cap.high_port(), p, port, ppstream_udp(rng(f"{tag}-pps-{i}")),
                         "ppstream->ppstream", "PPStream UDP (length, 0x43, message)")
            for i, port in enumerate(ports(6346)):
                cap.flow("tcp", c, cap.high_port(), p, port, g2_tcp(rng(f"{tag}-g2-{i}")),
                         "shareaza->shareaza", "Gnutella2: handshake, PI/LNI, PO/KHL, Q2 and QH2 packets")
                cap.flow("udp", c, 6347 + i, p, port + 1, g2_udp(rng(f"{tag}-g2udp-{i}")),
                         "shareaza->shareaza", "Gnutella2 UDP: GND headers, PI/PO, acknowledgements")
            for i, port in enumerate(ports(4567)):
                cap.flow("udp", c, cap.high_port(), p, port, ssu2(rng(f"{tag}-ssu2-{i}")),
                         "i2pd->i2pd", "I2P SSU2: random-looking handshake and data datagrams")
        for i, port in enumerate(ports(4567)):
            for j, (p1, p2) in enumerate([(10, 20), (80, 150), (200, 222)]):
                nm = f"{tag}-ntcp2-{i}-{j}"
                shaped = p1 + 64 >= 96 and p2 + 64 >= 96
                want = "limit" if (tag == "bt" and shaped) else "ok"
                if limit_pass == want:
                    cap.flow("tcp", c, cap.high_port(), p, port, ntcp2(rng(nm), p1, p2), "i2pd->i2pd",
                             f"I2P NTCP2 (padding {p1}/{p2}): random-looking handshake and frames",
                             random_bytes=True)

    def unanswered(tag, src, dsts):
        """Obfuscated first messages nothing answered (the eMule peer or server is gone, the
        usual fate of a client's connection attempts): client to client (113 bytes) and client
        to server (98-113 bytes)."""
        for j, (dst, port) in enumerate(dsts):
            r = rng(f"{tag}-unanswered-{j}")
            a1 = obfuscate_client(r, [], rbytes(r, 16), 101, 0)[0]
            cap.flow("tcp", src, cap.high_port(), dst, port, [a1], "amule->none",
                     "eMule client-to-client obfuscation, first message unanswered", random_bytes=True)
            c1 = obfuscate_server(r, [(True, b"")])[0]
            cap.flow("tcp", src, cap.high_port(), dst, port - 1, [c1], "amule->none",
                     "eMule client-to-server obfuscation, Diffie-Hellman key unanswered",
                     random_bytes=True)

    if limits:
        # The documented limit: the same shapes from a BitTorrent host, and unanswered
        # obfuscated first messages from it and to a peer endpoint the DHT listed.
        bt_dht(cap)
        plain_set(B, "bt", "limit")
        unanswered("bt", B[2], [(B[3], 4662)])
        unanswered("bt-listed", B[5], [(B[7], 4662)])
        return cap, "negative-p2plike-limits"
    plain_set(P, "plain", "ok")
    unanswered("plain", P[2], [(P[3], 4662), (P[4], 4662)])
    bt_dht(cap)
    plain_set(B, "bt", "ok")
    return cap, "negative-p2plike"


def bt_dht(cap):
    B = BTNET
    cap.flow("udp", B[5], 6881, B[6], 6881, dht_session(rng("bt-dht"), [(B[7], 4662), (B[8], 51413)]),
             "libtorrent->libtorrent", "BEP 5 DHT between the BitTorrent hosts; get_peers lists 10.77.4.7:4662",
             label_="dht")
    # The eMule hosts of the BitTorrent part run a DHT node too (both ends become BitTorrent hosts).
    cap.flow("udp", B[2], 6881, B[5], 6881, dht_session(rng("bt-dht-2"), [(B[8], 51413)]),
             "libtorrent->libtorrent", "BEP 5 DHT from the eMule client host 10.77.4.2", label_="dht")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--limits", action="store_true")
    args = ap.parse_args()
    conf.verb = 0
    cap, name = build(args.limits)
    pcap = os.path.join(args.out, name + ".pcap")
    wrpcap(pcap, cap.frames, linktype=1)
    label.write_labels(pcap, cap.labels, os.path.join(args.out, name + ".labels.jsonl"))
    print(f"{pcap}: {len(cap.labels)} flows, {len(cap.frames)} frames, "
          f"{os.path.getsize(pcap)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
