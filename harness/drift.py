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


def drift(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> dict[str, dict[str, Any]]:
    """The drift object of ``endpoint`` from its staged rows, by field name."""
    table = staged_table(endpoint)
    selects = ["count(*)", f"count({_EXTRA})"]
    for f in endpoint.fields:
        if endpoint.bucketed and f in endpoint.dimensions:
            grouped = f"list_contains(string_split(group_by, ','), {_literal(f.name)})"
            selects.append(f"count(*) FILTER (WHERE {grouped})")
        else:
            selects.append("count(*)")
        selects.append(f"count({_column(f)})")
        if f.known:
            documented = ", ".join(_literal(v) for v in f.known)
            selects.append(
                f"list_sort(list_distinct(list({f.name}) FILTER (WHERE {f.name} IS NOT NULL "
                f"AND {f.name} NOT IN ({documented}))))[1:{MOST_VALUES}]"
            )
    row = con.execute(f"SELECT {', '.join(selects)} FROM {table}").fetchone()
    assert row is not None
    total, with_extra, figures = int(row[0]), int(row[1]), iter(row[2:])
    found: dict[str, dict[str, Any]] = {}
    for f in endpoint.fields:
        rows, non_null = int(next(figures)), int(next(figures))
        unknown = [str(v) for v in next(figures) or []] if f.known else []
        if (rows and not non_null) or unknown:
            found[f.name] = {"rows": rows, "nonNull": non_null, "unknownValues": unknown}
    if with_extra:
        for name, count in con.execute(
            f"SELECT k, count(*) FROM (SELECT unnest(json_keys({_EXTRA})) AS k FROM {table} "
            f"WHERE {_EXTRA} IS NOT NULL) GROUP BY k ORDER BY k"
        ).fetchall():
            found[str(name)] = {"rows": total, "nonNull": int(count), "unknownValues": []}
    return dict(sorted(found.items()))
