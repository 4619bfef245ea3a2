"""`harness verify`: the whole gate outside pytest (every scenario replayed and compared)."""

from __future__ import annotations

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
