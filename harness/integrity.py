"""Named integrity checks: foreign keys and key uniqueness as SQL, plus the fail-fast project check.

Each dangling reference becomes a ``relationshipIssues`` entry naming kind, id, endpoint,
scenario, page, bucket and result. A reference whose target endpoint has no rows at all (the
corpus holds no such fixtures) cannot be checked and is reported as unverifiable instead; the
project directory is always required.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from . import times
from .audit_types import DELETIONS
from .endpoints import REGISTRY, Endpoint, Reference, project_archived_sql
from .errors import ArgumentError, DatabaseError, PathError, Problem, RelationshipError
from .store.connection import location, one
from .store.ingest import staged_table
from .store.tables import key_columns, stored_columns

ALWAYS_REQUIRED = {"projects"}


@dataclass(frozen=True)
class Allowed:
    """An id known to be deleted: references to it are not issues. ``kind`` narrows the match."""

    id: str
    reason: str
    kind: str | None = None


def load_allow_list(path: Path) -> list[Allowed]:
    """Read ``[{"id": ..., "reason": ..., "kind": optional}, ...]``; every entry needs a reason."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PathError(f"cannot read allow-list {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ArgumentError(f"allow-list {path} is not JSON: {exc}") from exc
    hint = 'the allow-list is a JSON list of {"id": "...", "reason": "...", "kind": optional}'
    if not isinstance(entries, list):
        raise ArgumentError(f"allow-list {path} must be a JSON list", hint=hint)
    allowed = []
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("reason"):
            raise ArgumentError(f"allow-list {path} entry {n} needs an id and a reason", hint=hint)
        allowed.append(Allowed(str(entry["id"]), str(entry["reason"]), entry.get("kind")))
    return allowed


def apply_allow_list(
    issues: list[dict[str, Any]], allowed: list[Allowed]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split issues into (still issues, silenced by the allow-list with their reason)."""
    remaining, silenced = [], []
    for issue in issues:
        match = next(
            (a for a in allowed if a.id == issue["id"] and a.kind in (None, issue["kind"])), None
        )
        if match is None:
            remaining.append(issue)
        else:
            silenced.append(issue | {"reason": match.reason})
    return remaining, silenced


def audit_log_deletions(
    con: duckdb.DuckDBPyConnection, ids: Iterable[str], relation: str
) -> list[Allowed]:
    """Allow-list entries for the ``ids`` that a deletion event of the audit log (``relation``:
    the database's ``audit_logs``, or the workspace's staged rows) names as gone: a reference
    to them is explained, not an issue. The reason gives the earliest such event."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    types = ", ".join(f"'{t}'" for t in DELETIONS)
    rows = con.execute(
        "SELECT gone, epoch(effective_at)::BIGINT, id FROM (SELECT id, effective_at, "
        f"json_extract_string(payload, '$.id') AS gone FROM {relation} WHERE type IN ({types})) "
        "WHERE gone IN (SELECT unnest(?::VARCHAR[]))",
        [wanted],
    ).fetchall()
    first: dict[str, tuple[int, str]] = {}
    for gone, when, log_id in rows:
        first[gone] = min(first.get(gone, (when, log_id)), (when, log_id))
    return [
        Allowed(gone, f"deleted {times.day(when)} (audit log {log_id})")
        for gone, (when, log_id) in sorted(first.items())
    ]


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


def unknown_projects(
    con: duckdb.DuckDBPyConnection, staged: Iterable[Endpoint]
) -> list[dict[str, Any]]:
    """Fail-fast, before the database is attached: usage/cost rows naming a project missing
    from the projects fixtures (staged_projects in the workspace). reference_ids() must have
    run: the rows are searched only for a project id that is missing."""
    issues = []
    missing = "project_id IS NOT NULL AND project_id NOT IN (SELECT id FROM staged_projects)"
    named = [e for e in staged if e.bucketed and "project_id" in e.dimension_names]
    for endpoint, found in zip(named, _any_ids(con, [(e, missing) for e in named]), strict=True):
        if not found:
            continue
        rows = con.execute(
            f"SELECT project_id, source_scenario, source_page, bucket_index, result_index "
            f"FROM {staged_table(endpoint)} WHERE {missing} ORDER BY ALL"
        ).fetchall()
        issues += [
            _issue(
                "unknown_project",
                ident,
                endpoint.name,
                scenario,
                page,
                bucket,
                result,
                "project_id",
            )
            for ident, scenario, page, bucket, result in rows
        ]
    return sort_issues(issues)


def relationship_error(issues: list[dict[str, Any]], *, before_ingest: bool) -> RelationshipError:
    """The error a run with unresolved references fails with, a problem per issue."""
    problems = [
        Problem(
            f"{i['kind']}: {i['field']} {i['id']!r} does not resolve",
            file=f"{i['endpoint']}/{i['scenario']}/{i['page']}",
            page=i["page"],
            pointer=(
                f"/data/{i['bucketIndex']}/results/{i['resultIndex']}"
                if i["bucketIndex"] is not None
                else f"/data/{i['resultIndex']}"
            ),
        )
        for i in issues
    ]
    stage = "before ingest; the database was not touched" if before_ingest else "rolled back"
    return RelationshipError.of(
        problems,
        f"{{n}} unresolved references ({stage})",
        hint="add the missing entity to the directory fixtures (projects, users, keys, ...), "
        "or fix the id in the usage fixture",
    )


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


def _row_counts(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, int]:
    """Rows of each table, in one query."""
    names = sorted(tables)
    if not names:
        return {}
    row = one(con.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in names)))
    assert row is not None
    return {name: int(count) for name, count in zip(names, row, strict=True)}


def _dangling_where(endpoint: Endpoint, ref: Reference) -> str:
    """The rows ``s`` whose reference does not resolve (``s`` has the columns it names)."""
    target = REGISTRY[ref.target]
    match = f"t.id = s.{ref.field}"
    if ref.same_project and target.per_project:
        match += " AND (s.project_id IS NULL OR t.project_id = s.project_id)"
    where = f"s.{ref.field} IS NOT NULL"
    if ref.when is not None:
        where += f" AND s.{ref.when[0]} = '{ref.when[1]}'"
    return f"{where} AND NOT EXISTS (SELECT 1 FROM {target.table} t WHERE {match})"


def _dangling_sql(endpoint: Endpoint, ref: Reference) -> str:
    """The dangling rows, each with why it cannot be checked (NULL: it is an issue)."""
    excuses = []
    if REGISTRY[ref.target].archived_400 and endpoint.per_project:
        excuses.append(
            "WHEN EXISTS (SELECT 1 FROM projects p WHERE p.id = s.project_id "
            f"AND {project_archived_sql('p')}) THEN 'archived'"
        )
    if ref.unverifiable_when is not None:
        column, value, _ = ref.unverifiable_when
        excuses.append(f"WHEN s.{column} = '{value}' THEN 'expected'")
    excuse = f"CASE {' '.join(excuses)} END" if excuses else "NULL"
    return (
        f"SELECT s.{ref.field}, s.source_scenario, s.source_page, s.bucket_index, "
        f"s.result_index, {excuse} AS excuse, "
        f"{'s.project_id' if endpoint.per_project else 'NULL'} AS project_id "
        f"FROM {staged_table(endpoint)} s WHERE {_dangling_where(endpoint, ref)} ORDER BY ALL"
    )


def _ids_table(endpoint: Endpoint) -> str:
    return f"harness_ids_{endpoint.name}"


def _any_ids(con: duckdb.DuckDBPyConnection, probes: list[tuple[Endpoint, str]]) -> list[bool]:
    """For each (endpoint, where): whether a distinct value reference_ids() took matches
    ``where`` (over ``s``). One query for all: each probe is cheap, a round trip is not, and
    DuckDB plans a union of probes faster than a row of EXISTS subqueries."""
    if not probes:
        return []
    union = " UNION ALL ".join(
        f"(SELECT {n} FROM {_ids_table(endpoint)} s WHERE {where} LIMIT 1)"
        for n, (endpoint, where) in enumerate(probes)
    )
    found = {int(row[0]) for row in con.execute(union).fetchall()}
    return [n in found for n in range(len(probes))]


def reference_ids(con: duckdb.DuckDBPyConnection, staged: Iterable[Endpoint]) -> None:
    """Before the transaction: the distinct values each endpoint's references read, in a
    workspace table. A usage table of a million rows names a few thousand (project, user, key)
    combinations, so unknown_projects() and relationship_issues() check each reference against
    those and search the rows only for a value that does not resolve. (Made here, not inside
    the transaction: a workspace write there makes its COMMIT checkpoint the whole workspace.)
    The tables are in the workspace's main schema, where every connection finds them: the
    SQL engine's endpoints take theirs on its worker cursors (staging._take_ids)."""
    database, _ = location(con)
    for endpoint in staged:
        columns = {n for n, _ in stored_columns(endpoint)}
        read = {ref.field for ref in endpoint.references}
        read |= {ref.when[0] for ref in endpoint.references if ref.when is not None}
        if "project_id" in columns:
            read.add("project_id")
        if not read:
            continue
        con.execute(
            f"CREATE OR REPLACE TABLE {database}.main.{_ids_table(endpoint)} AS "
            f"SELECT DISTINCT {', '.join(sorted(read))} FROM {staged_table(endpoint)}"
        )


def relationship_issues(
    con: duckdb.DuckDBPyConnection, staged: Iterable[Endpoint]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(issues, unverifiable) for every reference of every staged endpoint; reference_ids()
    must have run on the workspace first."""
    issues: list[dict[str, Any]] = []
    unverifiable: list[dict[str, Any]] = []
    pairs = [(endpoint, ref) for endpoint in staged for ref in endpoint.references]
    loaded = _row_counts(  # rows per target table: many references name the same one
        con, {REGISTRY[r.target].table for _, r in pairs if r.target not in ALWAYS_REQUIRED}
    )
    checked = [(e, r) for e, r in pairs if loaded.get(REGISTRY[r.target].table) != 0]
    dangling = iter(_any_ids(con, [(e, _dangling_where(e, r)) for e, r in checked]))
    for endpoint, ref in pairs:  # in the order of ``checked``, which holds its subsequence
        target = REGISTRY[ref.target]
        if loaded.get(target.table) == 0:
            staged_rows = staged_table(endpoint)
            count_row = one(
                con.execute(f"SELECT count(*) FROM {staged_rows} WHERE {ref.field} IS NOT NULL")
            )
            count = int(count_row[0]) if count_row else 0
            if count:
                unverifiable.append(
                    {
                        "kind": ref.kind,
                        "endpoint": endpoint.name,
                        "field": ref.field,
                        "count": count,
                        "ids": [],
                        "reason": f"no {target.name} fixtures were loaded",
                    }
                )
            continue
        excused: dict[str, list[str]] = {}  # reason -> ids
        if not next(dangling):
            continue  # every value resolves: no row to search
        for ident, scenario, page, bucket, result, excuse, project in con.execute(
            _dangling_sql(endpoint, ref)
        ).fetchall():
            if excuse == "archived":
                reason = (
                    f"project {project} is archived: the API answers 400 to its "
                    f"{target.name.removeprefix('project_').replace('_', ' ')} list"
                )
            elif excuse == "expected" and ref.unverifiable_when is not None:
                reason = ref.unverifiable_when[2]
            else:
                issues.append(
                    _issue(
                        ref.kind, ident, endpoint.name, scenario, page, bucket, result, ref.field
                    )
                )
                continue
            excused.setdefault(reason, []).append(ident)
        for reason, ids in sorted(excused.items()):
            unverifiable.append(
                {
                    "kind": ref.kind,
                    "endpoint": endpoint.name,
                    "field": ref.field,
                    "count": len(ids),
                    "ids": sorted(ids),
                    "reason": reason,
                }
            )
    return sort_issues(issues), unverifiable


def duplicate_keys(con: duckdb.DuckDBPyConnection, endpoints: Iterable[Endpoint]) -> None:
    """No index enforces key uniqueness, so prove it: any duplicate is a database defect.
    Grouped on the key columns dedupe_key hashes (NULLs group together), not on the view's
    dedupe_key, which would hash every row."""
    for endpoint in endpoints:
        keys = ", ".join(n for n, _ in key_columns(endpoint))
        row = one(
            con.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {endpoint.table} "
                f"GROUP BY {keys} HAVING count(*) > 1)"
            )
        )
        if row and row[0]:
            raise DatabaseError(
                f"table {endpoint.table} holds {row[0]} duplicated dedupe keys",
                hint="the database was written outside harness; rebuild it from the fixtures",
            )
