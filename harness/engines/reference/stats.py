"""The reference engine's statistics: counters and report entries from events in memory.

Twin of ``engines/sql/stats.py``, which computes the same figures in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ...endpoints import REGISTRY, Endpoint
from ...models import EXTRA_DIMENSIONS, Event
from ...stats import DEDUPED_USAGE_CAP, EndpointStats, ScenarioRun, ScenarioStats, json_values
from .dedupe import Deduped, dedupe


def _json_number(value: Decimal | int) -> float | int:
    return float(value) if isinstance(value, Decimal) else value


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
                name = f.name if currency == "usd" else f"{f.name}_{currency or 'unknown'}"
                totals[name] = totals.get(name, Decimal(0)) + value
            elif e.values.get(f.name) is not None:
                totals[f.name] += e.values[f.name]
    return {k: _json_number(v) for k, v in sorted(totals.items())}


def event_entry(e: Event) -> dict[str, Any]:
    """One dedupedUsage entry (``extraDimensions`` only where the request grouped by a
    dimension the registry does not know)."""
    endpoint = REGISTRY[e.endpoint]
    extra = e.key.get(EXTRA_DIMENSIONS)
    return ({"extraDimensions": extra} if extra is not None else {}) | {
        "endpoint": e.endpoint,
        "windowStart": e.key["window_start"],
        "windowEnd": e.key["window_end"],
        "groupBy": e.key["group_by"],
        "dimensions": {d: e.key.get(d) for d in endpoint.dimension_names},
        "values": json_values(e.values),
        "scenario": e.location.scenario,
        "page": e.location.page,
    }


def conflict_entry(winner: Event, loser: Event) -> dict[str, Any]:
    """One conflicts entry: the key, and both sides with their place and values."""

    def side(e: Event) -> dict[str, Any]:
        return {
            "scenario": e.location.scenario,
            "page": e.location.page,
            "bucketIndex": e.location.bucket_index,
            "resultIndex": e.location.result_index,
            "recordedAt": e.rank[0],
            "values": json_values(e.values),
        }

    key = {k: v for k, v in winner.key.items() if k != EXTRA_DIMENSIONS or v is not None}
    return {
        "endpoint": winner.endpoint,
        "key": key,
        "winner": side(winner),
        "loser": side(loser),
    }


def endpoint_stats(endpoint: Endpoint, runs: list[ScenarioRun], deduped: Deduped) -> EndpointStats:
    """An endpoint's statistics over ``runs``, whose events ``deduped`` holds deduped."""
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
        conflicts=[conflict_entry(c.winner, c.loser) for c in deduped.conflicts],
        scenarios=scenarios,
        sample=[event_entry(e) for e in deduped.unique[:DEDUPED_USAGE_CAP]]
        if endpoint.bucketed
        else [],
    )
