"""`harness diff`: two report folders compared, the changes named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers import BASIC, Runner


def test_diff_markdown(cli: Runner, tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(BASIC / "snapshots", old)
    shutil.copytree(BASIC / "snapshots", new)
    basic = new / "usage_completions" / "basic.json"
    data = json.loads(basic.read_text())
    data["usageSummary"]["tokensIn"] = 2900
    basic.write_text(json.dumps(data))
    (new / "costs" / "basic.json").unlink()
    summary = tmp_path / "summary.md"
    result = cli("diff", str(old), str(new), "--markdown", "--output", str(summary))
    assert result.code == 1
    assert summary.read_text() == (
        "### harness report diff\n\n2 changes.\n\n"
        "| scenario | path | old | new |\n| --- | --- | --- | --- |\n"
        '| `costs/basic` | `(scenario)` | "gone" | - |\n'
        "| `usage_completions/basic` | `usageSummary.tokensIn` | 2849 | 2900 |\n"
    )
    assert cli("diff", str(old), str(old)).code == 0


def test_output_without_markdown_still_writes_the_markdown(cli: Runner, tmp_path: Path) -> None:
    """`--output` alone used to write nothing; the console table is printed as well."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(BASIC / "snapshots" / "usage_completions", old)
    shutil.copytree(BASIC / "snapshots" / "usage_completions", new)
    basic = new / "basic.json"
    data = json.loads(basic.read_text())
    data["usageSummary"]["tokensIn"] += 1
    basic.write_text(json.dumps(data))
    summary = tmp_path / "summary.md"
    result = cli("diff", str(old), str(new), "--output", str(summary))
    assert result.code == 1 and "1 change" in result.out
    assert "1 change.\n" in summary.read_text() and "usageSummary.tokensIn" in summary.read_text()
