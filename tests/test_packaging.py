"""The package works when installed from a wheel: schemas and migrations ship as package data."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import REPO, Corpus


@pytest.mark.slow
def test_wheel_install_replays_the_corpus(corpus: Corpus, tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(wheels),
            str(REPO),
        ],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = env_dir / "bin" / "python"
    wheel = next(wheels.glob("harness-*.whl"))
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    where = subprocess.run(
        [str(python), "-c", "import harness; print(harness.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert str(env_dir) in where.stdout, where.stdout + where.stderr
    replay = subprocess.run(
        [
            str(python),
            "-m",
            "harness",
            "replay",
            "--fixtures",
            str(corpus.fixtures),
            "--db",
            str(tmp_path / "w.duckdb"),
            "--report",
            str(tmp_path / "w.json"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert replay.returncode == 0, replay.stderr
