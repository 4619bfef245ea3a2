"""The ONLY module that imports rich: summaries for people, readable at 80 columns.

``NO_COLOR`` is honoured (rich reads it); ``render_lines`` gives plain lines for pytest's reporter.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from .redact import safe

if TYPE_CHECKING:  # rich loads on first use: `replay --json` and the library never need it
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


def _console(file: TextIO | None = None, soft_wrap: bool = False) -> Console:
    from rich.console import Console

    # soft_wrap: messages are never broken inside a path, whatever the terminal width.
    return Console(
        file=file, no_color="NO_COLOR" in os.environ, highlight=False, soft_wrap=soft_wrap
    )


def _plain(text: str) -> Text:
    """A cell as plain text: never read as rich markup (an id may hold ``[red]``), and safe
    (redact.py)."""
    from rich.text import Text

    return Text(safe(text))


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.6f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _issue_counts(report: dict[str, Any]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for issue in report.get("relationshipIssues", []):
        key = (issue["endpoint"], issue["scenario"])
        counts[key] = counts.get(key, 0) + 1
    return counts


# Past this many scenarios an endpoint is one row of totals (plus its scenarios with issues),
# and past this many relationship issues the rest are counted: the report holds them all.
SCENARIO_ROWS = 12
ISSUE_LINES = 20
_COUNTS = ("totalPages", "totalBuckets", "totalRawEvents", "totalDedupedEvents", "exactDuplicates")


def _cells(s: dict[str, Any], issues: int) -> list[str | Text]:
    from rich.text import Text

    return [
        _number(s["totalPages"]),
        _number(s["totalBuckets"]) if s["totalBuckets"] else "-",
        _number(s["totalRawEvents"]),
        _number(s["totalDedupedEvents"]),
        _number(s["exactDuplicates"]),
        Text(_number(issues), style="bold red") if issues else "0",
    ]


def summary_table(report: dict[str, Any]) -> Table:
    """Per endpoint a row of totals (pages, buckets, raw, deduped, duplicates, issues), then
    its scenarios indented (a lone scenario is named under its endpoint in the same row). An
    endpoint with more than SCENARIO_ROWS scenarios shows only those that have issues."""
    issues = _issue_counts(report)
    rows: list[tuple[str, list[str | Text]]] = []
    # An endpoint's row, then its scenarios indented beneath it: a name is never broken at 80
    # columns (the longest endpoint name fits, and so does an indented scenario name).
    for name, entry in report.get("endpoints", {}).items():
        scenarios = entry["scenarios"]
        totals = {k: sum(s[k] for s in scenarios.values()) for k in _COUNTS}
        found = sum(issues.get((name, scenario), 0) for scenario in scenarios)
        if len(scenarios) == 1:
            (only,) = scenarios
            rows.append((f"{name}\n  {only}", _cells(totals, found)))
            continue
        if len(scenarios) <= SCENARIO_ROWS:
            rows.append((name, _cells(totals, found)))
            for scenario, s in scenarios.items():
                rows.append((f"  {scenario}", _cells(s, issues.get((name, scenario), 0))))
            continue
        rows.append((f"{name} ({len(scenarios):,} scenarios)", _cells(totals, found)))
        flagged = [sc for sc in scenarios if issues.get((name, sc), 0)]
        for sc in flagged[:SCENARIO_ROWS]:
            rows.append((f"  {sc}", _cells(scenarios[sc], issues[(name, sc)])))
        if len(flagged) > SCENARIO_ROWS:
            rows.append((f"  ... {len(flagged) - SCENARIO_ROWS:,} more with issues", [""] * 6))
    from rich.table import Table

    title = "harness sync" if "sync" in report else "harness replay"
    # No outer edge: its four columns let the longest endpoint name (31 characters) stand
    # whole beside the numbers at 80 columns.
    table = Table(title=title, title_justify="left", show_edge=False)
    # When the terminal is narrow a long label folds onto a second line; a number is never cut.
    table.add_column("endpoint / scenario", overflow="fold")
    for i, header in enumerate(("pages", "buckets", "raw", "uniq", "dups", "issues")):
        widest = max([len(header), *(len(str(cells[i])) for _, cells in rows)])
        table.add_column(header, justify="right", no_wrap=True, min_width=widest)
    for label, cells in rows:
        table.add_row(_plain(label), *cells)
    return table


def counters_table(report: dict[str, Any]) -> Table:
    """Per endpoint, the counters summed over deduped events of the whole run."""
    from rich.table import Table

    table = Table(title="counters (deduped, whole run)", title_justify="left")
    table.add_column("endpoint")
    table.add_column("counter")
    table.add_column("total", justify="right")
    for name, entry in report.get("endpoints", {}).items():
        for i, (counter, value) in enumerate(entry["counters"].items()):
            table.add_row(_plain(name) if i == 0 else "", _plain(counter), _number(value))
    return table


def _renderables(report: dict[str, Any]) -> list[Table | Text]:
    from rich.text import Text

    lines = usage_lines(report) if report.get("usageSummary") else []
    return [summary_table(report), counters_table(report), *(Text(safe(line)) for line in lines)]


def usage_lines(report: dict[str, Any]) -> list[str]:
    summary = report["usageSummary"]
    lines = [
        f"usage/completions: {summary['totalBuckets']} buckets, {summary['totalRawEvents']} raw, "
        f"{summary['totalDedupedEvents']} deduped; tokens in {summary['tokensIn']:,}, "
        f"out {summary['tokensOut']:,}; cost estimate ${summary['costEstimate']:.6f}",
    ]
    conflicts = report.get("conflicts", [])
    if conflicts:
        lines.append(f"{len(conflicts)} conflicting captures resolved by capture rank (warning)")
    for u in report.get("unverifiableReferences", []):
        lines.append(f"unverifiable: {u['count']} {u['endpoint']}.{u['field']} ({u['reason']})")
    for a in report.get("allowedReferences", []):
        lines.append(f"allowed: {a['kind']} {a['id']} ({a['reason']})")
    lines += drift_lines(report)
    issues = report.get("relationshipIssues", [])
    for issue in issues[:ISSUE_LINES]:
        lines.append(
            f"{issue['kind']}: {issue['id']} in {issue['endpoint']}/{issue['scenario']}/"
            f"{issue['page']} bucket {issue['bucketIndex']} result {issue['resultIndex']}"
        )
    if len(issues) > ISSUE_LINES:
        lines.append(f"... {len(issues) - ISSUE_LINES:,} more relationship issues: see the report")
    return lines


def drift_lines(report: dict[str, Any]) -> list[str]:
    """What the API sends that the registry does not expect, or no longer sends (drift.py):
    a line per unknown field or undocumented value, one per endpoint for its null fields."""
    lines = []
    for name, entry in report.get("endpoints", {}).items():
        unknown = set(entry.get("unknownFields", []))
        empty = []
        for field, d in entry.get("drift", {}).items():
            rows = "row" if d["rows"] == 1 else "rows"
            if f"results[].{field}" in unknown or f"data[].{field}" in unknown:
                lines.append(
                    f"drift: {name}.{field} is unknown, kept in extra_fields "
                    f"({d['nonNull']:,} of {d['rows']:,} {rows})"
                )
            elif d["unknownValues"]:
                values = ", ".join(json.dumps(v) for v in d["unknownValues"])
                lines.append(f"drift: {name}.{field} holds undocumented values {values}")
            else:
                empty.append(field)
        if empty:
            rows = entry["totalDedupedEvents"]
            lines.append(f"drift: {name}: null on every row that can hold it: {', '.join(empty)}")
    return lines


def print_summary(report: dict[str, Any], file: TextIO | None = None) -> None:
    console = _console(file)
    for renderable in _renderables(report):
        console.print(renderable)


def render_lines(report: dict[str, Any], width: int = 100) -> list[str]:
    """The summary as plain lines (no colour codes), e.g. for pytest's terminal reporter."""
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, color_system=None, highlight=False)
    for renderable in _renderables(report):
        console.print(renderable)
    return buffer.getvalue().splitlines()


def print_error(message: str, error_class: str, file: TextIO | None = None) -> None:
    from rich.text import Text

    console = _console(file, soft_wrap=True)
    console.print(Text(f"error[{error_class}]: ", style="bold red") + Text(safe(message)))


def print_lines(lines: Iterable[str], file: TextIO | None = None) -> None:
    from rich.text import Text

    console = _console(file, soft_wrap=True)
    for line in lines:
        console.print(Text(safe(line)))


def print_table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[str]], file: TextIO | None = None
) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_plain(cell) for cell in row))
    _console(file).print(table)


class PageProgress:
    """A live line per chain while a sync or served replay fetches pages (stderr, transient)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> PageProgress:
        self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._progress.stop()

    def __call__(self, chain: str, pages: int) -> None:
        from rich.markup import escape

        text = escape(safe(f"{chain}: {pages} page{'s' if pages > 1 else ''}"))
        if chain not in self._tasks:
            self._tasks[chain] = self._progress.add_task(text)
        self._progress.update(self._tasks[chain], description=text)
