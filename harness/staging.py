"""Everything a run does before the database file is opened, in an in-memory workspace.

Discovery first; then the checksum thread verifies every file (lending the SQL engine's pages
to its strict decode) while the SQL engine stages usage and costs, two endpoints at a time, and
the reference engine stages the directory listings on a thread of its own. Whatever the SQL
engine declines goes to the reference engine, which names every problem. The result,
``Prepared``, is what ``pipeline.py``'s transaction writes: a corpus that fails any check here
never touches the database file.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from . import checksums, drift, engines, estimate, fixtures, integrity
from .endpoints import ENDPOINTS, REGISTRY, Endpoint
from .engines.reference import stage as reference
from .engines.sql import parallel
from .engines.sql import stage as sql
from .engines.sql import stats as sql_stats
from .engines.sql.read import Declined
from .engines.sql.validate import PageValidator
from .errors import LayoutError
from .models import Scenario
from .stats import Staged
from .store import workspace


@dataclass
class Prepared:
    """Everything known before the database is opened."""

    con: duckdb.DuckDBPyConnection  # the workspace: every endpoint's staged_<name> relation
    staged: Staged
    cost_estimate: float
    checksum_files: int = 0
    allowed: list[integrity.Allowed] = field(default_factory=list)
    silenced: list[dict[str, Any]] = field(default_factory=list)  # issues the allow-list covers

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
    of them when empty); raises the first failing stage's CorpusError."""
    # Discovery first, alone: it is pure Python, and the checksum thread's per-file Python
    # work would contend with it for the GIL.
    try:
        found = fixtures.discover(fixtures_dir)
        if not found:
            raise LayoutError(
                f"{fixtures_dir} holds no scenario: a gate over nothing would pass",
                hint="record or copy scenarios in as <endpoint>/<scenario>/request.json + "
                "page-001.json, then run `harness checksums --write`",
            )
        selected = fixtures.select(found, scenarios)
    except BaseException:
        if fixtures_dir.is_dir():  # a checksum problem wins over this one
            checksums.verify(manifest, fixtures_dir)
        raise
    todo = _for_sql(selected) if fetch is None else []
    validator = PageValidator([s for _, taken in todo for s in taken])
    # Nothing needs the checksums before every endpoint is read, so they are computed beside
    # the SQL engine. A checksum failure still wins over any error it may have caused
    # downstream, and nothing is written before it is known. Without the SQL engine there is
    # nothing to overlap with: no thread.
    verification = checksums.Verification(manifest, fixtures_dir, validator)
    if todo:
        verification.start()
    try:
        prepared = _prepare(selected, todo, fetch, now, validator, verification, allow_list)
    except BaseException:
        verification.result()  # raises the checksum problems, if any, in place of this one
        raise
    if fetch is None:  # what the engines read must be what was verified, byte for byte
        try:
            _still_verified(selected, verification.stamps)
        except BaseException:
            prepared.con.close()
            raise
    return prepared


def _still_verified(
    selected: list[Scenario], stamps: dict[tuple[int, int], checksums.Stamp]
) -> None:
    """Every file the engines read is the file discovery saw before any engine read it and
    whose checksum was verified (checksums.still_verified): the checksums are computed beside
    the engines, so a file forged for the read and restored before its hash is caught here."""
    checksums.still_verified(
        stamps,
        [
            pair
            for s in selected
            for pair in zip(
                (s.directory / "request.json", *s.page_files),
                (s.request_stamp, *s.page_stamps),
                strict=True,
            )
        ],
    )


def _for_sql(selected: list[Scenario]) -> list[tuple[Endpoint, list[Scenario]]]:
    """The usage and costs endpoints the SQL engine takes, with their scenarios: those whose
    pages hold at least ``engines.sql_min_bytes()``."""
    if not engines.sql_enabled():
        return []
    floor = engines.sql_min_bytes()
    todo = []
    for endpoint in ENDPOINTS:
        taken = [s for s in selected if s.endpoint is endpoint]
        if endpoint.bucketed and taken and _size(taken) >= floor:
            todo.append((endpoint, taken))
    return todo


def _size(scenarios: list[Scenario]) -> int:
    size = 0
    for scenario in scenarios:
        for path in scenario.page_files:
            try:
                size += path.stat().st_size
            except OSError:  # the checksums name it
                pass
    return size


def _take_ids(cursor: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> None:
    integrity.reference_ids(cursor, [endpoint])


def _prepare(
    selected: list[Scenario],
    todo: list[tuple[Endpoint, list[Scenario]]],
    fetch: reference.Fetch | None,
    now: datetime,
    validator: PageValidator,
    verification: checksums.Verification,
    allow_list: Path | None,
) -> Prepared:
    con = workspace()
    lists: Future[Staged] | None = None
    try:
        started: dict[str, sql.FastResult] = {}
        if todo:
            # What the reference engine takes goes on a thread and a cursor of its own while
            # DuckDB reads, instead of alone once it is done.
            taken = {e.name for e, _ in todo}
            rest = [s for s in selected if s.endpoint.name not in taken]
            with ThreadPoolExecutor(1, thread_name_prefix="harness-lists") as early:
                lists = early.submit(reference.stage_files, con, rest, now)
                started = parallel.start_all(con, todo, now, _take_ids)
        verified = verification.result()  # every page was decoded strictly
        staged = Staged()
        for name, result in started.items():
            try:
                sql.settle(con, result, validator)
            except Declined:
                sql.discard(con, result.endpoint, result.schema)
                continue
            staged.runs += result.runs
            staged.stats[name] = result.stats
        left = [
            s for e in ENDPOINTS if e.name not in staged.stats for s in selected if s.endpoint is e
        ]
        # The thread staged all the reference engine has to do unless an endpoint declined or
        # its own endpoints hold problems.
        if lists is not None and lists.exception() is None and len(staged.stats) == len(todo):
            by_reference = lists.result()
        else:  # what the thread found wrong, with the declined endpoints' problems, in one go
            by_reference = reference.stage(con, reference.load(left, fetch), now)
        fast = list(staged.stats)  # their reference ids were taken on the workers
        sql_stats.fill_samples(con, staged.stats | by_reference.stats, fast)
        return _prepared(con, staged.merge(by_reference), allow_list, verified.files, fast)
    except BaseException:
        con.close()
        raise


def _prepared(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    allow_list: Path | None,
    files: int = 0,
    have_ids: list[str] | None = None,
) -> Prepared:
    """The staged workspace's summary, and the distinct ids its references name (read by the
    fail-fast project check and, inside the transaction, by the foreign-key checks; the
    endpoints in ``have_ids`` took theirs already)."""
    integrity.reference_ids(con, [REGISTRY[n] for n in staged.stats if n not in (have_ids or [])])
    found = drift.drift(con, [REGISTRY[name] for name in staged.stats])
    for name, figures in staged.stats.items():
        figures.drift = found[name]
    prepared = Prepared(con, staged, estimate.cost_estimate(con), files)
    if allow_list:
        prepared.allowed = integrity.load_allow_list(allow_list)
    return prepared


def prepare_loaded(loaded: reference.Loaded, allow_list: Path | None, now: datetime) -> Prepared:
    """Prepare pages already in memory (a live sync) through the reference engine."""
    con = workspace()
    try:
        return _prepared(con, reference.stage(con, loaded, now), allow_list)
    except BaseException:
        con.close()
        raise
