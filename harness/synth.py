"""``harness synth``: a valid synthetic corpus of any size, in the fixture layout, with checksums.

An organization of 50 projects (5 archived), 40 users, 500 keys (owned by project members and
service accounts), 30 models and 3 service tiers. Every usage endpoint and costs get one chain per
project over 30 days (hourly buckets for usage, daily for costs), several pages each; about 10 %
of the results are exact duplicates. The corpus replays with no relationship issues.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

from . import checksums
from .endpoints import ENDPOINTS, Endpoint

START = 1756684800  # 2025-09-01T00:00:00Z
DAYS = 30
HOUR, DAY = 3600, 86400
RECORDED_AT = "2025-10-01T06:00:00Z"
PROJECTS, ARCHIVED, USERS, KEYS_PER_PROJECT, MODELS = 50, 5, 40, 10, 30
TIERS = ("default", "flex", "priority")
DUPLICATE_SHARE = 0.1
# Share of the raw results per endpoint.
WEIGHTS = {
    "usage_completions": 0.55,
    "usage_embeddings": 0.1,
    "usage_moderations": 0.05,
    "usage_images": 0.06,
    "usage_audio_speeches": 0.05,
    "usage_audio_transcriptions": 0.05,
    "usage_vector_stores": 0.03,
    "usage_code_interpreter_sessions": 0.03,
    "costs": 0.08,
}


@dataclass
class Org:
    projects: list[str]
    archived: set[str]
    users: list[str]
    members: dict[str, list[str]]  # project -> user ids
    accounts: dict[str, list[str]]  # project -> service account ids
    keys: dict[str, list[tuple[str, str, str]]]  # project -> (key id, owner type, owner id)
    models: list[str]


def _org(rng: random.Random) -> Org:
    projects = [f"proj_{i:04d}" for i in range(PROJECTS)]
    users = [f"user_{i:03d}" for i in range(USERS)]
    members = {p: rng.sample(users, 4) for p in projects}
    accounts = {p: [f"svc_acct_{p[5:]}_{j}" for j in range(2)] for p in projects}
    keys = {}
    for p in projects:
        keys[p] = [
            (f"key_{p[5:]}_{j:02d}", "user", members[p][j % 4])
            if j % 2 == 0
            else (f"key_{p[5:]}_{j:02d}", "service_account", accounts[p][j % 2])
            for j in range(KEYS_PER_PROJECT)
        ]
    return Org(
        projects,
        set(projects[-ARCHIVED:]),
        users,
        members,
        accounts,
        keys,
        [f"model-{i:02d}" for i in range(MODELS)],
    )


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0

    def scenario(
        self,
        endpoint: Endpoint,
        name: str,
        query: dict[str, Any],
        project: str | None,
        pages: list[dict[str, Any]],
    ) -> None:
        folder = self.root / endpoint.name / name
        folder.mkdir(parents=True, exist_ok=True)
        path = endpoint.api_path.replace("{project_id}", project or "")
        request = {
            "method": "GET",
            "path": path,
            "query": query,
            "source": "synthesized",
            "description": "harness synth",
            "recorded_at": RECORDED_AT,
        }
        (folder / "request.json").write_text(json.dumps(request, indent=1) + "\n")
        for n, page in enumerate(pages, start=1):
            (folder / f"page-{n:03d}.json").write_text(json.dumps(page, separators=(",", ":")))
        self.files += 1 + len(pages)


def _list_pages(items: list[dict[str, Any]], per_page: int) -> list[dict[str, Any]]:
    chunks = [items[i : i + per_page] for i in range(0, len(items), per_page)] or [[]]
    return [
        {
            "object": "list",
            "data": chunk,
            "first_id": chunk[0]["id"] if chunk else None,
            "last_id": chunk[-1]["id"] if chunk else None,
            "has_more": i < len(chunks) - 1,
        }
        for i, chunk in enumerate(chunks)
    ]


def _directory(w: _Writer, org: Org, registry: dict[str, Endpoint]) -> None:
    created = START - 90 * DAY
    projects = [
        {
            "id": p,
            "object": "organization.project",
            "name": f"Project {p[5:]}",
            "created_at": created,
            "archived_at": START if p in org.archived else None,
            "status": "archived" if p in org.archived else "active",
        }
        for p in org.projects
    ]
    w.scenario(
        registry["projects"],
        "all",
        {"limit": 20, "include_archived": True},
        None,
        _list_pages(projects, 20),
    )
    users = [
        {
            "object": "organization.user",
            "id": u,
            "name": f"User {u[5:]}",
            "email": f"{u}@example.com",
            "role": "reader",
            "added_at": created,
        }
        for u in org.users
    ]
    w.scenario(registry["users"], "all", {"limit": 20}, None, _list_pages(users, 20))
    certs = [
        {
            "object": "organization.certificate",
            "id": f"cert_{i}",
            "name": f"cert {i}",
            "active": True,
            "created_at": created,
            "certificate_details": {"valid_at": created, "expires_at": created + 400 * DAY},
        }
        for i in range(3)
    ]
    w.scenario(registry["certificates"], "all", {"limit": 20}, None, _list_pages(certs, 20))
    for p in org.projects:
        keys = [
            {
                "object": "organization.project.api_key",
                "id": k,
                "name": k,
                "redacted_value": "sk-proj-***...***0000",
                "created_at": created,
                "last_used_at": None,
                "owner": {
                    "type": t,
                    t: {"id": owner, "name": owner, "role": "member", "created_at": created},
                },
            }
            for k, t, owner in org.keys[p]
        ]
        w.scenario(registry["project_api_keys"], p, {"limit": 5}, p, _list_pages(keys, 5))
        cert = [
            {
                "object": "organization.project.certificate",
                "id": "cert_0",
                "name": "cert 0",
                "active": True,
                "created_at": created,
                "certificate_details": {"valid_at": created, "expires_at": created + 400 * DAY},
            }
        ]
        w.scenario(registry["project_certificates"], p, {"limit": 20}, p, _list_pages(cert, 20))
        if p in org.archived:
            continue  # the API answers 400 to an archived project's members and accounts
        members = [
            {
                "object": "organization.project.user",
                "id": u,
                "name": u,
                "email": f"{u}@example.com",
                "role": "member",
                "added_at": created,
            }
            for u in org.members[p]
        ]
        w.scenario(registry["project_users"], p, {"limit": 20}, p, _list_pages(members, 20))
        accounts = [
            {
                "object": "organization.project.service_account",
                "id": a,
                "name": a,
                "role": "member",
                "created_at": created,
            }
            for a in org.accounts[p]
        ]
        w.scenario(
            registry["project_service_accounts"], p, {"limit": 20}, p, _list_pages(accounts, 20)
        )


def _combos(endpoint: Endpoint, org: Org, project: str) -> list[dict[str, Any]]:
    """Distinct dimension values one project can report in one bucket."""
    keys = org.keys[project]
    dims = set(endpoint.dimension_names)
    if endpoint.name == "costs":
        return [
            {"project_id": project, "line_item": f"{m}, {io}", "api_key_id": None}
            for m, io in product(org.models, ("input", "output"))
        ]
    if dims == {"project_id"}:
        return [{"project_id": project}]
    combos = []
    for (key, owner_type, owner), model in product(keys, org.models[:12]):
        combo: dict[str, Any] = {
            "project_id": project,
            "api_key_id": key,
            "model": model,
            "user_id": owner if owner_type == "user" else None,
        }
        if "service_tier" in dims:
            combo["service_tier"], combo["batch"] = TIERS[int(model[-2:]) % 3], False
        if "source" in dims:
            combo["source"], combo["size"] = "image.generation", "1024x1024"
        combos.append(combo)
    return combos


def _result(endpoint: Endpoint, combo: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    result: dict[str, Any] = {"object": endpoint.object}
    for f in endpoint.counters:
        if f.type == "money":
            result["amount"] = {"value": round(rng.uniform(0.0001, 3.0), 6), "currency": "usd"}
        else:
            result[f.name] = rng.randint(0, 50000)
    for name in endpoint.dimension_names:
        result[name] = combo.get(name)
    return result


def _usage_pages(
    endpoint: Endpoint, org: Org, project: str, results: int, rng: random.Random
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    width = DAY if endpoint.name == "costs" else HOUR
    buckets = DAYS * DAY // width
    limit = 7 if endpoint.name == "costs" else 168
    query = {
        "start_time": START,
        "end_time": START + DAYS * DAY,
        "bucket_width": "1d" if width == DAY else "1h",
        "limit": limit,
        "project_ids": [project],
        "group_by": list(endpoint.dimension_names),
    }
    combos = _combos(endpoint, org, project)
    unique = round(results / (1 + DUPLICATE_SHARE))
    counts = [unique // buckets + (1 if i < unique % buckets else 0) for i in range(buckets)]
    data = []
    for i, count in enumerate(counts):
        chosen = rng.sample(combos, min(count, len(combos)))
        rows = [_result(endpoint, combo, rng) for combo in chosen]
        rows += [dict(r) for r in rows if rng.random() < DUPLICATE_SHARE]
        data.append(
            {
                "object": "bucket",
                "start_time": START + i * width,
                "end_time": START + (i + 1) * width,
                "results": rows,
            }
        )
    pages = []
    for n, first in enumerate(range(0, buckets, limit)):
        last = first + limit >= buckets
        pages.append(
            {
                "object": "page",
                "data": data[first : first + limit],
                "has_more": not last,
                "next_page": None if last else f"page_{project}_{n + 1:04d}",
            }
        )
    return query, pages


def _usage_plan(results: int) -> Iterator[tuple[str, int]]:
    for name, weight in WEIGHTS.items():
        yield name, int(results * weight)


def synthesize(out: Path, results: int, seed: int = 0) -> int:
    """Write the corpus under ``out`` (``fixtures/`` + ``CHECKSUMS.sha256``); returns files."""
    rng = random.Random(seed)
    registry = {e.name: e for e in ENDPOINTS}
    org = _org(rng)
    w = _Writer(out / "fixtures")
    _directory(w, org, registry)
    for name, total in _usage_plan(results):
        endpoint = registry[name]
        for i, p in enumerate(org.projects):  # the remainder goes to the first projects
            share = total // len(org.projects) + (1 if i < total % len(org.projects) else 0)
            query, pages = _usage_pages(endpoint, org, p, share, rng)
            w.scenario(endpoint, p, query, None, pages)
    checksums.write(out / "CHECKSUMS.sha256", out / "fixtures")
    return w.files
