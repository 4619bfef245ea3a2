"""JSON Schemas per endpoint page: generated from the registry, validated in bulk.

The files in ``schemas/`` are the contract (``harness schemas --check`` keeps them in step with the
registry). Pages are validated with the compiled jsonschema-rs validator; python-jsonschema only
explains the pages that fail, so every error comes with file, JSON pointer and the rule broken.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .endpoints import ENDPOINTS, Endpoint, Field
from .errors import Problem, SchemaError
from .models import Page

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:harness:schema:{name}"
BUCKET_KEYS = frozenset({"object", "start_time", "end_time", "results"})
# What a BIGINT column holds: a larger integer is refused here, not by the database mid-ingest.
COUNT = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
# A time, in Unix seconds, that a TIMESTAMPTZ column can hold: up to 9999-12-31T23:59:59Z.
LAST_SECOND = 253402300799
TIME = {"type": "integer", "minimum": 0, "maximum": LAST_SECOND}
# What a DECIMAL(38,18) column holds: 20 digits before the point.
MONEY_LIMIT = 10**20


def schema_dir() -> Path:
    """Where the schema files are: inside the wheel, or the repository's ``schemas/``."""
    packaged = Path(str(resources.files("harness"))) / "_schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "schemas"


def _field_schema(f: Field) -> dict[str, Any]:
    base: dict[str, Any]
    if f.type == "money":
        # Both members are optional (SDK 3.51.0): an amount without a value adds nothing to
        # the totals, one without a currency is summed apart (``amount_unknown``).
        base = {
            "type": "object",
            "properties": {
                "value": {
                    "type": ["number", "null"],
                    "exclusiveMinimum": -MONEY_LIMIT,
                    "exclusiveMaximum": MONEY_LIMIT,
                },
                "currency": {"type": ["string", "null"], "minLength": 1},
            },
        }
    elif f.type == "timestamp":
        base = dict(TIME)
    elif f.type == "integer":
        base = dict(COUNT)
    elif f.type == "json":
        base = {"type": ["object", "array"]}
    else:
        base = {"type": f.type}
    if f.enum:
        base["enum"] = list(f.enum)
    if f.nullable:
        if isinstance(base.get("type"), str):
            base["type"] = [base["type"], "null"]
        if "enum" in base:
            base["enum"].append(None)
    return base


def _item_schema(endpoint: Endpoint) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required = []
    if endpoint.object is not None:
        properties["object"] = {"const": endpoint.object}
        required.append("object")
    else:  # the SDK declares none; an API that sends one anyway sends a string
        properties["object"] = {"type": "string"}
    any_of: list[dict[str, Any]] = []
    if not endpoint.bucketed:
        properties["id"] = {"type": "string", "minLength": 1}
        required.append("id")
    for f in endpoint.fields:
        if f.keyed_by is not None:
            continue  # under a key the item names: see keyed_key()
        if f.paths:
            for path in f.paths:
                node = properties
                for part in path[:-1]:
                    holder = node.setdefault(part, {"type": ["object", "null"], "properties": {}})
                    node = holder.setdefault("properties", {})
                node[path[-1]] = _field_schema(f)
            continue
        if f.type == "json" and f.name in properties:
            continue  # kept whole besides the paths read out of it (an audit log's actor)
        properties[f.name] = _field_schema(f)
        for alias in f.aliases:
            properties[alias] = _field_schema(f)
        if f.aliases:
            any_of.append({"anyOf": [{"required": [n]} for n in (f.name, *f.aliases)]})
        elif f.required:
            required.append(f.name)
    schema: dict[str, Any] = {"type": "object", "required": required, "properties": properties}
    if any_of:
        schema["allOf"] = any_of
    return schema


def page_schema(endpoint: Endpoint) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one response page of ``endpoint``."""
    head: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": SCHEMA_ID.format(name=endpoint.name),
        "title": f"GET {endpoint.api_path}: one response page",
        "description": endpoint.description,
        "type": "object",
    }
    if endpoint.bucketed:
        return head | {
            "required": ["object", "data", "has_more", "next_page"],
            "properties": {
                "object": {"const": "page"},
                "data": {"type": "array", "items": {"$ref": "#/$defs/bucket"}},
                "has_more": {"type": "boolean"},
                "next_page": {"type": ["string", "null"]},
            },
            "$defs": {
                "bucket": {
                    "type": "object",
                    "required": ["object", "start_time", "end_time", "results"],
                    "properties": {
                        "object": {"const": "bucket"},
                        "start_time": TIME,
                        "end_time": TIME,
                        "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
                    },
                },
                "result": _item_schema(endpoint),
            },
        }
    return head | {
        "required": ["object", "data", "has_more"],
        "properties": {
            "object": {"const": "list"},
            "data": {"type": "array", "items": {"$ref": "#/$defs/item"}},
            "has_more": {"type": "boolean"},
            "first_id": {"type": ["string", "null"]},
            "last_id": {"type": ["string", "null"]},
        },
        "$defs": {"item": _item_schema(endpoint)},
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def expected_files() -> dict[str, str]:
    """File name -> content for every generated schema."""
    return {f"{e.name}.schema.json": render(page_schema(e)) for e in ENDPOINTS}


if TYPE_CHECKING:
    import jsonschema


def _schema(name: str) -> dict[str, Any]:
    path = schema_dir() / f"{name}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# Imported in the functions: a replay whose pages all take the SQL engine never validates
# in Python, and one whose pages are all valid never needs python-jsonschema's explanations.
@cache
def _fast(name: str) -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema(name))


@cache
def _detailed(name: str) -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator(_schema(name))


def _pointer(parts: Iterable[Any]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def page_problems(endpoint: Endpoint, page: Page, label: str) -> list[Problem]:
    """Every schema error of one page, sorted by JSON pointer; [] when the page is valid."""
    if _fast(endpoint.name).is_valid(page.body):
        return []
    errors = sorted(
        _detailed(endpoint.name).iter_errors(page.body), key=lambda e: [str(p) for p in e.path]
    )
    return [
        Problem(
            e.message,
            file=label,
            page=page.name,
            pointer=_pointer(e.absolute_path),
            rule=f"{e.validator}",
        )
        for e in errors
    ]


def extra_problems(
    endpoint: Endpoint, page: Page, label: str, group_by: Iterable[str]
) -> list[Problem]:
    """Values of the request's group_by dimensions the registry does not know, which
    ``extra_dimensions`` cannot keep: an object or an array (a scalar or null is kept)."""
    unknown = endpoint.unknown_dimensions(group_by)
    if not endpoint.bucketed or not unknown:
        return []
    problems = []
    for b, bucket in enumerate(page.body.get("data") or []):
        for r, result in enumerate((bucket or {}).get("results") or []):
            for name in unknown:
                value = (result or {}).get(name) if isinstance(result, dict) else None
                if isinstance(value, dict | list):
                    problems.append(
                        Problem(
                            f"group_by dimension {name!r} is unknown to the registry and holds "
                            f"a JSON {'object' if isinstance(value, dict) else 'array'}: only "
                            "strings, numbers, true/false and null can be kept in "
                            "extra_dimensions",
                            file=label,
                            page=page.name,
                            pointer=_pointer(["data", b, "results", r, name]),
                            rule="extra_dimensions",
                        )
                    )
    return problems


def validate_pages(checked: list[tuple[Endpoint, Page, str, tuple[str, ...]]]) -> None:
    """Every page's schema errors, and what its unknown group_by dimensions hold."""
    problems = [
        p
        for endpoint, page, label, group_by in checked
        for p in page_problems(endpoint, page, label)
        + extra_problems(endpoint, page, label, group_by)
    ]
    if problems:
        raise SchemaError.of(
            problems,
            "{n} schema errors in the fixtures",
            hint="fix the page to match the API's shape (see schemas/ and ENDPOINTS.md)",
        )


@cache
def known_keys(endpoint: Endpoint) -> frozenset[str]:
    return frozenset(_item_schema(endpoint)["properties"])


def keyed_key(endpoint: Endpoint, item: dict[str, Any]) -> str | None:
    """The key of ``item`` that holds a ``keyed_by`` field (an audit log's payload, under the
    item's ``type``): known, though no schema can name it in advance."""
    for f in endpoint.fields:
        if f.keyed_by is not None and isinstance(item.get(f.keyed_by), str):
            return str(item[f.keyed_by])
    return None


PAGE_KEYS = {
    True: frozenset({"object", "data", "has_more", "next_page"}),
    False: frozenset({"object", "data", "first_id", "last_id", "has_more"}),
}


@cache
def _nested(endpoint: Endpoint) -> dict[str, Any]:
    """The item's keys that hold objects the schema describes key by key (``amount``,
    ``owner``, ``certificate_details``), with their schemas; an object kept whole as JSON
    (a ``json`` field such as an audit log's ``actor``) loses nothing and is not listed."""
    whole = {f.name for f in endpoint.fields if f.type == "json"}
    properties = _item_schema(endpoint)["properties"]
    return {k: v for k, v in properties.items() if "properties" in v and k not in whole}


def _unknown_inside(value: Any, node: dict[str, Any], path: str, found: set[str]) -> None:
    if not isinstance(value, dict):
        return
    known = node.get("properties", {})
    for key, inner in value.items():
        if key not in known:
            if inner is not None:
                found.add(f"{path}.{key}")
        elif "properties" in known[key]:
            _unknown_inside(inner, known[key], f"{path}.{key}", found)


def unknown_fields(endpoint: Endpoint, page: Page) -> set[str]:
    """Keys the schema does not describe: a page's own (``name``), a bucket's
    (``data[].name``), a result's or list item's (``results[].name`` / ``data[].name``, kept in
    ``extra_fields``), and those inside an object described key by key
    (``results[].amount.name``). Only keys that carry a value count: the SQL engine cannot
    tell a null key from a missing one."""
    known = known_keys(endpoint)
    nested = _nested(endpoint)
    found: set[str] = set()
    body = page.body if isinstance(page.body, dict) else {}
    found |= {k for k, v in body.items() if k not in PAGE_KEYS[endpoint.bucketed] and v is not None}
    data = body.get("data") or []
    for item in data:
        if not isinstance(item, dict):
            continue
        if endpoint.bucketed:
            found |= {
                f"data[].{k}" for k, v in item.items() if k not in BUCKET_KEYS and v is not None
            }
            rows, prefix = item.get("results") or [], "results[]"
        else:
            rows, prefix = [item], "data[]"
        for row in rows:
            if not isinstance(row, dict):
                continue
            keyed = keyed_key(endpoint, row)
            found |= {
                f"{prefix}.{k}"
                for k, v in row.items()
                if k not in known and k != keyed and v is not None
            }
            for key, node in nested.items():
                _unknown_inside(row.get(key), node, f"{prefix}.{key}", found)
    return found
