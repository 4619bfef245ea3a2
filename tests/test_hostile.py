"""Hostile input: nothing escapes the corpus, no key leaks, every bad value is named.

Each test is named after its attack. Every one runs the real pipeline on a real corpus copy;
where an attack needs two moments (a file swapped between its checksum and its read), the test
drives the two stages itself, with real files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from harness import checksums, fixtures, staging
from harness.errors import ChecksumError
from helpers import Corpus, db_contents


def _outside(tmp_path: Path) -> Path:
    """A folder beside the corpus, holding a secret and a forged scenario."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET\n")
    return outside


def test_a_scenario_folder_linked_outside_the_corpus_is_refused(
    corpus: Corpus, tmp_path: Path
) -> None:
    forged = _outside(tmp_path) / "forged"
    shutil.copytree(corpus.fixtures / "usage_completions" / "basic", forged)
    page = forged / "page-001.json"
    page.write_text(page.read_text().replace("2849", "123456789"))
    (corpus.fixtures / "usage_completions" / "linked").symlink_to(forged)
    result = corpus.replay()
    assert result.code == 1, result.err
    assert "LayoutError" in result.err and "usage_completions/linked" in result.err
    assert "symbolic link that leads outside the fixtures folder" in result.err
    assert str(forged) not in result.err and not corpus.db.exists()


def test_a_page_linked_outside_the_corpus_is_refused(corpus: Corpus, tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    page = corpus.page("usage_images/daily", 2)
    shutil.move(page, outside / "page-002.json")
    page.symlink_to(outside / "page-002.json")
    result = corpus.replay()
    assert result.code == 1 and "usage_images/daily/page-002.json" in result.err
    assert str(outside) not in result.err and not corpus.db.exists()


@pytest.mark.parametrize("entry", ["../outside/secret.txt", "fixtures/../../outside/secret.txt"])
def test_a_manifest_entry_leaving_the_fixtures_folder_is_refused_unread(
    corpus: Corpus, tmp_path: Path, entry: str
) -> None:
    """Even with the right digest: the manifest lists fixture files only."""
    secret = _outside(tmp_path) / "secret.txt"
    right = hashlib.sha256(secret.read_bytes()).hexdigest()
    with corpus.manifest.open("a") as fh:
        fh.write(f"{right}  {entry}\n")
    result = corpus.replay()
    assert result.code == 1, result.err
    assert "ChecksumError" in result.err and "outside the fixtures folder" in result.err
    assert "TOP SECRET" not in result.err + result.out and not corpus.db.exists()


def test_an_absolute_manifest_entry_is_never_hashed(corpus: Corpus, tmp_path: Path) -> None:
    """A wrong digest for /etc/hostname used to print the file's real sha256."""
    target = _outside(tmp_path) / "secret.txt"
    actual = hashlib.sha256(target.read_bytes()).hexdigest()
    with corpus.manifest.open("a") as fh:
        fh.write(f"{'0' * 64}  {target}\n")
    result = corpus.replay()
    assert result.code == 1 and "outside the fixtures folder" in result.err
    assert actual not in result.err


def test_a_manifest_entry_through_a_link_to_outside_is_refused(
    corpus: Corpus, tmp_path: Path
) -> None:
    secret = _outside(tmp_path) / "secret.txt"
    (corpus.fixtures / "link.txt").symlink_to(secret)
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    with corpus.manifest.open("a") as fh:
        fh.write(f"{digest}  fixtures/link.txt\n")
    result = corpus.replay()
    assert result.code == 1 and "fixtures/link.txt" in result.err
    assert "outside the fixtures folder" in result.err


def test_a_file_name_with_a_line_break_cannot_be_listed(corpus: Corpus) -> None:
    """`checksums --write` used to succeed, and `--check` then failed on its own output."""
    folder = corpus.fixtures / "usage_images" / "daily\nevil"
    shutil.copytree(corpus.fixtures / "usage_images" / "daily", folder)
    before = corpus.manifest.read_bytes()
    result = corpus.cli(
        "checksums",
        "--write",
        "--fixtures",
        str(corpus.fixtures),
        "--checksums",
        str(corpus.manifest),
    )
    assert result.code == 1, result.err
    assert "line break" in result.err and corpus.manifest.read_bytes() == before


def _staged_twice(corpus: Corpus) -> tuple[list[fixtures.Scenario], checksums.Verification]:
    selected = fixtures.discover(corpus.fixtures)
    return selected, checksums.Verification(corpus.manifest, corpus.fixtures)


def test_a_page_forged_for_the_read_and_restored_before_its_checksum_is_caught(
    corpus: Corpus,
) -> None:
    """The checksums are computed beside the engines: a page forged when an engine reads it
    and restored before its hash matches the manifest. Its stamp then differs from the one
    discovery took before any read, and the run fails with nothing written."""
    selected, verification = _staged_twice(corpus)
    page = corpus.page("usage_completions/basic")
    original = page.read_bytes()
    page.write_bytes(original.replace(b"2849", b"9999"))  # what the engine would read
    page.write_bytes(original)  # restored: the checksum matches
    verification.result()
    with pytest.raises(ChecksumError, match="not the files whose checksums were verified"):
        staging._still_verified(selected, verification.stamps)


def test_a_page_swapped_after_its_checksum_is_caught(corpus: Corpus) -> None:
    selected, verification = _staged_twice(corpus)
    verification.result()
    page = corpus.page("usage_completions/basic")
    forged = page.with_name("forged.json")
    forged.write_bytes(page.read_bytes().replace(b"2849", b"9999"))
    os.replace(forged, page)
    with pytest.raises(ChecksumError) as raised:
        staging._still_verified(selected, verification.stamps)
    assert "usage_completions/basic/page-001.json" in str(raised.value)


def test_an_untouched_corpus_is_still_verified(corpus: Corpus) -> None:
    """The stamps are no check that cannot pass: a corpus at rest passes them."""
    selected, verification = _staged_twice(corpus)
    verification.result()
    staging._still_verified(selected, verification.stamps)
    result = corpus.replay()
    assert result.code == 0, result.err
    assert db_contents(corpus.db)["usage_completions_rows"]
