"""The SQL engine's checks on ``fp_all``: the schema rules the typed read cannot see, page
chains and bucket windows, and the pages the strict decode (``validate.py``) did not vouch for.

Twin of the reference engine's use of ``schema.py`` and ``chains.py``: on anything wrong these
raise ``Declined``, and the reference engine then names each problem with its file and pointer.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ... import chains, fixtures, schema
from ...endpoints import Endpoint
from ...errors import HarnessError
from ...models import Page, Scenario, extra_fields
from ...store.connection import one
from .read import Declined
from .validate import Extras, ExtraTexts, PageValidator


def one_page_per_file(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The page files of the read; raises Declined on a file that did not read as exactly one
    page (the strict decode refuses it too: this only keeps the read honest)."""
    # Grouped by the integer file id, then named: grouping by the file name cost twice as much.
    rows = con.execute(
        "SELECT m.filename, coalesce(pages, 0) FROM fp_meta m LEFT JOIN (SELECT file_id, "
        "count(*) FILTER (WHERE bucket_index = 0 AND result_index = 0) AS pages "
        "FROM fp_all GROUP BY file_id) USING (file_id)"
    ).fetchall()
    for filename, pages in rows:
        if pages != 1:
            raise Declined(f"{filename}: not exactly one JSON value")
    return sorted(str(r[0]) for r in rows)


def refused(endpoint: Endpoint, files: list[str], validator: PageValidator) -> list[str]:
    """The files the strict decode did not vouch for (validate.py)."""
    return [f for f in files if validator.verdict(endpoint, f) is not None]


def examine(
    endpoint: Endpoint,
    scenarios: list[Scenario],
    suspects: list[str],
    texts: ExtraTexts | None = None,
) -> tuple[dict[str, set[str]], dict[str, Extras]]:
    """The reference validator on the files the strict decode did not vouch for: their unknown
    fields by scenario, and their results' extra_fields by file (texts in ``texts``); raises
    Declined on any problem there (the reference engine then explains it)."""
    texts = texts or ExtraTexts()
    owner = {str(path): (s, n) for s in scenarios for n, path in enumerate(s.page_files, 1)}
    found: dict[str, set[str]] = {}
    extras: dict[str, Extras] = {}
    known = schema.known_keys(endpoint)
    for filename in suspects:
        s, n = owner[filename]
        try:
            page = Page(n, Path(filename), fixtures.read_json(Path(filename)))
        except HarnessError as exc:
            raise Declined(f"{filename}: {exc}") from exc
        if schema.page_problems(endpoint, page, f"{s.id}/{page.name}"):
            raise Declined(f"{filename}: schema errors")
        found.setdefault(s.name, set()).update(schema.unknown_fields(endpoint, page))
        extras[filename] = found_here = Extras()
        for b, bucket in enumerate(page.body["data"]):
            for r, result in enumerate(bucket["results"]):
                extra = extra_fields(result, known, None)
                if extra is not None:
                    found_here.add(b, r, r, texts.code(extra))
    return found, extras


def page_chains(
    con: duckdb.DuckDBPyConnection, scenarios: list[Scenario]
) -> dict[str, tuple[chains.ChainResult, int]]:
    """Envelopes through the reference chain check; bucket windows checked in SQL alike."""
    rows = con.execute(
        "SELECT m.filename, a.page_object, a.has_more, a.next_page, a.buckets FROM fp_all a "
        "JOIN fp_meta m USING (file_id) WHERE bucket_index = 0 AND result_index = 0"
    ).fetchall()
    by_file = {r[0]: r for r in rows}
    out: dict[str, tuple[chains.ChainResult, int]] = {}
    for s in scenarios:
        pages = []
        for n, path in enumerate(s.page_files, start=1):
            _, page_object, has_more, next_page, buckets = by_file[str(path)]
            body = {
                "object": page_object,
                "has_more": has_more == "true",
                "next_page": next_page,
                "data": [None] * buckets,
            }
            pages.append(Page(n, path, body))
        result = chains.check_chain(s, pages, windows=False)
        if result.problems:
            raise Declined(f"{s.id}: page chain problems")
        out[s.name] = (result, sum(len(p.body["data"]) for p in pages))
    windows(con)
    return out


def windows(con: duckdb.DuckDBPyConnection) -> None:
    """chains._bucket_windows in SQL: ordered, contiguous, aligned, clipped only at the ends."""
    row = one(
        con.execute(
            "WITH b AS (SELECT m.sid, m.page_no, a.bucket_index AS bi, m.req_start, m.req_end, "
            "m.width, a.window_start AS s, a.window_end AS e FROM fp_all a "
            "JOIN fp_meta m USING (file_id) WHERE a.result_index = 0 AND NOT a.bnull), "
            # One ordering serves both neighbours; a bucket's window is never NULL here (the
            # read flags that), so a NULL neighbour marks the first or the last bucket.
            "n AS (SELECT *, lag(e) OVER w AS prev_end, lead(s) OVER w AS next_start FROM b "
            "WINDOW w AS (PARTITION BY sid ORDER BY page_no, bi)), "
            "c AS (SELECT *, prev_end IS NULL AND s = req_start AS clip_s, "
            "next_start IS NULL AND (req_end IS NULL OR e = req_end) AS clip_e FROM n) "
            "SELECT count(*) FROM c WHERE e <= s OR (prev_end IS NOT NULL AND s <> prev_end) "
            "OR (req_start IS NOT NULL AND s < req_start) "
            "OR (req_end IS NOT NULL AND e > req_end) OR (s % width <> 0 AND NOT clip_s) "
            "OR (e % width <> 0 AND NOT clip_e) OR e - s > width "
            "OR (e - s <> width AND NOT (clip_s OR clip_e))"
        )
    )
    if row and row[0]:
        raise Declined(f"{row[0]} buckets break the window rules")


def schema_rules(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> None:
    """Values of a type the schema forbids, and what typing cannot see: consts, required
    fields, counters >= 0."""
    checks = ["bad", f"is_result AND result_object IS DISTINCT FROM '{endpoint.object}'"]
    for f in endpoint.counters:
        if f.type == "money":
            continue  # value and currency are each optional
        checks.append(f"{f.name} < 0")
        if f.required or f.aliases:
            checks.append(f"is_result AND {f.name} IS NULL")
    row = one(
        con.execute(f"SELECT count(*) FROM fp_all WHERE {' OR '.join(f'({c})' for c in checks)}")
    )
    if row and row[0]:
        raise Declined(f"{row[0]} results break the schema")
