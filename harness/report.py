"""Build the report and write it: the ONE deterministic JSON writer.

Keys written by harness are camelCase; counters keep the API's snake_case names. Execution-time
values (``generatedAt``, ``lastSyncedAt``) come from the injected clock, so a replay with a fixed
``now`` is byte-stable. The shape is pinned by ``schemas/report.schema.json``.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from .chains import ChainResult
from .dedupe import Deduped, dedupe
from .endpoints import REGISTRY, Endpoint
from .errors import PathError
from .models import Event, Scenario
from .store.connection import one
from .store.ingest import WriteCounts

REPORT_VERSION = 1
# dedupedUsage lists at most this many events (sorted), so a million-result report stays small;
# dedupedUsageTotal always gives the full count.
DEDUPED_USAGE_CAP = 1000


@dataclass
class ScenarioRun:
    """What the pipeline learned about one scenario before ingest."""

    scenario: Scenario
    page_count: int
    buckets: int
    raw_events: int
    chain: ChainResult
    unknown_fields: set[str] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)  # the Python path's events, if it ran


@dataclass
class ScenarioStats:
    """Counts within one scenario (deduped within it alone)."""

    deduped: int
    duplicates: int
    counters: dict[str, float | int]


@dataclass
class EndpointStats:
    """Deduped counts of one endpoint over the whole run, from either path (Python or SQL)."""

    deduped: int
    duplicates: int
    counters: dict[str, float | int]
    conflicts: list[dict[str, Any]]  # report entries, in key order (models.key_order)
    scenarios: dict[str, ScenarioStats]
    sample: list[dict[str, Any]]  # dedupedUsage entries in key order, capped


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_number(value: Decimal | int) -> float | int:
    return float(value) if isinstance(value, Decimal) else value


def json_values(values: dict[str, Any]) -> dict[str, Any]:
    """A row's values as the report shows them: sorted by name, decimals as floats."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in sorted(values.items())}


def counters(endpoint: Endpoint, events: Iterable[Event]) -> dict[str, float | int]:
    """Sums over events, keyed by the API's field names; money by currency (`amount_<cur>`)."""
    totals: dict[str, Decimal | int] = {}
    for f in endpoint.counters:
        totals[f.name] = Decimal(0) if f.type == "money" else 0
    for e in events:
        for f in endpoint.counters:
            if f.type == "money":
                value, currency = (
                    e.values.get(f"{f.name}_value"),
                    e.values.get(f"{f.name}_currency"),
                )
                if value is None:
                    continue
                name = f.name if currency in (None, "usd") else f"{f.name}_{currency}"
                totals[name] = totals.get(name, Decimal(0)) + value
            elif e.values.get(f.name) is not None:
                totals[f.name] += e.values[f.name]
    return {k: _json_number(v) for k, v in sorted(totals.items())}


def _cursor(endpoint: Endpoint, runs: list[ScenarioRun], now: datetime) -> dict[str, Any] | None:
    if not runs:
        return None
    latest = max(runs, key=lambda r: (r.scenario.request.recorded_at, r.scenario.name))
    return {
        "endpoint": endpoint.path,
        "nextPage": latest.chain.next_cursor if latest.chain.has_more else None,
        "hasMore": latest.chain.has_more,
        "lastSyncedAt": iso(now),
    }


def _scenario_entry(run: ScenarioRun, stats: ScenarioStats) -> dict[str, Any]:
    return {
        "totalPages": run.page_count,
        "totalBuckets": run.buckets,
        "totalRawEvents": run.raw_events,
        "totalDedupedEvents": stats.deduped,
        "exactDuplicates": stats.duplicates,
        "counters": stats.counters,
        "chain": {"pages": run.chain.pages, "endedBecause": run.chain.ended_because},
        "recordedAt": run.scenario.request.recorded_at,
        "source": run.scenario.request.source,
    }


def _event_entry(e: Event) -> dict[str, Any]:
    endpoint = REGISTRY[e.endpoint]
    return {
        "endpoint": e.endpoint,
        "windowStart": e.key["window_start"],
        "windowEnd": e.key["window_end"],
        "groupBy": e.key["group_by"],
        "dimensions": {d: e.key.get(d) for d in endpoint.dimension_names},
        "values": json_values(e.values),
        "scenario": e.location.scenario,
        "page": e.location.page,
    }


def _conflict_entry(winner: Event, loser: Event) -> dict[str, Any]:
    def side(e: Event) -> dict[str, Any]:
        return {
            "scenario": e.location.scenario,
            "page": e.location.page,
            "bucketIndex": e.location.bucket_index,
            "resultIndex": e.location.result_index,
            "recordedAt": e.rank[0],
            "values": json_values(e.values),
        }

    return {
        "endpoint": winner.endpoint,
        "key": dict(winner.key),
        "winner": side(winner),
        "loser": side(loser),
    }


def stats_from_events(
    endpoint: Endpoint, runs: list[ScenarioRun], deduped: Deduped
) -> EndpointStats:
    """The Python reference path's statistics."""
    scenarios = {}
    for run in runs:
        within = dedupe(run.events)
        scenarios[run.scenario.name] = ScenarioStats(
            len(within.unique), within.duplicates, counters(endpoint, within.unique)
        )
    return EndpointStats(
        deduped=len(deduped.unique),
        duplicates=deduped.duplicates,
        counters=counters(endpoint, deduped.unique),
        conflicts=[_conflict_entry(c.winner, c.loser) for c in deduped.conflicts],
        scenarios=scenarios,
        sample=[_event_entry(e) for e in deduped.unique[:DEDUPED_USAGE_CAP]]
        if endpoint.bucketed
        else [],
    )


def build(
    runs: list[ScenarioRun],
    stats: dict[str, EndpointStats],
    *,
    now: datetime,
    cost_estimate: float,
    writes: dict[str, WriteCounts] | None = None,
    relationship_issues: list[dict[str, Any]] | None = None,
    unverifiable: list[dict[str, Any]] | None = None,
    allowed: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    issues = relationship_issues or []
    by_endpoint: dict[str, list[ScenarioRun]] = defaultdict(list)
    for run in runs:
        by_endpoint[run.scenario.endpoint.name].append(run)
    endpoints_out: dict[str, Any] = {}
    for name in sorted(by_endpoint):
        endpoint = REGISTRY[name]
        ep_runs = by_endpoint[name]
        st = stats[name]
        entry: dict[str, Any] = {
            "path": endpoint.path,
            "totalPages": sum(r.page_count for r in ep_runs),
            "totalBuckets": sum(r.buckets for r in ep_runs),
            "totalRawEvents": sum(r.raw_events for r in ep_runs),
            "totalDedupedEvents": st.deduped,
            "exactDuplicates": st.duplicates,
            "conflicts": len(st.conflicts),
            "counters": st.counters,
            "cursor": _cursor(endpoint, ep_runs, now),
            "unknownFields": sorted(set().union(*(r.unknown_fields for r in ep_runs))),
            "scenarios": {
                r.scenario.name: _scenario_entry(r, st.scenarios[r.scenario.name]) for r in ep_runs
            },
        }
        if writes is not None and name in writes:
            w = writes[name]
            entry["writes"] = {
                "inserted": w.inserted,
                "updated": w.updated,
                "unchanged": w.unchanged,
            }
        endpoints_out[name] = entry

    completions = endpoints_out.get("usage_completions")
    summary = {
        "totalBuckets": completions["totalBuckets"] if completions else 0,
        "totalRawEvents": completions["totalRawEvents"] if completions else 0,
        "totalDedupedEvents": completions["totalDedupedEvents"] if completions else 0,
        "tokensIn": completions["counters"]["input_tokens"] if completions else 0,
        "tokensOut": completions["counters"]["output_tokens"] if completions else 0,
        "costEstimate": cost_estimate,
        "cursor": completions["cursor"] if completions else None,
        "relationshipIssues": issues,
    }
    bucketed = [name for name in sorted(stats) if REGISTRY[name].bucketed]
    sample = [e for name in bucketed for e in stats[name].sample][:DEDUPED_USAGE_CAP]
    return {
        "reportVersion": REPORT_VERSION,
        "generatedAt": iso(now),
        "usageSummary": summary,
        "endpoints": endpoints_out,
        "relationshipIssues": issues,
        "unverifiableReferences": unverifiable or [],
        "allowedReferences": allowed or [],
        "conflicts": [c for name in sorted(stats) for c in stats[name].conflicts],
        "dedupedUsage": sample,
        "dedupedUsageTotal": sum(stats[name].deduped for name in bucketed),
    }


def dumps(report: dict[str, Any]) -> str:
    """Canonical report text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write(report: dict[str, Any], path: Path) -> str:
    """Write the canonical text to ``path``; returns it (to print without dumping twice)."""
    text = dumps(report)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise PathError(f"cannot write report {path}: {exc.strerror}") from exc
    return text


def without_writes(report: dict[str, Any]) -> dict[str, Any]:
    """The report minus per-run write counts (they depend on what the database held before)."""
    trimmed = json.loads(dumps(report))
    for entry in trimmed.get("endpoints", {}).values():
        entry.pop("writes", None)
    return trimmed  # type: ignore[no-any-return]


def cost_estimate(con: duckdb.DuckDBPyConnection) -> float:
    """costEstimate: billed USD of the staged costs rows whose window overlaps a staged
    completions row, for that row's project (any project when it is not grouped by project)."""
    # Staged rows are tables (reference path) or views (fastdedupe.stage).
    staged = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() UNION ALL "
            "SELECT view_name FROM duckdb_views() WHERE NOT internal"
        ).fetchall()
    }
    if not {"staged_usage_completions", "staged_costs"} <= staged:
        return 0.0
    # The completions windows of each project (NULL: not grouped by project, so any project)
    # are merged into islands of overlapping or touching windows first: a costs row overlaps
    # one of the windows exactly when it overlaps their island, and a month of hourly buckets
    # is one island, so each costs row meets a handful of islands instead of every hour.
    row = one(
        con.execute(
            "WITH u AS (SELECT DISTINCT window_start ws, window_end we, project_id p "
            "FROM staged_usage_completions), "
            "o AS (SELECT *, max(we) OVER (PARTITION BY p ORDER BY ws, we "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM u), "
            "n AS (SELECT *, sum(CASE WHEN ws <= reach THEN 0 ELSE 1 END) "
            "OVER (PARTITION BY p ORDER BY ws, we) AS island FROM o), "
            "i AS (SELECT p, min(ws) AS ws, max(we) AS we FROM n GROUP BY p, island) "
            "SELECT sum(amount_value) FROM staged_costs c "
            "WHERE (amount_currency IS NULL OR amount_currency = 'usd') AND EXISTS ("
            "SELECT 1 FROM i WHERE (i.p = c.project_id OR i.p IS NULL) "
            "AND c.window_start < i.we AND i.ws < c.window_end)"
        )
    )
    return float(row[0]) if row and row[0] is not None else 0.0


class CostEstimate:
    """cost_estimate() taken as soon as completions and costs are both staged: staging.py
    hands ``when_staged`` to fastpath.start_all, whose workers call it while the other keeps
    reading, instead of in the single-core stretch after the reads."""

    COSTS, COMPLETIONS = "costs", "usage_completions"

    def __init__(self) -> None:
        self._value: float | None = None
        self._lock = threading.Lock()

    def when_staged(self, cursor: duckdb.DuckDBPyConnection, names: frozenset[str]) -> None:
        if {self.COSTS, self.COMPLETIONS} <= names:
            with self._lock:
                if self._value is None:
                    self._value = cost_estimate(cursor)

    def value(self, fast: list[str]) -> float | None:
        """The estimate, if both endpoints stayed on the fast path (else None: take it again)."""
        return self._value if {self.COSTS, self.COMPLETIONS} <= set(fast) else None
