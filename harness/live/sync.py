"""``harness sync``: fetch from the Admin API and ingest through the same pipeline as replay.

Every list endpoint of the registry comes first (projects, archived ones included, then the
organization's lists, then each project's; not the lists the API answers 400 to under an
archived project). Then every usage endpoint and costs, in 1d buckets grouped by each
endpoint's fixed default grouping (``--group-by`` for another; a grain other than the one
stored is refused unless ``--new-grain``), from the stored cursor less a lookback window
(buckets are revised as late usage arrives) up to ``--until``.
Each fetched chain becomes a scenario in memory; schema, chain, dedupe, FK checks, upsert and
report are the replay's own code. ``--capture DIR`` also writes the fetched pages as a corpus.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import checksums, paths, pipeline, times
from ..endpoints import ENDPOINTS, REGISTRY, Endpoint, project_archived
from ..errors import ArgumentError, PathError, SchemaError
from ..models import Page, Request, Scenario
from ..store import connect, cursors, migrate
from ..store.ingest import DEFAULT_UPSERT_MODE, UpsertMode
from .client import AdminClient

DAY = 86400
# Every list of the registry: the organization's first (projects before all: the per-project
# lists are read for each project it names), then each project's.
ORGANIZATION_LISTS = tuple(
    sorted(
        (e for e in ENDPOINTS if not e.bucketed and not e.per_project),
        key=lambda e: e.name != "projects",
    )
)
PROJECT_LISTS = tuple(e for e in ENDPOINTS if e.per_project)


@dataclass(frozen=True)
class SyncOptions:
    # None: resume each endpoint from its stored cursor less the lookback (a scheduled run);
    # a date: fetch from it, earlier than the cursor or not (a backfill).
    since: datetime | None
    until: datetime
    db: Path = pipeline.DEFAULT_DB
    endpoints: tuple[str, ...] = ()
    lookback_days: int = 2
    strict: bool = False
    allow_list: Path | None = None
    upsert_mode: UpsertMode = DEFAULT_UPSERT_MODE
    now: datetime | None = None
    capture: Path | None = None
    # Groupings asked for instead of an endpoint's fixed default (``--group-by E=a,b``).
    group_by: tuple[tuple[str, tuple[str, ...]], ...] = ()
    new_grain: bool = False  # store a grain beside the one the database holds


AUDIT_LOGS = "audit_logs"


def parse_group_by(values: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``--group-by ENDPOINT=a,b`` values; every name must be the registry's."""
    parsed = []
    for value in values:
        name, sep, fields = value.partition("=")
        endpoint = REGISTRY.get(name)
        if not sep or endpoint is None or not endpoint.bucketed:
            raise ArgumentError(
                f"--group-by {value!r}: not ENDPOINT=a,b for a usage endpoint or costs",
                hint="for example --group-by usage_completions=project_id,api_source",
            )
        chosen = tuple(f for f in fields.split(",") if f)
        unknown = endpoint.unknown_dimensions(chosen)
        if unknown:
            raise ArgumentError(
                f"--group-by {value!r}: {', '.join(unknown)} is not a dimension of {name}",
                hint=f"pick from: {', '.join(endpoint.dimension_names)}",
            )
        parsed.append((name, chosen))
    return tuple(parsed)


OnPage = Callable[[str, int], None]


def parse_day(value: str, flag: str) -> datetime:
    """A UTC date or ISO time (``2025-09-29`` or ``2025-09-29T12:00:00Z``)."""
    try:
        return times.parse(value)
    except ValueError as exc:
        raise ArgumentError(f"{flag} {value!r} is not a date", hint="e.g. 2025-09-29") from exc


def group_by(endpoint: Endpoint, options: SyncOptions | None = None) -> list[str]:
    """The grouping sync requests: ``--group-by``, else the registry's fixed default
    (Endpoint.sync_group_by)."""
    chosen = dict(options.group_by if options else ())
    return list(chosen.get(endpoint.name, endpoint.sync_group_by))


def _stored_grains(db: Path) -> dict[str, set[str]]:
    """Per usage endpoint and costs, the groupings (sorted, comma-joined) the database holds."""
    if not db.exists():
        return {}
    con = connect(db, read_only=True)
    try:
        if migrate.status(con).pending:
            return {}
        return {
            e.name: {
                r[0] for r in con.execute(f"SELECT DISTINCT group_by FROM {e.table}").fetchall()
            }
            for e in ENDPOINTS
            if e.bucketed
        }
    finally:
        con.close()


def _refuse_new_grains(options: SyncOptions, wanted: set[str]) -> None:
    """A grouping other than the one stored puts a second grain beside the first, and sums
    across both count the same money twice: refused unless ``--new-grain``."""
    if options.new_grain:
        return
    for name, stored in sorted(_stored_grains(options.db).items()):
        asked = ",".join(sorted(group_by(REGISTRY[name], options)))
        if name in wanted and stored and asked not in stored:
            held = " and ".join(f"'{g}'" for g in sorted(stored))
            raise ArgumentError(
                f"{name}: the database holds rows grouped by {held}; this sync asks for "
                f"'{asked}', a second grain beside the first (sums across both count twice)",
                hint=f"ask for the stored grain (--group-by {name}={sorted(stored)[0]}), or "
                "pass --new-grain to store the new one beside it",
            )


def _synced_to(db: Path) -> dict[str, int]:
    """Per endpoint read by time (usage, costs, the audit log), the end of the last completed
    chain recorded in the cursors."""
    if not db.exists():
        return {}
    con = connect(db, read_only=True)
    try:
        if migrate.status(con).pending:
            return {}
        ends: dict[str, int] = {}
        for endpoint in ENDPOINTS:
            if endpoint.bucketed or endpoint.name == AUDIT_LOGS:
                done = [
                    c.window_end
                    for c in cursors.load(con, endpoint.name)
                    if not c.has_more and c.window_end is not None
                ]
                if done:
                    ends[endpoint.name] = max(done)
        return ends
    finally:
        con.close()


class _Fetcher:
    def __init__(self, client: AdminClient, recorded_at: str, on_page: OnPage | None) -> None:
        self.client = client
        self.recorded_at = recorded_at
        self.on_page = on_page
        self.loaded: pipeline.Loaded = []

    def chain(
        self,
        endpoint: Endpoint,
        query: dict[str, Any],
        project: str | None = None,
        name: str = "sync",
    ) -> list[Page]:
        path = endpoint.api_path.replace("{project_id}", project or "")
        scenario_name = project if endpoint.per_project and project else name
        folder = Path("sync") / endpoint.name / scenario_name
        on_page = self.on_page
        pages = self.client.fetch_pages(
            endpoint,
            query,
            project,
            folder,
            None if on_page is None else lambda n: on_page(f"{endpoint.name}/{scenario_name}", n),
        )
        ended = "empty_tail" if path in self.client.empty_tails else None
        request = Request("GET", path, query, "harness sync", "recorded", self.recorded_at, ended)
        scenario = Scenario(
            endpoint, scenario_name, folder, request, tuple(p.path for p in pages), project
        )
        self.loaded.append((scenario, pages))
        return pages


def fetch_all(
    client: AdminClient, options: SyncOptions, now: datetime, on_page: OnPage | None = None
) -> pipeline.Loaded:
    wanted = set(options.endpoints) or set(REGISTRY)
    unknown = wanted - set(REGISTRY)
    if unknown:
        raise ArgumentError(
            f"unknown endpoint {', '.join(sorted(unknown))}",
            hint=f"pick from: {', '.join(REGISTRY)}",
        )
    if options.since is not None and options.until <= options.since:
        raise ArgumentError("--until must be after --since (since inclusive, until exclusive)")
    _refuse_new_grains(options, wanted)
    fetcher = _Fetcher(client, times.iso(now), on_page)
    synced_to = _synced_to(options.db)
    until = int(options.until.timestamp())
    since = None if options.since is None else int(options.since.timestamp())
    lookback = options.lookback_days * DAY
    timed = [e for e in ENDPOINTS if e.name in wanted and (e.bucketed or e.name == AUDIT_LOGS)]
    if since is None:
        new = [e.name for e in timed if e.name not in synced_to]
        if new:
            raise ArgumentError(
                f"nothing to resume from: {options.db} holds no completed sync of {', '.join(new)}",
                hint="pass --since DATE for a first run (it fetches from there)",
            )

    def start(endpoint: Endpoint) -> int:
        """Where the window of ``endpoint`` starts: --since as asked (a backfill reads what it
        asks for, however far behind the cursor), else the stored cursor less the lookback."""
        if since is not None:
            return since
        return min(synced_to[endpoint.name], until) - lookback

    items: list[dict[str, Any]] = []
    for endpoint in ORGANIZATION_LISTS:
        if endpoint.name == AUDIT_LOGS:
            if endpoint.name in wanted:  # by effective_at: never the whole history each run
                window = {"effective_at[gte]": start(endpoint), "effective_at[lt]": until}
                fetcher.chain(endpoint, _list_query(endpoint) | window)
            continue
        if endpoint.name in wanted or endpoint.name == "projects":
            pages = fetcher.chain(endpoint, _list_query(endpoint))
            if endpoint.name == "projects":
                items = [item for page in pages for item in page.body.get("data") or []]
    unsafe = [item.get("id") for item in items if not paths.safe_id(item.get("id"))]
    if unsafe:  # an id becomes a URL path segment and a folder name: it must look like one
        raise SchemaError(
            f"the projects list holds {len(unsafe)} ids that are not project ids "
            f"(proj_ then letters, digits, _ or -): {', '.join(repr(i) for i in unsafe[:5])}",
            hint="nothing was requested with them and nothing was written; report the "
            "response to whoever runs the API at --base-url",
        )
    archived = {item["id"] for item in items if project_archived(item)}
    for endpoint in PROJECT_LISTS:
        if endpoint.name not in wanted:
            continue
        for project in sorted({item["id"] for item in items}):
            if endpoint.archived_400 and project in archived:
                continue  # the API answers 400
            fetcher.chain(endpoint, _list_query(endpoint), project)

    for endpoint in ENDPOINTS:
        if not endpoint.bucketed or endpoint.name not in wanted:
            continue
        query: dict[str, Any] = {
            "start_time": start(endpoint),
            "end_time": until,
            "bucket_width": "1d",
            "limit": endpoint.request_limit,
        }
        if group_by(endpoint, options):
            query["group_by"] = group_by(endpoint, options)
        fetcher.chain(endpoint, query)
    return fetcher.loaded


def _list_query(endpoint: Endpoint) -> dict[str, Any]:
    return {"limit": endpoint.request_limit, **dict(endpoint.list_query)}


def capture(loaded: pipeline.Loaded, root: Path) -> None:
    """Write fetched chains as a corpus (fixtures/ + CHECKSUMS.sha256) under ``root``."""
    fixtures = root / "fixtures"
    fixtures.mkdir(parents=True, exist_ok=True)
    inner = fixtures.resolve()
    for scenario, pages in loaded:
        folder = fixtures / scenario.endpoint.name / scenario.name
        if not paths.inside(folder, inner) or not paths.manifest_safe(scenario.name):
            raise PathError(
                f"refusing to write {scenario.endpoint.name}/{scenario.name!r}: it would land "
                f"outside {fixtures}",
                hint="an id from the API cannot be a folder name; nothing more was written",
            )
        folder.mkdir(parents=True, exist_ok=True)
        request = {
            "method": "GET",
            "path": scenario.request.path,
            "query": scenario.request.query,
            "description": scenario.request.description,
            "source": "recorded",
            "recorded_at": scenario.request.recorded_at,
        }
        if scenario.request.ended is not None:
            request["ended"] = scenario.request.ended
        (folder / "request.json").write_text(json.dumps(request, indent=2) + "\n")
        for page in pages:
            (folder / page.name).write_text(json.dumps(page.body, indent=2) + "\n")
    checksums.write(root / "CHECKSUMS.sha256", root / "fixtures")


def sync(
    options: SyncOptions,
    client: AdminClient,
    on_page: OnPage | None = None,
    on_report: pipeline.OnReport | None = None,
) -> pipeline.ReplayResult:
    now = options.now or datetime.now(UTC)
    loaded = fetch_all(client, options, now, on_page)
    if options.capture is not None:
        capture(loaded, options.capture)
    prepared = pipeline.prepare_loaded(loaded, options.allow_list, now)
    section = {
        "since": None if options.since is None else times.iso(options.since),
        "until": times.iso(options.until),
        "lookbackDays": options.lookback_days,
        "partialBuckets": _partial(loaded, now),
        "fetched": _fetched(loaded),
    }
    return pipeline.ingest(
        prepared,
        options.db,
        now,
        options.upsert_mode,
        strict=options.strict,
        extra={"sync": section},
        on_report=on_report,
    )


def _fetched(loaded: pipeline.Loaded) -> dict[str, dict[str, str]]:
    """Per endpoint read by time, the window this run requested (not what --since said)."""
    fetched = {}
    for scenario, _ in loaded:
        start, end = scenario.request.start_time, scenario.request.end_time
        if start is not None and end is not None:
            fetched[scenario.endpoint.name] = {
                "since": times.iso(datetime.fromtimestamp(start, UTC)),
                "until": times.iso(datetime.fromtimestamp(end, UTC)),
            }
    return dict(sorted(fetched.items()))


def _partial(loaded: pipeline.Loaded, now: datetime) -> dict[str, list[dict[str, int]]]:
    """Buckets still open at sync time (end after now): their counters will still grow."""
    moment = now.timestamp()
    partial: dict[str, list[dict[str, int]]] = {}
    for scenario, pages in loaded:
        for page in pages:
            for bucket in page.body.get("data") or []:
                if scenario.endpoint.bucketed and bucket["end_time"] > moment:
                    partial.setdefault(scenario.endpoint.name, []).append(
                        {"windowStart": bucket["start_time"], "windowEnd": bucket["end_time"]}
                    )
    return partial
