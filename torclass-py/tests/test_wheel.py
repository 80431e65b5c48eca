"""The wheel `maturin build --release` makes (scripts/test.d/40-python.sh builds it into
$TORCLASS_WHEELS): abi3 for CPython 3.11+, a manylinux platform tag, no debug info, and only
pyarrow as a requirement (the engines are extras)."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest


def wheel() -> Path:
    folder = os.environ.get("TORCLASS_WHEELS")
    found = sorted(Path(folder).glob("torclass-*.whl")) if folder else []
    if not found:
        reason = "no wheel in $TORCLASS_WHEELS (maturin build --release --out DIR)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip("SKIPPED LOUDLY: " + reason)
    return found[-1]


def test_the_wheel_is_abi3_manylinux_and_stripped(tmp_path: Path) -> None:
    path = wheel()
    assert "-cp311-abi3-" in path.name and "manylinux" in path.name, path.name
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        (so,) = [n for n in names if n.endswith(".so")]
        z.extract(so, tmp_path)
        metadata = z.read(next(n for n in names if n.endswith("/METADATA"))).decode()
    sections = subprocess.run(
        ["readelf", "-S", "-W", str(tmp_path / so)], check=True, capture_output=True, text=True
    ).stdout
    assert ".debug_" not in sections and ".symtab" not in sections
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    plain = [r for r in requires if "extra ==" not in r]
    assert plain == ["Requires-Dist: pyarrow>=15"], requires
    assert any("dask" in r and "extra ==" in r for r in requires)
    for name in ("py.typed", "_torclass.pyi", "dask.py", "spark.py"):
        assert any(n.endswith("torclass/" + name) for n in names), name
