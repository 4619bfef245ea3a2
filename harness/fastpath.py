"""The SQL hot path for usage and costs: DuckDB reads every page of an endpoint in one scan.

The pure Python stages (normalize.py, dedupe.py, schema.py) stay the readable reference and the
explainer of errors: whenever this path finds anything wrong (a type the schema forbids, a
missing required field, a broken chain, JSON DuckDB cannot read) it declines, and the pipeline
runs the Python stages on that endpoint to report each problem with file, page and pointer.
A differential test (tests/test_fastpath.py) proves both paths give the same report and rows.

Steps, for each endpoint (start_all() runs two endpoints at a time, each on a cursor and in a
schema of its own):
1. fastread.py: ``read_json`` with the registry's columns, integers as doubles and every
   other scalar as text (no type inference), newline-delimited when the pages are one value per
   line, flattened straight into ``fp_all``: one row per result, plus one per empty bucket
   and empty page, with its file's capture rank and typed values; a ``bad`` flag marks any
   value its type forbids.
2. Schema rules the typed read cannot see (consts, required fields, counters >= 0); envelopes
   through chains.check_chain, bucket windows by the same rules in SQL.
3. fastdedupe.py: winners by capture rank, statistics, then ``fp_all`` pruned to the winners
   behind the staged view that store/ingest.py upserts from. Steps 1-3 are start().
4. settle(), once the checksums are verified: the bytes' token counts (tokens.py) must balance
   against the keys, strings and true/false values the read saw; a file that does not
   balance (an unknown field, odd formatting) is checked by the reference validator, which
   also names its unknown fields.
   Settling last lets the checksum thread count tokens while DuckDB reads.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import duckdb

from . import chains, fastdedupe, fixtures, integrity, schema, tokens
from .endpoints import Endpoint
from .errors import HarnessError
from .fastread import (
    FORMATS,
    Declined,
    file_key,
    meta_table,
    one_per_line,
    read,
    seen_in_results,
)
from .models import Page, Scenario
from .report import EndpointStats, ScenarioRun
from .store.connection import location, one
from .store.ingest import staged_table

__all__ = [
    "Declined",
    "FastResult",
    "discard",
    "file_key",
    "run",
    "settle",
    "start",
    "start_all",
]


class Seen(NamedTuple):
    """What the typed read saw in one page file, for tokens.Tokens.balanced."""

    filename: str
    keys: int
    strings: int
    literals: int  # true and false: has_more and boolean fields


@dataclass
class FastResult:
    endpoint: Endpoint
    scenarios: list[Scenario]
    runs: list[ScenarioRun]
    stats: EndpointStats
    seen: list[Seen]  # for settle()
    schema: str  # where the staged rows are kept (fastdedupe.stage): for discard()


def _seen(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> list[Seen]:
    """(file, keys, strings, literals) the typed read saw in each page file; raises Declined
    on a file that did not read as exactly one page."""
    keys, strings, literals = seen_in_results(endpoint)
    # Grouped by the integer file id, then named: grouping by the file name cost twice as much.
    rows = con.execute(
        "SELECT m.filename, coalesce(pages, 0), coalesce(keys, 0), coalesce(strings, 0), "
        "coalesce(literals, 0) FROM fp_meta m LEFT JOIN (SELECT file_id, "
        "count(*) FILTER (WHERE bucket_index = 0 AND result_index = 0) AS pages, "
        f"sum(nkeys) + {keys} AS keys, sum(nstrings) + {strings} AS strings, "
        f"count(has_more) + {literals} AS literals "
        "FROM fp_all GROUP BY file_id) USING (file_id)"
    ).fetchall()
    seen = []
    for filename, pages, keys_seen, strings_seen, literals_seen in rows:
        if pages != 1:
            raise Declined(f"{filename}: not exactly one JSON value")
        seen.append(Seen(filename, int(keys_seen), int(strings_seen), int(literals_seen)))
    return seen


def _unbalanced(seen: list[Seen], counted: Mapping[str, tokens.Tokens]) -> list[str]:
    """Files whose token counts do not balance against what the read saw (a file missing from
    ``counted`` is read and counted here)."""
    suspects = []
    for s in seen:
        found = counted.get(file_key(s.filename))
        if found is None:
            found = tokens.count(Path(s.filename).read_bytes())
        if not found.balanced(s.keys, s.strings, s.literals):
            suspects.append(s.filename)
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
            # One ordering serves both neighbours; a bucket's window is never NULL here (the
            # read flags that), so a NULL neighbour marks the first or the last bucket.
            "n AS (SELECT *, lag(e) OVER w AS prev_end, lead(s) OVER w AS next_start FROM b "
            "WINDOW w AS (PARTITION BY sid ORDER BY page_no, bi)), "
            "c AS (SELECT *, prev_end IS NULL AND s = req_start AS clip_s, "
            "next_start IS NULL AND (req_end IS NULL OR e = req_end) AS clip_e FROM n) "
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


def start(
    con: duckdb.DuckDBPyConnection,
    endpoint: Endpoint,
    scenarios: list[Scenario],
    now: datetime,
) -> FastResult:
    """Read, validate, dedupe and stage every page of ``endpoint``; raises Declined. The
    result is provisional until settle() has balanced it against the token counts. The
    staged rows are kept in ``con``'s current schema, behind a view in the database's main
    schema (fastdedupe.stage)."""
    files = meta_table(con, scenarios)
    formats = FORMATS if one_per_line(files) else FORMATS[1:]
    for n, json_format in enumerate(formats, start=1):
        try:
            read(con, endpoint, files, json_format)
            break
        except duckdb.Error as exc:
            if n == len(formats):
                raise Declined(f"DuckDB could not read the pages: {exc}") from exc
    staged = ""
    try:
        _sql_checks(con, endpoint)
        seen = _seen(con, endpoint)
        chain_results = _chains(con, scenarios)
        spans = fastdedupe.group(con, endpoint)
        stats, raw = fastdedupe.stats(con, endpoint, [s.name for s in scenarios], spans)
        staged = fastdedupe.stage(con, endpoint, now)
        integrity.reference_ids(con, [endpoint])
    finally:
        con.execute(
            "DROP VIEW IF EXISTS fp_sgroups; DROP TABLE IF EXISTS fp_spanning; "
            "DROP TABLE IF EXISTS fp_groups; DROP TABLE IF EXISTS fp_losers; "
            "DROP TABLE IF EXISTS fp_all"
        )
        if not staged:
            discard(con, endpoint)
    runs = []
    for s in scenarios:
        chain, buckets = chain_results[s.name]
        runs.append(ScenarioRun(s, len(s.page_files), buckets, raw.get(s.name, 0), chain))
    return FastResult(endpoint, scenarios, runs, stats, seen, staged)


# How many endpoints start() at once. After its read, an endpoint's checks and dedupe run
# mostly on one core: DuckDB scans a table on one thread per 122,880 rows, and all but the
# largest endpoint have fewer. A second endpoint in flight keeps the other core busy.
# DuckDB's pool shrinks meanwhile so that the threads add up to the cores it had: each query
# runs on its caller's thread plus the pool's, and four threads on two cores ran slower.
# Measured on 2 cores, 1M results, 8 paired runs, median: one endpoint at a time 3.58 s; two
# with DuckDB's usual two threads 3.72 s; two with one thread each 3.41 s.
WORKERS = 2


# Called on a worker's cursor after each endpoint it starts, with the names started so far.
Then = Callable[[duckdb.DuckDBPyConnection, frozenset[str]], None]


def start_all(
    con: duckdb.DuckDBPyConnection,
    todo: list[tuple[Endpoint, list[Scenario]]],
    now: datetime,
    then: Then | None = None,
) -> dict[str, FastResult]:
    """start() for each endpoint, WORKERS at a time, by name; an endpoint that declines is
    left out (the Python path takes it). Each worker has a cursor (a connection of its own to
    the same database: its temp tables are its own) and a schema of its own for the tables
    that become the staged rows; the staged views are in the main schema, for ``con``."""
    row = one(con.execute("SELECT current_setting('threads')"))
    threads, (database, _) = int(row[0]) if row else 1, location(con)
    free: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
    cursors = []
    done: set[str] = set()
    lock = threading.Lock()

    def start_one(endpoint: Endpoint, scenarios: list[Scenario]) -> FastResult | None:
        cursor = free.get()
        try:
            result = start(cursor, endpoint, scenarios, now)
            with lock:
                done.add(endpoint.name)
                names = frozenset(done)
            if then is not None:
                then(cursor, names)
            return result
        except Declined:
            return None
        finally:
            free.put(cursor)

    con.execute(f"SET threads = {max(1, threads - WORKERS + 1)}")
    try:
        for n in range(WORKERS):
            cursors.append(con.cursor())
            cursors[-1].execute(
                f"CREATE SCHEMA IF NOT EXISTS fp_worker{n}; "
                f"SET search_path = 'fp_worker{n},{database}.main'"
            )
            free.put(cursors[-1])
        # Biggest first (by bytes to read), so that the last to finish is a small one.
        by_size = sorted(
            todo, key=lambda t: -sum(os.path.getsize(p) for s in t[1] for p in s.page_files)
        )
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="harness-fastpath") as pool:
            futures = {e.name: pool.submit(start_one, e, scenarios) for e, scenarios in by_size}
            results = {e.name: futures[e.name].result() for e, _ in todo}
    finally:
        for cursor in cursors:
            cursor.close()
        con.execute(f"SET threads = {threads}")
    return {name: result for name, result in results.items() if result is not None}


def settle(result: FastResult, counted: Mapping[str, tokens.Tokens]) -> None:
    """Balance a started endpoint against the token counts of its verified bytes: files that
    do not balance go to the reference validator, which names their unknown fields; raises
    Declined on any schema error there (discard() the endpoint, then run the Python path)."""
    found = _examine(result.endpoint, result.scenarios, _unbalanced(result.seen, counted))
    for run in result.runs:
        run.unknown_fields |= found.get(run.scenario.name, set())


def discard(con: duckdb.DuckDBPyConnection, endpoint: Endpoint, schema: str = "") -> None:
    """Drop what start() staged for ``endpoint`` (when it declines after all) in ``schema``
    (FastResult.schema; by default the connection's current one)."""
    if not schema:
        schema = ".".join(location(con))
    database = schema.split(".")[0]
    con.execute(
        f"DROP VIEW IF EXISTS {database}.main.{staged_table(endpoint)}; "
        f"DROP TABLE IF EXISTS {schema}.{fastdedupe.staged_rows(endpoint)}; "
        f"DROP TABLE IF EXISTS {schema}.{fastdedupe.staged_meta(endpoint)}; "
        f"DROP TABLE IF EXISTS {schema}.fp_meta"
    )


def run(
    con: duckdb.DuckDBPyConnection,
    endpoint: Endpoint,
    scenarios: list[Scenario],
    now: datetime,
    counted: Mapping[str, tokens.Tokens] | None = None,
) -> FastResult:
    """start() and settle() in one: ``counted`` holds token counts by file_key (files missing
    from it are read and counted here); raises Declined, leaving nothing staged."""
    result = start(con, endpoint, scenarios, now)
    try:
        settle(result, counted or {})
    except Declined:
        discard(con, endpoint)
        raise
    return result
