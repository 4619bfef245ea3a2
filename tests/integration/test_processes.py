"""What only another process can show: a lock held elsewhere, a SIGKILL mid-ingest, and the
command line's malloc tuning."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import duckdb
import pytest

from helpers import Corpus, db_contents

TUNE = "from harness import allocator; print(allocator.tune())"


def _tune(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", TUNE], env=clean | env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_tunes_glibc_unless_the_environment_does() -> None:
    assert _tune() == "True"
    assert _tune(MALLOC_TRIM_THRESHOLD_="131072") == "False"  # the user's setting stands


def test_locked_database_is_exit_2(corpus: Corpus) -> None:
    assert corpus.replay().code == 0
    populated = corpus
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(populated.db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = populated.replay()
        assert result.code == 2
        assert "DatabaseLockedError" in result.err and "in use by another process" in result.err
    finally:
        holder.communicate("")


def test_sigkill_in_the_middle_of_ingest_recovers(corpus: Corpus) -> None:
    assert corpus.replay().code == 0
    before = db_contents(corpus.db)
    page = corpus.page("usage_completions/multipage")
    page.write_text(page.read_text().replace('"output_tokens": 2000', '"output_tokens": 2001'))
    corpus.rehash()
    env = dict(os.environ, HARNESS_KILL_AT="after-upsert:usage_completions")
    args = [
        sys.executable,
        "-m",
        "harness",
        "replay",
        "--fixtures",
        str(corpus.fixtures),
        "--db",
        str(corpus.db),
        "--report",
        str(corpus.report),
        "--now",
        "2025-09-30T06:00:00Z",
    ]
    killed = subprocess.run(args, env=env, capture_output=True, text=True)
    assert killed.returncode == -9
    assert db_contents(corpus.db) == before  # opens, and nothing of the killed run is visible
    assert corpus.replay().code == 0
    con = duckdb.connect(str(corpus.db), read_only=True)
    assert con.execute(
        "SELECT sum(output_tokens) FROM usage_completions WHERE source_scenario = 'multipage'"
    ).fetchone() == (6301,)


def test_concurrent_first_replays_never_delete_the_winners_database(corpus: Corpus) -> None:
    """Three replays into one new --db path at once (the first run of a schedule): whichever
    fail to get the file, the database of a run that exits 0 exists afterwards. The run that
    lost used to remove "its" new file, which was the winner's."""
    for attempt in range(4):
        db = corpus.root / f"race-{attempt}.duckdb"
        runs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "harness",
                    "replay",
                    "--fixtures",
                    str(corpus.fixtures),
                    "--db",
                    str(db),
                    "--report",
                    str(corpus.root / f"r-{attempt}-{n}.json"),
                    "--json",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for n in range(3)
        ]
        codes = [run.wait(timeout=120) for run in runs]
        for run in runs:
            assert run.stderr is not None
            run.stderr.close()
        assert 0 in codes, codes
        assert db.exists(), (attempt, codes)
        assert set(codes) <= {0, 2}
