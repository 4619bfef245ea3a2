"""Referential integrity: each kind of dangling reference fails with exit 1 and changes nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from typing import Any

import pytest

from helpers import Corpus, db_contents

Edit = Callable[[Corpus], None]


def _edit(scenario: str, n: int, change: Callable[[dict[str, Any]], None]) -> Edit:
    def apply(corpus: Corpus) -> None:
        body = corpus.read(scenario, n)
        change(body)
        corpus.write(scenario, n, body)

    return apply


def _set_result(field: str, value: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["data"][0]["results"][0][field] = value

    return change


def _set_item(
    path: tuple[str, ...], value: str, index: int = 0
) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        node = body["data"][index]
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        if path == ("id",):
            body["first_id"] = body["data"][0]["id"]
            body["last_id"] = body["data"][-1]["id"]

    return change


def _project_listing_for_ghost(corpus: Corpus) -> None:
    source = corpus.fixtures / "project_service_accounts" / "proj_abc123"
    target = corpus.fixtures / "project_service_accounts" / "proj_ghost"
    target.mkdir()
    request = json.loads((source / "request.json").read_text())
    request["path"] = request["path"].replace("proj_abc123", "proj_ghost")
    (target / "request.json").write_text(json.dumps(request))
    (target / "page-001.json").write_text((source / "page-001.json").read_text())
    corpus.rehash()


CASES: dict[str, tuple[Edit, str, str, str]] = {
    # name: (edit, kind, id, file named in the message)
    "usage project": (
        _edit("usage_images/daily", 1, _set_result("project_id", "proj_ghost")),
        "unknown_project",
        "proj_ghost",
        "usage_images/daily/page-001.json",
    ),
    "cost project": (
        _edit("costs/basic", 1, _set_result("project_id", "proj_ghost")),
        "unknown_project",
        "proj_ghost",
        "costs/basic/page-001.json",
    ),
    "usage api key": (
        _edit("usage_embeddings/hourly", 1, _set_result("api_key_id", "key_ghost")),
        "unknown_api_key",
        "key_ghost",
        "usage_embeddings/hourly/page-001.json",
    ),
    "usage user": (
        _edit("usage_completions/dual", 1, _set_result("user_id", "user_ghost")),
        "unknown_user",
        "user_ghost",
        "usage_completions/dual/page-001.json",
    ),
    "key owned by a user": (
        _edit("project_api_keys/proj_abc123", 1, _set_item(("owner", "user", "id"), "user_ghost")),
        "unknown_key_owner",
        "user_ghost",
        "project_api_keys/proj_abc123/page-001.json",
    ),
    "key owned by a service account": (
        _edit(
            "project_api_keys/proj_abc123",
            2,
            _set_item(("owner", "service_account", "id"), "svc_ghost"),
        ),
        "unknown_key_owner",
        "svc_ghost",
        "project_api_keys/proj_abc123/page-002.json",
    ),
    "project certificate": (
        _edit("project_certificates/proj_abc123", 1, _set_item(("id",), "cert_ghost")),
        "unknown_certificate",
        "cert_ghost",
        "project_certificates/proj_abc123/page-001.json",
    ),
    "project member": (
        _edit("project_users/proj_abc123", 1, _set_item(("id",), "user_ghost")),
        "unknown_user",
        "user_ghost",
        "project_users/proj_abc123/page-001.json",
    ),
    "listing of an unknown project": (
        _project_listing_for_ghost,
        "unknown_project",
        "proj_ghost",
        "project_service_accounts/proj_ghost/page-001.json",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_dangling_reference_fails_and_changes_nothing(populated: Corpus, case: str) -> None:
    edit, kind, ident, file = CASES[case]
    corpus = populated
    before = db_contents(corpus.db)
    edit(corpus)
    result = corpus.replay(summary=True)
    assert result.code == 1, result.err
    assert "RelationshipError" in result.err and ident in result.err and file in result.err
    assert db_contents(corpus.db) == before
    issues = corpus.report_json()["relationshipIssues"]
    assert [(i["kind"], i["id"]) for i in issues] == [(kind, ident)]
    assert f"{kind}: {ident}" in result.out  # the console summary prints it


def test_bundled_corpus_has_no_relationship_issues(corpus: Corpus) -> None:
    assert corpus.replay().code == 0
    report = corpus.report_json()
    assert report["relationshipIssues"] == []
    archived, inactive = report["unverifiableReferences"]
    assert archived["ids"] == ["user_def"] and "proj_xyz890 is archived" in archived["reason"]
    assert inactive["ids"] == ["user_gone"] and "inactive" in inactive["reason"]


def test_archived_projects_count_as_known(corpus: Corpus) -> None:
    assert corpus.replay("--scenario", "usage_vector_stores/daily").code == 0
    con_rows = corpus.report_json()["endpoints"]["usage_vector_stores"]["totalDedupedEvents"]
    assert con_rows == 3  # one row is proj_xyz890, archived


def test_allow_list_silences_a_known_deleted_id(corpus: Corpus) -> None:
    _edit("usage_completions/dual", 1, _set_result("user_id", "user_gone"))(corpus)
    allow = corpus.root / "allow.json"
    allow.write_text(json.dumps([{"id": "user_gone", "reason": "left the org in 2025-08"}]))
    result = corpus.replay("--allow-dangling", str(allow))
    assert result.code == 0, result.err
    report = corpus.report_json()
    assert report["relationshipIssues"] == []
    assert [(a["id"], a["reason"]) for a in report["allowedReferences"]] == [
        ("user_gone", "left the org in 2025-08")
    ]


def test_allow_list_entries_need_a_reason(corpus: Corpus) -> None:
    allow = corpus.root / "allow.json"
    allow.write_text(json.dumps([{"id": "user_gone"}]))
    result = corpus.replay("--allow-dangling", str(allow))
    assert result.code == 2 and "needs an id and a reason" in result.err


def test_an_inactive_keys_owner_is_unverifiable_not_dangling(corpus: Corpus) -> None:
    """key_ghi's owner left the project (``owner_project_access: inactive``): the API reports
    such keys, and their owner is by definition no longer a member. Marked active, the same
    owner is a dangling reference."""
    assert corpus.replay().code == 0
    report = corpus.report_json()
    assert report["relationshipIssues"] == []
    [entry] = [u for u in report["unverifiableReferences"] if u["ids"] == ["user_gone"]]
    assert entry["reason"] == "the key is inactive: its owner is no longer a member of the project"
    body = corpus.read("project_api_keys/proj_abc123", 3)
    body["data"][0]["owner_project_access"] = "active"
    corpus.write("project_api_keys/proj_abc123", 3, body)
    result = corpus.replay()
    assert result.code == 1 and "user_gone" in result.err


@pytest.mark.parametrize(
    ("field", "gone", "log"),
    [("api_key_id", "key_old", "audit_log-abc001"), ("user_id", "user_left", "audit_log-abc002")],
)
def test_a_reference_the_audit_log_says_was_deleted_is_allowed(
    corpus: Corpus, field: str, gone: str, log: str
) -> None:
    """Usage naming a key or a user that no list holds any more: the audit log's deletion
    event for that id explains it (allowedReferences, with the date and the event), and the
    replay passes. Without the audit log the same reference fails the replay."""
    _edit("usage_completions/dual", 1, _set_result(field, gone))(corpus)
    result = corpus.replay()
    assert result.code == 0, result.err
    report = corpus.report_json()
    assert report["relationshipIssues"] == []
    assert [(a["id"], a["reason"]) for a in report["allowedReferences"]] == [
        (gone, f"deleted 2025-09-29 (audit log {log})")
    ]
    shutil.rmtree(corpus.fixtures / "audit_logs")
    corpus.rehash()
    corpus.db.unlink()
    result = corpus.replay()
    assert result.code == 1 and "RelationshipError" in result.err and gone in result.err


def test_an_event_that_is_not_a_deletion_explains_nothing(corpus: Corpus) -> None:
    """Only deletion events explain: an audit log that merely mentions the id (here a
    project.created whose payload names it) leaves the reference dangling."""
    _edit("usage_completions/dual", 1, _set_result("api_key_id", "proj_abc123"))(corpus)
    result = corpus.replay()
    assert result.code == 1 and "proj_abc123" in result.err
