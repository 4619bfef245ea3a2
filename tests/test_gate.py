"""The whole gate runs inside pytest: generated files are fresh, ruff and mypy are clean."""

from __future__ import annotations

import harness
from harness import schema
from harness.endpoints import ENDPOINTS
from helpers import REPO, Runner


def test_checksums_are_fresh(cli: Runner) -> None:
    result = cli("checksums", "--check", "--fixtures", str(REPO / "fixtures"))
    assert result.code == 0, result.err


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
