"""ENDPOINTS.md, generated from the registry and the corpus (`harness endpoints --markdown`)."""

from __future__ import annotations

from pathlib import Path

from .endpoints import ENDPOINTS, Endpoint

HOW_TO_ADD = """\
## Adding an endpoint

1. Add a frozen `Endpoint` record to `harness/endpoints.py`: API path, result `object`,
   dimensions (the `group_by` fields the API allows), counters, attributes, references.
2. Add a numbered migration in `harness/store/migrations/` creating its table; the drift test
   (`tests/test_registry.py`) says which columns the registry expects.
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
        lines.append(f"- result object: `{e.object}`")
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
        lines.append("")
    return "\n".join(lines) + "\n" + HOW_TO_ADD
