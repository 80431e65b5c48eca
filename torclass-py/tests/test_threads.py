"""Several threads: shared Flow, Classifier and CaptureIterator objects, and parallel reads.

Any of these hanging would be a deadlock between the GIL and an object's lock, so each test
runs its threads with a deadline."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import HANDSHAKE, PEER_WIRE, read_pcap_frames

import torclass

DEADLINE = 60


def run_threads(n: int, target: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def wrapped(i: int) -> None:
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE)
        assert not t.is_alive(), "a thread hangs: deadlock?"
    assert not errors, errors


def test_parallel_reads_of_one_capture_agree(capture: Path) -> None:
    expected = [r.to_dict() for r in torclass.read_pcap(capture)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: [r.to_dict() for r in torclass.read_pcap(capture)], range(8)))
    assert all(r == expected for r in results)


def test_one_iterator_shared_by_threads_yields_each_flow_once(capture: Path) -> None:
    it = torclass.read_pcap(capture, max_flows=8)
    got: list[str] = []
    lock = threading.Lock()

    def drain(_: int) -> None:
        for record in it:
            with lock:
                got.append(record.to_json())

    run_threads(4, drain)
    small = sorted(r.to_json() for r in torclass.read_pcap(capture, max_flows=8))
    assert sorted(got) == small


def test_one_flow_fed_by_threads() -> None:
    flow = torclass.Flow("tcp")
    chunks = [PEER_WIRE[i : i + 1] for i in range(len(PEER_WIRE))]

    def feed(i: int) -> None:
        for _ in range(200):
            v = flow.feed(b"", "initiator")
            assert v.verdict in ("undecided", "bittorrent")
            flow.to_dict()
            _ = flow.verdict, flow.peer_id
        if i == 0:
            for c in chunks:
                flow.feed(c)

    run_threads(8, feed)
    assert flow.verdict.protocol == "peer_wire"
    assert flow.client == "Transmission 3.00"


def test_many_flows_in_a_pool() -> None:
    def one(i: int) -> str:
        flow = torclass.Flow("tcp")
        for j in range(0, len(PEER_WIRE), 1 + i % 7):
            flow.feed(bytearray(PEER_WIRE[j : j + 1 + i % 7]))
        return flow.verdict.protocol or ""

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(one, range(400))) == {"peer_wire"}


def test_classify_many_in_threads() -> None:
    payloads = [HANDSHAKE, b"GET / HTTP/1.1\r\n\r\n", memoryview(HANDSHAKE)] * 300
    expected = torclass.classify_many(payloads)

    def work(_: int) -> None:
        assert torclass.classify_many(payloads) == expected

    run_threads(6, work)


def test_one_classifier_fed_by_threads(capture: Path) -> None:
    frames = list(read_pcap_frames(capture))
    classifier = torclass.Classifier(max_flows=4096)
    parts = [frames[i::4] for i in range(4)]

    def feed(i: int) -> None:
        for ts, link, frame in parts[i]:
            classifier.feed(frame, link, ts)
            if i == 0 and ts % 1 < 0.001:
                classifier.take_finished()

    run_threads(4, feed)
    assert classifier.packet_stats()["frames"] == len(frames)
    classifier.finish()
