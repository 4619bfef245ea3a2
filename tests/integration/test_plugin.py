"""The pytest plugin, driven like a user would: a corpus, a test file, pytest runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness import checksums
from helpers import BASIC, edit_counter

# The usage scenarios these tests touch; each scenario's snapshot also holds the directory
# listings, so those all come along.
USAGE_USED = (
    "costs/basic",
    "costs/by_user",
    "usage_completions/dual",
    "usage_images/daily",
    "usage_moderations/daily",
)
TEST_FILE = """
def test_scenario(harness_report, harness_snapshot):
    assert harness_report == harness_snapshot
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with part of the basic corpus (the listings and the usage scenarios these
    tests touch), their snapshots and one scenario test module."""
    # When this suite itself runs under xdist, the inner pytest must not believe it is a worker.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    root = pytester.path
    every = sorted(str(p.relative_to(BASIC / "fixtures")) for p in BASIC.glob("fixtures/*/*"))
    listings = [s for s in every if not s.startswith(("usage_", "costs/"))]
    for scenario in [*USAGE_USED, *listings]:
        shutil.copytree(BASIC / "fixtures" / scenario, root / "fixtures" / scenario)
        snapshot = Path("snapshots", f"{scenario}.json")
        (root / snapshot).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(BASIC / snapshot, root / snapshot)
    checksums.write(root / "CHECKSUMS.sha256", root / "fixtures")
    (root / "tests").mkdir()
    (root / "tests" / "test_pytester_scenarios.py").write_text(TEST_FILE)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\naddopts = -p no:benchmark\n")
    return root


def test_every_scenario_is_a_test_with_its_id(pytester: pytest.Pytester, project: Path) -> None:
    result = pytester.runpytest("--collect-only", "-q")
    scenarios = sorted(
        str(p.parent.relative_to(project / "fixtures"))
        for p in (project / "fixtures").glob("*/*/request.json")
    )
    for scenario in scenarios:
        result.stdout.fnmatch_lines([f"*test_scenario[[]{scenario}[]]*"])
    pytester.runpytest().assert_outcomes(passed=len(scenarios))


def test_a_new_scenario_folder_is_a_new_test(pytester: pytest.Pytester, project: Path) -> None:
    source = project / "fixtures" / "usage_moderations" / "daily"
    shutil.copytree(source, project / "fixtures" / "usage_moderations" / "again")
    checksums.write(project / "CHECKSUMS.sha256", project / "fixtures")
    result = pytester.runpytest("-k", "usage_moderations/again")
    result.assert_outcomes(failed=1)  # collected as a new test, which has no snapshot yet
    assert pytester.runpytest("--snapshot-update").ret == 0
    assert (project / "snapshots" / "usage_moderations" / "again.json").is_file()
    assert pytester.runpytest().ret == 0


def test_a_changed_counter_fails_with_a_readable_diff(
    pytester: pytest.Pytester, project: Path
) -> None:
    edit_counter(project)
    result = pytester.runpytest()
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*endpoints.usage_completions.counters.input_tokens: 3600 -> 3700*",
            "*usageSummary.tokensIn: 3600 -> 3700*",
        ]
    )
    assert pytester.runpytest("--snapshot-update").ret == 0
    assert pytester.runpytest().ret == 0


@pytest.mark.slow
def test_results_are_the_same_under_xdist(pytester: pytest.Pytester, project: Path) -> None:
    edit_counter(project)
    serial = pytester.runpytest_subprocess()
    parallel = pytester.runpytest_subprocess("-n", "2")
    assert serial.parseoutcomes() == parallel.parseoutcomes()
    parallel.stdout.fnmatch_lines(["*input_tokens: 3600 -> 3700*"])
    orphan = project / "snapshots" / "costs" / "orphan.json"
    shutil.copy(project / "snapshots" / "costs" / "basic.json", orphan)
    assert pytester.runpytest_subprocess("-n", "2", "--snapshot-update").ret == 0
    assert not orphan.exists()  # unused snapshots are found and removed under xdist too


def test_terminal_summary_is_rendered_once(pytester: pytest.Pytester, project: Path) -> None:
    result = pytester.runpytest_subprocess("-n", "2", "-k", "usage_images")
    text = result.stdout.str()
    assert text.count("harness scenarios") == 1
    assert " usage_images " in text and "   daily " in text


def test_summary_names_a_scenario_whose_checks_fail(
    pytester: pytest.Pytester, project: Path
) -> None:
    page = project / "fixtures" / "usage_images" / "daily" / "page-002.json"
    page.write_text(page.read_text().replace('"images": 3', '"images": -3'))
    checksums.write(project / "CHECKSUMS.sha256", project / "fixtures")
    result = pytester.runpytest("-k", "usage_images")
    result.stdout.fnmatch_lines(["FAILED usage_images/daily: SchemaError: 1 schema errors*"])


def test_options_and_ini_keys_point_at_another_corpus(
    pytester: pytest.Pytester, project: Path
) -> None:
    corpus = project / "elsewhere"
    shutil.copytree(
        project / "fixtures" / "usage_moderations", corpus / "data" / "usage_moderations"
    )
    shutil.copytree(project / "fixtures" / "projects", corpus / "data" / "projects")
    checksums.write(corpus / "SUMS", corpus / "data")
    (project / "pytest.ini").write_text(
        "[pytest]\ntestpaths = tests\naddopts = -p no:benchmark\n"
        "harness_snapshot_dir = elsewhere/snaps\n"
    )
    result = pytester.runpytest(
        "--harness-fixtures",
        "elsewhere/data",
        "--harness-checksums",
        "elsewhere/SUMS",
        "--harness-report-dir",
        "out",
        "--snapshot-update",
    )
    result.assert_outcomes(passed=2)
    assert (project / "elsewhere" / "snaps" / "usage_moderations" / "daily.json").is_file()
    report = json.loads((project / "out" / "usage_moderations" / "daily.json").read_text())
    assert report["endpoints"]["usage_moderations"]["totalRawEvents"] == 1
    assert "writes" not in report["endpoints"]["usage_moderations"]
