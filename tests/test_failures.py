"""Every failure class: exit code, a message naming the file, and an unchanged database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import Corpus, db_contents


def _fails(corpus: Corpus, code: int, *needles: str) -> None:
    before = db_contents(corpus.db)
    result = corpus.replay()
    assert result.code == code, result.err
    for needle in needles:
        assert needle in result.err, result.err
    assert "Traceback" not in result.err
    assert db_contents(corpus.db) == before


def test_checksum_mismatch(populated: Corpus) -> None:
    page = populated.page("usage_completions/basic")
    page.write_text(page.read_text().replace("2849", "2850"))
    _fails(
        populated,
        1,
        "ChecksumError",
        "fixtures/usage_completions/basic/page-001.json",
        "harness checksums --write",
    )


def test_checksum_wins_over_what_the_corruption_breaks(populated: Corpus) -> None:
    """Checksums are verified while DuckDB already reads: a corrupted page that also breaks
    the JSON, the schema and the chain is still reported as the checksum problem."""
    page = populated.page("usage_completions/multipage", 2)
    page.write_text(page.read_text()[:-40])
    _fails(populated, 1, "ChecksumError", "multipage/page-002.json")


def test_checksum_wins_over_a_broken_layout(populated: Corpus) -> None:
    """Discovery runs before the checksum thread starts (it contends for the GIL): a corrupted
    request.json that discovery cannot read is still reported as the checksum problem."""
    request = populated.fixtures / "usage_completions" / "basic" / "request.json"
    request.write_text(request.read_text()[:-10])
    _fails(populated, 1, "ChecksumError", "basic/request.json")


def test_verification_never_waits_for_its_background_thread(corpus: Corpus) -> None:
    """The thread that checks files in the gaps may be held back (a busy machine can starve
    it): result() checks what is left itself, the file that thread is stuck in included,
    and reports the same problems, in manifest order, as a verification on one thread."""
    import threading

    from harness import checksums

    for name in ("basic", "dual"):
        page = corpus.page(f"usage_completions/{name}")
        page.write_text(page.read_text() + " ")
    stuck, release = threading.Event(), threading.Event()

    def inspect(path: Path, data: bytearray, size: int) -> None:
        if threading.current_thread().name == "held-back":
            stuck.set()
            release.wait(10)  # the background thread stays inside its first file

    background = checksums.Verification(corpus.manifest, corpus.fixtures, inspect)
    worker = threading.Thread(target=background.work, name="held-back", daemon=True)
    worker.start()
    assert stuck.wait(5)
    with pytest.raises(checksums.ChecksumError) as held_back:
        background.result()
    with pytest.raises(checksums.ChecksumError) as alone:
        checksums.verify(corpus.manifest, corpus.fixtures)
    assert [p.file for p in held_back.value.problems] == [p.file for p in alone.value.problems]
    assert [p.file for p in alone.value.problems] == [
        "fixtures/usage_completions/basic/page-001.json",
        "fixtures/usage_completions/dual/page-001.json",
    ]
    assert worker.is_alive()  # nobody waited for it
    release.set()
    worker.join(5)
    assert not worker.is_alive()


def test_unlisted_files_are_named_in_path_order(tmp_path: Path) -> None:
    """Every file the manifest does not list is named, relative to the manifest's folder (a
    manifest inside the fixtures folder included), ordered as paths are, not as strings
    ("a/x" before "a-b/x")."""
    from harness import checksums

    fixtures = tmp_path / "fixtures"
    for rel in ("a-b/x.json", "a/x.json", "a/y.json", "top.json"):
        (fixtures / rel).parent.mkdir(parents=True, exist_ok=True)
        (fixtures / rel).write_text("{}")
    for manifest, prefix in ((tmp_path / "M", "fixtures/"), (fixtures / "M", "")):
        manifest.write_text(f"{checksums.digest(fixtures / 'a/y.json')}  {prefix}a/y.json\n")
        with pytest.raises(checksums.ChecksumError) as raised:
            checksums.verify(manifest, fixtures)
        expected = ["a/x.json", "a-b/x.json", "top.json"] + (["M"] if not prefix else [])
        assert [p.file for p in raised.value.problems] == [
            prefix + f for f in sorted(expected, key=lambda rel: Path(rel).parts)
        ]
        manifest.unlink()


def test_unlisted_file(populated: Corpus) -> None:
    (populated.fixtures / "usage_completions" / "basic" / "notes.txt").write_text("hi\n")
    _fails(populated, 1, "ChecksumError", "basic/notes.txt", "not listed")


def test_listed_file_missing(populated: Corpus) -> None:
    populated.page("usage_completions/multipage", 3).unlink()
    _fails(populated, 1, "ChecksumError", "multipage/page-003.json", "missing")


def test_missing_page_in_the_chain(populated: Corpus) -> None:
    populated.page("usage_completions/multipage", 3).unlink()
    populated.rehash()
    _fails(
        populated,
        1,
        "PageChainError",
        "usage_completions/multipage/page-002.json",
        "page-003.json is missing",
    )


def test_page_numbering_gap(populated: Corpus) -> None:
    populated.page("usage_completions/multipage", 2).unlink()
    populated.rehash()
    _fails(populated, 1, "LayoutError", "page-002.json is missing")


def test_malformed_json(populated: Corpus) -> None:
    page = populated.page("usage_completions/dual")
    page.write_text(page.read_text()[:-20])
    populated.rehash()
    _fails(populated, 1, "MalformedJSONError", "usage_completions/dual/page-001.json", "line")


def test_schema_error_names_the_pointer(populated: Corpus) -> None:
    body = populated.read("usage_completions/basic")
    body["data"][0]["results"][1]["input_tokens"] = "2849"
    populated.write("usage_completions/basic", 1, body)
    _fails(
        populated,
        1,
        "SchemaError",
        "usage_completions/basic/page-001.json",
        "/data/0/results/1/input_tokens",
        "[type]",
    )


def test_unknown_project_fails_fast_and_still_writes_the_report(populated: Corpus) -> None:
    body = populated.read("usage_completions/dual")
    body["data"][0]["results"][0]["project_id"] = "proj_ghost"
    populated.write("usage_completions/dual", 1, body)
    _fails(populated, 1, "RelationshipError", "proj_ghost", "usage_completions/dual/page-001.json")
    issues = populated.report_json()["relationshipIssues"]
    assert issues == [
        {
            "kind": "unknown_project",
            "id": "proj_ghost",
            "endpoint": "usage_completions",
            "scenario": "dual",
            "page": "page-001.json",
            "bucketIndex": 0,
            "resultIndex": 0,
            "field": "project_id",
        }
    ]


def test_failed_run_on_a_new_path_leaves_no_database(corpus: Corpus) -> None:
    page = corpus.page("usage_completions/basic")
    page.write_text(page.read_text().replace("2849", "1"))
    assert corpus.replay().code == 1
    assert not corpus.db.exists()


def test_fault_in_the_middle_of_ingest_rolls_back(
    populated: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = populated.read("usage_completions/basic")
    body["data"][0]["results"][0]["output_tokens"] = 1000
    body["data"][0]["results"][1]["output_tokens"] = 1000
    populated.write("usage_completions/basic", 1, body)
    monkeypatch.setenv("HARNESS_FAIL_AT", "after-upsert:usage_completions")
    _fails(populated, 2, "FaultInjected")


def test_bad_arguments_are_exit_2(corpus: Corpus) -> None:
    assert corpus.replay("--scenario", "usage_completions/nope").code == 2
    assert corpus.cli("replay", "--fixtures", str(corpus.root / "absent")).code == 2
    assert corpus.replay("--now", "yesterday").code == 2
    assert corpus.cli("replay", "--no-such-flag").code == 2


def test_missing_manifest_is_exit_2(corpus: Corpus) -> None:
    corpus.manifest.unlink()
    result = corpus.replay()
    assert result.code == 2
    assert "harness checksums --write" in result.err


def test_unknown_endpoint_folder(corpus: Corpus) -> None:
    (corpus.fixtures / "usage_teleport" / "x").mkdir(parents=True)
    (corpus.fixtures / "usage_teleport" / "x" / "request.json").write_text(json.dumps({}))
    corpus.rehash()
    result = corpus.replay()
    assert result.code == 1
    assert "unknown endpoint folder 'usage_teleport'" in result.err


def test_recorded_at_must_be_a_time_and_is_normalized(corpus: Corpus) -> None:
    request = corpus.fixtures / "usage_completions" / "restated" / "request.json"
    body = json.loads(request.read_text())
    body["recorded_at"] = "2025-10-01T08:00:00+02:00"  # the same instant as ...06:00:00Z
    request.write_text(json.dumps(body))
    corpus.rehash()
    assert corpus.replay().code == 0
    restated = corpus.report_json()["endpoints"]["usage_completions"]["scenarios"]["restated"]
    assert restated["recordedAt"] == "2025-10-01T06:00:00Z"
    body["recorded_at"] = "last tuesday"
    request.write_text(json.dumps(body))
    corpus.rehash()
    result = corpus.replay()
    assert result.code == 1 and "recorded_at 'last tuesday' is not an ISO 8601 time" in result.err


def test_dot_folders_are_not_endpoints(corpus: Corpus) -> None:
    (corpus.fixtures / ".cache").mkdir()
    (corpus.fixtures / ".cache" / "note").write_text("tooling\n")
    corpus.rehash()
    assert corpus.replay().code == 0


def test_a_page_that_is_a_folder_is_a_path_error(corpus: Corpus) -> None:
    (corpus.fixtures / "usage_completions" / "basic" / "page-002.json").mkdir()
    corpus.rehash()
    result = corpus.replay()
    assert result.code == 2
    assert "PathError" in result.err and "basic/page-002.json: Is a directory" in result.err


def test_a_defect_is_one_line_exit_2_and_rolls_back(
    populated: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_FAIL_AT", "after-upsert:usage_completions!")
    _fails(populated, 2, "InternalError", "RuntimeError: defect injected", "HARNESS_DEBUG=1")


def test_bad_duckdb_configuration_is_an_argument_error(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_DUCKDB_MEMORY_LIMIT", "lots")
    result = corpus.replay()
    assert result.code == 2
    assert "ArgumentError" in result.err and "HARNESS_DUCKDB_MEMORY_LIMIT" in result.err


def test_a_listing_and_a_usage_endpoint_with_schema_errors_fail_together(
    populated: Corpus,
) -> None:
    """The listings are analysed while DuckDB reads; when a usage endpoint then goes to the
    Python path too, one error still names the problems of both."""
    users = populated.read("users/all")
    users["data"][0]["role"] = 7  # a number where the schema wants a string
    populated.write("users/all", 1, users, rehash=False)
    images = populated.read("usage_images/daily", 2)
    images["data"][0]["results"][1]["images"] = "4"  # a string where it wants an integer
    populated.write("usage_images/daily", 2, images)
    _fails(
        populated,
        1,
        "SchemaError",
        "users/all/page-001.json at /data/0/role",
        "usage_images/daily/page-002.json at /data/0/results/1/images",
    )


def test_files_of_any_size_are_verified_through_one_reused_buffer(tmp_path: Path) -> None:
    """Each file is read into the checking thread's buffer, which grows for a big file and is
    lent to the inspector with the file's size: the bytes it sees are exactly the file's."""
    from harness import checksums

    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    contents = {"a.bin": b"x" * 3_000_001, "b.bin": b"short", "c.bin": b"", "d.bin": b"y" * 10}
    for name, data in contents.items():
        (fixtures / name).write_bytes(data)
    manifest = tmp_path / "CHECKSUMS.sha256"
    checksums.write(manifest, fixtures)
    seen: dict[str, bytes] = {}

    def inspect(path: Path, data: bytearray, size: int) -> None:
        seen[path.name] = bytes(data[:size])

    assert checksums.verify(manifest, fixtures, inspect).bytes == sum(map(len, contents.values()))
    assert seen == contents
    (fixtures / "b.bin").write_bytes(b"shorT")
    with pytest.raises(checksums.ChecksumError) as raised:
        checksums.verify(manifest, fixtures)
    assert [p.file for p in raised.value.problems] == ["fixtures/b.bin"]


def test_dotfiles_and_notes_are_never_listed(corpus: Corpus) -> None:
    """.DS_Store and NOTES.md went into the manifest; unlisted, they failed the gate."""
    (corpus.fixtures / ".DS_Store").write_bytes(b"\x00\x01")
    (corpus.fixtures / "usage_images" / "NOTES.md").write_text("why this scenario exists\n")
    (corpus.fixtures / "usage_images" / "daily" / ".gitkeep").write_text("")
    assert corpus.replay().code == 0
    corpus.rehash()
    listed = corpus.manifest.read_text()
    assert ".DS_Store" not in listed and "NOTES.md" not in listed and ".gitkeep" not in listed
    (corpus.fixtures / "usage_images" / "stray.txt").write_text("not a note")
    result = corpus.replay()
    assert result.code == 1 and "stray.txt" in result.err


def test_an_empty_fixtures_folder_fails_the_gate(corpus: Corpus) -> None:
    shutil.rmtree(corpus.fixtures)
    corpus.fixtures.mkdir()
    corpus.rehash()
    result = corpus.replay()
    assert result.code == 1 and "holds no scenario" in result.err


def test_a_missing_fixtures_folder_is_named_as_such(corpus: Corpus) -> None:
    """It used to be reported as a missing manifest."""
    result = corpus.cli(
        "replay", "--fixtures", str(corpus.root / "nowhere"), "--db", str(corpus.db)
    )
    assert result.code == 2 and "fixtures folder" in result.err and "does not exist" in result.err
    assert "manifest" not in result.err
