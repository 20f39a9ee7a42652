"""What text holds that a person cannot see or UTF-8 cannot store: one definition for every layer.

:func:`blank` says whether text shows nothing at all (an empty question, an article of zero-width spaces).

JSON (and Python's ``str``) can hold a lone surrogate such as ``"\\ud800"``; UTF-8 cannot. A question,
a header or a record that holds one is either refused with a message saying so (:func:`lone_surrogate`),
compared as raw bytes (:func:`raw_bytes`), or stored with it replaced (:data:`UNSTORABLE`).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["LONE_SURROGATE", "UNSTORABLE", "blank", "lone_surrogate", "raw_bytes", "surrogate_message"]

#: a lone UTF-16 surrogate (no UTF-8 text can hold one)
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: what no database column may hold: NUL (PostgreSQL's text refuses it) and lone surrogates
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def blank(text: str) -> bool:
    """Whether ``text`` shows nothing: only whitespace and control or format characters (NUL, ESC, a
    byte-order mark, a zero-width space), so a question or an article of them is refused as an empty one is."""
    return all(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in text)


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text``, or None when UTF-8 can hold all of it."""
    found = LONE_SURROGATE.search(text)
    return found.group() if found else None


def surrogate_message(what: str = "", char: str | None = None) -> str:
    """The message that refuses ``what`` for holding a lone surrogate (``char``, shown when given)."""
    shown = f" ({char!r}, a lone UTF-16 surrogate)" if char else " (a lone UTF-16 surrogate)"
    return (f"{what} " if what else "") + f"holds an invalid character{shown}; send valid Unicode text"


def raw_bytes(text: str) -> bytes:
    """``text`` as UTF-8 bytes, a lone surrogate kept as its own bytes: for hashing and constant-time comparing
    what a client sent, which must never fail."""
    return text.encode("utf-8", "surrogatepass")
