"""harness sync against harness serve, and the served replay against the direct one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import jsonschema
import pytest

from harness.endpoints import ENDPOINTS, REGISTRY
from harness.live import sync
from harness.live.client import AdminClient, RateLimitLog
from harness.live.server import AdminApiServer, serving
from harness.live.throttle import TokenBucket
from helpers import NOW, REPO, Corpus, Result, db_contents

# Several syncs (or a sync and a replay) compared: in the gate, out of the quick loop.
SEVERAL_RUNS = pytest.mark.slow


@pytest.fixture
def api(corpus: Corpus) -> Iterator[AdminApiServer]:
    with serving(corpus.fixtures) as server:
        yield server


@pytest.fixture(autouse=True)
def fast_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-test-0000000000009999")
    monkeypatch.setenv("OPENAI_ADMIN_REQUESTS_PER_MINUTE", "60000")
    monkeypatch.setenv("OPENAI_ADMIN_MAX_BURST", "20")


@SEVERAL_RUNS
def test_served_replay_equals_the_direct_replay(corpus: Corpus) -> None:
    assert corpus.replay().code == 0
    direct_report, direct_tables = corpus.report.read_bytes(), db_contents(corpus.db)
    corpus.db.unlink()
    assert corpus.replay("--served", "--rate-limit-log", str(corpus.root / "rl.log")).code == 0
    assert corpus.report.read_bytes() == direct_report
    assert db_contents(corpus.db) == direct_tables


def _sync_run(
    corpus: Corpus, api: AdminApiServer, *extra: str, since: str | None = "2025-09-26"
) -> Result:
    """``harness sync`` of five days from serve; ``since=None`` resumes from the cursors."""
    return corpus.cli(
        "sync",
        *(("--since", since) if since else ()),
        "--until",
        "2025-10-01",
        "--base-url",
        api.url,
        "--db",
        str(corpus.db),
        "--report",
        str(corpus.report),
        "--rate-limit-log",
        str(corpus.root / "rl.log"),
        *extra,
    )


def _sync(
    corpus: Corpus, api: AdminApiServer, *extra: str, since: str | None = "2025-09-26"
) -> int:
    return _sync_run(corpus, api, *extra, since=since).code


def test_sync_against_serve_fills_the_database(corpus: Corpus, api: AdminApiServer) -> None:
    assert _sync(corpus, api) == 0
    report = corpus.report_json()
    assert set(report) >= {"usageSummary", "endpoints", "relationshipIssues", "sync"}
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)  # the same report as replay
    assert report["endpoints"]["usage_images"]["counters"] == {
        "images": 19,
        "num_model_requests": 17,
    }
    con = duckdb.connect(str(corpus.db), read_only=True)
    assert con.execute("SELECT count(*) FROM project_api_keys").fetchone() == (4,)
    paths = [entry.path for entry in api.log]
    # the archived project's members and service accounts are not asked for (the API says 400)
    assert "/v1/organization/projects/proj_xyz890/users" not in paths
    assert "/v1/organization/projects/proj_abc123/users" in paths
    assert all(entry.status == 200 for entry in api.log)


def test_sync_reads_every_endpoint_of_the_registry(corpus: Corpus, api: AdminApiServer) -> None:
    """Every endpoint the registry has is asked for (per-project lists for each project,
    with the registry's page size and list parameters), so a new one is never skipped."""
    assert _sync(corpus, api) == 0
    asked = {(e.path, e.query) for e in api.log}
    for endpoint in ENDPOINTS:
        path = endpoint.api_path.replace("{project_id}", "proj_abc123")
        queries = [parse_qs(q) for p, q in asked if p == path]
        assert queries, f"sync never asked for {endpoint.name}"
        assert all(q["limit"] == [str(endpoint.request_limit)] for q in queries)
        for name, value in endpoint.list_query:
            assert all(q[name] == [str(value).lower()] for q in queries)
    assert set(corpus.report_json()["endpoints"]) == set(REGISTRY)


def test_sync_asks_for_valid_page_sizes_and_groupings(corpus: Corpus, api: AdminApiServer) -> None:
    assert _sync(corpus, api) == 0
    usage = [parse_qs(e.query) for e in api.log if e.path.endswith("/usage/images")]
    assert usage[0]["group_by[]"] == [
        "project_id",
        "user_id",
        "api_key_id",
        "model",
        "source",
        "size",
    ]
    assert usage[0]["limit"] == ["31"] and usage[0]["bucket_width"] == ["1d"]
    costs = [parse_qs(e.query) for e in api.log if e.path.endswith("/costs")]
    assert costs[0]["group_by[]"] == ["project_id", "line_item"]


def test_array_parameters_in_either_form(corpus: Corpus, api: AdminApiServer) -> None:
    assert (
        _sync(corpus, api, "--endpoint", "usage_images", "costs", "--array-format", "repeat") == 0
    )
    images = [parse_qs(e.query) for e in api.log if e.path.endswith("/usage/images")]
    assert "group_by" in images[0] and "group_by[]" not in images[0]
    assert set(corpus.report_json()["endpoints"]) >= {"usage_images", "costs", "projects"}
    assert "usage_embeddings" not in corpus.report_json()["endpoints"]


@SEVERAL_RUNS
def test_a_second_sync_resumes_from_the_cursor_with_a_lookback(
    corpus: Corpus, api: AdminApiServer
) -> None:
    assert _sync(corpus, api) == 0
    first = len(api.log)
    assert _sync(corpus, api, "--lookback-days", "1", since=None) == 0
    again = [parse_qs(e.query) for e in api.log[first:] if e.path.endswith("/usage/images")]
    until = int(datetime(2025, 10, 1, tzinfo=UTC).timestamp())
    assert again[0]["start_time"] == [str(until - 86400)]
    writes = corpus.report_json()["endpoints"]["usage_images"]["writes"]
    assert writes["inserted"] == 0


@SEVERAL_RUNS
def test_the_audit_log_is_read_by_effective_at_from_its_cursor(
    corpus: Corpus, api: AdminApiServer
) -> None:
    """Sync asks for the audit log of its window only (effective_at[gte]/[lt]), never the
    whole history; the next sync starts from the stored cursor less the lookback."""
    assert _sync(corpus, api) == 0
    first = len(api.log)
    audit = [parse_qs(e.query) for e in api.log if e.path.endswith("/audit_logs")]
    since = int(datetime(2025, 9, 26, tzinfo=UTC).timestamp())
    until = int(datetime(2025, 10, 1, tzinfo=UTC).timestamp())
    assert audit[0]["effective_at[gte]"] == [str(since)]
    assert audit[0]["effective_at[lt]"] == [str(until)]
    assert corpus.report_json()["endpoints"]["audit_logs"]["totalDedupedEvents"] == 3
    assert _sync(corpus, api, "--lookback-days", "2", since=None) == 0
    again = [parse_qs(e.query) for e in api.log[first:] if e.path.endswith("/audit_logs")]
    assert again[0]["effective_at[gte]"] == [str(until - 2 * 86400)]


@SEVERAL_RUNS
def test_dangling_references_warn_in_sync_and_fail_with_strict(
    corpus: Corpus, api: AdminApiServer
) -> None:
    body = corpus.read("usage_images/daily", 2)
    body["data"][0]["results"][0]["user_id"] = "user_deleted"
    corpus.write("usage_images/daily", 2, body)
    with serving(corpus.fixtures) as edited:
        assert _sync(corpus, edited) == 0
        issues = corpus.report_json()["relationshipIssues"]
        assert [(i["kind"], i["id"], i["severity"]) for i in issues] == [
            ("unknown_user", "user_deleted", "warning")
        ]
        before = db_contents(corpus.db)
        assert _sync(corpus, edited, "--strict") == 1
        assert db_contents(corpus.db) == before
        allow = corpus.root / "allow.json"
        allow.write_text(json.dumps([{"id": "user_deleted", "reason": "offboarded"}]))
        assert _sync(corpus, edited, "--strict", "--allow-dangling", str(allow)) == 0


def test_the_open_bucket_is_marked_partial(
    corpus: Corpus, api: AdminApiServer, tmp_path: Path
) -> None:
    options = sync.SyncOptions(
        since=datetime(2025, 9, 29, tzinfo=UTC),
        until=datetime(2025, 9, 30, tzinfo=UTC),
        db=tmp_path / "s.duckdb",
        endpoints=("usage_images",),
        now=datetime(2025, 9, 29, 12, tzinfo=UTC),
    )
    client = AdminClient(
        "sk-admin-x-000000000",
        base_url=api.url,
        throttle=TokenBucket(60000, 20),
        log=RateLimitLog(None),
    )
    with client:
        result = sync.sync(options, client)
    assert result.report["sync"]["partialBuckets"] == {
        "usage_images": [{"windowStart": 1759104000, "windowEnd": 1759190400}]
    }


@SEVERAL_RUNS
def test_sync_can_capture_a_corpus_that_replays(corpus: Corpus, api: AdminApiServer) -> None:
    captured = corpus.root / "captured"
    assert _sync(corpus, api, "--capture", str(captured)) == 0
    assert (captured / "fixtures" / "usage_images" / "sync" / "request.json").is_file()
    result = corpus.cli(
        "replay",
        "--fixtures",
        str(captured / "fixtures"),
        "--db",
        str(captured / "r.duckdb"),
        "--report",
        str(captured / "r.json"),
        "--now",
        NOW,
    )
    assert result.code == 0, result.err


def test_sync_needs_the_admin_key(
    corpus: Corpus, api: AdminApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_ADMIN_KEY")
    result = _sync_run(corpus, api)
    assert result.code == 2 and "OPENAI_ADMIN_KEY is not set" in result.err


def test_a_second_grain_is_refused_unless_asked_for(corpus: Corpus, api: AdminApiServer) -> None:
    """The next scheduled sync asking for another grouping would store a second grain beside
    the first, and sums across both would count twice: refused, naming both, unless
    --new-grain. A new dimension is opt-in (--group-by)."""
    assert _sync(corpus, api, "--endpoint", "usage_images") == 0
    before = db_contents(corpus.db)
    result = _sync_run(
        corpus, api, "--endpoint", "usage_images", "--group-by", "usage_images=model"
    )
    assert result.code == 2
    assert "usage_images" in result.err and "'model'" in result.err and "--new-grain" in result.err
    assert db_contents(corpus.db) == before
    first = len(api.log)
    assert (
        _sync(
            corpus,
            api,
            "--endpoint",
            "usage_images",
            "--group-by",
            "usage_images=model",
            "--new-grain",
        )
        == 0
    )
    asked = [parse_qs(e.query) for e in api.log[first:] if e.path.endswith("/usage/images")]
    assert asked and all(q["group_by[]"] == ["model"] for q in asked)


@pytest.mark.parametrize("value", ["usage_images", "nope=model", "users=id", "usage_images=region"])
def test_group_by_names_a_usage_endpoint_and_its_dimensions(
    corpus: Corpus, api: AdminApiServer, value: str
) -> None:
    result = _sync_run(corpus, api, "--group-by", value)
    assert result.code == 2 and "--group-by" in result.err


def test_a_base_url_ending_in_v1_works_as_the_sdks_does(
    corpus: Corpus, api: AdminApiServer
) -> None:
    """The openai SDK takes https://api.openai.com/v1; sync takes the same URL."""
    assert _sync_run(corpus, api, "--base-url", f"{api.url}/v1").code == 0
    assert all(entry.path.startswith("/v1/organization/") for entry in api.log)
    assert not any(entry.path.startswith("/v1/v1/") for entry in api.log)


def test_a_backfill_fetches_from_its_since_however_far_behind_the_cursor(
    corpus: Corpus, api: AdminApiServer
) -> None:
    """A --since earlier than the stored cursor used to be narrowed to cursor minus lookback
    while the report echoed the --since asked for: the backfill was skipped, silently."""
    assert _sync(corpus, api) == 0
    first = len(api.log)
    assert _sync(corpus, api, since="2025-09-01") == 0
    again = [parse_qs(e.query) for e in api.log[first:] if e.path.endswith("/usage/images")]
    backfill = int(datetime(2025, 9, 1, tzinfo=UTC).timestamp())
    assert again[0]["start_time"] == [str(backfill)]
    section = corpus.report_json()["sync"]
    assert section["since"] == "2025-09-01T00:00:00Z"
    assert section["fetched"]["usage_images"] == {
        "since": "2025-09-01T00:00:00Z",
        "until": "2025-10-01T00:00:00Z",
    }


def test_resuming_without_a_cursor_asks_for_since(corpus: Corpus, api: AdminApiServer) -> None:
    result = _sync_run(corpus, api, since=None)
    assert result.code == 2 and "nothing to resume from" in result.err
    assert "pass --since DATE" in result.err and not corpus.db.exists()
