"""PURE: API pages -> typed events. No I/O, no clock, no globals beyond the registry.

Usage/costs results become one event per result, keyed by the request's ``group_by`` set, the
bucket window and every dimension (a missing field counts as null). List items become one event
per item, keyed by (project id for per-project listings, item id).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...endpoints import Endpoint, Field
from ...models import (
    EXTRA_DIMENSIONS,
    Event,
    Location,
    canonical_json,
    extra_dimensions,
    extra_fields,
)
from ...schema import keyed_key, known_keys

MISSING = object()


@dataclass(frozen=True)
class PageContext:
    endpoint: Endpoint
    scenario: str  # "<endpoint>/<scenario>"
    page: str  # file name, e.g. page-002.json
    page_no: int
    recorded_at: str
    group_by: tuple[str, ...] = ()
    project_id: str | None = None  # per-project listings


def read_field(item: dict[str, Any], f: Field) -> Any:
    """The field's value from the first source path present; missing means null."""
    if f.keyed_by is not None:
        key = item.get(f.keyed_by)
        return item.get(key) if isinstance(key, str) else None
    for path in f.sources:
        node: Any = item
        for part in path:
            if not isinstance(node, dict) or part not in node:
                node = MISSING
                break
            node = node[part]
        if node is not MISSING:
            return node
    return None


def money(value: Any) -> tuple[Decimal | None, str | None]:
    """``amount`` -> (Decimal value, currency), each None where the API left it out. Floats go
    through repr, the shortest exact text."""
    if not isinstance(value, dict):
        return None, None
    raw, currency = value.get("value"), value.get("currency")
    if raw is None:
        number = None
    else:
        number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(str(raw))
    return number, str(currency).lower() if currency is not None else None


def whole(value: Any) -> Any:
    """An integer written as a real (``1.0``, ``1e3``; JSON Schema's integer allows them) as
    an int, so that it is stored, compared and reported as the integer it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _values(endpoint: Endpoint, fields: tuple[Field, ...], item: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields:
        raw = read_field(item, f)
        if f.type == "money":
            values[f"{f.name}_value"], values[f"{f.name}_currency"] = money(raw)
        elif f.type in ("integer", "timestamp"):
            values[f.name] = whole(raw)
        elif f.type == "json":
            values[f.name] = None if raw is None else canonical_json(raw)
        else:
            values[f.name] = raw
    return values


def normalize_page(ctx: PageContext, body: dict[str, Any]) -> list[Event]:
    """Every event of one (schema-valid) page, in page order."""
    endpoint = ctx.endpoint
    events: list[Event] = []
    if endpoint.bucketed:
        group_by = list(ctx.group_by)
        unknown = endpoint.unknown_dimensions(group_by)
        known = known_keys(endpoint) | set(unknown)  # unknown dimensions: extra_dimensions
        for b, bucket in enumerate(body.get("data") or []):
            for r, result in enumerate(bucket.get("results") or []):
                key = {
                    "window_start": whole(bucket["start_time"]),
                    "window_end": whole(bucket["end_time"]),
                    "group_by": group_by,
                    **_values(endpoint, endpoint.dimensions, result),
                    EXTRA_DIMENSIONS: extra_dimensions(unknown, result),
                }
                values = _values(endpoint, endpoint.counters + endpoint.attributes, result)
                location = Location(endpoint.name, ctx.scenario, ctx.page, b, r)
                rank = (ctx.recorded_at, ctx.scenario, ctx.page_no, b, r)
                extra = extra_fields(result, known, None)
                events.append(Event.create(endpoint.name, key, values, rank, location, extra))
        return events
    for i, item in enumerate(body.get("data") or []):
        key = {"id": item["id"]}
        if endpoint.per_project:
            key["project_id"] = ctx.project_id
        values = _values(endpoint, endpoint.attributes, item)
        location = Location(endpoint.name, ctx.scenario, ctx.page, None, i)
        rank = (ctx.recorded_at, ctx.scenario, ctx.page_no, 0, i)
        extra = extra_fields(item, known_keys(endpoint), keyed_key(endpoint, item))
        events.append(Event.create(endpoint.name, key, values, rank, location, extra))
    return events
