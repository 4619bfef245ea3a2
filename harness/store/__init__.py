"""DuckDB storage: connect, numbered migrations and preflight, set-based upserts, cursors."""

from .connection import attach, connect, workspace
from .cursors import Cursor
from .ingest import UPSERT_MODES, UpsertMode, WriteCounts
from .migrate import Status, preflight

__all__ = [
    "UPSERT_MODES",
    "Cursor",
    "Status",
    "UpsertMode",
    "WriteCounts",
    "attach",
    "connect",
    "preflight",
    "workspace",
]
