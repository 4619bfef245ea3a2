"""Build the report and write it: the ONE deterministic JSON writer.

Keys written by harness are camelCase; counters keep the API's snake_case names. Execution-time
values (``generatedAt``, ``lastSyncedAt``) come from the injected clock, so a replay with a fixed
``now`` is byte-stable. The shape is pinned by ``schemas/report.schema.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from .endpoints import REGISTRY, Endpoint
from .errors import PathError
from .stats import DEDUPED_USAGE_CAP, EndpointStats, ScenarioRun, ScenarioStats
from .store.ingest import WriteCounts
from .times import iso

REPORT_VERSION = 1


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
            "drift": st.drift,
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
    """Write the canonical text to ``path`` (whole, or not at all); returns it (to print
    without dumping twice)."""
    pending = Pending(path, after="")
    pending.prepare(report)
    return pending.publish()


class Pending:
    """A report written beside ``path`` before the run commits, and renamed into place once it
    has: a run that cannot write its report commits nothing (``prepare`` raises inside the
    transaction), and one that committed has its report."""

    def __init__(self, path: Path, after: str = "; the database was not changed") -> None:
        self.path = path
        self.after = after  # what a failure to write means, for its message
        self.text = ""
        self._temp: Path | None = None

    def prepare(self, built: dict[str, Any]) -> None:
        self.text = dumps(built)
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp.write_text(self.text, encoding="utf-8", newline="\n")
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
            raise PathError(
                f"cannot write report {self.path}: {exc.strerror}{self.after}",
                hint="pass --report PATH in a folder you can write to",
            ) from exc
        self._temp = temp

    def publish(self) -> str:
        """Rename the prepared report into place; returns its text."""
        if self._temp is not None:
            os.replace(self._temp, self.path)
            self._temp = None
        return self.text

    def discard(self) -> None:
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None


def without_writes(report: dict[str, Any]) -> dict[str, Any]:
    """The report minus per-run write counts (they depend on what the database held before)."""
    trimmed = json.loads(dumps(report))
    for entry in trimmed.get("endpoints", {}).values():
        entry.pop("writes", None)
    return trimmed  # type: ignore[no-any-return]
