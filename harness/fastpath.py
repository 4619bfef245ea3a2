"""The SQL hot path for usage and costs: DuckDB reads every page of an endpoint in one scan.

The pure Python stages (normalize.py, dedupe.py, schema.py) stay the readable reference and the
explainer of errors: whenever this path finds anything wrong (a type the schema forbids, a
missing required field, a broken chain, JSON DuckDB cannot read) it declines, and the pipeline
runs the Python stages on that endpoint to report each problem with file, page and pointer.
A differential test (tests/test_fastpath.py) proves both paths give the same report and rows.

Steps, one endpoint at a time:
1. ``read_json`` with the registry's columns, every scalar read as text (no type inference, no
   lenient conversion), flattened straight into ``fp_all``: one row per result, plus one per
   empty bucket and empty page, each carrying its file's capture rank and the typed values;
   a ``bad`` flag marks any value its type forbids.
2. The bytes' token counts (tokens.py) must balance against the keys and strings the read saw;
   a file that does not balance (an unknown field, odd formatting) is checked by the reference
   validator, which also names its unknown fields.
3. Envelopes through chains.check_chain, bucket windows by the same rules in SQL, schema rules
   the typed read cannot see (consts, required fields, counters >= 0).
4. fastdedupe.py: winners by capture rank, the staged table store/ingest.py upserts, statistics.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from . import chains, fastdedupe, fixtures, schema, tokens
from .endpoints import SQL_TYPES, Endpoint, Field
from .errors import HarnessError
from .models import BUCKET_SECONDS, Page, Scenario
from .report import EndpointStats, ScenarioRun
from .store.connection import columns_select, one
from .store.tables import value_columns

META = [
    ("filename", "VARCHAR"),
    ("file_id", "BIGINT"),  # the page's capture rank: recorded_at, scenario, page number
    ("sid", "INTEGER"),
    ("scenario", "VARCHAR"),
    ("page_no", "INTEGER"),
    ("page_name", "VARCHAR"),
    ("recorded_at", "VARCHAR"),
    ("group_by", "VARCHAR"),
    ("gid", "INTEGER"),  # group_by as a small integer: dedupe groups by it
    ("req_start", "BIGINT"),
    ("req_end", "BIGINT"),
    ("width", "BIGINT"),
]


class Declined(Exception):
    """The fast path will not vouch for this endpoint; the Python stages take over."""


@dataclass
class FastResult:
    runs: list[ScenarioRun]
    stats: EndpointStats


def file_key(path: Path | str) -> str:
    """How token counts are keyed: the same file under any relative spelling."""
    return os.path.abspath(path)


def _meta_table(con: duckdb.DuckDBPyConnection, scenarios: list[Scenario]) -> list[str]:
    """``fp_meta``: one row per page file; returns the files in capture order."""
    ordered = sorted(
        (
            (s.request.recorded_at, s.name, n, sid, s, path)
            for sid, s in enumerate(scenarios)
            for n, path in enumerate(s.page_files, start=1)
        ),
        key=lambda t: t[:3],
    )
    columns: list[list[Any]] = [[] for _ in META]
    gids: dict[str, int] = {}
    for file_id, (recorded_at, name, n, sid, s, path) in enumerate(ordered):
        width = BUCKET_SECONDS.get(s.request.bucket_width)
        if width is None:
            raise Declined(f"{s.id}: bucket_width {s.request.bucket_width!r}")
        row = (
            str(path),
            file_id,
            sid,
            name,
            n,
            path.name,
            recorded_at,
            ",".join(s.request.group_by),
            gids.setdefault(",".join(s.request.group_by), len(gids)),
            s.request.start_time,
            s.request.end_time,
            width,
        )
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE fp_meta AS SELECT *, CAST(recorded_at AS TIMESTAMPTZ) "
        f"AS captured_at FROM (SELECT {columns_select(META)})",
        columns,
    )
    return columns[0]


def _keys(f: Field) -> list[str]:
    """The raw keys of a usage/costs field: its name and older aliases, all top-level."""
    if any(len(source) != 1 for source in f.sources):
        raise Declined(f"{f.name}: nested paths are read by the reference path")
    return [source[0] for source in f.sources]


def _columns(endpoint: Endpoint) -> str:
    """read_json's columns: the registry's shape, every scalar as text."""
    result = ['"object" VARCHAR']
    for f in endpoint.fields:
        kind = "STRUCT(value VARCHAR, currency VARCHAR)" if f.type == "money" else "VARCHAR"
        result += [f'"{key}" {kind}' for key in _keys(f)]
    bucket = (
        "STRUCT(object VARCHAR, start_time VARCHAR, end_time VARCHAR, "
        f"results STRUCT({', '.join(result)})[])"
    )
    return (
        "{'object': 'VARCHAR', 'has_more': 'VARCHAR', 'next_page': 'VARCHAR', "
        f"'data': '{bucket}[]'}}"
    )


def _integer(raw: str) -> tuple[str, str]:
    # An integer's text survives the round trip; 1.5, 1e3, true and {...} do not.
    typed = f"TRY_CAST({raw} AS BIGINT)"
    return typed, f"({raw} IS NOT NULL AND CAST({typed} AS VARCHAR) IS DISTINCT FROM {raw})"


def _value(f: Field, raw: str) -> tuple[str, str]:
    """(typed SQL expression, violation SQL expression) of one raw text value."""
    if f.type in ("integer", "timestamp"):
        return _integer(raw)
    if f.type == "number":
        typed = f"TRY_CAST({raw} AS DOUBLE)"
        return typed, f"({raw} IS NOT NULL AND {typed} IS NULL)"
    if f.type == "boolean":
        typed = f"CASE {raw} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END"
        return typed, f"({raw} IS NOT NULL AND {typed} IS NULL)"
    # A string column also receives objects and arrays as their JSON text: refuse anything
    # that could be one (a real string starting so is left to the reference path).
    return raw, f"coalesce(left({raw}, 1) IN ('{{', '['), FALSE)"


def _fields(endpoint: Endpoint) -> tuple[list[str], list[str], list[str], list[str]]:
    """(typed columns, violations, key counts, string counts) over the unnested ``res``."""
    typed: list[str] = []
    bad: list[str] = []
    keys = ["(res.object IS NOT NULL)::INTEGER"]
    strings = ["(res.object IS NOT NULL)::INTEGER"]
    bad.append(_value(Field("object", "string"), "res.object")[1])
    for f in endpoint.fields:
        raws = [f'res."{key}"' for key in _keys(f)]
        keys += [f"({raw} IS NOT NULL)::INTEGER" for raw in raws]
        if f.type == "money":
            (raw,) = raws
            value, value_bad = _value(Field("value", "number"), f"{raw}.value")
            currency = f"{raw}.currency"
            keys += [
                f"({value_raw} IS NOT NULL)::INTEGER" for value_raw in (f"{raw}.value", currency)
            ]
            strings.append(f"({currency} IS NOT NULL)::INTEGER")
            # DuckDB prints a double as its shortest round-trip text, as Python's repr does.
            typed.append(
                f"CAST(CAST({value} AS VARCHAR) AS {SQL_TYPES['money']}) AS {f.name}_value"
            )
            typed.append(f"lower({currency}) AS {f.name}_currency")
            bad += [value_bad, _value(Field("currency", "string"), currency)[1]]
            continue
        parts = [_value(f, raw) for raw in raws]
        typed.append(
            (parts[0][0] if len(parts) == 1 else f"coalesce({', '.join(p[0] for p in parts)})")
            + f" AS {f.name}"
        )
        bad += [p[1] for p in parts]
        if f.type == "string":
            strings += [f"({raw} IS NOT NULL)::INTEGER" for raw in raws]
    return typed, bad, keys, strings


def _read(con: duckdb.DuckDBPyConnection, endpoint: Endpoint, files: list[str]) -> None:
    """``fp_all``: every result, empty bucket and empty page of the endpoint, typed."""
    typed, bad, keys, strings = _fields(endpoint)
    start, start_bad = _integer("ws_raw")
    end, end_bad = _integer("we_raw")
    bucket_bad = (
        f"(NOT bnull AND ri = 0 AND (bo IS DISTINCT FROM 'bucket' OR rnull OR ws_raw IS NULL "
        f"OR we_raw IS NULL OR {start_bad} OR {end_bad}))"
    )
    page_bad = (
        "(bi = 0 AND ri = 0 AND (dnull OR po IS DISTINCT FROM 'page' "
        "OR hm IS NULL OR hm NOT IN ('true', 'false') "
        f"OR {_value(Field('next_page', 'string'), 'np')[1]}))"
    )
    # A null inside data or results is not an empty list's placeholder row: refuse it.
    hole = "(bnull AND nb > 0) OR (res IS NULL AND nr > 0)"
    bucket_keys = (
        "CASE WHEN ri = 0 AND NOT bnull THEN (bo IS NOT NULL)::INTEGER + (ws_raw IS NOT NULL)"
        "::INTEGER + (we_raw IS NOT NULL)::INTEGER + (NOT rnull)::INTEGER ELSE 0 END"
    )
    page_keys = (
        "CASE WHEN bi = 0 AND ri = 0 THEN (po IS NOT NULL)::INTEGER + (hm IS NOT NULL)::INTEGER"
        " + (np IS NOT NULL)::INTEGER + (NOT dnull)::INTEGER ELSE 0 END"
    )
    bucket_strings = "CASE WHEN ri = 0 AND NOT bnull THEN (bo IS NOT NULL)::INTEGER ELSE 0 END"
    page_strings = (
        "CASE WHEN bi = 0 AND ri = 0 THEN (po IS NOT NULL)::INTEGER + (np IS NOT NULL)::INTEGER "
        "ELSE 0 END"
    )
    names = [n for n, _ in value_columns(endpoint)]
    biggest = max(os.path.getsize(f) for f in files) + 1
    # Empty lists unnest to no rows; [NULL] in their place keeps one row for each.
    buckets = "CASE WHEN len(data) > 0 THEN data ELSE [NULL] END"
    results = "CASE WHEN len(b.results) > 0 THEN b.results ELSE [NULL] END"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fp_all AS SELECT *, "
        f"hash({', '.join(names)}) AS vh FROM (SELECT file_id, sid, gid, bi AS bucket_index, "
        "ri AS result_index, res IS NOT NULL AS is_result, bnull, "
        # unique within the run, ordered like dedupe.py's capture rank
        "(file_id << 40) | (bi::BIGINT << 20) | ri::BIGINT AS rank, "
        f"{start} AS window_start, {end} AS window_end, res.object AS result_object, "
        f"{', '.join(typed)}, "
        f"{' + '.join(keys)} + {bucket_keys} + {page_keys} AS nkeys, "
        f"{' + '.join(strings)} + {bucket_strings} + {page_strings} AS nstrings, "
        f"{hole} OR {bucket_bad} OR {page_bad} OR "
        f"(res IS NOT NULL AND ({' OR '.join(bad)})) AS bad, "
        "CASE WHEN bi = 0 AND ri = 0 THEN po END AS page_object, "
        "CASE WHEN bi = 0 AND ri = 0 THEN hm END AS has_more, "
        "CASE WHEN bi = 0 AND ri = 0 THEN np END AS next_page, "
        "CASE WHEN bi = 0 AND ri = 0 THEN nb END AS buckets "
        "FROM (SELECT m.file_id, m.sid, m.gid, po, hm, np, nb, dnull, bi, b IS NULL AS bnull, "
        "b.object AS bo, b.start_time AS ws_raw, b.end_time AS we_raw, "
        "b.results IS NULL AS rnull, len(b.results) AS nr, "
        f"unnest({results}) AS res, generate_subscripts({results}, 1) - 1 AS ri "
        "FROM (SELECT filename, object AS po, has_more AS hm, next_page AS np, "
        "coalesce(len(data), 0) AS nb, data IS NULL AS dnull, "
        f"unnest({buckets}) AS b, generate_subscripts({buckets}, 1) - 1 AS bi "
        f"FROM read_json(?, filename=true, format='unstructured', auto_detect=false, "
        f"maximum_object_size={max(biggest, 16 * 1024 * 1024)}, columns={_columns(endpoint)})) "
        "JOIN fp_meta m USING (filename)))",
        [files],
    )


def _balance(
    con: duckdb.DuckDBPyConnection, counted: Callable[[], Mapping[str, tokens.Tokens]] | None
) -> list[str]:
    """Files whose token counts do not balance against the read; raises Declined on a file
    that did not read as exactly one page."""
    rows = con.execute(
        "SELECT m.filename, count(a.file_id) FILTER (WHERE bucket_index = 0 AND result_index = 0),"
        " coalesce(sum(nkeys), 0), coalesce(sum(nstrings), 0) "
        "FROM fp_meta m LEFT JOIN fp_all a USING (file_id) GROUP BY m.filename"
    ).fetchall()
    known = counted() if counted else {}
    suspects = []
    for filename, pages, keys, strings in rows:
        if pages != 1:
            raise Declined(f"{filename}: not exactly one JSON value")
        found = known.get(file_key(filename))
        if found is None:
            found = tokens.count(Path(filename).read_bytes())
        if not found.balanced(int(keys), int(strings)):
            suspects.append(filename)
    return sorted(suspects)


def _examine(
    endpoint: Endpoint, scenarios: list[Scenario], suspects: list[str]
) -> dict[str, set[str]]:
    """The reference validator on files that did not balance: their unknown fields by
    scenario; raises Declined on any schema error (the Python path then explains it)."""
    owner = {str(path): (s, n) for s in scenarios for n, path in enumerate(s.page_files, 1)}
    found: dict[str, set[str]] = {}
    for filename in suspects:
        s, n = owner[filename]
        try:
            page = Page(n, Path(filename), fixtures.read_json(Path(filename)))
        except HarnessError as exc:
            raise Declined(f"{filename}: {exc}") from exc
        if schema.page_problems(endpoint, page, f"{s.id}/{page.name}"):
            raise Declined(f"{filename}: schema errors")
        found.setdefault(s.name, set()).update(schema.unknown_fields(endpoint, page))
    return found


def _chains(
    con: duckdb.DuckDBPyConnection, scenarios: list[Scenario]
) -> dict[str, tuple[chains.ChainResult, int]]:
    """Envelopes through the reference chain check; bucket windows checked in SQL alike."""
    rows = con.execute(
        "SELECT m.filename, a.page_object, a.has_more, a.next_page, a.buckets FROM fp_all a "
        "JOIN fp_meta m USING (file_id) WHERE bucket_index = 0 AND result_index = 0"
    ).fetchall()
    by_file = {r[0]: r for r in rows}
    out: dict[str, tuple[chains.ChainResult, int]] = {}
    for s in scenarios:
        pages = []
        for n, path in enumerate(s.page_files, start=1):
            _, page_object, has_more, next_page, buckets = by_file[str(path)]
            body = {
                "object": page_object,
                "has_more": has_more == "true",
                "next_page": next_page,
                "data": [None] * buckets,
            }
            pages.append(Page(n, path, body))
        result = chains.check_chain(s, pages, windows=False)
        if result.problems:
            raise Declined(f"{s.id}: page chain problems")
        out[s.name] = (result, sum(len(p.body["data"]) for p in pages))
    _window_checks(con)
    return out


def _window_checks(con: duckdb.DuckDBPyConnection) -> None:
    """chains._bucket_windows in SQL: ordered, contiguous, aligned, clipped only at the ends."""
    row = one(
        con.execute(
            "WITH b AS (SELECT m.sid, m.page_no, a.bucket_index AS bi, m.req_start, m.req_end, "
            "m.width, a.window_start AS s, a.window_end AS e FROM fp_all a "
            "JOIN fp_meta m USING (file_id) WHERE a.result_index = 0 AND NOT a.bnull), "
            "n AS (SELECT *, lag(e) OVER (PARTITION BY sid ORDER BY page_no, bi) AS prev_end, "
            "row_number() OVER (PARTITION BY sid ORDER BY page_no, bi) AS k, "
            "count(*) OVER (PARTITION BY sid) AS total FROM b), "
            "c AS (SELECT *, k = 1 AND s = req_start AS clip_s, "
            "k = total AND (req_end IS NULL OR e = req_end) AS clip_e FROM n) "
            "SELECT count(*) FROM c WHERE e <= s OR (prev_end IS NOT NULL AND s <> prev_end) "
            "OR (req_start IS NOT NULL AND s < req_start) "
            "OR (req_end IS NOT NULL AND e > req_end) OR (s % width <> 0 AND NOT clip_s) "
            "OR (e % width <> 0 AND NOT clip_e) OR e - s > width "
            "OR (e - s <> width AND NOT (clip_s OR clip_e))"
        )
    )
    if row and row[0]:
        raise Declined(f"{row[0]} buckets break the window rules")


def _sql_checks(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> None:
    """Values of a type the schema forbids, and what typing cannot see: consts, required
    fields, counters >= 0."""
    checks = ["bad", f"is_result AND result_object IS DISTINCT FROM '{endpoint.object}'"]
    for f in endpoint.counters:
        if f.type == "money":
            checks.append(f"({f.name}_value IS NULL) <> ({f.name}_currency IS NULL)")
            continue
        checks.append(f"{f.name} < 0")
        if f.required or f.aliases:
            checks.append(f"is_result AND {f.name} IS NULL")
    row = one(
        con.execute(f"SELECT count(*) FROM fp_all WHERE {' OR '.join(f'({c})' for c in checks)}")
    )
    if row and row[0]:
        raise Declined(f"{row[0]} results break the schema")


def run(
    con: duckdb.DuckDBPyConnection,
    endpoint: Endpoint,
    scenarios: list[Scenario],
    now: datetime,
    counted: Callable[[], Mapping[str, tokens.Tokens]] | None = None,
) -> FastResult:
    """Validate, flatten, dedupe and stage every page of ``endpoint``; raises Declined.

    ``counted``: returns the token counts by file_key, taken while the checksums were verified
    (it may wait for them; files missing from it are read and counted here)."""
    files = _meta_table(con, scenarios)
    try:
        _read(con, endpoint, files)
    except duckdb.Error as exc:
        raise Declined(f"DuckDB could not read the pages: {exc}") from exc
    try:
        _sql_checks(con, endpoint)
        found = _examine(endpoint, scenarios, _balance(con, counted))
        chain_results = _chains(con, scenarios)
        fastdedupe.group(con, endpoint)
        fastdedupe.stage(con, endpoint, now)
        stats, raw = fastdedupe.stats(con, endpoint, [s.name for s in scenarios])
    finally:
        con.execute(
            "DROP TABLE IF EXISTS fp_all; "
            "DROP TABLE IF EXISTS fp_groups; DROP TABLE IF EXISTS fp_sgroups"
        )
    runs = []
    for s in scenarios:
        chain, buckets = chain_results[s.name]
        runs.append(
            ScenarioRun(
                s, len(s.page_files), buckets, raw.get(s.name, 0), chain, found.get(s.name, set())
            )
        )
    return FastResult(runs, stats)
