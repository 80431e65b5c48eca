"""Build `negative-probes.pcap`: hundreds of non-BitTorrent protocols torclass has not met.

Usage: PYTHON probes.py [--out DIR] [--sweep]   (PYTHON: a python with scapy 2.8.0 from PyPI)

Every flow is labelled `not_bittorrent`. Three sources, each a real implementation's bytes:

* `nmap`: every probe of nmap's `nmap-service-probes` (Debian's nmap-common) as a client
  sending it on the probe's first port (TCP with a full handshake and close). Where a `match`
  line of that probe describes the answer, the server answers with the shortest bytes its
  regular expression matches (literal text verbatim; a wildcard byte drawn from a seeded
  generator, a repetition at its minimum, the first branch of an alternative), checked against
  the expression; one answer per service a probe names. The NULL probe's matches are banners:
  the server speaks first and the client says nothing.
* `nmap-payloads`: every UDP payload of nmap's `nmap-payloads` on its first port, unanswered
  (nmap's own use: most real hosts do not answer a probe).
* `scapy`: messages built with scapy's protocol layers (scapy.layers, scapy.contrib), with the
  field values a real implementation sends, both ways where the protocol answers, and several
  messages per flow where the protocol sends several (RTP streams, NTP polls, keep-alives).
  Where scapy has no layer, a few protocols are written field by field from their
  specifications (`probes_scapy.py` says which in each case's comment; the README lists them).

Deterministic: fixed addresses, ports, timestamps and seeds, so the same scapy and nmap-common
give the same bytes. `--sweep` writes `negative-probes-sweep.pcap` instead (not committed):
every match line's answer on the probe's first port, every probe and payload on up to 12 of
the ports nmap lists for it, every flow again to and from the ports BitTorrent clients use
(6881, 6969, 51413), to find rules that depend on a port, every TCP flow as picked up
mid-stream (without its handshake; from its second message), and every UDP flow over IPv6
and from its second datagram.
"""

import argparse
import os
import random
import re
import sys
from re import _constants as sre_c
from re import _parser as sre_parse

from scapy.all import IP, TCP, UDP, Ether, IPv6, Raw, conf, wrpcap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import label  # noqa: E402  (write_labels)
import probes_scapy  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SERVICE_PROBES = "/usr/share/nmap/nmap-service-probes"
PAYLOADS = "/usr/share/nmap/nmap-payloads"

T0 = 1796428800.0          # 2026-12-05 00:00 UTC
FLOW_GAP = 200.0           # seconds between flows: every UDP flow times out (120 s) before the next
CLIENT, SERVER = "10.77.0.2", "10.77.0.1"
CLIENT6, SERVER6 = "fd77::2", "fd77::1"
MAC_C, MAC_S = "02:77:00:00:00:02", "02:77:00:00:00:01"
MSS = 1448
BT_PORTS = (6881, 6969, 51413)
# BitTorrent software answering nmap (a handshake banner, opentracker's UDP errors, uTorrent's
# uTP, MLDonkey's tracker): not negatives, left out; so is nmap's Vuze DHT probe.
BT_SERVICES = {"bittorrent", "bittorrent-tracker", "bittorrent-udp-tracker", "bittorrent-utp",
               "utorrent-udp", "vuze-dht"}
BT_PROBES = {"vuze-dht"}
SWEEP_PORTS = 12          # at most this many of a probe's ports in a sweep
# The label's `program` (the accuracy report counts false positives per program); `probe`
# names the probe, match or scapy case.
PROGRAMS = {"nmap": "nmap-service-probes->nmap-match", "nmap-payloads": "nmap-payloads->none",
            "scapy": "scapy-layers->scapy-layers"}


class Capture:
    """Flows as Ethernet frames with timestamps, and their labels."""

    def __init__(self, sweep=False):
        self.sweep = sweep
        self.frames = []
        self.labels = []
        self.t = T0
        self.next_port = 20000
        self.isn = 1000
        self.seen = set()
        self.sources = {}

    def _port(self):
        port = self.next_port
        self.next_port = 20000 + (self.next_port - 20000 + 1) % 40000
        return port

    def _frame(self, t, src_is_client, l4, v6):
        mac = (MAC_C, MAC_S) if src_is_client else (MAC_S, MAC_C)
        if v6:
            ips = (CLIENT6, SERVER6) if src_is_client else (SERVER6, CLIENT6)
            ip = IPv6(src=ips[0], dst=ips[1], hlim=64)
        else:
            ips = (CLIENT, SERVER) if src_is_client else (SERVER, CLIENT)
            ip = IP(src=ips[0], dst=ips[1], ttl=64, id=len(self.frames) & 0xFFFF, flags="DF")
        pkt = Ether(src=mac[0], dst=mac[1]) / ip / l4
        pkt.time = t
        self.frames.append(pkt)

    def flow(self, source, program, l4, port, messages, sport=None, v6=False, midstream=False):
        """Add one flow: `messages` is a list of (from_client, bytes); returns False for a
        flow already added (same transport, port and bytes). A `midstream` TCP flow starts
        without its handshake, as in a capture that began after the connection opened; a
        sweep adds one for every TCP flow, and one from its second message; for every UDP
        flow it adds one over IPv6 and one from its second datagram."""
        if self.sweep and l4 == "tcp" and not midstream:
            self.flow(source, program + "~mid", l4, port, messages, sport, v6, True)
            if len(messages) > 1:
                self.flow(source, program + "~mid2", l4, port, messages[1:], sport, v6, True)
        if self.sweep and l4 == "udp" and not v6 and not midstream:
            self.flow(source, program + "~v6", l4, port, messages, sport, True)
            if len(messages) > 1:
                self.flow(source, program + "~mid2", l4, port, messages[1:], sport, v6, True)
        key = (l4, port, sport, v6, midstream, tuple(messages))
        if key in self.seen or not any(m for _, m in messages):
            return False
        self.seen.add(key)
        cport = sport if sport is not None else self._port()
        t = self.t
        self.t += FLOW_GAP
        step = 0.001
        if l4 == "udp":
            for from_client, data in messages:
                sp, dp = (cport, port) if from_client else (port, cport)
                self._frame(t, from_client, UDP(sport=sp, dport=dp) / Raw(data), v6)
                t += step
        else:
            cseq, sseq = self.isn, (self.isn + 500000) & 0xFFFFFFFF
            self.isn = (self.isn + 7919 * 65537) & 0xFFFFFFFF
            opts = [("MSS", 1460), ("SAckOK", b""), ("WScale", 7)]

            def seg(from_client, flags, data=b""):
                nonlocal t, cseq, sseq
                sp, dp = (cport, port) if from_client else (port, cport)
                seq, ack = (cseq, sseq) if from_client else (sseq, cseq)
                tcp = TCP(sport=sp, dport=dp, seq=seq, ack=ack if "A" in flags else 0,
                          flags=flags, window=502,
                          options=opts if "S" in flags else [])
                self._frame(t, from_client, tcp / Raw(data) if data else tcp, v6)
                t += step
                n = len(data) + (1 if ("S" in flags or "F" in flags) else 0)
                if from_client:
                    cseq = (cseq + n) & 0xFFFFFFFF
                else:
                    sseq = (sseq + n) & 0xFFFFFFFF

            if not midstream:
                seg(True, "S")
                seg(False, "SA")
                seg(True, "A")
            for i, (from_client, data) in enumerate(messages):
                for off in range(0, len(data), MSS):
                    seg(from_client, "PA", data[off:off + MSS])
                following = messages[i + 1][0] if i + 1 < len(messages) else None
                if following != (not from_client):
                    seg(not from_client, "A")
            seg(True, "FA")
            seg(False, "FA")
            seg(True, "A")
        self.sources[source] = self.sources.get(source, 0) + 1
        client, server = (CLIENT6, SERVER6) if v6 else (CLIENT, SERVER)
        self.labels.append({"l4": l4, "a": client, "aport": cport, "b": server, "bport": port,
                            "label": "not_bittorrent", "program": PROGRAMS[source],
                            "probe": program})
        return True


# nmap-service-probes

ESCAPES = {"\\": b"\\", "0": b"\0", "a": b"\a", "b": b"\b", "f": b"\f", "n": b"\n",
           "r": b"\r", "t": b"\t", "v": b"\v", "|": b"|"}


def unescape(text):
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "x":
                out += bytes([int(text[i + 2:i + 4], 16)])
                i += 4
                continue
            out += ESCAPES.get(n, n.encode("latin-1"))
            i += 2
            continue
        out += c.encode("latin-1")
        i += 1
    return bytes(out)


def ports(spec):
    out = []
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-")
            out.extend(range(int(lo), int(hi) + 1))
        elif part:
            out.append(int(part))
    return out


class Unsupported(Exception):
    pass


def example(pattern, flags, rng):
    """The shortest bytes `pattern` matches (see the module comment), or Unsupported."""
    groups = {}
    newline_ok = bool(flags & re.S)

    def any_byte():
        while True:
            b = rng.randrange(256)
            if newline_ok or b != 10:
                return bytes([b])

    def in_class(items):
        negate = any(op == sre_c.NEGATE for op, _ in items)
        members = set()
        for op, av in items:
            if op == sre_c.LITERAL:
                members.add(av)
            elif op == sre_c.RANGE:
                members.update(range(av[0], av[1] + 1))
            elif op == sre_c.CATEGORY:
                members.update(category_bytes(av))
        if negate:
            for b in list(range(0x61, 0x7B)) + list(range(256)):
                if b not in members:
                    return bytes([b])
            raise Unsupported("empty class")
        if not members:
            raise Unsupported("class")

        def readable_first(b):
            return (not (0x61 <= b <= 0x7A or 0x30 <= b <= 0x39), b)
        return bytes([min(members, key=readable_first)])

    def category_bytes(cat):
        table = {
            sre_c.CATEGORY_DIGIT: range(0x30, 0x3A),
            sre_c.CATEGORY_SPACE: [0x20, 9, 10, 13],
            sre_c.CATEGORY_WORD: list(range(0x61, 0x7B)) + list(range(0x30, 0x3A)) + [0x5F],
            sre_c.CATEGORY_NOT_DIGIT: [0x61],
            sre_c.CATEGORY_NOT_SPACE: [0x61],
            sre_c.CATEGORY_NOT_WORD: [0x20],
        }
        if cat not in table:
            raise Unsupported(str(cat))
        return table[cat]

    def gen(items):
        out = bytearray()
        for op, av in items:
            if op == sre_c.LITERAL:
                out.append(av)
            elif op == sre_c.ANY:
                out += any_byte()
            elif op == sre_c.IN:
                out += in_class(av)
            elif op == sre_c.CATEGORY:
                out.append(min(category_bytes(av)))
            elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
                lo, _, sub = av
                for _ in range(lo):
                    out += gen(sub)
            elif op == sre_c.SUBPATTERN:
                gid, _, _, sub = av
                text = gen(sub)
                if gid:
                    groups[gid] = text
                out += text
            elif op == sre_c.ATOMIC_GROUP:
                out += gen(av)
            elif op == sre_c.BRANCH:
                out += gen(av[1][0])
            elif op == sre_c.GROUPREF:
                out += groups.get(av, b"")
            elif op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
                continue
            else:
                raise Unsupported(str(op))
        return bytes(out)

    try:
        parsed = sre_parse.parse(pattern, flags)
    except (re.error, OverflowError, RecursionError) as e:
        raise Unsupported(str(e))
    return gen(list(parsed))


MATCH_RE = re.compile(r"^(match|softmatch) (\S+) m(.)")


def nmap_probes():
    """(protocol, probe name, ports, payload, [(service, response)]) per probe."""
    probes = []
    current = None
    with open(SERVICE_PROBES, encoding="latin-1") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("Probe "):
                _, proto, name, rest = line.split(" ", 3)
                delim = rest[1]
                payload = unescape(rest[2:rest.index(delim, 2)])
                current = {"proto": proto.lower(), "name": name, "ports": [], "payload": payload,
                           "matches": []}
                probes.append(current)
            elif current is None:
                continue
            elif line.startswith("ports ") or line.startswith("sslports "):
                current["ports"] += ports(line.split(" ", 1)[1])
            else:
                m = MATCH_RE.match(line)
                if not m:
                    continue
                service, delim = m.group(2), m.group(3)
                start = m.end()
                end = line.index(delim, start)
                opts = line[end + 1:].split(" ", 1)[0]
                current["matches"].append((service, line[start:end], opts))
    return probes


def responses(probe, every=False):
    """One answer per service of the probe's match lines (`every`: per match line):
    (service, bytes)."""
    out = []
    done = set()
    for service, regex, opts in probe["matches"]:
        if (service in done and not every) or service in BT_SERVICES:
            continue
        flags = (re.S if "s" in opts else 0) | (re.I if "i" in opts else 0)
        pattern = regex.encode("latin-1")
        rng = random.Random(f"{probe['name']} {service} {regex}")
        try:
            text = example(pattern, flags, rng)
            if not text or not re.match(pattern, text, flags):
                continue
        except (Unsupported, re.error, OverflowError, RecursionError, ValueError):
            continue
        done.add(service)
        out.append((service, text))
    return out


def nmap_flows(cap, sweep):
    for probe in nmap_probes():
        if probe["name"] in BT_PROBES:
            continue
        l4 = probe["proto"]
        probe_ports = probe["ports"] or ([80] if l4 == "tcp" else [53])
        use_ports = sorted(set(probe_ports))[:SWEEP_PORTS] if sweep else probe_ports[:1]
        if sweep:
            use_ports += list(BT_PORTS)
        answers = responses(probe)
        every = responses(probe, every=True) if sweep else answers
        for port in use_ports:
            name = probe["name"]
            if probe["payload"]:
                cap.flow("nmap", f"nmap-{name}", l4, port, [(True, probe["payload"])])
            for service, answer in every if port == use_ports[0] else answers:
                msgs = [(False, answer)] if not probe["payload"] else \
                    [(True, probe["payload"]), (False, answer)]
                if l4 == "udp" and not probe["payload"]:
                    continue
                cap.flow("nmap", f"nmap-{name}->{service}", l4, port, msgs)


def nmap_payload_flows(cap, sweep):
    with open(PAYLOADS, encoding="latin-1") as f:
        text = "\n".join(line for line in f if not line.lstrip().startswith("#"))
    # Entries: udp PORTS "string" ["string" ...] [source PORT]
    for m in re.finditer(r'udp\s+([\d,\-]+)((?:\s*"(?:[^"\\]|\\.)*")+)(?:\s*source\s+(\d+))?',
                         text):
        payload = b"".join(unescape(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
        plist = ports(m.group(1))
        sport = int(m.group(3)) if m.group(3) else None
        use_ports = sorted(set(plist))[:SWEEP_PORTS] + list(BT_PORTS) if sweep else plist[:1]
        for port in use_ports:
            cap.flow("nmap-payloads", f"nmap-payload-udp-{plist[0]}", "udp", port,
                     [(True, payload)], sport=sport)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--sweep", action="store_true")
    args = ap.parse_args()
    conf.verb = 0
    cap = Capture(args.sweep)
    nmap_flows(cap, args.sweep)
    nmap_payload_flows(cap, args.sweep)
    probes_scapy.add_all(cap, args.sweep)
    name = "negative-probes-sweep" if args.sweep else "negative-probes"
    pcap = os.path.join(args.out, name + ".pcap")
    wrpcap(pcap, cap.frames, linktype=1)
    label.write_labels(pcap, cap.labels, os.path.join(args.out, name + ".labels.jsonl"),
                       tshark=not args.sweep)
    print(f"{pcap}: {len(cap.labels)} flows, {len(cap.frames)} frames, "
          f"{os.path.getsize(pcap)} bytes; per source {cap.sources}", file=sys.stderr)


if __name__ == "__main__":
    main()
