"""pytest plugin (``pytest11`` entry point): one test item per fixture scenario.

A test module asks for ``harness_scenario`` and is parametrized with every scenario of the corpus,
ids like ``usage_completions/basic``: a new fixture folder is a new test with no code. Each item
replays its scenario alone (plus the directory and the costs it needs) into its own temporary
DuckDB file, so runs with and without ``-n auto`` are identical. Reports are compared with syrupy
snapshots at ``snapshots/<endpoint>/<scenario>.json``; a difference is explained with deepdiff.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from syrupy.location import PyTestLocation

from . import console, diffing, fixtures, pipeline, report
from .errors import HarnessError
from .models import Scenario

REPORT_PROPERTY = "harness_report"
ERROR_PROPERTY = "harness_error"

OPTIONS = (
    ("fixtures", "fixtures folder to generate scenario tests from", "fixtures"),
    ("checksums", "checksum manifest (default: CHECKSUMS.sha256 beside the fixtures)", ""),
    ("report_dir", "also write each scenario's report here (default: nowhere)", ""),
    ("snapshot_dir", "folder of the snapshot reports", "snapshots"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "harness fixture replay")
    for name, help_text, default in OPTIONS:
        flag = "--harness-" + name.replace("_", "-")
        group.addoption(flag, dest=f"harness_{name}", default=None, help=help_text)
        parser.addini(f"harness_{name}", help_text, default=default)


def _option(config: pytest.Config, name: str) -> Path | None:
    value = config.getoption(f"harness_{name}") or config.getini(f"harness_{name}")
    if not value:
        return None
    path = Path(str(value))
    return path if path.is_absolute() else config.rootpath / path


_PREVIOUS_ROOT = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "harness_scenario: a replayed fixture scenario")
    snapshot_dir = _option(config, "snapshot_dir")
    assert snapshot_dir is not None
    config.stash[_PREVIOUS_ROOT] = ReportSnapshotExtension.snapshot_root
    ReportSnapshotExtension.snapshot_root = snapshot_dir


def pytest_unconfigure(config: pytest.Config) -> None:
    # A session run in-process inside another (pytester) must hand the outer one its root back.
    if _PREVIOUS_ROOT in config.stash:
        ReportSnapshotExtension.snapshot_root = config.stash[_PREVIOUS_ROOT]


def _scenarios(config: pytest.Config) -> list[Scenario]:
    fixtures_dir = _option(config, "fixtures")
    assert fixtures_dir is not None
    return fixtures.discover(fixtures_dir)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "harness_scenario" not in metafunc.fixturenames:
        return
    scenarios = _scenarios(metafunc.config)
    metafunc.parametrize(
        "harness_scenario",
        [pytest.param(s.id, marks=pytest.mark.harness_scenario) for s in scenarios],
        ids=[s.id for s in scenarios],
    )


class ReportSnapshotExtension(SingleFileSnapshotExtension):
    """One JSON file per scenario at ``<snapshot_root>/<endpoint>/<scenario>.json``."""

    _write_mode = WriteMode.TEXT
    file_extension = "json"
    snapshot_root: ClassVar[Path] = Path("snapshots")

    def serialize(self, data: Any, **_: Any) -> str:
        return report.dumps(data)

    @classmethod
    def _scenario_id(cls, test_location: PyTestLocation) -> str:
        callspec = getattr(test_location.item, "callspec", None)
        if callspec is None or "harness_scenario" not in callspec.params:
            raise ValueError("ReportSnapshotExtension needs a harness_scenario test")
        return str(callspec.params["harness_scenario"])

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        endpoint = cls._scenario_id(test_location).split("/")[0]
        return str(cls.snapshot_root / endpoint)

    @classmethod
    def discovery_dirname(cls, *, test_location: PyTestLocation) -> str:
        return str(cls.snapshot_root)

    @classmethod
    def get_snapshot_name(cls, *, test_location: PyTestLocation, index: Any = 0) -> str:
        return cls._scenario_id(test_location).split("/", 1)[1]

    @classmethod
    def matches_test_location(
        cls, *, test_location: PyTestLocation, snapshot_location: str
    ) -> bool:
        try:
            expected = cls.get_location(test_location=test_location, index=0)
        except ValueError:
            return False
        return Path(expected) == Path(snapshot_location)

    def owns_snapshot_collection(self, *, filepath: str, test_location: PyTestLocation) -> bool:
        return filepath.endswith(".json") and Path(filepath).parent.parent == Path(
            self.snapshot_root
        )

    def diff_lines(self, serialized_data: Any, snapshot_data: Any) -> Iterator[str]:
        old = json.loads(str(snapshot_data)) if snapshot_data else {}
        new = json.loads(str(serialized_data))
        yield from diffing.change_lines(old, new)


@pytest.fixture
def harness_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """syrupy's snapshot, storing reports at snapshots/<endpoint>/<scenario>.json."""
    return snapshot.use_extension(ReportSnapshotExtension)


@pytest.fixture
def harness_report(
    harness_scenario: str, tmp_path: Path, request: pytest.FixtureRequest
) -> dict[str, Any]:
    """Replay ``harness_scenario`` into a fresh DuckDB file; the report without write counts."""
    config = request.config
    fixtures_dir = _option(config, "fixtures")
    assert fixtures_dir is not None
    try:
        trimmed = pipeline.scenario_report(
            fixtures_dir,
            harness_scenario,
            tmp_path / "harness.duckdb",
            _option(config, "checksums"),
        )
    except HarnessError as exc:
        request.node.user_properties.append((ERROR_PROPERTY, f"{exc.error_class}: {exc.summary}"))
        raise
    report_dir = _option(config, "report_dir")
    if report_dir is not None:
        report.write(trimmed, report_dir / f"{harness_scenario}.json")
    request.node.user_properties.append((REPORT_PROPERTY, report.dumps(trimmed)))
    return trimmed


class _Summary:
    """Collects scenario reports (also from xdist workers) and renders one table at the end."""

    def __init__(self) -> None:
        self.reports: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, str] = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        scenario = report.nodeid.partition("[")[2].rstrip("]")
        if ERROR_PROPERTY in properties and report.failed:
            self.failures[scenario] = str(properties[ERROR_PROPERTY])
        if REPORT_PROPERTY in properties and report.when == "call":
            self.reports[report.nodeid] = json.loads(str(properties[REPORT_PROPERTY]))
            if report.failed:
                self.failures[scenario] = "the report differs from its snapshot"

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.reports and not self.failures:
            return
        terminalreporter.section("harness scenarios")
        if self.reports:
            for line in console.render_lines(_merge(list(self.reports.values()))):
                terminalreporter.write_line(line)
        for scenario, reason in sorted(self.failures.items()):
            terminalreporter.write_line(f"FAILED {scenario}: {reason}")


def _merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report-shaped view of many per-scenario reports, for the summary table."""
    endpoints: dict[str, Any] = {}
    issues: list[Any] = []
    for r in reports:
        for name, entry in r["endpoints"].items():
            target = endpoints.setdefault(name, {"scenarios": {}, "counters": {}})
            target["scenarios"].update(entry["scenarios"])
        issues += r["relationshipIssues"]
    for entry in endpoints.values():
        totals: dict[str, Any] = {}
        for s in entry["scenarios"].values():
            for counter, value in s["counters"].items():
                totals[counter] = totals.get(counter, 0) + value
        entry["counters"] = dict(sorted(totals.items()))
        entry["scenarios"] = dict(sorted(entry["scenarios"].items()))
    return {
        "endpoints": dict(sorted(endpoints.items())),
        "relationshipIssues": issues,
        "usageSummary": None,
    }


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    # Workers send their reports to the controller, which alone renders the summary.
    if not hasattr(session.config, "workerinput"):
        session.config.pluginmanager.register(_Summary(), "harness-summary")
