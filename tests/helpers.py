"""Builders shared by the tests: a private copy of a frozen corpus, a CLI runner, DB contents.

Engine tests run on ``tests/corpora/basic``, a frozen copy of the corpus that is never edited to
follow ``fixtures/`` (the team's corpus, which only the gate's own tests and snapshots read).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from harness import checksums, pipeline
from harness.engines import SQL_MIN_BYTES_ENV

REPO = Path(__file__).resolve().parent.parent
# The engine's own corpus: fixtures/, CHECKSUMS.sha256 and snapshots/ of its scenarios.
BASIC = REPO / "tests" / "corpora" / "basic"
NOW = "2025-09-30T06:00:00Z"


@dataclass
class Result:
    code: int
    out: str
    err: str


Runner = Callable[..., Result]


@dataclass
class Corpus:
    """A corpus root in tmp_path: fixtures/, CHECKSUMS.sha256, and room for a database."""

    root: Path
    cli: Runner

    @property
    def fixtures(self) -> Path:
        return self.root / "fixtures"

    @property
    def manifest(self) -> Path:
        return self.root / "CHECKSUMS.sha256"

    @property
    def db(self) -> Path:
        return self.root / "out" / "harness.duckdb"

    @property
    def report(self) -> Path:
        return self.root / "out" / "report.json"

    def page(self, scenario: str, n: int = 1) -> Path:
        return self.fixtures / scenario / f"page-{n:03d}.json"

    def read(self, scenario: str, n: int = 1) -> Any:
        return json.loads(self.page(scenario, n).read_text())

    def write(self, scenario: str, n: int, body: Any, *, rehash: bool = True) -> None:
        path = self.page(scenario, n)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body, indent=2) + "\n")
        if rehash:
            self.rehash()

    def rehash(self) -> None:
        checksums.write(self.manifest, self.fixtures)

    def replay(self, *extra: str, summary: bool = False) -> Result:
        """``harness replay`` of this corpus; with ``--json`` (no console summary, which costs
        a tenth of a small replay) unless the test reads the ``summary``."""
        if not summary and "--json" not in extra:
            extra = (*extra, "--json")
        return self.cli(
            "replay",
            "--fixtures",
            str(self.fixtures),
            "--db",
            str(self.db),
            "--report",
            str(self.report),
            "--now",
            NOW,
            *extra,
        )

    def report_json(self) -> Any:
        return json.loads(self.report.read_text())


def copy_corpus(root: Path, cli: Runner, source: Path = BASIC) -> Corpus:
    """A private copy of ``source`` (the frozen basic corpus) at ``root``."""
    shutil.copytree(source / "fixtures", root / "fixtures")
    shutil.copy(source / "CHECKSUMS.sha256", root / "CHECKSUMS.sha256")
    return Corpus(root, cli)


def db_contents(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted: equal before and after means the database is unchanged.
    Tables only: each endpoint's view (``usage_completions``) is a function of its
    ``usage_completions_rows`` table, and computing them all cost most of a test's time."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema='main' "
                "AND table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
        ]
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    finally:
        con.close()


def make_page(
    results: list[dict[str, Any]],
    *,
    start: int = 1759104000,
    width: int = 86400,
    has_more: bool = False,
    next_page: str | None = None,
) -> dict[str, Any]:
    """A one-bucket usage/costs page."""
    return {
        "object": "page",
        "has_more": has_more,
        "next_page": next_page,
        "data": [
            {"object": "bucket", "start_time": start, "end_time": start + width, "results": results}
        ],
    }


def replay_report(
    root: Path, db: str, monkeypatch: pytest.MonkeyPatch, *, reference: bool
) -> dict[str, Any]:
    """Replay root/fixtures into root/<db> in-process, on the SQL engine wherever it can or
    (``reference``) all through the Python reference path; the report, at the snapshot clock."""
    if reference:
        monkeypatch.setenv(pipeline.REFERENCE_ENV, "1")
    else:
        monkeypatch.delenv(pipeline.REFERENCE_ENV, raising=False)
        monkeypatch.setenv(SQL_MIN_BYTES_ENV, "0")  # however small the corpus
    options = pipeline.ReplayOptions(
        fixtures=root / "fixtures", db=root / db, now=pipeline.SNAPSHOT_NOW
    )
    return pipeline.replay(options).report


@dataclass
class FakeClock:
    """A clock that only moves when someone sleeps: exact timing in unit tests."""

    current: float = 0.0
    sleeps: list[float] = field(default_factory=list)
    epoch: float = 1759190400.0  # wall() = epoch + current

    def now(self) -> float:
        return self.current

    def wall(self) -> float:
        return self.epoch + self.current

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += max(seconds, 0.0)


def edit_counter(root: Path) -> None:
    """Raise one input_tokens value of usage_completions/dual (1200 -> 1300), rehashed."""
    page = root / "fixtures" / "usage_completions" / "dual" / "page-001.json"
    page.write_text(page.read_text().replace('"input_tokens": 1200', '"input_tokens": 1300', 1))
    checksums.write(root / "CHECKSUMS.sha256", root / "fixtures")
