"""Check a notice file against captures and print one finding per notice.

    python match_notices.py notices.csv captures/            # a directory, a glob or files
"""

from __future__ import annotations

import sys

import torclass


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    notices, captures = argv[1], argv[2:]
    flows = torclass.flows_table(captures, on_error="keep")
    for status in torclass.read_status(flows).to_pylist():
        if status["error"] is not None:
            print(f"warning: {status['error']}", file=sys.stderr)
    findings: dict[int, list[dict[str, object]]] = {}
    for row in torclass.match_notices(flows, notices).to_pylist():
        findings.setdefault(int(row["line"]), []).append(row)
    for line, rows in sorted(findings.items()):
        notice = rows[0]
        seen = [r for r in rows if r["info_hash_seen"]]
        where = ", ".join(sorted({f"{r['protocol']} in {r['file']}" for r in seen or rows if r["file"]}))
        print(f"line {line} {notice['id'] or ''} {notice['address']}:{notice['port']}: {notice['result']}"
              + (f" ({where})" if where else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
