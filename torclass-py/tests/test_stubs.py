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


def test_the_examples_type_check_strictly() -> None:
    examples = sorted((PACKAGE.parents[1] / "examples").glob("*.py"))
    assert examples
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--config-file", str(PACKAGE.parents[1] / "pyproject.toml"), *map(str, examples)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_match_example_prints_a_finding_per_notice() -> None:
    examples = PACKAGE.parents[1] / "examples"
    captures = PACKAGE.parents[2] / "tests" / "captures"
    out = subprocess.run(
        [sys.executable, str(examples / "match_notices.py"), str(examples / "notices-example.csv"), str(captures)],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout.splitlines()
    assert [line.split(": ")[1].split(" ")[0] for line in out] == [
        "info_hash_seen", "info_hash_seen", "bittorrent", "not_bittorrent", "no_flow",
    ]
