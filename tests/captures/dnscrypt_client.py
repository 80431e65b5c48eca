"""A DNSCrypt v2 client (https://dnscrypt.info/protocol) for the capture lab: fetches the
resolver's certificate (a TXT query for the provider name, with EDNS0, to UDP 443), checks its
Ed25519 signature with the provider's public key, then sends encrypted queries over UDP and one
over TCP and decrypts the answers. Debian 12 has no dnscrypt-proxy; the server is dnsdist.

Run with /usr/bin/python3 (python3-nacl) inside a lab namespace:

    dnscrypt_client.py SERVER PORT PROVIDER PROVIDER_PUBLIC_KEY_FILE NAME [COUNT]
"""

import os
import socket
import struct
import sys

from nacl.public import Box, PrivateKey, PublicKey
from nacl.signing import VerifyKey

RESOLVER_MAGIC = b"r6fnvWj8"


def dns_query(name, qtype, edns=True, qid=None):
    qid = qid if qid is not None else struct.unpack("!H", os.urandom(2))[0]
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    for label in name.rstrip(".").split("."):
        msg += bytes([len(label)]) + label.encode()
    msg += b"\0" + struct.pack("!HH", qtype, 1)
    if edns:
        msg += b"\0" + struct.pack("!HHIH", 41, 4096, 0, 0)
    return msg


def skip_name(msg, at):
    while True:
        n = msg[at]
        if n & 0xC0 == 0xC0:
            return at + 2
        at += 1 + n
        if n == 0:
            return at


def txt_answers(msg):
    qd, an = struct.unpack("!HH", msg[4:8])
    at = 12
    for _ in range(qd):
        at = skip_name(msg, at) + 4
    for _ in range(an):
        at = skip_name(msg, at)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", msg[at:at + 10])
        at += 10
        rdata = msg[at:at + rdlen]
        at += rdlen
        if rtype == 16:
            out, i = b"", 0
            while i < len(rdata):
                out += rdata[i + 1:i + 1 + rdata[i]]
                i += 1 + rdata[i]
            yield out


def certificate(server, port, provider, provider_pk):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(3)
    sock.sendto(dns_query(provider, 16), (server, port))
    answer, _ = sock.recvfrom(4096)
    for cert in txt_answers(answer):
        if cert[:4] != b"DNSC" or struct.unpack("!H", cert[4:6])[0] != 1:
            continue
        signed = VerifyKey(provider_pk).verify(cert[72:], cert[8:72])
        resolver_pk, client_magic = signed[:32], signed[32:40]
        return resolver_pk, client_magic
    raise SystemExit("no X25519-XSalsa20Poly1305 certificate in the answer")


def pad(query, block):
    padded = query + b"\x80"
    while len(padded) % block or len(padded) < 256:
        padded += b"\0"
    return padded


def main():
    server, port, provider, pk_file, name = sys.argv[1:6]
    count = int(sys.argv[6]) if len(sys.argv) > 6 else 4
    port = int(port)
    with open(pk_file, "rb") as f:
        provider_pk = f.read()[-32:]
    resolver_pk, client_magic = certificate(server, port, provider, provider_pk)
    client_sk = PrivateKey.generate()
    box = Box(client_sk, PublicKey(resolver_pk))
    for i in range(count + 1):
        tcp = i == count
        nonce = os.urandom(12)
        sealed = box.encrypt(pad(dns_query(name, 1), 64), nonce + b"\0" * 12).ciphertext
        packet = client_magic + bytes(client_sk.public_key) + nonce + sealed
        if tcp:
            sock = socket.create_connection((server, port), timeout=3)
            sock.sendall(struct.pack("!H", len(packet)) + packet)
            size = struct.unpack("!H", sock.recv(2))[0]
            reply = b""
            while len(reply) < size:
                reply += sock.recv(size - len(reply))
            sock.close()
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.settimeout(3)
            sock.sendto(packet, (server, port))
            reply, _ = sock.recvfrom(4096)
        if reply[:8] != RESOLVER_MAGIC or reply[8:20] != nonce:
            raise SystemExit("not a DNSCrypt answer to this query")
        plain = box.decrypt(reply[32:], reply[8:32])
        if struct.unpack("!H", plain[6:8])[0] < 1:
            raise SystemExit(f"no answer for {name}")
    print(f"{count + 1} DNSCrypt queries answered")


if __name__ == "__main__":
    main()
