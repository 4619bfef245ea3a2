"""Dedupe in SQL: the key, the winners, the staged rows. Twin of ``engines/reference/dedupe.py``.

Works on ``fp_all`` (one row per result, with a BIGINT capture ``rank`` whose top bits are the
file's id in ``fp_meta``, and hashes ``kh`` of its key and ``vh`` of its values) that
``read.py`` builds. Keys group together with NULLs equal; the highest rank wins, as in the
reference engine. Staging copies nothing: ``fp_all`` is pruned to the winners, and the staged view
store/ingest.py upserts from reads it. The staged rows carry no dedupe_key: the tables' views
compute it (migration 0006).
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from ...endpoints import Endpoint
from ...store.connection import location, one
from ...store.ingest import staged_table
from ...store.tables import value_columns
from .read import Declined, key_columns
from .validate import Extras


def key_order(endpoint: Endpoint, prefix: str = "") -> str:
    """models.key_order as an ORDER BY list."""
    names = ["window_start", "window_end", "group_by", *(f.name for f in endpoint.dimensions)]
    return ", ".join(f"{prefix}{n} NULLS FIRST" for n in names)


def group(con: duckdb.DuckDBPyConnection, endpoint: Endpoint) -> bool:
    """``fp_groups``: one row per dedupe key held by two or more results (NULLs group
    together): the winning rank, and whether the key's rows disagree (a conflict) or span
    scenarios (per-scenario stats then differ). A key held once has no loser and no conflict,
    so it needs no row here. ``fp_sgroups``: the same per scenario. ``fp_losers``: the ranks
    that lose to their key's winner. Returns whether any key spans scenarios; raises Declined
    if two keys share a hash."""
    # Rows group by the 64-bit hash of their key, several times faster than by its columns,
    # and conflicts are told by the hash of their values. Most keys are held once: finding
    # the hashes that repeat carries no aggregate, and only their rows are then aggregated
    # and compared. Only a group of two or more rows can hide keys or values that share a
    # hash, so those groups are checked on the columns themselves: grouping and conflicts
    # are exact.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fp_groups AS SELECT kh, max(rank) AS win, "
        "count(*) AS n, min(vh) <> max(vh) AS conflicted, min(sid) <> max(sid) AS spans, "
        "min(sid) AS sid FROM fp_all WHERE is_result AND kh IN "
        "(SELECT kh FROM fp_all WHERE is_result GROUP BY kh HAVING count(*) > 1) GROUP BY kh"
    )
    values = ", ".join(n for n, _ in value_columns(endpoint)) or "NULL"
    shared = one(
        con.execute(
            "SELECT count(*) FROM (SELECT any_value(g.conflicted) AS conflicted, "
            f"count(DISTINCT ({key_columns(endpoint)})) AS keys, "
            f"count(DISTINCT ({values})) AS versions FROM fp_all a JOIN fp_groups g USING (kh) "
            "WHERE a.is_result GROUP BY kh) "
            "WHERE keys > 1 OR conflicted <> (versions > 1)"
        )
    )
    if shared and shared[0]:
        raise Declined(f"{shared[0]} hashes stand for more than one key or value")
    row = one(con.execute("SELECT count(*) FROM fp_groups WHERE spans"))
    spans = bool(row and row[0])
    source = "fp_groups"  # when each key lives in one scenario (its sid), the same groups
    if spans:
        # A spanning key's rows, grouped per scenario where it is held twice or more.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE fp_spanning AS SELECT sid, kh, max(rank) AS win, "
            "count(*) AS n, min(vh) <> max(vh) AS conflicted FROM fp_all WHERE is_result "
            "AND kh IN (SELECT kh FROM fp_groups WHERE spans) GROUP BY sid, kh "
            "HAVING count(*) > 1"
        )
        source = (
            "(SELECT sid, kh, win, n, conflicted FROM fp_groups WHERE NOT spans "
            "UNION ALL SELECT sid, kh, win, n, conflicted FROM fp_spanning)"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW fp_sgroups AS SELECT * FROM {source}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fp_losers AS SELECT a.rank FROM fp_all a "
        "JOIN fp_groups g USING (kh) WHERE a.is_result AND a.rank <> g.win"
    )
    return spans


# The columns of fp_all that the staged rows need; the others only served the checks.
_STAGED = ("file_id", "rank", "bucket_index", "result_index", "window_start", "window_end")


def staged_rows(endpoint: Endpoint) -> str:
    """Where stage() keeps an endpoint's winners: fp_all, renamed once it is pruned."""
    return f"fp_rows_{endpoint.name}"


def staged_meta(endpoint: Endpoint) -> str:
    """Where stage() keeps an endpoint's fp_meta (the staged view joins it)."""
    return f"fp_meta_{endpoint.name}"


def stage(con: duckdb.DuckDBPyConnection, endpoint: Endpoint, now: datetime) -> str:
    """The winners, shaped like store/ingest.stage's table: fp_all pruned to them (losers,
    empty buckets and the checks' columns removed), behind a view in the database's main
    schema, where every connection finds it; copying them into a table of their own took as
    long as inserting them into the database. Returns the schema that holds the rows."""
    database, own = location(con)
    schema = f"{database}.{own}"
    rows, meta = staged_rows(endpoint), staged_meta(endpoint)
    con.execute("DELETE FROM fp_all WHERE NOT is_result OR rank IN (SELECT rank FROM fp_losers)")
    keep = {
        *_STAGED,
        *(f.name for f in endpoint.dimensions),
        *(n for n, _ in value_columns(endpoint)),
    }
    columns = [d[0] for d in con.execute("SELECT * FROM fp_all LIMIT 0").description]
    con.execute(  # one call: the statements are many and each is cheap
        "".join(f"ALTER TABLE fp_all DROP COLUMN {c}; " for c in columns if c not in keep)
        + f"ALTER TABLE fp_all RENAME TO {rows}; ALTER TABLE fp_meta RENAME TO {meta}"
    )
    _view(con, endpoint, schema, now)
    return schema


def staged_extras(endpoint: Endpoint) -> str:
    """Where attach_extras() keeps the extra_fields of an endpoint's results."""
    return f"fp_extras_{endpoint.name}"


def _view(
    con: duckdb.DuckDBPyConnection,
    endpoint: Endpoint,
    schema: str,
    now: datetime,
    extras: bool = False,
) -> None:
    """The staged view over the rows stage() kept in ``schema``, in the database's main
    schema; with ``extras``, each row's extra_fields joined from attach_extras()'s table."""
    database = schema.split(".")[0]
    rows, meta = staged_rows(endpoint), staged_meta(endpoint)
    dims = ", ".join(f.name for f in endpoint.dimensions)
    values = ", ".join(n for n, _ in value_columns(endpoint))
    synced_at = one(con.execute("SELECT CAST(? AS TIMESTAMPTZ)::VARCHAR", [now]))
    assert synced_at is not None
    extra, join = "NULL::JSON", ""
    if extras:
        extra = "x.extra_fields"
        join = (
            f" LEFT JOIN {schema}.{staged_extras(endpoint)} AS x ON x.file_id = r.file_id "
            "AND x.bucket_index = r.bucket_index "
            "AND r.result_index BETWEEN x.first_result AND x.last_result"
        )
    con.execute(
        f"CREATE OR REPLACE VIEW {database}.main.{staged_table(endpoint)} AS SELECT "
        "to_timestamp(window_start) AS window_start, to_timestamp(window_end) AS window_end, "
        f"group_by, {dims}, NULL::VARCHAR AS extra_dimensions, {values}, "
        f"{extra} AS extra_fields, scenario AS source_scenario, page_name AS source_page, "
        f"captured_at, TIMESTAMPTZ '{synced_at[0]}' AS synced_at, r.bucket_index, "
        # the row's place in its table: store/ingest.py splits a first load on it
        f"r.result_index, r.rowid AS stage_row FROM {schema}.{rows} AS r "
        f"JOIN {schema}.{meta} AS m ON m.file_id = r.file_id{join}"
    )


def attach_extras(
    con: duckdb.DuckDBPyConnection,
    endpoint: Endpoint,
    schema: str,
    now: datetime,
    extras: dict[str, Extras],
    texts: dict[str, int],
) -> None:
    """Give the staged rows their extra_fields: ``extras`` holds, by page file, the runs of
    results that have any (the strict decode's, or the reference validator's for the pages it
    answered), each with the code of its text in ``texts``."""
    file_ids = dict(
        con.execute(f"SELECT filename, file_id FROM {schema}.{staged_meta(endpoint)}").fetchall()
    )
    ids: list[int] = []
    buckets: list[int] = []
    firsts: list[int] = []
    lasts: list[int] = []
    codes: list[int] = []
    for filename, held in extras.items():
        ids += [file_ids[filename]] * len(held.codes)
        buckets += held.buckets
        firsts += held.firsts
        lasts += held.lasts
        codes += held.codes
    con.execute(
        f"CREATE OR REPLACE TABLE {schema}.{staged_extras(endpoint)} AS SELECT e.file_id, "
        "e.bucket_index, e.first_result, e.last_result, CAST(t.text AS JSON) AS extra_fields "
        "FROM (SELECT unnest(?::BIGINT[]) AS file_id, unnest(?::BIGINT[]) AS bucket_index, "
        "unnest(?::BIGINT[]) AS first_result, unnest(?::BIGINT[]) AS last_result, "
        "unnest(?::BIGINT[]) AS code) AS e JOIN (SELECT unnest(?::VARCHAR[]) AS text, "
        "unnest(?::BIGINT[]) AS code) AS t USING (code)",
        [ids, buckets, firsts, lasts, codes, list(texts), list(texts.values())],
    )
    _view(con, endpoint, schema, now, extras=True)
