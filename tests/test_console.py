"""The console summary stays readable for a corpus of thousands of scenarios: an endpoint with
many scenarios is one row of totals plus its scenarios with issues, issue lines are capped, and
no number is ever cut short, even at 80 columns."""

from __future__ import annotations

from typing import Any

from harness import console


def _scenario(raw: int) -> dict[str, Any]:
    return {
        "totalPages": 3,
        "totalBuckets": 24,
        "totalRawEvents": raw,
        "totalDedupedEvents": raw - 1,
        "exactDuplicates": 1,
    }


def _issue(scenario: str, n: int) -> dict[str, Any]:
    return {
        "kind": "unknown_api_key",
        "id": f"key_{n}",
        "endpoint": "usage_completions",
        "scenario": scenario,
        "page": "page-001.json",
        "bucketIndex": 0,
        "resultIndex": n,
    }


def _report(scenarios: int, flagged: dict[str, int]) -> dict[str, Any]:
    issues = [_issue(s, n) for s, count in flagged.items() for n in range(count)]
    return {
        "endpoints": {
            "usage_completions": {
                "scenarios": {f"s{i:03d}": _scenario(41_152 + i) for i in range(scenarios)},
                "counters": {"input_tokens": 1_234_567_890},
            },
            "projects": {"scenarios": {"all": _scenario(2)}, "counters": {}},
        },
        "relationshipIssues": issues,
        "usageSummary": {
            "totalBuckets": 24,
            "totalRawEvents": 41_152,
            "totalDedupedEvents": 41_151,
            "tokensIn": 10,
            "tokensOut": 20,
            "costEstimate": 0.5,
        },
    }


def test_few_scenarios_are_listed_one_per_row_under_their_endpoint() -> None:
    lines = console.render_lines(_report(3, {}), width=100)
    assert sum(line.startswith("   s00") for line in lines) == 3
    assert any(line.startswith(" usage_completions ") for line in lines)
    at = next(i for i, line in enumerate(lines) if line.startswith(" projects "))
    assert lines[at + 1].startswith("   all ")  # a lone scenario, under its endpoint


def test_many_scenarios_collapse_to_totals_and_the_ones_with_issues() -> None:
    n = console.SCENARIO_ROWS + 30
    lines = console.render_lines(_report(n, {"s007": 2, "s031": 23}), width=100)
    (total,) = [line for line in lines if f"usage_completions ({n} scenarios)" in line]
    raw = sum(41_152 + i for i in range(n))
    assert f"{raw:,}" in total and "25" in total  # summed raw results, 25 issues
    rows = [line for line in lines if "│" in line]
    assert sum(row.startswith("   s0") for row in rows) == 2  # s007 and s031 only
    assert sum(line.startswith("unknown_api_key:") for line in lines) == console.ISSUE_LINES
    assert f"... {25 - console.ISSUE_LINES} more relationship issues: see the report" in lines


def test_numbers_are_never_cut_at_80_columns() -> None:
    text = "\n".join(console.render_lines(_report(console.SCENARIO_ROWS + 1, {}), width=80))
    raw = sum(41_152 + i for i in range(console.SCENARIO_ROWS + 1))
    assert f"{raw:,}" in text and "…" not in text


def test_names_are_never_broken_at_80_columns() -> None:
    """`project_certificates/proj_abc` / `123` used to break mid-name at 80 columns."""
    report: dict[str, Any] = {"endpoints": {}}
    report["endpoints"]["usage_code_interpreter_sessions"] = {
        "scenarios": {"legacy_sessions": _scenario(3), "daily": _scenario(4)},
        "counters": {},
    }
    report["endpoints"]["project_certificates"] = {
        "scenarios": {"proj_abc123": _scenario(1)},
        "counters": {},
    }
    text = "\n".join(console.render_lines(report, width=80))
    for name in ("usage_code_interpreter_sessions", "legacy_sessions", "proj_abc123"):
        assert name in text, name


def test_a_sync_summary_is_titled_as_a_sync() -> None:
    """The console of `harness sync` was titled `harness replay`."""
    from harness.console import render_lines

    report = {"endpoints": {}, "sync": {}}
    assert render_lines(report)[0].startswith("harness sync")
    assert render_lines({"endpoints": {}})[0].startswith("harness replay")
