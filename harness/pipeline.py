"""The only module that chains the stages.

checksums -> layout -> JSON -> schema -> page chains -> normalize -> dedupe -> fail-fast
project check -> one DuckDB transaction (preflight/migrate, upsert, cursors, FK checks) -> report.
Everything before the transaction runs before the database is opened, so a corpus that fails a
check never touches it; any failure inside the transaction rolls it back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from . import chains, checksums, faults, fixtures, integrity, report, schema
from .dedupe import Deduped, dedupe
from .endpoints import REGISTRY
from .errors import (
    DatabaseError,
    MalformedJSONError,
    PageChainError,
    Problem,
    RelationshipError,
)
from .models import Event, Page, Scenario
from .normalize import PageContext, normalize_page
from .report import ScenarioRun
from .store import attach, cursors, migrate, workspace
from .store import ingest as store_ingest
from .store.ingest import UpsertMode, WriteCounts

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
    upsert_mode: UpsertMode = "merge"
    allow_list: Path | None = None  # ids known to be deleted: see integrity.load_allow_list


@dataclass
class Prepared:
    """Everything known before the database is opened."""

    runs: list[ScenarioRun]
    deduped: dict[str, Deduped]
    stats: dict[str, report.EndpointStats]
    cost_estimate: float
    checksum_files: int = 0
    allowed: list[integrity.Allowed] = field(default_factory=list)
    silenced: list[dict[str, Any]] = field(default_factory=list)  # issues the allow-list covers

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


def _label(run_id: str, page_name: str) -> str:
    return f"{run_id}/{page_name}"


Loaded = list[tuple[Scenario, list[Page]]]
# Where a scenario's pages come from: its files (replay), or the Admin API (served replay, sync).
Fetch = Callable[[Scenario], list[Page]]


def prepare(options: ReplayOptions, fetch: Fetch | None = None) -> Prepared:
    """All checks that need no database; raises the first failing stage's CorpusError."""
    manifest = options.checksums or default_checksums(options.fixtures)
    verified = checksums.verify(manifest, options.fixtures)
    selected = fixtures.select(fixtures.discover(options.fixtures), options.scenarios)

    loaded = []
    malformed: list[Problem] = []
    for scenario in selected:
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
    prepared = analyse(loaded, options.allow_list)
    prepared.checksum_files = verified.files
    return prepared


def analyse(loaded: Loaded, allow_list: Path | None = None) -> Prepared:
    """Schema, page chains, normalize and dedupe of pages already in memory."""
    schema.validate_pages(
        [(s.endpoint, p, _label(s.id, p.name)) for s, pages in loaded for p in pages]
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
    allowed = integrity.load_allow_list(allow_list) if allow_list else []
    stats = {
        name: report.stats_from_events(
            REGISTRY[name], [r for r in runs if r.scenario.endpoint.name == name], result
        )
        for name, result in deduped.items()
    }
    empty = Deduped([], 0, [])
    cost = report.cost_estimate(
        deduped.get("usage_completions", empty).unique, deduped.get("costs", empty).unique
    )
    return Prepared(runs, deduped, stats, cost, 0, allowed)


def _fail_fast_projects(prepared: Prepared, now: datetime) -> None:
    known = {e.key["id"] for e in prepared.deduped.get("projects", Deduped([], 0, [])).unique}
    issues = prepared.triage(
        integrity.unknown_projects((e for d in prepared.deduped.values() for e in d.unique), known)
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
    problems = [
        Problem(
            f"{i['kind']}: {i['field']} {i['id']!r} does not resolve",
            file=f"{i['endpoint']}/{i['scenario']}/{i['page']}",
            page=i["page"],
            pointer=(
                f"/data/{i['bucketIndex']}/results/{i['resultIndex']}"
                if i["bucketIndex"] is not None
                else f"/data/{i['resultIndex']}"
            ),
        )
        for i in issues
    ]
    stage = "before ingest; the database was not touched" if before_ingest else "rolled back"
    error = RelationshipError.of(
        problems,
        f"{{n}} unresolved references ({stage})",
        hint="add the missing entity to the directory fixtures (projects, users, keys, ...), "
        "or fix the id in the usage fixture",
    )
    error.report = report.build(
        prepared.runs,
        prepared.stats,
        now=now,
        cost_estimate=prepared.cost_estimate,
        relationship_issues=issues,
        unverifiable=unverifiable,
        allowed=prepared.silenced,
    )
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
    for name, result in prepared.deduped.items():
        endpoint = REGISTRY[name]
        store_ingest.stage(con, endpoint, result.unique, now)
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
    integrity.duplicate_keys(con, staged)
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


def replay(options: ReplayOptions, fetch: Fetch | None = None) -> ReplayResult:
    """Replay the corpus into the database; raises HarnessError (see errors.py) on any failure.

    ``fetch`` replaces reading page files, e.g. with the live client (``replay --served``).
    """
    now = options.now or datetime.now(UTC)
    prepared = prepare(options, fetch)
    _fail_fast_projects(prepared, now)
    return ingest(prepared, options.db, now, options.upsert_mode)


def ingest(
    prepared: Prepared,
    db: Path,
    now: datetime,
    upsert_mode: UpsertMode = "merge",
    *,
    strict: bool = True,
) -> ReplayResult:
    """One transaction: preflight, upserts, cursors, FK checks. Any failure rolls it all back.

    With ``strict=False`` (a live sync), dangling references are reported as warnings instead
    of failing the run: history can legitimately name deleted keys or users.
    """
    existed = db.exists()
    con = workspace()
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
    built = report.build(
        prepared.runs,
        prepared.stats,
        now=now,
        cost_estimate=prepared.cost_estimate,
        writes=writes,
        relationship_issues=warnings,
        unverifiable=unverifiable,
        allowed=prepared.silenced,
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


__all__ = [
    "Prepared",
    "ReplayOptions",
    "ReplayResult",
    "default_checksums",
    "prepare",
    "replay",
    "scenario_report",
]
