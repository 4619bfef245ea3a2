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

from dataclasses import dataclass

import numpy as np

QUOTE = ord('"')
# What may stand right before and right after a null that is a value, not part of a word.
_BEFORE = np.zeros(256, dtype=bool)
_BEFORE[list(b": \t\r\n,[")] = True
_AFTER = np.zeros(256, dtype=bool)
_AFTER[list(b",}] \t\r\n")] = True


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


def _starts(data: bytes, word: bytes) -> np.ndarray:
    """Offsets of every occurrence of a 2- or 4-byte ``word``: the bytes viewed as words at
    each alignment, so that one comparison pass covers them all."""
    size = len(word)
    dtype = np.dtype(f"<u{size}")
    value = int.from_bytes(word, "little")
    found = []
    for offset in range(size):
        n = (len(data) - offset) // size
        if n > 0:
            words = np.frombuffer(data, dtype=dtype, count=n, offset=offset)
            found.append(np.flatnonzero(words == value) * size + offset)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.intp)


def _nulls(data: bytes) -> int:
    starts = _starts(data, b"null")
    if not starts.size:
        return 0
    a = np.frombuffer(data, dtype=np.uint8)
    before = np.where(starts > 0, _BEFORE[a[np.maximum(starts - 1, 0)]], False)
    follows = starts + 4
    after = np.where(follows < a.size, _AFTER[a[np.minimum(follows, a.size - 1)]], True)
    return int(np.count_nonzero(before & after))


def count(data: bytes) -> Tokens:
    return Tokens(
        quotes=int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == QUOTE)),
        escaped=len(_starts(data, b'\\"')) if b"\\" in data else 0,
        keys=len(_starts(data, b'":')),
        nulls=_nulls(data) if b"null" in data else 0,
    )
