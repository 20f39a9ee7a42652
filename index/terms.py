"""Word-level text helpers shared by ingest (term statistics) and answering (lexical scoring)."""

from __future__ import annotations

import re

__all__ = ["tokens", "terms", "stem", "STOPWORDS"]

_WORD_RE = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing done down during each else ever few for from further had has
    have having he her here hers herself him himself his how however i if in into is it its itself just let me
    more most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those through to
    too under until up upon us very was we were what when where which while who whom whose why will with would
    you your yours yourself yourselves s t said say says tell told according article""".split()
)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens; hyphenated and dotted words (``U.S.``, ``India-Russia``) stay whole."""
    return [m.group(0).lower().replace("’", "'") for m in _WORD_RE.finditer(text)]


def stem(word: str) -> str:
    """A light, predictable English suffix stripper (enough to match plural and tense variants)."""
    word = word.removesuffix("'s")
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                break
            return word[: -len(suffix)] + keep
    return word


def terms(text: str) -> list[str]:
    """Content terms: stemmed tokens that are not stop words; hyphenated words also yield their parts."""
    out: list[str] = []
    for token in tokens(text):
        parts = [token] + (token.split("-") if "-" in token else [])
        for part in parts:
            part = part.strip(".'")
            if part and part not in STOPWORDS:
                out.append(stem(part))
    return out
