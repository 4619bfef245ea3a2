"""Times: the one ISO 8601 parser and the one writer (UTC, ``Z``).

Naive times are UTC. Every command option, request.json's ``recorded_at`` and the report go
through here, so a time means the same wherever it is read.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse(value: object) -> datetime:
    """An aware datetime from ISO 8601 text (``2025-09-29``, ``2025-09-29T12:00:00Z``);
    raises ValueError for anything else."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not ISO 8601 text")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """Whole seconds in UTC: ``2025-09-30T06:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical(moment: datetime) -> str:
    """UTC with microseconds when there are any: how captures rank, however they were spelled."""
    moment = moment.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def day(seconds: int) -> str:
    """The UTC date of Unix ``seconds``: ``2025-09-29``."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")


def seconds(value: int) -> str:
    """Unix seconds as a message shows them: the number and its UTC time,
    ``1759104000 (2025-09-29T00:00:00Z)``; the number alone where no date can hold it."""
    try:
        return f"{value} ({iso(datetime.fromtimestamp(value, UTC))})"
    except (OverflowError, OSError, ValueError):
        return str(value)
