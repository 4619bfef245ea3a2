"""Tests that drive pytest (pytester) or run harness in a subprocess: all marked ``slow``, so
that ``pytest -m "not slow"`` is the quick loop. They are still part of the gate."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)
