"""Persisted cursors: where each chain (endpoint, project, request fingerprint) stopped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from .connection import columns_select


@dataclass(frozen=True)
class Cursor:
    endpoint: str  # registry name
    project_id: str  # '' for organization-level endpoints
    request_fingerprint: str
    next_page: str | None
    has_more: bool
    window_start: int | None  # from the request: the scheduler's context
    window_end: int | None


def save(con: duckdb.DuckDBPyConnection, cursors: list[Cursor], synced_at: datetime) -> None:
    """Upsert every cursor in one statement."""
    if not cursors:
        return
    spec = [
        ("endpoint", "VARCHAR"),
        ("project_id", "VARCHAR"),
        ("request_fingerprint", "VARCHAR"),
        ("next_page", "VARCHAR"),
        ("has_more", "BOOLEAN"),
        ("window_start", "BIGINT"),
        ("window_end", "BIGINT"),
    ]
    con.execute(
        "INSERT OR REPLACE INTO sync_cursors SELECT endpoint, project_id, request_fingerprint, "
        "next_page, has_more, to_timestamp(window_start), to_timestamp(window_end), "
        f"CAST(? AS TIMESTAMPTZ) FROM (SELECT {columns_select(spec)})",
        [synced_at, *([getattr(c, name) for c in cursors] for name, _ in spec)],
    )


def load(con: duckdb.DuckDBPyConnection, endpoint: str) -> list[Cursor]:
    rows = con.execute(
        "SELECT endpoint, project_id, request_fingerprint, next_page, has_more, "
        "epoch(window_start)::BIGINT, epoch(window_end)::BIGINT FROM sync_cursors "
        "WHERE endpoint = ? ORDER BY project_id, request_fingerprint",
        [endpoint],
    ).fetchall()
    return [Cursor(*row) for row in rows]
