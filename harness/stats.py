"""What an engine hands back: scenario runs and statistics (the seam both engines meet).

``Staged`` is the one return type: the runs of the scenarios an engine took, and the deduped
statistics of their endpoints. The staged rows themselves are a relation of the workspace (see
``harness.engines``); these are the figures the report is built from. Both engines fill these
types the same way, so a report cannot tell which engine ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .chains import ChainResult
from .models import Scenario

# dedupedUsage lists at most this many events (sorted), so a million-result report stays small;
# dedupedUsageTotal always gives the full count.
DEDUPED_USAGE_CAP = 1000


@dataclass
class ScenarioRun:
    """What an engine learned about one scenario before ingest."""

    scenario: Scenario
    page_count: int
    buckets: int
    raw_events: int
    chain: ChainResult
    unknown_fields: set[str] = field(default_factory=set)
    events: list[Any] = field(default_factory=list)  # the reference engine's models.Event


@dataclass
class ScenarioStats:
    """Counts within one scenario (deduped within it alone)."""

    deduped: int
    duplicates: int
    counters: dict[str, float | int]


@dataclass
class EndpointStats:
    """Deduped counts of one endpoint over the whole run, from either engine."""

    deduped: int
    duplicates: int
    counters: dict[str, float | int]
    conflicts: list[dict[str, Any]]  # report entries, in key order (models.key_order)
    scenarios: dict[str, ScenarioStats]
    sample: list[dict[str, Any]]  # dedupedUsage entries in key order, capped
    # Fields that drift (drift.py), by name; filled from the staged rows, for either engine.
    drift: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Staged:
    """An engine's answer for the endpoints it staged: their runs and statistics."""

    runs: list[ScenarioRun] = field(default_factory=list)
    stats: dict[str, EndpointStats] = field(default_factory=dict)

    def merge(self, other: Staged) -> Staged:
        return Staged(self.runs + other.runs, self.stats | other.stats)


def json_values(values: dict[str, Any]) -> dict[str, Any]:
    """A row's values as the report shows them: sorted by name, decimals as floats."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in sorted(values.items())}
