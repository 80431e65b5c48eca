"""Summarise a day of captures: BitTorrent per protocol, the busiest BitTorrent hosts, and the
files torclass could not read completely.

    python day_summary.py captures/ [out.parquet]
"""

from __future__ import annotations

import sys

import pandas as pd

import torclass


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    flows: pd.DataFrame = torclass.flows_dataframe(argv[1], on_error="keep")
    print(torclass.summary(flows).to_string(index=False))
    bt = flows[flows.verdict == "bittorrent"]
    hosts = pd.concat([bt[["src", "bytes"]].rename(columns={"src": "host"}),
                       bt[["dst", "bytes"]].rename(columns={"dst": "host"})])
    print(hosts.groupby("host").bytes.sum().nlargest(5).to_string())
    status = torclass.read_status(flows).to_pandas()
    damaged = status[status.error.notna()]
    for row in damaged.itertuples():
        print(f"{row.file}: {row.error}", file=sys.stderr)
    if len(argv) > 2:
        torclass.write_parquet(torclass.flows_table(argv[1], on_error="keep"), argv[2])
    return 1 if len(damaged) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
