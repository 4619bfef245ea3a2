"""The SQL hot path for usage and costs: DuckDB reads every page of an endpoint in one scan.

The pure Python stages (normalize.py, dedupe.py, schema.py) stay the readable reference and the
explainer of errors: whenever this path finds anything wrong (a type the schema forbids, a
missing required field, a broken chain, JSON DuckDB cannot read) it declines, and the pipeline
runs the Python stages on that endpoint to report each problem with file, page and pointer.
A differential test (tests/test_fastpath.py) proves both paths give the same report and rows.

Steps: read_json (types inferred over all pages) -> checks of the inferred types against the
registry -> envelopes and bucket windows through chains.check_chain -> one flat table of results
-> SQL checks -> dedupe key (models.dedupe_key's encoding, in SQL) -> winners by capture rank ->
the staged table that store/ingest.py upserts, and the report's statistics.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from . import chains
from .endpoints import SQL_TYPES, Endpoint, Field
from .models import Page, Scenario
from .report import DEDUPED_USAGE_CAP, EndpointStats, ScenarioRun, ScenarioStats
from .schema import known_keys
from .store.connection import one
from .store.ingest import staged_table
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
        if str(bucket) == '"NULL"':
            return {}, {}  # every page has data: []
        raise Declined("buckets are not objects")
    buckets = _children(bucket)
    results = buckets.get("results")
    if results is None or results.id != "list":
        raise Declined("results is not a list")
    result = results.children[0][1]
    if str(result) == '"NULL"':
        return buckets, {}
    if result.id != "struct":
        raise Declined("results are not objects")
    return buckets, _children(result)


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


def _encode(column: str, sql_type: str) -> str:
    """models.encode_key_part in SQL."""
    if sql_type == "BOOLEAN":
        return f"CASE WHEN {column} IS NULL THEN '~' WHEN {column} THEN 't' ELSE 'f' END"
    if sql_type == "BIGINT":
        return f"coalesce(CAST({column} AS VARCHAR), '~')"
    return (
        f"CASE WHEN {column} IS NULL THEN '~' ELSE strlen({column})::VARCHAR || ':' || {column} END"
    )


def _meta_table(con: duckdb.DuckDBPyConnection, scenarios: list[Scenario]) -> list[str]:
    rows: dict[str, list[Any]] = {
        k: [] for k in ("filename", "scenario", "page_no", "page_name", "recorded_at", "group_by")
    }
    for s in scenarios:
        for n, path in enumerate(s.page_files, start=1):
            rows["filename"].append(str(path))
            rows["scenario"].append(s.name)
            rows["page_no"].append(n)
            rows["page_name"].append(path.name)
            rows["recorded_at"].append(s.request.recorded_at)
            rows["group_by"].append(",".join(s.request.group_by))
    con.register("fp_meta_arrow", pa.table(rows))
    con.execute("CREATE OR REPLACE TEMP TABLE fp_meta AS SELECT * FROM fp_meta_arrow")
    con.unregister("fp_meta_arrow")
    return rows["filename"]


def _chains(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint, scenarios: list[Scenario], has_buckets: bool
) -> dict[str, tuple[chains.ChainResult, int]]:
    """Envelopes and bucket windows (no results) through the reference chain check."""
    buckets = (
        "list_transform(p.data, lambda b: {'object': b.object, 'start_time': b.start_time, "
        "'end_time': b.end_time, 'missing': b.results IS NULL})"
        if has_buckets
        else "[]"
    )
    rows = con.execute(
        f"SELECT p.filename, p.object, p.has_more, p.next_page, p.data IS NULL, {buckets} "
        "FROM fp_pages p"
    ).fetchall()
    by_file = {r[0]: r for r in rows}
    out: dict[str, tuple[chains.ChainResult, int]] = {}
    for s in scenarios:
        pages = []
        for n, path in enumerate(s.page_files, start=1):
            row = by_file.get(str(path))
            if row is None or row[1] != "page" or row[2] is None or row[4]:
                raise Declined(f"{path}: not a page envelope")
            data = row[5] or []
            if any(
                b["object"] != "bucket"
                or b["start_time"] is None
                or b["end_time"] is None
                or b["missing"]
                for b in data
            ):
                raise Declined(f"{path}: a bucket breaks the schema")
            pages.append(
                Page(
                    n,
                    path,
                    {"object": row[1], "has_more": row[2], "next_page": row[3], "data": data},
                )
            )
        result = chains.check_chain(s, pages)
        if result.problems:
            raise Declined(f"{s.id}: page chain problems")
        out[s.name] = (result, sum(len(p.body["data"]) for p in pages))
    if len(rows) != sum(len(s.page_files) for s in scenarios):
        raise Declined("a page file holds more than one JSON value")
    return out


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
    bucket_fields, fields = _result_struct(con)
    _check_types(endpoint, fields)
    chain_results = _chains(con, endpoint, scenarios, bool(bucket_fields))
    unknown_bucket = sorted(set(bucket_fields) - {"object", "start_time", "end_time", "results"})
    unknown = sorted(set(fields) - known_keys(endpoint))

    columns = [
        c
        for f in endpoint.dimensions + endpoint.counters + endpoint.attributes
        for c in _field_sql(f, fields)
    ]
    select = (
        ", ".join(f"{expr} AS {name}" for expr, name in columns)
        if fields
        else ", ".join(f"{expr} AS {name}" for expr, name in columns)
    )
    result_object = "res.object" if "object" in fields else "NULL::VARCHAR"
    flat_from = (
        "WITH b AS (SELECT filename, unnest(data) AS bucket, generate_subscripts(data, 1) - 1 "
        "AS bi FROM fp_pages), r AS (SELECT filename, bi, bucket.start_time AS ws, "
        "bucket.end_time AS we, unnest(bucket.results) AS res, "
        "generate_subscripts(bucket.results, 1) - 1 AS ri FROM b) "
    )
    if fields:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE fp_events AS {flat_from} SELECT m.scenario, m.page_no, "
            "m.page_name, m.recorded_at, m.group_by, r.bi AS bucket_index, r.ri AS result_index, "
            f"r.ws AS window_start, r.we AS window_end, {result_object} AS result_object, {select} "
            "FROM r JOIN fp_meta m USING (filename)"
        )
    else:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE fp_events AS SELECT m.scenario, m.page_no, m.page_name, "
            "m.recorded_at, m.group_by, 0::BIGINT AS bucket_index, 0::BIGINT AS result_index, "
            "0::BIGINT AS window_start, 0::BIGINT AS window_end, NULL::VARCHAR AS result_object, "
            f"{select} FROM fp_meta m WHERE FALSE"
        )
    _sql_checks(con, endpoint)
    _rank(con, endpoint)
    _stage(con, endpoint, now)
    stats, raw = _stats(con, endpoint)
    runs = []
    for s in scenarios:
        chain, buckets = chain_results[s.name]
        found = _unknown_in(con, s, unknown, unknown_bucket)
        runs.append(ScenarioRun(s, len(s.page_files), buckets, raw.get(s.name, 0), chain, found))
    con.execute("DROP TABLE fp_pages; DROP TABLE fp_events; DROP TABLE fp_ranked")
    return FastResult(runs, stats)


def _unknown_in(
    con: duckdb.DuckDBPyConnection, s: Scenario, unknown: list[str], unknown_bucket: list[str]
) -> set[str]:
    # A field is attributed to the scenarios whose pages carry it with a value.
    found: set[str] = set()
    for name in unknown:
        row = one(
            con.execute(
                "SELECT count(*) FROM (SELECT unnest(b.results) AS res FROM "
                "(SELECT unnest(data) AS b FROM fp_pages JOIN fp_meta USING (filename) "
                "WHERE scenario = ?)) "
                f"WHERE res.{name} IS NOT NULL",
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


def _key_sql(endpoint: Endpoint) -> str:
    parts = ["window_start::VARCHAR", "window_end::VARCHAR", _encode("group_by", "VARCHAR")]
    parts += [_encode(f.name, SQL_TYPES[f.type]) for f in endpoint.dimensions]
    text = " || '|' || ".join([f"'{endpoint.name}'", *parts])
    return f"substr(sha256({text}), 1, 32)"


RANK = "recorded_at DESC, scenario DESC, page_no DESC, bucket_index DESC, result_index DESC"
SCENARIO_RANK = "page_no DESC, bucket_index DESC, result_index DESC"


def _values(endpoint: Endpoint) -> str:
    names = [n for n, _ in value_columns(endpoint)]
    return "{" + ", ".join(f"'{n}': {n}" for n in names) + "}"


def _rank(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> None:
    vals = _values(endpoint)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE fp_ranked AS SELECT *, "
        f"row_number() OVER (PARTITION BY dedupe_key ORDER BY {RANK}) AS rn, "
        f"row_number() OVER (PARTITION BY scenario, dedupe_key ORDER BY {SCENARIO_RANK}) AS srn, "
        f"first_value(vals) OVER (PARTITION BY dedupe_key ORDER BY {RANK}) AS winner_vals, "
        f"first_value(vals) OVER (PARTITION BY scenario, dedupe_key ORDER BY {SCENARIO_RANK}) "
        f"AS scenario_winner_vals, "
        f"first_value({{'scenario': scenario, 'page': page_name, 'bucketIndex': bucket_index, "
        f"'resultIndex': result_index, 'recordedAt': recorded_at}}) "
        f"OVER (PARTITION BY dedupe_key ORDER BY {RANK}) AS winner_at "
        f"FROM (SELECT *, {_key_sql(endpoint)} AS dedupe_key, {vals} AS vals FROM fp_events)"
    )


def _stage(con: duckdb.DuckDBPyConnection, endpoint: Endpoint, now: datetime) -> None:
    """The winners, shaped like store/ingest.stage's table."""
    dims = ", ".join(f.name for f in endpoint.dimensions)
    values = ", ".join(n for n, _ in value_columns(endpoint))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {staged_table(endpoint)} AS SELECT dedupe_key, "
        "to_timestamp(window_start) AS window_start, to_timestamp(window_end) AS window_end, "
        f"group_by, {dims}, {values}, scenario AS source_scenario, page_name AS source_page, "
        "CAST(recorded_at AS TIMESTAMPTZ) AS captured_at, CAST(? AS TIMESTAMPTZ) AS synced_at, "
        "bucket_index, result_index FROM fp_ranked WHERE rn = 1 ORDER BY dedupe_key",
        [now],
    )


def _sums(endpoint: Endpoint, where: str) -> str:
    parts = []
    for f in endpoint.counters:
        if f.type == "money":
            continue
        parts.append(f"coalesce(sum({f.name}) FILTER (WHERE {where}), 0)::BIGINT AS {f.name}")
    return ", ".join(parts) or "NULL AS _none"


def _counters(
    endpoint: Endpoint, row: dict[str, Any], money: list[tuple[Any, ...]]
) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    for f in endpoint.counters:
        if f.type == "money":
            out[f.name] = 0
            for currency, total in money:
                name = f.name if currency in (None, "usd") else f"{f.name}_{currency}"
                out[name] = out.get(name, 0) + float(total)
        else:
            out[f.name] = int(row[f.name])
    return dict(sorted(out.items()))


def _money(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint, where: str, scenario: str | None = None
) -> list[tuple[Any, ...]]:
    if not any(f.type == "money" for f in endpoint.counters):
        return []
    filt = "" if scenario is None else " AND scenario = ?"
    # Currencies are summed as decimals first; None and usd share the plain `amount` key.
    return con.execute(
        "SELECT CASE WHEN amount_currency IS NULL OR amount_currency = 'usd' THEN 'usd' "
        "ELSE amount_currency END AS cur, sum(amount_value) FROM fp_ranked "
        f"WHERE {where} AND amount_value IS NOT NULL{filt} GROUP BY cur ORDER BY cur",
        [scenario] if scenario else [],
    ).fetchall()


def _stats(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint
) -> tuple[EndpointStats, dict[str, int]]:
    same = "vals IS NOT DISTINCT FROM winner_vals"
    cur = con.execute(
        f"SELECT count(*) FILTER (WHERE rn = 1) AS deduped, "
        f"count(*) FILTER (WHERE rn > 1 AND {same}) AS duplicates, "
        f"{_sums(endpoint, 'rn = 1')} FROM fp_ranked"
    )
    names = [d[0] for d in cur.description]
    total = dict(zip(names, one(cur) or (), strict=True))
    money = _money(con, endpoint, "rn = 1")
    scenarios: dict[str, ScenarioStats] = {}
    raw: dict[str, int] = {}
    s_same = "vals IS NOT DISTINCT FROM scenario_winner_vals"
    cur = con.execute(
        f"SELECT scenario, count(*) AS raw, count(*) FILTER (WHERE srn = 1) AS deduped, "
        f"count(*) FILTER (WHERE srn > 1 AND {s_same}) AS duplicates, "
        f"{_sums(endpoint, 'srn = 1')} FROM fp_ranked GROUP BY scenario ORDER BY scenario"
    )
    names = [d[0] for d in cur.description]
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        raw[row["scenario"]] = int(row["raw"])
        scenarios[row["scenario"]] = ScenarioStats(
            int(row["deduped"]),
            int(row["duplicates"]),
            _counters(endpoint, row, _money(con, endpoint, "srn = 1", row["scenario"])),
        )
    stats = EndpointStats(
        deduped=int(total["deduped"]),
        duplicates=int(total["duplicates"]),
        counters=_counters(endpoint, total, money),
        conflicts=_conflicts(con, endpoint),
        scenarios=scenarios,
        sample=_sample(con, endpoint),
    )
    for name in set(scenario_names(con)) - set(scenarios):
        scenarios[name] = ScenarioStats(0, 0, _counters(endpoint, _zeros(endpoint), []))
    return stats, raw


def scenario_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT scenario FROM fp_meta").fetchall()]


def _zeros(endpoint: Endpoint) -> dict[str, int]:
    return {f.name: 0 for f in endpoint.counters}


def _json_value(value: Any) -> Any:
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value


def _key_dict(endpoint: Endpoint, row: dict[str, Any]) -> dict[str, Any]:
    key = {
        "window_start": row["window_start"],
        "window_end": row["window_end"],
        "group_by": row["group_by"].split(",") if row["group_by"] else [],
    }
    key.update({f.name: row[f.name] for f in endpoint.dimensions})
    return key


def _conflicts(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> list[dict[str, Any]]:
    cur = con.execute(
        "SELECT *, vals AS loser_vals FROM fp_ranked WHERE rn > 1 AND vals IS DISTINCT FROM "
        "winner_vals ORDER BY dedupe_key, rn"
    )
    names = [d[0] for d in cur.description]
    out = []
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        loser = {
            "scenario": row["scenario"],
            "page": row["page_name"],
            "bucketIndex": row["bucket_index"],
            "resultIndex": row["result_index"],
            "recordedAt": row["recorded_at"],
        }
        out.append(
            {
                "endpoint": endpoint.name,
                "key": _key_dict(endpoint, row),
                "winner": row["winner_at"] | {"values": _sorted_values(row["winner_vals"])},
                "loser": loser | {"values": _sorted_values(row["loser_vals"])},
            }
        )
    return out


def _sorted_values(vals: dict[str, Any]) -> dict[str, Any]:
    return {k: _json_value(v) for k, v in sorted(vals.items())}


def _sample(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> list[dict[str, Any]]:
    cur = con.execute(
        f"SELECT * FROM fp_ranked WHERE rn = 1 ORDER BY dedupe_key LIMIT {DEDUPED_USAGE_CAP}"
    )
    names = [d[0] for d in cur.description]
    out = []
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        key = _key_dict(endpoint, row)
        out.append(
            {
                "endpoint": endpoint.name,
                "windowStart": key["window_start"],
                "windowEnd": key["window_end"],
                "groupBy": key["group_by"],
                "dimensions": {f.name: row[f.name] for f in endpoint.dimensions},
                "values": _sorted_values(row["vals"]),
                "scenario": row["scenario"],
                "page": row["page_name"],
            }
        )
    return out
