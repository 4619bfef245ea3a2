"""The run, end to end: the one place that decides which stage runs when.

1. ``staging.prepare``: discovery, checksums, then the engines (``harness.engines``) validate,
   dedupe and stage every endpoint in an in-memory workspace;
2. the fail-fast project check (``integrity``);
3. one DuckDB transaction on the database file: preflight and migrations, upserts, cursors,
   key and foreign-key checks;
4. ``report.build``.

A corpus that fails a check before step 3 never touches the database file; any failure inside
the transaction rolls it back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from . import faults, integrity, report, staging
from .endpoints import REGISTRY
from .engines import REFERENCE_ENV
from .engines.reference import stage as reference
from .errors import DatabaseError, RelationshipError
from .staging import Prepared, prepare_loaded
from .stats import ScenarioRun
from .store import attach, cursors, migrate, template
from .store import ingest as store_ingest
from .store.ingest import DEFAULT_UPSERT_MODE, UpsertMode, WriteCounts

DEFAULT_FIXTURES = Path("fixtures")
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
class ReplayResult:
    report: dict[str, Any]
    runs: list[ScenarioRun]
    checksum_files: int
    migrations_applied: list[str] = field(default_factory=list)


def prepare(
    options: ReplayOptions, fetch: reference.Fetch | None = None, now: datetime | None = None
) -> Prepared:
    """All checks that need no database file (staging.py); raises the first failing stage's
    CorpusError."""
    return staging.prepare(
        options.fixtures,
        options.checksums or default_checksums(options.fixtures),
        options.scenarios,
        options.allow_list,
        fetch,
        now or datetime.now(UTC),
    )


def build_report(prepared: Prepared, now: datetime, **details: Any) -> dict[str, Any]:
    """The run's report; ``details`` are report.build's keyword arguments."""
    return report.build(
        prepared.staged.runs,
        prepared.staged.stats,
        now=now,
        cost_estimate=prepared.cost_estimate,
        allowed=prepared.silenced,
        **details,
    )


def _fail_fast_projects(prepared: Prepared, now: datetime) -> None:
    found = integrity.unknown_projects(prepared.con, [REGISTRY[n] for n in prepared.staged.stats])
    if found and "audit_logs" in prepared.staged.stats:  # a project the audit log deleted
        prepared.allowed += integrity.audit_log_deletions(
            prepared.con, [i["id"] for i in found], "staged_audit_logs"
        )
    issues = prepared.triage(found)
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
    error.report = build_report(
        prepared, now, relationship_issues=issues, unverifiable=unverifiable
    )
    return error


def _ingest(
    con: duckdb.DuckDBPyConnection,
    prepared: Prepared,
    db: Path,
    upsert_mode: UpsertMode,
    now: datetime,
    strict: bool,
    from_template: bool,
) -> tuple[dict[str, WriteCounts], list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    applied = migrate.preflight(con, db, now, from_template=from_template)
    faults.checkpoint("after-migrate")
    writes: dict[str, WriteCounts] = {}
    staged = []
    for name in sorted(prepared.staged.stats):
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
            for run in prepared.staged.runs
        ],
        now,
    )
    # A table loaded from empty holds exactly its staged rows, unique by the dedupe's own
    # grouping, so only tables that held rows before (perhaps written outside harness) can
    # hold duplicates.
    integrity.duplicate_keys(con, [e for e in staged if not writes[e.name].first_load])
    found, unverifiable = integrity.relationship_issues(con, staged)
    # What the audit log says was deleted (this run's events or an earlier sync's) is explained.
    prepared.allowed += integrity.audit_log_deletions(con, [i["id"] for i in found], "audit_logs")
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


# Called with the run's report just before its transaction commits; raising there rolls the
# run back (the CLI writes the report file there: a run that cannot write its report commits
# nothing, and one that committed has its report).
OnReport = Callable[[dict[str, Any]], None]


def replay(
    options: ReplayOptions,
    fetch: reference.Fetch | None = None,
    on_report: OnReport | None = None,
) -> ReplayResult:
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
    return ingest(prepared, options.db, now, options.upsert_mode, on_report=on_report)


def ingest(
    prepared: Prepared,
    db: Path,
    now: datetime,
    upsert_mode: UpsertMode = DEFAULT_UPSERT_MODE,
    *,
    strict: bool = True,
    extra: dict[str, Any] | None = None,
    on_report: OnReport | None = None,
) -> ReplayResult:
    """One transaction: preflight, upserts, cursors, FK checks. Any failure rolls it all back.

    With ``strict=False`` (a live sync), dangling references are reported as warnings instead
    of failing the run: history can legitimately name deleted keys or users.
    """
    created, from_template = template.create(db)
    con = prepared.con
    committed = False
    try:
        attach(con, db)
        con.execute("BEGIN TRANSACTION")
        try:
            writes, applied, unverifiable, warnings = _ingest(
                con, prepared, db, upsert_mode, now, strict, from_template
            )
            built = build_report(
                prepared,
                now,
                writes=writes,
                relationship_issues=warnings,
                unverifiable=unverifiable,
            )
            built |= extra or {}
            if on_report is not None:
                on_report(built)
            con.execute("COMMIT")
            committed = True
        except duckdb.Error as exc:
            raise DatabaseError(f"ingest into {db} failed: {exc}") from exc
        finally:
            if not committed:
                _rollback(con)
    finally:
        con.close()
        if not committed and created:  # only the run that created a file removes it
            _remove_new_database(db)
    return ReplayResult(built, prepared.staged.runs, prepared.checksum_files, applied)


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
    "REFERENCE_ENV",
    "Fetch",
    "Loaded",
    "Prepared",
    "ReplayOptions",
    "ReplayResult",
    "build_report",
    "default_checksums",
    "prepare",
    "prepare_loaded",
    "replay",
    "scenario_report",
]
