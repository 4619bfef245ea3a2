"""Token counts of a JSON text: the evidence stage.settle balances against DuckDB's typed read.

DuckDB reads page files with an explicit column list taken from the registry, which is fast but
blind: keys it was not told about are skipped, and it converts leniently (a number where a string
belongs is read as text, a string or ``true`` where a number belongs as a number). Counting a few
tokens in the bytes, while they are in memory for their checksum, proves nothing was skipped or
converted: in a JSON text every key is a string followed by a colon, every other quote pair is a
string value, and the first byte of a key's value tells null, true and false apart, so

    keys     == keys the typed read saw + keys whose value is null
    quotes   == 2 * keys + 2 * string values the typed read saw + escaped quotes
    literals == true/false values the typed read saw (has_more and boolean fields)

Formatting or content these simple counts cannot see through (a space before a colon, an escaped
quote before a colon) only ever breaks the balance, which sends the file to the reference
validator: slower, never wrong. What the counts cannot see is two anomalies in one file that
cancel exactly (an unknown non-null field and a string field holding a number, say); each alone
breaks the balance.
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
def _whitespace() -> np.ndarray:
    import numpy as np

    table = np.zeros(256, dtype=bool)
    table[list(b" \t\r\n")] = True
    return table


@dataclass(frozen=True)
class Tokens:
    quotes: int  # every "
    escaped: int  # \" inside a string
    keys: int  # ": the end of a key
    nulls: int  # keys whose value is null
    literals: int  # keys whose value is true or false

    def balanced(self, keys_seen: int, strings_seen: int, literals_seen: int) -> bool:
        """Whether the typed read saw every key, string value and true/false these bytes hold."""
        return (
            self.keys == keys_seen + self.nulls
            and self.quotes == 2 * self.keys + 2 * strings_seen + self.escaped
            and self.literals == literals_seen
        )


# A scratch array per thread (the checksum thread counts while the main thread may count a file
# it was not given): every comparison writes into it, because allocating a fresh array per file
# made page faults cost more than the counting itself.
_scratch = threading.local()


def _buffer(size: int) -> np.ndarray:
    import numpy as np

    held: np.ndarray | None = getattr(_scratch, "mask", None)
    if held is None or held.size < size:
        held = _scratch.mask = np.empty(max(size, 1 << 20), dtype=bool)
    return held


def _where(a: np.ndarray, byte: int, out: np.ndarray) -> np.ndarray:
    """Positions of ``byte`` in ``a``."""
    import numpy as np

    return np.flatnonzero(np.equal(a, byte, out=out[: a.size]))


def _values(a: np.ndarray, colons: np.ndarray) -> np.ndarray:
    """The first byte of each key's value (0 past the end): it follows the key's colon, after
    any whitespace."""
    import numpy as np

    at = colons + 1
    found = np.zeros(at.size, dtype=np.uint8)
    inside = int(np.searchsorted(at, a.size))  # positions are sorted
    found[:inside] = a[at[:inside]]
    todo = np.flatnonzero(_whitespace()[found[:inside]])
    while todo.size:  # one step per whitespace byte; compact JSON takes none
        at[todo] += 1
        ended = at[todo] >= a.size
        found[todo[ended]] = 0
        todo = todo[~ended]
        found[todo] = a[at[todo]]
        todo = todo[_whitespace()[found[todo]]]
    return found


def count(data: bytes | bytearray, size: int | None = None) -> Tokens:
    """The tokens of ``data[:size]`` (all of it by default: a reused buffer holds more).

    Two passes over the bytes (quotes, colons); the rest looks only at the bytes around each
    colon and backslash: a handful of numpy calls per file, whatever its size."""
    import numpy as np

    size = len(data) if size is None else size
    a = np.frombuffer(data, dtype=np.uint8, count=size)
    mask = _buffer(size)
    quotes = int(np.count_nonzero(np.equal(a, QUOTE, out=mask[:size])))
    colons = _where(a, ord(":"), mask)
    if colons.size and colons[0] == 0:
        colons = colons[1:]  # no key ends before the first byte
    colons = colons[a[colons - 1] == QUOTE]  # ": ends a key
    escaped = 0
    if data.find(b"\\", 0, size) >= 0:
        slashes = _where(a, ord("\\"), mask)
        slashes = slashes[slashes + 1 < size]
        escaped = int(np.count_nonzero(a[slashes + 1] == QUOTE))
    first_bytes = np.bincount(_values(a, colons), minlength=256)
    return Tokens(
        quotes=quotes,
        escaped=escaped,
        keys=colons.size,
        nulls=int(first_bytes[ord("n")]),
        literals=int(first_bytes[ord("t")] + first_bytes[ord("f")]),
    )
