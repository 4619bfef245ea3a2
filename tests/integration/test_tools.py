"""The gate's external tools, run as subprocesses: ruff, mypy and sha256sum."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from helpers import REPO


def test_checksums_pass_sha256sum_too() -> None:
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum is not installed")
    done = subprocess.run(
        ["sha256sum", "--quiet", "-c", "CHECKSUMS.sha256"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True
    )


def test_ruff_is_clean() -> None:
    done = _tool("ruff", "check", "harness", "tests", "bench", "conftest.py")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean() -> None:
    done = _tool("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
