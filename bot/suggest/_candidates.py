"""Every candidate question for an article: each rule's, the kinds taken in turn.

Decisions:

* **Cheap.** At most :data:`MAX_CANDIDATES` candidates are asked per article, the kinds taken in turn so
  the first few cover people, figures, speech and events; asking stops at ``limit``
  (:func:`bot.suggest.suggest_questions`).
"""

from __future__ import annotations

from bot.suggest._people import _who_did, _who_is, people
from bot.suggest._rules import _by_whom, _how_many, _said, _what_did, _when, _why
from bot.suggest._words import Candidate

__all__ = ["MAX_CANDIDATES", "candidates"]

#: candidates asked per article (each costs one answer, ~15-30 ms)
MAX_CANDIDATES = 16

_KINDS = ("who_is", "how_many", "said", "why", "who_did", "when", "what_did")


def candidates(sentences: list[str], limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """Questions a reader could ask about ``sentences`` (an article's, without its dateline and credit
    lines; an empty string keeps a skipped sentence's place), the kinds taken in turn, at most ``limit``."""
    text = " ".join(sentences)
    folks = people(sentences)
    found = {
        "who_is": _who_is(sentences, folks, text),
        "how_many": _how_many(sentences, text),
        "said": _said(sentences, folks, text),
        "why": _why(sentences, text),
        "who_did": _by_whom(sentences, text) + _who_did(sentences, folks),
        "when": _when(sentences, text),
        "what_did": _what_did(sentences, folks, text),
    }
    out: list[Candidate] = []
    seen: set[str] = set()
    for rank in range(max(map(len, found.values()), default=0)):
        for kind in _KINDS:
            if rank < len(found[kind]) and found[kind][rank].question.lower() not in seen and len(out) < limit:
                seen.add(found[kind][rank].question.lower())
                out.append(found[kind][rank])
    return out
