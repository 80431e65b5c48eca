"""One payload: classify, classify_many, Verdict, and the accepted buffer types."""

from __future__ import annotations

import array
import json
import mmap

import numpy as np
import pytest
from conftest import PEER_WIRE

import torclass

ANNOUNCE = (
    b"GET /announce?info_hash=%09%fa%9ef%f7H5%d6%ff%7bfq%98%7d%a2%dec%b3Yy"
    b"&peer_id=-TR3000-abcdefghijkl&port=51413&uploaded=0&downloaded=0&left=0"
    b"&compact=1&event=started HTTP/1.1\r\nHost: tracker\r\n\r\n"
)


def test_handshake_is_peer_wire() -> None:
    v = torclass.classify(PEER_WIRE, transport="tcp")
    assert v.verdict == "bittorrent"
    assert v.protocol == "peer_wire"
    assert v.confidence == "confirmed"
    assert "handshake" in v.evidence
    assert v.is_bittorrent and bool(v)
    assert str(v) == "bittorrent/peer_wire/confirmed"
    assert "peer_wire" in repr(v)


def test_to_dict_uses_the_record_keys_and_values() -> None:
    v = torclass.classify(PEER_WIRE)
    d = v.to_dict()
    assert list(d) == ["verdict", "protocol", "confidence", "evidence"]
    assert d["verdict"] == "bittorrent" and d["protocol"] == "peer_wire"
    assert d["evidence"] == v.evidence
    assert json.loads(json.dumps(d)) == d
    assert set(d) <= set(torclass.COLUMNS)


def test_http_announce_is_http_tracker() -> None:
    assert torclass.classify(ANNOUNCE).protocol == "http_tracker"


def test_other_traffic_is_not_bittorrent_or_undecided() -> None:
    http = torclass.classify(b"GET /index.html HTTP/1.1\r\nHost: example.org\r\n\r\n")
    assert http.verdict in ("not_bittorrent", "undecided")
    assert not http
    assert http.protocol is None and http.confidence is None and http.evidence == []
    assert torclass.classify(b"").verdict == "undecided"


def test_verdicts_compare_and_hash() -> None:
    a, b = torclass.classify(PEER_WIRE), torclass.classify(bytes(PEER_WIRE))
    assert a == b and hash(a) == hash(b)
    assert a != torclass.classify(b"")
    assert len({a, b}) == 1


@pytest.mark.parametrize(
    "make",
    [
        bytes,
        bytearray,
        memoryview,
        lambda b: memoryview(bytearray(b)),
        lambda b: memoryview(bytearray(b)).toreadonly(),
        lambda b: memoryview(b"xx" + b + b"yy")[2:-2],
        lambda b: np.frombuffer(b, dtype=np.uint8),
        lambda b: np.array(list(b), dtype=np.uint8),
        lambda b: array.array("B", b),
    ],
    ids=[
        "bytes",
        "bytearray",
        "memoryview",
        "memoryview-bytearray",
        "readonly-memoryview-bytearray",
        "memoryview-slice",
        "numpy-readonly",
        "numpy",
        "array",
    ],
)
def test_every_bytes_like_object_gives_the_same_verdict(make) -> None:  # type: ignore[no-untyped-def]
    expected = torclass.classify(PEER_WIRE)
    assert torclass.classify(make(PEER_WIRE)) == expected
    flow = torclass.Flow("tcp")
    assert flow.feed(make(PEER_WIRE)) == expected


def test_non_contiguous_and_mmap_buffers_are_read_correctly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    doubled = bytes(b for c in PEER_WIRE for b in (c, 0))
    strided = memoryview(doubled)[::2]
    assert not strided.c_contiguous
    assert torclass.classify(strided) == torclass.classify(PEER_WIRE)
    path = tmp_path / "payload"
    path.write_bytes(PEER_WIRE)
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        assert torclass.classify(m) == torclass.classify(PEER_WIRE)


def test_inputs_are_not_modified() -> None:
    buf = bytearray(PEER_WIRE)
    torclass.classify(buf)
    torclass.classify_many([buf, memoryview(buf)])
    assert buf == PEER_WIRE


@pytest.mark.parametrize("bad", [None, 42, 1.5, ["x"], object(), {"a": 1}])
def test_wrong_types_raise_a_type_error_naming_the_accepted_ones(bad: object) -> None:
    with pytest.raises(TypeError, match=r"bytes, bytearray or memoryview.*bytes\(pkt\)"):
        torclass.classify(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes, bytearray or memoryview"):
        torclass.Flow().feed(bad)  # type: ignore[arg-type]


def test_str_says_to_encode() -> None:
    with pytest.raises(TypeError, match="encode"):
        torclass.classify("\x13BitTorrent protocol")  # type: ignore[arg-type]


def test_a_packet_object_gets_the_bytes_hint() -> None:
    class Packet:  # what scapy users pass by mistake
        pass

    with pytest.raises(TypeError, match=r"not Packet; did you mean bytes\(pkt\)\?"):
        torclass.classify(Packet())  # type: ignore[arg-type]


def test_non_byte_buffers_are_refused() -> None:
    with pytest.raises(TypeError):
        torclass.classify(array.array("i", [1, 2, 3]))  # type: ignore[arg-type]


def test_bad_names_list_the_valid_values() -> None:
    with pytest.raises(ValueError, match="'tcp' or 'udp'"):
        torclass.classify(b"x", transport="sctp")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'initiator' or 'responder'"):
        torclass.Flow().feed(b"x", direction="server")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        torclass.classify(b"x", transport=6)  # type: ignore[arg-type]


def test_classify_many_matches_classify() -> None:
    payloads = [PEER_WIRE, ANNOUNCE, b"", b"hello", bytearray(PEER_WIRE), memoryview(ANNOUNCE)]
    many = torclass.classify_many(payloads, transport="tcp")
    assert many == [torclass.classify(p) for p in payloads]
    assert torclass.classify_many(iter([PEER_WIRE])) == [torclass.classify(PEER_WIRE)]
    assert torclass.classify_many([]) == []


def test_classify_many_rejects_bad_items_and_iterables() -> None:
    with pytest.raises(TypeError, match="each payload must be bytes"):
        torclass.classify_many([PEER_WIRE, 3])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        torclass.classify_many(3)  # type: ignore[arg-type]


def test_random_payloads_never_crash() -> None:
    rng = np.random.default_rng(6)
    for n in range(2000):
        payload = rng.integers(0, 256, size=int(rng.integers(0, 300)), dtype=np.uint8).tobytes()
        for transport in ("tcp", "udp"):
            v = torclass.classify(payload, transport)
            assert v.verdict in ("bittorrent", "not_bittorrent", "undecided")
        if n % 100 == 0:
            torclass.classify(PEER_WIRE[: n % len(PEER_WIRE)] + payload)


def test_module_constants() -> None:
    assert torclass.FLOW_STATE_SIZE == 96
    assert torclass.COLUMNS[:5] == ["l4", "src", "sport", "dst", "dport"]
    assert len(torclass.COLUMNS) == 24
    assert torclass.COLUMNS[9:13] == ["packets_out", "bytes_out", "packets_in", "bytes_in"]
    assert torclass.COLUMNS[-2:] == ["tunnel", "tunnel_dst"]
    assert torclass.__version__
