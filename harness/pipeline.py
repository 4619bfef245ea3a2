"""The run, end to end: the one place that decides which stage runs when.

checksums -> layout -> JSON -> schema -> page chains -> normalize -> dedupe -> fail-fast
project check -> one DuckDB transaction (preflight/migrate, upsert, cursors, FK checks) -> report.
Usage and costs take the SQL fast path (fastpath.py); the lists, fetched pages and whatever
the fast path declines take the Python reference path (reference.py). Everything before the
transaction happens in an in-memory workspace, so a corpus that fails a check never touches the
database file; any failure inside the transaction rolls it back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from . import (
    checksums,
    fastdedupe,
    fastpath,
    faults,
    fixtures,
    integrity,
    reference,
    report,
    tokens,
)
from .endpoints import ENDPOINTS, REGISTRY
from .errors import DatabaseError, RelationshipError
from .models import Scenario
from .report import ScenarioRun
from .store import attach, cursors, migrate, workspace
from .store import ingest as store_ingest
from .store.ingest import DEFAULT_UPSERT_MODE, UpsertMode, WriteCounts

DEFAULT_FIXTURES = Path("fixtures")
# Set to 1 to run every endpoint through the pure Python reference stages (slower; for
# debugging and the differential test).
REFERENCE_ENV = "HARNESS_REFERENCE_PATH"
DEFAULT_DB = Path("reports/harness.duckdb")
DEFAULT_REPORT = Path("reports/report.json")


def default_checksums(fixtures_dir: Path) -> Path:
    """CHECKSUMS.sha256 in the folder that holds the fixtures folder (a corpus root holds both)."""
    return fixtures_dir.parent / "CHECKSUMS.sha256"


@dataclass(frozen=True)
class ReplayOptions:
    fixtures: Path = DEFAULT_FIXTURES
    db: Path = DEFAULT_DB
    checksums: Path | None = None
    scenarios: tuple[str, ...] = ()
    now: datetime | None = None
    upsert_mode: UpsertMode = DEFAULT_UPSERT_MODE
    allow_list: Path | None = None  # ids known to be deleted: see integrity.load_allow_list


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


@dataclass
class ReplayResult:
    report: dict[str, Any]
    runs: list[ScenarioRun]
    checksum_files: int
    migrations_applied: list[str] = field(default_factory=list)


def prepare(
    options: ReplayOptions, fetch: reference.Fetch | None = None, now: datetime | None = None
) -> Prepared:
    """All checks that need no database file; raises the first failing stage's CorpusError.

    Usage and costs go through the SQL fast path when pages are files; whatever it declines,
    the lists, and fetched pages go through the Python stages, which also explain every error.
    """
    now = now or datetime.now(UTC)
    manifest = options.checksums or default_checksums(options.fixtures)
    counted: dict[str, tokens.Tokens] = {}
    # Discovery first, alone: it is pure Python, and the checksum thread's per-file Python
    # work would contend with it for the GIL (three times slower on many small files).
    try:
        selected = fixtures.select(fixtures.discover(options.fixtures), options.scenarios)
    except BaseException:
        checksums.verify(manifest, options.fixtures)  # a checksum problem wins over this one
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
    verification = checksums.Verification(manifest, options.fixtures, count).start()
    try:
        return _prepare(selected, fetch, now, counted, verification, options)
    except BaseException:
        verification.result()  # raises the checksum problems, if any, in place of this one
        raise


def _prepare(
    selected: list[Scenario],
    fetch: reference.Fetch | None,
    now: datetime,
    counted: Mapping[str, tokens.Tokens],
    verification: checksums.Verification,
    options: ReplayOptions,
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
            options.allow_list,
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


def _fail_fast_projects(prepared: Prepared, now: datetime) -> None:
    issues = prepared.triage(
        integrity.unknown_projects(prepared.con, [REGISTRY[name] for name in prepared.stats])
    )
    if issues:
        raise _relationship_error(prepared, issues, [], now, before_ingest=True)


def _relationship_error(
    prepared: Prepared,
    issues: list[dict[str, Any]],
    unverifiable: list[dict[str, Any]],
    now: datetime,
    *,
    before_ingest: bool,
) -> RelationshipError:
    error = integrity.relationship_error(issues, before_ingest=before_ingest)
    error.report = prepared.report(now, relationship_issues=issues, unverifiable=unverifiable)
    return error


def _ingest(
    con: duckdb.DuckDBPyConnection,
    prepared: Prepared,
    db: Path,
    upsert_mode: UpsertMode,
    now: datetime,
    strict: bool,
) -> tuple[dict[str, WriteCounts], list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    applied = migrate.preflight(con, db, now)
    faults.checkpoint("after-migrate")
    writes: dict[str, WriteCounts] = {}
    staged = []
    for name in sorted(prepared.stats):
        endpoint = REGISTRY[name]
        writes[name] = store_ingest.upsert(con, endpoint, upsert_mode)
        staged.append(endpoint)
        faults.checkpoint(f"after-upsert:{name}")
    cursors.save(
        con,
        [
            cursors.Cursor(
                endpoint=run.scenario.endpoint.name,
                project_id=run.scenario.project_id or "",
                request_fingerprint=run.scenario.request.fingerprint,
                next_page=run.chain.next_cursor if run.chain.has_more else None,
                has_more=run.chain.has_more,
                window_start=run.scenario.request.start_time,
                window_end=run.scenario.request.end_time,
            )
            for run in prepared.runs
        ],
        now,
    )
    # A table loaded from empty holds exactly its staged rows, unique by the dedupe's own
    # grouping, so only tables that held rows before (perhaps written outside harness) can
    # hold duplicates.
    integrity.duplicate_keys(con, [e for e in staged if not writes[e.name].first_load])
    found, unverifiable = integrity.relationship_issues(con, staged)
    issues = prepared.triage(found)
    if issues and strict:
        raise _relationship_error(prepared, issues, unverifiable, now, before_ingest=False)
    faults.checkpoint("before-commit")
    warnings = [issue | {"severity": "warning"} for issue in issues]
    return writes, applied, unverifiable, warnings


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # no transaction was open (the attach itself failed)


def _remove_new_database(path: Path) -> None:
    for leftover in (path, Path(f"{path}.wal")):
        leftover.unlink(missing_ok=True)


def replay(options: ReplayOptions, fetch: reference.Fetch | None = None) -> ReplayResult:
    """Replay the corpus into the database; raises HarnessError (see errors.py) on any failure.

    ``fetch`` replaces reading page files, e.g. with the live client (``replay --served``).
    """
    now = options.now or datetime.now(UTC)
    prepared = prepare(options, fetch, now)
    try:
        _fail_fast_projects(prepared, now)
    except BaseException:
        prepared.con.close()
        raise
    return ingest(prepared, options.db, now, options.upsert_mode)


def ingest(
    prepared: Prepared,
    db: Path,
    now: datetime,
    upsert_mode: UpsertMode = DEFAULT_UPSERT_MODE,
    *,
    strict: bool = True,
) -> ReplayResult:
    """One transaction: preflight, upserts, cursors, FK checks. Any failure rolls it all back.

    With ``strict=False`` (a live sync), dangling references are reported as warnings instead
    of failing the run: history can legitimately name deleted keys or users.
    """
    existed = db.exists()
    con = prepared.con
    committed = False
    try:
        attach(con, db)
        con.execute("BEGIN TRANSACTION")
        try:
            writes, applied, unverifiable, warnings = _ingest(
                con, prepared, db, upsert_mode, now, strict
            )
            con.execute("COMMIT")
            committed = True
        except duckdb.Error as exc:
            raise DatabaseError(f"ingest into {db} failed: {exc}") from exc
        finally:
            if not committed:
                _rollback(con)
    finally:
        con.close()
        if not committed and not existed:
            _remove_new_database(db)
    built = prepared.report(
        now, writes=writes, relationship_issues=warnings, unverifiable=unverifiable
    )
    return ReplayResult(built, prepared.runs, prepared.checksum_files, applied)


# The clock of every per-scenario replay (pytest plugin, `harness verify`): byte-stable snapshots.
SNAPSHOT_NOW = datetime(2025, 9, 30, 6, 0, tzinfo=UTC)


def scenario_report(
    fixtures_dir: Path, scenario_id: str, db: Path, checksums_path: Path | None = None
) -> dict[str, Any]:
    """Replay one scenario alone into ``db``: the report a snapshot holds (no write counts)."""
    options = ReplayOptions(
        fixtures=fixtures_dir,
        db=db,
        checksums=checksums_path,
        scenarios=(scenario_id,),
        now=SNAPSHOT_NOW,
    )
    return report.without_writes(replay(options).report)


Loaded = reference.Loaded
Fetch = reference.Fetch

__all__ = [
    "Prepared",
    "ReplayOptions",
    "ReplayResult",
    "default_checksums",
    "prepare",
    "replay",
    "scenario_report",
]
