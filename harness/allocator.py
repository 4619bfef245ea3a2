"""Keep freed memory in the process: glibc's defaults hand it back to the OS too eagerly.

DuckDB frees and allocates large buffers all through a run (a scan's vectors, a hash table,
compressed segments). glibc gives heap memory back to the OS whenever 128 KiB sit free at the
top, so the next allocation faults the same pages in again, zeroed by the kernel. Asking glibc
to keep 256 MiB before trimming and to grow by 64 MiB at a time made large replays faster with
the same peak memory (docs/performance.md). The process entry point (cli.run) calls tune()
once; the library and the pytest plugin never do: an allocator is the host process's business.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt(3) parameters, from glibc's malloc.h
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2

TRIM_THRESHOLD = 256 << 20
TOP_PAD = 64 << 20


def tune() -> bool:
    """Set glibc's trim threshold and top pad; returns whether they were set. Nothing is
    changed off glibc, or when the environment already tunes malloc (``MALLOC_*_``)."""
    if sys.platform != "linux" or any(k.startswith("MALLOC_") for k in os.environ):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):  # not glibc: musl has no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) and mallopt(_M_TOP_PAD, TOP_PAD))
