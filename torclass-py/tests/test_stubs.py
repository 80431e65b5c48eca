"""The .pyi stubs match the compiled module, and the package type-checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "torclass"


def test_stubtest() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "torclass", "--mypy-config-file", str(PACKAGE.parents[1] / "pyproject.toml")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_py_typed_and_stubs_are_shipped() -> None:
    import torclass

    installed = Path(torclass.__file__).parent
    assert (installed / "py.typed").exists()
    assert (installed / "_torclass.pyi").exists()


def test_a_user_script_type_checks(tmp_path: Path) -> None:
    script = tmp_path / "user.py"
    script.write_text(
        "import torclass\n"
        "v = torclass.classify(b'x', transport='udp')\n"
        "p: str | None = v.protocol\n"
        "f = torclass.Flow('tcp')\n"
        "f.feed(bytearray(b'x'), 'responder')\n"
        "for r in torclass.read_pcap('x.pcap'):\n"
        "    d: dict[str, object] = dict(r.to_dict())\n"
        "torclass.classify(b'x', transport='sctp')  # E: the stubs name the transports\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "user.py:8:" in errors[0], result.stdout
