"""One token bucket shared by every endpoint job of a sync.

``OPENAI_ADMIN_REQUESTS_PER_MINUTE`` (default 300, five a second) refills the bucket;
``OPENAI_ADMIN_MAX_BURST`` (default 10) is its size, i.e. how many requests may go out back to
back after a quiet spell. The Admin API documents no numeric limits: the defaults keep a sync of
a few hundred requests to about a minute, and 429s with Retry-After slow it further if needed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from ..errors import ArgumentError

DEFAULT_REQUESTS_PER_MINUTE = 300.0
DEFAULT_MAX_BURST = 10


class Clock:
    """Real time. Tests pass a clock of their own with the same three methods."""

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        """Unix time, for HTTP dates in Retry-After."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class TokenBucket:
    """Thread-safe; ``acquire()`` blocks until a request may go out and returns the wait."""

    def __init__(
        self,
        requests_per_minute: float,
        burst: int,
        clock: Clock | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        if requests_per_minute <= 0 or burst < 1:
            raise ArgumentError(
                f"throttle needs a positive rate and a burst >= 1 "
                f"(got {requests_per_minute}/min, burst {burst})",
                hint="set OPENAI_ADMIN_REQUESTS_PER_MINUTE > 0 and OPENAI_ADMIN_MAX_BURST >= 1",
            )
        self.rate = requests_per_minute / 60.0  # tokens per second
        self.burst = burst
        self.clock = clock or Clock()
        self.on_wait = on_wait
        self._tokens = float(burst)
        self._updated = self.clock.now()
        self._lock = threading.Lock()

    @classmethod
    def from_env(
        cls, clock: Clock | None = None, on_wait: Callable[[float], None] | None = None
    ) -> TokenBucket:
        def number(name: str, default: float) -> float:
            raw = os.environ.get(name)
            if raw is None or raw == "":
                return default
            try:
                return float(raw)
            except ValueError as exc:
                raise ArgumentError(f"{name}={raw!r} is not a number") from exc

        rate = number("OPENAI_ADMIN_REQUESTS_PER_MINUTE", DEFAULT_REQUESTS_PER_MINUTE)
        burst = int(number("OPENAI_ADMIN_MAX_BURST", DEFAULT_MAX_BURST))
        return cls(rate, burst, clock, on_wait)

    def _refill(self) -> None:
        now = self.clock.now()
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def acquire(self) -> float:
        # The lock is held while sleeping on purpose: callers queue in order, and no caller can
        # take a token that a sleeping caller was promised.
        with self._lock:
            self._refill()
            wait = 0.0
            if self._tokens < 1.0:
                wait = (1.0 - self._tokens) / self.rate
                if self.on_wait is not None:
                    self.on_wait(wait)
                self.clock.sleep(wait)
                self._refill()
            self._tokens -= 1.0
            return wait
