"""A Markdown article as the text its reader sees: what the loader stores for a ``.md`` file.

Newsrooms that publish with Hugo, Jekyll or Obsidian hand over Markdown. Stored as written, its syntax would be
quoted in answers ("The [harbour authority](https://…) said … by **about 8%**"). :func:`plain_text` parses it
with markdown-it (CommonMark, with tables) and keeps what a page shows:

- a link keeps its text, not its address; emphasis, code, heading and quotation marks and list bullets go;
- an image goes (its alternative text describes a picture, not the story), and so does a rule;
- raw HTML keeps its text, not its tags, comments, scripts or style sheets;
- each block (a paragraph, a heading, a list item, a quotation's paragraph, a table row, a code block) starts a
  line; a paragraph's soft line breaks are spaces where they only wrap it (:func:`index.wrapping.unwrap`, so no
  sentence is cut at a wrap) and line ends where they were made on purpose (a headline, then a byline);
- blocks are separated by a blank line; the items of a list and the rows of a table by a line end; a row's cells
  by " | ".

Citation offsets index into this text, never into the Markdown source.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from index.wrapping import unwrap

__all__ = ["plain_text"]

_TAG = re.compile(r"<[^>]*>")
#: HTML no page shows: comments, scripts and style sheets
_HIDDEN = re.compile(r"<!--.*?(?:-->|$)|<(script|style)\b.*?(?:</\1\s*>|$)", re.DOTALL | re.IGNORECASE)
_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def plain_text(source: str) -> str:
    """The text a reader of the rendered ``source`` sees, one block a line (see the module's docstring)."""
    out: list[str] = []
    size = 0  # characters in out
    soft: list[int] = []  # where the soft line breaks are in the joined text
    lists = 0  # how deep in lists and tables the next block is
    listed = False  # whether the block before was a list item or a table row
    cells: list[str] | None = None

    def add(block: str, breaks: Sequence[int] = ()) -> None:
        nonlocal listed, size
        lead = len(block) - len(block.lstrip())
        block = block.strip()
        if block:
            gap = ("\n" if lists and listed else "\n\n") if out else ""
            soft.extend(size + len(gap) + b - lead for b in breaks if lead <= b < lead + len(block))
            out.extend((gap, block))
            size += len(gap) + len(block)
            listed = lists > 0

    for token in _parser().parse(source):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open", "table_open"):
            lists += 1
        elif kind in ("bullet_list_close", "ordered_list_close", "table_close"):
            lists -= 1
            listed = lists > 0
        elif kind == "tr_open":
            cells = []
        elif kind == "tr_close" and cells is not None:
            add(" | ".join(c for c in cells if c))
            cells = None
        elif kind == "inline":
            text, breaks = _inline(token.children or [])
            if cells is not None:
                cells.append(" ".join(text.split()))
            else:
                add(text, breaks)
        elif kind in ("fence", "code_block"):
            add(token.content)
        elif kind == "html_block":
            add(_TAG.sub("", _BREAK_TAG.sub("\n", _HIDDEN.sub("", token.content))))
    return unwrap("".join(out), soft)


def _inline(children) -> tuple[str, list[int]]:
    """The text of one block's inline tokens, and where its soft line breaks are in it."""
    parts: list[str] = []
    breaks: list[int] = []
    size = 0
    for child in children:
        piece = ""
        if child.type in ("text", "code_inline"):
            piece = child.content
        elif child.type == "softbreak":
            breaks.append(size)
            piece = "\n"
        elif child.type == "hardbreak" or (child.type == "html_inline" and _BREAK_TAG.fullmatch(child.content.strip())):
            piece = "\n"
        parts.append(piece)
        size += len(piece)
    return "".join(parts), breaks
