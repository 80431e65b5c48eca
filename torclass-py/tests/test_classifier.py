"""Packets: the packet-level Classifier, fed frames the way a scapy, dpkt or pyshark user would."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Frame, labelled_captures, peer_wire_flow, read_pcap_frames

import torclass


def test_frames_give_the_records_read_pcap_gives(capture: Path) -> None:
    classifier = torclass.Classifier()
    last = None
    for ts, link_type, frame in read_pcap_frames(capture):
        record = classifier.feed(frame, link_type=link_type, ts=ts)
        last = record or last
    assert last is not None
    fed = [r.to_dict() for r in classifier.finish()]
    read = [r.to_dict() for r in torclass.read_pcap(capture)]
    assert len(fed) == len(read)
    for a, b in zip(fed, read):
        # Timestamps went through a float here and exact nanoseconds there.
        for key in ("first_ts", "last_ts"):
            assert a.pop(key) == pytest.approx(b.pop(key), abs=2e-6)
        assert a == b
    assert classifier.finish() == []


@pytest.mark.parametrize("path", labelled_captures()[:3], ids=lambda p: p.name)
def test_every_fed_frame_is_counted(path: Path) -> None:
    classifier = torclass.Classifier(max_flows=1024, endpoint_cache=False)
    n = 0
    for ts, link_type, frame in read_pcap_frames(path):
        classifier.feed(memoryview(frame), link_type, ts)
        n += 1
    stats = classifier.packet_stats()
    assert stats["frames"] == n
    assert stats["classified"] + stats["unsupported"] + stats["malformed"] + stats["later_fragments"] == n


def test_each_frame_returns_its_flow_so_far() -> None:
    classifier = torclass.Classifier(max_flows=16)
    first, reply = peer_wire_flow(1)
    r1 = classifier.feed(first.bytes(), 1, first.ts)
    assert r1 is not None and r1.verdict == "undecided", "a lone handshake waits for the reply"
    assert (r1.src, r1.sport, r1.dst, r1.dport, r1.packets) == ("10.0.0.1", 40001, "10.0.0.2", 6881, 1)
    r2 = classifier.feed(bytearray(reply.bytes()), link_type=1, ts=reply.ts)
    assert r2 is not None and r2.confidence == "confirmed" and r2.packets == 2
    assert r2.src == "10.0.0.1", "src stays the side that sent the first packet"


def test_raw_ip_frames() -> None:
    frame = Frame("10.0.0.1", 40000, "10.0.0.2", 6881, peer_wire_flow(0)[0].payload).bytes()[14:]
    record = torclass.Classifier().feed(frame, link_type=101, ts=1.0)
    assert record is not None and "handshake" in record.evidence


def test_frames_that_are_not_tcp_or_udp_give_none() -> None:
    classifier = torclass.Classifier()
    arp = b"\xff" * 6 + b"\x02" * 6 + b"\x08\x06" + bytes(28)
    assert classifier.feed(arp) is None
    assert classifier.feed(b"") is None
    assert classifier.feed(b"\x00" * 13) is None
    stats = classifier.packet_stats()
    assert stats["frames"] == 3 and stats["classified"] == 0


def test_evicted_flows_come_out_of_take_finished() -> None:
    classifier = torclass.Classifier(max_flows=2)
    for i in range(10):
        f = Frame(f"10.0.1.{i + 1}", 5000, "10.0.0.9", 53, b"q" * 20, ts=1.7e9 + i, udp=True)
        classifier.feed(f.bytes(), 1, f.ts)
    taken = classifier.take_finished()
    rest = classifier.finish()
    assert len(taken) >= 8 and len(taken) + len(rest) == 10
    assert classifier.take_finished() == []


def test_bad_arguments() -> None:
    classifier = torclass.Classifier()
    with pytest.raises(ValueError, match="link type 147"):
        classifier.feed(b"x", link_type=147)
    with pytest.raises(ValueError, match="finite"):
        classifier.feed(b"x", ts=float("nan"))
    with pytest.raises(TypeError, match=r"did you mean bytes\(pkt\)"):
        classifier.feed(object())  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        classifier.feed(b"x", link_type=-1)


def test_decimal_timestamps_as_scapy_gives_them() -> None:
    from decimal import Decimal

    first, _ = peer_wire_flow(1)
    record = torclass.Classifier().feed(first.bytes(), 1, Decimal("1700000000.25"))  # type: ignore[arg-type]
    assert record is not None and record.first_ts == 1700000000.25


def test_garbage_frames_never_crash() -> None:
    import random

    rng = random.Random(6)
    classifier = torclass.Classifier(max_flows=64)
    template = peer_wire_flow(1)[0].bytes()
    for i in range(5000):
        frame = bytearray(template if i % 2 else rng.randbytes(rng.randrange(80)))
        for _ in range(rng.randrange(6)):
            if frame:
                frame[rng.randrange(len(frame))] = rng.randrange(256)
        link = rng.choice([0, 1, 101, 108, 113, 228, 229, 276])
        record = classifier.feed(bytes(frame[: rng.randrange(len(frame) + 1)]), link, i * 0.001)
        if record is not None:
            record.to_dict()
    for record in classifier.finish():
        record.to_json()
