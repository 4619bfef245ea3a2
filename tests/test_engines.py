"""The SQL engine against the reference engine: same report, same rows, on random corpora
(duplicates, conflicts, nulls, missing fields, several scenarios and pages)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import checksums, engines, errors, fixtures, pipeline, staging
from harness.endpoints import ENDPOINTS
from harness.engines.sql import checks, parallel, read, validate
from harness.engines.sql import dedupe as sql_dedupe
from harness.engines.sql import stage as sql_stage
from harness.store import workspace
from helpers import BASIC, Corpus, db_contents, replay_report

# Every test here is about the SQL engine, which by default leaves corpora this small to the
# reference engine.
pytestmark = pytest.mark.usefixtures("sql_engine")
# Whole corpora replayed on both engines and compared row by row: a differential run, in the
# gate but out of the quick loop (tests/test_strict.py compares both engines case by case).
WHOLE_CORPUS = pytest.mark.slow

DAY, START = 86400, 1759104000
PROJECTS = ["proj_abc123", "proj_xyz890", None]
MODELS = ["gpt-4o", "gpt-4.1", "o3", None]


def _result(draw: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "object": "organization.usage.completions.result",
        "input_tokens": draw(st.integers(0, 3)),
        "output_tokens": draw(st.integers(0, 2)),
        "num_model_requests": 1,
        "project_id": draw(st.sampled_from(PROJECTS)),
        "model": draw(st.sampled_from(MODELS)),
    }
    if draw(st.booleans()):  # an older capture omits ungrouped fields
        result |= {
            "user_id": None,
            "api_key_id": None,
            "batch": draw(st.sampled_from([None, True, False])),
            "service_tier": draw(st.sampled_from([None, "default", "flex"])),
        }
    if draw(st.booleans()):
        result["input_cached_tokens"] = draw(st.integers(0, 2))
    return result


@st.composite
def corpora(draw: Any) -> list[dict[str, Any]]:
    """Scenarios of completions: each a chain of 1-3 pages over consecutive days."""
    scenarios = []
    for n in range(draw(st.integers(1, 3))):
        pages_count = draw(st.integers(1, 3))
        first_day = draw(st.integers(0, 2))
        pages = []
        for p in range(pages_count):
            results = [_result(draw) for _ in range(draw(st.integers(0, 4)))]
            start = START + (first_day + p) * DAY
            pages.append(
                {
                    "object": "page",
                    "has_more": p < pages_count - 1,
                    "next_page": f"page_{n}_{p}" if p < pages_count - 1 else None,
                    "data": [
                        {
                            "object": "bucket",
                            "start_time": start,
                            "end_time": start + DAY,
                            "results": results,
                        }
                    ],
                }
            )
        scenarios.append(
            {
                "name": f"s{n}",
                "recorded_at": draw(
                    st.sampled_from(["2025-10-01T00:00:00Z", "2025-10-02T00:00:00Z"])
                ),
                "group_by": draw(st.sampled_from([["model", "project_id"], ["model"], []])),
                "start": START + first_day * DAY,
                "pages": pages,
            }
        )
    return scenarios


def _write(root: Path, scenarios: list[dict[str, Any]]) -> None:
    shutil.copytree(BASIC / "fixtures" / "projects", root / "fixtures" / "projects")
    for s in scenarios:
        folder = root / "fixtures" / "usage_completions" / s["name"]
        folder.mkdir(parents=True)
        query = {
            "start_time": s["start"],
            "end_time": s["start"] + len(s["pages"]) * DAY,
            "bucket_width": "1d",
            "limit": 1,
            "group_by": s["group_by"],
        }
        request = {
            "method": "GET",
            "path": "/v1/organization/usage/completions",
            "query": query,
            "source": "synthesized",
            "recorded_at": s["recorded_at"],
        }
        (folder / "request.json").write_text(json.dumps(request))
        for i, page in enumerate(s["pages"], start=1):
            (folder / f"page-{i:03d}.json").write_text(json.dumps(page))
    checksums.write(root / "CHECKSUMS.sha256", root / "fixtures")


@pytest.mark.slow  # a differential run at scale: in the gate, not in the quick loop
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenarios=corpora())
def test_fast_path_equals_the_reference(scenarios: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, scenarios)
        _assert_fast_path_accepts(root, strict=True)
        fast = replay_report(root, "fast.duckdb", monkeypatch, reference=False)
        slow = replay_report(root, "ref.duckdb", monkeypatch, reference=True)
        assert fast == slow
        assert (
            db_contents(root / "fast.duckdb")["usage_completions_rows"]
            == db_contents(root / "ref.duckdb")["usage_completions_rows"]
        )


def _assert_fast_path_accepts(root: Path, *, strict: bool = False) -> None:
    """The comparison means something only if SQL ran (it did not decline to the reference);
    ``strict``: and no page needed the reference validator (the strict decode vouched for
    every page)."""
    scenarios = fixtures.discover(root / "fixtures")
    con = workspace()
    try:
        for endpoint in ENDPOINTS:
            chosen = [s for s in scenarios if s.endpoint is endpoint]
            if endpoint.bucketed and chosen:
                result = sql_stage.run(con, endpoint, chosen, pipeline.SNAPSHOT_NOW)
                if strict:
                    validator = validate.PageValidator()
                    assert checks.refused(endpoint, result.files, validator) == []
    finally:
        con.close()


@WHOLE_CORPUS
def test_bundled_corpus_same_on_both_paths(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_fast_path_accepts(corpus.root)
    fast = replay_report(corpus.root, "fast.duckdb", monkeypatch, reference=False)
    slow = replay_report(corpus.root, "ref.duckdb", monkeypatch, reference=True)
    assert fast == slow
    a, b = db_contents(corpus.root / "fast.duckdb"), db_contents(corpus.root / "ref.duckdb")
    for table in a:
        if table not in ("harness_migrations", "harness_meta"):
            assert a[table] == b[table], table


def test_errors_are_explained_by_the_reference_path(corpus: Corpus) -> None:
    body = corpus.read("usage_images/daily", 2)
    body["data"][0]["results"][1]["images"] = "4"  # a string where the schema wants an integer
    corpus.write("usage_images/daily", 2, body)
    result = corpus.replay()
    assert result.code == 1
    assert "usage_images/daily/page-002.json at /data/0/results/1/images" in result.err


@WHOLE_CORPUS
@pytest.mark.parametrize("shape", ["empty buckets", "no buckets"])
def test_endpoints_without_results(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    for n in (1, 2):
        body = corpus.read("usage_moderations/daily", n)
        if shape == "empty buckets":
            body["data"][0]["results"] = []
        else:
            body["data"] = []
        corpus.write("usage_moderations/daily", n, body, rehash=False)
    corpus.rehash()
    _assert_fast_path_accepts(corpus.root)
    fast = replay_report(corpus.root, "fast.duckdb", monkeypatch, reference=False)
    slow = replay_report(corpus.root, "ref.duckdb", monkeypatch, reference=True)
    assert fast == slow
    entry = fast["endpoints"]["usage_moderations"]
    assert entry["totalRawEvents"] == 0
    assert entry["totalBuckets"] == (2 if shape == "empty buckets" else 0)


def _long_chain(root: Path, pages: int = 40) -> Path:
    """One completions scenario of ``pages`` daily pages: more files than DuckDB's JSON type
    inference samples (32), so a late page tests the read itself, not the sample."""
    results = [
        {
            "object": "organization.usage.completions.result",
            "input_tokens": 5,
            "output_tokens": 2,
            "num_model_requests": 1,
            "project_id": None,
            "model": "gpt-4o",
        }
    ]
    chain = [
        {
            "object": "page",
            "has_more": p < pages - 1,
            "next_page": f"page_{p}" if p < pages - 1 else None,
            "data": [
                {
                    "object": "bucket",
                    "start_time": START + p * DAY,
                    "end_time": START + (p + 1) * DAY,
                    "results": results,
                }
            ],
        }
        for p in range(pages)
    ]
    _write(
        root,
        [
            {
                "name": "long",
                "recorded_at": "2025-10-01T00:00:00Z",
                "group_by": ["model"],
                "start": START,
                "pages": chain,
            }
        ],
    )
    return root / "fixtures" / "usage_completions" / "long" / f"page-{pages:03d}.json"


def _edit_last_result(last: Path, root: Path, change: dict[str, Any]) -> None:
    body = json.loads(last.read_text())
    body["data"][0]["results"][0].update(change)
    last.write_text(json.dumps(body))
    checksums.write(root / "CHECKSUMS.sha256", root / "fixtures")


def test_unknown_field_in_a_late_page_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = _long_chain(tmp_path)
    _edit_last_result(last, tmp_path, {"organization_id": "org_1"})
    _assert_fast_path_accepts(tmp_path)  # the page is examined, not the endpoint declined
    fast = replay_report(tmp_path, "fast.duckdb", monkeypatch, reference=False)
    slow = replay_report(tmp_path, "ref.duckdb", monkeypatch, reference=True)
    assert fast == slow
    assert fast["endpoints"]["usage_completions"]["unknownFields"] == ["results[].organization_id"]


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"input_tokens": "5"}, "input_tokens"),  # DuckDB alone would read it as 5
        ({"input_tokens": 1.5}, "input_tokens"),  # ... or round it to 2
        ({"input_tokens": True}, "input_tokens"),  # ... or read it as 1
        ({"input_tokens": False, "batch": True}, "input_tokens"),  # literals still add up
        ({"input_tokens": 1e300}, "input_tokens"),  # past BIGINT: refused by the schema
        ({"input_tokens": 2**63}, "input_tokens"),
        ({"model": 7}, "model"),  # ... or read it as '7'
        ({"model": {"name": "gpt-4o"}}, "model"),  # ... or as its JSON text
        ({"batch": 1}, "batch"),
    ],
)
def test_wrong_type_in_a_late_page_is_a_schema_error(
    tmp_path: Path, change: dict[str, Any], pointer: str
) -> None:
    last = _long_chain(tmp_path)
    _edit_last_result(last, tmp_path, change)
    with pytest.raises(errors.SchemaError) as caught:
        pipeline.replay(
            pipeline.ReplayOptions(fixtures=tmp_path / "fixtures", db=tmp_path / "x.db")
        )
    (problem,) = caught.value.problems
    assert (problem.file, problem.pointer) == (
        "usage_completions/long/page-040.json",
        f"/data/0/results/0/{pointer}",
    )
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    ("change", "fast", "stored"),
    [
        ({"input_tokens": 7.0, "output_tokens": 1e3}, True, (7, 1000)),  # integers per JSON Schema
        ({"input_tokens": 2**60 + 1, "output_tokens": 2}, False, (2**60 + 1, 2)),  # past a double
    ],
)
def test_integers_written_oddly_replay_like_the_reference(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, Any],
    fast: bool,
    stored: tuple[int, int],
) -> None:
    """The read takes integers as doubles: a whole real is the integer it names, on both
    paths; an integer a double cannot hold exactly sends the endpoint to the Python path."""
    last = _long_chain(tmp_path)
    _edit_last_result(last, tmp_path, change)
    if fast:
        _assert_fast_path_accepts(tmp_path)
    else:
        with pytest.raises(read.Declined):
            _assert_fast_path_accepts(tmp_path)
    assert replay_report(tmp_path, "fast.duckdb", monkeypatch, reference=False) == (
        replay_report(tmp_path, "ref.duckdb", monkeypatch, reference=True)
    )
    for db in ("fast.duckdb", "ref.duckdb"):
        with duckdb.connect(str(tmp_path / db), read_only=True) as con:
            rows = con.execute(
                "SELECT input_tokens, output_tokens FROM usage_completions "
                "ORDER BY window_start DESC LIMIT 1"
            ).fetchall()
        assert rows == [stored]


def test_unusual_formatting_replays_like_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spaces before colons, escaped quotes and indentation: the strict decode reads them as
    JSON, and the result is the same as the reference's."""
    last = _long_chain(tmp_path)
    body = json.loads(last.read_text())
    body["data"][0]["results"][0]["model"] = 'gpt-4o "mini"'
    last.write_text(json.dumps(body, indent=1, separators=(",", " : ")))
    checksums.write(tmp_path / "CHECKSUMS.sha256", tmp_path / "fixtures")
    _assert_fast_path_accepts(tmp_path, strict=True)
    fast = replay_report(tmp_path, "fast.duckdb", monkeypatch, reference=False)
    assert fast == replay_report(tmp_path, "ref.duckdb", monkeypatch, reference=True)


def test_one_value_per_line_is_read_newline_delimited(tmp_path: Path) -> None:
    """Pages written one JSON value per line take DuckDB's faster newline-delimited read; a
    pretty-printed page among them fails that read (fastpath.run then reads them all
    unstructured, as test_unusual_formatting_replays_like_the_reference shows)."""
    last = _long_chain(tmp_path)
    found = fixtures.discover(tmp_path / "fixtures")
    (scenario,) = [s for s in found if s.endpoint.name == "usage_completions"]
    con = workspace()
    try:
        files = read.meta_table(con, [scenario])
        assert read.one_per_line(files)
        read.read(con, scenario.endpoint, files, "newline_delimited")
        assert con.execute("SELECT count(*) FROM fp_all WHERE is_result").fetchall() == [(40,)]
        last.write_text(json.dumps(json.loads(last.read_text()), indent=1))
        with pytest.raises(duckdb.Error):
            read.read(con, scenario.endpoint, files, "newline_delimited")
        read.read(con, scenario.endpoint, files, "unstructured")
        assert con.execute("SELECT count(*) FROM fp_all WHERE is_result").fetchall() == [(40,)]
        assert not read.one_per_line([str(last)])
    finally:
        con.close()


@pytest.mark.parametrize("column", ["kh", "vh"])
def test_shared_hashes_decline(tmp_path: Path, column: str) -> None:
    """Rows group by the hash of their key (kh) and conflicts are told by the hash of their
    values (vh); groups of several rows are checked on the columns themselves, so keys or
    values that share a hash (forced here) send the endpoint to the reference path."""
    last = _long_chain(tmp_path, pages=3)
    body = json.loads(last.read_text())
    body["data"][0]["results"].append(body["data"][0]["results"][0] | {"input_tokens": 6})
    last.write_text(json.dumps(body))  # one conflict: same key, other values
    checksums.write(tmp_path / "CHECKSUMS.sha256", tmp_path / "fixtures")
    found = fixtures.discover(tmp_path / "fixtures")
    chosen = [s for s in found if s.endpoint.name == "usage_completions"]
    con = workspace()
    try:
        endpoint = chosen[0].endpoint
        read.read(con, endpoint, read.meta_table(con, chosen))
        assert sql_dedupe.group(con, endpoint) is False  # untouched: exact, no decline
        assert con.execute("SELECT count(*) FROM fp_groups WHERE conflicted").fetchall() == [(1,)]
        con.execute(f"UPDATE fp_all SET {column} = 0")
        with pytest.raises(read.Declined, match="hashes stand for more than one"):
            sql_dedupe.group(con, endpoint)
    finally:
        con.close()


def test_start_all_matches_one_at_a_time_and_stages_for_the_caller(corpus: Corpus) -> None:
    """Endpoints started side by side (each worker on a cursor and in a schema of its own)
    give what starting them one at a time gives; their staged views are found on the calling
    connection; an endpoint that declines is left out with nothing staged; DuckDB's thread
    count is restored."""
    page = corpus.page("usage_images/daily", 2)
    page.write_text(page.read_text()[:-10])  # JSON DuckDB cannot read: the endpoint declines
    found = fixtures.discover(corpus.root / "fixtures")
    todo = [(e, [s for s in found if s.endpoint is e]) for e in ENDPOINTS if e.bucketed]
    todo = [(e, s) for e, s in todo if s]
    con, alone = workspace(), workspace()
    try:
        threads = con.execute("SELECT current_setting('threads')").fetchall()
        together = parallel.start_all(con, todo, pipeline.SNAPSHOT_NOW)
        assert con.execute("SELECT current_setting('threads')").fetchall() == threads
        one_by_one = {}
        for endpoint, scenarios in todo:
            try:
                one_by_one[endpoint.name] = sql_stage.start(
                    alone, endpoint, scenarios, pipeline.SNAPSHOT_NOW
                )
            except read.Declined:
                pass
        assert "usage_images" not in together and len(together) == len(todo) - 1
        assert together.keys() == one_by_one.keys()
        views = {
            r[0]
            for r in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        }
        assert views == {f"staged_{name}" for name in together}
        for name, result in together.items():
            assert result.stats == one_by_one[name].stats
            assert [(r.scenario.id, r.raw_events, r.buckets) for r in result.runs] == [
                (r.scenario.id, r.raw_events, r.buckets) for r in one_by_one[name].runs
            ]
            rows = f"SELECT * EXCLUDE (stage_row) FROM staged_{name} ORDER BY ALL"  # place varies
            staged = con.execute(rows).fetchall()
            assert staged == alone.execute(rows).fetchall()
            assert len(staged) == result.stats.deduped > 0
    finally:
        con.close()
        alone.close()


@WHOLE_CORPUS
def test_one_endpoint_at_a_time_gives_the_same_report(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HARNESS_SQL_WORKERS=1 (parallel.py's switch) changes the schedule, never the result."""
    side_by_side = replay_report(corpus.root, "two.duckdb", monkeypatch, reference=False)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    assert parallel.workers() == 1
    one_at_a_time = replay_report(corpus.root, "one.duckdb", monkeypatch, reference=False)
    assert one_at_a_time == side_by_side
    assert db_contents(corpus.root / "one.duckdb") == db_contents(corpus.root / "two.duckdb")


def test_the_strict_decode_requires_one_name_of_every_alias_group() -> None:
    """Two fields with older names: each needs one of its names (one __post_init__ checks
    every group; a second group must not replace the first)."""
    from harness.endpoints import Endpoint, Field

    endpoint = Endpoint(
        name="usage_two_aliases",
        path="usage/two_aliases",
        object="organization.usage.two_aliases.result",
        pagination="page",
        counters=(
            Field("a", "integer", nullable=False, aliases=("a_old",)),
            Field("b", "integer", nullable=False, aliases=("b_old",)),
        ),
    )

    def page(result: dict[str, Any]) -> bytes:
        bucket = {"object": "bucket", "start_time": 0, "end_time": 86400, "results": [result]}
        body = {"object": "page", "data": [bucket], "has_more": False, "next_page": None}
        return json.dumps(body).encode()

    result = {"object": endpoint.object}
    assert validate.problem(endpoint, page(result | {"a": 1, "b_old": 2})) is None
    assert "one of a, a_old" in str(validate.problem(endpoint, page(result | {"b": 2})))
    assert "one of b, b_old" in str(validate.problem(endpoint, page(result | {"a_old": 1})))


@WHOLE_CORPUS
def test_the_size_floor_splits_endpoints_between_engines_and_never_shows(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HARNESS_SQL_MIN_BYTES sends the usage and costs endpoints of fewer page bytes to the
    reference engine (a staged table) and the others to the SQL engine (a staged view); the
    report and the rows are those of either engine alone."""
    found = fixtures.discover(corpus.fixtures)
    sizes = {
        e.name: sum(p.stat().st_size for s in found if s.endpoint is e for p in s.page_files)
        for e in ENDPOINTS
        if e.bucketed and any(s.endpoint is e for s in found)
    }
    floor = sorted(sizes.values())[len(sizes) // 2]
    assert min(sizes.values()) < floor <= max(sizes.values())  # a real split
    monkeypatch.setenv(engines.SQL_MIN_BYTES_ENV, str(floor))
    prepared = staging.prepare(
        corpus.fixtures, corpus.manifest, [], None, None, pipeline.SNAPSHOT_NOW
    )
    try:
        kinds = dict(
            prepared.con.execute(
                "SELECT table_name, table_type FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_name LIKE 'staged_%'"
            ).fetchall()
        )
    finally:
        prepared.con.close()
    assert {n: kinds[f"staged_{n}"] for n in sizes} == {
        n: "VIEW" if size >= floor else "BASE TABLE" for n, size in sizes.items()
    }
    mixed = pipeline.replay(
        pipeline.ReplayOptions(
            corpus.fixtures, db=corpus.root / "mixed.duckdb", now=pipeline.SNAPSHOT_NOW
        )
    ).report
    sql = replay_report(corpus.root, "sql.duckdb", monkeypatch, reference=False)
    assert mixed == sql
    assert db_contents(corpus.root / "mixed.duckdb") == db_contents(corpus.root / "sql.duckdb")


@pytest.mark.parametrize("value", ["lots", "-1", "1e6"])
def test_a_size_floor_that_is_not_a_number_is_refused(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(engines.SQL_MIN_BYTES_ENV, value)
    result = corpus.replay()
    assert result.code == 2
    assert f"HARNESS_SQL_MIN_BYTES={value!r} is not a whole number" in result.err
    assert "fix: unset it" in result.err
    assert not corpus.db.exists()


@WHOLE_CORPUS
def test_an_unknown_field_on_every_result_stays_on_the_sql_engine_and_is_kept(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API adds a field to every result: the SQL engine learns it in its strict decode and
    keeps the endpoint (a staged view, not the reference engine's table); both engines store
    it in extra_fields as the same canonical JSON; unknownFields and drift name it."""
    seen = 0
    for n in (1, 2):
        body = corpus.read("usage_completions/multipage", n)
        for bucket in body["data"]:
            for result in bucket["results"]:
                seen += 1
                result["service_region"] = {"name": "eu", "zones": [1, "b"]} if seen % 2 else "us"
        corpus.write("usage_completions/multipage", n, body)
    prepared = staging.prepare(
        corpus.fixtures, corpus.manifest, [], None, None, pipeline.SNAPSHOT_NOW
    )
    try:
        kind = prepared.con.execute(
            "SELECT table_type FROM information_schema.tables "
            "WHERE table_name = 'staged_usage_completions'"
        ).fetchall()
    finally:
        prepared.con.close()
    assert kind == [("VIEW",)]
    sql = replay_report(corpus.root, "sql.duckdb", monkeypatch, reference=False)
    ref = replay_report(corpus.root, "ref.duckdb", monkeypatch, reference=True)
    assert sql == ref
    rows = {
        db: duckdb.connect(str(corpus.root / db), read_only=True)
        .execute(
            "SELECT dedupe_key, source_page, extra_fields FROM usage_completions "
            "WHERE extra_fields IS NOT NULL ORDER BY ALL"
        )
        .fetchall()
        for db in ("sql.duckdb", "ref.duckdb")
    }
    assert rows["sql.duckdb"] == rows["ref.duckdb"]
    extras = {r[2] for r in rows["sql.duckdb"]}
    assert '{"service_region":"us"}' in extras
    assert '{"service_region":{"name":"eu","zones":[1,"b"]}}' in extras
    entry = sql["endpoints"]["usage_completions"]
    assert "results[].service_region" in entry["unknownFields"]
    assert entry["drift"]["service_region"]["nonNull"] == len(rows["sql.duckdb"]) == seen


@WHOLE_CORPUS
@pytest.mark.parametrize("written", ['"zone": 1, "zone": 2', '"zo\\u006ee": 1'])
def test_an_unknown_field_written_twice_or_escaped_is_judged_by_the_reference(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    """msgspec keeps the last of two equal names, and DuckDB never reads unknown ones: a page
    holding an unknown name twice is refused by both engines alike (the reference refuses
    duplicate names), and an escaped one is stored alike."""
    page = corpus.page("usage_images/daily", 1)
    text = page.read_text()
    page.write_text(text.replace('"images":', written + ', "images":', 1))
    corpus.rehash()

    def verdict(reference: bool) -> object:
        try:
            return replay_report(
                corpus.root, f"{reference}.duckdb", monkeypatch, reference=reference
            )
        except errors.HarnessError as exc:
            return exc.error_class

    sql, ref = verdict(False), verdict(True)
    assert sql == ref
    assert (sql == "MalformedJSONError") == ("zone" in written and "," in written)


@WHOLE_CORPUS
@pytest.mark.parametrize(
    "values",
    [
        [1, 1.0, True, 1, None, "1"],  # equal in Python, apart in JSON
        [{"a": 1}, {"a": 1.0}, {"a": True}, [1], [True], {"a": 1}],
        [7, 8, 9, 10, 11, 12],  # a new counter: a value per result
        ["eu", "eu", "eu", "us", "us", "eu"],  # runs
    ],
    ids=["numbers", "objects", "counter", "labels"],
)
def test_extra_fields_of_values_python_thinks_equal_stay_apart(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, values: list[Any]
) -> None:
    """The SQL engine groups results in a row that hold equal unknown values; JSON tells
    ``1``, ``1.0`` and ``true`` apart where Python does not, and both engines store each
    result's own text."""
    body = corpus.read("usage_completions/multipage", 1)
    results = [r for bucket in body["data"] for r in bucket["results"]]
    while len(results) < len(values):  # enough results in the page's first bucket
        results.append(dict(results[-1], model=f"m{len(results)}"))
        body["data"][0]["results"].append(results[-1])
    for result, value in zip(results, values, strict=False):
        result["zone"] = value
    corpus.write("usage_completions/multipage", 1, body)
    sql = replay_report(corpus.root, "sql.duckdb", monkeypatch, reference=False)
    ref = replay_report(corpus.root, "ref.duckdb", monkeypatch, reference=True)
    assert sql == ref
    query = "SELECT dedupe_key, extra_fields FROM usage_completions ORDER BY ALL"
    rows = {
        db: duckdb.connect(str(corpus.root / db), read_only=True).execute(query).fetchall()
        for db in ("sql.duckdb", "ref.duckdb")
    }
    assert rows["sql.duckdb"] == rows["ref.duckdb"]
    texts = {r[1] for r in rows["sql.duckdb"]}
    expected = {json.dumps({"zone": v}, separators=(",", ":")) for v in values if v is not None}
    assert expected <= texts
