"""``torclass.spark.read_pcaps``: captures as a PySpark DataFrame, read on the executors by
``mapInArrow`` with the flow schema (Spark's types: no dictionaries or unsigned integers),
from paths the executors can open or from Spark's ``binaryFile`` source (object stores,
HDFS). Needs ``pip install "torclass[spark]"`` and Java."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ._sources import expand
from ._table import SCHEMA, flows_table

if TYPE_CHECKING:
    import pyspark.sql

__all__ = ["read_pcaps", "SPARK_ARROW_SCHEMA", "spark_schema"]


def _spark_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_dictionary(t):
        return t.value_type
    if t == pa.uint16():
        return pa.int32()
    if t == pa.uint64():
        return pa.int64()
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", tz="UTC")
    if pa.types.is_duration(t):
        return pa.duration("us")
    if pa.types.is_list(t):
        return pa.list_(pa.field("element", _spark_type(t.value_type), True))
    return t


SPARK_ARROW_SCHEMA: pa.Schema = pa.schema(
    [pa.field(f.name, _spark_type(f.type), True) for f in SCHEMA]
)
"""``torclass.SCHEMA`` in the types Spark has: dictionaries decoded, ``uint16`` as ``int32``,
``uint64`` as ``int64`` (counts below 2^63), times in microseconds (Spark's resolution)."""


def spark_schema() -> Any:
    """``SPARK_ARROW_SCHEMA`` as a ``pyspark.sql.types.StructType``."""
    from pyspark.sql import types as T

    def convert(t: pa.DataType) -> Any:
        if pa.types.is_string(t):
            return T.StringType()
        if t == pa.int32():
            return T.IntegerType()
        if t == pa.int64():
            return T.LongType()
        if pa.types.is_timestamp(t):
            return T.TimestampType()
        if pa.types.is_duration(t):
            return T.DayTimeIntervalType()
        if pa.types.is_list(t):
            return T.ArrayType(convert(t.value_type), True)
        raise TypeError(t)  # pragma: no cover - every type of the schema is above

    return T.StructType([T.StructField(f.name, convert(f.type), True) for f in SPARK_ARROW_SCHEMA])


def _for_spark(table: pa.Table) -> Iterator[pa.RecordBatch]:
    table = table.replace_schema_metadata(None).cast(SPARK_ARROW_SCHEMA)
    yield from table.to_batches()


def _read_paths(options: dict[str, Any], batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        for path in batch.column("path").to_pylist():
            yield from _for_spark(flows_table(path, threads=1, **options))


def _read_binary(options: dict[str, Any], batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        paths = batch.column("path").to_pylist()
        contents = batch.column("content")
        for i, path in enumerate(paths):
            data = contents[i].as_py()
            yield from _for_spark(flows_table((path, data), threads=1, **options))


def read_pcaps(
    spark: pyspark.sql.SparkSession,
    paths: object,
    *,
    binary: bool = False,
    on_error: str = "raise",
    max_flows: int = 65536,
    endpoint_cache: bool = True,
) -> pyspark.sql.DataFrame:
    """The flows of ``paths`` as a Spark DataFrame of ``spark_schema()``, one task per capture.

    ``binary=False``: ``paths`` (a path, glob, directory or list) are expanded on the driver
    and opened by the executors (a shared or local file system). ``binary=True``: ``paths``
    go to Spark's ``binaryFile`` source (any Hadoop file system, ``recursiveFileLookup``),
    which hands each executor the capture's bytes. The rows are ``flows_table``'s with the
    ``file`` column as the path Spark names.
    """
    options = {"on_error": on_error, "max_flows": max_flows, "endpoint_cache": endpoint_cache}
    schema = spark_schema()
    if binary:
        reader = spark.read.format("binaryFile").option("recursiveFileLookup", "true")
        frame = reader.load(paths if isinstance(paths, (str, list)) else [str(p) for p in paths])  # type: ignore[attr-defined]
        return frame.select("path", "content").mapInArrow(
            lambda batches: _read_binary(options, batches), schema
        )
    items = expand(paths)
    files = [name for kind, name, _ in items if kind == "path"]
    if len(files) != len(items):
        raise TypeError("torclass.spark.read_pcaps reads paths (or binary=True for Spark's own)")
    frame = spark.createDataFrame([(f,) for f in files], "path string")
    frame = frame.repartition(max(1, len(files)), "path")
    return frame.mapInArrow(lambda batches: _read_paths(options, batches), schema)
