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
file to the reference validator: slower, never wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUOTE, BACKSLASH, COLON = ord('"'), ord("\\"), ord(":")
_NULL = np.frombuffer(b"null", dtype=np.uint8)
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


def count(data: bytes) -> Tokens:
    a = np.frombuffer(data, dtype=np.uint8)
    if a.size < 4:
        return Tokens(int(np.count_nonzero(a == QUOTE)), 0, 0, 0)
    quote = a == QUOTE
    after_quote = quote[:-1]
    starts = np.flatnonzero(
        (a[:-3] == _NULL[0]) & (a[1:-2] == _NULL[1]) & (a[2:-1] == _NULL[2]) & (a[3:] == _NULL[3])
    )
    before = np.where(starts > 0, _BEFORE[a[np.maximum(starts - 1, 0)]], False)
    follows = starts + 4
    after = np.where(follows < a.size, _AFTER[a[np.minimum(follows, a.size - 1)]], True)
    return Tokens(
        quotes=int(np.count_nonzero(quote)),
        escaped=int(np.count_nonzero((a[:-1] == BACKSLASH) & quote[1:])),
        keys=int(np.count_nonzero(after_quote & (a[1:] == COLON))),
        nulls=int(np.count_nonzero(before & after)),
    )
