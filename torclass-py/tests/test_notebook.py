"""The example notebook runs from top to bottom (nbclient), so it cannot rot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_analysis_notebook_runs(capture: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(EXAMPLES / "analysis.ipynb", as_version=4)
    env = {"TORCLASS_CAPTURE": str(capture), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        nbclient.NotebookClient(
            nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
        ).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the plot is drawn"
    tables = [o["data"].get("text/html", "") for o in outputs if "data" in o]
    assert any("bittorrent" in t and "peer_wire" in t for t in tables), "the flow table is shown"
    text = "".join(o.get("text", "") for o in outputs)
    assert '"verdict":"bittorrent"' in text


def test_the_notices_notebook_checks_a_notice_file_against_a_day_of_captures() -> None:
    """examples/notices.ipynb over tests/captures and examples/notices-example.csv: each
    notice gets its finding, as torclass match finds it."""
    pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    nb = nbformat.read(EXAMPLES / "notices.ipynb", as_version=4)
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    findings = [line for line in text.splitlines() if line.startswith("N-000")]
    assert [f.split("UTC: ", 1)[1].split(" in ")[0] for f in findings] == [
        "info-hash SEEN",
        "info-hash SEEN",
        "BitTorrent, info-hash not seen",
        "flows, none BitTorrent",
        "no flow of that endpoint within ±60 s",
    ], text
    assert "nan" not in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the plot is drawn"


@pytest.mark.parametrize("name", ["analysis.ipynb", "notices.ipynb"])
def test_the_committed_notebooks_have_no_outputs(name: str) -> None:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    nbformat.validate(nb)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
