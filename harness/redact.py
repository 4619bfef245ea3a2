"""What reaches a terminal or a log: no secret, no control character.

Every message harness prints passes through ``safe`` (console.py does it at its one door):
any bearer token and any ``sk-`` key is masked, whoever sent it (an API error body may echo the
Authorization header, a proxy page may quote it), and control characters are escaped, so that an
id holding an ANSI or OSC sequence cannot drive the terminal. ``harness-local-...`` keys, which
``harness serve`` generates to print, are not secrets.
"""

from __future__ import annotations

import re

# sk-..., sk-proj-..., sk-admin-..., sk-svcacct-...: at least 8 characters of key material.
_KEY = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")
_BEARER = re.compile(r"(?i)(bearer\s+)(?!harness-local-)([^\s\"',;]+)")
# C0 controls but tab and newline, DEL, and C1 controls (0x9b is a one-byte CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def mask_key(key: str) -> str:
    """How a key is shown when it must be named: its kind and last four characters."""
    return f"{key[:3]}...{key[-4:]}" if len(key) > 12 else "***"


_KIND = re.compile(r"sk-(?:[a-z]+-)?")  # the public part of a key: its kind


def _fragments(text: str, key: str) -> str:
    """``text`` with every run of 8 or more characters of ``key``'s secret part masked: a
    message cut inside the key, or quoting part of it, shows none of it."""
    kind = _KIND.match(key)
    secret = key[kind.end() :] if kind else key
    if len(secret) < 8:
        return text
    windows = "|".join(re.escape(secret[i : i + 8]) for i in range(len(secret) - 7))
    out, at = [], 0
    for found in re.finditer(windows, text):
        if found.start() < at:
            continue
        end, offset = found.end(), secret.index(found.group(0)) + 8
        while end < len(text) and offset < len(secret) and text[end] == secret[offset]:
            end, offset = end + 1, offset + 1
        out += [text[at : found.start()], "***"]
        at = end
    return "".join(out) + text[at:]


_SHOWN = re.compile(r"\*\*\*|[a-z]{2}-\.\.\.[A-Za-z0-9_\-]{4}")  # what mask_key leaves


def _masked(token: str) -> str:
    """A bearer token as shown: masked, unless it is already a masked key."""
    return token if _SHOWN.fullmatch(token) else "***"


def secrets(text: str, known: tuple[str, ...] = ()) -> str:
    """``text`` with every known key (or any part of it), bearer token and ``sk-`` key
    masked."""
    for key in known:
        if key:
            text = _fragments(text.replace(key, mask_key(key)), key)
    # What is not a known key may be a fragment of one: nothing of it is shown.
    text = _BEARER.sub(lambda m: m.group(1) + _masked(m.group(2)), text)
    return _KEY.sub("sk-***", text)


def controls(text: str) -> str:
    """Control characters as visible escapes (``\\x1b``), tab and newline kept."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def safe(text: str) -> str:
    return controls(secrets(text))
