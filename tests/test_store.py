"""Migrations, preflight and crash safety, each on a real DuckDB file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from harness.endpoints import ENDPOINTS, Endpoint
from harness.models import dedupe_key
from harness.store import migrate
from harness.store.tables import columns, key_columns, rows_table, stored_columns
from helpers import Corpus, Runner, db_contents

NOW = datetime(2025, 9, 30, tzinfo=UTC)


def _migrated(path: Path, upto: str | None = None) -> None:
    con = duckdb.connect(str(path))
    con.execute("BEGIN")
    migrate.apply(con, NOW, upto=upto)
    con.execute("COMMIT")
    con.close()


def test_migrations_create_the_tables_the_registry_describes(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    _migrated(db)
    con = duckdb.connect(str(db), read_only=True)
    for endpoint in ENDPOINTS:
        # the view readers query, and the table harness writes
        for name, described in (
            (endpoint.table, columns(endpoint)),
            (rows_table(endpoint), stored_columns(endpoint)),
        ):
            actual = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position",
                [name],
            ).fetchall()
            expected = [
                (n, "TIMESTAMP WITH TIME ZONE" if t == "TIMESTAMPTZ" else t) for n, t in described
            ]
            assert actual == expected, name


def test_a_database_at_0002_is_refused_with_the_missing_migration(corpus: Corpus) -> None:
    corpus.db.parent.mkdir(parents=True)
    _migrated(corpus.db, upto="0002")
    before = db_contents(corpus.db)
    result = corpus.replay()
    assert result.code == 2
    assert "0003_usage_event_windows.sql" in result.err
    assert f"harness db migrate --db {corpus.db}" in result.err
    assert db_contents(corpus.db) == before
    assert corpus.cli("db", "migrate", "--db", str(corpus.db)).code == 0
    assert corpus.replay().code == 0


def test_legacy_rows_survive_every_rebuild(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    _migrated(db, upto="0002")
    con = duckdb.connect(str(db))
    con.execute(
        "INSERT INTO usage_completions (dedupe_key, group_by, project_id, input_tokens) "
        "VALUES ('k1', 'project_id', 'proj_abc123', 5)"
    )
    con.close()
    _migrated(db, upto="0003")
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT dedupe_key, window_start, input_tokens FROM usage_completions")
        assert rows.fetchall() == [("legacy:k1", None, 5)]
    _migrated(db)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT dedupe_key, window_start, input_tokens FROM usage_completions")
        ((key, start, tokens),) = rows.fetchall()
    # window, group_by, project_id, user, key, model, batch, service_tier, api_source (0007),
    # extra_dimensions (0008)
    parts = [None, None, "project_id", "proj_abc123", None, None, None, None, None, None, None]
    assert key == "legacy:" + dedupe_key("usage_completions", parts)
    assert (start, tokens) == (None, 5)


def _key_parts(endpoint: Endpoint, row: tuple[Any, ...]) -> list[Any]:
    """A row's key columns as normalize.py holds them: Unix seconds, group_by as a list."""
    parts: list[Any] = []
    for (name, _), value in zip(key_columns(endpoint), row, strict=True):
        if isinstance(value, datetime):
            value = int(value.timestamp())
        elif name == "group_by":
            value = value.split(",") if value else []
        parts.append(value)
    return parts


def test_every_tables_dedupe_key_is_models_dedupe_key(corpus: Corpus) -> None:
    """The view's dedupe_key (migration 0006) hashes the same text as the Python reference, for
    every table and every row of the bundled corpus (booleans and unicode: the next test)."""
    assert corpus.replay().code == 0
    checked, kinds = 0, set()
    with duckdb.connect(str(corpus.db), read_only=True) as con:
        for endpoint in ENDPOINTS:
            names = ", ".join(n for n, _ in key_columns(endpoint))
            for key, *row in con.execute(
                f"SELECT dedupe_key, {names} FROM {endpoint.table}"
            ).fetchall():
                parts = _key_parts(endpoint, tuple(row))
                assert key == dedupe_key(endpoint.name, parts)
                checked += 1
                kinds |= {type(p).__name__ for p in parts}
    assert checked >= 40
    assert kinds >= {"NoneType", "int", "list", "str"}  # booleans: test_0006_...


_SAMPLES = {"VARCHAR": "proj_é:|~", "BIGINT": 42, "BOOLEAN": True, "TIMESTAMPTZ": 1759017600}


def test_each_views_dedupe_key_hashes_what_models_dedupe_key_hashes(tmp_path: Path) -> None:
    """For every table, rows with every key column set (unicode, separators, true) and with
    every nullable one null (false for booleans) read back through the view with the key the
    Python reference computes: the migration's SQL and models.dedupe_key cannot drift apart."""
    db = tmp_path / "h.duckdb"
    _migrated(db)
    with duckdb.connect(str(db)) as con:
        for endpoint in ENDPOINTS:
            nullable = {
                name
                for name, flag in con.execute(
                    "SELECT column_name, is_nullable FROM information_schema.columns "
                    "WHERE table_name = ?",
                    [rows_table(endpoint)],
                ).fetchall()
                if flag == "YES"
            }
            keys = key_columns(endpoint)
            full = [_SAMPLES[t] for _, t in keys]
            sparse = [
                False if t == "BOOLEAN" else None if n in nullable else _SAMPLES[t] for n, t in keys
            ]
            names = ", ".join(n for n, _ in keys)
            values = ", ".join("to_timestamp(?)" if t == "TIMESTAMPTZ" else "?" for _, t in keys)
            for row in (full, sparse):
                con.execute(f"DELETE FROM {rows_table(endpoint)}")
                con.execute(f"INSERT INTO {rows_table(endpoint)} ({names}) VALUES ({values})", row)
                (key, *stored), *_ = con.execute(
                    f"SELECT dedupe_key, {names} FROM {endpoint.table}"
                ).fetchall()
                legacy = "legacy:" if endpoint.bucketed and stored[0] is None else ""
                parts = _key_parts(endpoint, tuple(stored))
                assert key == legacy + dedupe_key(endpoint.name, parts), (endpoint.name, row)


def test_0006_computes_the_keys_0005_stored(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    _migrated(db, upto="0005")
    parts = [1759017600, 1759104000, "model,project_id", "proj_é", None, None, "gpt-4o", True, None]
    stored = dedupe_key("usage_completions", parts)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "INSERT INTO usage_completions (dedupe_key, window_start, window_end, group_by, "
            "project_id, model, batch, input_tokens) VALUES "
            "(?, to_timestamp(1759017600), to_timestamp(1759104000), 'model,project_id', "
            "'proj_é', 'gpt-4o', true, 7)",
            [stored],
        )
    _migrated(db, upto="0006")
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT dedupe_key, input_tokens FROM usage_completions").fetchall()
    assert rows == [(stored, 7)]


def test_rows_written_before_0006_are_matched_after_it(corpus: Corpus, tmp_path: Path) -> None:
    """A database at 0005 holding the corpus (keys stored, as the old upsert wrote them) is
    migrated, then the same corpus is replayed: every row is found, none inserted twice."""
    assert corpus.replay().code == 0
    old = tmp_path / "0005.duckdb"
    _migrated(old, upto="0005")
    with duckdb.connect(str(old), read_only=True) as con:  # the columns each table had then
        then = {
            table: [c[0] for c in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
            for (table,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT table_name LIKE 'harness%'"
            ).fetchall()
        }
    with duckdb.connect(str(corpus.db), read_only=True) as con:
        # Rows a 0005 table could hold: a dimension added since must be null (a capture
        # grouped by it, say costs/by_user, did not exist then).
        rows = {
            e.table: con.execute(
                f"SELECT {', '.join(then[e.table])} FROM {e.table} WHERE "
                + " AND ".join(
                    [f"{d} IS NULL" for d in e.dimension_names if d not in then[e.table]] or ["1=1"]
                )
            ).fetchall()
            for e in ENDPOINTS
            if e.table in then
        }
        total = sum(len(con.execute(f"SELECT 1 FROM {e.table}").fetchall()) for e in ENDPOINTS)
    corpus.db.unlink()
    old.rename(corpus.db)
    with duckdb.connect(str(corpus.db)) as con:
        for table, values in rows.items():
            if values:
                marks = ", ".join("?" for _ in values[0])
                con.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
    assert corpus.cli("db", "migrate", "--db", str(corpus.db)).code == 0
    assert corpus.replay().code == 0
    writes = {n: e["writes"] for n, e in corpus.report_json()["endpoints"].items()}
    # Every row is found again: what 0005 held unchanged, or updated where it lacked a column
    # added since (project keys' owner_project_access); what it could not hold is inserted.
    assert sum(w["unchanged"] + w["updated"] for w in writes.values()) == sum(
        map(len, rows.values())
    )
    widened = {  # endpoints whose table gained columns since 0005
        e.name
        for e in ENDPOINTS
        if e.table in then and {n for n, _ in columns(e)} - {*then[e.table]}
    }
    assert all(w["updated"] == 0 for n, w in writes.items() if n not in widened), writes
    assert sum(w["inserted"] for w in writes.values()) == total - sum(map(len, rows.values()))


def test_a_database_ahead_of_the_code_is_refused(populated: Corpus) -> None:
    corpus = populated
    con = duckdb.connect(str(corpus.db))
    con.execute("INSERT INTO harness_migrations VALUES ('9999_future.sql', 'x', now())")
    con.close()
    result = corpus.replay()
    assert result.code == 2 and "ahead" in result.err and "9999_future.sql" in result.err


def test_an_edited_migration_is_an_error(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    _migrated(db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE harness_migrations SET checksum = 'edited' WHERE name LIKE '0001%'")
    with pytest.raises(Exception, match="changed since they were applied"):
        migrate.preflight(con, db, NOW)


def test_db_status_lists_migrations_and_duckdb_version(populated: Corpus) -> None:
    corpus = populated
    result = corpus.cli("db", "status", "--db", str(corpus.db), "--json")
    assert result.code == 0
    assert f'"duckdb_version": "{duckdb.__version__}"' in result.out
    assert '"pending": []' in result.out


def test_duplicate_keys_are_caught_by_the_integrity_check(populated: Corpus) -> None:
    corpus = populated
    con = duckdb.connect(str(corpus.db))
    con.execute("INSERT INTO costs_rows SELECT * FROM costs_rows LIMIT 1")
    con.close()
    result = corpus.replay()
    assert result.code == 2
    assert "table costs holds 1 duplicated dedupe keys" in result.err


def test_rows_with_null_dimensions_are_not_inserted_twice(corpus: Corpus) -> None:
    args = ("--scenario", "usage_moderations/daily")
    assert corpus.replay(*args).code == 0
    assert corpus.replay(*args).code == 0
    con = duckdb.connect(str(corpus.db), read_only=True)
    rows = con.execute("SELECT project_id, user_id, api_key_id, model FROM usage_moderations")
    assert rows.fetchall() == [(None, None, None, None)]
    writes = corpus.report_json()["endpoints"]["usage_moderations"]["writes"]
    assert writes == {"inserted": 0, "updated": 0, "unchanged": 1}


def test_cursors_record_where_each_chain_stopped(corpus: Corpus) -> None:
    assert corpus.replay().code == 0
    con = duckdb.connect(str(corpus.db), read_only=True)
    rows = con.execute(
        "SELECT endpoint, project_id, next_page, has_more, epoch(window_start)::BIGINT, "
        "epoch(window_end)::BIGINT, last_synced_at FROM sync_cursors "
        "WHERE endpoint IN ('usage_completions', 'project_api_keys') ORDER BY ALL"
    ).fetchall()
    # basic and restated made the same request: one fingerprint, one cursor row
    assert len(rows) == 6  # + dual, multipage, by_api_source and two projects' key listings
    multipage = [r for r in rows if r[4] == 1758844800]
    assert multipage[0][:6] == ("usage_completions", "", None, False, 1758844800, 1759104000)
    assert {r[1] for r in rows if r[0] == "project_api_keys"} == {"proj_abc123", "proj_xyz890"}
    assert str(rows[0][6].astimezone(UTC)) == "2025-09-30 06:00:00+00:00"


def test_memory_limit_and_spill_directory_come_from_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.store import connect

    monkeypatch.setenv("HARNESS_DUCKDB_MEMORY_LIMIT", "256MB")
    monkeypatch.setenv("HARNESS_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    con = connect(tmp_path / "h.duckdb")
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
    spill = con.execute("SELECT current_setting('temp_directory')").fetchone()
    con.close()
    assert limit is not None and limit[0] in ("256.0 MiB", "244.1 MiB")
    assert spill == (str(tmp_path / "spill"),)


def test_the_workspace_never_checkpoints_and_the_database_file_does(tmp_path: Path) -> None:
    """Compressing the workspace's one-run tables cost more than reading them; the attached
    file keeps DuckDB's default, so its commits still checkpoint as usual, and is written in
    row groups small enough to be compressed during the INSERT."""
    from harness.store import attach, workspace
    from harness.store.connection import WRITE_ROW_GROUP

    con = workspace()
    fresh = duckdb.connect()
    try:
        in_workspace = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()
        attach(con, tmp_path / "h.duckdb")
        attached = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()
        options = con.execute(
            "SELECT options FROM duckdb_databases() WHERE database_name = 'target'"
        ).fetchall()
        default = fresh.execute("SELECT current_setting('checkpoint_threshold')").fetchall()
    finally:
        con.close()
        fresh.close()
    assert in_workspace != default
    assert attached == default
    assert options == [({"row_group_size": str(WRITE_ROW_GROUP)},)]


@pytest.mark.parametrize("threads", [1, 3])
def test_a_first_load_in_parallel_parts_writes_every_row_once(tmp_path: Path, threads: int) -> None:
    """A first load smaller than DuckDB's scan unit is inserted as parts, one per thread, split
    on the staged rows' place (ingest._in_parts): the table then holds exactly the staged rows,
    in whole row groups but the last, as one scan writes them."""
    from harness.endpoints import REGISTRY
    from harness.store import attach, ingest, workspace
    from harness.store.connection import WRITE_ROW_GROUP

    endpoint = REGISTRY["usage_moderations"]
    count = 50_000
    con = workspace()
    try:
        con.execute(f"SET threads = {threads}")
        con.execute(  # the fast path's shape: a stage_row with gaps, as after pruning losers
            "CREATE TEMP TABLE staged_usage_moderations AS SELECT "
            "to_timestamp(1756684800 + 60 * (i // 7)) AS window_start, "
            "to_timestamp(1756684860 + 60 * (i // 7)) AS window_end, 'project_id' AS group_by, "
            "'proj_' || (i % 7) AS project_id, NULL AS user_id, NULL AS api_key_id, "
            "NULL AS model, NULL AS extra_dimensions, i AS input_tokens, 1 AS num_model_requests, "
            "'s' || (i % 3) AS source_scenario, 'page-' || (i // 1000) || '.json' AS source_page, "
            "TIMESTAMPTZ '2025-10-01' AS captured_at, TIMESTAMPTZ '2025-10-02' AS synced_at, "
            "NULL::JSON AS extra_fields, "
            "(i // 5) % 200 AS bucket_index, i % 5 AS result_index, 3 * i + 1 AS stage_row "
            f"FROM range({count}) t(i)"
        )
        parts = ingest._in_parts(con, ["input_tokens"], "staged_usage_moderations")
        attach(con, tmp_path / "h.duckdb")
        migrate.preflight(con, tmp_path / "h.duckdb", datetime(2025, 10, 2, tzinfo=UTC))
        writes = ingest.upsert(con, endpoint)
        names = ", ".join(n for n, _ in stored_columns(endpoint))
        missing, extra = (
            con.execute(f"SELECT count(*) FROM ({query})").fetchall()
            for query in (
                f"SELECT {names} FROM temp.staged_usage_moderations "
                f"EXCEPT ALL SELECT {names} FROM {rows_table(endpoint)}",
                f"SELECT {names} FROM {rows_table(endpoint)} "
                f"EXCEPT ALL SELECT {names} FROM temp.staged_usage_moderations",
            )
        )
        groups = con.execute(
            "SELECT count(DISTINCT row_group_id) FROM "
            f"pragma_storage_info('{rows_table(endpoint)}')"
        ).fetchall()
    finally:
        con.close()
    assert parts.count("UNION ALL") == min(threads, count // WRITE_ROW_GROUP) - 1
    assert writes.inserted == count and writes.first_load
    assert missing == [(0,)] and extra == [(0,)]
    assert groups == [(-(-count // WRITE_ROW_GROUP),)]  # 3 whole row groups and the rest


def _schema(path: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns ORDER BY ALL"
        ).fetchall()


def test_a_new_database_copied_from_the_template_is_the_migrated_one(
    corpus: Corpus, tmp_path: Path
) -> None:
    """A replay into a new path starts from the migrated template (store/template.py): same
    tables, columns and views as migrating the file, and the migrations stamped with the run's
    clock, as applied by this run."""
    assert corpus.replay().code == 0
    migrated = tmp_path / "migrated.duckdb"
    _migrated(migrated)
    assert _schema(corpus.db) == _schema(migrated)
    with duckdb.connect(str(corpus.db), read_only=True) as con:
        stamps = con.execute(
            "SELECT name, checksum, applied_at FROM harness_migrations ORDER BY name"
        ).fetchall()
    assert [(n, c) for n, c, _ in stamps] == [(m.name, m.checksum) for m in migrate.available()]
    assert {str(at.astimezone(UTC)) for _, _, at in stamps} == {"2025-09-30 06:00:00+00:00"}


def test_the_template_is_never_copied_over_an_existing_file(tmp_path: Path) -> None:
    from harness.store import template

    existing = tmp_path / "db.duckdb"
    existing.write_bytes(b"not ours")
    assert template.create(existing) == (False, False)
    assert existing.read_bytes() == b"not ours"
    fresh = tmp_path / "new.duckdb"
    assert template.create(fresh) == (True, True) and fresh.stat().st_size > 0
    assert not list(tmp_path.glob(".*.new"))  # the private copy is gone


@pytest.mark.parametrize("to", ["9", "0009", "0009_project_rate_limits"])
def test_migrate_to_a_number_stops_there(cli: Runner, tmp_path: Path, to: str) -> None:
    """`--to 9` used to compare as text and apply every migration."""
    db = tmp_path / "m.duckdb"
    result = cli("db", "migrate", "--db", str(db), "--to", to)
    assert result.code == 0, result.err
    assert "0009_project_rate_limits.sql" in result.out and "0010_invites.sql" not in result.out


def test_migrate_to_no_migration_is_refused(cli: Runner, tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    result = cli("db", "migrate", "--db", str(db), "--to", "99")
    assert result.code == 2 and "--to '99' names no migration" in result.err
    assert "0013" in result.err and not db.exists()
