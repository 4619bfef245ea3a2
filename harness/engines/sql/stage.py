"""The SQL engine's stage: every page of an endpoint read, checked, deduped and staged in SQL.

Twin of ``engines/reference/stage.py``. Steps, for each endpoint (``parallel.start_all`` runs
two endpoints at a time, each on a cursor and in a schema of its own):

1. ``read.py``: ``read_json`` with the registry's columns, integers as doubles and every other
   scalar as text (no type inference), newline-delimited when the pages are one value per
   line, flattened straight into ``fp_all``: one row per result, plus one per empty bucket
   and empty page, with its file's capture rank and typed values; a ``bad`` flag marks any
   value its type forbids.
2. ``checks.py``: schema rules the typed read cannot see (consts, required fields, counters
   >= 0); envelopes through ``chains.check_chain``, bucket windows by the same rules in SQL.
3. ``dedupe.py`` and ``stats.py``: winners by capture rank, statistics, then ``fp_all`` pruned
   to the winners behind the staged view that ``store/ingest.py`` upserts from. Steps 1-3
   are start().
4. settle(), once the checksums are verified: every page must have passed the strict decode
   of its verified bytes (``validate.py``, on the checksum thread while DuckDB reads); a page
   it did not vouch for (an unknown field, say) is checked by the reference validator, which
   also names its unknown fields, and any problem there declines the endpoint.

Whenever this engine finds anything wrong it raises ``Declined``, and the reference engine
takes the endpoint, to report each problem with its file, page and pointer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from ...endpoints import Endpoint
from ...models import Scenario
from ...stats import EndpointStats, ScenarioRun
from ...store.connection import location
from ...store.ingest import staged_table
from . import dedupe, stats
from .checks import examine, one_page_per_file, page_chains, refused, schema_rules
from .read import FORMATS, Declined, file_key, meta_table, one_per_line, read
from .validate import Extras, PageValidator


@dataclass
class FastResult:
    endpoint: Endpoint
    scenarios: list[Scenario]
    runs: list[ScenarioRun]
    stats: EndpointStats
    files: list[str]  # the page files, for settle()
    schema: str  # where the staged rows are kept (dedupe.stage): for discard()
    now: datetime  # the run's clock (the staged rows' synced_at)


def start(
    con: duckdb.DuckDBPyConnection,
    endpoint: Endpoint,
    scenarios: list[Scenario],
    now: datetime,
) -> FastResult:
    """Read, validate, dedupe and stage every page of ``endpoint``; raises Declined. The
    result is provisional until settle() has held it to the strict decode. The
    staged rows are kept in ``con``'s current schema, behind a view in the database's main
    schema (dedupe.stage)."""
    unknown = {g for s in scenarios for g in endpoint.unknown_dimensions(s.request.group_by)}
    if unknown:  # extra_dimensions are kept by the reference engine
        raise Declined(f"group_by {', '.join(sorted(unknown))} unknown to the registry")
    files = meta_table(con, scenarios)
    formats = FORMATS if one_per_line(files) else FORMATS[1:]
    for n, json_format in enumerate(formats, start=1):
        try:
            read(con, endpoint, files, json_format)
            break
        # DuckDB quotes the offending text in its message, cut at a byte count: a cut inside
        # a UTF-8 character surfaces as UnicodeDecodeError instead of duckdb.Error.
        except (duckdb.Error, UnicodeDecodeError) as exc:
            if n == len(formats):
                raise Declined(f"DuckDB could not read the pages: {exc}") from exc
    staged = ""
    try:
        schema_rules(con, endpoint)
        files = one_page_per_file(con)
        chain_results = page_chains(con, scenarios)
        spans = dedupe.group(con, endpoint)
        figures, raw = stats.stats(con, endpoint, [s.name for s in scenarios], spans)
        staged = dedupe.stage(con, endpoint, now)
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
    return FastResult(endpoint, scenarios, runs, figures, files, staged, now)


def settle(con: duckdb.DuckDBPyConnection, result: FastResult, validator: PageValidator) -> None:
    """Hold a started endpoint to the strict decode of its verified bytes: files it did not
    vouch for go to the reference validator, which names their unknown fields; raises
    Declined on any problem there (discard() the endpoint, then run the reference engine).
    Then the results' unknown fields, which DuckDB's typed read left out, join the staged
    rows as ``extra_fields``."""
    found, examined = examine(
        result.endpoint,
        result.scenarios,
        refused(result.endpoint, result.files, validator),
        validator.texts,
    )
    # The unknown fields of the pages the strict decode vouched for (the others' are in found).
    by_file = {str(p): s.name for s in result.scenarios for p in s.page_files}
    extras: dict[str, Extras] = {}
    for filename in result.files:
        key = file_key(filename)
        held = examined.get(filename) or validator.extras.get(key)
        if held is not None and held.codes:
            extras[filename] = held
        named = validator.named.get(key, set())
        found.setdefault(by_file[filename], set()).update(f"results[].{n}" for n in named)
    for run in result.runs:
        run.unknown_fields |= found.get(run.scenario.name, set())
    if extras:
        dedupe.attach_extras(
            con, result.endpoint, result.schema, result.now, extras, validator.texts.codes
        )


def discard(con: duckdb.DuckDBPyConnection, endpoint: Endpoint, schema: str = "") -> None:
    """Drop what start() staged for ``endpoint`` (when it declines after all) in ``schema``
    (FastResult.schema; by default the connection's current one)."""
    if not schema:
        schema = ".".join(location(con))
    database = schema.split(".")[0]
    con.execute(
        f"DROP VIEW IF EXISTS {database}.main.{staged_table(endpoint)}; "
        f"DROP TABLE IF EXISTS {schema}.{dedupe.staged_rows(endpoint)}; "
        f"DROP TABLE IF EXISTS {schema}.{dedupe.staged_meta(endpoint)}; "
        f"DROP TABLE IF EXISTS {schema}.{dedupe.staged_extras(endpoint)}; "
        f"DROP TABLE IF EXISTS {schema}.fp_meta"
    )


def run(
    con: duckdb.DuckDBPyConnection,
    endpoint: Endpoint,
    scenarios: list[Scenario],
    now: datetime,
    validator: PageValidator | None = None,
) -> FastResult:
    """start() and settle() in one: ``validator`` holds the strict decode's verdicts (pages it
    has not seen are decoded here); raises Declined, leaving nothing staged."""
    result = start(con, endpoint, scenarios, now)
    try:
        settle(con, result, validator or PageValidator())
    except Declined:
        discard(con, endpoint)
        raise
    return result
