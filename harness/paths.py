"""Confinement: every path harness reads or writes stays inside its root.

Fixture folders, manifest entries and capture output are resolved (symbolic links followed) and
checked against the resolved root before anything is opened, hashed or printed. Ids that become
path components (a project id names its per-project folder) must look like ids, never like
paths. A refused path is named as the corpus spells it, never by where a link leads.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# What an id may hold when it becomes a folder name: a safety check, not format validation,
# so that short ids such as proj_abc123 stay legal.
_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
ID_PREFIXES = {"project": "proj_"}


def inside(path: Path, root: Path) -> bool:
    """Whether ``path``, with every symbolic link followed, lies within ``root`` (resolved)."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a loop of links, or a path that cannot be resolved
        return False


def escapes(rel: str) -> bool:
    """Whether a relative path written in a manifest could name a file outside its folder:
    absolute, or holding a ``..`` part."""
    return os.path.isabs(rel) or rel.startswith("~") or ".." in Path(rel).parts


def safe_id(value: object, kind: str = "project") -> bool:
    """Whether ``value`` may be used as a folder name for an id of ``kind``: its prefix, then
    letters, digits, ``_`` and ``-`` only."""
    if not isinstance(value, str):
        return False
    prefix = ID_PREFIXES[kind]
    return value.startswith(prefix) and _ID.fullmatch(value[len(prefix) :]) is not None


def manifest_safe(rel: str) -> bool:
    """Whether a relative path survives a line of the manifest (``<digest>  <path>``, UTF-8):
    no character that ends a line (``str.splitlines`` splits on more than ``\\n``), and no
    byte that is not UTF-8 (a name the file system holds as undecodable bytes)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return len(f"x{rel}x".splitlines()) == 1
