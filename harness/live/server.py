"""A local Admin API on 127.0.0.1 that answers from a fixture corpus, with injected faults.

Routing: the path picks the endpoint (and project); the query, less ``page``/``after``, picks the
scenario whose request.json made the same request (``group_by=`` and ``group_by[]=`` alike).
A list query other than the capture's own is answered from the captured items as the API pages
any list: after any item's id (an empty page after the last, 400 for an unknown id), at any
limit, archived projects only with ``include_archived=true``. A usage or costs query no scenario
made exactly is answered from the scenario of that endpoint whose window overlaps it best, or
with an empty page, so ``harness sync`` can run against it. Like the real API it answers 400 to
a missing or malformed ``start_time``, an over-limit ``limit``, a ``group_by`` the endpoint does
not support, and the user and service-account lists of an archived project. A capture's own
request is served byte for byte.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .. import endpoints, fixtures
from ..chains import next_cursor
from ..endpoints import Endpoint
from ..errors import EnvironmentProblem
from ..models import Scenario
from .client import ARRAY_PARAMS

SCENARIO_HEADER = "X-Harness-Scenario"


@dataclass(frozen=True)
class Faults:
    """What to break: every Nth request a 429, bursts of 500s, slow answers."""

    rate_limit_every: int = 0  # every Nth request answers 429
    retry_after: str | None = "1"  # its Retry-After header; None sends none
    errors_every: int = 0  # every Nth request starts a burst of 500s...
    error_burst: int = 1  # ...this many long
    delay: float = 0.0  # seconds before every answer


@dataclass
class Logged:
    at: float  # time.monotonic() when the request arrived
    path: str
    query: str
    status: int


@dataclass
class _Chain:
    scenario: Scenario
    pages: list[bytes]
    cursors: dict[str, int]  # cursor -> index of the page it asks for
    query: dict[str, Any]  # normalized request query
    items: list[dict[str, Any]] = field(default_factory=list)  # a list's items, in order


def _normalize(pairs: list[tuple[str, str]] | dict[str, Any]) -> dict[str, Any]:
    """Query as comparable values: arrays as sorted string lists, scalars as strings."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    out: dict[str, Any] = {}
    for raw_key, value in items:
        key = raw_key.removesuffix("[]")
        values = value if isinstance(value, list) else [value]
        texts = [("true" if v else "false") if isinstance(v, bool) else str(v) for v in values]
        if key in ARRAY_PARAMS or raw_key.endswith("[]") or isinstance(value, list):
            out[key] = sorted([*out.get(key, []), *texts])
        else:
            out[key] = texts[-1]
    return out


@dataclass
class Corpus:
    chains: dict[tuple[str, str | None], list[_Chain]] = field(default_factory=dict)
    archived: set[str] = field(default_factory=set)
    # Serve the corpus as of this capture time (request.json's recorded_at, canonical UTC):
    # captures recorded later are not seen (``harness serve --as-of``).
    as_of: str | None = None

    @classmethod
    def load(cls, fixtures_dir: Path) -> Corpus:
        corpus = cls()
        for scenario in fixtures.discover(fixtures_dir):
            read = fixtures.read_pages(scenario)
            pages = [page for page, _ in read]
            bucketed = scenario.endpoint.bucketed
            cursors = {
                cursor: i + 1
                for i, p in enumerate(pages)
                if p.body.get("has_more") and (cursor := next_cursor(bucketed, p.body)) is not None
            }
            items = [] if bucketed else [i for p in pages for i in p.body.get("data") or []]
            chain = _Chain(
                scenario,
                [data for _, data in read],
                cursors,
                _normalize(scenario.request.query),
                items,
            )
            corpus.chains.setdefault((scenario.endpoint.name, scenario.project_id), []).append(
                chain
            )
            if scenario.endpoint.name == "projects":
                for page in pages:
                    for item in page.body.get("data") or []:
                        if endpoints.project_archived(item):
                            corpus.archived.add(item["id"])
        return corpus

    def pick(
        self,
        endpoint: Endpoint,
        project: str | None,
        query: dict[str, Any],
        hint: str | None = None,
    ) -> _Chain | None:
        chains = self.chains.get((endpoint.name, project), [])
        if self.as_of is not None:  # the corpus as it was then: later captures unseen
            chains = [c for c in chains if c.scenario.request.recorded_at <= self.as_of]
        exact = [c for c in chains if c.query == query]
        # Two captures of one query (a restatement) differ only in time: the latest (highest
        # capture rank) answers, as the API would now. The served replay names the scenario it
        # wants in the X-Harness-Scenario header; the real API ignores it.
        for chain in exact:
            if chain.scenario.id == hint:
                return chain
        if exact:
            return max(exact, key=lambda c: (c.scenario.request.recorded_at, c.scenario.name))
        if not endpoint.bucketed:
            return chains[0] if chains else None
        start = float(query.get("start_time", "-inf"))
        end = float(query.get("end_time", "inf"))
        width = query.get("bucket_width", "1d")

        def overlap(chain: _Chain) -> tuple[float, bool, str]:
            req = chain.scenario.request
            lo = max(start, float(req.start_time or 0))
            hi = min(end, float(req.end_time or "inf"))
            same_grain = chain.query.get("group_by", []) == query.get("group_by", [])
            return hi - lo, same_grain, chain.scenario.name

        candidates = [c for c in chains if c.query.get("bucket_width", "1d") == width]
        best = max(candidates, key=overlap, default=None)
        return best if best is not None and overlap(best)[0] > 0 else None


def _error(status: int, message: str, param: str | None = None) -> tuple[int, bytes]:
    body = {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    }
    return status, json.dumps(body).encode()


def _empty(endpoint: Endpoint) -> bytes:
    if endpoint.bucketed:
        return json.dumps(
            {"object": "page", "data": [], "has_more": False, "next_page": None}
        ).encode()
    return json.dumps(
        {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    ).encode()


_EFFECTIVE_AT: dict[str, Callable[[int, int], bool]] = {
    "gte": lambda at, bound: at >= bound,
    "gt": lambda at, bound: at > bound,
    "lte": lambda at, bound: at <= bound,
    "lt": lambda at, bound: at < bound,
}


def _listed(
    endpoint: Endpoint, chain: _Chain, query: dict[str, Any], after: str | None
) -> tuple[int, bytes]:
    """A list page made from the captured items: those after the item ``after`` (an empty
    page after the last one; 400 for an id the list does not hold), at most ``limit`` of
    them; archived projects only with ``include_archived=true``, as the API lists them."""
    items = chain.items
    if endpoint.name == "projects" and query.get("include_archived") != "true":
        items = [i for i in items if not endpoints.project_archived(i)]
    if endpoint.name == "audit_logs":  # effective_at[gte|gt|lte|lt]: Unix seconds
        for bound, keep in _EFFECTIVE_AT.items():
            value = query.get(f"effective_at[{bound}]")
            if value is not None:
                if not value.isdigit():
                    return _error(400, f"Invalid effective_at[{bound}] {value!r}", "effective_at")
                items = [i for i in items if keep(int(i.get("effective_at") or 0), int(value))]
    start = 0
    if after is not None:
        ids = [i.get("id") for i in items]
        if after not in ids:
            return _error(400, f"Invalid after cursor {after!r}: no such object", "after")
        start = ids.index(after) + 1
    limit = int(query.get("limit") or min(20, endpoint.max_limit or 20))
    page = items[start : start + limit]
    body = {
        "object": "list",
        "data": page,
        "first_id": page[0].get("id") if page else None,
        "last_id": page[-1].get("id") if page else None,
        "has_more": start + limit < len(items),
    }
    return 200, json.dumps(body).encode()


def _clipped(page: bytes, query: dict[str, Any]) -> bytes:
    """A page answered for another window keeps only the buckets inside the requested one."""
    body = json.loads(page)
    start = int(query.get("start_time", 0))
    end = int(query["end_time"]) if "end_time" in query else None
    body["data"] = [
        b
        for b in body.get("data") or []
        if b["start_time"] >= start and (end is None or b["end_time"] <= end)
    ]
    return json.dumps(body).encode()


def local_key() -> str:
    """A key for one `harness serve`: printed in its banner, not a secret (redact.py leaves
    ``harness-local-`` keys alone), never an ``sk-`` key."""
    return f"harness-local-{secrets.token_hex(12)}"


class AdminApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        corpus: Corpus,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        key: str | None = None,
    ) -> None:
        try:
            super().__init__((host, port), _Handler)
        except OSError as exc:  # a port in use is the machine's state, not a harness defect
            raise EnvironmentProblem(
                f"cannot serve on {host}:{port}: {exc.strerror}",
                hint="pick a free port with --port, or --port 0 for any free one",
            ) from exc
        self.corpus = corpus
        self.key = key  # None: any bearer token (the served replay's and the tests' servers)
        self.faults = faults or Faults()
        self.log: list[Logged] = []
        self._lock = threading.Lock()
        self._count = 0

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def next_number(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def answer(
        self,
        path: str,
        pairs: list[tuple[str, str]],
        authorized: bool,
        number: int,
        hint: str | None = None,
    ) -> tuple[int, bytes, dict[str, str]]:
        f = self.faults
        if f.rate_limit_every and number % f.rate_limit_every == 0:
            headers = {} if f.retry_after is None else {"Retry-After": f.retry_after}
            status, body = _error(429, "Rate limit reached for requests (injected)")
            return status, body, headers
        if f.errors_every and (number - 1) % f.errors_every < f.error_burst:
            return (*_error(500, "The server had an error (injected)"), {})
        if not authorized:
            return (*_error(401, "Missing bearer authentication in header"), {})
        matched = endpoints.by_api_path(path)
        if matched is None:
            return (*_error(404, f"Invalid URL (GET {path})"), {})
        endpoint, project = matched
        query = _normalize(pairs)
        problem = self._invalid(endpoint, project, query)
        if problem is not None:
            return (*problem, {})
        cursor_key = "page" if endpoint.bucketed else "after"
        cursor = query.pop(cursor_key, None)
        chain = self.corpus.pick(endpoint, project, query, hint)
        if chain is None:
            return 200, _empty(endpoint), {}
        index = 0 if cursor is None else chain.cursors.get(str(cursor))
        if not endpoint.bucketed and (chain.query != query or index is None):
            # Not the capture's own request: the list answered from its items, as the API
            # pages any list (after any item's id, at any limit).
            return (*_listed(endpoint, chain, query, cursor), {})
        if index is None or index >= len(chain.pages):
            return (*_error(400, f"Invalid {cursor_key} cursor {cursor!r}", cursor_key), {})
        if endpoint.bucketed and chain.query != query:
            return 200, _clipped(chain.pages[index], query), {}
        return 200, chain.pages[index], {}

    def _invalid(
        self, endpoint: Endpoint, project: str | None, query: dict[str, Any]
    ) -> tuple[int, bytes] | None:
        if endpoint.archived_400 and project in self.corpus.archived:
            return _error(400, f"Project {project} is archived")
        limit = query.get("limit")
        if endpoint.bucketed:
            for key in ("start_time", "end_time"):
                value = query.get(key)
                if value is None and key == "start_time":
                    return _error(400, "Missing required parameter: 'start_time'", key)
                if value is not None and not (isinstance(value, str) and value.isdigit()):
                    return _error(400, f"Invalid {key} {value!r}: an integer is expected", key)
            width = query.get("bucket_width", "1d")
            widest = endpoint.page_limit(width)
            if widest is None:
                return _error(400, f"Invalid bucket_width {width!r}", "bucket_width")
            cap: int | None = widest
            unknown = endpoint.unknown_dimensions(query.get("group_by", []))
            if unknown:
                return _error(
                    400, f"Invalid group_by value(s): {', '.join(sorted(unknown))}", "group_by"
                )
        else:
            cap = endpoint.max_limit
        if limit is not None and not (
            isinstance(limit, str) and limit.isdigit() and 1 <= int(limit) <= (cap or int(limit))
        ):
            shown = f"between 1 and {cap}" if cap else "a positive integer"
            return _error(400, f"limit must be {shown}", "limit")
        return None


class _Handler(BaseHTTPRequestHandler):
    server: AdminApiServer
    protocol_version = "HTTP/1.1"
    # Buffered: the status line, headers and body leave in one write when the handler flushes
    # after each request. Unbuffered, they left in separate writes on a keep-alive connection,
    # and Nagle's algorithm held the body until the client's delayed ACK (about 40 ms each).
    wbufsize = -1

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        arrived = time.monotonic()
        number = self.server.next_number()
        parts = urlsplit(self.path)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        sent = self.headers.get("Authorization", "")
        key = self.server.key
        authorized = sent == f"Bearer {key}" if key else sent.startswith("Bearer ")
        if self.server.faults.delay:
            time.sleep(self.server.faults.delay)
        hint = self.headers.get(SCENARIO_HEADER)
        status, body, headers = self.server.answer(parts.path, pairs, authorized, number, hint)
        with self.server._lock:
            self.server.log.append(Logged(arrived, parts.path, parts.query, status))
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # the request log is kept on the server object instead


@contextmanager
def serving(
    fixtures_dir: Path,
    *,
    port: int = 0,
    faults: Faults | None = None,
    host: str = "127.0.0.1",
    key: str | None = None,
    as_of: str | None = None,
) -> Iterator[AdminApiServer]:
    """Run the server in a background thread for the duration of the block."""
    corpus = Corpus.load(fixtures_dir)
    corpus.as_of = as_of
    server = AdminApiServer(corpus, host, port, faults, key)
    thread = threading.Thread(target=server.serve_forever, name="harness-serve", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
