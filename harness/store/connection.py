"""Open DuckDB: the one place duckdb's connection errors are translated.

A run works in an in-memory *workspace* (parsing, checks, dedupe, staging) and attaches the
database file only once every check has passed, so a corpus that fails leaves no file behind.
``HARNESS_DUCKDB_MEMORY_LIMIT`` (default 1GB) and ``HARNESS_DUCKDB_TEMP_DIR`` (default a
``harness-spill`` folder in the system temp dir, or ``<db>.tmp``) make large runs spill to disk.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from ..errors import ArgumentError, DatabaseError, DatabaseLockedError, PathError

DEFAULT_MEMORY_LIMIT = "1GB"
TARGET = "target"  # the catalog name of the attached database file
WORKSPACE_CHECKPOINT_THRESHOLD = "1TB"  # never, in practice: see workspace()
# Rows per row group that this process writes into the database file (a setting of the attach,
# not stored in the file). DuckDB compresses and writes each full row group while the INSERT
# runs, on every core; what is left of a partial one waits for COMMIT, on one core. With the
# default 122,880, every endpoint smaller than that (most of them) was compressed at commit,
# on one core; at 16,384 none is, for the same file size (docs/performance.md).
WRITE_ROW_GROUP = 16_384


def _config(spill: str) -> dict[str, str | bool | int | float | list[str]]:
    return {
        "memory_limit": os.environ.get("HARNESS_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        "temp_directory": os.environ.get("HARNESS_DUCKDB_TEMP_DIR", spill),
        # Every query that shows rows says ORDER BY (capture ranks are explicit columns), so
        # parallel scans and inserts need not keep the files' order: faster and leaner.
        "preserve_insertion_order": False,
    }


def _translate(exc: duckdb.Error, path: Path) -> Exception:
    if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
        return DatabaseLockedError(
            f"database {path} is in use by another process",
            hint="wait for the other run to finish, or pass --db with another path",
        )
    return DatabaseError(
        f"cannot open database {path}: {exc}",
        hint="is it a DuckDB file written by a compatible duckdb version?",
    )


def _parent(path: Path) -> None:
    if not path.parent.is_dir():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PathError(f"cannot create {path.parent}: {exc.strerror}") from exc


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database file itself (db commands, cursor reads)."""
    if not read_only:
        _parent(path)
    try:
        return duckdb.connect(str(path), read_only=read_only, config=_config(f"{path}.tmp"))
    except duckdb.Error as exc:
        raise _translate(exc, path) from exc


def workspace() -> duckdb.DuckDBPyConnection:
    """An in-memory connection for everything that happens before the file is touched."""
    spill = os.path.join(tempfile.gettempdir(), "harness-spill")
    # An in-memory database checkpoints like a file: past the threshold, a commit compresses
    # every table written since the last one. The workspace's tables live for one run, and
    # compressing them cost more than a typed read of the same rows; attach() restores the
    # default for the database file.
    config = _config(spill) | {"checkpoint_threshold": WORKSPACE_CHECKPOINT_THRESHOLD}
    try:
        return duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        raise ArgumentError(
            f"DuckDB refused its configuration: {exc}",
            hint="check HARNESS_DUCKDB_MEMORY_LIMIT (e.g. 1GB) and HARNESS_DUCKDB_TEMP_DIR",
        ) from exc


def attach(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Attach the database file to a workspace and make it the default catalog."""
    _parent(path)
    try:
        con.execute("RESET checkpoint_threshold")
        workspace_db, _ = location(con)
        con.execute(f"ATTACH '{_quoted(path)}' AS {TARGET} (ROW_GROUP_SIZE {WRITE_ROW_GROUP})")
        # New tables go to the file; staged rows are still found by name in the workspace's
        # main schema (the SQL engine's staged views, store/ingest.stage's tables).
        con.execute(f"SET search_path = '{TARGET}.main,{workspace_db}.main'")
    except duckdb.Error as exc:
        raise _translate(exc, path) from exc


def location(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(database, schema) where ``con`` creates a table whose name it does not qualify."""
    row = one(con.execute("SELECT current_database(), current_schema()"))
    assert row is not None
    return row[0], row[1]


def one(cursor: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """The single row of a result, drained: DuckDB 2 refuses new work on a connection whose
    last result was not read to the end (``fetchone`` leaves it open)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def columns_select(spec: list[tuple[str, str]]) -> str:
    """A SELECT list turning one list parameter per column into rows: Python columns move
    into DuckDB as a handful of LIST values, never one ``execute`` per row."""
    return ", ".join(f"unnest(?::{sql_type}[]) AS {name}" for name, sql_type in spec)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
