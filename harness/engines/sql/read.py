"""The SQL engine's one scan: DuckDB reads an endpoint's page files into ``fp_all``.

``read_json`` is given the registry's columns, so there is no type inference (it samples only 32
files): integers as DOUBLE (a JSON number is parsed once; reading it as text and casting that
cost a fifth of the scan), every other scalar as text. Values are cast in SQL, and a ``bad`` flag
marks any value its type forbids. What the read converts leniently (``"5"`` or ``true`` to 5,
``7`` to ``'7'``) never gets this far: every page was decoded strictly first (validate.py). The
scan flattens straight into one row per result, plus one per empty bucket and empty page, each
with its file's capture rank, the typed values, and hashes of its key and values (for
dedupe.py). ``fp_meta`` holds one row per page file.
Both are tables of the connection's current schema, not temp tables: once pruned to the
winners they are the staged rows, which the connection that ingests reads (parallel.start_all).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb

from ...endpoints import SQL_TYPES, Endpoint, Field
from ...models import BUCKET_SECONDS, Scenario
from ...store.connection import columns_select
from ...store.tables import value_columns

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


# read_json formats, fastest first: one value per line (as API clients and synth write pages),
# then any layout (pretty-printed fixtures).
FORMATS = ("newline_delimited", "unstructured")
_PEEK = 1 << 16


class Declined(Exception):
    """The SQL engine will not vouch for this endpoint; the reference engine takes over."""


def file_key(path: Path | str) -> str:
    """How verdicts on pages are keyed: the same file under any relative spelling."""
    return os.path.abspath(path)


def meta_table(con: duckdb.DuckDBPyConnection, scenarios: list[Scenario]) -> list[str]:
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
        f"CREATE OR REPLACE TABLE fp_meta AS SELECT *, CAST(recorded_at AS TIMESTAMPTZ) "
        f"AS captured_at FROM (SELECT {columns_select(META)})",
        columns,
    )
    return columns[0]


def key_columns(endpoint: Endpoint) -> str:
    """The dedupe key as ``fp_all`` columns; gid stands for group_by (the same text within one
    run, and an integer groups faster)."""
    return ", ".join(["window_start", "window_end", "gid", *(f.name for f in endpoint.dimensions)])


def _keys(f: Field) -> list[str]:
    """The raw keys of a usage/costs field: its name and older aliases, all top-level."""
    if any(len(source) != 1 for source in f.sources):
        raise Declined(f"{f.name}: nested paths are read by the reference path")
    return [source[0] for source in f.sources]


def _columns(endpoint: Endpoint) -> str:
    """read_json's columns: the registry's shape, integers as DOUBLE, other scalars as text."""
    kinds = {"money": "STRUCT(value VARCHAR, currency VARCHAR)", "integer": "DOUBLE"}
    result = ['"object" VARCHAR']
    for f in endpoint.fields:
        kind = kinds.get("integer" if f.type == "timestamp" else f.type, "VARCHAR")
        result += [f'"{key}" {kind}' for key in _keys(f)]
    bucket = (
        "STRUCT(object VARCHAR, start_time DOUBLE, end_time DOUBLE, "
        f"results STRUCT({', '.join(result)})[])"
    )
    return (
        "{'object': 'VARCHAR', 'has_more': 'VARCHAR', 'next_page': 'VARCHAR', "
        f"'data': '{bucket}[]'}}"
    )


# Below 2**53 a double holds every integer exactly; past it the reference engine decides.
_EXACT = 2**53


def _integer(raw: str) -> tuple[str, str]:
    """An integer read as a double: whole and exact, as JSON Schema's integer (1.0 and 1e3
    are integers, and normalize.whole makes them ints); 1.5, NaN and 1e300 are not. An object or
    array fails the read; a string or true read as a number never passed the strict decode."""
    typed = f"TRY_CAST({raw} AS BIGINT)"
    return typed, f"({raw} IS NOT NULL AND NOT ({raw} = trunc({raw}) AND abs({raw}) < {_EXACT}))"


def _value(f: Field, raw: str) -> tuple[str, str]:
    """(typed SQL expression, violation SQL expression) of one raw value: a double for an
    integer (see _columns), text otherwise."""
    if f.type in ("integer", "timestamp"):
        return _integer(raw)
    if f.type == "number":
        typed = f"TRY_CAST({raw} AS DOUBLE)"
        return typed, f"({raw} IS NOT NULL AND {typed} IS NULL)"
    if f.type == "boolean":
        typed = f"CASE {raw} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END"
        return typed, f"({raw} IS NOT NULL AND {typed} IS NULL)"
    # A string column also receives objects and arrays as their JSON text: refuse anything
    # that could be one (a real string starting so is left to the reference path). prefix()
    # compares bytes; left() counted characters, at twice the cost.
    return raw, f"coalesce(prefix({raw}, '{{') OR prefix({raw}, '['), FALSE)"


def _fields(endpoint: Endpoint) -> tuple[list[str], list[str]]:
    """(typed columns, violations) over the unnested ``res``."""
    typed: list[str] = []
    bad = [_value(Field("object", "string"), "res.object")[1]]
    for f in endpoint.fields:
        raws = [f'res."{key}"' for key in _keys(f)]
        if f.type == "money":
            (raw,) = raws
            value, value_bad = _value(Field("value", "number"), f"{raw}.value")
            currency = f"{raw}.currency"
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
    return typed, bad


def one_per_line(files: list[str]) -> bool:
    """Whether the pages look like one JSON value per line (what API clients and synth write):
    DuckDB reads those newline-delimited, about a third faster. Only the first file's start is
    looked at; a later file that breaks the guess fails the read, which is then retried."""
    with open(files[0], "rb") as fh:
        head = fh.read(_PEEK)
    return b"\n" not in head.rstrip(b"\r\n")


def read(
    con: duckdb.DuckDBPyConnection,
    endpoint: Endpoint,
    files: list[str],
    json_format: str = "unstructured",
) -> None:
    """``fp_all``: every result, empty bucket and empty page of the endpoint, typed.

    ``json_format``: read_json's ``format``; both read a file holding several values as
    several pages, which checks.one_page_per_file refuses."""
    typed, bad = _fields(endpoint)
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
    names = [n for n, _ in value_columns(endpoint)]
    biggest = max(os.path.getsize(f) for f in files) + 1
    # Empty lists unnest to no rows; [NULL] in their place keeps one row for each.
    buckets = "CASE WHEN len(data) > 0 THEN data ELSE [NULL] END"
    results = "CASE WHEN len(b.results) > 0 THEN b.results ELSE [NULL] END"
    con.execute(
        "CREATE OR REPLACE TABLE fp_all AS SELECT *, "
        f"hash({', '.join(names)}) AS vh, hash({key_columns(endpoint)}) AS kh "
        "FROM (SELECT file_id, sid, gid, bi AS bucket_index, "
        "ri AS result_index, res IS NOT NULL AS is_result, bnull, "
        # unique within the run, ordered like dedupe.py's capture rank
        "(file_id << 40) | (bi::BIGINT << 20) | ri::BIGINT AS rank, "
        f"{start} AS window_start, {end} AS window_end, res.object AS result_object, "
        f"{', '.join(typed)}, "
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
        f"FROM read_json(?, filename=true, format='{json_format}', auto_detect=false, "
        f"maximum_object_size={max(biggest, 16 * 1024 * 1024)}, columns={_columns(endpoint)})) "
        "JOIN fp_meta m USING (filename)))",
        [files],
    )
