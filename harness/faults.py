"""Documented fault-injection hook for tests of all-or-nothing ingest.

``HARNESS_FAIL_AT=<step>`` raises FaultInjected when the pipeline reaches ``<step>``;
``HARNESS_FAIL_AT=<step>!`` raises a plain RuntimeError there, as a defect in harness would;
``HARNESS_KILL_AT=<step>`` kills the process with SIGKILL there (to test crash recovery).
Steps: ``after-migrate``, ``after-upsert:<endpoint>`` (e.g. ``after-upsert:usage_completions``),
``before-commit``.
"""

from __future__ import annotations

import os
import signal

from .errors import FaultInjected


def checkpoint(step: str) -> None:
    if os.environ.get("HARNESS_KILL_AT") == step:
        os.kill(os.getpid(), signal.SIGKILL)
    wanted = os.environ.get("HARNESS_FAIL_AT")
    if wanted == step:
        raise FaultInjected(f"fault injected at {step} (HARNESS_FAIL_AT)")
    if wanted == f"{step}!":
        raise RuntimeError(f"defect injected at {step} (HARNESS_FAIL_AT)")
