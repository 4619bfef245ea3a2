"""API drift: what the staged rows say about fields the registry expects and the API sends.

One function for both engines: it reads the staged relation (``staged_<endpoint>``), which both
leave identical, so the ``drift`` object of the report cannot tell which engine ran.

For each field of an endpoint, ``rows`` counts the stored rows in which it can hold a value
(every row; for a usage or costs dimension, the rows whose capture grouped by it), ``nonNull``
those in which it does, and ``unknownValues`` the values outside the ones the registry
documents (``Field.known``), sorted, at most ``MOST_VALUES``. A field is listed when it drifts:

- the registry does not know it (it arrived in ``extra_fields``);
- it is null on every row that could hold it (the API may have renamed or dropped it);
- it holds a value the registry does not document (a new role, region or event type).
"""

from __future__ import annotations

from typing import Any

import duckdb

from .endpoints import Endpoint, Field
from .store.ingest import staged_table

MOST_VALUES = 20
_EXTRA = "extra_fields"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _column(f: Field) -> str:
    return f"{f.name}_value" if f.type == "money" else f.name


def _figures(endpoint: Endpoint) -> str:
    """One struct of an endpoint's figures: c0 rows, c1 rows with extra_fields, then per field
    its rows, its non-null rows and (for documented values) the undocumented ones."""
    parts = ["count(*)", f"count({_EXTRA})"]
    for f in endpoint.fields:
        if endpoint.bucketed and f in endpoint.dimensions:
            grouped = f"list_contains(string_split(group_by, ','), {_literal(f.name)})"
            parts.append(f"count(*) FILTER (WHERE {grouped})")
        else:
            parts.append("count(*)")
        parts.append(f"count({_column(f)})")
        if f.known:
            documented = ", ".join(_literal(v) for v in f.known)
            parts.append(
                f"list_sort(list_distinct(list({f.name}) FILTER (WHERE {f.name} IS NOT NULL "
                f"AND {f.name} NOT IN ({documented}))))[1:{MOST_VALUES}]"
            )
    fields = ", ".join(f"c{n} := {part}" for n, part in enumerate(parts))
    return f"(SELECT struct_pack({fields}) FROM {staged_table(endpoint)})"


def drift(
    con: duckdb.DuckDBPyConnection, endpoints: list[Endpoint]
) -> dict[str, dict[str, dict[str, Any]]]:
    """The drift object of each of ``endpoints`` from its staged rows, by endpoint and field:
    one query for all of them (a query each cost more than the figures)."""
    if not endpoints:
        return {}
    row = con.execute(f"SELECT {', '.join(_figures(e) for e in endpoints)}").fetchone()
    assert row is not None
    return {
        e.name: _drift(con, e, list(figures.values()))
        for e, figures in zip(endpoints, row, strict=True)
    }


def _drift(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint, figures: list[Any]
) -> dict[str, dict[str, Any]]:
    total, with_extra, rest = int(figures[0]), int(figures[1]), iter(figures[2:])
    found: dict[str, dict[str, Any]] = {}
    for f in endpoint.fields:
        rows, non_null = int(next(rest)), int(next(rest))
        unknown = [str(v) for v in next(rest) or []] if f.known else []
        if (rows and not non_null) or unknown:
            found[f.name] = {"rows": rows, "nonNull": non_null, "unknownValues": unknown}
    if with_extra:
        table = staged_table(endpoint)
        for name, count in con.execute(
            f"SELECT k, count(*) FROM (SELECT unnest(json_keys({_EXTRA})) AS k FROM {table} "
            f"WHERE {_EXTRA} IS NOT NULL) GROUP BY k ORDER BY k"
        ).fetchall():
            found[str(name)] = {"rows": total, "nonNull": int(count), "unknownValues": []}
    return dict(sorted(found.items()))
