"""The style guide's layering, made executable: an ``ast`` walk over every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import REPO

PACKAGE = REPO / "harness"
ABOVE_STAGING = {"report", "pipeline", "live", "cli", "commands", "plugin", "console", "verify"}
# What may import the modules above: staging and everything on top of it.
TOP = ABOVE_STAGING | {"staging", "diffing", "synth", "catalog", "__init__", "__main__"}


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute (``from . import x`` counted as ``pkg.x``)."""
    package = (
        _module(path).split(".") if path.name == "__init__.py" else _module(path).split(".")[:-1]
    )
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names}
    return found


MODULES = {_module(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _importers(prefix: str) -> set[str]:
    return {
        m
        for m, imported in MODULES.items()
        if any(i == prefix or i.startswith(prefix + ".") for i in imported)
    }


def _top(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "__init__"


def test_the_walk_sees_the_package() -> None:
    assert "harness.engines.sql.stage" in MODULES and "harness.staging" in _importers(
        "harness.engines.sql"
    )


def test_the_engines_never_import_each_other() -> None:
    assert not {
        m for m in _importers("harness.engines.sql") if m.startswith("harness.engines.reference")
    }
    assert not {
        m for m in _importers("harness.engines.reference") if m.startswith("harness.engines.sql")
    }


def test_the_engines_stay_below_staging() -> None:
    for forbidden in ("report", "pipeline", "staging", "live", "integrity"):
        offenders = {
            m for m in _importers(f"harness.{forbidden}") if m.startswith("harness.engines")
        }
        assert not offenders, f"{offenders} import harness.{forbidden}"


def test_nothing_below_staging_imports_what_sits_above_it() -> None:
    for above in ABOVE_STAGING:
        offenders = {m for m in _importers(f"harness.{above}") if _top(m) not in TOP}
        assert not offenders, f"{sorted(offenders)} import harness.{above}"


def test_replay_never_imports_the_live_side() -> None:
    replay = {
        "harness.pipeline",
        "harness.staging",
        "harness.report",
        "harness.plugin",
        "harness.verify",
    }
    assert not replay & _importers("harness.live")


def test_only_console_imports_rich_and_only_live_imports_httpx() -> None:
    assert _importers("rich") == {"harness.console"}
    assert _importers("httpx") and all(m.startswith("harness.live.") for m in _importers("httpx"))


def test_only_the_process_entry_point_tunes_the_allocator() -> None:
    """allocator.tune() belongs to the process: cli.run calls it, never main(), which tests
    and other hosts call in-process."""
    callers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                for call in ast.walk(node):
                    if (
                        isinstance(call, ast.Attribute)
                        and call.attr == "tune"
                        and isinstance(call.value, ast.Name)
                        and call.value.id == "allocator"
                    ):
                        callers.add(f"{_module(path)}.{node.name}")
    assert callers == {"harness.cli.run"}
