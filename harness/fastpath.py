"""The SQL hot path for usage and costs: DuckDB reads every page of an endpoint in one scan.

The pure Python stages (normalize.py, dedupe.py, schema.py) stay the readable reference and the
explainer of errors: whenever this path finds anything wrong (a type the schema forbids, a
missing required field, a broken chain, JSON DuckDB cannot read) it declines, and the pipeline
runs the Python stages on that endpoint to report each problem with file, page and pointer.
A differential test (tests/test_fastpath.py) proves both paths give the same report and rows.

Steps: read_json (types inferred over all pages) -> checks of the inferred types against the
registry -> envelopes through chains.check_chain, bucket windows by the same rules in SQL -> one
flat table of results -> SQL checks -> fastdedupe.py: winners by capture rank, the staged table
that store/ingest.py upserts, and the report's statistics.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from . import chains, fastdedupe
from .endpoints import SQL_TYPES, Endpoint, Field
from .models import BUCKET_SECONDS, Page, Scenario
from .report import EndpointStats, ScenarioRun
from .schema import known_keys
from .store.connection import one
from .store.tables import value_columns

INTEGER_TYPES = {
    "BIGINT",
    "UBIGINT",
    "INTEGER",
    "UINTEGER",
    "SMALLINT",
    "USMALLINT",
    "TINYINT",
    "UTINYINT",
    "HUGEINT",
    "UHUGEINT",
    '"NULL"',
}
NUMBER_TYPES = INTEGER_TYPES | {"DOUBLE", "FLOAT"}
ALLOWED = {
    "integer": INTEGER_TYPES,
    "timestamp": INTEGER_TYPES,
    "number": NUMBER_TYPES,
    "string": {"VARCHAR", '"NULL"'},
    "boolean": {"BOOLEAN", '"NULL"'},
}


class Declined(Exception):
    """The fast path will not vouch for this endpoint; the Python stages take over."""


@dataclass
class FastResult:
    runs: list[ScenarioRun]
    stats: EndpointStats


def _children(dtype: Any) -> dict[str, Any]:
    return dict(dtype.children)


def _result_struct(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, Any], dict[str, Any]]:
    """(bucket fields, result fields) with their inferred DuckDB types."""
    description = con.execute("SELECT * FROM fp_pages LIMIT 0").description
    columns: dict[str, Any] = {d[0]: d[1] for d in description}
    for name, want in (("object", "VARCHAR"), ("has_more", "BOOLEAN")):
        if name not in columns or str(columns[name]) != want:
            raise Declined(f"envelope field {name} is not {want}")
    if "next_page" not in columns or str(columns["next_page"]) not in ("VARCHAR", '"NULL"'):
        raise Declined("next_page is not a string")
    data = columns.get("data")
    if data is None or data.id != "list":
        raise Declined("data is not a list")
    bucket = data.children[0][1]
    if bucket.id != "struct":
        # Lists that are empty everywhere get an element type of NULL or JSON; JSON can also
        # mean mixed elements, so only an empty-everywhere list is accepted.
        if _all_empty(con, "data"):
            return {}, {}
        raise Declined("buckets are not objects")
    buckets = _children(bucket)
    results = buckets.get("results")
    if results is None or results.id != "list":
        raise Declined("results is not a list")
    result = results.children[0][1]
    if result.id != "struct":
        if _all_empty(con, "flatten(list_transform(data, lambda b: b.results))"):
            return buckets, {}
        raise Declined("results are not objects")
    return buckets, _children(result)


def _all_empty(con: duckdb.DuckDBPyConnection, lists: str) -> bool:
    row = one(con.execute(f"SELECT count(*) FROM fp_pages WHERE len({lists}) > 0"))
    return row is not None and row[0] == 0


def _check_types(endpoint: Endpoint, fields: dict[str, Any]) -> None:
    for f in endpoint.fields:
        for source in f.sources:
            dtype = fields.get(source[0])
            if dtype is None or len(source) > 1:
                continue
            if f.type == "money":
                ok = str(dtype) == '"NULL"' or (
                    dtype.id == "struct"
                    and str(_children(dtype).get("value", '"NULL"')) in NUMBER_TYPES
                    and str(_children(dtype).get("currency", '"NULL"')) in ("VARCHAR", '"NULL"')
                )
            else:
                ok = str(dtype) in ALLOWED[f.type]
            if not ok:
                raise Declined(f"{source[0]} has type {dtype}")
    if str(fields.get("object", "VARCHAR")) != "VARCHAR":
        raise Declined("result object is not a string")


def _field_sql(f: Field, fields: dict[str, Any]) -> list[tuple[str, str]]:
    """(SQL expression over the unnested result ``res``, column name) for one registry field."""
    if f.type == "money":
        amount = fields.get(f.name)
        if amount is None or str(amount) == '"NULL"':
            return [
                (f"NULL::{SQL_TYPES['money']}", f"{f.name}_value"),
                ("NULL::VARCHAR", f"{f.name}_currency"),
            ]
        # DuckDB prints a double as its shortest round-trip text, as Python's repr does.
        value = f"CAST(CAST(res.{f.name}.value AS VARCHAR) AS {SQL_TYPES['money']})"
        return [(value, f"{f.name}_value"), (f"lower(res.{f.name}.currency)", f"{f.name}_currency")]
    sql_type = "BIGINT" if f.type == "timestamp" else SQL_TYPES[f.type]
    present = [s[0] for s in f.sources if s[0] in fields and len(s) == 1]
    if not present:
        return [(f"NULL::{sql_type}", f.name)]
    parts = [f"CAST(res.{name} AS {sql_type})" for name in present]
    expr = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
    return [(expr, f.name)]


def _meta_table(con: duckdb.DuckDBPyConnection, scenarios: list[Scenario]) -> list[str]:
    """One row per page file: its scenario, capture rank and the request's window."""
    names = (
        "filename",
        "scenario",
        "page_no",
        "page_name",
        "recorded_at",
        "group_by",
        "file_rank",
        "req_start",
        "req_end",
        "width",
    )
    rows: dict[str, list[Any]] = {k: [] for k in names}
    # A page's capture rank: recorded_at, scenario, page number (dedupe.py's order).
    ordered = sorted(
        (
            (s.request.recorded_at, s.name, n, s, path)
            for s in scenarios
            for n, path in enumerate(s.page_files, start=1)
        ),
        key=lambda t: t[:3],
    )
    for file_rank, (_, _, n, s, path) in enumerate(ordered):
        width = BUCKET_SECONDS.get(s.request.bucket_width)
        if width is None:
            raise Declined(f"{s.id}: bucket_width {s.request.bucket_width!r}")
        for name, value in zip(
            names,
            (
                str(path),
                s.name,
                n,
                path.name,
                s.request.recorded_at,
                ",".join(s.request.group_by),
                file_rank,
                s.request.start_time,
                s.request.end_time,
                width,
            ),
            strict=True,
        ):
            rows[name].append(value)
    schema = pa.schema(
        [
            ("filename", pa.string()),
            ("scenario", pa.string()),
            ("page_no", pa.int64()),
            ("page_name", pa.string()),
            ("recorded_at", pa.string()),
            ("group_by", pa.string()),
            ("file_rank", pa.int64()),
            ("req_start", pa.int64()),
            ("req_end", pa.int64()),
            ("width", pa.int64()),
        ]
    )
    con.register("fp_meta_arrow", pa.table(rows, schema=schema))
    con.execute("CREATE OR REPLACE TEMP TABLE fp_meta AS SELECT * FROM fp_meta_arrow")
    con.unregister("fp_meta_arrow")
    return [str(path) for s in scenarios for path in s.page_files]


def _chains(
    con: duckdb.DuckDBPyConnection, scenarios: list[Scenario], has_buckets: bool
) -> dict[str, tuple[chains.ChainResult, int]]:
    """Envelopes through the reference chain check; bucket windows checked in SQL alike."""
    rows = one_per_file = con.execute(
        "SELECT filename, object, has_more, next_page, data IS NULL, len(data) FROM fp_pages"
    ).fetchall()
    by_file = {r[0]: r for r in rows}
    out: dict[str, tuple[chains.ChainResult, int]] = {}
    for s in scenarios:
        pages = []
        for n, path in enumerate(s.page_files, start=1):
            row = by_file.get(str(path))
            if row is None or row[1] != "page" or row[2] is None or row[4]:
                raise Declined(f"{path}: not a page envelope")
            pages.append(
                Page(
                    n,
                    path,
                    {
                        "object": row[1],
                        "has_more": row[2],
                        "next_page": row[3],
                        "data": [None] * (row[5] or 0),
                    },
                )
            )
        result = chains.check_chain(s, pages, windows=False)
        if result.problems:
            raise Declined(f"{s.id}: page chain problems")
        out[s.name] = (result, sum(len(p.body["data"]) for p in pages))
    if len(one_per_file) != sum(len(s.page_files) for s in scenarios):
        raise Declined("a page file holds more than one JSON value")
    if has_buckets:
        _window_checks(con)
    return out


def _window_checks(con: duckdb.DuckDBPyConnection) -> None:
    """chains._bucket_windows in SQL: ordered, contiguous, aligned, clipped only at the ends."""
    row = one(
        con.execute(
            # Only the window fields are unnested: copying whole buckets would copy every result.
            "WITH b AS (SELECT m.scenario, m.page_no, m.req_start, m.req_end, m.width, "
            "generate_subscripts(p.data, 1) AS bi, unnest(list_transform(p.data, lambda x: "
            "{'o': x.object, 's': x.start_time, 'e': x.end_time, 'r': x.results IS NULL})) AS w "
            "FROM fp_pages p JOIN fp_meta m USING (filename)), "
            "n AS (SELECT *, w.s AS s, w.e AS e, "
            "lag(w.e) OVER (PARTITION BY scenario ORDER BY page_no, bi) AS prev_end, "
            "row_number() OVER (PARTITION BY scenario ORDER BY page_no, bi) AS k, "
            "count(*) OVER (PARTITION BY scenario) AS total FROM b), "
            "c AS (SELECT *, k = 1 AND s = req_start AS clip_s, "
            "k = total AND (req_end IS NULL OR e = req_end) AS clip_e FROM n) "
            "SELECT count(*) FROM c WHERE w.o IS DISTINCT FROM 'bucket' OR s IS NULL OR e IS NULL "
            "OR w.r OR e <= s OR (prev_end IS NOT NULL AND s <> prev_end) "
            "OR (req_start IS NOT NULL AND s < req_start) "
            "OR (req_end IS NOT NULL AND e > req_end) OR (s % width <> 0 AND NOT clip_s) "
            "OR (e % width <> 0 AND NOT clip_e) OR e - s > width "
            "OR (e - s <> width AND NOT (clip_s OR clip_e))"
        )
    )
    if row and row[0]:
        raise Declined(f"{row[0]} buckets break the window rules")


def run(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint, scenarios: list[Scenario], now: datetime
) -> FastResult:
    """Validate, flatten, dedupe and stage every page of ``endpoint``; raises Declined."""
    files = _meta_table(con, scenarios)
    biggest = max(os.path.getsize(f) for f in files) + 1
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE fp_pages AS SELECT * FROM read_json(?, filename=true, "
            f"maximum_object_size={max(biggest, 16 * 1024 * 1024)}, format='unstructured')",
            [files],
        )
    except duckdb.Error as exc:
        raise Declined(f"DuckDB could not read the pages: {exc}") from exc
    try:
        bucket_fields, fields = _result_struct(con)
        _check_types(endpoint, fields)
        chain_results = _chains(con, scenarios, bool(bucket_fields))
        unknown = sorted(set(fields) - known_keys(endpoint))
        unknown_bucket = sorted(
            set(bucket_fields) - {"object", "start_time", "end_time", "results"}
        )
        found = {s.name: _unknown_in(con, s, unknown, unknown_bucket) for s in scenarios}
        _flatten(con, endpoint, fields)
    finally:
        con.execute("DROP TABLE IF EXISTS fp_pages")
    _sql_checks(con, endpoint)
    fastdedupe.group(con, endpoint)
    fastdedupe.stage(con, endpoint, now)
    stats, raw = fastdedupe.stats(con, endpoint, [s.name for s in scenarios])
    con.execute("DROP TABLE fp_events; DROP TABLE fp_groups; DROP TABLE IF EXISTS fp_sgroups")
    runs = []
    for s in scenarios:
        chain, buckets = chain_results[s.name]
        runs.append(
            ScenarioRun(s, len(s.page_files), buckets, raw.get(s.name, 0), chain, found[s.name])
        )
    return FastResult(runs, stats)


def _flatten(con: duckdb.DuckDBPyConnection, endpoint: Endpoint, fields: dict[str, Any]) -> None:
    """One row per result: capture rank, window, typed fields, a hash of the values."""
    columns = [c for f in endpoint.fields for c in _field_sql(f, fields)]
    select = ", ".join(f"{expr} AS {name}" for expr, name in columns)
    names = [n for n, _ in value_columns(endpoint)]
    result_object = "res.object" if "object" in fields else "NULL::VARCHAR"
    if fields:
        source = (
            "(SELECT m.*, r.* FROM (SELECT filename, bi, bucket.start_time AS ws, "
            "bucket.end_time AS we, unnest(bucket.results) AS res, "
            "generate_subscripts(bucket.results, 1) - 1 AS ri FROM (SELECT filename, "
            "unnest(data) AS bucket, generate_subscripts(data, 1) - 1 AS bi FROM fp_pages)) r "
            "JOIN fp_meta m USING (filename))"
        )
    else:  # every bucket is empty: an empty table of the right shape
        select = ", ".join(
            f"{expr.replace('res.', 'NULL AND ')} AS {name}"
            if "res." in expr
            else f"{expr} AS {name}"
            for expr, name in columns
        )
        source = "(SELECT *, 0 AS bi, 0 AS ri, 0 AS ws, 0 AS we FROM fp_meta WHERE FALSE)"
        result_object = "NULL::VARCHAR"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE fp_events AS SELECT *, hash({', '.join(names)}) AS vh "
        "FROM (SELECT scenario, page_name, recorded_at, group_by, bi AS bucket_index, "
        "ri AS result_index, "
        # unique within the run, ordered like dedupe.py's capture rank
        "(file_rank::BIGINT << 40) | (bi::BIGINT << 20) | ri::BIGINT AS rank, "
        f"ws AS window_start, we AS window_end, {result_object} AS result_object, {select} "
        f"FROM {source})"
    )


def _unknown_in(
    con: duckdb.DuckDBPyConnection, s: Scenario, unknown: list[str], unknown_bucket: list[str]
) -> set[str]:
    """Fields the schema does not describe, attributed to the scenarios that carry a value."""
    found: set[str] = set()
    for name in unknown:
        row = one(
            con.execute(
                "SELECT count(*) FROM (SELECT unnest(b.results) AS res FROM "
                "(SELECT unnest(data) AS b FROM fp_pages JOIN fp_meta USING (filename) "
                f"WHERE scenario = ?)) WHERE res.{name} IS NOT NULL",
                [s.name],
            )
        )
        if row and row[0]:
            found.add(f"results[].{name}")
    for name in unknown_bucket:
        row = one(
            con.execute(
                "SELECT count(*) FROM (SELECT unnest(data) AS b FROM fp_pages JOIN fp_meta "
                f"USING (filename) WHERE scenario = ?) WHERE b.{name} IS NOT NULL",
                [s.name],
            )
        )
        if row and row[0]:
            found.add(f"data[].{name}")
    return found


def _sql_checks(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> None:
    """What the typed read cannot see: consts, required fields, counters >= 0."""
    checks = [
        f"result_object IS DISTINCT FROM '{endpoint.object}'",
        "window_start IS NULL OR window_end IS NULL",
    ]
    for f in endpoint.counters:
        if f.type == "money":
            checks.append(f"({f.name}_value IS NULL) <> ({f.name}_currency IS NULL)")
            continue
        checks.append(f"{f.name} < 0")
        if f.required or f.aliases:
            checks.append(f"{f.name} IS NULL")
    row = one(
        con.execute(f"SELECT count(*) FROM fp_events WHERE {' OR '.join(f'({c})' for c in checks)}")
    )
    if row and row[0]:
        raise Declined(f"{row[0]} results break the schema")
