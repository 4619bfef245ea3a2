"""Builders shared by the tests: a private copy of the corpus, a CLI runner, DB snapshots."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from harness import checksums, pipeline
from harness.cli import main

REPO = Path(__file__).resolve().parent.parent
NOW = "2025-09-30T06:00:00Z"


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OPENAI_* or HARNESS_* variable of the developer's shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith(("OPENAI_", "HARNESS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")


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

    def replay(self, *extra: str) -> Result:
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


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run ``harness`` in-process: ``cli("replay", ...)`` -> Result(code, out, err)."""

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def corpus(tmp_path: Path, cli: Runner) -> Corpus:
    """A private copy of the bundled corpus with its own manifest."""
    root = tmp_path / "corpus"
    shutil.copytree(REPO / "fixtures", root / "fixtures")
    shutil.copy(REPO / "CHECKSUMS.sha256", root / "CHECKSUMS.sha256")
    return Corpus(root, cli)


def db_contents(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted: equal before and after means the database is unchanged."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema='main' "
                "ORDER BY 1"
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
    """Replay root/fixtures into root/<db> in-process, on the SQL fast path or (``reference``)
    all through the Python reference path; the report, at the snapshot clock."""
    if reference:
        monkeypatch.setenv(pipeline.REFERENCE_ENV, "1")
    else:
        monkeypatch.delenv(pipeline.REFERENCE_ENV, raising=False)
    options = pipeline.ReplayOptions(
        fixtures=root / "fixtures", db=root / db, now=pipeline.SNAPSHOT_NOW
    )
    return pipeline.replay(options).report
