"""Strict JSON text (RFC 8259, as the Admin API sends it): the reference's one parser.

Python's ``json`` module is lenient in four ways the API never needs, and each is refused here:
``NaN``/``Infinity``, a lone surrogate escape (``"\\ud800"``), duplicate names in one object
(the last would silently win) and, through ``bytes.decode``, a byte-order mark. Trailing commas
and comments are refused by ``json`` itself. The fast path is ``json.loads`` with a pairs hook;
only when it finds a defect does ``locate`` walk the text again to name its line and column.
"""

from __future__ import annotations

import json
import re
from typing import Any

# An escape of a UTF-16 surrogate, after any even run of backslashes; only a text holding one
# needs the exact (slower) check for lone surrogates.
_SURROGATE_ESCAPE = re.compile(r"\\[uU][dD][89a-fA-F]")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


class StrictnessError(ValueError):
    """A JSON text that Python's ``json`` accepts but RFC 8259 strictness refuses."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _refuse_constant(name: str) -> Any:
    raise StrictnessError(f"{name} is not a JSON number")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise StrictnessError("duplicate name in one object")
    return obj


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def loads(text: str) -> Any:
    """The value of a strict JSON text; raises json.JSONDecodeError or StrictnessError (whose
    ``position`` is the offset of the defect in ``text``)."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique)
    except StrictnessError as exc:
        raise locate(text) or exc from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(
        json.dumps(value, ensure_ascii=False)
    ):
        raise locate(text) or StrictnessError("lone surrogate escape in a string")
    return value


def line_column(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def locate(text: str) -> StrictnessError | None:
    """The first strictness defect of ``text`` (an already well-formed JSON text for
    ``json``), with its position; None if there is none. Recursive, and only run once a
    defect is known to exist, so its speed does not matter."""
    try:
        _value(text, _skip(text, 0))
    except StrictnessError as exc:
        return exc
    return None


def _skip(text: str, i: int) -> int:
    match = _WHITESPACE.match(text, i)
    return match.end() if match else i


def _value(text: str, i: int) -> int:
    """Check the value at ``i``; the index after it."""
    char = text[i : i + 1]
    if char == "{":
        return _object(text, i)
    if char == "[":
        i = _skip(text, i + 1)
        if text[i : i + 1] == "]":
            return i + 1
        while True:
            i = _skip(text, _value(text, i))
            if text[i : i + 1] == "]":
                return i + 1
            i = _skip(text, i + 1)  # the comma
    if char == '"':
        return _string(text, i)[1]
    for literal in ("true", "false", "null"):
        if text.startswith(literal, i):
            return i + len(literal)
    number = _NUMBER.match(text, i)
    if number is None or number.end() == i:
        raise StrictnessError("not a JSON value (NaN and Infinity are not JSON numbers)", i)
    return number.end()


def _string(text: str, i: int) -> tuple[str, int]:
    value, end = json.decoder.scanstring(text, i + 1, True)  # type: ignore[attr-defined]
    if _has_lone_surrogate(value):
        raise StrictnessError("lone surrogate escape in a string", i)
    return value, end


def _object(text: str, i: int) -> int:
    names: set[str] = set()
    i = _skip(text, i + 1)
    if text[i : i + 1] == "}":
        return i + 1
    while True:
        name, end = _string(text, i)
        if name in names:
            raise StrictnessError(f"duplicate name {json.dumps(name)} in one object", i)
        names.add(name)
        i = _skip(text, _value(text, _skip(text, _skip(text, end) + 1)))
        if text[i : i + 1] == "}":
            return i + 1
        i = _skip(text, i + 1)  # the comma
