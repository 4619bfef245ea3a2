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

import json
import operator
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from ...endpoints import Endpoint, Field
from ...models import Scenario, canonical_json
from ...schema import LAST_SECOND, MONEY_LIMIT
from .read import file_key

# What a BIGINT column holds, and what the schema allows a count or a time (schema.COUNT).
_COUNT = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
_TIME = Annotated[int, msgspec.Meta(ge=0, le=LAST_SECOND)]  # schema.TIME
_TYPES: dict[str, Any] = {"integer": _COUNT, "timestamp": _TIME, "boolean": bool, "number": float}


class _Amount(msgspec.Struct, forbid_unknown_fields=True, gc=False):
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
def page_type(endpoint: Endpoint, extra: tuple[str, ...] = ()) -> type:
    """The msgspec type of one response page of a usage or costs ``endpoint``; ``extra`` names
    result fields the registry does not know, decoded as any JSON value (``extras``)."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [("object", Literal[endpoint.object])]
    for n, name in enumerate(extra):  # attribute names of their own: a key may be any text
        fields.append((f"_extra_{n}", Any, msgspec.field(default=msgspec.UNSET, name=name)))
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
        gc=False,
    )
    bucket = msgspec.defstruct(
        f"{endpoint.name}_bucket",
        [
            ("object", Literal["bucket"]),
            ("start_time", _TIME),
            ("end_time", _TIME),
            ("results", list[result]),  # type: ignore[valid-type]
        ],
        forbid_unknown_fields=True,
        gc=False,
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
        gc=False,
    )


@cache
def _decoder(endpoint: Endpoint, extra: tuple[str, ...] = ()) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(page_type(endpoint, extra))


# A result field the registry does not know: the strict decode names it, then decodes the page
# again with the field added (as any value), so that an API that adds a field to every result
# keeps every page on the SQL engine. Anything else unknown (a page's or a bucket's field)
# stays a refusal, answered by the reference validator.
_UNKNOWN_RESULT_FIELD = re.compile(
    r"Object contains unknown field `(.+)` - at `\$\.data\[\d+\]\.results\[\d+\]`", re.S
)
_MOST_EXTRA = 16  # new fields of one page; more is not drift but another API


class ExtraTexts:
    """Every distinct ``extra_fields`` text of a run, by code: a new field mostly holds a few
    values, so each is made canonical once (not once per result) and the staged rows join the
    texts by code."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self._lock = threading.Lock()

    def code(self, text: str) -> int:
        with self._lock:
            return self.codes.setdefault(text, len(self.codes))

    def of(self, values: tuple[Any, ...], names: tuple[str, ...]) -> int | None:
        """The code of the extra_fields of one result whose unknown ``names`` hold ``values``
        (msgspec.UNSET where absent); None when none holds a value."""
        if len(values) == 1 and type(values[0]) in (int, str):
            # canonical_json({name: value}) without building the object: the common case of
            # a new counter or label, once per result when its values vary.
            value = values[0]
            text = json.dumps(value, ensure_ascii=False) if type(value) is str else str(value)
            return self.code(f"{{{json.dumps(names[0], ensure_ascii=False)}:{text}}}")
        held = {n: v for n, v in zip(names, values, strict=True) if v is not None}
        held = {n: v for n, v in held.items() if v is not msgspec.UNSET}
        return self.code(canonical_json(held)) if held else None


@dataclass
class Extras:
    """The results of one page whose unknown fields hold a value, as runs: the results
    ``first``..``last`` of bucket ``bucket`` share the ``extra_fields`` text of ``code``
    (ExtraTexts). A field the API adds mostly holds one value for many results in a row."""

    buckets: list[int] = field(default_factory=list)
    firsts: list[int] = field(default_factory=list)
    lasts: list[int] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)

    def add(self, bucket: int, first: int, last: int, code: int) -> None:
        """Results ``first``..``last`` of ``bucket``; they extend the last run when they
        follow it in its bucket with the same code."""
        if (
            self.codes
            and self.codes[-1] == code
            and self.buckets[-1] == bucket
            and self.lasts[-1] == first - 1
        ):
            self.lasts[-1] = last
            return
        self.buckets.append(bucket)
        self.firsts.append(first)
        self.lasts.append(last)
        self.codes.append(code)


@dataclass
class Decoded:
    """What the strict decode of one page found."""

    reason: str | None  # why it is not vouched for, or None
    learned: tuple[str, ...]  # the unknown result fields it knows of, the ones it was given first
    extras: Extras  # the results that hold a value in an unknown field
    named: set[str]  # the unknown names that hold a value in some result


def decode(
    endpoint: Endpoint,
    data: bytes | bytearray | memoryview,
    extra: tuple[str, ...] = (),
    texts: ExtraTexts | None = None,
) -> Decoded:
    """The strict decode of the page ``data``, given the unknown result fields ``extra`` that
    earlier pages taught; ``texts`` collects the extra_fields texts of the run."""
    known = frozenset(extra)
    while True:
        try:
            page = _decoder(endpoint, extra).decode(data)
        except RecursionError:  # an unknown field's value nested too deeply for msgspec
            return Decoded("nested too deeply", extra, Extras(), set())
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            found = _UNKNOWN_RESULT_FIELD.fullmatch(str(exc))
            if found is None or found[1] in known or len(extra) >= _MOST_EXTRA:
                return Decoded(str(exc), extra, Extras(), set())
            extra, known = (*extra, found[1]), known | {found[1]}
            continue
        if not extra:
            return Decoded(None, extra, Extras(), set())
        extras, present, named = _extras(page, extra, texts or ExtraTexts())
        return Decoded(_held_once(bytes(data), present), extra, extras, named)


def _plain(value: Any) -> bool:
    """A value Python's equality tells apart exactly as JSON does: text, null, or absent (not
    ``1 == 1.0 == True``, nor objects holding them)."""
    return value is None or value is msgspec.UNSET or type(value) is str


def _extras(
    page: Any, extra: tuple[str, ...], texts: ExtraTexts
) -> tuple[Extras, dict[str, int], set[str]]:
    """The results that hold a value in an unknown field, how many results hold each unknown
    name at all, and the names that hold a value.

    Results in a row that hold equal text form a run, found by ``itertools.groupby`` (in C): a
    new field mostly holds one value for many results, so the Python work is per run, not per
    result. Other values (numbers, objects) are made canonical one result at a time."""
    get = operator.attrgetter(*(f"_extra_{n}" for n in range(len(extra))))
    single = len(extra) == 1
    sizes = [len(bucket.results) for bucket in page.data]
    flat = [
        (get(result),) if single else get(result)
        for bucket in page.data
        for result in bucket.results
    ]
    present = dict.fromkeys(extra, 0)
    named: set[str] = set()
    runs: list[tuple[int | None, int]] = []  # (code, results), in page order
    position = 0
    for values, same in groupby(flat):
        length = sum(1 for _ in same)
        for name, value in zip(extra, values, strict=True):
            if value is not msgspec.UNSET:
                present[name] += length
                if value is not None:
                    named.add(name)
        if all(_plain(v) for v in values):
            runs.append((texts.of(values, extra), length))
        else:
            runs += [(texts.of(v, extra), 1) for v in flat[position : position + length]]
        position += length
    found = Extras()
    position, bucket, start = 0, 0, 0  # ``start``: where ``bucket`` begins
    for code, length in runs:
        end = position + length
        while position < end:  # a run never crosses a bucket: Extras keeps them per bucket
            while position >= start + sizes[bucket]:
                start += sizes[bucket]
                bucket += 1
            stop = min(end, start + sizes[bucket])
            if code is not None:
                found.add(bucket, position - start, stop - 1 - start, code)
            position = stop
    return found, present, named


def _held_once(data: bytes, present: dict[str, int]) -> str | None:
    """msgspec keeps the last of two equal names where the reference refuses the page, and
    DuckDB's read never saw the unknown ones: so each must appear exactly once per result that
    holds it. Without a backslash in the page, every ``"name"`` in its bytes is a string equal
    to the name, a key or a value; any other count (an escaped key, a value equal to the name,
    a name held twice) is left to the reference validator."""
    if b"\\" in data:
        return "a page with unknown result fields and escapes"
    for name, count in present.items():
        if count and data.count(msgspec.json.encode(name)) != count:
            return f"unknown result field {name!r} held other than once per result"
    return None


def problem(endpoint: Endpoint, data: bytes | bytearray | memoryview) -> str | None:
    """Why the page ``data`` is not vouched for by the strict decode, or None."""
    return decode(endpoint, data).reason


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
        self.texts = ExtraTexts()
        self.extras: dict[str, Extras] = {}  # by file_key: the results with extra_fields
        self.named: dict[str, set[str]] = {}  # by file_key: the unknown names with a value
        self._learned: dict[str, tuple[str, ...]] = {}  # unknown result fields, by endpoint
        self._lock = threading.Lock()

    def __call__(self, path: Path, data: bytearray, size: int) -> None:
        key = file_key(path)
        endpoint = self.owner.get(key)
        if endpoint is None:
            return
        self._decode(key, endpoint, memoryview(data)[:size])

    def _decode(self, key: str, endpoint: Endpoint, data: bytes | memoryview) -> None:
        # What one page taught is tried first on the next: one decode a page, not two.
        decoded = decode(endpoint, data, self._learned.get(endpoint.name, ()), self.texts)
        with self._lock:
            self._learned[endpoint.name] = decoded.learned
            self.checked.add(key)
            if decoded.reason is not None:
                self.refused[key] = decoded.reason
            elif decoded.extras.codes:
                self.extras[key], self.named[key] = decoded.extras, decoded.named

    def verdict(self, endpoint: Endpoint, path: str) -> str | None:
        """The decode's reason for refusing ``path`` (decoded now if the thread did not)."""
        key = file_key(path)
        with self._lock:
            seen = key in self.checked
        if not seen:
            self._decode(key, endpoint, Path(path).read_bytes())
        with self._lock:
            return self.refused.get(key)
