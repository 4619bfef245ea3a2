"""Table columns derived from the registry: what the migrations must have created."""

from __future__ import annotations

from ..endpoints import SQL_TYPES, Endpoint

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
        return cols + [(f.name, SQL_TYPES[f.type]) for f in endpoint.dimensions]
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


def columns(endpoint: Endpoint) -> list[tuple[str, str]]:
    return [("dedupe_key", "VARCHAR"), *stored_columns(endpoint)]


def stored_columns(endpoint: Endpoint) -> list[tuple[str, str]]:
    """Every column but ``dedupe_key``, which DuckDB computes on read (see key_expression)."""
    return [*key_columns(endpoint), *value_columns(endpoint), *METADATA]


def _encoded(name: str, sql_type: str) -> str:
    """models.encode_key_part in SQL, over a stored column."""
    if sql_type == "BOOLEAN":
        return f"CASE WHEN {name} IS NULL THEN '~' WHEN {name} THEN 't' ELSE 'f' END"
    if sql_type == "TIMESTAMPTZ":  # the key holds Unix seconds, as the API sends them
        return f"coalesce(CAST(CAST(epoch({name}) AS BIGINT) AS VARCHAR), '~')"
    if sql_type == "BIGINT":
        return f"coalesce(CAST({name} AS VARCHAR), '~')"
    text = f"CAST(strlen({name}) AS VARCHAR) || ':' || {name}"
    return f"CASE WHEN {name} IS NULL THEN '~' ELSE {text} END"


def key_expression(endpoint: Endpoint) -> str:
    """models.dedupe_key over a table's own columns: the expression of its virtual
    ``dedupe_key`` column (migration 0006). Rows from schema 1, which have no window, keep a
    ``legacy:`` prefix."""
    parts = " || '|' || ".join(
        [f"'{endpoint.name}'", *(_encoded(n, t) for n, t in key_columns(endpoint))]
    )
    legacy = (
        "CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || " if endpoint.bucketed else ""
    )
    return f"{legacy}md5({parts})"
