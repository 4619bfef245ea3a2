"""A new database file starts as a copy of a migrated, empty one.

Migrating a new file runs every numbered migration, several of which rebuild the tables of the
ones before: that cost more than the rest of a small replay. So the first run of a harness
version (per DuckDB version and set of migrations) migrates a template once, in the system's
temporary folder, and every new database file is a copy of it. The copy is made only where no
file exists (a hard link from a private copy, which fails if another run created the path
first), and the run's transaction then stamps the migrations with its own clock, so the file
ends exactly as migrating it would leave it (``migrate.preflight``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb

from . import migrate
from .connection import connect


@cache
def _template_path() -> Path:
    """Where the template of this DuckDB version and these migrations is kept (the migrations
    are read and hashed once per process, not per new database)."""
    key = hashlib.sha256(duckdb.__version__.encode())
    for migration in migrate.available():
        key.update(migration.name.encode() + migration.checksum.encode())
    return Path(tempfile.gettempdir()) / f"harness-template-{key.hexdigest()[:16]}.duckdb"


def _template() -> Path:
    """The migrated empty database of this DuckDB version and these migrations."""
    path = _template_path()
    if not path.exists():
        building = path.with_name(f"{path.stem}.{os.getpid()}.building")
        building.unlink(missing_ok=True)
        con = connect(building)
        try:
            con.execute("BEGIN TRANSACTION")
            migrate.apply(con, datetime.now(UTC))
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(building, path)  # whole, or not at all, for runs beside this one
    return path


def create(db: Path) -> tuple[bool, bool]:
    """Create ``db`` if no file is there: (whether this run created it, whether it is the
    migrated template's copy). The file appears whole and only where none was (a hard link
    from a private copy, which fails if another run created the path first), so a run knows
    the file is its own: only its creator ever removes a new database (pipeline.ingest).
    Where the template cannot be made, the copy is of an empty database, migrated as usual."""
    if db.exists():
        return False, False
    try:
        source: Path | None = _template()
    except (OSError, duckdb.Error):
        source = None
    private = db.with_name(f".{db.name}.{os.getpid()}.new")
    try:
        if source is not None:
            shutil.copyfile(source, private)
        else:
            duckdb.connect(str(private)).close()  # a database file of this run's own
        try:
            os.link(private, db)  # fails if another run created db first
        finally:
            private.unlink(missing_ok=True)
    except (OSError, duckdb.Error):
        return False, False
    return True, source is not None
