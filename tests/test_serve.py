"""`harness serve` answers lists as the API pages them, and refuses malformed requests with the
API's error body: never a dropped connection, never another query's data for a list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness import redact
from harness.endpoints import REGISTRY
from harness.errors import EnvironmentProblem
from harness.live.server import AdminApiServer, local_key, serving
from helpers import BASIC

AUTH = {"Authorization": "Bearer sk-admin-test"}


@pytest.fixture(scope="module")
def api() -> Iterator[AdminApiServer]:
    with serving(BASIC / "fixtures") as server:
        yield server


def _get(api: AdminApiServer, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{api.url}/v1/organization/{path}", params=params, headers=AUTH)


def test_after_the_last_item_is_an_empty_page(api: AdminApiServer) -> None:
    """dlt's cursor paginator asks once more after the final page: the API answers an empty
    page there, where serve used to answer 400."""
    whole = _get(api, "users", limit=20).json()
    last = whole["data"][-1]["id"]
    after = _get(api, "users", limit=20, after=last)
    assert after.status_code == 200
    assert after.json() == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


def test_an_unknown_after_is_a_400_with_the_apis_error_body(api: AdminApiServer) -> None:
    answer = _get(api, "users", after="user_nobody")
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "after"
    assert "user_nobody" in answer.json()["error"]["message"]


def test_any_limit_pages_through_every_item_once(api: AdminApiServer) -> None:
    expected = [u["id"] for u in _get(api, "users", limit=100).json()["data"]]
    seen, after = [], None
    while True:
        page = _get(api, "users", limit=1, **({"after": after} if after else {})).json()
        seen += [u["id"] for u in page["data"]]
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert seen == expected and len(expected) == 2


def test_archived_projects_are_listed_only_when_asked_for(api: AdminApiServer) -> None:
    every = {p["id"] for p in _get(api, "projects", include_archived="true").json()["data"]}
    active = {p["id"] for p in _get(api, "projects").json()["data"]}
    assert every == {"proj_abc123", "proj_xyz890"} and active == {"proj_abc123"}


def test_the_audit_log_is_filtered_by_effective_at(api: AdminApiServer) -> None:
    params = {"effective_at[gte]": 1759140000, "effective_at[lt]": 1759190400}
    events = _get(api, "audit_logs", **params).json()["data"]
    assert [e["id"] for e in events] == ["audit_log-abc002"]
    bad = _get(api, "audit_logs", **{"effective_at[gte]": "yesterday"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "start_time"),  # required by the API: serve used to answer 200
        ({"start_time": "abc"}, "start_time"),  # used to drop the connection with a traceback
        ({"start_time": 1759104000, "end_time": "soon"}, "end_time"),
        ({"start_time": 1759104000, "limit": "many"}, "limit"),
    ],
)
def test_a_malformed_usage_request_is_a_400_not_a_dropped_connection(
    api: AdminApiServer, params: dict[str, Any], param: str
) -> None:
    answer = _get(api, "usage/completions", **params)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error"


def test_a_served_key_is_required_exactly() -> None:
    key = local_key()
    assert key.startswith("harness-local-") and redact.safe(f"Bearer {key}") == f"Bearer {key}"
    with serving(BASIC / "fixtures", key=key) as server:
        url = f"{server.url}/v1/organization/users"
        assert httpx.get(url, headers={"Authorization": f"Bearer {key}"}).status_code == 200
        for sent in ({"Authorization": "Bearer sk-admin-guess"}, {}):
            refused = httpx.get(url, headers=sent)
            assert refused.status_code == 401 and "error" in refused.json()


def test_a_busy_port_is_the_machines_state_not_a_harness_defect() -> None:
    with serving(BASIC / "fixtures") as first:
        port = int(first.server_address[1])
        with pytest.raises(EnvironmentProblem, match=f"cannot serve on 127.0.0.1:{port}") as raised:
            with serving(BASIC / "fixtures", port=port):
                pass
    assert raised.value.exit_code == 2 and "--port 0" in (raised.value.hint or "")


def test_admin_keys_take_any_limit_as_the_api_documents_none(api: AdminApiServer) -> None:
    """PostHog asks for 100 admin keys a page; the API documents no maximum (serve used to
    answer 400 above 20). Sync still asks for the documented default, 20."""
    assert _get(api, "admin_api_keys", limit=100).status_code == 200
    assert _get(api, "admin_api_keys", limit=0).status_code == 400
    assert REGISTRY["admin_api_keys"].request_limit == 20
    assert _get(api, "users", limit=101).status_code == 400


RESTATED = {
    "start_time": 1759104000,
    "end_time": 1759190400,
    "bucket_width": "1d",
    "group_by[]": ["project_id", "model"],
    "limit": 1,
}


def test_a_restated_window_answers_with_its_latest_capture_or_as_of_an_older_one() -> None:
    """usage_completions/basic and /restated capture one query a day apart: serve answers with
    the restatement by default (as the API would now), and with the first capture
    ``--as-of`` a time between them. The private scenario header is no longer needed."""
    fixtures = BASIC / "fixtures" / "usage_completions"
    newest = (fixtures / "restated" / "page-001.json").read_bytes()
    oldest = (fixtures / "basic" / "page-001.json").read_bytes()
    assert newest != oldest
    with serving(BASIC / "fixtures") as now:
        assert _get(now, "usage/completions", **RESTATED).content == newest
    with serving(BASIC / "fixtures", as_of="2025-09-30T12:00:00Z") as then:
        assert _get(then, "usage/completions", **RESTATED).content == oldest
