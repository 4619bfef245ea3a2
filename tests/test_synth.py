"""`harness synth` writes a corpus that replays cleanly, alike on the SQL fast path and the
Python reference: the differential test at a size where samples are capped, chains are many
pages long and a tenth of the results are duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import checksums, fixtures, pipeline
from harness.endpoints import REGISTRY
from harness.engines.sql import stage as sql_stage
from harness.engines.sql.read import Declined
from harness.store import workspace
from harness.synth import synthesize
from helpers import db_contents, replay_report

RESULTS = 2000
# Differential runs at scale: the gate runs them, the quick loop (-m 'not slow') does not.
pytestmark = pytest.mark.slow


def test_a_synthetic_corpus_replays_alike_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthesize(tmp_path, RESULTS, seed=7)
    fast = replay_report(tmp_path, "fast.duckdb", monkeypatch, reference=False)
    slow = replay_report(tmp_path, "ref.duckdb", monkeypatch, reference=True)
    assert fast == slow
    a, b = db_contents(tmp_path / "fast.duckdb"), db_contents(tmp_path / "ref.duckdb")
    for table in a:
        if table not in ("harness_migrations", "harness_meta"):
            assert a[table] == b[table], table

    # A clean corpus: nothing dangling, nothing conflicting, every field known. (Keys owned by
    # users of archived projects are unverifiable, as with the real API: reported, not issues.)
    assert fast["relationshipIssues"] == []
    assert fast["conflicts"] == []
    usage = {n: e for n, e in fast["endpoints"].items() if n.startswith("usage_") or n == "costs"}
    assert len(usage) == 9  # every usage endpoint and costs
    assert all(e["unknownFields"] == [] for e in usage.values())
    raw = sum(e["totalRawEvents"] for e in usage.values())
    duplicates = sum(e["exactDuplicates"] for e in usage.values())
    assert RESULTS * 0.95 <= raw <= RESULTS * 1.05
    assert 0.05 <= duplicates / raw <= 0.15  # "about 10% exact duplicates"
    assert max(e["totalPages"] for e in usage.values()) > 50  # multi-page chains
    assert len(fast["dedupedUsage"]) < fast["dedupedUsageTotal"]  # the sample is capped


def test_one_endpoint_on_the_reference_path_beside_fast_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A string the typed read cannot vouch for (it starts like JSON) sends costs, the first
    endpoint of the report's sample, to the Python path while the others stay on SQL: the
    report still equals the all-Python one, sample budget included."""
    synthesize(tmp_path, RESULTS, seed=7)
    page = tmp_path / "fixtures" / "costs" / "proj_0000" / "page-001.json"
    body = json.loads(page.read_text())
    body["data"][0]["results"][0]["line_item"] = "{not json}, input"
    page.write_text(json.dumps(body))
    checksums.write(tmp_path / "CHECKSUMS.sha256", tmp_path / "fixtures")
    costs = [s for s in fixtures.discover(tmp_path / "fixtures") if s.endpoint.name == "costs"]
    with workspace() as con, pytest.raises(Declined):
        sql_stage.run(con, REGISTRY["costs"], costs, pipeline.SNAPSHOT_NOW)
    mixed = replay_report(tmp_path, "mixed.duckdb", monkeypatch, reference=False)
    slow = replay_report(tmp_path, "ref.duckdb", monkeypatch, reference=True)
    assert mixed == slow
    assert mixed["dedupedUsage"][0]["endpoint"] == "costs"
    assert {e["endpoint"] for e in mixed["dedupedUsage"]} > {"costs"}  # fast ones fill the rest
