"""One flow: Flow.feed, its verdict, metadata and to_dict."""

from __future__ import annotations

import pytest
from conftest import HANDSHAKE

import torclass


def test_a_handshake_and_its_reply_are_confirmed() -> None:
    flow = torclass.Flow("tcp")
    assert flow.transport == "tcp"
    assert flow.verdict.verdict == "undecided"
    v = flow.feed(HANDSHAKE, "initiator")
    assert v.verdict == "undecided", "a lone handshake waits for what follows it"
    v = flow.feed(HANDSHAKE, direction="responder")
    assert v.confidence == "confirmed"
    assert "handshake_reply" in v.evidence
    assert flow.verdict == v


@pytest.mark.parametrize("size", [1, 2, 3, 7, 19, 20, 47])
def test_the_verdict_does_not_depend_on_segmentation(size: int) -> None:
    whole = torclass.Flow("tcp")
    whole.feed(HANDSHAKE)
    cut = torclass.Flow("tcp")
    for i in range(0, len(HANDSHAKE), size):
        cut.feed(HANDSHAKE[i : i + size])
    assert cut.verdict == whole.verdict
    assert cut.to_dict() == whole.to_dict()


def test_metadata_properties_use_the_record_values() -> None:
    flow = torclass.Flow("tcp")
    assert flow.info_hash is None and flow.peer_id is None and flow.client is None
    flow.feed(HANDSHAKE)
    assert flow.info_hash == "09fa9e66f74835d6ff7b6671987da2de63b35979"
    assert flow.peer_id == "-TR3000-abcdefghijkl"
    assert flow.client == "Transmission 3.00"
    assert flow.dht_node_id is None
    d = flow.to_dict()
    assert list(d) == [
        "l4",
        "verdict",
        "protocol",
        "confidence",
        "evidence",
        "info_hash",
        "peer_id",
        "client",
        "dht_node_id",
    ]
    assert d["info_hash"] == flow.info_hash and d["client"] == flow.client
    assert d["l4"] == "tcp"


def test_non_printable_peer_id_bytes_are_escaped() -> None:
    flow = torclass.Flow()
    flow.feed(HANDSHAKE[:-20] + b"\x00\xff\\" + b"a" * 17)
    assert flow.peer_id == "\\x00\\xff\\\\" + "a" * 17


def test_finish_turns_undecided_into_not_bittorrent() -> None:
    flow = torclass.Flow("udp")
    assert flow.transport == "udp"
    assert flow.finish().verdict == "not_bittorrent"
    assert flow.verdict.verdict == "not_bittorrent"


def test_gap_and_is_done() -> None:
    flow = torclass.Flow()
    flow.feed(HANDSHAKE[:10])
    flow.gap("initiator")
    assert isinstance(flow.is_done, bool)
    assert "Flow tcp" in repr(flow)


def test_flow_constructor_checks_the_transport() -> None:
    with pytest.raises(ValueError, match="'tcp' or 'udp'"):
        torclass.Flow("icmp")  # type: ignore[arg-type]
