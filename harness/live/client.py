"""Live Admin API client on httpx: both pagination styles, the shared throttle, retries.

Retries mirror the official SDK: 408, 409, 429 and 5xx are retried (``x-should-retry`` overrides)
with exponential backoff min(0.5 s * 2^n, 8 s) less up to 25 % jitter; ``retry-after-ms`` and
``Retry-After`` (seconds, HTTP date, or 0) are honoured up to a 120 s ceiling, above which the
client stops with a clear message. Other 4xx fail at once with the API's own message. The admin
key is never printed: every message passes through ``mask``.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .. import redact
from ..chains import EMPTY_TAIL, empty, next_cursor
from ..endpoints import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, Endpoint
from ..errors import (
    ApiError,
    ApiStatusError,
    ArgumentError,
    PageChainError,
    Problem,
    RateLimitExceeded,
    TransportError,
)
from ..fixtures import parse_json
from ..models import Page
from .throttle import Clock, TokenBucket

ARRAY_PARAMS = (
    "group_by",
    "project_ids",
    "user_ids",
    "api_key_ids",
    "models",
    "sources",
    "sizes",
    "emails",
)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 120.0  # the official SDK's ceiling

    def backoff(self, attempt: int, rng: random.Random) -> float:
        delay: float = min(self.base_delay * 2.0**attempt, self.max_delay)
        return delay * (1.0 - self.jitter * rng.random())


class RateLimitLog:
    """Appends one line per throttle wait, retry and give-up; never headers or the key."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event: str, **fields: Any) -> None:
        if self.path is None:
            return
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        details = " ".join(f"{k}={v}" for k, v in fields.items())
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {event} {details}\n")


def retry_after(headers: httpx.Headers, wall_now: float) -> float | None:
    """Seconds the server asks to wait, or None when it does not say (or says nonsense)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(float(raw_ms) / 1000.0, 0.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - wall_now, 0.0)


Pairs = list[tuple[str, str | int | float | bool | None]]


def encode_params(query: dict[str, Any], array_format: str = "brackets") -> Pairs:
    """Query parameters as pairs; arrays repeat their key (``k[]=a&k[]=b`` like the SDK)."""
    pairs: Pairs = []
    for key, value in query.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        name = f"{key}[]" if isinstance(value, list | tuple) and array_format == "brackets" else key
        for item in values:
            text = ("true" if item else "false") if isinstance(item, bool) else str(item)
            pairs.append((name, text))
    return pairs


class AdminClient:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        throttle: TokenBucket | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        log: RateLimitLog | None = None,
        rng: random.Random | None = None,
        array_format: str = "brackets",
    ) -> None:
        if not api_key:
            raise ArgumentError("no admin key", hint="export OPENAI_ADMIN_KEY=sk-admin-...")
        if not (api_key.isascii() and api_key.isprintable()):  # never sent, never shown
            raise ArgumentError(
                "the admin key holds characters no key holds (not ASCII, or control characters)",
                hint="copy the key again from the organization settings and export it",
            )
        self._key = api_key
        # The openai SDK's base URL ends in /v1; the endpoints' paths carry it already.
        self.base_url = base_url.rstrip("/").removesuffix("/v1")
        self.clock = clock or Clock()
        self.log = log or RateLimitLog(None)
        self.throttle = throttle or TokenBucket.from_env(self.clock)
        if self.throttle.on_wait is None:
            self.throttle.on_wait = lambda s: self.log.write("throttle-wait", seconds=f"{s:.3f}")
        self.retry = retry or RetryPolicy()
        self.rng = rng or random.Random()
        self.array_format = array_format
        self.max_pages = 10_000  # a chain longer than this is an error (ApiError)
        self.max_empty_pages = EMPTY_TAIL  # empty pages claiming has_more that end a chain
        self.empty_tails: set[str] = set()  # paths whose chain was cut after an empty tail
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
        )

    @classmethod
    def from_env(cls, **kwargs: Any) -> AdminClient:
        key = os.environ.get("OPENAI_ADMIN_KEY", "").strip()  # a pasted key ends in a newline
        if not key:
            raise ArgumentError(
                "OPENAI_ADMIN_KEY is not set",
                hint="create an admin key in the organization settings and export it",
            )
        return cls(key, **kwargs)

    def mask(self, text: str) -> str:
        return redact.secrets(text, (self._key,))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(
        self, path: str, query: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """GET with throttle and retries; the parsed JSON body of a 2xx answer."""
        params = encode_params(query, self.array_format)
        shown = self.mask(path)  # the path, as it may appear in messages and the log
        attempt = 0
        while True:
            self.throttle.acquire()
            try:
                response = self._http.get(path, params=params, headers=headers)
            except httpx.HTTPError as exc:
                if attempt >= self.retry.max_retries:
                    raise TransportError(
                        self.mask(f"GET {shown} failed after {attempt + 1} attempts: {exc}"),
                        hint=f"is {self.base_url} reachable? (--base-url)",
                    ) from exc
                delay = self.retry.backoff(attempt, self.rng)
                self.log.write(
                    "retry",
                    attempt=attempt + 1,
                    error=type(exc).__name__,
                    delay=f"{delay:.3f}",
                    path=shown,
                )
                self.clock.sleep(delay)
                attempt += 1
                continue
            if response.status_code < 400:
                return self._json(response, shown)
            self._raise_or_wait(response, shown, attempt)
            attempt += 1

    def _json(self, response: httpx.Response, path: str) -> dict[str, Any]:
        # The same strict parser as a fixture file's: a duplicate name (Python's parser keeps
        # the last), NaN or a lone surrogate is refused, never stored (MalformedJSONError).
        body = parse_json(Path(f"GET {path}"), response.content)
        if not isinstance(body, dict):
            raise ApiError(f"GET {path}: the answer is not a JSON object")
        return body

    def _raise_or_wait(self, response: httpx.Response, path: str, attempt: int) -> None:
        status = response.status_code
        should = response.headers.get("x-should-retry")
        retryable = status in (408, 409, 429) or status >= 500
        if should in ("true", "false"):
            retryable = should == "true"
        message = _cut(self.mask(_api_message(response)))  # masked whole, then cut
        if not retryable:
            hint = {
                401: "check that OPENAI_ADMIN_KEY holds an admin key (sk-admin-...)",
                403: "the admin key lacks access to this organization resource",
                400: "the request was refused as invalid; see the message",
            }.get(status)
            raise ApiStatusError(f"GET {path} answered {status}: {message}", hint=hint)
        if attempt >= self.retry.max_retries:
            self.log.write("give-up", status=status, attempts=attempt + 1, path=path)
            raise RateLimitExceeded(
                f"GET {path} still answered {status} after {attempt + 1} attempts: {message}",
                hint="lower OPENAI_ADMIN_REQUESTS_PER_MINUTE, or run the sync again later",
            )
        asked = retry_after(response.headers, self.clock.wall())
        if asked is not None and asked > self.retry.max_retry_after:
            self.log.write("give-up", status=status, retry_after=f"{asked:.0f}", path=path)
            raise RateLimitExceeded(
                f"GET {path} answered {status} with Retry-After {asked:.0f}s, above the "
                f"{self.retry.max_retry_after:.0f}s ceiling",
                hint="the API asks for a long pause: run the sync again later",
            )
        delay = asked if asked is not None else self.retry.backoff(attempt, self.rng)
        self.log.write(
            "retry",
            attempt=attempt + 1,
            status=status,
            retry_after="-" if asked is None else f"{asked:g}",
            delay=f"{delay:.3f}",
            path=path,
        )
        self.clock.sleep(delay)

    def pages(
        self,
        endpoint: Endpoint,
        query: dict[str, Any],
        project_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every page of one chain: ``page=<next_page>`` or ``after=<last_id>`` (the last
        item's id where ``last_id`` is absent) until the end."""
        path = endpoint.api_path.replace("{project_id}", project_id or "")
        params = dict(query)
        seen: set[str] = set()
        number, empties = 1, 0
        while True:
            body = self.get(path, params, headers)
            yield body
            if not body.get("has_more"):
                return
            empties = empties + 1 if empty(body) else 0
            where = f"{self.mask(path)} page {number}"
            if empties == self.max_empty_pages:  # an endless empty tail: the chain ends here
                self.log.write("empty-tail", path=self.mask(path), pages=number)
                self.empty_tails.add(path)
                return
            if number >= self.max_pages:
                raise ApiError(
                    f"{where}: still has_more after {self.max_pages:,} pages",
                    hint="a chain that long is not one the API sends; report it",
                )
            cursor = next_cursor(endpoint.bucketed, body)
            if cursor is None:
                raise PageChainError(
                    f"{where}: has_more is true but there is no cursor",
                    [Problem("has_more without cursor", page=str(number))],
                )
            if cursor in seen:
                raise PageChainError(
                    f"{where}: cursor {cursor!r} repeats; the chain is a cycle",
                    [Problem("cursor cycle", page=str(number))],
                )
            seen.add(cursor)
            params = dict(query) | ({"page": cursor} if endpoint.bucketed else {"after": cursor})
            number += 1

    def fetch_pages(
        self,
        endpoint: Endpoint,
        query: dict[str, Any],
        project_id: str | None,
        folder: Path,
        on_page: Callable[[int], None] | None = None,
        headers: dict[str, str] | None = None,
    ) -> list[Page]:
        """A whole chain as pages named like fixture files under ``folder``."""
        pages = []
        chain = self.pages(endpoint, query, project_id, headers)
        for number, body in enumerate(chain, start=1):
            pages.append(Page(number, folder / f"page-{number:03d}.json", body))
            if on_page is not None:
                on_page(number)
        return pages


def _api_message(response: httpx.Response) -> str:
    """The API's error message, or the body: whole (mask it before cutting it, _cut)."""
    try:
        error = response.json().get("error") or {}
        return str(error.get("message") or response.text)
    except (json.JSONDecodeError, AttributeError):
        return response.text or response.reason_phrase


def _cut(text: str, most: int = 200) -> str:
    return text if len(text) <= most else text[:most] + "..."
