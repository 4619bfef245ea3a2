"""Token counts of a JSON text: the evidence fastpath.py balances against DuckDB's typed read.

DuckDB reads page files with an explicit column list taken from the registry, which is fast but
blind: keys it was not told about are skipped, and it converts leniently (a number where a string
belongs is read as text). Counting a few tokens in the bytes, while they are in memory for their
checksum, proves nothing was skipped or converted: in a JSON text every key is a string followed
by a colon, and every other quote pair is a string value, so

    keys   == keys the typed read saw + keys whose value is null
    quotes == 2 * keys + 2 * string values the typed read saw + escaped quotes

Formatting or content these simple counts cannot see through (a space before a colon, an escaped
quote before a colon, the word null inside a string) only ever breaks the balance, which sends the
file to the reference validator: slower, never wrong. What the counts cannot see is two
anomalies in one file that cancel exactly (an unknown non-null field and a string field holding
a number, say); each alone breaks the balance.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# numpy is imported by the first count, on the checksum thread: not on every run's start-up.

QUOTE = ord('"')


@cache
def _context() -> tuple[np.ndarray, np.ndarray]:
    """What may stand right before and right after a null that is a value, not part of a word."""
    import numpy as np

    before, after = np.zeros(256, dtype=bool), np.zeros(256, dtype=bool)
    before[list(b": \t\r\n,[")] = True
    after[list(b",}] \t\r\n")] = True
    return before, after


@dataclass(frozen=True)
class Tokens:
    quotes: int  # every "
    escaped: int  # \" inside a string
    keys: int  # ": the end of a key
    nulls: int  # null as a value

    def balanced(self, keys_seen: int, strings_seen: int) -> bool:
        """Whether the typed read saw every key and every string value these bytes hold."""
        return self.keys == keys_seen + self.nulls and (
            self.quotes == 2 * self.keys + 2 * strings_seen + self.escaped
        )


# Scratch arrays, one pair per thread (the checksum thread counts while the main thread may
# count a file it was not given): every comparison writes into them, because allocating a
# fresh array per file made page faults cost more than the counting itself.
_scratch = threading.local()


def _buffers(size: int) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    held = getattr(_scratch, "pair", None)
    if held is None or held[0].size < size:
        grown = max(size, 1 << 20)
        held = _scratch.pair = (np.empty(grown, dtype=bool), np.empty(grown, dtype=bool))
    return held


def _pairs(first: np.ndarray, a: np.ndarray, second: int, out: np.ndarray) -> int:
    """How many times a byte marked in ``first`` (a mask over ``a``) is followed by ``second``."""
    import numpy as np

    n = a.size - 1
    if n < 1:
        return 0
    following = np.equal(a[1:], second, out=out[:n])
    return int(np.count_nonzero(np.logical_and(first[:n], following, out=following)))


def _nulls(a: np.ndarray, starts_out: np.ndarray, out: np.ndarray) -> int:
    import numpy as np

    before_ok, after_ok = _context()
    n = a.size - 3
    if n < 1:
        return 0
    starts = np.equal(a[:n], ord("n"), out=starts_out[:n])
    for offset, byte in ((1, "u"), (2, "l"), (3, "l")):
        np.logical_and(starts, np.equal(a[offset : offset + n], ord(byte), out=out[:n]), out=starts)
    found = np.flatnonzero(starts)
    before = np.where(found > 0, before_ok[a[np.maximum(found - 1, 0)]], False)
    follows = found + 4
    after = np.where(follows < a.size, after_ok[a[np.minimum(follows, a.size - 1)]], True)
    return int(np.count_nonzero(before & after))


def count(data: bytes | bytearray, size: int | None = None) -> Tokens:
    """The tokens of ``data[:size]`` (all of it by default: a reused buffer holds more)."""
    import numpy as np

    size = len(data) if size is None else size
    a = np.frombuffer(data, dtype=np.uint8, count=size)
    first, second = _buffers(a.size)
    quote = np.equal(a, QUOTE, out=first[: a.size])
    quotes, keys = int(np.count_nonzero(quote)), _pairs(quote, a, ord(":"), second)
    escaped = 0
    if data.find(b"\\", 0, size) >= 0:
        escaped = _pairs(np.equal(a, ord("\\"), out=first[: a.size]), a, QUOTE, second)
    return Tokens(
        quotes=quotes,
        escaped=escaped,
        keys=keys,
        nulls=_nulls(a, first, second) if data.find(b"null", 0, size) >= 0 else 0,
    )
