"""Page-chain conformance, checked before anything touches the database.

usage/costs: ``has_more`` true <=> ``next_page`` non-null <=> a next page file exists; no cursor
repeats; bucket windows ordered, contiguous and aligned to ``bucket_width`` (the first may start at
the requested ``start_time``, the last may end at the requested ``end_time``).
lists: ``has_more`` true <=> a next page exists and a cursor is known; the cursor is
``last_id``, or the last item's id where ``last_id`` is absent or null (the spec makes it
optional); ``last_id`` is the last item's id (the next request sends ``after=<cursor>``); no
cursor repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import Problem
from .models import BUCKET_SECONDS, Page, Scenario
from .times import seconds


def next_cursor(bucketed: bool, body: Any) -> str | None:
    """What the next request of a chain sends: ``page=<next_page>`` (usage, costs) or
    ``after=<last_id>`` (lists), where a list page without ``last_id`` continues from its last
    item's id. The one rule for replay, the live client and serve."""
    if not isinstance(body, dict):
        return None
    if bucketed:
        cursor = body.get("next_page")
        return cursor if isinstance(cursor, str) else None
    last = body.get("last_id")
    if isinstance(last, str):
        return last
    data = body.get("data")
    if isinstance(data, list) and data and isinstance(data[-1], dict):
        ident = data[-1].get("id")
        return ident if isinstance(ident, str) else None
    return None


@dataclass(frozen=True)
class ChainResult:
    pages: int
    ended_because: str
    next_cursor: str | None
    has_more: bool
    problems: tuple[Problem, ...]


def _problem(scenario: Scenario, page: Page, message: str, pointer: str | None = None) -> Problem:
    return Problem(message, file=f"{scenario.id}/{page.name}", page=page.name, pointer=pointer)


# Empty pages in a row that still claim has_more after which sync cuts a chain (its default
# --max-empty-pages); a capture records the cut as request.json's "ended": "empty_tail".
EMPTY_TAIL = 3


def empty(page_body: Any) -> bool:
    """A page with no data at all (no bucket, no item): what an endless tail sends."""
    return isinstance(page_body, dict) and not page_body.get("data")


def _empty_tail(scenario: Scenario, pages: list[Page]) -> int:
    """The empty pages claiming has_more that end a chain cut as an empty tail (0: none)."""
    if scenario.request.ended != "empty_tail":
        return 0
    count = 0
    for page in reversed(pages):
        if not (empty(page.body) and page.body.get("has_more")):
            break
        count += 1
    return count


def check_chain(scenario: Scenario, pages: list[Page], windows: bool = True) -> ChainResult:
    """``windows=False`` skips the bucket windows (the SQL engine checks those itself)."""
    problems: list[Problem] = []
    cursor_field = "next_page" if scenario.endpoint.bucketed else "last_id"
    seen: dict[str, str] = {}
    ended = "no pages"
    cursor: str | None = None
    has_more = False
    limit = scenario.request.query.get("limit")
    for index, page in enumerate(pages):
        body = page.body
        has_more = bool(body.get("has_more"))
        cursor = next_cursor(scenario.endpoint.bucketed, body)
        is_last = index == len(pages) - 1
        data = body.get("data") or []
        if isinstance(limit, int) and len(data) > limit:
            problems.append(
                _problem(scenario, page, f"{len(data)} items exceed the request's limit {limit}")
            )
        if not scenario.endpoint.bucketed:
            problems += _list_ids(scenario, page, data)
        if has_more and cursor is None:
            problems.append(
                _problem(
                    scenario,
                    page,
                    f"has_more is true but {cursor_field} is null",
                    f"/{cursor_field}",
                )
            )
        if scenario.endpoint.bucketed and not has_more and cursor is not None:
            problems.append(
                _problem(
                    scenario,
                    page,
                    f"next_page {cursor!r} is set but has_more is false",
                    "/next_page",
                )
            )
        if has_more and is_last and (tail := _empty_tail(scenario, pages)):
            cut = pages[-tail - 1].name if len(pages) > tail else "the start"
            ended = f"empty tail: {tail} empty pages with has_more=true after {cut}"
        elif has_more and is_last:
            problems.append(
                _problem(
                    scenario,
                    page,
                    f"has_more is true but page-{page.number + 1:03d}.json is missing "
                    f"(the answer to {'page' if scenario.endpoint.bucketed else 'after'}={cursor})",
                )
            )
            ended = f"missing page after {page.name}"
        elif not has_more and not is_last:
            problems.append(
                _problem(
                    scenario, page, f"has_more is false but page-{page.number + 1:03d}.json exists"
                )
            )
        if has_more and cursor is not None:
            if cursor in seen:
                problems.append(
                    _problem(
                        scenario,
                        page,
                        f"cursor {cursor!r} repeats {seen[cursor]}'s: the chain is a cycle",
                        f"/{cursor_field}",
                    )
                )
                ended = f"cursor cycle at {page.name}"
                break
            seen[cursor] = page.name
        if not has_more:
            ended = f"has_more=false on {page.name}"
    if scenario.endpoint.bucketed and windows:
        problems += _bucket_windows(scenario, pages)
    return ChainResult(len(pages), ended, cursor, has_more, tuple(problems))


def _list_ids(scenario: Scenario, page: Page, data: list[Any]) -> list[Problem]:
    ids = [item.get("id") for item in data if isinstance(item, dict)]
    body = page.body
    problems = []
    if ids and body.get("last_id") is not None and body["last_id"] != ids[-1]:
        problems.append(
            _problem(
                scenario,
                page,
                f"last_id {body['last_id']!r} is not the last item's id {ids[-1]!r}",
                "/last_id",
            )
        )
    if ids and body.get("first_id") is not None and body["first_id"] != ids[0]:
        problems.append(
            _problem(
                scenario,
                page,
                f"first_id {body['first_id']!r} is not the first item's id {ids[0]!r}",
                "/first_id",
            )
        )
    return problems


def _bucket_windows(scenario: Scenario, pages: list[Page]) -> list[Problem]:
    request = scenario.request
    width = BUCKET_SECONDS.get(request.bucket_width)
    req_start, req_end = request.start_time, request.end_time
    problems: list[Problem] = []
    if width is None:
        return [
            Problem(
                f"bucket_width {request.bucket_width!r} is not one of 1m, 1h, 1d",
                file=f"{scenario.id}/request.json",
                pointer="/query/bucket_width",
            )
        ]
    buckets = [(page, i, b) for page in pages for i, b in enumerate(page.body.get("data") or [])]
    previous_end: int | None = None
    for n, (page, i, bucket) in enumerate(buckets):
        start, end = bucket["start_time"], bucket["end_time"]
        pointer = f"/data/{i}"
        first, last = n == 0, n == len(buckets) - 1

        def flag(message: str, page: Page = page, pointer: str = pointer) -> None:
            problems.append(_problem(scenario, page, message, pointer))

        if end <= start:
            flag(f"bucket ends ({seconds(end)}) before it starts ({seconds(start)})")
            continue
        if previous_end is not None and start != previous_end:
            kind = "gap" if start > previous_end else "overlap or out of order"
            flag(
                f"bucket starts at {seconds(start)} but the previous one ended at "
                f"{seconds(previous_end)} ({kind})"
            )
        previous_end = end
        if req_start is not None and start < req_start:
            flag(
                f"bucket starts at {seconds(start)}, before the requested start_time "
                f"{seconds(req_start)}"
            )
        if req_end is not None and end > req_end:
            flag(f"bucket ends at {seconds(end)}, after the requested end_time {seconds(req_end)}")
        clipped_start = first and start == req_start
        clipped_end = last and (req_end is None or end == req_end)
        if start % width and not clipped_start:
            flag(f"bucket start {seconds(start)} is not aligned to {request.bucket_width}")
        if end % width and not clipped_end:
            flag(f"bucket end {seconds(end)} is not aligned to {request.bucket_width}")
        if end - start > width or (end - start != width and not (clipped_start or clipped_end)):
            flag(f"bucket spans {end - start}s, not {width}s ({request.bucket_width})")
    return problems
