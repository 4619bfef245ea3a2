"""Everything a run does before the database file is opened, in an in-memory workspace.

Discovery, then checksums (and token counts) on a thread of their own while the SQL fast path
(fastpath.py) reads, checks, dedupes and stages usage and costs, and the Python reference path
(reference.py) stages the directory listings and whatever the fast path declines. The result,
Prepared, is what pipeline.py's transaction writes: a corpus that fails any check here never
touches the database file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from . import checksums, fastdedupe, fastpath, fixtures, integrity, reference, report, tokens
from .endpoints import ENDPOINTS, REGISTRY
from .models import Scenario
from .report import ScenarioRun
from .store import workspace

# Set to 1 to run every endpoint through the pure Python reference stages (slower; for
# debugging and the differential test).
REFERENCE_ENV = "HARNESS_REFERENCE_PATH"


@dataclass
class Prepared:
    """Everything known before the database is opened."""

    con: duckdb.DuckDBPyConnection  # the workspace: every endpoint's staged_<name> table
    runs: list[ScenarioRun]
    stats: dict[str, report.EndpointStats]
    cost_estimate: float
    checksum_files: int = 0
    allowed: list[integrity.Allowed] = field(default_factory=list)
    silenced: list[dict[str, Any]] = field(default_factory=list)  # issues the allow-list covers

    def report(self, now: datetime, **details: Any) -> dict[str, Any]:
        """The run's report; ``details`` are report.build's keyword arguments."""
        return report.build(
            self.runs,
            self.stats,
            now=now,
            cost_estimate=self.cost_estimate,
            allowed=self.silenced,
            **details,
        )

    def triage(self, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Issues left after the allow-list; the silenced ones are kept for the report."""
        remaining, silenced = integrity.apply_allow_list(issues, self.allowed)
        self.silenced = integrity.sort_issues(self.silenced + silenced)
        return remaining


def prepare(
    fixtures_dir: Path,
    manifest: Path,
    scenarios: Iterable[str],
    allow_list: Path | None,
    fetch: reference.Fetch | None,
    now: datetime,
) -> Prepared:
    """All checks that need no database file, for the ``scenarios`` of ``fixtures_dir`` (all
    of them when empty); raises the first failing stage's CorpusError.

    Usage and costs go through the SQL fast path when pages are files; whatever it declines,
    the lists, and fetched pages go through the Python stages, which also explain every error.
    """
    counted: dict[str, tokens.Tokens] = {}
    # Discovery first, alone: it is pure Python, and the checksum thread's per-file Python
    # work would contend with it for the GIL (three times slower on many small files).
    try:
        selected = fixtures.select(fixtures.discover(fixtures_dir), scenarios)
    except BaseException:
        checksums.verify(manifest, fixtures_dir)  # a checksum problem wins over this one
        raise
    # Only the fast path's pages are balanced against token counts (not request.json, not
    # the listings' pages): 2,250 of 3,139 files at 1M results.
    pages = {fastpath.file_key(p) for s in selected if s.endpoint.bucketed for p in s.page_files}

    def count(path: Path, data: bytearray, size: int) -> None:
        key = fastpath.file_key(path)
        if key in pages:
            counted[key] = tokens.count(data, size)

    # Checksums (and token counts) are computed on a second thread while DuckDB reads and
    # checks: nothing needs them before every endpoint is read. A checksum failure still wins
    # over any error it may have caused downstream, and nothing is written before it is known.
    verification = checksums.Verification(manifest, fixtures_dir, count).start()
    try:
        return _prepare(selected, fetch, now, counted, verification, allow_list)
    except BaseException:
        verification.result()  # raises the checksum problems, if any, in place of this one
        raise


def _prepare(
    selected: list[Scenario],
    fetch: reference.Fetch | None,
    now: datetime,
    counted: Mapping[str, tokens.Tokens],
    verification: checksums.Verification,
    allow_list: Path | None,
) -> Prepared:
    con = workspace()
    estimate = report.CostEstimate()
    lists: Future[tuple[list[ScenarioRun], dict[str, report.EndpointStats]]] | None = None
    try:
        started: dict[str, fastpath.FastResult] = {}
        if fetch is None and not os.environ.get(REFERENCE_ENV):
            todo = [(e, [s for s in selected if s.endpoint is e]) for e in ENDPOINTS if e.bucketed]
            # The directory listings take the Python path: analysed and staged on a thread
            # and a cursor of their own while DuckDB reads, instead of alone once it is done.
            listed = [s for s in selected if not s.endpoint.bucketed]
            with ThreadPoolExecutor(1, thread_name_prefix="harness-lists") as early:
                lists = early.submit(reference.stage_apart, con, listed, now)
                started = fastpath.start_all(
                    con, [(e, s) for e, s in todo if s], now, estimate.when_staged
                )
        verified = verification.result()  # token counts are complete
        runs: list[ScenarioRun] = []
        stats: dict[str, report.EndpointStats] = {}
        for name, result in started.items():
            try:
                fastpath.settle(result, counted)
            except fastpath.Declined:
                fastpath.discard(con, result.endpoint, result.schema)
                continue
            runs += result.runs
            stats[name] = result.stats
        selected_reference = [
            s for e in ENDPOINTS if e.name not in stats for s in selected if s.endpoint is e
        ]
        # The listings' thread staged all the Python path has to do unless a usage endpoint
        # declined or the listings hold problems.
        if (
            lists is not None
            and lists.exception() is None
            and not any(s.endpoint.bucketed for s in selected_reference)
        ):
            ref_runs, ref_stats = lists.result()
        else:  # what the thread found wrong, with the declined endpoints' problems, in one go
            ref_runs, ref_stats = reference.stage_reference(
                con, reference.load(selected_reference, fetch), now
            )
        stats |= ref_stats
        fast = [name for name in started if name in stats]  # start() took their ids too
        fastdedupe.fill_samples(con, stats, fast)
        return _prepared(
            con,
            runs + ref_runs,
            stats,
            allow_list,
            verified.files,
            fast,
            estimate.value(fast),
        )
    except BaseException:
        con.close()
        raise


def _prepared(
    con: duckdb.DuckDBPyConnection,
    runs: list[ScenarioRun],
    stats: dict[str, report.EndpointStats],
    allow_list: Path | None,
    files: int = 0,
    have_ids: list[str] | None = None,
    cost: float | None = None,
) -> Prepared:
    """The staged workspace's summary, and the distinct ids its references name (read by the
    fail-fast project check and, inside the transaction, by the foreign-key checks; the
    endpoints in ``have_ids`` took theirs already)."""
    integrity.reference_ids(con, [REGISTRY[n] for n in stats if n not in (have_ids or [])])
    cost = report.cost_estimate(con) if cost is None else cost
    prepared = Prepared(con, runs, stats, cost, files)
    if allow_list:
        prepared.allowed = integrity.load_allow_list(allow_list)
    return prepared


def prepare_loaded(loaded: reference.Loaded, allow_list: Path | None, now: datetime) -> Prepared:
    """Prepare pages already in memory (a live sync) through the Python stages."""
    con = workspace()
    try:
        runs, stats = reference.stage_reference(con, loaded, now)
        return _prepared(con, runs, stats, allow_list)
    except BaseException:
        con.close()
        raise
