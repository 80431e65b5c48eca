"""Memory stays flat while iterating a capture many times."""

from __future__ import annotations

import gc
import threading
import tracemalloc
from pathlib import Path

from conftest import Frame, HANDSHAKE

import torclass


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def read_all(path: Path, **kwargs: object) -> int:
    n = 0
    for record in torclass.read_pcap(path, **kwargs):  # type: ignore[arg-type]
        record.to_dict()
        n += 1
    return n


def test_iterating_a_capture_many_times_keeps_memory_flat(capture: Path) -> None:
    for _ in range(3):  # warm up allocator pools
        read_all(capture)
    gc.collect()
    rss_before = rss_kib()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(25):
            read_all(capture)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_after = rss_kib()
    assert after - before < 64 * 1024, f"Python heap grew by {after - before} bytes"
    assert rss_after - rss_before < 16 * 1024, f"RSS grew by {rss_after - rss_before} KiB"


def test_a_large_capture_reads_in_constant_memory(write_pcap) -> None:  # type: ignore[no-untyped-def]
    """200 000 packets of 2 000 flows (about 20 MB): memory while reading stays far below
    the file size, since the file is streamed and records come out one at a time."""
    frames = [
        Frame(f"10.1.{(i % 2000) // 250}.{(i % 2000) % 250 + 1}", 6881, "10.0.0.9", 6881,
              HANDSHAKE + bytes(40), ts=1.7e9 + i * 1e-4)
        for i in range(200_000)
    ]
    path = write_pcap(frames)
    del frames
    gc.collect()
    size_kib = path.stat().st_size // 1024
    read_all(path, max_flows=4096)
    rss_before = rss_kib()
    peak = rss_before
    stop = threading.Event()

    def sample() -> None:  # runs while the reader holds no GIL
        nonlocal peak
        while not stop.wait(0.002):
            peak = max(peak, rss_kib())

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        n = read_all(path, max_flows=4096)
    finally:
        stop.set()
        sampler.join()
    assert n >= 2000
    assert peak - rss_before < size_kib // 4, f"RSS grew by {peak - rss_before} KiB for a {size_kib} KiB file"


def test_many_flows_and_payload_types_do_not_leak() -> None:
    for _ in range(2000):  # warm up
        torclass.Flow("tcp").feed(bytearray(HANDSHAKE))
    gc.collect()
    rss_before = rss_kib()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for i in range(30_000):
            flow = torclass.Flow("tcp" if i % 2 else "udp")
            flow.feed([HANDSHAKE, bytearray(HANDSHAKE), memoryview(HANDSHAKE)[1:]][i % 3])
            flow.to_dict()
            torclass.classify(memoryview(bytearray(HANDSHAKE)))
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 64 * 1024
    assert rss_kib() - rss_before < 8 * 1024
