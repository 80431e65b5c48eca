"""``plot``: BitTorrent bytes over time per protocol, with matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._table import _is_table, _pandas, _table_of, _to_pandas

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot"]


def plot(flows: object, *, freq: str = "1min", ax: Axes | None = None, **kwargs: Any) -> Axes:
    """A stacked area chart of BitTorrent payload bytes per ``freq`` (a pandas frequency:
    ``"1s"``, ``"1min"``, ``"1h"``), one area per protocol, each flow's bytes counted at its
    first packet. ``flows``: a table, a ``flows_dataframe`` frame or a source (read with
    ``kwargs``). Draws on ``ax`` (a new figure's axes by default) and returns it. Needs
    pandas and matplotlib (``pip install "torclass[plot]"``)."""
    pd = _pandas()
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - exercised only without matplotlib
        raise ImportError('plot needs matplotlib: pip install "torclass[plot]"') from e
    frame = flows if isinstance(flows, pd.DataFrame) else _to_pandas(_table_of(flows, kwargs), own=not _is_table(flows))
    bt = frame[frame.verdict == "bittorrent"]
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.5))
    if bt.empty:
        ax.text(0.5, 0.5, "no BitTorrent flow", ha="center", va="center", transform=ax.transAxes)
        return ax
    series = (
        bt.assign(protocol=bt.protocol.astype("string"), bytes=bt.bytes.astype("int64"))
        .groupby([pd.Grouper(key="first_ts", freq=freq), "protocol"])["bytes"]
        .sum()
        .unstack(fill_value=0)
    )
    if len(series) == 1:
        # Flows all in one bin: close the area at the next bin (an area needs two points, and
        # equal x limits are a matplotlib warning).
        nxt = series.index[0] + pd.tseries.frequencies.to_offset(freq)
        series = pd.concat([series, series.iloc[:0].reindex([nxt], fill_value=0)])
    series.plot.area(ax=ax, linewidth=0)
    ax.set_xlabel("time (UTC, by flow start)")
    ax.set_ylabel(f"BitTorrent bytes per {freq}")
    ax.legend(title="protocol", fontsize="small")
    return ax
