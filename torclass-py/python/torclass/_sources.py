"""Where captures come from: the ``source`` argument of ``flows_table`` and its kin.

A source is a path (``str`` or ``os.PathLike``), a glob (``"captures/**/*.pcap"``), a
directory (read recursively: every ``*.pcap``, ``*.pcapng`` and ``*.cap`` file, compressed
or not), the bytes of a whole capture (``bytes``, ``bytearray``, ``memoryview``), a binary
file object (``open(p, "rb")``, ``io.BytesIO``, an fsspec or S3 file), a ``(name, bytes or
file object)`` pair, or a list or other iterable of these. gzip and zstd captures are
recognised by their first bytes, whatever their name.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from typing import Any, Union

__all__ = ["Source", "expand", "CAPTURE_SUFFIXES"]

Source = Union[
    str,
    "os.PathLike[str]",
    bytes,
    bytearray,
    memoryview,
    Any,  # a binary file object, a (name, data) pair, or an iterable of sources
]
"""What ``flows_table`` and its kin accept (see the module docs)."""

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")
"""File names a directory is searched for, each also with ``.gz``, ``.zst`` or ``.zstd``."""

_COMPRESSED = ("", ".gz", ".zst", ".zstd")
_GLOB = set("*?[")

Item = tuple[str, str, object]
"""``(kind, name, object)``: ``("path", path, None)``, ``("bytes", name, data)`` or
``("file", name, file_object)``, what the compiled module reads."""


def _is_capture_name(name: str) -> bool:
    lower = name.lower()
    return any(lower.endswith(s + c) for s in CAPTURE_SUFFIXES for c in _COMPRESSED)


def _directory(path: str) -> list[Item]:
    found: list[str] = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        found.extend(os.path.join(root, f) for f in sorted(files) if _is_capture_name(f))
    if not found:
        raise FileNotFoundError(
            f"no capture files under {path!r} (looked for "
            + ", ".join("*" + s for s in CAPTURE_SUFFIXES)
            + ", also .gz/.zst compressed)"
        )
    return [("path", f, None) for f in found]


def _path(path: str) -> list[Item]:
    if os.path.isdir(path):
        return _directory(path)
    if not os.path.exists(path) and _GLOB & set(path):
        matches = sorted(p for p in glob.glob(path, recursive=True) if os.path.isfile(p))
        if not matches:
            raise FileNotFoundError(f"no file matches {path!r}")
        return [("path", p, None) for p in matches]
    # A missing file is reported by the reader, as open() would (FileNotFoundError).
    return [("path", path, None)]


def _is_data(obj: object) -> bool:
    return isinstance(obj, (bytes, bytearray, memoryview))


def _is_file(obj: object) -> bool:
    return callable(getattr(obj, "read", None))


def _file_name(obj: object, default: str) -> str:
    name = getattr(obj, "name", None)
    if isinstance(name, str):
        return name
    path = getattr(obj, "path", None)  # fsspec files
    return path if isinstance(path, str) else default


def expand(source: object) -> list[Item]:
    """The captures ``source`` names, in order (see the module docs).

    Raises ``TypeError`` for anything that is not a source, ``FileNotFoundError`` for a glob
    or a directory with no capture in it.
    """
    items: list[Item] = []
    unnamed = 0

    def add(obj: object, top: bool) -> None:
        nonlocal unnamed
        if isinstance(obj, (str, os.PathLike)):
            items.extend(_path(os.fspath(obj)))  # type: ignore[arg-type]
        elif _is_data(obj):
            items.append(("bytes", f"<bytes {unnamed}>", obj))
            unnamed += 1
        elif (
            isinstance(obj, tuple)
            and len(obj) == 2
            and isinstance(obj[0], (str, os.PathLike))
            and (_is_data(obj[1]) or _is_file(obj[1]))
        ):
            name = os.fspath(obj[0])
            items.append(("bytes" if _is_data(obj[1]) else "file", str(name), obj[1]))
        elif _is_file(obj):
            items.append(("file", _file_name(obj, f"<file {unnamed}>"), obj))
            unnamed += 1
        elif top and isinstance(obj, Iterable) and not isinstance(obj, dict):
            for each in obj:
                add(each, False)
        else:
            what = type(obj).__name__
            raise TypeError(
                f"a capture source is a path, a glob, a directory, bytes, a binary file object "
                f"or a (name, bytes) pair, or a list of these; not {what}"
            )

    add(source, True)
    return items
