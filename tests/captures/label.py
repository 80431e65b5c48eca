"""Label every flow of a capture-lab pcap from the scenario's ground truth.

Run with /usr/bin/python3 (stdlib only; tshark is used as a cross-check, never as truth).

    label.py --pcap NAME.pcap --rules RULES.jsonl --out NAME.labels.jsonl

RULES.jsonl is written by make-captures.sh, one JSON object a line:
  {"kind":"host","ip":IP,"program":NAME}        which program runs on a host
  {"kind":"rule","l4":"tcp"|"udp","ip":IP,"port":PORT|null,"label":LABEL,
   "program":NAME,"initiator":NAME|null}        what a listening endpoint serves;
                                               LABEL "utp+dht" splits a shared UDP
                                               socket per datagram (see mixed_kind);
                                               "peer_wire+peer_wire_encrypted" labels
                                               each TCP flow by its opening bytes
  {"kind":"content","l4":...,"ip":IP,"port":PORT,"content":"magnet","info_hash":HEX}
                                               the flows to that endpoint carry BitTorrent
                                               metadata (a magnet URI) in content that is
                                               not BitTorrent: added to their labels
  {"kind":"note","l4":...,"ip":IP,"port":PORT,"note":TEXT}
                                               a remark on the flows to that endpoint
                                               (what makes them special), copied to
                                               their labels as "note"
  {"kind":"expect","filter":TSHARK_FILTER,"min":N,"max":M|null,"what":TEXT}
                                               a tshark display filter that must match
                                               at least N (and at most M) frames

A flow is the unordered pair of endpoints plus l4; "a" is the side that opened it (TCP SYN
sender, or the sender of the first UDP datagram), "b" the other side. The script fails if a
flow is not covered by a rule, if a frame is bigger than an Ethernet frame (offload
"segments"), if an address is outside the lab, or if an expectation does not hold.
"""

import argparse
import collections
import ipaddress
import json
import re
import struct
import subprocess
import sys

LAB = ipaddress.ip_network("10.77.0.0/16")  # 10.77.0.N hosts, 10.77.1.N inside VXLAN
LAB6 = ipaddress.ip_network("fd77::/64")
MULTICAST = ipaddress.ip_network("224.0.0.0/4")
BROADCAST = ipaddress.ip_address("255.255.255.255")
# IPv6 scenarios: the lab's ULA prefix, link-local (neighbour discovery), multicast, unspecified
ALLOWED6 = [LAB6, ipaddress.ip_network("fe80::/10"), ipaddress.ip_network("ff00::/8"),
            ipaddress.ip_network("::/128")]
IPV6_SKIP = {0, 58}  # hop-by-hop options (MLD reports) and ICMPv6: not flows
MAX_FRAME = 1514
LABELS = {"peer_wire", "peer_wire_encrypted", "utp", "dht", "udp_tracker", "http_tracker",
          "lsd", "magnet", "not_bittorrent"}


# Kept per side of a flow for reading proxy negotiations (proxy scenarios).
STREAM_KEPT = 4096
DATAGRAMS_KEPT = 256


def socks_request(data):
    """(tunnel, command, (host, port), offset of the tunnelled bytes) of a client's opening of a
    SOCKS4/4a (no RFC; the NEC protocol) or SOCKS5 (RFC 1928, RFC 1929 auth) connection, or
    None. Commands: 1 CONNECT, 3 UDP ASSOCIATE."""
    if data[:1] == b"\x04" and len(data) >= 9:
        command, port = data[1], struct.unpack("!H", data[2:4])[0]
        host = str(ipaddress.ip_address(bytes(data[4:8])))
        end = data.index(0, 8) + 1
        if data[4:7] == b"\x00\x00\x00":  # SOCKS4a: a host name follows
            name_end = data.index(0, end)
            host, end = data[end:name_end].decode(), name_end + 1
        return "socks4", command, (host, port), end
    if data[:1] != b"\x05" or len(data) < 3:
        return None
    at = 2 + data[1]
    if data[at:at + 1] == b"\x01":  # username/password subnegotiation (RFC 1929)
        ulen = data[at + 1]
        plen = data[at + 2 + ulen]
        at += 3 + ulen + plen
    if data[at:at + 1] != b"\x05":
        return None
    command, atyp = data[at + 1], data[at + 3]
    target, end = socks_address(data, at + 3)
    if target is None:
        return None
    return "socks5", command, target, end


def socks_address(data, at):
    """((host, port), end) of a SOCKS5 ATYP + address + port at `at` (RFC 1928 §5)."""
    atyp = data[at]
    if atyp == 1:
        host, end = str(ipaddress.ip_address(bytes(data[at + 1:at + 5]))), at + 5
    elif atyp == 4:
        host, end = str(ipaddress.ip_address(bytes(data[at + 1:at + 17]))), at + 17
    elif atyp == 3:
        n = data[at + 1]
        host, end = data[at + 2:at + 2 + n].decode(), at + 2 + n
    else:
        return None, at
    return (host, struct.unpack("!H", data[end:end + 2])[0]), end + 2


def http_proxy_request(data):
    """("http_connect", (host, port), offset of the tunnelled bytes) for `CONNECT host:port`, or
    ("http_proxy", (host, port), 0) for a forward-proxy request with an absolute URI, or None."""
    head_end = data.find(b"\r\n\r\n")
    line = bytes(data[:data.find(b"\r\n")]).decode("latin-1")
    parts = line.split(" ")
    if len(parts) != 3:
        return None
    method, target = parts[0], parts[1]
    if method == "CONNECT":
        host, _, port = target.rpartition(":")
        return "http_connect", (host.strip("[]"), int(port)), head_end + 4
    if target.startswith("http://"):
        hostport = target[len("http://"):].split("/")[0]
        host, _, port = hostport.rpartition(":")
        return "http_proxy", (host.strip("[]"), int(port or 80)), 0
    return None


class Flow:
    def __init__(self, l4, src, dst, first):
        self.l4 = l4
        self.a = src  # (ip, port) of the opener, fixed once a SYN is seen
        self.b = dst
        self.first = first
        self.syn_seen = False
        self.packets = 0
        self.payload_bytes = 0
        self.kinds = collections.Counter()
        self.opening = None  # the opener's first payload bytes (TCP)
        self.reply = None  # the other side's first payload bytes (TCP)
        self.stream = collections.defaultdict(bytearray)  # each side's first bytes (TCP)
        self.datagrams = collections.defaultdict(list)  # each side's first datagrams (UDP)


def read_pcap(path):
    """Yield (frame_index, timestamp, frame_bytes, linktype) for a classic pcap file."""
    with open(path, "rb") as f:
        header = f.read(24)
        if len(header) < 24:
            raise SystemExit(f"{path}: not a pcap file ({len(header)} byte header)")
        magic = header[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            endian = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            endian = ">"
        else:
            raise SystemExit(f"{path}: unknown pcap magic {magic.hex()}")
        linktype = struct.unpack(endian + "I", header[20:24])[0]
        index = 0
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _orig = struct.unpack(endian + "IIII", rec)
            data = f.read(incl)
            index += 1
            yield index, sec + frac / 1e6, data, linktype


def endpoint_order(e):
    """Sort key of an (ip, port) endpoint that orders IPv4 before IPv6."""
    addr = ipaddress.ip_address(e[0])
    return (addr.version, addr, e[1])


def in_lab(addr):
    if addr.version == 6:
        return any(addr in net for net in ALLOWED6)
    return (addr in LAB or addr in MULTICAST or addr == BROADCAST
            or addr == ipaddress.ip_address("0.0.0.0"))


def opening_kind(opening):
    """Tell a plaintext peer-wire connection (BEP 3 handshake first) from an MSE/PE one (a
    Diffie-Hellman key first) by the opener's first bytes, for clients that try both to one
    endpoint."""
    if opening is None:
        return None
    return "peer_wire" if opening.startswith(b"\x13BitTorrent protocol") else "peer_wire_encrypted"


def mixed_kind(payload):
    """Tell a DHT message (a bencoded dict with a "y" key, BEP 5) from a uTP packet
    (version 1, type 0..4, BEP 29) on a UDP socket that carries both."""
    if payload[:1] == b"d" and payload[-1:] == b"e" and b"1:y1:" in payload:
        return "dht"
    if len(payload) >= 20 and payload[0] & 0x0F == 1 and payload[0] >> 4 <= 4:
        return "utp"
    return "other"


def strip_vxlan(frame, stats):
    """The inner Ethernet frame of a VXLAN packet (RFC 7348: IPv4, UDP to port 4789, an
    8-byte header with the I flag), else the frame itself."""
    if frame[12:14] != b"\x08\x00" or len(frame) < 14 + 20 + 8 + 8 + 14:
        return frame
    ihl = (frame[14] & 0x0F) * 4
    udp = 14 + ihl
    if frame[23] != 17 or frame[udp + 2:udp + 4] != b"\x12\xb5" or not frame[udp + 8] & 0x08:
        return frame
    stats["vxlan"] += 1
    return frame[udp + 16:]


def parse(pcap, problems):
    flows = {}
    stats = collections.Counter()
    for index, ts, frame, linktype in read_pcap(pcap):
        if linktype != 1:
            raise SystemExit(f"{pcap}: link type {linktype}, expected Ethernet (1)")
        stats["frames"] += 1
        frame = strip_vxlan(frame, stats)
        if len(frame) > MAX_FRAME + 4:
            problems.append(f"frame {index} is {len(frame)} bytes: offload segment?")
        ethertype = struct.unpack("!H", frame[12:14])[0]
        off = 14
        if ethertype == 0x8100:
            ethertype = struct.unpack("!H", frame[16:18])[0]
            off = 18
        if ethertype == 0x0806:
            stats["arp"] += 1
            continue
        ip = frame[off:]
        if ethertype == 0x86DD:
            stats["ipv6"] += 1
            proto = ip[6]
            src = ipaddress.ip_address(ip[8:24])
            dst = ipaddress.ip_address(ip[24:40])
            body = ip[40:40 + struct.unpack("!H", ip[4:6])[0]]
            if proto in IPV6_SKIP:
                stats["icmpv6/mld"] += 1
                proto = None
        elif ethertype == 0x0800:
            ihl = (ip[0] & 0x0F) * 4
            total = struct.unpack("!H", ip[2:4])[0]
            proto = ip[9]
            src = ipaddress.ip_address(ip[12:16])
            dst = ipaddress.ip_address(ip[16:20])
            body = ip[ihl:total]
            if struct.unpack("!H", ip[6:8])[0] & 0x1FFF:
                # A later fragment: no transport header (libtorrent's uTP MTU probes inside
                # VXLAN are fragmented); its first fragment carried the ports.
                stats["ip later fragments"] += 1
                proto = None
        else:
            stats[f"ethertype 0x{ethertype:04x}"] += 1
            continue
        for addr in (src, dst):
            if not in_lab(addr):
                problems.append(f"frame {index}: address {addr} is outside the lab")
        if proto is None:
            continue
        if proto == 6:
            l4 = "tcp"
            sport, dport = struct.unpack("!HH", body[0:4])
            flags = body[13]
            payload = body[(body[12] >> 4) * 4:]
            syn_only = flags & 0x02 and not flags & 0x10
        elif proto == 17:
            l4 = "udp"
            sport, dport = struct.unpack("!HH", body[0:4])
            payload = body[8:]
            syn_only = False
        else:
            stats[f"ip proto {proto}"] += 1
            continue
        a = (str(src), sport)
        b = (str(dst), dport)
        key = (l4,) + tuple(sorted([a, b], key=endpoint_order))
        flow = flows.get(key)
        if flow is None:
            flow = flows[key] = Flow(l4, a, b, ts)
        if syn_only and not flow.syn_seen:
            flow.a, flow.b, flow.syn_seen = a, b, True
        flow.packets += 1
        flow.payload_bytes += len(payload)
        if l4 == "udp" and payload:
            flow.kinds[mixed_kind(payload)] += 1
        if l4 == "tcp" and len(flow.stream[a]) < STREAM_KEPT:
            flow.stream[a] += payload[:STREAM_KEPT - len(flow.stream[a])]
        if l4 == "udp" and payload and len(flow.datagrams[a]) < DATAGRAMS_KEPT:
            flow.datagrams[a].append(bytes(payload))
        if l4 == "tcp" and payload and flow.opening is None and a == flow.a:
            flow.opening = bytes(payload[:20])
        if l4 == "tcp" and payload and flow.reply is None and a == flow.b:
            flow.reply = bytes(payload[:20])
    return flows, stats


def conversations(lines):
    """The conversations that `tshark -q -z conv,tcp -z conv,udp` printed as `lines`, in the
    order they started: (l4, a, aport, b, bport), `a` as tshark printed it."""
    rows, l4 = [], "tcp"
    for line in lines:
        if line.startswith("UDP Conversations"):
            l4 = "udp"
        if line.startswith("TCP Conversations"):
            l4 = "tcp"
        m = re.match(r"([\d.]+):(\d+)\s+<->\s+([\d.]+):(\d+)\s", line)
        if m:
            start = float(line.split()[-2])
            rows.append((start, l4, m.group(1), int(m.group(2)), m.group(3), int(m.group(4))))
    return [row[1:] for row in sorted(rows, key=lambda row: row[0])]


def write_labels(pcap, entries, path, tshark=True):
    """Write label `entries` to `path` as JSON lines, each with its flow's `tshark` verdicts
    in `pcap`, most frequent first (`-`: none; all `-` without `tshark`, as a sweep writes)."""
    verdicts = tshark_verdicts(pcap) if tshark else {}
    with open(path, "w") as f:
        for entry in entries:
            ends = sorted([(entry["a"], entry["aport"]), (entry["b"], entry["bport"])],
                          key=endpoint_order)
            verdict = verdicts.get((entry["l4"],) + tuple(ends), collections.Counter())
            entry["tshark"] = ",".join(n for n, _ in verdict.most_common()) or "-"
            f.write(json.dumps(entry, separators=(",", ":")) + "\n")


def tshark_verdicts(pcap):
    """Map flow key -> tshark's protocol names for the frames that carry payload."""
    cmd = ["tshark", "-n", "-r", pcap, "--enable-heuristic", "bt_utp_udp",
           "-T", "fields", "-E", "separator=\t",
           "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
           "-e", "tcp.srcport", "-e", "tcp.dstport",
           "-e", "udp.srcport", "-e", "udp.dstport", "-e", "tcp.len", "-e", "udp.length",
           "-e", "frame.protocols"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    verdicts = collections.defaultdict(collections.Counter)
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) < 11 or {"icmp", "icmpv6"} & set(cols[10].split(":")):
            continue
        # Inside a tunnel (VXLAN) a field occurs once per header: the innermost one counts.
        cols = [c.split(",")[-1] for c in cols[:10]] + cols[10:]
        src4, dst4, src6, dst6, tsp, tdp, usp, udp_, tlen, ulen, protos = cols[:11]
        src, dst = (src4, dst4) if src4 else (src6, dst6)
        if tsp:
            l4, sp, dp, plen = "tcp", tsp, tdp, int(tlen or 0)
        elif usp:
            l4, sp, dp, plen = "udp", usp, udp_, int(ulen or 8) - 8
        else:
            continue
        if plen <= 0:
            continue
        ends = sorted([(src, int(sp)), (dst, int(dp))], key=endpoint_order)
        layers = protos.split(":")
        at = [i for i, layer in enumerate(layers) if layer == l4]
        above = layers[at[-1] + 1:] if at else []
        name = above[0] if above else "-"
        verdicts[(l4,) + tuple(ends)][name] += 1
    return verdicts


def tshark_count(pcap, display_filter):
    cmd = ["tshark", "-n", "-r", pcap, "--enable-heuristic", "bt_utp_udp", "-Y", display_filter,
           "-T", "fields", "-e", "frame.number"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"tshark filter {display_filter!r} failed: {res.stderr.strip()}")
    return len(res.stdout.split())


def load_rules(path):
    hosts, rules, expects, contents = {}, [], [], []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if r["kind"] == "host":
                hosts[r["ip"]] = r["program"]
            elif r["kind"] == "rule":
                for label in r["label"].split("+"):
                    if label not in LABELS:
                        raise SystemExit(f"rule with unknown label {label!r}: {line.strip()}")
                rules.append(r)
            elif r["kind"] == "expect":
                expects.append(r)
            elif r["kind"] == "proxy":
                rules.append(r)
            elif r["kind"] in ("content", "note"):
                contents.append(r)
    return hosts, rules, expects, contents


def find_rule(rules, l4, endpoint, kind="rule"):
    ip, port = endpoint
    rules = [r for r in rules if r["kind"] == kind]
    exact = [r for r in rules if r["l4"] == l4 and r["ip"] == ip and r.get("port") == port]
    if exact:
        return exact[0]
    wild = [r for r in rules if r["l4"] == l4 and r["ip"] == ip and r.get("port") is None]
    return wild[0] if wild else None


def proxy_leg(flow, proxy, rules, hosts, problems):
    """The label of a client-to-proxy flow: what it carries through the proxy, by the target its
    negotiation names (a SOCKS CONNECT or UDP ASSOCIATE, an HTTP CONNECT or a forward-proxy
    request) and the rule for that target; `tunnel` and `tunnel_dst` say how."""
    client = hosts.get(flow.a[0])
    base = {"l4": flow.l4, "a": flow.a[0], "aport": flow.a[1], "b": flow.b[0],
            "bport": flow.b[1]}
    if client is None:
        problems.append(f"no program known for proxy client {flow.a[0]}")
        return None
    if flow.l4 == "udp":
        # A SOCKS5 UDP relay (RFC 1928 §7): RSV, FRAG, ATYP, DST.ADDR, DST.PORT, data.
        kinds, targets = collections.Counter(), collections.Counter()
        for d in flow.datagrams[flow.a]:
            target, end = socks_address(d, 3) if len(d) > 10 and d[:2] == b"\0\0" else (None, 0)
            if target is None:
                continue
            targets[target] += 1
            kinds[mixed_kind(d[end:])] += 1
        if not targets:
            if flow.payload_bytes:
                problems.append(f"udp {flow.a} -> {flow.b}: no SOCKS5 UDP header")
            return None
        target = targets.most_common(1)[0][0]
        found = [k for k, _ in kinds.most_common() if k in ("dht", "utp")]
        rule = find_rule(rules, "udp", target)
        label = found[0] if found else (rule["label"] if rule else None)
        if label is None or "+" in label:
            label = found[0] if found else None
        if label is None:
            problems.append(f"udp {flow.a} -> {flow.b}: relays to {target}, no rule")
            return None
        entry = dict(base, label=label, program=f"{client}->{proxy['program']}",
                     tunnel="socks5", tunnel_dst=f"{target[0]}:{target[1]}")
        if found[1:]:
            entry["also"] = found[1:]
        return entry
    data = bytes(flow.stream[flow.a])
    if proxy["proxy"] == "http":
        parsed = http_proxy_request(data)
        if parsed is None:
            problems.append(f"tcp {flow.a} -> {flow.b}: no HTTP proxy request")
            return None
        tunnel, target, start = parsed
        command = 1
    else:
        parsed = socks_request(data)
        if parsed is None:
            problems.append(f"tcp {flow.a} -> {flow.b}: no SOCKS request")
            return None
        tunnel, command, target, start = parsed
    entry = dict(base, tunnel=tunnel, tunnel_dst=f"{target[0]}:{target[1]}")
    if command != 1:
        # The control connection of a UDP ASSOCIATE (3), or a BIND (2) no peer connected to:
        # only the negotiation, never BitTorrent.
        what = "udp associate" if command == 3 else "bind"
        return dict(entry, label="not_bittorrent", program=f"{client}->{proxy['program']} ({what})")
    if not data[start:]:
        # Nothing went through (the proxy could not connect: libtorrent behind a proxy
        # announces port 1, so peers try the proxy's own address).
        return dict(entry, label="not_bittorrent",
                    program=f"{client}->{proxy['program']} (nothing tunnelled)")
    rule = find_rule(rules, "tcp", (target[0], target[1]))
    if rule is None:
        problems.append(f"tcp {flow.a} -> {flow.b}: proxied to {target}, no rule for it")
        return None
    label = rule["label"]
    if label == "peer_wire+peer_wire_encrypted":
        label = opening_kind(data[start:start + 20] or None) or "peer_wire"
    return dict(entry, label=label,
                program=f"{client}->{proxy['program']}->{rule['program']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--rules", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--allow-ipv6", action="store_true")
    args = ap.parse_args()

    problems = []
    hosts, rules, expects, contents = load_rules(args.rules)
    flows, stats = parse(args.pcap, problems)
    if stats["ipv6"] and not args.allow_ipv6:
        problems.append(f"{stats['ipv6']} IPv6 frames in an IPv4-only scenario")
    verdicts = tshark_verdicts(args.pcap)

    lines = []
    for key, flow in sorted(flows.items(), key=lambda kv: kv[1].first):
        proxy = find_rule(rules, flow.l4, flow.b, "proxy")
        if (proxy is None and find_rule(rules, flow.l4, flow.a, "proxy") and not flow.syn_seen
                and find_rule(rules, flow.l4, flow.b) is None):
            flow.a, flow.b = flow.b, flow.a
            proxy = find_rule(rules, flow.l4, flow.b, "proxy")
        if proxy is not None:
            entry = proxy_leg(flow, proxy, rules, hosts, problems)
            if entry is not None:
                verdict = verdicts.get(key, collections.Counter())
                if len(verdict) > 1:
                    del verdict["-"]
                entry["tshark"] = ",".join(name for name, _ in verdict.most_common()) or "-"
                lines.append(entry)
            continue
        rule = find_rule(rules, flow.l4, flow.b)
        if rule is None:
            rule = find_rule(rules, flow.l4, flow.a)
            if rule is not None and not flow.syn_seen:
                flow.a, flow.b = flow.b, flow.a  # the rule names the serving side
        if rule is None:
            if flow.payload_bytes:
                problems.append(f"no rule for {flow.l4} {flow.a} -> {flow.b} "
                                f"({flow.packets} packets, {flow.payload_bytes} payload bytes)")
            continue
        initiator = rule.get("initiator") or hosts.get(flow.a[0])
        if initiator is None:
            problems.append(f"no program known for host {flow.a[0]} ({flow.l4} {flow.a} -> {flow.b})")
            continue
        label = rule["label"]
        also = []
        if label == "peer_wire+peer_wire_encrypted":
            label = opening_kind(flow.opening) or "peer_wire"
            if label == "peer_wire_encrypted" and opening_kind(flow.reply) == "peer_wire":
                also = ["peer_wire"]  # a plaintext peer answered the MSE key with its handshake
        elif "+" in label:
            kinds = [k for k, _ in flow.kinds.most_common() if k in label.split("+")]
            if not kinds:
                problems.append(f"{flow.l4} {flow.a} -> {flow.b}: none of {label} seen")
                continue
            label, also = kinds[0], kinds[1:]
        verdict = verdicts.get(key, collections.Counter())
        if len(verdict) > 1:
            del verdict["-"]  # continuation segments of PDUs tshark reassembled
        entry = {
            "l4": flow.l4, "a": flow.a[0], "aport": flow.a[1], "b": flow.b[0], "bport": flow.b[1],
            "label": label, "program": f"{initiator}->{rule['program']}",
            "tshark": ",".join(name for name, _ in verdict.most_common()) or "-",
        }
        if also:
            entry["also"] = also
        for c in contents:
            if c["l4"] == flow.l4 and (c["ip"], c["port"]) == tuple(flow.b):
                if c["kind"] == "note":
                    entry["note"] = c["note"]
                else:
                    entry["content"] = c["content"]
                    entry["info_hash"] = c["info_hash"].lower()
        if not flow.payload_bytes:
            entry["payload"] = False
        lines.append(entry)

    with open(args.out, "w") as f:
        for entry in lines:
            f.write(json.dumps(entry, separators=(",", ":")) + "\n")

    counts = collections.Counter(e["label"] for e in lines)
    print(f"{args.pcap}: {stats['frames']} frames, {len(lines)} labelled flows "
          f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}); other: "
          f"{', '.join(f'{k} {v}' for k, v in sorted(stats.items()) if k != 'frames') or 'none'}")
    for e in lines:
        extra = (" also " + ",".join(e["also"])) if "also" in e else ""
        extra += " (no payload)" if e.get("payload") is False else ""
        print(f"  {e['l4']} {e['a']}:{e['aport']} -> {e['b']}:{e['bport']}  {e['label']}{extra}"
              f"  [{e['program']}]  tshark={e['tshark']}")
    for ex in expects:
        n = tshark_count(args.pcap, ex["filter"])
        most = ex.get("max")
        ok = n >= ex["min"] and (most is None or n <= most)
        print(f"  expect {ex['what']}: {n} frames ({ex['filter']}) {'ok' if ok else 'FAILED'}")
        if not ok:
            bounds = f"{ex['min']}..{'' if most is None else most}"
            problems.append(f"expected {bounds} frames of {ex['what']} ({ex['filter']}), got {n}")
    for p in problems[:50]:
        print(f"  PROBLEM: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
