"""Read, verify and write CHECKSUMS.sha256 (``sha256sum`` format).

Paths are relative to the manifest's own folder, so ``sha256sum -c CHECKSUMS.sha256`` works too.
Bytes are verified before any JSON is parsed; every file under the fixtures folder must be listed.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import ChecksumError, PathError, Problem

LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
REWRITE_HINT = "if the change is intentional, run `harness checksums --write`"


@dataclass(frozen=True)
class Verified:
    files: int
    bytes: int


def digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


# Called with each verified file's path and bytes, so that a caller can look at them while they
# are in memory (pipeline.py counts JSON tokens for fastpath.py) instead of reading them again.
Inspect = Callable[[Path, bytes], None]


def _fixture_files(fixtures_dir: Path) -> list[Path]:
    if not fixtures_dir.is_dir():
        raise PathError(f"fixtures folder {fixtures_dir} does not exist")
    found = [
        os.path.join(folder, name) for folder, _, names in os.walk(fixtures_dir) for name in names
    ]
    return sorted(Path(p) for p in found)


def _relative(path: Path, manifest: Path) -> str:
    return Path(os.path.relpath(path, manifest.parent)).as_posix()


def read_manifest(manifest: Path) -> dict[str, str]:
    """Map of relative path -> lowercase hex digest; malformed lines raise ChecksumError."""
    try:
        text = manifest.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PathError(
            f"checksum manifest {manifest} does not exist",
            hint="run `harness checksums --write` to create it, or pass --checksums FILE",
        ) from exc
    except OSError as exc:
        raise PathError(f"cannot read checksum manifest {manifest}: {exc.strerror}") from exc
    entries: dict[str, str] = {}
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = LINE.match(line)
        if not match:
            problems.append(Problem(f"line {number} is not `<sha256>  <path>`", file=str(manifest)))
            continue
        entries[match.group(2)] = match.group(1).lower()
    if problems:
        raise ChecksumError.of(problems, "the checksum manifest is malformed", hint=REWRITE_HINT)
    return entries


def verify(manifest: Path, fixtures_dir: Path, inspect: Inspect | None = None) -> Verified:
    """Check every listed digest and that every fixture file is listed; raise ChecksumError."""
    entries = read_manifest(manifest)
    problems: list[Problem] = []
    total = 0
    for rel, expected in sorted(entries.items()):
        path = manifest.parent / rel
        if not path.is_file():
            problems.append(Problem("listed in the manifest but missing", file=rel))
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(Problem(f"cannot be read: {exc.strerror}", file=rel))
            continue
        actual = hashlib.sha256(data).hexdigest()
        total += len(data)
        if inspect is not None and actual == expected:
            inspect(path, data)
        if actual != expected:
            problems.append(Problem(f"sha256 is {actual}, manifest says {expected}", file=rel))
    # One relpath for the folder, then joins: relpath per file is slow for many files.
    base = _relative(fixtures_dir, manifest)
    for path in _fixture_files(fixtures_dir):
        rel = Path(base, path.relative_to(fixtures_dir)).as_posix()
        if rel not in entries:
            problems.append(Problem("fixture file is not listed in the manifest", file=rel))
    if problems:
        raise ChecksumError.of(
            problems, f"{manifest.name}: {{n}} checksum problems", hint=REWRITE_HINT
        )
    return Verified(files=len(entries), bytes=total)


def render(manifest: Path, fixtures_dir: Path) -> str:
    lines = [f"{digest(p)}  {_relative(p, manifest)}\n" for p in _fixture_files(fixtures_dir)]
    return "".join(sorted(lines, key=lambda line: line[66:]))


def write(manifest: Path, fixtures_dir: Path) -> int:
    """Regenerate the manifest for every file under ``fixtures_dir``; returns the file count."""
    text = render(manifest, fixtures_dir)
    try:
        manifest.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise PathError(f"cannot write {manifest}: {exc.strerror}") from exc
    return text.count("\n")
