"""The reference engine's stage: pages in memory through the pure Python rules, then staged.

Twin of ``engines/sql/stage.py``. It takes the directory listings, pages fetched over HTTP
(sync, served replay), and any endpoint the SQL engine declines, so that each problem is
reported with its file, page and JSON pointer: ``schema.py``, ``chains.py``, ``normalize.py``
and ``dedupe.py`` in that order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

import duckdb

from ... import chains, fixtures, schema
from ...endpoints import REGISTRY
from ...errors import MalformedJSONError, PageChainError, Problem
from ...models import Event, Page, Scenario
from ...stats import ScenarioRun, Staged
from ...store import ingest as store_ingest
from .dedupe import Deduped, dedupe
from .normalize import PageContext, normalize_page
from .stats import endpoint_stats

Loaded = list[tuple[Scenario, list[Page]]]
# Where a scenario's pages come from: its files (replay), or the Admin API (served replay, sync).
Fetch = Callable[[Scenario], list[Page]]


def load(scenarios: list[Scenario], fetch: Fetch | None = None) -> Loaded:
    """Pages of each scenario, from its files or from ``fetch``; JSON errors all at once."""
    loaded = []
    malformed: list[Problem] = []
    for scenario in scenarios:
        try:
            loaded.append((scenario, (fetch or fixtures.load_pages)(scenario)))
        except MalformedJSONError as exc:
            malformed += exc.problems
    if malformed:
        raise MalformedJSONError.of(
            malformed,
            "{n} fixture files are not valid JSON",
            hint="restore the verbatim API response body, then run `harness checksums --write`",
        )
    return loaded


def analyse(loaded: Loaded) -> tuple[list[ScenarioRun], dict[str, Deduped]]:
    """The reference rules on pages in memory: schema, page chains, normalize, dedupe."""
    schema.validate_pages(
        [
            (s.endpoint, p, f"{s.id}/{p.name}", s.request.group_by)
            for s, pages in loaded
            for p in pages
        ]
    )

    runs: list[ScenarioRun] = []
    chain_problems: list[Problem] = []
    for scenario, pages in loaded:
        chain = chains.check_chain(scenario, pages)
        chain_problems += chain.problems
        events: list[Event] = []
        unknown: set[str] = set()
        for page in pages:
            ctx = PageContext(
                endpoint=scenario.endpoint,
                scenario=scenario.name,
                page=page.name,
                page_no=page.number,
                recorded_at=scenario.request.recorded_at,
                group_by=scenario.request.group_by,
                project_id=scenario.project_id,
            )
            events += normalize_page(ctx, page.body)
            unknown |= schema.unknown_fields(scenario.endpoint, page)
        buckets = (
            sum(len(p.body.get("data") or []) for p in pages) if scenario.endpoint.bucketed else 0
        )
        runs.append(ScenarioRun(scenario, len(pages), buckets, len(events), chain, unknown, events))
    if chain_problems:
        raise PageChainError.of(
            chain_problems,
            "{n} page-chain problems",
            hint="every page but the last needs has_more=true and a cursor, and the next page "
            "file must answer that cursor; restore the missing or wrong page",
        )

    by_endpoint: dict[str, list[Event]] = defaultdict(list)
    for run in runs:
        by_endpoint[run.scenario.endpoint.name] += run.events
    deduped = {name: dedupe(events) for name, events in sorted(by_endpoint.items())}
    return runs, deduped


def stage(con: duckdb.DuckDBPyConnection, loaded: Loaded, now: datetime) -> Staged:
    """The reference rules for ``loaded``, staged into the workspace as the SQL engine's."""
    runs, deduped = analyse(loaded)
    stats = {}
    for name, result in deduped.items():
        endpoint = REGISTRY[name]
        store_ingest.stage(con, endpoint, result.unique, now)
        stats[name] = endpoint_stats(
            endpoint, [r for r in runs if r.scenario.endpoint is endpoint], result
        )
    if "projects" not in deduped:  # the fail-fast check compares against this table
        store_ingest.stage(con, REGISTRY["projects"], [], now)
    return Staged(runs, stats)


def stage_files(con: duckdb.DuckDBPyConnection, scenarios: list[Scenario], now: datetime) -> Staged:
    """stage() for the files of ``scenarios``, on a cursor of its own: safe on a thread beside
    the SQL engine's workers (staging runs the directory listings so)."""
    cursor = con.cursor()
    try:
        return stage(cursor, load(scenarios), now)
    finally:
        cursor.close()
