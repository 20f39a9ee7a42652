"""A Markdown file's front matter: the block of ``key: value`` lines between two ``---`` lines at its very start,
as static-site generators and note apps (Jekyll, Hugo, Obsidian) write it.

Only simple ``key: value`` lines are read (a value may be quoted); list items and indented lines under a key are
skipped. A block that holds any other line is not front matter, and the text is left as it is.
"""

from __future__ import annotations

import re

__all__ = ["split_front_matter"]

_OPEN = re.compile(r"\ufeff?---[ \t]*\n")
_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*\Z")
_FIELD = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(.*?))?[ \t]*\Z")
#: a front matter block longer than this is taken for text that happens to start with a rule
_MAX_LINES = 200


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """``(fields, rest)``: the ``key: value`` fields of the front matter that starts ``text`` and the text after
    it (the blank lines after the block left out too); ``({}, text)`` when ``text`` starts with none."""
    opening = _OPEN.match(text)
    if not opening:
        return {}, text
    fields: dict[str, str] = {}
    keys = 0
    position = opening.end()
    for _ in range(_MAX_LINES):
        end = text.find("\n", position)
        line = text[position:] if end < 0 else text[position:end]
        position = len(text) if end < 0 else end + 1
        if _CLOSE.match(line):
            return (fields, text[position:].lstrip("\n")) if keys else ({}, text)
        if end < 0:
            break
        if not line.strip() or line.lstrip().startswith("#") or line.startswith((" ", "\t", "- ")):
            continue  # a blank line, a comment, or what belongs to a list or mapping under a key
        field = _FIELD.match(line)
        if not field:
            return {}, text
        keys += 1
        value = _unquote(field.group(2) or "")
        if value and value not in ("|", ">", "|-", ">-"):  # a block scalar's lines are indented, so skipped
            fields[field.group(1).lower()] = value
    return {}, text


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
