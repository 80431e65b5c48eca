"""torclass: tell BitTorrent traffic from everything else.

Three levels, one vocabulary (the names and values of the JSON-lines flow record that
``torclass classify --format jsonl`` writes):

* one payload: ``classify(payload, transport="tcp")`` returns a ``Verdict``;
* one flow: ``Flow("tcp").feed(payload, "initiator")`` returns the ``Verdict`` so far;
* captures: ``flows_table(source)`` reads paths, globs, directories, bytes or file objects
  into a typed Arrow table (``SCHEMA``), with ``flows_dataframe`` (pandas) and
  ``flows_polars`` on top; ``read_pcap(path)`` yields a ``FlowRecord`` per flow as it
  reads; ``Classifier().feed(frame, link_type, ts)`` takes packets from scapy, dpkt or
  pyshark.

Then ``match_notices`` (infringement notices against flows), ``summary``, ``plot``,
``packets`` (one flow's packets), ``write_parquet``; ``torclass.dask`` and
``torclass.spark`` read captures on those engines.

Errors are ``TorclassError``; a bad capture file is ``CaptureError`` (also a ``ValueError``).
"""

from __future__ import annotations

from ._errors import (
    CaptureError,
    NoFlowsWarning,
    TorclassError,
    TorclassWarning,
    UnsupportedLinkTypeWarning,
)
from ._notices import MATCH_COLUMNS, match_notices
from ._plot import plot
from ._table import (
    SCHEMA,
    STATUS_SCHEMA,
    flows_dataframe,
    flows_polars,
    flows_table,
    packets,
    read_status,
    summary,
    write_parquet,
)
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
    "MATCH_COLUMNS",
    "SCHEMA",
    "STATUS_SCHEMA",
    "CaptureError",
    "CaptureIterator",
    "Classifier",
    "Flow",
    "FlowRecord",
    "NoFlowsWarning",
    "TorclassError",
    "TorclassWarning",
    "UnsupportedLinkTypeWarning",
    "Verdict",
    "__version__",
    "classify",
    "classify_many",
    "flows_dataframe",
    "flows_polars",
    "flows_table",
    "match_notices",
    "packets",
    "plot",
    "read_pcap",
    "read_status",
    "summary",
    "write_parquet",
]
