"""Set-based upserts into DuckDB: events move as one Arrow table per endpoint, never row by row.

Default ``update-insert``: ``UPDATE ... FROM`` then ``INSERT ... WHERE NOT EXISTS``, as the
original ingestion job did, keyed on the non-null ``dedupe_key`` with no index. Option
``merge``: one ``MERGE INTO``. Both write identical tables (a test proves it); rows whose values
are unchanged are not touched, so a re-run is cheap. See README, Storage, for the measurements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import duckdb
import pyarrow as pa

from ..endpoints import Endpoint
from ..models import Event
from .connection import one
from .tables import METADATA, columns, value_columns

UpsertMode = Literal["merge", "update-insert"]
UPSERT_MODES: tuple[UpsertMode, ...] = ("merge", "update-insert")
# Measured on a 1M-result corpus (README, Storage): update-insert loads a new database 0.1-0.4 s
# faster than MERGE and re-runs equally fast, so it is the default.
DEFAULT_UPSERT_MODE: UpsertMode = "update-insert"

_ARROW: dict[str, Any] = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMPTZ": pa.int64(),  # Unix seconds, converted with to_timestamp() in SQL
    "DOUBLE": pa.float64(),
    "DECIMAL(38,18)": pa.string(),  # exact decimal text, CAST in SQL
}


@dataclass(frozen=True)
class WriteCounts:
    inserted: int
    updated: int
    unchanged: int


def staged_table(endpoint: Endpoint) -> str:
    return f"staged_{endpoint.name}"


def _sql_value(name: str, sql_type: str) -> str:
    if sql_type == "TIMESTAMPTZ":
        return f"to_timestamp(a.{name}) AS {name}"
    if sql_type.startswith("DECIMAL"):
        return f"CAST(a.{name} AS {sql_type}) AS {name}"
    return f"a.{name}"


def stage(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint, events: list[Event], synced_at: datetime
) -> str:
    """Load ``events`` (already deduped) into a temp table shaped like the target plus location."""
    data_cols = [(n, t) for n, t in columns(endpoint) if (n, t) not in METADATA]
    arrays: dict[str, Any] = {}
    for name, sql_type in data_cols:
        if name == "dedupe_key":
            values: list[Any] = [e.dedupe_key for e in events]
        elif name == "group_by":
            values = [",".join(e.key["group_by"]) for e in events]
        else:
            values = [e.key.get(name, e.values.get(name)) for e in events]
            if sql_type.startswith("DECIMAL"):
                values = [None if v is None else str(v) for v in values]
        arrays[name] = pa.array(values, type=_ARROW[sql_type])
    arrays["source_scenario"] = pa.array([e.location.scenario for e in events], pa.string())
    arrays["source_page"] = pa.array([e.location.page for e in events], pa.string())
    arrays["captured_at"] = pa.array([e.rank[0] for e in events], pa.string())
    arrays["bucket_index"] = pa.array([e.location.bucket_index for e in events], pa.int64())
    arrays["result_index"] = pa.array([e.location.result_index for e in events], pa.int64())
    arrow = pa.table(arrays)
    name = staged_table(endpoint)
    select = ", ".join(_sql_value(n, t) for n, t in data_cols)
    con.register("arrow_events", arrow)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select}, a.source_scenario, "
            "a.source_page, CAST(a.captured_at AS TIMESTAMPTZ) AS captured_at, "
            f"CAST(? AS TIMESTAMPTZ) AS synced_at, a.bucket_index, a.result_index "
            "FROM arrow_events a",
            [synced_at],
        )
    finally:
        con.unregister("arrow_events")
    return name


def _differs(endpoint: Endpoint) -> str:
    parts = [f"t.{n} IS DISTINCT FROM s.{n}" for n, _ in value_columns(endpoint)]
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def count_writes(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> WriteCounts:
    staged = staged_table(endpoint)
    differs = _differs(endpoint)
    row = one(
        con.execute(
            f"SELECT count(*) FILTER (WHERE t.dedupe_key IS NULL), "
            f"count(*) FILTER (WHERE t.dedupe_key IS NOT NULL AND {differs}), "
            f"count(*) FILTER (WHERE t.dedupe_key IS NOT NULL AND NOT {differs}) "
            f"FROM {staged} s LEFT JOIN {endpoint.table} t ON t.dedupe_key = s.dedupe_key"
        )
    )
    assert row is not None
    return WriteCounts(int(row[0]), int(row[1]), int(row[2]))


def upsert(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint, mode: UpsertMode = DEFAULT_UPSERT_MODE
) -> WriteCounts:
    """Write the staged rows of ``endpoint`` into its table; returns what changed."""
    counts = count_writes(con, endpoint)
    staged, table = staged_table(endpoint), endpoint.table
    names = [n for n, _ in columns(endpoint)]
    updated = [n for n, _ in value_columns(endpoint) + list(METADATA)]
    insert_cols = ", ".join(names)
    insert_vals = ", ".join(f"s.{n}" for n in names)
    set_clause = ", ".join(f"{n} = s.{n}" for n in updated)
    differs = _differs(endpoint)
    if mode == "merge":
        con.execute(
            f"MERGE INTO {table} AS t USING {staged} AS s ON t.dedupe_key = s.dedupe_key "
            f"WHEN MATCHED AND {differs} THEN UPDATE SET {set_clause} "
            f"WHEN NOT MATCHED THEN INSERT ({insert_cols}) VALUES ({insert_vals})"
        )
    else:
        con.execute(
            f"UPDATE {table} AS t SET {set_clause} FROM {staged} AS s "
            f"WHERE t.dedupe_key = s.dedupe_key AND {differs}"
        )
        con.execute(
            f"INSERT INTO {table} ({insert_cols}) SELECT {insert_vals} FROM {staged} AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.dedupe_key = s.dedupe_key)"
        )
    return counts
