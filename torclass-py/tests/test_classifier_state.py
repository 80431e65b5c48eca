"""A Classifier pickled mid-capture goes on where it stopped: its records equal those of a run
without the pause, on every committed capture; other bytes are a ValueError."""

from __future__ import annotations

import copy
import pickle
import random
import warnings
from pathlib import Path

import pytest
from conftest import captures_dir, peer_wire_flow, read_pcap_frames

import torclass

CAPTURES = sorted(captures_dir().glob("*.pcap"))


def run(
    frames: list[tuple[float, int, bytes]], every: int | None, max_flows: int
) -> tuple[list[object], list[dict[str, object]], dict[str, int], int]:
    """Feed `frames`, pickling the classifier and going on with the copy every `every` frames
    (at the next frame where no IP datagram is half reassembled). Returns what each feed
    returned, the records at the end, the counters and how many times it was pickled."""
    clf = torclass.Classifier(max_flows=max_flows)
    fed: list[object] = []
    pickles = 0
    due = every
    for i, (ts, link_type, frame) in enumerate(frames):
        if due is not None and i >= due:
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                try:
                    state = pickle.dumps(clf)
                except RuntimeWarning:
                    state = None
            if state is not None:
                clf = pickle.loads(state)
                pickles += 1
                due = i + (every or 0)
        record = clf.feed(frame, link_type, ts)
        fed.append(None if record is None else record.to_dict())
    records = [r.to_dict() for r in clf.take_finished() + clf.finish()]
    return fed, records, clf.packet_stats(), pickles


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_pickled_mid_capture_gives_the_records_of_an_uninterrupted_run(path: Path) -> None:
    frames = list(read_pcap_frames(path))
    # 1024 slots: the larger captures evict flows, whose records wait in the pickle.
    expected = run(frames, None, 1024)
    for every in sorted({max(1, len(frames) // 8), 97}):
        fed, records, stats, pickles = run(frames, every, 1024)
        assert pickles > 0 or len(frames) <= every
        assert stats == expected[2]
        assert records == expected[1], f"records differ, pickled every {every} frames"
        assert fed == expected[0], f"fed records differ, pickled every {every} frames"


def test_default_size_and_copies() -> None:
    frames = list(read_pcap_frames(CAPTURES[0]))
    half = len(frames) // 2
    clf = torclass.Classifier()
    for ts, lt, f in frames[:half]:
        clf.feed(f, lt, ts)
    copies = [copy.copy(clf), copy.deepcopy(clf), pickle.loads(pickle.dumps(clf))]
    for c in [clf, *copies]:
        for ts, lt, f in frames[half:]:
            c.feed(f, lt, ts)
    want = [r.to_dict() for r in clf.finish()]
    assert want and all([r.to_dict() for r in c.finish()] == want for c in copies)


def test_a_half_reassembled_datagram_is_dropped_with_a_warning() -> None:
    frames = list(read_pcap_frames(captures_dir() / "fragments.pcap"))
    clf = torclass.Classifier(max_flows=1024)
    warned = 0
    for ts, lt, f in frames:
        clf.feed(f, lt, ts)
        if clf.packet_stats()["later_fragments"] == 0:
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clf = pickle.loads(pickle.dumps(clf))
        warned += sum(issubclass(w.category, RuntimeWarning) for w in caught)
        assert all("reassembling" in str(w.message) for w in caught)
    assert warned > 0
    assert clf.finish()


def state_of(n: int = 2) -> bytes:
    clf = torclass.Classifier(max_flows=64)
    for frame in peer_wire_flow(n):
        clf.feed(frame.bytes(), 1, frame.ts)
    _, (state,) = clf.__reduce__()
    assert isinstance(state, bytes)
    return state


def test_other_bytes_are_a_value_error() -> None:
    state = state_of()
    torclass.Classifier._from_state(state)
    for bad in (b"", b"junk", state[:-1], state + b"\x00", state[:19] + b"\x02" + state[20:]):
        with pytest.raises(ValueError, match="not the state of a torclass.Classifier"):
            torclass.Classifier._from_state(bad)
    with pytest.raises(ValueError, match="version 2"):
        torclass.Classifier._from_state(state[:19] + b"\x02" + state[20:])
    # Another max_flows: the flow table's shape differs.
    other = state[:20] + (65).to_bytes(8, "little") + state[28:]
    with pytest.raises(ValueError, match="slots"):
        torclass.Classifier._from_state(other)


def test_corrupted_bytes_never_crash() -> None:
    state = state_of()
    rng = random.Random(16)
    for cut in [*range(0, len(state), 5), len(state) - 1]:
        with pytest.raises(ValueError):
            torclass.Classifier._from_state(state[:cut])
    accepted = 0
    for _ in range(500):
        b = bytearray(state)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(29, len(b))] = rng.randrange(256)
        try:
            clf = torclass.Classifier._from_state(bytes(b))
        except ValueError:
            continue
        accepted += 1
        for frame in peer_wire_flow(3):
            clf.feed(frame.bytes(), 1, frame.ts)
        clf.finish()
    assert accepted < 500


def test_a_read_pcap_iterator_over_a_file_object_says_what_pickles() -> None:
    with CAPTURES[0].open("rb") as f, pytest.raises(TypeError, match="Classifier, which pickles"):
        pickle.dumps(torclass.read_pcap(f))
