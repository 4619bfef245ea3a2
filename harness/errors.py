"""The one exception tree of harness.

    HarnessError                    exit_code, problems, message says what to do next
    ├── CorpusError                 exit 1: the fixtures' content fails a check
    │   ├── ChecksumError           digest mismatch, listed file missing, file not listed
    │   ├── LayoutError             request.json missing, page numbering gap, unknown endpoint
    │   ├── MalformedJSONError      a fixture file is not valid JSON
    │   ├── SchemaError             a page breaks its endpoint's JSON Schema
    │   ├── PageChainError          has_more / next_page / last_id / bucket windows disagree
    │   └── RelationshipError       a reference that does not resolve (foreign keys)
    └── EnvironmentProblem          exit 2: the harness cannot run
        ├── ArgumentError           bad command-line arguments or configuration
        ├── PathError               a path that cannot be read or written
        ├── DatabaseError           DuckDB failed, or the database file is not usable
        │   ├── DatabaseLockedError another process holds the file
        │   └── MigrationError      behind, ahead, or an applied migration was edited
        ├── FaultInjected           the HARNESS_FAIL_AT test hook fired
        └── ApiError                the Admin API answered with an error, or could not be reached
            ├── ApiStatusError      a 4xx other than 429 (not retried): the API's own message
            ├── RateLimitExceeded   429/5xx retries exhausted, or Retry-After above the ceiling
            └── TransportError      connection refused, timeout, TLS, ...

Foreign exceptions (json, jsonschema, duckdb, OSError, httpx) are translated at the module that
calls the foreign library and re-raised with ``from exc``; nothing else catches them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Self


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located as precisely as the stage knows it."""

    message: str
    file: str | None = None
    page: str | None = None
    pointer: str | None = None
    rule: str | None = None

    def render(self) -> str:
        where = self.file or ""
        if self.pointer:
            where = f"{where} at {self.pointer}" if where else self.pointer
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} [{self.rule}]" if self.rule else text


@dataclass
class HarnessError(Exception):
    """Base class. ``hint`` tells the user what to do next."""

    summary: str
    problems: list[Problem] = field(default_factory=list)
    hint: str | None = None
    # The report of a run that got far enough to write one (relationship issues).
    report: dict[str, Any] | None = None

    exit_code = 2
    error_class = "HarnessError"

    def __post_init__(self) -> None:
        super().__init__(self.summary)

    def __str__(self) -> str:
        lines = [self.summary]
        shown = self.problems[:50]
        lines += [f"  - {p.render()}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        if self.hint:
            lines.append(f"  fix: {self.hint}")
        return "\n".join(lines)

    @classmethod
    def of(cls, problems: Iterable[Problem], summary: str, hint: str | None = None) -> Self:
        found = list(problems)
        return cls(summary=summary.format(n=len(found)), problems=found, hint=hint)


class CorpusError(HarnessError):
    exit_code = 1
    error_class = "CorpusError"


class ChecksumError(CorpusError):
    error_class = "ChecksumError"


class LayoutError(CorpusError):
    error_class = "LayoutError"


class MalformedJSONError(CorpusError):
    error_class = "MalformedJSONError"


class SchemaError(CorpusError):
    error_class = "SchemaError"


class PageChainError(CorpusError):
    error_class = "PageChainError"


class RelationshipError(CorpusError):
    error_class = "RelationshipError"


class EnvironmentProblem(HarnessError):
    exit_code = 2
    error_class = "EnvironmentProblem"


class ArgumentError(EnvironmentProblem):
    error_class = "ArgumentError"


class PathError(EnvironmentProblem):
    error_class = "PathError"


class DatabaseError(EnvironmentProblem):
    error_class = "DatabaseError"


class DatabaseLockedError(DatabaseError):
    error_class = "DatabaseLockedError"


class MigrationError(DatabaseError):
    error_class = "MigrationError"


class FaultInjected(EnvironmentProblem):
    error_class = "FaultInjected"


class ApiError(EnvironmentProblem):
    error_class = "ApiError"


class ApiStatusError(ApiError):
    error_class = "ApiStatusError"


class RateLimitExceeded(ApiError):
    error_class = "RateLimitExceeded"


class TransportError(ApiError):
    error_class = "TransportError"
