"""Named integrity checks: foreign keys and key uniqueness as SQL, plus the fail-fast project check.

Each dangling reference becomes a ``relationshipIssues`` entry naming kind, id, endpoint,
scenario, page, bucket and result. A reference whose target endpoint has no rows at all (the
corpus holds no such fixtures) cannot be checked and is reported as unverifiable instead; the
project directory is always required.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from .endpoints import REGISTRY, Endpoint, Reference
from .errors import DatabaseError
from .models import Event
from .store.ingest import staged_table

ALWAYS_REQUIRED = {"projects"}


def _issue(
    kind: str,
    ident: Any,
    endpoint: str,
    scenario: str,
    page: str,
    bucket: int | None,
    result: int,
    field: str,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": ident,
        "endpoint": endpoint,
        "scenario": scenario,
        "page": page,
        "bucketIndex": bucket,
        "resultIndex": result,
        "field": field,
    }


def unknown_projects(events: Iterable[Event], project_ids: set[str]) -> list[dict[str, Any]]:
    """Fail-fast, before ingest: usage/cost rows naming a project missing from the fixtures."""
    issues = []
    for e in events:
        value = e.key.get("project_id")
        if value is not None and value not in project_ids and REGISTRY[e.endpoint].bucketed:
            loc = e.location
            issues.append(
                _issue(
                    "unknown_project",
                    value,
                    loc.endpoint,
                    loc.scenario,
                    loc.page,
                    loc.bucket_index,
                    loc.result_index,
                    "project_id",
                )
            )
    return sort_issues(issues)


def sort_issues(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        issues,
        key=lambda i: (
            i["endpoint"],
            i["scenario"],
            i["page"],
            i["bucketIndex"] or 0,
            i["resultIndex"],
            i["kind"],
        ),
    )


def _row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _dangling_sql(endpoint: Endpoint, ref: Reference) -> str:
    target = REGISTRY[ref.target]
    match = f"t.id = s.{ref.field}"
    if ref.same_project and target.per_project:
        match += " AND (s.project_id IS NULL OR t.project_id = s.project_id)"
    return (
        f"SELECT s.{ref.field}, s.source_scenario, s.source_page, s.bucket_index, s.result_index "
        f"FROM {staged_table(endpoint)} s WHERE s.{ref.field} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {target.table} t WHERE {match})"
    )


def relationship_issues(
    con: duckdb.DuckDBPyConnection, staged: Iterable[Endpoint]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(issues, unverifiable) for every reference of every staged endpoint."""
    issues: list[dict[str, Any]] = []
    unverifiable: list[dict[str, Any]] = []
    for endpoint in staged:
        for ref in endpoint.references:
            target = REGISTRY[ref.target]
            if target.name not in ALWAYS_REQUIRED and _row_count(con, target.table) == 0:
                count_row = con.execute(
                    f"SELECT count(*) FROM {staged_table(endpoint)} WHERE {ref.field} IS NOT NULL"
                ).fetchone()
                count = int(count_row[0]) if count_row else 0
                if count:
                    unverifiable.append(
                        {
                            "kind": ref.kind,
                            "endpoint": endpoint.name,
                            "field": ref.field,
                            "count": count,
                            "reason": f"no {target.name} fixtures were loaded",
                        }
                    )
                continue
            for ident, scenario, page, bucket, result in con.execute(
                _dangling_sql(endpoint, ref)
            ).fetchall():
                issues.append(
                    _issue(
                        ref.kind, ident, endpoint.name, scenario, page, bucket, result, ref.field
                    )
                )
    return sort_issues(issues), unverifiable


def duplicate_keys(con: duckdb.DuckDBPyConnection, endpoints: Iterable[Endpoint]) -> None:
    """No index enforces key uniqueness, so prove it: any duplicate is a database defect."""
    for endpoint in endpoints:
        row = con.execute(
            f"SELECT count(*) FROM (SELECT dedupe_key FROM {endpoint.table} "
            "GROUP BY dedupe_key HAVING count(*) > 1)"
        ).fetchone()
        if row and row[0]:
            raise DatabaseError(
                f"table {endpoint.table} holds {row[0]} duplicated dedupe keys",
                hint="the database was written outside harness; rebuild it from the fixtures",
            )
