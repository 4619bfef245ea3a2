"""Differential fuzzing of the two engines at their seam: one endpoint's page bytes in, a
verdict and staged rows out.

Valid pages of every usage endpoint and costs are built from the registry, then mutated: a
field's value swapped for another JSON type (a string, an integer, ``12.0``, ``1e3``, a numeric
string, true/false, null, an object, an array), a field removed, an unknown field of any type
added, grammar faults (a byte-order mark, a comment, trailing commas, ``NaN``/``Infinity``, a
lone surrogate, a duplicate name, a raw control character, a second value, a cut-off text),
escapes and unusual whitespace. One to three mutations land in one file, and mutations spread
over the files of one endpoint's read.

Each case goes through the SQL engine as staging runs it (the strict decode of each page, then
``stage.start`` and ``stage.settle``) and through the reference engine alone. They disagree when
the SQL engine stores a case the reference refuses, or stores other rows or figures than the
reference does, or fails with anything but ``Declined``. (When the SQL engine declines, the
default engine's verdict is the reference's by construction.)

Used by ``tests/test_fuzz.py`` (a short sample in the gate) and ``bench/fuzz_bench.py``.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from harness import fixtures
from harness.endpoints import ENDPOINTS, Endpoint
from harness.engines.reference import stage as reference
from harness.engines.sql import stage as sql
from harness.engines.sql.checks import examine, refused
from harness.engines.sql.read import Declined
from harness.engines.sql.validate import PageValidator
from harness.errors import HarnessError
from harness.pipeline import SNAPSHOT_NOW
from harness.stats import EndpointStats, ScenarioRun
from harness.store import workspace

DAY, START = 86400, 1759104000
BUCKETED = [e for e in ENDPOINTS if e.bucketed]


class Pairs(list[tuple[str, Any]]):
    """A JSON object as its members in order: it can hold a name twice."""


@dataclass(frozen=True)
class Raw:
    """A token written as it is (``1e3``, ``NaN``, ``-0``, ``012``)."""

    text: str


@dataclass
class Style:
    """How a text is laid out: what goes around colons and commas, and string escapes."""

    colon: str = ": "
    comma: str = ", "
    indent: str | None = None
    escape_unicode: bool = False
    escape_slash: bool = False


def dump(value: Any, style: Style, depth: int = 0) -> str:
    """``value`` as JSON text in ``style``; Pairs and Raw as they are."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        value = Pairs(value.items())
    if isinstance(value, Pairs | list):
        is_object = isinstance(value, Pairs)
        parts = [
            f"{dump(k, style)}{style.colon}{dump(v, style, depth + 1)}"
            if is_object
            else dump(v, style, depth + 1)
            for k, v in (value if is_object else [(None, v) for v in value])
        ]
        open_, close = "{}" if is_object else "[]"
        if style.indent is not None and parts:
            inner = "\n" + style.indent * (depth + 1)
            return open_ + inner + ("," + inner).join(parts) + "\n" + style.indent * depth + close
        return open_ + style.comma.join(parts) + close
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=style.escape_unicode)
        return text.replace("/", "\\/") if style.escape_slash else text
    return json.dumps(value)


# --- valid pages, from the registry -------------------------------------------------------


def _value(f: Any, rng: random.Random) -> Any:
    if f.type == "money":
        return {"value": rng.choice([0.5, 1, 0.003918, 12.25, 0]), "currency": "usd"}
    if f.type in ("integer", "timestamp"):
        return rng.choice([0, 1, 7, 2849, 10**6])
    if f.type == "boolean":
        return rng.choice([True, False])
    if f.type == "number":
        return rng.choice([1, 2.5, 1000])
    return rng.choice(["proj_abc123", "gpt-4o", "user-1", "é ü", "x"])


def valid_result(endpoint: Endpoint, rng: random.Random) -> Pairs:
    result = Pairs([("object", endpoint.object)])
    for f in endpoint.fields:
        if f.aliases:
            result.append((rng.choice((f.name, *f.aliases)), _value(f, rng)))
        elif f.required or rng.random() < 0.7:
            null = f.nullable and rng.random() < 0.3
            result.append((f.name, None if null else _value(f, rng)))
    rng.shuffle(result)
    return result


def valid_pages(endpoint: Endpoint, rng: random.Random, n_pages: int) -> list[Pairs]:
    pages = []
    for n in range(n_pages):
        more = n < n_pages - 1
        buckets = [
            Pairs(
                [
                    ("object", "bucket"),
                    ("start_time", START + (n * 2 + b) * DAY),
                    ("end_time", START + (n * 2 + b + 1) * DAY),
                    ("results", [valid_result(endpoint, rng) for _ in range(rng.randint(0, 3))]),
                ]
            )
            for b in range(2)
        ]
        pages.append(
            Pairs(
                [
                    ("object", "page"),
                    ("data", buckets),
                    ("has_more", more),
                    ("next_page", f"page_{n + 2}" if more else None),
                ]
            )
        )
    return pages


def request(endpoint: Endpoint, n_pages: int) -> dict[str, Any]:
    return {
        "method": "GET",
        "path": endpoint.api_path,
        "query": {
            "start_time": START,
            "end_time": START + 2 * n_pages * DAY,
            "bucket_width": "1d",
            "group_by": [d.name for d in endpoint.dimensions if d.name != "batch"],
            "limit": 2,
        },
        "description": "a fuzz case",
        "source": "synthesized",
        "recorded_at": "2025-09-30T06:00:00Z",
    }


# --- mutations ------------------------------------------------------------------------------

# Values of every JSON type, and the ways a number can be written.
SWAPS: list[Any] = [
    "text",
    "12",
    "",
    12,
    -3,
    Raw("12.0"),
    Raw("1e3"),
    Raw("1E+2"),
    Raw("2849.5"),
    Raw("-0"),
    2**63,
    2**53 + 1,
    Raw("1e400"),
    True,
    False,
    None,
    Pairs(),
    Pairs([("value", 1), ("currency", "usd")]),
    [],
    [1, "a"],
    "{looks like json}",
    "[x]",
]


def _swap(rng: random.Random) -> Any:
    """A value of SWAPS, copied: an object or array placed twice must not be shared (a later
    mutation would then reach both, or the object itself)."""
    return copy.deepcopy(rng.choice(SWAPS))


def _objects(value: Any, depth: int = 0) -> Iterator[tuple[Pairs, int]]:
    """Every object inside ``value``, with its depth (page 0, bucket 2, result 4, money 5)."""
    if isinstance(value, Pairs):
        yield value, depth
        for _, v in value:
            yield from _objects(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _objects(v, depth + 1)


def _pick(page: Pairs, rng: random.Random) -> Pairs:
    objects = [o for o, _ in _objects(page)]
    deepest = [o for o, d in _objects(page) if d >= 4] or objects  # mostly results
    return rng.choice(deepest if rng.random() < 0.7 else objects)


def swap_type(page: Pairs, rng: random.Random) -> str:
    obj = _pick(page, rng)
    if not obj:
        return "swap: empty object"
    i = rng.randrange(len(obj))
    new = _swap(rng)
    obj[i] = (obj[i][0], new)
    return f"swap {obj[i][0]} -> {new!r}"


def remove_field(page: Pairs, rng: random.Random) -> str:
    obj = _pick(page, rng)
    if not obj:
        return "remove: empty object"
    name, _ = obj.pop(rng.randrange(len(obj)))
    return f"remove {name}"


def unknown_field(page: Pairs, rng: random.Random) -> str:
    obj = _pick(page, rng)
    value = _swap(rng)
    obj.insert(rng.randrange(len(obj) + 1), ("surprise_" + rng.choice("abc"), value))
    return f"unknown field = {value!r}"


def duplicate_name(page: Pairs, rng: random.Random) -> str:
    obj = _pick(page, rng)
    if not obj:
        return "duplicate: empty object"
    name, value = obj[rng.randrange(len(obj))]
    other = copy.deepcopy(value) if rng.random() < 0.5 else _swap(rng)
    obj.insert(rng.randrange(len(obj) + 1), (name, other))
    return f"duplicate {name}"


def escape_string(page: Pairs, rng: random.Random) -> str:
    obj = _pick(page, rng)
    strings = [i for i, (_, v) in enumerate(obj) if isinstance(v, str)]
    if not strings:
        return "escape: no string"
    i = rng.choice(strings)
    text = rng.choice(
        ["\\ud800", "x\\udc00", "\\ud83d\\ude00", "\\u0041\\u00e9", "tab\\tnew\\nline", 'q\\"q']
    )
    obj[i] = (obj[i][0], Raw(f'"{text}"'))
    return f"escape {obj[i][0]} = {text}"


STRUCTURAL: list[Callable[[Pairs, random.Random], str]] = [
    swap_type,
    swap_type,
    remove_field,
    unknown_field,
    duplicate_name,
    escape_string,
]


def _text_fault(text: str, rng: random.Random) -> tuple[str, str]:
    """A grammar fault or a formatting oddity in the text of one page."""
    kind = rng.randrange(10)
    if kind == 0:
        return "\ufeff" + text, "byte-order mark"
    if kind == 1:
        at = [i for i, c in enumerate(text) if c in "}]"]
        if not at:
            return text, "no bracket"
        i = rng.choice(at)
        return text[:i] + "," + text[i:], "trailing comma"
    if kind == 2:
        return text.replace(",", ", /* c */", 1), "comment"
    if kind == 3:
        digits = [i for i in range(1, len(text)) if text[i].isdigit() and text[i - 1] in " :["]
        if digits:
            i = rng.choice(digits)
            end = i
            while end < len(text) and (text[end].isdigit() or text[end] in ".eE+-"):
                end += 1
            token = rng.choice(["NaN", "Infinity", "-Infinity", "012", "+1", ".5", "0x1F"])
            return text[:i] + token + text[end:], f"number written {token}"
        return text, "no number"
    if kind == 4:
        return text[: rng.randrange(1, max(len(text), 2))], "cut off"
    if kind == 5:
        return text + rng.choice([' {"object": "page"}', " 1", " x"]), "a second value"
    if kind == 6:
        quotes = [i for i, c in enumerate(text) if c == '"']
        if not quotes:
            return text, "no string"
        i = rng.choice(quotes)
        return text[: i + 1] + rng.choice(["\t", "\x01", "\n"]) + text[i + 1 :], "raw control"
    if kind == 7:
        return text.replace('"', "'", 2), "single quotes"
    if kind == 8:
        return text.replace(":", " : ", 3).replace(",", "\r\n\t,", 3), "odd whitespace"
    return rng.choice(["\n", " ", "\r\n", "\t"]) + text + "\n\n", "surrounding whitespace"


@dataclass
class Case:
    endpoint: Endpoint
    pages: list[bytes]
    request: dict[str, Any]
    mutations: list[str] = field(default_factory=list)


def make_case(rng: random.Random) -> Case:
    endpoint = rng.choice(BUCKETED)
    n_pages = rng.randint(1, 3)
    pages = valid_pages(endpoint, rng, n_pages)
    mutations: list[str] = []
    faults_in_text: dict[int, int] = {}
    for _ in range(rng.randint(1, 3)):
        n = rng.randrange(n_pages)
        if rng.random() < 0.7:
            mutations.append(f"page {n + 1}: {rng.choice(STRUCTURAL)(pages[n], rng)}")
        else:
            faults_in_text[n] = faults_in_text.get(n, 0) + 1
    texts = []
    for n, page in enumerate(pages):
        style = Style(
            colon=rng.choice([": ", ":", " : ", ":\t"]),
            comma=rng.choice([", ", ",", ",\n", " ,\r\n"]),
            indent=rng.choice([None, None, "  ", "\t"]),
            escape_unicode=rng.random() < 0.2,
            escape_slash=rng.random() < 0.1,
        )
        text = dump(page, style)
        for _ in range(faults_in_text.get(n, 0)):
            text, what = _text_fault(text, rng)
            mutations.append(f"page {n + 1}: {what}")
        texts.append(text.encode("utf-8", "surrogatepass"))
    return Case(endpoint, texts, request(endpoint, n_pages), mutations)


# --- the seam -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one engine made of a case: a verdict, and on a pass the rows and figures."""

    verdict: str  # "stored", "declined" (SQL only), or the error class
    problems: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    figures: tuple[Any, ...] = ()


def _figures(stats: EndpointStats, runs: list[ScenarioRun]) -> tuple[Any, ...]:
    """What the report is built from: the endpoint's statistics and its scenario runs."""
    return (
        stats.deduped,
        stats.duplicates,
        stats.counters,
        stats.conflicts,
        stats.scenarios,
        [(r.scenario.id, r.raw_events, r.buckets, r.chain, r.unknown_fields) for r in runs],
    )


class Seam:
    """Both engines on one endpoint's pages, in one process: a corpus folder and a workspace
    per engine, reused from case to case."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="harness-fuzz-"))
        self.sql = workspace()
        self.reference = workspace()
        self.now: datetime = SNAPSHOT_NOW

    def close(self) -> None:
        self.sql.close()
        self.reference.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def _write(self, case: Case) -> list[Any]:
        fixtures_dir = self.root / "fixtures"
        shutil.rmtree(fixtures_dir, ignore_errors=True)
        folder = fixtures_dir / case.endpoint.name / "case"
        folder.mkdir(parents=True)
        (folder / "request.json").write_text(json.dumps(case.request))
        for n, data in enumerate(case.pages, start=1):
            (folder / f"page-{n:03d}.json").write_bytes(data)
        return fixtures.discover(fixtures_dir)

    def run_sql(self, case: Case, scenarios: list[Any]) -> Outcome:
        validator = PageValidator(scenarios)
        files = [str(p) for p in scenarios[0].page_files]
        for path in scenarios[0].page_files:
            data = bytearray(path.read_bytes())
            validator(path, data, len(data))
        # settle() declines on what the strict decode refused and the reference validator
        # faults, whatever start() found: asking first skips DuckDB's read for such cases.
        try:
            examine(case.endpoint, scenarios, refused(case.endpoint, files, validator))
            result = sql.start(self.sql, case.endpoint, scenarios, self.now)
        except Declined:
            return Outcome("declined")
        try:
            sql.settle(self.sql, result, validator)
        except Declined:
            sql.discard(self.sql, case.endpoint, result.schema)
            return Outcome("declined")
        rows = self._rows(self.sql, case.endpoint)
        sql.discard(self.sql, case.endpoint, result.schema)
        return Outcome("stored", rows=rows, figures=_figures(result.stats, result.runs))

    def run_reference(self, case: Case, scenarios: list[Any]) -> Outcome:
        try:
            staged = reference.stage(self.reference, reference.load(scenarios), self.now)
        except HarnessError as exc:
            return Outcome(exc.error_class, tuple(p.render() for p in exc.problems))
        rows = self._rows(self.reference, case.endpoint)
        for table in (f"staged_{case.endpoint.name}", "staged_projects"):
            self.reference.execute(f"DROP TABLE IF EXISTS {table}")
        stats = staged.stats[case.endpoint.name]
        return Outcome("stored", rows=rows, figures=_figures(stats, staged.runs))

    @staticmethod
    def _rows(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> tuple[tuple[Any, ...], ...]:
        columns = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                "AND column_name NOT IN ('stage_row') ORDER BY column_name",
                [f"staged_{endpoint.name}"],
            ).fetchall()
        ]
        query = f"SELECT {', '.join(columns)} FROM staged_{endpoint.name} ORDER BY ALL"
        return tuple(con.execute(query).fetchall())

    def compare(self, case: Case) -> tuple[Outcome, Outcome, str | None]:
        """(SQL outcome, reference outcome, the disagreement or None)."""
        scenarios = self._write(case)
        reference_outcome = self.run_reference(case, scenarios)
        try:
            sql_outcome = self.run_sql(case, scenarios)
        except Exception as exc:  # anything but Declined is an engine defect
            return (
                Outcome(type(exc).__name__, (str(exc),)),
                reference_outcome,
                f"SQL raised {exc!r}",
            )
        if sql_outcome.verdict == "declined":
            return sql_outcome, reference_outcome, None
        if reference_outcome.verdict != "stored":
            return (
                sql_outcome,
                reference_outcome,
                (f"SQL stored what the reference refuses: {reference_outcome.problems}"),
            )
        if sql_outcome.rows != reference_outcome.rows:
            return sql_outcome, reference_outcome, "different rows"
        if sql_outcome.figures != reference_outcome.figures:
            return sql_outcome, reference_outcome, "different figures"
        return sql_outcome, reference_outcome, None


@dataclass
class Summary:
    cases: int = 0
    stored: int = 0  # both stored, alike
    declined: int = 0  # the SQL engine deferred to the reference
    refused: int = 0  # both refused (the SQL engine by declining)
    seconds: float = 0.0
    disagreements: list[tuple[Case, str]] = field(default_factory=list)

    def line(self) -> str:
        rate = self.cases / self.seconds if self.seconds else 0.0
        return (
            f"{self.cases} cases in {self.seconds:.1f} s ({rate:.0f}/s): {self.stored} stored "
            f"alike, {self.refused} refused alike, {self.declined - self.refused} accepted by "
            f"the reference after the SQL engine declined; "
            f"{len(self.disagreements)} disagreements"
        )


def run(seed: int, *, cases: int | None = None, seconds: float | None = None) -> Summary:
    """Fuzz until ``cases`` cases or ``seconds`` have passed."""
    rng = random.Random(seed)
    seam = Seam()
    summary = Summary()
    started = time.perf_counter()
    try:
        while True:
            if cases is not None and summary.cases >= cases:
                break
            if seconds is not None and time.perf_counter() - started >= seconds:
                break
            case = make_case(rng)
            sql_outcome, reference_outcome, problem = seam.compare(case)
            summary.cases += 1
            if problem is not None:
                summary.disagreements.append((case, problem))
            elif sql_outcome.verdict == "stored":
                summary.stored += 1
            else:
                summary.declined += 1
                if reference_outcome.verdict != "stored":
                    summary.refused += 1
    finally:
        summary.seconds = time.perf_counter() - started
        seam.close()
    return summary
