"""A python3-libtorrent client for the capture lab.

Run with /usr/bin/python3 (Debian's python3-libtorrent is not importable from other
interpreters), and only inside a lab network namespace (`ip netns exec NS ...`).

    lt_client.py mktorrent --data FILE --out T.torrent [--tracker URL] [--piece BYTES]
                           [--version v1|v2|hybrid] [--all-hashes] [--root-cert CA.pem]
        Writes a BitTorrent v1 (default), v2-only (BEP 52) or hybrid torrent and prints its
        info-hash in hex: the v1 SHA-1, or for v2-only the SHA-256 truncated to 20 bytes (what
        the handshake and trackers carry). --all-hashes prints every 20-byte hash it is
        known by (v1 and truncated v2), space-separated, for a tracker whitelist.
        --root-cert makes an SSL torrent (libtorrent manual, "SSL torrents"): the PEM goes
        into the info dict as `ssl-cert` and every peer needs a certificate signed by it.
    lt_client.py sslcerts --out DIR --name TORRENT_NAME --peers N
        Writes the PKI of an SSL torrent: ca.pem and ca.key, peerK.pem and peerK.key (K = 1..N,
        SubjectAltName DNS = the torrent's name, signed by the CA). Ed25519 keys
        from fixed seeds, fixed serials and validity, so every run writes the same bytes (and
        the torrent made with --root-cert ca.pem has the same info-hash).
    lt_client.py run --listen IP:PORT --save DIR (--torrent T | --magnet URI) [options]
        Runs one session (a bare DHT node when neither is given) until --duration seconds have passed, then stops the torrent
        (so a "stopped" announce is sent) and exits.
"""

import argparse
import os
import signal
import sys
import time

import libtorrent as lt


def log(msg):
    print(f"[lt {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def mktorrent(args):
    fs = lt.file_storage()
    lt.add_files(fs, args.data)
    flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}
    ct = lt.create_torrent(fs, args.piece, flags=flags[args.version])
    if args.tracker:
        ct.add_tracker(args.tracker)
    ct.set_creator("torclass capture lab")
    if args.root_cert:
        with open(args.root_cert) as f:
            ct.set_root_cert(f.read())
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(args.data)))
    data = lt.bencode(ct.generate())
    with open(args.out, "wb") as f:
        f.write(data)
    hashes = lt.torrent_info(args.out).info_hashes()
    known = []
    if hashes.has_v1():
        known.append(str(hashes.v1))
    if hashes.has_v2():
        known.append(str(hashes.v2)[:40])
    print(" ".join(known) if args.all_hashes else known[0])


def sslcerts(args):
    """Deterministic Ed25519 PKI for an SSL torrent (python3-cryptography, Debian 12)."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID

    start = datetime.datetime(2026, 1, 1)
    end = datetime.datetime(2036, 1, 1)

    def key(n):
        return ed25519.Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)

    def write(name, k, cert):
        with open(os.path.join(args.out, name + ".key"), "wb") as f:
            f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
        with open(os.path.join(args.out, name + ".pem"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))

    def subject(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = key(1)
    ca = (x509.CertificateBuilder().subject_name(subject("torclass lab SSL torrent CA"))
          .issuer_name(subject("torclass lab SSL torrent CA"))
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, None))
    write("ca", ca_key, ca)
    for n in range(1, args.peers + 1):
        k = key(1 + n)
        cert = (x509.CertificateBuilder().subject_name(subject(f"peer{n}"))
                .issuer_name(ca.subject).public_key(k.public_key()).serial_number(1 + n)
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(args.name)]),
                               critical=False)
                .sign(ca_key, None))
        write(f"peer{n}", k, cert)


def session_settings(args):
    transports = set(args.transports.split(","))
    enc = {
        "plain": (lt.enc_policy.disabled, lt.enc_level.plaintext),
        "prefer": (lt.enc_policy.enabled, lt.enc_level.both),
        "rc4": (lt.enc_policy.forced, lt.enc_level.rc4),
    }[args.enc]
    s = {
        "listen_interfaces": ",".join([args.listen] + (args.listen_extra or [])),
        # --bind-outgoing: connect to peers from the listen address, not the namespace's first
        "outgoing_interfaces": args.listen.rsplit(":", 1)[0].strip("[]") if args.bind_outgoing else "",
        "enable_outgoing_tcp": "tcp" in transports,
        "enable_incoming_tcp": "tcp" in transports,
        "enable_outgoing_utp": "utp" in transports,
        "enable_incoming_utp": "utp" in transports,
        "out_enc_policy": enc[0],
        "in_enc_policy": enc[0],
        "allowed_enc_level": enc[1],
        "prefer_rc4": args.enc == "rc4",
        "enable_dht": bool(args.dht is not None),
        "dht_bootstrap_nodes": args.dht or "",
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_ignore_dark_internet": False,
        "dht_prefer_verified_node_ids": False,
        "dht_announce_interval": args.dht_announce_interval,
        "enable_lsd": args.lsd,
        "local_service_announce_interval": 5,
        "enable_upnp": False,
        "enable_natpmp": False,
        "announce_to_all_trackers": True,
        "allow_multiple_connections_per_ip": True,
        "upload_rate_limit": args.upload_limit,
        "ignore_limits_on_local_network": False,  # the whole lab is a local network
        "alert_mask": lt.alert.category_t.all_categories,
    }
    if args.proxy:
        # TYPE,HOST,PORT[,USER,PASSWORD]: peers, trackers, the DHT and uTP all go through it
        # (SOCKS5: UDP ASSOCIATE for the UDP socket).
        kind, host, port, *cred = args.proxy.split(",")
        s.update({
            "proxy_type": int(getattr(lt.proxy_type_t, kind)),
            "proxy_hostname": host,
            "proxy_port": int(port),
            "proxy_username": cred[0] if cred else "",
            "proxy_password": cred[1] if len(cred) > 1 else "",
            "proxy_peer_connections": True,
            "proxy_tracker_connections": True,
            "proxy_hostnames": True,
        })
    return s


def run(args):
    stop = {"now": False}

    def on_signal(_sig, _frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    ses = lt.session(session_settings(args))
    h = None
    if args.torrent or args.magnet:
        if args.torrent:
            atp = lt.add_torrent_params()
            atp.ti = lt.torrent_info(args.torrent)
        else:
            atp = lt.parse_magnet_uri(args.magnet)
        atp.save_path = args.save
        if args.seed:
            atp.flags |= lt.torrent_flags.seed_mode
        if args.no_pex:
            atp.flags |= lt.torrent_flags.disable_pex
        h = ses.add_torrent(atp)
        if args.ssl_cert:
            cert, key, dh = args.ssl_cert.split(",")
            h.set_ssl_certificate(cert, key, dh)
    log(f"started: torrent {h is not None}, listen {args.listen}, transports {args.transports}, "
        f"enc {args.enc}, dht {args.dht}")

    deadline = time.monotonic() + args.duration
    peers_added = False
    done_logged = False
    while not stop["now"] and time.monotonic() < deadline:
        if h is not None and args.peer and not peers_added and time.monotonic() > deadline - args.duration + args.peer_delay:
            for p in args.peer:
                ip, port = p.rsplit(":", 1)
                h.connect_peer((ip, int(port)))
                log(f"connect_peer {p}")
            peers_added = True
        for a in ses.pop_alerts():
            if args.verbose or isinstance(a, (lt.torrent_finished_alert, lt.metadata_received_alert,
                                              lt.tracker_reply_alert, lt.tracker_error_alert,
                                              lt.peer_connect_alert, lt.peer_disconnected_alert,
                                              lt.listen_failed_alert, lt.listen_succeeded_alert,
                                              lt.dht_bootstrap_alert, lt.dht_reply_alert,
                                              lt.dht_announce_alert, lt.dht_get_peers_alert,
                                              lt.torrent_need_cert_alert, lt.peer_error_alert,
                                              lt.torrent_error_alert)):
                log(f"{type(a).__name__}: {a.message()}")
        if h is None:
            time.sleep(0.2)
            continue
        st = h.status()
        if st.is_seeding and not done_logged:
            log(f"seeding/complete: {st.total_done} bytes, peers {st.num_peers}")
            done_logged = True
        time.sleep(0.2)

    if h is None:
        log(f"stopping: dht nodes {ses.status().dht_nodes}")
        del ses
        return 0
    st = h.status()
    log(f"stopping: progress {st.progress:.3f} peers {st.num_peers} seeds {st.num_seeds}")
    ses.remove_torrent(h)
    end = time.monotonic() + 2
    while time.monotonic() < end:
        for a in ses.pop_alerts():
            if isinstance(a, (lt.tracker_reply_alert, lt.tracker_error_alert, lt.torrent_removed_alert)):
                log(f"{type(a).__name__}: {a.message()}")
        time.sleep(0.1)
    del ses
    log("exited")
    return 0 if (args.seed or st.progress >= 1.0 or not args.require_complete) else 3


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("mktorrent")
    m.add_argument("--data", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--tracker")
    m.add_argument("--piece", type=int, default=32768)
    m.add_argument("--version", default="v1", choices=["v1", "v2", "hybrid"])
    m.add_argument("--all-hashes", action="store_true")
    m.add_argument("--root-cert", help="PEM CA certificate: make an SSL torrent")
    c = sub.add_parser("sslcerts")
    c.add_argument("--out", required=True)
    c.add_argument("--name", required=True, help="the torrent's name (the peers' DNS SAN)")
    c.add_argument("--peers", type=int, default=2)
    r = sub.add_parser("run")
    r.add_argument("--listen", required=True, help="IP:PORT")
    r.add_argument("--listen-extra", action="append", help="a further IP:PORT ([IPv6]:PORT)")
    r.add_argument("--bind-outgoing", action="store_true",
                   help="connect to peers from the --listen address (several clients in one namespace)")
    r.add_argument("--save", required=True)
    r.add_argument("--torrent")
    r.add_argument("--magnet")
    r.add_argument("--seed", action="store_true")
    r.add_argument("--transports", default="tcp", help="tcp, utp or tcp,utp")
    r.add_argument("--enc", default="plain", choices=["plain", "prefer", "rc4"])
    r.add_argument("--dht", help="enable the DHT, bootstrapping from these IP:PORT,... nodes")
    r.add_argument("--dht-announce-interval", type=int, default=5, help="seconds")
    r.add_argument("--lsd", action="store_true")
    r.add_argument("--no-pex", action="store_true")
    r.add_argument("--peer", action="append", help="IP:PORT to connect to directly")
    r.add_argument("--peer-delay", type=float, default=0.5)
    r.add_argument("--upload-limit", type=int, default=0, help="bytes/s, 0 = unlimited")
    r.add_argument("--duration", type=float, default=20)
    r.add_argument("--proxy", help="TYPE,HOST,PORT[,USER,PASSWORD]; TYPE socks4, socks5, "
                   "socks5_pw, http or http_pw")
    r.add_argument("--ssl-cert", help="CERT,KEY,DH: this peer's certificate for an SSL torrent")
    r.add_argument("--require-complete", action="store_true")
    r.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    if args.cmd == "mktorrent":
        mktorrent(args)
        return 0
    if args.cmd == "sslcerts":
        sslcerts(args)
        return 0
    if args.torrent and args.magnet:
        p.error("give at most one of --torrent and --magnet")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
