"""A sample of the differential fuzzing (tests/fuzz.py) in the gate: the SQL engine and the
reference engine agree on every mutated page. bench/fuzz_bench.py runs 20,000 cases."""

from __future__ import annotations

import pytest

import fuzz


@pytest.mark.slow  # a differential run at scale: in the gate, not in the quick loop
def test_the_engines_agree_on_mutated_pages() -> None:
    summary = fuzz.run(seed=20261206, cases=500)
    assert not summary.disagreements, "\n".join(
        f"{case.endpoint.name}: {case.mutations}: {problem}"
        for case, problem in summary.disagreements
    )
    # The sample means something only if it exercised both outcomes.
    assert summary.stored > 20 and summary.refused > 200, summary.line()


def test_every_mutation_kind_can_be_drawn() -> None:
    import random

    rng = random.Random(7)
    seen = {
        m.split(": ", 1)[1].split(" ")[0] for _ in range(400) for m in fuzz.make_case(rng).mutations
    }
    assert {"swap", "remove", "unknown", "duplicate", "escape", "byte-order", "trailing"} <= seen
