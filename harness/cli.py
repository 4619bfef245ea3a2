"""Thin command line over the library: parse, call, render. ``main(argv) -> exit code``.

Exit codes: 0 every check passed; 1 the fixtures failed a check; 2 the harness could not run.
The handlers are in commands.py; every subcommand's help ends with an example.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import allocator, commands, console, pipeline
from .endpoints import DEFAULT_BASE_URL, DEFAULT_TIMEOUT
from .errors import HarnessError
from .store.ingest import DEFAULT_UPSERT_MODE, UPSERT_MODES

Handler = Callable[[argparse.Namespace], int]


def _version() -> str:
    """The installed distribution's version (a source tree run in place says so)."""
    from importlib import metadata

    try:
        return metadata.version("harness")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Replay OpenAI Admin API fixtures into DuckDB and check them.",
    )
    parser.add_argument("--version", action="version", version=f"harness {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    def corpus(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--fixtures",
            type=Path,
            default=pipeline.DEFAULT_FIXTURES,
            help="fixtures folder (default: fixtures)",
        )
        p.add_argument(
            "--checksums",
            type=Path,
            default=None,
            help="manifest (default: CHECKSUMS.sha256 beside the fixtures folder)",
        )

    p = sub.add_parser(
        "replay",
        help="replay fixtures into DuckDB and write the report",
        epilog="example: harness replay --scenario usage_completions/basic --json",
    )
    corpus(p)
    p.add_argument(
        "--db", type=Path, default=pipeline.DEFAULT_DB, help="database file (default: %(default)s)"
    )
    p.add_argument(
        "--report",
        type=Path,
        default=pipeline.DEFAULT_REPORT,
        help="report JSON, written only when the run commits (default: %(default)s)",
    )
    p.add_argument(
        "--scenario",
        action="extend",
        nargs="+",
        metavar="ENDPOINT/SCENARIO",
        help="replay only these (directory and overlapping costs are always loaded)",
    )
    p.add_argument("--json", action="store_true", help="print the report instead of a summary")
    p.add_argument("--now", help="the run's clock, ISO 8601 (makes reports byte-stable)")
    p.add_argument(
        "--upsert-mode",
        choices=UPSERT_MODES,
        default=DEFAULT_UPSERT_MODE,
        help="update-insert (default) or merge; both give identical tables",
    )
    p.add_argument(
        "--allow-dangling",
        type=Path,
        metavar="FILE",
        help='JSON list of ids known to be deleted: [{"id": ..., "reason": ...}]',
    )
    p.add_argument(
        "--served",
        action="store_true",
        help="serve the corpus on 127.0.0.1 and fetch it through the live client",
    )
    p.add_argument("--rate-limit-log", type=Path, default=Path("reports/rate_limit.log"))
    p.set_defaults(handler=commands.cmd_replay)

    p = sub.add_parser(
        "checksums",
        help="verify or regenerate CHECKSUMS.sha256",
        epilog="example: harness checksums --write",
    )
    corpus(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="regenerate the manifest")
    mode.add_argument("--check", action="store_true", help="verify (the default)")
    p.set_defaults(handler=commands.cmd_checksums)

    p = sub.add_parser(
        "endpoints",
        help="print, check or write ENDPOINTS.md",
        epilog="example: harness endpoints --check",
    )
    p.add_argument("--fixtures", type=Path, default=pipeline.DEFAULT_FIXTURES)
    p.add_argument("--output", type=Path, default=Path("ENDPOINTS.md"))
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--markdown", action="store_true", help="print the Markdown (the default)")
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    p.set_defaults(handler=commands.cmd_endpoints)

    p = sub.add_parser(
        "schemas",
        help="check or write schemas/*.schema.json from the registry",
        epilog="example: harness schemas --check",
    )
    p.add_argument("--dir", type=Path, default=Path("schemas"))
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true", help="the default")
    p.set_defaults(handler=commands.cmd_schemas)

    p = sub.add_parser(
        "sync",
        help="fetch from the Admin API into DuckDB (same pipeline and report as replay)",
        epilog="example: OPENAI_ADMIN_KEY=sk-admin-... harness sync --since 2025-09-01 "
        "--until 2025-10-01",
    )
    p.add_argument(
        "--since",
        help="UTC date or time, inclusive: fetch from here (a first run, or a backfill); "
        "omitted, each endpoint resumes from its stored cursor less --lookback-days",
    )
    p.add_argument("--until", help="UTC date or time, exclusive (default: now)")
    p.add_argument(
        "--endpoint",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="only these endpoints (repeat the flag or list several)",
    )
    p.add_argument(
        "--array-format",
        choices=("brackets", "repeat"),
        default="brackets",
        help="array parameters as group_by[]=a (the SDK's form, default) or group_by=a",
    )
    p.add_argument(
        "--db", type=Path, default=pipeline.DEFAULT_DB, help="database file (default: %(default)s)"
    )
    p.add_argument(
        "--report",
        type=Path,
        default=pipeline.DEFAULT_REPORT,
        help="report JSON, written only when the run commits (default: %(default)s)",
    )
    p.add_argument("--base-url", default=DEFAULT_BASE_URL)
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per request")
    p.add_argument(
        "--lookback-days",
        type=int,
        default=2,
        help="re-read this many days before the stored cursor (late usage)",
    )
    p.add_argument("--strict", action="store_true", help="dangling references fail the sync")
    p.add_argument(
        "--group-by",
        action="append",
        metavar="ENDPOINT=A,B",
        help="group an endpoint other than by its fixed default (ENDPOINTS.md), e.g. "
        "usage_completions=project_id,api_source",
    )
    p.add_argument(
        "--new-grain",
        action="store_true",
        help="store a grouping other than the one the database holds for that endpoint",
    )
    p.add_argument("--allow-dangling", type=Path, metavar="FILE")
    p.add_argument(
        "--capture",
        type=Path,
        metavar="DIR",
        help="also write the fetched pages as a corpus (fixtures/ + checksums)",
    )
    p.add_argument("--rate-limit-log", type=Path, default=Path("reports/rate_limit.log"))
    p.add_argument(
        "--max-empty-pages",
        type=int,
        default=3,
        metavar="N",
        help="end a chain after N empty pages in a row that still claim has_more (default 3)",
    )
    p.add_argument(
        "--max-pages",
        type=int,
        default=10_000,
        metavar="N",
        help="a chain longer than N pages is an error, exit 2 (default 10000)",
    )
    p.add_argument("--json", action="store_true", help="print the report instead of a summary")
    p.set_defaults(handler=commands.cmd_sync)

    p = sub.add_parser(
        "serve",
        help="serve a corpus as a local Admin API on 127.0.0.1, with injected faults",
        epilog="example: harness serve --fixtures fixtures --port 8765 --rate-limit-every 5",
    )
    p.add_argument("--fixtures", type=Path, default=pipeline.DEFAULT_FIXTURES)
    p.add_argument("--port", type=int, default=8765)
    p.add_argument(
        "--rate-limit-every", type=int, default=0, metavar="N", help="every Nth request answers 429"
    )
    p.add_argument("--retry-after", default="1", help="Retry-After of those 429s ('none': omit)")
    p.add_argument(
        "--errors-every",
        type=int,
        default=0,
        metavar="N",
        help="every Nth request starts a burst of 500s",
    )
    p.add_argument("--error-burst", type=int, default=1, metavar="K", help="500s per burst")
    p.add_argument("--delay-ms", type=float, default=0.0, help="delay before every answer")
    p.add_argument(
        "--as-of",
        metavar="RECORDED_AT",
        help="serve the corpus as captured by then (ISO 8601): a restated window answers "
        "with its older capture (default: the latest)",
    )
    p.add_argument(
        "--require-key",
        metavar="KEY",
        help="the bearer key clients must send (default: a generated harness-local-... key, "
        "printed in the banner; a key given here is never printed)",
    )
    p.set_defaults(handler=commands.cmd_serve)

    p = sub.add_parser(
        "synth",
        help="write a valid synthetic corpus of N raw results (with checksums)",
        epilog="example: harness synth --results 100000 --out /tmp/corpus",
    )
    p.add_argument("--results", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=commands.cmd_synth)

    p = sub.add_parser(
        "verify",
        help="the whole gate outside pytest (exit 0/1/2)",
        epilog="example: harness verify --fixtures fixtures --snapshots snapshots",
    )
    corpus(p)
    p.add_argument("--snapshots", type=Path, default=Path("snapshots"))
    p.set_defaults(handler=commands.cmd_verify)

    p = sub.add_parser(
        "diff",
        help="compare two reports or two snapshot folders (exit 1 when they differ)",
        epilog="example: harness diff old-snapshots/ snapshots/ --markdown",
    )
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--markdown", action="store_true", help="print a Markdown table instead")
    p.add_argument(
        "--output",
        type=Path,
        help="also append the Markdown to this file, e.g. $GITHUB_STEP_SUMMARY (with or "
        "without --markdown)",
    )
    p.set_defaults(handler=commands.cmd_diff)

    p = sub.add_parser(
        "db",
        help="migrations: migrate or status",
        epilog="example: harness db status --db reports/harness.duckdb",
    )
    db_sub = p.add_subparsers(dest="db_command", required=True)
    m = db_sub.add_parser("migrate", help="apply pending migrations")
    m.add_argument(
        "--db", type=Path, default=pipeline.DEFAULT_DB, help="database file (default: %(default)s)"
    )
    m.add_argument("--to", help="stop after this migration: its number, e.g. 2 or 0002")
    s = db_sub.add_parser("status", help="applied and pending migrations, duckdb version")
    s.add_argument(
        "--db", type=Path, default=pipeline.DEFAULT_DB, help="database file (default: %(default)s)"
    )
    s.add_argument("--json", action="store_true", help="print the status as JSON")
    d = db_sub.add_parser("docs", help="print, check or write docs/schema.md")
    d.add_argument("--output", type=Path, default=Path("docs/schema.md"))
    mode = d.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    p.set_defaults(handler=commands.cmd_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    handler: Handler = args.handler
    try:
        return handler(args)
    except HarnessError as exc:
        console.print_error(str(exc), exc.error_class, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        console.print_error(
            "interrupted; the database was rolled back", "Interrupted", file=sys.stderr
        )
        return 130
    except Exception as exc:  # a defect in harness itself: still one line, still exit 2
        if os.environ.get("HARNESS_DEBUG"):
            raise
        console.print_error(
            f"{type(exc).__name__}: {exc} (a harness defect: rerun with HARNESS_DEBUG=1 for the "
            "traceback and report it; the database was rolled back)",
            "InternalError",
            file=sys.stderr,
        )
        return 2


def run() -> None:
    """The process entry point (console script and ``python -m harness``): tune the allocator,
    which is the host process's business, then run main(). Tests call main() in-process."""
    allocator.tune()
    sys.exit(main())


if __name__ == "__main__":
    run()
