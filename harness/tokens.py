"""Token counts of a JSON text: the evidence fastpath.py balances against DuckDB's typed read.

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


def _followed(first: np.ndarray, a: np.ndarray, second: int, out: np.ndarray) -> np.ndarray:
    """Mask of the bytes marked in ``first`` (a mask over ``a``) that ``second`` follows."""
    import numpy as np

    n = max(a.size - 1, 0)
    following: np.ndarray = np.equal(a[1:], second, out=out[:n])
    np.logical_and(first[:n], following, out=following)
    return following


def _values(a: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The first byte of each key's value (0 past the end): a key ends at ``keys`` (the
    positions of its closing quote), then a colon and any whitespace."""
    import numpy as np

    at = keys + 2
    found = np.zeros(at.size, dtype=np.uint8)  # stays 0 where the text ends first
    todo = np.flatnonzero(at < a.size)
    while todo.size:  # one step per whitespace byte; compact JSON takes none
        found[todo] = a[at[todo]]
        todo = todo[_whitespace()[found[todo]]]
        at[todo] += 1
        ended = at[todo] >= a.size
        found[todo[ended]] = 0
        todo = todo[~ended]
    return found


def count(data: bytes | bytearray, size: int | None = None) -> Tokens:
    """The tokens of ``data[:size]`` (all of it by default: a reused buffer holds more)."""
    import numpy as np

    size = len(data) if size is None else size
    a = np.frombuffer(data, dtype=np.uint8, count=size)
    first, second = _buffers(a.size)
    quote = np.equal(a, QUOTE, out=first[: a.size])
    quotes = int(np.count_nonzero(quote))
    values = _values(a, np.flatnonzero(_followed(quote, a, ord(":"), second)))
    escaped = 0
    if data.find(b"\\", 0, size) >= 0:
        escaped = int(
            np.count_nonzero(
                _followed(np.equal(a, ord("\\"), out=first[: a.size]), a, QUOTE, second)
            )
        )
    return Tokens(
        quotes=quotes,
        escaped=escaped,
        keys=values.size,
        nulls=int(np.count_nonzero(values == ord("n"))),
        literals=int(np.count_nonzero(values == ord("t")) + np.count_nonzero(values == ord("f"))),
    )
