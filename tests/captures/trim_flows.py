#!/usr/bin/env python3
"""Copy a classic Ethernet pcap, keeping each IPv4 TCP/UDP flow's packets until the flow has
carried LIMIT bytes of payload (the packet that crosses it is kept, later ones dropped, FIN
included): long downloads are cut, their handshakes and first flights stay whole.

Usage: trim_flows.py IN.pcap OUT.pcap LIMIT   (stdlib only)
"""
import struct
import sys


def main():
    src, dst, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = open(src, "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", "little-endian microsecond pcap"
    assert struct.unpack("<I", data[20:24])[0] == 1, "Ethernet"
    out = [data[:24]]
    seen = {}
    at = 24
    kept = dropped = 0
    while at + 16 <= len(data):
        incl = struct.unpack("<I", data[at + 8:at + 12])[0]
        rec = data[at:at + 16 + incl]
        frame = rec[16:]
        at += 16 + incl
        key, payload = None, 0
        if len(frame) >= 34 and frame[12:14] == b"\x08\x00":
            ip = frame[14:]
            ihl = (ip[0] & 15) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            proto = ip[9]
            l4 = ip[ihl:total]
            if proto in (6, 17) and len(l4) >= 8:
                sport, dport = struct.unpack(">HH", l4[:4])
                ends = sorted([(ip[12:16], sport), (ip[16:20], dport)])
                key = (proto, tuple(ends))
                if proto == 6:
                    payload = len(l4) - (l4[12] >> 4) * 4
                else:
                    payload = len(l4) - 8
        if key is not None:
            before = seen.get(key, 0)
            if before >= limit:
                dropped += 1
                continue
            seen[key] = before + payload
        out.append(rec)
        kept += 1
    open(dst, "wb").write(b"".join(out))
    print(f"trim_flows: {len(seen)} flows, {kept} frames kept, {dropped} dropped")


if __name__ == "__main__":
    main()
