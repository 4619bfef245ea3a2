"""Open the DuckDB file: the one place duckdb's connection errors are translated."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ..errors import DatabaseError, DatabaseLockedError, PathError

# DuckDB spills to disk instead of exhausting memory once it reaches this limit.
DEFAULT_MEMORY_LIMIT = "1GB"


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open ``path``; a file held by another process raises DatabaseLockedError (exit 2).

    ``HARNESS_DUCKDB_MEMORY_LIMIT`` (default 1GB) and ``HARNESS_DUCKDB_TEMP_DIR`` (default
    ``<db>.tmp``) configure spilling.
    """
    if not read_only and not path.parent.is_dir():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PathError(f"cannot create {path.parent}: {exc.strerror}") from exc
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": os.environ.get("HARNESS_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        "temp_directory": os.environ.get("HARNESS_DUCKDB_TEMP_DIR", f"{path}.tmp"),
    }
    try:
        return duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLockedError(
                f"database {path} is in use by another process",
                hint="wait for the other run to finish, or pass --db with another path",
            ) from exc
        raise DatabaseError(f"cannot open database {path}: {exc}") from exc
    except duckdb.Error as exc:
        raise DatabaseError(
            f"cannot open database {path}: {exc}",
            hint="is it a DuckDB file written by a compatible duckdb version?",
        ) from exc
