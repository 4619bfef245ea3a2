"""Replay benchmark (not part of the test suite): harness replay against DuckDB's own JSON load.

    python bench/replay_bench.py [--sizes 100000 1000000] [--repeat 3] [--work DIR] [--drift]

For each size it synthesizes a corpus (`harness synth`; with ``--drift`` also a variant of it
in which every usage and cost result carries one field the registry does not know, as when the
API adds one), then in fresh processes, best of N:
- the floor: DuckDB reading the same page files with read_json, unnesting buckets and
  results, into a table in a database file (no checks, no dedupe);
- `harness replay` end to end into a new database file (checksums, validation, chains,
  dedupe, upsert, foreign keys, report);
- a second replay of the same corpus into the populated database.
It prints raw results per second, the ratio to the floor and peak memory (max RSS of the
process), and writes everything to reports/bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
FLOOR = """
import duckdb, glob, sys
root, db = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
for folder in sorted(glob.glob(root + "/fixtures/*")):
    files = sorted(glob.glob(folder + "/*/page-*.json"))
    name = folder.rsplit("/", 1)[-1]
    if not (name.startswith("usage_") or name == "costs"):
        continue
    con.execute(
        f"CREATE TABLE flat_{name} AS SELECT unnest(b.results, recursive := true) FROM "
        "(SELECT unnest(data) AS b FROM read_json(?, maximum_object_size=268435456))", [files])
con.close()
"""


def timed(args: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(
            f"{' '.join(args)} failed: {proc.stderr.read().decode() if proc.stderr else ''}"
        )
    return elapsed, usage.ru_maxrss / 1024


def remove(db: Path) -> None:
    for leftover in (db, Path(f"{db}.wal")):
        leftover.unlink(missing_ok=True)


def drifted(corpus: Path, out: Path) -> Path:
    """A copy of ``corpus`` whose every usage and cost result holds an unknown field."""
    if (out / "CHECKSUMS.sha256").is_file():
        return out
    from harness import checksums

    for source in sorted((corpus / "fixtures").rglob("*.json")):
        target = out / source.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        body = json.loads(source.read_text())
        if source.name.startswith("page-") and source.parts[-3].startswith(("usage_", "costs")):
            for n, bucket in enumerate(body["data"]):
                for result in bucket["results"]:
                    result["service_region"] = "eu" if n % 2 else "us"
        separators = (",", ":") if source.name.startswith("page-") else None
        target.write_text(json.dumps(body, separators=separators))
    checksums.write(out / "CHECKSUMS.sha256", out / "fixtures")
    return out


def bench(size: int, repeat: int, work: Path, drift: bool = False) -> dict[str, object]:
    corpus = work / f"corpus-{size}"
    if not (corpus / "CHECKSUMS.sha256").is_file():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "harness",
                "synth",
                "--results",
                str(size),
                "--out",
                str(corpus),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    if drift:
        corpus = drifted(corpus, work / f"corpus-{size}-drift")
    raw = sum(
        len(b["results"])
        for page in (corpus / "fixtures").glob("*/*/page-*.json")
        if page.parts[-3].startswith("usage_") or page.parts[-3] == "costs"
        for b in json.loads(page.read_text())["data"]
    )
    db, floor_db = work / f"replay-{size}.duckdb", work / f"floor-{size}.duckdb"
    replay = [
        sys.executable,
        "-m",
        "harness",
        "replay",
        "--fixtures",
        str(corpus / "fixtures"),
        "--db",
        str(db),
        "--report",
        str(work / f"report-{size}.json"),
        "--json",
    ]
    floors, firsts, seconds = [], [], []
    for _ in range(repeat):
        remove(floor_db)
        floors.append(timed([sys.executable, "-c", FLOOR, str(corpus), str(floor_db)]))
        remove(db)
        firsts.append(timed(replay))
        seconds.append(timed(replay))
    floor, first, second = min(floors), min(firsts), min(seconds)
    return {
        "rawResults": raw,
        "files": sum(1 for _ in (corpus / "fixtures").rglob("*.json")),
        "bytes": sum(p.stat().st_size for p in (corpus / "fixtures").rglob("*.json")),
        "floorSeconds": round(floor[0], 3),
        "replaySeconds": round(first[0], 3),
        "secondReplaySeconds": round(second[0], 3),
        "resultsPerSecond": round(raw / first[0]),
        "ratioToFloor": round(first[0] / floor[0], 2),
        "secondToFirst": round(second[0] / first[0], 2),
        "peakMemoryMiB": round(max(m for _, m in firsts + seconds)),
        "floorPeakMemoryMiB": round(max(m for _, m in floors)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/harness-bench"))
    parser.add_argument(
        "--drift", action="store_true", help="also each size with an unknown field on every result"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = {str(size): bench(size, args.repeat, args.work) for size in args.sizes}
    if args.drift:
        for size in args.sizes:
            results[f"{size}-drift"] = bench(size, args.repeat, args.work, drift=True)
    header = (
        f"{'results':>9} {'floor s':>8} {'replay s':>9} {'2nd s':>7} {'results/s':>10} "
        f"{'x floor':>8} {'2nd/1st':>8} {'peak MiB':>9}"
    )
    print(f"{'corpus':>14} " + header)
    for name, r in results.items():
        print(
            f"{name:>14} {r['rawResults']:>9} {r['floorSeconds']:>8} {r['replaySeconds']:>9} "
            f"{r['secondReplaySeconds']:>7} {r['resultsPerSecond']:>10} {r['ratioToFloor']:>8} "
            f"{r['secondToFirst']:>8} {r['peakMemoryMiB']:>9}"
        )
    out = ROOT / "reports" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "duckdb": duckdb.__version__,
                },
                "targets": {"ratioToFloor": 1.5, "secondToFirst": 1.15, "peakMemoryMiB": 600},
                "results": results,
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
