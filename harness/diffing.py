"""deepdiff -> a short, readable list of changes between two reports (for people, not machines)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

_PART = re.compile(r"\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")


@dataclass(frozen=True)
class Change:
    path: str  # dotted path, e.g. endpoints.usage_completions.counters.input_tokens
    kind: str  # changed | added | removed
    old: Any
    new: Any

    def render(self) -> str:
        if self.kind == "added":
            return f"{self.path}: added {short(self.new)}"
        if self.kind == "removed":
            return f"{self.path}: removed (was {short(self.old)})"
        return f"{self.path}: {short(self.old)} -> {short(self.new)}"


def short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _dotted(path: str) -> str:
    parts = [m.group(1) if m.group(1) is not None else m.group(2) for m in _PART.finditer(path)]
    return ".".join(parts)


def changes(old: Any, new: Any) -> list[Change]:
    """Every difference, sorted by path; lists are compared position by position."""
    diff = DeepDiff(old, new, verbose_level=2, ignore_order=False)
    found: list[Change] = []
    for path, detail in diff.get("values_changed", {}).items():
        found.append(Change(_dotted(path), "changed", detail["old_value"], detail["new_value"]))
    for path, detail in diff.get("type_changes", {}).items():
        found.append(Change(_dotted(path), "changed", detail["old_value"], detail["new_value"]))
    for key in ("dictionary_item_added", "iterable_item_added"):
        for path, value in diff.get(key, {}).items():
            found.append(Change(_dotted(path), "added", None, value))
    for key in ("dictionary_item_removed", "iterable_item_removed"):
        for path, value in diff.get(key, {}).items():
            found.append(Change(_dotted(path), "removed", value, None))
    return sorted(found, key=lambda c: (c.path, c.kind))


def change_lines(old: Any, new: Any, limit: int = 40) -> list[str]:
    found = changes(old, new)
    lines = [c.render() for c in found[:limit]]
    if len(found) > limit:
        more = len(found) - limit
        lines.append(f"... and {more} more change{'' if more == 1 else 's'}")
    return lines or ["(no semantic change: the difference is in formatting only)"]
