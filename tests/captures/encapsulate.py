"""Build the encapsulated and fragmented captures from real ones.

Usage: PYTHON encapsulate.py [--out DIR] [NAME ...]   (PYTHON: a python with scapy from PyPI)

Each capture re-wraps flows of the committed real-client captures of this directory (never
made-up payload): the inner packets are the real ones, byte for byte, with their timestamps;
only the encapsulation (or the IP fragmentation) around them is built here. Their labels are
the source flows' labels (ground truth from the scenario that made the source capture) with a
`tunnel` field, and `tshark` recomputed on the new capture. The script checks each capture with
tshark: it must dissect the encapsulation in every frame that carries one and find the inner
protocols again. GRE, IP-in-IP and GTP-U packets longer than a 1500-byte link are fragmented
in the outer IPv4 header, as a router without path MTU discovery would.

The Linux kernel here has VXLAN but not the GRE or IPIP modules, so VXLAN is captured live by
make-captures.sh (scenario `tunnel-vxlan`) and these are built.
"""

import argparse
import collections
import json
import os
import subprocess
import sys

from scapy.all import (
    GRE,
    IP,
    PPP,
    UDP,
    Ether,
    IPv6,
    IPv6ExtHdrFragment,
    PPPoE,
    Raw,
    PcapWriter,
    rdpcap,
)
from scapy.contrib.gtp import GTP_U_Header
from scapy.contrib.mpls import MPLS

HERE = os.path.dirname(os.path.abspath(__file__))

# Tunnel endpoints: outside the lab's 10.77.0.0/24 and fd77::/64 so inner and outer differ.
TEP_A, TEP_B = "10.78.0.1", "10.78.0.2"
MAC_A, MAC_B = "02:78:00:00:00:01", "02:78:00:00:00:02"
# Packets kept of each flow (the decision comes within the first few).
MAX_PACKETS = 40
LINK_MTU = 1500

# name -> (tunnel, [(source capture, label, how many flows)], tshark filter that every frame
# but an outer IPv4 fragment after the first matches (None: no tunnel), tshark filter that must
# match at least once inside)
SCENARIOS = {
    "tunnel-gre": ("gre", [("tcp-plain", "peer_wire", 3), ("tcp-plain", "http_tracker", 2),
                           ("tcp-negative", "not_bittorrent", 3)], "gre",
                   "bittorrent.protocol.name"),
    "tunnel-ipip": ("ipip", [("tcp-encrypted", "peer_wire_encrypted", 3),
                             ("tcp-encrypted", "http_tracker", 3),
                             ("udp-negative", "not_bittorrent", 2)], "ip.proto == 4",
                    "http.request"),
    "tunnel-6in4": ("6in4", [("ipv6", "peer_wire", 2), ("ipv6", "utp", 2),
                             ("ipv6", "http_tracker", 1)], "ip.proto == 41",
                    "bittorrent.protocol.name"),
    "tunnel-pppoe": ("pppoe", [("clients-plain", "peer_wire", 3),
                               ("udp-tracker", "udp_tracker", 2),
                               ("negative-extra", "not_bittorrent", 1)], "pppoes",
                     "bittorrent.protocol.name"),
    "tunnel-gtpu": ("gtp_u", [("dht-magnet", "dht", 2), ("dht-magnet", "utp", 1),
                              ("udp-negative", "not_bittorrent", 2)],
                    "gtp", "bt-dht"),
    "tunnel-mpls": ("mpls", [("clients-encrypted", "peer_wire_encrypted", 2),
                             ("clients-encrypted", "http_tracker", 3),
                             ("tcp-negative", "not_bittorrent", 2)], "mpls", "http.request"),
    "fragments": ("fragments", [("tcp-plain", "peer_wire", 3), ("udp-tracker", "udp_tracker", 1),
                                ("ipv6", "peer_wire", 1), ("ipv6", "utp", 1),
                                ("tcp-negative", "not_bittorrent", 2)], None,
                  "bittorrent.protocol.name"),
}


def endpoint_key(label):
    return (label["l4"], frozenset([(label["a"], label["aport"]), (label["b"], label["bport"])]))


def packet_key(ip):
    l4 = ip.payload
    proto = "tcp" if l4.name == "TCP" else "udp" if l4.name == "UDP" else None
    if proto is None:
        return None
    return (proto, frozenset([(ip.src, l4.sport), (ip.dst, l4.dport)]))


def select(source, label, count):
    """The first `count` flows of `source` labelled `label`, with their label lines."""
    with open(os.path.join(HERE, source + ".labels.jsonl")) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    chosen = [entry for entry in lines if entry["label"] == label and entry.get("payload", True)]
    if len(chosen) < count:
        raise SystemExit(f"{source}: only {len(chosen)} flows labelled {label}")
    return chosen[:count]


def inner_packets(sources):
    """The packets of the chosen flows, in time order, at most MAX_PACKETS per flow."""
    by_source = collections.defaultdict(list)
    for source, label, count in sources:
        by_source[source].extend(select(source, label, count))
    out, labels = [], []
    for source, chosen in by_source.items():
        wanted = {endpoint_key(entry): entry for entry in chosen}
        seen = collections.Counter()
        for pkt in rdpcap(os.path.join(HERE, source + ".pcap")):
            ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
            if ip is None:
                continue
            key = packet_key(ip)
            if key not in wanted or seen[key] >= MAX_PACKETS:
                continue
            seen[key] += 1
            entry = wanted[key]
            from_a = (ip.src, ip.payload.sport) == (entry["a"], entry["aport"])
            out.append((float(pkt.time), ip.copy(), from_a))
        labels.extend(chosen)
    out.sort(key=lambda p: p[0])
    return out, labels


def outer_ip(from_a, proto, payload, ident):
    src, dst = (TEP_A, TEP_B) if from_a else (TEP_B, TEP_A)
    return IP(src=src, dst=dst, proto=proto, id=ident & 0xFFFF, ttl=63) / payload


def ether(from_a, payload, ethertype=None):
    src, dst = (MAC_A, MAC_B) if from_a else (MAC_B, MAC_A)
    e = Ether(src=src, dst=dst)
    if ethertype is not None:
        e.type = ethertype
    return e / payload


def split_ipv4(ip, sizes):
    """IPv4 fragments of `ip` (RFC 791 §2.3): data cut at `sizes` (multiples of 8), the rest in
    one last fragment."""
    header = ip.copy()
    data = bytes(ip.payload)
    frags, at = [], 0
    for size in list(sizes) + [len(data)]:
        chunk = data[at:at + size]
        if not chunk:
            break
        more = at + len(chunk) < len(data)
        f = header.copy()
        f.remove_payload()
        f.flags = "MF" if more else 0
        f.frag = at // 8
        f.len = None
        f.chksum = None
        frags.append(f / Raw(chunk))
        at += len(chunk)
    return frags


def split_ipv6(ip, sizes, ident):
    """IPv6 fragments of `ip` (RFC 8200 §4.5), its upper layer cut at `sizes`."""
    data = bytes(ip.payload)
    frags, at = [], 0
    for size in list(sizes) + [len(data)]:
        chunk = data[at:at + size]
        if not chunk:
            break
        more = at + len(chunk) < len(data)
        f = IPv6(src=ip.src, dst=ip.dst, hlim=ip.hlim, tc=ip.tc, fl=ip.fl)
        f = f / IPv6ExtHdrFragment(nh=ip.nh, offset=at // 8, m=int(more), id=ident) / Raw(chunk)
        frags.append(f)
        at += len(chunk)
    return frags


def fit_link(ip):
    """`ip` as it leaves on a 1500-byte link: fragmented in its IPv4 header if longer."""
    if len(ip) <= LINK_MTU:
        return [ip]
    payload = len(ip) - ip.ihl * 4 if ip.ihl else len(ip) - 20
    first = (LINK_MTU - 20) // 8 * 8
    return split_ipv4(IP(bytes(ip)), [first] * (payload // first))


def wrap(tunnel, packets):
    """Frames (time, bytes) of the inner IP packets in `tunnel`."""
    frames = []
    seq = collections.Counter()
    for n, (ts, ip, from_a) in enumerate(packets):
        ident = 0x4000 + n
        if tunnel == "gre":
            seq[from_a] += 1
            gre = GRE(key_present=1, seqnum_present=1, key=1001, sequence_number=seq[from_a],
                      proto=0x86DD if ip.version == 6 else 0x0800)
            ips = fit_link(outer_ip(from_a, 47, gre / ip, ident))
            frames += [(ts, ether(from_a, i)) for i in ips]
        elif tunnel in ("ipip", "6in4"):
            proto = 41 if ip.version == 6 else 4
            frames += [(ts, ether(from_a, i)) for i in fit_link(outer_ip(from_a, proto, ip, ident))]
        elif tunnel == "pppoe":
            ppp = PPP(proto=0x0057 if ip.version == 6 else 0x0021) / ip
            frames.append((ts, ether(from_a, PPPoE(version=1, type=1, code=0, sessionid=0x11) / ppp,
                                     0x8864)))
        elif tunnel == "gtp_u":
            seq[from_a] += 1
            teid = 0x1000 if from_a else 0x2000
            gtp = GTP_U_Header(teid=teid, gtp_type=255, S=1, seq=seq[from_a]) / ip
            udp = UDP(sport=2152, dport=2152) / gtp
            frames += [(ts, ether(from_a, i)) for i in fit_link(outer_ip(from_a, 17, udp, ident))]
        elif tunnel == "mpls":
            stack = MPLS(label=100, cos=0, s=0, ttl=64) / MPLS(label=2001, cos=0, s=1, ttl=64)
            frames.append((ts, ether(from_a, stack / ip, 0x8847)))
        elif tunnel == "fragments":
            payload = len(ip.payload.payload)
            if payload == 0:
                frames.append((ts, ether(from_a, ip)))
                continue
            if ip.version == 4:
                # The first fragment ends 8 bytes into the payload: part of a handshake, as an
                # evader would cut it; every other packet's fragments arrive in reverse order.
                head = (len(ip.payload) - payload) + 8
                pieces = split_ipv4(ip, [head, 40, 64])
            else:
                head = (len(ip.payload) - payload) + 8
                pieces = split_ipv6(ip, [head, 48], 0xBEEF0000 + n)
            if n % 2:
                pieces.reverse()
            frames += [(ts + i * 1e-6, ether(from_a, p)) for i, p in enumerate(pieces)]
        else:
            raise SystemExit(f"unknown tunnel {tunnel}")
    return frames


def tshark_fields(pcap, fields, display_filter=None):
    cmd = ["tshark", "-n", "-r", pcap, "--enable-heuristic", "bt_utp_udp", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    if display_filter:
        cmd += ["-Y", display_filter]
    for field in fields:
        cmd += ["-e", field]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def tshark_verdicts(pcap):
    """Flow key (innermost addresses) -> tshark's protocol above TCP/UDP, most frequent first."""
    rows = tshark_fields(pcap, ["ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport",
                                "tcp.dstport", "udp.srcport", "udp.dstport", "tcp.len",
                                "udp.length", "frame.protocols"])
    verdicts = collections.defaultdict(collections.Counter)
    for cols in rows:
        if len(cols) < 11:
            continue
        last = lambda v: v.split(",")[-1] if v else ""
        src4, dst4, src6, dst6, tsp, tdp, usp, udp_, tlen, ulen, protos = cols[:11]
        layers = protos.split(":")
        # The innermost IP header: IPv6 if it comes after the last IPv4 one.
        v6_inner = "ipv6" in layers and (
            "ip" not in layers or len(layers) - 1 - layers[::-1].index("ipv6")
            > len(layers) - 1 - layers[::-1].index("ip"))
        src, dst = (last(src6), last(dst6)) if v6_inner else (last(src4), last(dst4))
        if tsp:
            l4, sp, dp, plen = "tcp", last(tsp), last(tdp), int(last(tlen) or 0)
        elif usp:
            l4, sp, dp, plen = "udp", last(usp), last(udp_), int(last(ulen) or 8) - 8
        else:
            continue
        if plen <= 0 or not sp:
            continue
        inner = [i for i, layer in enumerate(layers) if layer == l4]
        above = layers[inner[-1] + 1:] if inner else []
        name = above[0] if above else "-"
        if name in ("gtp", "vxlan"):  # the outer UDP of a tunnel
            continue
        verdicts[(l4, frozenset([(src, int(sp)), (dst, int(dp))]))][name] += 1
    return verdicts


def build(name, out_dir):
    tunnel, sources, outer_proto, inner_filter = SCENARIOS[name]
    packets, labels = inner_packets(sources)
    frames = wrap(tunnel, packets)
    pcap = os.path.join(out_dir, name + ".pcap")
    writer = PcapWriter(pcap, linktype=1, sync=True)
    for ts, frame in frames:
        frame.time = ts
        writer.write(frame)
    writer.close()

    problems = []
    if outer_proto:
        missing = tshark_fields(pcap, ["frame.number"],
                                f"!({outer_proto}) && !(ip.flags.mf == 1 || ip.frag_offset > 0)")
        if missing:
            problems.append(f"{len(missing)} frames without {outer_proto}")
    elif not tshark_fields(pcap, ["frame.number"], "ip.flags.mf == 1 or ipv6.fragment"):
        problems.append("no IP fragments")
    if not tshark_fields(pcap, ["frame.number"], inner_filter):
        problems.append(f"tshark filter {inner_filter!r} matches nothing")
    verdicts = tshark_verdicts(pcap)
    with open(os.path.join(out_dir, name + ".labels.jsonl"), "w") as f:
        for entry in labels:
            key = (entry["l4"], frozenset([(entry["a"], entry["aport"]),
                                           (entry["b"], entry["bport"])]))
            verdict = verdicts.get(key)
            if not verdict:
                problems.append(f"tshark sees no payload of {entry['a']}:{entry['aport']}")
            verdict = verdict or collections.Counter()
            verdict.pop("-", None)
            line = dict(entry)
            line["tshark"] = ",".join(n for n, _ in verdict.most_common()) or "-"
            line["tunnel"] = None if tunnel == "fragments" else tunnel
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
    size = os.path.getsize(pcap)
    print(f"{name}: {len(frames)} frames, {len(labels)} flows, {size} bytes", file=sys.stderr)
    if problems:
        raise SystemExit(f"{name}: " + "; ".join(problems))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=HERE)
    parser.add_argument("names", nargs="*", default=list(SCENARIOS))
    args = parser.parse_args()
    for name in args.names:
        if name not in SCENARIOS:
            raise SystemExit(f"unknown capture {name} (known: {', '.join(SCENARIOS)})")
        build(name, args.out)


if __name__ == "__main__":
    main()
