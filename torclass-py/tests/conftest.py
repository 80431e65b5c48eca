"""Shared fixtures: the committed real captures and a writer of small synthetic ones."""

from __future__ import annotations

import json
import os
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def captures_dir() -> Path:
    """tests/captures of the repository, or $TORCLASS_CAPTURES."""
    return Path(os.environ.get("TORCLASS_CAPTURES", REPO / "tests" / "captures"))


def labelled_captures() -> list[Path]:
    """Every capture that has a ``.labels.jsonl`` beside it."""
    return sorted(p for p in captures_dir().glob("*.pcap*") if label_file(p).exists())


def label_file(capture: Path) -> Path:
    return capture.with_name(capture.name.split(".")[0] + ".labels.jsonl")


def labels(capture: Path) -> list[dict[str, object]]:
    lines = label_file(capture).read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def no_captures() -> None:
    """No labelled capture: skip loudly, or fail in CI (the captures are committed)."""
    reason = f"no labelled captures (*.pcap with *.labels.jsonl) in {captures_dir()}"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip("SKIPPED LOUDLY: " + reason)


@pytest.fixture
def capture() -> Path:
    """A real capture with BitTorrent peer wire flows in it (the largest such)."""
    found = [p for p in labelled_captures() if any(l["label"] == "peer_wire" for l in labels(p))]
    if not found:
        no_captures()
    return max(found, key=lambda p: p.stat().st_size)


# --- synthetic captures -------------------------------------------------------------------


@dataclass
class Frame:
    """One Ethernet/IPv4 frame carrying TCP or UDP."""

    src: str
    sport: int
    dst: str
    dport: int
    payload: bytes
    ts: float = 1_700_000_000.0
    udp: bool = False
    flags: int = 0x18  # PSH|ACK
    seq: int = 1000

    def bytes(self) -> bytes:
        if self.udp:
            l4 = struct.pack("!HHHH", self.sport, self.dport, 8 + len(self.payload), 0)
            proto = 17
        else:
            l4 = struct.pack(
                "!HHIIBBHHH", self.sport, self.dport, self.seq, 0, 5 << 4, self.flags, 65535, 0, 0
            )
            proto = 6
        total = 20 + len(l4) + len(self.payload)
        ip = struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            0,
            total,
            0,
            0x4000,
            64,
            proto,
            0,
            bytes(int(x) for x in self.src.split(".")),
            bytes(int(x) for x in self.dst.split(".")),
        )
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
        return eth + ip + l4 + self.payload


def pcap_bytes(frames: Iterable[Frame]) -> bytes:
    """A classic pcap file (microsecond timestamps, Ethernet) of ``frames``."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for f in frames:
        data = f.bytes()
        sec = int(f.ts)
        usec = int(round((f.ts - sec) * 1e6))
        out.append(struct.pack("<IIII", sec, usec, len(data), len(data)))
        out.append(data)
    return b"".join(out)


def read_pcap_frames(path: Path) -> Iterator[tuple[float, int, bytes]]:
    """(ts, link_type, frame) of a classic little- or big-endian pcap file, for tests that feed
    the packet-level Classifier the way a scapy or dpkt user would."""
    data = path.read_bytes()
    magic = data[:4]
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
              b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}[magic]
    nanos = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    link_type = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off : off + 16])
        off += 16
        yield sec + frac / (1e9 if nanos else 1e6), link_type, data[off : off + caplen]
        off += caplen


HANDSHAKE = (
    b"\x13BitTorrent protocol"
    + bytes([0, 0, 0, 0, 0, 0x10, 0, 0x05])
    + bytes.fromhex("09fa9e66f74835d6ff7b6671987da2de63b35979")
    + b"-TR3000-abcdefghijkl"
)
"""A BEP 3 handshake with the extension (BEP 10), DHT and fast (BEP 6) bits and a
Transmission 3.00 peer id."""

PEER_WIRE = HANDSHAKE + b"\x00\x00\x00\x01\x02"
"""The handshake and an ``interested`` message: conclusive on its own (a lone handshake waits for
what follows it: a valid message, the other side's reply or the flow's end)."""


def peer_wire_flow(n: int, ts: float = 1_700_000_000.0) -> list[Frame]:
    """A TCP flow between two peers: handshake and reply. ``n`` picks the port."""
    a, b = "10.0.0.1", "10.0.0.2"
    return [
        Frame(a, 40000 + n, b, 6881, HANDSHAKE, ts=ts),
        Frame(b, 6881, a, 40000 + n, HANDSHAKE, ts=ts + 0.001),
    ]


@pytest.fixture
def write_pcap(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write frames to a pcap file in tmp_path and return its path."""
    counter = iter(range(1_000_000))

    def write(frames: Iterable[Frame]) -> Path:
        path = tmp_path / f"synthetic-{next(counter)}.pcap"
        path.write_bytes(pcap_bytes(frames))
        return path

    return write


def feed_pipe(
    fifo: Path,
    head: bytes,
    body: bytes,
    stop: threading.Event,
    *,
    after: threading.Event | None = None,
    repeat: bool = False,
) -> threading.Thread:
    """Start a thread that opens the pipe ``fifo`` for writing (waiting for a reader), writes
    ``head``, then ``body`` once ``after`` is set (if given): once, keeping the pipe open until
    ``stop``; or, with ``repeat``, again every 5 ms until ``stop`` (at most 60 s, then the pipe
    closes). A reader that goes away ends it (EPIPE)."""

    def run() -> None:
        try:
            with open(fifo, "wb") as f:
                f.write(head)
                f.flush()
                if after is not None:
                    after.wait(30)
                deadline = time.monotonic() + 60
                f.write(body)
                f.flush()
                while repeat and not stop.is_set() and time.monotonic() < deadline:
                    time.sleep(0.005)
                    f.write(body)
                    f.flush()
                if not repeat:
                    stop.wait(30)
        except BrokenPipeError:
            return

    thread = threading.Thread(target=run)
    thread.start()
    return thread
