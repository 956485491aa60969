"""Giving freed memory back to the operating system."""

from __future__ import annotations

import ctypes
import sys

__all__ = ["release_freed_memory"]


def release_freed_memory() -> None:
    """Hand heap memory that was freed (after a large rebuild or an ingest) back to the OS. glibc keeps it
    otherwise, and a serving process would carry it as RSS (~300 MB after building BM25 over 100k chunks)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass
