"""End-to-end replays of the bundled corpus into a real DuckDB file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import httpx
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.estimate import cost_estimate
from harness.live.server import serving
from harness.store import workspace
from helpers import REPO, Corpus, Runner, db_contents


def test_basic_scenario_reproduces_the_spike_summary(corpus: Corpus) -> None:
    result = corpus.replay("--scenario", "usage_completions/basic")
    assert result.code == 0, result.err
    summary = corpus.report_json()["usageSummary"]
    assert summary == {
        "totalBuckets": 1,
        "totalRawEvents": 2,
        "totalDedupedEvents": 1,
        "tokensIn": 2849,
        "tokensOut": 912,
        "costEstimate": 0.003918,
        "cursor": {
            "endpoint": "usage/completions",
            "nextPage": None,
            "hasMore": False,
            "lastSyncedAt": "2025-09-30T06:00:00Z",
        },
        "relationshipIssues": [],
    }


def test_cost_estimate_is_the_billed_amount_of_the_usage_projects_and_windows(
    corpus: Corpus,
) -> None:
    costs = corpus.read("costs/basic")
    amounts = [
        r["amount"]["value"]
        for b in costs["data"]
        for r in b["results"]
        if r["project_id"] == "proj_abc123"
    ]
    assert round(sum(amounts), 9) == 0.003918
    # a cost for a project the usage does not name is not part of the estimate
    costs["data"][0]["results"].append(
        {
            "object": "organization.costs.result",
            "amount": {"value": 5.0, "currency": "usd"},
            "line_item": "gpt-4.1, input",
            "project_id": "proj_xyz890",
        }
    )
    corpus.write("costs/basic", 1, costs)
    assert corpus.replay("--scenario", "usage_completions/basic").code == 0
    assert corpus.report_json()["usageSummary"]["costEstimate"] == 0.003918


_HOUR = 3600
_projects = st.sampled_from(["proj_a", "proj_b", None])
_window = st.tuples(st.integers(0, 30), st.integers(1, 6))  # start hour, length in hours
_usage = st.lists(st.tuples(_window, _projects), max_size=12)
_costs = st.lists(
    st.tuples(_window, _projects, st.integers(0, 10**6), st.sampled_from(["usd", None, "eur"])),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(_usage, _costs)
def test_cost_estimate_matches_its_definition(
    usage: list[tuple[tuple[int, int], str | None]],
    costs: list[tuple[tuple[int, int], str | None, int, str | None]],
) -> None:
    """Windows that overlap, touch, nest or leave gaps: the SQL sums exactly the usd costs
    rows that overlap a completions window of their project (or of any project, when the
    completions row names none), each once. (One grain of costs: the next test has several.)"""
    expected = sum(
        (
            Decimal(amount) / 1000
            for (start, hours), project, amount, currency in costs
            if currency == "usd"
            and any(
                (p is None or p == project) and start < s + h and s < start + hours
                for (s, h), p in usage
            )
        ),
        Decimal(0),
    )
    con = workspace()
    try:
        con.execute(
            "CREATE TEMP TABLE staged_usage_completions "
            "(window_start TIMESTAMPTZ, window_end TIMESTAMPTZ, project_id VARCHAR)"
        )
        con.execute(
            "CREATE TEMP TABLE staged_costs (window_start TIMESTAMPTZ, window_end TIMESTAMPTZ, "
            "project_id VARCHAR, amount_value DECIMAL(38, 9), amount_currency VARCHAR, "
            "group_by VARCHAR DEFAULT 'project_id', captured_at TIMESTAMPTZ DEFAULT now(), "
            "source_scenario VARCHAR DEFAULT 'costs')"
        )
        # one INSERT per table, the columns as lists
        con.execute(
            "INSERT INTO staged_usage_completions SELECT to_timestamp(s), to_timestamp(e), p "
            "FROM (SELECT unnest(?::BIGINT[]) s, unnest(?::BIGINT[]) e, unnest(?::VARCHAR[]) p)",
            [
                [start * _HOUR for (start, _), _ in usage],
                [(start + hours) * _HOUR for (start, hours), _ in usage],
                [project for _, project in usage],
            ],
        )
        con.execute(
            "INSERT INTO staged_costs (window_start, window_end, project_id, amount_value, "
            "amount_currency) SELECT to_timestamp(s), to_timestamp(e), p, a, c FROM ("
            "SELECT unnest(?::BIGINT[]) s, unnest(?::BIGINT[]) e, unnest(?::VARCHAR[]) p, "
            "unnest(?::VARCHAR[]) a, unnest(?::VARCHAR[]) c)",
            [
                [start * _HOUR for (start, _), *_ in costs],
                [(start + hours) * _HOUR for (start, hours), *_ in costs],
                [c[1] for c in costs],
                [str(Decimal(c[2]) / 1000) for c in costs],
                [c[3] for c in costs],
            ],
        )
        assert cost_estimate(con) == float(expected)
    finally:
        con.close()


def test_dual_results_stay_distinct(corpus: Corpus) -> None:
    assert corpus.replay("--scenario", "usage_completions/dual").code == 0
    entry = corpus.report_json()["endpoints"]["usage_completions"]
    assert entry["totalRawEvents"] == 3
    assert entry["totalDedupedEvents"] == 3
    con = duckdb.connect(str(corpus.db), read_only=True)
    rows = con.execute("SELECT project_id, service_tier FROM usage_completions ORDER BY ALL")
    assert rows.fetchall() == [
        ("proj_abc123", "default"),
        ("proj_abc123", "flex"),
        ("proj_xyz890", "default"),
    ]


def test_multipage_chain_is_followed_to_the_end(corpus: Corpus) -> None:
    assert corpus.replay("--scenario", "usage_completions/multipage").code == 0
    scenario = corpus.report_json()["endpoints"]["usage_completions"]["scenarios"]["multipage"]
    assert scenario["totalPages"] == 3
    assert scenario["totalBuckets"] == 3
    assert scenario["chain"] == {"pages": 3, "endedBecause": "has_more=false on page-003.json"}


def test_whole_corpus_replays_cleanly_and_matches_the_report_schema(corpus: Corpus) -> None:
    result = corpus.replay(summary=True)
    assert result.code == 0, result.err
    report = corpus.report_json()
    assert report["relationshipIssues"] == []
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)
    # the console summary names scenarios, each under its endpoint
    assert " usage_completions " in result.out and "   multipage " in result.out


def test_report_is_byte_stable(corpus: Corpus, tmp_path: Path) -> None:
    assert corpus.replay().code == 0
    first = corpus.report.read_bytes()
    corpus.db.unlink()
    assert corpus.replay().code == 0
    assert corpus.report.read_bytes() == first


def test_replaying_twice_is_idempotent(corpus: Corpus) -> None:
    assert corpus.replay().code == 0
    before = db_contents(corpus.db)
    assert corpus.replay("--now", "2025-10-01T00:00:00Z").code == 0
    after = db_contents(corpus.db)
    assert _without_sync_times(after) == _without_sync_times(before)  # rows untouched
    writes = corpus.report_json()["endpoints"]["usage_completions"]["writes"]
    assert writes == {"inserted": 0, "updated": 0, "unchanged": 9}


def _without_sync_times(tables: dict[str, list[tuple[object, ...]]]) -> dict[str, object]:
    """Drop the cursors' last column, last_synced_at: the one thing a second run changes (an
    unchanged row keeps the synced_at of the run that wrote it)."""
    return {
        t: [row[:-1] for row in rows] if t == "sync_cursors" else rows for t, rows in tables.items()
    }


@pytest.mark.parametrize("mode", ["merge", "update-insert"])
def test_both_upsert_paths_write_identical_tables(corpus: Corpus, mode: str) -> None:
    assert corpus.replay("--upsert-mode", mode).code == 0
    contents = db_contents(corpus.db)
    assert len(contents["usage_completions_rows"]) == 9
    reference = corpus.root / "reference.duckdb"
    assert (
        corpus.cli(
            "replay",
            "--fixtures",
            str(corpus.fixtures),
            "--db",
            str(reference),
            "--report",
            str(corpus.root / "r.json"),
            "--now",
            "2025-09-30T06:00:00Z",
        ).code
        == 0
    )
    expected = db_contents(reference)
    for table in ("usage_completions_rows", "costs_rows", "projects_rows"):
        assert contents[table] == expected[table]


@pytest.mark.parametrize("mode", ["merge", "update-insert"])
def test_both_upsert_paths_count_and_write_a_mixed_rerun_alike(corpus: Corpus, mode: str) -> None:
    """Into a populated table: one result changed (updated), one new (inserted), the rest
    unchanged; both modes report the same counts and leave the same rows."""
    first = ("--scenario", "usage_completions/basic", "--now", "2025-09-30T06:00:00Z")
    assert corpus.replay(*first).code == 0
    body = corpus.read("usage_completions/basic", 1)
    results = body["data"][0]["results"]
    for result in results[:2]:  # an exact duplicate pair: both restated
        result["input_tokens"] += 1
    results.append(dict(results[1], model="gpt-4o-2024-08-06-new"))
    corpus.write("usage_completions/basic", 1, body)
    assert corpus.replay(*first, "--upsert-mode", mode).code == 0
    writes = corpus.report_json()["endpoints"]["usage_completions"]["writes"]
    total = corpus.report_json()["endpoints"]["usage_completions"]["totalDedupedEvents"]
    assert writes == {"inserted": 1, "updated": 1, "unchanged": total - 2}
    rows = db_contents(corpus.db)["usage_completions_rows"]
    assert len(rows) == total
    assert sum(1 for row in rows if "gpt-4o-2024-08-06-new" in row) == 1


def test_json_flag_prints_the_report(corpus: Corpus) -> None:
    result = corpus.replay("--json", "--scenario", "projects/all")
    assert result.code == 0
    assert json.loads(result.out)["endpoints"]["projects"]["totalRawEvents"] == 2


def test_scenario_flag_takes_several_values_or_repeats(corpus: Corpus) -> None:
    listed = corpus.replay("--scenario", "usage_completions/basic", "usage_completions/dual")
    assert listed.code == 0
    first = corpus.report_json()["endpoints"]["usage_completions"]["scenarios"]
    repeated = corpus.replay(
        "--scenario", "usage_completions/basic", "--scenario", "usage_completions/dual"
    )
    assert repeated.code == 0
    assert corpus.report_json()["endpoints"]["usage_completions"]["scenarios"] == first
    assert set(first) == {"basic", "dual"}


@pytest.mark.parametrize("absent", ["missing", "null"])
def test_a_list_page_without_last_id_continues_from_its_last_item(
    corpus: Corpus, absent: str
) -> None:
    """The spec makes ``last_id`` optional: the chain continues from the last item's id, in
    replay as in the live client and serve (chains.next_cursor)."""
    before = corpus.replay()
    assert before.code == 0, before.err
    expected = corpus.report_json()["endpoints"]["users"]
    body = corpus.read("users/all")
    if absent == "missing":
        del body["last_id"], body["first_id"]
    else:
        body["last_id"] = None
    corpus.write("users/all", 1, body)
    result = corpus.replay()
    assert result.code == 0, result.err
    users = corpus.report_json()["endpoints"]["users"]
    assert users["totalDedupedEvents"] == expected["totalDedupedEvents"] == 2
    assert users["cursor"] == expected["cursor"]
    with serving(corpus.fixtures) as api:
        second = httpx.get(
            f"{api.url}/v1/organization/users",
            params={"limit": 1, "after": "user_abc"},
            headers={"Authorization": "Bearer sk-admin-test"},
        )
    assert second.status_code == 200, second.text
    assert second.json()["data"][0]["id"] != "user_abc"


def test_cost_estimate_counts_one_grain_of_costs_per_day(corpus: Corpus) -> None:
    """costs/basic (by line item) and costs/by_user (by user) bill the same day twice over: the
    estimate takes one grain per day, so the seed's 0.003918 stands whichever is chosen, and a
    grain without project_id is never chosen beside one with it."""
    assert corpus.replay("--scenario", "usage_completions/basic").code == 0
    report = corpus.report_json()
    assert set(report["endpoints"]["costs"]["scenarios"]) == {"basic", "by_user"}
    assert report["usageSummary"]["costEstimate"] == 0.003918
    body = corpus.read("costs/by_user")
    for result in body["data"][0]["results"]:
        result["project_id"] = None
    corpus.write("costs/by_user", 1, body)
    request = corpus.fixtures / "costs" / "by_user" / "request.json"
    query = json.loads(request.read_text())
    query["query"]["group_by"] = ["user_id"]
    request.write_text(json.dumps(query))
    corpus.rehash()
    assert corpus.replay("--scenario", "usage_completions/basic").code == 0
    assert corpus.report_json()["usageSummary"]["costEstimate"] == 0.003918


def test_version_and_an_empty_synth_are_answered(cli: Runner) -> None:
    version = cli("--version")
    assert version.code == 0 and version.out.startswith("harness ")
    refused = cli("synth", "--results", "0", "--out", "/nonexistent/never-written")
    assert refused.code == 2 and "at least one result" in refused.err
