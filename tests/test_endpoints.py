"""Every endpoint replays with its counters; each API quirk has a fixture and a test."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from harness.endpoints import ENDPOINTS, REGISTRY
from helpers import Corpus, db_contents


def test_every_endpoint_has_a_bundled_scenario(corpus: Corpus) -> None:
    assert corpus.replay().code == 0
    report = corpus.report_json()
    assert set(report["endpoints"]) == set(REGISTRY)
    for endpoint in ENDPOINTS:
        entry = report["endpoints"][endpoint.name]
        assert set(entry["counters"]) == set(endpoint.counter_names)
        if endpoint.bucketed:
            assert max(s["totalPages"] for s in entry["scenarios"].values()) >= 2, endpoint.name


def test_empty_bucket_counts_as_a_bucket(corpus: Corpus) -> None:
    assert corpus.replay("--scenario", "usage_embeddings/hourly").code == 0
    entry = corpus.report_json()["endpoints"]["usage_embeddings"]
    assert (entry["totalBuckets"], entry["totalRawEvents"]) == (4, 3)


def test_older_capture_without_ungrouped_fields(corpus: Corpus) -> None:
    body = corpus.read("usage_audio_transcriptions/older_capture")
    assert "project_id" not in body["data"][0]["results"][0]
    assert corpus.replay("--scenario", "usage_audio_transcriptions/older_capture").code == 0
    entry = corpus.report_json()["endpoints"]["usage_audio_transcriptions"]
    assert entry["counters"] == {"num_model_requests": 16, "seconds": 1925}


def test_legacy_sessions_counter(corpus: Corpus) -> None:
    assert corpus.replay("--scenario", "usage_code_interpreter_sessions/legacy_sessions").code == 0
    entry = corpus.report_json()["endpoints"]["usage_code_interpreter_sessions"]
    assert entry["counters"] == {"num_sessions": 6}


def test_empty_costs_page_with_has_more_is_followed(corpus: Corpus) -> None:
    assert corpus.read("costs/multipage", 2)["data"] == []
    assert corpus.replay("--scenario", "costs/multipage").code == 0
    scenario = corpus.report_json()["endpoints"]["costs"]["scenarios"]["multipage"]
    assert scenario["chain"] == {"pages": 3, "endedBecause": "has_more=false on page-003.json"}
    assert scenario["counters"] == {"amount": 4.5262}


def test_unknown_fields_are_reported_not_rejected(corpus: Corpus) -> None:
    assert corpus.replay("--scenario", "costs/multipage").code == 0
    entry = corpus.report_json()["endpoints"]["costs"]
    assert entry["unknownFields"] == ["results[].organization_id"]


def test_other_currencies_get_their_own_counter(corpus: Corpus) -> None:
    body = corpus.read("costs/basic")
    body["data"][0]["results"][0]["amount"] = {"value": 2.5, "currency": "eur"}
    corpus.write("costs/basic", 1, body)
    assert corpus.replay("--scenario", "costs/basic").code == 0
    assert corpus.report_json()["endpoints"]["costs"]["scenarios"]["basic"]["counters"] == {
        "amount": 0.002493,
        "amount_eur": 2.5,
    }


def test_an_amount_without_currency_is_summed_apart_and_without_value_adds_nothing(
    corpus: Corpus,
) -> None:
    """Both members of ``amount`` are optional (SDK 3.51.0): no currency is not USD."""
    body = corpus.read("costs/basic")
    body["data"][0]["results"][0]["amount"] = {"value": 2.5}
    body["data"][0]["results"][1]["amount"] = {"currency": "usd"}
    corpus.write("costs/basic", 1, body)
    assert corpus.replay("--scenario", "costs/basic").code == 0, corpus.replay().err
    scenario = corpus.report_json()["endpoints"]["costs"]["scenarios"]["basic"]
    assert scenario["counters"] == {"amount": 0.0, "amount_unknown": 2.5}
    with duckdb.connect(str(corpus.db), read_only=True) as con:
        stored = con.execute(
            "SELECT amount_value, amount_currency FROM costs WHERE source_scenario = 'basic' "
            "ORDER BY ALL"
        ).fetchall()
    assert stored == [(Decimal("2.5"), None), (None, "usd")]


def test_restated_bucket_updates_the_row_and_lists_the_conflict(corpus: Corpus) -> None:
    assert corpus.replay("--scenario", "usage_completions/basic").code == 0
    assert (
        corpus.replay(
            "--scenario", "usage_completions/basic", "--scenario", "usage_completions/restated"
        ).code
        == 0
    )
    report = corpus.report_json()
    writes = report["endpoints"]["usage_completions"]["writes"]
    assert writes == {"inserted": 0, "updated": 1, "unchanged": 0}
    assert report["usageSummary"]["tokensIn"] == 3100
    assert {c["loser"]["scenario"] for c in report["conflicts"]} == {"basic"}
    assert {c["winner"]["scenario"] for c in report["conflicts"]} == {"restated"}


def _chain_edit(corpus: Corpus, n: int, **changes: object) -> None:
    body = corpus.read("usage_completions/multipage", n)
    body.update(changes)
    corpus.write("usage_completions/multipage", n, body)


CHAIN_FAULTS = {
    "cursor without has_more": (
        {"n": 3, "next_page": "page_AAAAdangling"},
        "page-003.json",
        "next_page 'page_AAAAdangling' is set but has_more is false",
    ),
    "has_more without cursor": (
        {"n": 1, "next_page": None},
        "page-001.json",
        "has_more is true but next_page is null",
    ),
    "has_more on the last page": (
        {"n": 3, "has_more": True, "next_page": "page_more"},
        "page-003.json",
        "page-004.json is missing",
    ),
    "has_more false before the end": (
        {"n": 1, "has_more": False, "next_page": None},
        "page-001.json",
        "has_more is false but page-002.json",
    ),
    "cycle": ({"n": 2, "next_page": "page_AAAAAGjWb0BnpQ8Abc1="}, "page-002.json", "cycle"),
}


@pytest.mark.parametrize("fault", list(CHAIN_FAULTS))
def test_page_chain_faults(populated: Corpus, fault: str) -> None:
    spec, page, message = CHAIN_FAULTS[fault]
    changes = dict(spec)
    corpus = populated
    before = db_contents(corpus.db)
    n = changes.pop("n")
    assert isinstance(n, int)
    _chain_edit(corpus, n, **changes)
    result = corpus.replay()
    assert result.code == 1
    assert "PageChainError" in result.err and page in result.err and message in result.err
    assert db_contents(corpus.db) == before


@pytest.mark.parametrize(("shift", "message"), [(3600, "not aligned to 1d"), (86400, "gap")])
def test_misaligned_or_gapped_bucket(populated: Corpus, shift: int, message: str) -> None:
    corpus = populated
    before = db_contents(corpus.db)
    body = corpus.read("usage_completions/multipage", 2)
    body["data"][0]["start_time"] += shift
    body["data"][0]["end_time"] += shift
    corpus.write("usage_completions/multipage", 2, body)
    result = corpus.replay()
    assert result.code == 1
    assert "usage_completions/multipage/page-002.json" in result.err and message in result.err
    assert db_contents(corpus.db) == before


def test_clipped_first_and_last_buckets_are_accepted(corpus: Corpus) -> None:
    request = corpus.fixtures / "usage_moderations" / "daily" / "request.json"
    text = request.read_text()
    request.write_text(
        text.replace('"start_time": 1759017600', '"start_time": 1759050000').replace(
            '"end_time": 1759190400', '"end_time": 1759150000'
        )
    )
    for n, (start, end) in ((1, (1759050000, 1759104000)), (2, (1759104000, 1759150000))):
        body = corpus.read("usage_moderations/daily", n)
        body["data"][0]["start_time"], body["data"][0]["end_time"] = start, end
        corpus.write("usage_moderations/daily", n, body, rehash=False)
    corpus.rehash()
    assert corpus.replay("--scenario", "usage_moderations/daily").code == 0


def test_nested_objects_of_a_list_are_kept_whole_as_json(corpus: Corpus) -> None:
    """An invite's projects and a user's nested projects are stored as canonical JSON that
    DuckDB can query, not dropped and not reported as unknown fields."""
    assert corpus.replay().code == 0
    report = corpus.report_json()
    assert report["endpoints"]["invites"]["unknownFields"] == []
    assert report["endpoints"]["users"]["unknownFields"] == []
    with duckdb.connect(str(corpus.db), read_only=True) as con:
        grants = con.execute(
            "SELECT id, projects->0->>'id', json_array_length(projects) FROM invites ORDER BY 1"
        ).fetchall()
        user = con.execute("SELECT projects FROM users WHERE id = 'user_abc'").fetchone()
    assert grants == [("invite-abc", "proj_abc123", 1), ("invite-def", None, 0)]
    assert user == ('{"data":[{"id":"proj_abc123","name":"Main","role":"owner"}],"object":"list"}',)


def test_an_audit_log_event_shaped_like_the_apis_own_example_is_kept_whole(
    corpus: Corpus,
) -> None:
    """The API reference's example event: a session actor with more than the SDK declares
    (user_agent, ja3, ip_address_details), an ``object`` the SDK leaves out, and the payload
    under the event's type. Nothing is unknown, nothing is lost."""
    event = {
        "id": "req_xxx_20240101",
        "object": "organization.audit_log",
        "type": "api_key.created",
        "effective_at": 1720804090,
        "actor": {
            "type": "session",
            "session": {
                "user": {"id": "user-xxx", "email": "user@example.com"},
                "ip_address": "127.0.0.1",
                "user_agent": "Mozilla/5.0",
                "ja3": "a497151ce4338a12c4418c44d375173e",
                "ip_address_details": {"country": "US", "city": "San Francisco"},
            },
        },
        "api_key.created": {"id": "key_xxxx", "data": {"scopes": ["resource.operation"]}},
    }
    body = corpus.read("audit_logs/all", 2)
    body["data"] = [event]
    body["first_id"] = body["last_id"] = event["id"]
    corpus.write("audit_logs/all", 2, body)
    assert corpus.replay().code == 0
    entry = corpus.report_json()["endpoints"]["audit_logs"]
    assert entry["unknownFields"] == [] and "type" not in entry["drift"]
    with duckdb.connect(str(corpus.db), read_only=True) as con:
        row = con.execute(
            "SELECT actor_type, actor_session_user_id, actor_session_ip_address, "
            "actor->>'$.session.user_agent', actor->>'$.session.ip_address_details.city', "
            "payload->>'$.data.scopes[0]', extra_fields FROM audit_logs WHERE id = ?",
            [event["id"]],
        ).fetchone()
    assert row == (
        "session",
        "user-xxx",
        "127.0.0.1",
        "Mozilla/5.0",
        "San Francisco",
        "resource.operation",
        None,
    )
