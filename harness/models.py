"""Plain data shared by the stages: scenarios, pages, events. No behaviour beyond derived fields."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .endpoints import Endpoint

BUCKET_SECONDS = {"1m": 60, "1h": 3600, "1d": 86400}
# The key column of usage and costs rows that holds the values of the request's group_by
# dimensions the registry does not know: canonical JSON (sorted keys), null when there are none.
EXTRA_DIMENSIONS = "extra_dimensions"


def extra_dimensions(names: list[str], result: dict[str, Any]) -> str | None:
    """The ``extra_dimensions`` of one result for the unknown dimensions ``names`` (a missing
    field counts as null); values must be scalars (checked before: schema.extra_problems)."""
    if not names:
        return None
    return canonical_json({n: result.get(n) for n in names})


def extra_fields(item: dict[str, Any], known: frozenset[str], keyed: str | None) -> str | None:
    """The ``extra_fields`` of a result or list item: canonical JSON of each key the registry
    does not know (``known``; ``keyed``, an audit log's payload key, is known) that holds a
    value, null when there is none. Both engines compute it with this function."""
    extra = {k: v for k, v in item.items() if v is not None and k not in known and k != keyed}
    return canonical_json(extra) if extra else None


def canonical_json(value: Any) -> str:
    """The one canonical JSON form used for content hashes: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:32]


def encode_key_part(value: Any) -> str:
    """One dedupe-key part, unambiguous and simple enough to compute in SQL too (migration 0006):
    null ``~``, booleans ``t``/``f``, integers in decimal, text as ``<utf-8 bytes>:<text>``."""
    if value is None:
        return "~"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        value = ",".join(value)
    text = str(value)
    return f"{len(text.encode())}:{text}"


def dedupe_key(endpoint: str, parts: list[Any]) -> str:
    """md5 of endpoint and key parts (null encoded explicitly), as 32 hex digits: an identity,
    not a secret. The tables' views compute the same from their columns (migration 0006)."""
    text = "|".join([endpoint, *(encode_key_part(p) for p in parts)])
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def key_order(key: dict[str, Any]) -> tuple[tuple[bool, Any], ...]:
    """How dedupe keys sort wherever order shows (report samples, conflicts): part by part,
    nulls first, group_by as its text; SQL sorts alike (``ORDER BY ... NULLS FIRST``)."""
    return tuple(
        (v is not None, ",".join(v) if isinstance(v, list | tuple) else v) for v in key.values()
    )


@dataclass(frozen=True)
class Request:
    """request.json: the request the scheduler made for the first page of a chain."""

    method: str
    path: str
    query: dict[str, Any]
    description: str
    source: str
    recorded_at: str
    # "empty_tail": the chain was cut after EMPTY_TAIL empty pages that still claimed has_more
    # (the API can answer so without end); its last page's has_more is then no missing page.
    ended: str | None = None

    @property
    def group_by(self) -> tuple[str, ...]:
        value = self.query.get("group_by") or ()
        return tuple(sorted({value} if isinstance(value, str) else set(value)))

    @property
    def bucket_width(self) -> str:
        return str(self.query.get("bucket_width") or "1d")

    # Where a request names its window: usage and costs by start_time/end_time, the audit log
    # by effective_at (sent as effective_at[gte]/effective_at[lt]).
    @property
    def start_time(self) -> int | None:
        value = self.query.get("start_time", self.query.get("effective_at[gte]"))
        return int(value) if value is not None else None

    @property
    def end_time(self) -> int | None:
        value = self.query.get("end_time", self.query.get("effective_at[lt]"))
        return int(value) if value is not None else None

    @property
    def fingerprint(self) -> str:
        """Identifies the query a cursor belongs to (a next_page token is only valid for it)."""
        query = {k: v for k, v in self.query.items() if k not in ("page", "after")}
        return content_hash([self.method, self.path, query])


@dataclass(frozen=True)
class Page:
    number: int
    path: Path
    body: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Scenario:
    endpoint: Endpoint
    name: str
    directory: Path
    request: Request
    page_files: tuple[Path, ...]
    project_id: str | None = None  # per-project listings: the folder name
    # The stamps (checksums.stamp_of) of request.json, as discovery read it, and of each page
    # file before any engine read it: the files whose checksums are verified, and the files
    # the engines read, must be those (staging checks it once they are done).
    request_stamp: tuple[int, ...] | None = None
    page_stamps: tuple[tuple[int, ...] | None, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.endpoint.name}/{self.name}"


@dataclass(frozen=True)
class Location:
    endpoint: str
    scenario: str
    page: str
    bucket_index: int | None
    result_index: int


Rank = tuple[str, str, int, int, int]


@dataclass(frozen=True)
class Event:
    """One usage/cost result or one list item, typed by the registry.

    ``key`` holds the dedupe key's parts; ``values`` every column that is not part of the key.
    ``rank`` orders captures: recorded_at, scenario, page, bucket, position; the highest wins.
    """

    endpoint: str
    key: dict[str, Any]
    values: dict[str, Any]
    rank: Rank
    location: Location
    dedupe_key: str = field(default="", compare=False)
    # What the registry does not know of the result or item (models.extra_fields): stored, but
    # not compared by dedupe (tables.EXTRA_FIELDS says why).
    extra_fields: str | None = field(default=None, compare=False)

    @classmethod
    def create(
        cls,
        endpoint: str,
        key: dict[str, Any],
        values: dict[str, Any],
        rank: Rank,
        location: Location,
        extra: str | None = None,
    ) -> Event:
        # Key parts in insertion order: window_start, window_end, group_by, dimensions (usage,
        # costs), or id[, project_id] (lists), as migration 0006's views encode them in SQL.
        return cls(
            endpoint, key, values, rank, location, dedupe_key(endpoint, list(key.values())), extra
        )
