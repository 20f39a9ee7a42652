"""The record retrieval hands to answering: one exact span of one stored article.

Defined here, at the store layer, because the store produces it and ``bot`` consumes it
(``bot`` imports ``index``, never the reverse). It travels unchanged from the store and the
retriever to the answerers, the grounding guard, the LLM prompt and the citations.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["Passage"]


@dataclass(frozen=True)
class Passage:
    """One passage of an article: ``text`` is exactly ``article_text[start:end]``.

    ``score`` is the passage's cosine similarity to the question it was retrieved for (0 until
    scored). ``url`` is the article's address where the producer knows it; passage records do not
    carry it, so retrieval leaves it ``None``."""

    article_id: str
    title: str
    text: str
    start: int
    end: int
    score: float = 0.0
    url: str | None = None

    def scored(self, score: float) -> Passage:
        """This passage with ``score`` as its similarity to the question."""
        return replace(self, score=score)
