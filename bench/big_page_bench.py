"""Peak memory of a replay against the largest page and DuckDB's memory limit (not a test).

    python bench/big_page_bench.py [--results 658000] [--limits 20MB 256MB 1GB] [--work DIR]

Writes a corpus whose usage_completions scenario is a single page holding one bucket of
``--results`` results (658,000 make about 200 MB, the page an attack sent), plus the directory
listings the results name. Then, in fresh processes, it replays it at each
``HARNESS_DUCKDB_MEMORY_LIMIT`` and prints the peak resident memory (max RSS), so that
``peak <= a x limit + b x page`` can be read off and documented (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASIC = ROOT / "tests" / "corpora" / "basic" / "fixtures"
START = 1759104000


def corpus(work: Path, results: int) -> Path:
    root = work / f"big-{results}"
    if (root / "CHECKSUMS.sha256").is_file():
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / "fixtures").mkdir(parents=True)
    for listing in ("projects", "users"):
        shutil.copytree(BASIC / listing, root / "fixtures" / listing)
    folder = root / "fixtures" / "usage_completions" / "big"
    folder.mkdir(parents=True)
    request = {
        "method": "GET",
        "path": "/v1/organization/usage/completions",
        "query": {
            "start_time": START,
            "end_time": START + 86400,
            "bucket_width": "1d",
            "group_by": ["model", "project_id"],
        },
        "description": "one page, one bucket, many results",
        "source": "synthesized",
        "recorded_at": "2025-09-30T06:00:00Z",
    }
    (folder / "request.json").write_text(json.dumps(request))
    with (folder / "page-001.json").open("w") as out:
        out.write('{"object":"page","has_more":false,"next_page":null,"data":[{"object":"bucket",')
        out.write(f'"start_time":{START},"end_time":{START + 86400},"results":[')
        for n in range(results):
            result = {
                "object": "organization.usage.completions.result",
                "input_tokens": n,
                "output_tokens": n % 97,
                "input_cached_tokens": 0,
                "input_audio_tokens": 0,
                "output_audio_tokens": 0,
                "num_model_requests": 1,
                "project_id": "proj_abc123",
                "user_id": None,
                "api_key_id": None,
                "model": f"model-{n:07d}",
                "batch": None,
                "service_tier": None,
            }
            out.write(("," if n else "") + json.dumps(result, separators=(",", ":")))
        out.write("]}]}")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "checksums",
            "--write",
            "--fixtures",
            str(root / "fixtures"),
            "--checksums",
            str(root / "CHECKSUMS.sha256"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return root


def replay(root: Path, limit: str, work: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS in MiB, exit code) of one replay in a fresh process."""
    db = work / "big.duckdb"
    db.unlink(missing_ok=True)
    env = os.environ | {"HARNESS_DUCKDB_MEMORY_LIMIT": limit}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "replay",
            "--fixtures",
            str(root / "fixtures"),
            "--db",
            str(db),
            "--report",
            str(work / "big-report.json"),
            "--json",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=int, default=658_000)
    parser.add_argument("--limits", nargs="+", default=["20MB", "256MB", "1GB"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/harness-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    root = corpus(args.work, args.results)
    page = root / "fixtures" / "usage_completions" / "big" / "page-001.json"
    size = page.stat().st_size / 2**20
    print(f"page: {size:,.0f} MiB, {args.results:,} results in one bucket")
    print(f"{'limit':>8} {'seconds':>8} {'peak MiB':>9} {'exit':>5}")
    for limit in args.limits:
        seconds, peak, code = replay(root, limit, args.work)
        print(f"{limit:>8} {seconds:>8.2f} {peak:>9,.0f} {code:>5}")


if __name__ == "__main__":
    main()
