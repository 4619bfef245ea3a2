"""Two engines, one contract: the pure Python reference and the DuckDB SQL engine.

Both take the scenarios of an endpoint and leave, in the workspace (an in-memory DuckDB
database that ``staging.py`` opens), the **staged relation** ``staged_<endpoint>`` in its
``main`` schema: a table (reference) or a view (SQL) that ``store/ingest.upsert`` reads.

The staged relation holds exactly the deduped winners of the run, one row per dedupe key:

- the stored columns of ``store/tables.stored_columns(endpoint)`` but the metadata: for
  usage and costs ``window_start``/``window_end`` (TIMESTAMPTZ), ``group_by`` (the request's
  grouping joined by commas), each dimension, each value column (money as DECIMAL value plus
  lower-case currency); for lists the item's fields;
- where each row came from: ``source_scenario``, ``source_page``, ``captured_at`` (the
  capture's ``recorded_at``, which ranks captures), ``synced_at`` (the run's clock),
  ``bucket_index`` and ``result_index``.

Each engine also hands back a ``stats.Staged``: the scenario runs (pages, buckets, raw
results, chain, unknown fields) and each endpoint's deduped statistics. The winner of a key is
the row of highest capture rank (recorded_at, scenario, page, bucket, result); counters are
exact (integers, decimals per currency). Two engines given the same pages give byte-identical
reports and equal staged rows: ``tests/test_engines.py`` proves it on random corpora.

Which engine takes an endpoint is a matter of speed only: the SQL engine takes usage and costs
endpoints whose pages hold ``sql_min_bytes()`` or more (below that DuckDB's fixed cost per
endpoint outweighs the reference engine's per-row cost, and a few kilobytes need no threads),
and the reference engine everything else.

The SQL engine vouches only for what it can prove in SQL; on anything else it declines
(``engines.sql.read.Declined``) and the reference engine takes the endpoint, to name each
problem with its file, page and pointer. The engines never import each other, ``report``,
``pipeline``, ``staging`` or ``live``.
"""

from __future__ import annotations

import os

from ..errors import ArgumentError

# Set to 1 to run every endpoint through the reference engine (slower; for debugging and the
# differential test).
REFERENCE_ENV = "HARNESS_REFERENCE_PATH"


# Usage and costs endpoints whose pages hold fewer bytes go to the reference engine; 0 sends
# every one of them to the SQL engine (the engine tests do, to prove the two alike).
SQL_MIN_BYTES_ENV = "HARNESS_SQL_MIN_BYTES"
SQL_MIN_BYTES = 256 * 1024


def sql_enabled() -> bool:
    """Whether usage and costs may take the SQL engine (HARNESS_REFERENCE_PATH unset)."""
    return not os.environ.get(REFERENCE_ENV)


def sql_min_bytes() -> int:
    """The size, in page bytes, from which a usage or costs endpoint takes the SQL engine:
    HARNESS_SQL_MIN_BYTES, or 256 KiB. A value that is not a whole number is refused."""
    value = os.environ.get(SQL_MIN_BYTES_ENV, "").strip()
    if not value:
        return SQL_MIN_BYTES
    if not value.isdigit():
        raise ArgumentError(
            f"{SQL_MIN_BYTES_ENV}={value!r} is not a whole number of bytes",
            hint=f"unset it for the default ({SQL_MIN_BYTES}), or set 0 to use the SQL engine "
            "for every usage and costs endpoint",
        )
    return int(value)
