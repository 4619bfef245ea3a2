"""The whole gate runs inside pytest: generated files are fresh, ruff and mypy are clean."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

import harness
from conftest import REPO, Runner
from harness import schema
from harness.endpoints import ENDPOINTS


def test_checksums_are_fresh(cli: Runner) -> None:
    result = cli("checksums", "--check", "--fixtures", str(REPO / "fixtures"))
    assert result.code == 0, result.err


def test_checksums_pass_sha256sum_too() -> None:
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum is not installed")
    done = subprocess.run(
        ["sha256sum", "--quiet", "-c", "CHECKSUMS.sha256"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_endpoints_md_is_fresh(cli: Runner) -> None:
    result = cli(
        "endpoints",
        "--check",
        "--fixtures",
        str(REPO / "fixtures"),
        "--output",
        str(REPO / "ENDPOINTS.md"),
    )
    assert result.code == 0, "ENDPOINTS.md is stale: run `harness endpoints --write`"


def test_schema_docs_are_fresh(cli: Runner) -> None:
    result = cli("db", "docs", "--check", "--output", str(REPO / "docs" / "schema.md"))
    assert result.code == 0, "docs/schema.md is stale: run `harness db docs --write`"


def test_schemas_are_fresh(cli: Runner) -> None:
    result = cli("schemas", "--check", "--dir", str(REPO / "schemas"))
    assert result.code == 0, result.err


def test_every_endpoint_has_a_schema_and_the_report_schema_exists() -> None:
    names = {p.name for p in (REPO / "schemas").glob("*.schema.json")}
    assert names == set(schema.expected_files()) | {"report.schema.json"}
    assert len(ENDPOINTS) == len(schema.expected_files())


def test_stale_check_fails(cli: Runner, tmp_path: object) -> None:
    from pathlib import Path

    stale = Path(str(tmp_path)) / "ENDPOINTS.md"
    stale.write_text("# old\n")
    assert (
        cli(
            "endpoints", "--check", "--output", str(stale), "--fixtures", str(REPO / "fixtures")
        ).code
        == 1
    )


def test_public_api_is_exported() -> None:
    exported = set(harness.__all__)
    public = {name for name in dir(harness) if not name.startswith("_")}
    assert exported <= public
    assert {"replay", "prepare", "ReplayOptions", "HarnessError"} <= exported


def _tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True
    )


@pytest.mark.slow
def test_ruff_is_clean() -> None:
    done = _tool("ruff", "check", "harness", "tests", "conftest.py")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_mypy_is_clean() -> None:
    done = _tool("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
