"""``flows_dataframe``: a capture's flows as a pandas DataFrame (``pip install torclass[pandas]``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ._torclass import COLUMNS, read_pcap

if TYPE_CHECKING:
    import pandas as _pandas  # type: ignore[import-untyped, unused-ignore]


def flows_dataframe(
    path: str | os.PathLike[str], *, max_flows: int = 1 << 16, endpoint_cache: bool = True
) -> _pandas.DataFrame:
    """Read the pcap or pcapng file at ``path`` into a DataFrame, one row per flow.

    ``max_flows`` and ``endpoint_cache`` are as in ``read_pcap``. The columns are the keys of the JSON-lines record (``torclass.COLUMNS``), in its order,
    with its values (``None`` where unknown), in the order ``read_pcap`` yields the flows;
    ``first_ts`` and ``last_ts`` are seconds since the epoch (``pandas.to_datetime(df.first_ts,
    unit="s")`` makes them datetimes). The same frame as
    ``pandas.DataFrame.from_records([r.to_dict() for r in read_pcap(path)], columns=COLUMNS)``.

    Needs pandas (``pip install "torclass[pandas]"``); raises ``ImportError`` saying so
    otherwise. Raises what ``read_pcap`` raises; a truncated capture raises ``CaptureError``
    and no frame (iterate ``read_pcap`` to keep the flows read before the fault).
    """
    try:
        import pandas  # type: ignore[import-untyped, unused-ignore]
    except ImportError as e:  # pragma: no cover - exercised only without pandas
        raise ImportError(
            'torclass.flows_dataframe needs pandas: pip install "torclass[pandas]"'
        ) from e
    rows = [record.to_dict() for record in read_pcap(path, max_flows=max_flows, endpoint_cache=endpoint_cache)]
    return pandas.DataFrame.from_records(rows, columns=list(COLUMNS))
