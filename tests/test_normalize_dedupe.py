"""The pure reference functions: normalize pages into events, dedupe by capture rank."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from harness.endpoints import REGISTRY
from harness.engines.reference.dedupe import dedupe
from harness.engines.reference.normalize import PageContext, normalize_page
from harness.models import Event
from helpers import make_page

COMPLETIONS = REGISTRY["usage_completions"]


def _ctx(
    endpoint: str = "usage_completions",
    page_no: int = 1,
    recorded_at: str = "2025-09-30",
    group_by: tuple[str, ...] = ("model", "project_id"),
    scenario: str = "s",
) -> PageContext:
    return PageContext(
        REGISTRY[endpoint], scenario, f"page-{page_no:03d}.json", page_no, recorded_at, group_by
    )


def _result(**kw: Any) -> dict[str, Any]:
    base = {
        "object": "organization.usage.completions.result",
        "input_tokens": 10,
        "output_tokens": 5,
        "num_model_requests": 1,
        "project_id": "proj_abc123",
        "model": "gpt-4o",
    }
    return base | kw


def test_missing_grouping_fields_count_as_null() -> None:
    older = _result()
    newer = _result(user_id=None, api_key_id=None, batch=None, service_tier=None)
    a, b = normalize_page(_ctx(), make_page([older, newer]))
    assert a.key == b.key and a.dedupe_key == b.dedupe_key
    assert a.key["service_tier"] is None
    assert a.key["window_start"] == 1759104000 and a.key["window_end"] == 1759190400


def test_results_differing_in_one_dimension_stay_distinct() -> None:
    events = normalize_page(
        _ctx(),
        make_page([_result(), _result(project_id="proj_xyz890"), _result(service_tier="flex")]),
    )
    assert len(dedupe(events).unique) == 3


def test_group_by_is_part_of_the_key() -> None:
    a = normalize_page(_ctx(group_by=("model",)), make_page([_result()]))
    b = normalize_page(_ctx(group_by=("model", "project_id")), make_page([_result()]))
    assert a[0].dedupe_key != b[0].dedupe_key
    assert len(dedupe(a + b).unique) == 2


def test_legacy_sessions_counter_is_read_as_num_sessions() -> None:
    legacy = {
        "object": "organization.usage.code_interpreter_sessions.result",
        "sessions": 4,
        "project_id": None,
    }
    (event,) = normalize_page(
        _ctx("usage_code_interpreter_sessions", group_by=()), make_page([legacy])
    )
    assert event.values == {"num_sessions": 4}


def test_cost_amounts_are_exact_decimals() -> None:
    result = {
        "object": "organization.costs.result",
        "amount": {"value": 0.1, "currency": "USD"},
        "line_item": "x",
        "project_id": None,
    }
    (event,) = normalize_page(_ctx("costs", group_by=("line_item",)), make_page([result]))
    assert event.values["amount_value"] == Decimal("0.1")
    assert event.values["amount_currency"] == "usd"


def test_exact_duplicates_collapse_and_conflicts_are_listed() -> None:
    first = normalize_page(_ctx(recorded_at="2025-09-30"), make_page([_result()]))
    same = normalize_page(_ctx(recorded_at="2025-10-01"), make_page([_result()]))
    later = normalize_page(_ctx(recorded_at="2025-10-02"), make_page([_result(input_tokens=11)]))
    result = dedupe(first + same + later)
    assert len(result.unique) == 1
    assert result.unique[0].values["input_tokens"] == 11  # the latest capture wins
    assert result.duplicates == 0
    assert len(result.conflicts) == 2
    assert dedupe(first + same).duplicates == 1


_events = st.lists(
    st.tuples(
        st.sampled_from(["proj_a", "proj_b", None]),
        st.integers(0, 3),
        st.sampled_from(["2025-09-30", "2025-10-01"]),
        st.integers(1, 3),
    ),
    max_size=25,
)


def _build(spec: list[tuple[str | None, int, str, int]]) -> list[Event]:
    events: list[Event] = []
    for project, tokens, recorded_at, page_no in spec:
        events += normalize_page(
            _ctx(recorded_at=recorded_at, page_no=page_no, scenario="s"),
            make_page([_result(project_id=project, input_tokens=tokens)]),
        )
    return events


@given(_events, st.randoms())
def test_dedupe_does_not_depend_on_read_order(spec: Any, rnd: random.Random) -> None:
    events = _build(spec)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert dedupe(events) == dedupe(shuffled)


@given(_events)
def test_dedupe_is_idempotent(spec: Any) -> None:
    once = dedupe(_build(spec))
    assert dedupe(once.unique).unique == once.unique
    assert len({(e.endpoint, e.dedupe_key) for e in once.unique}) == len(once.unique)


def test_pages_are_ordered_numerically_past_999(tmp_path: Path) -> None:
    from harness.fixtures import _page_files

    for n in (1, 2, 10, 999, 1000):
        (tmp_path / f"page-{n:03d}.json").write_text("{}")
    for n in set(range(1, 1001)) - {1, 2, 10, 999, 1000}:
        (tmp_path / f"page-{n:03d}.json").write_text("{}")
    pages, problems = _page_files(tmp_path)
    assert problems == []
    assert [p.name for p in pages][-3:] == ["page-998.json", "page-999.json", "page-1000.json"]
