"""The exceptions torclass raises (the compiled module imports them from here)."""

from __future__ import annotations

__all__ = [
    "TorclassError",
    "CaptureError",
    "TorclassWarning",
    "NoFlowsWarning",
    "UnsupportedLinkTypeWarning",
]


class TorclassError(Exception):
    """Base class of every error torclass raises itself."""


class CaptureError(TorclassError, ValueError):
    """A capture file that is not pcap or pcapng, or is corrupt or truncated.

    ``path`` is the file, ``offset`` the byte offset of the header, record or block at
    fault, and ``truncated`` is true when the file simply ends early: every flow read before
    ``offset`` was yielded by ``read_pcap`` before this was raised.
    """

    path: str
    offset: int
    truncated: bool

    def __init__(self, message: str, path: str, offset: int, truncated: bool = False) -> None:
        super().__init__(message)
        self.path = path
        self.offset = offset
        self.truncated = truncated

    def __reduce__(self) -> tuple[type[CaptureError], tuple[str, str, int, bool]]:
        return (type(self), (str(self), self.path, self.offset, self.truncated))


class TorclassWarning(UserWarning):
    """Base class of every warning torclass gives."""


class NoFlowsWarning(TorclassWarning):
    """A capture was read to its end and yielded no flow: no TCP or UDP over IP in it, or
    every frame of a link type torclass does not read. ``read_status`` has its counts."""


class UnsupportedLinkTypeWarning(TorclassWarning):
    """A capture holds frames of a pcap link type torclass does not read: they were skipped.
    ``read_status`` names the first such type (``unknown_link_type``)."""
