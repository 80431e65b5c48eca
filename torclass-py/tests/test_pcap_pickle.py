"""A read_pcap iterator pickled part-way goes on where it stopped: it reopens its path or
bytes, passes over the records it had read and yields what an uninterrupted run yields."""

from __future__ import annotations

import copy
import io
import os
import pickle
import struct
from pathlib import Path

import pytest
from conftest import captures_dir, read_pcap_frames

import torclass

CAPTURES = sorted(captures_dir().glob("*.pcap"))


def packets_read(it: torclass.CaptureIterator) -> int:
    """How many packets the pickle says were read (the sixth argument of _from_state)."""
    return int(it.__reduce__()[1][5])


def resumed(source: object, at: int, **kwargs: object) -> list[torclass.FlowRecord]:
    """The records of `source`: `at` of them, then the rest from a pickled copy."""
    it = torclass.read_pcap(source, **kwargs)  # type: ignore[arg-type]
    records = [r for _, r in zip(range(at), it)]
    again = pickle.loads(pickle.dumps(it))
    return records + list(again)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_pickled_half_way_gives_the_records_of_an_uninterrupted_run(path: Path) -> None:
    # 16 slots: most captures evict flows, whose records come while the file is read.
    expected = list(torclass.read_pcap(path, max_flows=16))
    for at in sorted({0, len(expected) // 2, len(expected)}):
        assert resumed(path, at, max_flows=16) == expected, f"pickled after {at} records"
    data = path.read_bytes()
    assert resumed(data, len(expected) // 2, max_flows=16) == expected


def long_capture(tmp_path: Path) -> Path:
    """The committed Ethernet captures one after another, an hour apart: more packets than
    read_pcap reads in one step (8192), so pickles fall part-way through the file."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    shift = 0.0
    for path in CAPTURES:
        frames = list(read_pcap_frames(path))
        if not frames or frames[0][1] != 1:
            continue
        base = frames[0][0]
        for ts, _, frame in frames:
            t = ts - base + 1_700_000_000 + shift
            sec = int(t)
            out.append(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(frame), len(frame)))
            out.append(frame)
        shift += 3600
    path = tmp_path / "long.pcap"
    path.write_bytes(b"".join(out))
    return path


def test_pickled_part_way_through_a_long_file(tmp_path: Path) -> None:
    path = long_capture(tmp_path)
    uninterrupted = torclass.read_pcap(path, max_flows=64)
    expected = list(uninterrupted)
    total = uninterrupted.packet_stats()["frames"]
    assert total > 3 * 8192
    for mmap in (True, False):
        it = torclass.read_pcap(path, max_flows=64, mmap=mmap)
        records: list[torclass.FlowRecord] = []
        part_way = 0
        while (record := next(it, None)) is not None:
            records.append(record)
            if len(records) % 50 == 0:
                part_way += 0 < packets_read(it) < total
                it = pickle.loads(pickle.dumps(it)) if len(records) % 100 else copy.copy(it)
        assert part_way > 3
        assert records == expected
        assert it.packet_stats() == uninterrupted.packet_stats()


def test_a_damaged_file_raises_its_error_after_the_unpickled_records(tmp_path: Path) -> None:
    whole = long_capture(tmp_path).read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(whole[: len(whole) * 2 // 3 + 5])

    def run(every: int | None) -> tuple[list[torclass.FlowRecord], str]:
        it = torclass.read_pcap(cut, max_flows=64)
        records: list[torclass.FlowRecord] = []
        with pytest.raises(torclass.CaptureError) as info:
            while True:
                records.append(next(it))
                if every and len(records) % every == 0:
                    it = pickle.loads(pickle.dumps(it))
        return records, str(info.value)

    expected = run(None)
    assert expected[0]
    assert run(7) == expected
    # Pickled after the last record, before the error: the error still comes.
    it = torclass.read_pcap(cut, max_flows=64)
    for _ in range(len(expected[0])):
        next(it)
    with pytest.raises(torclass.CaptureError):
        next(pickle.loads(pickle.dumps(it)))
    # Raised once, the error is not raised again by a copy.
    with pytest.raises(torclass.CaptureError):
        next(it)
    assert list(pickle.loads(pickle.dumps(it))) == []


def test_a_file_that_changed_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "changing.pcap"
    path.write_bytes(long_capture(tmp_path).read_bytes())
    it = torclass.read_pcap(path, max_flows=64)
    while packets_read(it) == 0:
        next(it)
    state = pickle.dumps(it)
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(ValueError, match="changed since the read_pcap iterator was pickled"):
        pickle.loads(state)
    path.unlink()
    with pytest.raises(FileNotFoundError):
        pickle.loads(state)


def test_what_cannot_be_reopened_is_a_type_error(tmp_path: Path) -> None:
    data = CAPTURES[0].read_bytes()
    with pytest.raises(TypeError, match="file object cannot be pickled"):
        pickle.dumps(torclass.read_pcap(io.BytesIO(data)))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    try:
        os.write(fd, data[:4096])
        with pytest.raises(TypeError, match="not a regular file"):
            pickle.dumps(torclass.read_pcap(fifo, mmap=False))
    finally:
        os.close(fd)
    with pytest.raises(ValueError, match="not the state of a read_pcap iterator"):
        torclass.CaptureIterator._from_state(  # type: ignore[attr-defined]
            "torclass.CaptureIterator/0", data, 16, True, True, 0, 0, (False, False), b"", []
        )


def test_read_pcap_reads_bytes_and_file_objects_as_a_path() -> None:
    path = CAPTURES[0]
    expected = list(torclass.read_pcap(path))
    data = path.read_bytes()
    assert list(torclass.read_pcap(data)) == expected
    assert list(torclass.read_pcap(bytearray(data))) == expected
    assert list(torclass.read_pcap(memoryview(data))) == expected
    with path.open("rb") as f:
        assert list(torclass.read_pcap(f)) == expected
    with pytest.raises(TypeError, match="read_pcap reads a path, the bytes of a capture"):
        torclass.read_pcap(42)  # type: ignore[arg-type]
