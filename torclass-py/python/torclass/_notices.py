"""``match_notices``: infringement notices against flow tables, with the matching code of
``torclass match`` (torclass-capture's ``notice`` module, run in Rust).

A notice names an address, a port, a UTC time and usually the info-hash of a torrent. For
each notice, the flows of that endpoint (either end of the flow, TCP or UDP) active within
``time ± tolerance`` are listed, with whether the info-hash was seen on them, by which
protocol and evidence; flows of the same address on other ports that carry the info-hash are
listed apart. The notice file format is in README.md ("Notice files").
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from . import _torclass
from ._table import SCHEMA, _table_of

if TYPE_CHECKING:
    import pandas as _pd

__all__ = ["match_notices", "MATCH_COLUMNS"]

MATCH_COLUMNS = [
    "line",
    "id",
    "address",
    "port",
    "time",
    "notice_info_hash",
    "tolerance",
    "result",
    "match",
    "info_hash_seen",
]
"""The notice's columns of ``match_notices``' table; the flow's columns (``torclass.SCHEMA``)
follow."""

_NOTICE_SCHEMA = pa.schema(
    [
        ("line", pa.uint64()),
        ("id", pa.string()),
        ("address", pa.string()),
        ("port", pa.uint16()),
        ("time", pa.timestamp("ns", tz="UTC")),
        ("notice_info_hash", pa.string()),
        ("tolerance", pa.duration("ns")),
        ("result", pa.dictionary(pa.int8(), pa.string())),
        ("match", pa.dictionary(pa.int8(), pa.string())),
        ("info_hash_seen", pa.bool_()),
    ]
)


def _notices_text(notices: object) -> str:
    if isinstance(notices, (str, os.PathLike)):
        with open(notices, encoding="utf-8-sig", newline="") as f:
            return f.read()
    to_csv = getattr(notices, "to_csv", None)
    if callable(to_csv):  # a pandas DataFrame
        text = to_csv(index=False)
        assert isinstance(text, str)
        return text
    if isinstance(notices, Iterable) and not isinstance(notices, (bytes, Mapping)):
        rows = [dict(r) for r in notices]
        keys = list(dict.fromkeys(k for r in rows for k in r))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=keys or ["address", "port", "time"])
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in r.items()}
            )
        return out.getvalue()
    raise TypeError(
        "notices must be a path to a CSV notice file, a pandas DataFrame or a list of dicts, "
        f"not {type(notices).__name__}"
    )


def match_notices(
    flows: object, notices: object, *, tolerance: float = 60.0, **kwargs: Any
) -> pa.Table:
    """Match ``notices`` against ``flows``; one row per notice and matching flow, or one row
    for a notice nothing matched.

    ``flows``: a table from ``flows_table``, a frame from ``flows_dataframe``, or a source
    (read with ``kwargs``). ``notices``: a CSV notice file's path, a DataFrame or a list of
    dicts with its columns (``address``, ``port``, ``time``; optional ``info_hash``,
    ``tolerance``, ``id``). ``tolerance``: seconds either side of a notice's time when it
    has no ``tolerance`` of its own.

    Columns: ``MATCH_COLUMNS`` (the notice, its ``result``: ``info_hash_seen``,
    ``bittorrent``, ``not_bittorrent`` or ``no_flow``; ``match``: ``endpoint`` or
    ``same_address``, null if nothing matched; ``info_hash_seen`` for the flow), then the
    flow's columns of ``torclass.SCHEMA`` (null if nothing matched). ``.to_pandas()`` makes
    it a DataFrame.
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < 1e9:
        raise ValueError(f"tolerance must be seconds from 0 to 10^9, not {tolerance!r}")
    text = _notices_text(notices)
    if not isinstance(flows, pa.Table) and getattr(flows, "columns", None) is not None:
        import pandas as pd

        assert isinstance(flows, pd.DataFrame)
        flows = _frame_to_table(flows)
    table = _table_of(flows, kwargs)
    # Only the flows of the notices' addresses go to the matcher.
    rows, _ = _torclass.match_flow_rows(text, round(tolerance * 1e9), [])
    addresses = pa.array(sorted({r["address"] for r in rows}), pa.string())
    keep = pc.or_(pc.is_in(table["src"], addresses), pc.is_in(table["dst"], addresses))
    index = pc.indices_nonzero(keep)
    subset = table.take(index).select(
        ["src", "sport", "dst", "dport", "first_ts", "last_ts", "verdict", "info_hash"]
    )
    columns = subset.to_pydict()
    first = pc.cast(subset["first_ts"], pa.int64()).to_pylist()
    last = pc.cast(subset["last_ts"], pa.int64()).to_pylist()
    flat = list(
        zip(
            columns["src"],
            columns["sport"],
            columns["dst"],
            columns["dport"],
            first,
            last,
            (v == "bittorrent" for v in columns["verdict"]),
            columns["info_hash"],
        )
    )
    rows, matches = _torclass.match_flow_rows(text, round(tolerance * 1e9), flat)
    index_list = index.to_pylist()
    notice_of: list[int] = []
    kinds: list[str | None] = []
    flow_rows: list[int | None] = []
    seen: list[bool | None] = []
    matched = {m[0] for m in matches}
    by_notice: dict[int, list[tuple[str, int, bool]]] = {}
    for n, kind, flow, s in matches:
        by_notice.setdefault(n, []).append((kind, index_list[flow], s))
    for n in range(len(rows)):
        if n not in matched:
            notice_of.append(n)
            kinds.append(None)
            flow_rows.append(None)
            seen.append(None)
        for kind, row, s in by_notice.get(n, []):
            notice_of.append(n)
            kinds.append(kind)
            flow_rows.append(row)
            seen.append(s)
    notice_columns = {
        "line": [rows[n]["line"] for n in notice_of],
        "id": [rows[n]["id"] for n in notice_of],
        "address": [rows[n]["address"] for n in notice_of],
        "port": [rows[n]["port"] for n in notice_of],
        "time": [rows[n]["time_ns"] for n in notice_of],
        "notice_info_hash": [rows[n]["notice_info_hash"] for n in notice_of],
        "tolerance": [round(rows[n]["tolerance"] * 1e9) for n in notice_of],
        "result": [rows[n]["result"] for n in notice_of],
        "match": kinds,
        "info_hash_seen": seen,
    }
    arrays = []
    for field in _NOTICE_SCHEMA:
        values = notice_columns[field.name]
        if pa.types.is_dictionary(field.type):
            arrays.append(pa.array(values, pa.string()).dictionary_encode())
        elif pa.types.is_timestamp(field.type) or pa.types.is_duration(field.type):
            arrays.append(pa.array(values, pa.int64()).cast(field.type))
        else:
            arrays.append(pa.array(values, field.type))
    flows_part = table.take(pa.array(flow_rows, pa.int64()))
    out = pa.Table.from_arrays(
        arrays + flows_part.columns,
        schema=pa.schema(list(_NOTICE_SCHEMA) + [f.with_nullable(True) for f in flows_part.schema]),
    )
    return out


def _frame_to_table(frame: _pd.DataFrame) -> pa.Table:
    """The columns ``match_notices`` needs, from a ``flows_dataframe`` frame."""
    needed = ["src", "sport", "dst", "dport", "first_ts", "last_ts", "verdict", "info_hash"]
    part = frame[[c for c in frame.columns if c in SCHEMA.names]]
    table = pa.Table.from_pandas(part, preserve_index=False)
    missing = [c for c in needed if c not in table.column_names]
    if missing:
        raise ValueError(f"the frame has no {', '.join(missing)} column")
    cast = {
        "src": pa.string(),
        "dst": pa.string(),
        "sport": pa.uint16(),
        "dport": pa.uint16(),
        "first_ts": pa.timestamp("ns", tz="UTC"),
        "last_ts": pa.timestamp("ns", tz="UTC"),
        "verdict": pa.string(),
        "info_hash": pa.string(),
    }
    for name, type_ in cast.items():
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, table.column(name).cast(type_))
    return table
