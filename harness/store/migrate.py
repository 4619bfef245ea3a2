"""Numbered SQL migrations, an applied-migrations table, and the preflight before every ingest.

Migrations are ``NNNN_name.sql`` files shipped in ``harness/store/migrations``. The table
``harness_migrations`` records name, sha256 and time; an applied file that changed is an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

import duckdb

from ..errors import MigrationError
from .connection import one

BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS harness_migrations (
    name VARCHAR PRIMARY KEY,
    checksum VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS harness_meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
"""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class Status:
    applied: list[str]
    pending: list[str]
    unknown: list[str]  # applied in the database, absent from this harness (database is ahead)
    edited: list[str]  # applied, but the file changed since
    duckdb_version: str | None


def available(directory: Path | None = None) -> list[Migration]:
    """The migrations shipped with harness (or in ``directory``), in order."""
    root = directory or Path(str(resources.files("harness.store") / "migrations"))
    return [
        Migration(p.name, p.read_text(encoding="utf-8"))
        for p in sorted(root.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    ]


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = 'main'"
    ).fetchall()
    return {r[0] for r in rows}


def status(con: duckdb.DuckDBPyConnection, directory: Path | None = None) -> Status:
    known = {m.name: m for m in available(directory)}
    applied: dict[str, str] = {}
    version = None
    if "harness_migrations" in _tables(con):
        applied = dict(con.execute("SELECT name, checksum FROM harness_migrations").fetchall())
        row = one(con.execute("SELECT value FROM harness_meta WHERE key = 'duckdb_version'"))
        version = row[0] if row else None
    return Status(
        applied=sorted(applied),
        pending=[n for n in known if n not in applied],
        unknown=sorted(n for n in applied if n not in known),
        edited=sorted(n for n, c in applied.items() if n in known and known[n].checksum != c),
        duckdb_version=version,
    )


def apply(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    *,
    upto: str | None = None,
    directory: Path | None = None,
) -> list[str]:
    """Apply pending migrations (up to and including the one starting with ``upto``).

    Runs inside the caller's transaction, so a failing migration leaves nothing behind.
    """
    con.execute(BOOTSTRAP)
    current = status(con, directory)
    _refuse_drift(current)
    done: list[str] = []
    for migration in available(directory):
        if migration.name in current.applied:
            continue
        if upto is not None and migration.name > upto and not migration.name.startswith(upto):
            break
        try:
            con.execute(migration.sql)
        except duckdb.Error as exc:
            raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
        con.execute(
            "INSERT INTO harness_migrations VALUES (?, ?, ?)",
            [migration.name, migration.checksum, now],
        )
        done.append(migration.name)
    record_version(con)
    return done


def record_version(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT OR REPLACE INTO harness_meta VALUES ('duckdb_version', ?)", [duckdb.__version__]
    )


def _refuse_drift(current: Status) -> None:
    if current.edited:
        raise MigrationError(
            f"applied migration(s) {', '.join(current.edited)} changed since they were applied",
            hint="migrations are frozen once released: restore the file and add a new migration",
        )
    if current.unknown:
        raise MigrationError(
            f"the database is ahead of this harness: it has {', '.join(current.unknown)}, "
            "which this version does not know",
            hint="upgrade harness, or point --db at a database this version wrote",
        )


def preflight(
    con: duckdb.DuckDBPyConnection, db_path: Path, now: datetime, *, from_template: bool = False
) -> list[str]:
    """Refuse a database that is behind, ahead or edited; migrate a fresh one. Returns applied.

    ``from_template``: the file was just created as a copy of the migrated template
    (template.py): its migrations count as applied by this run, at ``now``."""
    tables = _tables(con)
    if not tables:
        return apply(con, now)
    if from_template:
        current = status(con)
        if not current.pending and not current.unknown and not current.edited:
            con.execute("UPDATE harness_migrations SET applied_at = ?", [now])
            record_version(con)
            return current.applied
    if "harness_migrations" not in tables:
        raise MigrationError(
            f"{db_path} holds tables but no harness_migrations table: not a harness database",
            hint="pass --db with a new path, or a database harness created",
        )
    current = status(con)
    _refuse_drift(current)
    if current.pending:
        raise MigrationError(
            f"{db_path} is behind: migrations {', '.join(current.pending)} are not applied",
            hint=f"run `harness db migrate --db {db_path}`, then replay again",
        )
    record_version(con)
    return []
