"""Table columns derived from the registry: what the migrations must have created."""

from __future__ import annotations

from ..endpoints import SQL_TYPES, Endpoint
from ..models import EXTRA_DIMENSIONS

METADATA = (
    ("source_scenario", "VARCHAR"),
    ("source_page", "VARCHAR"),
    ("captured_at", "TIMESTAMPTZ"),
    ("synced_at", "TIMESTAMPTZ"),
)


def key_columns(endpoint: Endpoint) -> list[tuple[str, str]]:
    """The columns the dedupe key is made of (``dedupe_key`` is their hash)."""
    if endpoint.bucketed:
        cols = [
            ("window_start", "TIMESTAMPTZ"),
            ("window_end", "TIMESTAMPTZ"),
            ("group_by", "VARCHAR"),
        ]
        dims = [(f.name, SQL_TYPES[f.type]) for f in endpoint.dimensions]
        # The values of group_by dimensions the registry does not know yet (models.py): part
        # of the key, so that rows the API kept apart stay apart.
        return cols + dims + [(EXTRA_DIMENSIONS, "VARCHAR")]
    cols = [("id", "VARCHAR")]
    return cols + ([("project_id", "VARCHAR")] if endpoint.per_project else [])


def value_columns(endpoint: Endpoint) -> list[tuple[str, str]]:
    """Counters and attributes: compared to decide whether an upsert changes a row."""
    cols: list[tuple[str, str]] = []
    for f in endpoint.counters + endpoint.attributes:
        if f.type == "money":
            cols += [(f"{f.name}_value", SQL_TYPES["money"]), (f"{f.name}_currency", "VARCHAR")]
        else:
            cols.append((f.name, SQL_TYPES[f.type]))
    return cols


# Fields of a result or list item that the registry does not know, kept whole: canonical JSON
# of every such key with a value (models.extra_fields), null when there are none. Compared by
# upserts like a value; not by dedupe, which tells duplicates from conflicts by the registry's
# values only (so both engines can: the SQL engine learns extra fields after its dedupe).
EXTRA_FIELDS = ("extra_fields", "JSON")


def changed_columns(endpoint: Endpoint) -> list[tuple[str, str]]:
    """The columns whose change makes an upsert update a row."""
    return [*value_columns(endpoint), EXTRA_FIELDS]


def columns(endpoint: Endpoint) -> list[tuple[str, str]]:
    return [("dedupe_key", "VARCHAR"), *stored_columns(endpoint)]


def rows_table(endpoint: Endpoint) -> str:
    """Where an endpoint's rows are stored; ``endpoint.table`` is a view over it that adds
    ``dedupe_key`` (migration 0006). Harness writes here and reads the view."""
    return f"{endpoint.table}_rows"


def stored_columns(endpoint: Endpoint) -> list[tuple[str, str]]:
    """The columns of rows_table: every column but ``dedupe_key``."""
    # extra_fields last: migration 0011 added it to tables that already held rows
    return [*key_columns(endpoint), *value_columns(endpoint), *METADATA, EXTRA_FIELDS]
