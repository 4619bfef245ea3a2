"""Served-page latency (not part of the test suite): `harness serve` answering on loopback.

    python bench/serve_bench.py [--requests 2000] [--fixtures tests/corpora/basic/fixtures]

Starts the stand-in server over a corpus and fetches pages over one keep-alive connection (as
the live client does), cycling through every scenario's first page. Prints the median and 95th
percentile per page against the 2 ms target.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import httpx

from harness import fixtures
from harness.live.client import encode_params
from harness.live.server import serving

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="pages to fetch (default 2000)")
    parser.add_argument(
        "--fixtures", type=Path, default=ROOT / "tests" / "corpora" / "basic" / "fixtures"
    )
    args = parser.parse_args()
    scenarios = fixtures.discover(args.fixtures)
    targets = [(s.request.path, encode_params(s.request.query)) for s in scenarios]
    times: list[float] = []
    with serving(args.fixtures) as server, httpx.Client(base_url=server.url) as client:
        headers = {"Authorization": "Bearer sk-admin-bench"}
        for n in range(args.requests):
            path, params = targets[n % len(targets)]
            started = time.perf_counter()
            response = client.get(path, params=params, headers=headers)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                print(f"{path}: HTTP {response.status_code}: {response.text[:200]}")
                return 1
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(len(ms) * 0.95)]
    print(
        f"{len(ms)} pages over {len(targets)} scenarios: median {statistics.median(ms):.2f} ms, "
        f"p95 {p95:.2f} ms, max {ms[-1]:.2f} ms (target: 2 ms per page)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
