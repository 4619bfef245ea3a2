"""Strict means strict: each bad page the reference engine refuses, the default (SQL) engine
refuses alike, with the same error class naming the same file and place; each odd but valid
page is stored alike. One test per bad input, named after it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from harness import pipeline
from harness.engines import REFERENCE_ENV, SQL_MIN_BYTES_ENV
from harness.errors import HarnessError
from helpers import Corpus, db_contents

PAGE = "usage_completions/basic"
COSTS = "costs/basic"
KEEP = (PAGE, COSTS, "projects/all")


@pytest.fixture
def corpus(corpus: Corpus) -> Corpus:
    """The basic corpus cut down to the two pages these tests edit (and the projects they
    name): every verdict is still the whole pipeline's, at a fraction of a replay's cost."""
    for folder in corpus.fixtures.glob("*/*"):
        if str(folder.relative_to(corpus.fixtures)) not in KEEP:
            shutil.rmtree(folder)
    corpus.rehash()
    return corpus


Verdict = tuple[str, list[str]] | dict[str, Any]


def _verdict(corpus: Corpus, db: str) -> Verdict:
    """The error class and problems of a replay, or its report when it passes."""
    options = pipeline.ReplayOptions(
        fixtures=corpus.fixtures, db=corpus.root / db, now=pipeline.SNAPSHOT_NOW
    )
    try:
        return pipeline.replay(options).report
    except HarnessError as exc:
        return exc.error_class, [p.render() for p in exc.problems]


def _both(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> Verdict:
    """The SQL engine's verdict (or the reference engine's, where it declines), once asserted
    equal to the reference engine's (and, on a pass, the same rows)."""
    monkeypatch.delenv(REFERENCE_ENV, raising=False)
    monkeypatch.setenv(SQL_MIN_BYTES_ENV, "0")
    default = _verdict(corpus, "default.duckdb")
    monkeypatch.setenv(REFERENCE_ENV, "1")
    reference = _verdict(corpus, "reference.duckdb")
    monkeypatch.delenv(REFERENCE_ENV)
    assert default == reference
    if isinstance(default, dict):
        assert db_contents(corpus.root / "default.duckdb") == db_contents(
            corpus.root / "reference.duckdb"
        )
    return default


def _edit_text(corpus: Corpus, scenario: str, edit: Callable[[str], str]) -> Path:
    page = corpus.page(scenario)
    before = page.read_text()
    after = edit(before)
    assert after != before
    page.write_text(after)
    corpus.rehash()
    return page


def _edit_bytes(corpus: Corpus, scenario: str, edit: Callable[[bytes], bytes]) -> Path:
    page = corpus.page(scenario)
    page.write_bytes(edit(page.read_bytes()))
    corpus.rehash()
    return page


def _first_result(corpus: Corpus, scenario: str, change: dict[str, Any]) -> None:
    body = corpus.read(scenario)
    body["data"][0]["results"][0].update(change)
    corpus.write(scenario, 1, body)


def _refused(verdict: Verdict, error: str, *needles: str) -> None:
    assert not isinstance(verdict, dict), "the corpus was accepted"
    error_class, problems = verdict
    assert error_class == error, problems
    text = "\n".join(problems)
    assert "usage_completions/basic/page-001.json" in text or "costs/basic" in text
    for needle in needles:
        assert needle in text


def test_a_numeric_string_token_count_and_a_numeric_model(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each alone would be read by DuckDB as a value; together they cancelled in the old
    token-count balance (two quotes added, two taken away)."""
    _first_result(corpus, PAGE, {"input_tokens": "2849", "model": 7})
    verdict = _both(corpus, monkeypatch)
    _refused(verdict, "SchemaError", "/data/0/results/0/input_tokens", "/data/0/results/0/model")


def test_an_unknown_field_and_a_numeric_model(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    _first_result(corpus, PAGE, {"surprise": "x", "model": 7})
    _refused(_both(corpus, monkeypatch), "SchemaError", "/data/0/results/0/model")


def test_a_trailing_comma_in_an_object(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    _edit_text(
        corpus, PAGE, lambda t: t.replace('"service_tier": null', '"service_tier": null,', 1)
    )
    _refused(_both(corpus, monkeypatch), "MalformedJSONError", "line ")


def test_a_trailing_comma_in_an_array(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    body = corpus.read(PAGE)
    text = json.dumps(body, indent=2)
    at = text.rindex("}\n      ]")  # the end of the first bucket's results
    _edit_text(corpus, PAGE, lambda _: text[: at + 1] + "," + text[at + 1 :])
    _refused(_both(corpus, monkeypatch), "MalformedJSONError", "line ")


def test_a_byte_order_mark(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    _edit_bytes(corpus, PAGE, lambda b: b"\xef\xbb\xbf" + b)
    _refused(_both(corpus, monkeypatch), "MalformedJSONError", "line 1 column 1", "BOM")


def test_a_comment(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    _edit_text(corpus, PAGE, lambda t: t.replace('"object": "page",', '"object": "page", // x', 1))
    _refused(_both(corpus, monkeypatch), "MalformedJSONError", "line 2 column")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity(corpus: Corpus, monkeypatch: pytest.MonkeyPatch, constant: str) -> None:
    _edit_text(
        corpus, PAGE, lambda t: t.replace('"output_tokens": 912', f'"output_tokens": {constant}')
    )
    _refused(_both(corpus, monkeypatch), "MalformedJSONError", "NaN and Infinity")


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "x\\udc00y", "\\ud83d"])
def test_a_lone_surrogate_escape(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, escape: str
) -> None:
    _edit_text(corpus, PAGE, lambda t: t.replace('"gpt-4o-mini-2024-07-18"', f'"{escape}"', 1))
    _refused(_both(corpus, monkeypatch), "MalformedJSONError", "lone surrogate")


def test_a_surrogate_pair_is_one_character(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    _edit_text(
        corpus, PAGE, lambda t: t.replace('"gpt-4o-mini-2024-07-18"', '"gpt-\\ud83d\\ude00"', 1)
    )
    report = _both(corpus, monkeypatch)
    assert isinstance(report, dict)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"output_tokens": 912', '"output_tokens": 912, "output_tokens": 913'),  # a known name
        ('"output_tokens": 912', '"output_tokens": 912, "zz": 1, "zz": 2'),  # an unknown one
        ('"object": "bucket",', '"object": "bucket", "object": "bucket",'),  # in a bucket
        ('"object": "page",', '"object": "page", "has_more": false,'),  # in the page
    ],
)
def test_a_duplicate_name_in_one_object(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    _edit_text(corpus, PAGE, lambda t: t.replace(old, new, 1))
    _refused(_both(corpus, monkeypatch), "MalformedJSONError", "duplicate name")


@pytest.mark.parametrize("value", [2**63, -1, 12.5, True, "12", [12], {"n": 12}, None])
def test_a_token_count_its_column_cannot_hold(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, value: Any
) -> None:
    _first_result(corpus, PAGE, {"output_tokens": value})
    _refused(_both(corpus, monkeypatch), "SchemaError", "/data/0/results/0/output_tokens")


@pytest.mark.parametrize("value", ["1e21", "1e400", "-1e20", '"0.5"'])
def test_a_money_value_its_column_cannot_hold(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    page = corpus.page(COSTS)
    body = json.loads(page.read_text())
    body["data"][0]["results"][0]["amount"]["value"] = "VALUE"
    page.write_text(json.dumps(body).replace('"VALUE"', value))
    corpus.rehash()
    verdict = _both(corpus, monkeypatch)
    assert not isinstance(verdict, dict)
    assert verdict[0] == "SchemaError"
    assert "/data/0/results/0/amount/value" in "\n".join(verdict[1])


@pytest.mark.parametrize("value", ["12.0", "1.2e1", "12E0", "1200e-2"])
def test_a_whole_number_written_as_a_real_is_an_integer(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    before = _verdict(corpus, "before.duckdb")
    assert isinstance(before, dict)
    _edit_text(
        corpus, PAGE, lambda t: t.replace('"output_tokens": 912', f'"output_tokens": {value}')
    )
    report = _both(corpus, monkeypatch)
    assert isinstance(report, dict)

    def tokens(r: dict[str, Any]) -> Any:
        return r["endpoints"]["usage_completions"]["scenarios"]["basic"]["counters"][
            "output_tokens"
        ]

    assert tokens(report) == tokens(before) - 912 + 12


def test_a_page_followed_by_a_second_value(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    _edit_text(corpus, PAGE, lambda t: t + '{"object": "page"}\n')
    _refused(_both(corpus, monkeypatch), "MalformedJSONError", "Extra data")


def test_a_string_that_looks_like_json_is_a_string(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    _first_result(corpus, PAGE, {"model": "{not json}", "service_tier": "[x]"})
    assert isinstance(_both(corpus, monkeypatch), dict)


def test_control_characters_escaped_and_raw(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    _first_result(corpus, PAGE, {"model": 'tab\there \u00e9 \u2028 "quoted" back\\slash'})
    assert isinstance(_both(corpus, monkeypatch), dict)
    _edit_text(corpus, PAGE, lambda t: t.replace("tab\\there", "tab\there", 1))  # a raw tab
    _refused(_both(corpus, monkeypatch), "MalformedJSONError", "Invalid control character")


@pytest.mark.parametrize("shift", ["", "a"])
def test_a_duplicate_name_beside_non_ascii_text(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, shift: str
) -> None:
    """Found by the fuzzer: DuckDB quotes the object in its error, cut inside a UTF-8
    character, and the Python client raised UnicodeDecodeError (exit 2, a "defect"). The
    two shifts put the cut on either byte of a two-byte character."""
    body = corpus.read(PAGE)
    first = body["data"][0]["results"][0]
    text = json.dumps(
        {"model": shift + "é" * 60, **{k: v for k, v in first.items() if k != "model"}}
    )
    text = text[:-1] + ', "output_tokens": 1}'
    page = json.dumps(body).replace(json.dumps(first), text, 1)
    corpus.page(PAGE).write_text(page)
    corpus.rehash()
    _refused(_both(corpus, monkeypatch), "MalformedJSONError", "duplicate name")


def _group_by_unknown(corpus: Corpus, values: list[Any]) -> None:
    """Ask usage_completions/basic for a grouping the registry has never seen, ``region``;
    its two results (exact duplicates before) then differ only in it."""
    request = corpus.fixtures / "usage_completions" / "basic" / "request.json"
    body = json.loads(request.read_text())
    body["query"]["group_by"] = ["project_id", "model", "region"]
    request.write_text(json.dumps(body))
    page = corpus.read(PAGE)
    for result, value in zip(page["data"][0]["results"], values, strict=True):
        result["region"] = value
    corpus.write(PAGE, 1, page)


def test_a_group_by_dimension_the_registry_has_never_seen_keeps_rows_apart(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No silent loss: the unknown dimension goes into extra_dimensions, part of the key, so
    both rows are stored (not merged as duplicates), alike on both engines."""
    _group_by_unknown(corpus, ["eu", "us"])
    report = _both(corpus, monkeypatch)
    assert isinstance(report, dict)
    entry = report["endpoints"]["usage_completions"]
    assert entry["scenarios"]["basic"]["totalDedupedEvents"] == 2
    assert entry["scenarios"]["basic"]["exactDuplicates"] == 0
    assert entry["scenarios"]["basic"]["counters"]["input_tokens"] == 2 * 2849
    assert entry["unknownFields"] == ["results[].region"]
    extras = sorted(
        e.get("extraDimensions") for e in report["dedupedUsage"] if e.get("extraDimensions")
    )
    assert extras == ['{"region":"eu"}', '{"region":"us"}']
    with duckdb.connect(str(corpus.root / "default.duckdb"), read_only=True) as con:
        stored = con.execute(
            "SELECT extra_dimensions FROM usage_completions WHERE source_scenario = 'basic' "
            "ORDER BY 1"
        ).fetchall()
    assert stored == [('{"region":"eu"}',), ('{"region":"us"}',)]


@pytest.mark.parametrize("value", [{"code": "eu"}, ["eu"]])
def test_a_group_by_dimension_the_registry_has_never_seen_holding_an_object(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, value: Any
) -> None:
    _group_by_unknown(corpus, [value, "us"])
    _refused(_both(corpus, monkeypatch), "SchemaError", "'region'", "/data/0/results/0/region")


def test_a_value_nested_ten_thousand_levels_deep(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python's parser gives up on such a text with RecursionError: a malformed page naming
    its file (exit 1), not a harness defect (exit 2)."""
    deep = "[" * 10_000 + "]" * 10_000
    _edit_text(corpus, PAGE, lambda t: t.replace('"service_tier": null', f'"zz": {deep}', 1))
    _refused(_both(corpus, monkeypatch), "MalformedJSONError", "nested too deeply")
