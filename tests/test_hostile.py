"""Hostile input: nothing escapes the corpus, no key leaks, every bad value is named.

Each test is named after its attack. Every one runs the real pipeline on a real corpus copy;
where an attack needs two moments (a file swapped between its checksum and its read), the test
drives the two stages itself, with real files.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import random
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from harness import checksums, fixtures, redact, staging
from harness.errors import ChecksumError
from harness.live.server import serving
from helpers import Corpus, Result, db_contents

# A whole `harness sync` against a stand-in on loopback: in the gate, out of the quick loop
# (the masking, parsing and chain rules they drive have fast tests of their own here).
THROUGH_A_SERVER = pytest.mark.slow


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
    written = corpus.cli(
        "checksums",
        "--write",
        "--fixtures",
        str(corpus.fixtures),
        "--checksums",
        str(corpus.manifest),
    )  # skipped without a word, it used to be
    assert written.code == 1 and "usage_completions/linked" in written.err
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


KEY = "sk-admin-Zq8Kp3Lm5Nv7Xc9Bw2Rt4Yh6Jd1Gf0Sa"


class _Echo(http.server.BaseHTTPRequestHandler):
    """An API, or a proxy in front of it, that answers every request with an error whose
    body (and a header) quote what the client sent: the kind of page that leaks a key."""

    body: Callable[[str], bytes] = staticmethod(lambda auth: auth.encode())
    status = 401

    def do_GET(self) -> None:  # noqa: N802
        payload = self.body(self.headers.get("Authorization", ""))
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Echo", self.headers.get("Authorization", ""))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _leaked(text: str) -> list[str]:
    """Every run of 8 or more characters of the key's secret part (after ``sk-admin-``)
    found in ``text``."""
    material = KEY.removeprefix("sk-admin-")
    return [material[i : i + 8] for i in range(len(material) - 7) if material[i : i + 8] in text]


def _sync(corpus: Corpus, base_url: str, *extra: str) -> Result:
    """One day's `harness sync` of ``corpus``'s database from ``base_url``."""
    return corpus.cli(
        "sync",
        "--since",
        "2025-09-29",
        "--until",
        "2025-09-30",
        "--db",
        str(corpus.db),
        "--base-url",
        base_url,
        *extra,
    )


def _sync_against(corpus: Corpus, body: Callable[[str], bytes], key: str = KEY) -> str:
    handler = type("Handler", (_Echo,), {"body": staticmethod(body)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        os.environ["OPENAI_ADMIN_KEY"] = key
        result = _sync(corpus, f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        del os.environ["OPENAI_ADMIN_KEY"]
        server.shutdown()
        server.server_close()
    assert result.code != 0
    return result.out + result.err


@THROUGH_A_SERVER
@pytest.mark.parametrize(
    "body",
    [
        lambda auth: json.dumps({"error": {"message": f"bad header {auth}"}}).encode(),
        lambda auth: f"<html><pre>Authorization: {auth}</pre></html>".encode(),
        # the key straddling the 200-character cut of a message
        lambda auth: json.dumps({"error": {"message": "x" * 185 + auth}}).encode(),
        lambda auth: ("y" * 190 + auth.removeprefix("Bearer ")).encode(),
        lambda auth: f"token={auth.split()[-1][:20]}".encode(),  # a fragment of the key
    ],
    ids=["json-error", "proxy-page", "json-cut", "text-cut", "fragment"],
)
def test_an_error_body_quoting_the_key_never_prints_it(
    corpus: Corpus, body: Callable[[str], bytes]
) -> None:
    output = _sync_against(corpus, body)
    assert _leaked(output) == [], output
    assert "sk-" in output or "***" in output or "401" in output


@THROUGH_A_SERVER
def test_a_key_pasted_with_a_trailing_newline_is_stripped_and_masked(corpus: Corpus) -> None:
    output = _sync_against(corpus, lambda auth: auth.encode(), key=KEY + "\n")
    assert _leaked(output) == [], output


def test_the_key_is_masked_wherever_an_error_body_puts_it() -> None:
    """A fuzz of error texts around the key: prefixes, suffixes, quotes, cuts. Where the key
    is known (the client's own) no run of 8 of its characters survives; where it is not (a
    message about another key) every bearer token and ``sk-`` key is masked."""
    rng = random.Random(19)
    pieces = ["Bearer ", "key=", '"', "'", " ", "\n", "<b>", "Authorization: ", ""]
    for _ in range(3000):
        start = 0 if rng.random() < 0.5 else rng.randint(0, len(KEY) - 8)
        cut = rng.randint(start + 8, len(KEY))
        before, after = rng.choice(pieces), rng.choice(pieces)
        text = "x" * rng.randint(0, 5) + before + KEY[start:cut] + after + "y" * rng.randint(0, 5)
        assert _leaked(redact.safe(redact.secrets(text, (KEY,)))) == [], text
        if start == 0 or before == "Bearer ":  # recognisable without knowing the key
            assert _leaked(redact.safe(text)) == [], text


def test_control_characters_in_an_id_never_reach_the_terminal(corpus: Corpus) -> None:
    """An id holding an OSC sequence (set the window title) and a CSI (clear the screen)."""
    hostile = "user_\x1b]0;pwned\x07\x1b[2J\x9b31m"
    body = corpus.read("usage_completions/dual")
    body["data"][0]["results"][0]["user_id"] = hostile
    corpus.write("usage_completions/dual", 1, body)
    result = corpus.replay(summary=True)
    assert result.code == 1
    output = result.out + result.err
    assert "\x1b" not in output and "\x07" not in output and "\x9b" not in output
    assert "user_\\x1b]0;pwned\\x07" in output


@THROUGH_A_SERVER
@pytest.mark.parametrize("hostile", ["../../../../ESCAPED", "/tmp/ESCAPED", "proj_a/../../x"])
def test_a_project_id_shaped_like_a_path_never_becomes_one(
    corpus: Corpus, tmp_path: Path, hostile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids come from the API: a project id that is a path would name the folder `sync
    --capture` writes (and a URL path). It is refused before any request uses it."""
    body = corpus.read("projects/all")
    body["data"][0]["id"] = hostile
    corpus.write("projects/all", 1, body)
    capture = tmp_path / "deep" / "er" / "capture"
    monkeypatch.setenv("OPENAI_ADMIN_KEY", KEY)
    with serving(corpus.fixtures) as api:
        result = _sync(
            corpus,
            api.url,
            "--capture",
            str(capture),
        )
    assert result.code == 1, result.err
    assert "not project ids" in result.err and repr(hostile) in result.err
    assert not any(p.name == "ESCAPED" or p.name == "x" for p in tmp_path.rglob("*"))
    assert not list(capture.rglob("*.json")) and not corpus.db.exists()
    assert not [e for e in api.log if "ESCAPED" in e.path or "/x/" in e.path]


def test_a_report_that_cannot_be_written_commits_nothing(populated: Corpus) -> None:
    """`--report` where it cannot be written used to exit 2 after the database had committed.
    (A path under a regular file: unwritable for anyone, root included, unlike a read-only
    folder.)"""
    corpus = populated
    before = db_contents(corpus.db)
    body = corpus.read("usage_completions/basic")
    body["data"][0]["results"][0]["input_tokens"] += 1
    corpus.write("usage_completions/basic", 1, body)
    blocker = corpus.root / "blocker"
    blocker.write_text("a file, not a folder")
    result = corpus.replay("--report", str(blocker / "report.json"))
    assert result.code == 2 and "cannot write report" in result.err, result.err
    assert db_contents(corpus.db) == before


def test_report_and_database_naming_one_file_is_refused(populated: Corpus) -> None:
    """`--report` naming the database file used to overwrite it with JSON."""
    corpus = populated
    before = corpus.db.read_bytes()
    result = corpus.replay("--report", str(corpus.db))
    assert result.code == 2 and "--report and --db both name" in result.err
    assert corpus.db.read_bytes() == before


def test_a_committed_run_has_its_report_and_no_temporary_file(corpus: Corpus) -> None:
    assert corpus.replay().code == 0
    assert corpus.report_json()["endpoints"]
    assert [p.name for p in corpus.report.parent.iterdir() if p.name.endswith(".tmp")] == []


def _edit_page(scenario: str, path: tuple[str | int, ...], raw: str) -> Callable[[Corpus], None]:
    """Set the value at ``path`` of page-001 of ``scenario`` to the JSON text ``raw``."""

    def edit(corpus: Corpus) -> None:
        body = corpus.read(scenario)
        node = body
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = "__RAW__"
        corpus.page(scenario).write_text(json.dumps(body).replace('"__RAW__"', raw))
        corpus.rehash()

    return edit


def _edit_request(key: str, value: object) -> Callable[[Corpus], None]:
    def edit(corpus: Corpus) -> None:
        path = corpus.fixtures / "usage_images" / "daily" / "request.json"
        body = json.loads(path.read_text())
        if key == "recorded_at":
            body[key] = value
        else:
            body["query"][key] = value
        path.write_text(json.dumps(body))
        corpus.rehash()

    return edit


def _nested_request(corpus: Corpus) -> None:
    path = corpus.fixtures / "usage_images" / "daily" / "request.json"
    text = path.read_text().rstrip().removesuffix("}")
    path.write_text(text + ', "deep": ' + "[" * 10_000 + "]" * 10_000 + "}\n")
    corpus.rehash()


BAD_VALUES = {
    "amount value 1e400": (
        _edit_page("costs/basic", ("data", 0, "results", 0, "amount", "value"), "1e400"),
        "SchemaError",
        "costs/basic/page-001.json at /data/0/results/0/amount/value",
    ),
    "amount value 1e21, beyond DECIMAL(38,18)": (
        _edit_page("costs/basic", ("data", 0, "results", 0, "amount", "value"), "1e21"),
        "SchemaError",
        "costs/basic/page-001.json at /data/0/results/0/amount/value",
    ),
    "created_at 2^62, beyond TIMESTAMP": (
        _edit_page("projects/all", ("data", 0, "created_at"), str(2**62)),
        "SchemaError",
        "projects/all/page-001.json at /data/0/created_at",
    ),
    "bucket start_time 2^62": (
        _edit_page("usage_images/daily", ("data", 0, "start_time"), str(2**62)),
        "SchemaError",
        "usage_images/daily/page-001.json at /data/0/start_time",
    ),
    "a lone surrogate escape": (
        _edit_page("usage_images/daily", ("data", 0, "results", 0, "model"), '"\\ud800"'),
        "MalformedJSONError",
        "usage_images/daily/page-001.json",
    ),
    "start_time as text": (
        _edit_request("start_time", "abc"),
        "LayoutError",
        "daily/request.json at /query/start_time",
    ),
    "start_time as a list": (
        _edit_request("start_time", [1, 2]),
        "LayoutError",
        "daily/request.json at /query/start_time",
    ),
    "group_by holding a list and a number": (
        _edit_request("group_by", [["project_id"], 3]),
        "LayoutError",
        "daily/request.json at /query/group_by",
    ),
    "a window at 1e13 seconds": (
        _edit_request("end_time", 10**13),
        "LayoutError",
        "daily/request.json at /query/end_time",
    ),
    "recorded_at past the year 9999": (
        _edit_request("recorded_at", "+10000-01-01T00:00:00Z"),
        "LayoutError",
        "daily/request.json at /recorded_at",
    ),
    "request.json nested 10,000 levels deep": (
        _nested_request,
        "MalformedJSONError",
        "usage_images/daily/request.json",
    ),
}


# A bad page is judged by each engine; a bad request.json is refused before either runs.
_ENGINES = {"sql": "0", "reference": "999999999"}
_BAD_CASES = [
    pytest.param(case, floor, id=f"{case} ({engine})")
    for case in BAD_VALUES
    for engine, floor in _ENGINES.items()
    if engine == "sql" or not BAD_VALUES[case][0].__qualname__.startswith("_edit_request")
]


@pytest.mark.parametrize(("case", "engine_floor"), _BAD_CASES)
def test_every_bad_value_is_input_named_with_its_file(
    populated: Corpus, monkeypatch: pytest.MonkeyPatch, case: str, engine_floor: str
) -> None:
    """Each used to exit 2 ("harness cannot run") without naming the culprit."""
    edit, error_class, where = BAD_VALUES[case]
    corpus = populated
    before = db_contents(corpus.db)
    edit(corpus)
    monkeypatch.setenv("HARNESS_SQL_MIN_BYTES", engine_floor)
    result = corpus.replay()
    assert result.code == 1, result.err
    assert error_class in result.err and where in result.err, result.err
    assert "harness defect" not in result.err and "Traceback" not in result.err
    assert db_contents(corpus.db) == before


def test_a_run_that_did_not_create_the_database_never_removes_it(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lost race, made deterministic: the path is taken (here by a link to where another
    run's file will be) between this run's look and its attach. This run then fails inside
    its transaction; the file is not its own, and it stays."""
    elsewhere = corpus.root / "winner.duckdb"
    corpus.db.parent.mkdir(parents=True, exist_ok=True)
    corpus.db.symlink_to(elsewhere)  # does not exist yet: the path looks free
    monkeypatch.setenv("HARNESS_FAIL_AT", "after-migrate")
    result = corpus.replay()
    assert result.code == 2 and "FaultInjected" in result.err
    assert corpus.db.is_symlink() and elsewhere.exists()


def test_a_page_above_the_size_limit_is_refused_unread(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A single huge page used to exit 2 at 1.35 GB resident. Above HARNESS_MAX_PAGE_BYTES it
    is refused (exit 1, the file and the limit named) before any engine reads it; its checksum
    is computed as a stream (``bench/`` holds the 200 MB case)."""
    page = corpus.page("usage_completions/multipage", 2)
    limit = page.stat().st_size - 1
    monkeypatch.setenv("HARNESS_MAX_PAGE_BYTES", str(limit))
    result = corpus.replay()
    assert result.code == 1, result.err
    assert "usage_completions/multipage/page-002.json" in result.err
    assert f"above the {limit:,} bytes of HARNESS_MAX_PAGE_BYTES" in result.err
    assert not corpus.db.exists()
    monkeypatch.setenv("HARNESS_MAX_PAGE_BYTES", "0")
    refused = corpus.replay()
    assert refused.code == 2 and "not a positive whole number" in refused.err


@THROUGH_A_SERVER
@pytest.mark.parametrize(
    "answer",
    [
        b'{"object": "list", "data": [], "data": [{"id": "proj_x"}], "has_more": false}',
        b'{"object": "list", "data": [{"id": "proj_abc", "created_at": NaN}], "has_more": false}',
        b'{"object": "list", "data": [{"id": "proj_\\ud800"}], "has_more": false}',
    ],
    ids=["duplicate-name", "nan", "lone-surrogate"],
)
def test_an_api_answer_that_is_not_strict_json_is_refused_by_sync(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, answer: bytes
) -> None:
    """Sync parsed answers with Python's parser, which keeps the last of two equal names and
    reads NaN: a page replay refuses was stored (or crashed the insert as a harness defect)."""
    handler = type("Handler", (_Echo,), {"body": staticmethod(lambda _: answer), "status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENAI_ADMIN_KEY", KEY)
    try:
        result = _sync(corpus, f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    assert result.code == 1, result.err
    assert "MalformedJSONError" in result.err and "GET /v1/organization/projects" in result.err
    assert "harness defect" not in result.err and not corpus.db.exists()


def test_a_file_name_that_is_not_utf8_never_empties_the_manifest(corpus: Corpus) -> None:
    """`checksums --write` used to truncate the manifest, then fail to encode the name."""
    name = os.fsdecode(b"bad\xffname")
    shutil.copytree(
        corpus.fixtures / "usage_images" / "daily", corpus.fixtures / "usage_images" / name
    )
    before = corpus.manifest.read_bytes()
    result = corpus.cli(
        "checksums",
        "--write",
        "--fixtures",
        str(corpus.fixtures),
        "--checksums",
        str(corpus.manifest),
    )
    assert result.code == 1 and "not UTF-8" in result.err, result.err
    assert corpus.manifest.read_bytes() == before


def test_a_fifo_in_the_corpus_is_named_not_waited_on(corpus: Corpus) -> None:
    """A FIFO named like a page made `checksums --write` hang forever."""
    folder = corpus.fixtures / "usage_images" / "fifo"
    shutil.copytree(corpus.fixtures / "usage_images" / "daily", folder)
    (folder / "page-002.json").unlink()
    os.mkfifo(folder / "page-002.json")
    result = corpus.cli(
        "checksums",
        "--write",
        "--fixtures",
        str(corpus.fixtures),
        "--checksums",
        str(corpus.manifest),
    )
    assert result.code == 1 and "is not a regular file" in result.err
    replayed = corpus.replay()  # the unlisted files win: named, never opened
    assert replayed.code == 1 and "fifo/page-002.json" in replayed.err


def test_a_key_with_characters_no_key_holds_is_refused_unshown(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-ASCII key used to end in a UnicodeEncodeError reported as a harness defect."""
    odd = "sk-admin-ÄBCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    monkeypatch.setenv("OPENAI_ADMIN_KEY", odd)
    result = _sync(corpus, "http://127.0.0.1:9")
    assert result.code == 2 and "no key holds" in result.err
    assert "harness defect" not in result.err and "BCDEFGHI" not in result.err


def test_a_third_party_bearer_token_quoted_in_an_error_is_masked() -> None:
    shown = redact.safe("upstream said: Authorization: Bearer ghp_1234567890abcdefghij...")
    assert "ghp_1234" not in shown and "Bearer ***" in shown


class _EndlessCosts(http.server.BaseHTTPRequestHandler):
    """The costs endpoint answering empty pages that claim has_more, without end (PostHog's
    source documents it); every other request goes to ``upstream`` (a serve)."""

    upstream = ""
    costs = 0

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/v1/organization/costs"):
            type(self).costs += 1
            n = type(self).costs
            body = json.dumps(
                {"object": "page", "data": [], "has_more": True, "next_page": f"p{n}"}
            ).encode()
            status = 200
        else:
            answer = httpx.get(self.upstream + self.path, headers={"Authorization": "Bearer x"})
            body, status = answer.content, answer.status_code
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@THROUGH_A_SERVER
def test_an_endless_empty_tail_ends_the_chain_and_replays(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A chain of empty pages that always claim has_more ran to 3,014 requests in 30 s. It
    now ends after --max-empty-pages of them; the capture says so (``"ended": "empty_tail"``)
    and replays."""
    monkeypatch.setenv("OPENAI_ADMIN_KEY", KEY)
    capture = tmp_path / "captured"
    with serving(corpus.fixtures) as api:
        handler = type("Endless", (_EndlessCosts,), {"upstream": api.url, "costs": 0})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}"
            result = _sync(corpus, url, "--endpoint", "costs", "--capture", str(capture))
        finally:
            server.shutdown()
            server.server_close()
    assert result.code == 0, result.err
    assert handler.costs == 3
    request = json.loads((capture / "fixtures" / "costs" / "sync" / "request.json").read_text())
    assert request["ended"] == "empty_tail"
    replayed = corpus.cli(
        "replay",
        "--fixtures",
        str(capture / "fixtures"),
        "--db",
        str(tmp_path / "r.duckdb"),
        "--report",
        str(tmp_path / "r.json"),
        "--json",
    )
    assert replayed.code == 0, replayed.err
    chain = json.loads((tmp_path / "r.json").read_text())["endpoints"]["costs"]["scenarios"]
    assert chain["sync"]["chain"]["endedBecause"] == (
        "empty tail: 3 empty pages with has_more=true after the start"
    )
