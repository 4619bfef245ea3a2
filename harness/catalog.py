"""ENDPOINTS.md, generated from the registry and the corpus (`harness endpoints --markdown`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from .endpoints import ENDPOINTS, Endpoint

HOW_TO_ADD = """\
## Adding an endpoint

1. Add a frozen `Endpoint` record to `harness/endpoints.py`: API path, result `object`,
   dimensions (the `group_by` fields the API allows), counters, attributes, references.
2. Add a numbered migration in `harness/store/migrations/` creating its `<name>_rows` table
   and the `<name>` view that adds `dedupe_key` (copy the pattern of `0006_dedupe_key_views.sql`);
   the drift tests in `tests/test_store.py` say which columns the registry expects and check
   the view's key against `models.dedupe_key`.
3. `harness schemas --write` generates `schemas/<name>.schema.json`.
4. Record a scenario under `fixtures/<name>/<scenario>/` (request.json + page-001.json ...),
   then `harness checksums --write`.
5. `harness endpoints --write` regenerates this file; `pytest --snapshot-update` records the
   new scenario's snapshot. Review both diffs.
"""


def _scenarios(fixtures_dir: Path, endpoint: Endpoint) -> list[str]:
    folder = fixtures_dir / endpoint.name
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir())


def _names(fields: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in fields) or "-"


def render(fixtures_dir: Path) -> str:
    lines = [
        "# Endpoints",
        "",
        "Generated from `harness/endpoints.py` by `harness endpoints --write`; "
        "`harness endpoints --check` (run by the test suite) fails when it is stale.",
        "",
        "| endpoint | API path | pagination | counters | dimensions | scenarios |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for e in ENDPOINTS:
        pagination = "`page` / `next_page`" if e.bucketed else "`after` / `last_id`"
        lines.append(
            f"| `{e.name}` | `{e.api_path}` | {pagination} | {_names(e.counter_names)} | "
            f"{_names(e.dimension_names)} | {_names(tuple(_scenarios(fixtures_dir, e)))} |"
        )
    lines += ["", "## Details", ""]
    for e in ENDPOINTS:
        lines += [f"### `{e.name}`", "", e.description, ""]
        lines.append(f"- result object: `{e.object}`" if e.object else "- result object: none")
        for f in e.fields:
            if f.known:
                shown = ", ".join(f"`{v}`" for v in f.known[:8])
                more = f" and {len(f.known) - 8} more" if len(f.known) > 8 else ""
                lines.append(f"- `{f.name}` documented values: {shown}{more} (others: drift)")
        if e.attributes:
            lines.append(f"- attributes: {_names(tuple(f.name for f in e.attributes))}")
        aliases = [f"`{a}` -> `{f.name}`" for f in e.fields for a in f.aliases]
        if aliases:
            lines.append(f"- legacy names: {', '.join(aliases)}")
        for r in e.references:
            scope = " (same project)" if r.same_project else ""
            lines.append(f"- reference `{r.field}` -> `{r.target}`{scope}: `{r.kind}`")
        if e.bucketed:
            lines.append(f"- `limit` counts buckets, at most {e.max_limit}")
            lines.append(f"- `harness sync` groups by: {_names(e.sync_group_by) or 'nothing'}")
        lines.append("")
    return "\n".join(lines) + "\n" + HOW_TO_ADD


COMMON_COLUMNS = {
    "dedupe_key": "hash of the full dedupe key, null encoded explicitly, computed by the view; "
    "unique per table (proved by an integrity check, no index)",
    "window_start": "bucket start (the API's `start_time`, Unix seconds, as UTC time)",
    "window_end": "bucket end, exclusive (the API's `end_time`)",
    "group_by": "the request's `group_by` fields, sorted, comma-separated ('' when ungrouped)",
    "extra_dimensions": "the values of `group_by` fields the registry does not know, as JSON "
    "with sorted keys (null when there are none); part of the key",
    "extra_fields": "every field of the result or item that the registry does not know and "
    "that holds a value, as canonical JSON (null when there is none); compared by upserts",
    "id": "the entity's id",
    "project_id": "project id (per-project listings: the project the listing belongs to)",
    "amount_value": "`amount.value`, exact decimal",
    "amount_currency": "`amount.currency`, lowercase ISO-4217",
    "source_scenario": "fixture scenario (or sync job) whose capture wrote the row",
    "source_page": "page file of that capture",
    "captured_at": "when that capture was recorded (`recorded_at`)",
    "synced_at": "when harness last wrote the row's values",
}
SYSTEM_TABLES = {
    "harness_migrations": "Applied migrations: name, sha256 of the file, time applied.",
    "harness_meta": "Key/value facts about the file, e.g. `duckdb_version` that last wrote it.",
    "sync_cursors": "Where each chain stopped, per endpoint, project ('' for organization-level) "
    "and request fingerprint (a `next_page` token is only valid for its own query).",
}


def _describe(endpoint: Endpoint | None, column: str) -> str:
    if column in COMMON_COLUMNS:
        return COMMON_COLUMNS[column]
    if endpoint is not None:
        for role, fields in (
            ("dimension", endpoint.dimensions),
            ("counter", endpoint.counters),
            ("attribute", endpoint.attributes),
        ):
            for f in fields:
                if f.name == column:
                    source = ".".join(f.paths[0]) if f.paths else f.name
                    if f.keyed_by is not None:
                        source = f"<the value of {f.keyed_by}>"
                    units = " (Unix seconds from the API)" if f.type == "timestamp" else ""
                    return f"{role}: API field `{source}`{units}"
    return ""


def schema_markdown() -> str:
    """docs/schema.md: every table and column of a freshly migrated database, with types."""
    import duckdb

    from .store import migrate

    con = duckdb.connect()
    migrate.apply(con, datetime(2025, 1, 1, tzinfo=UTC))
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    con.close()
    by_table: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        by_table.setdefault(table, []).append((column, data_type))
    lines = [
        "# Database schema",
        "",
        "Generated by `harness db docs --write` from a database migrated with every migration in",
        "`harness/store/migrations/`; a test fails when it is stale. These tables are a contract",
        "for the analysts who query them: amounts are DECIMAL, times are TIMESTAMP WITH TIME ZONE",
        "(UTC), counters BIGINT. Usage and cost tables hold one row per deduped result.",
        "Each endpoint's table is a view over `<table>_rows`, where harness stores the same",
        "columns but `dedupe_key`, which the view computes from the key columns when selected.",
        "",
    ]
    from .endpoints import REGISTRY

    stored = {f"{name}_rows" for name in REGISTRY}
    for table in sorted(set(by_table) - stored, key=lambda t: (t in SYSTEM_TABLES, t)):
        endpoint = REGISTRY.get(table)
        about = endpoint.description if endpoint else SYSTEM_TABLES.get(table, "")
        lines += [
            f"## `{table}`",
            "",
            about,
            "",
            "| column | type | meaning |",
            "| --- | --- | --- |",
        ]
        for column, data_type in by_table[table]:
            lines.append(f"| `{column}` | {data_type} | {_describe(endpoint, column)} |")
        lines.append("")
    return "\n".join(lines)
