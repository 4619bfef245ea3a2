"""harness: replay OpenAI Admin API fixtures into DuckDB and check them.

The public API is small: replay a corpus, or prepare it (all checks that need no database).

    >>> from harness import ReplayOptions, replay
    >>> result = replay(ReplayOptions(fixtures=Path("fixtures")))  # doctest: +SKIP
    >>> result.report["usageSummary"]["tokensIn"]  # doctest: +SKIP
"""

from .endpoints import ENDPOINTS, REGISTRY, Endpoint
from .errors import (
    ChecksumError,
    CorpusError,
    EnvironmentProblem,
    HarnessError,
    LayoutError,
    MalformedJSONError,
    PageChainError,
    RelationshipError,
    SchemaError,
)
from .pipeline import ReplayOptions, ReplayResult, prepare, replay
from .report import dumps as dump_report

__all__ = [
    "ENDPOINTS",
    "REGISTRY",
    "ChecksumError",
    "CorpusError",
    "Endpoint",
    "EnvironmentProblem",
    "HarnessError",
    "LayoutError",
    "MalformedJSONError",
    "PageChainError",
    "RelationshipError",
    "ReplayOptions",
    "ReplayResult",
    "SchemaError",
    "dump_report",
    "prepare",
    "replay",
]
