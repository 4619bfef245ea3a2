"""Strict decoding of every page the SQL engine stores, before it is trusted.

DuckDB's typed read (``read.py``) is fast but lenient: it converts ``"5"`` or ``true`` to a
number, a number to text, and ignores keys it was not told about. So the verified bytes of every
page are also decoded here, on the checksum thread right after their hash, with msgspec
``Struct`` types generated from the registry. A page the SQL engine stores has passed both.

Why this has no hole. For each page the decode proves, on exactly the bytes that were hashed:

- the text is strict RFC 8259 JSON: UTF-8, no byte-order mark, no comments, no trailing comma,
  no ``NaN``/``Infinity``, no lone surrogate escape, one value and nothing after it (msgspec
  refuses each of these);
- every object (page, bucket, result, money amount) holds only the registry's names
  (``forbid_unknown_fields``), every required name is there, and every value has the schema's
  type exactly: an integer is an integer within its column's range (not ``"5"``, not ``true``,
  not ``1.0``), a string is a string, ``object`` is the registry's constant, and where a field
  has older aliases at least one is present;
- duplicate names are the one thing msgspec lets through (the last wins). Its decode has already
  proved that every name is a known one, and DuckDB's read refuses an object that holds a known
  name twice (a test pins it), so a duplicate cannot reach the database either.

The decode is at least as strict as the page's JSON Schema (``schema.py``). It may be stricter
(``1.0`` as an integer, say): a page it refuses is not an error but a question, answered by the
reference validator on that file alone (``checks.examine``), and any problem there sends the
endpoint to the reference engine, which names it. So every verdict is the reference's, and the
SQL engine only ever stores pages the reference engine would store alike. ``tests/fuzz.py``
mutates valid pages in every way the reference refuses, alone and in combination, and checks
that both engines agree.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from ...endpoints import Endpoint, Field
from ...models import Scenario
from ...schema import MONEY_LIMIT
from .read import file_key

# What a BIGINT column holds, and what the schema allows a count or a time (schema.COUNT).
_COUNT = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
_TYPES: dict[str, Any] = {"integer": _COUNT, "timestamp": _COUNT, "boolean": bool, "number": float}


class _Amount(msgspec.Struct, forbid_unknown_fields=True):
    value: Annotated[float, msgspec.Meta(gt=-MONEY_LIMIT, lt=MONEY_LIMIT)] | None = None
    currency: Annotated[str, msgspec.Meta(min_length=1)] | None = None


def _field_type(f: Field) -> Any:
    kind: Any = _Amount if f.type == "money" else _TYPES.get(f.type, str)
    if f.enum:
        kind = Literal[f.enum]
    return kind | None if f.nullable else kind


def _any_present(groups: list[tuple[str, ...]]) -> Any:
    """A __post_init__ that requires one name of each group (a field and its aliases)."""

    def check(self: Any) -> None:
        for names in groups:
            if all(getattr(self, n) is msgspec.UNSET for n in names):
                raise ValueError(f"one of {', '.join(names)} is required")

    return check


@cache
def page_type(endpoint: Endpoint) -> type:
    """The msgspec type of one response page of a usage or costs ``endpoint``."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [("object", Literal[endpoint.object])]
    alias_groups: list[tuple[str, ...]] = []
    for f in endpoint.fields:
        if any(len(source) != 1 for source in f.sources) or f.type == "json":
            raise ValueError(f"{endpoint.name}.{f.name}: nested values are not read in SQL")
        kind = _field_type(f)
        if f.aliases:
            for name in (f.name, *f.aliases):
                fields.append((name, kind | msgspec.UnsetType, msgspec.UNSET))
            alias_groups.append((f.name, *f.aliases))
        elif f.required:
            fields.append((f.name, kind))
        else:
            # Absent and null are alike to the schema where the field is nullable.
            fields.append((f.name, kind | msgspec.UnsetType, msgspec.UNSET))
    result = msgspec.defstruct(
        f"{endpoint.name}_result",
        sorted(fields, key=lambda f: len(f) == 3),  # required fields first
        namespace={"__post_init__": _any_present(alias_groups)} if alias_groups else {},
        forbid_unknown_fields=True,
    )
    bucket = msgspec.defstruct(
        f"{endpoint.name}_bucket",
        [
            ("object", Literal["bucket"]),
            ("start_time", _COUNT),
            ("end_time", _COUNT),
            ("results", list[result]),  # type: ignore[valid-type]
        ],
        forbid_unknown_fields=True,
    )
    return msgspec.defstruct(
        f"{endpoint.name}_page",
        [
            ("object", Literal["page"]),
            ("data", list[bucket]),  # type: ignore[valid-type]
            ("has_more", bool),
            ("next_page", str | None),
        ],
        forbid_unknown_fields=True,
    )


@cache
def _decoder(endpoint: Endpoint) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(page_type(endpoint))


def problem(endpoint: Endpoint, data: bytes | bytearray | memoryview) -> str | None:
    """Why the page ``data`` is not vouched for by the strict decode, or None."""
    try:
        _decoder(endpoint).decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return str(exc)
    return None


class PageValidator:
    """The checksum thread's inspect hook (checksums.Inspect): the strict decode of each of the
    SQL engine's page files, on the buffer the thread just hashed. ``refused`` maps file_key to
    the decode's reason for every page it did not vouch for; ``checked`` holds every file_key it
    decoded, so that a page the thread never saw is decoded later (stage.settle)."""

    def __init__(self, scenarios: Sequence[Scenario] = ()) -> None:
        self.owner = {
            file_key(p): s.endpoint for s in scenarios if s.endpoint.bucketed for p in s.page_files
        }
        self.checked: set[str] = set()
        self.refused: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, path: Path, data: bytearray, size: int) -> None:
        key = file_key(path)
        endpoint = self.owner.get(key)
        if endpoint is None:
            return
        reason = problem(endpoint, memoryview(data)[:size])
        with self._lock:
            self.checked.add(key)
            if reason is not None:
                self.refused[key] = reason

    def verdict(self, endpoint: Endpoint, path: str) -> str | None:
        """The decode's reason for refusing ``path`` (decoded now if the thread did not)."""
        key = file_key(path)
        with self._lock:
            if key in self.checked:
                return self.refused.get(key)
        return problem(endpoint, Path(path).read_bytes())
