"""The whole gate outside pytest, and report comparison for reviewers.

``verify``: checksums, layout, schemas, page chains and foreign keys (a replay of the whole corpus
into a scratch database), then every scenario's report against its snapshot.
``compare``: two reports, or two snapshot folders, as a list of changes.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import diffing, fixtures, pipeline, report
from .errors import PathError


@dataclass
class Verdict:
    scenarios: int = 0
    snapshot_changes: dict[str, list[str]] = field(default_factory=dict)  # scenario -> lines
    missing_snapshots: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.snapshot_changes and not self.missing_snapshots


def verify(fixtures_dir: Path, snapshot_dir: Path, checksums_path: Path | None = None) -> Verdict:
    """Raises the corpus's first CorpusError; snapshot differences come back in the verdict."""
    verdict = Verdict()
    with tempfile.TemporaryDirectory(prefix="harness-verify-") as scratch:
        root = Path(scratch)
        pipeline.replay(
            pipeline.ReplayOptions(
                fixtures=fixtures_dir, db=root / "all.duckdb", checksums=checksums_path
            )
        )
        for n, scenario in enumerate(fixtures.discover(fixtures_dir)):
            verdict.scenarios += 1
            actual = pipeline.scenario_report(
                fixtures_dir, scenario.id, root / f"{n}.duckdb", checksums_path
            )
            path = snapshot_dir / f"{scenario.id}.json"
            if not path.is_file():
                verdict.missing_snapshots.append(scenario.id)
                continue
            stored = path.read_text(encoding="utf-8")
            if report.dumps(actual) != stored:
                verdict.snapshot_changes[scenario.id] = diffing.change_lines(
                    json.loads(stored), actual
                )
    return verdict


@dataclass(frozen=True)
class FileChange:
    name: str  # scenario id (snapshot folders) or the report file name
    change: diffing.Change


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PathError(f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise PathError(f"{path} is not JSON: {exc}") from exc


def _reports(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).with_suffix("").as_posix(): p for p in folder.rglob("*.json")}


def compare(old: Path, new: Path) -> list[FileChange]:
    """Changes from ``old`` to ``new``: two report files or two snapshot folders."""
    for path in (old, new):
        if not path.exists():
            raise PathError(f"{path} does not exist")
    if old.is_dir() != new.is_dir():
        raise PathError("compare two report files or two snapshot folders, not one of each")
    if not old.is_dir():
        return [FileChange(new.name, c) for c in diffing.changes(_load(old), _load(new))]
    before, after = _reports(old), _reports(new)
    found: list[FileChange] = []
    for name in sorted(set(before) | set(after)):
        a = _load(before[name]) if name in before else None
        b = _load(after[name]) if name in after else None
        if a is None:
            found.append(FileChange(name, diffing.Change("(scenario)", "added", None, "new")))
        elif b is None:
            found.append(FileChange(name, diffing.Change("(scenario)", "removed", "gone", None)))
        else:
            found += [FileChange(name, c) for c in diffing.changes(a, b)]
    return found


def markdown(changes: list[FileChange], title: str = "harness report diff") -> str:
    """The same changes as a Markdown table, for a pull-request comment or a step summary."""
    lines = [f"### {title}", ""]
    if not changes:
        return "\n".join([*lines, "No changes.", ""])
    lines += [
        f"{len(changes)} change{'' if len(changes) == 1 else 's'}.",
        "",
        "| scenario | path | old | new |",
        "| --- | --- | --- | --- |",
    ]
    for fc in changes:
        c = fc.change
        old = "" if c.kind == "added" else diffing.short(c.old)
        new = "" if c.kind == "removed" else diffing.short(c.new)
        lines.append(f"| `{fc.name}` | `{c.path}` | {_cell(old)} | {_cell(new)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "-"
