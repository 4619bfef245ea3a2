"""costEstimate: the billed USD of the staged costs that overlap the staged completions.

Computed once every endpoint is staged, from the workspace's staged relations (either engine's).
Costs captured at several grains (``group_by`` sets) hold the same money once per grain, so per
UTC day the estimate adds the rows of one grain only: one that groups by project (it can then be
matched to the completions' projects), and among several the capture of highest rank. Complete
captures of one day total the same at every grain, so the choice does not change the figure.
"""

from __future__ import annotations

import duckdb

from .store.connection import one


def cost_estimate(con: duckdb.DuckDBPyConnection) -> float:
    """costEstimate: billed USD of the staged costs rows (of one grain per day) whose window
    overlaps a staged completions row, for that row's project (any project when it is not
    grouped by project)."""
    # Staged rows are tables (reference engine) or views (SQL engine).
    staged = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() UNION ALL "
            "SELECT view_name FROM duckdb_views() WHERE NOT internal"
        ).fetchall()
    }
    if not {"staged_usage_completions", "staged_costs"} <= staged:
        return 0.0
    # The completions windows of each project (NULL: not grouped by project, so any project)
    # are merged into islands of overlapping or touching windows first: a costs row overlaps
    # one of the windows exactly when it overlaps their island, and a month of hourly buckets
    # is one island, so each costs row meets a handful of islands instead of every hour.
    row = one(
        con.execute(
            "WITH u AS (SELECT DISTINCT window_start ws, window_end we, project_id p "
            "FROM staged_usage_completions), "
            "o AS (SELECT *, max(we) OVER (PARTITION BY p ORDER BY ws, we "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM u), "
            "n AS (SELECT *, sum(CASE WHEN ws <= reach THEN 0 ELSE 1 END) "
            "OVER (PARTITION BY p ORDER BY ws, we) AS island FROM o), "
            "i AS (SELECT p, min(ws) AS ws, max(we) AS we FROM n GROUP BY p, island), "
            # One grain per UTC day: by project if any, then the latest capture.
            "g AS (SELECT date_trunc('day', window_start) AS day, group_by, "
            "list_contains(string_split(group_by, ','), 'project_id') AS by_project, "
            "max(captured_at) AS captured, max(source_scenario) AS scenario "
            "FROM staged_costs GROUP BY ALL), "
            "chosen AS (SELECT day, "
            "arg_max(group_by, row(by_project, captured, scenario)) AS group_by "
            "FROM g GROUP BY day) "
            "SELECT sum(amount_value) FROM staged_costs c "
            "JOIN chosen ON chosen.day = date_trunc('day', c.window_start) "
            "AND chosen.group_by = c.group_by "
            "WHERE amount_currency = 'usd' AND EXISTS ("
            "SELECT 1 FROM i WHERE (i.p = c.project_id OR i.p IS NULL) "
            "AND c.window_start < i.we AND i.ws < c.window_end)"
        )
    )
    return float(row[0]) if row and row[0] is not None else 0.0
