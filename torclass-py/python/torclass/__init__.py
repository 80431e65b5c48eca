"""torclass: tell BitTorrent traffic from everything else.

Three levels, one vocabulary (the names and values of the JSON-lines flow record that
``torclass classify --format jsonl`` writes):

* one payload: ``classify(payload, transport="tcp")`` returns a ``Verdict``;
* one flow: ``Flow("tcp").feed(payload, "initiator")`` returns the ``Verdict`` so far;
* one capture: ``read_pcap(path)`` yields a ``FlowRecord`` per flow as it reads a pcap or
  pcapng file, ``flows_dataframe(path)`` makes a pandas DataFrame of them, and
  ``Classifier().feed(frame, link_type, ts)`` takes packets from scapy, dpkt or pyshark.

Errors are ``TorclassError``; a bad capture file is ``CaptureError`` (also a ``ValueError``).
"""

from __future__ import annotations

from ._dataframe import flows_dataframe
from ._errors import CaptureError, TorclassError
from ._torclass import (
    COLUMNS,
    FLOW_STATE_SIZE,
    CaptureIterator,
    Classifier,
    Flow,
    FlowRecord,
    Verdict,
    __version__,
    classify,
    classify_many,
    read_pcap,
)

__all__ = [
    "COLUMNS",
    "FLOW_STATE_SIZE",
    "CaptureError",
    "CaptureIterator",
    "Classifier",
    "Flow",
    "FlowRecord",
    "TorclassError",
    "Verdict",
    "__version__",
    "classify",
    "classify_many",
    "flows_dataframe",
    "read_pcap",
]
