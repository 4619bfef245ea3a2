"""The SQL engine's statistics: counters, duplicates, conflicts and samples, in SQL.

Twin of ``engines/reference/stats.py``. Works on ``fp_all`` and the groups that
``dedupe.group`` made, and on the staged view for the report's sample.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ...endpoints import REGISTRY, Endpoint
from ...stats import DEDUPED_USAGE_CAP, EndpointStats, ScenarioStats, json_values
from ...store.connection import one
from ...store.ingest import staged_table
from ...store.tables import value_columns
from .dedupe import key_order


def _sums(endpoint: Endpoint) -> str:
    parts = [
        f"coalesce(sum({f.name}), 0) AS {f.name}" for f in endpoint.counters if f.type != "money"
    ]
    return ", ".join(parts) or "NULL AS _none"


def _money_sums(endpoint: Endpoint) -> str:
    """Money totals per currency as one map column; a missing currency is ``unknown``."""
    parts = [
        "map_from_entries(list(struct_pack(k := cur, v := total)) "
        f"FILTER (WHERE total IS NOT NULL)) AS {f.name}"
        for f in endpoint.counters
        if f.type == "money"
    ]
    return ", ".join(parts)


def _counters(endpoint: Endpoint, row: dict[str, Any]) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    for f in endpoint.counters:
        if f.type == "money":
            out[f.name] = 0.0
            for currency, total in sorted((row.get(f.name) or {}).items()):
                out[f.name if currency == "usd" else f"{f.name}_{currency}"] = float(total)
        else:
            out[f.name] = int(row[f.name])
    return dict(sorted(out.items()))


def _totals(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint, source: str, by: str
) -> dict[Any, dict[str, Any]]:
    """Deduped count and counter totals of ``source`` grouped by ``by`` (summed as decimals)."""
    money = [f for f in endpoint.counters if f.type == "money"]
    if not money:
        return {
            r["_by"]: r
            for r in _rows(
                con,
                f"SELECT {by} AS _by, count(*) AS deduped, {_sums(endpoint)} FROM {source} "
                "GROUP BY _by",
            )
        }
    (f,) = money
    rows = _rows(
        con,
        f"SELECT _by, sum(n)::BIGINT AS deduped, {_money_sums(endpoint)} FROM (SELECT {by} AS _by, "
        f"coalesce({f.name}_currency, 'unknown') AS cur, count(*) AS n, "
        f"sum({f.name}_value) AS total FROM {source} GROUP BY _by, cur) GROUP BY _by",
    )
    return {r["_by"]: r for r in rows}


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, values, strict=True)) for values in cur.fetchall()]


def stats(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint, scenario_names: list[str], spans: bool
) -> tuple[EndpointStats, dict[str, int]]:
    """The report's statistics; scenario_names[sid] is the scenario of fp_all.sid, ``spans``
    what group() returned."""
    winners = "(SELECT * FROM fp_all WHERE is_result AND rank NOT IN (SELECT rank FROM fp_losers))"
    conflicts, losers = _conflicts(con, endpoint, "fp_groups")
    # Without spanning keys the run is the sum of its scenarios, and sums of integers and
    # decimals are exact in any order: the run's totals come from the scenarios' rows.
    summed = not spans and all(f.type in ("integer", "money") for f in endpoint.counters)
    if not summed:
        total = _totals(con, endpoint, winners, "0").get(0) or _empty(endpoint)
        plain = one(
            con.execute("SELECT coalesce(sum(n - 1), 0) FROM fp_groups WHERE NOT conflicted")
        )
        duplicates = int(plain[0] if plain else 0) + sum(1 for _, same in losers if same)

    raw = {
        scenario_names[sid]: int(n)
        for sid, n in con.execute(
            "SELECT sid, count(*) FROM fp_all WHERE is_result GROUP BY sid"
        ).fetchall()
    }
    # Without spanning keys fp_sgroups is fp_groups: its losers are the ones just found.
    s_losers = _conflicts(con, endpoint, "fp_sgroups", per_scenario=True)[1] if spans else losers
    s_dups = {
        scenario_names[sid]: int(d)
        for sid, d in con.execute(
            "SELECT sid, sum(n - 1) FROM fp_sgroups WHERE NOT conflicted GROUP BY sid"
        ).fetchall()
    }
    for scenario, same in s_losers:
        s_dups[scenario] = s_dups.get(scenario, 0) + (1 if same else 0)
    # Without spanning keys the run's winners are each scenario's winners.
    s_winners = (
        "(SELECT * FROM fp_all WHERE is_result AND rank NOT IN (SELECT a.rank FROM fp_all a "
        "JOIN fp_sgroups g USING (sid, kh) WHERE a.is_result AND a.rank <> g.win))"
    )
    s_totals = _totals(con, endpoint, s_winners if spans else winners, "sid")
    by_name = {scenario_names[sid]: row for sid, row in s_totals.items()}
    if summed:
        total = _summed(endpoint, list(s_totals.values()))
        duplicates = sum(s_dups.values())
    scenarios = {
        name: ScenarioStats(
            int((by_name.get(name) or _empty(endpoint))["deduped"]),
            s_dups.get(name, 0),
            _counters(endpoint, by_name.get(name) or _empty(endpoint)),
        )
        for name in scenario_names
    }
    stats = EndpointStats(
        deduped=int(total["deduped"]),
        duplicates=duplicates,
        counters=_counters(endpoint, total),
        conflicts=conflicts,
        scenarios=scenarios,
        sample=[],  # filled by fill_samples(), with only what the report can show
    )
    return stats, raw


def _summed(endpoint: Endpoint, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """_totals' rows added up: counts and integer counters, money per currency."""
    out = _empty(endpoint) | {"deduped": sum(int(r["deduped"]) for r in rows)}
    for f in endpoint.counters:
        if f.type != "money":
            out[f.name] = sum(int(r[f.name]) for r in rows)
            continue
        by_currency: dict[str, Any] = {}
        for r in rows:
            for currency, amount in (r.get(f.name) or {}).items():
                by_currency[currency] = by_currency.get(currency, 0) + amount
        out[f.name] = by_currency or None
    return out


def _empty(endpoint: Endpoint) -> dict[str, Any]:
    return {"deduped": 0, **{f.name: None if f.type == "money" else 0 for f in endpoint.counters}}


def _sorted_values(row: dict[str, Any], names: list[str], prefix: str = "") -> dict[str, Any]:
    return json_values({n: row[prefix + n] for n in names})


def _key_dict(endpoint: Endpoint, row: dict[str, Any]) -> dict[str, Any]:
    key = {
        "window_start": row["window_start"],
        "window_end": row["window_end"],
        "group_by": row["group_by"].split(",") if row["group_by"] else [],
    }
    key.update({f.name: row[f.name] for f in endpoint.dimensions})
    return key


def _conflicts(
    con: duckdb.DuckDBPyConnection, endpoint: Endpoint, groups: str, per_scenario: bool = False
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Rows of disagreeing keys against their winner: (conflict entries, [(scenario, same)])."""
    conflicted = one(con.execute(f"SELECT count(*) FROM {groups} WHERE conflicted"))
    if not conflicted or not conflicted[0]:
        return [], []
    names = [n for n, _ in value_columns(endpoint)]
    match = "e.kh = g.kh"  # group() made sure a hash stands for one key
    if per_scenario:
        match += " AND e.sid = g.sid"
    winner_cols = ", ".join(
        f"w.{c} AS w_{c}"
        for c in [*names, "scenario", "page_name", "bucket_index", "result_index", "recorded_at"]
    )
    same = " AND ".join(f"e.{n} IS NOT DISTINCT FROM w.{n}" for n in names) or "TRUE"
    # Only the rows of conflicted keys, with their file's scenario, page and capture time.
    rows = _rows(
        con,
        "WITH g AS (SELECT * FROM " + groups + " WHERE conflicted), "
        "ev AS (SELECT a.*, m.scenario, m.page_name, m.recorded_at, m.group_by FROM fp_all a "
        "JOIN fp_meta m USING (file_id) WHERE a.is_result) "
        f"SELECT e.*, {winner_cols}, ({same}) AS same "
        f"FROM g JOIN ev e ON {match} JOIN ev w ON w.rank = g.win "
        f"WHERE e.rank <> g.win ORDER BY {key_order(endpoint, 'w.')}, e.rank DESC",
    )
    losers = [(r["scenario"], r["same"]) for r in rows]
    entries = []
    for r in rows:
        if r["same"]:
            continue
        entries.append(
            {
                "endpoint": endpoint.name,
                "key": _key_dict(endpoint, r),
                "winner": {
                    "scenario": r["w_scenario"],
                    "page": r["w_page_name"],
                    "bucketIndex": r["w_bucket_index"],
                    "resultIndex": r["w_result_index"],
                    "recordedAt": r["w_recorded_at"],
                    "values": _sorted_values(r, names, "w_"),
                },
                "loser": {
                    "scenario": r["scenario"],
                    "page": r["page_name"],
                    "bucketIndex": r["bucket_index"],
                    "resultIndex": r["result_index"],
                    "recordedAt": r["recorded_at"],
                    "values": _sorted_values(r, names),
                },
            }
        )
    return entries, losers


def sample(con: duckdb.DuckDBPyConnection, endpoint: Endpoint, cap: int) -> list[dict[str, Any]]:
    """The first ``cap`` staged rows in key order, as dedupedUsage entries."""
    names = [n for n, _ in value_columns(endpoint)]
    staged = staged_table(endpoint)
    # The first rows in key order start no later than the cap-th earliest window: sorting
    # only those on every key column is several times cheaper than sorting them all.
    earliest = (
        f"(SELECT max(w) FROM (SELECT window_start AS w FROM {staged} ORDER BY w LIMIT {cap}))"
    )
    # Only the columns the report shows: each timestamp turned into a Python datetime costs.
    shown = ", ".join(["group_by", *(f.name for f in endpoint.dimensions), *names])
    rows = _rows(
        con,
        "SELECT epoch(window_start)::BIGINT AS window_start, epoch(window_end)::BIGINT AS "
        f"window_end, {shown}, source_scenario, source_page FROM {staged} "
        f"WHERE window_start IS NULL OR window_start <= {earliest} "
        f"ORDER BY {key_order(endpoint)} LIMIT {cap}",
    )
    out = []
    for row in rows:
        key = _key_dict(endpoint, row)
        out.append(
            {
                "endpoint": endpoint.name,
                "windowStart": key["window_start"],
                "windowEnd": key["window_end"],
                "groupBy": key["group_by"],
                "dimensions": {f.name: row[f.name] for f in endpoint.dimensions},
                "values": _sorted_values(row, names),
                "scenario": row["source_scenario"],
                "page": row["source_page"],
            }
        )
    return out


def fill_samples(
    con: duckdb.DuckDBPyConnection, stats: dict[str, EndpointStats], fast: list[str]
) -> None:
    """dedupedUsage shows the first DEDUPED_USAGE_CAP rows of the usage endpoints taken in
    name order (report.build): fetch for each fast-path endpoint only what can still show."""
    room = DEDUPED_USAGE_CAP
    for name in sorted(stats):
        if not REGISTRY[name].bucketed:
            continue
        if name in fast and room > 0:
            stats[name].sample = sample(con, REGISTRY[name], room)
        room = max(room - len(stats[name].sample), 0)
