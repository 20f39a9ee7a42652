"""Hard-wrapped text: which line ends only wrap a paragraph, and text with those made spaces.

Plain-text and Markdown articles are often wrapped at a fixed width (72, 78, 100 characters): a line end then
falls mid-sentence ("bills could rise by\\nabout 6% in the first year"). The sentence splitter ends a sentence at
every line end, so that a headline or a dateline never runs into the text after it; on wrapped text that would
quote half sentences. :func:`unwrap` makes each wrap's line end a space, so one character stands for one and
every offset into the text is unchanged.

A line end is a wrap when the text looks wrapped (most lines that another line follows are at most
:data:`MAX_WIDTH` characters: a text of one line per paragraph is left alone) and, with ``width`` the 90th
percentile of those lines' lengths:

- both lines hold text, the first at least :data:`MIN_LINE` characters, the second not indented further;
- the next line's first word would not have fitted on the line (``len(line) + 1 + len(word) > width``): a
  wrapping program moves a word down only when it does not fit, so a short line (a headline, a byline, a list
  item) followed by a line break was broken on purpose;
- the next line does not open a list item, a heading, a quotation block or a table row, nor draw a rule or underline
  a heading ("---", "==="), and the line is no heading;
- a line that ends a sentence (".", "?", "!") is joined only when the next line goes on in lower case or the line
  ends with a title or an initial ("Mr.", "Gov.", "John F."), since the break is then mid-sentence.
"""

from __future__ import annotations

import re
from collections.abc import Collection

__all__ = ["MAX_WIDTH", "MIN_LINE", "unwrap"]

#: a text whose lines are longer than this (at the 90th percentile) holds a paragraph per line and is not wrapped
MAX_WIDTH = 160
#: characters: a shorter line is never taken for wrapped prose
MIN_LINE = 30

_LINE_END = re.compile("\n")
_OPENS_BLOCK = re.compile(r"(?:[-*+•>|]|#{1,6}|\d{1,3}[.)])(?:\s|$)|[-=*_]{3,}")
_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*$")
_ENDS_MID = re.compile(
    r"(?:^|[\s(])(?:Mr|Mrs|Ms|Dr|Prof|Gov|Sen|Rep|Gen|Lt|Col|Capt|Sgt|Rev|St|Mt|Ft|Jr|Sr|No|vs|[A-Z])\.$"
)


def unwrap(text: str, breaks: Collection[int] | None = None) -> str:
    """``text`` with every line end that only wraps a paragraph made a space (same length, same offsets).

    ``breaks``: the offsets of the line ends that may be wraps, a Markdown text's soft line breaks, which
    CommonMark reads as spaces: then one line is enough to tell the width by, and long lines are no sign of a
    paragraph a line. By default every line end of ``text`` may be one."""
    soft = breaks is not None
    candidates = sorted(breaks) if breaks is not None else [m.start() for m in _LINE_END.finditer(text)]
    pairs = [(at, text[text.rfind("\n", 0, at) + 1 : at].rstrip(), _line_at(text, at + 1)) for at in candidates]
    inner = sorted(len(line) for _, line, after in pairs if line.strip() and after.strip())
    if len(inner) < (1 if soft else 2):
        return text
    width = inner[-(-(len(inner) - 1) * 9 // 10)]  # the 90th percentile, rounded up
    if width < MIN_LINE or (width > MAX_WIDTH and not soft):
        return text
    chars = list(text)
    for at, line, after in pairs:
        if _wraps(line, after, width):
            chars[at] = " "
    return "".join(chars)


def _line_at(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start : end if end >= 0 else len(text)]


def _wraps(line: str, after: str, width: int) -> bool:
    """Whether the line end between ``line`` (right-stripped) and ``after`` only wraps a paragraph."""
    body, rest = line.lstrip(), after.lstrip()
    if len(line) < MIN_LINE or not rest or len(after) - len(rest) > len(line) - len(body):
        return False
    if body.startswith("#") or _OPENS_BLOCK.match(rest):
        return False
    if len(line) + 1 + len(rest.split(None, 1)[0]) <= width:
        return False
    if _ENDS_SENTENCE.search(line):
        return rest[0].islower() or bool(_ENDS_MID.search(line))
    return True
