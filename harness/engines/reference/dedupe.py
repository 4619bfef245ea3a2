"""PURE: events -> unique events, exact duplicates and conflicts.

Among events with one dedupe key the highest capture rank wins (recorded_at of the scenario, then
scenario, page, bucket, position), so the outcome never depends on the order files were read.
A loser with the winner's values is an exact duplicate; one with other values is a conflict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ...models import Event, Rank, canonical_json, key_order


@dataclass(frozen=True)
class Conflict:
    winner: Event
    loser: Event


@dataclass(frozen=True)
class Deduped:
    unique: list[Event]  # winners, sorted by endpoint, then models.key_order
    duplicates: int  # losers equal to their winner
    conflicts: list[Conflict]  # losers that differ, sorted like ``unique``


def _order(event: Event) -> tuple[Rank, str]:
    # Equal ranks only arise from a malformed corpus (two results at one position); the values
    # then break the tie, so the winner still never depends on the order files were read.
    return event.rank, canonical_json(event.values)


def dedupe(events: Iterable[Event]) -> Deduped:
    groups: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        groups.setdefault((event.endpoint, event.dedupe_key), []).append(event)
    unique: list[Event] = []
    conflicts: list[Conflict] = []
    duplicates = 0
    for group_key in sorted(groups, key=lambda k: (k[0], key_order(groups[k][0].key))):
        group = sorted(groups[group_key], key=_order, reverse=True)
        winner = group[0]
        unique.append(winner)
        for loser in group[1:]:
            if loser.values == winner.values:
                duplicates += 1
            else:
                conflicts.append(Conflict(winner, loser))
    return Deduped(unique, duplicates, conflicts)
