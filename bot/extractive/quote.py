"""What to quote: the best sentence and a likely runner-up, each cut to the room left.

A sentence too long for the room left (``max_chars``, 400) is quoted in part, with "…":
the run of whole words that holds the most question terms, centred on them, since the
answer is usually near them; a runner-up is quoted only when at least :data:`MIN_PART`
characters of it fit.
"""

from __future__ import annotations

import re

from bot.citations import unmark
from bot.extractive.ranking import Scored
from index.terms import terms

__all__ = ["MIN_PART", "compose", "excerpt", "part", "quote"]

MIN_PART = 100  # characters: a shorter piece of a runner-up says too little to be worth quoting
_WORD = re.compile(r"\S+")


def compose(scored: Scored, wanted: set[str], max_chars: int, second_ratio: float) -> list[tuple[int, int, int]]:
    """(sentence, start, end) of what to quote: the best sentence, plus the best runner-up
    whose probability is at least ``second_ratio`` of the best's, in article order. A sentence's
    dateline is never quoted (``Layout.quote_from``)."""
    texts, order, probs = scored.index.sentences.texts, scored.order, scored.probs
    skips = scored.index.layout.quote_from
    first = int(order[0])
    a, b = part(texts[first], int(skips[first]), wanted, max_chars - 5)
    chosen = [(first, a, b)]
    room = max_chars - len(quote(texts[first], a, b)) - 10  # two " [n]" and a space
    for other in order[1:4]:
        other = int(other)
        if probs[other] < second_ratio * probs[first]:
            break
        if len(texts[other]) - int(skips[other]) <= room or room >= MIN_PART:
            chosen.append((other, *part(texts[other], int(skips[other]), wanted, room)))
            break
    return sorted(chosen)


def part(text: str, skip: int, wanted: set[str], limit: int) -> tuple[int, int]:
    """:func:`excerpt` of ``text`` from character ``skip`` on, in ``text``'s offsets."""
    a, b = excerpt(text[skip:], wanted, limit - (1 if skip else 0))
    return a + skip, b + skip


def excerpt(text: str, wanted: set[str], limit: int) -> tuple[int, int]:
    """The part of ``text`` to quote in at most ``limit`` characters, counting a "…" for each cut end.

    All of it when it fits; otherwise the run of whole words that holds the most of the ``wanted``
    terms (:func:`index.terms.terms`), with those words as central as the room allows: an answer
    sits before the question's words as often as after them."""
    if len(text) <= limit:
        return 0, len(text)
    words = [m.span() for m in _WORD.finditer(text)]
    hits = [i for i, (s, e) in enumerate(words) if wanted & set(terms(text[s:e]))]
    n = len(words)
    best, span = (-1, -1), (0, max(limit - 1, 0))
    j = 0
    for i in range(n):
        j = max(j, i)
        while j < n and words[j][1] - words[i][0] + (i > 0) + (j + 1 < n) <= limit:
            j += 1
        if j == i:
            continue
        inside = [h for h in hits if i <= h < j]
        # context kept on the thinner side of the matched words
        margin = min(words[inside[0]][0] - words[i][0], words[j - 1][1] - words[inside[-1]][1]) if inside else 0
        if (len(inside), margin) > best:
            best, span = (len(inside), margin), (words[i][0], words[j - 1][1])
    return span


def quote(text: str, a: int, b: int) -> str:
    """``text[a:b]``, with "…" where it was cut, and without the article's own marker-like notes ("[7]",
    "[2][3]": :func:`bot.citations.unmark`), so that the only markers in an answer are the bot's."""
    return ("…" if a > 0 else "") + unmark(text[a:b]) + ("…" if b < len(text) else "")
