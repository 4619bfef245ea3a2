"""Fixtures shared by the tests; the builders they use live in helpers.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import pipeline, times
from harness.cli import main
from harness.engines import SQL_MIN_BYTES_ENV
from helpers import NOW, Corpus, Result, Runner, copy_corpus


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OPENAI_* or HARNESS_* variable of the developer's shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith(("OPENAI_", "HARNESS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def sql_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Usage and costs take the SQL engine however few bytes they hold (by default a tiny
    endpoint takes the reference engine): for the tests that prove the two engines alike."""
    monkeypatch.setenv(SQL_MIN_BYTES_ENV, "0")


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
    """A private copy of the frozen basic corpus with its own manifest."""
    return copy_corpus(tmp_path / "corpus", cli)


@pytest.fixture(scope="session")
def _replayed_basic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database one good replay of the basic corpus leaves, made once per worker."""
    root = tmp_path_factory.mktemp("replayed-basic")
    copy_corpus(root, lambda *argv: Result(0, "", ""))
    db = root / "out" / "harness.duckdb"
    db.parent.mkdir()
    options = pipeline.ReplayOptions(root / "fixtures", db, now=times.parse(NOW))
    pipeline.replay(options)
    return db


@pytest.fixture
def populated(corpus: Corpus, _replayed_basic: Path) -> Corpus:
    """The corpus after one good replay, so the database already holds data: a copy of the
    file that replay left (one replay per worker, not one per test)."""
    corpus.db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_replayed_basic, corpus.db)
    return corpus
