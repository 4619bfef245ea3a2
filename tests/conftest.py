"""Fixtures shared by the tests; the builders they use live in helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from helpers import Corpus, Result, Runner, copy_corpus


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OPENAI_* or HARNESS_* variable of the developer's shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith(("OPENAI_", "HARNESS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")


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
