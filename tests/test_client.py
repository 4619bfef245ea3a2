"""Throttle and retries: exact unit timing on a fake clock, then a real server on 127.0.0.1."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.endpoints import REGISTRY
from harness.errors import ApiStatusError, ArgumentError, RateLimitExceeded, TransportError
from harness.live.client import AdminClient, RateLimitLog, RetryPolicy, encode_params, retry_after
from harness.live.server import AdminApiServer, Faults, serving
from harness.live.throttle import TokenBucket
from helpers import BASIC, FakeClock

KEY = "sk-admin-SECRETSECRETSECRET1234"
FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)
MULTIPAGE = {"start_time": 1758844800, "end_time": 1759104000, "bucket_width": "1d", "limit": 1}


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, 2, clock)
    waits = [bucket.acquire() for _ in range(5)]
    assert waits == pytest.approx([0, 0, 1, 1, 1])
    assert clock.current == pytest.approx(3)


def test_token_bucket_refills_while_idle() -> None:
    clock = FakeClock()
    bucket = TokenBucket(120, 3, clock)
    for _ in range(3):
        bucket.acquire()
    clock.sleep(10)  # idle: the bucket refills to its burst, not beyond
    assert [bucket.acquire() for _ in range(4)] == pytest.approx([0, 0, 0, 0.5])


def test_throttle_reads_its_configuration_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_ADMIN_REQUESTS_PER_MINUTE", "30")
    monkeypatch.setenv("OPENAI_ADMIN_MAX_BURST", "4")
    bucket = TokenBucket.from_env(FakeClock())
    assert (bucket.rate, bucket.burst) == (0.5, 4)
    monkeypatch.setenv("OPENAI_ADMIN_MAX_BURST", "0")
    with pytest.raises(ArgumentError, match="burst >= 1"):
        TokenBucket.from_env(FakeClock())


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({}, None),
        ({"retry-after": "soon"}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(httpx.Headers(headers), wall_now=0.0) == expected


def test_retry_after_as_an_http_date() -> None:
    clock = FakeClock()
    date = email.utils.formatdate(clock.wall() + 7, usegmt=True)
    assert retry_after(httpx.Headers({"retry-after": date}), clock.wall()) == pytest.approx(7)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy, rng = RetryPolicy(), random.Random(7)
    for attempt, full in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delay = policy.backoff(attempt, rng)
        assert 0.75 * full <= delay <= full


def test_array_parameters_both_forms() -> None:
    query = {"group_by": ["project_id", "model"], "limit": 2, "include_archived": True}
    assert encode_params(query) == [
        ("group_by[]", "project_id"),
        ("group_by[]", "model"),
        ("limit", "2"),
        ("include_archived", "true"),
    ]
    assert encode_params(query, "repeat")[:2] == [("group_by", "project_id"), ("group_by", "model")]


def test_the_key_is_required() -> None:
    with pytest.raises(ArgumentError, match="OPENAI_ADMIN_KEY"):
        AdminClient.from_env()


@pytest.fixture
def api() -> Iterator[AdminApiServer]:
    with serving(BASIC / "fixtures") as server:
        yield server


def _client(
    server: AdminApiServer,
    tmp_path: Path,
    rate: float = 60000,
    burst: int = 50,
    retry: RetryPolicy = FAST,
) -> AdminClient:
    return AdminClient(
        KEY,
        base_url=server.url,
        throttle=TokenBucket(rate, burst),
        retry=retry,
        log=RateLimitLog(tmp_path / "rate_limit.log"),
    )


def test_both_pagination_styles_are_followed_to_the_end(
    api: AdminApiServer, tmp_path: Path
) -> None:
    with _client(api, tmp_path) as client:
        usage = list(client.pages(REGISTRY["usage_completions"], MULTIPAGE))
        projects = list(client.pages(REGISTRY["projects"], {"limit": 1, "include_archived": True}))
    assert [p["has_more"] for p in usage] == [True, True, False]
    assert [p["data"][0]["id"] for p in projects] == ["proj_abc123", "proj_xyz890"]
    queries = [entry.query for entry in api.log]
    assert "page=page_AAAAAGjWb0BnpQ8Abc1%3D" in queries[1]
    assert "after=proj_abc123" in queries[4]


def test_both_group_by_forms_are_routed_alike(api: AdminApiServer) -> None:
    base = (
        f"{api.url}/v1/organization/usage/completions?start_time=1759104000"
        "&end_time=1759190400&bucket_width=1d&limit=1"
    )
    auth = {"Authorization": "Bearer x"}
    plain = httpx.get(base + "&group_by=project_id&group_by=model", headers=auth)
    brackets = httpx.get(base + "&group_by[]=model&group_by[]=project_id", headers=auth)
    assert plain.status_code == brackets.status_code == 200
    assert plain.content == brackets.content


def test_retry_after_is_obeyed(tmp_path: Path) -> None:
    faults = Faults(rate_limit_every=2, retry_after="0.3")
    with serving(BASIC / "fixtures", faults=faults) as api, _client(api, tmp_path) as client:
        pages = list(client.pages(REGISTRY["usage_completions"], MULTIPAGE))
    assert len(pages) == 3
    statuses = [entry.status for entry in api.log]
    assert statuses == [200, 429, 200, 429, 200]
    for i, entry in enumerate(api.log[:-1]):
        if entry.status == 429:
            assert api.log[i + 1].at - entry.at >= 0.29
    log = (tmp_path / "rate_limit.log").read_text()
    assert log.count(" retry attempt=1 status=429 retry_after=0.3 delay=0.300") == 2


def test_bursts_of_500s_are_retried_with_backoff(tmp_path: Path) -> None:
    faults = Faults(errors_every=100, error_burst=2)
    with serving(BASIC / "fixtures", faults=faults) as api, _client(api, tmp_path) as client:
        pages = list(client.pages(REGISTRY["usage_completions"], MULTIPAGE))
    assert len(pages) == 3
    assert [entry.status for entry in api.log] == [500, 500, 200, 200, 200]
    assert (tmp_path / "rate_limit.log").read_text().count("status=500") == 2


def test_a_400_is_not_retried_and_carries_the_api_message(
    api: AdminApiServer, tmp_path: Path
) -> None:
    with _client(api, tmp_path) as client, pytest.raises(ApiStatusError) as caught:
        client.get("/v1/organization/usage/completions", {"start_time": 0, "limit": 1000})
    assert len(api.log) == 1
    assert "answered 400: limit must be between 1 and 31" in str(caught.value)


def test_retry_after_above_the_ceiling_fails_clearly(tmp_path: Path) -> None:
    faults = Faults(rate_limit_every=1, retry_after="600")
    with serving(BASIC / "fixtures", faults=faults) as api, _client(api, tmp_path) as client:
        with pytest.raises(RateLimitExceeded, match="Retry-After 600s, above the 120s ceiling"):
            client.get("/v1/organization/projects", {"limit": 1})
    assert len(api.log) == 1


def test_retries_are_capped(tmp_path: Path) -> None:
    faults = Faults(rate_limit_every=1, retry_after=None)
    with serving(BASIC / "fixtures", faults=faults) as api, _client(api, tmp_path) as client:
        with pytest.raises(RateLimitExceeded, match="after 6 attempts"):
            client.get("/v1/organization/projects", {"limit": 1})
    assert len(api.log) == 6


def test_the_request_rate_never_exceeds_the_limit(api: AdminApiServer, tmp_path: Path) -> None:
    """Every window of the client's sends holds at most burst + 1 + rate * length requests.

    The sends are timed as httpx hands each request to the connection (an event hook), after
    the throttle: the server's arrival times also carry its threads' scheduling, which on a
    busy machine delayed one arrival by 100 ms and bunched the next ones behind it. The client
    sends one request at a time, so every request after send i was granted after it, from at
    most ``burst`` tokens then: the bound holds however late any send is timed."""
    rate_per_minute, burst = 600.0, 3  # 10 requests per second
    sent: list[float] = []
    with _client(api, tmp_path, rate=rate_per_minute, burst=burst) as client:
        client._http.event_hooks["request"].append(lambda request: sent.append(time.monotonic()))
        for _ in range(5):
            list(client.pages(REGISTRY["usage_completions"], MULTIPAGE))
    assert len(sent) == len(api.log) == 15
    per_second = rate_per_minute / 60
    for i, start in enumerate(sent):
        for j in range(i, len(sent)):
            assert j - i + 1 <= burst + 1 + (sent[j] - start) * per_second, (i, j, sent)
    assert sent[-1] - sent[0] >= (15 - 1 - burst) / per_second
    assert "throttle-wait" in (tmp_path / "rate_limit.log").read_text()


def test_the_key_is_never_printed(api: AdminApiServer, tmp_path: Path) -> None:
    with _client(api, tmp_path) as client, pytest.raises(ApiStatusError) as caught:
        client.get(f"/v1/organization/projects/{KEY}/users", {"limit": 1000})
    assert KEY not in str(caught.value) and "sk-...1234" in str(caught.value)
    faults = Faults(rate_limit_every=1, retry_after="0")
    with serving(BASIC / "fixtures", faults=faults) as limited, _client(limited, tmp_path) as c:
        with pytest.raises(RateLimitExceeded) as again:
            c.get(f"/v1/organization/projects/{KEY}/users", {"limit": 1})
    log = (tmp_path / "rate_limit.log").read_text(encoding="utf-8")
    assert "retry attempt=1" in log and KEY not in log and KEY not in str(again.value)


def test_slow_answers_and_the_client_timeout(tmp_path: Path) -> None:
    with serving(BASIC / "fixtures", faults=Faults(delay=0.3)) as api:
        with _client(api, tmp_path) as client:
            started = time.perf_counter()
            client.get("/v1/organization/projects", {"limit": 1})
            assert time.perf_counter() - started >= 0.3
        impatient = AdminClient(
            KEY,
            base_url=api.url,
            timeout=0.1,
            throttle=TokenBucket(60000, 50),
            retry=RetryPolicy(max_retries=1, base_delay=0.01),
            log=RateLimitLog(tmp_path / "rate_limit.log"),
        )
        with impatient, pytest.raises(TransportError, match="failed after 2 attempts"):
            impatient.get("/v1/organization/projects", {"limit": 1})
    assert "error=ReadTimeout" in (tmp_path / "rate_limit.log").read_text()
