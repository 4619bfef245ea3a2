"""Read, verify and write CHECKSUMS.sha256 (``sha256sum`` format).

Paths are relative to the manifest's own folder, so ``sha256sum -c CHECKSUMS.sha256`` works too.
Bytes are verified before any JSON is parsed; every file under the fixtures folder must be listed.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .errors import ArgumentError, ChecksumError, PathError, Problem

LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
REWRITE_HINT = "if the change is intentional, run `harness checksums --write`"


MAX_PAGE_ENV = "HARNESS_MAX_PAGE_BYTES"
# Above what the API sends for its largest page (1,440 one-minute buckets of many groups).
MAX_PAGE_BYTES = 256 * 1024 * 1024


def max_page_bytes() -> int:
    """The largest page file harness reads: HARNESS_MAX_PAGE_BYTES, or 256 MiB."""
    value = os.environ.get(MAX_PAGE_ENV, "").strip()
    if not value:
        return MAX_PAGE_BYTES
    if not value.isdigit() or int(value) == 0:
        raise ArgumentError(
            f"{MAX_PAGE_ENV}={value!r} is not a positive whole number of bytes",
            hint=f"unset it for the default ({MAX_PAGE_BYTES})",
        )
    return int(value)


@dataclass(frozen=True)
class Verified:
    files: int
    bytes: int


def digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


# Called with each verified file's path, a buffer and the file's size (its bytes are the
# buffer's first ``size``), so that a caller can look at them while they are in memory
# (the SQL engine's token counter, engines/sql/parallel.py) instead of reading them again.
# The buffer is lent for the call: the next file is read into it.
Inspect = Callable[[Path, bytearray, int], None]

# One buffer per thread, reused for every file it checks: a fresh bytes object per file cost
# as much again as the read itself, in allocation and page faults (docs/performance.md).
_scratch = threading.local()


# What identifies one version of a file: a write, a rename over it or a change of its times
# changes at least the inode's change time, which no unprivileged process can set back.
Stamp = tuple[int, int, int, int, int]


def stamp_of(status: os.stat_result) -> Stamp:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def _read(path: Path) -> tuple[bytearray, int, Stamp]:
    """The file's bytes as (this thread's buffer, size, the stamp of the file read)."""
    with path.open("rb", buffering=0) as fh:
        status = os.fstat(fh.fileno())
        size = status.st_size
        buffer: bytearray | None = getattr(_scratch, "buffer", None)
        if buffer is None or len(buffer) <= size:
            buffer = _scratch.buffer = bytearray(max(2 * size, 1 << 20))
        view, n = memoryview(buffer), 0
        while True:  # until the end of the file, which may have grown since fstat
            got = fh.readinto(view[n:])
            if not got:
                return buffer, n, stamp_of(os.fstat(fh.fileno())) if n != size else stamp_of(status)
            n += got
            if n == len(buffer):
                buffer = _scratch.buffer = buffer + bytearray(len(buffer))
                view = memoryview(buffer)


def _mismatch(actual: str, expected: str, rel: str) -> Problem:
    return Problem(f"sha256 is {actual}, manifest says {expected}", file=rel)


def _ignored(name: str) -> bool:
    """Files and folders of the fixtures folder that are never read nor listed: dotfiles
    (.DS_Store, .gitkeep, .git/) and notes (*.md). Any other file must be in the manifest."""
    return name.startswith(".") or name.endswith(".md")


def _walk(fixtures_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """(folder, its file names) under ``fixtures_dir``, without what _ignored() names."""
    for folder, folders, names in os.walk(fixtures_dir):
        folders[:] = [f for f in folders if not f.startswith(".")]
        yield folder, [n for n in names if not _ignored(n)]


def _fixture_files(fixtures_dir: Path) -> list[Path]:
    if not fixtures_dir.is_dir():
        raise PathError(f"fixtures folder {fixtures_dir} does not exist")
    found = [os.path.join(folder, name) for folder, names in _walk(fixtures_dir) for name in names]
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


class Verification:
    """verify(), shared by two threads: a background one that starts early and checks files
    while DuckDB works, and the caller, which shares whatever is left when it needs the
    answer. The caller never waits on the background thread (a busy machine may hold it
    back): a file that thread has claimed but not finished is checked again.
    """

    def __init__(
        self,
        manifest: Path,
        fixtures_dir: Path,
        inspect: Inspect | None = None,
    ):
        self._manifest, self._fixtures, self._inspect = manifest, fixtures_dir, inspect
        self._entries = read_manifest(manifest)
        self._outside = _outside(self._entries, manifest, fixtures_dir)
        self.most = max_page_bytes()  # a larger file is hashed as a stream, never held whole
        self._todo = sorted(
            (rel, d) for rel, d in self._entries.items() if rel not in self._outside
        )
        # What each verified file was when it was hashed, by (device, inode): what the engines
        # read later must still be that file (still_verified()).
        self.stamps: dict[tuple[int, int], Stamp] = {}
        self._claimed = 0
        self._finished = False
        self._lock = threading.Lock()
        self._outcome: dict[str, tuple[Problem | None, int]] = {}  # by file: (problem, bytes)
        self._unlisted: list[Problem] | None = None  # once work() has looked

    def _claim(self) -> tuple[str, str] | None:
        with self._lock:
            if self._finished or self._claimed == len(self._todo):
                return None
            self._claimed += 1
            return self._todo[self._claimed - 1]

    def _check(self, rel: str, expected: str) -> None:
        path = self._manifest.parent / rel
        if not path.is_file():
            what = (
                "is not a regular file" if path.exists() else "listed in the manifest but missing"
            )
            self._outcome[rel] = (Problem(what, file=rel), 0)
            return
        if not _regular(path):  # is_file() follows links; a FIFO would block the read
            self._outcome[rel] = (Problem("is not a regular file", file=rel), 0)
            return
        try:
            if path.stat().st_size > self.most:  # hashed as a stream, never held whole
                actual, size = digest(path), path.stat().st_size
                problem = None if actual == expected else _mismatch(actual, expected, rel)
                self._outcome[rel] = (problem, size)  # discovery refuses the page itself
                return
            data, size, stamp = _read(path)
        except OSError as exc:
            self._outcome[rel] = (Problem(f"cannot be read: {exc.strerror}", file=rel), 0)
            return
        with memoryview(data) as view:
            actual = hashlib.sha256(view[:size]).hexdigest()
        if actual != expected:
            self._outcome[rel] = (_mismatch(actual, expected, rel), size)
            return
        if self._inspect is not None:
            self._inspect(path, data, size)
        self.stamps[stamp[:2]] = stamp  # by device and inode: however the path is spelled
        self._outcome[rel] = (None, size)

    def start(self) -> Verification:
        """Check files on a background thread, at normal priority (a lower one, nice 10, left
        that thread with more of the work when the caller needed the answer). Never joined:
        result() finishes the work itself."""

        def background() -> None:
            try:
                self.work()
            except Exception:  # result() checks the same file again, and reports what it finds
                pass

        threading.Thread(target=background, name="harness-checksums", daemon=True).start()
        return self

    def work(self) -> None:
        """Check files one at a time until none is left; then look for files the manifest
        does not list."""
        while True:
            item = self._claim()
            if item is None:
                break
            self._check(*item)
        if self._unlisted is None:
            self._unlisted = self._find_unlisted()

    def _find_unlisted(self) -> list[Problem]:
        """A problem for each file under the fixtures folder that the manifest does not list."""
        if not self._fixtures.is_dir():
            raise PathError(f"fixtures folder {self._fixtures} does not exist")
        # Strings, not Path objects: this walks every file of a corpus, and a Path per file
        # cost three times as much. One relpath for each folder.
        found = []
        for folder, names in _walk(self._fixtures):
            base = _relative(Path(folder), self._manifest)
            prefix = "" if base == "." else f"{base}/"
            found += [prefix + name for name in names]
        return [
            Problem("fixture file is not listed in the manifest", file=rel)
            for rel in sorted(found, key=lambda rel: rel.split("/"))  # in Path order
            if rel not in self._entries
        ]

    def result(self) -> Verified:
        """Check what is left, then that every fixture file is listed; raise ChecksumError."""
        # The files nobody has claimed are shared with the background thread (two cores
        # finish them in half the time); then the ones it claimed and has not finished are
        # checked here again rather than waited for.
        self.work()
        with self._lock:
            self._finished = True
        for rel, expected in self._todo:
            if rel not in self._outcome:
                self._check(rel, expected)
        problems = [p for rel, _ in self._todo if (p := self._outcome[rel][0]) is not None]
        problems = [*self._outside.values(), *problems]
        unlisted = self._unlisted
        problems += self._find_unlisted() if unlisted is None else unlisted
        if problems:
            raise ChecksumError.of(
                problems, f"{self._manifest.name}: {{n}} checksum problems", hint=REWRITE_HINT
            )
        total = sum(self._outcome[rel][1] for rel, _ in self._todo)
        return Verified(files=len(self._entries), bytes=total)


def _outside(entries: dict[str, str], manifest: Path, fixtures_dir: Path) -> dict[str, Problem]:
    """The manifest entries that name a file outside the fixtures folder (absolute, ``..``,
    or through a symbolic link): refused, never opened, hashed or printed."""
    root = fixtures_dir.resolve()
    found = {}
    for rel in entries:
        if paths.escapes(rel) or not paths.inside(manifest.parent / rel, root):
            found[rel] = Problem(
                "names a file outside the fixtures folder; the manifest lists only files of "
                "the fixtures folder",
                file=rel,
            )
    return found


def still_verified(
    stamps: dict[tuple[int, int], Stamp], files: list[tuple[Path, tuple[int, ...] | None]]
) -> None:
    """Raise ChecksumError for each of ``files`` that is not the file verified. Each comes with
    the stamp taken before any engine read it; it must equal the stamp taken when it was
    hashed (``stamps``, by device and inode), and so must the file now: changed, replaced,
    removed, never listed, or forged for a read and restored before its hash, it is not."""
    problems = []
    for path, seen in files:
        try:
            now: Stamp | None = stamp_of(os.stat(path))
        except OSError:
            now = None
        if now is None or seen != now or stamps.get(now[:2]) != now:
            problems.append(
                Problem(
                    "is not the file whose checksum was verified (changed while harness was "
                    "reading it, replaced or never listed); nothing was written",
                    file=str(path),
                )
            )
    if problems:
        raise ChecksumError.of(
            problems,
            "{n} fixture files are not the files whose checksums were verified",
            hint="let the corpus rest while harness runs, then run again; if the change is "
            "intentional, run `harness checksums --write` first",
        )


def verify(manifest: Path, fixtures_dir: Path, inspect: Inspect | None = None) -> Verified:
    """Check every listed digest and that every fixture file is listed; raise ChecksumError."""
    return Verification(manifest, fixtures_dir, inspect).result()


def render(manifest: Path, fixtures_dir: Path) -> str:
    lines = [f"{digest(p)}  {_relative(p, manifest)}\n" for p in _fixture_files(fixtures_dir)]
    return "".join(sorted(lines, key=lambda line: line[66:]))


def write(manifest: Path, fixtures_dir: Path) -> int:
    """Regenerate the manifest for every file under ``fixtures_dir``; returns the file count.
    A name the manifest cannot hold (a line break, bytes that are not UTF-8) or a file that is
    not a regular one (a FIFO would block the hash) is refused, and the manifest is left as it
    was: the new one is written beside it and renamed into place."""
    files = _fixture_files(fixtures_dir)
    unsafe = [
        Problem(
            "its name holds a line break or bytes that are not UTF-8, which the manifest "
            "cannot hold",
            file=repr(rel),
        )
        for p in files
        if not paths.manifest_safe(rel := _relative(p, manifest))
    ]
    unsafe += [
        Problem("is not a regular file", file=paths_text(p)) for p in files if not _regular(p)
    ]
    root = fixtures_dir.resolve()
    unsafe += [
        Problem("is a symbolic link that leads outside the fixtures folder", file=paths_text(p))
        for p in [*files, *_linked_folders(fixtures_dir)]
        if p.is_symlink() and not paths.inside(p, root)
    ]
    if unsafe:
        raise ChecksumError.of(
            unsafe, "{n} fixture files cannot be listed", hint="rename or remove them"
        )
    text = render(manifest, fixtures_dir)
    temp = manifest.with_name(f".{manifest.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(temp, manifest)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise PathError(f"cannot write {manifest}: {exc.strerror}") from exc
    return text.count("\n")


def _linked_folders(fixtures_dir: Path) -> list[Path]:
    """Folders under ``fixtures_dir`` that are symbolic links (os.walk does not enter them)."""
    return [
        Path(folder, name)
        for folder, folders, _ in os.walk(fixtures_dir)
        for name in folders
        if not name.startswith(".") and Path(folder, name).is_symlink()
    ]


def paths_text(path: Path) -> str:
    """A path as printable text, whatever bytes its name holds."""
    return repr(str(path))[1:-1]


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
