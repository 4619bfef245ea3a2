"""The docs cover the tool, in the manner of sqlite-utils' tests/test_docs.py: every CLI
subcommand is in the README, every environment variable the code reads is documented, every
pytest option is named, and the docs the README links to exist."""

from __future__ import annotations

import argparse
import re

import pytest

from harness import plugin
from harness.cli import _parser
from helpers import REPO

README = (REPO / "README.md").read_text()
# A variable the code reads: an os.environ lookup, or a constant naming one.
_ENV_NAME = re.compile(r"""["']((?:HARNESS|OPENAI)_[A-Z0-9_]+)["']""")


def _subcommands() -> list[str]:
    parser = _parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(action.choices)


def _variables() -> list[str]:
    found = set()
    for path in (REPO / "harness").rglob("*.py"):
        found |= set(_ENV_NAME.findall(path.read_text()))
    return sorted(found | {"NO_COLOR"})


def test_the_walks_find_something() -> None:
    assert {"replay", "synth", "serve"} <= set(_subcommands())
    assert {"HARNESS_REFERENCE_PATH", "OPENAI_ADMIN_KEY"} <= set(_variables())


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_is_in_the_readme(command: str) -> None:
    assert f"harness {command}" in README, f"README.md never shows `harness {command}`"


@pytest.mark.parametrize("variable", _variables())
def test_every_environment_variable_is_documented(variable: str) -> None:
    assert f"`{variable}`" in README, f"README.md does not document `{variable}`"


@pytest.mark.parametrize("name", [name for name, _, _ in plugin.OPTIONS])
def test_every_pytest_option_is_documented(name: str) -> None:
    assert f"--harness-{name.replace('_', '-')}" in README


def test_the_documents_the_readme_links_exist() -> None:
    links = re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)\)", README)
    assert "docs/performance.md" in links and "docs/architecture.md" in links
    for link in links:
        assert (REPO / link).is_file(), f"README.md links to a missing {link}"
