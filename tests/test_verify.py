"""`harness verify` and `harness diff`: reports compared with snapshots, changes named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers import BASIC, Corpus, Runner, edit_counter


def test_harness_verify_passes_on_the_bundled_corpus(cli: Runner) -> None:
    result = cli(
        "verify", "--fixtures", str(BASIC / "fixtures"), "--snapshots", str(BASIC / "snapshots")
    )
    assert result.code == 0, result.err + result.out


def test_harness_verify_names_the_changed_counter(corpus: Corpus, cli: Runner) -> None:
    edit_counter(corpus.root)
    result = cli(
        "verify", "--fixtures", str(corpus.fixtures), "--snapshots", str(BASIC / "snapshots")
    )
    assert result.code == 1
    assert "endpoints.usage_completions.counters.input_tokens: 3600 -> 3700" in result.out


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
