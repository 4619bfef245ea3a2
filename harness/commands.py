"""The command handlers behind ``harness <command>``: each calls the library and renders.

``cli.py`` parses the arguments and maps errors to exit codes; nothing here parses or exits.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import catalog, checksums, console, pipeline, report, schema, times
from .errors import ArgumentError, HarnessError, PathError
from .models import Page, Scenario
from .store import connect, migrate

if TYPE_CHECKING:  # the live-API modules (httpx, deepdiff) load only for the commands using them
    from .live.client import AdminClient


def _now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return times.parse(value)
    except ValueError as exc:
        raise ArgumentError(
            f"--now {value!r} is not an ISO 8601 time",
            hint="for example --now 2025-09-30T06:00:00Z",
        ) from exc


def _manifest(args: argparse.Namespace) -> Path:
    return args.checksums or pipeline.default_checksums(args.fixtures)


def _client(args: argparse.Namespace, base_url: str, local: bool = False) -> AdminClient:
    from .live.client import AdminClient, RateLimitLog
    from .live.throttle import TokenBucket

    log = RateLimitLog(args.rate_limit_log)
    if local:
        # Loopback replay: a dummy key and a fast throttle unless the environment sets one.
        rate = float(os.environ.get("OPENAI_ADMIN_REQUESTS_PER_MINUTE") or 60000)
        burst = int(os.environ.get("OPENAI_ADMIN_MAX_BURST") or 50)
        key = os.environ.get("OPENAI_ADMIN_KEY", "").strip() or "sk-admin-local-replay"
        return AdminClient(key, base_url=base_url, throttle=TokenBucket(rate, burst), log=log)
    return AdminClient.from_env(
        base_url=base_url, log=log, timeout=args.timeout, array_format=args.array_format
    )


def _served_fetch(client: AdminClient, progress: console.PageProgress) -> pipeline.Fetch:
    from .live import server

    def fetch(scenario: Scenario) -> list[Page]:
        return client.fetch_pages(
            scenario.endpoint,
            scenario.request.query,
            scenario.project_id,
            scenario.directory,
            on_page=lambda number: progress(scenario.id, number),
            headers={server.SCENARIO_HEADER: scenario.id},
        )

    return fetch


def _migration(to: str | None) -> str | None:
    """``--to``: the number (``2``, ``0002``) or name of an existing migration; anything else
    is refused (``--to 9`` used to apply every migration)."""
    if to is None:
        return None
    names = [m.name for m in migrate.available()]
    wanted = f"{int(to):04d}" if to.isdigit() else to
    if not any(n.startswith(wanted) for n in names):
        raise ArgumentError(
            f"--to {to!r} names no migration",
            hint=f"pick one of {', '.join(n.split('_')[0] for n in names)}",
        )
    return wanted


def cmd_replay(args: argparse.Namespace) -> int:
    options = pipeline.ReplayOptions(
        fixtures=args.fixtures,
        db=args.db,
        checksums=args.checksums,
        scenarios=tuple(args.scenario or ()),
        now=_now(args.now),
        upsert_mode=args.upsert_mode,
        allow_list=args.allow_dangling,
    )
    with _reporting(args) as pending:
        if args.served:
            from .live import server

            with server.serving(args.fixtures) as srv, _client(args, srv.url, local=True) as client:
                with console.PageProgress() as progress:
                    fetch = _served_fetch(client, progress)
                    result = pipeline.replay(options, fetch, pending.prepare)
        else:
            result = pipeline.replay(options, on_report=pending.prepare)
    footer = f"{result.checksum_files} fixture files verified; database {args.db}; "
    return _emit(result.report, pending.publish(), args, footer + f"report {args.report}")


@contextmanager
def _reporting(args: argparse.Namespace) -> Iterator[report.Pending]:
    """The run's report, written before its database commits (report.Pending): discarded if
    the run fails, when a failure that carries a report shows that one instead. ``--report``
    naming the database file is refused before anything runs."""
    if os.path.realpath(args.report) == os.path.realpath(args.db):
        raise ArgumentError(
            f"--report and --db both name {args.db}",
            hint="give the report a path of its own, e.g. --report reports/report.json",
        )
    pending = report.Pending(args.report)
    try:
        yield pending
    except BaseException as exc:
        pending.discard()
        if isinstance(exc, HarnessError):
            _emit_failed(exc, args)
        raise


def _emit_failed(exc: HarnessError, args: argparse.Namespace) -> None:
    """A run that failed with a report (relationship issues) still writes and shows it."""
    if exc.report is not None:
        report.write(exc.report, args.report)
        if not args.json:
            console.print_summary(exc.report)


def _emit(built: dict[str, Any], text: str, args: argparse.Namespace, footer: str) -> int:
    """Show a run that committed: its report (already in place, ``text``) and the footer."""
    if args.json:
        sys.stdout.write(text)
    else:
        console.print_summary(built)
        console.print_lines([footer])
    return 0


def _check_or_write(path: Path, expected: str, args: argparse.Namespace, regenerate: str) -> int:
    if args.write:
        path.write_text(expected, encoding="utf-8", newline="\n")
        console.print_lines([f"wrote {path}"])
        return 0
    if args.check:
        actual = path.read_text(encoding="utf-8") if path.is_file() else None
        if actual != expected:
            console.print_error(f"{path} is stale: run `{regenerate}`", "StaleFile")
            return 1
        console.print_lines([f"{path} is up to date"])
        return 0
    sys.stdout.write(expected)
    return 0


def cmd_checksums(args: argparse.Namespace) -> int:
    manifest = _manifest(args)
    if args.write:
        count = checksums.write(manifest, args.fixtures)
        console.print_lines([f"wrote {manifest} ({count} files)"])
        return 0
    verified = checksums.verify(manifest, args.fixtures)
    console.print_lines([f"{manifest}: {verified.files} files verified"])
    return 0


def cmd_endpoints(args: argparse.Namespace) -> int:
    return _check_or_write(
        args.output,
        catalog.render(args.fixtures),
        args,
        "harness endpoints --write",
    )


def cmd_schemas(args: argparse.Namespace) -> int:
    stale = []
    for name, text in sorted(schema.expected_files().items()):
        path = args.dir / name
        if args.write:
            args.dir.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        elif not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    if args.write:
        console.print_lines([f"wrote {len(schema.expected_files())} schemas to {args.dir}"])
        return 0
    if stale:
        console.print_error(
            f"stale schemas: {', '.join(stale)}; run `harness schemas --write`", "StaleFile"
        )
        return 1
    console.print_lines(["schemas are up to date"])
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    if args.db_command == "migrate":
        upto = _migration(args.to)  # before the file is opened (and perhaps created)
        con = connect(args.db)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                applied = migrate.apply(con, now, upto=upto)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()
        console.print_lines([f"applied {name}" for name in applied] or ["nothing to apply"])
        return 0
    if args.db_command == "docs":
        return _check_or_write(
            args.output,
            catalog.schema_markdown(),
            args,
            "harness db docs --write",
        )
    if not args.db.exists():
        raise PathError(
            f"database {args.db} does not exist",
            hint="run `harness replay` or `harness db migrate` to create it",
        )
    con = connect(args.db, read_only=True)
    try:
        status = migrate.status(con)
    finally:
        con.close()
    if args.json:
        sys.stdout.write(json.dumps(status.__dict__, indent=2, sort_keys=True) + "\n")
        return 0
    rows = [(n, "applied") for n in status.applied] + [(n, "pending") for n in status.pending]
    console.print_table(f"migrations of {args.db}", ("migration", "state"), rows)
    console.print_lines([f"written by duckdb {status.duckdb_version or 'unknown'}"])
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from .live import sync

    options = sync.SyncOptions(
        since=None if args.since is None else sync.parse_day(args.since, "--since"),
        until=datetime.now(UTC) if args.until is None else sync.parse_day(args.until, "--until"),
        db=args.db,
        endpoints=tuple(args.endpoint or ()),
        lookback_days=args.lookback_days,
        strict=args.strict,
        allow_list=args.allow_dangling,
        capture=args.capture,
        group_by=sync.parse_group_by(args.group_by or []),
        new_grain=args.new_grain,
    )
    if args.max_empty_pages < 1 or args.max_pages < 1:
        raise ArgumentError("--max-empty-pages and --max-pages must be 1 or more")
    with _reporting(args) as pending, _client(args, args.base_url) as client:
        client.max_empty_pages, client.max_pages = args.max_empty_pages, args.max_pages
        with console.PageProgress() as progress:
            result = sync.sync(options, client, progress, pending.prepare)
    footer = f"database {args.db}; report {args.report}; retries and waits in "
    return _emit(result.report, pending.publish(), args, footer + str(args.rate_limit_log))


def cmd_serve(args: argparse.Namespace) -> int:
    from .live import server

    faults = server.Faults(
        rate_limit_every=args.rate_limit_every,
        retry_after=None if args.retry_after == "none" else args.retry_after,
        errors_every=args.errors_every,
        error_burst=args.error_burst,
        delay=args.delay_ms / 1000.0,
    )
    key = args.require_key or server.local_key()
    shown = "the one given with --require-key" if args.require_key else key
    moment = _now(args.as_of)
    as_of = None if moment is None else times.canonical(moment)
    with server.serving(args.fixtures, port=args.port, faults=faults, key=key, as_of=as_of) as srv:
        console.print_lines(
            [
                f"serving {args.fixtures} at {srv.url} (Ctrl-C stops)",
                f"  base URL: {srv.url} (or {srv.url}/v1, as the openai SDK takes it)",
                f"  key: {shown}",
                f"  e.g. OPENAI_ADMIN_KEY={'...' if args.require_key else key} "
                f"harness sync --base-url {srv.url} --since 2025-09-01 --until 2025-10-01",
            ]
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print_lines([f"answered {len(srv.log)} requests"])
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from . import synth

    if args.results < 1:
        raise ArgumentError(
            f"--results {args.results}: a corpus needs at least one result", hint="--results 1000"
        )
    files = synth.synthesize(args.out, args.results, args.seed)
    console.print_lines(
        [
            f"wrote {files} files under {args.out}/fixtures and "
            f"{args.out}/CHECKSUMS.sha256; replay with "
            f"`harness replay --fixtures {args.out}/fixtures`"
        ]
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from . import verify

    verdict = verify.verify(args.fixtures, args.snapshots, args.checksums)
    lines = [f"{verdict.scenarios} scenarios: checksums, schemas, page chains and foreign keys ok"]
    for scenario in verdict.missing_snapshots:
        lines.append(f"{scenario}: no snapshot (run `python -m pytest --snapshot-update`)")
    for scenario, changes in sorted(verdict.snapshot_changes.items()):
        lines.append(f"{scenario}: the report differs from its snapshot:")
        lines += [f"  {line}" for line in changes]
    console.print_lines(lines)
    if not verdict.passed:
        console.print_error(
            "snapshot reports differ; if intended, run `python -m pytest --snapshot-update` "
            "and review the diff",
            "SnapshotMismatch",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from . import diffing, verify

    changes = verify.compare(args.old, args.new)
    if args.output:  # Markdown is what a step summary shows, asked for or not
        try:
            with args.output.open("a", encoding="utf-8") as fh:  # $GITHUB_STEP_SUMMARY appends
                fh.write(verify.markdown(changes))
        except OSError as exc:
            raise PathError(f"cannot write {args.output}: {exc.strerror}") from exc
    if args.markdown:
        if not args.output:
            sys.stdout.write(verify.markdown(changes))
    else:
        rows = [
            (
                fc.name,
                fc.change.path,
                diffing.short(fc.change.old) if fc.change.kind != "added" else "",
                diffing.short(fc.change.new) if fc.change.kind != "removed" else "",
            )
            for fc in changes
        ]
        title = f"{len(changes)} change{'' if len(changes) == 1 else 's'}"
        console.print_table(title, ("scenario", "path", "old", "new"), rows)
    return 1 if changes else 0
