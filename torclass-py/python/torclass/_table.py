"""Whole captures as typed Arrow tables, and what is built on them: pandas and polars frames,
Parquet, the per-file read status, summaries, a plot, per-packet series and notice matching.

Every table has the one schema torclass defines in Rust (``torclass.SCHEMA``): the same
columns and types for an empty capture as for a full one, in the CLI's Parquet files too.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from . import _torclass
from ._errors import NoFlowsWarning, UnsupportedLinkTypeWarning
from ._sources import expand

if TYPE_CHECKING:
    import pandas as _pd
    import polars as _pl

__all__ = [
    "SCHEMA",
    "STATUS_SCHEMA",
    "flows_table",
    "flows_dataframe",
    "flows_polars",
    "read_status",
    "write_parquet",
    "summary",
    "packets",
]


SCHEMA: pa.Schema = pa.schema(_torclass.ARROW_SCHEMA)
"""The columns of every flow table (``flows_table``, ``flows_dataframe``'s source, the CLI's
``--format parquet``): the JSON-lines record's columns (``torclass.COLUMNS``) in its order,
then ``duration`` and ``file``."""

STATUS_SCHEMA: pa.Schema = pa.schema(
    [
        ("file", pa.string()),
        ("format", pa.string()),
        ("frames", pa.uint64()),
        ("classified", pa.uint64()),
        ("later_fragments", pa.uint64()),
        ("unsupported", pa.uint64()),
        ("malformed", pa.uint64()),
        ("unknown_link_type", pa.uint32()),
        ("flows", pa.uint64()),
        ("error", pa.string()),
        ("offset", pa.uint64()),
        ("truncated", pa.bool_()),
    ]
)
"""The columns of ``read_status``: per capture, its format, frames read (and of those
classified, later IP fragments, unsupported link or network types, malformed), the first
pcap link type in it that torclass does not read (null if none), flows, and the error that
stopped it with its byte offset (null if it was read to the end)."""

_STATUS_KEY = b"torclass.status"


def _check_int(name: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < least:
        raise ValueError(f"{name} must be at least {least}, not {value}")
    return value


def flows_table(
    source: object,
    *,
    threads: int | None = None,
    on_error: Literal["raise", "keep", "skip"] = "raise",
    max_flows: int = 65536,
    endpoint_cache: bool = True,
    mmap: bool = True,
) -> pa.Table:
    """Read captures into a ``pyarrow.Table`` of ``torclass.SCHEMA``, one row per flow.

    ``source``: a path, a glob, a directory (recursively), bytes, a binary file object, a
    ``(name, data)`` pair, or a list of these (see ``torclass._sources``). Rows come in the
    order of the captures, each capture's flows as ``read_pcap`` yields them (a flow that left
    the table while the capture was read, closed, idle past its timeout or evicted, soon after
    it left; the rest in first-seen order; the CLI prints the same records sorted in
    first-seen order), with the capture's name in ``file``.

    The captures are read and their columns built in Rust with the GIL released, ``threads``
    at once (default: as many as there are captures, at most the CPUs), each with its own flow
    table of ``max_flows`` slots; the columns reach Python without a copy. Ctrl-C stops it.

    ``on_error``: what a capture that cannot be opened, or that is damaged part-way, does:
    ``"raise"`` (default) raises its error (``OSError``, ``CaptureError``); ``"keep"``
    keeps the flows read before the damage; ``"skip"`` leaves its flows out. Either way
    ``read_status(table)`` says what happened to each capture. A capture that yields no flow
    (no TCP/UDP, or a link type torclass does not read) gives a ``NoFlowsWarning``; one
    with frames of a link type torclass does not read, an ``UnsupportedLinkTypeWarning``
    naming it.
    """
    if threads is not None:
        _check_int("threads", threads, 1)
    _check_int("max_flows", max_flows, 1)
    if on_error not in ("raise", "keep", "skip"):
        raise ValueError(f"on_error must be 'raise', 'keep' or 'skip', not {on_error!r}")
    items = expand(source)
    if threads is None:
        threads = max(1, min(len(items), os.cpu_count() or 1))
    stream, status = _torclass.read_tables(
        items,
        threads=threads,
        on_error=on_error,
        max_flows=max_flows,
        endpoint_cache=bool(endpoint_cache),
        mmap=bool(mmap),
    )
    table = pa.RecordBatchReader.from_stream(stream).read_all()
    for s in status:
        if s["unknown_link_type"] is not None:
            warnings.warn(
                f"unsupported link type {s['unknown_link_type']} in {s['file']}",
                UnsupportedLinkTypeWarning,
                stacklevel=2,
            )
        if s["flows"] == 0 and s["error"] is None:
            warnings.warn(
                f"{s['file']}: no flow in {s['frames']} frames "
                f"({s['unsupported']} of a link or network type torclass does not read, "
                f"{s['malformed']} malformed, {s['later_fragments']} later IP fragments)",
                NoFlowsWarning,
                stacklevel=2,
            )
    return table.replace_schema_metadata({_STATUS_KEY: json.dumps(status)})


def read_status(flows: object) -> pa.Table:
    """The per-capture status of a table ``flows_table`` made (or a frame made from one):
    ``torclass.STATUS_SCHEMA``, one row per capture."""
    metadata = None
    if isinstance(flows, pa.Table):
        metadata = (flows.schema.metadata or {}).get(_STATUS_KEY)
    else:
        attrs = getattr(flows, "attrs", None)
        if isinstance(attrs, Mapping):
            metadata = attrs.get("torclass.status")
    if metadata is None:
        raise ValueError("no read status: pass a table from flows_table (or a frame from flows_dataframe)")
    return pa.Table.from_pylist(json.loads(metadata), schema=STATUS_SCHEMA)


def _is_table(flows: object) -> bool:
    return isinstance(flows, (pa.Table, pa.RecordBatch))


def _table_of(flows: object, kwargs: dict[str, Any]) -> pa.Table:
    if isinstance(flows, pa.Table):
        if kwargs:
            raise TypeError(f"{', '.join(kwargs)}: only for a source, not for a table")
        return flows
    if isinstance(flows, pa.RecordBatch):
        return pa.Table.from_batches([flows])
    return flows_table(flows, **kwargs)


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - exercised only without pandas
        raise ImportError('this needs pandas: pip install "torclass[pandas]"') from e
    return pandas


def _to_pandas(table: pa.Table, *, own: bool = False) -> _pd.DataFrame:
    """``table`` as a frame of ``flows_dataframe``'s dtypes. ``own``: nothing else holds
    ``table``, so each column is freed as soon as it is converted (pyarrow's
    ``self_destruct``): the table and the whole frame are never held at once."""
    pd = _pandas()
    # The system allocator: memory freed here is reused by numpy's (pyarrow's mimalloc pool
    # would keep it: 17 MB more at the peak on 272,000 flows).
    pool = pa.system_memory_pool()
    evidence_type = pa.list_(pa.field("item", pa.string(), False))
    for i, field in enumerate(table.schema):
        if field.name == "evidence":
            to = evidence_type
        elif pa.types.is_string(field.type) or field.name in ("client", "file"):
            # pandas keeps its strings as large_string: cast here, with the pool above (a
            # string column keeps its characters and gets new offsets; a dictionary is decoded).
            to = pa.large_string()
        else:
            continue
        table = table.set_column(i, field.name, pc.cast(table.column(i), to, memory_pool=pool))
    mapping = {
        pa.uint16(): pd.UInt16Dtype(),
        pa.uint64(): pd.UInt64Dtype(),
        pa.large_string(): pd.StringDtype(),
        evidence_type: pd.ArrowDtype(evidence_type),
    }
    status = (table.schema.metadata or {}).get(_STATUS_KEY)
    options = {"self_destruct": True, "split_blocks": True} if own else {}
    frame = table.to_pandas(types_mapper=mapping.get, memory_pool=pool, **options)
    if status is not None:
        frame.attrs["torclass.status"] = status.decode()
    return frame


def flows_dataframe(source: object, **kwargs: Any) -> _pd.DataFrame:
    """``flows_table(source, **kwargs)`` as a pandas DataFrame with fixed dtypes: the same
    for every capture, empty or not, so frames concatenate as they are.

    ``l4``, ``verdict``, ``protocol``, ``confidence``, ``tunnel``: categorical, every value of
    the record as a category. ``src``, ``dst``, ``info_hash``, ``peer_id``, ``client``,
    ``dht_node_id``, ``tunnel_dst``, ``file``: ``string`` (missing is ``<NA>``). Ports, counts and ``decided_at_packet``:
    nullable unsigned integers. ``first_ts``, ``last_ts``: ``datetime64[ns, UTC]``;
    ``duration``: ``timedelta64[ns]``; ``evidence``: Arrow-backed lists of strings.
    ``read_status(frame)`` works on the frame (it is in ``frame.attrs``). A table can be
    passed instead of a source. Needs pandas (``pip install "torclass[pandas]"``).
    """
    return _to_pandas(_table_of(source, kwargs), own=not _is_table(source))


def flows_polars(source: object, **kwargs: Any) -> _pl.DataFrame:
    """``flows_table(source, **kwargs)`` as a polars DataFrame (``polars.from_arrow``, no
    copy: the categorical columns are ``Categorical``). Needs polars
    (``pip install "torclass[polars]"``)."""
    try:
        import polars
    except ImportError as e:  # pragma: no cover - exercised only without polars
        raise ImportError('flows_polars needs polars: pip install "torclass[polars]"') from e
    frame = polars.from_arrow(_table_of(source, kwargs))
    assert isinstance(frame, polars.DataFrame)
    return frame


def write_parquet(flows: object, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Write a flow table (or the flows of a source, read with ``kwargs``) to a Parquet file of
    ``torclass.SCHEMA``: the file ``torclass classify --format parquet -o`` writes has the same
    schema."""
    import pyarrow.parquet as pq

    table = _table_of(flows, kwargs)
    pq.write_table(table.cast(SCHEMA.with_metadata(table.schema.metadata)), path, compression="snappy")


_ORDER = {
    "bittorrent": 0,
    "not_bittorrent": 1,
    "undecided": 2,
}


def summary(flows: object, **kwargs: Any) -> _pd.DataFrame:
    """Flows, packets and bytes per verdict, and per protocol for BitTorrent: the CLI's
    ``classify --summary`` as a DataFrame (``verdict``, ``protocol``, ``flows``, ``packets``,
    ``bytes``), in its order, without its total row. ``flows`` is a table, a frame from
    ``flows_dataframe`` or a source (read with ``kwargs``)."""
    pd = _pandas()
    if isinstance(flows, pd.DataFrame):
        frame = flows[["verdict", "protocol", "packets", "bytes"]].astype(
            {"verdict": "string", "protocol": "string"}
        )
    else:
        table = _table_of(flows, kwargs).select(["verdict", "protocol", "packets", "bytes"])
        frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
        frame = frame.astype({"verdict": "string", "protocol": "string"})
    grouped = (
        frame.assign(flows=1)
        .groupby(["verdict", "protocol"], dropna=False, sort=False)[["flows", "packets", "bytes"]]
        .sum()
        .reset_index()
    )
    rank = grouped.verdict.map(_ORDER) * 100 + grouped.protocol.map(
        {p: i for i, p in enumerate(_PROTOCOLS)}
    ).fillna(99)
    grouped = grouped.iloc[rank.astype(int).argsort(kind="stable")].reset_index(drop=True)
    return grouped.astype({"flows": "uint64", "packets": "uint64", "bytes": "uint64"})


_PROTOCOLS = [
    "peer_wire",
    "peer_wire_encrypted",
    "utp",
    "dht",
    "udp_tracker",
    "http_tracker",
    "lsd",
    "magnet",
]


def _flow_fields(flow: object) -> dict[str, Any]:
    if isinstance(flow, _torclass.FlowRecord):
        # __reduce__'s dict has the exact first_ns/last_ns.
        return dict(flow.__reduce__()[1][0])
    if isinstance(flow, pa.Table):
        if flow.num_rows != 1:
            raise ValueError(f"flow must be one row, not a table of {flow.num_rows}")
        return dict(flow.to_pylist()[0])
    to_dict = getattr(flow, "to_dict", None)
    if isinstance(flow, Mapping):
        return dict(flow)
    if callable(to_dict):  # a pandas Series (a row of flows_dataframe)
        return dict(to_dict())
    raise TypeError(
        f"flow must be a FlowRecord, a row of a flow table or frame, or a dict; not {type(flow).__name__}"
    )


def _ns(value: object) -> int | None:
    if value is None:
        return None
    if hasattr(value, "value") and hasattr(value, "tz_localize"):  # pandas Timestamp
        return int(value.value)  # type: ignore[attr-defined]
    if hasattr(value, "timestamp"):
        return round(value.timestamp() * 1e9)  # type: ignore[attr-defined]
    return round(float(value) * 1e9)  # type: ignore[arg-type]


def packets(source: object = None, *, flow: object, mmap: bool = True) -> pa.Table:
    """The packets of one flow, one row each: ``ts`` (``timestamp[ns, UTC]``),
    ``direction`` (``initiator`` for packets from the flow's ``src``), ``frame_len`` (bytes
    captured), ``wire_len`` (bytes on the wire), ``payload_len`` (transport payload) and
    ``tcp_flags``.

    ``flow`` is a ``FlowRecord``, a row of a flow table or ``flows_dataframe`` (a pandas
    Series), or a dict with ``l4``, ``src``, ``sport``, ``dst``, ``dport`` and optionally
    ``first_ts``/``last_ts`` (only packets in that span are taken: a later flow on the same
    5-tuple is left out). ``source`` is the capture (one path, bytes or file object); by
    default the row's ``file``.
    """
    fields = _flow_fields(flow)
    if source is None:
        source = fields.get("file")
        if source is None:
            raise TypeError("packets() needs a source when the flow has no file")
    items = expand(source)
    if len(items) != 1:
        raise ValueError(f"packets() reads one capture, not {len(items)}")
    missing = [k for k in ("l4", "src", "sport", "dst", "dport") if fields.get(k) is None]
    if missing:
        raise ValueError(f"flow has no {', '.join(missing)}")
    # Float seconds are within a microsecond of the packets' exact times.
    first = fields.get("first_ns")
    if first is None and (first := _ns(fields.get("first_ts"))) is not None:
        first -= 1000
    last = fields.get("last_ns")
    if last is None and (last := _ns(fields.get("last_ts"))) is not None:
        last += 1000
    stream = _torclass.read_packets(
        items[0],
        l4=str(fields["l4"]),
        src=str(fields["src"]),
        sport=int(fields["sport"]),
        dst=str(fields["dst"]),
        dport=int(fields["dport"]),
        first_ns=-(2**63) if first is None else int(first),
        last_ns=2**63 - 1 if last is None else int(last),
        mmap=bool(mmap),
    )
    return pa.RecordBatchReader.from_stream(stream).read_all()
