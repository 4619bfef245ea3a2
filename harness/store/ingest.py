"""Set-based upserts into DuckDB: events move as one list per column, never row by row.

Default ``update-insert``: ``UPDATE ... FROM`` then ``INSERT ... WHERE NOT EXISTS``, as the
original ingestion job did, matching rows on the key columns ``dedupe_key`` is computed from
(nulls equal), with no index. Option ``merge``: one ``MERGE INTO``. Both write identical tables
(a test proves it); rows whose values are unchanged are not touched, so a re-run is cheap.
docs/performance.md has the measurements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, Literal

import duckdb

from ..endpoints import Endpoint
from ..models import Event
from .connection import WRITE_ROW_GROUP, one
from .tables import (
    EXTRA_FIELDS,
    METADATA,
    changed_columns,
    key_columns,
    rows_table,
    stored_columns,
)

UpsertMode = Literal["merge", "update-insert"]
UPSERT_MODES: tuple[UpsertMode, ...] = ("merge", "update-insert")
# A first load is the same plain INSERT in either mode, and re-runs measured equally fast
# (docs/performance.md): update-insert stays the default, as the original job had.
DEFAULT_UPSERT_MODE: UpsertMode = "update-insert"

# How each column type travels as a list parameter: timestamps as Unix seconds (to_timestamp()
# in SQL), decimals as their exact text (CAST in SQL).
_CARRIER = {"TIMESTAMPTZ": "BIGINT", "JSON": "VARCHAR"}


@dataclass(frozen=True)
class WriteCounts:
    inserted: int
    updated: int
    unchanged: int
    first_load: bool = False  # the table was empty: it now holds exactly the staged rows


def staged_table(endpoint: Endpoint) -> str:
    return f"staged_{endpoint.name}"


def _sql_value(name: str, sql_type: str) -> str:
    if sql_type == "TIMESTAMPTZ":
        return f"to_timestamp(a.{name}) AS {name}"
    if sql_type.startswith("DECIMAL") or sql_type == "JSON":
        return f"CAST(a.{name} AS {sql_type}) AS {name}"
    return f"a.{name}"


def stage(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint, events: list[Event], synced_at: datetime
) -> str:
    """Load ``events`` (already deduped) into a table shaped like the target plus location, in
    the connection's current schema (the workspace's main one: any cursor finds it)."""
    data_cols = [(n, t) for n, t in stored_columns(endpoint) if (n, t) not in METADATA]
    spec: list[tuple[str, str]] = []
    values: list[list[Any]] = []
    for name, sql_type in data_cols:
        if name == "group_by":
            column: list[Any] = [",".join(e.key["group_by"]) for e in events]
        elif (name, sql_type) == EXTRA_FIELDS:
            column = [e.extra_fields for e in events]
        else:
            column = [e.key.get(name, e.values.get(name)) for e in events]
            if sql_type.startswith("DECIMAL"):
                column = [None if v is None else str(v) for v in column]
        carrier = "VARCHAR" if sql_type.startswith("DECIMAL") else sql_type
        spec.append((name, _CARRIER.get(carrier, carrier)))
        values.append(column)
    spec += [
        ("source_scenario", "VARCHAR"),
        ("source_page", "VARCHAR"),
        ("captured_at", "VARCHAR"),
        ("bucket_index", "BIGINT"),
        ("result_index", "BIGINT"),
    ]
    values += [
        [e.location.scenario for e in events],
        [e.location.page for e in events],
        [e.rank[0] for e in events],
        [e.location.bucket_index for e in events],
        [e.location.result_index for e in events],
    ]
    name = staged_table(endpoint)
    select = ", ".join(_sql_value(n, t) for n, t in data_cols)
    # Every column as text in one parameter (a list of columns), cast back to its type in
    # SQL: binding a list parameter per column cost more than a small endpoint's rows.
    texts = [[_text(v) for v in column] for column in values]
    unnested = ", ".join(
        f"CAST(unnest(c[{i}]) AS {sql_type}) AS {column}"
        for i, (column, sql_type) in enumerate(spec, start=1)
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {name} AS SELECT {select}, a.source_scenario, "
        "a.source_page, CAST(a.captured_at AS TIMESTAMPTZ) AS captured_at, "
        "CAST(? AS TIMESTAMPTZ) AS synced_at, a.bucket_index, a.result_index "
        f"FROM (SELECT {unnested} FROM (SELECT ?::VARCHAR[][] AS c)) a",
        [synced_at, texts],
    )
    return name


def _text(value: Any) -> str | None:
    """A value as the text its column's CAST reads back exactly: floats by repr (the
    shortest text that round-trips), booleans as true/false."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _differs(endpoint: Endpoint) -> str:
    parts = [f"t.{n} IS DISTINCT FROM s.{n}" for n, _ in changed_columns(endpoint)]
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def _same_key(endpoint: Endpoint) -> str:
    """Target row t and staged row s share a dedupe key: every key column equal, nulls too."""
    return " AND ".join(f"t.{n} IS NOT DISTINCT FROM s.{n}" for n, _ in key_columns(endpoint))


def count_writes(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> WriteCounts:
    staged = staged_table(endpoint)
    differs = _differs(endpoint)
    # A NOT NULL key column of the target: NULL marks a staged row with no match.
    found = "t.group_by" if endpoint.bucketed else "t.id"
    row = one(
        con.execute(
            f"SELECT count(*) FILTER (WHERE {found} IS NULL), "
            f"count(*) FILTER (WHERE {found} IS NOT NULL AND {differs}), "
            f"count(*) FILTER (WHERE {found} IS NOT NULL AND NOT {differs}) "
            f"FROM {staged} s LEFT JOIN {rows_table(endpoint)} t ON {_same_key(endpoint)}"
        )
    )
    assert row is not None
    return WriteCounts(int(row[0]), int(row[1]), int(row[2]))


# DuckDB scans a table on one thread per 122,880 rows, so an INSERT from fewer rows runs on one
# core. Read as the UNION ALL of parts, one per thread, the same rows insert on every core
# (docs/performance.md). Every part but the last holds whole
# row groups of the file (16,384 rows): parts that ended in partial row groups each left one
# to compress at checkpoint, which took back what the parallel insert saved.
_SCAN_ROWS = 122_880


def _in_parts(con: duckdb.DuckDBPyConnection, names: list[str], staged: str) -> str:
    """SELECT the staged rows, as parts DuckDB inserts side by side when one scan would run on
    fewer threads than it has; staged rows that carry their place (``stage_row``, the fast
    path's) can be split so."""
    columns = ", ".join(names)
    plain = f"SELECT {columns} FROM {staged}"
    described = con.execute(f"SELECT * FROM {staged} LIMIT 0").description
    if "stage_row" not in [d[0] for d in described]:
        return plain
    row = one(con.execute(f"SELECT count(*), current_setting('threads') FROM {staged}"))
    rows, threads = (int(row[0]), int(row[1])) if row else (0, 1)
    parts = min(threads, rows // WRITE_ROW_GROUP) if rows < threads * _SCAN_ROWS else 1
    if parts < 2:
        return plain
    size = rows // parts // WRITE_ROW_GROUP * WRITE_ROW_GROUP
    bounds = []
    for n in range(1, parts):
        found = one(
            con.execute(
                f"SELECT stage_row FROM {staged} ORDER BY stage_row LIMIT 1 OFFSET {n * size}"
            )
        )
        assert found is not None
        bounds.append(int(found[0]))
    wheres = [f"stage_row < {bounds[0]}"]
    wheres += [f"stage_row >= {low} AND stage_row < {high}" for low, high in pairwise(bounds)]
    wheres.append(f"stage_row >= {bounds[-1]}")
    return " UNION ALL ".join(f"{plain} WHERE {where}" for where in wheres)


def _empty(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return one(con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)")) == (0,)


def upsert(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint, mode: UpsertMode = DEFAULT_UPSERT_MODE
) -> WriteCounts:
    """Write the staged rows of ``endpoint`` into its table; returns what changed."""
    staged, table = staged_table(endpoint), rows_table(endpoint)
    names = [n for n, _ in stored_columns(endpoint)]
    if _empty(con, table):  # a first load: no key can match, so nothing to compare
        row = one(
            con.execute(f"INSERT INTO {table} ({', '.join(names)}) {_in_parts(con, names, staged)}")
        )
        return WriteCounts(int(row[0]) if row else 0, 0, 0, first_load=True)
    updated = [n for n, _ in changed_columns(endpoint) + list(METADATA)]
    insert_cols = ", ".join(names)
    insert_vals = ", ".join(f"s.{n}" for n in names)
    set_clause = ", ".join(f"{n} = s.{n}" for n in updated)
    differs, same = _differs(endpoint), _same_key(endpoint)
    if mode == "merge":
        counts = count_writes(con, endpoint)
        con.execute(
            f"MERGE INTO {table} AS t USING {staged} AS s ON {same} "
            f"WHEN MATCHED AND {differs} THEN UPDATE SET {set_clause} "
            f"WHEN NOT MATCHED THEN INSERT ({insert_cols}) VALUES ({insert_vals})"
        )
        return counts
    # Each statement reports how many rows it wrote, so the counts need no join of their own.
    changed = one(
        con.execute(
            f"UPDATE {table} AS t SET {set_clause} FROM {staged} AS s WHERE {same} AND {differs}"
        )
    )
    added = one(
        con.execute(
            f"INSERT INTO {table} ({insert_cols}) SELECT {insert_vals} FROM {staged} AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {same})"
        )
    )
    total = one(con.execute(f"SELECT count(*) FROM {staged}"))
    inserted, modified = int(added[0]) if added else 0, int(changed[0]) if changed else 0
    return WriteCounts(inserted, modified, (int(total[0]) if total else 0) - inserted - modified)
