"""API drift (harness/drift.py): unknown fields, fields null on every row, undocumented values.

Drift is information, never a failure: the replay passes, keeps every value, and says what it
saw in ``endpoints.<name>.drift`` and in the console summary.
"""

from __future__ import annotations

from typing import Any

import duckdb

from helpers import Corpus


def _drift(corpus: Corpus, endpoint: str) -> dict[str, Any]:
    drift: dict[str, Any] = corpus.report_json()["endpoints"][endpoint]["drift"]
    return drift


def test_an_undocumented_role_is_kept_and_reported(corpus: Corpus) -> None:
    """A service account role outside the SDK's owner/member/none: stored as sent, named as
    drift with its value, and the replay passes."""
    body = corpus.read("project_service_accounts/proj_abc123")
    body["data"][0]["role"] = "auditor"
    corpus.write("project_service_accounts/proj_abc123", 1, body)
    result = corpus.replay(summary=True)
    assert result.code == 0, result.err
    assert _drift(corpus, "project_service_accounts") == {
        "role": {"rows": 1, "nonNull": 1, "unknownValues": ["auditor"]}
    }
    assert 'drift: project_service_accounts.role holds undocumented values "auditor"' in result.out
    with duckdb.connect(str(corpus.db), read_only=True) as con:
        assert con.execute("SELECT role FROM project_service_accounts").fetchall() == [("auditor",)]


def test_a_new_audit_log_event_type_is_kept_with_its_payload(corpus: Corpus) -> None:
    body = corpus.read("audit_logs/all", 2)
    event = body["data"][0]
    del event[event["type"]]
    event["type"] = "tenant.future_feature.enabled"
    event["tenant.future_feature.enabled"] = {"id": "feat_1", "level": 3}
    corpus.write("audit_logs/all", 2, body)
    assert corpus.replay().code == 0
    assert _drift(corpus, "audit_logs")["type"]["unknownValues"] == [
        "tenant.future_feature.enabled"
    ]
    assert corpus.report_json()["endpoints"]["audit_logs"]["unknownFields"] == []
    with duckdb.connect(str(corpus.db), read_only=True) as con:
        rows = con.execute(
            "SELECT payload, extra_fields FROM audit_logs WHERE id = 'audit_log-abc003'"
        ).fetchall()
    assert rows == [('{"id":"feat_1","level":3}', None)]


def test_a_field_null_on_every_row_is_drift_until_one_row_holds_it(corpus: Corpus) -> None:
    """The bundled projects never send ``residency``: null on both rows. Once one does, it is
    no longer drift. A usage dimension counts only the rows whose capture grouped by it: no
    capture of usage_completions/basic groups by api_source, so it is not drift there."""
    assert corpus.replay().code == 0
    assert _drift(corpus, "projects")["residency"] == {
        "rows": 2,
        "nonNull": 0,
        "unknownValues": [],
    }
    assert "api_source" not in _drift(corpus, "usage_completions")
    body = corpus.read("projects/all")
    body["data"][0]["residency"] = "EU_STORAGE_PROCESSING"
    corpus.write("projects/all", 1, body)
    assert corpus.replay().code == 0
    assert "residency" not in _drift(corpus, "projects")


def test_an_unknown_item_field_is_kept_in_extra_fields(corpus: Corpus) -> None:
    body = corpus.read("users/all")
    body["data"][0]["mfa_enabled"] = True
    body["data"][0]["nickname"] = None  # a null carries nothing: neither kept nor drift
    corpus.write("users/all", 1, body)
    result = corpus.replay(summary=True)
    assert result.code == 0, result.err
    assert _drift(corpus, "users")["mfa_enabled"] == {
        "rows": 2,
        "nonNull": 1,
        "unknownValues": [],
    }
    assert "nickname" not in _drift(corpus, "users")
    assert "drift: users.mfa_enabled is unknown, kept in extra_fields (1 of 2 rows)" in result.out
    with duckdb.connect(str(corpus.db), read_only=True) as con:
        kept = con.execute("SELECT extra_fields FROM users WHERE extra_fields IS NOT NULL")
        assert kept.fetchall() == [('{"mfa_enabled":true}',)]


def test_unknown_keys_outside_a_result_are_reported_never_silently_dropped(
    corpus: Corpus,
) -> None:
    """A key the registry does not know inside a known object (``amount.unit``), in a bucket
    or in the page itself: not silently dropped, but named in unknownFields (a result's own
    unknown keys are also kept, in extra_fields)."""
    body = corpus.read("costs/basic")
    body["data"][0]["results"][0]["amount"]["unit"] = "cents"
    body["data"][0]["bucket_note"] = "x"
    body["page_note"] = "y"
    corpus.write("costs/basic", 1, body)
    assert corpus.replay().code == 0
    unknown = corpus.report_json()["endpoints"]["costs"]["unknownFields"]
    assert {"results[].amount.unit", "data[].bucket_note", "page_note"} <= set(unknown)


def test_a_keys_owner_is_kept_whole(corpus: Corpus) -> None:
    """The owner's name, email and role were dropped: only its type and id had columns."""
    assert corpus.replay().code == 0
    assert corpus.report_json()["endpoints"]["project_api_keys"]["unknownFields"] == []
    with duckdb.connect(str(corpus.db), read_only=True) as con:
        row = con.execute(
            "SELECT owner->>'$.user.email', owner->>'$.user.role' FROM project_api_keys "
            "WHERE id = 'key_abc'"
        ).fetchone()
    assert row == ("user@example.com", "owner")


def test_a_certificates_content_is_kept(corpus: Corpus) -> None:
    """certificate_details.content (the PEM, SDK 3.51.0) had no column: it is one now, and
    not reported unknown."""
    body = corpus.read("certificates/all")
    pem = "-----BEGIN CERTIFICATE-----\\nMIIB...\\n-----END CERTIFICATE-----"
    body["data"][0]["certificate_details"]["content"] = pem
    corpus.write("certificates/all", 1, body)
    assert corpus.replay().code == 0
    assert corpus.report_json()["endpoints"]["certificates"]["unknownFields"] == []
    with duckdb.connect(str(corpus.db), read_only=True) as con:
        stored = con.execute("SELECT content FROM certificates WHERE content IS NOT NULL")
        assert stored.fetchall() == [(pem,)]
