"""Discover scenarios and read their pages: the only reader of ``fixtures/``.

Layout (a contract other tools write to)::

    fixtures/<endpoint>/<scenario>/request.json
    fixtures/<endpoint>/<scenario>/page-001.json, page-002.json, ...

For per-project listings the scenario folder is the project id named in request.json's path.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import checksums, endpoints, jsontext, paths, schema, times
from .errors import ArgumentError, LayoutError, MalformedJSONError, PathError, Problem
from .models import Page, Request, Scenario

PAGE_NAME = re.compile(r"^page-(\d+)\.json$")
SOURCES = ("recorded", "synthesized")


def parse_json(path: Path, data: bytes) -> Any:
    """Parse fixture bytes as strict JSON (jsontext.py); any defect becomes MalformedJSONError
    naming file, line and column."""
    hint = "restore the verbatim API response body, then run `harness checksums --write`"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedJSONError(
            f"{path}: not UTF-8 text",
            [Problem(f"byte {exc.start} is not UTF-8", file=str(path))],
            hint="save the file as UTF-8 JSON, then run `harness checksums --write`",
        ) from exc
    try:
        return jsontext.loads(text)
    except json.JSONDecodeError as exc:
        where, message = (exc.lineno, exc.colno), exc.msg
    except jsontext.StrictnessError as exc:
        where, message = jsontext.line_column(text, exc.position), exc.message
    except RecursionError as exc:
        raise MalformedJSONError(
            f"{path}: malformed JSON",
            [Problem("nested too deeply to parse", file=str(path))],
            hint=hint,
        ) from exc
    raise MalformedJSONError(
        f"{path}: malformed JSON",
        [Problem(f"line {where[0]} column {where[1]}: {message}", file=str(path))],
        hint=hint,
    )


def _read_bytes(path: Path) -> bytes:
    return read_stamped(path)[0]


def read_stamped(path: Path) -> tuple[bytes, checksums.Stamp]:
    """The file's bytes, and the stamp of the file they came from (checksums.stamp_of)."""
    try:
        with path.open("rb") as fh:
            data = fh.read()
            return data, checksums.stamp_of(os.fstat(fh.fileno()))
    except OSError as exc:
        raise PathError(f"cannot read {path}: {exc.strerror}") from exc


def read_json(path: Path) -> Any:
    return parse_json(path, _read_bytes(path))


def _page_files(directory: Path) -> tuple[tuple[Path, ...], list[Problem]]:
    numbered: dict[int, Path] = {}
    problems: list[Problem] = []
    for child in directory.iterdir():
        match = PAGE_NAME.match(child.name)
        if child.name.startswith("page-") and (not match or len(match.group(1)) < 3):
            problems.append(
                Problem("page files are named page-001.json, page-002.json, ...", file=str(child))
            )
        elif match:
            numbered[int(match.group(1))] = child
    expected = list(range(1, len(numbered) + 1))
    if sorted(numbered) != expected:
        missing = sorted(set(range(1, max(numbered, default=0) + 1)) - set(numbered))
        for n in missing:
            problems.append(
                Problem(
                    f"page-{n:03d}.json is missing: page numbers must run 1..N without gaps",
                    file=str(directory / f"page-{n:03d}.json"),
                    page=f"page-{n:03d}.json",
                )
            )
    if not numbered:
        problems.append(Problem("no page-001.json", file=str(directory)))
    return tuple(numbered[n] for n in sorted(numbered)), problems


_WINDOW_KEYS = ("start_time", "end_time", "effective_at[gte]", "effective_at[lt]")


def _query_problems(query: dict[str, Any], file: str) -> list[Problem]:
    """What in a request.json's query no request could have sent: a window that is not a
    time in Unix seconds, a grouping that is not a list of names."""
    found = []
    for key in _WINDOW_KEYS:
        value = query.get(key)
        if value is None:
            continue
        number = int(value) if isinstance(value, str) and value.isdigit() else value
        if type(number) is not int or not 0 <= number <= schema.LAST_SECOND:
            found.append(
                Problem(
                    f"{key} must be a time in Unix seconds (0 to {schema.LAST_SECOND}), "
                    f"not {json.dumps(value)[:60]}",
                    file=file,
                    pointer=f"/query/{key}",
                )
            )
    group_by = query.get("group_by")
    if group_by is not None and not (
        isinstance(group_by, str)
        or (isinstance(group_by, list) and all(isinstance(g, str) for g in group_by))
    ):
        found.append(
            Problem(
                f"group_by must be a name or a list of names, not {json.dumps(group_by)[:60]}",
                file=file,
                pointer="/query/group_by",
            )
        )
    width = query.get("bucket_width")
    if width is not None and not isinstance(width, str):
        found.append(
            Problem(
                "bucket_width must be text (1m, 1h or 1d)", file=file, pointer="/query/bucket_width"
            )
        )
    return found


def _request(path: Path, problems: list[Problem]) -> tuple[Request | None, checksums.Stamp]:
    data, stamp = read_stamped(path)
    return _request_of(path, parse_json(path, data), problems), stamp


def _request_of(path: Path, body: Any, problems: list[Problem]) -> Request | None:
    if not isinstance(body, dict):
        problems.append(Problem("request.json must be a JSON object", file=str(path)))
        return None
    missing = [k for k in ("method", "path", "query", "recorded_at") if k not in body]
    if missing:
        problems.append(Problem(f"request.json lacks {', '.join(missing)}", file=str(path)))
        return None
    if not isinstance(body["query"], dict):
        problems.append(Problem("`query` must be an object", file=str(path), pointer="/query"))
        return None
    recorded_at = _utc(body["recorded_at"])
    if recorded_at is None:
        problems.append(
            Problem(
                f"recorded_at {body['recorded_at']!r} is not an ISO 8601 time",
                file=str(path),
                pointer="/recorded_at",
            )
        )
        return None
    bad = _query_problems(body["query"], str(path))
    if bad:
        problems += bad
        return None
    source = body.get("source", "recorded")
    if source not in SOURCES:
        problems.append(Problem(f"`source` must be one of {SOURCES}", file=str(path)))
    ended = body.get("ended")
    if ended not in (None, "empty_tail"):
        problems.append(
            Problem('`ended` is "empty_tail" or absent', file=str(path), pointer="/ended")
        )
        return None
    return Request(
        method=str(body["method"]).upper(),
        path=str(body["path"]),
        query=body["query"],
        description=str(body.get("description", "")),
        source=str(source),
        recorded_at=recorded_at,
        ended=ended,
    )


def _utc(value: Any) -> str | None:
    """recorded_at in one canonical UTC form, so captures rank the same however spelled."""
    try:
        return times.canonical(times.parse(value))
    except ValueError:
        return None


def _folders(parent: Path) -> list[Path]:
    # Dot-folders (.git, .cache, ...) are tooling, not endpoints or scenarios.
    return sorted(p for p in parent.iterdir() if p.is_dir() and not p.name.startswith("."))


def _too_large(
    pages: tuple[Path, ...], stamps: tuple[checksums.Stamp | None, ...], most: int
) -> list[Problem]:
    """A page larger than ``most`` bytes is refused before anything reads it: a page that size
    is not one the API sent, and reading it would hold it whole in memory."""
    return [
        Problem(
            f"is {stamp[2]:,} bytes, above the {most:,} bytes of {checksums.MAX_PAGE_ENV}",
            file=str(path),
            page=path.name,
        )
        for path, stamp in zip(pages, stamps, strict=True)
        if stamp is not None and stamp[2] > most
    ]


def _stamp(path: Path) -> checksums.Stamp | None:
    try:
        return checksums.stamp_of(os.stat(path))
    except OSError:
        return None


def _leaves(path: Path) -> Problem:
    return Problem(
        "is a symbolic link that leads outside the fixtures folder, where harness reads "
        "nothing: copy the files in instead",
        file=str(path),
    )


def discover(fixtures_dir: Path) -> list[Scenario]:
    """Every scenario under ``fixtures_dir``, sorted by id; layout problems raise LayoutError."""
    if not fixtures_dir.is_dir():
        raise PathError(
            f"fixtures folder {fixtures_dir} does not exist",
            hint="pass --fixtures DIR, a folder laid out as <endpoint>/<scenario>/page-001.json",
        )
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    root = fixtures_dir.resolve()
    most = checksums.max_page_bytes()
    for endpoint_dir in _folders(fixtures_dir):
        if not paths.inside(endpoint_dir, root):
            problems.append(_leaves(endpoint_dir))
            continue
        if endpoint_dir.name not in endpoints.REGISTRY:
            problems.append(
                Problem(
                    f"unknown endpoint folder {endpoint_dir.name!r}; "
                    f"known: {', '.join(endpoints.REGISTRY)}",
                    file=str(endpoint_dir),
                )
            )
            continue
        endpoint = endpoints.REGISTRY[endpoint_dir.name]
        for scenario_dir in _folders(endpoint_dir):
            request_path = scenario_dir / "request.json"
            entries = sorted(scenario_dir.iterdir())
            leaving = [
                p
                for p in (scenario_dir, request_path, *entries)
                if p.is_symlink() and not paths.inside(p, root)
            ]
            if leaving or not paths.inside(scenario_dir, root):
                problems += [_leaves(p) for p in leaving or [scenario_dir]]
                continue
            odd = [p for p in entries if p.exists() and not (p.is_file() or p.is_dir())]
            if odd:  # a FIFO or a device: reading it would block or never end
                problems += [Problem("is not a regular file", file=str(p)) for p in odd]
                continue
            if not request_path.is_file():
                problems.append(Problem("request.json is missing", file=str(request_path)))
                continue
            request, stamp = _request(request_path, problems)
            pages, page_problems = _page_files(scenario_dir)
            problems += page_problems
            if request is None:
                continue
            matched = endpoints.by_api_path(request.path)
            if matched is None or matched[0] is not endpoint:
                problems.append(
                    Problem(
                        f"path {request.path!r} is not {endpoint.api_path}",
                        file=str(request_path),
                        pointer="/path",
                    )
                )
                continue
            project_id = matched[1]
            if endpoint.per_project and project_id != scenario_dir.name:
                problems.append(
                    Problem(
                        f"per-project listing folder must be named after the project id "
                        f"{project_id!r} in path",
                        file=str(scenario_dir),
                    )
                )
            page_stamps = tuple(map(_stamp, pages))
            problems += _too_large(pages, page_stamps, most)
            scenarios.append(
                Scenario(
                    endpoint,
                    scenario_dir.name,
                    scenario_dir,
                    request,
                    pages,
                    project_id,
                    stamp,
                    page_stamps,
                )
            )
    if problems:
        raise LayoutError.of(
            problems,
            "the fixtures folder breaks the layout ({n} problems)",
            hint="lay fixtures out as <endpoint>/<scenario>/request.json + page-001.json ...",
        )
    return scenarios


def select(scenarios: list[Scenario], wanted: Iterable[str] | None) -> list[Scenario]:
    """The scenarios a run replays.

    Directory endpoints are always loaded (usage points at them), and so are costs captures whose
    request window overlaps a selected usage scenario's (costEstimate needs them).
    """
    names = list(wanted or [])
    if not names:
        return scenarios
    by_id = {s.id: s for s in scenarios}
    unknown = [n for n in names if n not in by_id]
    if unknown:
        raise ArgumentError(
            f"unknown scenario {', '.join(unknown)}",
            hint=f"pick from: {', '.join(by_id)}",
        )
    chosen = {by_id[n].id for n in names}
    windows = [_window(by_id[n]) for n in names if by_id[n].endpoint.bucketed]
    for s in scenarios:
        if not s.endpoint.bucketed:
            chosen.add(s.id)
        elif s.endpoint.name == "costs" and any(_overlaps(_window(s), w) for w in windows):
            chosen.add(s.id)
    return [s for s in scenarios if s.id in chosen]


def _window(s: Scenario) -> tuple[float, float]:
    start, end = s.request.start_time, s.request.end_time
    return (
        float(start) if start is not None else float("-inf"),
        float(end) if end is not None else float("inf"),
    )


def _overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def read_pages(scenario: Scenario) -> list[tuple[Page, bytes]]:
    """Every page of a scenario, parsed, with the bytes it was parsed from (served verbatim)."""
    pages = []
    for i, path in enumerate(scenario.page_files, start=1):
        data = _read_bytes(path)
        pages.append((Page(number=i, path=path, body=parse_json(path, data)), data))
    return pages


def load_pages(scenario: Scenario) -> list[Page]:
    """Parse every page of a scenario; malformed JSON in any page raises, naming the file."""
    return [page for page, _ in read_pages(scenario)]
