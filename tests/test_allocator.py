"""The command line tunes glibc's malloc for its own process, unless the environment does."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

TUNE = "from harness import allocator; print(allocator.tune())"


def _tune(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", TUNE], env=clean | env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_tunes_glibc_unless_the_environment_does() -> None:
    assert _tune() == "True"
    assert _tune(MALLOC_TRIM_THRESHOLD_="131072") == "False"  # the user's setting stands
