"""``torclass.dask.read_pcaps``: captures as a Dask DataFrame, a partition per capture or per
group of small captures, read by Dask's own scheduler (threads, processes or a distributed
cluster) with ``flows_dataframe``. Needs ``pip install "torclass[dask]"``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ._sources import expand
from ._table import _to_pandas, flows_table

if TYPE_CHECKING:
    import dask.dataframe

__all__ = ["read_pcaps", "meta"]

PARTITION_BYTES = 64 << 20
"""Captures smaller than this are grouped into partitions of about this many bytes."""


def meta() -> Any:
    """The empty pandas frame every partition looks like (Dask's ``meta``)."""
    return _to_pandas(flows_table([]), own=True)


def _read(paths: list[str], options: dict[str, Any]) -> Any:
    """One partition: the flows of ``paths``, one thread (Dask runs partitions in parallel)."""
    return _to_pandas(flows_table(paths, threads=1, **options), own=True)


def _groups(paths: list[str], target: int) -> list[list[str]]:
    groups: list[list[str]] = []
    size = target
    for path in paths:
        try:
            length = os.path.getsize(path)
        except OSError:
            length = target  # the partition that reads it reports the error
        if size + length > target or not groups:
            groups.append([])
            size = 0
        groups[-1].append(path)
        size += length
    return groups


def read_pcaps(
    paths: object,
    *,
    partition_bytes: int = PARTITION_BYTES,
    on_error: str = "raise",
    max_flows: int = 65536,
    endpoint_cache: bool = True,
    mmap: bool = True,
) -> dask.dataframe.DataFrame:
    """The flows of ``paths`` (a path, a glob such as ``"captures/**/*.pcap"``, a directory,
    or a list of these; paths every worker can open) as a Dask DataFrame with the dtypes of
    ``flows_dataframe``. A capture of ``partition_bytes`` or more is a partition; smaller ones
    are grouped up to that size. Rows are the rows ``flows_table`` gives (the CLI's records),
    in the order of the files. The other arguments are ``flows_table``'s."""
    import dask.dataframe as dd

    items = expand(paths)
    files = [name for kind, name, _ in items if kind == "path"]
    if len(files) != len(items):
        raise TypeError("torclass.dask.read_pcaps reads paths, globs and directories")
    if isinstance(partition_bytes, bool) or not isinstance(partition_bytes, int) or partition_bytes < 1:
        raise ValueError(f"partition_bytes must be a positive int, not {partition_bytes!r}")
    options = {
        "on_error": on_error,
        "max_flows": max_flows,
        "endpoint_cache": endpoint_cache,
        "mmap": mmap,
    }
    return dd.from_map(
        _read,
        _groups(files, partition_bytes),
        options=options,
        meta=meta(),
        label="torclass-read-pcaps",
        enforce_metadata=True,
    )
