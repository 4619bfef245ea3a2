"""How the SQL engine shares two cores: endpoints side by side, and the checksum thread's bytes.

``start_all`` runs ``stage.start`` for several endpoints at once, each on a cursor and in a
schema of its own. After its read an endpoint's checks run mostly on one core (DuckDB scans a
small table on one thread), so a second endpoint in flight keeps the other core busy. DuckDB's
own pool shrinks meanwhile, so that the threads add up to the cores it had.

``validate.PageValidator`` is what the checksum thread lends its bytes to: while a page is in
memory for its checksum it is decoded strictly for ``stage.settle``, instead of being read a
second time.

``HARNESS_SQL_WORKERS=1`` runs one endpoint at a time (to profile, or to rule this module out).
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import duckdb

from ...endpoints import Endpoint
from ...models import Scenario
from ...store.connection import location, one
from .read import Declined
from .stage import FastResult, start

WORKERS_ENV = "HARNESS_SQL_WORKERS"


def workers() -> int:
    """Endpoints in flight at once: 2, or HARNESS_SQL_WORKERS."""
    value = os.environ.get(WORKERS_ENV, "")
    return max(1, int(value)) if value.isdigit() else 2


# Called on a worker's cursor after each endpoint it staged (staging takes the endpoint's
# reference ids there, while the other worker keeps reading).
Then = Callable[[duckdb.DuckDBPyConnection, Endpoint], None]


def start_all(
    con: duckdb.DuckDBPyConnection,
    todo: list[tuple[Endpoint, list[Scenario]]],
    now: datetime,
    then: Then | None = None,
) -> dict[str, FastResult]:
    """start() for each endpoint, workers() at a time, by name; an endpoint that declines is
    left out (the reference engine takes it). Each worker has a cursor (a connection of its
    own to the same database: its temp tables are its own) and a schema of its own for the
    tables that become the staged rows; the staged views are in the main schema, for ``con``."""
    row = one(con.execute("SELECT current_setting('threads')"))
    threads, (database, _) = int(row[0]) if row else 1, location(con)
    width = workers()
    free: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
    cursors = []

    def start_one(endpoint: Endpoint, scenarios: list[Scenario]) -> FastResult | None:
        cursor = free.get()
        try:
            result = start(cursor, endpoint, scenarios, now)
            if then is not None:
                then(cursor, endpoint)
            return result
        except Declined:
            return None
        finally:
            free.put(cursor)

    # Each query runs on its caller's thread plus DuckDB's pool: more threads than cores
    # ran slower, so the pool gives up one thread per extra worker.
    con.execute(f"SET threads = {max(1, threads - width + 1)}")
    try:
        for n in range(width):
            cursors.append(con.cursor())
            cursors[-1].execute(
                f"CREATE SCHEMA IF NOT EXISTS fp_worker{n}; "
                f"SET search_path = 'fp_worker{n},{database}.main'"
            )
            free.put(cursors[-1])
        # Biggest first (by bytes to read), so that the last to finish is a small one.
        by_size = sorted(
            todo, key=lambda t: -sum(os.path.getsize(p) for s in t[1] for p in s.page_files)
        )
        with ThreadPoolExecutor(width, thread_name_prefix="harness-sql") as pool:
            futures = {e.name: pool.submit(start_one, e, scenarios) for e, scenarios in by_size}
            results = {e.name: futures[e.name].result() for e, _ in todo}
    finally:
        for cursor in cursors:
            cursor.close()
        con.execute(f"SET threads = {threads}")
    return {name: result for name, result in results.items() if result is not None}
