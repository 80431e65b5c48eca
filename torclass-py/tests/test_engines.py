"""torclass.dask on a LocalCluster with process workers and torclass.spark on PySpark
local[2], over a directory of captures: the rows are the CLI's (flows_table's, which
test_tables.py holds to the CLI). Each run is bounded (timeouts below)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import labelled_captures, no_captures

import torclass
import torclass.dask


def key_rows(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    keys = ("file", "l4", "src", "sport", "dst", "dport", "packets", "bytes", "verdict", "protocol", "info_hash")
    return sorted(tuple(str(r[k]) if r[k] is not None else "" for k in keys) for r in rows)


@pytest.fixture(scope="module")
def capture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    captures = labelled_captures()
    if not captures:
        no_captures()
    d = tmp_path_factory.mktemp("day")
    for p in captures[:6]:
        (d / ("sub" if p.stat().st_size % 2 else "")).mkdir(exist_ok=True)
        shutil.copy(p, d / ("sub" if p.stat().st_size % 2 else "") / p.name)
    return d


def test_dask_local_cluster_with_processes(capture_dir: Path) -> None:
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    want = torclass.flows_table(capture_dir).to_pylist()
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster, distributed.Client(cluster, timeout="60s") as client:
        frame = torclass.dask.read_pcaps(str(capture_dir / "**" / "*.pcap"), partition_bytes=1 << 20)
        assert isinstance(frame, dd.DataFrame)
        assert frame.npartitions > 1
        assert list(frame.dtypes) == list(torclass.dask.meta().dtypes)
        got = client.compute(frame).result(timeout=120)
    rows = got.astype(object).where(got.notna(), None).to_dict("records")
    assert key_rows(rows) == key_rows(want)
    # The partitions' dtypes are meta's: concatenating them changed nothing.
    assert list(got.dtypes) == list(torclass.dask.meta().dtypes)


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
def test_spark_local(capture_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark")
    # The executors' Python is this one (the virtual environment with torclass).
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    monkeypatch.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI") == "true":
            pytest.fail("no Java for PySpark (scripts/debian-packages.txt installs it)")
        pytest.skip("SKIPPED LOUDLY: no Java for PySpark")
    from pyspark.sql import SparkSession

    import torclass.spark

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("torclass-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    try:
        want = key_rows(torclass.flows_table(capture_dir).to_pylist())
        frame = torclass.spark.read_pcaps(spark, capture_dir)
        assert frame.schema == torclass.spark.spark_schema()
        assert key_rows([r.asDict() for r in frame.collect()]) == want
        # binaryFile: Spark reads the bytes; the file column is Spark's URI of the path.
        binary = torclass.spark.read_pcaps(spark, str(capture_dir), binary=True)
        rows = [r.asDict() for r in binary.collect()]
        for r in rows:
            r["file"] = str(r["file"]).removeprefix("file:")
        assert key_rows(rows) == want
    finally:
        spark.stop()
