"""Differential fuzzing at scale (not part of the test suite): both engines on mutated pages.

    python bench/fuzz_bench.py [--cases 20000] [--seed 1] [--seconds 600]

Runs tests/fuzz.py's cases (valid pages of every usage endpoint and costs, mutated one to three
times in one or several files) through the SQL engine and the reference engine at their seam,
and prints how many were stored alike, refused alike, or disagreed. Exit 1 on any disagreement,
each printed with its mutations: add it to tests/test_strict.py as a named regression case.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzz  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000, help="cases to run (default 20000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--seconds", type=float, default=600.0, help="time limit (default 600)")
    args = parser.parse_args()
    summary = fuzz.run(args.seed, cases=args.cases, seconds=args.seconds)
    print(summary.line())
    for case, problem in summary.disagreements:
        print(f"- {case.endpoint.name}: {'; '.join(case.mutations)}: {problem}")
    print(f"disagreements: {len(summary.disagreements)}")
    return 1 if summary.disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
