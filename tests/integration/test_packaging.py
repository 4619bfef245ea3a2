"""The package works when installed from a wheel: schemas and migrations ship as package data.

The wheel is installed with ``--target`` into a folder of its own and run from there on
``PYTHONPATH``, with this interpreter's dependencies: that works however they were installed
(a virtualenv, the system's site-packages, user site), where a nested virtualenv would not see
an outer virtualenv's packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import REPO, Corpus


def _run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True)


def test_wheel_install_replays_the_corpus(corpus: Corpus, tmp_path: Path) -> None:
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    built = _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--quiet",
        "-w",
        str(wheels),
        str(REPO),
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    wheel = next(wheels.glob("harness-*.whl"))
    installed = _run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--quiet",
        "--target",
        str(target),
        str(wheel),
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stderr
    env = dict(os.environ, PYTHONPATH=str(target))
    where = _run(
        sys.executable, "-c", "import harness; print(harness.__file__)", cwd=tmp_path, env=env
    )
    assert where.stdout.startswith(str(target)), where.stdout + where.stderr
    assert (target / "harness" / "_schemas" / "report.schema.json").is_file()
    assert (target / "harness" / "py.typed").is_file()
    replay = _run(
        sys.executable,
        "-m",
        "harness",
        "replay",
        "--fixtures",
        str(corpus.fixtures),
        "--db",
        str(tmp_path / "w.duckdb"),
        "--report",
        str(tmp_path / "w.json"),
        cwd=tmp_path,
        env=env,
    )
    assert replay.returncode == 0, replay.stderr
    assert (tmp_path / "w.json").is_file()
